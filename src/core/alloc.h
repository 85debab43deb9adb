// Aligned host buffers for tensors, arenas, workspaces and prepared weights: the one place the
// SDK's large allocations go through, so fault injection (pl/fault_injection.h) reaches them all.
#pragma once
#include <cstddef>
#include <memory>

#include "pl/fault_injection.h"

namespace pl::internal {

// 64-byte aligned, at least one byte; null when the allocation fails (or is made to fail).
std::shared_ptr<void> AlignedBuffer(size_t bytes, fault_injection::Site site);

// As AlignedBuffer, but throws std::bad_alloc: for code inside a kernel factory or a backend
// call whose boundary already turns exceptions into a Status.
std::shared_ptr<void> AlignedBufferOrThrow(size_t bytes, fault_injection::Site site);

}  // namespace pl::internal
