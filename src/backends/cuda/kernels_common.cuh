// Device-side helpers shared by the light kernels' _impl.cu files (grid sizing, index decoding).
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

#include "src/backends/cuda/launch.h"

namespace pl::cuda {

inline constexpr int kBlock = 256;

// Blocks for n work items with grid-stride loops (capped: each thread then takes several items).
inline unsigned GridFor(int64_t n, int block = kBlock) {
  int64_t b = (n + block - 1) / block;
  if (b < 1) b = 1;
  if (b > (int64_t{1} << 20)) b = int64_t{1} << 20;
  return static_cast<unsigned>(b);
}

__device__ __forceinline__ int64_t GlobalThread() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}
__device__ __forceinline__ int64_t GridStride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// Offsets into K inputs of output element i (row-major over p.dims).
template <int K>
__device__ __forceinline__ void BcastOffsets(int64_t i, const BcastParams& p, int64_t* off) {
#pragma unroll
  for (int k = 0; k < K; ++k) off[k] = 0;
  if (p.small) {  // 32-bit division is several times cheaper than 64-bit
    uint32_t u = static_cast<uint32_t>(i);
    for (int d = p.rank - 1; d >= 0; --d) {
      const uint32_t dim = static_cast<uint32_t>(p.dims[d]);
      const uint32_t q = u / dim;
      const int64_t c = static_cast<int64_t>(u - q * dim);
      u = q;
#pragma unroll
      for (int k = 0; k < K; ++k) off[k] += c * p.strides[k][d];
    }
    return;
  }
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t dim = p.dims[d];
    const int64_t q = i / dim;
    const int64_t c = i - q * dim;
    i = q;
#pragma unroll
    for (int k = 0; k < K; ++k) off[k] += c * p.strides[k][d];
  }
}

// Unsigned integer of N bytes: the element type of byte-moving kernels.
template <int N> struct UIntOf;
template <> struct UIntOf<1> { using type = uint8_t; };
template <> struct UIntOf<2> { using type = uint16_t; };
template <> struct UIntOf<4> { using type = uint32_t; };
template <> struct UIntOf<8> { using type = uint64_t; };
template <> struct UIntOf<16> { using type = uint4; };

}  // namespace pl::cuda
