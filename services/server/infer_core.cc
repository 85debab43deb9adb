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


namespace {

// The protocol names every input: each must be one of the model's, once, and none missing (the
// pool alone would take unnamed tensors by position). Orders `inputs` as the model does and sets
// the deadline; a bad request is counted and returned.
Status Prepare(Model& m, std::vector<Tensor>* inputs, int64_t timeout_us, services::Clock::time_point received,
               services::RequestOptions* ro) {
  std::vector<Tensor> ordered(m.inputs.size());
  std::vector<bool> seen(m.inputs.size(), false);
  for (auto& t : *inputs) {
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
  *inputs = std::move(ordered);
  if (timeout_us <= 0) timeout_us = m.config.default_timeout_us;
  if (timeout_us > 0) ro->deadline = received + std::chrono::microseconds(timeout_us);
  return Status::Ok();
}

int64_t RowsOf(const std::vector<Tensor>& inputs) {
  return inputs.empty() || inputs[0].shape().empty() ? 1 : inputs[0].shape()[0];
}

void Record(Model& m, int64_t rows, services::Clock::time_point received, const services::OutputsOr& result) {
  --m.metrics.pending;
  if (!result.ok()) return m.metrics.Fail(FailureReason(result.status()));
  ++m.metrics.success;
  m.metrics.inference_rows += static_cast<uint64_t>(rows);
  m.metrics.request_us += static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(services::Clock::now() - received).count());
}

}  // namespace

services::OutputsOr RunInference(Model& m, std::vector<Tensor> inputs, int64_t timeout_us,
                                 services::Clock::time_point received) {
  services::RequestOptions ro;
  Status s = Prepare(m, &inputs, timeout_us, received, &ro);
  if (!s.ok()) return s;
  const int64_t rows = RowsOf(inputs);
  ++m.metrics.pending;
  services::OutputsOr result = m.pool->Submit(std::move(inputs), ro).get();
  Record(m, rows, received, result);
  return result;
}

void SubmitInference(Model& m, std::vector<Tensor> inputs, int64_t timeout_us, services::Clock::time_point received,
                     std::function<void(services::OutputsOr)> done) {
  services::RequestOptions ro;
  Status s = Prepare(m, &inputs, timeout_us, received, &ro);
  if (!s.ok()) return done(std::move(s));
  const int64_t rows = RowsOf(inputs);
  ++m.metrics.pending;
  m.pool->Submit(std::move(inputs), ro, [&m, rows, received, done = std::move(done)](services::OutputsOr result) {
    Record(m, rows, received, result);  // counted before the reply goes out, as RunInference does
    done(std::move(result));
  });
}

size_t SerializedBytesSize(const Tensor& t) {
  const std::string* v = t.Data<std::string>();
  size_t n = 0;
  for (int64_t i = 0; i < t.NumElements(); ++i) n += 4 + v[i].size();
  return n;
}

void AppendSerializedBytes(const Tensor& t, std::string* out) {
  const std::string* v = t.Data<std::string>();
  out->reserve(out->size() + SerializedBytesSize(t));
  for (int64_t i = 0; i < t.NumElements(); ++i) {
    const uint64_t len = v[i].size();
    const char prefix[4] = {static_cast<char>(len & 0xff), static_cast<char>((len >> 8) & 0xff),
                            static_cast<char>((len >> 16) & 0xff), static_cast<char>((len >> 24) & 0xff)};
    out->append(prefix, 4);
    out->append(v[i]);
  }
}

Status ParseSerializedBytes(const char* data, size_t size, Tensor* t, const std::string& name) {
  const int64_t n = t->NumElements();
  std::string* out = t->MutableData<std::string>();
  size_t pos = 0;
  int64_t count = 0;
  while (pos < size) {
    if (size - pos < 4)
      return Status::InvalidArgument("input '" + name + "': BYTES data ends inside the 4-byte length of element " +
                                     std::to_string(count) + " (" + std::to_string(size - pos) + " bytes left)");
    const auto* u = reinterpret_cast<const unsigned char*>(data + pos);
    const size_t len = static_cast<size_t>(u[0]) | static_cast<size_t>(u[1]) << 8 | static_cast<size_t>(u[2]) << 16 |
                       static_cast<size_t>(u[3]) << 24;
    pos += 4;
    if (len > size - pos)
      return Status::InvalidArgument("input '" + name + "': BYTES element " + std::to_string(count) + " has length " +
                                     std::to_string(len) + ", past the end of the data (" + std::to_string(size - pos) +
                                     " bytes left)");
    if (count >= n)
      return Status::InvalidArgument("input '" + name + "': BYTES data holds more than the " + std::to_string(n) +
                                     " elements of shape " + ShapeToString(t->shape()));
    out[count++].assign(data + pos, len);
    pos += len;
  }
  if (count != n)
    return Status::InvalidArgument("input '" + name + "': BYTES data holds " + std::to_string(count) +
                                   " elements, shape " + ShapeToString(t->shape()) + " needs " + std::to_string(n));
  return Status::Ok();
}

int OutputIndex(const Model& m, const std::string& name) {
  for (size_t i = 0; i < m.outputs.size(); ++i)
    if (m.outputs[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace pl::server
