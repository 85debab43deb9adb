// The memory planner: places buffers with known sizes and lifetimes in one arena so that
// buffers whose lifetimes do not overlap share memory (greedy by size, best fit; the
// approach of TFLite's greedy planner). Standalone: no dependency on the graph or tensors.
#pragma once

#include <cstddef>
#include <vector>

namespace pl::plan {

struct BufferRequest {
  size_t bytes = 0;
  int first_step = 0;  // step that writes the buffer
  int last_step = 0;   // last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request, aligned
  size_t arena_bytes = 0;
};

// Deterministic; O(n^2) in the number of requests, which is fine for graphs of thousands of nodes.
MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests, size_t alignment = 64);

// True if no two requests that are live at the same step overlap in the arena (for tests).
bool PlanIsValid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan);

}  // namespace pl::plan
