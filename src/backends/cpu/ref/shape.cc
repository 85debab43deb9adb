// Shape (opsets 1, 13, 15 with start/end), Size (1, 13): any input dtype, int64 output.
#include <algorithm>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
namespace {

class ShapeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    // start/end exist from opset 15; earlier nodes carrying them would be invalid, so ignore them.
    if (node.opset >= 15) {
      start_ = node.Attr<int64_t>("start", 0);
      has_end_ = node.HasAttr("end");
      end_ = node.Attr<int64_t>("end", 0);
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input 0");
    const int64_t r = x->rank();
    // Out-of-range axes clamp rather than fail (spec: "axes will be clamped").
    auto clamp = [r](int64_t a) { return std::clamp<int64_t>(a < 0 ? a + r : a, 0, r); };
    const int64_t b = clamp(start_), e = has_end_ ? clamp(end_) : r;
    const int64_t n = std::max<int64_t>(0, e - b);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {n}, DataType::kInt64));
    int64_t* out = y->MutableData<int64_t>();
    for (int64_t i = 0; i < n; ++i) out[i] = x->dim(static_cast<int>(b + i));
    return Status::Ok();
  }

 private:
  int64_t start_ = 0, end_ = 0;
  bool has_end_ = false;
};

class SizeKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input 0");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {}, DataType::kInt64));
    *y->MutableData<int64_t>() = x->NumElements();
    return Status::Ok();
  }
};

}  // namespace

void RegisterShapeOps(KernelRegistry& r) {
  Add<ShapeKernel>(r, RefDef("Shape").Opset(1, 12).AnyType().Strings().MetadataInput(0));
  Add<ShapeKernel>(r, RefDef("Shape").Opset(13, 14).AnyType().Strings().MetadataInput(0));
  Add<ShapeKernel>(r, RefDef("Shape").Opset(15).AnyType().Strings().MetadataInput(0));
  Add<SizeKernel>(r, RefDef("Size").Opset(1, 12).AnyType().Strings().MetadataInput(0));
  Add<SizeKernel>(r, RefDef("Size").Opset(13).AnyType().Strings().MetadataInput(0));
}

}  // namespace pl::cpu_ref
