// oneDNN kernels: one per supported ONNX op (float32, any opset; an op or attribute oneDNN cannot
// do returns Unimplemented from Init so the node falls back to cpu_ref), the same ops in domain
// pl.onednn with fused post-ops, and pl.onednn OneDnnRegion (a fused subgraph, see region.h).
#include "src/backends/cpu/onednn/region.h"
#include "src/ops/builtin_kernels.h"

namespace pl::onednn {
namespace {

// A single node run as a one-node region: the same planning and layout code as regions.
class NodeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(region_, Region::FromNode(node));
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override { return region_->Run(ctx); }
  size_t SharedBytes() const override { return region_->SharedBytes(); }

 private:
  std::unique_ptr<Region> region_;
};

// The region subgraph travels in attribute "region" (Attribute::g; see the onednn_regions pass).
class RegionKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const Attribute* a = node.FindAttr("region");
    if (!a || !a->g) return Status::ModelError(node.Describe() + ": no 'region' subgraph");
    PL_ASSIGN_OR_RETURN(region_, Region::FromGraph(a->g, node));
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override { return region_->Run(ctx); }
  size_t SharedBytes() const override { return region_->SharedBytes(); }

 private:
  std::unique_ptr<Region> region_;
};

}  // namespace

void RegisterOpKernels(KernelRegistry& r) {
  for (const std::string& op : OpTypes()) {  // op.cc's table: one row per op
    r.RegisterBuiltin(KernelDef(op).Backend(kBackendOneDnn).Types<float>(), MakeKernelFactory<NodeKernel>());
    r.RegisterBuiltin(KernelDef(op).Domain(kDomain).Backend(kBackendOneDnn).Types<float>(), MakeKernelFactory<NodeKernel>());
  }
  r.RegisterBuiltin(KernelDef("OneDnnRegion").Domain(kDomain).Backend(kBackendOneDnn).AnyType(),
                    MakeKernelFactory<RegionKernel>());
}

}  // namespace pl::onednn
