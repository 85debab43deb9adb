#include "services/predictor_pool.h"

#include <cstdio>
#include <iostream>
#include <sstream>

#include "pl/device.h"
#include "services/batching.h"
#include "services/pool_impl.h"

namespace pl::services {

// ----- building -----

void PredictorPool::Impl::Log(const std::string& line) const {
  if (options.log) options.log(line);
  else std::cerr << "[paddle_like services] " << line << std::endl;
}

Status PredictorPool::Impl::Init(const Config& config, int size) {
  if (size < 1) return Status::InvalidArgument("PredictorPool: size " + std::to_string(size) + ", expected >= 1");
  if (options.usable_cpus > 0) {
    budget.affinity_cpus = budget.usable_cpus = options.usable_cpus;
    budget.source = "PoolOptions::usable_cpus";
  } else {
    budget = DetectCpuBudget();
  }
  // A pool whose preferred backend runs on a device (CUDA) spends its time waiting for the device,
  // not computing: its Submit workers (one stream each) are not clamped to the CPU count.
  const bool on_device = !config.backends().empty() && FindDeviceBackend(config.backends().front()) != nullptr;
  plan = PlanCpu(budget.usable_cpus, size, config.intra_op_threads(),
                 on_device ? CpuPolicy::kAllowOversubscription : options.cpu_policy);
  if (on_device) {
    plan.async_workers = size;
    plan.message.clear();
  }
  if (!plan.message.empty()) Log(plan.message + " [" + budget.ToString() + "]");
  // The predictor reads its intra-op thread count from the config and the executor applies it
  // (omp_set_num_threads) on whichever thread calls Run: each worker thread gets it on its own.
  Config c = config;
  c.SetIntraOpThreads(plan.intra_op_threads);
  std::vector<int> devices = options.device_ids;
  if (devices.empty()) devices.push_back(config.device_id());
  std::vector<Predictor*> base(devices.size(), nullptr);  // the first predictor on each device
  for (int i = 0; i < size; ++i) {
    const size_t d = static_cast<size_t>(i) % devices.size();
    if (!base[d]) {
      c.SetDeviceId(devices[d]);
      auto first = Predictor::Create(c);
      if (!first.ok())
        return first.status().WithContext(devices.size() > 1 ? "PredictorPool: device " + std::to_string(devices[d])
                                                             : std::string("PredictorPool"));
      predictors.push_back(std::move(first).value());
      base[d] = predictors.back().get();
      continue;
    }
    auto clone = base[d]->Clone();
    if (!clone.ok()) return clone.status().WithContext("PredictorPool: clone " + std::to_string(i));
    predictors.push_back(std::move(clone).value());
  }
  slots.assign(size, Slot::kIdle);
  input_names = predictors[0]->InputNames();
  queue_capacity = options.queue_capacity > 0 ? options.queue_capacity : 4 * size;
  if (options.batching.max_batch > 1) {
    std::string why = batching::WhyNotBatchable(predictors[0]->InputInfos());
    if (why.empty()) batching = true;
    else Log("dynamic batching is off: " + why);
  }
  return Status::Ok();
}

PredictorPool::PredictorPool(const Config& config, int size, PoolOptions options) : impl_(std::make_shared<Impl>()) {
  impl_->options = std::move(options);
  impl_->init_status = impl_->Init(config, size);
  if (!impl_->init_status.ok()) impl_->predictors.clear();
}

StatusOr<std::unique_ptr<PredictorPool>> PredictorPool::Create(const Config& config, int size, PoolOptions options) {
  auto pool = std::make_unique<PredictorPool>(config, size, std::move(options));
  if (!pool->status().ok()) return pool->status();
  return pool;
}

PredictorPool::~PredictorPool() { impl_->Shutdown(ShutdownMode::kCancelPending); }

const Status& PredictorPool::status() const { return impl_->init_status; }
int PredictorPool::size() const { return static_cast<int>(impl_->predictors.size()); }
const CpuBudget& PredictorPool::cpu_budget() const { return impl_->budget; }
const CpuPlan& PredictorPool::cpu_plan() const { return impl_->plan; }

bool PredictorPool::batching_enabled() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->batching && !impl_->batching_broken;
}

PoolStats PredictorPool::stats() const {
  std::lock_guard<std::mutex> lk(impl_->mu);
  return impl_->stats;
}

// ----- Retrieve / Acquire -----

StatusOr<Predictor*> PredictorPool::Retrieve(int index) {
  Impl& s = *impl_;
  if (!s.init_status.ok()) return s.init_status;
  if (index < 0 || index >= size())
    return Status::InvalidArgument("PredictorPool::Retrieve: index " + std::to_string(index) + " out of range [0, " +
                                   std::to_string(size()) + ")");
  std::lock_guard<std::mutex> lk(s.mu);
  if (s.slots[index] == Impl::Slot::kBusy)
    return Status::ResourceExhausted("PredictorPool::Retrieve: slot " + std::to_string(index) +
                                     " is leased by Acquire()/Submit() right now; use one way of sharing a slot");
  s.slots[index] = Impl::Slot::kPinned;
  return s.predictors[index].get();
}

int PredictorPool::Impl::FindIdleSlotLocked() const {
  for (size_t i = 0; i < slots.size(); ++i)
    if (slots[i] == Slot::kIdle) return static_cast<int>(i);
  return -1;
}

void PredictorPool::Impl::ReleaseSlot(int index) {
  {
    std::lock_guard<std::mutex> lk(mu);
    slots[index] = Slot::kIdle;
  }
  slot_cv.notify_all();
  dispatch_cv.notify_one();
}

StatusOr<PredictorPool::Lease> PredictorPool::Acquire(Clock::time_point deadline) {
  Impl& s = *impl_;
  if (!s.init_status.ok()) return s.init_status;
  std::unique_lock<std::mutex> lk(s.mu);
  for (;;) {
    int i = s.FindIdleSlotLocked();
    if (i >= 0) {
      s.slots[i] = Impl::Slot::kBusy;
      return Lease(impl_, i, s.predictors[i].get());
    }
    int pinned = 0;
    for (auto st : s.slots) pinned += st == Impl::Slot::kPinned;
    if (pinned == size())
      return Status::ResourceExhausted("pool exhausted: all " + std::to_string(size()) +
                                       " predictors are pinned by Retrieve()");
    if (Clock::now() >= deadline)
      return Status::ResourceExhausted("pool exhausted: no idle predictor before the deadline (" +
                                       std::to_string(size() - pinned) + " leased, " + std::to_string(pinned) +
                                       " pinned by Retrieve())");
    WaitUntil(s.slot_cv, lk, deadline);
  }
}

PredictorPool::Lease& PredictorPool::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    Release();
    impl_ = std::move(o.impl_);
    index_ = o.index_;
    predictor_ = o.predictor_;
    o.index_ = -1;
    o.predictor_ = nullptr;
  }
  return *this;
}

void PredictorPool::Lease::Release() {
  if (impl_ && index_ >= 0) impl_->ReleaseSlot(index_);
  impl_.reset();
  index_ = -1;
  predictor_ = nullptr;
}

// ----- async -----

std::future<OutputsOr> PredictorPool::Submit(std::vector<Tensor> inputs, RequestOptions options) {
  Completion c;
  std::future<OutputsOr> f = c.promise.get_future();
  impl_->Submit(std::move(inputs), options, std::move(c));
  return f;
}

void PredictorPool::Submit(std::vector<Tensor> inputs, RequestOptions options, std::function<void(OutputsOr)> done) {
  Completion c;
  c.done = std::move(done);
  if (!c.done) c.done = [](OutputsOr) {};
  c.log = impl_->options.log;
  impl_->Submit(std::move(inputs), options, std::move(c));
}

void PredictorPool::Shutdown(ShutdownMode mode) { impl_->Shutdown(mode); }

// ----- memory -----

std::string FormatBytes(size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof(buf), "%zu B", bytes);
  else std::snprintf(buf, sizeof(buf), "%.1f %s", v, units[u]);
  return buf;
}

PoolMemoryReport PredictorPool::MemoryReport(std::chrono::milliseconds wait) {
  PoolMemoryReport r;
  Impl& s = *impl_;
  if (!s.init_status.ok()) return r;
  for (int i = 0; i < size(); ++i) {
    bool leased_here = false, measured = true;
    {
      std::unique_lock<std::mutex> lk(s.mu);
      const Clock::time_point until = Clock::now() + wait;
      while (s.slots[i] == Impl::Slot::kBusy && Clock::now() < until) s.slot_cv.wait_until(lk, until);
      if (s.slots[i] == Impl::Slot::kIdle) {
        s.slots[i] = Impl::Slot::kBusy;  // keep workers off it while it is read
        leased_here = true;
      } else if (s.slots[i] == Impl::Slot::kBusy) {
        measured = false;
      }
    }
    MemoryStats m;
    if (measured) m = s.predictors[i]->Memory();
    if (leased_here) s.ReleaseSlot(i);
    r.predictors.push_back(m);
    r.measured.push_back(measured);
    if (measured) {
      r.shared_bytes = m.shared_bytes;
      r.private_bytes_total += m.private_bytes;
      r.private_bytes_max = std::max(r.private_bytes_max, m.private_bytes);
    }
  }
  return r;
}

std::string PoolMemoryReport::ToString() const {
  std::ostringstream os;
  const size_t n = predictors.size();
  os << "memory: " << n << " predictor" << (n == 1 ? "" : "s") << " over one compiled model\n";
  os << "  shared once (weights, prepared kernels): " << FormatBytes(shared_bytes) << "\n";
  os << "  per predictor (activation arena + kernel workspace + I/O tensors):\n";
  for (size_t i = 0; i < n; ++i) {
    const MemoryStats& m = predictors[i];
    os << "    #" << i << ": ";
    if (!measured[i]) {
      os << "busy, not measured\n";
      continue;
    }
    os << FormatBytes(m.private_bytes) << " (arena " << FormatBytes(m.arena_bytes) << ", workspace "
       << FormatBytes(m.workspace_bytes) << ", io " << FormatBytes(m.io_bytes) << ")\n";
  }
  os << "  one more predictor costs about " << FormatBytes(private_bytes_max)
     << " (the costliest so far; 0 until it has run once); total " << FormatBytes(total_bytes()) << "\n";
  return os.str();
}

}  // namespace pl::services
