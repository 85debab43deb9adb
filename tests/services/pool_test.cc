// PredictorPool: slot indexing, leases, the Submit queue (full, deadlines, shutdown), dynamic
// batching and the memory report.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <chrono>
#include <thread>

#include "services/predictor_pool.h"
#include "test_models.h"

namespace pl::services {
namespace {

using namespace std::chrono_literals;
using test_models::BitIdentical;
using test_models::ConfigFor;
using test_models::RandomTensor;

PoolOptions Quiet(PoolOptions o = {}) {
  o.log = [](const std::string&) {};
  if (o.usable_cpus == 0) o.usable_cpus = 64;  // keep CPU clamping out of tests that are not about it
  return o;
}

std::vector<Tensor> RunDirect(const std::string& model, const std::vector<Tensor>& inputs) {
  auto p = Predictor::Create(ConfigFor(model));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  Status s = (*p)->Run(inputs, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

template <typename F>
bool Ready(std::future<F>& f, std::chrono::milliseconds within = 10s) {
  return f.wait_for(within) == std::future_status::ready;
}

TEST(PredictorPool, BuildsClonesSharingOneModel) {
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 3, Quiet());
  ASSERT_TRUE(pool.status().ok()) << pool.status().ToString();
  EXPECT_EQ(pool.size(), 3);
  const void* id = pool.Retrieve(0).value()->model_id();
  for (int i = 1; i < 3; ++i) {
    auto p = pool.Retrieve(i);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ((*p)->model_id(), id);
    EXPECT_NE(*p, pool.Retrieve(0).value());
  }
}

TEST(PredictorPool, RetrieveOutOfRangeIsAnError) {
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 2, Quiet());
  ASSERT_TRUE(pool.status().ok());
  for (int bad : {-1, 2, 100}) {
    auto r = pool.Retrieve(bad);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("out of range"), std::string::npos) << r.status().message();
    EXPECT_FALSE(pool.Retrive(bad).ok());
  }
  EXPECT_TRUE(pool.Retrive(1).ok());
}

TEST(PredictorPool, BadSizeAndBadModelReportStatus) {
  PredictorPool zero(ConfigFor(test_models::ElementwiseModel()), 0, Quiet());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(zero.Retrieve(0).ok());
  EXPECT_FALSE(zero.Acquire(1ms).ok());
  auto f = zero.Submit({RandomTensor({1, 4}, 1)});
  ASSERT_TRUE(Ready(f));
  EXPECT_FALSE(f.get().ok());

  auto bad = PredictorPool::Create(ConfigFor("not an onnx model"), 2, Quiet());
  EXPECT_FALSE(bad.ok());
}

TEST(PredictorPool, AcquireTimesOutWhenExhausted) {
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 2, Quiet());
  auto a = pool.Acquire(100ms);
  auto b = pool.Acquire(100ms);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->index(), b->index());
  const auto t0 = Clock::now();
  auto c = pool.Acquire(30ms);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(c.status().message().find("pool exhausted"), std::string::npos) << c.status().message();
  EXPECT_GE(Clock::now() - t0, 30ms);

  // A release wakes a waiter.
  std::thread releaser([&] {
    std::this_thread::sleep_for(20ms);
    a->Release();
  });
  auto d = pool.Acquire(5s);
  releaser.join();
  ASSERT_TRUE(d.ok());
  std::vector<Tensor> out;
  EXPECT_TRUE((*d)->Run({RandomTensor({2, 3}, 1)}, &out).ok());
}

TEST(PredictorPool, PinnedSlotsAreNeverLeased) {
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 2, Quiet());
  ASSERT_TRUE(pool.Retrieve(0).ok());
  auto lease = pool.Acquire(10ms);
  ASSERT_TRUE(lease.ok());
  EXPECT_EQ(lease->index(), 1);
  // Slot 1 is leased: Retrieve refuses it rather than handing out a predictor in use.
  auto r = pool.Retrieve(1);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  lease->Release();
  ASSERT_TRUE(pool.Retrieve(1).ok());
  auto none = pool.Acquire(10ms);
  EXPECT_EQ(none.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(none.status().message().find("pinned"), std::string::npos);
}

TEST(PredictorPool, LeaseOutlivesPool) {
  auto pool = PredictorPool::Create(ConfigFor(test_models::ElementwiseModel()), 1, Quiet());
  ASSERT_TRUE(pool.ok());
  auto lease = (*pool)->Acquire(10ms);
  ASSERT_TRUE(lease.ok());
  pool->reset();
  std::vector<Tensor> out;
  EXPECT_TRUE((*lease)->Run({RandomTensor({1, 5}, 2)}, &out).ok());
}

TEST(PredictorPool, SubmitMatchesDirectRun) {
  const std::string model = test_models::ElementwiseModel();
  PredictorPool pool(ConfigFor(model), 2, Quiet());
  std::vector<std::vector<Tensor>> inputs;
  std::vector<std::future<OutputsOr>> futures;
  for (int i = 0; i < 20; ++i) {
    inputs.push_back({RandomTensor({1 + i % 3, 5 + i}, i)});
    futures.push_back(pool.Submit(inputs.back()));
  }
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(Ready(futures[i]));
    OutputsOr r = futures[i].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto want = RunDirect(model, inputs[i]);
    ASSERT_EQ(r->size(), 2u);
    EXPECT_TRUE(BitIdentical((*r)[0], want[0]));
    EXPECT_TRUE(BitIdentical((*r)[1], want[1]));
  }
  PoolStats st = pool.stats();
  EXPECT_EQ(st.submitted, 20u);
  EXPECT_EQ(st.completed, 20u);
  // Every request ran, so each contributed its run's wall time (Predictor::Run alone takes
  // microseconds).
  EXPECT_GT(st.compute_us, 0u);
}

TEST(PredictorPool, SubmitAcceptsNamedInputsInAnyOrder) {
  const std::string model = test_models::TwoInputModel();
  PredictorPool pool(ConfigFor(model), 1, Quiet());
  Tensor a = RandomTensor({2, 3}, 1), b = RandomTensor({2, 3}, 2);
  auto want = RunDirect(model, {a, b});
  Tensor na = a, nb = b;
  na.set_name("a");
  nb.set_name("b");
  auto f = pool.Submit({nb, na});
  ASSERT_TRUE(Ready(f));
  auto r = f.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(BitIdentical((*r)[0], want[0]));
}

TEST(PredictorPool, BadRequestFailsAloneAndPoolKeepsServing) {
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, Quiet());
  auto wrong_count = pool.Submit({RandomTensor({1, 2}, 1), RandomTensor({1, 2}, 2)});
  ASSERT_TRUE(Ready(wrong_count));
  EXPECT_EQ(wrong_count.get().status().code(), StatusCode::kInvalidArgument);
  auto wrong_type = pool.Submit({Tensor::FromVector<int64_t>({1, 2}, {1, 2}).value()});
  ASSERT_TRUE(Ready(wrong_type));
  auto r = wrong_type.get();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x"), std::string::npos) << r.status().message();
  auto good = pool.Submit({RandomTensor({1, 2}, 3)});
  ASSERT_TRUE(Ready(good));
  EXPECT_TRUE(good.get().ok());
}

TEST(PredictorPool, QueueFullRejectsWhenAsked) {
  PoolOptions o;
  o.queue_capacity = 3;
  o.queue_full = QueueFullPolicy::kReject;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, Quiet(o));
  // Holding the only predictor keeps every request queued, so the count is exact.
  auto lease = pool.Acquire(10ms);
  ASSERT_TRUE(lease.ok());
  std::vector<std::future<OutputsOr>> accepted;
  for (int i = 0; i < 3; ++i) accepted.push_back(pool.Submit({RandomTensor({1, 4}, i)}));
  auto rejected = pool.Submit({RandomTensor({1, 4}, 9)});
  ASSERT_TRUE(Ready(rejected, 1s));
  auto r = rejected.get();
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("queue full"), std::string::npos) << r.status().message();
  for (auto& f : accepted) EXPECT_FALSE(Ready(f, 0ms));
  lease->Release();
  for (auto& f : accepted) {
    ASSERT_TRUE(Ready(f));
    EXPECT_TRUE(f.get().ok());
  }
  EXPECT_EQ(pool.stats().rejected, 1u);
}

TEST(PredictorPool, QueueFullBlocksUntilSpaceOrDeadline) {
  PoolOptions o;
  o.queue_capacity = 1;
  o.queue_full = QueueFullPolicy::kBlock;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, Quiet(o));
  auto lease = pool.Acquire(10ms);
  auto first = pool.Submit({RandomTensor({1, 4}, 1)});
  // Blocks: the queue holds `first`; gives up at its deadline.
  const auto t0 = Clock::now();
  auto timed = pool.Submit({RandomTensor({1, 4}, 2)}, RequestOptions{Clock::now() + 30ms});
  EXPECT_GE(Clock::now() - t0, 30ms);
  ASSERT_TRUE(Ready(timed, 0ms));
  EXPECT_EQ(timed.get().status().code(), StatusCode::kDeadlineExceeded);
  // Blocks until the lease goes back and `first` leaves the queue.
  std::thread releaser([&] {
    std::this_thread::sleep_for(30ms);
    lease->Release();
  });
  auto second = pool.Submit({RandomTensor({1, 4}, 3)});
  releaser.join();
  ASSERT_TRUE(Ready(first));
  ASSERT_TRUE(Ready(second));
  EXPECT_TRUE(first.get().ok());
  EXPECT_TRUE(second.get().ok());
}

TEST(PredictorPool, DeadlineExpiresQueuedRequestOnTime) {
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, Quiet());
  auto lease = pool.Acquire(10ms);
  const auto t0 = Clock::now();
  auto f = pool.Submit({RandomTensor({1, 4}, 1)}, RequestOptions{Clock::now() + 40ms});
  auto g = pool.Submit({RandomTensor({1, 4}, 2)});  // no deadline
  // Expires while the only predictor is still leased: the dispatcher watches deadlines.
  ASSERT_TRUE(Ready(f, 5s));
  const auto waited = Clock::now() - t0;
  auto r = f.get();
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_GE(waited, 40ms);
  EXPECT_LT(waited, 2s);
  EXPECT_FALSE(Ready(g, 0ms));
  lease->Release();
  ASSERT_TRUE(Ready(g));
  EXPECT_TRUE(g.get().ok());
  EXPECT_EQ(pool.stats().expired, 1u);
  EXPECT_EQ(pool.stats().runs, 1u);  // the expired request never ran
}

TEST(PredictorPool, ShutdownDrainsEveryAcceptedRequest) {
  PoolOptions o;
  o.queue_capacity = 64;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel(8)), 2, Quiet(o));
  std::vector<std::future<OutputsOr>> fs;
  for (int i = 0; i < 40; ++i) fs.push_back(pool.Submit({RandomTensor({4, 2000}, i)}));
  pool.Shutdown(ShutdownMode::kDrain);
  for (auto& f : fs) {
    ASSERT_TRUE(Ready(f, 0ms));
    EXPECT_TRUE(f.get().ok());
  }
  auto late = pool.Submit({RandomTensor({1, 4}, 1)});
  ASSERT_TRUE(Ready(late, 0ms));
  EXPECT_EQ(late.get().status().code(), StatusCode::kUnavailable);
  pool.Shutdown();  // idempotent
}

TEST(PredictorPool, ShutdownCancelsPendingAndLosesNothing) {
  PoolOptions o;
  o.queue_capacity = 64;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel(8)), 1, Quiet(o));
  std::vector<std::future<OutputsOr>> fs;
  for (int i = 0; i < 40; ++i) fs.push_back(pool.Submit({RandomTensor({4, 2000}, i)}));
  pool.Shutdown(ShutdownMode::kCancelPending);
  int ok = 0, cancelled = 0;
  for (auto& f : fs) {
    ASSERT_TRUE(Ready(f, 0ms));
    auto r = f.get();
    if (r.ok()) ++ok;
    else if (r.status().code() == StatusCode::kCancelled) ++cancelled;
    else ADD_FAILURE() << r.status().ToString();
  }
  EXPECT_EQ(ok + cancelled, 40);
  PoolStats s = pool.stats();
  EXPECT_EQ(s.submitted, 40u);
  EXPECT_EQ(s.completed, static_cast<uint64_t>(ok));
  EXPECT_EQ(s.cancelled, static_cast<uint64_t>(cancelled));
}

TEST(PredictorPool, DestructorResolvesEveryFuture) {
  std::vector<std::future<OutputsOr>> fs;
  {
    PredictorPool pool(ConfigFor(test_models::ElementwiseModel(4)), 1, Quiet());
    for (int i = 0; i < 10; ++i) fs.push_back(pool.Submit({RandomTensor({2, 1000}, i)}));
  }
  for (auto& f : fs) {
    ASSERT_TRUE(Ready(f, 0ms));
    auto r = f.get();
    EXPECT_TRUE(r.ok() || r.status().code() == StatusCode::kCancelled) << r.status().ToString();
  }
}

TEST(PredictorPool, DynamicBatchingConcatenatesAndSplits) {
  const std::string model = test_models::ElementwiseModel();
  PoolOptions o;
  o.batching.max_batch = 8;
  o.batching.max_queue_delay = 200ms;
  o.queue_capacity = 16;
  PredictorPool pool(ConfigFor(model), 1, Quiet(o));
  ASSERT_TRUE(pool.batching_enabled());
  auto lease = pool.Acquire(10ms);  // requests pile up, then run as one batch
  const std::vector<int64_t> rows = {1, 2, 1, 3, 1};
  std::vector<std::vector<Tensor>> inputs;
  std::vector<std::future<OutputsOr>> fs;
  for (size_t i = 0; i < rows.size(); ++i) {
    inputs.push_back({RandomTensor({rows[i], 6}, 10 + i)});
    fs.push_back(pool.Submit(inputs.back()));
  }
  // A different width cannot join the batch.
  inputs.push_back({RandomTensor({2, 7}, 99)});
  fs.push_back(pool.Submit(inputs.back()));
  lease->Release();
  for (size_t i = 0; i < fs.size(); ++i) {
    ASSERT_TRUE(Ready(fs[i]));
    auto r = fs[i].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto want = RunDirect(model, inputs[i]);
    ASSERT_EQ(r->size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) EXPECT_TRUE(BitIdentical((*r)[k], want[k])) << "request " << i;
  }
  PoolStats s = pool.stats();
  EXPECT_EQ(s.batched_runs, 1u);
  EXPECT_EQ(s.max_batch_rows, 8);
  EXPECT_EQ(s.runs, 2u);
}

TEST(PredictorPool, DynamicBatchingOfStringTensors) {
  PoolOptions o;
  o.batching.max_batch = 8;
  o.batching.max_queue_delay = 200ms;
  o.queue_capacity = 16;
  PredictorPool pool(ConfigFor(test_models::StringModel()), 1, Quiet(o));
  ASSERT_TRUE(pool.status().ok()) << pool.status().ToString();
  ASSERT_TRUE(pool.batching_enabled());
  auto lease = pool.Acquire(10ms);  // requests pile up, then run as one batch
  const std::vector<int64_t> rows = {1, 2, 3};
  std::vector<std::vector<std::string>> values;
  std::vector<std::future<OutputsOr>> fs;
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<std::string> v;
    for (int64_t k = 0; k < rows[i]; ++k) {
      v.push_back("r" + std::to_string(i) + "_" + std::to_string(k));
      v.push_back(std::string(static_cast<size_t>(k) * 40, static_cast<char>('a' + i)));
    }
    values.push_back(v);
    fs.push_back(pool.Submit({Tensor::FromVector(Shape{rows[i], 2}, v, "s").value()}));
  }
  lease->Release();
  for (size_t i = 0; i < fs.size(); ++i) {
    ASSERT_TRUE(Ready(fs[i]));
    auto r = fs[i].get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->size(), 1u);
    const Tensor& dup = (*r)[0];
    ASSERT_EQ(dup.dtype(), DataType::kString);
    ASSERT_EQ(dup.shape(), (Shape{rows[i], 4}));
    for (int64_t k = 0; k < rows[i]; ++k)
      for (int64_t c = 0; c < 4; ++c)
        EXPECT_EQ(dup.Data<std::string>()[k * 4 + c], values[i][static_cast<size_t>(k * 2 + c % 2)]) << i << " " << k;
  }
  EXPECT_EQ(pool.stats().batched_runs, 1u);
}

TEST(PredictorPool, BatchingWaitsAtMostTheQueueDelay) {
  PoolOptions o;
  o.batching.max_batch = 64;
  o.batching.max_queue_delay = 20ms;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, Quiet(o));
  const auto t0 = Clock::now();
  auto f = pool.Submit({RandomTensor({1, 4}, 1)});
  ASSERT_TRUE(Ready(f, 5s));
  EXPECT_TRUE(f.get().ok());
  EXPECT_GE(Clock::now() - t0, 20ms);  // waited for company...
  EXPECT_LT(Clock::now() - t0, 2s);    // ...but not for long
}

TEST(PredictorPool, BatchingNeverDelaysPastADeadline) {
  PoolOptions o;
  o.batching.max_batch = 64;
  o.batching.max_queue_delay = 10s;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, Quiet(o));
  auto f = pool.Submit({RandomTensor({1, 4}, 1)}, RequestOptions{Clock::now() + 2s});
  ASSERT_TRUE(Ready(f, 1s));
  EXPECT_TRUE(f.get().ok());
}

TEST(PredictorPool, BatchingOffForFixedBatchDim) {
  std::string logged;
  PoolOptions o = Quiet();
  o.batching.max_batch = 8;
  o.log = [&](const std::string& l) { logged += l; };
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel(1, {"1", "L"})), 1, o);
  ASSERT_TRUE(pool.status().ok());
  EXPECT_FALSE(pool.batching_enabled());
  EXPECT_NE(logged.find("fixes dim 0"), std::string::npos) << logged;
}

// Results handed to completion callbacks: each called exactly once, from a pool thread.
struct Callbacks {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<OutputsOr> results;
  std::vector<int> calls;
  std::vector<std::thread::id> threads;
  explicit Callbacks(size_t n) : results(n, Status::Internal("not called")), calls(n, 0), threads(n) {}
  std::function<void(OutputsOr)> For(size_t i) {
    return [this, i](OutputsOr r) {
      std::lock_guard<std::mutex> lk(mu);
      results[i] = std::move(r);
      ++calls[i];
      threads[i] = std::this_thread::get_id();
      cv.notify_all();
    };
  }
  bool WaitAll(std::chrono::milliseconds within = 10s) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, within, [&] { return std::all_of(calls.begin(), calls.end(), [](int c) { return c > 0; }); });
  }
};

TEST(PredictorPool, SubmitWithCallbackBatchesAndMatchesDirectRun) {
  const std::string model = test_models::ElementwiseModel();
  PoolOptions o;
  o.batching.max_batch = 8;
  o.batching.max_queue_delay = 200ms;
  o.queue_capacity = 16;
  PredictorPool pool(ConfigFor(model), 1, Quiet(o));
  auto lease = pool.Acquire(10ms);  // the requests pile up, then run as one batch
  const std::vector<int64_t> rows = {1, 2, 1, 3};
  std::vector<std::vector<Tensor>> inputs;
  Callbacks cb(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    inputs.push_back({RandomTensor({rows[i], 6}, 30 + i)});
    pool.Submit(inputs.back(), {}, cb.For(i));
  }
  {
    std::lock_guard<std::mutex> lk(cb.mu);
    for (int c : cb.calls) EXPECT_EQ(c, 0) << "called before its request could run";
  }
  lease->Release();
  ASSERT_TRUE(cb.WaitAll());
  pool.Shutdown();
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(cb.calls[i], 1);
    EXPECT_NE(cb.threads[i], std::this_thread::get_id());
    ASSERT_TRUE(cb.results[i].ok()) << cb.results[i].status().ToString();
    auto want = RunDirect(model, inputs[i]);
    for (size_t k = 0; k < want.size(); ++k) EXPECT_TRUE(BitIdentical((*cb.results[i])[k], want[k])) << "request " << i;
  }
  EXPECT_EQ(pool.stats().batched_runs, 1u);
}

TEST(PredictorPool, CallbackRefusalsAreDeliveredBeforeSubmitReturns) {
  PoolOptions o;
  o.queue_capacity = 1;
  o.queue_full = QueueFullPolicy::kReject;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, Quiet(o));
  auto lease = pool.Acquire(10ms);
  Callbacks cb(3);
  pool.Submit({RandomTensor({1, 4}, 1)}, {}, cb.For(0));                        // queued
  pool.Submit({RandomTensor({1, 4}, 2)}, {}, cb.For(1));                        // queue full
  pool.Submit({RandomTensor({1, 4}, 3), RandomTensor({1, 4}, 4)}, {}, cb.For(2));  // two inputs for one
  {
    std::lock_guard<std::mutex> lk(cb.mu);
    EXPECT_EQ(cb.calls[0], 0);
    ASSERT_EQ(cb.calls[1], 1);
    EXPECT_EQ(cb.threads[1], std::this_thread::get_id());
    EXPECT_EQ(cb.results[1].status().code(), StatusCode::kResourceExhausted) << cb.results[1].status().ToString();
    ASSERT_EQ(cb.calls[2], 1);
    EXPECT_EQ(cb.results[2].status().code(), StatusCode::kInvalidArgument) << cb.results[2].status().ToString();
  }
  lease->Release();
  ASSERT_TRUE(cb.WaitAll());
  EXPECT_TRUE(cb.results[0].ok()) << cb.results[0].status().ToString();
}

TEST(PredictorPool, CallbackThatThrowsIsLoggedAndThePoolKeepsServing) {
  std::mutex mu;
  std::vector<std::string> logs;
  PoolOptions o = Quiet();
  o.log = [&](const std::string& l) { std::lock_guard<std::mutex> lk(mu); logs.push_back(l); };
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel()), 1, o);
  std::atomic<int> threw{0};
  pool.Submit({RandomTensor({1, 4}, 1)}, {}, [&](OutputsOr) { ++threw; throw std::runtime_error("user bug"); });
  auto f = pool.Submit({RandomTensor({1, 4}, 2)});
  ASSERT_TRUE(Ready(f));
  EXPECT_TRUE(f.get().ok());
  EXPECT_EQ(threw.load(), 1);
  std::lock_guard<std::mutex> lk(mu);
  EXPECT_TRUE(std::any_of(logs.begin(), logs.end(), [](const std::string& l) {
    return l.find("completion callback threw: user bug") != std::string::npos;
  })) << "no log line";
}

TEST(PredictorPool, ShutdownCancelDeliversEveryCallbackOnce) {
  PoolOptions o;
  o.queue_capacity = 64;
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel(8)), 1, Quiet(o));
  Callbacks cb(40);
  for (size_t i = 0; i < 40; ++i) pool.Submit({RandomTensor({4, 2000}, static_cast<int>(i))}, {}, cb.For(i));
  pool.Shutdown(ShutdownMode::kCancelPending);
  ASSERT_TRUE(cb.WaitAll(0ms));
  int ok = 0, cancelled = 0;
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_EQ(cb.calls[i], 1);
    if (cb.results[i].ok()) ++ok;
    else if (cb.results[i].status().code() == StatusCode::kCancelled) ++cancelled;
    else ADD_FAILURE() << cb.results[i].status().ToString();
  }
  EXPECT_EQ(ok + cancelled, 40);
  EXPECT_EQ(pool.stats().completed, static_cast<uint64_t>(ok));
}

TEST(PredictorPool, CpuBudgetClampsIntraOpThreads) {
  std::string logged;
  PoolOptions o;
  o.usable_cpus = 2;
  o.log = [&](const std::string& l) { logged += l + "\n"; };
  Config c = ConfigFor(test_models::ElementwiseModel());
  c.SetIntraOpThreads(4);
  PredictorPool pool(c, 4, o);
  ASSERT_TRUE(pool.status().ok());
  EXPECT_TRUE(pool.cpu_plan().clamped);
  EXPECT_EQ(pool.cpu_plan().intra_op_threads, 1);
  EXPECT_EQ(pool.cpu_plan().async_workers, 2);
  EXPECT_EQ(pool.Retrieve(3).value()->config().intra_op_threads(), 1);
  EXPECT_NE(logged.find("clamped"), std::string::npos) << logged;

  logged.clear();
  o.cpu_policy = CpuPolicy::kAllowOversubscription;
  PredictorPool insist(c, 4, o);
  EXPECT_FALSE(insist.cpu_plan().clamped);
  EXPECT_TRUE(insist.cpu_plan().oversubscribed);
  EXPECT_EQ(insist.Retrieve(0).value()->config().intra_op_threads(), 4);
  EXPECT_NE(logged.find("oversubscribed"), std::string::npos) << logged;
}

TEST(PredictorPool, MemoryReportSeparatesSharedAndPrivate) {
  PredictorPool pool(ConfigFor(test_models::ElementwiseModel(2)), 3, Quiet());
  {
    std::vector<PredictorPool::Lease> leases;  // held together, so each slot runs
    for (int i = 0; i < 3; ++i) leases.push_back(std::move(pool.Acquire(1s).value()));
    for (auto& lease : leases) {
      std::vector<Tensor> out;
      // The first run records sizes, the second runs in the planned arena.
      for (int k = 0; k < 2; ++k) ASSERT_TRUE(lease->Run({RandomTensor({8, 256}, k)}, &out).ok());
    }
  }
  PoolMemoryReport r = pool.MemoryReport();
  ASSERT_EQ(r.predictors.size(), 3u);
  EXPECT_GT(r.shared_bytes, 0u);
  EXPECT_GT(r.private_bytes_max, 0u);
  EXPECT_EQ(r.total_bytes(), r.shared_bytes + r.private_bytes_total);
  const std::string text = r.ToString();
  EXPECT_NE(text.find("shared once"), std::string::npos) << text;
  EXPECT_NE(text.find("one more predictor costs"), std::string::npos) << text;
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
  EXPECT_EQ(FormatBytes(100), "100 B");
}

}  // namespace
}  // namespace pl::services
