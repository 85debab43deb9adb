// Registration of every built-in backend's kernel list (called once by KernelRegistry::Global()).
#pragma once
#include "pl/op_registry.h"

namespace pl {
void RegisterBuiltinKernels(KernelRegistry& registry);
namespace cpu_ref { void RegisterKernels(KernelRegistry& registry); }
#ifdef PL_WITH_ONEDNN
namespace onednn { void RegisterKernels(KernelRegistry& registry); }
#endif
// Device backends (CUDA) are plugin modules next to the core library, loaded on first use of
// their name (src/core/device.cc), never at registry start-up: a process that never asks for
// CUDA never maps the CUDA libraries.
}  // namespace pl
