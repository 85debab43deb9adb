// Single-precision GEMM used by the reference Conv/MatMul/Gemm kernels:
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C   (row-major, leading dims in elements)
// Cache-blocked plain C++ (the compiler vectorizes it); parallel over `threads` with OpenMP.
#pragma once

#include <cstdint>

namespace pl::cpu_ref {

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads = 1);

}  // namespace pl::cpu_ref
