// pl_bench: latency, throughput and memory of one model through the public Predictor API.
//   pl_bench --model M.onnx --shape 1x3x640x640 [--input-name x] --threads T --intra N
//            --seconds S --warmup W [--predictors K] [--backend onednn|ref|cuda] [--json] [--profile]
// T worker threads, each on its own Clone(), run back to back for S seconds after W warm-up runs
// each; qps counts every finished run over the wall time of the timed phase. --predictors K first
// builds K predictors (the first plus K-1 clones) and runs each once, reporting RSS before and
// after, so the cost of one more predictor is readable. --seconds 0 skips the timed phase.
// --profile adds a per-op-type time table (Predictor::EnableProfiling / LastProfile) and, for
// oneDNN regions, one per primitive kind inside them and the heaviest primitives with GFLOP/s.
// --backend_options onednn.dw_fusion=bands,... sets Config::SetBackendOption.
// The input is x[i] = float((i % 255) * 0.01), computed in double then cast, the same in
// benchmarks/peers/ort_bench.js and scripts/make_references.js.
// Exit status 1 with a message on stderr on any error.
#include <gflags/gflags.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "pl/pl.h"

DEFINE_string(model, "", "ONNX model file (required)");
DEFINE_string(shape, "", "input shape, e.g. 1x3x640x640 (required unless the model's input shape is static)");
DEFINE_string(input_name, "", "input to feed (default: the model's first input)");
DEFINE_int32(threads, 1, "worker threads, each running its own Clone()");
DEFINE_int32(intra, 1, "intra-op threads of each predictor");
DEFINE_double(seconds, 5, "length of the timed phase (0: no timed phase)");
DEFINE_int32(warmup, 3, "warm-up runs per worker before the timed phase");
DEFINE_int32(predictors, 0, "first build K predictors by Clone() and run each once (memory per clone)");
DEFINE_string(backend, "", "onednn | ref | cuda (a priority list ending in cpu_ref; default: the SDK's)");
DEFINE_bool(json, false, "print one JSON object on stdout (tables go to stderr)");
DEFINE_bool(profile, false, "print a per-op-type time table");
DEFINE_int32(profile_runs, 10, "runs averaged by --profile");
DEFINE_string(backend_options, "", "comma-separated key=value backend options, e.g. onednn.dw_fusion=bands");
DEFINE_int32(profile_top, 15, "primitives listed by --profile (the heaviest inside oneDNN regions)");
DEFINE_string(disable_passes, "",
              "comma-separated graph passes to turn off, e.g. 'onednn_regions' to profile each oneDNN op "
              "separately instead of as one fused region");

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "pl_bench: error: %s\n", msg.c_str());
  std::exit(1);
}

template <typename T>
T OrDie(pl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what + ": " + v.status().ToString());
  return std::move(v).value();
}
void OrDie(const pl::Status& s, const std::string& what) {
  if (!s.ok()) Die(what + ": " + s.ToString());
}

// Resident set size now, from /proc/self/statm (MB).
double RssMb() {
  std::ifstream f("/proc/self/statm");
  long pages_total = 0, pages_rss = 0;
  f >> pages_total >> pages_rss;
  return pages_rss * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}
// Peak resident set size of the process so far (MB).
double PeakRssMb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024.0;  // Linux reports KiB
}

pl::Shape ParseShape(const std::string& s) {
  pl::Shape dims;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, 'x')) {
    char* end = nullptr;
    long long d = std::strtoll(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0' || d <= 0) Die("bad --shape '" + s + "' (expected e.g. 1x3x640x640)");
    dims.push_back(d);
  }
  if (dims.empty()) Die("bad --shape '" + s + "'");
  return dims;
}

std::vector<std::string> BackendList(const std::string& b) {
  if (b.empty()) return {};
  if (b == "onednn") return {pl::kBackendOneDnn, pl::kBackendCpuRef};
  if (b == "ref" || b == "cpu_ref") return {pl::kBackendCpuRef};
  if (b == "cuda") return {pl::kBackendCuda, pl::kBackendCpuRef};
  Die("unknown --backend '" + b + "' (onednn, ref or cuda)");
}

// The benchmark input: x[i] = float((i % 255) * 0.01), computed in double.
std::vector<float> MakeInput(int64_t n) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(static_cast<double>(i % 255) * 0.01);
  return x;
}

// Binds the benchmark input to `p`'s input handle; it stays there for every later Run().
void Feed(pl::Predictor* p, const std::string& name, const pl::Shape& shape, const std::vector<float>& x) {
  pl::Tensor* in = OrDie(p->Input(name), "input '" + name + "'");
  OrDie(in->Reshape(shape), "reshape input '" + name + "'");
  OrDie(in->CopyFromCpu(x.data()), "copy input '" + name + "'");
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  double pos = q * (sorted.size() - 1);
  size_t lo = static_cast<size_t>(pos);
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

std::string JsonEscape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    if (static_cast<unsigned char>(c) < 0x20) { o += ' '; continue; }
    o += c;
  }
  return o;
}

// Converts "--input-name=x" to gflags' "--input_name=x" so both spellings work.
void NormalizeDashes(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    char* a = argv[i];
    if (std::strncmp(a, "--", 2) != 0) continue;
    for (char* c = a + 2; *c && *c != '='; ++c)
      if (*c == '-') *c = '_';
  }
}

struct ProfileRow {
  std::string op, backend;
  double ms = 0;
  int nodes = 0;
  double gflop = 0;  // per run
};

struct PrimitiveRow {
  std::string node, op, parent;
  double ms = 0, gflop = 0;
};

struct ProfileResult {
  double total_ms = 0;
  std::vector<ProfileRow> ops;         // top-level nodes by op type
  std::vector<ProfileRow> kinds;       // primitives inside regions, by "<op>:<primitive kind>"
  std::vector<PrimitiveRow> heaviest;  // primitives inside regions, by time
};

ProfileResult Profile(pl::Predictor* p, int runs) {
  p->EnableProfiling(true);
  std::map<std::pair<std::string, std::string>, ProfileRow> rows, kinds;
  std::vector<PrimitiveRow> prims;
  ProfileResult res;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    OrDie(p->Run(), "profiled run");
    res.total_ms += std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    size_t k = 0;  // the primitives come in the same order every run
    for (const auto& t : p->LastProfile()) {
      ProfileRow& row = (t.parent.empty() ? rows : kinds)[{t.op, t.backend}];
      row.op = t.op;
      row.backend = t.backend;
      row.ms += t.ms;
      row.gflop += t.gflop;
      if (r == 0) ++row.nodes;
      if (t.parent.empty()) continue;
      if (r == 0) prims.push_back({t.node, t.op, t.parent, 0, t.gflop});
      if (k < prims.size()) prims[k].ms += t.ms;
      ++k;
    }
  }
  p->EnableProfiling(false);
  for (auto* m : {&rows, &kinds})
    for (auto& [key, row] : *m) {
      row.ms /= runs;
      row.gflop /= runs;
      (m == &rows ? res.ops : res.kinds).push_back(row);
    }
  for (auto& pr : prims) pr.ms /= runs;
  res.total_ms /= runs;
  auto by_ms = [](const auto& a, const auto& b) { return a.ms > b.ms; };
  std::sort(res.ops.begin(), res.ops.end(), by_ms);
  std::sort(res.kinds.begin(), res.kinds.end(), by_ms);
  std::sort(prims.begin(), prims.end(), by_ms);
  if (prims.size() > static_cast<size_t>(std::max(0, FLAGS_profile_top))) prims.resize(std::max(0, FLAGS_profile_top));
  res.heaviest = std::move(prims);
  return res;
}

double Gflops(double gflop, double ms) { return ms > 0 ? gflop / ms * 1e3 : 0.0; }

}  // namespace

int main(int argc, char** argv) {
  NormalizeDashes(argc, argv);
  gflags::SetUsageMessage(
      "pl_bench --model M.onnx --shape 1x3x640x640 [--input-name x] --threads T --intra N --seconds S "
      "--warmup W [--predictors K] [--backend onednn|ref|cuda] [--json] [--profile]");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  if (FLAGS_model.empty()) Die("--model is required");
  if (FLAGS_threads < 1) Die("--threads must be >= 1");
  if (FLAGS_intra < 1) Die("--intra must be >= 1");
  if (FLAGS_seconds < 0 || FLAGS_warmup < 0 || FLAGS_predictors < 0) Die("negative --seconds/--warmup/--predictors");
  FILE* table = FLAGS_json ? stderr : stdout;

  const double rss_start = RssMb();
  pl::Config config(FLAGS_model);
  config.SetIntraOpThreads(FLAGS_intra);
  if (!FLAGS_backend.empty()) config.SetBackends(BackendList(FLAGS_backend));
  {
    std::stringstream opts(FLAGS_backend_options);
    std::string kv;
    while (std::getline(opts, kv, ',')) {
      if (kv.empty()) continue;
      const size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) Die("--backend_options: '" + kv + "' is not key=value");
      config.SetBackendOption(kv.substr(0, eq), kv.substr(eq + 1));
    }
  }
  {
    std::stringstream passes(FLAGS_disable_passes);
    std::string pass;
    while (std::getline(passes, pass, ','))
      if (!pass.empty()) config.DisablePass(pass);
  }
  auto t_load = Clock::now();
  std::unique_ptr<pl::Predictor> base = OrDie(pl::CreatePredictor(config), "loading " + FLAGS_model);
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_load).count();

  std::string input_name = FLAGS_input_name.empty() ? base->InputNames().at(0) : FLAGS_input_name;
  if (base->InputNames().size() > 1)
    Die("the model has " + std::to_string(base->InputNames().size()) + " inputs; pl_bench feeds one");
  pl::Shape shape;
  if (!FLAGS_shape.empty()) {
    shape = ParseShape(FLAGS_shape);
  } else {
    for (const auto& info : base->InputInfos())
      if (info.name == input_name) shape = info.shape;
    if (shape.empty() || std::any_of(shape.begin(), shape.end(), [](int64_t d) { return d <= 0; }))
      Die("the input's shape is dynamic: give --shape");
  }
  const std::vector<float> x = MakeInput(pl::ShapeNumElements(shape));
  Feed(base.get(), input_name, shape, x);
  // The first run and the clones' runs happen on a thread that exits before the timed phase: a
  // thread that ran at intra-op > 1 keeps its OpenMP team, and with more OpenMP threads than CPUs
  // in the process libgomp stops spin-waiting, which made the timed workers' intra-2 runs ~50%
  // slower on a 2-CPU machine (rec 7.7 vs 5.0 ms). A service's serving threads see no such team.
  double first_run_ms = 0, rss_one = 0, rss_k = 0, clone_ms = 0;
  std::vector<std::unique_ptr<pl::Predictor>> extra;
  std::thread([&] {
    auto t_first = Clock::now();
    OrDie(base->Run(), "first run");
    first_run_ms = std::chrono::duration<double, std::milli>(Clock::now() - t_first).count();
    rss_one = rss_k = RssMb();
    // ---- memory per predictor: K predictors (base + K-1 clones), each run once ----
    if (FLAGS_predictors > 1) {
      auto t0 = Clock::now();
      for (int k = 1; k < FLAGS_predictors; ++k) {
        extra.push_back(OrDie(base->Clone(), "Clone()"));
        Feed(extra.back().get(), input_name, shape, x);
        OrDie(extra.back()->Run(), "run on clone " + std::to_string(k));
      }
      clone_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / (FLAGS_predictors - 1);
      rss_k = RssMb();
    }
  }).join();
  const pl::MemoryStats mem = base->Memory();

  // ---- timed phase: T workers, each on its own predictor ----
  std::vector<pl::Predictor*> workers;
  std::vector<std::unique_ptr<pl::Predictor>> worker_clones;
  for (int t = 0; t < FLAGS_threads; ++t) {
    if (t == 0) { workers.push_back(base.get()); continue; }
    if (t - 1 < static_cast<int>(extra.size())) { workers.push_back(extra[t - 1].get()); continue; }
    worker_clones.push_back(OrDie(base->Clone(), "Clone() for worker " + std::to_string(t)));
    Feed(worker_clones.back().get(), input_name, shape, x);
    workers.push_back(worker_clones.back().get());
  }
  std::vector<std::vector<double>> lat(FLAGS_threads);
  double wall_s = 0;
  int64_t runs = 0;
  if (FLAGS_seconds > 0) {
    std::mutex mu;
    std::condition_variable cv;
    int ready = 0;
    bool go = false;
    std::atomic<bool> failed{false};
    std::string error;
    Clock::time_point start, deadline;
    std::vector<Clock::time_point> finished(FLAGS_threads);
    std::vector<std::thread> threads;
    for (int t = 0; t < FLAGS_threads; ++t) {
      threads.emplace_back([&, t] {
        pl::Predictor* p = workers[t];
        auto fail = [&](const pl::Status& s) {
          std::lock_guard<std::mutex> l(mu);
          if (!failed.exchange(true)) error = s.ToString();
        };
        for (int w = 0; w < FLAGS_warmup && !failed; ++w) {
          pl::Status s = p->Run();
          if (!s.ok()) fail(s);
        }
        {
          std::unique_lock<std::mutex> l(mu);
          if (++ready == FLAGS_threads) {
            start = Clock::now();
            deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(FLAGS_seconds));
            go = true;
            cv.notify_all();
          } else {
            cv.wait(l, [&] { return go; });
          }
        }
        lat[t].reserve(1 << 14);
        while (!failed) {
          auto t0 = Clock::now();
          if (t0 >= deadline) break;
          pl::Status s = p->Run();
          auto t1 = Clock::now();
          if (!s.ok()) { fail(s); break; }
          lat[t].push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        finished[t] = Clock::now();
      });
    }
    for (auto& th : threads) th.join();
    if (failed) Die("run failed: " + error);
    auto end = *std::max_element(finished.begin(), finished.end());
    wall_s = std::chrono::duration<double>(end - start).count();
  }
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  runs = static_cast<int64_t>(all.size());
  std::sort(all.begin(), all.end());
  double mean = 0;
  for (double v : all) mean += v;
  mean = all.empty() ? 0 : mean / all.size();
  const double qps = wall_s > 0 ? runs / wall_s : 0;

  ProfileResult prof;
  if (FLAGS_profile) prof = Profile(base.get(), std::max(1, FLAGS_profile_runs));
  const double profile_total = prof.total_ms;
  const std::vector<ProfileRow>& profile = prof.ops;

  const double mb = 1024.0 * 1024.0;
  const double per_clone_mb = FLAGS_predictors > 1 ? (rss_k - rss_one) / (FLAGS_predictors - 1) : 0;
  if (FLAGS_json) {
    std::printf("{\"runtime\": \"paddle_like\", \"model\": \"%s\", \"shape\": \"%s\", \"input_name\": \"%s\", "
                "\"backend\": \"%s\", \"threads\": %d, \"intra\": %d, \"seconds\": %.3f, \"warmup\": %d, "
                "\"runs\": %lld, \"qps\": %.4f, \"mean_ms\": %.4f, \"p50_ms\": %.4f, \"p90_ms\": %.4f, "
                "\"p99_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, \"load_ms\": %.2f, \"first_run_ms\": %.3f, "
                "\"rss_start_mb\": %.2f, \"rss_one_mb\": %.2f, \"predictors\": %d, \"rss_predictors_mb\": %.2f, "
                "\"per_clone_mb\": %.3f, \"clone_ms\": %.3f, \"shared_mb\": %.3f, \"private_mb\": %.3f, "
                "\"arena_mb\": %.3f, \"workspace_mb\": %.3f, \"rss_mb\": %.2f, \"peak_rss_mb\": %.2f",
                JsonEscape(FLAGS_model).c_str(), FLAGS_shape.c_str(), JsonEscape(input_name).c_str(),
                FLAGS_backend.empty() ? "default" : FLAGS_backend.c_str(), FLAGS_threads, FLAGS_intra, wall_s,
                FLAGS_warmup, static_cast<long long>(runs), qps, mean, Percentile(all, 0.5), Percentile(all, 0.9),
                Percentile(all, 0.99), all.empty() ? 0 : all.front(), all.empty() ? 0 : all.back(), load_ms,
                first_run_ms, rss_start, rss_one, std::max(1, FLAGS_predictors), rss_k, per_clone_mb, clone_ms,
                mem.shared_bytes / mb, mem.private_bytes / mb, mem.arena_bytes / mb, mem.workspace_bytes / mb,
                RssMb(), PeakRssMb());
    if (FLAGS_profile) {
      std::printf(", \"profile_ms_per_run\": %.4f, \"profile\": [", profile_total);
      for (size_t i = 0; i < profile.size(); ++i)
        std::printf("%s{\"op\": \"%s\", \"backend\": \"%s\", \"nodes\": %d, \"ms\": %.4f}", i ? ", " : "",
                    JsonEscape(profile[i].op).c_str(), JsonEscape(profile[i].backend).c_str(), profile[i].nodes,
                    profile[i].ms);
      std::printf("], \"primitives\": [");
      for (size_t i = 0; i < prof.kinds.size(); ++i)
        std::printf("%s{\"op\": \"%s\", \"count\": %d, \"ms\": %.4f, \"gflop\": %.4f, \"gflops\": %.2f}", i ? ", " : "",
                    JsonEscape(prof.kinds[i].op).c_str(), prof.kinds[i].nodes, prof.kinds[i].ms, prof.kinds[i].gflop,
                    Gflops(prof.kinds[i].gflop, prof.kinds[i].ms));
      std::printf("], \"heaviest_primitives\": [");
      for (size_t i = 0; i < prof.heaviest.size(); ++i)
        std::printf("%s{\"node\": \"%s\", \"op\": \"%s\", \"region\": \"%s\", \"ms\": %.4f, \"gflop\": %.4f, \"gflops\": %.2f}",
                    i ? ", " : "", JsonEscape(prof.heaviest[i].node).c_str(), JsonEscape(prof.heaviest[i].op).c_str(),
                    JsonEscape(prof.heaviest[i].parent).c_str(), prof.heaviest[i].ms, prof.heaviest[i].gflop,
                    Gflops(prof.heaviest[i].gflop, prof.heaviest[i].ms));
      std::printf("]");
    }
    std::printf("}\n");
  } else {
    std::printf("model %s  shape %s  backend %s  threads %d  intra %d\n", FLAGS_model.c_str(), FLAGS_shape.c_str(),
                FLAGS_backend.empty() ? "default" : FLAGS_backend.c_str(), FLAGS_threads, FLAGS_intra);
    std::printf("load %.1f ms, first run %.2f ms\n", load_ms, first_run_ms);
    if (FLAGS_seconds > 0)
      std::printf("%lld runs in %.2f s: %.2f qps; latency ms: mean %.3f p50 %.3f p90 %.3f p99 %.3f (min %.3f max %.3f)\n",
                  static_cast<long long>(runs), wall_s, qps, mean, Percentile(all, 0.5), Percentile(all, 0.9),
                  Percentile(all, 0.99), all.empty() ? 0 : all.front(), all.empty() ? 0 : all.back());
    if (FLAGS_predictors > 1)
      std::printf("RSS with 1 predictor %.1f MB, with %d: %.1f MB -> %.2f MB per extra clone (%.2f ms per clone)\n",
                  rss_one, FLAGS_predictors, rss_k, per_clone_mb, clone_ms);
    std::printf("model memory: shared %.2f MB, private per predictor %.2f MB (arena %.2f, workspace %.2f)\n",
                mem.shared_bytes / mb, mem.private_bytes / mb, mem.arena_bytes / mb, mem.workspace_bytes / mb);
    std::printf("RSS now %.1f MB, peak %.1f MB (at start %.1f MB)\n", RssMb(), PeakRssMb(), rss_start);
  }
  if (FLAGS_profile) {
    std::fprintf(table, "\nper-op-type profile (mean of %d runs, %.3f ms per run):\n", FLAGS_profile_runs,
                 profile_total);
    std::fprintf(table, "%-24s %-10s %6s %10s %7s\n", "op", "backend", "nodes", "ms/run", "%");
    double sum = 0;
    for (const auto& r : profile) sum += r.ms;
    for (const auto& r : profile)
      std::fprintf(table, "%-24s %-10s %6d %10.3f %6.1f%%\n", r.op.c_str(), r.backend.c_str(), r.nodes, r.ms,
                   sum > 0 ? 100.0 * r.ms / sum : 0.0);
    std::fprintf(table, "%-24s %-10s %6s %10.3f (sum of ops; the rest of %.3f is executor overhead)\n", "total", "",
                 "", sum, profile_total);
    if (!prof.kinds.empty()) {
      std::fprintf(table, "\ninside oneDNN regions, by node op : primitive kind (each primitive timed alone):\n");
      std::fprintf(table, "%-34s %6s %10s %7s %9s %9s\n", "op:primitive", "count", "ms/run", "%", "GFLOP", "GFLOP/s");
      double in = 0;
      for (const auto& r : prof.kinds) in += r.ms;
      for (const auto& r : prof.kinds)
        std::fprintf(table, "%-34s %6d %10.3f %6.1f%% %9.4f %9.2f\n", r.op.c_str(), r.nodes, r.ms,
                     in > 0 ? 100.0 * r.ms / in : 0.0, r.gflop, Gflops(r.gflop, r.ms));
      std::fprintf(table, "\nheaviest %zu primitives:\n%-40s %-28s %10s %9s %9s\n", prof.heaviest.size(), "node",
                   "op:primitive", "ms/run", "GFLOP", "GFLOP/s");
      for (const auto& r : prof.heaviest)
        std::fprintf(table, "%-40s %-28s %10.3f %9.4f %9.2f\n", r.node.c_str(), r.op.c_str(), r.ms, r.gflop,
                     Gflops(r.gflop, r.ms));
    }
  }
  return 0;
}
