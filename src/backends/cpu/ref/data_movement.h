// Helpers shared by the reference data-movement kernels (Slice, Transpose, Pad, Expand, Tile,
// DepthToSpace, Gather...). These ops only move elements, so they work on any dtype by its size;
// the few that need values (fill constants, reductions) convert through double.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {

// Row-major strides (in elements) of a contiguous tensor of `shape`.
std::vector<int64_t> ContiguousStrides(const Shape& shape);

// Copies every element of `shape`, in row-major order, into contiguous `dst`; element idx is read
// from src + sum(idx[d] * src_strides[d]) * elem_size (strides may be 0, for broadcasting, or
// negative). Large copies use up to `threads` OpenMP threads.
void StridedCopy(void* dst, const void* src, const Shape& shape, const std::vector<int64_t>& src_strides,
                 size_t elem_size, int threads = 1);

// y (contiguous, `shape`) from the strided view of x starting `offset` elements in; on the host
// with StridedCopy (string tensors element by element), on a device through its
// DeviceBackend::CopyStrided (on the predictor's stream), so kernels written with it serve every
// backend that has that copy.
Status CopyView(KernelContext& ctx, const Tensor& x, int64_t offset, const Shape& shape,
                const std::vector<int64_t>& src_strides, Tensor* y);

// y = x viewed as `view` and permuted by `perm`, on the host (TransposeBytes) or a device
// (CopyStrided with the permuted strides). Defined in transpose.cc.
Status TransposeView(KernelContext& ctx, const Tensor& x, const Shape& view, const std::vector<int64_t>& perm, Tensor* y);

// dst = src permuted: output dim d is input dim perm[d]. perm must be a valid permutation of
// [0, rank); src and dst are contiguous and do not overlap. Defined in transpose.cc.
void TransposeBytes(void* dst, const void* src, const Shape& in_shape, const std::vector<int64_t>& perm,
                    size_t elem_size, int threads = 1);

// Fills n elements of elem_size bytes at dst with the element at `value`.
void FillElements(void* dst, const void* value, int64_t n, size_t elem_size);

// Error (naming the node) for tensors whose elements cannot be copied by size (strings, undefined).
Status CheckCopyable(DataType dt, const NodeInfo& node, const char* what);
// Same, but string tensors pass: for kernels that move elements through CopyView/TransposeView.
Status CheckMovable(DataType dt, const NodeInfo& node, const char* what);

// IEEE half <-> float, round to nearest even.
uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);

// Stores v converted to dt at dst (bool: v != 0). False for a dtype without a numeric meaning.
bool StoreDouble(DataType dt, double v, void* dst);
// Element i of any numeric tensor (float16 included) as double.
double LoadDouble(const Tensor& t, int64_t i);

// Calls f(T{}) with T the C++ type of dt, for the numeric types and bool; false for others
// (float16 has no C++ type here: callers that need its arithmetic go through float).
template <typename F>
bool VisitNumericType(DataType dt, F&& f) {
  switch (dt) {
    case DataType::kFloat32: f(float{}); return true;
    case DataType::kFloat64: f(double{}); return true;
    case DataType::kInt8: f(int8_t{}); return true;
    case DataType::kInt16: f(int16_t{}); return true;
    case DataType::kInt32: f(int32_t{}); return true;
    case DataType::kInt64: f(int64_t{}); return true;
    case DataType::kUint8: f(uint8_t{}); return true;
    case DataType::kUint16: f(uint16_t{}); return true;
    case DataType::kUint32: f(uint32_t{}); return true;
    case DataType::kUint64: f(uint64_t{}); return true;
    case DataType::kBool: f(bool{}); return true;
    default: return false;
  }
}

// Calls f(U{}) with U the unsigned integer type of elem_size bytes (1, 2, 4, 8): the element type
// of byte-moving loops. False for other sizes (CheckCopyable rules those out first).
template <typename F>
bool VisitElementSize(size_t elem_size, F&& f) {
  switch (elem_size) {
    case 1: f(uint8_t{}); return true;
    case 2: f(uint16_t{}); return true;
    case 4: f(uint32_t{}); return true;
    case 8: f(uint64_t{}); return true;
    default: return false;
  }
}

// Reshape, Flatten, Squeeze, Unsqueeze for `backend`: the shape is computed on the host (shape
// and axes inputs are HostInput), the bytes move with the tensors' device's own copy, so any
// device backend (CUDA) registers these same kernels instead of writing its own. Defined in
// reshape.cc.
void RegisterReshapeFamily(KernelRegistry& r, const std::string& backend);
// Slice, Split, Expand/Tile, DepthToSpace/SpaceToDepth for `backend` (a device backend needs
// DeviceBackend::CopyStrided). Defined in slice.cc, split.cc, expand_tile.cc, depth_space.cc.
void RegisterSliceFor(KernelRegistry& r, const std::string& backend);
void RegisterSplitFor(KernelRegistry& r, const std::string& backend);
void RegisterExpandTileFor(KernelRegistry& r, const std::string& backend);
void RegisterDepthSpaceFor(KernelRegistry& r, const std::string& backend);

// Reads an optional 1-D (or scalar) int32/int64 input as a vector; `present` false if omitted.
StatusOr<std::vector<int64_t>> ReadIntsInput(const KernelContext& ctx, int i, const char* what, bool* present);

}  // namespace pl::cpu_ref
