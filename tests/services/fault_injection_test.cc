// Fault injection (pl/fault_injection.h): the Nth allocation of an SDK buffer fails, for every N
// an operation makes. Each failure must be a Status (OutOfMemory), leak nothing (the ASan build
// runs this under LeakSanitizer), leave the predictor usable or reporting itself poisoned, leave
// other clones untouched, and a pool must answer every request it accepted.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "pl/fault_injection.h"
#include "pl/pl.h"
#include "services/predictor_pool.h"
#include "tests/services/test_models.h"

namespace pl {
namespace {

namespace fi = fault_injection;

struct Disarm {
  ~Disarm() { fi::FailNthAllocation(0); }
};

Config CnnConfig(std::vector<std::string> backends = {}) {
  Config c;
  c.SetModelBuffer(test_models::SmallCnnModel());
  if (!backends.empty()) c.SetBackends(std::move(backends));
  return c;
}

std::vector<Tensor> CnnInputs(int64_t n = 2, int64_t hw = 9) {
  std::vector<float> v(n * 3 * hw * hw);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i % 17) * 0.1f - 0.8f;
  Tensor x = Tensor::FromVector<float>({n, 3, hw, hw}, v).value();
  x.set_name("x");
  return {x};
}

void ExpectSame(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].shape(), b[i].shape());
    ASSERT_EQ(a[i].ByteSize(), b[i].ByteSize());
    EXPECT_EQ(0, std::memcmp(a[i].RawData(), b[i].RawData(), a[i].ByteSize())) << "output " << i;
  }
}

// A failed allocation reports OutOfMemory; some code paths may also surface as ResourceExhausted.
void ExpectAllocationStatus(const Status& s, int64_t n) {
  EXPECT_TRUE(s.code() == StatusCode::kOutOfMemory || s.code() == StatusCode::kResourceExhausted)
      << "allocation " << n << ": " << s.ToString();
  EXPECT_FALSE(s.message().empty());
}

class FaultInjection : public ::testing::TestWithParam<std::vector<std::string>> {};

// Load: for every allocation the load makes, a load where that one fails.
TEST_P(FaultInjection, EveryAllocationOfLoadAndFirstRun) {
  Disarm disarm;
  const Config c = CnnConfig(GetParam());
  auto good = CreatePredictor(c);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  std::vector<Tensor> ref;
  ASSERT_TRUE((*good)->Run(CnnInputs(), &ref).ok());

  const std::vector<Tensor> in = CnnInputs();  // built before arming: only the SDK may fail
  int64_t n = 1, failed_loads = 0, failed_runs = 0;
  for (;; ++n) {
    fi::FailNthAllocation(n);
    auto p = CreatePredictor(c);
    std::vector<Tensor> out;
    Status run = p.ok() ? (*p)->Run(in, &out) : Status::Ok();
    const bool fired = fi::Fired();
    fi::FailNthAllocation(0);
    if (!fired) break;  // n is past the last allocation of load + first run
    if (!p.ok()) {
      ++failed_loads;
      ExpectAllocationStatus(p.status(), n);
      continue;
    }
    if (!run.ok()) {
      ++failed_runs;
      ExpectAllocationStatus(run, n);
    } else {
      ExpectSame(out, ref);  // the failure was absorbed (an optional prepared form was skipped)
    }
    // Usable afterwards (or poisoned, saying so).
    Status again = (*p)->Run(in, &out);
    if (again.code() == StatusCode::kUnavailable) continue;
    ASSERT_TRUE(again.ok()) << "after allocation " << n << " failed: " << again.ToString();
    ExpectSame(out, ref);
  }
  EXPECT_GT(n, 10) << "the sweep saw too few allocations to mean anything";
  EXPECT_GT(failed_loads, 0);
  EXPECT_GT(failed_runs, 0);
  std::printf("load + first run: %lld allocations, %lld failed loads, %lld failed runs\n",
              static_cast<long long>(n - 1), static_cast<long long>(failed_loads), static_cast<long long>(failed_runs));
}

// Clone + Run: a fresh clone's first runs (arena, workspace, outputs, a second shape) fail at
// every allocation in turn; the original predictor and an older clone are untouched.
TEST_P(FaultInjection, CloneAndRunLeaveOtherClonesUntouched) {
  Disarm disarm;
  auto p = CreatePredictor(CnnConfig(GetParam()));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto older = (*p)->Clone();
  ASSERT_TRUE(older.ok());
  std::vector<Tensor> ref_a, ref_b;
  ASSERT_TRUE((*p)->Run(CnnInputs(2, 9), &ref_a).ok());
  ASSERT_TRUE((*p)->Run(CnnInputs(1, 13), &ref_b).ok());
  const std::vector<Tensor> in_a = CnnInputs(2, 9), in_b = CnnInputs(1, 13);
  int64_t n = 1;
  for (;; ++n) {
    fi::FailNthAllocation(n);
    auto q = (*p)->Clone();
    std::vector<Tensor> a, b;
    Status sa = q.ok() ? (*q)->Run(in_a, &a) : q.status();
    Status sb = q.ok() ? (*q)->Run(in_b, &b) : q.status();
    const bool fired = fi::Fired();
    fi::FailNthAllocation(0);
    if (!fired) break;
    if (!q.ok()) {
      ExpectAllocationStatus(q.status(), n);
      continue;
    }
    if (!sa.ok()) ExpectAllocationStatus(sa, n);
    if (!sb.ok()) ExpectAllocationStatus(sb, n);
    ASSERT_TRUE((*q)->Run(in_a, &a).ok()) << "clone unusable after allocation " << n << " failed";
    ExpectSame(a, ref_a);
    std::vector<Tensor> o;
    ASSERT_TRUE((*older)->Run(in_b, &o).ok());
    ExpectSame(o, ref_b);
    ASSERT_TRUE((*p)->Run(in_a, &o).ok());
    ExpectSame(o, ref_a);
  }
  EXPECT_GT(n, 3);
}

// Pool: the Nth allocation fails somewhere in building a pool (one Create, one Clone) and a burst
// of Submits of two shapes (queue, arena and outputs of each worker's first runs). Creating the
// pool fails with a Status, or every future is answered, in time, with the right outputs or a
// Status; then the same pool serves normally.
TEST_P(FaultInjection, PoolAnswersEveryAcceptedRequest) {
  Disarm disarm;
  services::PoolOptions po;
  po.queue_capacity = 16;
  const Config c = CnnConfig(GetParam());
  std::vector<Tensor> ref_a, ref_b;
  {
    auto p = CreatePredictor(c);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    ASSERT_TRUE((*p)->Run(CnnInputs(2, 9), &ref_a).ok());
    ASSERT_TRUE((*p)->Run(CnnInputs(1, 13), &ref_b).ok());
  }
  const std::vector<Tensor> in_a = CnnInputs(2, 9), in_b = CnnInputs(1, 13);
  int64_t n = 1, queue_allocations = 0, failed_requests = 0, failed_creates = 0;
  for (;; ++n) {
    fi::FailNthAllocation(n);
    auto pool = services::PredictorPool::Create(c, 2, po);
    int failed = 0;
    if (pool.ok()) {
      std::vector<std::future<services::OutputsOr>> futures;
      for (int i = 0; i < 6; ++i) futures.push_back((*pool)->Submit(i % 2 ? in_b : in_a));
      for (int i = 0; i < 6; ++i) {
        ASSERT_EQ(futures[i].wait_for(std::chrono::seconds(60)), std::future_status::ready) << "request never answered";
        auto r = futures[i].get();
        if (r.ok()) ExpectSame(*r, i % 2 ? ref_b : ref_a);
        else { ++failed; ExpectAllocationStatus(r.status(), n); }
      }
    } else {
      ++failed_creates;
      ExpectAllocationStatus(pool.status(), n);
    }
    const bool fired = fi::Fired();
    queue_allocations += fi::Allocations(fi::Site::kQueue);
    fi::FailNthAllocation(0);
    if (!fired) break;
    failed_requests += failed;
    EXPECT_LE(failed, 1) << "one failed allocation failed " << failed << " requests";
    if (!pool.ok()) continue;
    for (int i = 0; i < 4; ++i) {  // both workers, both shapes
      auto r = (*pool)->Submit(i % 2 ? in_b : in_a).get();
      ASSERT_TRUE(r.ok()) << "pool unusable after allocation " << n << " failed: " << r.status().ToString();
      ExpectSame(*r, i % 2 ? ref_b : ref_a);
    }
  }
  EXPECT_GT(queue_allocations, 0) << "the sweep never reached the queue";
  EXPECT_GT(failed_requests, 0) << "no injected failure reached a request";
  EXPECT_GT(failed_creates, 0) << "no injected failure reached the pool's load or clone";
  std::printf("pool create + burst of 6: %lld allocations, %lld failed creates, %lld failed requests\n",
              static_cast<long long>(n - 1), static_cast<long long>(failed_creates),
              static_cast<long long>(failed_requests));
}

INSTANTIATE_TEST_SUITE_P(Backends, FaultInjection,
                         ::testing::Values(std::vector<std::string>{}, std::vector<std::string>{kBackendCpuRef}),
                         [](const auto& info) { return info.param.empty() ? std::string("default") : info.param[0]; });

// The hook counts each site: the sweeps above reach tensors, the arena and prepared weights.
TEST(FaultInjectionHook, CountsSites) {
  Disarm disarm;
  fi::FailNthAllocation(1 << 30);  // armed far away: counts, never fires
  const std::vector<Tensor> in = CnnInputs();
  auto p = CreatePredictor(CnnConfig());
  ASSERT_TRUE(p.ok());
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run(in, &out).ok());
  ASSERT_TRUE((*p)->Run(in, &out).ok());
  EXPECT_FALSE(fi::Fired());
  EXPECT_GT(fi::Allocations(fi::Site::kTensor), 0);
  EXPECT_GT(fi::Allocations(fi::Site::kArena), 0);
#ifdef PL_WITH_ONEDNN
  EXPECT_GT(fi::Allocations(fi::Site::kWeights), 0);
#endif
}

}  // namespace
}  // namespace pl
