// Every oneDNN kernel registration function, one line each (X-macro; see register.cc).
PL_ONEDNN_KERNEL(OpKernels)  // kernels.cc: Conv ConvTranspose MatMul Gemm pools eltwise binary Softmax Resize
                             // Concat Reduce* BatchNormalization LayerNormalization, pl.onednn fused ops, OneDnnRegion
