#include "services/server/infer_core.h"

#include "services/server/rest.h"

namespace pl::server {

std::string FailureReason(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return "bad_request";
    case StatusCode::kResourceExhausted: return "queue_full";
    case StatusCode::kDeadlineExceeded: return "timeout";
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled: return "shutdown";
    default: return "internal";
  }
}


services::OutputsOr RunInference(Model& m, std::vector<Tensor> inputs, int64_t timeout_us,
                                 services::Clock::time_point received) {
  // The protocol names every input: each must be one of the model's, once, and none missing
  // (the pool alone would take unnamed tensors by position).
  std::vector<Tensor> ordered(m.inputs.size());
  std::vector<bool> seen(m.inputs.size(), false);
  for (auto& t : inputs) {
    size_t i = 0;
    while (i < m.inputs.size() && m.inputs[i].name != t.name()) ++i;
    Status bad;
    if (i == m.inputs.size()) bad = Status::InvalidArgument("model '" + m.name + "' has no input '" + t.name() + "'");
    else if (seen[i]) bad = Status::InvalidArgument("input '" + t.name() + "' given twice");
    if (!bad.ok()) return m.metrics.Fail("bad_request"), bad;
    seen[i] = true;
    ordered[i] = std::move(t);
  }
  for (size_t i = 0; i < m.inputs.size(); ++i)
    if (!seen[i]) {
      m.metrics.Fail("bad_request");
      return Status::InvalidArgument("input '" + m.inputs[i].name + "' of model '" + m.name + "' is missing");
    }
  inputs = std::move(ordered);
  services::RequestOptions ro;
  if (timeout_us <= 0) timeout_us = m.config.default_timeout_us;
  if (timeout_us > 0) ro.deadline = received + std::chrono::microseconds(timeout_us);
  int64_t rows = inputs.empty() || inputs[0].shape().empty() ? 1 : inputs[0].shape()[0];
  ++m.metrics.pending;
  services::OutputsOr result = m.pool->Submit(std::move(inputs), ro).get();
  --m.metrics.pending;
  if (!result.ok()) {
    m.metrics.Fail(FailureReason(result.status()));
    return result;
  }
  ++m.metrics.success;
  m.metrics.inference_rows += static_cast<uint64_t>(rows);
  m.metrics.request_us += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(services::Clock::now() - received).count());
  return result;
}

int OutputIndex(const Model& m, const std::string& name) {
  for (size_t i = 0; i < m.outputs.size(); ++i)
    if (m.outputs[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace pl::server
