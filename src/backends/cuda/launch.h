// Shared by the CUDA light kernels (elementwise, movement, reduce): the plain-C++ launch functions
// the host side (.cc, compiled by the C++ compiler) calls and the _impl.cu files define, plus the
// small fixed-size parameter structs passed to kernels by value, and host helpers that build them.
//
// Launch functions only enqueue work on `stream`: they never synchronize and never allocate. The
// caller checks the launch with PL_CUDA_CHECK_LAUNCH right after. Element counts are int64; every
// launch function accepts n == 0 (it then launches nothing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <cuda_runtime.h>

namespace pl::cuda {

inline constexpr int kMaxDims = 8;       // rank limit of broadcast/transposed/indexed kernels
inline constexpr int kMaxCopyDims = 16;  // strided copies (Tile views have twice the rank)

// Output dims (row-major, contiguous output) and, per input, the element stride of each output
// dim in that input (0 where it broadcasts).
struct BcastParams {
  int rank = 0;
  int small = 0;  // every output index fits 32 bits: kernels decode with 32-bit division
  int64_t dims[kMaxDims] = {};
  int64_t strides[3][kMaxDims] = {};
};

// out[i] = src[sum_d idx_d(i) * strides[d]] for a contiguous output of `dims` (strides in
// elements, may be 0 or negative).
struct CopyParams {
  int rank = 0;
  int small = 0;  // every output index fits 32 bits
  int64_t dims[kMaxCopyDims] = {};
  int64_t strides[kMaxCopyDims] = {};
};

// ----- host helpers (inline, plain C++: used by the .cc files and the launchers) -----

// Broadcast strides of `in` against `out` (numpy, right-aligned; 0 on broadcast dims).
inline std::vector<int64_t> CudaBroadcastStrides(const std::vector<int64_t>& in, const std::vector<int64_t>& out) {
  const size_t r = out.size(), ri = in.size();
  std::vector<int64_t> s(r, 0);
  int64_t acc = 1;
  for (size_t k = 0; k < ri; ++k) {
    const size_t di = ri - 1 - k, d = r - 1 - k;
    s[d] = in[di] == 1 ? 0 : acc;
    acc *= in[di];
  }
  return s;
}

// Fills `p` for `out` with up to 3 input shapes (each broadcastable to out), dropping size-1
// dims and merging adjacent dims that are contiguous for every input. False if more than
// kMaxDims dims remain.
inline bool MakeBcastParams(const std::vector<int64_t>& out, const std::vector<const std::vector<int64_t>*>& ins,
                            BcastParams* p) {
  const size_t k = ins.size();
  std::vector<std::vector<int64_t>> st(k);
  for (size_t j = 0; j < k; ++j) st[j] = CudaBroadcastStrides(*ins[j], out);
  std::vector<int64_t> dims;
  std::vector<std::vector<int64_t>> strides(k);
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    bool merge = !dims.empty();
    for (size_t j = 0; merge && j < k; ++j) merge = strides[j].back() == st[j][d] * out[d];
    if (merge) {
      dims.back() *= out[d];
      for (size_t j = 0; j < k; ++j) strides[j].back() = st[j][d];
    } else {
      dims.push_back(out[d]);
      for (size_t j = 0; j < k; ++j) strides[j].push_back(st[j][d]);
    }
  }
  if (dims.size() > static_cast<size_t>(kMaxDims) || k > 3) return false;
  *p = BcastParams{};
  p->rank = static_cast<int>(dims.size());
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  p->small = total < (int64_t{1} << 31) ? 1 : 0;
  for (size_t d = 0; d < dims.size(); ++d) {
    p->dims[d] = dims[d];
    for (size_t j = 0; j < k; ++j) p->strides[j][d] = strides[j][d];
  }
  return true;
}

// Fills `p` for a strided copy of `dims` with source `strides`, dropping size-1 dims and merging
// runs. False if more than kMaxCopyDims dims remain.
inline bool MakeCopyParams(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides, CopyParams* p) {
  std::vector<int64_t> d2, s2;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == 1) continue;
    if (!d2.empty() && s2.back() == strides[d] * dims[d]) {
      d2.back() *= dims[d];
      s2.back() = strides[d];
    } else {
      d2.push_back(dims[d]);
      s2.push_back(strides[d]);
    }
  }
  if (d2.size() > static_cast<size_t>(kMaxCopyDims)) return false;
  *p = CopyParams{};
  p->rank = static_cast<int>(d2.size());
  int64_t total = 1;
  for (int64_t d : d2) total *= d;
  p->small = total < (int64_t{1} << 31) ? 1 : 0;
  for (size_t d = 0; d < d2.size(); ++d) {
    p->dims[d] = d2[d];
    p->strides[d] = s2[d];
  }
  return true;
}

// ============================================================ elementwise_impl.cu

enum class UnaryOp {
  kRelu, kLeakyRelu, kSigmoid, kTanh, kHardSigmoid, kHardSwish, kElu, kSelu, kExp, kLog, kSqrt, kAbs,
  kNeg, kReciprocal, kFloor, kCeil, kErf, kSoftplus, kGelu, kGeluTanh, kClip,
};
// y[i] = op(x[i]) on float32. a/b: alpha (LeakyRelu, Elu, HardSigmoid, Selu), beta (HardSigmoid),
// gamma in b (Selu); Clip: a = min, b = max. x may equal y.
void LaunchUnaryF32(UnaryOp op, const float* x, float* y, int64_t n, float a, float b, cudaStream_t stream);

enum class BinaryOp { kAdd, kSub, kMul, kDiv, kPow, kEqual, kGreater, kLess, kGreaterOrEqual, kLessOrEqual };
enum class ElemType { kF32, kI32, kI64 };
// Arithmetic (Add..Pow): out has the inputs' type; comparisons: out is bool. p.strides[0] / [1]
// index a / b. `same` (a, b and out all of p's element count, no broadcasting) and `a_scalar` /
// `b_scalar` select fast paths, and so does a per-channel operand (one operand full, the other
// varying along one merged dim only, read at (i / inner) % C); otherwise p is used. Integer Div by 0 yields 0 (no error on the
// device), INT_MIN / -1 wraps.
void LaunchBinary(BinaryOp op, ElemType t, const void* a, const void* b, void* out, int64_t n, const BcastParams& p,
                  bool same, bool a_scalar, bool b_scalar, cudaStream_t stream);

// out = cond ? x : y with broadcasting over the 3 inputs (p.strides[0..2] = cond, x, y); any
// element size 1/2/4/8.
void LaunchWhere(const bool* cond, const void* x, const void* y, void* out, size_t elem_size, int64_t n,
                 const BcastParams& p, cudaStream_t stream);

void LaunchNot(const bool* x, bool* y, int64_t n, cudaStream_t stream);

// Variadic Sum/Max/Min on float32: out = op over inputs (up to 3 per call, p.strides[j] for input
// j). With `accumulate`, out itself is the first operand (already of out's shape), so more than 3
// inputs are folded in several calls. NaN propagates for Max/Min like the reference.
enum class VariadicOp { kSum, kMax, kMin };
void LaunchVariadicF32(VariadicOp op, const float* const* ins, int count, bool accumulate, float* out, int64_t n,
                       const BcastParams& p, cudaStream_t stream);

// Cast between float32, float16, int32, int64, bool (DataType numbering of pl::DataType).
// Returns false (launching nothing) for an unsupported pair.
bool LaunchCast(int from_dtype, int to_dtype, const void* x, void* y, int64_t n, cudaStream_t stream);

// ============================================================ movement_impl.cu

// Contiguous out of p.dims from strided src, elements of elem_size bytes (1/2/4/8).
void LaunchStridedCopy(const void* src, void* dst, size_t elem_size, int64_t n, const CopyParams& p,
                       cudaStream_t stream);

// Gather along one axis: data viewed as [outer, axis_dim, inner], m normalized indices:
// out[o, j, i] = data[o, idx[j], i]. The indices are int64 in device memory (`dev_idx`) or, for
// m <= kGatherInline, passed by value in `inline_idx` (dev_idx null): no host->device copy.
inline constexpr int kGatherInline = 32;
struct GatherInline {
  int64_t idx[kGatherInline] = {};
};
void LaunchGather(const void* data, const int64_t* dev_idx, const GatherInline& inline_idx, void* out, size_t elem_size,
                  int64_t outer, int64_t axis_dim, int64_t m, int64_t inner, cudaStream_t stream);

// Concat/Split: copies `rows` rows of row_bytes each from src (row pitch src_pitch bytes) to dst
// (row pitch dst_pitch bytes), in the widest unit (16/8/4/2/1 bytes) the sizes and pointers allow.
void LaunchCopy2D(void* dst, size_t dst_pitch, const void* src, size_t src_pitch, size_t row_bytes, int64_t rows,
                  cudaStream_t stream);

// Pad: per dim, out index j reads in index lo + f(j - pb) where f is the mode's map over [0, n)
// (constant: -1 outside, filled with `value`). Output contiguous.
struct PadParams {
  int rank = 0;
  int mode = 0;  // 0 constant, 1 reflect, 2 edge, 3 wrap
  int64_t out_dims[kMaxDims] = {};
  int64_t in_strides[kMaxDims] = {};
  int64_t pb[kMaxDims] = {};  // padding before (>= 0)
  int64_t lo[kMaxDims] = {};  // first input index kept (cropping)
  int64_t n[kMaxDims] = {};   // input extent kept
};
void LaunchPad(const void* src, void* dst, size_t elem_size, int64_t total, const PadParams& p, const void* value,
               cudaStream_t stream);

// Resize (float32). Per axis: in, out, scale (the factor the transform divides by).
// coord: 0 half_pixel, 1 pytorch_half_pixel, 2 align_corners, 3 asymmetric, 4 tf_half_pixel_for_nn,
//        5 half_pixel_symmetric.
// nearest: 0 round_prefer_floor, 1 round_prefer_ceil, 2 floor, 3 ceil, 4 simple (opset 10).
struct ResizeParams {
  int rank = 0;
  int coord = 0;
  int nearest = 0;
  int linear = 0;           // 1: linear on the last two dims (all others must be identity)
  int exclude_outside = 0;  // linear only
  int64_t in_dims[kMaxDims] = {};
  int64_t out_dims[kMaxDims] = {};
  double scales[kMaxDims] = {};
  int64_t table_off[kMaxDims] = {};  // set by LaunchResize
};
// Two linear taps of one output index on one axis.
struct ResizeTap {
  int64_t i0 = 0, i1 = 0;
  float w0 = 0.f, w1 = 0.f;
};
// Device workspace LaunchResize needs: per-axis tables (source index per output index, or the
// linear taps of the last two dims), computed once per call by a small kernel so the main
// kernel does no floating-point coordinate math.
inline size_t ResizeWorkspaceBytes(const ResizeParams& p) {
  if (p.linear) return static_cast<size_t>(p.out_dims[p.rank - 2] + p.out_dims[p.rank - 1]) * sizeof(ResizeTap);
  size_t n = 0;
  for (int d = 0; d < p.rank; ++d) n += static_cast<size_t>(p.out_dims[d]);
  return n * sizeof(int64_t);
}
void LaunchResize(const float* x, float* y, int64_t total, const ResizeParams& p, void* workspace, cudaStream_t stream);

// ============================================================ reduce_impl.cu

// Reduction of a float32 tensor viewed (after coalescing) as [outer, reduce, inner] blocks:
// general form: input index = o_part + r_part, where out element o (contiguous over kept dims)
// and reduced element r (row-major over reduced dims) are decoded by the two dim lists.
enum class ReduceOp { kSum, kMean, kMax, kMin, kProd, kL2, kSumSquare };
struct ReduceParams {
  int out_rank = 0, red_rank = 0;
  int64_t out_dims[kMaxDims] = {}, out_strides[kMaxDims] = {};  // input strides of the kept dims
  int64_t red_dims[kMaxDims] = {}, red_strides[kMaxDims] = {};  // input strides of the reduced dims
};
void LaunchReduceF32(ReduceOp op, const float* x, float* y, int64_t n_out, int64_t n_red, const ReduceParams& p,
                     cudaStream_t stream);

// Softmax / LogSoftmax over [outer, len, inner] (normalized axis of length len, stride inner).
void LaunchSoftmaxF32(bool log, const float* x, float* y, int64_t outer, int64_t len, int64_t inner,
                      cudaStream_t stream);

// LayerNormalization over rows of D contiguous elements; scale/bias (bias may be null) already
// expanded to D values; mean/inv_std (may be null) one per row.
void LaunchLayerNormF32(const float* x, const float* scale, const float* bias, float* y, float* mean, float* inv_std,
                        int64_t rows, int64_t D, float epsilon, cudaStream_t stream);

// Broadcast-expands a float32 parameter (strides p.strides[0], output p.dims) into dst.
void LaunchExpandF32(const float* src, float* dst, int64_t n, const BcastParams& p, cudaStream_t stream);

// BatchNormalization inference (spatial): y = x * mul[c] + add[c] over [N, C, S]; mul/add are
// computed from scale, bias, mean, var (float32, C values) into `ws` (2*C floats).
void LaunchBatchNormF32(const float* x, const float* scale, const float* bias, const float* mean, const float* var,
                        float* ws, float* y, int64_t N, int64_t C, int64_t S, float epsilon, cudaStream_t stream);

// InstanceNormalization: per (n, c) plane of S elements; scale/bias C values.
void LaunchInstanceNormF32(const float* x, const float* scale, const float* bias, float* y, int64_t N, int64_t C,
                           int64_t S, float epsilon, cudaStream_t stream);

}  // namespace pl::cuda
