#include "src/backends/cpu/onednn/op.h"
#include "src/ops/builtin_kernels.h"

namespace pl::onednn {

#define PL_ONEDNN_KERNEL(name) void Register##name(KernelRegistry& r);
#include "src/backends/cpu/onednn/kernel_list.h"
#undef PL_ONEDNN_KERNEL

void RegisterKernels(KernelRegistry& r) {
  r.DeclareOption({kDwFusionOption, {"auto", "off", "onednn", "bands"},
                   "how a 1x1 Conv and the depthwise Conv after it run: auto (oneDNN's fused kernel where it has "
                   "one, row bands for big maps elsewhere), off (apart), onednn (always the fused kernel), bands"});
#define PL_ONEDNN_KERNEL(name) Register##name(r);
#include "src/backends/cpu/onednn/kernel_list.h"
#undef PL_ONEDNN_KERNEL
}

}  // namespace pl::onednn
