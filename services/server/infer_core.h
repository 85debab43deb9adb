// The transport-independent part of an inference request, shared by the REST and gRPC front
// ends: the request sent through the model's PredictorPool::Submit with its deadline (the SDK
// checks the tensors and names what is wrong), and the model's metrics updated (success, failure
// by reason, rows, queue and request time, pending). Thread-safe; nothing throws.
#pragma once

#include <string>
#include <vector>

#include "services/server/model_repository.h"

namespace pl::server {

// Submits and waits. `timeout_us` <= 0: the model's default timeout (if any). Counts a failure
// under FailureReason(status) or a success in m.metrics.
services::OutputsOr RunInference(Model& m, std::vector<Tensor> inputs, int64_t timeout_us,
                                 services::Clock::time_point received);

// Index of output `name` in m.outputs, or -1.
int OutputIndex(const Model& m, const std::string& name);

}  // namespace pl::server
