// Cast (1+; `to` is a type name string before opset 6, an enum after) and CastLike (15+) between
// float32/64, float16 (IEEE, round to nearest even), bfloat16 (round to nearest even, NaN ->
// 0x7fc0, as ONNX), int8..64, uint8..64 and bool. Float to integer truncates toward zero (wrapping
// through int64, saturating beyond it, NaN -> 0); to bool is x != 0. Numbers to strings: the
// shortest decimal that reads back to the same value ("NaN", "INF", "-INF"; bool "1"/"0");
// strings to numbers: the whole string must parse (an error names the value).
#include <cerrno>
#include <charconv>
#include <cstdlib>
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

// Shortest decimal that reads back to the same value of T (float32/64 via to_chars; float16 and
// bfloat16 by the fewest significant digits that round-trip through their own rounding).
template <typename T>
std::string NumberToString(T v) {
  char buf[64];
  if constexpr (std::is_same_v<T, bool>) {
    return v ? "1" : "0";
  } else if constexpr (kIsFloat<T>) {
    const double d = static_cast<double>(static_cast<CType<T>>(v));
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d < 0 ? "-INF" : "INF";
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      auto r = std::to_chars(buf, buf + sizeof(buf), v);
      return std::string(buf, r.ptr);
    } else {
      for (int p = 1; p < 9; ++p) {
        auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(d), std::chars_format::general, p);
        const std::string s(buf, r.ptr);
        if (static_cast<float>(T(std::strtof(s.c_str(), nullptr))) == static_cast<float>(d)) return s;
      }
      auto r = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(d));
      return std::string(buf, r.ptr);
    }
  } else {
    auto r = std::to_chars(buf, buf + sizeof(buf), v);
    return std::string(buf, r.ptr);
  }
}

// Parses a whole string as T: decimal or scientific numbers, "NaN", "INF", "+INF", "-INF" (any
// case) for floats, integers for integer types (a float string is truncated), and "true"/"false"
// or a number for bool. Error names the node and the value.
template <typename T>
Status StringToNumber(const std::string& str, const NodeInfo& node, T* out) {
  const char* b = str.c_str();
  char* e = nullptr;
  errno = 0;
  if constexpr (std::is_same_v<T, bool>) {
    if (str == "true" || str == "True" || str == "TRUE") { *out = true; return Status::Ok(); }
    if (str == "false" || str == "False" || str == "FALSE") { *out = false; return Status::Ok(); }
  }
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    if constexpr (std::is_signed_v<T>) {
      const long long v = std::strtoll(b, &e, 10);
      if (e != b && *e == '\0' && errno == 0) { *out = static_cast<T>(v); return Status::Ok(); }
    } else {
      const unsigned long long v = std::strtoull(b, &e, 10);
      if (e != b && *e == '\0' && errno == 0 && str.find('-') == std::string::npos) {
        *out = static_cast<T>(v);
        return Status::Ok();
      }
    }
  }
  errno = 0;
  const double d = std::strtod(b, &e);
  if (e == b || *e != '\0')
    return Status::InvalidArgument(node.Describe() + ": cannot cast string '" + str.substr(0, 64) + "' to " +
                                   DataTypeName(DataTypeOf<T>::value));
  *out = Convert<T, double>(d);
  return Status::Ok();
}

Status CastTo(const NodeInfo& node, const Tensor& x, Tensor* y) {
  if (x.dtype() == y->dtype()) {
    CopyElements(x, 0, y, 0, x.NumElements());
    return Status::Ok();
  }
  const int64_t n = x.NumElements();
  if (y->dtype() == DataType::kString) {
    std::string* out = y->MutableData<std::string>();
    return Dispatch(CastTypes{}, x.dtype(), node, [&](auto from_tag) {
      using From = typename decltype(from_tag)::type;
      const From* in = x.Data<From>();
      for (int64_t i = 0; i < n; ++i) out[i] = NumberToString(in[i]);
      return Status::Ok();
    });
  }
  if (x.dtype() == DataType::kString) {
    const std::string* in = x.Data<std::string>();
    return Dispatch(CastTypes{}, y->dtype(), node, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      To* out = y->MutableData<To>();
      for (int64_t i = 0; i < n; ++i) PL_RETURN_IF_ERROR(StringToNumber(in[i], node, &out[i]));
      return Status::Ok();
    });
  }
  return Dispatch(CastTypes{}, x.dtype(), node, [&](auto from_tag) {
    using From = typename decltype(from_tag)::type;
    return Dispatch(CastTypes{}, y->dtype(), node, [&](auto to_tag) {
      using To = typename decltype(to_tag)::type;
      const From* in = x.Data<From>();
      To* out = y->MutableData<To>();
      for (int64_t i = 0; i < n; ++i) out[i] = Convert<To, From>(in[i]);
      return Status::Ok();
    });
  });
}

bool Supported(DataType t) {
  if (t == DataType::kString) return true;
  for (DataType d : DataTypes(CastTypes{}))
    if (d == t) return true;
  return false;
}

StatusOr<DataType> TypeFromName(const NodeInfo& node, const std::string& name) {
  static const std::map<std::string, DataType> kNames = {
      {"FLOAT", DataType::kFloat32}, {"UINT8", DataType::kUint8},    {"INT8", DataType::kInt8},
      {"UINT16", DataType::kUint16}, {"INT16", DataType::kInt16},    {"INT32", DataType::kInt32},
      {"INT64", DataType::kInt64},   {"STRING", DataType::kString},  {"BOOL", DataType::kBool},
      {"FLOAT16", DataType::kFloat16}, {"DOUBLE", DataType::kFloat64}, {"UINT32", DataType::kUint32},
      {"UINT64", DataType::kUint64}, {"BFLOAT16", DataType::kBFloat16}};
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
  std::vector<DataType> types = DataTypes(CastTypes{});
  types.push_back(DataType::kString);
  Add<CastKernel>(r, RefDef("Cast").Opset(1).Types(types));
  Add<CastLikeKernel>(r, RefDef("CastLike").Opset(15).Types(types));
}

}  // namespace pl::cpu_ref
