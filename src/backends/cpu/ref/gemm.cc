// Sgemm: packed, register-blocked single-precision GEMM in portable C++ (see gemm.h).
//
// Goto-style blocking: op(B) is packed into kc x kNR column panels and op(A) (times alpha) into
// kc x kMR row panels; a fixed-size micro-kernel keeps a kMR x kNR accumulator tile in vector
// registers and touches C once per k block.
// Work is split into independent (M block, N block) tiles so every OpenMP thread packs its own
// operands: no synchronization inside a call, and concurrent calls from many predictors are safe.
#include "src/backends/cpu/ref/gemm.h"

#include <algorithm>
#include <vector>

namespace pl::cpu_ref {
namespace {

// The register tile is kMR rows x two vectors. GCC/Clang vector types pin the accumulators in
// registers (auto-vectorizing the plain loops spilled them or shuffled lanes, depending on
// the target); other compilers get the plain loops.
#if defined(__AVX512F__)
constexpr int kVec = 16;
#elif defined(__AVX__)
constexpr int kVec = 8;
#else
constexpr int kVec = 4;
#endif
constexpr int kMR = 6;         // rows of the register tile
constexpr int kNR = 2 * kVec;  // columns of the register tile
constexpr int64_t kKC = 256;   // depth of one packed block: a kc x kNR B panel stays in L1
constexpr int64_t kMC = 96;    // rows of one packed A block (kMC x kKC floats stay in L2)
constexpr int64_t kNC = 1024;  // widest N block one tile packs

// Per-thread packing buffers. They grow once to the block sizes above and are then reused, so
// steady-state calls do not allocate; thread_local keeps concurrent callers apart.
float* ThreadBuffer(int which, size_t floats) {
  thread_local std::vector<float> buffers[2];
  std::vector<float>& b = buffers[which];
  if (b.size() < floats) b.resize(floats);
  return b.data();
}

// Packs alpha * op(A)[i0:i0+mc, k0:k0+kc] into panels of kMR rows, k-major inside a panel;
// rows past mc are zero so the micro-kernel can always run full width.
void PackA(bool trans, const float* A, int64_t lda, int64_t i0, int64_t mc, int64_t k0, int64_t kc, float alpha,
           float* dst) {
  for (int64_t p = 0; p < mc; p += kMR) {
    const int rows = static_cast<int>(std::min<int64_t>(kMR, mc - p));
    float* d = dst + p * kc;
    if (!trans) {
      for (int r = 0; r < rows; ++r) {
        const float* a = A + (i0 + p + r) * lda + k0;
        for (int64_t k = 0; k < kc; ++k) d[k * kMR + r] = alpha * a[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* a = A + (k0 + k) * lda + i0 + p;
        for (int r = 0; r < rows; ++r) d[k * kMR + r] = alpha * a[r];
      }
    }
    for (int r = rows; r < kMR; ++r)
      for (int64_t k = 0; k < kc; ++k) d[k * kMR + r] = 0.f;
  }
}

// Packs op(B)[k0:k0+kc, j0:j0+nc] into panels of kNR columns, k-major inside a panel; columns
// past nc are zero.
void PackB(bool trans, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  if (!trans) {
    // Row by row: reads of B stream through memory; writes go to kc x kNR panels.
    const int64_t full = nc / kNR * kNR;
    for (int64_t k = 0; k < kc; ++k) {
      const float* b = B + (k0 + k) * ldb + j0;
      float* d = dst + k * kNR;
      for (int64_t q = 0; q < full; q += kNR)
        for (int j = 0; j < kNR; ++j) d[q * kc + j] = b[q + j];
      if (full < nc) {
        const int cols = static_cast<int>(nc - full);
        int j = 0;
        for (; j < cols; ++j) d[full * kc + j] = b[full + j];
        for (; j < kNR; ++j) d[full * kc + j] = 0.f;
      }
    }
    return;
  }
  for (int64_t q = 0; q < nc; q += kNR) {
    const int cols = static_cast<int>(std::min<int64_t>(kNR, nc - q));
    float* d = dst + q * kc;
    for (int j = 0; j < cols; ++j) {
      const float* b = B + (j0 + q + j) * ldb + k0;
      for (int64_t k = 0; k < kc; ++k) d[k * kNR + j] = b[k];
    }
    for (int j = cols; j < kNR; ++j)
      for (int64_t k = 0; k < kc; ++k) d[k * kNR + j] = 0.f;
  }
}

// How the micro-kernel combines its tile with C: the first k block applies beta (beta == 0
// must ignore C's old contents, even NaN), later blocks accumulate.
enum class Store { kOverwrite, kScale, kAccumulate };

#if defined(__GNUC__)
// Unaligned vector of kVec floats (the packed panels are only float-aligned).
typedef float Vec __attribute__((vector_size(kVec * sizeof(float)), aligned(sizeof(float))));
#endif

// C[0:R, 0:cols] (op)= a_panel * b_panel over kc. R (compile-time) rows are computed, so a
// short last row panel does not pay for kMR rows.
template <int R>
void MicroKernel(int64_t kc, const float* __restrict a, const float* __restrict b, float* c, int64_t ldc,
                 int cols, Store store, float beta) {
  float acc[R][kNR];
#if defined(__GNUC__)
  Vec v0[R], v1[R];
  for (int i = 0; i < R; ++i) v0[i] = v1[i] = Vec{};
  for (int64_t k = 0; k < kc; ++k) {
    const Vec b0 = *reinterpret_cast<const Vec*>(b + k * kNR);
    const Vec b1 = *reinterpret_cast<const Vec*>(b + k * kNR + kVec);
    for (int i = 0; i < R; ++i) {
      const float av = a[k * kMR + i];
      v0[i] += av * b0;
      v1[i] += av * b1;
    }
  }
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < kVec; ++j) {
      acc[i][j] = v0[i][j];
      acc[i][kVec + j] = v1[i][j];
    }
#else
  for (int i = 0; i < R; ++i)
    for (int j = 0; j < kNR; ++j) acc[i][j] = 0.f;
  for (int64_t k = 0; k < kc; ++k)
    for (int i = 0; i < R; ++i)
      for (int j = 0; j < kNR; ++j) acc[i][j] += a[k * kMR + i] * b[k * kNR + j];
#endif
  for (int i = 0; i < R; ++i) {
    float* ci = c + i * ldc;
    if (store == Store::kAccumulate) {
      for (int j = 0; j < cols; ++j) ci[j] += acc[i][j];
    } else if (store == Store::kOverwrite) {
      for (int j = 0; j < cols; ++j) ci[j] = acc[i][j];
    } else {
      for (int j = 0; j < cols; ++j) ci[j] = beta * ci[j] + acc[i][j];
    }
  }
}

template <int R = kMR>
void RunMicroKernel(int rows, int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int cols,
                    Store store, float beta) {
  if constexpr (R > 1) {
    if (rows < R) return RunMicroKernel<R - 1>(rows, kc, a, b, c, ldc, cols, store, beta);
  }
  MicroKernel<R>(kc, a, b, c, ldc, cols, store, beta);
}

// One (M block, N block) tile of C, all of K.
void GemmTile(bool trans_a, bool trans_b, int64_t i0, int64_t mc, int64_t j0, int64_t nc, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  // Equal k blocks: a short last block would pay the C load/store for little work.
  const int64_t kc_max = (K + (K + kKC - 1) / kKC - 1) / ((K + kKC - 1) / kKC);
  float* pa = ThreadBuffer(0, static_cast<size_t>((mc + kMR - 1) / kMR * kMR * kc_max));
  float* pb = ThreadBuffer(1, static_cast<size_t>((nc + kNR - 1) / kNR * kNR * kc_max));
  for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
    const int64_t kc = std::min(kc_max, K - k0);
    const Store store = k0 > 0 ? Store::kAccumulate
                        : beta == 0.f ? Store::kOverwrite
                        : beta == 1.f ? Store::kAccumulate
                                      : Store::kScale;
    PackB(trans_b, B, ldb, k0, kc, j0, nc, pb);
    PackA(trans_a, A, lda, i0, mc, k0, kc, alpha, pa);
    for (int64_t q = 0; q < nc; q += kNR) {
      const int cols = static_cast<int>(std::min<int64_t>(kNR, nc - q));
      const float* bp = pb + q * kc;
      for (int64_t p = 0; p < mc; p += kMR) {
        const int rows = static_cast<int>(std::min<int64_t>(kMR, mc - p));
        RunMicroKernel(rows, kc, pa + p * kc, bp, C + (i0 + p) * ldc + j0 + q, ldc, cols, store, beta);
      }
    }
  }
}

}  // namespace

void Sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int threads) {
  if (M <= 0 || N <= 0) return;
  // alpha == 0 still runs the product, so NaN/Inf in A or B propagate as in numpy.
  if (K <= 0) {  // C = beta * C only
    for (int64_t i = 0; i < M; ++i) {
      float* c = C + i * ldc;
      if (beta == 0.f) std::fill(c, c + N, 0.f);
      else if (beta != 1.f) for (int64_t j = 0; j < N; ++j) c[j] *= beta;
    }
    return;
  }
  // Tile C so that there are enough independent tiles for the threads, without making N blocks
  // so narrow that repacking A per tile dominates.
  const int64_t m_tiles = (M + kMC - 1) / kMC;
  int64_t nc = std::min<int64_t>(kNC, (N + kNR - 1) / kNR * kNR);
  if (threads > 1) {
    const int64_t want_n_tiles = (threads + m_tiles - 1) / m_tiles;
    const int64_t split = ((N + want_n_tiles - 1) / want_n_tiles + kNR - 1) / kNR * kNR;
    nc = std::max<int64_t>(std::min(nc, split), std::min<int64_t>(4 * kNR, nc));
  }
  const int64_t n_tiles = (N + nc - 1) / nc;
  const int64_t tiles = m_tiles * n_tiles;
  const int nthreads = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, tiles)));
#pragma omp parallel for num_threads(nthreads) schedule(static) if (nthreads > 1)
  for (int64_t t = 0; t < tiles; ++t) {
    const int64_t i0 = (t % m_tiles) * kMC, j0 = (t / m_tiles) * nc;
    GemmTile(trans_a, trans_b, i0, std::min(kMC, M - i0), j0, std::min(nc, N - j0), K, alpha, A, lda, B, ldb,
             beta, C, ldc);
  }
}

}  // namespace pl::cpu_ref
