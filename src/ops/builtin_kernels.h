// Registration of every built-in backend's kernel list (called once by KernelRegistry::Global()).
#pragma once
#include "pl/op_registry.h"

namespace pl {
void RegisterBuiltinKernels(KernelRegistry& registry);
namespace cpu_ref { void RegisterKernels(KernelRegistry& registry); }
#ifdef PL_WITH_ONEDNN
namespace onednn { void RegisterKernels(KernelRegistry& registry); }
#endif
// Device backends (CUDA) are plugin modules next to the core library, loaded when present
// (src/core/device.cc); a plugin may use KernelRegistry::Global() while it registers.
namespace internal { void LoadBuiltinPlugins(KernelRegistry& registry); }
}  // namespace pl
