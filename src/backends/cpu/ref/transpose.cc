// Transpose: opsets 1, 13; any dtype; perm defaults to reversing the dims. Dims that stay adjacent
// are merged first, then either whole runs are copied or a cache-blocked 2-D transpose moves the
// input's innermost dim (it runs in real models, between layouts, so it is not a naive loop).
#include <algorithm>

#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

// dst[a * dst_stride + b] = src[a + b * src_stride], for a < rows, b < cols, in square tiles so
// both the strided reads and the contiguous writes stay in cache.
template <typename T>
void Transpose2D(T* dst, const T* src, int64_t rows, int64_t cols, int64_t dst_stride, int64_t src_stride) {
  constexpr int64_t kTile = 64 / sizeof(T) < 8 ? 8 : 64 / sizeof(T);
  for (int64_t a0 = 0; a0 < rows; a0 += kTile) {
    const int64_t a1 = std::min(rows, a0 + kTile);
    for (int64_t b0 = 0; b0 < cols; b0 += kTile) {
      const int64_t b1 = std::min(cols, b0 + kTile);
      for (int64_t a = a0; a < a1; ++a) {
        T* d = dst + a * dst_stride;
        const T* s = src + a;
        for (int64_t b = b0; b < b1; ++b) d[b] = s[b * src_stride];
      }
    }
  }
}

void Transpose2DBytes(char* dst, const char* src, int64_t rows, int64_t cols, int64_t dst_stride,
                      int64_t src_stride, size_t esz) {
  switch (esz) {
    case 1: return Transpose2D(reinterpret_cast<uint8_t*>(dst), reinterpret_cast<const uint8_t*>(src), rows, cols, dst_stride, src_stride);
    case 2: return Transpose2D(reinterpret_cast<uint16_t*>(dst), reinterpret_cast<const uint16_t*>(src), rows, cols, dst_stride, src_stride);
    case 4: return Transpose2D(reinterpret_cast<uint32_t*>(dst), reinterpret_cast<const uint32_t*>(src), rows, cols, dst_stride, src_stride);
    case 8: return Transpose2D(reinterpret_cast<uint64_t*>(dst), reinterpret_cast<const uint64_t*>(src), rows, cols, dst_stride, src_stride);
    default:
      for (int64_t a = 0; a < rows; ++a)
        for (int64_t b = 0; b < cols; ++b)
          std::memcpy(dst + (a * dst_stride + b) * esz, src + (a + b * src_stride) * esz, esz);
  }
}

class TransposeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    has_perm_ = node.HasAttr("perm");
    perm_ = node.Attr<std::vector<int64_t>>("perm", {});
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 0");
    PL_RETURN_IF_ERROR(CheckMovable(x->dtype(), node, "input"));
    const int64_t r = x->rank();
    std::vector<int64_t> perm = perm_;
    if (!has_perm_) {
      perm.resize(r);
      for (int64_t d = 0; d < r; ++d) perm[d] = r - 1 - d;
    }
    if (static_cast<int64_t>(perm.size()) != r)
      return Status::InvalidArgument(node.Describe() + ": perm has " + std::to_string(perm.size()) +
                                     " entries for an input of rank " + std::to_string(r));
    std::vector<bool> seen(r, false);
    for (int64_t& p : perm) {
      PL_ASSIGN_OR_RETURN(p, NormalizeAxis(p, r, node));  // negative perm entries: ONNX Runtime accepts them
      if (seen[p]) return Status::InvalidArgument(node.Describe() + ": perm is not a permutation");
      seen[p] = true;
    }
    Shape out(r);
    for (int64_t d = 0; d < r; ++d) out[d] = x->dim(static_cast<int>(perm[d]));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    return TransposeView(ctx, *x, x->shape(), perm, y);
  }

 private:
  bool has_perm_ = false;
  std::vector<int64_t> perm_;
};

}  // namespace

Status TransposeView(KernelContext& ctx, const Tensor& x, const Shape& view, const std::vector<int64_t>& perm, Tensor* y) {
  if (x.device().is_host() && y->device().is_host() && x.dtype() != DataType::kString) {
    TransposeBytes(y->RawMutableData(), x.RawData(), view, perm, DataTypeSize(x.dtype()), ctx.intra_op_threads());
    return Status::Ok();
  }
  const std::vector<int64_t> in_strides = ContiguousStrides(view);
  Shape out(perm.size());
  std::vector<int64_t> strides(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) {
    out[d] = view[perm[d]];
    strides[d] = in_strides[perm[d]];
  }
  return CopyView(ctx, x, 0, out, strides, y);
}

void TransposeBytes(void* dst, const void* src, const Shape& in_shape, const std::vector<int64_t>& perm,
                    size_t elem_size, int threads) {
  const int64_t n = ShapeNumElements(in_shape);
  if (n <= 0) return;
  const std::vector<int64_t> in_strides = ContiguousStrides(in_shape);
  // Output dims with their input strides, minus size-1 dims, adjacent runs merged.
  Shape s;
  std::vector<int64_t> st;
  for (size_t d = 0; d < perm.size(); ++d) {
    const int64_t dim = in_shape[perm[d]], stride = in_strides[perm[d]];
    if (dim == 1) continue;
    if (!s.empty() && st.back() == stride * dim) {
      s.back() *= dim;
      st.back() = stride;
    } else {
      s.push_back(dim);
      st.push_back(stride);
    }
  }
  const int r = static_cast<int>(s.size());
  if (r <= 1 || st[r - 1] == 1) {  // innermost output dim is contiguous in the input: run copies
    StridedCopy(dst, src, s, st, elem_size, threads);
    return;
  }
  // Output dim k walks the input's innermost dim (stride 1): transpose 2-D tiles of (k, last).
  int k = 0;
  while (k < r && st[k] != 1) ++k;
  const std::vector<int64_t> os = ContiguousStrides(s);
  const int64_t rows = s[k], cols = s[r - 1], col_stride = st[r - 1], row_dst_stride = os[k];
  // The remaining dims (all but k and the last) index independent 2-D problems.
  std::vector<int> outer_dims;
  int64_t outer = 1;
  for (int d = 0; d < r - 1; ++d)
    if (d != k) {
      outer_dims.push_back(d);
      outer *= s[d];
    }
  // Split rows into blocks too, so a single large matrix still spreads over threads.
  const int64_t row_block = std::max<int64_t>(64, rows / std::max(threads, 1));
  const int64_t row_blocks = (rows + row_block - 1) / row_block;
  const int64_t tasks = outer * row_blocks;
  const int64_t esz = static_cast<int64_t>(elem_size);
  auto task = [&](int64_t t) {
    int64_t o = t / row_blocks, rb = t % row_blocks, src_off = 0, dst_off = 0;
    for (int i = static_cast<int>(outer_dims.size()) - 1; i >= 0; --i) {
      const int d = outer_dims[i];
      const int64_t idx = o % s[d];
      o /= s[d];
      src_off += idx * st[d];
      dst_off += idx * os[d];
    }
    const int64_t a0 = rb * row_block, a1 = std::min(rows, a0 + row_block);
    Transpose2DBytes(static_cast<char*>(dst) + (dst_off + a0 * row_dst_stride) * esz,
                     static_cast<const char*>(src) + (src_off + a0) * esz, a1 - a0, cols, row_dst_stride,
                     col_stride, elem_size);
  };
  const int nt = n * esz < (int64_t{1} << 18) ? 1 : static_cast<int>(std::min<int64_t>(std::max(threads, 1), tasks));
  if (nt <= 1) {
    for (int64_t t = 0; t < tasks; ++t) task(t);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int64_t t = 0; t < tasks; ++t) task(t);
}

void RegisterTranspose(KernelRegistry& r) {
  Add<TransposeKernel>(r, RefDef("Transpose").Opset(1, 12).AnyType().Strings());
  Add<TransposeKernel>(r, RefDef("Transpose").Opset(13).AnyType().Strings());
}

}  // namespace pl::cpu_ref
