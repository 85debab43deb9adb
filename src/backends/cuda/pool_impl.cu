// Device side of pool.cc: windowed MaxPool/AveragePool (one thread per output element, up to 3
// spatial dims) and GlobalMax/GlobalAveragePool (a warp or a block per (n, c) plane).
#include <cuda_runtime.h>

#include <algorithm>
#include <cfloat>
#include <cstdint>

namespace pl::cuda {

namespace {

// Spatial dims are right-aligned into 3 (leading dims of size 1, kernel 1, stride 1, dilation 1,
// no padding).
struct PoolLaunch {
  const float* x = nullptr;
  float* y = nullptr;
  int64_t* indices = nullptr;  // MaxPool's optional second output
  int64_t planes = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kernel[3] = {1, 1, 1}, strides[3] = {1, 1, 1},
          dilations[3] = {1, 1, 1}, pb[3] = {0, 0, 0}, pe[3] = {0, 0, 0};
  int max = 1;                // 1: MaxPool, 0: AveragePool
  int count_include_pad = 0;  // AveragePool
  int storage_order = 0;      // MaxPool indices: 0 row-major, 1 column-major
};

__global__ void WindowPoolKernel(const __grid_constant__ PoolLaunch p) {
  const int64_t out_plane = p.out[0] * p.out[1] * p.out[2];
  const int64_t in_plane = p.in[0] * p.in[1] * p.in[2];
  const int64_t n = p.planes * out_plane;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const int64_t plane = i / out_plane;
    int64_t r = i - plane * out_plane;
    const int64_t o2 = r % p.out[2];
    r /= p.out[2];
    const int64_t o1 = r % p.out[1];
    const int64_t o0 = r / p.out[1];
    const int64_t b0 = o0 * p.strides[0] - p.pb[0], b1 = o1 * p.strides[1] - p.pb[1],
                  b2 = o2 * p.strides[2] - p.pb[2];
    const float* xp = p.x + plane * in_plane;
    if (p.max) {
      // First maximum in window order (as the reference); a NaN wins and stays (propagates).
      float best = -FLT_MAX;
      int64_t arg = -1;
      for (int64_t k0 = 0; k0 < p.kernel[0]; ++k0) {
        const int64_t v0 = b0 + k0 * p.dilations[0];
        if (v0 < 0 || v0 >= p.in[0]) continue;
        for (int64_t k1 = 0; k1 < p.kernel[1]; ++k1) {
          const int64_t v1 = b1 + k1 * p.dilations[1];
          if (v1 < 0 || v1 >= p.in[1]) continue;
          const int64_t row = (v0 * p.in[1] + v1) * p.in[2];
          for (int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
            const int64_t v2 = b2 + k2 * p.dilations[2];
            if (v2 < 0 || v2 >= p.in[2]) continue;
            const float v = xp[row + v2];
            if (arg < 0 || v > best || (v != v && best == best)) {
              best = v;
              arg = row + v2;
            }
          }
        }
      }
      p.y[i] = best;
      if (p.indices) {
        int64_t off = arg < 0 ? 0 : arg;
        if (p.storage_order) {
          const int64_t v2 = off % p.in[2], t = off / p.in[2];
          const int64_t v1 = t % p.in[1], v0 = t / p.in[1];
          off = v0 + v1 * p.in[0] + v2 * p.in[0] * p.in[1];
        }
        p.indices[i] = plane * in_plane + off;
      }
    } else {
      double sum = 0.0;
      int64_t inside0 = 0, inside1 = 0, inside2 = 0, padded0 = 0, padded1 = 0, padded2 = 0;
      // Taps per dim inside the input, and inside the input plus its explicit padding.
      for (int64_t k = 0; k < p.kernel[0]; ++k) {
        const int64_t v = b0 + k * p.dilations[0];
        padded0 += v >= -p.pb[0] && v < p.in[0] + p.pe[0];
        inside0 += v >= 0 && v < p.in[0];
      }
      for (int64_t k = 0; k < p.kernel[1]; ++k) {
        const int64_t v = b1 + k * p.dilations[1];
        padded1 += v >= -p.pb[1] && v < p.in[1] + p.pe[1];
        inside1 += v >= 0 && v < p.in[1];
      }
      for (int64_t k = 0; k < p.kernel[2]; ++k) {
        const int64_t v = b2 + k * p.dilations[2];
        padded2 += v >= -p.pb[2] && v < p.in[2] + p.pe[2];
        inside2 += v >= 0 && v < p.in[2];
      }
      for (int64_t k0 = 0; k0 < p.kernel[0]; ++k0) {
        const int64_t v0 = b0 + k0 * p.dilations[0];
        if (v0 < 0 || v0 >= p.in[0]) continue;
        for (int64_t k1 = 0; k1 < p.kernel[1]; ++k1) {
          const int64_t v1 = b1 + k1 * p.dilations[1];
          if (v1 < 0 || v1 >= p.in[1]) continue;
          const int64_t row = (v0 * p.in[1] + v1) * p.in[2];
          for (int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
            const int64_t v2 = b2 + k2 * p.dilations[2];
            if (v2 < 0 || v2 >= p.in[2]) continue;
            sum += xp[row + v2];
          }
        }
      }
      const int64_t div = p.count_include_pad ? padded0 * padded1 * padded2 : inside0 * inside1 * inside2;
      p.y[i] = div > 0 ? static_cast<float>(sum / static_cast<double>(div)) : 0.f;
    }
  }
}

__device__ __forceinline__ float MaxNan(float a, float b) {
  if (a != a) return a;
  if (b != b) return b;
  return a > b ? a : b;
}

template <bool kMax>
__device__ __forceinline__ void WarpReduce(float* m, double* s) {
  for (int off = 16; off > 0; off >>= 1) {
    if constexpr (kMax) *m = MaxNan(*m, __shfl_down_sync(0xffffffffu, *m, off));
    else *s += __shfl_down_sync(0xffffffffu, *s, off);
  }
}

// One warp per plane (small planes).
template <bool kMax>
__global__ void GlobalPoolWarpKernel(const float* __restrict__ x, float* __restrict__ y, int64_t planes, int64_t S) {
  const int64_t warp = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= planes) return;  // the whole warp leaves together
  const float* xp = x + warp * S;
  float m = -FLT_MAX;
  double s = 0.0;
  for (int64_t i = lane; i < S; i += 32) {
    if (kMax) m = MaxNan(m, xp[i]);
    else s += xp[i];
  }
  WarpReduce<kMax>(&m, &s);
  if (lane == 0) {
    if (kMax) y[warp] = S > 0 ? m : 0.f;
    else y[warp] = S > 0 ? static_cast<float>(s / static_cast<double>(S)) : 0.f;
  }
}

// One block (kBlock threads) per plane (large planes).
template <bool kMax, int kBlock>
__global__ void GlobalPoolBlockKernel(const float* __restrict__ x, float* __restrict__ y, int64_t S) {
  __shared__ float sm[kBlock / 32];
  __shared__ double ss[kBlock / 32];
  const int64_t plane = blockIdx.x;
  const float* xp = x + plane * S;
  float m = -FLT_MAX;
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < S; i += kBlock) {
    if (kMax) m = MaxNan(m, xp[i]);
    else s += xp[i];
  }
  WarpReduce<kMax>(&m, &s);
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
  if (lane == 0) {
    sm[warp] = m;
    ss[warp] = s;
  }
  __syncthreads();
  if (warp == 0) {
    m = lane < kBlock / 32 ? sm[lane] : -FLT_MAX;
    s = lane < kBlock / 32 ? ss[lane] : 0.0;
    WarpReduce<kMax>(&m, &s);
    if (lane == 0) {
      if (kMax) y[plane] = S > 0 ? m : 0.f;
      else y[plane] = S > 0 ? static_cast<float>(s / static_cast<double>(S)) : 0.f;
    }
  }
}

}  // namespace

// Declared in pool.cc. geom: 7 groups of nd values (nd in [1, 3]): input dims, output dims,
// kernel, strides, dilations, begin pads, end pads.
cudaError_t LaunchWindowPool(const float* x, float* y, int64_t* indices, int64_t planes, int nd, const int64_t* geom,
                             bool max, bool count_include_pad, bool column_major, cudaStream_t stream) {
  if (nd < 1 || nd > 3) return cudaErrorInvalidValue;
  PoolLaunch p;
  p.x = x;
  p.y = y;
  p.indices = indices;
  p.planes = planes;
  p.max = max ? 1 : 0;
  p.count_include_pad = count_include_pad ? 1 : 0;
  p.storage_order = column_major ? 1 : 0;
  int64_t* fields[7] = {p.in, p.out, p.kernel, p.strides, p.dilations, p.pb, p.pe};
  for (int f = 0; f < 7; ++f)
    for (int d = 0; d < nd; ++d) fields[f][3 - nd + d] = geom[f * nd + d];
  const int64_t n = p.planes * p.out[0] * p.out[1] * p.out[2];
  if (n <= 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const int blocks = static_cast<int>(std::min<int64_t>((n + kThreads - 1) / kThreads, 132 * 16));
  WindowPoolKernel<<<blocks, kThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

cudaError_t LaunchGlobalPool(const float* x, float* y, int64_t planes, int64_t S, bool max, cudaStream_t stream) {
  if (planes <= 0) return cudaSuccess;
  constexpr int kBlock = 256;
  if (S >= 2048 && planes <= INT32_MAX) {
    if (max) GlobalPoolBlockKernel<true, kBlock><<<static_cast<unsigned>(planes), kBlock, 0, stream>>>(x, y, S);
    else GlobalPoolBlockKernel<false, kBlock><<<static_cast<unsigned>(planes), kBlock, 0, stream>>>(x, y, S);
  } else {
    const int64_t warps_per_block = kBlock / 32;
    const int64_t blocks = (planes + warps_per_block - 1) / warps_per_block;
    if (blocks > INT32_MAX) return cudaErrorInvalidConfiguration;
    if (max) GlobalPoolWarpKernel<true><<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(x, y, planes, S);
    else GlobalPoolWarpKernel<false><<<static_cast<unsigned>(blocks), kBlock, 0, stream>>>(x, y, planes, S);
  }
  return cudaGetLastError();
}

}  // namespace pl::cuda
