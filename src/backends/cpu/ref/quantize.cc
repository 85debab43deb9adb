// QuantizeLinear, DequantizeLinear (opsets 10, 13 per-axis, 19 float16 scales), DynamicQuantizeLinear
// (11). x float32/float16/int32 -> uint8/int8; uint8/int8/int32 -> float32 (float16 with a float16
// scale). y = saturate(round_half_even(x / scale) + zp), x = (q - zp) * scale, as the spec writes.
#include <algorithm>

#include "src/backends/cpu/ref/quant_util.h"

namespace pl::cpu_ref {

Status ReadScales(const NodeInfo& node, const Tensor& t, const char* what, std::vector<float>* out) {
  const int64_t n = t.NumElements();
  out->resize(static_cast<size_t>(n));
  if (t.dtype() == DataType::kFloat32) {
    std::copy(t.Data<float>(), t.Data<float>() + n, out->begin());
  } else if (t.dtype() == DataType::kFloat16) {
    for (int64_t i = 0; i < n; ++i) (*out)[i] = static_cast<float>(t.Data<Half>()[i]);
  } else {
    return Status::InvalidArgument(node.Describe() + ": " + what + " has dtype " + DataTypeName(t.dtype()) +
                                   ", expected float32 or float16");
  }
  if (n == 0) return Status::InvalidArgument(node.Describe() + ": " + what + " is empty");
  for (float s : *out)
    if (!(s > 0.f) || std::isinf(s))
      return Status::InvalidArgument(node.Describe() + ": " + what + " " + std::to_string(s) + " must be positive");
  return Status::Ok();
}

Status ReadZeroPoints(const NodeInfo& node, const Tensor& t, DataType want, const char* what,
                      std::vector<int32_t>* out) {
  if (t.dtype() != want)
    return Status::InvalidArgument(node.Describe() + ": " + what + " has dtype " + DataTypeName(t.dtype()) +
                                   ", expected " + DataTypeName(want));
  const int64_t n = t.NumElements();
  if (n == 0) return Status::InvalidArgument(node.Describe() + ": " + what + " is empty");
  out->resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    switch (t.dtype()) {
      case DataType::kUint8: (*out)[i] = t.Data<uint8_t>()[i]; break;
      case DataType::kInt8: (*out)[i] = t.Data<int8_t>()[i]; break;
      case DataType::kInt32: (*out)[i] = t.Data<int32_t>()[i]; break;
      default: return Status::InvalidArgument(node.Describe() + ": " + what + " dtype " + DataTypeName(t.dtype()));
    }
  }
  return Status::Ok();
}

Status CheckParamCount(const NodeInfo& node, const Tensor& t, int64_t dim, bool allow_per_axis, const char* what) {
  if (IsScalarLike(t)) return Status::Ok();
  if (allow_per_axis && t.rank() == 1 && t.dim(0) == dim) return Status::Ok();
  return Status::InvalidArgument(node.Describe() + ": " + what + " has shape " + ShapeToString(t.shape()) +
                                 (allow_per_axis ? ", expected a scalar or [" + std::to_string(dim) + "]"
                                                 : std::string(", expected a scalar")));
}

void WidenMinusZeroPoint(const Tensor& t, const std::vector<int32_t>& zp, int64_t outer, int64_t inner, int32_t* out) {
  const int64_t n = t.NumElements();
  if (t.dtype() == DataType::kUint8) {
    const uint8_t* p = t.Data<uint8_t>();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(p[i]) - At(zp, (i / inner) % outer);
  } else {
    const int8_t* p = t.Data<int8_t>();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<int32_t>(p[i]) - At(zp, (i / inner) % outer);
  }
}

namespace {

// The per-axis layout of x seen from a scale of `count` values: element i uses value
// (i / inner) % dim, with dim = x.shape[axis] (or 1 for a per-tensor scale).
struct AxisLayout {
  int64_t dim = 1, inner = 1;
};

// Shared by Quantize and Dequantize: validates the scale/zero-point pair against x and `axis`.
Status ReadParams(const NodeInfo& node, const Tensor& x, const Tensor& scale, const Tensor* zp, DataType zp_type,
                  int64_t axis_attr, QuantParam* p, AxisLayout* layout) {
  const bool per_axis_allowed = node.opset >= 13;
  PL_RETURN_IF_ERROR(ReadScales(node, scale, "scale", &p->scale));
  if (zp) {
    PL_RETURN_IF_ERROR(ReadZeroPoints(node, *zp, zp_type, "zero point", &p->zero_point));
    if (zp->shape() != scale.shape() && !(IsScalarLike(*zp) && IsScalarLike(scale)))
      return Status::InvalidArgument(node.Describe() + ": zero point shape " + ShapeToString(zp->shape()) +
                                     " differs from scale shape " + ShapeToString(scale.shape()));
  } else {
    p->zero_point = {0};
  }
  if (IsScalarLike(scale)) return Status::Ok();
  if (!per_axis_allowed || scale.rank() != 1)
    return Status::InvalidArgument(node.Describe() + ": scale has shape " + ShapeToString(scale.shape()) +
                                   (per_axis_allowed ? ", expected a scalar or 1-D" : ", expected a scalar (opset < 13)"));
  PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_attr, x.rank(), node));
  PL_RETURN_IF_ERROR(CheckParamCount(node, scale, x.dim(static_cast<int>(axis)), true, "scale"));
  layout->dim = x.dim(static_cast<int>(axis));
  for (int64_t d = axis + 1; d < x.rank(); ++d) layout->inner *= x.dim(static_cast<int>(d));
  return Status::Ok();
}

// QuantizeLinear and DequantizeLinear share their attributes: `axis` for per-axis parameters,
// and the opset-21 `block_size`, which is refused.
class AxisQuantKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 1);
    if (node.HasAttr("block_size") && node.Attr<int64_t>("block_size", 0) != 0)
      return Status::Unimplemented(node.Describe() + ": blocked quantization (block_size, opset 21) is not supported");
    return Status::Ok();
  }
 protected:
  int64_t axis_ = 1;
};

class QuantizeLinearKernel final : public AxisQuantKernel {
 public:

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    const Tensor* scale = ctx.Input(1);
    const Tensor* zp = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!x) return MissingInput(node, 0);
    if (!scale) return MissingInput(node, 1);
    const DataType q_type = zp ? zp->dtype() : DataType::kUint8;
    if (q_type != DataType::kUint8 && q_type != DataType::kInt8)
      return Status::InvalidArgument(node.Describe() + ": zero point dtype " + DataTypeName(q_type) +
                                     " unsupported, expected uint8 or int8");
    QuantParam p;
    AxisLayout layout;
    PL_RETURN_IF_ERROR(ReadParams(node, *x, *scale, zp, q_type, axis_, &p, &layout));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), q_type));
    auto run = [&](auto q_tag, auto x_tag) {
      using Q = typename decltype(q_tag)::type;
      using X = typename decltype(x_tag)::type;
      const X* in = x->Data<X>();
      Q* out = y->MutableData<Q>();
      const int64_t n = x->NumElements();
      for (int64_t i = 0; i < n; ++i) {
        const int64_t k = (i / layout.inner) % layout.dim;
        out[i] = RoundSaturate<Q>(static_cast<float>(in[i]) / At(p.scale, k), At(p.zero_point, k));
      }
    };
    auto with_q = [&](auto x_tag) {
      if (q_type == DataType::kUint8) run(TypeTag<uint8_t>{}, x_tag);
      else run(TypeTag<int8_t>{}, x_tag);
    };
    switch (x->dtype()) {
      case DataType::kFloat32: with_q(TypeTag<float>{}); break;
      case DataType::kFloat16: with_q(TypeTag<Half>{}); break;
      case DataType::kInt32: with_q(TypeTag<int32_t>{}); break;
      default:
        return Status::InvalidArgument(node.Describe() + ": input dtype " + DataTypeName(x->dtype()) +
                                       " unsupported, expected float32, float16 or int32");
    }
    return Status::Ok();
  }
};

class DequantizeLinearKernel final : public AxisQuantKernel {
 public:

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    const Tensor* scale = ctx.Input(1);
    const Tensor* zp = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!x) return MissingInput(node, 0);
    if (!scale) return MissingInput(node, 1);
    if (x->dtype() != DataType::kUint8 && x->dtype() != DataType::kInt8 && x->dtype() != DataType::kInt32)
      return Status::InvalidArgument(node.Describe() + ": input dtype " + DataTypeName(x->dtype()) +
                                     " unsupported, expected uint8, int8 or int32");
    QuantParam p;
    AxisLayout layout;
    PL_RETURN_IF_ERROR(ReadParams(node, *x, *scale, zp, x->dtype(), axis_, &p, &layout));
    // The output takes the scale's dtype (float16 scales from opset 19).
    const DataType y_type = scale->dtype();
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), y_type));
    const int64_t n = x->NumElements();
    auto run = [&](auto x_tag, auto y_tag) {
      using X = typename decltype(x_tag)::type;
      using Y = typename decltype(y_tag)::type;
      const X* in = x->Data<X>();
      Y* out = y->MutableData<Y>();
      for (int64_t i = 0; i < n; ++i) {
        const int64_t k = (i / layout.inner) % layout.dim;
        const int64_t q = static_cast<int64_t>(in[i]) - At(p.zero_point, k);
        out[i] = static_cast<Y>(static_cast<float>(q) * At(p.scale, k));
      }
    };
    auto with_y = [&](auto x_tag) {
      if (y_type == DataType::kFloat16) run(x_tag, TypeTag<Half>{});
      else run(x_tag, TypeTag<float>{});
    };
    if (x->dtype() == DataType::kUint8) with_y(TypeTag<uint8_t>{});
    else if (x->dtype() == DataType::kInt8) with_y(TypeTag<int8_t>{});
    else with_y(TypeTag<int32_t>{});
    return Status::Ok();
  }
};

// DynamicQuantizeLinear: uint8 with the range [min(0, min x), max(0, max x)] mapped onto [0, 255]:
// scale = (max - min) / 255, zp = saturate(round(0 - min / scale)). An all-zero (or empty) input
// has no range: as in ONNX's reference implementation and ONNX Runtime, the range is taken as 1
// (scale 1/255, zp 0). NaN elements are ignored by the range and quantize to zp.
class DynamicQuantizeLinearKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    if (x->dtype() != DataType::kFloat32)
      return Status::InvalidArgument(node.Describe() + ": input dtype " + DataTypeName(x->dtype()) +
                                     " unsupported, expected float32");
    const float* in = x->Data<float>();
    const int64_t n = x->NumElements();
    float lo = 0.f, hi = 0.f;
    for (int64_t i = 0; i < n; ++i) {
      if (in[i] < lo) lo = in[i];
      if (in[i] > hi) hi = in[i];
    }
    if (std::isinf(lo) || std::isinf(hi))
      return Status::InvalidArgument(node.Describe() + ": input holds an infinite value, which has no uint8 scale");
    const float scale = (hi == lo ? 1.f : hi - lo) / 255.f;
    const uint8_t zp = RoundSaturate<uint8_t>(0.f - lo / scale, 0);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), DataType::kUint8));
    uint8_t* out = y->MutableData<uint8_t>();
    for (int64_t i = 0; i < n; ++i) out[i] = RoundSaturate<uint8_t>(in[i] / scale, zp);
    if (ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      PL_ASSIGN_OR_RETURN(Tensor* ys, ctx.Output(1, Shape{}, DataType::kFloat32));
      ys->MutableData<float>()[0] = scale;
    }
    if (ctx.NumOutputs() > 2 && ctx.OutputRequested(2)) {
      PL_ASSIGN_OR_RETURN(Tensor* yz, ctx.Output(2, Shape{}, DataType::kUint8));
      yz->MutableData<uint8_t>()[0] = zp;
    }
    return Status::Ok();
  }
};

}  // namespace

void RegisterQuantize(KernelRegistry& r) {
  Add<QuantizeLinearKernel>(r, RefDef("QuantizeLinear").Opset(10).Types<float, Half, int32_t>());
  Add<DequantizeLinearKernel>(r, RefDef("DequantizeLinear").Opset(10).Types<uint8_t, int8_t, int32_t>());
  Add<DynamicQuantizeLinearKernel>(r, RefDef("DynamicQuantizeLinear").Opset(11).Types<float>());
}

}  // namespace pl::cpu_ref
