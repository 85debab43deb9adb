// pl_server: the Open Inference Protocol (KServe v2) over a model repository of PredictorPools.
//   pl_server --model-repository DIR --http-port N [--grpc-port M] [--exit-timeout-secs S]
//             [--http-max-body-bytes B] [--http-max-connections K] [--http-idle-timeout-secs T] [--cpus C]
// SIGTERM/SIGINT: readiness turns false, new inferences get 503, accepted ones are answered
// (up to --exit-timeout-secs), then exit 0.
#include <signal.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <map>
#include <mutex>
#include <system_error>
#include <string>
#include <thread>

#ifdef PL_SERVER_WITH_GRPC
#include "services/server/grpc_service.h"
#endif
#include "services/server/rest.h"

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

std::mutex g_log_mu;
void Log(const std::string& line) {
  std::lock_guard<std::mutex> lock(g_log_mu);
  std::cerr << "pl_server: " << line << std::endl;
}

std::atomic<int> g_sessions{0};

// Idle deadlines of the open connections. Asio's blocking reads wait in poll() and ignore
// SO_RCVTIMEO, so a watchdog thread shuts a socket down (its blocked read then returns) once the
// connection has waited for request bytes longer than --http-idle-timeout-secs. A session
// deregisters before its socket closes, so the watchdog never touches a reused descriptor.
class IdleWatch {
 public:
  using Clock = std::chrono::steady_clock;
  void Arm(int fd, int secs) {
    std::lock_guard<std::mutex> l(mu_);
    deadline_[fd] = Clock::now() + std::chrono::seconds(secs);
  }
  void Disarm(int fd) {  // while a request runs: inference may take longer than the idle limit
    std::lock_guard<std::mutex> l(mu_);
    deadline_[fd] = Clock::time_point::max();
  }
  void Remove(int fd) {
    std::lock_guard<std::mutex> l(mu_);
    deadline_.erase(fd);
  }
  void Start() {
    std::thread([this] {
      for (;;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        std::lock_guard<std::mutex> l(mu_);
        const Clock::time_point now = Clock::now();
        for (auto& [fd, d] : deadline_)
          if (d <= now) {
            ::shutdown(fd, SHUT_RDWR);
            d = Clock::time_point::max();
          }
      }
    }).detach();
  }

 private:
  std::mutex mu_;
  std::map<int, Clock::time_point> deadline_;
};
IdleWatch g_idle;

// A connection over --http-max-connections: one 503 naming the limit, then close.
void Refuse(tcp::socket socket, int limit) {
  beast::error_code ec;  // a reply this small fits the socket's send buffer: the write cannot block
  http::response<http::string_body> res{http::status::service_unavailable, 11};
  res.set(http::field::server, "pl_server");
  res.set(http::field::content_type, "application/json");
  res.set(http::field::retry_after, "1");
  res.keep_alive(false);
  res.body() = "{\"error\":\"too many connections: " + std::to_string(limit) +
               " open (--http-max-connections); retry later\"}";
  res.prepare_payload();
  http::write(socket, res, ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

// One thread per connection, HTTP/1.1 keep-alive; a malformed or oversized request gets its
// 4xx and the connection closes, as does a connection idle for `idle_secs` (a read timeout, so a
// client that stops sending mid-request cannot hold its thread either).
void Session(tcp::socket socket, pl::server::ServerState* state, uint64_t body_limit, int idle_secs) {
  const int fd = socket.native_handle();
  struct Count {
    int fd;
    ~Count() {
      g_idle.Remove(fd);
      --g_sessions;
    }
  } count{fd};
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    if (idle_secs > 0) g_idle.Arm(fd, idle_secs);
    http::read(socket, buffer, parser, ec);
    g_idle.Disarm(fd);
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset ||
        ec == http::error::partial_message)  // includes a read cut by the idle watchdog
      break;
    pl::server::HttpReply reply;
    bool keep_alive = false;
    if (ec) {
      reply.status = ec == http::error::body_limit ? 413 : 400;
      reply.body = std::string("{\"error\":\"") +
                   (reply.status == 413 ? "request body over the limit of " + std::to_string(body_limit) + " bytes"
                                        : "malformed HTTP request") + "\"}";
    } else {
      auto& req = parser.get();
      keep_alive = req.keep_alive();
      std::string hlen(req["Inference-Header-Content-Length"]);
      // Counted before HandleHttp checks `draining`, released after the reply is written: the
      // drain in main() waits for every request that got past that check.
      ++state->in_flight;
      reply = pl::server::HandleHttp(*state, std::string(req.method_string()), std::string(req.target()), hlen,
                                     std::move(req.body()));
    }
    struct Release {
      pl::server::ServerState* s;
      bool on;
      ~Release() { if (on) --s->in_flight; }
    } release{state, !ec};
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    res.set(http::field::server, "pl_server");
    res.set(http::field::content_type, reply.content_type);
    for (auto& [k, v] : reply.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.body() = std::move(reply.body);
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !keep_alive) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

int Usage(const char* why) {
  std::cerr << "pl_server: " << why << "\nusage: pl_server --model-repository DIR --http-port N [--grpc-port M]\n"
               "                 [--exit-timeout-secs S] [--http-max-body-bytes B] [--http-max-connections K]\n"
               "                 [--http-idle-timeout-secs T] [--cpus C] [--ports-file PATH]   (--flag=value works too)\n"
               "  port 0 picks a free port; --ports-file writes {\"http\": N, \"grpc\": M} once both listen\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string repo_dir;
  std::string ports_file;
  int http_port = -1, grpc_port = -1, exit_timeout = 30, cpus = 0, max_connections = 1024, idle_secs = 120;
  uint64_t body_limit = 64ull << 20;
  for (int i = 1; i < argc; ++i) {
    // "--flag value" or "--flag=value" (the form Kubernetes manifests usually write).
    std::string a = argv[i], v;
    size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      v = a.substr(eq + 1);
      a = a.substr(0, eq);
    } else {
      if (i + 1 >= argc) return Usage(("missing value for " + a).c_str());
      v = argv[++i];
    }
    char* end = nullptr;
    long long n = std::strtoll(v.c_str(), &end, 10);
    bool num = *end == '\0' && n >= 0;
    if (a == "--model-repository") repo_dir = v;
    else if (a == "--http-port" && num && n <= 65535) http_port = static_cast<int>(n);
    else if (a == "--grpc-port" && num && n <= 65535) grpc_port = static_cast<int>(n);
    else if (a == "--exit-timeout-secs" && num) exit_timeout = static_cast<int>(n);
    else if (a == "--http-max-body-bytes" && num) body_limit = static_cast<uint64_t>(n);
    else if (a == "--ports-file" && !v.empty()) ports_file = v;
    else if (a == "--cpus" && num) cpus = static_cast<int>(n);
    else if (a == "--http-max-connections" && num && n > 0) max_connections = static_cast<int>(n);
    else if (a == "--http-idle-timeout-secs" && num) idle_secs = static_cast<int>(n);
    else return Usage(("bad argument " + a + " " + v).c_str());
  }
  if (repo_dir.empty() || http_port < 0) return Usage("--model-repository and --http-port are required");

  // Signals go to one thread (sigwait), never to a worker.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto repo = pl::server::ModelRepository::Load(repo_dir, cpus, Log);
  if (!repo.ok()) return Log(repo.status().ToString()), 1;
  pl::server::ServerState state;
  state.repo = repo->get();

  boost::asio::io_context io;
  tcp::acceptor acceptor(io);
  beast::error_code ec;
  tcp::endpoint ep(boost::asio::ip::make_address("0.0.0.0"), static_cast<unsigned short>(http_port));
  acceptor.open(ep.protocol(), ec);
  if (!ec) acceptor.set_option(boost::asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return Log("HTTP port " + std::to_string(http_port) + ": " + ec.message()), 1;
#ifdef PL_SERVER_WITH_GRPC
  std::unique_ptr<pl::server::GrpcServer> grpc;
  if (grpc_port >= 0) {
    auto g = pl::server::GrpcServer::Start(&state, grpc_port, static_cast<int64_t>(body_limit));
    if (!g.ok()) return Log(g.status().ToString()), 1;
    grpc = std::move(*g);
  }
#else
  if (grpc_port >= 0) Log("gRPC front end not built yet: --grpc-port ignored");
#endif
  const int bound_http = acceptor.local_endpoint().port();
  int bound_grpc = -1;
  Log("serving HTTP on " + std::to_string(bound_http));
#ifdef PL_SERVER_WITH_GRPC
  if (grpc) {
    bound_grpc = grpc->port();
    Log("serving gRPC on " + std::to_string(bound_grpc));
  }
#endif
  if (!ports_file.empty()) {
    // Written whole, then renamed: a reader polling for the file never sees half of it.
    const std::string tmp = ports_file + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "w");
    bool ok = f && std::fprintf(f, "{\"http\": %d, \"grpc\": %d}\n", bound_http, bound_grpc) > 0;
    if (f) ok = std::fclose(f) == 0 && ok;
    if (!ok || std::rename(tmp.c_str(), ports_file.c_str()) != 0)
      return Log("--ports-file " + ports_file + ": " + std::strerror(errno)), 1;
  }

  if (idle_secs > 0) g_idle.Start();
  std::thread accept_thread([&] {
    for (;;) {
      tcp::socket s(io);
      beast::error_code aec;
      acceptor.accept(s, aec);
      if (aec) {
        if (!acceptor.is_open()) return;
        continue;
      }
      if (g_sessions.load() >= max_connections) {
        Refuse(std::move(s), max_connections);
        continue;
      }
      ++g_sessions;
      // The socket is moved into the thread only once it exists: if the system refuses a thread,
      // the client gets the same 503 as over the limit.
      auto sock = std::make_shared<tcp::socket>(std::move(s));
      try {
        std::thread([sock, &state, body_limit, idle_secs] { Session(std::move(*sock), &state, body_limit, idle_secs); })
            .detach();
      } catch (const std::system_error&) {
        --g_sessions;
        Refuse(std::move(*sock), g_sessions.load());
      }
    }
  });
  accept_thread.detach();

  int sig = 0;
  sigwait(&sigs, &sig);
  state.draining = true;  // readiness false, new inferences refused
  Log(std::string("signal ") + (sig == SIGTERM ? "SIGTERM" : "SIGINT") + ": draining");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(exit_timeout);
  while (state.in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int64_t left = state.in_flight.load();
#ifdef PL_SERVER_WITH_GRPC
  if (grpc) grpc->Shutdown(deadline);
#endif
  state.repo->DrainAll();
  // Let the last replies leave their sockets.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  // What was accepted and what was answered: every request a pool accepted ran, expired or was
  // cancelled, and every one got its reply (the drain test checks these against its clients).
  uint64_t ok = 0, submitted = 0, answered = 0;
  for (const auto& m : state.repo->models()) {
    ok += m->metrics.success;
    if (!m->pool) continue;
    auto st = m->pool->stats();
    submitted += st.submitted;
    answered += st.completed + st.expired + st.cancelled;
  }
  Log("exit: succeeded " + std::to_string(ok) + ", pool accepted " + std::to_string(submitted) + ", answered " +
      std::to_string(answered));
  Log(left == 0 ? "drained, exiting" : std::to_string(left) + " requests still running at the exit timeout");
  std::fflush(nullptr);
  std::_Exit(left == 0 ? 0 : 1);
}
