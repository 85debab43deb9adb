// ConvTranspose (opsets 1, 11+): N-d, group, strides, dilations, pads, auto_pad, output_padding,
// output_shape, optional bias B; float32 (Sgemm + col2im, direct for one channel per group) and
// float64 (direct loops).
#include <algorithm>
#include <cstring>

#include "src/backends/cpu/ref/conv_util.h"
#include "src/backends/cpu/ref/gemm.h"

namespace pl::cpu_ref {
namespace {

struct DeconvShape {
  int64_t batch = 0, in_c = 0, out_c = 0, group = 1, in_cg = 0, out_cg = 0;
  size_t nd = 0;
  std::vector<int64_t> in, kernel, out, strides, dilations, pads;  // pads: nd begins, then nd ends
  int64_t in_size = 1, kernel_size = 1, out_size = 1;
};

// Output size and begin padding per ONNX ConvTranspose: an explicit output_shape (or SAME_*,
// which asks for in * stride) fixes the output and the padding is derived from it, split as
// the spec says (SAME_UPPER puts the odd pixel at the end, otherwise at the start); without
// it the explicit pads give the output size. Output positions no input reaches hold the bias.
Status DeconvOutput(const NodeInfo& node, AutoPad auto_pad, int64_t in, int64_t kernel, int64_t stride,
                    int64_t dilation, int64_t out_pad, int64_t requested, int64_t* pad_begin, int64_t* pad_end,
                    int64_t* out) {
  const int64_t natural = stride * (in - 1) + out_pad + (kernel - 1) * dilation + 1;
  const bool same = auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower;
  if (requested < 0 && same) requested = in * stride;
  if (requested >= 0) {
    const int64_t total = std::max<int64_t>(0, natural - requested);
    *pad_begin = auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
    *pad_end = total - *pad_begin;
    *out = requested;
  } else {
    if (auto_pad == AutoPad::kValid) *pad_begin = *pad_end = 0;
    *out = natural - *pad_begin - *pad_end;
  }
  if (*out <= 0)
    return Status::InvalidArgument(node.Describe() + ": output size " + std::to_string(*out) +
                                   " for input size " + std::to_string(in) + " (pads too large?)");
  return Status::Ok();
}

// Scatter form, for any dtype: y[o] += x[i] * w[k] where o = i * stride + k * dilation - pad.
// Parallel over (image, output channel), so every task owns its output.
template <typename T>
void DirectDeconv(const DeconvShape& s, const T* x, const T* w, const T* b, T* y, int threads) {
  const size_t nd = s.nd;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1)
  for (int64_t nc = 0; nc < s.batch * s.out_c; ++nc) {
    const int64_t n = nc / s.out_c, oc = nc % s.out_c, g = oc / s.out_cg, m = oc % s.out_cg;
    T* yc = y + nc * s.out_size;
    std::fill(yc, yc + s.out_size, b ? b[oc] : T(0));
    std::vector<int64_t> i_idx(nd), k_idx(nd);
    for (int64_t ci = 0; ci < s.in_cg; ++ci) {
      const int64_t c = g * s.in_cg + ci;
      const T* xc = x + (n * s.in_c + c) * s.in_size;
      const T* wc = w + (c * s.out_cg + m) * s.kernel_size;
      std::fill(i_idx.begin(), i_idx.end(), 0);
      for (int64_t p = 0; p < s.in_size; ++p) {
        const T xv = xc[p];
        std::fill(k_idx.begin(), k_idx.end(), 0);
        for (int64_t kk = 0; kk < s.kernel_size; ++kk) {
          int64_t off = 0;
          bool inside = true;
          for (size_t d = 0; d < nd; ++d) {
            const int64_t o = i_idx[d] * s.strides[d] + k_idx[d] * s.dilations[d] - s.pads[d];
            if (o < 0 || o >= s.out[d]) { inside = false; break; }
            off = off * s.out[d] + o;
          }
          if (inside) yc[off] += xv * wc[kk];
          for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
            if (++k_idx[d] < s.kernel[d]) break;
            k_idx[d] = 0;
          }
        }
        for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
          if (++i_idx[d] < s.in[d]) break;
          i_idx[d] = 0;
        }
      }
    }
  }
}

// Adds the columns col[(m, taps), input pixels] of one image group into y[m, :] (which holds
// the bias), 1D/2D. Parallel over output rows: each task gathers every (tap, input row) pair
// that lands on its row, so no two tasks write the same memory.
void Col2Im2D(const float* col, const DeconvShape& s, int64_t out_channels, float* y, int threads) {
  const bool one_d = s.nd == 1;
  const int64_t H = one_d ? 1 : s.in[0], W = s.in[one_d ? 0 : 1];
  const int64_t kh = one_d ? 1 : s.kernel[0], kw = s.kernel[one_d ? 0 : 1];
  const int64_t sh = one_d ? 1 : s.strides[0], sw = s.strides[one_d ? 0 : 1];
  const int64_t dh = one_d ? 1 : s.dilations[0], dw = s.dilations[one_d ? 0 : 1];
  const int64_t pt = one_d ? 0 : s.pads[0], pl = s.pads[one_d ? 0 : 1];
  const int64_t OH = one_d ? 1 : s.out[0], OW = s.out[one_d ? 0 : 1];
  const int64_t HW = H * W;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t row = 0; row < out_channels * OH; ++row) {
    const int64_t m = row / OH, oh = row % OH;
    float* yr = y + row * OW;
    for (int64_t i = 0; i < kh; ++i) {
      const int64_t t = oh + pt - i * dh;  // = ih * sh
      if (t < 0 || t % sh != 0 || t / sh >= H) continue;
      const int64_t ih = t / sh;
      for (int64_t j = 0; j < kw; ++j) {
        const float* cr = col + ((m * kh + i) * kw + j) * HW + ih * W;
        const int64_t off = j * dw - pl;  // ow = iw * sw + off
        // iw range with 0 <= iw * sw + off < OW
        const int64_t lo = off >= 0 ? 0 : std::min(W, (-off + sw - 1) / sw);
        const int64_t hi = off >= OW ? 0 : std::min(W, (OW - 1 - off) / sw + 1);
        if (sw == 1) {
          for (int64_t iw = lo; iw < hi; ++iw) yr[iw + off] += cr[iw];
        } else {
          for (int64_t iw = lo; iw < hi; ++iw) yr[iw * sw + off] += cr[iw];
        }
      }
    }
  }
}

// N-d col2im (3D and up), scatter per output channel.
void Col2ImNd(const float* col, const DeconvShape& s, int64_t out_channels, float* y, int threads) {
  const size_t nd = s.nd;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t m = 0; m < out_channels; ++m) {
    std::vector<int64_t> i_idx(nd), k_idx(nd, 0);
    float* ym = y + m * s.out_size;
    for (int64_t kk = 0; kk < s.kernel_size; ++kk) {
      const float* cr = col + (m * s.kernel_size + kk) * s.in_size;
      std::fill(i_idx.begin(), i_idx.end(), 0);
      for (int64_t p = 0; p < s.in_size; ++p) {
        int64_t off = 0;
        bool inside = true;
        for (size_t d = 0; d < nd; ++d) {
          const int64_t o = i_idx[d] * s.strides[d] + k_idx[d] * s.dilations[d] - s.pads[d];
          if (o < 0 || o >= s.out[d]) { inside = false; break; }
          off = off * s.out[d] + o;
        }
        if (inside) ym[off] += cr[p];
        for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
          if (++i_idx[d] < s.in[d]) break;
          i_idx[d] = 0;
        }
      }
      for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        if (++k_idx[d] < s.kernel[d]) break;
        k_idx[d] = 0;
      }
    }
  }
}

template <typename T>
class ConvTransposeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(attrs_.Read(node));
    group_ = node.Attr<int64_t>("group", 1);
    if (group_ < 1) return Status::ModelError(node.Describe() + ": group " + std::to_string(group_) + " must be >= 1");
    output_padding_ = node.Attr<std::vector<int64_t>>("output_padding", {});
    output_shape_ = node.Attr<std::vector<int64_t>>("output_shape", {});
    for (int64_t v : output_padding_)
      if (v < 0) return Status::ModelError(node.Describe() + ": output_padding " + IntsToString(output_padding_) +
                                           " must be non-negative");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* w = ctx.Input(1);
    const Tensor* b = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!x || !w) return Status::InvalidArgument(ctx.node().Describe() + ": missing input X or W");
    DeconvShape s;
    PL_RETURN_IF_ERROR(MakeShape(ctx.node(), *x, *w, b, &s));
    Shape y_shape = {s.batch, s.out_c};
    y_shape.insert(y_shape.end(), s.out.begin(), s.out.end());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    const T* bias = b ? b->Data<T>() : nullptr;
    const int threads = std::max(1, ctx.intra_op_threads());
    if constexpr (std::is_same_v<T, float>) {
      if (s.in_cg > 1)
        return RunGemm(ctx, s, x->Data<float>(), w->Data<float>(), bias, y->MutableData<float>(), threads);
    }
    DirectDeconv<T>(s, x->Data<T>(), w->Data<T>(), bias, y->MutableData<T>(), threads);
    return Status::Ok();
  }

 private:
  Status MakeShape(const NodeInfo& node, const Tensor& x, const Tensor& w, const Tensor* b, DeconvShape* s) const {
    const std::string me = node.Describe();
    if (x.rank() < 3)
      return Status::InvalidArgument(me + ": input X has shape " + ShapeToString(x.shape()) +
                                     ", expected rank >= 3 (N, C, spatial...)");
    if (w.rank() != x.rank())
      return Status::InvalidArgument(me + ": weight rank " + std::to_string(w.rank()) + ", expected " +
                                     std::to_string(x.rank()) + " (same as X)");
    if (w.dtype() != x.dtype() || (b && b->dtype() != x.dtype()))
      return Status::InvalidArgument(me + ": X, W and B must have the same dtype");
    s->nd = static_cast<size_t>(x.rank() - 2);
    s->batch = x.dim(0);
    s->in_c = x.dim(1);
    s->group = group_;
    if (w.dim(0) != s->in_c || s->in_c % group_ != 0)
      return Status::InvalidArgument(me + ": weight dim 0 (" + std::to_string(w.dim(0)) + ") must equal input channels " +
                                     std::to_string(s->in_c) + ", divisible by group " + std::to_string(group_));
    s->in_cg = s->in_c / group_;
    s->out_cg = w.dim(1);
    s->out_c = s->out_cg * group_;
    if (b && (b->rank() != 1 || b->dim(0) != s->out_c))
      return Status::InvalidArgument(me + ": bias shape " + ShapeToString(b->shape()) + ", expected [" +
                                     std::to_string(s->out_c) + "]");
    s->in.assign(x.shape().begin() + 2, x.shape().end());
    s->kernel.assign(w.shape().begin() + 2, w.shape().end());
    if (!attrs_.kernel_shape.empty() && attrs_.kernel_shape != s->kernel)
      return Status::InvalidArgument(me + ": kernel_shape " + IntsToString(attrs_.kernel_shape) +
                                     " does not match weight shape " + ShapeToString(w.shape()));
    PL_RETURN_IF_ERROR(attrs_.Resolve(node, s->nd, &s->strides, &s->dilations, &s->pads));
    const size_t nd = s->nd;
    if (!output_padding_.empty() && output_padding_.size() != nd)
      return Status::InvalidArgument(me + ": output_padding " + IntsToString(output_padding_) + " has " +
                                     std::to_string(output_padding_.size()) + " values, expected " + std::to_string(nd));
    // output_shape may list the spatial dims only, or N and C too.
    if (!output_shape_.empty() && output_shape_.size() != nd && output_shape_.size() != nd + 2)
      return Status::InvalidArgument(me + ": output_shape " + IntsToString(output_shape_) + " has " +
                                     std::to_string(output_shape_.size()) + " values, expected " + std::to_string(nd));
    const size_t shape_off = output_shape_.size() == nd + 2 ? 2 : 0;
    s->out.resize(nd);
    s->in_size = s->kernel_size = s->out_size = 1;
    for (size_t d = 0; d < nd; ++d) {
      if (s->kernel[d] <= 0) return Status::InvalidArgument(me + ": empty kernel " + ShapeToString(w.shape()));
      const int64_t requested = output_shape_.empty() ? -1 : output_shape_[d + shape_off];
      PL_RETURN_IF_ERROR(DeconvOutput(node, attrs_.auto_pad, s->in[d], s->kernel[d], s->strides[d], s->dilations[d],
                                      output_padding_.empty() ? 0 : output_padding_[d], requested, &s->pads[d],
                                      &s->pads[d + nd], &s->out[d]));
      s->in_size *= s->in[d];
      s->kernel_size *= s->kernel[d];
      s->out_size *= s->out[d];
    }
    return Status::Ok();
  }

  // Per (image, group): col[(m, taps), pixels] = W_g^T * x_g with one GEMM, then col2im adds the
  // columns into the output, which starts as the bias.
  static Status RunGemm(KernelContext& ctx, const DeconvShape& s, const float* x, const float* w, const float* b,
                        float* y, int threads) {
    const int64_t M = s.out_cg * s.kernel_size, N = s.in_size, K = s.in_cg;
    PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(static_cast<size_t>(M * N) * sizeof(float)));
    float* col = static_cast<float*>(ws);
    for (int64_t n = 0; n < s.batch; ++n)
      for (int64_t g = 0; g < s.group; ++g) {
        const float* xg = x + (n * s.in_c + g * s.in_cg) * s.in_size;
        float* yg = y + (n * s.out_c + g * s.out_cg) * s.out_size;
        Sgemm(true, false, M, N, K, 1.f, w + g * s.in_cg * M, M, xg, N, 0.f, col, N, threads);
        for (int64_t m = 0; m < s.out_cg; ++m)
          std::fill(yg + m * s.out_size, yg + (m + 1) * s.out_size, b ? b[g * s.out_cg + m] : 0.f);
        if (s.nd <= 2) Col2Im2D(col, s, s.out_cg, yg, threads);
        else Col2ImNd(col, s, s.out_cg, yg, threads);
      }
    return Status::Ok();
  }

  WindowAttrs attrs_;
  int64_t group_ = 1;
  std::vector<int64_t> output_padding_, output_shape_;
};

}  // namespace

void RegisterConvTranspose(KernelRegistry& r) {
  Add<ConvTransposeKernel<float>>(r, RefDef("ConvTranspose").Opset(1).Types<float>());
  Add<ConvTransposeKernel<double>>(r, RefDef("ConvTranspose").Opset(1).Types<double>());
}

}  // namespace pl::cpu_ref
