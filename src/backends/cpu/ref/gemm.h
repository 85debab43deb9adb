// Single-precision GEMM used by the reference Conv/ConvTranspose/MatMul/Gemm kernels:
//   C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C   (row-major, leading dims in elements)
// Packed and register-blocked (gemm.cc); parallel over `threads` with OpenMP.
// beta == 0 ignores C's old contents (NaN included); NaN/Inf in A or B propagate as in a plain
// triple loop (no zero skipping). Thread-safe: concurrent calls share nothing; packing buffers
// are thread_local and grow once to a few hundred KiB per calling/worker thread.
#pragma once

#include <cstdint>

namespace pl::cpu_ref {

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads = 1);

}  // namespace pl::cpu_ref
