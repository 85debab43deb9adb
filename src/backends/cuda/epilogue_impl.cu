// Device side of the epilogue (epilogue.h): bias, then the post-op chain, in place.
#define PL_EPILOGUE_DEVICE_ONLY 1
#include "src/backends/cuda/epilogue.h"

#include <algorithm>

namespace pl::cuda {
namespace {

__device__ __forceinline__ float Sigmoid(float x) { return 1.f / (1.f + expf(-x)); }

__device__ __forceinline__ int64_t OperandIndex(const EpilogueOperand& o, const EpilogueParams& p, int64_t i) {
  if (!o.general) return o.count == 1 ? 0 : (i / o.inner) % o.count;
  int64_t j = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t dim = p.dims[d];
    j += (i % dim) * o.strides[d];
    i /= dim;
  }
  return j;
}

__device__ __forceinline__ float Apply(const EpilogueOp& op, float x, const EpilogueParams& p, int64_t i) {
  switch (static_cast<EpilogueKind>(op.kind)) {
    case EpilogueKind::kRelu:
      if (x > 0.f) return x;
      if (op.alpha == 0.f) return x != x ? x : 0.f;  // keeps NaN, and -inf -> 0 (not 0 * -inf)
      return op.alpha * x;
    case EpilogueKind::kLogistic: return Sigmoid(x);
    case EpilogueKind::kTanh: return tanhf(x);
    case EpilogueKind::kHardSwish: return x * fminf(fmaxf(x * (1.f / 6.f) + 0.5f, 0.f), 1.f);
    case EpilogueKind::kElu: return x > 0.f ? x : op.alpha * expm1f(x);
    case EpilogueKind::kExp: return expf(x);
    case EpilogueKind::kSqrt: return sqrtf(x);
    case EpilogueKind::kAbs: return fabsf(x);
    case EpilogueKind::kLog: return logf(x);
    case EpilogueKind::kSoftRelu: return fmaxf(x, 0.f) + log1pf(expf(-fabsf(x)));  // stable log(1 + e^x)
    case EpilogueKind::kLinear: return op.alpha * x + op.beta;
    case EpilogueKind::kClip: return x < op.alpha ? op.alpha : (x > op.beta ? op.beta : x);
    case EpilogueKind::kSwish: return x * Sigmoid(op.alpha * x);
    case EpilogueKind::kBinaryAdd: {
      const EpilogueOperand& o = p.operands[op.operand];
      return x + o.data[OperandIndex(o, p, i)];
    }
    case EpilogueKind::kBinaryMul: {
      const EpilogueOperand& o = p.operands[op.operand];
      return x * o.data[OperandIndex(o, p, i)];
    }
    case EpilogueKind::kBinarySub: {
      const EpilogueOperand& o = p.operands[op.operand];
      return x - o.data[OperandIndex(o, p, i)];
    }
    case EpilogueKind::kBinaryDiv: {
      const EpilogueOperand& o = p.operands[op.operand];
      return x / o.data[OperandIndex(o, p, i)];
    }
    case EpilogueKind::kAddScaled: {
      const EpilogueOperand& o = p.operands[op.operand];
      return x + op.alpha * o.data[OperandIndex(o, p, i)];
    }
  }
  return x;
}

__global__ void EpilogueKernel(const __grid_constant__ EpilogueParams p) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < p.n; i += stride) {
    float x = p.y[i];
    if (p.bias) x += p.bias[p.bias_count == 1 ? 0 : (i / p.bias_inner) % p.bias_count];
    for (int k = 0; k < p.num_ops; ++k) x = Apply(p.ops[k], x, p, i);
    p.y[i] = x;
  }
}

}  // namespace

cudaError_t LaunchEpilogue(const EpilogueParams& p, cudaStream_t stream) {
  if (p.n <= 0 || (!p.bias && p.num_ops == 0)) return cudaSuccess;
  constexpr int kThreads = 256;
  // Enough blocks to fill an H100/H200 several times over; the loop strides over the rest.
  const int64_t want = (p.n + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(std::min<int64_t>(want, 132 * 16));
  EpilogueKernel<<<blocks, kThreads, 0, stream>>>(p);
  return cudaGetLastError();
}

}  // namespace pl::cuda
