// Pass fuse_activation: element-wise ops after Conv / MatMul / binary ops become oneDNN post-ops
// (only when oneDNN is enabled: the reference backend never sees pl.onednn nodes).
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

constexpr const char* kFused = "pl.onednn";

std::vector<std::string> PostOps(const ir::Node& n) {
  auto it = n.attrs.find("post_ops");
  return it == n.attrs.end() ? std::vector<std::string>{} : it->second.strings;
}

Tensor X() { return PassRandom({1, 4, 9, 7}, 50, -2.f, 2.f, "x"); }

std::string ConvChain() {
  // conv -> relu6 (Clip) -> * 0.5 -> sigmoid; conv2 -> HardSigmoid; conv3 -> x * sigmoid(x)
  return BuildModel(
      {NodeSpec{"Conv", "", {"x", "w"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}},
       NodeSpec{"Clip", "", {"c", "zero", "six"}, {"r"}, {}}, NodeSpec{"Mul", "", {"r", "half"}, {"h"}, {}},
       NodeSpec{"Sigmoid", "", {"h"}, {"s"}, {}}, NodeSpec{"Conv", "", {"s", "w2"}, {"c2"}, {}},
       NodeSpec{"HardSigmoid", "", {"c2"}, {"hs"}, {}}, NodeSpec{"Conv", "", {"hs", "w2"}, {"c3"}, {}},
       NodeSpec{"Sigmoid", "", {"c3"}, {"sg"}, {}}, NodeSpec{"Mul", "", {"c3", "sg"}, {"y"}, {}}},
      {X()},
      {PassRandom({4, 4, 3, 3}, 51, -0.5f, 0.5f, "w"), PassRandom({4, 4, 1, 1}, 52, -0.5f, 0.5f, "w2"),
       NamedScalar("zero", 0.f), NamedScalar("six", 6.f), NamedScalar("half", 0.5f)},
      {"y"}, 11);
}

TEST(PassFuseActivation, ConvChains) {
  const std::string model = ConvChain();
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseActivation(g.get(), Config()).ok());
#ifdef PL_WITH_ONEDNN
  EXPECT_EQ(LiveNodes(*g), 3);
  EXPECT_EQ(CountOps(*g, "Conv", kFused), 3);
  std::vector<std::vector<std::string>> want = {{"clip", "linear", "logistic"}, {"linear", "clip"}, {"swish"}};
  int k = 0;
  for (const auto& n : g->nodes)
    if (!n.removed) {
      EXPECT_EQ(PostOps(n), want[k++]);
    }
#endif
  ExpectSameResults(model, {X()}, "fuse_activation");
}

TEST(PassFuseActivation, OffWithoutOneDnn) {
  auto g = LoadGraph(ConvChain());
  ASSERT_TRUE(g);
  Config c;
  c.SetBackends({kBackendCpuRef});
  ASSERT_TRUE(ir::FuseActivation(g.get(), c).ok());
  EXPECT_EQ(CountOps(*g, "Conv", kFused), 0);
  EXPECT_EQ(LiveNodes(*g), 9);
}

TEST(PassFuseActivation, MatMulWithConstantBiasAndRelu) {
  const std::string model = BuildModel(
      {NodeSpec{"MatMul", "", {"a", "b"}, {"m"}, {}}, NodeSpec{"Add", "", {"m", "bias"}, {"ab"}, {}},
       NodeSpec{"Relu", "", {"ab"}, {"y"}, {}}},
      {PassRandom({3, 5, 6}, 53, -1.f, 1.f, "a")}, {PassRandom({6, 7}, 54, -1.f, 1.f, "b"), PassRandom({7}, 55, -1.f, 1.f, "bias")},
      {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseActivation(g.get(), Config()).ok());
#ifdef PL_WITH_ONEDNN
  ASSERT_EQ(LiveNodes(*g), 1);
  const ir::Node* mm = FindOp(*g, "MatMul", kFused);
  ASSERT_NE(mm, nullptr);
  EXPECT_EQ(PostOps(*mm), (std::vector<std::string>{"binary_add", "relu"}));
  EXPECT_EQ(mm->inputs.size(), 3u);  // the bias rides as an extra input
#endif
  ExpectSameResults(model, {PassRandom({3, 5, 6}, 53, -1.f, 1.f, "a")}, "fuse_activation");
}

TEST(PassFuseActivation, LeavesSharedOutputsAndGraphOutputs) {
  // The conv output is read twice (relu and a graph output): nothing fuses.
  const std::string model = BuildModel(
      {NodeSpec{"Conv", "", {"x", "w"}, {"c"}, {}}, NodeSpec{"Relu", "", {"c"}, {"y"}, {}}},
      {X()}, {PassRandom({4, 4, 1, 1}, 56, -1.f, 1.f, "w")}, {"y", "c"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseActivation(g.get(), Config()).ok());
  EXPECT_EQ(LiveNodes(*g), 2);
  EXPECT_EQ(CountOps(*g, "Conv", kFused), 0);
}

}  // namespace
}  // namespace pl::test
