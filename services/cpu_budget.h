// CPU budget: how many cores this process may really use, and how a pool of predictors should
// split them between worker threads and intra-op threads so that the two never oversubscribe.
// Containers and `taskset` both shrink the budget below std::thread::hardware_concurrency(), so
// it is read from the scheduler affinity mask and the cgroup CPU quota (v2 cpu.max, v1 CFS).
// Thread-safety: free functions over plain values; DetectCpuBudget reads /proc and /sys only.
#pragma once

#include <optional>
#include <string>

namespace pl::services {

struct CpuBudget {
  int affinity_cpus = 1;   // CPUs in sched_getaffinity's mask (hardware_concurrency if unknown)
  double quota_cpus = 0;   // cgroup quota / period, the tightest along the cgroup path; 0 = no quota
  int usable_cpus = 1;     // min(affinity, ceil(quota)), at least 1
  std::string source;      // what limited it, for logs: "affinity", "cgroup v2 cpu.max /a/b", ...
  std::string ToString() const;
};

// Reads the budget of the calling process. `proc_self_cgroup` and `cgroup_root` exist so tests can
// point at a fake tree; production callers use the defaults.
CpuBudget DetectCpuBudget(const std::string& proc_self_cgroup = "/proc/self/cgroup",
                          const std::string& cgroup_root = "/sys/fs/cgroup");

// Parses cgroup v2 `cpu.max` ("max 100000" or "150000 100000"): CPUs, or nullopt when unlimited
// or malformed.
std::optional<double> ParseCgroupV2CpuMax(const std::string& text);
// cgroup v1: cfs_quota_us (-1 = unlimited) over cfs_period_us.
std::optional<double> CgroupV1Quota(long long quota_us, long long period_us);

// What to do when pool size x intra-op threads exceeds the usable CPUs.
enum class CpuPolicy {
  kClamp,                 // lower intra-op threads (then the number of async workers) and log it
  kAllowOversubscription  // keep what the user asked for; log a note once
};

// The pool's decision, kept so callers and tests can see what was applied and why.
struct CpuPlan {
  int usable_cpus = 1;
  int pool_size = 1;
  int requested_intra_op_threads = 1;
  int intra_op_threads = 1;  // applied to every predictor (and so on every thread that runs one)
  int async_workers = 1;     // threads serving Submit()
  bool oversubscribed = false;  // pool_size x intra_op_threads > usable_cpus after the decision
  bool clamped = false;         // the plan differs from the request
  std::string message;          // one line for logs; empty when nothing notable
};

// Splits `usable_cpus` between `pool_size` predictors that may run at once, each asking for
// `intra_op_threads` OpenMP threads. Pure: no I/O, so the clamping rules are unit-tested.
CpuPlan PlanCpu(int usable_cpus, int pool_size, int intra_op_threads, CpuPolicy policy);

}  // namespace pl::services
