// Slice: opsets 1-9 (starts/ends/axes attributes), 10, 11, 13 (starts/ends/axes/steps inputs,
// negative axes and steps, clamped out-of-range bounds); any dtype, int32/int64 index inputs.
#include <algorithm>
#include <limits>

#include "pl/device.h"
#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

class SliceKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    from_attrs_ = node.opset < 10;
    if (from_attrs_) {
      PL_ASSIGN_OR_RETURN(starts_, node.RequiredAttr<std::vector<int64_t>>("starts"));
      PL_ASSIGN_OR_RETURN(ends_, node.RequiredAttr<std::vector<int64_t>>("ends"));
      has_axes_ = node.HasAttr("axes");
      axes_ = node.Attr<std::vector<int64_t>>("axes", {});
      if (starts_.size() != ends_.size())
        return Status::ModelError(node.Describe() + ": starts and ends have different lengths");
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 'data'");
    PL_RETURN_IF_ERROR(CheckMovable(x->dtype(), node, "data"));
    std::vector<int64_t> starts = starts_, ends = ends_, axes = axes_, steps;
    bool has_axes = has_axes_, has_steps = false;
    if (!from_attrs_) {
      bool present = false;
      PL_ASSIGN_OR_RETURN(starts, ReadIntsInput(ctx, 1, "starts", &present));
      if (!present) return Status::InvalidArgument(node.Describe() + ": missing input 'starts'");
      PL_ASSIGN_OR_RETURN(ends, ReadIntsInput(ctx, 2, "ends", &present));
      if (!present) return Status::InvalidArgument(node.Describe() + ": missing input 'ends'");
      PL_ASSIGN_OR_RETURN(axes, ReadIntsInput(ctx, 3, "axes", &has_axes));
      PL_ASSIGN_OR_RETURN(steps, ReadIntsInput(ctx, 4, "steps", &has_steps));
    }
    const size_t n = starts.size();
    if (ends.size() != n || (has_axes && axes.size() != n) || (has_steps && steps.size() != n))
      return Status::InvalidArgument(node.Describe() + ": starts, ends, axes and steps must have the same length");
    const int64_t r = x->rank();
    const Shape& in = x->shape();
    Shape out = in;
    std::vector<int64_t> begin(r, 0), step(r, 1);
    std::vector<bool> seen(r, false);
    for (size_t i = 0; i < n; ++i) {
      int64_t axis = has_axes ? axes[i] : static_cast<int64_t>(i);
      PL_ASSIGN_OR_RETURN(axis, NormalizeAxis(axis, r, node));
      if (seen[axis]) return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(axis) + " repeated");
      seen[axis] = true;
      const int64_t s = has_steps ? steps[i] : 1;
      if (s == 0) return Status::InvalidArgument(node.Describe() + ": step 0 on axis " + std::to_string(axis));
      const int64_t dim = in[axis];
      int64_t b = starts[i], e = ends[i];
      // INT64_MIN + dim cannot overflow (dim >= 0), and positive values are never shifted.
      if (b < 0) b += dim;
      if (e < 0) e += dim;
      int64_t count = 0;
      if (s > 0) {
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        if (e > b) count = (e - b - 1) / s + 1;  // ceil((e - b) / s) without overflowing for huge s
      } else if (dim > 0) {
        b = std::clamp<int64_t>(b, 0, dim - 1);
        e = std::clamp<int64_t>(e, -1, dim - 1);
        const int64_t neg = s == std::numeric_limits<int64_t>::min() ? std::numeric_limits<int64_t>::max() : -s;
        if (b > e) count = (b - e - 1) / neg + 1;
      }
      out[axis] = count;
      begin[axis] = count > 0 ? b : 0;
      step[axis] = count > 1 ? s : 1;  // a huge step used once must not overflow the stride math
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    const std::vector<int64_t> in_strides = ContiguousStrides(in);
    std::vector<int64_t> src_strides(r);
    int64_t offset = 0;
    for (int64_t d = 0; d < r; ++d) {
      offset += begin[d] * in_strides[d];
      src_strides[d] = step[d] * in_strides[d];
    }
    return CopyView(ctx, *x, offset, out, src_strides, y);
  }

 private:
  bool from_attrs_ = false, has_axes_ = false;
  std::vector<int64_t> starts_, ends_, axes_;
};

}  // namespace

void RegisterSliceFor(KernelRegistry& r, const std::string& backend) {
  const bool host = FindDeviceBackend(backend) == nullptr;  // strings live on the host only
  auto def = [&] {
    KernelDef d = KernelDef("Slice").Backend(backend).AnyType();
    if (host) d.Strings();
    return d;
  };
  Add<SliceKernel>(r, def().Opset(1, 9));
  Add<SliceKernel>(r, def().Opset(10, 10).HostInput(1).HostInput(2).HostInput(3).HostInput(4));
  Add<SliceKernel>(r, def().Opset(11, 12).HostInput(1).HostInput(2).HostInput(3).HostInput(4));
  Add<SliceKernel>(r, def().Opset(13).HostInput(1).HostInput(2).HostInput(3).HostInput(4));
}

void RegisterSlice(KernelRegistry& r) { RegisterSliceFor(r, kBackendCpuRef); }

}  // namespace pl::cpu_ref
