#include <gtest/gtest.h>

#include <random>

#include "src/plan/memory_planner.h"

namespace pl::plan {
namespace {

TEST(MemoryPlanner, DisjointLifetimesShareMemory) {
  // A chain a->b->c: a and c never live together, so they can share.
  std::vector<BufferRequest> r = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}};
  MemoryPlan p = PlanMemory(r);
  EXPECT_TRUE(PlanIsValid(r, p));
  EXPECT_EQ(p.offsets[0], p.offsets[2]);
  EXPECT_EQ(p.arena_bytes, 2 * 1024u);  // two 64-aligned 1000-byte slots
}

TEST(MemoryPlanner, OverlappingLifetimesDoNotOverlap) {
  std::vector<BufferRequest> r = {{64, 0, 5}, {64, 1, 2}, {64, 2, 3}, {128, 3, 5}};
  MemoryPlan p = PlanMemory(r);
  EXPECT_TRUE(PlanIsValid(r, p));
  EXPECT_LE(p.arena_bytes, 64u + 64u + 128u);
}

TEST(MemoryPlanner, RandomPlansAreValidAndNoWorseThanSum) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<BufferRequest> r;
    size_t sum = 0;
    for (int i = 0; i < 60; ++i) {
      int first = rng() % 100;
      int last = first + rng() % 10;
      size_t bytes = 1 + rng() % 5000;
      r.push_back({bytes, first, last});
      sum += (bytes + 63) / 64 * 64;
    }
    MemoryPlan p = PlanMemory(r);
    ASSERT_TRUE(PlanIsValid(r, p)) << "trial " << trial;
    EXPECT_LE(p.arena_bytes, sum);
    for (size_t o : p.offsets) EXPECT_EQ(o % 64, 0u);
  }
}

TEST(MemoryPlanner, EmptyAndZeroSized) {
  EXPECT_EQ(PlanMemory({}).arena_bytes, 0u);
  std::vector<BufferRequest> r = {{0, 0, 0}};
  EXPECT_TRUE(PlanIsValid(r, PlanMemory(r)));
}

}  // namespace
}  // namespace pl::plan
