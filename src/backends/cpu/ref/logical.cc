// TODO(owner): ops listed for RegisterLogical in kernel_list.h.
#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
void RegisterLogical(KernelRegistry& r) { (void)r; }
}  // namespace pl::cpu_ref
