// Device code of the elementwise family: unary activations, broadcast binary arithmetic and
// comparisons, Where, Not, variadic Sum/Max/Min, Cast. Semantics follow the cpu_ref kernels
// (src/backends/cpu/ref/{unary,binary,logical,variadic,cast}.cc), which are the oracle.
#include <cuda_fp16.h>

#include "src/backends/cuda/kernels_common.cuh"

namespace pl::cuda {
namespace {

// ------------------------------------------------------------------ unary

template <UnaryOp kOp>
__device__ __forceinline__ float Unary(float v, float a, float b) {
  if constexpr (kOp == UnaryOp::kRelu) return v > 0.f ? v : 0.f;
  else if constexpr (kOp == UnaryOp::kLeakyRelu) return v < 0.f ? a * v : v;
  else if constexpr (kOp == UnaryOp::kSigmoid) return v >= 0.f ? 1.f / (1.f + expf(-v)) : expf(v) / (1.f + expf(v));
  else if constexpr (kOp == UnaryOp::kTanh) return tanhf(v);
  else if constexpr (kOp == UnaryOp::kHardSigmoid) {
    const float y = a * v + b;
    return y != y ? y : fmaxf(0.f, fminf(1.f, y));
  } else if constexpr (kOp == UnaryOp::kHardSwish) return v * fmaxf(0.f, fminf(1.f, v / 6.f + 0.5f));
  else if constexpr (kOp == UnaryOp::kElu) return v < 0.f ? a * (expf(v) - 1.f) : v;
  else if constexpr (kOp == UnaryOp::kSelu) return v > 0.f ? b * v : b * (a * expf(v) - a);
  else if constexpr (kOp == UnaryOp::kExp) return expf(v);
  else if constexpr (kOp == UnaryOp::kLog) return logf(v);
  else if constexpr (kOp == UnaryOp::kSqrt) return sqrtf(v);
  else if constexpr (kOp == UnaryOp::kAbs) return fabsf(v);
  else if constexpr (kOp == UnaryOp::kNeg) return -v;
  else if constexpr (kOp == UnaryOp::kReciprocal) return 1.f / v;
  else if constexpr (kOp == UnaryOp::kFloor) return floorf(v);
  else if constexpr (kOp == UnaryOp::kCeil) return ceilf(v);
  else if constexpr (kOp == UnaryOp::kErf) return erff(v);
  else if constexpr (kOp == UnaryOp::kSoftplus) return v > 0.f ? v + log1pf(expf(-v)) : log1pf(expf(v));
  else if constexpr (kOp == UnaryOp::kGelu) return 0.5f * v * (1.f + erff(v * 0.7071067811865476f));
  else if constexpr (kOp == UnaryOp::kGeluTanh) {
    const float k = 0.7978845608028654f;  // sqrt(2 / pi)
    return 0.5f * v * (1.f + tanhf(k * (v + 0.044715f * v * v * v)));
  } else {  // kClip: NaN compares false both ways and passes through
    const float c = v < a ? a : v;
    return c > b ? b : c;
  }
}

// x may equal y (the kernels are registered InPlace): no __restrict__ on either.
template <UnaryOp kOp>
__global__ void UnaryScalarKernel(const float* x, float* y, int64_t n, float a, float b) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) y[i] = Unary<kOp>(x[i], a, b);
}

// 16-byte aligned x and y: float4 body, the < 4 tail elements by the first threads.
template <UnaryOp kOp>
__global__ void UnaryVec4Kernel(const float4* x, float4* y, int64_t n4, const float* xt, float* yt,
                                int tail, float a, float b) {
  const int64_t t = GlobalThread();
  for (int64_t i = t; i < n4; i += GridStride()) {
    float4 v = x[i];
    v.x = Unary<kOp>(v.x, a, b);
    v.y = Unary<kOp>(v.y, a, b);
    v.z = Unary<kOp>(v.z, a, b);
    v.w = Unary<kOp>(v.w, a, b);
    y[i] = v;
  }
  if (t < tail) yt[t] = Unary<kOp>(xt[t], a, b);
}

template <UnaryOp kOp>
void RunUnary(const float* x, float* y, int64_t n, float a, float b, cudaStream_t s) {
  const bool aligned = (reinterpret_cast<uintptr_t>(x) % 16 == 0) && (reinterpret_cast<uintptr_t>(y) % 16 == 0);
  if (aligned && n >= 4) {
    const int64_t n4 = n / 4;
    const int tail = static_cast<int>(n - n4 * 4);
    UnaryVec4Kernel<kOp><<<GridFor(n4), kBlock, 0, s>>>(reinterpret_cast<const float4*>(x), reinterpret_cast<float4*>(y),
                                                        n4, x + n4 * 4, y + n4 * 4, tail, a, b);
  } else {
    UnaryScalarKernel<kOp><<<GridFor(n), kBlock, 0, s>>>(x, y, n, a, b);
  }
}

// ------------------------------------------------------------------ binary

template <typename T> struct WrapOf { using type = T; };
template <> struct WrapOf<int32_t> { using type = uint32_t; };
template <> struct WrapOf<int64_t> { using type = unsigned long long; };

template <BinaryOp kOp, typename T>
__device__ __forceinline__ auto Binary(T x, T z) {
  if constexpr (kOp == BinaryOp::kEqual) return static_cast<bool>(x == z);
  else if constexpr (kOp == BinaryOp::kGreater) return static_cast<bool>(x > z);
  else if constexpr (kOp == BinaryOp::kLess) return static_cast<bool>(x < z);
  else if constexpr (kOp == BinaryOp::kGreaterOrEqual) return static_cast<bool>(x >= z);
  else if constexpr (kOp == BinaryOp::kLessOrEqual) return static_cast<bool>(x <= z);
  else if constexpr (kOp == BinaryOp::kPow) {
    return static_cast<T>(pow(static_cast<double>(x), static_cast<double>(z)));
  } else if constexpr (std::is_integral_v<T>) {
    using W = typename WrapOf<T>::type;
    if constexpr (kOp == BinaryOp::kAdd) return static_cast<T>(static_cast<W>(x) + static_cast<W>(z));
    else if constexpr (kOp == BinaryOp::kSub) return static_cast<T>(static_cast<W>(x) - static_cast<W>(z));
    else if constexpr (kOp == BinaryOp::kMul) return static_cast<T>(static_cast<W>(x) * static_cast<W>(z));
    else {
      if (z == T(0)) return T(0);
      if (z == T(-1)) return static_cast<T>(W(0) - static_cast<W>(x));
      return static_cast<T>(x / z);
    }
  } else {
    if constexpr (kOp == BinaryOp::kAdd) return x + z;
    else if constexpr (kOp == BinaryOp::kSub) return x - z;
    else if constexpr (kOp == BinaryOp::kMul) return x * z;
    else return x / z;
  }
}

// Index of the per-channel operand for output element i: (i / inner) % C.
__device__ __forceinline__ int64_t ChannelOf(int64_t i, int64_t inner, int64_t C, bool small) {
  if (small) return static_cast<int64_t>((static_cast<uint32_t>(i) / static_cast<uint32_t>(inner)) % static_cast<uint32_t>(C));
  return (i / inner) % C;
}

// mode: 0 same shapes, 1 a scalar, 2 b scalar, 3 general broadcast, 4 b per-channel, 5 a per-channel.
template <BinaryOp kOp, typename T, typename O>
__global__ void BinaryKernel(const T* __restrict__ a, const T* __restrict__ b, O* __restrict__ out, int64_t n,
                             BcastParams p, int mode, int64_t C, int64_t inner) {
  const int64_t stride = GridStride();
  const bool small = n < (int64_t{1} << 31);
  if (mode == 4) {
    for (int64_t i = GlobalThread(); i < n; i += stride) out[i] = Binary<kOp, T>(a[i], b[ChannelOf(i, inner, C, small)]);
  } else if (mode == 5) {
    for (int64_t i = GlobalThread(); i < n; i += stride) out[i] = Binary<kOp, T>(a[ChannelOf(i, inner, C, small)], b[i]);
  } else if (mode == 0) {
    for (int64_t i = GlobalThread(); i < n; i += stride) out[i] = Binary<kOp, T>(a[i], b[i]);
  } else if (mode == 1) {
    const T av = a[0];
    for (int64_t i = GlobalThread(); i < n; i += stride) out[i] = Binary<kOp, T>(av, b[i]);
  } else if (mode == 2) {
    const T bv = b[0];
    for (int64_t i = GlobalThread(); i < n; i += stride) out[i] = Binary<kOp, T>(a[i], bv);
  } else {
    for (int64_t i = GlobalThread(); i < n; i += stride) {
      int64_t off[2];
      BcastOffsets<2>(i, p, off);
      out[i] = Binary<kOp, T>(a[off[0]], b[off[1]]);
    }
  }
}

struct Mode {
  int mode = 3;
  int64_t C = 1, inner = 1;
};

template <BinaryOp kOp, typename T>
void RunBinary(const void* a, const void* b, void* out, int64_t n, const BcastParams& p, Mode m, cudaStream_t s) {
  constexpr bool kCmp = kOp >= BinaryOp::kEqual;
  using O = std::conditional_t<kCmp, bool, T>;
  BinaryKernel<kOp, T, O><<<GridFor(n), kBlock, 0, s>>>(static_cast<const T*>(a), static_cast<const T*>(b),
                                                        static_cast<O*>(out), n, p, m.mode, m.C, m.inner);
}

template <BinaryOp kOp>
void RunBinaryTyped(ElemType t, const void* a, const void* b, void* out, int64_t n, const BcastParams& p, Mode m,
                    cudaStream_t s) {
  switch (t) {
    case ElemType::kF32: return RunBinary<kOp, float>(a, b, out, n, p, m, s);
    case ElemType::kI32:
      if constexpr (kOp != BinaryOp::kPow) return RunBinary<kOp, int32_t>(a, b, out, n, p, m, s);
      break;
    case ElemType::kI64:
      if constexpr (kOp != BinaryOp::kPow) return RunBinary<kOp, int64_t>(a, b, out, n, p, m, s);
      break;
  }
}

// Operand j of p is the full output (contiguous strides) / varies along exactly one merged dim
// with stride 1 (a per-channel vector: C = that dim, inner = the dims after it).
bool IsFull(const BcastParams& p, int j) {
  int64_t st = 1;
  for (int d = p.rank - 1; d >= 0; --d) {
    if (p.strides[j][d] != st) return false;
    st *= p.dims[d];
  }
  return true;
}
bool IsChannel(const BcastParams& p, int j, int64_t* C, int64_t* inner) {
  int found = -1;
  for (int d = 0; d < p.rank; ++d) {
    if (p.strides[j][d] == 0) continue;
    if (found >= 0 || p.strides[j][d] != 1) return false;
    found = d;
  }
  if (found < 0) return false;
  *C = p.dims[found];
  *inner = 1;
  for (int d = found + 1; d < p.rank; ++d) *inner *= p.dims[d];
  return true;
}

// ------------------------------------------------------------------ Where / Not

template <typename U>
__global__ void WhereKernel(const bool* __restrict__ c, const U* __restrict__ x, const U* __restrict__ y,
                            U* __restrict__ out, int64_t n, BcastParams p) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) {
    int64_t off[3];
    BcastOffsets<3>(i, p, off);
    out[i] = c[off[0]] ? x[off[1]] : y[off[2]];
  }
}

__global__ void NotKernel(const bool* __restrict__ x, bool* y, int64_t n) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) y[i] = !x[i];
}

// ------------------------------------------------------------------ variadic

template <VariadicOp kOp>
__device__ __forceinline__ float Combine(float a, float b) {
  if constexpr (kOp == VariadicOp::kSum) return a + b;
  else {
    if (a != a) return a;
    if (b != b) return b;
    if constexpr (kOp == VariadicOp::kMax) return a < b ? b : a;
    else return b < a ? b : a;
  }
}

struct Ptrs3 {
  const float* p[3];
};

template <VariadicOp kOp>
__global__ void VariadicKernel(Ptrs3 in, int count, bool accumulate, float* out, int64_t n, BcastParams p) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) {
    int64_t off[3];
    BcastOffsets<3>(i, p, off);
    float acc = accumulate ? out[i] : in.p[0][off[0]];
    const int first = accumulate ? 0 : 1;
#pragma unroll
    for (int k = 0; k < 3; ++k)  // unrolled: no local-memory copies of `in` and `off`
      if (k >= first && k < count) acc = Combine<kOp>(acc, in.p[k][off[k]]);
    out[i] = acc;
  }
}

// ------------------------------------------------------------------ Cast

template <typename T> struct IntLimits;
template <> struct IntLimits<int32_t> {
  static constexpr int32_t kMin = -2147483647 - 1, kMax = 2147483647;
};
template <> struct IntLimits<int64_t> {
  static constexpr int64_t kMin = -9223372036854775807LL - 1, kMax = 9223372036854775807LL;
};

// Float to integer like cpu_ref's FloatToIntWrap: truncation, wrapping through int64 in range,
// saturating beyond, NaN -> 0.
template <typename T>
__device__ __forceinline__ T FloatToInt(double v) {
  if (v != v) return 0;
  if (v >= -9.2233720368547758e18 && v < 9.2233720368547758e18) return static_cast<T>(static_cast<long long>(v));
  return v < 0 ? IntLimits<T>::kMin : IntLimits<T>::kMax;
}

template <typename T> __device__ __forceinline__ float AsFloat(T v) { return static_cast<float>(v); }
template <> __device__ __forceinline__ float AsFloat<__half>(__half v) { return __half2float(v); }

template <typename To, typename From>
__device__ __forceinline__ To Convert(From v) {
  constexpr bool kFromFloat = std::is_same_v<From, float> || std::is_same_v<From, __half>;
  if constexpr (std::is_same_v<To, bool>) {
    if constexpr (kFromFloat) return AsFloat(v) != 0.f;
    else return v != From(0);
  } else if constexpr (std::is_same_v<From, bool>) {
    if constexpr (std::is_same_v<To, __half>) return __float2half_rn(v ? 1.f : 0.f);
    else return static_cast<To>(v ? 1 : 0);
  } else if constexpr (std::is_same_v<To, __half>) {
    return __float2half_rn(AsFloat(v));  // ints round to float first, as the reference does
  } else if constexpr (std::is_same_v<To, float>) {
    return AsFloat(v);
  } else if constexpr (kFromFloat) {
    return FloatToInt<To>(static_cast<double>(AsFloat(v)));
  } else {
    return static_cast<To>(v);  // integer to integer: modular
  }
}

template <typename To, typename From>
__global__ void CastKernel(const From* __restrict__ x, To* __restrict__ y, int64_t n) {
  for (int64_t i = GlobalThread(); i < n; i += GridStride()) y[i] = Convert<To, From>(x[i]);
}

template <typename From>
bool CastFrom(int to, const void* x, void* y, int64_t n, cudaStream_t s) {
  const From* in = static_cast<const From*>(x);
  const unsigned g = GridFor(n);
  switch (to) {
    case 1: CastKernel<float, From><<<g, kBlock, 0, s>>>(in, static_cast<float*>(y), n); return true;
    case 6: CastKernel<int32_t, From><<<g, kBlock, 0, s>>>(in, static_cast<int32_t*>(y), n); return true;
    case 7: CastKernel<int64_t, From><<<g, kBlock, 0, s>>>(in, static_cast<int64_t*>(y), n); return true;
    case 9: CastKernel<bool, From><<<g, kBlock, 0, s>>>(in, static_cast<bool*>(y), n); return true;
    case 10: CastKernel<__half, From><<<g, kBlock, 0, s>>>(in, static_cast<__half*>(y), n); return true;
    default: return false;
  }
}

}  // namespace

void LaunchUnaryF32(UnaryOp op, const float* x, float* y, int64_t n, float a, float b, cudaStream_t s) {
  if (n <= 0) return;
  switch (op) {
#define PL_CASE(name) case UnaryOp::name: return RunUnary<UnaryOp::name>(x, y, n, a, b, s);
    PL_CASE(kRelu) PL_CASE(kLeakyRelu) PL_CASE(kSigmoid) PL_CASE(kTanh) PL_CASE(kHardSigmoid) PL_CASE(kHardSwish)
    PL_CASE(kElu) PL_CASE(kSelu) PL_CASE(kExp) PL_CASE(kLog) PL_CASE(kSqrt) PL_CASE(kAbs) PL_CASE(kNeg)
    PL_CASE(kReciprocal) PL_CASE(kFloor) PL_CASE(kCeil) PL_CASE(kErf) PL_CASE(kSoftplus) PL_CASE(kGelu)
    PL_CASE(kGeluTanh) PL_CASE(kClip)
#undef PL_CASE
  }
}

void LaunchBinary(BinaryOp op, ElemType t, const void* a, const void* b, void* out, int64_t n, const BcastParams& p,
                  bool same, bool a_scalar, bool b_scalar, cudaStream_t s) {
  if (n <= 0) return;
  Mode m;
  if (same) m.mode = 0;
  else if (a_scalar && !b_scalar && p.rank <= 1) m.mode = 1;
  else if (b_scalar && !a_scalar && p.rank <= 1) m.mode = 2;
  else if (IsFull(p, 0) && IsChannel(p, 1, &m.C, &m.inner)) m.mode = 4;
  else if (IsFull(p, 1) && IsChannel(p, 0, &m.C, &m.inner)) m.mode = 5;
  switch (op) {
#define PL_CASE(name) case BinaryOp::name: return RunBinaryTyped<BinaryOp::name>(t, a, b, out, n, p, m, s);
    PL_CASE(kAdd) PL_CASE(kSub) PL_CASE(kMul) PL_CASE(kDiv) PL_CASE(kPow) PL_CASE(kEqual) PL_CASE(kGreater)
    PL_CASE(kLess) PL_CASE(kGreaterOrEqual) PL_CASE(kLessOrEqual)
#undef PL_CASE
  }
}

void LaunchWhere(const bool* cond, const void* x, const void* y, void* out, size_t elem_size, int64_t n,
                 const BcastParams& p, cudaStream_t s) {
  if (n <= 0) return;
  const unsigned g = GridFor(n);
  switch (elem_size) {
#define PL_CASE(N)                                                                                               \
  case N: {                                                                                                      \
    using U = UIntOf<N>::type;                                                                                   \
    WhereKernel<U><<<g, kBlock, 0, s>>>(cond, static_cast<const U*>(x), static_cast<const U*>(y),               \
                                        static_cast<U*>(out), n, p);                                             \
    return;                                                                                                      \
  }
    PL_CASE(1) PL_CASE(2) PL_CASE(4) PL_CASE(8)
#undef PL_CASE
    default: return;
  }
}

void LaunchNot(const bool* x, bool* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return;
  NotKernel<<<GridFor(n), kBlock, 0, s>>>(x, y, n);
}

void LaunchVariadicF32(VariadicOp op, const float* const* ins, int count, bool accumulate, float* out, int64_t n,
                       const BcastParams& p, cudaStream_t s) {
  if (n <= 0) return;
  Ptrs3 in{{nullptr, nullptr, nullptr}};
  for (int k = 0; k < count && k < 3; ++k) in.p[k] = ins[k];
  // Unused slots point at a valid input so the offset math never reads a null base.
  for (int k = count; k < 3; ++k) in.p[k] = in.p[0] ? in.p[0] : out;
  const unsigned g = GridFor(n);
  switch (op) {
    case VariadicOp::kSum: VariadicKernel<VariadicOp::kSum><<<g, kBlock, 0, s>>>(in, count, accumulate, out, n, p); return;
    case VariadicOp::kMax: VariadicKernel<VariadicOp::kMax><<<g, kBlock, 0, s>>>(in, count, accumulate, out, n, p); return;
    case VariadicOp::kMin: VariadicKernel<VariadicOp::kMin><<<g, kBlock, 0, s>>>(in, count, accumulate, out, n, p); return;
  }
}

bool LaunchCast(int from, int to, const void* x, void* y, int64_t n, cudaStream_t s) {
  if (n <= 0) return true;
  switch (from) {
    case 1: return CastFrom<float>(to, x, y, n, s);
    case 6: return CastFrom<int32_t>(to, x, y, n, s);
    case 7: return CastFrom<int64_t>(to, x, y, n, s);
    case 9: return CastFrom<bool>(to, x, y, n, s);
    case 10: return CastFrom<__half>(to, x, y, n, s);
    default: return false;
  }
}

}  // namespace pl::cuda
