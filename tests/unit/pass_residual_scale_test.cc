// Pass residual_scale: x + x * s becomes x * (s + 1), x read once.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

Tensor X() { return PassRandom({1, 4, 5, 6}, 40, -2.f, 2.f, "x"); }

TEST(PassResidualScale, SqueezeExcitationGate) {
  // x + x * HardSigmoid(GlobalAveragePool(x)), both operand orders, then a second use of x
  // elsewhere that must keep reading x (not the rewritten value).
  const std::string model = BuildModel(
      {NodeSpec{"GlobalAveragePool", "", {"x"}, {"p"}, {}}, NodeSpec{"HardSigmoid", "", {"p"}, {"s"}, {}},
       NodeSpec{"Mul", "", {"s", "x"}, {"m"}, {}}, NodeSpec{"Add", "", {"m", "x"}, {"y"}, {}},
       NodeSpec{"Mul", "", {"y", "s"}, {"m2"}, {}}, NodeSpec{"Add", "", {"y", "m2"}, {"z"}, {}},
       NodeSpec{"Relu", "", {"x"}, {"r"}, {}}, NodeSpec{"Add", "", {"z", "r"}, {"out"}, {}}},
      {X()}, {}, {"out"}, 13);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::ResidualScale(g.get()).ok());
  ASSERT_TRUE(g->Finalize().ok());
  // Two Mul+Add pairs rewritten: Mul(x, s+1) and Mul(y, s+1), the Adds now add 1 to s.
  EXPECT_EQ(CountOps(*g, "Mul"), 2);
  EXPECT_EQ(CountOps(*g, "Add"), 3);
  for (const ir::Node& n : g->nodes)
    if (!n.removed && n.op_type == "Mul") {
      const int a = n.inputs[0], b = n.inputs[1];
      EXPECT_NE(g->values[a].name, g->values[b].name);
      EXPECT_TRUE(g->values[a].name == "x" || g->values[a].name == "y") << g->values[a].name;
    }
  ExpectSameResults(model, {X()}, "residual_scale");
}

TEST(PassResidualScale, LeavesOtherShapes) {
  // The product is read twice (the Mul must stay), and x + y * s is not the pattern.
  const std::string model = BuildModel(
      {NodeSpec{"Relu", "", {"x"}, {"s"}, {}}, NodeSpec{"Mul", "", {"x", "s"}, {"m"}, {}},
       NodeSpec{"Add", "", {"x", "m"}, {"y"}, {}}, NodeSpec{"Add", "", {"y", "m"}, {"y2"}, {}},
       NodeSpec{"Sigmoid", "", {"x"}, {"t"}, {}}, NodeSpec{"Mul", "", {"t", "s"}, {"m3"}, {}},
       NodeSpec{"Add", "", {"y2", "m3"}, {"out"}, {}}},
      {X()}, {}, {"out"}, 13);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::ResidualScale(g.get()).ok());
  EXPECT_EQ(CountOps(*g, "Mul"), 2);
  EXPECT_EQ(CountOps(*g, "Add"), 3);
  ExpectSameResults(model, {X()}, "residual_scale");
}

}  // namespace
}  // namespace pl::test
