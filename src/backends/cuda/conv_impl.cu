// Device side of conv.cc: the shifted copy that pads a Conv input explicitly (asymmetric pads,
// which cuDNN's legacy descriptors cannot express) and crops a ConvTranspose result.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace pl::cuda {
namespace {

struct ShiftParams {
  const float* src;
  float* dst;
  int64_t planes;             // N * C
  int64_t src_plane, dst_plane;  // elements per plane
  int64_t src_dims[3], dst_dims[3], offset[3];  // 3 spatial dims (leading ones of size 1 when fewer)
};

// dst[p, o] = src[p, o + offset] where that lies inside src, else 0.
__global__ void ShiftCopyKernel(const __grid_constant__ ShiftParams p) {
  const int64_t n = p.planes * p.dst_plane;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t plane = i / p.dst_plane;
    int64_t r = i - plane * p.dst_plane;
    const int64_t o2 = r % p.dst_dims[2];
    r /= p.dst_dims[2];
    const int64_t o1 = r % p.dst_dims[1];
    const int64_t o0 = r / p.dst_dims[1];
    const int64_t s0 = o0 + p.offset[0], s1 = o1 + p.offset[1], s2 = o2 + p.offset[2];
    float v = 0.f;
    if (s0 >= 0 && s0 < p.src_dims[0] && s1 >= 0 && s1 < p.src_dims[1] && s2 >= 0 && s2 < p.src_dims[2])
      v = p.src[plane * p.src_plane + (s0 * p.src_dims[1] + s1) * p.src_dims[2] + s2];
    p.dst[i] = v;
  }
}

}  // namespace

// Declared in conv.cc. nd in [1, 3]; dims and offsets have nd entries.
cudaError_t LaunchShiftCopy(const float* src, float* dst, int64_t planes, int nd, const int64_t* src_dims,
                            const int64_t* dst_dims, const int64_t* offset, cudaStream_t stream) {
  if (nd < 1 || nd > 3) return cudaErrorInvalidValue;
  ShiftParams p;
  p.src = src;
  p.dst = dst;
  p.planes = planes;
  p.src_plane = p.dst_plane = 1;
  for (int d = 0; d < 3; ++d) {
    const int k = d - (3 - nd);  // index into the caller's arrays, < 0 for the padding dims
    p.src_dims[d] = k >= 0 ? src_dims[k] : 1;
    p.dst_dims[d] = k >= 0 ? dst_dims[k] : 1;
    p.offset[d] = k >= 0 ? offset[k] : 0;
    p.src_plane *= p.src_dims[d];
    p.dst_plane *= p.dst_dims[d];
  }
  const int64_t n = planes * p.dst_plane;
  if (n <= 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 132 * 16));
  ShiftCopyKernel<<<blocks, kThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace pl::cuda
