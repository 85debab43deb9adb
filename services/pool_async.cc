// PredictorPool::Submit: a bounded queue, one dispatcher thread that forms batches and expires
// deadlines, and worker threads that run them. The dispatcher owns every decision (what runs
// together, on which predictor, when a deadline is due), so workers only run and deliver, and a
// request's deadline is honoured even while every worker is busy.
#include <pthread.h>

#include <algorithm>
#include <cstdio>

#include "pl/fault_injection.h"
#include "services/batching.h"
#include "services/pool_impl.h"

namespace pl::services {
namespace {

double MsSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string Ms(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f ms", ms);
  return buf;
}

}  // namespace

void Completion::Deliver(OutputsOr result) {
  if (!done) return promise.set_value(std::move(result));
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    if (log) log(std::string("Submit: the completion callback threw: ") + e.what());
  } catch (...) {
    if (log) log("Submit: the completion callback threw");
  }
}

void PredictorPool::Impl::Submit(std::vector<Tensor> inputs, const RequestOptions& ro, Completion completion) {
  auto fail = [&](Status s) { completion.Deliver(std::move(s)); };
  if (!init_status.ok()) return fail(init_status);
  auto normalized = batching::NormalizeInputs(input_names, std::move(inputs));
  if (!normalized.ok()) return fail(normalized.status().WithContext("Submit"));
  if (fault_injection::ShouldFail(fault_injection::Site::kQueue))
    return fail(Status::OutOfMemory("Submit: cannot allocate the request"));
  auto req = std::make_unique<Request>();
  req->inputs = std::move(normalized).value();
  if (batching) {
    batching::BatchKey k = batching::KeyOf(req->inputs);
    req->rows = k.rows;
    req->key = std::move(k.key);
  }
  req->deadline = ro.deadline;
  {
    std::unique_lock<std::mutex> lk(mu);
    bool any_unpinned = false;
    for (Slot s : slots) any_unpinned |= s != Slot::kPinned;
    if (stopping || !any_unpinned) {
      ++stats.rejected;
      lk.unlock();
      return fail(stopping ? Status::Unavailable("Submit: the pool is shut down")
                           : Status::ResourceExhausted("Submit: every predictor is pinned by Retrieve()"));
    }
    if (!async_started) StartAsyncLocked();
    while (pending.size() >= static_cast<size_t>(queue_capacity)) {
      Status why;
      if (options.queue_full == QueueFullPolicy::kReject) {
        why = Status::ResourceExhausted("queue full: " + std::to_string(pending.size()) +
                                        " requests waiting (PoolOptions::queue_capacity); retry later or use "
                                        "QueueFullPolicy::kBlock");
      } else if (Clock::now() >= req->deadline) {
        why = Status::DeadlineExceeded("Submit: deadline passed while waiting for queue space");
      } else if (stopping) {
        why = Status::Unavailable("Submit: the pool was shut down while waiting for queue space");
      }
      if (!why.ok()) {
        ++stats.rejected;
        lk.unlock();
        return fail(std::move(why));
      }
      WaitUntil(not_full_cv, lk, req->deadline);
    }
    if (stopping) {  // shut down while we waited for space
      ++stats.rejected;
      lk.unlock();
      return fail(Status::Unavailable("Submit: the pool was shut down while waiting for queue space"));
    }
    req->enqueued = Clock::now();
    req->completion = std::move(completion);
    pending.push_back(std::move(req));
    ++stats.submitted;
  }
  dispatch_cv.notify_one();
}

void PredictorPool::Impl::StartAsyncLocked() {
  async_started = true;
  const int n = std::max(1, std::min(plan.async_workers, static_cast<int>(predictors.size())));
  for (int i = 0; i < n; ++i) {
    workers.push_back(std::make_unique<Worker>());
    Worker* w = workers.back().get();
    w->thread = std::thread([this, w] {
      pthread_setname_np(pthread_self(), "pl_pool_worker");  // named apart from the thread that started it
      WorkerLoop(w);
    });
  }
  dispatcher = std::thread([this] {
    pthread_setname_np(pthread_self(), "pl_pool_batch");
    DispatchLoop();
  });
}

void PredictorPool::Impl::TakeExpiredLocked(Clock::time_point now, std::vector<RequestPtr>* out) {
  bool any = false;
  for (RequestPtr& r : pending) {
    if (r->deadline <= now) {
      out->push_back(std::move(r));
      any = true;
    }
  }
  if (!any) return;
  pending.erase(std::remove(pending.begin(), pending.end(), nullptr), pending.end());
  stats.expired += out->size();
}

void PredictorPool::Impl::DispatchLoop() {
  std::unique_lock<std::mutex> lk(mu);
  std::vector<RequestPtr> done;
  for (;;) {
    const Clock::time_point now = Clock::now();
    TakeExpiredLocked(now, &done);
    if (!done.empty()) {
      lk.unlock();
      for (RequestPtr& r : done)
        r->completion.Deliver(Status::DeadlineExceeded("request deadline passed after " + Ms(MsSince(r->enqueued)) +
                                                      " in the queue, before it ran"));
      done.clear();
      not_full_cv.notify_all();
      lk.lock();
      continue;
    }
    if (pending.empty()) {
      if (stopping) break;
      dispatch_cv.wait(lk);
      continue;
    }
    Clock::time_point next_deadline = Clock::time_point::max();
    for (const RequestPtr& r : pending) next_deadline = std::min(next_deadline, r->deadline);

    Worker* worker = nullptr;
    for (auto& w : workers)
      if (w->slot < 0 && w->batch.empty()) worker = w.get();
    const int slot = FindIdleSlotLocked();
    if (!worker || slot < 0) {
      if (slot < 0 && stopping && std::all_of(slots.begin(), slots.end(), [](Slot s) { return s == Slot::kPinned; })) {
        // Draining, but Retrieve() pinned every predictor: nothing will ever run these.
        stats.cancelled += pending.size();
        for (RequestPtr& r : pending) done.push_back(std::move(r));
        pending.clear();
        lk.unlock();
        for (RequestPtr& r : done)
          r->completion.Deliver(Status::Cancelled("pool shut down with every predictor pinned by Retrieve()"));
        done.clear();
        lk.lock();
        continue;
      }
      WaitUntil(dispatch_cv, lk, next_deadline);
      continue;
    }

    // Gather the batch: the oldest request, then later compatible ones while rows fit.
    const Request& head = *pending.front();
    std::vector<size_t> take{0};
    int64_t rows = head.rows;
    Clock::time_point batch_deadline = head.deadline;
    const int max_batch = options.batching.max_batch;
    const bool can_batch = batching && !batching_broken && !head.key.empty();
    if (can_batch) {
      for (size_t i = 1; i < pending.size() && rows < max_batch; ++i) {
        const Request& r = *pending[i];
        if (r.key == head.key && rows + r.rows <= max_batch) {
          take.push_back(i);
          rows += r.rows;
          batch_deadline = std::min(batch_deadline, r.deadline);
        }
      }
      // Wait for company until the oldest request has waited max_queue_delay, but never past a
      // member's deadline and never while draining.
      const Clock::time_point window_end = head.enqueued + options.batching.max_queue_delay;
      if (rows < max_batch && !stopping && now < window_end && batch_deadline > window_end) {
        dispatch_cv.wait_until(lk, std::min(window_end, next_deadline));
        continue;
      }
    }
    std::vector<RequestPtr> batch;
    for (size_t i : take) batch.push_back(std::move(pending[i]));
    pending.erase(std::remove(pending.begin(), pending.end(), nullptr), pending.end());
    slots[slot] = Slot::kBusy;
    worker->slot = slot;
    worker->batch = std::move(batch);
    worker->cv.notify_one();
    not_full_cv.notify_all();
  }
  workers_exit = true;
  for (auto& w : workers) w->cv.notify_one();
}

void PredictorPool::Impl::WorkerLoop(Worker* w) {
  std::unique_lock<std::mutex> lk(mu);
  for (;;) {
    while (w->batch.empty() && !workers_exit) w->cv.wait(lk);
    if (w->batch.empty()) return;
    std::vector<RequestPtr> batch = std::move(w->batch);
    w->batch.clear();
    const int slot = w->slot;
    lk.unlock();
    Execute(predictors[slot].get(), std::move(batch));
    lk.lock();
    slots[slot] = Slot::kIdle;
    w->slot = -1;
    slot_cv.notify_all();
    dispatch_cv.notify_one();
  }
}

OutputsOr PredictorPool::Impl::RunAlone(Predictor* p, const Request& r) {
  std::vector<Tensor> outputs;
  Status s = p->Run(r.inputs, &outputs);
  if (!s.ok()) return s;
  return outputs;
}

void PredictorPool::Impl::Execute(Predictor* p, std::vector<RequestPtr> batch) {
  const Clock::time_point now = Clock::now();
  // results[k] answers batch[k]; promises are fulfilled only after the stats are updated, so a
  // caller that sees its future ready also sees it counted.
  std::vector<OutputsOr> results;
  results.reserve(batch.size());
  std::vector<size_t> live;
  uint64_t expired = 0;
  uint64_t queue_us = 0;
  for (size_t k = 0; k < batch.size(); ++k) {
    if (batch[k]->deadline <= now) {
      results.emplace_back(Status::DeadlineExceeded("request deadline passed after " +
                                                    Ms(MsSince(batch[k]->enqueued)) + " in the queue, before it ran"));
      ++expired;
    } else {
      results.emplace_back(Status::Internal("request not run"));
      live.push_back(k);
      queue_us += static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - batch[k]->enqueued).count());
    }
  }
  uint64_t runs = 0, batched_runs = 0;
  int64_t batch_rows = 0;
  std::string broken_reason;
  if (live.size() == 1) {
    results[live[0]] = RunAlone(p, *batch[live[0]]);
    runs = 1;
    batch_rows = batch[live[0]]->rows;
  } else if (live.size() > 1) {
    std::vector<const std::vector<Tensor>*> inputs;
    std::vector<int64_t> rows;
    for (size_t k : live) {
      inputs.push_back(&batch[k]->inputs);
      rows.push_back(batch[k]->rows);
      batch_rows += batch[k]->rows;
    }
    bool delivered = false;
    auto joined = batching::Concat(inputs);
    if (joined.ok()) {
      std::vector<Tensor> outputs;
      ++runs;
      if (p->Run(*joined, &outputs).ok()) {
        auto parts = batching::Split(outputs, rows);
        if (parts.ok()) {
          for (size_t i = 0; i < live.size(); ++i) results[live[i]] = std::move((*parts)[i]);
          delivered = true;
          ++batched_runs;
        } else {
          broken_reason = parts.status().message();
        }
      }
    }
    // A failed batch is rerun request by request, so one bad request cannot fail its neighbours
    // and each gets its own error message.
    if (!delivered) {
      for (size_t k : live) {
        results[k] = RunAlone(p, *batch[k]);
        ++runs;
      }
    }
  }
  const uint64_t run_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - now).count());
  bool log_broken = false;
  {
    std::lock_guard<std::mutex> lk(mu);
    stats.queue_us += queue_us;
    stats.compute_us += run_us * live.size();
    stats.expired += expired;
    stats.completed += live.size();
    stats.runs += runs;
    stats.batched_runs += batched_runs;
    stats.max_batch_rows = std::max(stats.max_batch_rows, batch_rows);
    log_broken = !broken_reason.empty() && !batching_broken;
    if (log_broken) batching_broken = true;
  }
  for (size_t k = 0; k < batch.size(); ++k) batch[k]->completion.Deliver(std::move(results[k]));
  if (log_broken) Log("dynamic batching turned off: " + broken_reason);
}

void PredictorPool::Impl::Shutdown(ShutdownMode mode) {
  std::vector<RequestPtr> cancelled;
  {
    std::lock_guard<std::mutex> lk(mu);
    stopping = true;
    if (mode == ShutdownMode::kCancelPending) {
      for (RequestPtr& r : pending) cancelled.push_back(std::move(r));
      pending.clear();
      stats.cancelled += cancelled.size();
    }
  }
  dispatch_cv.notify_all();
  not_full_cv.notify_all();
  for (RequestPtr& r : cancelled) r->completion.Deliver(Status::Cancelled("pool shut down before the request ran"));
  std::lock_guard<std::mutex> jl(join_mu);
  if (dispatcher.joinable()) dispatcher.join();
  for (auto& w : workers)
    if (w->thread.joinable()) w->thread.join();
}

}  // namespace pl::services
