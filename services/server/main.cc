// pl_server: the Open Inference Protocol (KServe v2) over a model repository of PredictorPools.
//   pl_server --model-repository DIR --http-port N [--grpc-port M] [--exit-timeout-secs S]
//             [--http-max-body-bytes B] [--cpus C]
// SIGTERM/SIGINT: readiness turns false, new inferences get 503, accepted ones are answered
// (up to --exit-timeout-secs), then exit 0.
#include <signal.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
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

// One thread per connection, HTTP/1.1 keep-alive; a malformed or oversized request gets its
// 4xx and the connection closes.
void Session(tcp::socket socket, pl::server::ServerState* state, uint64_t body_limit) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);
    http::read(socket, buffer, parser, ec);
    if (ec == http::error::end_of_stream || ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset)
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
               "                 [--exit-timeout-secs S] [--http-max-body-bytes B] [--cpus C]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string repo_dir;
  int http_port = -1, grpc_port = -1, exit_timeout = 30, cpus = 0;
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
    else if (a == "--http-port" && num) http_port = static_cast<int>(n);
    else if (a == "--grpc-port" && num) grpc_port = static_cast<int>(n);
    else if (a == "--exit-timeout-secs" && num) exit_timeout = static_cast<int>(n);
    else if (a == "--http-max-body-bytes" && num) body_limit = static_cast<uint64_t>(n);
    else if (a == "--cpus" && num) cpus = static_cast<int>(n);
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
  Log("serving HTTP on " + std::to_string(acceptor.local_endpoint().port()));
#ifdef PL_SERVER_WITH_GRPC
  if (grpc) Log("serving gRPC on " + std::to_string(grpc->port()));
#endif

  std::thread accept_thread([&] {
    for (;;) {
      tcp::socket s(io);
      beast::error_code aec;
      acceptor.accept(s, aec);
      if (aec) {
        if (!acceptor.is_open()) return;
        continue;
      }
      std::thread(Session, std::move(s), &state, body_limit).detach();
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
