// MaxPool (opsets 1, 8, 10, 11, 12; float32/float64/int8/uint8; Indices output, storage_order,
// dilations, ceil_mode), AveragePool (opsets 1, 7, 10, 11, 19; float32/float64; count_include_pad,
// ceil_mode, dilations), GlobalAveragePool and GlobalMaxPool (opset 1; float32/float64); N-d,
// pads and auto_pad as in conv_util.h.
#include <cmath>
#include <limits>

#include "src/backends/cpu/ref/conv_util.h"

namespace pl::cpu_ref {
namespace {

struct PoolShape {
  int64_t planes = 0;  // N * C
  size_t nd = 0;
  std::vector<int64_t> in, kernel, out, strides, dilations, pads;
  int64_t in_size = 1, out_size = 1;
};

Status MakePoolShape(const NodeInfo& node, const WindowAttrs& attrs, bool ceil_mode, const Tensor& x, PoolShape* s) {
  if (x.rank() < 3)
    return Status::InvalidArgument(node.Describe() + ": input X has shape " + ShapeToString(x.shape()) +
                                   ", expected rank >= 3 (N, C, spatial...)");
  s->nd = static_cast<size_t>(x.rank() - 2);
  if (attrs.kernel_shape.size() != s->nd)
    return Status::InvalidArgument(node.Describe() + ": kernel_shape " + IntsToString(attrs.kernel_shape) + " has " +
                                   std::to_string(attrs.kernel_shape.size()) + " values, expected " +
                                   std::to_string(s->nd) + " for input " + ShapeToString(x.shape()));
  s->planes = x.dim(0) * x.dim(1);
  s->in.assign(x.shape().begin() + 2, x.shape().end());
  s->kernel = attrs.kernel_shape;
  PL_RETURN_IF_ERROR(attrs.Resolve(node, s->nd, &s->strides, &s->dilations, &s->pads));
  s->out.resize(s->nd);
  s->in_size = s->out_size = 1;
  for (size_t d = 0; d < s->nd; ++d) {
    PL_RETURN_IF_ERROR(WindowOutput(node, attrs.auto_pad, s->in[d], s->kernel[d], s->strides[d], s->dilations[d],
                                    ceil_mode, &s->pads[d], &s->pads[d + s->nd], &s->out[d]));
    s->in_size *= s->in[d];
    s->out_size *= s->out[d];
  }
  return Status::Ok();
}

Shape PoolOutputShape(const Tensor& x, const PoolShape& s) {
  Shape y = {x.dim(0), x.dim(1)};
  y.insert(y.end(), s.out.begin(), s.out.end());
  return y;
}

// Visits every output position of one plane: f(out_index, taps) where taps lists the (input
// offset, in-bounds) of each window element in kernel order; `counted` is the number of taps
// inside the input plus its explicit padding (AveragePool's count_include_pad divisor).
template <typename F>
void ForEachWindow(const PoolShape& s, F&& f) {
  const size_t nd = s.nd;
  int64_t window = 1;
  for (int64_t k : s.kernel) window *= k;
  std::vector<int64_t> o_idx(nd, 0), k_idx(nd), taps;
  taps.reserve(static_cast<size_t>(window));
  for (int64_t o = 0; o < s.out_size; ++o) {
    taps.clear();
    int64_t counted = 0;
    std::fill(k_idx.begin(), k_idx.end(), 0);
    for (int64_t kk = 0; kk < window; ++kk) {
      int64_t off = 0;
      bool inside = true, in_padded = true;
      for (size_t d = 0; d < nd; ++d) {
        const int64_t v = o_idx[d] * s.strides[d] - s.pads[d] + k_idx[d] * s.dilations[d];
        if (v < -s.pads[d] || v >= s.in[d] + s.pads[d + nd]) in_padded = false;
        if (v < 0 || v >= s.in[d]) inside = false;
        off = off * s.in[d] + (inside ? v : 0);
      }
      if (in_padded) ++counted;
      if (inside) taps.push_back(off);
      for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        if (++k_idx[d] < s.kernel[d]) break;
        k_idx[d] = 0;
      }
    }
    f(o, taps, counted);
    for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
      if (++o_idx[d] < s.out[d]) break;
      o_idx[d] = 0;
    }
  }
}

// Row-major offset within a plane -> column-major offset (storage_order = 1).
int64_t ColumnMajor(int64_t off, const std::vector<int64_t>& dims) {
  int64_t result = 0, stride = 1;
  std::vector<int64_t> idx(dims.size());
  for (int64_t d = static_cast<int64_t>(dims.size()) - 1; d >= 0; --d) {
    idx[d] = off % dims[d];
    off /= dims[d];
  }
  for (size_t d = 0; d < dims.size(); ++d) {
    result += idx[d] * stride;
    stride *= dims[d];
  }
  return result;
}

template <typename T>
class MaxPoolKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(attrs_.Read(node));
    ceil_mode_ = node.Attr<int64_t>("ceil_mode", 0) != 0;
    storage_order_ = node.Attr<int64_t>("storage_order", 0);
    if (storage_order_ != 0 && storage_order_ != 1)
      return Status::ModelError(node.Describe() + ": storage_order must be 0 or 1");
    if (attrs_.kernel_shape.empty()) return Status::ModelError(node.Describe() + ": kernel_shape is required");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input X");
    PoolShape s;
    PL_RETURN_IF_ERROR(MakePoolShape(ctx.node(), attrs_, ceil_mode_, *x, &s));
    const Shape y_shape = PoolOutputShape(*x, s);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, x->dtype()));
    int64_t* indices = nullptr;
    if (ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      PL_ASSIGN_OR_RETURN(Tensor* ind, ctx.Output(1, y_shape, DataType::kInt64));
      indices = ind->MutableData<int64_t>();
    }
    const T* in = x->Data<T>();
    T* out = y->MutableData<T>();
    const int threads = std::max(1, ctx.intra_op_threads());
    if (s.nd <= 2 && !indices) {
      Run2D(s, in, out, threads);
      return Status::Ok();
    }
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t p = 0; p < s.planes; ++p) {
      const T* xp = in + p * s.in_size;
      ForEachWindow(s, [&](int64_t o, const std::vector<int64_t>& taps, int64_t) {
        T best = std::numeric_limits<T>::lowest();
        int64_t arg = -1;
        for (int64_t off : taps)
          if (arg < 0 || xp[off] > best) {
            best = xp[off];
            arg = off;
          }
        out[p * s.out_size + o] = best;
        if (indices) {
          if (arg < 0) arg = 0;
          indices[p * s.out_size + o] = p * s.in_size + (storage_order_ ? ColumnMajor(arg, s.in) : arg);
        }
      });
    }
    return Status::Ok();
  }

 private:
  // 1D/2D without indices: plain nested loops over the clipped window.
  static void Run2D(const PoolShape& s, const T* in, T* out, int threads) {
    const bool one_d = s.nd == 1;
    const int64_t H = one_d ? 1 : s.in[0], W = s.in[one_d ? 0 : 1];
    const int64_t kh = one_d ? 1 : s.kernel[0], kw = s.kernel[one_d ? 0 : 1];
    const int64_t sh = one_d ? 1 : s.strides[0], sw = s.strides[one_d ? 0 : 1];
    const int64_t dh = one_d ? 1 : s.dilations[0], dw = s.dilations[one_d ? 0 : 1];
    const int64_t pt = one_d ? 0 : s.pads[0], pl = s.pads[one_d ? 0 : 1];
    const int64_t OH = one_d ? 1 : s.out[0], OW = s.out[one_d ? 0 : 1];
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t p = 0; p < s.planes; ++p) {
      const T* xp = in + p * H * W;
      T* yp = out + p * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          T best = std::numeric_limits<T>::lowest();
          bool any = false;
          for (int64_t i = 0; i < kh; ++i) {
            const int64_t ih = oh * sh - pt + i * dh;
            if (ih < 0 || ih >= H) continue;
            for (int64_t j = 0; j < kw; ++j) {
              const int64_t iw = ow * sw - pl + j * dw;
              if (iw < 0 || iw >= W) continue;
              const T v = xp[ih * W + iw];
              if (!any || v > best) best = v;
              any = true;
            }
          }
          yp[oh * OW + ow] = best;
        }
    }
  }

  WindowAttrs attrs_;
  bool ceil_mode_ = false;
  int64_t storage_order_ = 0;
};

template <typename T>
class AveragePoolKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(attrs_.Read(node));
    ceil_mode_ = node.Attr<int64_t>("ceil_mode", 0) != 0;
    count_include_pad_ = node.Attr<int64_t>("count_include_pad", 0) != 0;
    if (attrs_.kernel_shape.empty()) return Status::ModelError(node.Describe() + ": kernel_shape is required");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input X");
    PoolShape s;
    PL_RETURN_IF_ERROR(MakePoolShape(ctx.node(), attrs_, ceil_mode_, *x, &s));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, PoolOutputShape(*x, s), x->dtype()));
    const T* in = x->Data<T>();
    T* out = y->MutableData<T>();
    const int threads = std::max(1, ctx.intra_op_threads());
    if (s.nd <= 2) {
      Run2D(s, in, out, threads);
      return Status::Ok();
    }
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t p = 0; p < s.planes; ++p) {
      const T* xp = in + p * s.in_size;
      ForEachWindow(s, [&](int64_t o, const std::vector<int64_t>& taps, int64_t counted) {
        double sum = 0;
        for (int64_t off : taps) sum += xp[off];
        const int64_t div = count_include_pad_ ? counted : static_cast<int64_t>(taps.size());
        out[p * s.out_size + o] = static_cast<T>(div > 0 ? sum / div : 0.0);
      });
    }
    return Status::Ok();
  }

 private:
  void Run2D(const PoolShape& s, const T* in, T* out, int threads) const {
    const bool one_d = s.nd == 1;
    const int64_t H = one_d ? 1 : s.in[0], W = s.in[one_d ? 0 : 1];
    const int64_t kh = one_d ? 1 : s.kernel[0], kw = s.kernel[one_d ? 0 : 1];
    const int64_t sh = one_d ? 1 : s.strides[0], sw = s.strides[one_d ? 0 : 1];
    const int64_t dh = one_d ? 1 : s.dilations[0], dw = s.dilations[one_d ? 0 : 1];
    const int64_t pt = one_d ? 0 : s.pads[0], pl = s.pads[one_d ? 0 : 1];
    const int64_t pb = one_d ? 0 : s.pads[2], pr = s.pads[one_d ? 1 : 3];
    const int64_t OH = one_d ? 1 : s.out[0], OW = s.out[one_d ? 0 : 1];
    const bool include_pad = count_include_pad_;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t p = 0; p < s.planes; ++p) {
      const T* xp = in + p * H * W;
      T* yp = out + p * OH * OW;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double sum = 0;
          int64_t inside = 0, padded = 0;
          for (int64_t i = 0; i < kh; ++i) {
            const int64_t ih = oh * sh - pt + i * dh;
            if (ih < -pt || ih >= H + pb) continue;  // beyond the explicit padding (ceil_mode)
            for (int64_t j = 0; j < kw; ++j) {
              const int64_t iw = ow * sw - pl + j * dw;
              if (iw < -pl || iw >= W + pr) continue;
              ++padded;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              sum += xp[ih * W + iw];
              ++inside;
            }
          }
          const int64_t div = include_pad ? padded : inside;
          yp[oh * OW + ow] = static_cast<T>(div > 0 ? sum / div : 0.0);
        }
    }
  }

  WindowAttrs attrs_;
  bool ceil_mode_ = false, count_include_pad_ = false;
};

// GlobalAveragePool / GlobalMaxPool: one value per (n, c) plane; spatial dims become 1.
template <typename T, bool kMax>
class GlobalPoolKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input X");
    if (x->rank() < 2)
      return Status::InvalidArgument(ctx.node().Describe() + ": input X has shape " + ShapeToString(x->shape()) +
                                     ", expected rank >= 2 (N, C, spatial...)");
    Shape y_shape(x->shape().size(), 1);
    y_shape[0] = x->dim(0);
    y_shape[1] = x->dim(1);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, x->dtype()));
    const int64_t planes = x->dim(0) * x->dim(1);
    const int64_t S = planes == 0 ? 0 : x->NumElements() / planes;
    const T* in = x->Data<T>();
    T* out = y->MutableData<T>();
    const int threads = std::max(1, ctx.intra_op_threads());
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && planes * S > 32768)
    for (int64_t p = 0; p < planes; ++p) {
      const T* xp = in + p * S;
      if constexpr (kMax) {
        T best = S > 0 ? xp[0] : T(0);
        for (int64_t i = 1; i < S; ++i)
          if (xp[i] > best) best = xp[i];
        out[p] = best;
      } else {
        double sum = 0;
        for (int64_t i = 0; i < S; ++i) sum += xp[i];
        out[p] = static_cast<T>(S > 0 ? sum / S : 0.0);
      }
    }
    return Status::Ok();
  }
};

}  // namespace

void RegisterPool(KernelRegistry& r) {
  Add<MaxPoolKernel<float>>(r, RefDef("MaxPool").Opset(1).Types<float>());
  Add<MaxPoolKernel<double>>(r, RefDef("MaxPool").Opset(1).Types<double>());
  Add<MaxPoolKernel<int8_t>>(r, RefDef("MaxPool").Opset(12).Types<int8_t>());
  Add<MaxPoolKernel<uint8_t>>(r, RefDef("MaxPool").Opset(12).Types<uint8_t>());
  Add<AveragePoolKernel<float>>(r, RefDef("AveragePool").Opset(1).Types<float>());
  Add<AveragePoolKernel<double>>(r, RefDef("AveragePool").Opset(1).Types<double>());
  Add<GlobalPoolKernel<float, false>>(r, RefDef("GlobalAveragePool").Opset(1).Types<float>());
  Add<GlobalPoolKernel<double, false>>(r, RefDef("GlobalAveragePool").Opset(1).Types<double>());
  Add<GlobalPoolKernel<float, true>>(r, RefDef("GlobalMaxPool").Opset(1).Types<float>());
  Add<GlobalPoolKernel<double, true>>(r, RefDef("GlobalMaxPool").Opset(1).Types<double>());
}

}  // namespace pl::cpu_ref
