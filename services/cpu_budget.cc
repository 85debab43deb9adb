#include "services/cpu_budget.h"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace pl::services {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path);
  if (!f) return false;
  std::stringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

// "/a/b/c" -> {"/a/b/c", "/a/b", "/a", ""}: a quota set on any ancestor limits us too.
std::vector<std::string> SelfAndAncestors(std::string path) {
  std::vector<std::string> out;
  while (!path.empty() && path.back() == '/') path.pop_back();
  for (;;) {
    out.push_back(path);
    if (path.empty()) break;
    size_t slash = path.rfind('/');
    path = slash == std::string::npos ? "" : path.substr(0, slash);
  }
  return out;
}

int AffinityCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? static_cast<int>(hc) : 1;
}

}  // namespace

std::optional<double> ParseCgroupV2CpuMax(const std::string& text) {
  std::istringstream is(text);
  std::string quota;
  long long period = 0;
  if (!(is >> quota)) return std::nullopt;
  if (quota == "max") return std::nullopt;
  if (!(is >> period)) period = 100000;  // the kernel's default period when only a quota is shown
  char* end = nullptr;
  long long q = std::strtoll(quota.c_str(), &end, 10);
  if (end == quota.c_str() || *end != '\0' || q <= 0 || period <= 0) return std::nullopt;
  return static_cast<double>(q) / static_cast<double>(period);
}

std::optional<double> CgroupV1Quota(long long quota_us, long long period_us) {
  if (quota_us <= 0 || period_us <= 0) return std::nullopt;
  return static_cast<double>(quota_us) / static_cast<double>(period_us);
}

std::string CpuBudget::ToString() const {
  std::ostringstream os;
  os << usable_cpus << " usable CPU" << (usable_cpus == 1 ? "" : "s") << " (affinity " << affinity_cpus;
  if (quota_cpus > 0) os << ", cgroup quota " << quota_cpus;
  os << "; limited by " << source << ")";
  return os.str();
}

CpuBudget DetectCpuBudget(const std::string& proc_self_cgroup, const std::string& cgroup_root) {
  CpuBudget b;
  b.affinity_cpus = AffinityCpus();
  std::string quota_source;
  double quota = 0;
  auto consider = [&](std::optional<double> q, const std::string& where) {
    if (q && *q > 0 && (quota == 0 || *q < quota)) {
      quota = *q;
      quota_source = where;
    }
  };
  std::string cg;
  if (ReadFile(proc_self_cgroup, &cg)) {
    std::istringstream lines(cg);
    std::string line;
    while (std::getline(lines, line)) {
      // "hierarchy-id:controllers:path"; v2 is "0::/path".
      size_t a = line.find(':');
      size_t c = a == std::string::npos ? a : line.find(':', a + 1);
      if (c == std::string::npos) continue;
      std::string controllers = line.substr(a + 1, c - a - 1);
      std::string path = line.substr(c + 1);
      if (controllers.empty()) {
        for (const std::string& p : SelfAndAncestors(path)) {
          std::string text;
          if (ReadFile(cgroup_root + p + "/cpu.max", &text))
            consider(ParseCgroupV2CpuMax(Trim(text)), "cgroup v2 cpu.max " + (p.empty() ? "/" : p));
        }
      } else {
        std::istringstream cs(controllers);
        std::string ctl;
        bool has_cpu = false;
        while (std::getline(cs, ctl, ',')) has_cpu |= ctl == "cpu";
        if (!has_cpu) continue;
        // Mount names differ between distributions ("cpu,cpuacct", "cpu"); inside a container the
        // host path does not exist under the container's mount, so the walk reaches its root.
        for (const std::string& mount : {cgroup_root + "/" + controllers, cgroup_root + "/cpu"}) {
          for (const std::string& p : SelfAndAncestors(path)) {
            std::string qs, ps;
            if (ReadFile(mount + p + "/cpu.cfs_quota_us", &qs) && ReadFile(mount + p + "/cpu.cfs_period_us", &ps))
              consider(CgroupV1Quota(std::atoll(qs.c_str()), std::atoll(ps.c_str())),
                       "cgroup v1 cfs quota " + (p.empty() ? "/" : p));
          }
        }
      }
    }
  }
  b.quota_cpus = quota;
  b.usable_cpus = b.affinity_cpus;
  b.source = "affinity mask";
  if (quota > 0) {
    // A quota of 1.5 CPUs still lets two threads make progress; round up, as the JVM and Go do.
    int q = std::max(1, static_cast<int>(std::ceil(quota - 1e-9)));
    if (q < b.usable_cpus) {
      b.usable_cpus = q;
      b.source = quota_source;
    }
  }
  b.usable_cpus = std::max(1, b.usable_cpus);
  return b;
}

CpuPlan PlanCpu(int usable_cpus, int pool_size, int intra_op_threads, CpuPolicy policy) {
  CpuPlan p;
  p.usable_cpus = std::max(1, usable_cpus);
  p.pool_size = std::max(1, pool_size);
  p.requested_intra_op_threads = std::max(1, intra_op_threads);
  p.intra_op_threads = p.requested_intra_op_threads;
  p.async_workers = p.pool_size;
  const long long wanted = static_cast<long long>(p.pool_size) * p.intra_op_threads;
  std::ostringstream os;
  os << "pool of " << p.pool_size << " predictor" << (p.pool_size == 1 ? "" : "s") << " x "
     << p.requested_intra_op_threads << " intra-op thread" << (p.requested_intra_op_threads == 1 ? "" : "s")
     << " = " << wanted << " threads on " << p.usable_cpus << " usable CPU" << (p.usable_cpus == 1 ? "" : "s");
  if (wanted <= p.usable_cpus) return p;
  if (policy == CpuPolicy::kAllowOversubscription) {
    p.oversubscribed = true;
    os << ": oversubscribed, as requested (CpuPolicy::kAllowOversubscription)";
    p.message = os.str();
    return p;
  }
  p.clamped = true;
  p.intra_op_threads = std::max(1, p.usable_cpus / p.pool_size);
  p.async_workers = std::min(p.pool_size, std::max(1, p.usable_cpus / p.intra_op_threads));
  p.oversubscribed = static_cast<long long>(p.pool_size) * p.intra_op_threads > p.usable_cpus;
  os << ": clamped";
  if (p.intra_op_threads != p.requested_intra_op_threads) os << " intra-op threads to " << p.intra_op_threads;
  if (p.async_workers != p.pool_size) {
    os << (p.intra_op_threads != p.requested_intra_op_threads ? " and" : "") << " Submit() workers to "
       << p.async_workers << "; more than " << p.async_workers
       << " threads using Retrieve()/Acquire() at once will time-share the CPUs";
  }
  os << " (CpuPolicy::kAllowOversubscription keeps the request)";
  p.message = os.str();
  return p;
}

}  // namespace pl::services
