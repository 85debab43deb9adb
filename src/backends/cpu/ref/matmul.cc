// MatMul (1+; numpy matmul: 1-D operands, batch dims broadcast) and Gemm (1+; transA, transB,
// alpha, beta, optional C broadcast to [M, N]). float32 through Sgemm; float64/16, int32/64,
// uint32/64 with a plain triple loop (integers wrap, float16 accumulates in float).
#include "src/backends/cpu/ref/gemm.h"
#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

using MatMulTypes = TypeList<float, double, Half, int32_t, int64_t, uint32_t, uint64_t>;

// Accumulator for a dot product: integers wrap in uint64, float16 sums in float.
template <typename T>
using AccType = std::conditional_t<std::is_integral_v<T>, uint64_t, CType<T>>;

// C[M,N] = alpha * op(A) op(B) + beta * C for the non-float32 types. Leading dims are row strides.
template <typename T>
void NaiveGemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const T* A, int64_t lda, const T* B,
               int64_t ldb, double beta, T* C, int64_t ldc) {
  using Acc = AccType<T>;
  const bool scale = alpha != 1.0 || beta != 1.0;
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      Acc s = 0;
      for (int64_t k = 0; k < K; ++k) {
        const T a = ta ? A[k * lda + i] : A[i * lda + k];
        const T b = tb ? B[j * ldb + k] : B[k * ldb + j];
        s += static_cast<Acc>(static_cast<Acc>(static_cast<CType<T>>(a)) * static_cast<Acc>(static_cast<CType<T>>(b)));
      }
      T& c = C[i * ldc + j];
      if constexpr (std::is_integral_v<T>) {
        if (!scale) {
          c = static_cast<T>(s + static_cast<uint64_t>(c));  // wraps
        } else {
          // Integer Gemm with fractional alpha/beta: compute in double, truncate.
          const double v = alpha * static_cast<double>(static_cast<T>(s)) +
                           (beta == 0 ? 0.0 : beta * static_cast<double>(c));
          c = static_cast<T>(static_cast<int64_t>(v));
        }
      } else if (!scale) {
        c = static_cast<T>(static_cast<CType<T>>(s) + static_cast<CType<T>>(c));
      } else {
        const CType<T> base = beta == 0 ? CType<T>(0) : static_cast<CType<T>>(beta * static_cast<double>(c));
        c = static_cast<T>(static_cast<CType<T>>(alpha * static_cast<double>(s)) + base);
      }
    }
  }
}

class MatMulKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    if (!a) return MissingInput(node, 0);
    if (!b) return MissingInput(node, 1);
    if (a->dtype() != b->dtype())
      return Status::InvalidArgument(node.Describe() + ": input dtypes differ (" + DataTypeName(a->dtype()) + " vs " +
                                     DataTypeName(b->dtype()) + ")");
    if (a->rank() < 1 || b->rank() < 1)
      return Status::InvalidArgument(node.Describe() + ": MatMul inputs must have rank >= 1, got " +
                                     ShapeToString(a->shape()) + " and " + ShapeToString(b->shape()));
    // A 1-D A gets a leading 1 and a 1-D B a trailing 1; both are dropped from the result.
    Shape sa = a->shape(), sb = b->shape();
    const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
    if (a_vec) sa.insert(sa.begin(), 1);
    if (b_vec) sb.push_back(1);
    const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
    if (sb[sb.size() - 2] != K)
      return Status::InvalidArgument(node.Describe() + ": inner dimensions differ: " + ShapeToString(a->shape()) +
                                     " x " + ShapeToString(b->shape()));
    const Shape batch_a(sa.begin(), sa.end() - 2), batch_b(sb.begin(), sb.end() - 2);
    PL_ASSIGN_OR_RETURN(Shape batch, BroadcastShapes(batch_a, batch_b, node));
    Shape out_shape = batch;
    if (!a_vec) out_shape.push_back(M);
    if (!b_vec) out_shape.push_back(N);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, a->dtype()));
    const int threads = ctx.intra_op_threads();
    return Dispatch(MatMulTypes{}, a->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* pa = a->Data<T>();
      const T* pb = b->Data<T>();
      T* out = y->MutableData<T>();
      ForEachBroadcast2(batch_a, batch_b, batch, [&](int64_t ia, int64_t ib, int64_t o) {
        const T* ma = pa + ia * M * K;
        const T* mb = pb + ib * K * N;
        T* mc = out + o * M * N;
        if constexpr (std::is_same_v<T, float>) {
          Sgemm(false, false, M, N, K, 1.f, ma, K, mb, N, 0.f, mc, N, threads);
        } else {
          std::fill(mc, mc + M * N, T(0));
          NaiveGemm<T>(false, false, M, N, K, 1.0, ma, K, mb, N, 1.0, mc, N);
        }
      });
      return Status::Ok();
    });
  }
};

class GemmKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    trans_a_ = node.Attr<int64_t>("transA", 0) != 0;
    trans_b_ = node.Attr<int64_t>("transB", 0) != 0;
    alpha_ = node.Attr<float>("alpha", 1.f);
    beta_ = node.Attr<float>("beta", 1.f);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.Input(1);
    const Tensor* c = ctx.Input(2);
    if (!a) return MissingInput(node, 0);
    if (!b) return MissingInput(node, 1);
    if (a->rank() != 2 || b->rank() != 2)
      return Status::InvalidArgument(node.Describe() + ": A and B must be 2-D, got " + ShapeToString(a->shape()) +
                                     " and " + ShapeToString(b->shape()));
    if (a->dtype() != b->dtype() || (c && c->dtype() != a->dtype()))
      return Status::InvalidArgument(node.Describe() + ": input dtypes differ");
    const int64_t M = trans_a_ ? a->dim(1) : a->dim(0), K = trans_a_ ? a->dim(0) : a->dim(1);
    const int64_t Kb = trans_b_ ? b->dim(1) : b->dim(0), N = trans_b_ ? b->dim(0) : b->dim(1);
    if (K != Kb)
      return Status::InvalidArgument(node.Describe() + ": inner dimensions differ: op(A) is [" + std::to_string(M) +
                                     "," + std::to_string(K) + "], op(B) is [" + std::to_string(Kb) + "," +
                                     std::to_string(N) + "]");
    const Shape out_shape = {M, N};
    if (c) {
      PL_ASSIGN_OR_RETURN(Shape bc, BroadcastShapes(c->shape(), out_shape, node));
      if (bc != out_shape)
        return Status::InvalidArgument(node.Describe() + ": C shape " + ShapeToString(c->shape()) +
                                       " does not broadcast to " + ShapeToString(out_shape));
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, a->dtype()));
    const int threads = ctx.intra_op_threads();
    return Dispatch(MatMulTypes{}, a->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = y->MutableData<T>();
      const bool use_c = c != nullptr && beta_ != 0.f;
      if (use_c) {
        const T* pc = c->Data<T>();
        ForEachBroadcast2(c->shape(), out_shape, out_shape, [&](int64_t ic, int64_t, int64_t o) { out[o] = pc[ic]; });
      } else {
        std::fill(out, out + M * N, T(0));
      }
      const int64_t lda = a->dim(1), ldb = b->dim(1);
      if constexpr (std::is_same_v<T, float>) {
        Sgemm(trans_a_, trans_b_, M, N, K, alpha_, a->Data<float>(), lda, b->Data<float>(), ldb, use_c ? beta_ : 0.f,
              out, N, threads);
      } else {
        NaiveGemm<T>(trans_a_, trans_b_, M, N, K, alpha_, a->Data<T>(), lda, b->Data<T>(), ldb, use_c ? beta_ : 0.0,
                     out, N);
      }
      return Status::Ok();
    });
  }

 private:
  bool trans_a_ = false, trans_b_ = false;
  float alpha_ = 1.f, beta_ = 1.f;
};

}  // namespace

void RegisterMatMul(KernelRegistry& r) {
  Add<MatMulKernel>(r, RefDef("MatMul").Opset(1).Types(DataTypes(MatMulTypes{})));
  Add<GemmKernel>(r, RefDef("Gemm").Opset(1).Types(DataTypes(MatMulTypes{})));
}

}  // namespace pl::cpu_ref
