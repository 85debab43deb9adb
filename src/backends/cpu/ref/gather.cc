// Gather (1, 11, 13), GatherElements (11, 13), GatherND (11, 12 batch_dims, 13), ScatterND (11, 13,
// 16 reduction, 18 max/min), ScatterElements (11, 13, 16, 18) and the older Scatter (9, 10).
// Data: any dtype, strings included (copied element by element; reductions: numeric types and
// float16); indices: int32/int64, negative allowed.
#include <algorithm>

#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

// Reads all indices, wrapping negatives against `dim`; error (naming the node) if out of range.
StatusOr<std::vector<int64_t>> ReadIndices(const Tensor& t, int64_t dim, const NodeInfo& node) {
  PL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(t, node, "indices"));
  for (int64_t& i : v) {
    if (i < -dim || i >= dim)
      return Status::InvalidArgument(node.Describe() + ": index " + std::to_string(i) + " out of range for dim " +
                                     std::to_string(dim));
    if (i < 0) i += dim;
  }
  return v;
}

StatusOr<const Tensor*> In(const KernelContext& ctx, int i, const char* what) {
  const Tensor* t = ctx.Input(i);
  if (!t) return Status::InvalidArgument(ctx.node().Describe() + ": missing input '" + what + "'");
  // Strings reach only the kernels registered with Strings(), which copy them element by element.
  if (i == 0 && t->dtype() != DataType::kString) PL_RETURN_IF_ERROR(CheckCopyable(t->dtype(), ctx.node(), what));
  return t;
}

int64_t Prod(const Shape& s, size_t b, size_t e) {
  int64_t p = 1;
  for (size_t d = b; d < e; ++d) p *= s[d];
  return p;
}

// ---------------------------------------------------------------- Gather
class GatherKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 0);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* x, In(ctx, 0, "data"));
    PL_ASSIGN_OR_RETURN(const Tensor* ind, In(ctx, 1, "indices"));
    const int64_t r = x->rank();
    if (r < 1) return Status::InvalidArgument(node.Describe() + ": data must have rank >= 1");
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, r, node));
    const Shape& ds = x->shape();
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndices(*ind, ds[axis], node));
    Shape out(ds.begin(), ds.begin() + axis);
    out.insert(out.end(), ind->shape().begin(), ind->shape().end());
    out.insert(out.end(), ds.begin() + axis + 1, ds.end());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    const int64_t block = Prod(ds, axis + 1, ds.size());  // elements (strings included)
    const int64_t outer = Prod(ds, 0, axis), n = ds[axis], m = static_cast<int64_t>(idx.size());
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < m; ++j) CopyElements(*x, (o * n + idx[j]) * block, y, (o * m + j) * block, block);
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

// ---------------------------------------------------------------- GatherElements
// Calls f(position in indices, data offset it addresses) for every element of `indices`, whose
// value replaces the coordinate on `axis`. Shared by GatherElements and ScatterElements.
template <typename F>
void ForEachElementIndex(const Shape& ishape, const Shape& dshape, int64_t axis, const std::vector<int64_t>& idx, F&& f) {
  const int64_t r = static_cast<int64_t>(ishape.size());
  const std::vector<int64_t> dstr = ContiguousStrides(dshape);
  std::vector<int64_t> pos(r, 0);
  int64_t base = 0;  // data offset of pos, without the axis coordinate
  for (int64_t i = 0; i < static_cast<int64_t>(idx.size()); ++i) {
    f(i, base + idx[i] * dstr[axis]);
    for (int64_t d = r - 1; d >= 0; --d) {
      if (d != axis) base += dstr[d];
      if (++pos[d] < ishape[d]) break;
      if (d != axis) base -= dstr[d] * ishape[d];
      pos[d] = 0;
    }
  }
}

Status CheckElementShapes(const Tensor& x, const Tensor& ind, int64_t axis, const NodeInfo& node) {
  if (ind.rank() != x.rank())
    return Status::InvalidArgument(node.Describe() + ": indices rank " + std::to_string(ind.rank()) +
                                   " differs from data rank " + std::to_string(x.rank()));
  for (int64_t d = 0; d < x.rank(); ++d)
    if (d != axis && ind.dim(static_cast<int>(d)) > x.dim(static_cast<int>(d)))
      return Status::InvalidArgument(node.Describe() + ": indices shape " + ShapeToString(ind.shape()) +
                                     " exceeds data shape " + ShapeToString(x.shape()));
  return Status::Ok();
}

class GatherElementsKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 0);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* x, In(ctx, 0, "data"));
    PL_ASSIGN_OR_RETURN(const Tensor* ind, In(ctx, 1, "indices"));
    if (x->rank() < 1) return Status::InvalidArgument(node.Describe() + ": data must have rank >= 1");
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), node));
    PL_RETURN_IF_ERROR(CheckElementShapes(*x, *ind, axis, node));
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndices(*ind, x->dim(static_cast<int>(axis)), node));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, ind->shape(), x->dtype()));
    if (x->dtype() == DataType::kString) {
      ForEachElementIndex(ind->shape(), x->shape(), axis, idx, [&](int64_t i, int64_t off) { CopyElements(*x, off, y, i, 1); });
      return Status::Ok();
    }
    VisitElementSize(DataTypeSize(x->dtype()), [&](auto zero) {
      using U = decltype(zero);
      const U* src = x->Data<U>();
      U* dst = y->MutableData<U>();
      ForEachElementIndex(ind->shape(), x->shape(), axis, idx, [&](int64_t i, int64_t off) { dst[i] = src[off]; });
    });
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

// ---------------------------------------------------------------- GatherND
class GatherNDKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    batch_dims_ = node.opset >= 12 ? node.Attr<int64_t>("batch_dims", 0) : 0;
    if (batch_dims_ < 0) return Status::ModelError(node.Describe() + ": batch_dims must be >= 0");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* x, In(ctx, 0, "data"));
    PL_ASSIGN_OR_RETURN(const Tensor* ind, In(ctx, 1, "indices"));
    const Shape& ds = x->shape();
    const Shape& is = ind->shape();
    const int64_t r = x->rank(), q = ind->rank(), b = batch_dims_;
    if (r < 1 || q < 1) return Status::InvalidArgument(node.Describe() + ": data and indices need rank >= 1");
    if (b >= std::min(r, q))
      return Status::InvalidArgument(node.Describe() + ": batch_dims " + std::to_string(b) + " too large");
    const int64_t k = is[q - 1];
    if (k < 1 || k > r - b)
      return Status::InvalidArgument(node.Describe() + ": indices last dim " + std::to_string(k) + " not in [1, " +
                                     std::to_string(r - b) + "]");
    for (int64_t d = 0; d < b; ++d)
      if (ds[d] != is[d])
        return Status::InvalidArgument(node.Describe() + ": batch dims of data " + ShapeToString(ds) +
                                       " and indices " + ShapeToString(is) + " differ");
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> raw, ReadInts(*ind, node, "indices"));
    Shape out(is.begin(), is.end() - 1);
    out.insert(out.end(), ds.begin() + b + k, ds.end());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    const int64_t batches = Prod(ds, 0, b);
    const int64_t per_batch = Prod(is, b, q - 1);
    const int64_t block = Prod(ds, b + k, r);
    const int64_t batch_stride = Prod(ds, b, r);
    const std::vector<int64_t> strides = ContiguousStrides(ds);
    for (int64_t bi = 0; bi < batches; ++bi) {
      for (int64_t j = 0; j < per_batch; ++j) {
        const int64_t* t = raw.data() + (bi * per_batch + j) * k;
        int64_t off = bi * batch_stride;
        for (int64_t c = 0; c < k; ++c) {
          const int64_t dim = ds[b + c];
          int64_t v = t[c];
          if (v < -dim || v >= dim)
            return Status::InvalidArgument(node.Describe() + ": index " + std::to_string(v) +
                                           " out of range for dim " + std::to_string(dim));
          if (v < 0) v += dim;
          off += v * strides[b + c];
        }
        CopyElements(*x, off, y, (bi * per_batch + j) * block, block);
      }
    }
    return Status::Ok();
  }

 private:
  int64_t batch_dims_ = 0;
};

// ---------------------------------------------------------------- Scatter reductions
enum class Reduction { kNone, kAdd, kMul, kMax, kMin };

StatusOr<Reduction> ParseReduction(const NodeInfo& node) {
  const std::string s = node.Attr<std::string>("reduction", "none");
  if (s == "none") return Reduction::kNone;
  if (node.opset >= 16 && s == "add") return Reduction::kAdd;
  if (node.opset >= 16 && s == "mul") return Reduction::kMul;
  // max/min are opset 18; accepted from 16 since the semantics cannot differ.
  if (node.opset >= 16 && s == "max") return Reduction::kMax;
  if (node.opset >= 16 && s == "min") return Reduction::kMin;
  return Status::ModelError(node.Describe() + ": unsupported reduction '" + s + "' at opset " +
                            std::to_string(node.opset));
}

template <typename T>
T Combine(T a, T b, Reduction r) {
  switch (r) {
    case Reduction::kAdd: return static_cast<T>(a + b);
    case Reduction::kMul: return static_cast<T>(a * b);
    case Reduction::kMax: return std::max(a, b);
    case Reduction::kMin: return std::min(a, b);
    default: return b;
  }
}

// dst[i] = combine(dst[i], src[i]) for i < n, in dt. False for a dtype without arithmetic.
bool ReduceInto(DataType dt, Reduction r, void* dst, const void* src, int64_t n) {
  if (r == Reduction::kNone) {
    std::memcpy(dst, src, static_cast<size_t>(n) * DataTypeSize(dt));
    return true;
  }
  if (dt == DataType::kFloat16) {
    uint16_t* d = static_cast<uint16_t*>(dst);
    const uint16_t* s = static_cast<const uint16_t*>(src);
    for (int64_t i = 0; i < n; ++i) d[i] = FloatToHalf(Combine(HalfToFloat(d[i]), HalfToFloat(s[i]), r));
    return true;
  }
  return VisitNumericType(dt, [&](auto zero) {
    using T = decltype(zero);
    T* d = static_cast<T*>(dst);
    const T* s = static_cast<const T*>(src);
    for (int64_t i = 0; i < n; ++i) d[i] = Combine(d[i], s[i], r);
  });
}

Status CopyData(const Tensor& x, Tensor* y) {
  if (x.dtype() == DataType::kString) CopyElements(x, 0, y, 0, x.NumElements());
  else if (x.ByteSize()) std::memcpy(y->RawMutableData(), x.RawData(), x.ByteSize());
  return Status::Ok();
}

// dst[to + i] = combine(dst[to + i], src[from + i]) for i < n. Strings take no reduction.
Status Update(const Tensor& src, int64_t from, Tensor* dst, int64_t to, int64_t n, Reduction r, const NodeInfo& node) {
  if (src.dtype() == DataType::kString && r == Reduction::kNone) return CopyElements(src, from, dst, to, n), Status::Ok();
  const size_t esz = DataTypeSize(src.dtype());
  if (src.dtype() == DataType::kString ||
      !ReduceInto(src.dtype(), r, static_cast<char*>(dst->RawMutableData()) + to * esz,
                  static_cast<const char*>(src.RawData()) + from * esz, n))
    return Status::Unimplemented(node.Describe() + ": reduction on " + DataTypeName(src.dtype()));
  return Status::Ok();
}

// ---------------------------------------------------------------- ScatterND
class ScatterNDKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(reduction_, ParseReduction(node));
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* x, In(ctx, 0, "data"));
    PL_ASSIGN_OR_RETURN(const Tensor* ind, In(ctx, 1, "indices"));
    PL_ASSIGN_OR_RETURN(const Tensor* upd, In(ctx, 2, "updates"));
    const Shape& ds = x->shape();
    const Shape& is = ind->shape();
    const int64_t r = x->rank(), q = ind->rank();
    if (r < 1 || q < 1) return Status::InvalidArgument(node.Describe() + ": data and indices need rank >= 1");
    const int64_t k = is[q - 1];
    if (k > r) return Status::InvalidArgument(node.Describe() + ": indices last dim exceeds data rank");
    Shape want(is.begin(), is.end() - 1);
    want.insert(want.end(), ds.begin() + k, ds.end());
    if (upd->shape() != want || upd->dtype() != x->dtype())
      return Status::InvalidArgument(node.Describe() + ": updates must be " + DataTypeName(x->dtype()) +
                                     ShapeToString(want) + ", got " + DataTypeName(upd->dtype()) +
                                     ShapeToString(upd->shape()));
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> raw, ReadInts(*ind, node, "indices"));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, ds, x->dtype()));
    PL_RETURN_IF_ERROR(CopyData(*x, y));
    const int64_t block = Prod(ds, k, r), m = Prod(is, 0, q - 1);
    const std::vector<int64_t> strides = ContiguousStrides(ds);
    for (int64_t j = 0; j < m; ++j) {
      int64_t off = 0;
      for (int64_t c = 0; c < k; ++c) {
        int64_t v = raw[j * k + c];
        if (v < -ds[c] || v >= ds[c])
          return Status::InvalidArgument(node.Describe() + ": index " + std::to_string(v) + " out of range for dim " +
                                         std::to_string(ds[c]));
        off += (v < 0 ? v + ds[c] : v) * strides[c];
      }
      PL_RETURN_IF_ERROR(Update(*upd, j * block, y, off, block, reduction_, node));
    }
    return Status::Ok();
  }

 private:
  Reduction reduction_ = Reduction::kNone;
};

// ---------------------------------------------------------------- ScatterElements / Scatter
class ScatterElementsKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 0);
    if (node.op_type == "ScatterElements") {
      PL_ASSIGN_OR_RETURN(reduction_, ParseReduction(node));
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* x, In(ctx, 0, "data"));
    PL_ASSIGN_OR_RETURN(const Tensor* ind, In(ctx, 1, "indices"));
    PL_ASSIGN_OR_RETURN(const Tensor* upd, In(ctx, 2, "updates"));
    if (x->rank() < 1) return Status::InvalidArgument(node.Describe() + ": data must have rank >= 1");
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), node));
    PL_RETURN_IF_ERROR(CheckElementShapes(*x, *ind, axis, node));
    if (upd->shape() != ind->shape() || upd->dtype() != x->dtype())
      return Status::InvalidArgument(node.Describe() + ": updates must be " + DataTypeName(x->dtype()) +
                                     ShapeToString(ind->shape()) + ", got " + DataTypeName(upd->dtype()) +
                                     ShapeToString(upd->shape()));
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadIndices(*ind, x->dim(static_cast<int>(axis)), node));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    PL_RETURN_IF_ERROR(CopyData(*x, y));
    Status st;
    ForEachElementIndex(ind->shape(), x->shape(), axis, idx, [&](int64_t i, int64_t off) {
      if (st.ok()) st = Update(*upd, i, y, off, 1, reduction_, node);
    });
    return st;
  }

 private:
  int64_t axis_ = 0;
  Reduction reduction_ = Reduction::kNone;
};

}  // namespace

void RegisterGather(KernelRegistry& r) {
  Add<GatherKernel>(r, RefDef("Gather").Opset(1, 10).AnyType().Strings());
  Add<GatherKernel>(r, RefDef("Gather").Opset(11, 12).AnyType().Strings());
  Add<GatherKernel>(r, RefDef("Gather").Opset(13).AnyType().Strings());
  Add<GatherElementsKernel>(r, RefDef("GatherElements").Opset(11, 12).AnyType().Strings());
  Add<GatherElementsKernel>(r, RefDef("GatherElements").Opset(13).AnyType().Strings());
  Add<GatherNDKernel>(r, RefDef("GatherND").Opset(11, 11).AnyType().Strings());
  Add<GatherNDKernel>(r, RefDef("GatherND").Opset(12, 12).AnyType().Strings());
  Add<GatherNDKernel>(r, RefDef("GatherND").Opset(13).AnyType().Strings());
  Add<ScatterNDKernel>(r, RefDef("ScatterND").Opset(11, 12).AnyType().Strings());
  Add<ScatterNDKernel>(r, RefDef("ScatterND").Opset(13, 15).AnyType().Strings());
  Add<ScatterNDKernel>(r, RefDef("ScatterND").Opset(16).AnyType().Strings());
  Add<ScatterElementsKernel>(r, RefDef("Scatter").Opset(9, 10).AnyType().Strings());
  Add<ScatterElementsKernel>(r, RefDef("ScatterElements").Opset(11, 12).AnyType().Strings());
  Add<ScatterElementsKernel>(r, RefDef("ScatterElements").Opset(13, 15).AnyType().Strings());
  Add<ScatterElementsKernel>(r, RefDef("ScatterElements").Opset(16).AnyType().Strings());
}

}  // namespace pl::cpu_ref
