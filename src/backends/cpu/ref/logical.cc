// Comparisons and logic (opsets 1+; opsets < 7 use the legacy broadcast/axis attributes):
// Equal (numeric + bool; strings from 19), Greater Less (1+), GreaterOrEqual LessOrEqual (12+) on every numeric
// type -> bool; Not And Or Xor on bool; Where (9+; bool condition, X/Y of any fixed-size dtype,
// broadcast over all three inputs).
#include <cmath>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

enum class CmpOp { kEq, kGt, kLt, kGe, kLe, kAnd, kOr, kXor };

template <CmpOp kOp, typename List>
class CompareKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    if (!a) return MissingInput(node, 0);
    if (!b) return MissingInput(node, 1);
    if (a->dtype() != b->dtype())
      return Status::InvalidArgument(node.Describe() + ": input dtypes differ (" + DataTypeName(a->dtype()) + " vs " +
                                     DataTypeName(b->dtype()) + ")");
    PL_ASSIGN_OR_RETURN(Shape b_shape, LegacyBroadcastB(node, a->shape(), b->shape()));
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(a->shape(), b_shape, node));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, DataType::kBool));
    return Dispatch(List{}, a->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      const T* pa = a->Data<T>();
      const T* pb = b->Data<T>();
      bool* out = y->MutableData<bool>();
      ForEachBroadcast2(a->shape(), b_shape, out_shape, [&](int64_t ia, int64_t ib, int64_t i) {
        const C& x = static_cast<const C&>(pa[ia]);
        const C& z = static_cast<const C&>(pb[ib]);
        if constexpr (kOp == CmpOp::kEq) out[i] = x == z;
        else if constexpr (kOp == CmpOp::kGt) out[i] = x > z;
        else if constexpr (kOp == CmpOp::kLt) out[i] = x < z;
        else if constexpr (kOp == CmpOp::kGe) out[i] = x >= z;
        else if constexpr (kOp == CmpOp::kLe) out[i] = x <= z;
        else if constexpr (kOp == CmpOp::kAnd) out[i] = x && z;
        else if constexpr (kOp == CmpOp::kOr) out[i] = x || z;
        else out[i] = x != z;
      });
      return Status::Ok();
    });
  }
};

class NotKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(ctx.node(), 0);
    if (x->dtype() != DataType::kBool)
      return Status::InvalidArgument(ctx.node().Describe() + ": input must be bool, got " + DataTypeName(x->dtype()));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), DataType::kBool));
    const bool* in = x->Data<bool>();
    bool* out = y->MutableData<bool>();
    for (int64_t i = 0; i < x->NumElements(); ++i) out[i] = !in[i];
    return Status::Ok();
  }
};

// Where copies elements by size, so it serves every fixed-size dtype alike (strings one by one).
class WhereKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* c = ctx.Input(0);
    const Tensor* x = ctx.Input(1);
    const Tensor* y = ctx.Input(2);
    for (int i = 0; i < 3; ++i)
      if (!ctx.Input(i)) return MissingInput(node, i);
    if (c->dtype() != DataType::kBool)
      return Status::InvalidArgument(node.Describe() + ": condition must be bool, got " + DataTypeName(c->dtype()));
    if (x->dtype() != y->dtype())
      return Status::InvalidArgument(node.Describe() + ": X and Y dtypes differ (" + DataTypeName(x->dtype()) + " vs " +
                                     DataTypeName(y->dtype()) + ")");
    const size_t elem = DataTypeSize(x->dtype());
    const bool strings = x->dtype() == DataType::kString;
    if (elem == 0 && !strings) return Status::Unimplemented(node.Describe() + ": dtype " + DataTypeName(x->dtype()) + " not supported");
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({&c->shape(), &x->shape(), &y->shape()}, node));
    PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(0, out_shape, x->dtype()));
    const bool* pc = c->Data<bool>();
    if (strings) {
      const std::string* sx = x->Data<std::string>();
      const std::string* sy = y->Data<std::string>();
      std::string* so = out->MutableData<std::string>();
      ForEachBroadcastN({&c->shape(), &x->shape(), &y->shape()}, out_shape, [&](int64_t i, const int64_t* off) {
        so[i] = pc[off[0]] ? sx[off[1]] : sy[off[2]];
      });
      return Status::Ok();
    }
    const char* px = static_cast<const char*>(x->RawData());
    const char* py = static_cast<const char*>(y->RawData());
    char* po = static_cast<char*>(out->RawMutableData());
    ForEachBroadcastN({&c->shape(), &x->shape(), &y->shape()}, out_shape, [&](int64_t i, const int64_t* off) {
      const char* src = pc[off[0]] ? px + off[1] * elem : py + off[2] * elem;
      std::memcpy(po + i * elem, src, elem);
    });
    return Status::Ok();
  }
};

template <CmpOp kOp, typename List>
void AddCompare(KernelRegistry& r, const char* op, int since) {
  Add<CompareKernel<kOp, List>>(r, RefDef(op).Opset(since).Types(DataTypes(List{})));
}

}  // namespace

void RegisterLogical(KernelRegistry& r) {
  AddCompare<CmpOp::kEq, NumericBoolTypes>(r, "Equal", 1);
  AddCompare<CmpOp::kEq, TypeList<std::string>>(r, "Equal", 19);  // strings from opset 19
  AddCompare<CmpOp::kGt, NumericTypes>(r, "Greater", 1);
  AddCompare<CmpOp::kLt, NumericTypes>(r, "Less", 1);
  AddCompare<CmpOp::kGe, NumericTypes>(r, "GreaterOrEqual", 12);
  AddCompare<CmpOp::kLe, NumericTypes>(r, "LessOrEqual", 12);
  AddCompare<CmpOp::kAnd, TypeList<bool>>(r, "And", 1);
  AddCompare<CmpOp::kOr, TypeList<bool>>(r, "Or", 1);
  AddCompare<CmpOp::kXor, TypeList<bool>>(r, "Xor", 1);
  Add<NotKernel>(r, RefDef("Not").Opset(1).Types<bool>());
  Add<WhereKernel>(r, RefDef("Where").Opset(9).AnyType().Strings());
}

}  // namespace pl::cpu_ref
