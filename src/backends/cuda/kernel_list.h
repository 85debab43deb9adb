// The CUDA backend's op families; each lives in <family>.cc (host: registration, shape checks,
// launch) and <family>_impl.cu (device code). register.cc calls them all.
#pragma once

#include "pl/op_registry.h"

namespace pl::cuda {

void RegisterDevice(KernelRegistry& r);              // device.cc: DeviceBackend "cuda", capability, option cuda.tf32
void RegisterConvKernels(KernelRegistry& r);         // conv.cc: Conv, ConvTranspose (cuDNN), fused post-ops
void RegisterPoolKernels(KernelRegistry& r);         // pool.cc: MaxPool, AveragePool, Global*Pool (cuDNN / own)
void RegisterMatMulKernels(KernelRegistry& r);       // matmul.cc: MatMul, Gemm (cuBLAS/cuBLASLt), fused post-ops
void RegisterElementwiseKernels(KernelRegistry& r);  // elementwise.cc: unary, activations, broadcast binary, Where, Cast
void RegisterMovementKernels(KernelRegistry& r);     // movement.cc: Reshape-likes, Concat, Split, Slice, Transpose, Gather, Resize, Pad, Expand, Tile
void RegisterReduceKernels(KernelRegistry& r);       // reduce.cc: ReduceMean/Sum/Max/Min/..., Softmax, LogSoftmax, LayerNormalization, BatchNormalization


// The capability's checks (device.cc CudaCapability::CanRun): true when the fused kernel of that
// family (domain pl.cuda) accepts the node as written, so a fused node never needs a fallback.
bool ConvCanRun(const NodeInfo& node);    // conv.cc: Conv, ConvTranspose
bool MatMulCanRun(const NodeInfo& node);  // matmul.cc: MatMul, Gemm

}  // namespace pl::cuda
