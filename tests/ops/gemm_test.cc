// Sgemm (src/backends/cpu/ref/gemm.h) against a plain triple loop: odd sizes that cross every
// block/panel edge, all transpose combinations, alpha/beta, NaN/Inf propagation, threads.
#include "src/backends/cpu/ref/gemm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace pl::cpu_ref {
namespace {

// C = alpha * op(A) * op(B) + beta * C in double, row-major; beta == 0 ignores C.
void NaiveGemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const std::vector<float>& A,
               int64_t lda, const std::vector<float>& B, int64_t ldb, float beta, std::vector<float>* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k)
        s += static_cast<double>(ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
      float& c = (*C)[i * ldc + j];
      c = static_cast<float>(alpha * s + (beta == 0.f ? 0.0 : static_cast<double>(beta) * c));
    }
}

struct Case {
  int64_t M, N, K;
};

void RunCase(const Case& cs, bool ta, bool tb, float alpha, float beta, int threads, std::mt19937* rng) {
  const int64_t lda = (ta ? cs.M : cs.K) + 3, ldb = (tb ? cs.K : cs.N) + 1, ldc = cs.N + 2;
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> A((ta ? cs.K : cs.M) * lda + 1), B((tb ? cs.N : cs.K) * ldb + 1), C(cs.M * ldc + 1);
  for (auto& v : A) v = u(*rng);
  for (auto& v : B) v = u(*rng);
  for (auto& v : C) v = u(*rng);
  std::vector<float> want = C, got = C;
  NaiveGemm(ta, tb, cs.M, cs.N, cs.K, alpha, A, lda, B, ldb, beta, &want, ldc);
  Sgemm(ta, tb, cs.M, cs.N, cs.K, alpha, A.data(), lda, B.data(), ldb, beta, got.data(), ldc, threads);
  for (int64_t i = 0; i < cs.M; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const int64_t idx = i * ldc + j;
      if (j >= cs.N) {  // padding between rows must be untouched
        ASSERT_EQ(got[idx], C[idx]) << "wrote outside C at " << i << "," << j;
        continue;
      }
      ASSERT_NEAR(got[idx], want[idx], 1e-4 * (1 + std::sqrt(static_cast<double>(cs.K))))
          << "M=" << cs.M << " N=" << cs.N << " K=" << cs.K << " ta=" << ta << " tb=" << tb << " alpha=" << alpha
          << " beta=" << beta << " threads=" << threads << " at " << i << "," << j;
    }
}

TEST(Sgemm, MatchesTripleLoopOnOddSizes) {
  std::mt19937 rng(7);
  const Case cases[] = {{1, 1, 1},   {1, 17, 3},   {7, 1, 5},     {5, 16, 6},    {6, 16, 256},
                        {13, 31, 257}, {97, 33, 19}, {37, 1537, 9}, {200, 70, 600}, {3, 5, 0}};
  for (const Case& cs : cases)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb) {
        RunCase(cs, ta, tb, 1.f, 0.f, 1, &rng);
        RunCase(cs, ta, tb, 0.5f, 1.f, 1, &rng);
        RunCase(cs, ta, tb, -2.f, 0.25f, 3, &rng);
      }
}

TEST(Sgemm, ThreadedMatchesSingle) {
  std::mt19937 rng(11);
  for (int threads : {2, 4, 7}) {
    RunCase({101, 517, 131}, false, false, 1.f, 0.f, threads, &rng);
    RunCase({300, 40, 70}, true, false, 1.f, 1.f, threads, &rng);
    RunCase({2, 3000, 10}, false, true, 1.f, 0.f, threads, &rng);
  }
}

TEST(Sgemm, BetaZeroIgnoresNaNInC) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> A = {1, 2}, B = {3, 4}, C = {nan};
  Sgemm(false, false, 1, 1, 2, 1.f, A.data(), 2, B.data(), 1, 0.f, C.data(), 1);
  EXPECT_EQ(C[0], 11.f);
  C = {nan};  // K == 0: C = beta * C, and beta == 0 still clears it
  Sgemm(false, false, 1, 1, 0, 1.f, A.data(), 2, B.data(), 1, 0.f, C.data(), 1);
  EXPECT_EQ(C[0], 0.f);
  C = {2.f};
  Sgemm(false, false, 1, 1, 0, 1.f, A.data(), 2, B.data(), 1, 3.f, C.data(), 1);
  EXPECT_EQ(C[0], 6.f);
}

TEST(Sgemm, PropagatesNaNAndInf) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  // 2x3 * 3x20: row 0 of A has a NaN, B column 5 has an Inf; everything else finite.
  const int64_t M = 2, N = 20, K = 3;
  std::vector<float> A = {1, nan, 1, 1, 1, 1}, B(K * N, 1.f), C(M * N, 0.f);
  B[1 * N + 5] = inf;
  Sgemm(false, false, M, N, K, 1.f, A.data(), K, B.data(), N, 0.f, C.data(), N);
  for (int64_t j = 0; j < N; ++j) EXPECT_TRUE(std::isnan(C[j])) << j;
  for (int64_t j = 0; j < N; ++j) {
    if (j == 5) EXPECT_EQ(C[N + j], inf);
    else EXPECT_EQ(C[N + j], 3.f) << j;
  }
  // alpha == 0 still multiplies: 0 * NaN is NaN (numpy semantics of ONNX Gemm).
  std::vector<float> C0(M * N, 0.f);
  Sgemm(false, false, M, N, K, 0.f, A.data(), K, B.data(), N, 0.f, C0.data(), N);
  EXPECT_TRUE(std::isnan(C0[0]));
  EXPECT_EQ(C0[N], 0.f);
  // Inf * 0 is NaN, it must not be skipped as a zero product.
  std::vector<float> A2 = {0.f}, B2 = {inf}, C2 = {0.f};
  Sgemm(false, false, 1, 1, 1, 1.f, A2.data(), 1, B2.data(), 1, 0.f, C2.data(), 1);
  EXPECT_TRUE(std::isnan(C2[0]));
}

}  // namespace
}  // namespace pl::cpu_ref
