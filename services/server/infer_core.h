// The transport-independent part of an inference request, shared by the REST and gRPC front
// ends: the request sent through the model's PredictorPool::Submit with its deadline (the SDK
// checks the tensors and names what is wrong), and the model's metrics updated (success, failure
// by reason, rows, queue and request time, pending). Thread-safe; nothing throws.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "services/server/model_repository.h"

namespace pl::server {

// Submits and waits. `timeout_us` <= 0: the model's default timeout (if any). Counts a failure
// under FailureReason(status) or a success in m.metrics.
services::OutputsOr RunInference(Model& m, std::vector<Tensor> inputs, int64_t timeout_us,
                                 services::Clock::time_point received);

// The same without blocking: `done` gets the result exactly once, on a pool worker thread (or on
// this thread when the request is refused before it is queued). Metrics are updated before it runs.
void SubmitInference(Model& m, std::vector<Tensor> inputs, int64_t timeout_us, services::Clock::time_point received,
                     std::function<void(services::OutputsOr)> done);

// Index of output `name` in m.outputs, or -1.
int OutputIndex(const Model& m, const std::string& name);

// The protocol's BYTES wire form (binary tensor data, raw_input/output_contents), as KServe and
// Triton write it: per element, a 4-byte little-endian length, then that many bytes.
// Bytes that string tensor `t` takes serialized (4 + length per element).
size_t SerializedBytesSize(const Tensor& t);
// Appends string tensor `t`'s elements, serialized, to *out.
void AppendSerializedBytes(const Tensor& t, std::string* out);
// Fills string tensor `t` (shape and elements already allocated) from `size` serialized bytes,
// which must hold exactly t->NumElements() elements and nothing after them. InvalidArgument
// naming input `name` on a truncated length prefix, a length past the end, or a wrong count.
Status ParseSerializedBytes(const char* data, size_t size, Tensor* t, const std::string& name);

}  // namespace pl::server
