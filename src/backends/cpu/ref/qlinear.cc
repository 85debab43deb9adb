// QLinearConv, ConvInteger, QLinearMatMul, MatMulInteger (opset 10): uint8/int8 operands (x and
// w may differ), exact int32 accumulation of (x - x_zp) * (w - w_zp); weight zero points and
// scales per tensor or per output channel (per column for MatMul, per row for its A operand).
// The QLinear forms requantize as ONNX Runtime does: acc * (x_scale * w_scale / y_scale) in
// float, round half to even, + y_zp, saturate. Conv padding holds x_zp (contributes 0).
#include <algorithm>
#include <cstring>

#include "src/backends/cpu/ref/conv_util.h"
#include "src/backends/cpu/ref/quant_util.h"

namespace pl::cpu_ref {
namespace {

bool IsQ8(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

Status CheckQ8(const NodeInfo& node, const Tensor& t, const char* what) {
  if (IsQ8(t.dtype())) return Status::Ok();
  return Status::InvalidArgument(node.Describe() + ": " + what + " has dtype " + DataTypeName(t.dtype()) +
                                 ", expected uint8 or int8");
}

// Zero point of operand `t` (input `i`, optional): defaults to 0, dtype must match t's.
Status ReadOptionalZp(KernelContext& ctx, int i, const Tensor& t, const char* what, std::vector<int32_t>* zp) {
  const Tensor* z = ctx.NumInputs() > i ? ctx.Input(i) : nullptr;
  if (!z) {
    *zp = {0};
    return Status::Ok();
  }
  return ReadZeroPoints(ctx.node(), *z, t.dtype(), what, zp);
}

Status RequireInput(KernelContext& ctx, int i, const Tensor** t) {
  *t = ctx.NumInputs() > i ? ctx.Input(i) : nullptr;
  return *t ? Status::Ok() : MissingInput(ctx.node(), i);
}

// Requantization of int32 accumulators: y = saturate(round(acc * mult[k]) + zp).
struct Requant {
  std::vector<float> mult;
  std::vector<float> b_scale;  // the operand scales and y_scale, kept for per-row A scales
  float y_scale = 1.f;
  int32_t zp = 0;
  DataType type = DataType::kUint8;
};

template <typename Q>
void RequantRow(const int32_t* acc, int64_t n, float mult, int32_t zp, Q* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = RoundSaturate<Q>(static_cast<float>(acc[i]) * mult, zp);
}

// Writes n accumulators to output row `row` of y: int32 as is, or requantized with `rq`'s
// multiplier k.
void StoreRow(const int32_t* acc, int64_t n, const Requant* rq, int64_t k, Tensor* y, int64_t offset) {
  if (!rq) {
    std::memcpy(y->MutableData<int32_t>() + offset, acc, static_cast<size_t>(n) * sizeof(int32_t));
  } else if (rq->type == DataType::kUint8) {
    RequantRow<uint8_t>(acc, n, At(rq->mult, k), rq->zp, y->MutableData<uint8_t>() + offset);
  } else {
    RequantRow<int8_t>(acc, n, At(rq->mult, k), rq->zp, y->MutableData<int8_t>() + offset);
  }
}

// Reads y_scale/y_zp (scalars) and combines them with the operand scales into per-channel
// multipliers a_scale * b_scale[k] / y_scale (float, in ONNX Runtime's order).
Status MakeRequant(const NodeInfo& node, float a_scale, const std::vector<float>& b_scale, const Tensor& y_scale,
                   const Tensor& y_zp, Requant* rq) {
  std::vector<float> sy;
  if (!IsScalarLike(y_scale) || !IsScalarLike(y_zp))
    return Status::InvalidArgument(node.Describe() + ": output scale and zero point must be scalars, got " +
                                   ShapeToString(y_scale.shape()) + " and " + ShapeToString(y_zp.shape()));
  PL_RETURN_IF_ERROR(ReadScales(node, y_scale, "output scale", &sy));
  PL_RETURN_IF_ERROR(CheckQ8(node, y_zp, "output zero point"));
  rq->type = y_zp.dtype();
  rq->zp = ReadQ(y_zp, 0);
  rq->b_scale = b_scale;
  rq->y_scale = sy[0];
  rq->mult.resize(b_scale.size());
  for (size_t k = 0; k < b_scale.size(); ++k) rq->mult[k] = a_scale * b_scale[k] / sy[0];
  return Status::Ok();
}

// ----- convolution -----

struct IntConvShape {
  int64_t batch = 0, in_c = 0, out_c = 0, group = 1, in_cg = 0, out_cg = 0;
  size_t nd = 0;
  std::vector<int64_t> in, kernel, out, strides, dilations, pads;
  int64_t in_size = 1, kernel_size = 1, out_size = 1;
};

Status MakeIntConvShape(const NodeInfo& node, const WindowAttrs& attrs, int64_t group, const Tensor& x,
                        const Tensor& w, IntConvShape* s) {
  const std::string me = node.Describe();
  if (x.rank() < 3)
    return Status::InvalidArgument(me + ": input x has shape " + ShapeToString(x.shape()) +
                                   ", expected rank >= 3 (N, C, spatial...)");
  if (w.rank() != x.rank())
    return Status::InvalidArgument(me + ": weight rank " + std::to_string(w.rank()) + ", expected " +
                                   std::to_string(x.rank()) + " (same as x)");
  s->nd = static_cast<size_t>(x.rank() - 2);
  s->batch = x.dim(0);
  s->in_c = x.dim(1);
  s->out_c = w.dim(0);
  s->group = group;
  if (w.dim(1) * group != s->in_c)
    return Status::InvalidArgument(me + ": input channels " + std::to_string(s->in_c) + " != group " +
                                   std::to_string(group) + " x weight dim 1 (" + std::to_string(w.dim(1)) + ")");
  if (s->out_c % group != 0)
    return Status::InvalidArgument(me + ": output channels " + std::to_string(s->out_c) +
                                   " not divisible by group " + std::to_string(group));
  s->in_cg = s->in_c / group;
  s->out_cg = s->out_c / group;
  s->in.assign(x.shape().begin() + 2, x.shape().end());
  s->kernel.assign(w.shape().begin() + 2, w.shape().end());
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != s->kernel)
    return Status::InvalidArgument(me + ": kernel_shape " + IntsToString(attrs.kernel_shape) +
                                   " does not match weight shape " + ShapeToString(w.shape()));
  PL_RETURN_IF_ERROR(attrs.Resolve(node, s->nd, &s->strides, &s->dilations, &s->pads));
  s->out.resize(s->nd);
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

// im2col of one image's channel group in int32: col[(c * taps + t) * P + p] is tap t of channel c
// for output position p, 0 in the padding (x already has its zero point subtracted).
void Im2ColInt(const int32_t* x, const IntConvShape& s, int32_t* col) {
  const size_t nd = s.nd;
  std::vector<int64_t> k_idx(nd), o_idx(nd);
  for (int64_t kk = 0; kk < s.kernel_size; ++kk) {
    for (int64_t r = kk, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
      k_idx[d] = r % s.kernel[d];
      r /= s.kernel[d];
    }
    std::fill(o_idx.begin(), o_idx.end(), 0);
    // Input offset of each output position for this tap, or -1 in the padding (shared by channels).
    for (int64_t p = 0; p < s.out_size; ++p) {
      int64_t off = 0;
      for (size_t d = 0; d < nd && off >= 0; ++d) {
        const int64_t v = o_idx[d] * s.strides[d] - s.pads[d] + k_idx[d] * s.dilations[d];
        off = (v < 0 || v >= s.in[d]) ? -1 : off * s.in[d] + v;
      }
      for (int64_t c = 0; c < s.in_cg; ++c)
        col[(c * s.kernel_size + kk) * s.out_size + p] = off < 0 ? 0 : x[c * s.in_size + off];
      for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        if (++o_idx[d] < s.out[d]) break;
        o_idx[d] = 0;
      }
    }
  }
}

// Shared by QLinearConv (requantized output) and ConvInteger (int32 output).
// Inputs: x, w (already validated uint8/int8), zero points, optional int32 bias.
Status RunIntConv(KernelContext& ctx, const WindowAttrs& attrs, int64_t group, const Tensor& x,
                  const std::vector<int32_t>& x_zp, const Tensor& w, const std::vector<int32_t>& w_zp,
                  const Tensor* bias, const Requant* rq) {
  const NodeInfo& node = ctx.node();
  IntConvShape s;
  PL_RETURN_IF_ERROR(MakeIntConvShape(node, attrs, group, x, w, &s));
  if (x_zp.size() != 1)
    return Status::InvalidArgument(node.Describe() + ": input zero point must be a scalar, got " +
                                   std::to_string(x_zp.size()) + " values");
  if (w_zp.size() != 1 && static_cast<int64_t>(w_zp.size()) != s.out_c)
    return Status::InvalidArgument(node.Describe() + ": weight zero point has " + std::to_string(w_zp.size()) +
                                   " values, expected 1 or " + std::to_string(s.out_c) + " (output channels)");
  if (rq && rq->mult.size() != 1 && static_cast<int64_t>(rq->mult.size()) != s.out_c)
    return Status::InvalidArgument(node.Describe() + ": weight scale has " + std::to_string(rq->mult.size()) +
                                   " values, expected 1 or " + std::to_string(s.out_c) + " (output channels)");
  if (bias) {
    if (bias->dtype() != DataType::kInt32)
      return Status::InvalidArgument(node.Describe() + ": bias dtype " + DataTypeName(bias->dtype()) +
                                     ", expected int32");
    if (bias->rank() != 1 || bias->dim(0) != s.out_c)
      return Status::InvalidArgument(node.Describe() + ": bias shape " + ShapeToString(bias->shape()) +
                                     ", expected [" + std::to_string(s.out_c) + "]");
  }
  Shape y_shape = {s.batch, s.out_c};
  y_shape.insert(y_shape.end(), s.out.begin(), s.out.end());
  PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, rq ? rq->type : DataType::kInt32));
  if (y->NumElements() == 0) return Status::Ok();
  const int64_t K = s.in_cg * s.kernel_size, P = s.out_size;
  // Workspace: x and w widened with their zero points subtracted, one group's columns, one row.
  const size_t nx = static_cast<size_t>(x.NumElements()), nw = static_cast<size_t>(w.NumElements());
  const size_t bytes = (nx + nw + static_cast<size_t>(K * P) + static_cast<size_t>(P)) * sizeof(int32_t);
  PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(bytes));
  int32_t* xi = static_cast<int32_t*>(ws);
  int32_t* wi = xi + nx;
  int32_t* col = wi + nw;
  int32_t* acc = col + K * P;
  WidenMinusZeroPoint(x, x_zp, 1, 1, xi);
  WidenMinusZeroPoint(w, w_zp, s.out_c, K, wi);
  const int32_t* b = bias ? bias->Data<int32_t>() : nullptr;
  for (int64_t n = 0; n < s.batch; ++n) {
    for (int64_t g = 0; g < s.group; ++g) {
      Im2ColInt(xi + (n * s.in_c + g * s.in_cg) * s.in_size, s, col);
      for (int64_t m = 0; m < s.out_cg; ++m) {
        const int64_t oc = g * s.out_cg + m;
        std::fill(acc, acc + P, b ? b[oc] : 0);
        const int32_t* wr = wi + oc * K;
        for (int64_t k = 0; k < K; ++k) {
          const int32_t wv = wr[k];
          if (wv == 0) continue;  // exact: integer products, no NaN to propagate
          const int32_t* cr = col + k * P;
          for (int64_t p = 0; p < P; ++p) acc[p] += wv * cr[p];
        }
        StoreRow(acc, P, rq, oc, y, (n * s.out_c + oc) * P);
      }
    }
  }
  return Status::Ok();
}

class ConvAttrsKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(attrs_.Read(node));
    group_ = node.Attr<int64_t>("group", 1);
    if (group_ < 1) return Status::ModelError(node.Describe() + ": group " + std::to_string(group_) + " must be >= 1");
    return Status::Ok();
  }

 protected:
  WindowAttrs attrs_;
  int64_t group_ = 1;
};

// QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?).
class QLinearConvKernel final : public ConvAttrsKernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor *x, *xs, *xz, *w, *ws, *wz, *ys, *yz;
    PL_RETURN_IF_ERROR(RequireInput(ctx, 0, &x));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 1, &xs));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 2, &xz));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 3, &w));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 4, &ws));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 5, &wz));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 6, &ys));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 7, &yz));
    const Tensor* bias = ctx.NumInputs() > 8 ? ctx.Input(8) : nullptr;
    PL_RETURN_IF_ERROR(CheckQ8(node, *x, "input x"));
    PL_RETURN_IF_ERROR(CheckQ8(node, *w, "weight w"));
    std::vector<int32_t> x_zp, w_zp;
    std::vector<float> w_scale;
    PL_RETURN_IF_ERROR(ReadZeroPoints(node, *xz, x->dtype(), "x_zero_point", &x_zp));
    PL_RETURN_IF_ERROR(ReadZeroPoints(node, *wz, w->dtype(), "w_zero_point", &w_zp));
    PL_RETURN_IF_ERROR(ReadScales(node, *ws, "w_scale", &w_scale));
    if (ws->rank() > 1 || wz->rank() > 1)
      return Status::InvalidArgument(node.Describe() + ": w_scale and w_zero_point must be scalars or 1-D, got " +
                                     ShapeToString(ws->shape()) + " and " + ShapeToString(wz->shape()));
    std::vector<float> x_scale;
    PL_RETURN_IF_ERROR(ReadScales(node, *xs, "x_scale", &x_scale));
    if (!IsScalarLike(*xs))
      return Status::InvalidArgument(node.Describe() + ": x_scale has shape " + ShapeToString(xs->shape()) +
                                     ", expected a scalar");
    Requant rq;
    PL_RETURN_IF_ERROR(MakeRequant(node, x_scale[0], w_scale, *ys, *yz, &rq));
    return RunIntConv(ctx, attrs_, group_, *x, x_zp, *w, w_zp, bias, &rq);
  }
};

// ConvInteger(x, w, x_zp?, w_zp?) -> int32.
class ConvIntegerKernel final : public ConvAttrsKernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor *x, *w;
    PL_RETURN_IF_ERROR(RequireInput(ctx, 0, &x));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 1, &w));
    PL_RETURN_IF_ERROR(CheckQ8(node, *x, "input x"));
    PL_RETURN_IF_ERROR(CheckQ8(node, *w, "weight w"));
    std::vector<int32_t> x_zp, w_zp;
    PL_RETURN_IF_ERROR(ReadOptionalZp(ctx, 2, *x, "x_zero_point", &x_zp));
    PL_RETURN_IF_ERROR(ReadOptionalZp(ctx, 3, *w, "w_zero_point", &w_zp));
    return RunIntConv(ctx, attrs_, group_, *x, x_zp, *w, w_zp, nullptr, nullptr);
  }
};

// ----- matrix multiplication -----

// numpy-matmul shapes of A [.., M, K] x B [.., K, N] (1-D operands promoted, batch broadcast).
struct MatMulShape {
  Shape batch_a, batch_b, batch, out;
  int64_t M = 0, K = 0, N = 0;
};

Status MakeMatMulShape(const NodeInfo& node, const Tensor& a, const Tensor& b, MatMulShape* s) {
  if (a.rank() < 1 || b.rank() < 1)
    return Status::InvalidArgument(node.Describe() + ": inputs must have rank >= 1, got " + ShapeToString(a.shape()) +
                                   " and " + ShapeToString(b.shape()));
  Shape sa = a.shape(), sb = b.shape();
  const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
  if (a_vec) sa.insert(sa.begin(), 1);
  if (b_vec) sb.push_back(1);
  s->M = sa[sa.size() - 2];
  s->K = sa.back();
  s->N = sb.back();
  if (sb[sb.size() - 2] != s->K)
    return Status::InvalidArgument(node.Describe() + ": inner dimensions differ: " + ShapeToString(a.shape()) +
                                   " x " + ShapeToString(b.shape()));
  s->batch_a.assign(sa.begin(), sa.end() - 2);
  s->batch_b.assign(sb.begin(), sb.end() - 2);
  PL_ASSIGN_OR_RETURN(s->batch, BroadcastShapes(s->batch_a, s->batch_b, node));
  s->out = s->batch;
  if (!a_vec) s->out.push_back(s->M);
  if (!b_vec) s->out.push_back(s->N);
  return Status::Ok();
}

// A per-row (A: 1 or M values) or per-column (B: 1 or N values) operand parameter.
Status CheckCount(const NodeInfo& node, size_t count, int64_t dim, const char* what, const char* dim_name) {
  if (count == 1 || static_cast<int64_t>(count) == dim) return Status::Ok();
  return Status::InvalidArgument(node.Describe() + ": " + what + " has " + std::to_string(count) +
                                 " values, expected 1 or " + std::to_string(dim) + " (" + dim_name + ")");
}

// acc[i, j] = sum_k (a[i,k] - a_zp[i]) (b[k,j] - b_zp[j]) for every batch matrix, stored as int32
// (rq null) or requantized with rq's multiplier of column j, times row_scale[i] when A's scale is
// per row.
Status RunIntMatMul(KernelContext& ctx, const Tensor& a, const std::vector<int32_t>& a_zp, const Tensor& b,
                    const std::vector<int32_t>& b_zp, const Requant* rq, const std::vector<float>* row_scale) {
  const NodeInfo& node = ctx.node();
  MatMulShape s;
  PL_RETURN_IF_ERROR(MakeMatMulShape(node, a, b, &s));
  PL_RETURN_IF_ERROR(CheckCount(node, a_zp.size(), s.M, "a_zero_point", "rows of A"));
  PL_RETURN_IF_ERROR(CheckCount(node, b_zp.size(), s.N, "b_zero_point", "columns of B"));
  if (rq) PL_RETURN_IF_ERROR(CheckCount(node, rq->mult.size(), s.N, "b_scale", "columns of B"));
  if (row_scale) PL_RETURN_IF_ERROR(CheckCount(node, row_scale->size(), s.M, "a_scale", "rows of A"));
  PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, s.out, rq ? rq->type : DataType::kInt32));
  if (y->NumElements() == 0) return Status::Ok();
  const int64_t M = s.M, K = s.K, N = s.N;
  const size_t na = static_cast<size_t>(a.NumElements()), nb = static_cast<size_t>(b.NumElements());
  PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace((na + nb + 2 * static_cast<size_t>(N)) * sizeof(int32_t)));
  int32_t* ai = static_cast<int32_t*>(ws);
  int32_t* bi = ai + na;
  int32_t* acc = bi + nb;
  uint8_t* qrow = reinterpret_cast<uint8_t*>(acc + N);  // one requantized row of N bytes
  WidenMinusZeroPoint(a, a_zp, M, K, ai);
  WidenMinusZeroPoint(b, b_zp, N, 1, bi);
  ForEachBroadcast2(s.batch_a, s.batch_b, s.batch, [&](int64_t ia, int64_t ib, int64_t o) {
    const int32_t* ma = ai + ia * M * K;
    const int32_t* mb = bi + ib * K * N;
    for (int64_t i = 0; i < M; ++i) {
      std::fill(acc, acc + N, 0);
      for (int64_t k = 0; k < K; ++k) {
        const int32_t av = ma[i * K + k];
        if (av == 0) continue;
        const int32_t* br = mb + k * N;
        for (int64_t j = 0; j < N; ++j) acc[j] += av * br[j];
      }
      const int64_t offset = (o * M + i) * N;
      if (!rq) {
        StoreRow(acc, N, nullptr, 0, y, offset);
        continue;
      }
      // Multiplier per column; with a per-row A scale, (a_scale[i] * b_scale[j]) / y_scale, the same
      // order of float operations as the per-tensor multiplier.
      const float row = row_scale ? At(*row_scale, i) : 1.f;
      for (int64_t j = 0; j < N; ++j) {
        const float mult = row_scale ? row * At(rq->b_scale, j) / rq->y_scale : At(rq->mult, j);
        if (rq->type == DataType::kUint8) qrow[j] = RoundSaturate<uint8_t>(static_cast<float>(acc[j]) * mult, rq->zp);
        else reinterpret_cast<int8_t*>(qrow)[j] = RoundSaturate<int8_t>(static_cast<float>(acc[j]) * mult, rq->zp);
      }
      std::memcpy(static_cast<uint8_t*>(y->RawMutableData()) + offset, qrow, static_cast<size_t>(N));
    }
  });
  return Status::Ok();
}

// QLinearMatMul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp).
class QLinearMatMulKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor *a, *as, *az, *b, *bs, *bz, *ys, *yz;
    PL_RETURN_IF_ERROR(RequireInput(ctx, 0, &a));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 1, &as));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 2, &az));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 3, &b));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 4, &bs));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 5, &bz));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 6, &ys));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 7, &yz));
    PL_RETURN_IF_ERROR(CheckQ8(node, *a, "input a"));
    PL_RETURN_IF_ERROR(CheckQ8(node, *b, "input b"));
    if (as->rank() > 1 || az->rank() > 1 || bs->rank() > 1 || bz->rank() > 1)
      return Status::InvalidArgument(node.Describe() + ": scales and zero points must be scalars or 1-D");
    std::vector<int32_t> a_zp, b_zp;
    std::vector<float> a_scale, b_scale;
    PL_RETURN_IF_ERROR(ReadZeroPoints(node, *az, a->dtype(), "a_zero_point", &a_zp));
    PL_RETURN_IF_ERROR(ReadZeroPoints(node, *bz, b->dtype(), "b_zero_point", &b_zp));
    PL_RETURN_IF_ERROR(ReadScales(node, *as, "a_scale", &a_scale));
    PL_RETURN_IF_ERROR(ReadScales(node, *bs, "b_scale", &b_scale));
    Requant rq;
    if (a_scale.size() == 1) {
      PL_RETURN_IF_ERROR(MakeRequant(node, a_scale[0], b_scale, *ys, *yz, &rq));
      return RunIntMatMul(ctx, *a, a_zp, *b, b_zp, &rq, nullptr);
    }
    // Per-row A scale: multiplier (a_scale[i] * b_scale[j]) / y_scale, formed per element.
    PL_RETURN_IF_ERROR(MakeRequant(node, 1.f, b_scale, *ys, *yz, &rq));
    return RunIntMatMul(ctx, *a, a_zp, *b, b_zp, &rq, &a_scale);
  }
};

// MatMulInteger(A, B, a_zp?, b_zp?) -> int32.
class MatMulIntegerKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor *a, *b;
    PL_RETURN_IF_ERROR(RequireInput(ctx, 0, &a));
    PL_RETURN_IF_ERROR(RequireInput(ctx, 1, &b));
    PL_RETURN_IF_ERROR(CheckQ8(node, *a, "input A"));
    PL_RETURN_IF_ERROR(CheckQ8(node, *b, "input B"));
    std::vector<int32_t> a_zp, b_zp;
    PL_RETURN_IF_ERROR(ReadOptionalZp(ctx, 2, *a, "a_zero_point", &a_zp));
    PL_RETURN_IF_ERROR(ReadOptionalZp(ctx, 3, *b, "b_zero_point", &b_zp));
    return RunIntMatMul(ctx, *a, a_zp, *b, b_zp, nullptr, nullptr);
  }
};

}  // namespace

void RegisterQLinear(KernelRegistry& r) {
  Add<QLinearConvKernel>(r, RefDef("QLinearConv").Opset(10).Types<uint8_t, int8_t>());
  Add<ConvIntegerKernel>(r, RefDef("ConvInteger").Opset(10).Types<uint8_t, int8_t>());
  Add<QLinearMatMulKernel>(r, RefDef("QLinearMatMul").Opset(10).Types<uint8_t, int8_t>());
  Add<MatMulIntegerKernel>(r, RefDef("MatMulInteger").Opset(10).Types<uint8_t, int8_t>());
}

}  // namespace pl::cpu_ref
