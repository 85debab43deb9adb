// Cast (1+; `to` is a type name string before opset 6, an enum after) and CastLike (15+) between
// float32/64, float16 (IEEE, round to nearest even), int8..64, uint8..64 and bool. Float to
// integer truncates toward zero (wrapping through int64, saturating beyond it, NaN -> 0); to bool
// is x != 0. Strings and bfloat16 are Unimplemented.
#include <map>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

template <typename To, typename From>
To Convert(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    return static_cast<CType<From>>(v) != CType<From>(0);
  } else if constexpr (std::is_same_v<From, bool>) {
    return static_cast<To>(static_cast<CType<To>>(v ? 1 : 0));
  } else if constexpr (kIsFloat<To>) {
    // double -> float16 goes through float; the double rounding this allows needs an exact tie
    // after the first rounding, which does not matter for a reference.
    return static_cast<To>(static_cast<CType<To>>(static_cast<CType<From>>(v)));
  } else if constexpr (kIsFloat<From>) {
    return FloatToIntWrap<To>(static_cast<double>(static_cast<CType<From>>(v)));
  } else {
    return static_cast<To>(v);  // integer to integer: modular, as numpy's astype
  }
}

Status CastTo(const NodeInfo& node, const Tensor& x, Tensor* y) {
  if (x.dtype() == y->dtype()) {
    if (x.ByteSize()) std::memcpy(y->RawMutableData(), x.RawData(), x.ByteSize());
    return Status::Ok();
  }
  return Dispatch(NumericBoolTypes{}, x.dtype(), node, [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return Dispatch(NumericBoolTypes{}, y->dtype(), node, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      const From* in = x.Data<From>();
      To* out = y->MutableData<To>();
      for (int64_t i = 0; i < x.NumElements(); ++i) out[i] = Convert<To, From>(in[i]);
      return Status::Ok();
    });
  });
}

bool Supported(DataType t) {
  for (DataType d : DataTypes(NumericBoolTypes{}))
    if (d == t) return true;
  return false;
}

StatusOr<DataType> TypeFromName(const NodeInfo& node, const std::string& name) {
  static const std::map<std::string, DataType> kNames = {
      {"FLOAT", DataType::kFloat32}, {"UINT8", DataType::kUint8},    {"INT8", DataType::kInt8},
      {"UINT16", DataType::kUint16}, {"INT16", DataType::kInt16},    {"INT32", DataType::kInt32},
      {"INT64", DataType::kInt64},   {"STRING", DataType::kString},  {"BOOL", DataType::kBool},
      {"FLOAT16", DataType::kFloat16}, {"DOUBLE", DataType::kFloat64}, {"UINT32", DataType::kUint32},
      {"UINT64", DataType::kUint64}};
  auto it = kNames.find(name);
  if (it == kNames.end()) return Status::Unimplemented(node.Describe() + ": cast to '" + name + "' not supported");
  return it->second;
}

class CastKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const Attribute* to = node.FindAttr("to");
    if (!to) return Status::ModelError(node.Describe() + ": required attribute 'to' is missing");
    if (to->type == Attribute::Type::kString) {
      PL_ASSIGN_OR_RETURN(to_, TypeFromName(node, to->s));
    } else if (to->type == Attribute::Type::kInt) {
      to_ = static_cast<DataType>(to->i);
    } else {
      return Status::ModelError(node.Describe() + ": attribute 'to' must be an int or a string");
    }
    if (!Supported(to_))
      return Status::Unimplemented(node.Describe() + ": cast to ONNX type " + std::to_string(static_cast<int>(to_)) +
                                   " (" + DataTypeName(to_) + ") not supported");
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(ctx.node(), 0);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), to_));
    return CastTo(ctx.node(), *x, y);
  }

 private:
  DataType to_ = DataType::kFloat32;
};

class CastLikeKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    const Tensor* like = ctx.Input(1);
    if (!x) return MissingInput(ctx.node(), 0);
    if (!like) return MissingInput(ctx.node(), 1);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), like->dtype()));
    return CastTo(ctx.node(), *x, y);
  }
};

}  // namespace

void RegisterCast(KernelRegistry& r) {
  Add<CastKernel>(r, RefDef("Cast").Opset(1).Types(DataTypes(NumericBoolTypes{})));
  Add<CastLikeKernel>(r, RefDef("CastLike").Opset(15).Types(DataTypes(NumericBoolTypes{})));
}

}  // namespace pl::cpu_ref
