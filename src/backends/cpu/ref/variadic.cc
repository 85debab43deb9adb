// N-input elementwise ops with multidirectional broadcasting (opsets 1+; broadcasting is a
// superset of the same-shape rule of opsets < 8): Max Min (every numeric type; NaN propagates as
// in numpy), Sum Mean (float32/64/16).
#include <cmath>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

enum class VarOp { kMax, kMin, kSum, kMean };

template <VarOp kOp, typename List>
class VariadicKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const int n = ctx.NumInputs();
    if (n < 1) return Status::InvalidArgument(node.Describe() + ": needs at least one input");
    std::vector<const Shape*> shapes;
    for (int i = 0; i < n; ++i) {
      const Tensor* t = ctx.Input(i);
      if (!t) return MissingInput(node, i);
      if (t->dtype() != ctx.Input(0)->dtype())
        return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(i) + " is " +
                                       DataTypeName(t->dtype()) + ", input 0 is " + DataTypeName(ctx.Input(0)->dtype()));
      shapes.push_back(&t->shape());
    }
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(shapes, node));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, ctx.Input(0)->dtype()));
    return Dispatch(List{}, ctx.Input(0)->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      const int64_t count = ShapeNumElements(out_shape);
      // Accumulate in the compute type so float16 sums round once, at the end.
      std::vector<C> acc(static_cast<size_t>(count));
      const Tensor* first = ctx.Input(0);
      const T* p0 = first->Data<T>();
      ForEachBroadcast2(first->shape(), out_shape, out_shape,
                        [&](int64_t i0, int64_t, int64_t o) { acc[o] = static_cast<C>(p0[i0]); });
      for (int k = 1; k < n; ++k) {
        const Tensor* t = ctx.Input(k);
        const T* p = t->Data<T>();
        ForEachBroadcast2(out_shape, t->shape(), out_shape, [&](int64_t, int64_t ik, int64_t o) {
          acc[o] = Combine(acc[o], static_cast<C>(p[ik]));
        });
      }
      T* out = y->MutableData<T>();
      for (int64_t i = 0; i < count; ++i) {
        if constexpr (kOp == VarOp::kMean) out[i] = static_cast<T>(acc[i] / static_cast<C>(n));
        else out[i] = static_cast<T>(acc[i]);
      }
      return Status::Ok();
    });
  }

 private:
  template <typename C>
  static C Combine(C a, C b) {
    if constexpr (kOp == VarOp::kSum || kOp == VarOp::kMean) {
      return a + b;
    } else {
      if constexpr (std::is_floating_point_v<C>) {
        if (std::isnan(a)) return a;
        if (std::isnan(b)) return b;
      }
      if constexpr (kOp == VarOp::kMax) return a < b ? b : a;
      else return b < a ? b : a;
    }
  }
};

}  // namespace

void RegisterVariadic(KernelRegistry& r) {
  Add<VariadicKernel<VarOp::kMax, NumericTypes>>(r, RefDef("Max").Opset(1).Types(DataTypes(NumericTypes{})));
  Add<VariadicKernel<VarOp::kMin, NumericTypes>>(r, RefDef("Min").Opset(1).Types(DataTypes(NumericTypes{})));
  Add<VariadicKernel<VarOp::kSum, FloatTypes>>(r, RefDef("Sum").Opset(1).Types(DataTypes(FloatTypes{})));
  Add<VariadicKernel<VarOp::kMean, FloatTypes>>(r, RefDef("Mean").Opset(1).Types(DataTypes(FloatTypes{})));
}

}  // namespace pl::cpu_ref
