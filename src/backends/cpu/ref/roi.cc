// RoiAlign (opsets 10, 16+; mode avg|max; coordinate_transformation_mode half_pixel (16+ default)
// or output_half_pixel (the opset-10 behaviour)) and MaxRoiPool (opset 1); float32/float64 X.
// RoiAlign follows ONNX Runtime and the ONNX reference: each bin averages (or, for max, takes the
// largest weighted corner of) sampling_ratio^2 bilinear samples (adaptive ceil(roi/bin) when 0);
// a sample more than one pixel outside the map contributes 0.
#include <algorithm>
#include <cmath>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

Status CheckX(const NodeInfo& node, const Tensor* x) {
  if (!x) return MissingInput(node, 0);
  if (x->rank() != 4)
    return Status::InvalidArgument(node.Describe() + ": X shape " + ShapeToString(x->shape()) +
                                   ", expected [N, C, H, W]");
  return Status::Ok();
}

class RoiAlignKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string me = node.Describe();
    const std::string mode = node.Attr<std::string>("mode", "avg");
    if (mode != "avg" && mode != "max") return Status::InvalidArgument(me + ": mode '" + mode + "', expected avg or max");
    max_ = mode == "max";
    const std::string ctm = node.Attr<std::string>("coordinate_transformation_mode",
                                                   node.opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel")
      return Status::InvalidArgument(me + ": coordinate_transformation_mode '" + ctm +
                                     "', expected half_pixel or output_half_pixel");
    half_pixel_ = ctm == "half_pixel";
    out_h_ = node.Attr<int64_t>("output_height", 1);
    out_w_ = node.Attr<int64_t>("output_width", 1);
    sampling_ratio_ = node.Attr<int64_t>("sampling_ratio", 0);
    spatial_scale_ = node.Attr<float>("spatial_scale", 1.f);
    if (out_h_ <= 0 || out_w_ <= 0 || sampling_ratio_ < 0)
      return Status::InvalidArgument(me + ": output_height/output_width must be > 0 and sampling_ratio >= 0");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    PL_RETURN_IF_ERROR(CheckX(node, x));
    const Tensor* rois = ctx.Input(1);
    const Tensor* idx = ctx.Input(2);
    if (!rois) return MissingInput(node, 1);
    if (!idx) return MissingInput(node, 2);
    if (rois->dtype() != x->dtype())
      return Status::InvalidArgument(me + ": rois dtype " + DataTypeName(rois->dtype()) + " differs from X");
    if (rois->rank() != 2 || rois->dim(1) != 4)
      return Status::InvalidArgument(me + ": rois shape " + ShapeToString(rois->shape()) + ", expected [num_rois, 4]");
    if ((idx->dtype() != DataType::kInt64 && idx->dtype() != DataType::kInt32) || idx->rank() != 1 ||
        idx->dim(0) != rois->dim(0))
      return Status::InvalidArgument(me + ": batch_indices must be int64 [" + std::to_string(rois->dim(0)) + "], got " +
                                     DataTypeName(idx->dtype()) + " " + ShapeToString(idx->shape()));
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), num = rois->dim(0);
    for (int64_t r = 0; r < num; ++r) {
      const int64_t b = ReadInt(*idx, r);
      if (b < 0 || b >= n)
        return Status::InvalidArgument(me + ": batch index " + std::to_string(b) + " of roi " + std::to_string(r) +
                                       " outside [0, " + std::to_string(n) + ")");
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {num, c, out_h_, out_w_}, x->dtype()));
    return Dispatch(TypeList<float, double>{}, x->dtype(), node, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* xd = x->Data<T>();
      const T* rd = rois->Data<T>();
      T* yd = y->MutableData<T>();
      const T offset = half_pixel_ ? T(0.5) : T(0);
      const T scale = static_cast<T>(spatial_scale_);
      for (int64_t r = 0; r < num; ++r) {
        const T* roi = rd + r * 4;
        const T x0 = roi[0] * scale - offset, y0 = roi[1] * scale - offset;
        T rw = roi[2] * scale - offset - x0, rh = roi[3] * scale - offset - y0;
        if (!half_pixel_) { rw = std::max(rw, T(1)); rh = std::max(rh, T(1)); }
        const T bin_h = rh / static_cast<T>(out_h_), bin_w = rw / static_cast<T>(out_w_);
        // Adaptive sampling: ceil(roi size / output size) points per bin, capped (a ROI of 1e30
        // pixels would otherwise loop forever; past the map every sample is 0 anyway).
        constexpr int64_t kMaxSamples = 1024;
        auto grid = [&](T extent, int64_t out) {
          return std::clamp<int64_t>(SaturatingInt64(std::ceil(static_cast<double>(extent) / static_cast<double>(out))), 0, kMaxSamples);
        };
        const int64_t gh = sampling_ratio_ > 0 ? sampling_ratio_ : grid(rh, out_h_);
        const int64_t gw = sampling_ratio_ > 0 ? sampling_ratio_ : grid(rw, out_w_);
        const T count = static_cast<T>(std::max<int64_t>(gh * gw, 1));
        const T* img = xd + ReadInt(*idx, r) * c * h * w;
        for (int64_t ch = 0; ch < c; ++ch) {
          const T* plane = img + ch * h * w;
          T* out = yd + (r * c + ch) * out_h_ * out_w_;
          for (int64_t ph = 0; ph < out_h_; ++ph)
            for (int64_t pw = 0; pw < out_w_; ++pw) {
              T acc = 0;
              bool first = true;
              for (int64_t iy = 0; iy < gh; ++iy) {
                T yy = y0 + ph * bin_h + (iy + T(0.5)) * bin_h / static_cast<T>(gh);
                for (int64_t ix = 0; ix < gw; ++ix) {
                  T xx = x0 + pw * bin_w + (ix + T(0.5)) * bin_w / static_cast<T>(gw);
                  T v = 0;
                  if (!(yy < -1 || yy > h || xx < -1 || xx > w)) {
                    T sy = std::max(yy, T(0)), sx = std::max(xx, T(0));
                    int64_t yl = static_cast<int64_t>(sy), xl = static_cast<int64_t>(sx), yh, xh;
                    if (yl >= h - 1) { yl = yh = h - 1; sy = static_cast<T>(yl); } else { yh = yl + 1; }
                    if (xl >= w - 1) { xl = xh = w - 1; sx = static_cast<T>(xl); } else { xh = xl + 1; }
                    const T ly = sy - yl, lx = sx - xl, hy = 1 - ly, hx = 1 - lx;
                    const T a = hy * hx * plane[yl * w + xl], b = hy * lx * plane[yl * w + xh];
                    const T cc = ly * hx * plane[yh * w + xl], d = ly * lx * plane[yh * w + xh];
                    v = max_ ? std::max(std::max(a, b), std::max(cc, d)) : a + b + cc + d;
                  }
                  if (max_) { acc = first ? v : std::max(acc, v); first = false; }
                  else acc += v;
                }
              }
              out[ph * out_w_ + pw] = max_ ? acc : acc / count;
            }
        }
      }
      return Status::Ok();
    });
  }

 private:
  bool max_ = false, half_pixel_ = true;
  int64_t out_h_ = 1, out_w_ = 1, sampling_ratio_ = 0;
  float spatial_scale_ = 1.f;
};

// MaxRoiPool: rois [num_rois, 5] = (batch, x1, y1, x2, y2), rounded to the pixel grid after
// scaling; each of the pooled_shape bins takes the max of its pixels (0 for an empty bin).
class MaxRoiPoolKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(pooled_, node.RequiredAttr<std::vector<int64_t>>("pooled_shape"));
    if (pooled_.size() != 2 || pooled_[0] <= 0 || pooled_[1] <= 0)
      return Status::InvalidArgument(node.Describe() + ": pooled_shape must be two positive ints");
    spatial_scale_ = node.Attr<float>("spatial_scale", 1.f);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    PL_RETURN_IF_ERROR(CheckX(node, x));
    const Tensor* rois = ctx.Input(1);
    if (!rois) return MissingInput(node, 1);
    if (rois->dtype() != x->dtype() || rois->rank() != 2 || rois->dim(1) != 5)
      return Status::InvalidArgument(me + ": rois " + DataTypeName(rois->dtype()) + " " + ShapeToString(rois->shape()) +
                                     ", expected X's dtype and shape [num_rois, 5]");
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), num = rois->dim(0);
    const int64_t phs = pooled_[0], pws = pooled_[1];
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {num, c, phs, pws}, x->dtype()));
    return Dispatch(TypeList<float, double>{}, x->dtype(), node, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* rd = rois->Data<T>();
      for (int64_t r = 0; r < num; ++r) {
        const T* roi = rd + r * 5;
        const double bd = static_cast<double>(roi[0]);
        const int64_t b = static_cast<int64_t>(bd);
        if (!(bd >= 0 && bd < static_cast<double>(n)))
          return Status::InvalidArgument(me + ": batch index " + std::to_string(bd) + " of roi " + std::to_string(r) +
                                         " outside [0, " + std::to_string(n) + ")");
        auto px = [&](T v) { return SaturatingInt64(std::round(static_cast<double>(v) * spatial_scale_)); };
        const int64_t xs = px(roi[1]), ys = px(roi[2]), xe = px(roi[3]), ye = px(roi[4]);
        // In double: saturated corners of a huge ROI would overflow int64 arithmetic.
        const double bin_h = std::max(static_cast<double>(ye) - static_cast<double>(ys) + 1, 1.0) / phs;
        const double bin_w = std::max(static_cast<double>(xe) - static_cast<double>(xs) + 1, 1.0) / pws;
        for (int64_t ch = 0; ch < c; ++ch) {
          const T* plane = x->Data<T>() + (b * c + ch) * h * w;
          T* out = y->MutableData<T>() + (r * c + ch) * phs * pws;
          for (int64_t ph = 0; ph < phs; ++ph)
            for (int64_t pw = 0; pw < pws; ++pw) {
              auto clampi = [](double v, int64_t hi) {
                return static_cast<int64_t>(std::min(std::max(v, 0.0), static_cast<double>(hi)));
              };
              const int64_t h0 = clampi(std::floor(ph * bin_h) + static_cast<double>(ys), h);
              const int64_t h1 = clampi(std::ceil((ph + 1) * bin_h) + static_cast<double>(ys), h);
              const int64_t w0 = clampi(std::floor(pw * bin_w) + static_cast<double>(xs), w);
              const int64_t w1 = clampi(std::ceil((pw + 1) * bin_w) + static_cast<double>(xs), w);
              T m = 0;
              if (h1 > h0 && w1 > w0) {
                m = plane[h0 * w + w0];
                for (int64_t i = h0; i < h1; ++i)
                  for (int64_t j = w0; j < w1; ++j) m = std::max(m, plane[i * w + j]);
              }
              out[ph * pws + pw] = m;
            }
        }
      }
      return Status::Ok();
    });
  }

 private:
  std::vector<int64_t> pooled_;
  float spatial_scale_ = 1.f;
};

}  // namespace

void RegisterRoi(KernelRegistry& r) {
  Add<RoiAlignKernel>(r, RefDef("RoiAlign").Opset(10).Types<float, double>());
  Add<MaxRoiPoolKernel>(r, RefDef("MaxRoiPool").Opset(1).Types<float, double>());
}

}  // namespace pl::cpu_ref
