// Broadcasting binary arithmetic: Add, Sub, Mul, Div (7+; float32, int32, int64), Pow (7+;
// float32 base with float32/int32/int64 exponent, and int bases).
#include <cmath>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
namespace {

enum class BinOp { kAdd, kSub, kMul, kDiv };

template <typename T, BinOp kOp>
class ArithKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    if (!a || !b) return Status::InvalidArgument(ctx.node().Describe() + ": needs two inputs");
    if (a->dtype() != b->dtype())
      return Status::InvalidArgument(ctx.node().Describe() + ": input dtypes differ (" + DataTypeName(a->dtype()) +
                                     " vs " + DataTypeName(b->dtype()) + ")");
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(a->shape(), b->shape(), ctx.node()));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, a->dtype()));
    const T* pa = a->Data<T>();
    const T* pb = b->Data<T>();
    T* out = y->MutableData<T>();
    if constexpr (kOp == BinOp::kDiv && std::is_integral_v<T>) {
      for (int64_t i = 0; i < b->NumElements(); ++i)
        if (pb[i] == 0) return Status::InvalidArgument(ctx.node().Describe() + ": integer division by zero");
    }
    ForEachBroadcast2(a->shape(), b->shape(), out_shape, [&](int64_t ia, int64_t ib, int64_t o) {
      if constexpr (kOp == BinOp::kAdd) out[o] = pa[ia] + pb[ib];
      else if constexpr (kOp == BinOp::kSub) out[o] = pa[ia] - pb[ib];
      else if constexpr (kOp == BinOp::kMul) out[o] = pa[ia] * pb[ib];
      else out[o] = pa[ia] / pb[ib];
    });
    return Status::Ok();
  }
};

template <typename T>
class PowKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    if (!a || !b) return Status::InvalidArgument(ctx.node().Describe() + ": needs two inputs");
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(a->shape(), b->shape(), ctx.node()));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, a->dtype()));
    const T* pa = a->Data<T>();
    T* out = y->MutableData<T>();
    const Tensor& bt = *b;
    if (bt.dtype() == DataType::kFloat32 && std::is_same_v<T, float>) {
      const float* pb = bt.Data<float>();
      ForEachBroadcast2(a->shape(), b->shape(), out_shape, [&](int64_t ia, int64_t ib, int64_t o) {
        float e = pb[ib];
        out[o] = e == 2.f ? pa[ia] * pa[ia] : static_cast<T>(std::pow(static_cast<double>(pa[ia]), e));
      });
    } else {
      ForEachBroadcast2(a->shape(), b->shape(), out_shape, [&](int64_t ia, int64_t ib, int64_t o) {
        out[o] = static_cast<T>(std::pow(static_cast<double>(pa[ia]), ReadAsDouble(bt, ib)));
      });
    }
    return Status::Ok();
  }
};

template <BinOp kOp>
void AddArith(KernelRegistry& r, const char* name) {
  Add<ArithKernel<float, kOp>>(r, RefDef(name).Opset(7).Types<float>());
  Add<ArithKernel<double, kOp>>(r, RefDef(name).Opset(7).Types<double>());
  Add<ArithKernel<int32_t, kOp>>(r, RefDef(name).Opset(7).Types<int32_t>());
  Add<ArithKernel<int64_t, kOp>>(r, RefDef(name).Opset(7).Types<int64_t>());
}

}  // namespace

void RegisterBinary(KernelRegistry& r) {
  AddArith<BinOp::kAdd>(r, "Add");
  AddArith<BinOp::kSub>(r, "Sub");
  AddArith<BinOp::kMul>(r, "Mul");
  AddArith<BinOp::kDiv>(r, "Div");
  Add<PowKernel<float>>(r, RefDef("Pow").Opset(7).Types<float>());
  Add<PowKernel<double>>(r, RefDef("Pow").Opset(7).Types<double>());
  Add<PowKernel<int32_t>>(r, RefDef("Pow").Opset(12).Types<int32_t>());
  Add<PowKernel<int64_t>>(r, RefDef("Pow").Opset(12).Types<int64_t>());
}

}  // namespace pl::cpu_ref
