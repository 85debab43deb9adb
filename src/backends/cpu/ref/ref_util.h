// Shared helpers for the reference CPU kernels: registration shorthand, broadcasting, axis
// normalization, typed dispatch. Plain code: these kernels are the oracle for every backend.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "pl/op_registry.h"

namespace pl::cpu_ref {

// KernelDef on the cpu_ref backend.
inline KernelDef RefDef(const char* op) { return KernelDef(op).Backend(kBackendCpuRef); }

// double -> int64 without undefined behaviour (a float index or coordinate of 1e30 from an input):
// NaN -> 0, values beyond int64's range saturate; the caller's range checks then refuse or clamp.
inline int64_t SaturatingInt64(double v) {
  if (!(v == v)) return 0;
  if (v >= 9.2e18) return INT64_MAX;
  if (v <= -9.2e18) return INT64_MIN;
  return static_cast<int64_t>(v);
}

template <typename K>
void Add(KernelRegistry& r, KernelDef def) { r.RegisterBuiltin(std::move(def), MakeKernelFactory<K>()); }

// Numpy-style multidirectional broadcast of two shapes. Error names the node.
StatusOr<Shape> BroadcastShapes(const Shape& a, const Shape& b, const NodeInfo& node);
StatusOr<Shape> BroadcastShapes(const std::vector<const Shape*>& shapes, const NodeInfo& node);

// Strides (in elements) of `in` when broadcast to `out` (0 for broadcast dims). in.rank <= out.rank.
std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out);

// Normalizes an axis in [-rank, rank) (or [-rank-1, rank] when `inclusive_end`).
StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const NodeInfo& node, bool inclusive_end = false);

// Calls f(index_a, index_b, out_index) for every output element of a 2-input broadcast,
// fast paths for equal shapes and scalar operands.
template <typename F>
void ForEachBroadcast2(const Shape& a, const Shape& b, const Shape& out, F&& f) {
  const int64_t n = ShapeNumElements(out);
  const int64_t na = ShapeNumElements(a), nb = ShapeNumElements(b);
  if (na == n && nb == n && a == b) {
    for (int64_t i = 0; i < n; ++i) f(i, i, i);
    return;
  }
  if (nb == 1 && na == n) { for (int64_t i = 0; i < n; ++i) f(i, 0, i); return; }
  if (na == 1 && nb == n) { for (int64_t i = 0; i < n; ++i) f(0, i, i); return; }
  const size_t r = out.size();
  std::vector<int64_t> sa = BroadcastStrides(a, out), sb = BroadcastStrides(b, out);
  std::vector<int64_t> idx(r, 0);
  int64_t ia = 0, ib = 0;
  if (n == 0) return;
  const int64_t inner = r ? out[r - 1] : 1;
  const int64_t ias = r ? sa[r - 1] : 0, ibs = r ? sb[r - 1] : 0;
  for (int64_t o = 0; o < n; o += inner) {
    for (int64_t k = 0; k < inner; ++k) f(ia + k * ias, ib + k * ibs, o + k);
    // advance the outer index (all dims but the last)
    for (int d = static_cast<int>(r) - 2; d >= 0; --d) {
      ++idx[d];
      ia += sa[d];
      ib += sb[d];
      if (idx[d] < out[d]) break;
      ia -= sa[d] * out[d];
      ib -= sb[d] * out[d];
      idx[d] = 0;
    }
  }
}

// Reads element i of an integer tensor (int32 or int64) as int64.
int64_t ReadInt(const Tensor& t, int64_t i);
// Reads all elements of an int32/int64 tensor. Error if another dtype.
StatusOr<std::vector<int64_t>> ReadInts(const Tensor& t, const NodeInfo& node, const char* what);
// Reads element i of any numeric tensor as double (float, double, ints, bool).
double ReadAsDouble(const Tensor& t, int64_t i);

// Copies n elements of src starting at element `from` to dst starting at element `to` (same
// dtype): strings are assigned one by one, every other dtype is copied as bytes. No-op when the
// ranges are the same memory (an in-place output).
void CopyElements(const Tensor& src, int64_t from, Tensor* dst, int64_t to, int64_t n);

}  // namespace pl::cpu_ref
