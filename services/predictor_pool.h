// PredictorPool: n predictors over one compiled model (one Create + n-1 Clone), shared three ways:
//
//   pl::services::PredictorPool pool(config, 4);          // or PredictorPool::Create(...)
//   // 1. one slot per caller thread (Paddle's pattern):
//   pl::Predictor* p = pool.Retrieve(thread_index).value();
//   // 2. a lease of any idle predictor, for callers without a thread index:
//   auto lease = pool.Acquire(std::chrono::milliseconds(50));   // ResourceExhausted on timeout
//   if (lease.ok()) (*lease)->Run(inputs, &outputs);
//   // 3. asynchronous requests, served by worker threads through a bounded queue, with optional
//   //    dynamic batching and per-request deadlines:
//   auto future = pool.Submit({x});  StatusOr<std::vector<Tensor>> y = future.get();
//   pool.Submit({x}, {}, [](StatusOr<std::vector<Tensor>> y) { ... });  // or a completion callback
//
// The pool also sizes threads against the CPUs this process may use (affinity mask and cgroup
// quota) and reports what the shared model and each predictor cost in memory.
//
// Thread-safety: every method may be called from any thread. A predictor returned by Retrieve(i)
// is "pinned" to its caller: use slot i from one thread at a time, and the pool never hands it
// to Acquire() or Submit(). Leases keep the pool's predictors alive even past the pool itself.
// Errors: Status, never exceptions; a pool that failed to build reports its status() from every
// call.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "pl/config.h"
#include "pl/predictor.h"
#include "pl/status.h"
#include "pl/tensor.h"
#include "services/cpu_budget.h"

namespace pl::services {

using Clock = std::chrono::steady_clock;

enum class QueueFullPolicy {
  kBlock,   // Submit waits for space (until the request's deadline, if it has one)
  kReject,  // Submit returns at once; the future holds ResourceExhausted("queue full ...")
};

// Dynamic batching: requests whose inputs agree in dtype and in every dim but the first are
// concatenated along dim 0, run once, and the outputs split back by rows. Only for models whose
// rows are independent (true of nearly every inference graph) and whose inputs have a dynamic
// dim 0; the pool checks the latter and turns batching off with a logged reason otherwise.
struct BatchingOptions {
  int max_batch = 0;  // rows per run (sum of the requests' dim 0); 0 or 1 = off
  // How long the oldest waiting request may wait for company before its batch runs anyway.
  std::chrono::microseconds max_queue_delay{2000};
};

struct PoolOptions {
  int queue_capacity = 0;  // Submit() requests that may wait; 0 = 4 x pool size
  QueueFullPolicy queue_full = QueueFullPolicy::kBlock;
  BatchingOptions batching;
  CpuPolicy cpu_policy = CpuPolicy::kClamp;
  int usable_cpus = 0;  // 0 = detect (affinity + cgroup quota); > 0 overrides the detection
  // Device backends (CUDA): predictor i runs on device_ids[i % n] (Config::SetDeviceId). Each
  // device gets one compiled model (its weights uploaded once) and the clones of it; every
  // predictor has its own stream. Empty = every predictor on the config's device id.
  std::vector<int> device_ids;
  // Receives the pool's few log lines (CPU clamping, batching turned off). Null = stderr.
  std::function<void(const std::string&)> log;
};

struct RequestOptions {
  // A request not started by its deadline completes with DeadlineExceeded and is never run.
  // A Submit blocked on a full queue also gives up at the deadline. A request already running
  // when its deadline passes finishes and returns its result.
  Clock::time_point deadline = Clock::time_point::max();
};

enum class ShutdownMode {
  kDrain,          // run every accepted request, then stop
  kCancelPending,  // requests not yet started complete with Cancelled; running ones finish
};

using OutputsOr = StatusOr<std::vector<Tensor>>;

// Memory of the pool: what every predictor shares once and what each one adds.
struct PoolMemoryReport {
  size_t shared_bytes = 0;              // weights + prepared kernels, counted once
  std::vector<MemoryStats> predictors;  // per slot (shared_bytes repeated in each)
  std::vector<bool> measured;           // false: the slot stayed leased past the wait
  size_t private_bytes_total = 0;       // sum over measured slots
  size_t private_bytes_max = 0;         // the costliest predictor: what one more may cost
  size_t total_bytes() const { return shared_bytes + private_bytes_total; }
  // A few lines: shared, per predictor (arena / workspace / io), the cost of one more.
  std::string ToString() const;
};

// "1.5 KiB", "23.4 MiB".
std::string FormatBytes(size_t bytes);

// Counters since the pool was built.
struct PoolStats {
  uint64_t submitted = 0;   // accepted by Submit
  uint64_t rejected = 0;    // queue full (kReject) or pool shut down
  uint64_t completed = 0;   // ran, OK or not
  uint64_t expired = 0;     // DeadlineExceeded before running
  uint64_t cancelled = 0;   // Cancelled by Shutdown(kCancelPending)
  uint64_t runs = 0;        // Predictor::Run calls made by the workers
  uint64_t batched_runs = 0;  // runs that served more than one request
  int64_t max_batch_rows = 0;  // the largest batch run
  // Summed over the requests that ran (completed - expired ones): time from Submit to the start of
  // their run, and the wall time of the run that served them (a batched run counts once per
  // request it served, as Triton's compute duration does).
  uint64_t queue_us = 0;
  uint64_t compute_us = 0;
};

class PredictorPool {
  struct Impl;

 public:
  // An idle predictor, returned to the pool on destruction or Release(). Move-only.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& o) noexcept { *this = std::move(o); }
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { Release(); }

    Predictor* get() const { return predictor_; }
    Predictor* operator->() const { return predictor_; }
    Predictor& operator*() const { return *predictor_; }
    int index() const { return index_; }
    explicit operator bool() const { return predictor_ != nullptr; }
    void Release();

   private:
    friend class PredictorPool;
    Lease(std::shared_ptr<Impl> impl, int index, Predictor* p)
        : impl_(std::move(impl)), index_(index), predictor_(p) {}
    std::shared_ptr<Impl> impl_;
    int index_ = -1;
    Predictor* predictor_ = nullptr;
  };

  // Builds `size` predictors (one Create, size-1 Clone). Check status() afterwards, or use Create.
  PredictorPool(const Config& config, int size, PoolOptions options = {});
  static StatusOr<std::unique_ptr<PredictorPool>> Create(const Config& config, int size,
                                                         PoolOptions options = {});
  // Shutdown(kCancelPending): every accepted request still gets a result or Cancelled.
  ~PredictorPool();
  PredictorPool(const PredictorPool&) = delete;
  PredictorPool& operator=(const PredictorPool&) = delete;

  const Status& status() const;
  int size() const;

  // Slot `index` for the calling thread (pinned, see above). Errors: index out of [0, size)
  // (InvalidArgument), the slot is leased right now (ResourceExhausted), pool failed to build.
  StatusOr<Predictor*> Retrieve(int index);
  // Paddle Inference's spelling.
  StatusOr<Predictor*> Retrive(int index) { return Retrieve(index); }

  // Waits until a predictor that is not pinned is idle; ResourceExhausted ("pool exhausted")
  // when the deadline passes first, or at once when every slot is pinned by Retrieve().
  StatusOr<Lease> Acquire(Clock::time_point deadline);
  StatusOr<Lease> Acquire(std::chrono::milliseconds timeout) { return Acquire(Clock::now() + timeout); }

  // Queues a request (inputs in model order, or all named after the model's inputs). The future
  // always becomes ready: outputs in model order, or the error (InvalidArgument for bad inputs,
  // ResourceExhausted "queue full", DeadlineExceeded, Cancelled, Unavailable after Shutdown).
  // Tensors that are views (Tensor::Wrap) must stay valid until the future is ready.
  std::future<OutputsOr> Submit(std::vector<Tensor> inputs, RequestOptions options = {});
  // The same request with its result handed to `done` instead of a future: called exactly once,
  // on a pool worker thread (or on this thread, before Submit returns, when the request is
  // refused at once). Servers built on completion callbacks (gRPC's callback API) use it so that
  // no thread blocks per request. `done` must not block for long (it holds up a predictor's
  // worker); an exception it throws is caught and logged. Under QueueFullPolicy::kBlock, Submit
  // still waits for queue space on the calling thread.
  void Submit(std::vector<Tensor> inputs, RequestOptions options, std::function<void(OutputsOr)> done);

  // Stops accepting requests and joins the workers; see ShutdownMode. Idempotent; a later
  // kCancelPending call cancels what a draining one has not started yet.
  void Shutdown(ShutdownMode mode = ShutdownMode::kDrain);

  // Measures every predictor. Leased slots are waited for (up to `wait` each); pinned slots are
  // read as they are, so call it while their threads are not inside Run().
  PoolMemoryReport MemoryReport(std::chrono::milliseconds wait = std::chrono::milliseconds(1000));

  const CpuBudget& cpu_budget() const;
  const CpuPlan& cpu_plan() const;
  // True when Submit() batches requests (requested, and the model's inputs allow it).
  bool batching_enabled() const;
  PoolStats stats() const;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace pl::services
