// TODO(owner): ops listed for RegisterTranspose in kernel_list.h.
#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
void RegisterTranspose(KernelRegistry& r) { (void)r; }
}  // namespace pl::cpu_ref
