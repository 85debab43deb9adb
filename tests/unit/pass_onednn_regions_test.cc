// Pass onednn_regions: connected oneDNN nodes become one OneDnnRegion node, never creating a
// cycle through nodes oneDNN does not run.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

Tensor X() { return PassRandom({1, 4, 6, 5}, 70, -1.f, 1.f, "x"); }

TEST(PassOneDnnRegions, ChainBecomesOneRegion) {
  const std::string model = BuildModel(
      {NodeSpec{"Conv", "", {"x", "w"}, {"a"}, {AttrInts("pads", {1, 1, 1, 1})}}, NodeSpec{"Relu", "", {"a"}, {"b"}, {}},
       NodeSpec{"MaxPool", "", {"b"}, {"c"}, {AttrInts("kernel_shape", {2, 2})}}, NodeSpec{"Sigmoid", "", {"c"}, {"y"}, {}}},
      {X()}, {PassRandom({4, 4, 3, 3}, 71, -0.5f, 0.5f, "w")}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FormOneDnnRegions(g.get(), Config()).ok());
#ifdef PL_WITH_ONEDNN
  ASSERT_EQ(LiveNodes(*g), 1);
  const ir::Node* r = FindOp(*g, "OneDnnRegion", "pl.onednn");
  ASSERT_NE(r, nullptr);
  ASSERT_TRUE(r->attrs.at("region").g);
  EXPECT_EQ(r->attrs.at("region").g->nodes.size(), 4u);
#endif
  ExpectSameResults(model, {X()}, "onednn_regions");
}

TEST(PassOneDnnRegions, NoCycleThroughOtherNodes) {
  // a -> Floor (not a oneDNN op) -> c, and a -> c directly: a and c must not join one region,
  // or the region would both feed and read the Floor.
  const std::string model = BuildModel(
      {NodeSpec{"Relu", "", {"x"}, {"a"}, {}}, NodeSpec{"Sigmoid", "", {"a"}, {"a2"}, {}},
       NodeSpec{"Floor", "", {"a2"}, {"f"}, {}}, NodeSpec{"Add", "", {"a2", "f"}, {"c"}, {}},
       NodeSpec{"Tanh", "", {"c"}, {"y"}, {}}},
      {X()}, {}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FormOneDnnRegions(g.get(), Config()).ok());  // Finalize inside rejects cycles
#ifdef PL_WITH_ONEDNN
  EXPECT_EQ(CountOps(*g, "Floor"), 1);
  EXPECT_EQ(CountOps(*g, "OneDnnRegion", "pl.onednn"), 2);
#endif
  ExpectSameResults(model, {X()}, "onednn_regions");
}

TEST(PassOneDnnRegions, OffWithoutOneDnn) {
  const std::string model = BuildModel({NodeSpec{"Relu", "", {"x"}, {"a"}, {}}, NodeSpec{"Sigmoid", "", {"a"}, {"y"}, {}}},
                                       {X()}, {}, {"y"});
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  Config c;
  c.SetBackends({kBackendCpuRef});
  ASSERT_TRUE(ir::FormOneDnnRegions(g.get(), c).ok());
  EXPECT_EQ(LiveNodes(*g), 2);
}

}  // namespace
}  // namespace pl::test
