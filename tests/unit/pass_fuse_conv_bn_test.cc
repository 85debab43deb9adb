// Pass fuse_conv_bn: BatchNormalization after Conv / ConvTranspose folds into the weights.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

std::string ConvBn(const std::string& conv, const Shape& w_shape, int64_t m, bool second_reader) {
  std::vector<Tensor> w = {PassRandom(w_shape, 10, -0.5f, 0.5f, "w"), PassRandom({m}, 11, -1.f, 1.f, "b"),
                           PassRandom({m}, 12, 0.5f, 1.5f, "gamma"), PassRandom({m}, 13, -1.f, 1.f, "beta"),
                           PassRandom({m}, 14, -1.f, 1.f, "mean"), PassRandom({m}, 15, 0.5f, 2.f, "var")};
  std::vector<NodeSpec> n = {
      NodeSpec{conv, "", {"x", "w", "b"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}},
      NodeSpec{"BatchNormalization", "", {"c", "gamma", "beta", "mean", "var"}, {"y"}, {AttrFloat("epsilon", 1e-3f)}}};
  std::vector<std::string> outs = {"y"};
  if (second_reader) {
    n.push_back(NodeSpec{"Relu", "", {"c"}, {"z"}, {}});
    outs.push_back("z");
  }
  return BuildModel(n, {PassRandom({1, 4, 7, 6}, 16, -1.f, 1.f, "x")}, w, outs);
}

TEST(PassFuseConvBn, FoldsIntoConv) {
  const std::string model = ConvBn("Conv", {5, 4, 3, 3}, 5, false);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseConvBatchNorm(g.get()).ok());
  EXPECT_EQ(CountOps(*g, "BatchNormalization"), 0);
  const ir::Node* conv = FindOp(*g, "Conv");
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(g->values[conv->outputs[0]].name, "y");  // the fused node produces the BN's output
  ExpectSameResults(model, {PassRandom({1, 4, 7, 6}, 16, -1.f, 1.f, "x")}, "fuse_conv_bn");
}

TEST(PassFuseConvBn, FoldsIntoConvTranspose) {
  const std::string model = ConvBn("ConvTranspose", {4, 3, 3, 3}, 3, false);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseConvBatchNorm(g.get()).ok());
  EXPECT_EQ(CountOps(*g, "BatchNormalization"), 0);
  ExpectSameResults(model, {PassRandom({1, 4, 7, 6}, 16, -1.f, 1.f, "x")}, "fuse_conv_bn");
}

TEST(PassFuseConvBn, KeepsBnWhenConvOutputHasOtherReaders) {
  const std::string model = ConvBn("Conv", {5, 4, 3, 3}, 5, true);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseConvBatchNorm(g.get()).ok());
  EXPECT_EQ(CountOps(*g, "BatchNormalization"), 1);
}

}  // namespace
}  // namespace pl::test
