// Conv (opsets 1, 11+): N-d (1D/2D/3D...), group (depthwise included), strides, dilations, pads,
// auto_pad, optional bias B; float32 (im2col + Sgemm, direct depthwise) and float64 (direct loops).
#include <algorithm>
#include <cstring>

#include "src/backends/cpu/ref/conv_util.h"
#include "src/backends/cpu/ref/gemm.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pl::cpu_ref {
namespace {

int ThreadId() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Everything one Conv call needs to know about its shapes.
struct ConvShape {
  int64_t batch = 0, in_c = 0, out_c = 0, group = 1, in_cg = 0, out_cg = 0;
  size_t nd = 0;
  std::vector<int64_t> in, kernel, out, strides, dilations, pads;  // pads: nd begins, then nd ends
  int64_t in_size = 1, kernel_size = 1, out_size = 1;               // products over spatial dims
};

Status MakeConvShape(const NodeInfo& node, const WindowAttrs& attrs, int64_t group, const Tensor& x,
                     const Tensor& w, const Tensor* b, ConvShape* s) {
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
  s->out_c = w.dim(0);
  s->group = group;
  if (s->in_c % group != 0 || w.dim(1) * group != s->in_c)
    return Status::InvalidArgument(me + ": input channels " + std::to_string(s->in_c) + " != group " +
                                   std::to_string(group) + " x weight dim 1 (" + std::to_string(w.dim(1)) + ")");
  if (s->out_c % group != 0)
    return Status::InvalidArgument(me + ": output channels " + std::to_string(s->out_c) +
                                   " not divisible by group " + std::to_string(group));
  s->in_cg = s->in_c / group;
  s->out_cg = s->out_c / group;
  if (b && (b->rank() != 1 || b->dim(0) != s->out_c))
    return Status::InvalidArgument(me + ": bias shape " + ShapeToString(b->shape()) + ", expected [" +
                                   std::to_string(s->out_c) + "]");
  s->in.assign(x.shape().begin() + 2, x.shape().end());
  s->kernel.assign(w.shape().begin() + 2, w.shape().end());
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != s->kernel)
    return Status::InvalidArgument(me + ": kernel_shape " + IntsToString(attrs.kernel_shape) +
                                   " does not match weight shape " + ShapeToString(w.shape()));
  PL_RETURN_IF_ERROR(attrs.Resolve(node, s->nd, &s->strides, &s->dilations, &s->pads));
  s->out.resize(s->nd);
  s->in_size = s->kernel_size = s->out_size = 1;
  for (size_t d = 0; d < s->nd; ++d) {
    if (s->kernel[d] <= 0) return Status::InvalidArgument(me + ": empty kernel " + ShapeToString(w.shape()));
    PL_RETURN_IF_ERROR(WindowOutput(node, attrs.auto_pad, s->in[d], s->kernel[d], s->strides[d], s->dilations[d],
                                    false, &s->pads[d], &s->pads[d + s->nd], &s->out[d]));
    s->in_size *= s->in[d];
    s->kernel_size *= s->kernel[d];
    s->out_size *= s->out[d];
  }
  return Status::Ok();
}

// A 1D or 2D problem seen as 2D (a 1D conv is a 2D conv of height 1).
struct Geom2D {
  int64_t H, W, kh, kw, sh, sw, dh, dw, pt, pl, OH, OW;
};

Geom2D To2D(const ConvShape& s) {
  if (s.nd == 1)
    return {1, s.in[0], 1, s.kernel[0], 1, s.strides[0], 1, s.dilations[0], 0, s.pads[0], 1, s.out[0]};
  return {s.in[0],        s.in[1],        s.kernel[0], s.kernel[1], s.strides[0], s.strides[1],
          s.dilations[0], s.dilations[1], s.pads[0],   s.pads[1],   s.out[0],     s.out[1]};
}

// Range [lo, hi) of output positions t in [0, n) whose tap t * stride + offset lands in [0, size).
inline void ValidRange(int64_t offset, int64_t stride, int64_t size, int64_t n, int64_t* lo, int64_t* hi) {
  *lo = offset >= 0 ? 0 : std::min(n, CeilDiv(-offset, stride));
  *hi = offset >= size ? 0 : std::min(n, (size - 1 - offset) / stride + 1);
  if (*hi < *lo) *hi = *lo;
}

// Columns [p0, p0 + pn) of the im2col matrix of one image's channel group: row (c, i, j) holds
// the tap (i, j) of channel c for every output pixel, 0 where the tap falls in the padding.
// col is [in_cg * kh * kw, pn] row-major.
void Im2Col2D(const float* x, int64_t channels, const Geom2D& g, int64_t p0, int64_t pn, float* col) {
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        float* dst = col + ((c * g.kh + i) * g.kw + j) * pn;
        for (int64_t p = p0; p < p0 + pn;) {
          const int64_t oh = p / g.OW, ow = p % g.OW;
          const int64_t len = std::min(g.OW - ow, p0 + pn - p);
          const int64_t ih = oh * g.sh - g.pt + i * g.dh;
          if (ih < 0 || ih >= g.H) {
            std::fill(dst, dst + len, 0.f);
          } else {
            const int64_t iw0 = ow * g.sw - g.pl + j * g.dw;
            int64_t lo, hi;
            ValidRange(iw0, g.sw, g.W, len, &lo, &hi);
            const float* xr = xc + ih * g.W + iw0;
            std::fill(dst, dst + lo, 0.f);
            if (g.sw == 1) std::memcpy(dst + lo, xr + lo, (hi - lo) * sizeof(float));
            else for (int64_t t = lo; t < hi; ++t) dst[t] = xr[t * g.sw];
            std::fill(dst + hi, dst + len, 0.f);
          }
          dst += len;
          p += len;
        }
      }
  }
}

// N-d im2col for 3D and up (same layout as Im2Col2D); index arithmetic per element.
void Im2ColNd(const float* x, const ConvShape& s, int64_t p0, int64_t pn, float* col) {
  const size_t nd = s.nd;
  std::vector<int64_t> k_idx(nd), o_idx(nd);
  for (int64_t c = 0; c < s.in_cg; ++c) {
    const float* xc = x + c * s.in_size;
    for (int64_t kk = 0; kk < s.kernel_size; ++kk) {
      for (int64_t r = kk, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        k_idx[d] = r % s.kernel[d];
        r /= s.kernel[d];
      }
      float* dst = col + (c * s.kernel_size + kk) * pn;
      for (int64_t r = p0, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        o_idx[d] = r % s.out[d];
        r /= s.out[d];
      }
      for (int64_t p = 0; p < pn; ++p) {
        int64_t off = 0;
        bool inside = true;
        for (size_t d = 0; d < nd; ++d) {
          const int64_t v = o_idx[d] * s.strides[d] - s.pads[d] + k_idx[d] * s.dilations[d];
          if (v < 0 || v >= s.in[d]) { inside = false; break; }
          off = off * s.in[d] + v;
        }
        dst[p] = inside ? xc[off] : 0.f;
        for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {  // next output position
          if (++o_idx[d] < s.out[d]) break;
          o_idx[d] = 0;
        }
      }
    }
  }
}

// Output pixels [lo, hi) of one row whose K x K window (dilation 1, stride S) lies fully inside
// the input: rows[i] is input row i of the window, `left` the left padding. K and S
// are compile-time so the taps unroll and the loop vectorizes along the row with the sum in a
// register (the generic path below re-reads and re-writes the output row once per tap).
template <int K, int S>
void DepthwiseRowInterior(const float* const* rows, int64_t left, const float* w, float bias, int64_t lo, int64_t hi,
                          float* yr) {
  for (int64_t ow = lo; ow < hi; ++ow) {
    float acc = bias;
    const int64_t base = ow * S - left;
    for (int i = 0; i < K; ++i)
      for (int j = 0; j < K; ++j) acc += w[i * K + j] * rows[i][base + j];
    yr[ow] = acc;
  }
}

using RowInteriorFn = void (*)(const float* const*, int64_t, const float*, float, int64_t, int64_t, float*);

// The specialized interior kernel for this geometry, or nullptr.
RowInteriorFn PickRowInterior(const Geom2D& g) {
  if (g.kh != g.kw || g.dh != 1 || g.dw != 1 || g.sh != g.sw) return nullptr;
  switch (g.kh * 10 + g.sw) {
    case 31: return DepthwiseRowInterior<3, 1>;
    case 32: return DepthwiseRowInterior<3, 2>;
    case 51: return DepthwiseRowInterior<5, 1>;
    case 52: return DepthwiseRowInterior<5, 2>;
    case 71: return DepthwiseRowInterior<7, 1>;
    case 72: return DepthwiseRowInterior<7, 2>;
    default: return nullptr;
  }
}

// One output pixel with bounds checks on every tap (the borders of the fast path).
inline float DepthwisePixel(const float* x, const float* w, float bias, const Geom2D& g, int64_t oh, int64_t ow) {
  float acc = bias;
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t ih = oh * g.sh - g.pt + i * g.dh;
    if (ih < 0 || ih >= g.H) continue;
    for (int64_t j = 0; j < g.kw; ++j) {
      const int64_t iw = ow * g.sw - g.pl + j * g.dw;
      if (iw >= 0 && iw < g.W) acc += w[i * g.kw + j] * x[ih * g.W + iw];
    }
  }
  return acc;
}

// Float depthwise channel with the register-accumulating interior kernel where it applies.
void DepthwiseChannelFast(const float* x, const float* w, float bias, const Geom2D& g, RowInteriorFn interior,
                          float* y) {
  // Output columns whose whole window is inside the input.
  const int64_t lo = std::min(g.OW, CeilDiv(g.pl, g.sw));
  const int64_t hi = std::max(lo, g.W - g.kw + g.pl >= 0 ? std::min(g.OW, (g.W - g.kw + g.pl) / g.sw + 1) : 0);
  const float* rows[8];
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    float* yr = y + oh * g.OW;
    const int64_t ih0 = oh * g.sh - g.pt;
    if (ih0 < 0 || ih0 + g.kh > g.H) {
      for (int64_t ow = 0; ow < g.OW; ++ow) yr[ow] = DepthwisePixel(x, w, bias, g, oh, ow);
      continue;
    }
    for (int64_t i = 0; i < g.kh; ++i) rows[i] = x + (ih0 + i) * g.W;
    for (int64_t ow = 0; ow < lo; ++ow) yr[ow] = DepthwisePixel(x, w, bias, g, oh, ow);
    interior(rows, g.pl, w, bias, lo, hi, yr);
    for (int64_t ow = hi; ow < g.OW; ++ow) yr[ow] = DepthwisePixel(x, w, bias, g, oh, ow);
  }
}

// One output channel of a conv whose groups have a single input channel (depthwise), direct:
// y[oh, :] accumulates w[i, j] * (a shifted input row), which vectorizes along the row.
template <typename T>
void DepthwiseChannel(const T* x, const T* w, T bias, const Geom2D& g, T* y) {
  for (int64_t oh = 0; oh < g.OH; ++oh) {
    T* yr = y + oh * g.OW;
    std::fill(yr, yr + g.OW, bias);
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t ih = oh * g.sh - g.pt + i * g.dh;
      if (ih < 0 || ih >= g.H) continue;
      const T* xr = x + ih * g.W;
      for (int64_t j = 0; j < g.kw; ++j) {
        const T wv = w[i * g.kw + j];
        const int64_t off = j * g.dw - g.pl;
        int64_t lo, hi;
        ValidRange(off, g.sw, g.W, g.OW, &lo, &hi);
        const T* xs = xr + off;
        if (g.sw == 1) {
          for (int64_t t = lo; t < hi; ++t) yr[t] += wv * xs[t];
        } else if (g.sw == 2) {
          for (int64_t t = lo; t < hi; ++t) yr[t] += wv * xs[2 * t];
        } else {
          for (int64_t t = lo; t < hi; ++t) yr[t] += wv * xs[t * g.sw];
        }
      }
    }
  }
}

// Reference N-d direct convolution for any dtype (used for float64 and as the plain path).
template <typename T>
void DirectConv(const ConvShape& s, const T* x, const T* w, const T* b, T* y, int threads) {
  const size_t nd = s.nd;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1)
  for (int64_t nc = 0; nc < s.batch * s.out_c; ++nc) {
    const int64_t n = nc / s.out_c, oc = nc % s.out_c, g = oc / s.out_cg;
    std::vector<int64_t> o_idx(nd, 0), k_idx(nd);
    T* yc = y + nc * s.out_size;
    for (int64_t p = 0; p < s.out_size; ++p) {
      T acc = b ? b[oc] : T(0);
      for (int64_t ci = 0; ci < s.in_cg; ++ci) {
        const T* xc = x + (n * s.in_c + g * s.in_cg + ci) * s.in_size;
        const T* wc = w + (oc * s.in_cg + ci) * s.kernel_size;
        std::fill(k_idx.begin(), k_idx.end(), 0);
        for (int64_t kk = 0; kk < s.kernel_size; ++kk) {
          int64_t off = 0;
          bool inside = true;
          for (size_t d = 0; d < nd; ++d) {
            const int64_t v = o_idx[d] * s.strides[d] - s.pads[d] + k_idx[d] * s.dilations[d];
            if (v < 0 || v >= s.in[d]) { inside = false; break; }
            off = off * s.in[d] + v;
          }
          if (inside) acc += wc[kk] * xc[off];
          for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
            if (++k_idx[d] < s.kernel[d]) break;
            k_idx[d] = 0;
          }
        }
      }
      yc[p] = acc;
      for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        if (++o_idx[d] < s.out[d]) break;
        o_idx[d] = 0;
      }
    }
  }
}

template <typename T>
class ConvKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(attrs_.Read(node));
    group_ = node.Attr<int64_t>("group", 1);
    if (group_ < 1) return Status::ModelError(node.Describe() + ": group " + std::to_string(group_) + " must be >= 1");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* w = ctx.Input(1);
    const Tensor* b = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!x || !w) return Status::InvalidArgument(ctx.node().Describe() + ": missing input X or W");
    ConvShape s;
    PL_RETURN_IF_ERROR(MakeConvShape(ctx.node(), attrs_, group_, *x, *w, b, &s));
    Shape y_shape = {s.batch, s.out_c};
    y_shape.insert(y_shape.end(), s.out.begin(), s.out.end());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    const T* bias = b ? b->Data<T>() : nullptr;
    const int threads = std::max(1, ctx.intra_op_threads());
    if (s.in_cg * s.kernel_size == 0) {
      // Nothing to sum (zero input channels, or an empty kernel): each output is its bias.
      T* yd = y->MutableData<T>();
      const int64_t plane = s.out_size;
      for (int64_t n = 0; n < s.batch; ++n)
        for (int64_t c = 0; c < s.out_c; ++c)
          std::fill(yd + (n * s.out_c + c) * plane, yd + (n * s.out_c + c + 1) * plane, bias ? bias[c] : T(0));
      return Status::Ok();
    }
    if constexpr (std::is_same_v<T, float>) {
      if (s.in_cg == 1 && s.group > 1 && s.nd <= 2) {
        RunDepthwise(s, x->Data<float>(), w->Data<float>(), bias, y->MutableData<float>(), threads);
        return Status::Ok();
      }
      return RunGemm(ctx, s, x->Data<float>(), w->Data<float>(), bias, y->MutableData<float>(), threads);
    } else {
      DirectConv<T>(s, x->Data<T>(), w->Data<T>(), bias, y->MutableData<T>(), threads);
      return Status::Ok();
    }
  }

 private:
  static void RunDepthwise(const ConvShape& s, const float* x, const float* w, const float* b, float* y,
                           int threads) {
    const Geom2D g = To2D(s);
    const RowInteriorFn interior = PickRowInterior(g);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t nc = 0; nc < s.batch * s.out_c; ++nc) {
      const int64_t n = nc / s.out_c, oc = nc % s.out_c, ic = oc / s.out_cg;
      const float* xc = x + (n * s.in_c + ic) * s.in_size;
      const float* wc = w + oc * s.kernel_size;
      const float bias = b ? b[oc] : 0.f;
      if (interior) DepthwiseChannelFast(xc, wc, bias, g, interior, y + nc * s.out_size);
      else DepthwiseChannel<float>(xc, wc, bias, g, y + nc * s.out_size);
    }
  }

  // y[n, g] = W[g] (out_cg x K) * im2col(x[n, g]) (K x P), P = output pixels, K = in_cg * taps.
  // The columns are cut into chunks processed independently (im2col chunk, then a GEMM whose
  // B operand stays in cache): that bounds the workspace and is the unit of parallel work.
  static Status RunGemm(KernelContext& ctx, const ConvShape& s, const float* x, const float* w, const float* b,
                        float* y, int threads) {
    const int64_t K = s.in_cg * s.kernel_size, P = s.out_size, M = s.out_cg;
    bool pointwise = s.kernel_size == 1;
    for (size_t d = 0; d < s.nd; ++d)
      pointwise = pointwise && s.strides[d] == 1 && s.pads[d] == 0 && s.pads[d + s.nd] == 0;
    const int64_t images = s.batch * s.group;
    // ~512 KiB of columns per chunk keeps the packed B operand in L2.
    int64_t cn = std::min(P, pointwise ? int64_t{4096} : std::max<int64_t>(64, (int64_t{1} << 17) / K / 32 * 32));
    if (threads > 1 && images * CeilDiv(P, cn) < threads) {
      const int64_t per_image = CeilDiv(threads, images);
      cn = std::max(std::min<int64_t>(P, 64), CeilDiv(CeilDiv(P, per_image), 16) * 16);
    }
    const int64_t chunks = CeilDiv(P, cn);
    const int64_t tasks = images * chunks;
    const bool whole_image = threads > 1 && tasks * 2 <= threads;  // too few chunks: thread the GEMM
    if (whole_image) cn = P;
    const int workers = whole_image ? 1 : static_cast<int>(std::min<int64_t>(threads, tasks));
    float* col = nullptr;
    if (!pointwise) {
      PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(static_cast<size_t>(workers) * K * cn * sizeof(float)));
      col = static_cast<float*>(ws);
    }
    const Geom2D g2 = s.nd <= 2 ? To2D(s) : Geom2D{};
    // One chunk of one (image, group): im2col (unless pointwise), bias, GEMM.
    auto run_chunk = [&](int64_t img, int64_t p0, int64_t pn, float* buf, int gemm_threads) {
      const int64_t n = img / s.group, g = img % s.group;
      const float* xg = x + (n * s.in_c + g * s.in_cg) * s.in_size;
      float* yg = y + (n * s.out_c + g * M) * P + p0;
      const float* bmat;
      int64_t ldb;
      if (pointwise) {
        bmat = xg + p0;
        ldb = P;
      } else {
        if (s.nd <= 2) Im2Col2D(xg, s.in_cg, g2, p0, pn, buf);
        else Im2ColNd(xg, s, p0, pn, buf);
        bmat = buf;
        ldb = pn;
      }
      if (b)
        for (int64_t m = 0; m < M; ++m) std::fill(yg + m * P, yg + m * P + pn, b[g * M + m]);
      Sgemm(false, false, M, pn, K, 1.f, w + g * M * K, K, bmat, ldb, b ? 1.f : 0.f, yg, P, gemm_threads);
    };
    if (whole_image) {
      for (int64_t img = 0; img < images; ++img) run_chunk(img, 0, P, col, threads);
      return Status::Ok();
    }
#pragma omp parallel for num_threads(workers) schedule(dynamic, 1) if (workers > 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t img = t / chunks, p0 = (t % chunks) * cn;
      run_chunk(img, p0, std::min(cn, P - p0), col ? col + ThreadId() * K * cn : nullptr, 1);
    }
    return Status::Ok();
  }

  WindowAttrs attrs_;
  int64_t group_ = 1;
};

}  // namespace

void RegisterConv(KernelRegistry& r) {
  Add<ConvKernel<float>>(r, RefDef("Conv").Opset(1).Types<float>());
  Add<ConvKernel<double>>(r, RefDef("Conv").Opset(1).Types<double>());
}

}  // namespace pl::cpu_ref
