// pl_serve_bench: what the Open Inference Protocol front ends cost over in-process Submit.
//
// One process, three ways to drive the same model with the same pool configuration:
//   inproc  ModelRepository::Load(DIR) in this process, N client threads calling RunInference
//           (PredictorPool::Submit + wait, the path both front ends take),
//   grpc    N clients with one channel each on gRPC's callback API (no thread per client, as
//           load generators such as perf_analyzer and ghz drive a server), ModelInfer with
//           raw_input_contents (raw outputs); grpc_sync: the same with a blocking thread each,
//   rest    N threads with one keep-alive connection each, POST .../infer with the binary tensor
//           data extension (binary inputs and outputs).
// The server is a pl_server subprocess started on the same repository, so client and server share
// the machine's cores, as they do on a single-box deployment. Modes run interleaved, round after
// round; the report gives each mode's median throughput and p50 latency over the rounds and the
// ratios to inproc. One JSON line per round and a summary go to stdout.
//
//   pl_serve_bench --server build/services/server/pl_server --model-repository DIR --model cls
//                  --concurrency 16 --seconds 5 --rounds 3 [--modes inproc,grpc,rest]
#include <arpa/inet.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <grpcpp/grpcpp.h>

#include "grpc_predict_v2.grpc.pb.h"
#include "services/server/infer_core.h"
#include "services/server/model_repository.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct Options {
  std::string server, repo, model, modes = "inproc,grpc,rest";
  int concurrency = 16, rounds = 3, cpus = 0;
  int grpc_connections = 0;  // 0: one per client, as REST has; K: clients share K round-robin (ghz's default is 1)
  double seconds = 5;
  int http_port = 0, grpc_port = 0;  // 0: pl_server picks free ports and reports them
};

struct Sample {  // one mode, one round
  double qps = 0, p50_ms = 0, p99_ms = 0;
  uint64_t ok = 0, failed = 0;
  std::string first_error;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * (v.size() - 1) + 0.5))];
}

double Median(std::vector<double> v) { return Percentile(std::move(v), 0.5); }

// Runs `body(thread, &error)` in `n` threads until `seconds` pass; body returns false on failure.
template <typename Body>
Sample Drive(int n, double seconds, Body body) {
  std::vector<std::vector<double>> lat(n);
  std::vector<uint64_t> fails(n, 0);
  std::vector<std::string> errs(n);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  const Clock::time_point t0 = Clock::now();
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      while (!stop.load(std::memory_order_relaxed)) {
        Clock::time_point s = Clock::now();
        std::string err;
        if (body(t, &err)) {
          lat[t].push_back(Ms(Clock::now() - s));
        } else {
          ++fails[t];
          if (errs[t].empty()) errs[t] = err;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double wall = Ms(Clock::now() - t0) / 1000.0;
  Sample s;
  std::vector<double> all;
  for (int t = 0; t < n; ++t) {
    all.insert(all.end(), lat[t].begin(), lat[t].end());
    s.failed += fails[t];
    if (s.first_error.empty()) s.first_error = errs[t];
  }
  s.ok = all.size();
  s.qps = s.ok / wall;
  s.p50_ms = Percentile(all, 0.5);
  s.p99_ms = Percentile(all, 0.99);
  return s;
}

// The same closed loop without a thread per client: start(t, done) begins client t's next request
// and done(ok, error) is called when it completes, from whatever thread the transport uses. Each
// client issues its next request from its previous one's completion, so `n` stay in flight.
using AsyncDone = std::function<void(bool, const std::string&)>;
using AsyncBody = std::function<void(int, AsyncDone)>;

Sample DriveAsync(int n, double seconds, AsyncBody start) {
  struct Client {
    std::vector<double> lat;
    uint64_t fails = 0;
    std::string err;
    Clock::time_point sent;
  };
  std::vector<Client> clients(n);
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::condition_variable cv;
  int active = n;
  std::function<void(int)> issue = [&](int t) {
    clients[t].sent = Clock::now();
    start(t, [&, t](bool ok, const std::string& err) {
      Client& c = clients[t];
      if (ok) {
        c.lat.push_back(Ms(Clock::now() - c.sent));
      } else {
        ++c.fails;
        if (c.err.empty()) c.err = err;
      }
      if (!stop.load(std::memory_order_relaxed)) return issue(t);
      std::lock_guard<std::mutex> lk(mu);
      if (--active == 0) cv.notify_all();
    });
  };
  const Clock::time_point t0 = Clock::now();
  for (int t = 0; t < n; ++t) issue(t);
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return active == 0; });
  }
  const double wall = Ms(Clock::now() - t0) / 1000.0;
  Sample s;
  std::vector<double> all;
  for (Client& c : clients) {
    all.insert(all.end(), c.lat.begin(), c.lat.end());
    s.failed += c.fails;
    if (s.first_error.empty()) s.first_error = c.err;
  }
  s.ok = all.size();
  s.qps = s.ok / wall;
  s.p50_ms = Percentile(all, 0.5);
  s.p99_ms = Percentile(all, 0.99);
  return s;
}

std::string Datatype(pl::DataType t) {
  switch (t) {
    case pl::DataType::kFloat32: return "FP32";
    case pl::DataType::kInt64: return "INT64";
    case pl::DataType::kInt32: return "INT32";
    case pl::DataType::kUint8: return "UINT8";
    default: return "";
  }
}

// The model's inputs with free dims set to 1, random values; `shape_override` replaces input 0's.
std::vector<pl::Tensor> MakeInputs(const pl::server::Model& m, const std::vector<int64_t>& shape_override) {
  std::vector<pl::Tensor> out;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1, 1);
  for (size_t i = 0; i < m.inputs.size(); ++i) {
    std::vector<int64_t> shape;
    for (int64_t d : m.inputs[i].shape) shape.push_back(d < 0 ? 1 : d);
    if (i == 0 && !shape_override.empty()) shape = shape_override;
    auto t = pl::Tensor::Create(m.inputs[i].dtype, shape, m.inputs[i].name);
    if (!t.ok()) {
      std::fprintf(stderr, "input %s: %s\n", m.inputs[i].name.c_str(), t.status().ToString().c_str());
      std::exit(1);
    }
    if (t->dtype() == pl::DataType::kFloat32) {
      float* p = t->MutableData<float>();
      for (int64_t k = 0; k < t->NumElements(); ++k) p[k] = u(rng);
    } else {
      std::memset(t->RawMutableData(), 0, t->ByteSize());
    }
    out.push_back(std::move(*t));
  }
  return out;
}

// pl_server writes {"http": N, "grpc": M} to --ports-file once both front ends listen.
bool WaitForPorts(const std::string& file, pid_t server, double seconds, int* http_port, int* grpc_port) {
  const Clock::time_point end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    if (std::FILE* f = std::fopen(file.c_str(), "r")) {
      int h = -1, g = -1;
      const int n = std::fscanf(f, " {\"http\": %d, \"grpc\": %d}", &h, &g);
      std::fclose(f);
      if (n == 2 && h > 0 && g > 0) return *http_port = h, *grpc_port = g, true;
      return false;
    }
    int status = 0;
    if (waitpid(server, &status, WNOHANG) == server) return false;  // exited before listening
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

class RestClient {
 public:
  RestClient(int port, std::string target, std::string body, size_t header_len)
      : socket_(io_), target_(std::move(target)), body_(std::move(body)), header_len_(header_len) {
    boost::system::error_code ec;
    socket_.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
    socket_.set_option(tcp::no_delay(true), ec);
  }
  bool Infer(std::string* err) {
    http::request<http::string_body> req{http::verb::post, target_, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/octet-stream");
    req.set("Inference-Header-Content-Length", std::to_string(header_len_));
    req.keep_alive(true);
    req.body() = body_;
    req.prepare_payload();
    boost::system::error_code ec;
    http::write(socket_, req, ec);
    if (ec) return *err = "write: " + ec.message(), false;
    http::response<http::string_body> res;
    http::read(socket_, buffer_, res, ec);
    if (ec) return *err = "read: " + ec.message(), false;
    if (res.result_int() != 200) return *err = "HTTP " + std::to_string(res.result_int()) + ": " + res.body(), false;
    if (res.find("Inference-Header-Content-Length") == res.end()) return *err = "no binary output", false;
    return true;
  }

 private:
  boost::asio::io_context io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::string target_, body_;
  size_t header_len_;
};

// Rows and executions of `model` so far: the pool's own counters in process, /metrics otherwise.
struct Counts {
  double rows = 0, runs = 0;
};

double MetricValue(const std::string& text, const std::string& name, const std::string& model) {
  const std::string key = name + "{model=\"" + model + "\",";
  size_t at = text.find(key);
  if (at == std::string::npos) return 0;
  at = text.find("} ", at);
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + 2);
}

Counts ServerCounts(int port, const std::string& model) {
  boost::asio::io_context io;
  tcp::socket s(io);
  boost::system::error_code ec;
  s.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  if (ec) return {};
  http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(s, req, ec);
  boost::beast::flat_buffer buf;
  http::response<http::string_body> res;
  if (!ec) http::read(s, buf, res, ec);
  if (ec) return {};
  return {MetricValue(res.body(), "nv_inference_count", model), MetricValue(res.body(), "nv_inference_exec_count", model)};
}

// The REST request: JSON header naming the binary sizes, then the raw bytes of every input.
std::string RestBody(const pl::server::Model& m, const std::vector<pl::Tensor>& in, size_t* header_len) {
  std::ostringstream h;
  h << "{\"inputs\":[";
  for (size_t i = 0; i < in.size(); ++i) {
    h << (i ? "," : "") << "{\"name\":\"" << m.inputs[i].name << "\",\"datatype\":\"" << Datatype(in[i].dtype())
      << "\",\"shape\":[";
    for (size_t k = 0; k < in[i].shape().size(); ++k) h << (k ? "," : "") << in[i].shape()[k];
    h << "],\"parameters\":{\"binary_data_size\":" << in[i].ByteSize() << "}}";
  }
  h << "],\"parameters\":{\"binary_data_output\":true}}";
  std::string body = h.str();
  *header_len = body.size();
  for (const auto& t : in) body.append(static_cast<const char*>(t.RawData()), t.ByteSize());
  return body;
}

inference::ModelInferRequest GrpcRequest(const pl::server::Model& m, const std::vector<pl::Tensor>& in) {
  inference::ModelInferRequest r;
  r.set_model_name(m.name);
  for (size_t i = 0; i < in.size(); ++i) {
    auto* t = r.add_inputs();
    t->set_name(m.inputs[i].name);
    t->set_datatype(Datatype(in[i].dtype()));
    for (int64_t d : in[i].shape()) t->add_shape(d);
    r.add_raw_input_contents(static_cast<const char*>(in[i].RawData()), in[i].ByteSize());
  }
  return r;
}

int Usage(const char* why) {
  std::fprintf(stderr, "pl_serve_bench: %s\nusage: pl_serve_bench --server PL_SERVER --model-repository DIR --model NAME\n"
               "  [--shape 1,3,48,192] [--concurrency 16] [--seconds 5] [--rounds 3] [--modes inproc,grpc,rest]\n"
               "  [--http-port N] [--grpc-port M] (default: free ones) [--cpus C] [--grpc-connections K]\n", why);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<int64_t> shape;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--server") o.server = v;
    else if (a == "--model-repository") o.repo = v;
    else if (a == "--model") o.model = v;
    else if (a == "--modes") o.modes = v;
    else if (a == "--concurrency") o.concurrency = std::max(1, std::atoi(v.c_str()));
    else if (a == "--rounds") o.rounds = std::max(1, std::atoi(v.c_str()));
    else if (a == "--seconds") o.seconds = std::max(0.2, std::atof(v.c_str()));
    else if (a == "--http-port") o.http_port = std::atoi(v.c_str());
    else if (a == "--grpc-port") o.grpc_port = std::atoi(v.c_str());
    else if (a == "--cpus") o.cpus = std::atoi(v.c_str());
    else if (a == "--grpc-connections") o.grpc_connections = std::max(0, std::atoi(v.c_str()));
    else if (a == "--shape") {
      std::stringstream ss(v);
      std::string d;
      while (std::getline(ss, d, ',')) shape.push_back(std::atoll(d.c_str()));
    } else return Usage(("unknown flag " + a).c_str());
  }
  if (argc % 2 == 0) return Usage("flags take one value each");
  if (o.repo.empty() || o.model.empty()) return Usage("--model-repository and --model are required");
  std::vector<std::string> modes;
  {
    std::stringstream ss(o.modes);
    std::string m;
    while (std::getline(ss, m, ',')) modes.push_back(m);
  }
  bool need_server = std::any_of(modes.begin(), modes.end(), [](const std::string& m) { return m != "inproc"; });
  if (need_server && o.server.empty()) return Usage("--server is required for grpc/rest modes");

  auto repo = pl::server::ModelRepository::Load(o.repo, o.cpus, [](const std::string&) {});
  if (!repo.ok()) return std::fprintf(stderr, "%s\n", repo.status().ToString().c_str()), 1;
  pl::server::Model* m = (*repo)->Find(o.model, "");
  if (!m || !m->ready()) return std::fprintf(stderr, "model %s not ready\n", o.model.c_str()), 1;
  const std::vector<pl::Tensor> inputs = MakeInputs(*m, shape);

  pid_t server = -1;
  if (need_server) {
    char dir[] = "/tmp/pl_serve_bench.XXXXXX";
    if (!mkdtemp(dir)) return std::perror("mkdtemp"), 1;
    const std::string ports_file = std::string(dir) + "/ports.json";
    server = fork();
    if (server == 0) {
      std::string hp = std::to_string(o.http_port), gp = std::to_string(o.grpc_port);
      std::vector<const char*> args = {o.server.c_str(), "--model-repository", o.repo.c_str(), "--http-port", hp.c_str(),
                                       "--grpc-port", gp.c_str(), "--ports-file", ports_file.c_str()};
      std::string cpus = std::to_string(o.cpus);
      if (o.cpus > 0) args.insert(args.end(), {"--cpus", cpus.c_str()});
      args.push_back(nullptr);
      execv(o.server.c_str(), const_cast<char* const*>(args.data()));
      _exit(127);
    }
    const bool up = WaitForPorts(ports_file, server, 60, &o.http_port, &o.grpc_port);
    std::remove(ports_file.c_str());
    rmdir(dir);
    if (!up) {
      std::fprintf(stderr, "pl_server did not report its ports (see its log above)\n");
      kill(server, SIGKILL);
      waitpid(server, nullptr, 0);
      return 1;
    }
  }

  size_t header_len = 0;
  const std::string rest_body = RestBody(*m, inputs, &header_len);
  const std::string target = "/v2/models/" + m->name + "/infer";
  const inference::ModelInferRequest grpc_req = GrpcRequest(*m, inputs);

  std::map<std::string, std::vector<Sample>> results;
  int exit_code = 0;
  for (int r = 0; r < o.rounds; ++r) {
    for (const std::string& mode : modes) {
      Sample s;
      const int n = o.concurrency;
      auto counts = [&]() -> Counts {
        if (mode != "inproc") return ServerCounts(o.http_port, m->name);
        auto st = m->pool->stats();
        return {static_cast<double>(m->metrics.inference_rows.load()), static_cast<double>(st.runs)};
      };
      const Counts before = counts();
      if (mode == "inproc") {
        s = Drive(n, o.seconds, [&](int, std::string* err) {
          auto out = pl::server::RunInference(*m, inputs, 0, Clock::now());
          if (!out.ok()) *err = out.status().ToString();
          return out.ok();
        });
      } else if (mode == "grpc" || mode == "grpc_sync") {
        std::vector<std::shared_ptr<grpc::Channel>> channels;
        std::vector<std::unique_ptr<inference::GRPCInferenceService::Stub>> stubs;
        // Clients share --grpc-connections channels (HTTP/2 multiplexes their calls); grpc_sync
        // keeps one connection per client thread.
        const int conns = mode == "grpc_sync" || o.grpc_connections == 0 ? n : std::min(n, o.grpc_connections);
        for (int c = 0; c < conns; ++c) {
          grpc::ChannelArguments args;
          args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
          args.SetMaxReceiveMessageSize(-1);
          channels.push_back(grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(o.grpc_port),
                                                       grpc::InsecureChannelCredentials(), args));
        }
        for (int t = 0; t < n; ++t) stubs.push_back(inference::GRPCInferenceService::NewStub(channels[t % conns]));
        // Connections are set up before the clock starts: the round measures requests, not handshakes.
        bool connected = true;
        for (auto& ch : channels)
          connected = ch->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)) && connected;
        if (!connected) std::fprintf(stderr, "gRPC: a channel did not connect within 10 s\n");
        auto check = [](const grpc::Status& st, const inference::ModelInferResponse& resp, std::string* err) {
          if (!st.ok()) return *err = st.error_message(), false;
          if (resp.raw_output_contents_size() != resp.outputs_size()) return *err = "no raw outputs", false;
          return true;
        };
        if (mode == "grpc_sync") {  // a thread per client, blocking calls
          s = Drive(n, o.seconds, [&](int t, std::string* err) {
            grpc::ClientContext ctx;
            inference::ModelInferResponse resp;
            return check(stubs[t]->ModelInfer(&ctx, grpc_req, &resp), resp, err);
          });
        } else {  // gRPC's callback API: no thread per client, as load generators drive servers
          std::vector<std::unique_ptr<grpc::ClientContext>> ctxs(n);
          std::vector<inference::ModelInferResponse> resps(n);
          s = DriveAsync(n, o.seconds, [&](int t, AsyncDone done) {
            ctxs[t] = std::make_unique<grpc::ClientContext>();
            resps[t].Clear();
            stubs[t]->async()->ModelInfer(ctxs[t].get(), &grpc_req, &resps[t], [&, t, done](grpc::Status st) {
              std::string err;
              const bool ok = check(st, resps[t], &err);
              done(ok, err);
            });
          });
        }
      } else if (mode == "rest") {
        std::vector<std::unique_ptr<RestClient>> clients;
        for (int t = 0; t < n; ++t) clients.push_back(std::make_unique<RestClient>(o.http_port, target, rest_body, header_len));
        s = Drive(n, o.seconds, [&](int t, std::string* err) { return clients[t]->Infer(err); });
      } else {
        std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
        exit_code = 2;
        break;
      }
      if (s.failed) exit_code = 1;
      const Counts after = counts();
      const double avg_batch = after.runs > before.runs ? (after.rows - before.rows) / (after.runs - before.runs) : 0;
      std::printf("{\"round\":%d,\"mode\":\"%s\",\"concurrency\":%d,\"avg_batch\":%.2f,\"qps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"ok\":%llu,\"failed\":%llu%s%s%s}\n",
                  r, mode.c_str(), n, avg_batch, s.qps, s.p50_ms, s.p99_ms, static_cast<unsigned long long>(s.ok),
                  static_cast<unsigned long long>(s.failed), s.first_error.empty() ? "" : ",\"error\":\"",
                  s.first_error.substr(0, 200).c_str(), s.first_error.empty() ? "" : "\"");
      std::fflush(stdout);
      results[mode].push_back(s);
    }
  }
  if (server > 0) {
    kill(server, SIGTERM);
    int status = 0;
    waitpid(server, &status, 0);
  }
  std::vector<double> base_q, base_p;
  for (const auto& s : results["inproc"]) base_q.push_back(s.qps), base_p.push_back(s.p50_ms);
  const double bq = Median(base_q), bp = Median(base_p);
  for (const std::string& mode : modes) {
    std::vector<double> q, p;
    for (const auto& s : results[mode]) q.push_back(s.qps), p.push_back(s.p50_ms);
    const double mq = Median(q), mp = Median(p);
    std::printf("{\"summary\":\"%s\",\"model\":\"%s\",\"concurrency\":%d,\"rounds\":%d,\"median_qps\":%.1f,\"median_p50_ms\":%.3f",
                mode.c_str(), m->name.c_str(), o.concurrency, o.rounds, mq, mp);
    if (bq > 0 && mode != "inproc") std::printf(",\"qps_vs_inproc\":%.3f,\"added_p50_ms\":%.3f", mq / bq, mp - bp);
    std::printf("}\n");
  }
  return exit_code;
}
