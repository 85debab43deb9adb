// The thread-scaling measurement behind pl_demo: T threads, each on its own pool predictor,
// run the same inputs L times; QPS, latency percentiles and scaling efficiency per T; the
// table, CSV and gnuplot chart. Separate from main() so each piece stays small.
#pragma once

#include <string>
#include <vector>

#include "pl/pl.h"
#include "services/predictor_pool.h"

namespace pl::demo {

struct ScalingPoint {
  int threads = 0;
  int64_t runs = 0;        // Run() calls, all threads together
  int batch_size = 1;
  double wall_s = 0;
  double qps = 0;          // runs per second
  double items_per_s = 0;  // qps x batch size
  double speedup = 0;      // qps / qps at 1 thread
  double efficiency = 0;   // speedup / threads
  double core_efficiency = 0;  // speedup / min(threads, usable CPUs)
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, mean_ms = 0;
  // CPU time the run threads got (CLOCK_THREAD_CPUTIME_ID): per run, and as a share of
  // wall x min(threads, usable CPUs). A share well below 100% means other processes took the
  // CPUs, so the lost scaling is the machine's, not the SDK's.
  double cpu_ms_per_run = 0;
  double cpu_share = 0;
};

struct RunSettings {
  int loop_times = 10;   // runs per thread
  int batch_size = 1;
  int usable_cpus = 1;
  bool progress = true;  // percentage on stderr while a point takes long
};

// Runs `threads` threads on pool slots 0..threads-1 (their inputs already bound). Errors from
// any Run() stop the measurement and are returned.
StatusOr<ScalingPoint> MeasurePoint(services::PredictorPool& pool, int threads, const RunSettings& settings,
                                    const std::string& label);

// Fills speedup and efficiencies from the 1-thread point (or the smallest thread count).
void ComputeScaling(std::vector<ScalingPoint>* points, int usable_cpus);

std::string FormatTable(const std::vector<ScalingPoint>& points, int usable_cpus);
Status WriteCsv(const std::string& path, const std::vector<ScalingPoint>& points);
// Writes `dir`/scaling.gp and renders `dir`/scaling.png with gnuplot. Returns the PNG path, or
// an error saying why no chart was made (gnuplot missing: how to install it).
StatusOr<std::string> RenderChart(const std::string& dir, const std::string& title,
                                  const std::vector<ScalingPoint>& points, int usable_cpus);

}  // namespace pl::demo
