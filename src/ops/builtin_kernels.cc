#include "src/ops/builtin_kernels.h"

namespace pl {
void RegisterBuiltinKernels(KernelRegistry& registry) {
  cpu_ref::RegisterKernels(registry);
#ifdef PL_WITH_ONEDNN
  onednn::RegisterKernels(registry);
#endif
}
}  // namespace pl
