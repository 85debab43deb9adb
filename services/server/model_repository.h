// Model repository for pl_server: DIR/NAME/VERSION/model.onnx plus an optional DIR/NAME/config.json.
// Each (name, version) gets its own PredictorPool; a model that fails to load stays listed, not
// ready, with its error. Thread-safety: the repository is immutable after Load(); Model's
// counters are atomics (or guarded by their own mutex) and may be bumped from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pl/pl.h"
#include "services/predictor_pool.h"

namespace pl::server {

struct ModelConfig {  // DIR/NAME/config.json; every field optional
  int pool_size = 2;
  int intra_op_threads = 1;
  std::vector<std::string> backends;  // empty = the SDK's default order
  std::vector<int> device_ids;        // device backends: predictors spread over these (PoolOptions::device_ids)
  int max_batch = 0;                  // dynamic batching off
  int max_queue_delay_us = 2000;
  int queue_capacity = 0;  // 0 = the pool's default (4 x pool size)
  bool reject_when_full = true;  // "queue_full": "reject" (503) or "block"
  int64_t default_timeout_us = 0;  // 0 = none
};

struct ModelMetrics {
  std::atomic<uint64_t> success{0}, inference_rows{0}, request_us{0}, pending{0};
  std::mutex mu;
  std::map<std::string, uint64_t> failures;  // reason -> count
  void Fail(const std::string& reason) {
    std::lock_guard<std::mutex> lock(mu);
    ++failures[reason];
  }
};

struct Model {
  std::string name, version;
  Status load_status;  // Ok when ready
  ModelConfig config;
  std::unique_ptr<services::PredictorPool> pool;
  std::vector<ValueInfo> inputs, outputs;
  ModelMetrics metrics;
  bool ready() const { return load_status.ok() && pool != nullptr; }
};

class ModelRepository {
 public:
  // Loads every model under `dir`. Fails only when `dir` cannot be read; per-model errors are
  // kept in that Model's load_status. `usable_cpus` is split between the models' pools.
  static StatusOr<std::unique_ptr<ModelRepository>> Load(const std::string& dir, int usable_cpus,
                                                         std::function<void(const std::string&)> log);

  // version "" = the highest version of `name`. Null when unknown.
  Model* Find(const std::string& name, const std::string& version) const;
  const std::vector<std::unique_ptr<Model>>& models() const { return models_; }
  bool AllReady() const;
  // Stops every pool, running what was accepted (ShutdownMode::kDrain).
  void DrainAll();

 private:
  std::vector<std::unique_ptr<Model>> models_;  // sorted by name, then numeric version
};

// Parses config.json text into `out` (fields missing keep their defaults).
Status ParseModelConfig(const std::string& json, ModelConfig* out);

}  // namespace pl::server
