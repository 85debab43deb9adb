// oneDNN Resize (opset 10+) and Upsample (opset 7-9), float32, modes nearest and linear on the
// spatial dims of a 3-5-D tensor (N and C not resized), scales or sizes constant. A oneDNN
// resampling primitive runs when its index mapping equals ONNX's for the shape at hand
// (checked per plan); otherwise plain loops with precomputed index tables do.
#include <cmath>
#include <cstring>

#include "src/backends/cpu/onednn/op.h"

namespace pl::onednn {
namespace {

using dnnl::algorithm;

class ResizeOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    PL_RETURN_IF_ERROR(InitCommon(node, 4));
    const bool upsample = node.op_type == "Upsample";
    mode_ = node.Attr<std::string>("mode", "nearest");
    if (mode_ == "bilinear" || mode_ == "trilinear") mode_ = "linear";  // Upsample-7 spelling
    if (mode_ != "nearest" && mode_ != "linear") return Status::Unimplemented(describe_ + ": mode '" + mode_ + "'");
    coord_ = node.Attr<std::string>("coordinate_transformation_mode", opset_ >= 11 && !upsample ? "half_pixel" : "asymmetric");
    nearest_mode_ = node.Attr<std::string>("nearest_mode", opset_ >= 11 && !upsample ? "round_prefer_floor" : "floor");
    if (opset_ < 11 || upsample) nearest_mode_ = "floor";  // Resize-10 / Upsample: floor(x / scale)
    if (coord_ == "tf_crop_and_resize") return Status::Unimplemented(describe_ + ": tf_crop_and_resize");
    if (node.Attr<int64_t>("antialias", 0) != 0) return Status::Unimplemented(describe_ + ": antialias");
    if (node.HasAttr("axes")) return Status::Unimplemented(describe_ + ": axes");
    if (node.Attr<std::string>("keep_aspect_ratio_policy", "stretch") != "stretch")
      return Status::Unimplemented(describe_ + ": keep_aspect_ratio_policy");
    if (node.Attr<int64_t>("exclude_outside", 0) != 0) return Status::Unimplemented(describe_ + ": exclude_outside");
    // Where scales / sizes come from.
    if (upsample && opset_ < 9) {
      scales_ = node.Attr<std::vector<float>>("scales", {});
      if (scales_.empty()) return Status::ModelError(describe_ + ": needs 'scales'");
      return Status::Ok();
    }
    int scales_in = opset_ >= 11 && !upsample ? 2 : 1, sizes_in = opset_ >= 11 && !upsample ? 3 : -1;
    const Tensor* sc = node.HasInput(scales_in) ? node.ConstantInput(scales_in) : nullptr;
    const Tensor* sz = sizes_in >= 0 && node.HasInput(sizes_in) ? node.ConstantInput(sizes_in) : nullptr;
    if ((node.HasInput(scales_in) && !sc) || (sizes_in >= 0 && node.HasInput(sizes_in) && !sz))
      return Status::Unimplemented(describe_ + ": oneDNN needs constant scales/sizes");
    if (sc && sc->NumElements() > 0) {
      if (sc->dtype() != DataType::kFloat32) return Status::ModelError(describe_ + ": scales must be float32");
      scales_.assign(sc->Data<float>(), sc->Data<float>() + sc->NumElements());
    }
    if (sz && sz->NumElements() > 0) {
      if (sz->dtype() != DataType::kInt64) return Status::ModelError(describe_ + ": sizes must be int64");
      sizes_.assign(sz->Data<int64_t>(), sz->Data<int64_t>() + sz->NumElements());
    }
    if (scales_.empty() == sizes_.empty()) return Status::ModelError(describe_ + ": exactly one of scales and sizes is needed");
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    const Shape& x = b.InShape(0);
    const int rank = static_cast<int>(x.size());
    if (rank < 3 || rank > 5) return Status::Unimplemented(describe_ + ": rank " + std::to_string(rank));
    const size_t n = scales_.empty() ? sizes_.size() : scales_.size();
    if (n != x.size()) return Status::InvalidArgument(describe_ + ": scales/sizes have " + std::to_string(n) + " values for rank " + std::to_string(rank));
    Shape out(rank);
    std::vector<double> scale(rank);
    for (int d = 0; d < rank; ++d) {
      if (!scales_.empty()) {
        if (!(scales_[d] > 0)) return Status::InvalidArgument(describe_ + ": scales must be positive");
        scale[d] = scales_[d];
        out[d] = static_cast<int64_t>(std::floor(x[d] * static_cast<double>(scales_[d])));
      } else {
        out[d] = sizes_[d];
        scale[d] = x[d] > 0 ? static_cast<double>(out[d]) / x[d] : 1.0;
      }
      if (out[d] <= 0 || x[d] <= 0) return Status::InvalidArgument(describe_ + ": empty input or output");
    }
    if (out[0] != x[0] || out[1] != x[1]) return Status::Unimplemented(describe_ + ": resizing N or C");
    // Index tables (nearest) or source coordinates (linear), per spatial dim.
    std::vector<std::vector<int64_t>> idx(rank);
    std::vector<std::vector<float>> coord(rank);
    bool onednn_ok = true;
    for (int d = 2; d < rank; ++d) {
      for (int64_t o = 0; o < out[d]; ++o) {
        const double xo = Original(o, x[d], out[d], scale[d]);
        if (mode_ == "nearest") {
          int64_t i = Round(xo);
          i = std::min<int64_t>(std::max<int64_t>(i, 0), x[d] - 1);
          idx[d].push_back(i);
          // oneDNN: round((o + 0.5) * in / out - 0.5), clamped.
          const float f = (static_cast<float>(o) + 0.5f) * static_cast<float>(x[d]) / static_cast<float>(out[d]) - 0.5f;
          int64_t j = static_cast<int64_t>(std::round(f));
          j = std::min<int64_t>(std::max<int64_t>(j, 0), x[d] - 1);
          onednn_ok &= i == j;
        } else {
          coord[d].push_back(static_cast<float>(xo));
          const double ref = (o + 0.5) * static_cast<double>(x[d]) / out[d] - 0.5;
          onednn_ok &= std::fabs(ref - xo) < 1e-6 * std::max<double>(1.0, x[d]);
        }
      }
    }
    // Nearest on a channels-last 4-D tensor: whole pixels are copied, and a following Add the
    // region fuses (a feature-pyramid "upsample + lateral") is summed in the same pass, in place
    // in the lateral's buffer when that dies here: the upsampled map is never stored.
    if (mode_ == "nearest" && rank == 4 && IsChannelsLast(b.InMd(0))) {
      Status s = PlanNearestNhwc(b, x, out, idx);
      if (s.ok() || !b.ExtraPostOps().empty()) return s;
    }
    // oneDNN 2.6's resampling computes binary post-ops wrong: the region plans the Add apart.
    if (!b.ExtraPostOps().empty()) return Status::Unimplemented(describe_ + ": fused binary op on this path");
    if (onednn_ok) {
      const algorithm alg = mode_ == "nearest" ? algorithm::resampling_nearest : algorithm::resampling_linear;
      const Md src_md = b.InMd(0);
      Md dst_md = b.PreferPlainOutput(0) ? PlainMd(out) : Md(ToDims(out), memory::data_type::f32, memory::format_tag::any);
      Status s = Guard(describe_, [&] {
        dnnl::resampling_forward::primitive_desc p({dnnl::prop_kind::forward_inference, alg, src_md, dst_md}, ScratchpadAttr(), Engine());
        dst_md = p.dst_desc();
      });
      if (s.ok()) {
        std::unordered_map<int, memory> args;
        std::vector<PostOp> separate;
        PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::resampling_forward::primitive_desc>(
                                         b, out, dst_md,
                                         [&](const dnnl::primitive_attr& a) {
                                           return dnnl::resampling_forward::primitive_desc(
                                               {dnnl::prop_kind::forward_inference, alg, src_md, dst_md}, a, Engine());
                                         },
                                         &args, &separate)));
        PL_ASSIGN_OR_RETURN(memory src, b.In(0));
        PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, out, pd.dst_desc()));
        args[DNNL_ARG_SRC] = src;
        args[DNNL_ARG_DST] = dst;
        b.Step(dnnl::resampling_forward(pd), std::move(args), pd.scratchpad_desc());
        if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, out, dst));
        return Status::Ok();
      }
    }
    return PlanPlain(b, x, out, idx, coord);
  }

 private:
  // ONNX coordinate transformation: output coordinate -> input coordinate.
  double Original(int64_t o, int64_t in, int64_t out, double scale) const {
    if (coord_ == "asymmetric") return o / scale;
    if (coord_ == "align_corners") return out == 1 ? 0.0 : o * static_cast<double>(in - 1) / (out - 1);
    if (coord_ == "pytorch_half_pixel") return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
    if (coord_ == "tf_half_pixel_for_nn") return (o + 0.5) / scale;
    if (coord_ == "half_pixel_symmetric") {
      const double adj = out / (scale * in);
      const double center = in / 2.0, offset = center * (1 - adj);
      return offset + (o + 0.5) / scale - 0.5;
    }
    return (o + 0.5) / scale - 0.5;  // half_pixel
  }

  int64_t Round(double v) const {
    if (nearest_mode_ == "floor") return static_cast<int64_t>(std::floor(v));
    if (nearest_mode_ == "ceil") return static_cast<int64_t>(std::ceil(v));
    const double f = std::floor(v);
    if (v - f == 0.5) return static_cast<int64_t>(nearest_mode_ == "round_prefer_ceil" ? f + 1 : f);
    return static_cast<int64_t>(std::round(v));
  }

  static bool IsChannelsLast(const Md& md) {
    return md.data.ndims == 4 && md.data.format_kind == dnnl_blocked && md.data.format_desc.blocking.inner_nblks == 0 &&
           md == Md(md.dims(), memory::data_type::f32, memory::format_tag::acdb);
  }

  Status PlanNearestNhwc(PlanBuilder& b, const Shape& x, const Shape& out, const std::vector<std::vector<int64_t>>& idx) const {
    const std::vector<PostOp> extra = b.ExtraPostOps();
    // At most one binary add (the fused consumer) and then element-wise post-ops, run apart.
    int add_input = -1;
    std::vector<PostOp> rest;
    for (size_t i = 0; i < extra.size(); ++i) {
      const PostOp& po = extra[i];
      if (po.kind == PostOp::Kind::kBinary) {
        if (i != 0 || po.alg != algorithm::binary_add || b.InShape(po.input) != out)
          return Status::Unimplemented(describe_ + ": only a full-size Add fuses into nearest resize");
        add_input = po.input;
      } else {
        rest.push_back(po);
      }
    }
    std::vector<PostOp> own = post_ops();
    for (const PostOp& po : own)
      if (po.kind != PostOp::Kind::kEltwise) return Status::Unimplemented(describe_ + ": binary post-op");
    if (add_input >= 0 && !own.empty()) return Status::Unimplemented(describe_ + ": post-ops before a fused Add");
    own.insert(own.end(), rest.begin(), rest.end());
    const Md md(ToDims(out), memory::data_type::f32, memory::format_tag::acdb);
    PL_ASSIGN_OR_RETURN(memory src, b.In(0));
    memory add;
    if (add_input >= 0) {
      PL_ASSIGN_OR_RETURN(add, b.In(add_input, md));
    }
    // Without a fused Add and post-ops the output may be a slice of a Concat (see OutStrided).
    PL_ASSIGN_OR_RETURN(memory dst, add_input >= 0 ? b.OutInPlace(0, out, md, add_input)
                                    : own.empty()  ? b.OutStrided(0, out, md)
                                                   : b.Out(0, out, md));
    const auto& blk = dst.get_desc().data.format_desc.blocking;
    const int64_t sn = blk.strides[0], sc = blk.strides[1], sh = blk.strides[2], sw = blk.strides[3];
    const int64_t off0 = dst.get_desc().data.offset0;
    if (sc != 1) return Status::Internal(describe_ + ": channels must be contiguous");
    const int64_t N = out[0], C = out[1], OH = out[2], OW = out[3], IH = x[2], IW = x[3];
    std::vector<int64_t> ih = idx[2], iw = idx[3];
    std::vector<memory> mems = {src, dst};
    if (add_input >= 0) mems.push_back(add);
    b.Custom(
        [src, dst, add, N, C, OH, OW, IH, IW, ih, iw, sn, sh, sw, off0]() {
          const float* in = static_cast<const float*>(src.get_data_handle());
          float* o = static_cast<float*>(dst.get_data_handle()) + off0;
          const float* a = add ? static_cast<const float*>(add.get_data_handle()) : nullptr;
#pragma omp parallel for
          for (int64_t ny = 0; ny < N * OH; ++ny) {
            const int64_t n = ny / OH, y = ny % OH;
            const float* srow = in + (n * IH + ih[y]) * IW * C;
            float* orow = o + n * sn + y * sh;
            const float* arow = a ? a + ny * OW * C : nullptr;
            for (int64_t w = 0; w < OW; ++w) {
              const float* sp = srow + iw[w] * C;
              float* op = orow + w * sw;
              if (arow) {
                const float* ap = arow + w * C;
                for (int64_t c = 0; c < C; ++c) op[c] = ap[c] + sp[c];
              } else {
                std::memcpy(op, sp, static_cast<size_t>(C) * sizeof(float));
              }
            }
          }
        },
        mems);
    if (!own.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, own, out, dst));
    return Status::Ok();
  }

  Status PlanPlain(PlanBuilder& b, const Shape& x, const Shape& out, std::vector<std::vector<int64_t>> idx,
                   std::vector<std::vector<float>> coord) const {
    PL_ASSIGN_OR_RETURN(memory src, b.In(0, PlainMd(x)));
    PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, out, PlainMd(out)));
    const bool nearest = mode_ == "nearest";
    // Pad to 3 spatial dims so one loop serves 1-3.
    const int rank = static_cast<int>(x.size());
    Shape in3 = {x[0] * x[1], 1, 1, 1}, out3 = {x[0] * x[1], 1, 1, 1};
    std::vector<std::vector<int64_t>> i3(4, std::vector<int64_t>{0});
    std::vector<std::vector<float>> c3(4, std::vector<float>{0.f});
    for (int d = 2; d < rank; ++d) {
      const int k = d - rank + 4;
      in3[k] = x[d];
      out3[k] = out[d];
      i3[k] = idx[d];
      c3[k] = coord[d];
    }
    b.Custom(
        [src, dst, in3, out3, i3, c3, nearest]() {
          const float* in = static_cast<const float*>(src.get_data_handle());
          float* out = static_cast<float*>(dst.get_data_handle());
          const int64_t ID = in3[1], IH = in3[2], IW = in3[3];
#pragma omp parallel for
          for (int64_t c = 0; c < in3[0]; ++c) {
            const float* plane = in + c * ID * IH * IW;
            float* o = out + c * out3[1] * out3[2] * out3[3];
            for (int64_t z = 0; z < out3[1]; ++z)
              for (int64_t y = 0; y < out3[2]; ++y)
                for (int64_t w = 0; w < out3[3]; ++w) {
                  if (nearest) {
                    *o++ = plane[(i3[1][z] * IH + i3[2][y]) * IW + i3[3][w]];
                    continue;
                  }
                  // Separable linear interpolation with edge clamping, as ONNX's linear mode.
                  float acc = 0.f;
                  int64_t lo[3], hi[3];
                  float wt[3];
                  const int64_t sizes[3] = {ID, IH, IW};
                  const float cs[3] = {c3[1][z], c3[2][y], c3[3][w]};
                  for (int k = 0; k < 3; ++k) {
                    float cc = std::min(std::max(cs[k], 0.f), static_cast<float>(sizes[k] - 1));
                    lo[k] = static_cast<int64_t>(std::floor(cc));
                    hi[k] = std::min(lo[k] + 1, sizes[k] - 1);
                    wt[k] = cc - lo[k];
                  }
                  for (int a = 0; a < 2; ++a)
                    for (int bb = 0; bb < 2; ++bb)
                      for (int cc = 0; cc < 2; ++cc) {
                        const float f = (a ? wt[0] : 1 - wt[0]) * (bb ? wt[1] : 1 - wt[1]) * (cc ? wt[2] : 1 - wt[2]);
                        if (f == 0.f) continue;
                        acc += f * plane[((a ? hi[0] : lo[0]) * IH + (bb ? hi[1] : lo[1])) * IW + (cc ? hi[2] : lo[2])];
                      }
                  *o++ = acc;
                }
          }
        },
        {src, dst});
    return PostOpsSeparately(b, out, dst);
  }

  std::string mode_, coord_, nearest_mode_;
  std::vector<float> scales_;
  std::vector<int64_t> sizes_;
};

}  // namespace

StatusOr<std::unique_ptr<Op>> CreateResizeOp(const NodeInfo& node) {
  auto op = std::make_unique<ResizeOp>();
  PL_RETURN_IF_ERROR(op->Init(node));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace pl::onednn
