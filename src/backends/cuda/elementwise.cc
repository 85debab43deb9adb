// CUDA elementwise family (host side): unary activations and math (float32), Clip (attribute form
// opsets 1-10, input form 11+), broadcast Add/Sub/Mul/Div (float32, int32, int64), Pow (float32
// base and exponent), Equal/Greater/Less/GreaterOrEqual/LessOrEqual (float32, int32, int64 ->
// bool), Where (bool condition, any fixed-size dtype), Not, variadic Sum/Max/Min (float32), Cast
// between float32, float16, int32, int64 and bool. Shapes, attributes and error messages follow
// the cpu_ref kernels; anything else is declined with Unimplemented (cpu_ref then runs the node).
#include <algorithm>
#include <cmath>

#include "src/backends/cpu/ref/math_util.h"
#include "src/backends/cuda/kernel_list.h"
#include "src/backends/cuda/light_util.h"

namespace pl::cuda {
namespace {

using cpu_ref::BroadcastShapes;
using cpu_ref::LegacyBroadcastB;
using cpu_ref::MissingInput;

// ------------------------------------------------------------------ unary

class UnaryKernel : public Kernel {
 public:
  explicit UnaryKernel(UnaryOp op) : op_(op) {}
  Status Init(const NodeInfo& node) override {
    switch (op_) {
      case UnaryOp::kLeakyRelu: a_ = node.Attr<float>("alpha", 0.01f); break;
      case UnaryOp::kElu: a_ = node.Attr<float>("alpha", 1.f); break;
      case UnaryOp::kSelu:
        a_ = node.Attr<float>("alpha", 1.67326319217681884765625f);
        b_ = node.Attr<float>("gamma", 1.05070102214813232421875f);
        break;
      case UnaryOp::kHardSigmoid:
        a_ = node.Attr<float>("alpha", 0.2f);
        b_ = node.Attr<float>("beta", 0.5f);
        break;
      case UnaryOp::kGelu: {
        const std::string a = node.Attr<std::string>("approximate", "none");
        if (a != "none" && a != "tanh")
          return Status::ModelError(node.Describe() + ": attribute approximate must be 'none' or 'tanh', got '" + a + "'");
        if (a == "tanh") op_ = UnaryOp::kGeluTanh;
        break;
      }
      default: break;
    }
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(ctx.node(), 0);
    if (x->dtype() != DataType::kFloat32)
      return Status::Unimplemented(ctx.node().Describe() + ": cuda kernel takes float32 only");
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const int64_t n = x->NumElements();
    if (n == 0) return Status::Ok();
    LaunchUnaryF32(op_, x->Data<float>(), y->MutableData<float>(), n, a_, b_, s);
    PL_CUDA_CHECK_LAUNCH(ctx.node().Describe());
    return Status::Ok();
  }

 private:
  UnaryOp op_;
  float a_ = 0.f, b_ = 0.f;
};

template <UnaryOp kOp>
class UnaryOpKernel final : public UnaryKernel {
 public:
  UnaryOpKernel() : UnaryKernel(kOp) {}
};

// Clip: min/max attributes before opset 11, optional scalar inputs 1 and 2 (host) from 11.
class ClipKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    attr_form_ = node.opset < 11;
    if (attr_form_) {
      if (node.HasAttr("min")) lo_ = node.Attr<float>("min", 0.f);
      if (node.HasAttr("max")) hi_ = node.Attr<float>("max", 0.f);
    }
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    if (x->dtype() != DataType::kFloat32) return Status::Unimplemented(node.Describe() + ": cuda kernel takes float32 only");
    float lo = lo_, hi = hi_;
    if (!attr_form_) {
      for (int k = 1; k <= 2; ++k) {
        const Tensor* b = ctx.Input(k);
        if (!b) continue;
        if (b->dtype() != x->dtype())
          return Status::InvalidArgument(node.Describe() + ": " + (k == 1 ? "min" : "max") + " dtype " +
                                         DataTypeName(b->dtype()) + " differs from input " + DataTypeName(x->dtype()));
        if (b->NumElements() != 1)
          return Status::InvalidArgument(node.Describe() + ": " + (k == 1 ? "min" : "max") +
                                         " must be a scalar, got shape " + ShapeToString(b->shape()));
        if (!b->device().is_host()) return Status::Unimplemented(node.Describe() + ": min/max not on the host");
        (k == 1 ? lo : hi) = b->Data<float>()[0];
      }
    }
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const int64_t n = x->NumElements();
    if (n == 0) return Status::Ok();
    LaunchUnaryF32(UnaryOp::kClip, x->Data<float>(), y->MutableData<float>(), n, lo, hi, s);
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }

 private:
  bool attr_form_ = false;
  float lo_ = -INFINITY, hi_ = INFINITY;
};

// ------------------------------------------------------------------ binary

bool ElemTypeOf(DataType dt, ElemType* t) {
  switch (dt) {
    case DataType::kFloat32: *t = ElemType::kF32; return true;
    case DataType::kInt32: *t = ElemType::kI32; return true;
    case DataType::kInt64: *t = ElemType::kI64; return true;
    default: return false;
  }
}

// Broadcast launch of a two-input op (shapes already validated: out = broadcast(a, b)).
Status RunBinary(KernelContext& ctx, BinaryOp op, ElemType t, const Tensor& a, const Shape& b_shape, const Tensor& b,
                 const Shape& out_shape, Tensor* y) {
  const int64_t n = ShapeNumElements(out_shape);
  if (n == 0) return Status::Ok();
  PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
  const int64_t na = a.NumElements(), nb = b.NumElements();
  const bool same = na == n && nb == n && a.shape() == b_shape;
  BcastParams p;
  if (!same && !MakeBcastParams(out_shape, {&a.shape(), &b_shape}, &p)) return RankTooHigh(ctx.node(), out_shape.size());
  LaunchBinary(op, t, a.RawData(), b.RawData(), y->RawMutableData(), n, p, same, na == 1 && nb == n,
               nb == 1 && na == n, s);
  PL_CUDA_CHECK_LAUNCH(ctx.node().Describe());
  return Status::Ok();
}

template <BinaryOp kOp>
class BinaryKernel final : public Kernel {
 public:
  static constexpr bool kCompare = kOp >= BinaryOp::kEqual;

  Status Init(const NodeInfo& node) override {
    // Integer division by zero is an error in the reference; the device cannot report it without
    // a sync, so a constant divisor is checked here and a run-time one yields 0 (see launch.h).
    if constexpr (kOp == BinaryOp::kDiv) {
      const Tensor* c = node.ConstantInput(1);
      if (c && c->device().is_host() && c->RawData()) {
        if (c->dtype() == DataType::kInt64)
          const_zero_ = std::count(c->Data<int64_t>(), c->Data<int64_t>() + c->NumElements(), int64_t{0}) > 0;
        else if (c->dtype() == DataType::kInt32)
          const_zero_ = std::count(c->Data<int32_t>(), c->Data<int32_t>() + c->NumElements(), int32_t{0}) > 0;
      }
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    if (!a) return MissingInput(node, 0);
    if (!b) return MissingInput(node, 1);
    ElemType t;
    if (!ElemTypeOf(a->dtype(), &t) || (kOp == BinaryOp::kPow && t != ElemType::kF32))
      return Status::Unimplemented(node.Describe() + ": cuda kernel does not take " + DataTypeName(a->dtype()));
    if (a->dtype() != b->dtype()) {
      if (kOp == BinaryOp::kPow && node.opset >= 12)  // mixed base/exponent types: left to cpu_ref
        return Status::Unimplemented(node.Describe() + ": cuda Pow needs a float32 exponent");
      if (kOp == BinaryOp::kPow)
        return Status::InvalidArgument(node.Describe() + ": base and exponent dtypes differ before opset 12");
      return Status::InvalidArgument(node.Describe() + ": input dtypes differ (" + DataTypeName(a->dtype()) + " vs " +
                                     DataTypeName(b->dtype()) + ")");
    }
    if (kOp == BinaryOp::kDiv && t != ElemType::kF32 && const_zero_)
      return Status::InvalidArgument(node.Describe() + ": integer division by zero");
    PL_ASSIGN_OR_RETURN(Shape b_shape, LegacyBroadcastB(node, a->shape(), b->shape()));
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(a->shape(), b_shape, node));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, kCompare ? DataType::kBool : a->dtype()));
    return RunBinary(ctx, kOp, t, *a, b_shape, *b, out_shape, y);
  }

 private:
  bool const_zero_ = false;
};

// ------------------------------------------------------------------ Where / Not

class WhereKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    for (int i = 0; i < 3; ++i)
      if (!ctx.Input(i)) return MissingInput(node, i);
    const Tensor* c = ctx.Input(0);
    const Tensor* x = ctx.Input(1);
    const Tensor* y = ctx.Input(2);
    if (c->dtype() != DataType::kBool)
      return Status::InvalidArgument(node.Describe() + ": condition must be bool, got " + DataTypeName(c->dtype()));
    if (x->dtype() != y->dtype())
      return Status::InvalidArgument(node.Describe() + ": X and Y dtypes differ (" + DataTypeName(x->dtype()) + " vs " +
                                     DataTypeName(y->dtype()) + ")");
    const size_t elem = DataTypeSize(x->dtype());
    if (elem != 1 && elem != 2 && elem != 4 && elem != 8)
      return Status::Unimplemented(node.Describe() + ": dtype " + DataTypeName(x->dtype()) + " not supported");
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes({&c->shape(), &x->shape(), &y->shape()}, node));
    PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(0, out_shape, x->dtype()));
    const int64_t n = ShapeNumElements(out_shape);
    if (n == 0) return Status::Ok();
    BcastParams p;
    if (!MakeBcastParams(out_shape, {&c->shape(), &x->shape(), &y->shape()}, &p))
      return RankTooHigh(node, out_shape.size());
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    LaunchWhere(c->Data<bool>(), x->RawData(), y->RawData(), out->RawMutableData(), elem, n, p, s);
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }
};

class NotKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(ctx.node(), 0);
    if (x->dtype() != DataType::kBool)
      return Status::InvalidArgument(ctx.node().Describe() + ": input must be bool, got " + DataTypeName(x->dtype()));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), DataType::kBool));
    if (x->NumElements() == 0) return Status::Ok();
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    LaunchNot(x->Data<bool>(), y->MutableData<bool>(), x->NumElements(), s);
    PL_CUDA_CHECK_LAUNCH(ctx.node().Describe());
    return Status::Ok();
  }
};

// ------------------------------------------------------------------ variadic Sum / Max / Min

template <VariadicOp kOp>
class VariadicKernel final : public Kernel {
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
    if (ctx.Input(0)->dtype() != DataType::kFloat32)
      return Status::Unimplemented(node.Describe() + ": cuda kernel takes float32 only");
    PL_ASSIGN_OR_RETURN(Shape out_shape, BroadcastShapes(shapes, node));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, DataType::kFloat32));
    const int64_t count = ShapeNumElements(out_shape);
    if (count == 0) return Status::Ok();
    // Up to 3 inputs per launch; later launches fold into y. Every chunk's shapes are checked
    // before any work is queued, so a decline leaves nothing half done.
    std::vector<BcastParams> params;
    for (int first = 0; first < n; first += 3) {
      std::vector<const Shape*> chunk;
      for (int k = first; k < std::min(n, first + 3); ++k) chunk.push_back(shapes[k]);
      // Accumulating chunks read y (out_shape) as their implicit first operand; the params index
      // the explicit inputs only.
      BcastParams p;
      if (!MakeBcastParams(out_shape, chunk, &p)) return RankTooHigh(node, out_shape.size());
      params.push_back(p);
    }
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    size_t c = 0;
    for (int first = 0; first < n; first += 3, ++c) {
      const int take = std::min(n - first, 3);
      const float* ins[3] = {nullptr, nullptr, nullptr};
      for (int k = 0; k < take; ++k) ins[k] = ctx.Input(first + k)->Data<float>();
      LaunchVariadicF32(kOp, ins, take, first != 0, y->MutableData<float>(), count, params[c], s);
      PL_CUDA_CHECK_LAUNCH(node.Describe());
    }
    return Status::Ok();
  }
};

// ------------------------------------------------------------------ Cast

bool CastSupported(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat16 || t == DataType::kInt32 || t == DataType::kInt64 ||
         t == DataType::kBool;
}

class CastKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const Attribute* to = node.FindAttr("to");
    if (!to) return Status::ModelError(node.Describe() + ": required attribute 'to' is missing");
    if (to->type == Attribute::Type::kString) {
      static const std::pair<const char*, DataType> kNames[] = {
          {"FLOAT", DataType::kFloat32}, {"INT32", DataType::kInt32}, {"INT64", DataType::kInt64},
          {"BOOL", DataType::kBool}, {"FLOAT16", DataType::kFloat16}};
      bool found = false;
      for (const auto& [name, dt] : kNames)
        if (to->s == name) { to_ = dt; found = true; }
      if (!found) return Status::Unimplemented(node.Describe() + ": cuda Cast to '" + to->s + "' not supported");
    } else if (to->type == Attribute::Type::kInt) {
      to_ = static_cast<DataType>(to->i);
    } else {
      return Status::ModelError(node.Describe() + ": attribute 'to' must be an int or a string");
    }
    if (!CastSupported(to_))
      return Status::Unimplemented(node.Describe() + ": cuda Cast to ONNX type " + std::to_string(static_cast<int>(to_)) +
                                   " not supported");
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    if (!CastSupported(x->dtype()))
      return Status::Unimplemented(node.Describe() + ": cuda Cast from " + DataTypeName(x->dtype()) + " not supported");
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), to_));
    const int64_t n = x->NumElements();
    if (n == 0) return Status::Ok();
    if (x->dtype() == to_) return CopyDevice(y->RawMutableData(), x->RawData(), x->ByteSize(), s);
    if (!LaunchCast(static_cast<int>(x->dtype()), static_cast<int>(to_), x->RawData(), y->RawMutableData(), n, s))
      return Status::Unimplemented(node.Describe() + ": cuda Cast " + DataTypeName(x->dtype()) + " -> " +
                                   DataTypeName(to_) + " not supported");
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }

 private:
  DataType to_ = DataType::kFloat32;
};

template <UnaryOp kOp>
void AddUnary(KernelRegistry& r, const char* op, int since) {
  AddCuda<UnaryOpKernel<kOp>>(r, CudaDef(op).Opset(since).Types<float>().InPlace(0, 0));
}

}  // namespace

void RegisterElementwiseKernels(KernelRegistry& r) {
  AddUnary<UnaryOp::kRelu>(r, "Relu", 1);
  AddUnary<UnaryOp::kLeakyRelu>(r, "LeakyRelu", 1);
  AddUnary<UnaryOp::kSigmoid>(r, "Sigmoid", 1);
  AddUnary<UnaryOp::kTanh>(r, "Tanh", 1);
  AddUnary<UnaryOp::kHardSigmoid>(r, "HardSigmoid", 1);
  AddUnary<UnaryOp::kHardSwish>(r, "HardSwish", 14);
  AddUnary<UnaryOp::kElu>(r, "Elu", 1);
  AddUnary<UnaryOp::kSelu>(r, "Selu", 1);
  AddUnary<UnaryOp::kExp>(r, "Exp", 1);
  AddUnary<UnaryOp::kLog>(r, "Log", 1);
  AddUnary<UnaryOp::kSqrt>(r, "Sqrt", 1);
  AddUnary<UnaryOp::kAbs>(r, "Abs", 1);
  AddUnary<UnaryOp::kNeg>(r, "Neg", 1);
  AddUnary<UnaryOp::kReciprocal>(r, "Reciprocal", 1);
  AddUnary<UnaryOp::kFloor>(r, "Floor", 1);
  AddUnary<UnaryOp::kCeil>(r, "Ceil", 1);
  AddUnary<UnaryOp::kErf>(r, "Erf", 9);
  AddUnary<UnaryOp::kSoftplus>(r, "Softplus", 1);
  AddUnary<UnaryOp::kGelu>(r, "Gelu", 20);
  AddCuda<ClipKernel>(r, CudaDef("Clip").Opset(1, 10).Types<float>().InPlace(0, 0));
  AddCuda<ClipKernel>(r, CudaDef("Clip").Opset(11).Types<float>().InPlace(0, 0).HostInput(1).HostInput(2));

  AddCuda<BinaryKernel<BinaryOp::kAdd>>(r, CudaDef("Add").Opset(1).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kSub>>(r, CudaDef("Sub").Opset(1).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kMul>>(r, CudaDef("Mul").Opset(1).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kDiv>>(r, CudaDef("Div").Opset(1).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kPow>>(r, CudaDef("Pow").Opset(1).Types<float>());
  AddCuda<BinaryKernel<BinaryOp::kEqual>>(r, CudaDef("Equal").Opset(1).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kGreater>>(r, CudaDef("Greater").Opset(1).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kLess>>(r, CudaDef("Less").Opset(1).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kGreaterOrEqual>>(r, CudaDef("GreaterOrEqual").Opset(12).Types<float, int32_t, int64_t>());
  AddCuda<BinaryKernel<BinaryOp::kLessOrEqual>>(r, CudaDef("LessOrEqual").Opset(12).Types<float, int32_t, int64_t>());
  AddCuda<WhereKernel>(r, CudaDef("Where").Opset(9).AnyType());
  AddCuda<NotKernel>(r, CudaDef("Not").Opset(1).Types<bool>());
  AddCuda<VariadicKernel<VariadicOp::kSum>>(r, CudaDef("Sum").Opset(1).Types<float>());
  AddCuda<VariadicKernel<VariadicOp::kMax>>(r, CudaDef("Max").Opset(1).Types<float>());
  AddCuda<VariadicKernel<VariadicOp::kMin>>(r, CudaDef("Min").Opset(1).Types<float>());
  AddCuda<CastKernel>(r, CudaDef("Cast").Opset(1).Types({DataType::kFloat32, DataType::kFloat16, DataType::kInt32,
                                                          DataType::kInt64, DataType::kBool}));
}

}  // namespace pl::cuda
