// TODO(owner): ops listed for RegisterSplit in kernel_list.h.
#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
void RegisterSplit(KernelRegistry& r) { (void)r; }
}  // namespace pl::cpu_ref
