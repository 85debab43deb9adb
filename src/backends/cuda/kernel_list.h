// The CUDA backend's op families; each lives in <family>.cc (host: registration, shape checks,
// launch) and <family>_impl.cu (device code). register.cc calls them all.
#pragma once

#include "pl/op_registry.h"

namespace pl::cuda {

void RegisterDevice();                               // device.cc: DeviceBackend "cuda" + capability
void RegisterConvKernels(KernelRegistry& r);         // conv.cc: Conv, ConvTranspose (cuDNN), fused post-ops
void RegisterPoolKernels(KernelRegistry& r);         // pool.cc: MaxPool, AveragePool, Global*Pool (cuDNN / own)
void RegisterMatMulKernels(KernelRegistry& r);       // matmul.cc: MatMul, Gemm (cuBLAS/cuBLASLt), fused post-ops
void RegisterElementwiseKernels(KernelRegistry& r);  // elementwise.cc: unary, activations, broadcast binary, Where, Cast
void RegisterMovementKernels(KernelRegistry& r);     // movement.cc: Reshape-likes, Concat, Split, Slice, Transpose, Gather, Resize, Pad, Expand, Tile
void RegisterReduceKernels(KernelRegistry& r);       // reduce.cc: ReduceMean/Sum/Max/Min/..., Softmax, LogSoftmax, LayerNormalization, BatchNormalization

}  // namespace pl::cuda
