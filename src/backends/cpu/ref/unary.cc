// Elementwise unary ops (opsets from each op's introduction to 20); float32/float64/float16, plus
// the integer types ONNX allows: Relu Neg Sign Abs Shrink (ints), IsNaN IsInf (bool out). Ops: Relu
// Sigmoid HardSigmoid Sqrt LeakyRelu Elu Selu Celu ThresholdedRelu Shrink HardSwish Softplus Softsign Mish
// Gelu Tanh Erf Exp Log Neg Abs Reciprocal Floor Ceil Round Sign Sin Cos Tan Asin Acos Atan Sinh
// Cosh Asinh Acosh Atanh IsNaN IsInf. (PRelu is in binary.cc: it broadcasts a second input.)
#include <cmath>
#include <limits>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

// Applies F elementwise for the dtypes in List; F holds the op's attributes (read in Init) and
// computes in CType<T> (float for float16).
template <typename F, typename List>
class UnaryKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override { return f_.Init(node); }
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(ctx.node(), 0);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    return Dispatch(List{}, x->dtype(), ctx.node(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      const int64_t n = x->NumElements();
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(f_(static_cast<C>(in[i])));
      return Status::Ok();
    });
  }

 private:
  F f_;
};

struct NoAttrs {
  Status Init(const NodeInfo&) { return Status::Ok(); }
};

// Two's-complement negation without signed-overflow UB (Neg/Abs of INT_MIN wrap like numpy).
template <typename C>
C WrapNeg(C v) {
  if constexpr (std::is_integral_v<C>) {
    using U = std::make_unsigned_t<C>;
    return static_cast<C>(static_cast<U>(0) - static_cast<U>(v));
  } else {
    return -v;
  }
}

#define PL_UNARY_FN(Name, expr)                         \
  struct Name : NoAttrs {                               \
    template <typename C>                               \
    C operator()(C v) const { return static_cast<C>(expr); } \
  };

PL_UNARY_FN(ReluF, v > C(0) ? v : C(0))
PL_UNARY_FN(SigmoidF, v >= C(0) ? C(1) / (C(1) + std::exp(-v)) : std::exp(v) / (C(1) + std::exp(v)))
PL_UNARY_FN(SqrtF, std::sqrt(v))
PL_UNARY_FN(HardSwishF, v * std::max(C(0), std::min(C(1), v / C(6) + C(0.5))))
// log(1 + e^x) without overflowing e^x for large x.
PL_UNARY_FN(SoftplusF, v > C(0) ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)))
PL_UNARY_FN(SoftsignF, v / (C(1) + std::fabs(v)))
PL_UNARY_FN(MishF, v * std::tanh(v > C(0) ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v))))
PL_UNARY_FN(TanhF, std::tanh(v))
PL_UNARY_FN(ErfF, std::erf(v))
PL_UNARY_FN(ExpF, std::exp(v))
PL_UNARY_FN(LogF, std::log(v))
PL_UNARY_FN(NegF, WrapNeg(v))
PL_UNARY_FN(ReciprocalF, C(1) / v)
PL_UNARY_FN(FloorF, std::floor(v))
PL_UNARY_FN(CeilF, std::ceil(v))
// nearbyint in the default rounding mode rounds halves to even, as ONNX Round requires.
PL_UNARY_FN(RoundF, std::nearbyint(v))
PL_UNARY_FN(SinF, std::sin(v))
PL_UNARY_FN(CosF, std::cos(v))
PL_UNARY_FN(TanF, std::tan(v))
PL_UNARY_FN(AsinF, std::asin(v))
PL_UNARY_FN(AcosF, std::acos(v))
PL_UNARY_FN(AtanF, std::atan(v))
PL_UNARY_FN(SinhF, std::sinh(v))
PL_UNARY_FN(CoshF, std::cosh(v))
PL_UNARY_FN(AsinhF, std::asinh(v))
PL_UNARY_FN(AcoshF, std::acosh(v))
PL_UNARY_FN(AtanhF, std::atanh(v))
#undef PL_UNARY_FN

struct AbsF : NoAttrs {
  template <typename C>
  C operator()(C v) const {
    if constexpr (std::is_unsigned_v<C>) return v;
    else if constexpr (std::is_integral_v<C>) return v < 0 ? WrapNeg(v) : v;
    else return std::fabs(v);
  }
};

// -1, 0, 1 by sign; NaN stays NaN.
struct SignF : NoAttrs {
  template <typename C>
  C operator()(C v) const { return v > C(0) ? C(1) : v < C(0) ? static_cast<C>(-1) : v; }
};

// An op with one float attribute `alpha`.
struct AlphaAttr {
  explicit AlphaAttr(float def) : alpha(def), default_alpha(def) {}
  float alpha, default_alpha;
  Status Init(const NodeInfo& n) {
    alpha = n.Attr<float>("alpha", default_alpha);
    return Status::Ok();
  }
};
struct LeakyReluF : AlphaAttr {
  LeakyReluF() : AlphaAttr(0.01f) {}
  template <typename C> C operator()(C v) const { return v < C(0) ? static_cast<C>(alpha * v) : v; }
};
struct EluF : AlphaAttr {
  EluF() : AlphaAttr(1.f) {}
  template <typename C> C operator()(C v) const { return v < C(0) ? static_cast<C>(alpha * (std::exp(v) - C(1))) : v; }
};
struct ThresholdedReluF : AlphaAttr {
  ThresholdedReluF() : AlphaAttr(1.f) {}
  template <typename C> C operator()(C v) const { return v > static_cast<C>(alpha) ? v : C(0); }
};
struct CeluF : AlphaAttr {
  CeluF() : AlphaAttr(1.f) {}
  Status Init(const NodeInfo& n) {
    PL_RETURN_IF_ERROR(AlphaAttr::Init(n));
    if (alpha == 0.f) return Status::ModelError(n.Describe() + ": attribute alpha must be nonzero");
    return Status::Ok();
  }
  template <typename C> C operator()(C v) const {
    const C a = static_cast<C>(alpha);
    return std::max(C(0), v) + std::min(C(0), static_cast<C>(a * (std::exp(v / a) - C(1))));
  }
};

struct SeluF {
  float alpha = 1.67326319217681884765625f, gamma = 1.05070102214813232421875f;
  Status Init(const NodeInfo& n) {
    alpha = n.Attr<float>("alpha", alpha);
    gamma = n.Attr<float>("gamma", gamma);
    return Status::Ok();
  }
  template <typename C> C operator()(C v) const {
    const C a = static_cast<C>(alpha), g = static_cast<C>(gamma);
    return v > C(0) ? g * v : g * (a * std::exp(v) - a);
  }
};

struct HardSigmoidF {
  float alpha = 0.2f, beta = 0.5f;
  Status Init(const NodeInfo& n) {
    alpha = n.Attr<float>("alpha", 0.2f);
    beta = n.Attr<float>("beta", 0.5f);
    return Status::Ok();
  }
  template <typename C> C operator()(C v) const {
    const C y = static_cast<C>(alpha) * v + static_cast<C>(beta);
    return y != y ? y : std::max(C(0), std::min(C(1), y));  // NaN stays NaN (np.clip, the ONNX reference)
  }
};

struct GeluF {
  bool tanh_approx = false;
  Status Init(const NodeInfo& n) {
    const std::string a = n.Attr<std::string>("approximate", "none");
    if (a != "none" && a != "tanh")
      return Status::ModelError(n.Describe() + ": attribute approximate must be 'none' or 'tanh', got '" + a + "'");
    tanh_approx = a == "tanh";
    return Status::Ok();
  }
  template <typename C> C operator()(C v) const {
    if (tanh_approx) {
      const C k = static_cast<C>(0.7978845608028654);  // sqrt(2 / pi)
      return C(0.5) * v * (C(1) + std::tanh(k * (v + C(0.044715) * v * v * v)));
    }
    return C(0.5) * v * (C(1) + std::erf(v * static_cast<C>(0.7071067811865476)));
  }
};

// Shrink: x + bias below -lambd, x - bias above lambd, 0 between (computed in double for ints).
struct ShrinkF {
  float lambd = 0.5f, bias = 0.f;
  Status Init(const NodeInfo& n) {
    lambd = n.Attr<float>("lambd", 0.5f);
    bias = n.Attr<float>("bias", 0.f);
    return Status::Ok();
  }
  template <typename C> C operator()(C v) const {
    const double x = static_cast<double>(v);
    if (x < -lambd) return static_cast<C>(x + bias);
    if (x > lambd) return static_cast<C>(x - bias);
    return C(0);
  }
};

// IsNaN / IsInf: float input, bool output.
class IsNaNKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(ctx.node(), 0);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), DataType::kBool));
    return Dispatch(FloatTypes{}, x->dtype(), ctx.node(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x->Data<T>();
      bool* out = y->MutableData<bool>();
      for (int64_t i = 0; i < x->NumElements(); ++i) out[i] = std::isnan(static_cast<CType<T>>(in[i]));
      return Status::Ok();
    });
  }
};

class IsInfKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    negative_ = node.Attr<int64_t>("detect_negative", 1) != 0;
    positive_ = node.Attr<int64_t>("detect_positive", 1) != 0;
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(ctx.node(), 0);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), DataType::kBool));
    return Dispatch(FloatTypes{}, x->dtype(), ctx.node(), [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x->Data<T>();
      bool* out = y->MutableData<bool>();
      for (int64_t i = 0; i < x->NumElements(); ++i) {
        const auto v = static_cast<CType<T>>(in[i]);
        out[i] = std::isinf(v) && (v > 0 ? positive_ : negative_);
      }
      return Status::Ok();
    });
  }

 private:
  bool negative_ = true, positive_ = true;
};

template <typename F, typename List>
void AddUnary(KernelRegistry& r, const char* op, int since) {
  Add<UnaryKernel<F, List>>(r, RefDef(op).Opset(since).Types(DataTypes(List{})).InPlace(0, 0));
}

}  // namespace

void RegisterUnary(KernelRegistry& r) {
  // Opsets before 6 differ only by the ignored legacy `consumed_inputs` attribute.
  AddUnary<ReluF, SignedNumericTypes>(r, "Relu", 1);
  AddUnary<SigmoidF, FloatTypes>(r, "Sigmoid", 1);
  AddUnary<HardSigmoidF, FloatTypes>(r, "HardSigmoid", 1);
  AddUnary<SqrtF, FloatTypes>(r, "Sqrt", 1);
  AddUnary<LeakyReluF, FloatTypes>(r, "LeakyRelu", 1);
  AddUnary<EluF, FloatTypes>(r, "Elu", 1);
  AddUnary<SeluF, FloatTypes>(r, "Selu", 1);
  AddUnary<CeluF, FloatTypes>(r, "Celu", 12);
  AddUnary<ThresholdedReluF, FloatTypes>(r, "ThresholdedRelu", 1);
  AddUnary<ShrinkF, NumericTypes>(r, "Shrink", 9);
  AddUnary<HardSwishF, FloatTypes>(r, "HardSwish", 14);
  AddUnary<SoftplusF, FloatTypes>(r, "Softplus", 1);
  AddUnary<SoftsignF, FloatTypes>(r, "Softsign", 1);
  AddUnary<MishF, FloatTypes>(r, "Mish", 18);
  AddUnary<GeluF, FloatTypes>(r, "Gelu", 20);
  AddUnary<TanhF, FloatTypes>(r, "Tanh", 1);
  AddUnary<ErfF, FloatTypes>(r, "Erf", 9);
  AddUnary<ExpF, FloatTypes>(r, "Exp", 1);
  AddUnary<LogF, FloatTypes>(r, "Log", 1);
  AddUnary<NegF, SignedNumericTypes>(r, "Neg", 1);
  AddUnary<AbsF, NumericTypes>(r, "Abs", 1);
  AddUnary<ReciprocalF, FloatTypes>(r, "Reciprocal", 1);
  AddUnary<FloorF, FloatTypes>(r, "Floor", 1);
  AddUnary<CeilF, FloatTypes>(r, "Ceil", 1);
  AddUnary<RoundF, FloatTypes>(r, "Round", 11);
  AddUnary<SignF, NumericTypes>(r, "Sign", 9);
  AddUnary<SinF, FloatTypes>(r, "Sin", 7);
  AddUnary<CosF, FloatTypes>(r, "Cos", 7);
  AddUnary<TanF, FloatTypes>(r, "Tan", 7);
  AddUnary<AsinF, FloatTypes>(r, "Asin", 7);
  AddUnary<AcosF, FloatTypes>(r, "Acos", 7);
  AddUnary<AtanF, FloatTypes>(r, "Atan", 7);
  AddUnary<SinhF, FloatTypes>(r, "Sinh", 9);
  AddUnary<CoshF, FloatTypes>(r, "Cosh", 9);
  AddUnary<AsinhF, FloatTypes>(r, "Asinh", 9);
  AddUnary<AcoshF, FloatTypes>(r, "Acosh", 9);
  AddUnary<AtanhF, FloatTypes>(r, "Atanh", 9);
  Add<IsNaNKernel>(r, RefDef("IsNaN").Opset(9).Types(DataTypes(FloatTypes{})));
  Add<IsInfKernel>(r, RefDef("IsInf").Opset(10).Types(DataTypes(FloatTypes{})));
}

}  // namespace pl::cpu_ref
