// inference.GRPCInferenceService (KServe v2 gRPC) over the same ServerState as the REST front
// end. Start() binds the port (0 = any free one) and serves on gRPC's own threads; messages up
// to `max_message_bytes` are accepted (larger ones get RESOURCE_EXHAUSTED from gRPC).
#pragma once

#include <chrono>
#include <memory>

#include "services/server/rest.h"

namespace pl::server {

class GrpcServer {
 public:
  static StatusOr<std::unique_ptr<GrpcServer>> Start(ServerState* state, int port,
                                                     int64_t max_message_bytes = 64ll << 20);
  ~GrpcServer();
  int port() const { return port_; }
  // Stops accepting calls; running ones finish until `deadline`.
  void Shutdown(std::chrono::steady_clock::time_point deadline);

 private:
  GrpcServer() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

}  // namespace pl::server
