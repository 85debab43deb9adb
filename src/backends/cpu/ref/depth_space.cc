// DepthToSpace (1, 11 with DCR/CRD mode, 13), SpaceToDepth (1, 13); rank-4 NCHW input, any dtype.
// Both are a 6-D transpose of a reshaped view, as the spec defines them.
#include "pl/device.h"
#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

class DepthSpaceKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    to_space_ = node.op_type == "DepthToSpace";
    PL_ASSIGN_OR_RETURN(block_, node.RequiredAttr<int64_t>("blocksize"));
    if (block_ < 1 || block_ > (int64_t{1} << 31)) return Status::ModelError(node.Describe() + ": blocksize must be in [1, 2^31]");
    const std::string mode = node.opset >= 11 ? node.Attr<std::string>("mode", "DCR") : "DCR";
    if (to_space_ && mode != "DCR" && mode != "CRD")
      return Status::ModelError(node.Describe() + ": unknown mode '" + mode + "'");
    crd_ = to_space_ && mode == "CRD";
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 0");
    PL_RETURN_IF_ERROR(CheckMovable(x->dtype(), node, "input"));
    if (x->rank() != 4)
      return Status::InvalidArgument(node.Describe() + ": input must be 4-D NCHW, got " + ShapeToString(x->shape()));
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3), b = block_;
    Shape view, out;
    std::vector<int64_t> perm;
    if (to_space_) {
      if (c % (b * b) != 0)
        return Status::InvalidArgument(node.Describe() + ": channels " + std::to_string(c) +
                                       " not divisible by blocksize^2 = " + std::to_string(b * b));
      const int64_t c2 = c / (b * b);
      if (crd_) {
        view = {n, c2, b, b, h, w};
        perm = {0, 1, 4, 2, 5, 3};
      } else {
        view = {n, b, b, c2, h, w};
        perm = {0, 3, 4, 1, 5, 2};
      }
      out = {n, c2, h * b, w * b};
    } else {
      if (h % b != 0 || w % b != 0)
        return Status::InvalidArgument(node.Describe() + ": spatial dims " + ShapeToString(x->shape()) +
                                       " not divisible by blocksize " + std::to_string(b));
      view = {n, c, h / b, b, w / b, b};
      perm = {0, 3, 5, 1, 2, 4};
      out = {n, c * b * b, h / b, w / b};
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    return TransposeView(ctx, *x, view, perm, y);
  }

 private:
  bool to_space_ = true, crd_ = false;
  int64_t block_ = 1;
};

}  // namespace

void RegisterDepthSpaceFor(KernelRegistry& r, const std::string& backend) {
  const bool host = FindDeviceBackend(backend) == nullptr;  // strings live on the host only
  auto def = [&](const char* op) {
    KernelDef d = KernelDef(op).Backend(backend).AnyType();
    if (host) d.Strings();
    return d;
  };
  Add<DepthSpaceKernel>(r, def("DepthToSpace").Opset(1, 10));
  Add<DepthSpaceKernel>(r, def("DepthToSpace").Opset(11, 12));
  Add<DepthSpaceKernel>(r, def("DepthToSpace").Opset(13));
  Add<DepthSpaceKernel>(r, def("SpaceToDepth").Opset(1, 12));
  Add<DepthSpaceKernel>(r, def("SpaceToDepth").Opset(13));
}

void RegisterDepthSpace(KernelRegistry& r) { RegisterDepthSpaceFor(r, kBackendCpuRef); }

}  // namespace pl::cpu_ref
