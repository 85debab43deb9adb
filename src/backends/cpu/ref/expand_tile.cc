// Expand (8, 13: bidirectional broadcast to a shape input), Tile (1: tiles/axis inputs; 6, 13:
// repeats input); any dtype. Both are strided copies with stride 0 on the repeated dims.
#include <limits>

#include "pl/device.h"
#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

class ExpandKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 'input'");
    PL_RETURN_IF_ERROR(CheckMovable(x->dtype(), node, "input"));
    bool present = false;
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadIntsInput(ctx, 1, "shape", &present));
    if (!present) return Status::InvalidArgument(node.Describe() + ": missing input 'shape'");
    for (int64_t d : shape)
      if (d < 0) return Status::InvalidArgument(node.Describe() + ": negative dim in shape " + ShapeToString(shape));
    PL_ASSIGN_OR_RETURN(Shape out, BroadcastShapes(x->shape(), shape, node));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    return CopyView(ctx, *x, 0, out, BroadcastStrides(x->shape(), out), y);
  }
};

class TileKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 'input'");
    PL_RETURN_IF_ERROR(CheckMovable(x->dtype(), node, "input"));
    const int64_t r = x->rank();
    std::vector<int64_t> reps(r, 1);
    if (node.opset < 6) {  // Tile-1: `tiles` copies along one `axis`, both scalar inputs
      const Tensor* tiles = ctx.Input(1);
      const Tensor* axis = ctx.Input(2);
      if (!tiles || !axis || tiles->NumElements() != 1 || axis->NumElements() != 1)
        return Status::InvalidArgument(node.Describe() + ": tiles and axis must be scalars");
      PL_ASSIGN_OR_RETURN(int64_t a, NormalizeAxis(SaturatingInt64(LoadDouble(*axis, 0)), r, node));
      reps[a] = SaturatingInt64(LoadDouble(*tiles, 0));
    } else {
      bool present = false;
      PL_ASSIGN_OR_RETURN(reps, ReadIntsInput(ctx, 1, "repeats", &present));
      if (!present) return Status::InvalidArgument(node.Describe() + ": missing input 'repeats'");
      if (static_cast<int64_t>(reps.size()) != r)
        return Status::InvalidArgument(node.Describe() + ": repeats has " + std::to_string(reps.size()) +
                                       " entries for an input of rank " + std::to_string(r));
    }
    Shape out(r), view, strides;
    const std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
    for (int64_t d = 0; d < r; ++d) {
      if (reps[d] < 0) return Status::InvalidArgument(node.Describe() + ": negative repeat " + std::to_string(reps[d]));
      if (x->dim(static_cast<int>(d)) != 0 && reps[d] > std::numeric_limits<int64_t>::max() / x->dim(static_cast<int>(d)))
        return Status::InvalidArgument(node.Describe() + ": repeats overflow dim " + std::to_string(d));
      out[d] = x->dim(static_cast<int>(d)) * reps[d];
      // Output dim d, row-major, is the pair (repeat, in-dim): the repeat walks with stride 0.
      view.push_back(reps[d]);
      strides.push_back(0);
      view.push_back(x->dim(static_cast<int>(d)));
      strides.push_back(in_strides[d]);
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    return CopyView(ctx, *x, 0, view, strides, y);
  }
};

}  // namespace

void RegisterExpandTileFor(KernelRegistry& r, const std::string& backend) {
  const bool host = FindDeviceBackend(backend) == nullptr;  // strings live on the host only
  auto def = [&](const char* op) {
    KernelDef d = KernelDef(op).Backend(backend).AnyType();
    if (host) d.Strings();
    return d;
  };
  Add<ExpandKernel>(r, def("Expand").Opset(8, 12).HostInput(1));
  Add<ExpandKernel>(r, def("Expand").Opset(13).HostInput(1));
  Add<TileKernel>(r, def("Tile").Opset(1, 5).HostInput(1).HostInput(2));
  Add<TileKernel>(r, def("Tile").Opset(6, 12).HostInput(1));
  Add<TileKernel>(r, def("Tile").Opset(13).HostInput(1));
}

void RegisterExpandTile(KernelRegistry& r) { RegisterExpandTileFor(r, kBackendCpuRef); }

}  // namespace pl::cpu_ref
