// Registration of every built-in backend's kernel list (called once by KernelRegistry::Global()).
#pragma once
#include "pl/op_registry.h"

namespace pl {
void RegisterBuiltinKernels(KernelRegistry& registry);
namespace cpu_ref { void RegisterKernels(KernelRegistry& registry); }
#ifdef PL_WITH_ONEDNN
namespace onednn { void RegisterKernels(KernelRegistry& registry); }
#endif
#ifdef PL_WITH_CUDA
namespace cuda { void RegisterKernels(KernelRegistry& registry); }
#endif
}  // namespace pl
