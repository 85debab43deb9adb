#include "src/backends/cpu/onednn/capability.h"
#include "src/backends/cpu/onednn/op.h"
#include "src/ir/capability.h"
#include "src/ops/builtin_kernels.h"

namespace pl::onednn {
namespace {

// What the graph passes ask of this backend (src/ir/capability.h).
class Capability final : public ir::BackendCapability {
 public:
  bool CanRun(const ir::Graph& g, const ir::Node& n) const override { return onednn::CanRun(g, n); }
  std::string FusedDomain() const override { return kRegionDomain; }
  std::string RegionOp() const override { return kRegionOp; }
};

}  // namespace

#define PL_ONEDNN_KERNEL(name) void Register##name(KernelRegistry& r);
#include "src/backends/cpu/onednn/kernel_list.h"
#undef PL_ONEDNN_KERNEL

void RegisterKernels(KernelRegistry& r) {
  ir::RegisterCapability(kBackendOneDnn, std::make_shared<Capability>());
  r.DeclareOption({kDwFusionOption, {"auto", "off", "onednn", "bands"},
                   "how a 1x1 Conv and the depthwise Conv after it run: auto (oneDNN's fused kernel where it has "
                   "one, row bands for big maps elsewhere), off (apart), onednn (always the fused kernel), bands"});
#define PL_ONEDNN_KERNEL(name) Register##name(r);
#include "src/backends/cpu/onednn/kernel_list.h"
#undef PL_ONEDNN_KERNEL
}

}  // namespace pl::onednn
