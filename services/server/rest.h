// The Open Inference Protocol (KServe v2) over HTTP, independent of the transport: a request's
// method, target, Inference-Header-Content-Length and body in, status + headers + body out.
// Thread-safety: Handle() may run on many threads at once. Errors are 4xx/5xx with
// {"error": "..."}; nothing throws.
#pragma once

#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "services/server/model_repository.h"

namespace pl::server {

struct ServerState {
  ModelRepository* repo = nullptr;
  std::atomic<bool> draining{false};   // SIGTERM seen: not ready, infer refused
  std::atomic<int64_t> in_flight{0};   // infer requests accepted and not yet answered
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

HttpReply HandleHttp(ServerState& state, const std::string& method, const std::string& target,
                     const std::string& header_length, std::string body);

// Prometheus text exposition of the per-model counters and the process' CPU time and RSS.
std::string MetricsText(const ServerState& state);

// KServe datatype names <-> pl::DataType ("FP32" <-> kFloat32); kUndefined when unknown.
const char* KServeDatatype(DataType t);
DataType FromKServeDatatype(const std::string& s);

// The HTTP / gRPC status of a pool error: 400 for bad tensors, 503 for a full or stopped
// queue, 504 for a deadline, 500 otherwise.
int HttpStatusOf(const Status& s);
std::string FailureReason(const Status& s);

}  // namespace pl::server
