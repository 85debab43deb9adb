// MatMul (numpy matmul: 1-D operands, batch dims broadcast) and Gemm (transA, transB, alpha,
// beta, C broadcast to [M, N]) on cuBLAS, float32, plus their fused forms (domain pl.cuda, post-ops
// in the epilogue). Row-major tensors are column-major transposes to cuBLAS, so Y = A B runs as
// Y^T = B^T A^T: cublasGemm(N, M, K) with B first. Exact FP32 (CUBLAS_COMPUTE_32F) unless option
// cuda.tf32=on (CUBLAS_COMPUTE_32F_FAST_TF32). Batches: one strided-batched call when the batch
// strides allow it (B shared by every batch folds the batch into M), a loop of strided-batched
// calls over the outer dims otherwise. Declines (Unimplemented): dims beyond cuBLAS's int range.
#include <algorithm>
#include <climits>
#include <string>
#include <vector>

#include "src/backends/cuda/cuda_common.h"
#include "src/backends/cuda/epilogue.h"
#include "src/backends/cuda/kernel_list.h"

namespace pl::cuda {
namespace {

bool FitsInt(int64_t v) { return v >= 0 && v <= INT_MAX; }

cublasComputeType_t ComputeType(bool tf32) { return tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F; }

// Row-major Y[M, N] (ldy) = alpha * op(A)[M, K] op(B)[K, N], `batch` times with the given element
// strides. lda/ldb are the row strides of A and B as stored (op = transpose when ta/tb).
Status Gemm(const std::string& me, cublasHandle_t h, bool tf32, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
            float alpha, const float* A, int64_t lda, int64_t stride_a, const float* B, int64_t ldb, int64_t stride_b,
            float* Y, int64_t ldy, int64_t stride_y, int64_t batch) {
  if (!FitsInt(M) || !FitsInt(N) || !FitsInt(K) || !FitsInt(lda) || !FitsInt(ldb) || !FitsInt(ldy) || !FitsInt(batch))
    return Status::Unimplemented(me + ": GEMM dims beyond cuBLAS's 32-bit limits");
  const float beta = 0.f;
  const cublasOperation_t op_a = ta ? CUBLAS_OP_T : CUBLAS_OP_N, op_b = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (batch == 1) {
    PL_CUBLAS_RETURN_IF_ERROR(cublasGemmEx(h, op_b, op_a, static_cast<int>(N), static_cast<int>(M),
                                           static_cast<int>(K), &alpha, B, CUDA_R_32F, static_cast<int>(ldb), A,
                                           CUDA_R_32F, static_cast<int>(lda), &beta, Y, CUDA_R_32F,
                                           static_cast<int>(ldy), ComputeType(tf32), CUBLAS_GEMM_DEFAULT));
    return Status::Ok();
  }
  PL_CUBLAS_RETURN_IF_ERROR(cublasGemmStridedBatchedEx(
      h, op_b, op_a, static_cast<int>(N), static_cast<int>(M), static_cast<int>(K), &alpha, B, CUDA_R_32F,
      static_cast<int>(ldb), stride_b, A, CUDA_R_32F, static_cast<int>(lda), stride_a, &beta, Y, CUDA_R_32F,
      static_cast<int>(ldy), stride_y, static_cast<int>(batch), ComputeType(tf32), CUBLAS_GEMM_DEFAULT));
  return Status::Ok();
}

class CudaMatMul final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(ParsePostOps(node, &chain_));
    if (chain_.own_inputs != 2)
      return Status::ModelError(node.Describe() + ": " + std::to_string(chain_.own_inputs) + " inputs, expected 2");
    if (node.InputType(1) != DataType::kFloat32 && node.InputType(1) != DataType::kUndefined)
      return Status::Unimplemented(node.Describe() + ": B is " + DataTypeName(node.InputType(1)) +
                                   "; the CUDA kernel takes float32");
    tf32_ = Tf32Enabled(node);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const std::string me = ctx.node().Describe();
    CudaResources* res = Res(ctx);
    if (!res) return Status::Internal(me + ": no CUDA resources in the kernel context");
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.NumInputs() > 1 ? ctx.Input(1) : nullptr;
    if (!a || !b) return Status::InvalidArgument(me + ": missing input A or B");
    if (a->dtype() != DataType::kFloat32 || b->dtype() != DataType::kFloat32)
      return Status::InvalidArgument(me + ": input dtypes " + DataTypeName(a->dtype()) + " and " +
                                     DataTypeName(b->dtype()) + ", expected float32");
    if (a->rank() < 1 || b->rank() < 1)
      return Status::InvalidArgument(me + ": MatMul inputs must have rank >= 1, got " + ShapeToString(a->shape()) +
                                     " and " + ShapeToString(b->shape()));
    Shape sa = a->shape(), sb = b->shape();
    const bool a_vec = sa.size() == 1, b_vec = sb.size() == 1;
    if (a_vec) sa.insert(sa.begin(), 1);
    if (b_vec) sb.push_back(1);
    const int64_t M = sa[sa.size() - 2], K = sa.back(), N = sb.back();
    if (sb[sb.size() - 2] != K)
      return Status::InvalidArgument(me + ": inner dimensions differ: " + ShapeToString(a->shape()) + " x " +
                                     ShapeToString(b->shape()));
    // Batch dims, right-aligned and broadcast.
    const size_t ra = sa.size() - 2, rb = sb.size() - 2, r = std::max(ra, rb);
    Shape batch(r);
    std::vector<int64_t> da(r, 1), db(r, 1);
    for (size_t i = 0; i < ra; ++i) da[r - ra + i] = sa[i];
    for (size_t i = 0; i < rb; ++i) db[r - rb + i] = sb[i];
    for (size_t d = 0; d < r; ++d) {
      if (da[d] != db[d] && da[d] != 1 && db[d] != 1)
        return Status::InvalidArgument(me + ": batch dims of " + ShapeToString(a->shape()) + " and " +
                                       ShapeToString(b->shape()) + " do not broadcast");
      batch[d] = da[d] == 1 ? db[d] : da[d];
    }
    Shape out_shape = batch;
    if (!a_vec) out_shape.push_back(M);
    if (!b_vec) out_shape.push_back(N);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, DataType::kFloat32));
    if (y->NumElements() == 0) return Status::Ok();
    float* yp = y->MutableData<float>();
    const std::vector<EpilogueInput> post = EpilogueInputs(ctx, chain_.ops);
    if (K == 0) {
      PL_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(yp, 0, y->ByteSize(), res->stream));
      return RunEpilogue(ctx, y, nullptr, 0, post);
    }
    // Batch dims as (size, A stride, B stride, Y stride) in elements, size-1 dims dropped and
    // mergeable neighbours merged (outermost first).
    struct Dim {
      int64_t n, sa, sb, sy;
    };
    std::vector<Dim> dims;
    {
      int64_t ea = M * K, eb = K * N, ey = M * N;  // element strides of the innermost batch dim
      std::vector<Dim> rev;
      for (size_t k = r; k-- > 0;) {
        if (batch[k] != 1) rev.push_back({batch[k], da[k] == 1 ? 0 : ea, db[k] == 1 ? 0 : eb, ey});
        ea *= da[k];
        eb *= db[k];
        ey *= batch[k];
      }
      for (size_t k = rev.size(); k-- > 0;) {
        const Dim& d = rev[k];
        if (!dims.empty()) {
          Dim& o = dims.back();  // outer neighbour: mergeable when it steps over the whole inner dim
          if (o.sa == d.sa * d.n && o.sb == d.sb * d.n && o.sy == d.sy * d.n) {
            o = {o.n * d.n, d.sa, d.sb, d.sy};
            continue;
          }
        }
        dims.push_back(d);
      }
    }
    const float* ap = a->Data<float>();
    const float* bp = b->Data<float>();
    if (dims.empty())
      PL_RETURN_IF_ERROR(Gemm(me, res->cublas, tf32_, false, false, M, N, K, 1.f, ap, K, 0, bp, N, 0, yp, N, 0, 1));
    else if (dims.size() == 1 && dims[0].sb == 0 && dims[0].sa == M * K && FitsInt(dims[0].n * M))
      // B shared by every batch, A contiguous: one GEMM with the batch folded into M.
      PL_RETURN_IF_ERROR(
          Gemm(me, res->cublas, tf32_, false, false, dims[0].n * M, N, K, 1.f, ap, K, 0, bp, N, 0, yp, N, 0, 1));
    else {
      const Dim inner = dims.back();
      int64_t outer = 1;
      for (size_t k = 0; k + 1 < dims.size(); ++k) outer *= dims[k].n;
      for (int64_t o = 0; o < outer; ++o) {
        int64_t oa = 0, ob = 0, oy = 0;
        for (int64_t rem = o, k = static_cast<int64_t>(dims.size()) - 2; k >= 0; --k) {
          const int64_t i = rem % dims[k].n;
          rem /= dims[k].n;
          oa += i * dims[k].sa;
          ob += i * dims[k].sb;
          oy += i * dims[k].sy;
        }
        PL_RETURN_IF_ERROR(Gemm(me, res->cublas, tf32_, false, false, M, N, K, 1.f, ap + oa, K, inner.sa, bp + ob, N,
                                inner.sb, yp + oy, N, inner.sy, inner.n));
      }
    }
    return RunEpilogue(ctx, y, nullptr, 0, post);
  }

 private:
  PostOpChain chain_;
  bool tf32_ = false;
};

class CudaGemm final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(ParsePostOps(node, &chain_));
    if (chain_.own_inputs < 2 || chain_.own_inputs > 3)
      return Status::ModelError(node.Describe() + ": " + std::to_string(chain_.own_inputs) +
                                " inputs, expected 2 or 3 (A, B, C)");
    for (int i = 1; i < chain_.own_inputs; ++i)
      if (node.HasInput(i) && node.InputType(i) != DataType::kFloat32 && node.InputType(i) != DataType::kUndefined)
        return Status::Unimplemented(node.Describe() + ": input " + std::to_string(i) + " is " +
                                     DataTypeName(node.InputType(i)) + "; the CUDA kernel takes float32");
    trans_a_ = node.Attr<int64_t>("transA", 0) != 0;
    trans_b_ = node.Attr<int64_t>("transB", 0) != 0;
    alpha_ = node.Attr<float>("alpha", 1.f);
    beta_ = node.Attr<float>("beta", 1.f);
    tf32_ = Tf32Enabled(node);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const std::string me = ctx.node().Describe();
    CudaResources* res = Res(ctx);
    if (!res) return Status::Internal(me + ": no CUDA resources in the kernel context");
    const Tensor* a = ctx.Input(0);
    const Tensor* b = ctx.NumInputs() > 1 ? ctx.Input(1) : nullptr;
    const Tensor* c = chain_.own_inputs > 2 && ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!a || !b) return Status::InvalidArgument(me + ": missing input A or B");
    if (a->rank() != 2 || b->rank() != 2)
      return Status::InvalidArgument(me + ": A and B must be 2-D, got " + ShapeToString(a->shape()) + " and " +
                                     ShapeToString(b->shape()));
    if (a->dtype() != DataType::kFloat32 || b->dtype() != DataType::kFloat32 ||
        (c && c->dtype() != DataType::kFloat32))
      return Status::InvalidArgument(me + ": A, B and C must be float32");
    const int64_t M = trans_a_ ? a->dim(1) : a->dim(0), K = trans_a_ ? a->dim(0) : a->dim(1);
    const int64_t Kb = trans_b_ ? b->dim(1) : b->dim(0), N = trans_b_ ? b->dim(0) : b->dim(1);
    if (K != Kb)
      return Status::InvalidArgument(me + ": inner dimensions differ: op(A) is [" + std::to_string(M) + "," +
                                     std::to_string(K) + "], op(B) is [" + std::to_string(Kb) + "," +
                                     std::to_string(N) + "]");
    const Shape out_shape = {M, N};
    if (c) {
      bool fits = c->rank() <= 2;
      for (int64_t i = 0; fits && i < c->rank(); ++i) {
        const int64_t want = out_shape[2 - c->rank() + i];
        fits = c->dim(static_cast<int>(i)) == 1 || c->dim(static_cast<int>(i)) == want;
      }
      if (!fits)
        return Status::InvalidArgument(me + ": C shape " + ShapeToString(c->shape()) + " does not broadcast to " +
                                       ShapeToString(out_shape));
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, DataType::kFloat32));
    if (y->NumElements() == 0) return Status::Ok();
    float* yp = y->MutableData<float>();
    if (K == 0) {
      PL_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(yp, 0, y->ByteSize(), res->stream));
    } else {
      PL_RETURN_IF_ERROR(Gemm(me, res->cublas, tf32_, trans_a_, trans_b_, M, N, K, alpha_, a->Data<float>(),
                              a->dim(1), 0, b->Data<float>(), b->dim(1), 0, yp, N, 0, 1));
    }
    std::vector<EpilogueInput> ops;
    if (c && beta_ != 0.f) {
      EpilogueInput e;
      e.kind = EpilogueKind::kAddScaled;
      e.alpha = beta_;
      e.operand = c;
      ops.push_back(e);
    }
    for (const EpilogueInput& e : EpilogueInputs(ctx, chain_.ops)) ops.push_back(e);
    return RunEpilogue(ctx, y, nullptr, 0, ops);
  }

 private:
  PostOpChain chain_;
  bool trans_a_ = false, trans_b_ = false, tf32_ = false;
  float alpha_ = 1.f, beta_ = 1.f;
};

}  // namespace

bool MatMulCanRun(const NodeInfo& node) {
  if (node.op_type != "MatMul" && node.op_type != "Gemm") return false;
  for (int i = 0; i < node.num_inputs(); ++i)
    if (node.HasInput(i) && node.InputType(i) != DataType::kFloat32) return false;
  if (!node.HasInput(0) || !node.HasInput(1)) return false;
  if (node.op_type == "MatMul") {
    CudaMatMul k;
    return k.Init(node).ok();
  }
  CudaGemm k;
  return k.Init(node).ok();
}

void RegisterMatMulKernels(KernelRegistry& r) {
  for (const char* domain : {"", kFusedDomain}) {
    r.RegisterBuiltin(KernelDef("MatMul").Domain(domain).Opset(1).Backend(kBackendCuda).Types<float>(),
                      MakeKernelFactory<CudaMatMul>());
    r.RegisterBuiltin(KernelDef("Gemm").Domain(domain).Opset(1).Backend(kBackendCuda).Types<float>(),
                      MakeKernelFactory<CudaGemm>());
  }
}

}  // namespace pl::cuda
