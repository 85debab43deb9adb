// Pass constant_folding: constant subgraphs and Shape chains of static shapes become constants.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

TEST(PassConstantFolding, FoldsConstantArithmetic) {
  Tensor x = PassRandom({2, 3}, 1, -1.f, 1.f, "x");
  Tensor a = T_<float>({3}, {1, 2, 3});
  a.set_name("a");
  Tensor b = T_<float>({3}, {10, 20, 30});
  b.set_name("b");
  const std::string model = BuildModel(
      {NodeSpec{"Add", "", {"a", "b"}, {"ab"}, {}}, NodeSpec{"Neg", "", {"ab"}, {"nab"}, {}},
       NodeSpec{"Mul", "", {"x", "nab"}, {"y"}, {}}},
      {x}, {a, b}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FoldConstants(g.get()).ok());
  EXPECT_EQ(LiveNodes(*g), 1);
  const ir::Node* mul = FindOp(*g, "Mul");
  ASSERT_NE(mul, nullptr);
  const Tensor* folded = g->values[mul->inputs[1]].constant.get();
  ASSERT_NE(folded, nullptr);
  EXPECT_EQ(ToVec<float>(*folded), (std::vector<float>{-11, -22, -33}));
  ExpectSameResults(model, {x}, "constant_folding");
}

TEST(PassConstantFolding, FoldsShapeChainsOfStaticShapes) {
  // Reshape(x, Concat(Cast(Slice(Shape(x), 0, 1)), [-1])): what exporters emit for a flatten.
  Tensor x = PassRandom({2, 3, 4}, 2, -1.f, 1.f, "x");
  Tensor starts = T_<int64_t>({1}, {0}), ends = T_<int64_t>({1}, {1}), minus1 = T_<int64_t>({1}, {-1});
  starts.set_name("starts");
  ends.set_name("ends");
  minus1.set_name("minus1");
  const std::string model = BuildModel(
      {NodeSpec{"Shape", "", {"x"}, {"s"}, {}}, NodeSpec{"Slice", "", {"s", "starts", "ends"}, {"n"}, {}},
       NodeSpec{"Cast", "", {"n"}, {"n32"}, {AttrInt("to", 6)}}, NodeSpec{"Cast", "", {"n32"}, {"n64"}, {AttrInt("to", 7)}},
       NodeSpec{"Concat", "", {"n64", "minus1"}, {"shape"}, {AttrInt("axis", 0)}},
       NodeSpec{"Reshape", "", {"x", "shape"}, {"y"}, {}}},
      {x}, {starts, ends, minus1}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FoldConstants(g.get()).ok());
  EXPECT_EQ(LiveNodes(*g), 1);
  const ir::Node* r = FindOp(*g, "Reshape");
  ASSERT_NE(r, nullptr);
  const Tensor* shape = g->values[r->inputs[1]].constant.get();
  ASSERT_NE(shape, nullptr);
  EXPECT_EQ(ToVec<int64_t>(*shape), (std::vector<int64_t>{2, -1}));
  ExpectSameResults(model, {x}, "constant_folding");
}

TEST(PassConstantFolding, KeepsDynamicShapesAndRunTimeValues) {
  // A dynamic batch dim: Shape(x) cannot fold; nor can anything reading x.
  const std::string model = BuildModel({NodeSpec{"Shape", "", {"x"}, {"s"}, {}}, NodeSpec{"Relu", "", {"x"}, {"y"}, {}}},
                                       {PassRandom({2, 3}, 3, -1.f, 1.f, "x")}, {}, {"y", "s"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  // Make dim 0 unknown, as a model with a symbolic batch has it.
  g->values[g->inputs[0]].shape[0] = -1;
  ASSERT_TRUE(ir::FoldConstants(g.get()).ok());
  EXPECT_EQ(CountOps(*g, "Shape"), 1);
  EXPECT_EQ(CountOps(*g, "Relu"), 1);
}

}  // namespace
}  // namespace pl::test
