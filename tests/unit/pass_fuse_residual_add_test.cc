// Pass fuse_residual_add: a run-time operand of the same (proven) shape added to a conv / binary
// output becomes a binary post-op; never when the operand depends on that node, or may broadcast.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

constexpr const char* kFused = "pl.onednn";
Tensor X() { return PassRandom({1, 6, 8, 9}, 60, -1.f, 1.f, "x"); }

TEST(PassFuseResidualAdd, ResidualAndSqueezeExcite) {
  // y = relu(conv2(x1) + x1), x1 = conv1(x);  z = y + y * sigmoid(conv3(gap(y)))
  const std::string model = BuildModel(
      {NodeSpec{"Conv", "", {"x", "w"}, {"x1"}, {AttrInts("pads", {1, 1, 1, 1})}},
       NodeSpec{"Conv", "", {"x1", "w"}, {"c2"}, {AttrInts("pads", {1, 1, 1, 1})}},
       NodeSpec{"Add", "", {"c2", "x1"}, {"s"}, {}}, NodeSpec{"Relu", "", {"s"}, {"y"}, {}},
       NodeSpec{"GlobalAveragePool", "", {"y"}, {"g"}, {}}, NodeSpec{"Conv", "", {"g", "w1"}, {"c3"}, {}},
       NodeSpec{"Sigmoid", "", {"c3"}, {"se"}, {}}, NodeSpec{"Mul", "", {"y", "se"}, {"m"}, {}},
       NodeSpec{"Add", "", {"y", "m"}, {"z"}, {}}},
      {X()}, {PassRandom({6, 6, 3, 3}, 61, -0.3f, 0.3f, "w"), PassRandom({6, 6, 1, 1}, 62, -1.f, 1.f, "w1")}, {"z"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseResidualAdd(g.get(), Config()).ok());
#ifdef PL_WITH_ONEDNN
  EXPECT_EQ(CountOps(*g, "Add"), 0);
  const ir::Node* mul = FindOp(*g, "Mul", kFused);
  ASSERT_NE(mul, nullptr);
  EXPECT_EQ(mul->attrs.at("post_ops").strings, (std::vector<std::string>{"binary_add"}));
  const ir::Node* conv = nullptr;  // the one that now produces y
  for (const auto& n : g->nodes)
    if (!n.removed && n.domain == kFused && n.op_type == "Conv" && g->values[n.outputs[0]].name == "y") conv = &n;
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attrs.at("post_ops").strings, (std::vector<std::string>{"binary_add", "relu"}));
#endif
  ExpectSameResults(model, {X()}, "fuse_residual_add");
}

TEST(PassFuseResidualAdd, NotWhenTheOperandDependsOnTheNodeOrMayBroadcast) {
  // a = conv(x); b = relu(a) depends on a: a + b must stay an Add.
  // c = conv(x) + p, p a graph input [1,6,1,1] of unknown relation: fine (fits); q [2,6,8,9] may
  // broadcast the sum bigger: not fused.
  Tensor p = PassRandom({1, 6, 1, 1}, 63, -1.f, 1.f, "p");
  Tensor q = PassRandom({2, 6, 8, 9}, 64, -1.f, 1.f, "q");
  const std::string model = BuildModel(
      {NodeSpec{"Conv", "", {"x", "w"}, {"a"}, {AttrInts("pads", {1, 1, 1, 1})}}, NodeSpec{"Relu", "", {"a"}, {"b"}, {}},
       NodeSpec{"Add", "", {"a", "b"}, {"y"}, {}}, NodeSpec{"Conv", "", {"x", "w"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}},
       NodeSpec{"Add", "", {"c", "q"}, {"z"}, {}}},
      {X(), q}, {PassRandom({6, 6, 3, 3}, 65, -0.3f, 0.3f, "w")}, {"y", "z"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseResidualAdd(g.get(), Config()).ok());
  EXPECT_EQ(CountOps(*g, "Add"), 2);
}

}  // namespace
}  // namespace pl::test
