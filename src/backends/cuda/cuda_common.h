// Shared by every CUDA kernel's host side (.cc, compiled by the C++ compiler) and device side
// (_impl.cu, compiled by nvcc): per-predictor resources, error mapping, launch helpers.
//
// Kernel contract (see include/pl/device.h): inputs and outputs are device memory except the
// KernelDef::HostInput indices; queue work on Res(ctx)->stream only (never the legacy default
// stream, never a device-wide sync); return Status::DeviceError for a CUDA/cuBLAS/cuDNN runtime
// failure (it poisons only this predictor) and InvalidArgument/Unimplemented for shapes or
// attributes, as the CPU kernels do. Unimplemented at run time makes the node fall back to
// cpu_ref for that input signature (the runtime copies its inputs to the host and back).
#pragma once

#include <cstdint>
#include <string>

#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "pl/device.h"
#include "pl/kernel.h"
#include "pl/status.h"

namespace pl::cuda {

inline constexpr const char* kFusedDomain = "pl.cuda";  // Conv/MatMul/... with post_ops attributes
// Backend option (Config::SetBackendOption): "on" lets cuBLAS/cuDNN use TF32 tensor cores for
// float32 Conv/ConvTranspose/MatMul/Gemm; "off" (default) keeps exact FP32 math.
inline constexpr const char* kTf32Option = "cuda.tf32";
inline bool Tf32Enabled(const NodeInfo& node) { return node.Option(kTf32Option, "off") == "on"; }

// One predictor's CUDA resources on one device (DeviceBackend::CreateResources).
struct CudaResources : public DeviceResources {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
  cublasLtHandle_t cublaslt = nullptr;
  cudnnHandle_t cudnn = nullptr;
  // Pinned host staging buffer for host<->device copies (grown on demand).
  void* pinned = nullptr;
  size_t pinned_bytes = 0;
  ~CudaResources() override;
};

// The predictor's resources as a kernel sees them; nullptr only if the runtime is misused.
inline CudaResources* Res(const KernelContext& ctx) { return static_cast<CudaResources*>(ctx.backend_resources()); }

std::string CudaErrorString(cudaError_t e);
std::string CublasErrorString(cublasStatus_t s);

}  // namespace pl::cuda

// `expr` returns cudaError_t / cublasStatus_t / cudnnStatus_t; on failure returns a DeviceError
// naming the call and the library's message.
#define PL_CUDA_RETURN_IF_ERROR(expr)                                                              \
  do {                                                                                             \
    cudaError_t pl_cuda_e_ = (expr);                                                               \
    if (pl_cuda_e_ != cudaSuccess)                                                                 \
      return ::pl::Status::DeviceError(std::string(#expr) + ": " + ::pl::cuda::CudaErrorString(pl_cuda_e_)); \
  } while (0)
#define PL_CUBLAS_RETURN_IF_ERROR(expr)                                                            \
  do {                                                                                             \
    cublasStatus_t pl_cublas_s_ = (expr);                                                          \
    if (pl_cublas_s_ != CUBLAS_STATUS_SUCCESS)                                                     \
      return ::pl::Status::DeviceError(std::string(#expr) + ": " + ::pl::cuda::CublasErrorString(pl_cublas_s_)); \
  } while (0)
#define PL_CUDNN_RETURN_IF_ERROR(expr)                                                             \
  do {                                                                                             \
    cudnnStatus_t pl_cudnn_s_ = (expr);                                                            \
    if (pl_cudnn_s_ != CUDNN_STATUS_SUCCESS)                                                       \
      return ::pl::Status::DeviceError(std::string(#expr) + ": " + cudnnGetErrorString(pl_cudnn_s_)); \
  } while (0)
// After a kernel launch: the launch error, if any (asynchronous faults surface at the next sync).
#define PL_CUDA_CHECK_LAUNCH(what)                                                                 \
  do {                                                                                             \
    cudaError_t pl_cuda_e_ = cudaGetLastError();                                                   \
    if (pl_cuda_e_ != cudaSuccess)                                                                 \
      return ::pl::Status::DeviceError(std::string(what) + ": launch failed: " + ::pl::cuda::CudaErrorString(pl_cuda_e_)); \
  } while (0)
