// Test-only fault injection: makes the Nth allocation of an SDK buffer fail, so tests can prove
// that every allocation failure becomes a Status (docs/robustness.md). Never use it in serving
// code. Thread-safety: the counter is atomic; arm and disarm from one test thread.
#pragma once
#include <cstdint>

namespace pl::fault_injection {

// Where a buffer is allocated: tensors (inputs, outputs, weights read from the model), the
// activation arena, kernel workspace, a backend's prepared weights, a pool's request queue.
enum class Site : int { kTensor = 0, kArena, kWorkspace, kWeights, kQueue, kCount };

// From now on, the `n`th allocation (1 = the next one) at any site fails; 0 disarms. Resets the
// counters.
void FailNthAllocation(int64_t n);
// Allocations counted since the last FailNthAllocation (all sites, or one site).
int64_t Allocations();
int64_t Allocations(Site site);
// True once the armed failure has happened.
bool Fired();

// Called by each allocation site: counts it and says whether it must fail.
bool ShouldFail(Site site);

}  // namespace pl::fault_injection
