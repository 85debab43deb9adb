// libFuzzer target: pl_server's request handling (services/server/rest.cc HandleHttp, the
// transport-independent entry point): method, target, Inference-Header-Content-Length and body
// come from the input, over a repository of three small models (one plain pool, one batching,
// one of string tensors - BYTES - batching too).
// Input layout: byte 0 picks the method; then target '\n' header-length '\n' body.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>

#include "services/server/rest.h"
#include "tests/services/test_models.h"

namespace {

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

pl::server::ServerState* MakeServer() {
  std::string dir = "/tmp/pl_fuzz_server_" + std::to_string(getpid());
  for (const char* d : {"", "/two", "/two/1", "/elt", "/elt/1", "/str", "/str/1"}) mkdir((dir + d).c_str(), 0755);
  WriteFile(dir + "/two/1/model.onnx", pl::test_models::TwoInputModel());
  WriteFile(dir + "/two/config.json", R"({"pool_size": 1, "queue_capacity": 4})");
  WriteFile(dir + "/elt/1/model.onnx", pl::test_models::ElementwiseModel());
  WriteFile(dir + "/elt/config.json", R"({"pool_size": 1, "max_batch": 4, "max_queue_delay_us": 100})");
  WriteFile(dir + "/str/1/model.onnx", pl::test_models::StringModel());
  WriteFile(dir + "/str/config.json", R"({"pool_size": 1, "max_batch": 4, "max_queue_delay_us": 100})");
  auto repo = pl::server::ModelRepository::Load(dir, 1, [](const std::string&) {});
  if (!repo.ok() || !(*repo)->AllReady()) {
    fprintf(stderr, "fuzz_server_request: repository does not load\n");
    abort();
  }
  auto* state = new pl::server::ServerState;
  state->repo = repo->release();
  return state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static pl::server::ServerState* state = MakeServer();
  if (size == 0) return 0;
  static const char* kMethods[] = {"GET", "POST", "PUT", "DELETE"};
  const std::string method = kMethods[data[0] % 4];
  std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t a = rest.find('\n');
  std::string target = rest.substr(0, a);
  std::string header, body;
  if (a != std::string::npos) {
    size_t b = rest.find('\n', a + 1);
    header = rest.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    if (b != std::string::npos) body = rest.substr(b + 1);
  }
  pl::server::HttpReply reply = pl::server::HandleHttp(*state, method, target, header, std::move(body));
  if (reply.status < 200 || reply.status > 599) __builtin_trap();
  return 0;
}
