// Host-side helpers of the CUDA light kernels (elementwise.cc, movement.cc, reduce.cc): the stream
// of a context, registration shorthand, host->device staging of small parameter arrays.
#pragma once

#include <cstring>
#include <string>
#include <vector>

#include "src/backends/cuda/cuda_common.h"
#include "src/backends/cuda/launch.h"
#include "pl/op_registry.h"

namespace pl::cuda {

// The predictor's stream; Internal error if the runtime passed no CUDA resources.
inline StatusOr<cudaStream_t> StreamOf(const KernelContext& ctx) {
  CudaResources* r = Res(ctx);
  if (!r || !r->stream)
    return Status::Internal(ctx.node().Describe() + ": CUDA kernel run without CUDA resources (no stream)");
  return r->stream;
}

inline KernelDef CudaDef(const char* op) { return KernelDef(op).Backend(kBackendCuda); }

template <typename K>
void AddCuda(KernelRegistry& r, KernelDef def) {
  r.RegisterBuiltin(std::move(def), MakeKernelFactory<K>());
}

inline Status RankTooHigh(const NodeInfo& node, size_t rank) {
  return Status::Unimplemented(node.Describe() + ": cuda kernel supports up to " + std::to_string(kMaxDims) +
                               " non-trivial dims after merging, got " + std::to_string(rank));
}

// Copies `bytes` of host data into device memory `dst` on the stream. The host buffer may be
// released on return (pageable memory is staged by the driver before cudaMemcpyAsync returns).
inline Status Upload(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
  if (bytes == 0) return Status::Ok();
  PL_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
  return Status::Ok();
}

// Device-to-device copy of bytes on the stream; no-op for the same memory (an in-place output).
inline Status CopyDevice(void* dst, const void* src, size_t bytes, cudaStream_t stream) {
  if (bytes == 0 || dst == src) return Status::Ok();
  PL_CUDA_RETURN_IF_ERROR(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
  return Status::Ok();
}

}  // namespace pl::cuda
