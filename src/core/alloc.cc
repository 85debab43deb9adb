#include "src/core/alloc.h"

#include <atomic>
#include <cstdlib>
#include <new>

namespace pl {
namespace fault_injection {
namespace {
std::atomic<int64_t> g_fail_at{0};  // 0 = disarmed
std::atomic<int64_t> g_count{0};
std::atomic<int64_t> g_site_count[static_cast<int>(Site::kCount)];
std::atomic<bool> g_fired{false};
}  // namespace

void FailNthAllocation(int64_t n) {
  g_count = 0;
  for (auto& c : g_site_count) c = 0;
  g_fired = false;
  g_fail_at = n < 0 ? 0 : n;
}
int64_t Allocations() { return g_count.load(); }
int64_t Allocations(Site site) { return g_site_count[static_cast<int>(site)].load(); }
bool Fired() { return g_fired.load(); }

bool ShouldFail(Site site) {
  const int64_t at = g_fail_at.load(std::memory_order_relaxed);
  if (at == 0) return false;  // the normal path: one relaxed load
  g_site_count[static_cast<int>(site)].fetch_add(1, std::memory_order_relaxed);
  if (g_count.fetch_add(1) + 1 != at) return false;
  g_fired = true;
  return true;
}
}  // namespace fault_injection

namespace internal {

std::shared_ptr<void> AlignedBuffer(size_t bytes, fault_injection::Site site) {
  if (fault_injection::ShouldFail(site)) return nullptr;
  constexpr size_t kAlign = 64;
  if (bytes > SIZE_MAX - 2 * kAlign) return nullptr;
  const size_t rounded = bytes == 0 ? kAlign : (bytes + kAlign - 1) / kAlign * kAlign;
  void* p = std::aligned_alloc(kAlign, rounded);
  if (!p) return nullptr;
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

std::shared_ptr<void> AlignedBufferOrThrow(size_t bytes, fault_injection::Site site) {
  auto p = AlignedBuffer(bytes, site);
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace internal
}  // namespace pl
