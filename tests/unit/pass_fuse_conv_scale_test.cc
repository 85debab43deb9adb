// Pass fuse_conv_scale: scalar / per-channel constant arithmetic after a conv folds into it.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

TEST(PassFuseConvScale, FoldsAffineChains) {
  // conv -> * s (scalar, constant first) -> + t [C,1,1] -> - u [1,C,1,1] -> / v (scalar)
  Tensor c_vec = PassRandom({5, 1, 1}, 20, -1.f, 1.f, "t"), u = PassRandom({1, 5, 1, 1}, 21, -1.f, 1.f, "u");
  const std::string model = BuildModel(
      {NodeSpec{"Conv", "", {"x", "w"}, {"c"}, {}}, NodeSpec{"Mul", "", {"s", "c"}, {"m"}, {}},
       NodeSpec{"Add", "", {"m", "t"}, {"a"}, {}}, NodeSpec{"Sub", "", {"a", "u"}, {"b"}, {}},
       NodeSpec{"Div", "", {"b", "v"}, {"y"}, {}}},
      {PassRandom({1, 3, 6, 5}, 22, -1.f, 1.f, "x")},
      {PassRandom({5, 3, 3, 3}, 23, -0.5f, 0.5f, "w"), NamedScalar("s", 0.7f), c_vec, u, NamedScalar("v", 4.f)}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseConvScale(g.get()).ok());
  EXPECT_EQ(LiveNodes(*g), 1);
  ExpectSameResults(model, {PassRandom({1, 3, 6, 5}, 22, -1.f, 1.f, "x")}, "fuse_conv_scale");
}

TEST(PassFuseConvScale, LeavesNonAffineOrNonChannelOperands) {
  // c - conv is not affine in the conv (well, it is, but negated: kept simple), and a [1,1,1,5]
  // operand broadcasts along width, not channels.
  const std::string model = BuildModel(
      {NodeSpec{"Conv", "", {"x", "w"}, {"c"}, {}}, NodeSpec{"Sub", "", {"k", "c"}, {"a"}, {}},
       NodeSpec{"Conv", "", {"a", "w2"}, {"d"}, {}}, NodeSpec{"Mul", "", {"d", "row"}, {"y"}, {}}},
      {PassRandom({1, 3, 6, 7}, 24, -1.f, 1.f, "x")},
      {PassRandom({5, 3, 1, 1}, 25, -0.5f, 0.5f, "w"), NamedScalar("k", 1.f), PassRandom({5, 5, 1, 1}, 26, -1.f, 1.f, "w2"),
       PassRandom({1, 1, 1, 7}, 27, -1.f, 1.f, "row")},
      {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseConvScale(g.get()).ok());
  EXPECT_EQ(LiveNodes(*g), 4);
  ExpectSameResults(model, {PassRandom({1, 3, 6, 7}, 24, -1.f, 1.f, "x")}, "fuse_conv_scale");
}

}  // namespace
}  // namespace pl::test
