// CPU budget: cgroup parsing, detection on a fake cgroup tree, and the clamping rules.
#include "services/cpu_budget.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace pl::services {
namespace {

TEST(CpuBudget, ParsesCgroupV2CpuMax) {
  EXPECT_FALSE(ParseCgroupV2CpuMax("max 100000").has_value());
  EXPECT_DOUBLE_EQ(*ParseCgroupV2CpuMax("150000 100000"), 1.5);
  EXPECT_DOUBLE_EQ(*ParseCgroupV2CpuMax("200000 100000\n"), 2.0);
  EXPECT_DOUBLE_EQ(*ParseCgroupV2CpuMax("50000"), 0.5);
  EXPECT_FALSE(ParseCgroupV2CpuMax("").has_value());
  EXPECT_FALSE(ParseCgroupV2CpuMax("garbage 1").has_value());
  EXPECT_FALSE(ParseCgroupV2CpuMax("-5 100000").has_value());
}

TEST(CpuBudget, CgroupV1Quota) {
  EXPECT_FALSE(CgroupV1Quota(-1, 100000).has_value());
  EXPECT_DOUBLE_EQ(*CgroupV1Quota(300000, 100000), 3.0);
  EXPECT_FALSE(CgroupV1Quota(100000, 0).has_value());
}

class FakeCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pl_cgroup_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + root_).c_str()); }
  void Write(const std::string& rel, const std::string& text) {
    std::string path = root_ + rel;
    std::system(("mkdir -p $(dirname " + path + ")").c_str());
    std::ofstream(path) << text;
  }
  std::string root_;
};

TEST_F(FakeCgroup, V2QuotaOnAnAncestorLimits) {
  Write("/proc_cgroup", "0::/kubepods/pod1/ctr\n");
  Write("/fs/kubepods/cpu.max", "max 100000\n");
  Write("/fs/kubepods/pod1/cpu.max", "100000 100000\n");  // 1 CPU for the pod
  Write("/fs/kubepods/pod1/ctr/cpu.max", "max 100000\n");
  CpuBudget b = DetectCpuBudget(root_ + "/proc_cgroup", root_ + "/fs");
  EXPECT_DOUBLE_EQ(b.quota_cpus, 1.0);
  EXPECT_EQ(b.usable_cpus, 1);
  EXPECT_NE(b.source.find("/kubepods/pod1"), std::string::npos) << b.source;
  EXPECT_NE(b.ToString().find("1 usable CPU"), std::string::npos) << b.ToString();
}

TEST_F(FakeCgroup, V2FractionalQuotaRoundsUp) {
  Write("/proc_cgroup", "0::/\n");
  Write("/fs/cpu.max", "150000 100000\n");
  CpuBudget b = DetectCpuBudget(root_ + "/proc_cgroup", root_ + "/fs");
  EXPECT_DOUBLE_EQ(b.quota_cpus, 1.5);
  EXPECT_EQ(b.usable_cpus, std::min(2, b.affinity_cpus));
}

TEST_F(FakeCgroup, V1CfsQuota) {
  Write("/proc_cgroup", "5:cpuset:/\n4:cpu,cpuacct:/docker/abc\n");
  Write("/fs/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "100000\n");
  Write("/fs/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  CpuBudget b = DetectCpuBudget(root_ + "/proc_cgroup", root_ + "/fs");
  EXPECT_DOUBLE_EQ(b.quota_cpus, 1.0);
  EXPECT_EQ(b.usable_cpus, 1);
}

TEST_F(FakeCgroup, NoQuotaMeansAffinity) {
  Write("/proc_cgroup", "0::/user.slice\n");
  Write("/fs/user.slice/cpu.max", "max 100000\n");
  CpuBudget b = DetectCpuBudget(root_ + "/proc_cgroup", root_ + "/fs");
  EXPECT_EQ(b.quota_cpus, 0);
  EXPECT_EQ(b.usable_cpus, b.affinity_cpus);
  EXPECT_GE(b.usable_cpus, 1);
}

TEST(CpuBudget, MissingFilesFallBackToAffinity) {
  CpuBudget b = DetectCpuBudget("/nonexistent/cgroup", "/nonexistent");
  EXPECT_EQ(b.usable_cpus, b.affinity_cpus);
  EXPECT_GE(b.usable_cpus, 1);
}

TEST(CpuBudget, RealMachineIsSane) {
  CpuBudget b = DetectCpuBudget();
  EXPECT_GE(b.usable_cpus, 1);
  EXPECT_LE(b.usable_cpus, b.affinity_cpus);
}

TEST(CpuPlan, FitsAsRequested) {
  CpuPlan p = PlanCpu(8, 2, 4, CpuPolicy::kClamp);
  EXPECT_FALSE(p.clamped);
  EXPECT_FALSE(p.oversubscribed);
  EXPECT_EQ(p.intra_op_threads, 4);
  EXPECT_EQ(p.async_workers, 2);
  EXPECT_TRUE(p.message.empty());
}

TEST(CpuPlan, ClampsIntraOpThreadsFirst) {
  CpuPlan p = PlanCpu(8, 4, 4, CpuPolicy::kClamp);
  EXPECT_TRUE(p.clamped);
  EXPECT_FALSE(p.oversubscribed);
  EXPECT_EQ(p.intra_op_threads, 2);
  EXPECT_EQ(p.async_workers, 4);
  EXPECT_NE(p.message.find("clamped intra-op threads to 2"), std::string::npos) << p.message;
}

TEST(CpuPlan, MorePredictorsThanCpusLimitsWorkers) {
  CpuPlan p = PlanCpu(2, 8, 1, CpuPolicy::kClamp);
  EXPECT_TRUE(p.clamped);
  EXPECT_TRUE(p.oversubscribed);  // eight Retrieve() threads would still share two CPUs
  EXPECT_EQ(p.intra_op_threads, 1);
  EXPECT_EQ(p.async_workers, 2);
  EXPECT_NE(p.message.find("Submit() workers to 2"), std::string::npos) << p.message;
}

TEST(CpuPlan, InsistingKeepsTheRequest) {
  CpuPlan p = PlanCpu(2, 4, 4, CpuPolicy::kAllowOversubscription);
  EXPECT_FALSE(p.clamped);
  EXPECT_TRUE(p.oversubscribed);
  EXPECT_EQ(p.intra_op_threads, 4);
  EXPECT_EQ(p.async_workers, 4);
  EXPECT_NE(p.message.find("16 threads on 2 usable CPUs"), std::string::npos) << p.message;
}

TEST(CpuPlan, NonsenseInputsAreNormalized) {
  CpuPlan p = PlanCpu(0, 0, 0, CpuPolicy::kClamp);
  EXPECT_EQ(p.usable_cpus, 1);
  EXPECT_EQ(p.pool_size, 1);
  EXPECT_EQ(p.intra_op_threads, 1);
}

}  // namespace
}  // namespace pl::services
