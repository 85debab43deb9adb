// Device code of the movement family: strided copy (Slice, Transpose, Expand, Tile,
// DepthToSpace/SpaceToDepth), tiled transpose, Gather, pitched 2-D copy (Concat, Split), Pad and
// Resize (float32 nearest / linear). Semantics follow src/backends/cpu/ref/{slice,transpose,
// expand_tile,gather,concat,split,pad,resize}.cc.
#include <cmath>
#include <cstring>
#include <initializer_list>

#include "src/backends/cuda/kernels_common.cuh"

namespace pl::cuda {
namespace {

// Widest unit (16, 8, 4, 2, 1 bytes) dividing every value in `v` (sizes, pitches, addresses).
inline int UnitFor(std::initializer_list<uint64_t> v) {
  uint64_t acc = 16;
  for (uint64_t x : v) acc |= x;
  if (acc & 1) return 1;
  if (acc & 2) return 2;
  if (acc & 4) return 4;
  if (acc & 8) return 8;
  return 16;
}

// ------------------------------------------------------------------ strided copy

template <typename U>
__global__ void StridedCopyKernel(const U* __restrict__ src, U* __restrict__ dst, int64_t n, CopyParams p) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) {
    int64_t off = 0;
    if (p.small) {
      uint32_t rem = static_cast<uint32_t>(i);
      for (int d = p.rank - 1; d >= 0; --d) {
        const uint32_t dim = static_cast<uint32_t>(p.dims[d]);
        const uint32_t q = rem / dim;
        off += static_cast<int64_t>(rem - q * dim) * p.strides[d];
        rem = q;
      }
    } else {
      int64_t rem = i;
      for (int d = p.rank - 1; d >= 0; --d) {
        const int64_t q = rem / p.dims[d];
        off += (rem - q * p.dims[d]) * p.strides[d];
        rem = q;
      }
    }
    dst[i] = src[off];
  }
}

// Batched 2-D transpose through shared memory: dst[b][c][r] = src[b * batch_stride + r * ld + c]
// for r < rows, c < cols (dst is contiguous [batch, cols, rows]).
constexpr int kTile = 32;
template <typename U>
__global__ void Transpose2DKernel(const U* __restrict__ src, U* __restrict__ dst, int64_t rows, int64_t cols,
                                  int64_t ld, int64_t batch_stride) {
  __shared__ U tile[kTile][kTile + 1];
  const int64_t b = blockIdx.z;
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * kTile, c0 = static_cast<int64_t>(blockIdx.x) * kTile;
  const U* s = src + b * batch_stride;
  U* d = dst + b * rows * cols;
  for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
    const int64_t r = r0 + k, c = c0 + threadIdx.x;
    if (r < rows && c < cols) tile[k][threadIdx.x] = s[r * ld + c];
  }
  __syncthreads();
  for (int k = threadIdx.y; k < kTile; k += blockDim.y) {
    const int64_t c = c0 + k, r = r0 + threadIdx.x;
    if (r < rows && c < cols) d[c * rows + r] = tile[threadIdx.x][k];
  }
}

// ------------------------------------------------------------------ Gather

template <typename U>
__global__ void GatherKernel(const U* __restrict__ data, const int64_t* __restrict__ idx, GatherInline inl,
                             U* __restrict__ out, int64_t n, int64_t axis_dim, int64_t m, int64_t inner) {
  const bool small = n < (int64_t{1} << 31);
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) {
    int64_t k, j, o;
    if (small) {
      const uint32_t u = static_cast<uint32_t>(i), in = static_cast<uint32_t>(inner), mm = static_cast<uint32_t>(m);
      const uint32_t t = u / in;
      k = u - t * in;
      o = t / mm;
      j = t - static_cast<uint32_t>(o) * mm;
    } else {
      const int64_t t = i / inner;
      k = i - t * inner;
      o = t / m;
      j = t - o * m;
    }
    const int64_t src = idx ? idx[j] : inl.idx[j];
    out[i] = data[(o * axis_dim + src) * inner + k];
  }
}

// ------------------------------------------------------------------ 2-D copy

template <typename U>
__global__ void Copy2DKernel(U* __restrict__ dst, int64_t dst_pitch, const U* __restrict__ src, int64_t src_pitch,
                             int64_t row, int64_t n) {
  const bool small = n < (int64_t{1} << 31);
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) {
    int64_t r, c;
    if (small) {
      const uint32_t u = static_cast<uint32_t>(i), w = static_cast<uint32_t>(row);
      const uint32_t q = u / w;
      r = q;
      c = u - q * w;
    } else {
      r = i / row;
      c = i - r * row;
    }
    dst[r * dst_pitch + c] = src[r * src_pitch + c];
  }
}

// ------------------------------------------------------------------ Pad

__device__ __forceinline__ int64_t PadIndex(int64_t j, int64_t pb, int64_t lo, int64_t n, int mode) {
  int64_t i = j - pb;
  if (i >= 0 && i < n) return lo + i;
  switch (mode) {
    case 0: return -1;
    case 2: i = i < 0 ? 0 : n - 1; break;
    case 3: i = ((i % n) + n) % n; break;
    default: {  // reflect, numpy style (no edge repeat)
      if (n == 1) { i = 0; break; }
      const int64_t period = 2 * (n - 1);
      i = ((i % period) + period) % period;
      if (i >= n) i = period - i;
      break;
    }
  }
  return lo + i;
}

template <typename U>
__global__ void PadKernel(const U* __restrict__ src, U* __restrict__ dst, int64_t total, PadParams p, U value) {
  const bool small = total < (int64_t{1} << 31);
  for (int64_t i = GlobalThread(); i < total; i += GridStride()) {
    int64_t rem = i, off = 0;
    bool constant = false;
    for (int d = p.rank - 1; d >= 0; --d) {
      int64_t j;
      if (small) {
        const uint32_t u = static_cast<uint32_t>(rem), od = static_cast<uint32_t>(p.out_dims[d]);
        const uint32_t q = u / od;
        j = u - q * od;
        rem = q;
      } else {
        const int64_t q = rem / p.out_dims[d];
        j = rem - q * p.out_dims[d];
        rem = q;
      }
      const int64_t s = PadIndex(j, p.pb[d], p.lo[d], p.n[d], p.mode);
      if (s < 0) constant = true;
      else off += s * p.in_strides[d];
    }
    dst[i] = constant ? value : src[off];
  }
}

// ------------------------------------------------------------------ Resize

__device__ __forceinline__ double SourceCoord(int coord, int64_t o, int64_t in, int64_t out, double scale) {
  const double x = static_cast<double>(o);
  switch (coord) {
    case 0: return (x + 0.5) / scale - 0.5;
    case 1: return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
    case 2: return out == 1 ? 0.0 : x * static_cast<double>(in - 1) / static_cast<double>(out - 1);
    case 3: return x / scale;
    case 4: return (x + 0.5) / scale;
    default: {  // half_pixel_symmetric
      const double adjustment = static_cast<double>(out) / (scale * static_cast<double>(in));
      const double center = static_cast<double>(in) / 2;
      return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
    }
  }
}

__device__ __forceinline__ int64_t Saturate(double v) {
  if (!(v == v)) return 0;
  if (v >= 9.2e18) return 9223372036854775807LL;
  if (v <= -9.2e18) return -9223372036854775807LL - 1;
  return static_cast<int64_t>(v);
}

__device__ __forceinline__ int64_t NearestIndex(int mode, double x, double scale) {
  switch (mode) {
    case 0: return Saturate(x == floor(x) + 0.5 ? floor(x) : round(x));
    case 1: return Saturate(x == floor(x) + 0.5 ? ceil(x) : round(x));
    case 2: return Saturate(floor(x));
    case 3: return Saturate(ceil(x));
    default: return Saturate(scale < 1 ? ceil(x) : floor(x));
  }
}

__device__ __forceinline__ int64_t Clamp(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Two linear taps of output index o on one axis (ONNX reference: base = ceil(x) - 1).
__device__ __forceinline__ void LinearTaps(const ResizeParams& p, int d, int64_t o, int64_t* i0, int64_t* i1,
                                           float* w0, float* w1) {
  const int64_t in = p.in_dims[d], out = p.out_dims[d];
  double x = SourceCoord(p.coord, o, in, out, p.scales[d]);
  if (!isfinite(x)) x = 0;
  const double base = ceil(x) - 1;
  const double ratio = x - base;
  double a = fmax(0.0, 1 - fabs(-ratio)), b = fmax(0.0, 1 - fabs(1 - ratio));
  if (p.exclude_outside) {
    if (base < 0 || base >= static_cast<double>(in)) a = 0;
    if (base + 1 < 0 || base + 1 >= static_cast<double>(in)) b = 0;
    const double sum = a + b;
    if (sum != 0) { a /= sum; b /= sum; }
  }
  const double hi = static_cast<double>(in - 1);
  *i0 = static_cast<int64_t>(fmin(fmax(base, 0.0), hi));
  *i1 = static_cast<int64_t>(fmin(fmax(base + 1, 0.0), hi));
  *w0 = static_cast<float>(a);
  *w1 = static_cast<float>(b);
}

// Per-axis tables: nearest source index of every output index of every axis, or the linear taps
// of the last two axes (h first, then w).
__global__ void ResizeTableKernel(ResizeParams p, int64_t* __restrict__ nn, ResizeTap* __restrict__ taps, int64_t len) {
  for (int64_t t = GlobalThread(); t < len; t += GridStride()) {
    if (p.linear) {
      const int h = p.rank - 2, w = p.rank - 1;
      const int d = t < p.out_dims[h] ? h : w;
      const int64_t o = t - p.table_off[d];
      ResizeTap tap;
      LinearTaps(p, d, o, &tap.i0, &tap.i1, &tap.w0, &tap.w1);
      taps[t] = tap;
    } else {
      int d = 0;
      while (d + 1 < p.rank && t >= p.table_off[d + 1]) ++d;
      const int64_t o = t - p.table_off[d], in = p.in_dims[d], out = p.out_dims[d];
      double c = SourceCoord(p.coord, o, in, out, p.scales[d]);
      if (!isfinite(c)) c = 0;
      nn[t] = Clamp(NearestIndex(p.nearest, c, p.scales[d]), 0, in - 1);
    }
  }
}

__global__ void ResizeNearestKernel(const float* __restrict__ x, float* __restrict__ y, int64_t total, ResizeParams p,
                                    const int64_t* __restrict__ nn) {
  const bool small = total < (int64_t{1} << 31);
  for (int64_t i = GlobalThread(); i < total; i += GridStride()) {
    int64_t off = 0, stride = 1;
    if (small) {
      uint32_t rem = static_cast<uint32_t>(i);
      for (int d = p.rank - 1; d >= 0; --d) {
        const uint32_t out = static_cast<uint32_t>(p.out_dims[d]);
        const uint32_t q = rem / out;
        off += nn[p.table_off[d] + (rem - q * out)] * stride;
        rem = q;
        stride *= p.in_dims[d];
      }
    } else {
      int64_t rem = i;
      for (int d = p.rank - 1; d >= 0; --d) {
        const int64_t q = rem / p.out_dims[d];
        off += nn[p.table_off[d] + (rem - q * p.out_dims[d])] * stride;
        rem = q;
        stride *= p.in_dims[d];
      }
    }
    y[i] = x[off];
  }
}

// Linear over the last two dims (rank >= 2; a rank-1 input is given as [1, W]); every other dim
// is the identity, so planes map one to one.
__global__ void ResizeLinearKernel(const float* __restrict__ x, float* __restrict__ y, int64_t total, ResizeParams p,
                                   const ResizeTap* __restrict__ taps) {
  const int h = p.rank - 2, w = p.rank - 1;
  const int64_t out_w = p.out_dims[w], out_h = p.out_dims[h], in_w = p.in_dims[w], in_h = p.in_dims[h];
  const bool small = total < (int64_t{1} << 31);
  for (int64_t i = GlobalThread(); i < total; i += GridStride()) {
    int64_t ox, oy, plane;
    if (small) {
      const uint32_t u = static_cast<uint32_t>(i), ow = static_cast<uint32_t>(out_w), oh = static_cast<uint32_t>(out_h);
      const uint32_t t = u / ow;
      ox = u - t * ow;
      plane = t / oh;
      oy = t - static_cast<uint32_t>(plane) * oh;
    } else {
      const int64_t t = i / out_w;
      ox = i - t * out_w;
      plane = t / out_h;
      oy = t - plane * out_h;
    }
    const ResizeTap tx = taps[out_h + ox], ty = taps[oy];
    const float* sp = x + plane * in_h * in_w;
    // Horizontal first, then vertical, as the reference blends (zero vertical taps skipped).
    float acc = 0.f;
    const float* r0 = sp + ty.i0 * in_w;
    const float* r1 = sp + ty.i1 * in_w;
    if (ty.w0 != 0.f && ty.w1 != 0.f) {
      acc = ty.w0 * (tx.w0 * r0[tx.i0] + tx.w1 * r0[tx.i1]) + ty.w1 * (tx.w0 * r1[tx.i0] + tx.w1 * r1[tx.i1]);
    } else if (ty.w0 != 0.f) {
      acc = ty.w0 * (tx.w0 * r0[tx.i0] + tx.w1 * r0[tx.i1]);
    } else if (ty.w1 != 0.f) {
      acc = ty.w1 * (tx.w0 * r1[tx.i0] + tx.w1 * r1[tx.i1]);
    }
    y[i] = acc;
  }
}

template <int N>
void RunStrided(const void* src, void* dst, int64_t n, const CopyParams& p, cudaStream_t s) {
  using U = typename UIntOf<N>::type;
  StridedCopyKernel<U><<<GridFor(n), kBlock, 0, s>>>(static_cast<const U*>(src), static_cast<U*>(dst), n, p);
}

template <int N>
void RunTranspose(const void* src, void* dst, int64_t batch, int64_t rows, int64_t cols, int64_t ld, int64_t bstride,
                  cudaStream_t s) {
  using U = typename UIntOf<N>::type;
  const dim3 block(kTile, 8);
  const dim3 grid(static_cast<unsigned>((cols + kTile - 1) / kTile), static_cast<unsigned>((rows + kTile - 1) / kTile),
                  static_cast<unsigned>(batch));
  Transpose2DKernel<U><<<grid, block, 0, s>>>(static_cast<const U*>(src), static_cast<U*>(dst), rows, cols, ld, bstride);
}

}  // namespace

void LaunchStridedCopy(const void* src, void* dst, size_t elem_size, int64_t n, const CopyParams& p, cudaStream_t s) {
  if (n <= 0) return;
  // A batched transpose: out [B?, C, R] reads in [B?, R, C] (strides [R*C?, 1, C]); tile it so
  // both sides stay coalesced. Grid limits: y and z below 65536.
  if ((p.rank == 2 || p.rank == 3) && p.strides[p.rank - 2] == 1) {
    const int r = p.rank;
    const int64_t cols = p.dims[r - 2], rows = p.dims[r - 1], ld = p.strides[r - 1];
    const int64_t batch = r == 3 ? p.dims[0] : 1, bstride = r == 3 ? p.strides[0] : 0;
    if (ld == cols && (r == 2 || bstride == rows * cols) && (rows + kTile - 1) / kTile < 65536 && batch < 65536 &&
        rows >= 2 && cols >= 2) {
      switch (elem_size) {
        case 1: return RunTranspose<1>(src, dst, batch, rows, cols, ld, bstride, s);
        case 2: return RunTranspose<2>(src, dst, batch, rows, cols, ld, bstride, s);
        case 4: return RunTranspose<4>(src, dst, batch, rows, cols, ld, bstride, s);
        case 8: return RunTranspose<8>(src, dst, batch, rows, cols, ld, bstride, s);
        default: return;
      }
    }
  }
  switch (elem_size) {
    case 1: return RunStrided<1>(src, dst, n, p, s);
    case 2: return RunStrided<2>(src, dst, n, p, s);
    case 4: return RunStrided<4>(src, dst, n, p, s);
    case 8: return RunStrided<8>(src, dst, n, p, s);
    default: return;
  }
}

void LaunchGather(const void* data, const int64_t* idx, const GatherInline& inl, void* out, size_t elem_size,
                  int64_t outer, int64_t axis_dim, int64_t m, int64_t inner, cudaStream_t s) {
  const int64_t n = outer * m * inner;
  if (n <= 0) return;
  // Move whole inner blocks in the widest unit they allow.
  const uint64_t block_bytes = static_cast<uint64_t>(inner) * elem_size;
  const int unit = UnitFor({block_bytes, reinterpret_cast<uintptr_t>(data), reinterpret_cast<uintptr_t>(out)});
  const int64_t inner_u = static_cast<int64_t>(block_bytes / unit), nu = outer * m * inner_u;
  const unsigned g = GridFor(nu);
  switch (unit) {
#define PL_CASE(N)                                                                                               \
  case N: {                                                                                                      \
    using U = UIntOf<N>::type;                                                                                   \
    GatherKernel<U><<<g, kBlock, 0, s>>>(static_cast<const U*>(data), idx, inl, static_cast<U*>(out), nu,        \
                                         axis_dim, m, inner_u);                                                  \
    return;                                                                                                      \
  }
    PL_CASE(1) PL_CASE(2) PL_CASE(4) PL_CASE(8) PL_CASE(16)
#undef PL_CASE
    default: return;
  }
}

void LaunchCopy2D(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes, int64_t rows,
                  cudaStream_t s) {
  if (rows <= 0 || row_bytes == 0) return;
  const int unit = UnitFor({dst_pitch, src_pitch, row_bytes, reinterpret_cast<uintptr_t>(dst),
                            reinterpret_cast<uintptr_t>(src)});
  const int64_t row = static_cast<int64_t>(row_bytes / unit), n = row * rows;
  const int64_t dp = static_cast<int64_t>(dst_pitch / unit), sp = static_cast<int64_t>(src_pitch / unit);
  const unsigned g = GridFor(n);
  switch (unit) {
#define PL_CASE(N)                                                                                                 \
  case N: {                                                                                                        \
    using U = UIntOf<N>::type;                                                                                     \
    Copy2DKernel<U><<<g, kBlock, 0, s>>>(static_cast<U*>(dst), dp, static_cast<const U*>(src), sp, row, n);        \
    return;                                                                                                        \
  }
    PL_CASE(1) PL_CASE(2) PL_CASE(4) PL_CASE(8) PL_CASE(16)
#undef PL_CASE
    default: return;
  }
}

void LaunchPad(const void* src, void* dst, size_t elem_size, int64_t total, const PadParams& p, const void* value,
               cudaStream_t s) {
  if (total <= 0) return;
  const unsigned g = GridFor(total);
  switch (elem_size) {
#define PL_CASE(N)                                                                                                 \
  case N: {                                                                                                        \
    using U = UIntOf<N>::type;                                                                                     \
    U v;                                                                                                           \
    memcpy(&v, value, N);                                                                                          \
    PadKernel<U><<<g, kBlock, 0, s>>>(static_cast<const U*>(src), static_cast<U*>(dst), total, p, v);              \
    return;                                                                                                        \
  }
    PL_CASE(1) PL_CASE(2) PL_CASE(4) PL_CASE(8)
#undef PL_CASE
    default: return;
  }
}

void LaunchResize(const float* x, float* y, int64_t total, const ResizeParams& params, void* ws, cudaStream_t s) {
  if (total <= 0) return;
  ResizeParams p = params;
  int64_t len = 0;
  if (p.linear) {
    p.table_off[p.rank - 2] = 0;
    p.table_off[p.rank - 1] = p.out_dims[p.rank - 2];
    len = p.out_dims[p.rank - 2] + p.out_dims[p.rank - 1];
  } else {
    for (int d = 0; d < p.rank; ++d) {
      p.table_off[d] = len;
      len += p.out_dims[d];
    }
  }
  int64_t* nn = static_cast<int64_t*>(ws);
  ResizeTap* taps = static_cast<ResizeTap*>(ws);
  ResizeTableKernel<<<GridFor(len), kBlock, 0, s>>>(p, nn, taps, len);
  if (p.linear) ResizeLinearKernel<<<GridFor(total), kBlock, 0, s>>>(x, y, total, p, taps);
  else ResizeNearestKernel<<<GridFor(total), kBlock, 0, s>>>(x, y, total, p, nn);
}

}  // namespace pl::cuda
