// Broadcasting binary arithmetic (opsets 1+; opsets < 7 use the legacy broadcast/axis attributes):
// Add Sub Mul Div (all numeric types: float32/64/16, int8..64, uint8..64), Mod (10+, fmod
// attribute; floor-mod sign semantics when fmod=0), BitShift (11+, uint8..64), Pow (1+; float32/
// 64/16, int32/int64 bases, any numeric exponent), PRelu (1+; numeric, slope broadcast to X).
#include <cmath>
#include <limits>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

// Unsigned type wide enough to compute T's wrapping +, -, * without promotion to signed int.
template <typename T>
using WrapType = std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>;

struct Operands {
  const Tensor* a;
  const Tensor* b;
  Shape b_shape;  // b's shape as broadcast (legacy opsets may pad it)
  Shape out_shape;
};

// Validates two inputs and computes the broadcast output shape. `same_dtype`: A and B must match.
StatusOr<Operands> GetOperands(KernelContext& ctx, bool same_dtype) {
  const NodeInfo& node = ctx.node();
  Operands o{ctx.Input(0), ctx.Input(1), {}, {}};
  if (!o.a) return MissingInput(node, 0);
  if (!o.b) return MissingInput(node, 1);
  if (same_dtype && o.a->dtype() != o.b->dtype())
    return Status::InvalidArgument(node.Describe() + ": input dtypes differ (" + DataTypeName(o.a->dtype()) + " vs " +
                                   DataTypeName(o.b->dtype()) + ")");
  PL_ASSIGN_OR_RETURN(o.b_shape, LegacyBroadcastB(node, o.a->shape(), o.b->shape()));
  PL_ASSIGN_OR_RETURN(o.out_shape, BroadcastShapes(o.a->shape(), o.b_shape, node));
  return o;
}

template <typename T>
bool AnyZero(const Tensor& t) {
  const T* p = t.Data<T>();
  for (int64_t i = 0; i < t.NumElements(); ++i)
    if (p[i] == T(0)) return true;
  return false;
}

enum class BinOp { kAdd, kSub, kMul, kDiv };

template <BinOp kOp>
class ArithKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(Operands o, GetOperands(ctx, true));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, o.out_shape, o.a->dtype()));
    return Dispatch(NumericTypes{}, o.a->dtype(), ctx.node(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* pa = o.a->Data<T>();
      const T* pb = o.b->Data<T>();
      T* out = y->MutableData<T>();
      if constexpr (std::is_integral_v<T>) {
        if (kOp == BinOp::kDiv && AnyZero<T>(*o.b))
          return Status::InvalidArgument(ctx.node().Describe() + ": integer division by zero");
      }
      ForEachBroadcast2(o.a->shape(), o.b_shape, o.out_shape, [&](int64_t ia, int64_t ib, int64_t i) {
        out[i] = Apply<T>(pa[ia], pb[ib]);
      });
      return Status::Ok();
    });
  }

 private:
  template <typename T>
  static T Apply(T a, T b) {
    if constexpr (std::is_integral_v<T>) {
      using W = WrapType<T>;
      if constexpr (kOp == BinOp::kAdd) return static_cast<T>(static_cast<W>(a) + static_cast<W>(b));
      if constexpr (kOp == BinOp::kSub) return static_cast<T>(static_cast<W>(a) - static_cast<W>(b));
      if constexpr (kOp == BinOp::kMul) return static_cast<T>(static_cast<W>(a) * static_cast<W>(b));
      if constexpr (std::is_signed_v<T>) {
        // INT_MIN / -1 overflows; two's-complement wrap gives INT_MIN back.
        if (b == T(-1)) return static_cast<T>(W(0) - static_cast<W>(a));
      }
      return static_cast<T>(a / b);  // truncates toward zero, like C and ONNX Runtime
    } else {
      using C = CType<T>;
      const C x = static_cast<C>(a), z = static_cast<C>(b);
      if constexpr (kOp == BinOp::kAdd) return static_cast<T>(x + z);
      if constexpr (kOp == BinOp::kSub) return static_cast<T>(x - z);
      if constexpr (kOp == BinOp::kMul) return static_cast<T>(x * z);
      return static_cast<T>(x / z);
    }
  }
};

// Mod: fmod=1 is C fmod (result has the dividend's sign); fmod=0 is Python's % (divisor's sign),
// which ONNX allows for integers only.
class ModKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const int64_t f = node.Attr<int64_t>("fmod", 0);
    if (f != 0 && f != 1) return Status::ModelError(node.Describe() + ": attribute fmod must be 0 or 1");
    fmod_ = f == 1;
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(Operands o, GetOperands(ctx, true));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, o.out_shape, o.a->dtype()));
    return Dispatch(NumericTypes{}, o.a->dtype(), ctx.node(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* pa = o.a->Data<T>();
      const T* pb = o.b->Data<T>();
      T* out = y->MutableData<T>();
      if constexpr (std::is_integral_v<T>) {
        if (AnyZero<T>(*o.b)) return Status::InvalidArgument(ctx.node().Describe() + ": integer modulo by zero");
        ForEachBroadcast2(o.a->shape(), o.b_shape, o.out_shape, [&](int64_t ia, int64_t ib, int64_t i) {
          const T a = pa[ia], b = pb[ib];
          if constexpr (std::is_signed_v<T>) {
            if (b == T(-1)) { out[i] = 0; return; }  // INT_MIN % -1 is UB in C++
            T r = static_cast<T>(a % b);
            if (!fmod_ && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
            out[i] = r;
          } else {
            out[i] = static_cast<T>(a % b);
          }
        });
      } else {
        if (!fmod_)
          return Status::InvalidArgument(ctx.node().Describe() + ": attribute fmod must be 1 for floating-point inputs");
        using C = CType<T>;
        ForEachBroadcast2(o.a->shape(), o.b_shape, o.out_shape, [&](int64_t ia, int64_t ib, int64_t i) {
          out[i] = static_cast<T>(std::fmod(static_cast<C>(pa[ia]), static_cast<C>(pb[ib])));
        });
      }
      return Status::Ok();
    });
  }

 private:
  bool fmod_ = false;
};

class BitShiftKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(std::string dir, node.RequiredAttr<std::string>("direction"));
    if (dir != "LEFT" && dir != "RIGHT")
      return Status::ModelError(node.Describe() + ": attribute direction must be LEFT or RIGHT, got '" + dir + "'");
    left_ = dir == "LEFT";
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(Operands o, GetOperands(ctx, true));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, o.out_shape, o.a->dtype()));
    using Unsigned = TypeList<uint8_t, uint16_t, uint32_t, uint64_t>;
    return Dispatch(Unsigned{}, o.a->dtype(), ctx.node(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using W = WrapType<T>;
      constexpr T kBits = sizeof(T) * 8;
      const T* pa = o.a->Data<T>();
      const T* pb = o.b->Data<T>();
      T* out = y->MutableData<T>();
      ForEachBroadcast2(o.a->shape(), o.b_shape, o.out_shape, [&](int64_t ia, int64_t ib, int64_t i) {
        const T s = pb[ib];
        // Shifting by the width or more is UB in C++; every bit is shifted out, so 0.
        if (s >= kBits) out[i] = 0;
        else out[i] = static_cast<T>(left_ ? static_cast<W>(pa[ia]) << s : static_cast<W>(pa[ia]) >> s);
      });
      return Status::Ok();
    });
  }

 private:
  bool left_ = true;
};

// Integer power by squaring, wrapping on overflow; negative exponents truncate 1/a^-e toward 0.
template <typename T, typename E>
T IntPow(T a, E e) {
  if constexpr (std::is_signed_v<E>) {
    if (e < 0) {
      if (a == T(1)) return 1;
      if constexpr (std::is_signed_v<T>) {
        if (a == T(-1)) return (e % 2) ? T(-1) : T(1);
      }
      return 0;  // a == 0 would be a division by zero; 0 like ONNX Runtime's integer path
    }
  }
  using W = WrapType<T>;
  W result = 1, base = static_cast<W>(a);
  uint64_t n = static_cast<uint64_t>(e);
  while (n) {
    if (n & 1) result *= base;
    base *= base;
    n >>= 1;
  }
  return static_cast<T>(result);
}

// Pow: output has the base's dtype; the exponent may be any numeric type (opset 12+).
class PowKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(Operands o, GetOperands(ctx, false));
    if (ctx.node().opset < 12 && o.a->dtype() != o.b->dtype())
      return Status::InvalidArgument(ctx.node().Describe() + ": base and exponent dtypes differ before opset 12");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, o.out_shape, o.a->dtype()));
    using Bases = TypeList<float, double, Half, int32_t, int64_t>;
    return Dispatch(Bases{}, o.a->dtype(), ctx.node(), [&](auto base_tag) {
      using T = typename decltype(base_tag)::type;
      return Dispatch(NumericTypes{}, o.b->dtype(), ctx.node(), [&](auto exp_tag) {
        using E = typename decltype(exp_tag)::type;
        const T* pa = o.a->Data<T>();
        const E* pb = o.b->Data<E>();
        T* out = y->MutableData<T>();
        ForEachBroadcast2(o.a->shape(), o.b_shape, o.out_shape, [&](int64_t ia, int64_t ib, int64_t i) {
          if constexpr (std::is_integral_v<T> && std::is_integral_v<E>) {
            out[i] = IntPow<T, E>(pa[ia], pb[ib]);
          } else {
            const double r = std::pow(static_cast<double>(static_cast<CType<T>>(pa[ia])),
                                      static_cast<double>(static_cast<CType<E>>(pb[ib])));
            if constexpr (std::is_integral_v<T>) out[i] = FloatToIntWrap<T>(r);
            else out[i] = static_cast<T>(static_cast<CType<T>>(r));
          }
        });
        return Status::Ok();
      });
    });
  }
};

// PRelu: y = x < 0 ? slope * x : x, slope broadcast to X's shape (never the other way).
class PReluKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    const Tensor* slope = ctx.Input(1);
    if (!x) return MissingInput(node, 0);
    if (!slope) return MissingInput(node, 1);
    if (x->dtype() != slope->dtype())
      return Status::InvalidArgument(node.Describe() + ": slope dtype " + DataTypeName(slope->dtype()) +
                                     " differs from X " + DataTypeName(x->dtype()));
    Shape slope_shape = slope->shape();
    // Before opset 7 a 1-D slope of length C is per channel (dim 1), as old PyTorch exports use it.
    if (node.opset < 7 && slope_shape.size() == 1 && x->rank() >= 2 && slope_shape[0] == x->dim(1) &&
        slope_shape[0] != 1)
      slope_shape.resize(static_cast<size_t>(x->rank() - 1), 1);
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(x->shape(), slope_shape, node));
    if (out_shape != x->shape())
      return Status::InvalidArgument(node.Describe() + ": slope shape " + ShapeToString(slope->shape()) +
                                     " does not broadcast to X shape " + ShapeToString(x->shape()));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, x->dtype()));
    return Dispatch(NumericTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      const T* px = x->Data<T>();
      const T* ps = slope->Data<T>();
      T* out = y->MutableData<T>();
      ForEachBroadcast2(x->shape(), slope_shape, out_shape, [&](int64_t ix, int64_t is, int64_t i) {
        const C v = static_cast<C>(px[ix]);
        if constexpr (std::is_unsigned_v<T>) out[i] = px[ix];
        else out[i] = v < C(0) ? static_cast<T>(static_cast<C>(ps[is]) * v) : px[ix];
      });
      return Status::Ok();
    });
  }
};

}  // namespace

void RegisterBinary(KernelRegistry& r) {
  const std::vector<DataType> numeric = DataTypes(NumericTypes{});
  Add<ArithKernel<BinOp::kAdd>>(r, RefDef("Add").Opset(1).Types(numeric));
  Add<ArithKernel<BinOp::kSub>>(r, RefDef("Sub").Opset(1).Types(numeric));
  Add<ArithKernel<BinOp::kMul>>(r, RefDef("Mul").Opset(1).Types(numeric));
  Add<ArithKernel<BinOp::kDiv>>(r, RefDef("Div").Opset(1).Types(numeric));
  Add<ModKernel>(r, RefDef("Mod").Opset(10).Types(numeric));
  Add<BitShiftKernel>(r, RefDef("BitShift").Opset(11).Types<uint8_t, uint16_t, uint32_t, uint64_t>());
  Add<PowKernel>(r, RefDef("Pow").Opset(1).Types<float, double, Half, int32_t, int64_t>());
  Add<PReluKernel>(r, RefDef("PRelu").Opset(1).Types(numeric));
}

}  // namespace pl::cpu_ref
