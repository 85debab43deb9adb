#include "demo/scaling.h"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace pl::demo {
namespace {

using Clock = std::chrono::steady_clock;

double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

StatusOr<ScalingPoint> MeasurePoint(services::PredictorPool& pool, int threads, const RunSettings& settings,
                                    const std::string& label) {
  std::vector<Predictor*> preds;
  for (int i = 0; i < threads; ++i) {
    PL_ASSIGN_OR_RETURN(Predictor * p, pool.Retrieve(i));
    preds.push_back(p);
  }
  std::vector<std::vector<double>> latencies(threads);
  std::vector<Status> errors(threads);
  std::vector<double> cpu_ms(threads, 0);
  std::atomic<int64_t> done{0};
  std::atomic<bool> failed{false};
  // All threads start together so the wall clock covers only concurrent work.
  std::mutex mu;
  std::condition_variable cv;
  int ready = 0;
  bool go = false;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      latencies[t].reserve(settings.loop_times);
      {
        std::unique_lock<std::mutex> lk(mu);
        ++ready;
        cv.notify_all();
        cv.wait(lk, [&] { return go; });
      }
      const double cpu0 = ThreadCpuMs();
      for (int k = 0; k < settings.loop_times; ++k) {
        const auto t0 = Clock::now();
        Status s = preds[t]->Run();
        latencies[t].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (!s.ok()) {
          errors[t] = s;
          failed = true;
          return;
        }
        done.fetch_add(1, std::memory_order_relaxed);
      }
      cpu_ms[t] = ThreadCpuMs() - cpu0;
    });
  }
  Clock::time_point start;
  {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return ready == threads; });
    go = true;
    start = Clock::now();
  }
  cv.notify_all();

  // Progress for long points: a percentage on stderr, redrawn in place on a terminal.
  const int64_t total = static_cast<int64_t>(threads) * settings.loop_times;
  const bool tty = isatty(STDERR_FILENO) != 0;
  bool printed = false;
  auto last = Clock::now();
  while (done.load() < total) {
    if (failed.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (settings.progress && elapsed > 2.0 && Clock::now() - last > std::chrono::seconds(tty ? 1 : 5)) {
      last = Clock::now();
      const int64_t d = done.load();
      std::fprintf(stderr, "%s  %s: %3d%% (%lld/%lld runs, %.0f s)%s", tty ? "\r" : "", label.c_str(),
                   static_cast<int>(100 * d / total), static_cast<long long>(d), static_cast<long long>(total),
                   elapsed, tty ? "" : "\n");
      printed = true;
    }
  }
  for (auto& w : workers) w.join();
  const double wall = std::chrono::duration<double>(Clock::now() - start).count();
  if (printed && tty) std::fprintf(stderr, "\r%*s\r", 72, "");
  for (int t = 0; t < threads; ++t)
    if (!errors[t].ok()) return errors[t].WithContext("thread " + std::to_string(t));

  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  ScalingPoint p;
  p.threads = threads;
  p.runs = static_cast<int64_t>(all.size());
  p.batch_size = settings.batch_size;
  p.wall_s = wall;
  p.qps = wall > 0 ? static_cast<double>(p.runs) / wall : 0;
  p.items_per_s = p.qps * settings.batch_size;
  p.p50_ms = Percentile(all, 0.50);
  p.p90_ms = Percentile(all, 0.90);
  p.p99_ms = Percentile(all, 0.99);
  double sum = 0;
  for (double v : all) sum += v;
  p.mean_ms = all.empty() ? 0 : sum / static_cast<double>(all.size());
  double cpu = 0;
  for (double c : cpu_ms) cpu += c;
  p.cpu_ms_per_run = p.runs ? cpu / static_cast<double>(p.runs) : 0;
  const int cpus = std::min(threads, std::max(1, settings.usable_cpus));
  p.cpu_share = wall > 0 ? cpu / (wall * 1e3 * cpus) : 0;
  return p;
}

void ComputeScaling(std::vector<ScalingPoint>* points, int usable_cpus) {
  if (points->empty()) return;
  const ScalingPoint* base = &points->front();
  for (const auto& p : *points)
    if (p.threads < base->threads) base = &p;
  // Per-thread QPS of the base point, so a sweep that does not start at 1 still scales sensibly.
  const double per_thread = base->qps / base->threads;
  for (auto& p : *points) {
    p.speedup = per_thread > 0 ? p.qps / per_thread : 0;
    p.efficiency = p.speedup / p.threads;
    p.core_efficiency = p.speedup / std::min(p.threads, std::max(1, usable_cpus));
  }
}

std::string FormatTable(const std::vector<ScalingPoint>& points, int usable_cpus) {
  const bool batched = !points.empty() && points[0].batch_size > 1;
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof(line), " threads |      QPS |%s speedup | efficiency | per-CPU eff. |   p50 ms |   p99 ms | CPU ms/run | CPU got\n",
                batched ? "   items/s |" : "");
  os << line;
  os << " --------+----------+" << (batched ? "-----------+" : "")
     << "---------+------------+--------------+----------+----------+------------+--------\n";
  for (const auto& p : points) {
    char items[32] = "";
    if (batched) std::snprintf(items, sizeof(items), " %9.1f |", p.items_per_s);
    std::snprintf(line, sizeof(line), " %7d | %8.1f |%s %6.2fx | %9.0f%% | %11.0f%% | %8.2f | %8.2f | %10.2f | %5.0f%%%s\n",
                  p.threads, p.qps, items, p.speedup, 100 * p.efficiency, 100 * p.core_efficiency, p.p50_ms,
                  p.p99_ms, p.cpu_ms_per_run, 100 * p.cpu_share,
                  p.threads > usable_cpus ? "  (more threads than CPUs)" : "");
    os << line;
  }
  bool starved = false;
  for (const auto& p : points) starved |= p.cpu_share < 0.85;
  if (starved)
    os << " CPU got < 100%: other processes used the CPUs during the run; compare CPU ms/run across rows to\n"
          " separate the SDK's scaling (flat CPU ms/run = no contention inside the process) from the machine's.\n";
  os << " efficiency = speedup / threads; per-CPU eff. = speedup / min(threads, " << usable_cpus
     << " usable CPUs): 100% is perfect scaling.\n";
  return os.str();
}

Status WriteCsv(const std::string& path, const std::vector<ScalingPoint>& points) {
  std::ofstream f(path);
  if (!f) return Status::NotFound("cannot write " + path);
  f << "threads,runs,batch_size,wall_s,qps,items_per_s,speedup,efficiency,core_efficiency,p50_ms,p90_ms,p99_ms,"
       "mean_ms,cpu_ms_per_run,cpu_share\n";
  for (const auto& p : points) {
    char line[512];
    std::snprintf(line, sizeof(line), "%d,%lld,%d,%.4f,%.3f,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n",
                  p.threads, static_cast<long long>(p.runs), p.batch_size, p.wall_s, p.qps, p.items_per_s, p.speedup,
                  p.efficiency, p.core_efficiency, p.p50_ms, p.p90_ms, p.p99_ms, p.mean_ms, p.cpu_ms_per_run,
                  p.cpu_share);
    f << line;
  }
  return f ? Status::Ok() : Status::Internal("error writing " + path);
}

StatusOr<std::string> RenderChart(const std::string& dir, const std::string& title,
                                  const std::vector<ScalingPoint>& points, int usable_cpus) {
  if (points.empty()) return Status::InvalidArgument("no points to plot");
  const std::string script = dir + "/scaling.gp";
  const int max_t = points.back().threads;
  double per_thread = points.front().qps / points.front().threads;
  for (const auto& p : points)
    if (p.threads == 1) per_thread = p.qps;
  for (const char* terminal : {"pngcairo size 1200,520 font ',11'", "png size 1200,520"}) {
    std::ofstream gp(script);
    if (!gp) return Status::NotFound("cannot write " + script);
    gp << "# Rendered by pl_demo; rerun with: gnuplot scaling.gp\n"
       << "set datafile separator ','\n"
       << "set terminal " << terminal << "\n"
       << "set termoption noenhanced\n"
       << "set output 'scaling.png'\n"
       << "set multiplot layout 1,2 title \"" << title << "\"\n"
       << "set grid\nset key top left\nset xlabel 'threads (one predictor each)'\n"
       << "set xrange [0.5:" << max_t + 0.5 << "]\n"
       << (max_t <= 16 ? "set xtics 1\n" : "")
       << "set yrange [0:*]\n"
       << "set arrow 1 from " << usable_cpus << ", graph 0 to " << usable_cpus
       << ", graph 1 nohead dt 3 lc rgb 'gray40'\n"
       << "set label 1 '" << usable_cpus << " usable CPUs' at " << usable_cpus << ", graph 0.05 offset 0.5,0\n"
       << "set ylabel 'QPS (runs / s)'\n"
       << "plot 'scaling.csv' skip 1 using 1:5 with linespoints lw 2 pt 7 title 'measured', \\\n"
       << "     '' skip 1 using 1:(" << per_thread << " * ($1 < " << usable_cpus << " ? $1 : " << usable_cpus
       << ")) with lines dt 2 lw 2 title 'linear up to the CPU count'\n"
       << "set ylabel 'latency per run (ms)'\n"
       << "plot 'scaling.csv' skip 1 using 1:10 with linespoints lw 2 pt 7 title 'p50', \\\n"
       << "     '' skip 1 using 1:12 with linespoints lw 2 pt 5 title 'p99'\n"
       << "unset multiplot\n";
    gp.close();
    if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
      return Status::NotFound("gnuplot is not installed (Debian: apt-get install gnuplot-nox, or run "
                              "scripts/install_deps.sh); the data is in scaling.csv, the script in " + script);
    const std::string cmd = "cd '" + dir + "' && gnuplot scaling.gp > gnuplot.log 2>&1";
    if (std::system(cmd.c_str()) == 0) {
      std::remove((dir + "/gnuplot.log").c_str());
      return dir + "/scaling.png";
    }
  }
  return Status::Internal("gnuplot failed; see " + dir + "/gnuplot.log");
}

}  // namespace pl::demo
