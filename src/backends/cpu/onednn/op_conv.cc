// oneDNN Conv (opset 1+) and ConvTranspose (opset 1+), float32, 1-3 spatial dims, grouped,
// depthwise, dilated, strided, padded (explicit or auto_pad), optional bias, fused post-ops.
// Weights must be constant: they are reordered once, at compile time, into the layout the
// primitive prefers, and shared by every clone.
#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

#include <omp.h>

#include "src/backends/cpu/onednn/op.h"
#include "src/core/alloc.h"
#include "src/backends/cpu/ref/gemm.h"

namespace pl::onednn {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;

// Activations in the layout oneDNN prefers for the primitive (nhwc for brgconv on AVX-512 cores;
// measured: forcing nChw16c everywhere wins on depthwise layers but loses more on the dense 3x3
// ones and sends padded-channel tensors to reference kernels elsewhere).
Md AnyMd(const Dims& dims) { return Md(dims, memory::data_type::f32, memory::format_tag::any); }

// Below AVX-512, oneDNN 2.6 picks nChw8c for most convolutions, and then runs the broadcast
// multiplies of squeeze-excitation blocks, nearest upsampling and channel Concats through generic
// kernels or extra copies. Its AVX2 kernels take nhwc as fast (measured on PP-OCR det/rec/cls
// at ONEDNN_MAX_CPU_ISA=AVX2: same latency within noise, 28.7 -> 20.4 MB per det clone), so
// there every 2-D convolution's activations are channels-last, as brgconv chooses on AVX-512, and
// the region planner's in-place forms work the same at every ISA. `any` stays the fallback where
// the channels-last primitive would be slow.
bool ChannelsLastActivations() {
  static const bool on = [] {
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    return !(isa == dnnl::cpu_isa::avx512_core || isa == dnnl::cpu_isa::avx512_core_vnni ||
             isa == dnnl::cpu_isa::avx512_core_bf16 || isa == dnnl::cpu_isa::avx512_core_amx ||
             isa == dnnl::cpu_isa::avx512_mic || isa == dnnl::cpu_isa::avx512_mic_4ops);
  }();
  return on;
}
Md ActMd(const Dims& dims) {
  if (ChannelsLastActivations() && dims.size() == 4) return Md(dims, memory::data_type::f32, memory::format_tag::acdb);
  return AnyMd(dims);
}

// Geometry of one convolution for one input shape.
struct Geometry {
  Dims src, dst, strides, dilates, pad_l, pad_r;  // dilates in oneDNN's convention (d - 1)
};

class ConvBase : public Op {
 public:
  size_t SharedBytes() const override {
    if (shuffle_)
      return in_c_ * out_c_ * kernel_[0] * kernel_[1] * 4 * (narrow_w_ ? 2 : 1) + (shuffle_b_ ? kernel_[0] * kernel_[1] * out_c_ * 4 : 0);
    return wmd_.get_size() + (has_bias_ ? bmd_.get_size() : 0);
  }

 protected:
  Status ParseAttrs(const NodeInfo& node, bool transpose) {
    transpose_ = transpose;
    PL_RETURN_IF_ERROR(InitCommon(node, 3));
    const Tensor* w = node.ConstantInput(1);
    if (!node.HasInput(0) || !node.HasInput(1)) return Status::ModelError(describe_ + ": needs inputs X and W");
    if (!w) return Status::Unimplemented(describe_ + ": oneDNN needs constant weights");
    if (w->dtype() != DataType::kFloat32) return Status::Unimplemented(describe_ + ": float32 weights only");
    w_ = w;
    w_shape_ = w->shape();
    const int rank = static_cast<int>(w_shape_.size());
    if (rank < 3 || rank > 5)
      return Status::Unimplemented(describe_ + ": weight rank " + std::to_string(rank) + " (oneDNN: 1-3 spatial dims)");
    sp_ = rank - 2;
    group_ = node.Attr<int64_t>("group", 1);
    if (group_ < 1) return Status::ModelError(describe_ + ": group must be >= 1");
    auto_pad_ = node.Attr<std::string>("auto_pad", "NOTSET");
    if (auto_pad_ != "NOTSET" && auto_pad_ != "SAME_UPPER" && auto_pad_ != "SAME_LOWER" && auto_pad_ != "VALID")
      return Status::ModelError(describe_ + ": unknown auto_pad '" + auto_pad_ + "'");
    kernel_ = node.Attr<std::vector<int64_t>>("kernel_shape", Shape(w_shape_.begin() + 2, w_shape_.end()));
    strides_ = node.Attr<std::vector<int64_t>>("strides", std::vector<int64_t>(sp_, 1));
    dilations_ = node.Attr<std::vector<int64_t>>("dilations", std::vector<int64_t>(sp_, 1));
    pads_ = node.Attr<std::vector<int64_t>>("pads", std::vector<int64_t>(2 * sp_, 0));
    output_padding_ = node.Attr<std::vector<int64_t>>("output_padding", std::vector<int64_t>(sp_, 0));
    output_shape_ = node.Attr<std::vector<int64_t>>("output_shape", {});
    if (static_cast<int>(kernel_.size()) != sp_ || static_cast<int>(strides_.size()) != sp_ ||
        static_cast<int>(dilations_.size()) != sp_ || static_cast<int>(pads_.size()) != 2 * sp_ ||
        static_cast<int>(output_padding_.size()) != sp_)
      return Status::ModelError(describe_ + ": kernel_shape/strides/dilations/pads do not match the weight rank");
    for (int i = 0; i < sp_; ++i) {
      if (kernel_[i] != w_shape_[2 + i]) return Status::ModelError(describe_ + ": kernel_shape differs from the weight shape");
      if (strides_[i] < 1 || dilations_[i] < 1) return Status::ModelError(describe_ + ": strides and dilations must be >= 1");
      if (pads_[i] < 0 || pads_[sp_ + i] < 0) return Status::ModelError(describe_ + ": negative pads");
      if (output_padding_[i] < 0 || (transpose && output_padding_[i] >= std::max(strides_[i], dilations_[i])))
        return Status::ModelError(describe_ + ": output_padding must be in [0, max(stride, dilation))");
    }
    if (!output_shape_.empty() && static_cast<int>(output_shape_.size()) != sp_ &&
        static_cast<int>(output_shape_.size()) != sp_ + 2)
      return Status::ModelError(describe_ + ": output_shape must have one entry per spatial dim");
    if (output_shape_.size() == static_cast<size_t>(sp_ + 2)) output_shape_.erase(output_shape_.begin(), output_shape_.begin() + 2);
    // Channels: Conv W is [M, C/g, k..]; ConvTranspose W is [C, M/g, k..].
    if (transpose) {
      if (w_shape_[0] % group_ != 0) return Status::ModelError(describe_ + ": weight dim 0 not divisible by group");
      in_c_ = w_shape_[0];
      out_c_ = w_shape_[1] * group_;
    } else {
      if (w_shape_[0] % group_ != 0) return Status::ModelError(describe_ + ": output channels not divisible by group");
      in_c_ = w_shape_[1] * group_;
      out_c_ = w_shape_[0];
    }
    if (HasOwnInput(node, 2)) {
      const Tensor* b = node.ConstantInput(2);
      if (!b) return Status::Unimplemented(describe_ + ": oneDNN needs a constant bias");
      if (b->dtype() != DataType::kFloat32 || b->NumElements() != out_c_)
        return Status::ModelError(describe_ + ": bias must be float32 with " + std::to_string(out_c_) + " values");
      has_bias_ = true;
      bmd_ = Md({out_c_}, memory::data_type::f32, memory::format_tag::a);
      bias_ = internal::AlignedBufferOrThrow(out_c_ * 4, fault_injection::Site::kWeights);
      std::memcpy(bias_.get(), b->RawData(), out_c_ * 4);
    }
    w_user_md_ = UserWeightsMd();
    if (transpose && PrepareShuffle()) return Status::Ok();
    // Prepare the weights for a representative input; plans whose primitive wants another layout
    // reorder privately (rare: the preferred layout depends on channels, not on spatial size).
    Shape x(2 + sp_, 1);
    x[1] = in_c_;
    for (int i = 0; i < sp_; ++i) x[2 + i] = std::max<int64_t>(32, (kernel_[i] - 1) * dilations_[i] + 1);
    auto geo = ComputeGeometry(x);
    if (!geo.ok()) return Status::Unimplemented(describe_ + ": " + geo.status().message());
    Md wmd;
    Status s = Guard(describe_, [&] {
      const Md wany(WeightDims(), memory::data_type::f32, memory::format_tag::any);
      auto pd = MakePd(*geo, ActMd(geo->src), wany, ActMd(geo->dst), ScratchpadAttr());
      if (IsSlowImpl(pd.impl_info_str())) pd = MakePd(*geo, AnyMd(geo->src), wany, AnyMd(geo->dst), ScratchpadAttr());
      wmd = pd.weights_desc();
    });
    if (!s.ok()) return Status::Unimplemented(s.message());
    wmd_ = wmd;
    weights_ = internal::AlignedBufferOrThrow(wmd_.get_size(), fault_injection::Site::kWeights);
    return Guard(describe_ + ": weight reorder", [&] {
      dnnl::stream st(Engine());
      memory src(w_user_md_, Engine(), const_cast<void*>(w_->RawData()));
      memory dst(wmd_, Engine(), weights_.get());
      dnnl::reorder(src, dst).execute(st, src, dst);
      st.wait();
    });
  }

  // oneDNN's weight dims: [O, I, k..] or [G, O/G, I/G, k..] (deconvolution: O/I of its output/input).
  Dims WeightDims() const {
    Dims d;
    if (group_ > 1) d.push_back(group_);
    d.push_back(out_c_ / group_);
    d.push_back(in_c_ / group_);
    for (int i = 0; i < sp_; ++i) d.push_back(kernel_[i]);
    return d;
  }

  // The ONNX weight tensor described in oneDNN's dims (a strided view, no copy).
  Md UserWeightsMd() const {
    Dims dims = WeightDims();
    int64_t k = 1;
    for (int i = 0; i < sp_; ++i) k *= kernel_[i];
    const int64_t og = out_c_ / group_, ig = in_c_ / group_;
    Dims strides;
    // Conv W: [G*O/G][I/G][k]; ConvTranspose W: [G*I/G][O/G][k].
    const int64_t so = transpose_ ? k : ig * k, si = transpose_ ? og * k : k;
    if (group_ > 1) strides.push_back(og * ig * k);
    strides.push_back(so);
    strides.push_back(si);
    int64_t s = 1;
    Dims ks(sp_);
    for (int i = sp_ - 1; i >= 0; --i) {
      ks[i] = s;
      s *= kernel_[i];
    }
    strides.insert(strides.end(), ks.begin(), ks.end());
    return Md(dims, memory::data_type::f32, strides);
  }

  StatusOr<Geometry> ComputeGeometry(const Shape& x) const {
    if (static_cast<int>(x.size()) != sp_ + 2)
      return Status::InvalidArgument(describe_ + ": input rank " + std::to_string(x.size()) + ", expected " +
                                     std::to_string(sp_ + 2));
    if (x[1] != in_c_)
      return Status::InvalidArgument(describe_ + ": input has " + std::to_string(x[1]) + " channels, the weights expect " +
                                     std::to_string(in_c_));
    Geometry g;
    g.src = ToDims(x);
    g.dst = {x[0], out_c_};
    for (int i = 0; i < sp_; ++i) {
      const int64_t in = x[2 + i], k = (kernel_[i] - 1) * dilations_[i] + 1, s = strides_[i];
      int64_t pb = pads_[i], pe = pads_[sp_ + i], out;
      if (!transpose_) {
        if (auto_pad_ == "VALID") {
          pb = pe = 0;
        } else if (auto_pad_ != "NOTSET") {
          out = (in + s - 1) / s;
          int64_t total = std::max<int64_t>(0, (out - 1) * s + k - in);
          pb = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
          pe = total - pb;
        }
        if (in + pb + pe < k) return Status::InvalidArgument(describe_ + ": input spatial dim " + std::to_string(in) + " is smaller than the kernel");
        out = (in + pb + pe - k) / s + 1;
      } else {
        int64_t target = -1;
        if (!output_shape_.empty()) target = output_shape_[i];
        else if (auto_pad_ == "SAME_UPPER" || auto_pad_ == "SAME_LOWER") target = in * s;
        if (target >= 0) {
          int64_t total = s * (in - 1) + output_padding_[i] + k - target;
          if (auto_pad_ == "SAME_UPPER") { pb = total / 2; pe = total - pb; }
          else { pb = total - total / 2; pe = total / 2; }
        } else if (auto_pad_ == "VALID") {
          pb = pe = 0;
        }
        out = s * (in - 1) + output_padding_[i] + k - pb - pe;
        pe -= output_padding_[i];  // oneDNN: extra output rows are negative right padding
      }
      if (out <= 0) return Status::InvalidArgument(describe_ + ": output spatial dim would be " + std::to_string(out));
      g.dst.push_back(out);
      g.strides.push_back(s);
      g.dilates.push_back(dilations_[i] - 1);
      g.pad_l.push_back(pb);
      g.pad_r.push_back(pe);
    }
    return g;
  }

  // Primitive descriptor of this op (convolution or deconvolution).
  dnnl::primitive_desc MakePd(const Geometry& g, const Md& src, const Md& wei, const Md& dst,
                              const dnnl::primitive_attr& attr) const {
    const Md bias = has_bias_ ? bmd_ : Md();
    if (transpose_) {
      dnnl::deconvolution_forward::desc d(prop_kind::forward_inference, algorithm::deconvolution_direct, src, wei, bias,
                                          dst, g.strides, g.dilates, g.pad_l, g.pad_r);
      return dnnl::deconvolution_forward::primitive_desc(d, attr, Engine());
    }
    dnnl::convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, src, wei, bias, dst,
                                      g.strides, g.dilates, g.pad_l, g.pad_r);
    return dnnl::convolution_forward::primitive_desc(d, attr, Engine());
  }

 public:
  // ConvTranspose whose kernel equals its stride (no padding, dilation, groups): the windows do
  // not overlap, so it is a matmul whose output rows are disjoint blocks of the output, then a
  // scatter. oneDNN's deconvolution is ~40x slower on PaddleOCR's det head. Two forms, by what
  // measured fastest:
  //  * wide (KW * M >= 16): nhwc, [N*H*W, C] x [C, KH*KW*M] (a oneDNN matmul with the bias and
  //    element-wise post-ops fused); each temporary row is a KH x KW block of output pixels;
  //  * narrow (KW * M < 16, M = 1 say, on a plain input): Wt [KH*KW*M, C] x X [C, H*W] per image
  //    with the reference backend's Sgemm (oneDNN's matmul repacks the big run-time operand on
  //    every call and has only a reference kernel for a per-row bias); each temporary row is one
  //    (m, kh, kw) phase. Inside a region, where the input comes nhwc, the wide form measured
  //    faster than a reorder to plain followed by the narrow one.
  bool PrepareShuffle() {
    if (sp_ != 2 || group_ != 1 || !output_shape_.empty() || (auto_pad_ != "NOTSET" && auto_pad_ != "VALID")) return false;
    for (int i = 0; i < sp_; ++i)
      if (kernel_[i] != strides_[i] || dilations_[i] != 1 || output_padding_[i] != 0 || pads_[i] != 0 || pads_[sp_ + i] != 0)
        return false;
    const int64_t C = in_c_, M = out_c_, KH = kernel_[0], KW = kernel_[1], R = M * KH * KW;
    auto alloc = [](int64_t floats) {
      return internal::AlignedBufferOrThrow(floats * 4 + 64, fault_injection::Site::kWeights);
    };
    shuffle_w_ = alloc(R * C);
    if (KW * M < 16) narrow_w_ = alloc(R * C);
    float* w = static_cast<float*>(shuffle_w_.get());
    float* wt = static_cast<float*>(narrow_w_.get());
    const float* src = w_->Data<float>();  // [C, M, KH, KW]
    for (int64_t c = 0; c < C; ++c)
      for (int64_t m = 0; m < M; ++m)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw) {
            const float v = src[((c * M + m) * KH + kh) * KW + kw];
            w[c * R + (kh * KW + kw) * M + m] = v;                    // W[c][(kh, kw, m)]
            if (wt) wt[((m * KH + kh) * KW + kw) * C + c] = v;        // Wt[(m, kh, kw)][c]
          }
    if (has_bias_) {
      shuffle_b_ = alloc(R);
      for (int64_t r = 0; r < KH * KW; ++r) std::memcpy(static_cast<float*>(shuffle_b_.get()) + r * M, bias_.get(), M * 4);
    }
    shuffle_ = true;
    return true;
  }

  Status PlanShuffle(PlanBuilder& b) const {
    const Shape& x = b.InShape(0);
    if (x.size() != 4 || x[1] != in_c_)
      return Status::InvalidArgument(describe_ + ": input " + ShapeToString(x) + " does not match the weights");
    const int64_t N = x[0], C = in_c_, H = x[2], W = x[3], M = out_c_, KH = kernel_[0], KW = kernel_[1];
    const int64_t OH = H * KH, OW = W * KW, R = M * KH * KW, HW = H * W;
    const Shape out = {N, M, OH, OW};
    using T = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    if (narrow_w_ && IsPlain(b.InMd(0))) {
      PL_ASSIGN_OR_RETURN(memory src, b.In(0, PlainMd(x)));
      PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, out, PlainMd(out)));
      memory tmp = b.Temp(PlainMd({N, R, HW}));
      const float* wt = static_cast<const float*>(narrow_w_.get());
      const float* bias = has_bias_ ? static_cast<const float*>(bias_.get()) : nullptr;
      b.Custom(
          [src, tmp, dst, wt, bias, N, C, M, H, W, KH, KW, OH, OW, R, HW]() {
            const float* xs = static_cast<const float*>(src.get_data_handle());
            float* t = static_cast<float*>(tmp.get_data_handle());
            float* y = static_cast<float*>(dst.get_data_handle());
            const int threads = omp_get_max_threads();  // the predictor's intra-op threads
            for (int64_t n = 0; n < N; ++n)
              cpu_ref::Sgemm(false, false, R, HW, C, 1.f, wt, C, xs + n * C * HW, HW, 0.f, t + n * R * HW, HW, threads);
            // Output row (m, ih*KH + kh) interleaves the KW phase rows (m, kh, kw) of row ih.
#pragma omp parallel for collapse(2)
            for (int64_t n = 0; n < N; ++n)
              for (int64_t m = 0; m < M; ++m) {
                const float bm = bias ? bias[m] : 0.f;
                for (int64_t ih = 0; ih < H; ++ih)
                  for (int64_t kh = 0; kh < KH; ++kh) {
                    float* row = y + ((n * M + m) * OH + ih * KH + kh) * OW;
                    const float* phase = t + (n * R + (m * KH + kh) * KW) * HW + ih * W;
                    for (int64_t iw = 0; iw < W; ++iw)
                      for (int64_t kw = 0; kw < KW; ++kw) row[iw * KW + kw] = phase[kw * HW + iw] + bm;
                  }
              }
          },
          {src, tmp, dst}, 2.0 * static_cast<double>(N) * R * HW * C);
      const std::vector<PostOp> post = AllPostOps(b);
      if (!post.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, MergeLinear(post), out, dst));
      return Status::Ok();
    }
    // wide: [N*H*W, C] x [C, KH*KW*M] -> temporary [N*H*W, KH*KW*M], nhwc in and out. The
    // temporary is as big as the output, so big maps run in chunks of input rows (n, ih) through
    // a temporary of about kChunkBytes: the output is the only full-size buffer.
    constexpr int64_t kChunkBytes = 1 << 20;
    const int64_t NH = N * H, row_bytes = W * R * 4;
    const int64_t G = std::min<int64_t>(NH, std::max<int64_t>(1, kChunkBytes / std::max<int64_t>(1, row_bytes)));
    const int64_t tail = NH % G;
    const Md wmd({C, R}, f32, T::ab);
    const Md bmd({1, R}, f32, T::ab);
    // Element-wise post-ops ride on the matmul; binary ones (in the output's layout) come after.
    std::vector<PostOp> eltwise, rest;
    for (const PostOp& p : AllPostOps(b)) (rest.empty() && p.kind == PostOp::Kind::kEltwise ? eltwise : rest).push_back(p);
    std::vector<PostOp> separate;
    auto make_pd = [&](int64_t rows, std::vector<PostOp>* sep) {
      const Md a({rows * W, C}, f32, T::ab), d({rows * W, R}, f32, T::ab);
      std::unordered_map<int, memory> unused;
      return MakeWithPostOps<dnnl::matmul::primitive_desc>(
          b, eltwise, Shape{rows * W, R}, d,
          [&](const dnnl::primitive_attr& at) {
            if (has_bias_) return dnnl::matmul::primitive_desc({a, wmd, bmd, d}, at, Engine());
            return dnnl::matmul::primitive_desc({a, wmd, d}, at, Engine());
          },
          &unused, sep);
    };
    PL_ASSIGN_OR_RETURN(auto pd, make_pd(G, &separate));
    dnnl::matmul::primitive_desc pd_tail;
    if (tail > 0) {
      std::vector<PostOp> sep_tail;
      PL_ASSIGN_OR_RETURN(pd_tail, make_pd(tail, &sep_tail));
      if (sep_tail.size() != separate.size()) return Status::Unimplemented(describe_ + ": post-ops differ between chunks");
    }
    // Post-ops oneDNN would not fuse run on the output afterwards (element-wise: same result).
    rest.insert(rest.begin(), separate.begin(), separate.end());
    PL_ASSIGN_OR_RETURN(memory src, b.In(0, Md(ToDims(x), f32, T::acdb)));
    PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, out, Md(ToDims(out), f32, T::acdb)));
    const Md tmp_md({G * W, R}, f32, T::ab);
    memory tmp = b.Temp(tmp_md);
    const Md pad_md = pd.scratchpad_desc().get_size() >= (tail > 0 ? pd_tail.scratchpad_desc().get_size() : 0)
                          ? pd.scratchpad_desc() : pd_tail.scratchpad_desc();
    memory pad = pad_md.get_size() > 0 ? b.Temp(pad_md) : memory();
    const memory wmem = b.Fixed(wmd, shuffle_w_.get());
    const memory bmem = has_bias_ ? b.Fixed(bmd, shuffle_b_.get()) : memory();
    const Md a_full({G * W, C}, f32, T::ab), a_tail({std::max<int64_t>(tail, 1) * W, C}, f32, T::ab);
    const Md d_tail({std::max<int64_t>(tail, 1) * W, R}, f32, T::ab);
    // Per chunk size (full, last): primitive, views and argument map, built now; at run time
    // only the input view's data handle moves.
    struct Prepared {
      dnnl::matmul prim;
      memory src, tmp;
      std::unordered_map<int, memory> args;
    };
    auto prepare = [&](const dnnl::matmul::primitive_desc& p, const Md& a, const Md& d) {
      Prepared q{dnnl::matmul(p), memory(a, Engine(), DNNL_MEMORY_NONE), memory(d, Engine(), DNNL_MEMORY_NONE), {}};
      q.args = {{DNNL_ARG_SRC, q.src}, {DNNL_ARG_WEIGHTS, wmem}, {DNNL_ARG_DST, q.tmp}};
      if (bmem) q.args[DNNL_ARG_BIAS] = bmem;
      if (pad) q.args[DNNL_ARG_SCRATCHPAD] = pad;
      return q;
    };
    const Prepared full = prepare(pd, a_full, tmp_md);
    const Prepared last = tail > 0 ? prepare(pd_tail, a_tail, d_tail) : full;
    const int64_t row = KW * M;  // temporary row (n, ih, iw) = KH rows of KW*M output values
    dnnl::stream stream(Engine());
    b.Custom(
        [=]() mutable {  // mutable: stream.wait() is not const
          const float* xs = static_cast<const float*>(src.get_data_handle());
          float* y = static_cast<float*>(dst.get_data_handle());
          float* t = static_cast<float*>(tmp.get_data_handle());
          for (int64_t r0 = 0; r0 < NH; r0 += G) {
            const int64_t rows = std::min(G, NH - r0);
            const Prepared& chunk = rows == G ? full : last;
            chunk.src.set_data_handle(const_cast<float*>(xs + r0 * W * C));
            chunk.tmp.set_data_handle(t);
            chunk.prim.execute(stream, chunk.args);
            stream.wait();
            // Scatter: input row (n, ih) covers output rows ih*KH .. ih*KH + KH - 1.
#pragma omp parallel for collapse(2)
            for (int64_t q = 0; q < rows; ++q)
              for (int64_t kh = 0; kh < KH; ++kh) {
                const int64_t nh = r0 + q;  // = n * H + ih
                float* out_row = y + (nh * KH + kh) * OW * M;
                const float* in = t + q * W * KH * row + kh * row;
                for (int64_t iw = 0; iw < W; ++iw)
                  std::memcpy(out_row + iw * row, in + iw * KH * row, static_cast<size_t>(row) * sizeof(float));
              }
          }
        },
        pad ? std::vector<memory>{src, dst, tmp, pad} : std::vector<memory>{src, dst, tmp},
        2.0 * static_cast<double>(NH) * W * C * R);
    if (!rest.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, rest, out, dst));
    return Status::Ok();
  }

  // This 1x1 Conv with a depthwise 3x3 Conv fused as oneDNN's depthwise post-op: the 1x1 output
  // is produced a few rows at a time inside the primitive, never stored whole (PaddleOCR det's
  // stem keeps 13 MB per predictor otherwise). Only the jit kernel that really fuses is taken:
  // the reference fallback would materialize the 1x1 output in its scratchpad.
  Status PlanWithDepthwise(PlanBuilder& b, const ConvBase& dw) const {
    const std::string why = describe_ + " + " + dw.describe_ + ": no depthwise fusion";
    auto all_eltwise = [](const std::vector<PostOp>& ops) {
      for (const PostOp& p : ops)
        if (p.kind != PostOp::Kind::kEltwise) return false;
      return true;
    };
    if (transpose_ || dw.transpose_ || sp_ != 2 || dw.sp_ != 2 || group_ != 1 || auto_pad_ != "NOTSET" ||
        dw.auto_pad_ != "NOTSET" || !b.ExtraPostOps().empty())
      return Status::Unimplemented(why);
    for (int i = 0; i < 2; ++i)
      if (kernel_[i] != 1 || strides_[i] != 1 || dilations_[i] != 1 || pads_[i] != 0 || pads_[2 + i] != 0)
        return Status::Unimplemented(why);
    const int64_t ds = dw.strides_[0];
    if (dw.in_c_ != out_c_ || dw.out_c_ != out_c_ || dw.group_ != out_c_ || dw.kernel_[0] != 3 || dw.kernel_[1] != 3 ||
        dw.strides_[1] != ds || (ds != 1 && ds != 2))
      return Status::Unimplemented(why);
    for (int i = 0; i < 2; ++i)
      if (dw.dilations_[i] != 1 || dw.pads_[i] != 1 || dw.pads_[2 + i] != 1) return Status::Unimplemented(why);
    const std::vector<PostOp> own = MergeLinear(post_ops_), after = MergeLinear(dw.post_ops_);
    if (!all_eltwise(own) || !all_eltwise(after) || FusablePrefix(own) != own.size() || FusablePrefix(after) != after.size())
      return Status::Unimplemented(why);
    const Shape& x = b.InShape(0);
    PL_ASSIGN_OR_RETURN(Geometry g, ComputeGeometry(x));
    // ONNX: out = (in + 2 - 3) / s + 1 = ceil(in / s), what oneDNN's fused kernel produces.
    const Shape dst_shape = {x[0], out_c_, (g.dst[2] + ds - 1) / ds, (g.dst[3] + ds - 1) / ds};
    dnnl::primitive_attr attr = ScratchpadAttr();
    dnnl::post_ops po;
    AppendEltwise(&po, own);
    const auto f32 = memory::data_type::f32;
    po.append_dw(f32, dw.has_bias_ ? f32 : memory::data_type::undef, f32, 3, ds, 1, 0, {});
    AppendEltwise(&po, after);
    attr.set_post_ops(po);
    dnnl::primitive_desc pd;
    Md dw_wmd, dw_bmd;
    PL_RETURN_IF_ERROR(Guard(why, [&] {
      const Md wany(WeightDims(), f32, memory::format_tag::any);
      pd = MakePd(g, AnyMd(g.src), wany, AnyMd(g.dst), attr);
      dw_wmd = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS);
      dw_bmd = pd.query_md(dnnl::query::exec_arg_md, DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS);
    }));
    const DwFusion mode = b.dw_fusion();
    // Channels-last below AVX-512: oneDNN 2.6's fused 1x1 + depthwise kernels there are
    // blocked-only (given nhwc they compute wrong values), so those maps take the row bands.
    if (IsRefImpl(pd.impl_info_str()) || mode == DwFusion::kBands || (ChannelsLastActivations() && mode != DwFusion::kOneDnn)) {
      // oneDNN keeps its fused kernel for shapes its heuristics like (big maps on AVX-512 here);
      // where it declines, a big 1x1 output goes through row bands instead.
      if (mode == DwFusion::kBands || (mode == DwFusion::kAuto && ShapeNumElements({x[0], out_c_, x[2], x[3]}) * 4 >= kBandedMinBytes))
        return PlanBandedDepthwise(b, dw, own, after, dst_shape);
      return Status::Unimplemented(why + " (" + pd.impl_info_str() + ")");
    }
    if (ToDims(dst_shape) != pd.dst_desc().dims()) return Status::Unimplemented(why + ": output size");
    std::unordered_map<int, memory> args;
    PL_ASSIGN_OR_RETURN(args[DNNL_ARG_SRC], b.In(0, pd.src_desc()));
    PL_ASSIGN_OR_RETURN(memory w, WeightsFor(b, pd.weights_desc()));
    args[DNNL_ARG_WEIGHTS] = w;
    if (has_bias_) args[DNNL_ARG_BIAS] = b.Fixed(bmd_, bias_.get());
    // The depthwise weights in the kernel's layout, reordered once per plan (C x 9 floats).
    PL_ASSIGN_OR_RETURN(args[DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS], b.Constant(dw.w_user_md_, dw.w_->RawData(), dw_wmd));
    if (dw.has_bias_) args[DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS] = b.Fixed(dw_bmd, dw.bias_.get());
    PL_ASSIGN_OR_RETURN(args[DNNL_ARG_DST], b.Out(0, dst_shape, pd.dst_desc()));
    b.Step(dnnl::primitive(pd), std::move(args), pd.scratchpad_desc());
    return Status::Ok();
  }

  // 1x1 outputs smaller than this are stored whole when oneDNN has no fused kernel (banding costs
  // a few primitive calls and recomputed halo rows; below this the bytes are not worth it).
  static constexpr int64_t kBandedMinBytes = 4 << 20;
  // Rows of the 1x1 output computed per band: about this many bytes.
  static constexpr int64_t kBandBytes = 1 << 20;

  // 1x1 + depthwise 3x3 (stride 1 or 2, pads 1) through bands of output rows, channels-last:
  // per image and band, the 1x1 runs on the input rows the band needs (one halo row each side)
  // into a band-sized temporary, and the depthwise conv reads it, with oneDNN's padding only at
  // the image's top and bottom. One primitive per band kind (first, middle, last; whole when one
  // band covers the image), made at plan time; the temporary is the only extra memory.
  Status PlanBandedDepthwise(PlanBuilder& b, const ConvBase& dw, const std::vector<PostOp>& own,
                             const std::vector<PostOp>& after, const Shape& dst_shape) const {
    using T = memory::format_tag;
    const auto f32 = memory::data_type::f32;
    const std::string what = describe_ + " + " + dw.describe_ + " (row bands)";
    const Shape& x = b.InShape(0);
    const int64_t N = x[0], C = in_c_, H = x[2], W = x[3], M = out_c_, S = dw.strides_[0];
    const int64_t OH = dst_shape[2], OW = dst_shape[3];
    // Output rows per band so that the 1x1 band (ob * S + 2 rows) is about kBandBytes.
    const int64_t row_bytes = W * M * 4;
    const int64_t ob = std::max<int64_t>(1, std::min<int64_t>(OH, (kBandBytes / row_bytes - 2) / S));
    struct Kind {
      int64_t rows_in = 0, pad_t = 0, pad_b = 0, out_rows = 0;
      dnnl::convolution_forward::primitive_desc pw, dwc;
    };
    // The band of output rows [o0, o0 + n): input rows [o0*S - 1, (o0+n-1)*S + 1] clipped to [0, H).
    auto band = [&](int64_t o0, int64_t n, int64_t* r0) {
      const int64_t lo = o0 * S - 1, hi = (o0 + n - 1) * S + 1;
      Kind k;
      *r0 = std::max<int64_t>(lo, 0);
      const int64_t r1 = std::min<int64_t>(hi, H - 1);
      k.rows_in = r1 - *r0 + 1;
      k.pad_t = *r0 - lo;
      k.pad_b = hi - r1;
      k.out_rows = n;
      return k;
    };
    auto eltwise_attr = [&](const std::vector<PostOp>& ops) {
      dnnl::primitive_attr a = ScratchpadAttr();
      dnnl::post_ops po;
      AppendEltwise(&po, ops);
      a.set_post_ops(po);
      return a;
    };
    auto make = [&](Kind* k) {
      return Guard(what, [&] {
        const Md src({1, C, k->rows_in, W}, f32, T::acdb), mid({1, M, k->rows_in, W}, f32, T::acdb);
        const Md out({1, M, k->out_rows, OW}, f32, T::acdb);
        dnnl::convolution_forward::desc pw_d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                             Md(WeightDims(), f32, T::any), has_bias_ ? bmd_ : Md(), mid, {1, 1}, {0, 0},
                                             {0, 0});
        k->pw = dnnl::convolution_forward::primitive_desc(pw_d, eltwise_attr(own), Engine());
        dnnl::convolution_forward::desc dw_d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, mid,
                                             Md(dw.WeightDims(), f32, T::any), dw.has_bias_ ? dw.bmd_ : Md(), out,
                                             {S, S}, {k->pad_t, 1}, {k->pad_b, 1});
        k->dwc = dnnl::convolution_forward::primitive_desc(dw_d, eltwise_attr(after), Engine());
      });
    };
    // Band kinds by first output row: 0, the middle ones, the last (possibly shorter) one.
    const int64_t nb = (OH + ob - 1) / ob;
    std::vector<int64_t> starts, kind_of;
    std::vector<Kind> kinds;
    std::vector<int64_t> in_start;
    std::map<std::tuple<int64_t, int64_t, int64_t, int64_t>, int64_t> seen;
    for (int64_t i = 0; i < nb; ++i) {
      const int64_t o0 = i * ob, n = std::min(ob, OH - o0);
      int64_t r0 = 0;
      Kind k = band(o0, n, &r0);
      const auto key = std::make_tuple(k.rows_in, k.pad_t, k.pad_b, k.out_rows);
      auto it = seen.find(key);
      if (it == seen.end()) {
        PL_RETURN_IF_ERROR(make(&k));
        if (IsSlowImpl(k.pw.impl_info_str()) || IsRefImpl(k.dwc.impl_info_str()))
          return Status::Unimplemented(what + ": no fast kernels (" + k.pw.impl_info_str() + ", " + k.dwc.impl_info_str() + ")");
        it = seen.emplace(key, static_cast<int64_t>(kinds.size())).first;
        kinds.push_back(k);
      }
      starts.push_back(o0);
      in_start.push_back(r0);
      kind_of.push_back(it->second);
    }
    // Weights in the layouts the kernels want (all band kinds agree on it in practice; checked).
    const Md pw_wmd = kinds[0].pw.weights_desc(), dw_wmd = kinds[0].dwc.weights_desc();
    size_t pad_bytes = 0, mid_rows = 0;
    for (const Kind& k : kinds) {
      if (!(k.pw.weights_desc() == pw_wmd) || !(k.dwc.weights_desc() == dw_wmd))
        return Status::Unimplemented(what + ": band kinds want different weight layouts");
      pad_bytes = std::max({pad_bytes, k.pw.scratchpad_desc().get_size(), k.dwc.scratchpad_desc().get_size()});
      mid_rows = std::max<size_t>(mid_rows, static_cast<size_t>(k.rows_in));
    }
    const Md act(ToDims(x), f32, T::acdb), out_md(ToDims(dst_shape), f32, T::acdb);
    PL_ASSIGN_OR_RETURN(memory src, b.In(0, act));
    PL_ASSIGN_OR_RETURN(memory pw_w, WeightsFor(b, pw_wmd));
    PL_ASSIGN_OR_RETURN(memory dw_w, b.Constant(dw.w_user_md_, dw.w_->RawData(), dw_wmd));
    memory mid = b.Temp(Md({1, M, static_cast<int64_t>(mid_rows), W}, f32, T::acdb));
    memory pad = pad_bytes > 0 ? b.Temp(Md({static_cast<int64_t>(pad_bytes)}, memory::data_type::u8, memory::format_tag::a)) : memory();
    PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, dst_shape, out_md));
    // Per band kind: its primitives and argument maps, built now; at run time only the data
    // handles of the band views move.
    struct Prepared {
      dnnl::convolution_forward pw, dwc;
      memory src, mid, out;  // views of the input rows, the temporary, the output rows
      std::unordered_map<int, memory> pw_args, dw_args;
    };
    std::vector<Prepared> prep;
    for (const Kind& k : kinds) {
      Prepared q{dnnl::convolution_forward(k.pw), dnnl::convolution_forward(k.dwc), memory(k.pw.src_desc(), Engine(), DNNL_MEMORY_NONE),
                 memory(k.pw.dst_desc(), Engine(), DNNL_MEMORY_NONE), memory(k.dwc.dst_desc(), Engine(), DNNL_MEMORY_NONE), {}, {}};
      q.pw_args = {{DNNL_ARG_SRC, q.src}, {DNNL_ARG_WEIGHTS, pw_w}, {DNNL_ARG_DST, q.mid}};
      q.dw_args = {{DNNL_ARG_SRC, q.mid}, {DNNL_ARG_WEIGHTS, dw_w}, {DNNL_ARG_DST, q.out}};
      if (has_bias_) q.pw_args[DNNL_ARG_BIAS] = b.Fixed(bmd_, bias_.get());
      if (dw.has_bias_) q.dw_args[DNNL_ARG_BIAS] = b.Fixed(dw.bmd_, dw.bias_.get());
      if (pad) q.pw_args[DNNL_ARG_SCRATCHPAD] = q.dw_args[DNNL_ARG_SCRATCHPAD] = pad;
      prep.push_back(std::move(q));
    }
    dnnl::stream stream(Engine());
    std::vector<memory> used = {src, mid, dst};
    if (pad) used.push_back(pad);
    b.Custom(
        [=]() mutable {  // mutable: stream.wait() is not const
          const float* xs = static_cast<const float*>(src.get_data_handle());
          float* ys = static_cast<float*>(dst.get_data_handle());
          void* t = mid.get_data_handle();
          for (int64_t n = 0; n < N; ++n)
            for (size_t i = 0; i < starts.size(); ++i) {
              const Prepared& q = prep[kind_of[i]];
              q.src.set_data_handle(const_cast<float*>(xs + ((n * H + in_start[i]) * W) * C));
              q.mid.set_data_handle(t);
              q.out.set_data_handle(ys + ((n * OH + starts[i]) * OW) * M);
              q.pw.execute(stream, q.pw_args);
              q.dwc.execute(stream, q.dw_args);
            }
          stream.wait();
        },
        used,
        // the 1x1 over the input map and the 3x3 depthwise over the output (halo rows not counted)
        2.0 * static_cast<double>(N) * H * W * M * C + 2.0 * static_cast<double>(N) * M * OH * OW * 9);
    return Status::Ok();
  }

  // This op's weights in layout `md`: the prepared ones, or a per-plan reorder.
  StatusOr<memory> WeightsFor(PlanBuilder& b, const Md& md) const {
    if (md == wmd_) return b.Fixed(wmd_, weights_.get());
    if (Verbose())
      std::fprintf(stderr, "[pl.onednn] %s: weights reordered per plan (%s vs prepared %s)\n", describe_.c_str(),
                   MdToString(md).c_str(), MdToString(wmd_).c_str());
    memory wei = b.Temp(md);
    memory user = b.Fixed(w_user_md_, w_->RawData());
    PL_RETURN_IF_ERROR(Guard(describe_, [&] {
      dnnl::reorder::primitive_desc rpd(Engine(), w_user_md_, Engine(), md, ScratchpadAttr());
      b.Step(dnnl::reorder(rpd), {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, wei}}, rpd.scratchpad_desc());
    }));
    return wei;
  }

  Status Plan(PlanBuilder& b) const override {
    if (const auto* dw = dynamic_cast<const ConvBase*>(b.FusedDepthwise())) {
      if (shuffle_) return Status::Unimplemented(describe_ + ": no depthwise fusion");
      return PlanWithDepthwise(b, *dw);
    }
    if (shuffle_) return PlanShuffle(b);
    PL_ASSIGN_OR_RETURN(Geometry g, ComputeGeometry(b.InShape(0)));
    Shape dst_shape(g.dst.begin(), g.dst.end());
    const Md wany(WeightDims(), memory::data_type::f32, memory::format_tag::any);
    // Layouts: oneDNN's choice; a plain output when only the outside reads it (saves a reorder).
    dnnl::primitive_desc pd0;
    Status s = Guard(describe_, [&] {
      const Md dst = ActMd(g.dst);
      auto fast = [&](const Md& src, const Md& d) {
        try {
          dnnl::primitive_desc p = MakePd(g, src, wany, d, ScratchpadAttr());
          if (!IsSlowImpl(p.impl_info_str())) {
            pd0 = p;
            return true;
          }
        } catch (const dnnl::error&) {
        }
        return false;
      };
      // A plain output when only the outside reads it (saves a reorder), if a fast kernel writes it.
      // (Taking the input's layout as it comes, instead of oneDNN's choice, measured no better.)
      if (b.PreferPlainOutput(0) && fast(ActMd(g.src), PlainMd(dst_shape))) return;
      if (fast(ActMd(g.src), dst)) return;
      pd0 = MakePd(g, AnyMd(g.src), wany, AnyMd(g.dst), ScratchpadAttr());
    });
    PL_RETURN_IF_ERROR(s);
    const Md src_md = pd0.src_desc(), wei_md = pd0.weights_desc(), dst_md = pd0.dst_desc();
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    PL_ASSIGN_OR_RETURN(dnnl::primitive_desc pd,
                        (MakeWithPostOps<dnnl::primitive_desc>(
                            b, dst_shape, dst_md, [&](const dnnl::primitive_attr& a) { return MakePd(g, src_md, wei_md, dst_md, a); },
                            &args, &separate)));
    PL_ASSIGN_OR_RETURN(memory src, b.In(0, pd.src_desc()));
    // This shape may want another weight layout: then a private copy for this plan.
    PL_ASSIGN_OR_RETURN(memory wei, WeightsFor(b, pd.weights_desc()));
    PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, dst_shape, pd.dst_desc()));
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_WEIGHTS] = wei;
    args[DNNL_ARG_DST] = dst;
    if (has_bias_) args[DNNL_ARG_BIAS] = b.Fixed(bmd_, bias_.get());
    b.Step(dnnl::primitive(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, dst_shape, dst));
    return Status::Ok();
  }

 private:
  bool transpose_ = false;
  int sp_ = 2;
  int64_t group_ = 1, in_c_ = 0, out_c_ = 0;
  std::string auto_pad_;
  std::vector<int64_t> kernel_, strides_, dilations_, pads_, output_padding_, output_shape_;
  Shape w_shape_;
  const Tensor* w_ = nullptr;  // the model's weights (outlive the kernel), for per-plan reorders
  Md w_user_md_, wmd_, bmd_;
  std::shared_ptr<void> weights_, bias_;
  bool has_bias_ = false;
  bool shuffle_ = false;  // see PrepareShuffle
  std::shared_ptr<void> shuffle_w_, shuffle_b_, narrow_w_;
};

class ConvOp final : public ConvBase {
 public:
  Status Init(const NodeInfo& node) { return ParseAttrs(node, false); }
};

class ConvTransposeOp final : public ConvBase {
 public:
  Status Init(const NodeInfo& node) { return ParseAttrs(node, true); }
};

}  // namespace

StatusOr<std::unique_ptr<Op>> CreateConvOp(const NodeInfo& node) {
  auto op = std::make_unique<ConvOp>();
  PL_RETURN_IF_ERROR(op->Init(node));
  return std::unique_ptr<Op>(std::move(op));
}

StatusOr<std::unique_ptr<Op>> CreateConvTransposeOp(const NodeInfo& node) {
  auto op = std::make_unique<ConvTransposeOp>();
  PL_RETURN_IF_ERROR(op->Init(node));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace pl::onednn
