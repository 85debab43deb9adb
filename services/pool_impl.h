// PredictorPool's shared state (internal to services/). Held by shared_ptr so that leases may
// outlive the pool object. One mutex guards the slots, the queue and the worker hand-off: all
// three change together (a dispatch needs an idle worker and an idle slot at once), and the
// critical sections are a few pointer moves, never a Run().
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "services/predictor_pool.h"

namespace pl::services {

// Where a request's result goes: the promise behind Submit's future, or a callback.
struct Completion {
  std::promise<OutputsOr> promise;
  std::function<void(OutputsOr)> done;        // set: called instead of the promise
  std::function<void(const std::string&)> log;  // for an exception thrown by `done`
  void Deliver(OutputsOr result);
};

struct Request {
  std::vector<Tensor> inputs;  // model order
  int64_t rows = -1;           // dim 0; -1 = runs alone
  std::string key;             // batching key; "" = runs alone
  Clock::time_point enqueued;
  Clock::time_point deadline = Clock::time_point::max();
  Completion completion;
};
using RequestPtr = std::unique_ptr<Request>;

struct PredictorPool::Impl {
  enum class Slot { kIdle, kBusy, kPinned };
  struct Worker {
    std::thread thread;
    std::condition_variable cv;
    std::vector<RequestPtr> batch;  // assigned work; empty = idle
    int slot = -1;
  };

  Status Init(const Config& config, int size);
  void Log(const std::string& line) const;

  // --- leases (predictor_pool.cc) ---
  void ReleaseSlot(int index);
  int FindIdleSlotLocked() const;

  // --- async (pool_async.cc) ---
  void Submit(std::vector<Tensor> inputs, const RequestOptions& options, Completion completion);
  void Shutdown(ShutdownMode mode);
  void StartAsyncLocked();
  void DispatchLoop();
  void WorkerLoop(Worker* w);
  // Runs a batch on one predictor and fulfils every promise in it.
  void Execute(Predictor* p, std::vector<RequestPtr> batch);
  OutputsOr RunAlone(Predictor* p, const Request& r);
  // Moves requests whose deadline has passed out of `pending` into `out`.
  void TakeExpiredLocked(Clock::time_point now, std::vector<RequestPtr>* out);

  // Immutable after Init.
  Status init_status;
  PoolOptions options;
  CpuBudget budget;
  CpuPlan plan;
  std::vector<std::unique_ptr<Predictor>> predictors;
  std::vector<std::string> input_names;
  bool batching = false;
  int queue_capacity = 1;

  mutable std::mutex mu;
  std::condition_variable slot_cv;      // a slot became idle (Acquire, MemoryReport)
  std::condition_variable dispatch_cv;  // new request, idle worker or slot, shutdown
  std::condition_variable not_full_cv;  // queue space (blocked Submit)
  std::vector<Slot> slots;
  std::deque<RequestPtr> pending;
  std::vector<std::unique_ptr<Worker>> workers;
  std::thread dispatcher;
  bool async_started = false;
  bool stopping = false;
  bool workers_exit = false;
  bool batching_broken = false;  // the model's outputs did not split by rows: stop batching
  PoolStats stats;

  std::mutex join_mu;  // one Shutdown joins the threads; others wait for it
};

// Waits on `cv` until notified or `deadline` (max() = no timeout).
inline void WaitUntil(std::condition_variable& cv, std::unique_lock<std::mutex>& lk, Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) cv.wait(lk);
  else cv.wait_until(lk, deadline);
}

}  // namespace pl::services
