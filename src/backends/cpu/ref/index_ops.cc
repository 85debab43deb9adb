// NonZero (9, 13; numeric and bool input, int64 [rank, nnz] output, data-dependent shape) and
// Trilu (14; upper attribute, optional k input; any dtype).
#include <algorithm>

#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

class NonZeroKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 0");
    const int64_t n = x->NumElements();
    std::vector<uint8_t> nz(static_cast<size_t>(n));
    if (x->dtype() == DataType::kFloat16) {
      const uint16_t* p = x->Data<uint16_t>();
      for (int64_t i = 0; i < n; ++i) nz[i] = (p[i] & 0x7fffu) != 0;  // -0 is zero
    } else {
      // Typed compare: -0.0 counts as zero and NaN as non-zero, as numpy does.
      const bool ok = VisitNumericType(x->dtype(), [&](auto zero) {
        using T = decltype(zero);
        const T* p = x->Data<T>();
        for (int64_t i = 0; i < n; ++i) nz[i] = p[i] != T(0);
      });
      if (!ok) return Status::Unimplemented(node.Describe() + ": input dtype " + DataTypeName(x->dtype()));
    }
    int64_t count = 0;
    for (uint8_t v : nz) count += v;
    // A scalar is read as a 1-element vector (numpy's nonzero on a 0-d array; ONNX Runtime too).
    const Shape shape = x->rank() == 0 ? Shape{1} : x->shape();
    const int64_t r = static_cast<int64_t>(shape.size());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {r, count}, DataType::kInt64));
    int64_t* out = y->MutableData<int64_t>();
    std::vector<int64_t> idx(r, 0);
    int64_t k = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (nz[i]) {
        for (int64_t d = 0; d < r; ++d) out[d * count + k] = idx[d];
        ++k;
      }
      for (int64_t d = r - 1; d >= 0; --d) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
    return Status::Ok();
  }
};

class TriluKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    upper_ = node.Attr<int64_t>("upper", 1) != 0;
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 0");
    PL_RETURN_IF_ERROR(CheckCopyable(x->dtype(), node, "input"));
    if (x->rank() < 2) return Status::InvalidArgument(node.Describe() + ": input rank must be >= 2");
    int64_t k = 0;
    if (const Tensor* kt = ctx.Input(1)) {
      if (kt->NumElements() != 1) return Status::InvalidArgument(node.Describe() + ": k must be a scalar");
      PL_ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(*kt, node, "k"));
      k = kv[0];
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const int64_t rows = x->dim(static_cast<int>(x->rank() - 2)), cols = x->dim(static_cast<int>(x->rank() - 1));
    if (rows == 0 || cols == 0) return Status::Ok();
    const int64_t mats = x->NumElements() / (rows * cols);
    const size_t esz = DataTypeSize(x->dtype());
    const char* src = static_cast<const char*>(x->RawData());
    char* dst = static_cast<char*>(y->RawMutableData());
    for (int64_t m = 0; m < mats; ++m) {
      for (int64_t i = 0; i < rows; ++i) {
        const size_t off = static_cast<size_t>((m * rows + i) * cols) * esz;
        // Upper keeps columns j >= i + k; lower keeps j <= i + k. Clamp (k may be huge) then split the row.
        const int64_t edge = std::clamp<int64_t>(upper_ ? i + std::clamp<int64_t>(k, -cols, cols)
                                                        : i + std::clamp<int64_t>(k, -cols, cols) + 1,
                                                 0, cols);
        const size_t split = static_cast<size_t>(edge) * esz, row = static_cast<size_t>(cols) * esz;
        if (upper_) {
          std::memset(dst + off, 0, split);
          std::memcpy(dst + off + split, src + off + split, row - split);
        } else {
          std::memcpy(dst + off, src + off, split);
          std::memset(dst + off + split, 0, row - split);
        }
      }
    }
    return Status::Ok();
  }

 private:
  bool upper_ = true;
};

}  // namespace

void RegisterIndexOps(KernelRegistry& r) {
  Add<NonZeroKernel>(r, RefDef("NonZero").Opset(9, 12).AnyType());
  Add<NonZeroKernel>(r, RefDef("NonZero").Opset(13).AnyType());
  Add<TriluKernel>(r, RefDef("Trilu").Opset(14).AnyType().HostInput(1));
}

}  // namespace pl::cpu_ref
