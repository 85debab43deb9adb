#include "src/ops/builtin_kernels.h"

namespace pl::onednn {

#define PL_ONEDNN_KERNEL(name) void Register##name(KernelRegistry& r);
#include "src/backends/cpu/onednn/kernel_list.h"
#undef PL_ONEDNN_KERNEL

void RegisterKernels(KernelRegistry& r) {
  (void)r;
#define PL_ONEDNN_KERNEL(name) Register##name(r);
#include "src/backends/cpu/onednn/kernel_list.h"
#undef PL_ONEDNN_KERNEL
}

}  // namespace pl::onednn
