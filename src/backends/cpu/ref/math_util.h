// Helpers shared by the reference math kernels (unary, binary, logical, variadic, clip, softmax,
// matmul, reduce, cast, math_misc): an IEEE half type, run-time dtype dispatch over type lists,
// N-input broadcasting and the pre-opset-7 `broadcast`/`axis` attribute semantics.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {

// ----- IEEE 754 binary16 -----

// Round to nearest even, with subnormals, infinities and NaN (quiet) preserved.
inline uint16_t FloatToHalfBits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mant ? 0x200u | (mant >> 13) : 0u));
  const int32_t e = static_cast<int32_t>(exp) - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);
  if (e <= 0) {
    // Half subnormal: value = m * 2^-24; anything below 2^-25 (or exactly it: tie to even 0) is zero.
    if (e < -10) return static_cast<uint16_t>(sign);
    const uint32_t full = mant | 0x800000u;
    const int shift = 14 - e;
    uint32_t m = full >> shift;
    const uint32_t rem = full & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (m & 1u))) ++m;
    return static_cast<uint16_t>(sign | m);
  }
  uint32_t h = sign | (static_cast<uint32_t>(e) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is still right
  return static_cast<uint16_t>(h);
}

inline float HalfBitsToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0) {
    if (mant == 0) {
      x = sign;
    } else {
      uint32_t e = 113;  // 127 - 15 + 1, lowered once per normalizing shift
      while (!(mant & 0x400u)) { mant <<= 1; --e; }
      x = sign | (e << 23) | ((mant & 0x3ffu) << 13);
    }
  } else if (exp == 0x1f) {
    x = sign | 0x7f800000u | (mant << 13);
  } else {
    x = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}

// Storage type for float16 tensors; arithmetic happens in float (see CType<T>).
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f) : bits(FloatToHalfBits(f)) {}  // NOLINT: implicit like a built-in float type
  operator float() const { return HalfBitsToFloat(bits); }  // NOLINT
};
static_assert(sizeof(Half) == 2, "Half must be 2 bytes");

// Storage type for bfloat16 tensors (pl::BFloat16's bits); arithmetic happens in float.
struct BF16 {
  uint16_t bits = 0;
  BF16() = default;
  BF16(float f) : bits(BFloat16::FromFloat(f).bits) {}  // NOLINT: implicit like a built-in float type
  operator float() const { return BFloat16{bits}.ToFloat(); }  // NOLINT
};
static_assert(sizeof(BF16) == 2, "BF16 must be 2 bytes");

// The type arithmetic on T is done in.
template <typename T> struct ComputeTypeOf { using type = T; };
template <> struct ComputeTypeOf<Half> { using type = float; };
template <> struct ComputeTypeOf<BF16> { using type = float; };
template <typename T> using CType = typename ComputeTypeOf<T>::type;

template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || std::is_same_v<T, Half> || std::is_same_v<T, BF16>;

}  // namespace pl::cpu_ref

namespace pl {
template <> struct DataTypeOf<cpu_ref::Half> { static constexpr DataType value = DataType::kFloat16; };
template <> struct DataTypeOf<cpu_ref::BF16> { static constexpr DataType value = DataType::kBFloat16; };
}  // namespace pl

namespace pl::cpu_ref {

// Float to integer without UB: truncation, wrapping like a C cast through int64 when in range,
// saturating beyond it; NaN becomes 0.
template <typename T>
inline T FloatToIntWrap(double v) {
  if (std::isnan(v)) return 0;
  if (v >= -9.2233720368547758e18 && v < 9.2233720368547758e18)
    return static_cast<T>(static_cast<int64_t>(v));
  if (v < 0) return std::numeric_limits<T>::min();
  if constexpr (std::is_same_v<T, uint64_t>) {
    if (v < 1.8446744073709552e19) return static_cast<uint64_t>(v);
  }
  return std::numeric_limits<T>::max();
}

// ----- run-time dtype dispatch -----

template <typename T> struct TypeTag { using type = T; };
template <typename... Ts> struct TypeList {};

using FloatTypes = TypeList<float, double, Half>;
using SignedIntTypes = TypeList<int8_t, int16_t, int32_t, int64_t>;
using IntTypes = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using SignedNumericTypes = TypeList<float, double, Half, int8_t, int16_t, int32_t, int64_t>;
using NumericTypes =
    TypeList<float, double, Half, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
using NumericBoolTypes =
    TypeList<float, double, Half, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool>;
// What Cast/CastLike convert between (strings aside).
using CastTypes =
    TypeList<float, double, Half, BF16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool>;

template <typename... Ts>
std::vector<DataType> DataTypes(TypeList<Ts...>) { return {DataTypeOf<Ts>::value...}; }

// Calls f(TypeTag<T>{}) (returning Status) for the T of `list` whose dtype is `dt`.
// Error names the node and the dtype when `dt` is not in the list.
template <typename... Ts, typename F>
Status Dispatch(TypeList<Ts...>, DataType dt, const NodeInfo& node, F&& f) {
  Status s = Status::Ok();
  const bool found = ((DataTypeOf<Ts>::value == dt ? (s = f(TypeTag<Ts>{}), true) : false) || ...);
  if (!found) return Status::InvalidArgument(node.Describe() + ": unsupported dtype " + DataTypeName(dt));
  return s;
}

// ----- broadcasting -----

// Calls f(out_index, offsets) for every element of `out`, where offsets[k] is the element index
// into input k (shape *ins[k], numpy-broadcast to `out`).
template <typename F>
void ForEachBroadcastN(const std::vector<const Shape*>& ins, const Shape& out, F&& f) {
  const int64_t n = ShapeNumElements(out);
  if (n <= 0) return;
  const size_t k = ins.size(), r = out.size();
  std::vector<std::vector<int64_t>> strides(k);
  for (size_t j = 0; j < k; ++j) strides[j] = BroadcastStrides(*ins[j], out);
  std::vector<int64_t> idx(r, 0), off(k, 0);
  for (int64_t o = 0; o < n; ++o) {
    f(o, off.data());
    for (int d = static_cast<int>(r) - 1; d >= 0; --d) {
      ++idx[d];
      for (size_t j = 0; j < k; ++j) off[j] += strides[j][d];
      if (idx[d] < out[d]) break;
      for (size_t j = 0; j < k; ++j) off[j] -= strides[j][d] * out[d];
      idx[d] = 0;
    }
  }
}

// Shape that input B is read with for binary ops before opset 7, where broadcasting was opt-in:
// with broadcast=1, B's dims line up with A's starting at `axis` (default: trailing dims), which is
// the numpy rule once B gets trailing 1s. Without it the shapes must match. From opset 7 on
// (numpy broadcasting) returns b unchanged.
inline StatusOr<Shape> LegacyBroadcastB(const NodeInfo& node, const Shape& a, const Shape& b) {
  if (node.opset >= 7) return b;
  if (node.Attr<int64_t>("broadcast", 0) == 0) {
    if (a != b)
      return Status::InvalidArgument(node.Describe() + ": shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                                     " differ and attribute broadcast is 0");
    return b;
  }
  const int64_t ra = static_cast<int64_t>(a.size()), rb = static_cast<int64_t>(b.size());
  if (rb > ra)
    return Status::InvalidArgument(node.Describe() + ": broadcast input rank " + std::to_string(rb) +
                                   " exceeds rank " + std::to_string(ra));
  if (!node.HasAttr("axis")) return b;
  PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(node.Attr<int64_t>("axis", 0), ra, node));
  if (axis + rb > ra)
    return Status::InvalidArgument(node.Describe() + ": broadcast shape " + ShapeToString(b) + " at axis " +
                                   std::to_string(axis) + " does not fit " + ShapeToString(a));
  Shape padded = b;
  padded.resize(static_cast<size_t>(ra - axis), 1);
  return padded;
}

inline Status MissingInput(const NodeInfo& node, int i) {
  return Status::InvalidArgument(node.Describe() + ": missing input " + std::to_string(i));
}

}  // namespace pl::cpu_ref
