#include "src/plan/memory_planner.h"

#include <algorithm>
#include <cstdint>
#include <numeric>

namespace pl::plan {

static size_t AlignUp(size_t v, size_t a) { return (v + a - 1) / a * a; }

MemoryPlan PlanMemory(const std::vector<BufferRequest>& requests, size_t alignment) {
  const size_t n = requests.size();
  MemoryPlan plan;
  plan.offsets.assign(n, 0);
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return requests[a].bytes > requests[b].bytes;
  });
  struct Placed { size_t offset, bytes; int first, last; };
  std::vector<Placed> placed;
  placed.reserve(n);
  for (size_t idx : order) {
    const BufferRequest& r = requests[idx];
    const size_t need = AlignUp(std::max<size_t>(r.bytes, 1), alignment);
    // Live-overlapping buffers, sorted by offset; find the smallest gap that fits.
    std::vector<const Placed*> live;
    for (const auto& p : placed)
      if (p.first <= r.last_step && r.first_step <= p.last) live.push_back(&p);
    std::sort(live.begin(), live.end(), [](const Placed* a, const Placed* b) { return a->offset < b->offset; });
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, cursor = 0;
    for (const Placed* p : live) {
      if (p->offset >= cursor) {
        size_t gap = p->offset - cursor;
        if (gap >= need && gap < best_gap) { best = cursor; best_gap = gap; }
      }
      cursor = std::max(cursor, p->offset + p->bytes);
    }
    if (best == SIZE_MAX) best = cursor;
    plan.offsets[idx] = best;
    placed.push_back({best, need, r.first_step, r.last_step});
    plan.arena_bytes = std::max(plan.arena_bytes, best + need);
  }
  return plan;
}

bool PlanIsValid(const std::vector<BufferRequest>& requests, const MemoryPlan& plan) {
  if (plan.offsets.size() != requests.size()) return false;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (plan.offsets[i] + requests[i].bytes > plan.arena_bytes) return false;
    for (size_t j = i + 1; j < requests.size(); ++j) {
      bool time = requests[i].first_step <= requests[j].last_step && requests[j].first_step <= requests[i].last_step;
      bool space = plan.offsets[i] < plan.offsets[j] + requests[j].bytes &&
                   plan.offsets[j] < plan.offsets[i] + requests[i].bytes;
      if (time && space && requests[i].bytes && requests[j].bytes) return false;
    }
  }
  return true;
}

}  // namespace pl::plan
