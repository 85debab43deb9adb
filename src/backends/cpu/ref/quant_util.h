// Helpers shared by the reference quantization kernels (quantize.cc, qlinear.cc): reading scales
// and zero points (per tensor or per axis), ONNX's round-half-to-even + saturate, and the int32
// accumulation both QLinear*/…Integer families are built on.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {

// round(v) half to even, then + zp, saturated to Q's range. NaN quantizes to the zero point.
// Rounding uses the default floating-point environment (round to nearest even).
template <typename Q>
inline Q RoundSaturate(float v, int32_t zp) {
  float r = std::nearbyint(v);
  if (std::isnan(r)) r = 0.f;
  r += static_cast<float>(zp);
  constexpr float lo = static_cast<float>(std::numeric_limits<Q>::min());
  constexpr float hi = static_cast<float>(std::numeric_limits<Q>::max());
  if (r < lo) r = lo;
  if (r > hi) r = hi;
  return static_cast<Q>(r);
}

// A scale or zero-point operand as read for one node: either one value for the whole tensor or
// one per slice along an axis. Values are kept as float (scales) or int32 (zero points).
struct QuantParam {
  std::vector<float> scale;
  std::vector<int32_t> zero_point;
  bool per_axis() const { return scale.size() > 1 || zero_point.size() > 1; }
};

// True for a tensor holding one value (rank 0, or rank 1 of size 1).
inline bool IsScalarLike(const Tensor& t) { return t.NumElements() == 1 && t.rank() <= 1; }

// Reads a float32 (or float16) scale tensor. Error names the node and `what`, and rejects
// non-positive, NaN or infinite scales (ONNX requires a positive scale).
Status ReadScales(const NodeInfo& node, const Tensor& t, const char* what, std::vector<float>* out);
// Reads a uint8/int8/int32 zero-point tensor whose dtype must be `want`.
Status ReadZeroPoints(const NodeInfo& node, const Tensor& t, DataType want, const char* what,
                      std::vector<int32_t>* out);

// Checks that `count` values (scale or zero point) fit a tensor dim of size `dim`: 1 (per tensor)
// or `dim` (per axis), and that per-axis operands are 1-D when `allow_per_axis`.
Status CheckParamCount(const NodeInfo& node, const Tensor& t, int64_t dim, bool allow_per_axis, const char* what);

// Value k of a per-tensor (size 1) or per-axis vector.
template <typename T>
inline T At(const std::vector<T>& v, int64_t k) { return v.size() == 1 ? v[0] : v[static_cast<size_t>(k)]; }

// Reads element i of a uint8/int8 tensor as int32.
inline int32_t ReadQ(const Tensor& t, int64_t i) {
  return t.dtype() == DataType::kUint8 ? static_cast<int32_t>(t.Data<uint8_t>()[i])
                                       : static_cast<int32_t>(t.Data<int8_t>()[i]);
}

// Copies a uint8/int8 tensor's elements to int32, subtracting the zero point of the slice along
// the outer dim: element i belongs to slice (i / inner) % outer.
void WidenMinusZeroPoint(const Tensor& t, const std::vector<int32_t>& zp, int64_t outer, int64_t inner, int32_t* out);

}  // namespace pl::cpu_ref
