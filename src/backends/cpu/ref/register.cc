#include "src/ops/builtin_kernels.h"

namespace pl::cpu_ref {

#define PL_CPU_REF_KERNEL(name) void Register##name(KernelRegistry& r);
#include "src/backends/cpu/ref/kernel_list.h"
#undef PL_CPU_REF_KERNEL

void RegisterKernels(KernelRegistry& r) {
#define PL_CPU_REF_KERNEL(name) Register##name(r);
#include "src/backends/cpu/ref/kernel_list.h"
#undef PL_CPU_REF_KERNEL
}

}  // namespace pl::cpu_ref
