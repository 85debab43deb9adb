// Pass fuse_layer_norm: the decomposed last-axis layer norm becomes LayerNormalization.
#include "src/ir/passes/pass_util.h"
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

std::string DecomposedLayerNorm(bool affine) {
  std::vector<NodeSpec> n = {
      NodeSpec{"ReduceMean", "", {"x"}, {"m"}, {AttrInts("axes", {-1})}}, NodeSpec{"Sub", "", {"x", "m"}, {"d"}, {}},
      NodeSpec{"Pow", "", {"d", "two"}, {"p"}, {}}, NodeSpec{"ReduceMean", "", {"p"}, {"v"}, {AttrInts("axes", {-1})}},
      NodeSpec{"Add", "", {"v", "eps"}, {"e"}, {}}, NodeSpec{"Sqrt", "", {"e"}, {"s"}, {}},
      NodeSpec{"Div", "", {"d", "s"}, {affine ? "n" : "y"}, {}}};
  std::vector<Tensor> w = {NamedScalar("two", 2.f), NamedScalar("eps", 1e-5f)};
  if (affine) {
    n.push_back(NodeSpec{"Mul", "", {"n", "gamma"}, {"g"}, {}});
    n.push_back(NodeSpec{"Add", "", {"g", "beta"}, {"y"}, {}});
    w.push_back(PassRandom({12}, 40, 0.5f, 1.5f, "gamma"));
    w.push_back(PassRandom({12}, 41, -1.f, 1.f, "beta"));
  }
  return BuildModel(n, {PassRandom({2, 5, 12}, 42, -2.f, 2.f, "x")}, w, {"y"}, 13);
}

TEST(PassFuseLayerNorm, WithAndWithoutAffine) {
  for (bool affine : {true, false}) {
    const std::string model = DecomposedLayerNorm(affine);
    auto g = LoadGraph(model);
    ASSERT_TRUE(g);
    Config c;
    ASSERT_TRUE(ir::FuseLayerNorm(g.get(), c).ok());
    if (ir::SomeBackendHasKernel(c, "", "LayerNormalization", 17)) {
      EXPECT_EQ(LiveNodes(*g), 1);
      EXPECT_EQ(CountOps(*g, "LayerNormalization"), 1);
    } else {
      // No enabled backend runs LayerNormalization: the pass must leave the graph alone.
      EXPECT_EQ(LiveNodes(*g), affine ? 9 : 7);
    }
    ExpectSameResults(model, {PassRandom({2, 5, 12}, 42, -2.f, 2.f, "x")}, "fuse_layer_norm");
  }
}

TEST(PassFuseLayerNorm, NeedsTheSameInputAndLastAxis) {
  // Mean over axis 1: not a last-axis layer norm.
  const std::string model = BuildModel(
      {NodeSpec{"ReduceMean", "", {"x"}, {"m"}, {AttrInts("axes", {1})}}, NodeSpec{"Sub", "", {"x", "m"}, {"d"}, {}},
       NodeSpec{"Pow", "", {"d", "two"}, {"p"}, {}}, NodeSpec{"ReduceMean", "", {"p"}, {"v"}, {AttrInts("axes", {1})}},
       NodeSpec{"Add", "", {"v", "eps"}, {"e"}, {}}, NodeSpec{"Sqrt", "", {"e"}, {"s"}, {}},
       NodeSpec{"Div", "", {"d", "s"}, {"y"}, {}}},
      {PassRandom({2, 5, 12}, 43, -2.f, 2.f, "x")}, {NamedScalar("two", 2.f), NamedScalar("eps", 1e-5f)}, {"y"}, 13);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseLayerNorm(g.get(), Config()).ok());
  EXPECT_EQ(CountOps(*g, "LayerNormalization"), 0);
}

}  // namespace
}  // namespace pl::test
