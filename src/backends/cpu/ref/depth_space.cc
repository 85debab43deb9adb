// TODO(owner): ops listed for RegisterDepthSpace in kernel_list.h.
#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
void RegisterDepthSpace(KernelRegistry& r) { (void)r; }
}  // namespace pl::cpu_ref
