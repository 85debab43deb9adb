// TODO(owner): ops listed for RegisterConcat in kernel_list.h.
#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
void RegisterConcat(KernelRegistry& r) { (void)r; }
}  // namespace pl::cpu_ref
