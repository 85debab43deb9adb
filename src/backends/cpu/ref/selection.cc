// Unique (11; sorted or first-occurrence order, flattened or along an axis; outputs Y, indices,
// inverse_indices, counts; numeric and bool), Compress (9, 11; bool condition, along an axis or over
// the flattened input; any dtype, strings included) and ReverseSequence (10; batch_axis/time_axis 0
// or 1; any dtype, strings included).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/backends/cpu/ref/data_movement.h"
#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

// Splits shape at `axis` into outer * len * inner elements.
void SplitAt(const Shape& s, int64_t axis, int64_t* outer, int64_t* len, int64_t* inner) {
  *outer = 1;
  *inner = 1;
  for (int64_t d = 0; d < axis; ++d) *outer *= s[d];
  for (size_t d = static_cast<size_t>(axis) + 1; d < s.size(); ++d) *inner *= s[d];
  *len = s[axis];
}

// ---------------------------------------------------------------- Unique
// Total order for the sort: NaN after every number and equal to every NaN (numpy's unique
// collapses NaNs); -0 equals 0.
template <typename C>
int CompareValues(C a, C b) {
  if constexpr (std::is_floating_point_v<C>) {
    const bool na = std::isnan(a), nb = std::isnan(b);
    if (na || nb) return na == nb ? 0 : (na ? 1 : -1);
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

class UniqueKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    sorted_ = node.Attr<int64_t>("sorted", 1) != 0;
    has_axis_ = node.HasAttr("axis");
    axis_ = node.Attr<int64_t>("axis", 0);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    return Dispatch(NumericBoolTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return Run<T>(ctx, *x);
    });
  }

 private:
  template <typename T>
  Status Run(KernelContext& ctx, const Tensor& x) const {
    using C = CType<T>;
    const NodeInfo& node = ctx.node();
    // Without an axis the input is flattened: slices are single elements.
    Shape shape = has_axis_ ? x.shape() : Shape{x.NumElements()};
    int64_t axis = 0;
    if (has_axis_) {
      if (x.rank() == 0) return Status::InvalidArgument(node.Describe() + ": axis given for a scalar input");
      PL_ASSIGN_OR_RETURN(axis, NormalizeAxis(axis_, x.rank(), node));
    }
    int64_t outer, len, inner;
    SplitAt(shape, axis, &outer, &len, &inner);
    const T* xd = x.Data<T>();
    auto at = [&](int64_t slice, int64_t o, int64_t i) { return static_cast<C>(xd[(o * len + slice) * inner + i]); };
    auto compare = [&](int64_t a, int64_t b) {
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i)
          if (int c = CompareValues<C>(at(a, o, i), at(b, o, i))) return c;
      return 0;
    };
    std::vector<int64_t> order(static_cast<size_t>(len));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return compare(a, b) < 0; });
    // Groups of equal slices in sorted order; the stable sort puts each group's first occurrence first.
    std::vector<int64_t> group_first, group_count, group_of(static_cast<size_t>(len));
    for (size_t k = 0; k < order.size(); ++k) {
      if (k == 0 || compare(order[k - 1], order[k]) != 0) {
        group_first.push_back(order[k]);
        group_count.push_back(0);
      }
      group_of[order[k]] = static_cast<int64_t>(group_first.size()) - 1;
      ++group_count.back();
    }
    const int64_t u = static_cast<int64_t>(group_first.size());
    // Output position of each group: sorted order, or order of first occurrence.
    std::vector<int64_t> pos(static_cast<size_t>(u));
    std::iota(pos.begin(), pos.end(), 0);
    if (!sorted_) {
      std::vector<int64_t> by_first(pos);
      std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return group_first[a] < group_first[b]; });
      for (int64_t k = 0; k < u; ++k) pos[by_first[k]] = k;
    }
    std::vector<int64_t> first(static_cast<size_t>(u)), count(static_cast<size_t>(u));
    for (int64_t g = 0; g < u; ++g) {
      first[pos[g]] = group_first[g];
      count[pos[g]] = group_count[g];
    }
    Shape yshape = shape;
    if (has_axis_) yshape[axis] = u;
    else yshape = {u};
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, yshape, x.dtype()));
    T* yd = y->MutableData<T>();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < u; ++k)
        std::copy_n(xd + (o * len + first[k]) * inner, inner, yd + (o * u + k) * inner);
    auto write = [&](int i, int64_t n, auto value) -> Status {
      if (!ctx.OutputRequested(i)) return Status::Ok();
      PL_ASSIGN_OR_RETURN(Tensor* t, ctx.Output(i, {n}, DataType::kInt64));
      int64_t* d = t->MutableData<int64_t>();
      for (int64_t k = 0; k < n; ++k) d[k] = value(k);
      return Status::Ok();
    };
    PL_RETURN_IF_ERROR(write(1, u, [&](int64_t k) { return first[k]; }));
    PL_RETURN_IF_ERROR(write(2, len, [&](int64_t k) { return pos[group_of[k]]; }));
    return write(3, u, [&](int64_t k) { return count[k]; });
  }

  bool sorted_ = true, has_axis_ = false;
  int64_t axis_ = 0;
};

// ---------------------------------------------------------------- Compress
// A condition shorter than the selected dimension drops the rest; a longer one may only hold
// false beyond it (numpy.compress).
class CompressKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    has_axis_ = node.HasAttr("axis");
    axis_ = node.Attr<int64_t>("axis", 0);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* cond = ctx.Input(1);
    if (!x) return MissingInput(node, 0);
    if (!cond) return MissingInput(node, 1);
    if (x->dtype() != DataType::kString) PL_RETURN_IF_ERROR(CheckCopyable(x->dtype(), node, "input"));
    if (cond->dtype() != DataType::kBool || cond->rank() != 1)
      return Status::InvalidArgument(me + ": condition must be a 1-D bool tensor, got " +
                                     DataTypeName(cond->dtype()) + " " + ShapeToString(cond->shape()));
    Shape shape = has_axis_ ? x->shape() : Shape{x->NumElements()};
    int64_t axis = 0;
    if (has_axis_) {
      if (x->rank() == 0) return Status::InvalidArgument(me + ": axis given for a scalar input");
      PL_ASSIGN_OR_RETURN(axis, NormalizeAxis(axis_, x->rank(), node));
    }
    int64_t outer, len, inner;
    SplitAt(shape, axis, &outer, &len, &inner);
    const bool* c = cond->Data<bool>();
    const int64_t clen = cond->dim(0);
    std::vector<int64_t> keep;
    for (int64_t k = 0; k < clen; ++k) {
      if (!c[k]) continue;
      if (k >= len)
        return Status::InvalidArgument(me + ": condition selects index " + std::to_string(k) + " of a dimension of " +
                                       std::to_string(len));
      keep.push_back(k);
    }
    const int64_t m = static_cast<int64_t>(keep.size());
    shape[axis] = m;
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, shape, x->dtype()));
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t k = 0; k < m; ++k) CopyElements(*x, (o * len + keep[k]) * inner, y, (o * m + k) * inner, inner);
    return Status::Ok();
  }

 private:
  bool has_axis_ = false;
  int64_t axis_ = 0;
};

// ---------------------------------------------------------------- ReverseSequence
class ReverseSequenceKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    batch_axis_ = node.Attr<int64_t>("batch_axis", 1);
    time_axis_ = node.Attr<int64_t>("time_axis", 0);
    if ((batch_axis_ != 0 && batch_axis_ != 1) || (time_axis_ != 0 && time_axis_ != 1) || batch_axis_ == time_axis_)
      return Status::InvalidArgument(node.Describe() + ": batch_axis " + std::to_string(batch_axis_) + " and time_axis " +
                                     std::to_string(time_axis_) + " must be 0 and 1 in some order");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* lens = ctx.Input(1);
    if (!x) return MissingInput(node, 0);
    if (!lens) return MissingInput(node, 1);
    if (x->dtype() != DataType::kString) PL_RETURN_IF_ERROR(CheckCopyable(x->dtype(), node, "input"));
    if (x->rank() < 2) return Status::InvalidArgument(me + ": input rank " + std::to_string(x->rank()) + ", expected >= 2");
    const int64_t batch = x->dim(static_cast<int>(batch_axis_)), steps = x->dim(static_cast<int>(time_axis_));
    if (lens->rank() != 1 || lens->dim(0) != batch)
      return Status::InvalidArgument(me + ": sequence_lens shape " + ShapeToString(lens->shape()) + ", expected [" +
                                     std::to_string(batch) + "]");
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> lv, ReadInts(*lens, node, "sequence_lens"));
    for (int64_t b = 0; b < batch; ++b)
      if (lv[b] < 0 || lv[b] > steps)
        return Status::InvalidArgument(me + ": sequence_lens[" + std::to_string(b) + "] = " + std::to_string(lv[b]) +
                                       " outside [0, " + std::to_string(steps) + "]");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    int64_t inner = 1;
    for (int d = 2; d < x->rank(); ++d) inner *= x->dim(d);
    // Element offset of (batch b, step t).
    auto off = [&](int64_t b, int64_t t) { return (batch_axis_ == 0 ? b * steps + t : t * batch + b) * inner; };
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t t = 0; t < steps; ++t) CopyElements(*x, off(b, t < lv[b] ? lv[b] - 1 - t : t), y, off(b, t), inner);
    return Status::Ok();
  }

 private:
  int64_t batch_axis_ = 1, time_axis_ = 0;
};

}  // namespace

void RegisterSelection(KernelRegistry& r) {
  Add<UniqueKernel>(r, RefDef("Unique").Opset(11).Types(DataTypes(NumericBoolTypes{})));
  Add<CompressKernel>(r, RefDef("Compress").Opset(9, 10).AnyType().Strings());
  Add<CompressKernel>(r, RefDef("Compress").Opset(11).AnyType().Strings());
  Add<ReverseSequenceKernel>(r, RefDef("ReverseSequence").Opset(10).AnyType().Strings());
}

}  // namespace pl::cpu_ref
