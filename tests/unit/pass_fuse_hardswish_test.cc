// Pass fuse_hardswish: the exporters' HardSwish / HardSigmoid spellings become the ops.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

std::vector<Tensor> Consts() { return {NamedScalar("three", 3.f), NamedScalar("zero", 0.f), NamedScalar("six", 6.f), NamedScalar("sixth", 1.f / 6)}; }
Tensor X() { return PassRandom({2, 3, 5}, 30, -6.f, 6.f, "x"); }

TEST(PassFuseHardSwish, ClipSpelling) {
  // x * Clip(x + 3, 0, 6) / 6
  const std::string model = BuildModel(
      {NodeSpec{"Add", "", {"x", "three"}, {"a"}, {}}, NodeSpec{"Clip", "", {"a", "zero", "six"}, {"c"}, {}},
       NodeSpec{"Mul", "", {"x", "c"}, {"m"}, {}}, NodeSpec{"Div", "", {"m", "six"}, {"y"}, {}}},
      {X()}, Consts(), {"y"}, 11);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseHardSwish(g.get(), Config()).ok());
  EXPECT_EQ(LiveNodes(*g), 1);
  EXPECT_EQ(CountOps(*g, "HardSwish"), 1);
  ExpectSameResults(model, {X()}, "fuse_hardswish");
}

TEST(PassFuseHardSwish, HardSigmoidSpellings) {
  // Clip(x + 3, 0, 6) * (1/6) alone is HardSigmoid; x * HardSigmoid(x) (alpha 1/6) is HardSwish.
  const std::string model = BuildModel(
      {NodeSpec{"Add", "", {"three", "x"}, {"a"}, {}}, NodeSpec{"Clip", "", {"a", "zero", "six"}, {"c"}, {}},
       NodeSpec{"Mul", "", {"c", "sixth"}, {"h"}, {}}, NodeSpec{"Relu", "", {"h"}, {"y1"}, {}},
       NodeSpec{"HardSigmoid", "", {"x"}, {"hs"}, {AttrFloat("alpha", 1.f / 6), AttrFloat("beta", 0.5f)}},
       NodeSpec{"Mul", "", {"hs", "x"}, {"y2"}, {}}},
      {X()}, Consts(), {"y1", "y2"}, 11);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseHardSwish(g.get(), Config()).ok());
  EXPECT_EQ(CountOps(*g, "HardSigmoid"), 1);
  EXPECT_EQ(CountOps(*g, "HardSwish"), 1);
  EXPECT_EQ(LiveNodes(*g), 3);
  ExpectSameResults(model, {X()}, "fuse_hardswish");
}

TEST(PassFuseHardSwish, LeavesOtherConstants) {
  // Clip(x + 3, 0, 5) and HardSigmoid with alpha 0.2 are not HardSwish.
  const std::string model = BuildModel(
      {NodeSpec{"Add", "", {"x", "three"}, {"a"}, {}}, NodeSpec{"Clip", "", {"a", "zero", "five"}, {"c"}, {}},
       NodeSpec{"Mul", "", {"x", "c"}, {"m"}, {}}, NodeSpec{"Div", "", {"m", "six"}, {"y"}, {}},
       NodeSpec{"HardSigmoid", "", {"x"}, {"hs"}, {}}, NodeSpec{"Mul", "", {"hs", "x"}, {"y2"}, {}}},
      {X()}, {NamedScalar("three", 3.f), NamedScalar("zero", 0.f), NamedScalar("five", 5.f), NamedScalar("six", 6.f)},
      {"y", "y2"}, 11);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseHardSwish(g.get(), Config()).ok());
  EXPECT_EQ(CountOps(*g, "HardSwish"), 0);
  EXPECT_EQ(LiveNodes(*g), 6);
}

}  // namespace
}  // namespace pl::test
