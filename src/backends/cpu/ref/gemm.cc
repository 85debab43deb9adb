#include "src/backends/cpu/ref/gemm.h"

#include <algorithm>
#include <vector>

namespace pl::cpu_ref {

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads) {
  // Scale C first (beta == 0 must ignore C's old contents, even NaN).
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.f) std::fill(c, c + N, 0.f);
    else if (beta != 1.f) for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
  if (M == 0 || N == 0 || K == 0 || alpha == 0.f) return;
  // B is read row-wise (k, j); make a row-major copy if transposed.
  std::vector<float> bt;
  if (trans_b) {
    bt.resize(static_cast<size_t>(K) * N);
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < N; ++j) bt[k * N + j] = B[j * ldb + k];
    B = bt.data();
    ldb = N;
  }
  constexpr int64_t kBlockK = 256, kBlockN = 512;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && M > 1)
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    for (int64_t k0 = 0; k0 < K; k0 += kBlockK) {
      const int64_t k1 = std::min(K, k0 + kBlockK);
      for (int64_t j0 = 0; j0 < N; j0 += kBlockN) {
        const int64_t j1 = std::min(N, j0 + kBlockN);
        for (int64_t k = k0; k < k1; ++k) {
          const float a = alpha * (trans_a ? A[k * lda + i] : A[i * lda + k]);
          const float* b = B + k * ldb;
          for (int64_t j = j0; j < j1; ++j) c[j] += a * b[j];
        }
      }
    }
  }
}

}  // namespace pl::cpu_ref
