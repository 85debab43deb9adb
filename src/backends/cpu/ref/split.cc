// Split: opset 1 (split attribute or input), 2, 11 (split attribute), 13 (split input), 18
// (num_outputs, uneven last chunk); any dtype.
#include <algorithm>

#include "pl/device.h"
#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

class SplitKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 0);
    has_split_attr_ = node.opset < 13 && node.HasAttr("split");
    split_attr_ = node.Attr<std::vector<int64_t>>("split", {});
    num_outputs_ = node.Attr<int64_t>("num_outputs", 0);
    if (node.HasAttr("num_outputs") && num_outputs_ != node.num_outputs())
      return Status::ModelError(node.Describe() + ": num_outputs " + std::to_string(num_outputs_) + " but the node has " +
                                std::to_string(node.num_outputs()) + " outputs");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 'input'");
    PL_RETURN_IF_ERROR(CheckMovable(x->dtype(), node, "input"));
    const int64_t r = x->rank();
    if (r < 1) return Status::InvalidArgument(node.Describe() + ": cannot split a scalar");
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, r, node));
    const int64_t dim = x->dim(static_cast<int>(axis));
    const int n = ctx.NumOutputs();
    if (n < 1) return Status::InvalidArgument(node.Describe() + ": needs at least one output");
    std::vector<int64_t> split = split_attr_;
    bool has_split = has_split_attr_;
    if (!has_split && (node.opset == 1 || node.opset >= 13)) {  // Split-1 and 13+ take it as input 1
      PL_ASSIGN_OR_RETURN(split, ReadIntsInput(ctx, 1, "split", &has_split));
      has_split &= !split.empty();  // an empty tensor stands for "not given" (as ONNX Runtime reads it)
    }
    if (has_split) {
      if (static_cast<int>(split.size()) != n)
        return Status::InvalidArgument(node.Describe() + ": split has " + std::to_string(split.size()) +
                                       " entries for " + std::to_string(n) + " outputs");
      int64_t sum = 0;
      for (int64_t s : split) {
        if (s < 0 || s > dim) return Status::InvalidArgument(node.Describe() + ": split " + std::to_string(s) +
                                                             " out of range for a dim of " + std::to_string(dim));
        sum += s;  // each s <= dim, so this cannot overflow
      }
      if (sum != dim)
        return Status::InvalidArgument(node.Describe() + ": split sums to " + std::to_string(sum) + ", axis " +
                                       std::to_string(axis) + " has " + std::to_string(dim));
    } else {
      // Opset 18 lets the last chunk be smaller; before that the parts must be equal.
      if (node.opset < 18 && dim % n != 0)
        return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(axis) + " of size " +
                                       std::to_string(dim) + " does not split into " + std::to_string(n) +
                                       " equal parts");
      const int64_t chunk = (dim + n - 1) / n;
      int64_t left = dim;
      for (int i = 0; i < n; ++i) {
        split.push_back(std::min(chunk, left));
        left -= split.back();
      }
    }
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x->dim(static_cast<int>(d));
    for (int64_t d = axis + 1; d < r; ++d) inner *= x->dim(static_cast<int>(d));
    // Output i is the [outer, split[i] * inner] view of x at column `col` (rows dim * inner apart).
    const int64_t in_row = dim * inner;
    int64_t col = 0;
    for (int i = 0; i < n; ++i) {
      Shape s = x->shape();
      s[axis] = split[i];
      const int64_t row = split[i] * inner;
      if (ctx.OutputRequested(i)) {
        PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(i, s, x->dtype()));
        if (row > 0 && outer > 0) PL_RETURN_IF_ERROR(CopyView(ctx, *x, col, {outer, row}, {in_row, 1}, y));
      }
      col += row;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0, num_outputs_ = 0;
  bool has_split_attr_ = false;
  std::vector<int64_t> split_attr_;
};

}  // namespace

void RegisterSplitFor(KernelRegistry& r, const std::string& backend) {
  const bool host = FindDeviceBackend(backend) == nullptr;  // strings live on the host only
  auto def = [&] {
    KernelDef d = KernelDef("Split").Backend(backend).AnyType();
    if (host) d.Strings();
    return d;
  };
  Add<SplitKernel>(r, def().Opset(1, 1).HostInput(1));
  Add<SplitKernel>(r, def().Opset(2, 10));
  Add<SplitKernel>(r, def().Opset(11, 12));
  Add<SplitKernel>(r, def().Opset(13, 17).HostInput(1));
  Add<SplitKernel>(r, def().Opset(18).HostInput(1));
}

void RegisterSplit(KernelRegistry& r) { RegisterSplitFor(r, kBackendCpuRef); }

}  // namespace pl::cpu_ref
