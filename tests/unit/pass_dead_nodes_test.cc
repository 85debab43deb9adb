// Passes dead_node_removal and identity_removal.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

TEST(PassDeadNodes, RemovesUnreadNodesAndConstants) {
  Tensor x = PassRandom({3, 4}, 80, -1.f, 1.f, "x");
  const std::string model = BuildModel(
      {NodeSpec{"Mul", "", {"x", "k"}, {"dead"}, {}}, NodeSpec{"Relu", "", {"x"}, {"y"}, {}}},
      {x}, {PassRandom({3, 4}, 81, -1.f, 1.f, "k")}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::RemoveDeadNodes(g.get()).ok());
  EXPECT_EQ(LiveNodes(*g), 1);
  EXPECT_EQ(g->values[g->FindValue("k")].constant, nullptr);  // not kept alive nor counted as shared
  EXPECT_EQ(g->ConstantBytes(), 0u);
  ExpectSameResults(model, {x}, "dead_node_removal");
}

TEST(PassIdentityRemoval, RewiresConsumers) {
  Tensor x = PassRandom({3, 4}, 82, -1.f, 1.f, "x");
  const std::string model = BuildModel(
      {NodeSpec{"Identity", "", {"x"}, {"i"}, {}}, NodeSpec{"Relu", "", {"i"}, {"y"}, {}}}, {x}, {}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::RemoveIdentityNodes(g.get()).ok());
  EXPECT_EQ(CountOps(*g, "Identity"), 0);
  ExpectSameResults(model, {x}, "identity_removal");
}

}  // namespace
}  // namespace pl::test
