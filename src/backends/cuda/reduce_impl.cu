// Device code of the reduce family: Reduce* (float32, double accumulation like cpu_ref),
// Softmax/LogSoftmax (max-subtracted), LayerNormalization, BatchNormalization (inference),
// InstanceNormalization. Semantics follow src/backends/cpu/ref/{reduce,softmax,normalization,
// batch_norm}.cc.
#include <cmath>

#include "src/backends/cuda/kernels_common.cuh"

namespace pl::cuda {
namespace {

// Sum over the block of blockDim.x threads (a multiple of 32, at most 1024); every thread gets the
// result. `scratch` holds 32 values.
template <typename T, typename F>
__device__ __forceinline__ T BlockReduce(T v, T* scratch, F combine) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
#pragma unroll
  for (int o = 16; o > 0; o >>= 1) v = combine(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();  // scratch may still be read from a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  T r = scratch[0];
  for (int w = 1; w < warps; ++w) r = combine(r, scratch[w]);
  return r;
}

struct SumF {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a + b; }
};
struct MaxF {  // NaN-ignoring like the reference's `v > a ? v : a`
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return b > a ? b : a; }
};
struct MinF {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return b < a ? b : a; }
};
struct ProdF {
  template <typename T> __device__ __forceinline__ T operator()(T a, T b) const { return a * b; }
};

// ------------------------------------------------------------------ Reduce*

template <ReduceOp kOp>
struct RedTraits {
  static __device__ __forceinline__ double Identity() {
    if constexpr (kOp == ReduceOp::kMax) return -INFINITY;
    else if constexpr (kOp == ReduceOp::kMin) return INFINITY;
    else if constexpr (kOp == ReduceOp::kProd) return 1.0;
    else return 0.0;
  }
  static __device__ __forceinline__ double Load(float v) {
    const double d = static_cast<double>(v);
    if constexpr (kOp == ReduceOp::kL2 || kOp == ReduceOp::kSumSquare) return d * d;
    else return d;
  }
  static __device__ __forceinline__ double Combine(double a, double b) {
    if constexpr (kOp == ReduceOp::kMax) return MaxF()(a, b);
    else if constexpr (kOp == ReduceOp::kMin) return MinF()(a, b);
    else if constexpr (kOp == ReduceOp::kProd) return a * b;
    else return a + b;
  }
  static __device__ __forceinline__ float Finish(double a, int64_t count) {
    if constexpr (kOp == ReduceOp::kMean) return static_cast<float>(a / static_cast<double>(count));
    else if constexpr (kOp == ReduceOp::kL2) return static_cast<float>(sqrt(a));
    else return static_cast<float>(a);
  }
};

__device__ __forceinline__ int64_t OutBase(int64_t o, const ReduceParams& p) {
  int64_t off = 0;
  for (int d = p.out_rank - 1; d >= 0; --d) {
    const int64_t q = o / p.out_dims[d];
    off += (o - q * p.out_dims[d]) * p.out_strides[d];
    o = q;
  }
  return off;
}

__device__ __forceinline__ int64_t RedOffset(int64_t r, const ReduceParams& p) {
  int64_t off = 0;
  for (int d = p.red_rank - 1; d >= 0; --d) {
    const int64_t q = r / p.red_dims[d];
    off += (r - q * p.red_dims[d]) * p.red_strides[d];
    r = q;
  }
  return off;
}

// One thread per output element (kept inner dims are adjacent threads: coalesced).
template <ReduceOp kOp>
__global__ void ReduceThreadKernel(const float* __restrict__ x, float* __restrict__ y, int64_t n_out, int64_t n_red,
                                   ReduceParams p) {
  using Tr = RedTraits<kOp>;
  for (int64_t o = GlobalThread(); o < n_out; o += GridStride()) {
    const float* base = x + OutBase(o, p);
    double acc = Tr::Identity();
    if (p.red_rank == 1) {
      const int64_t st = p.red_strides[0];
      for (int64_t r = 0; r < n_red; ++r) acc = Tr::Combine(acc, Tr::Load(base[r * st]));
    } else {
      for (int64_t r = 0; r < n_red; ++r) acc = Tr::Combine(acc, Tr::Load(base[RedOffset(r, p)]));
    }
    y[o] = Tr::Finish(acc, n_red);
  }
}

// One block per output element (the innermost input dim is reduced: threads read it coalesced).
template <ReduceOp kOp>
__global__ void ReduceBlockKernel(const float* __restrict__ x, float* __restrict__ y, int64_t n_out, int64_t n_red,
                                  ReduceParams p) {
  using Tr = RedTraits<kOp>;
  __shared__ double scratch[32];
  for (int64_t o = blockIdx.x; o < n_out; o += gridDim.x) {
    const float* base = x + OutBase(o, p);
    double acc = Tr::Identity();
    if (p.red_rank == 1 && p.red_strides[0] == 1) {
      for (int64_t r = threadIdx.x; r < n_red; r += blockDim.x) acc = Tr::Combine(acc, Tr::Load(base[r]));
    } else {
      for (int64_t r = threadIdx.x; r < n_red; r += blockDim.x) acc = Tr::Combine(acc, Tr::Load(base[RedOffset(r, p)]));
    }
    acc = BlockReduce(acc, scratch, [](double a, double b) { return Tr::Combine(a, b); });
    if (threadIdx.x == 0) y[o] = Tr::Finish(acc, n_red);
  }
}

template <ReduceOp kOp>
void RunReduce(const float* x, float* y, int64_t n_out, int64_t n_red, const ReduceParams& p, cudaStream_t s) {
  // A block per output when the reduced elements are contiguous (coalesced), or when there are
  // too few outputs to fill the device with one serial loop each; a thread per output otherwise.
  const bool last_reduced = p.red_rank > 0 && p.red_strides[p.red_rank - 1] == 1;
  if ((last_reduced && n_red > 32) || (n_out < 8192 && n_red > 512)) {
    const unsigned blocks = static_cast<unsigned>(n_out < (int64_t{1} << 20) ? n_out : (int64_t{1} << 20));
    ReduceBlockKernel<kOp><<<blocks, kBlock, 0, s>>>(x, y, n_out, n_red, p);
  } else {
    ReduceThreadKernel<kOp><<<GridFor(n_out), kBlock, 0, s>>>(x, y, n_out, n_red, p);
  }
}

// ------------------------------------------------------------------ Softmax

// One block per row of `len` contiguous elements.
template <bool kLog>
__global__ void SoftmaxBlockKernel(const float* __restrict__ x, float* __restrict__ y, int64_t rows, int64_t len) {
  __shared__ float scratch[32];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* xr = x + row * len;
    float* yr = y + row * len;
    float mx = -INFINITY;
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x) mx = fmaxf(mx, xr[k]);
    mx = BlockReduce(mx, scratch, MaxF());
    // fmaxf skips NaN where the reference's max may not, but a NaN then reaches the sum of
    // exponentials and makes the whole row NaN in both.
    float sum = 0.f;
    for (int64_t k = threadIdx.x; k < len; k += blockDim.x) sum += expf(xr[k] - mx);
    sum = BlockReduce(sum, scratch, SumF());
    if constexpr (kLog) {
      const float ls = logf(sum);
      for (int64_t k = threadIdx.x; k < len; k += blockDim.x) yr[k] = (xr[k] - mx) - ls;
    } else {
      const float inv = 1.f / sum;
      for (int64_t k = threadIdx.x; k < len; k += blockDim.x) yr[k] = expf(xr[k] - mx) * inv;
    }
  }
}

// One thread per (outer, inner) column of len elements with stride inner.
template <bool kLog>
__global__ void SoftmaxColumnKernel(const float* __restrict__ x, float* __restrict__ y, int64_t outer, int64_t len,
                                    int64_t inner) {
  const int64_t n = outer * inner;
  for (int64_t t = GlobalThread(); t < n; t += GridStride()) {
    const int64_t o = t / inner, i = t - o * inner;
    const float* xc = x + o * len * inner + i;
    float* yc = y + o * len * inner + i;
    float mx = xc[0];
    for (int64_t k = 1; k < len; ++k) mx = fmaxf(mx, xc[k * inner]);
    float sum = 0.f;
    for (int64_t k = 0; k < len; ++k) sum += expf(xc[k * inner] - mx);
    if constexpr (kLog) {
      const float ls = logf(sum);
      for (int64_t k = 0; k < len; ++k) yc[k * inner] = (xc[k * inner] - mx) - ls;
    } else {
      const float inv = 1.f / sum;
      for (int64_t k = 0; k < len; ++k) yc[k * inner] = expf(xc[k * inner] - mx) * inv;
    }
  }
}

// ------------------------------------------------------------------ LayerNormalization

__global__ void LayerNormKernel(const float* __restrict__ x, const float* __restrict__ scale,
                                const float* __restrict__ bias, float* __restrict__ y, float* __restrict__ mean_out,
                                float* __restrict__ inv_out, int64_t rows, int64_t D, float epsilon) {
  __shared__ double scratch[32];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* xr = x + row * D;
    float* yr = y + row * D;
    double sum = 0;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) sum += xr[i];
    sum = BlockReduce(sum, scratch, SumF());
    const double mean = sum / static_cast<double>(D);
    double sq = 0;
    for (int64_t i = threadIdx.x; i < D; i += blockDim.x) {
      const double d = xr[i] - mean;
      sq += d * d;
    }
    sq = BlockReduce(sq, scratch, SumF());
    const double inv = 1.0 / sqrt(sq / static_cast<double>(D) + static_cast<double>(epsilon));
    const float m = static_cast<float>(mean), s = static_cast<float>(inv);
    if (bias) {
      for (int64_t i = threadIdx.x; i < D; i += blockDim.x) yr[i] = (xr[i] - m) * s * scale[i] + bias[i];
    } else {
      for (int64_t i = threadIdx.x; i < D; i += blockDim.x) yr[i] = (xr[i] - m) * s * scale[i];
    }
    if (threadIdx.x == 0) {
      if (mean_out) mean_out[row] = m;
      if (inv_out) inv_out[row] = s;
    }
  }
}

__global__ void ExpandF32Kernel(const float* __restrict__ src, float* __restrict__ dst, int64_t n, BcastParams p) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) {
    int64_t off[1];
    BcastOffsets<1>(i, p, off);
    dst[i] = src[off[0]];
  }
}

// ------------------------------------------------------------------ BatchNormalization

__global__ void BatchNormPrepKernel(const float* __restrict__ scale, const float* __restrict__ bias,
                                    const float* __restrict__ mean, const float* __restrict__ var, float* mul,
                                    float* add, int64_t C, float epsilon) {
  for (int64_t c = GlobalThread(); c < C; c += GridStride()) {
    const double m = static_cast<double>(scale[c]) / sqrt(static_cast<double>(var[c]) + static_cast<double>(epsilon));
    mul[c] = static_cast<float>(m);
    add[c] = static_cast<float>(static_cast<double>(bias[c]) - static_cast<double>(mean[c]) * m);
  }
}

__global__ void BatchNormApplyKernel(const float* __restrict__ x, const float* __restrict__ mul,
                                     const float* __restrict__ add, float* __restrict__ y, int64_t n, int64_t C,
                                     int64_t S) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) {
    const int64_t c = (i / S) % C;
    y[i] = x[i] * mul[c] + add[c];
  }
}

// ------------------------------------------------------------------ InstanceNormalization

__global__ void InstanceNormKernel(const float* __restrict__ x, const float* __restrict__ scale,
                                   const float* __restrict__ bias, float* __restrict__ y, int64_t planes, int64_t C,
                                   int64_t S, float epsilon) {
  __shared__ double scratch[32];
  for (int64_t r = blockIdx.x; r < planes; r += gridDim.x) {
    const float* xr = x + r * S;
    float* yr = y + r * S;
    double sum = 0;
    for (int64_t i = threadIdx.x; i < S; i += blockDim.x) sum += xr[i];
    sum = BlockReduce(sum, scratch, SumF());
    const double mean = S > 0 ? sum / static_cast<double>(S) : 0.0;
    double sq = 0;
    for (int64_t i = threadIdx.x; i < S; i += blockDim.x) {
      const double d = xr[i] - mean;
      sq += d * d;
    }
    sq = BlockReduce(sq, scratch, SumF());
    const double var = S > 0 ? sq / static_cast<double>(S) : 0.0;
    const int64_t c = r % C;
    const double a = static_cast<double>(scale[c]) / sqrt(var + static_cast<double>(epsilon));
    const double b = static_cast<double>(bias[c]) - mean * a;
    for (int64_t i = threadIdx.x; i < S; i += blockDim.x) yr[i] = static_cast<float>(xr[i] * a + b);
  }
}

inline unsigned BlocksFor(int64_t rows) {
  return static_cast<unsigned>(rows < 1 ? 1 : (rows < (int64_t{1} << 20) ? rows : (int64_t{1} << 20)));
}

}  // namespace

void LaunchReduceF32(ReduceOp op, const float* x, float* y, int64_t n_out, int64_t n_red, const ReduceParams& p,
                     cudaStream_t s) {
  if (n_out <= 0) return;
  switch (op) {
    case ReduceOp::kSum: return RunReduce<ReduceOp::kSum>(x, y, n_out, n_red, p, s);
    case ReduceOp::kMean: return RunReduce<ReduceOp::kMean>(x, y, n_out, n_red, p, s);
    case ReduceOp::kMax: return RunReduce<ReduceOp::kMax>(x, y, n_out, n_red, p, s);
    case ReduceOp::kMin: return RunReduce<ReduceOp::kMin>(x, y, n_out, n_red, p, s);
    case ReduceOp::kProd: return RunReduce<ReduceOp::kProd>(x, y, n_out, n_red, p, s);
    case ReduceOp::kL2: return RunReduce<ReduceOp::kL2>(x, y, n_out, n_red, p, s);
    case ReduceOp::kSumSquare: return RunReduce<ReduceOp::kSumSquare>(x, y, n_out, n_red, p, s);
  }
}

void LaunchSoftmaxF32(bool log, const float* x, float* y, int64_t outer, int64_t len, int64_t inner, cudaStream_t s) {
  if (outer <= 0 || len <= 0 || inner <= 0) return;
  if (inner == 1 && len >= 64) {
    if (log) SoftmaxBlockKernel<true><<<BlocksFor(outer), kBlock, 0, s>>>(x, y, outer, len);
    else SoftmaxBlockKernel<false><<<BlocksFor(outer), kBlock, 0, s>>>(x, y, outer, len);
  } else {
    const unsigned g = GridFor(outer * inner);
    if (log) SoftmaxColumnKernel<true><<<g, kBlock, 0, s>>>(x, y, outer, len, inner);
    else SoftmaxColumnKernel<false><<<g, kBlock, 0, s>>>(x, y, outer, len, inner);
  }
}

void LaunchLayerNormF32(const float* x, const float* scale, const float* bias, float* y, float* mean, float* inv_std,
                        int64_t rows, int64_t D, float epsilon, cudaStream_t s) {
  if (rows <= 0 || D <= 0) return;
  LayerNormKernel<<<BlocksFor(rows), kBlock, 0, s>>>(x, scale, bias, y, mean, inv_std, rows, D, epsilon);
}

void LaunchExpandF32(const float* src, float* dst, int64_t n, const BcastParams& p, cudaStream_t s) {
  if (n <= 0) return;
  ExpandF32Kernel<<<GridFor(n), kBlock, 0, s>>>(src, dst, n, p);
}

void LaunchBatchNormF32(const float* x, const float* scale, const float* bias, const float* mean, const float* var,
                        float* ws, float* y, int64_t N, int64_t C, int64_t S, float epsilon, cudaStream_t s) {
  if (C <= 0) return;
  BatchNormPrepKernel<<<GridFor(C), kBlock, 0, s>>>(scale, bias, mean, var, ws, ws + C, C, epsilon);
  const int64_t n = N * C * S;
  if (n <= 0) return;
  BatchNormApplyKernel<<<GridFor(n), kBlock, 0, s>>>(x, ws, ws + C, y, n, C, S);
}

void LaunchInstanceNormF32(const float* x, const float* scale, const float* bias, float* y, int64_t N, int64_t C,
                           int64_t S, float epsilon, cudaStream_t s) {
  if (N * C <= 0 || S <= 0) return;
  InstanceNormKernel<<<BlocksFor(N * C), kBlock, 0, s>>>(x, scale, bias, y, N * C, C, S, epsilon);
}

}  // namespace pl::cuda
