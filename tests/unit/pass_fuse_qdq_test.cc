// Pass fuse_qdq: DequantizeLinear -> Conv/MatMul -> QuantizeLinear becomes QLinearConv /
// QLinearMatMul, and equals the QOperator model written directly; patterns it must not touch.
#include "unit/pass_test_util.h"

namespace pl::test {
namespace {

Tensor Named(Tensor t, const std::string& name) {
  t.set_name(name);
  return t;
}

template <typename T>
Tensor Ramp(const Shape& shape, int lo, int hi, int step, const std::string& name) {
  std::vector<T> v(static_cast<size_t>(ShapeNumElements(shape)));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(lo + static_cast<int>((i * step) % (hi - lo + 1)));
  return Named(T_<T>(shape, v), name);
}

// x -> Q -> DQ -> Conv(DQ(w), DQ(b)) -> Q -> DQ -> y, weights per output channel.
struct QdqConv {
  float bias_scale_factor = 1.f;  // != 1: the bias scale is not x_scale * w_scale
  int64_t w_axis = 0;
  bool conv_output_read_twice = false;
};

std::string QdqConvModel(const QdqConv& c, std::vector<Tensor>* feeds) {
  const float xs = 0.05f, ys = 0.2f;
  const std::vector<float> ws = {0.01f, 0.02f, 0.015f};
  std::vector<float> bs;
  for (float w : ws) bs.push_back(xs * w * c.bias_scale_factor);
  std::vector<Tensor> inits = {
      Named(T_<float>({}, {xs}), "xs"), Named(T_<uint8_t>({}, {120}), "xz"),
      Ramp<int8_t>({3, 2, 3, 3}, -60, 60, 37, "wq"), Named(T_<float>({3}, ws), "ws"),
      Named(T_<int8_t>({3}, {0, 0, 0}), "wz"), Named(T_<int32_t>({3}, {-300, 45, 1200}), "bq"),
      Named(T_<float>({3}, bs), "bs"), Named(T_<float>({}, {ys}), "ys"), Named(T_<uint8_t>({}, {100}), "yz")};
  std::vector<NodeSpec> n = {
      NodeSpec{"QuantizeLinear", "", {"x", "xs", "xz"}, {"xq"}, {}},
      NodeSpec{"DequantizeLinear", "", {"xq", "xs", "xz"}, {"xd"}, {}},
      NodeSpec{"DequantizeLinear", "", {"wq", "ws", "wz"}, {"wd"}, {AttrInt("axis", c.w_axis)}},
      NodeSpec{"DequantizeLinear", "", {"bq", "bs"}, {"bd"}, {AttrInt("axis", 0)}},
      NodeSpec{"Conv", "", {"xd", "wd", "bd"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}},
      NodeSpec{"QuantizeLinear", "", {"c", "ys", "yz"}, {"cq"}, {}},
      NodeSpec{"DequantizeLinear", "", {"cq", "ys", "yz"}, {"y"}, {}}};
  std::vector<std::string> outs = {"y"};
  if (c.conv_output_read_twice) {
    n.push_back(NodeSpec{"Relu", "", {"c"}, {"r"}, {}});
    outs.push_back("r");
  }
  *feeds = {PassRandom({2, 2, 5, 6}, 41, -4.f, 4.f, "x")};
  return BuildModel(n, *feeds, inits, outs, 13);
}

StatusOr<Tensor> RunQdq(const std::string& model, const std::vector<Tensor>& feeds, bool fuse) {
  Config c;
  if (!fuse) c.DisablePass("fuse_qdq");
  return RunWith(c, model, feeds);
}

TEST(PassFuseQdq, ConvBecomesQLinearConvAndMatchesTheQOperatorModel) {
  std::vector<Tensor> feeds;
  const std::string model = QdqConvModel({}, &feeds);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseQdq(g.get(), Config()).ok());
  EXPECT_EQ(CountOps(*g, "QLinearConv"), 1);
  EXPECT_EQ(CountOps(*g, "Conv"), 0);
  // The same computation written in QOperator form.
  const std::string qop = BuildModel(
      {NodeSpec{"QuantizeLinear", "", {"x", "xs", "xz"}, {"xq"}, {}},
       NodeSpec{"QLinearConv", "", {"xq", "xs", "xz", "wq", "ws", "wz", "ys", "yz", "bq"}, {"cq"}, {AttrInts("pads", {1, 1, 1, 1})}},
       NodeSpec{"DequantizeLinear", "", {"cq", "ys", "yz"}, {"y"}, {}}},
      feeds,
      {Named(T_<float>({}, {0.05f}), "xs"), Named(T_<uint8_t>({}, {120}), "xz"), Ramp<int8_t>({3, 2, 3, 3}, -60, 60, 37, "wq"),
       Named(T_<float>({3}, {0.01f, 0.02f, 0.015f}), "ws"), Named(T_<int8_t>({3}, {0, 0, 0}), "wz"),
       Named(T_<int32_t>({3}, {-300, 45, 1200}), "bq"), Named(T_<float>({}, {0.2f}), "ys"), Named(T_<uint8_t>({}, {100}), "yz")},
      {"y"}, 13);
  auto fused = RunQdq(model, feeds, true), direct = RunWith(Config(), qop, feeds), unfused = RunQdq(model, feeds, false);
  ASSERT_TRUE(fused.ok() && direct.ok() && unfused.ok()) << fused.status().ToString() << direct.status().ToString();
  ASSERT_EQ(fused->shape(), (Shape{2, 3, 5, 6}));
  int64_t differ = 0;
  for (int64_t i = 0; i < fused->NumElements(); ++i) {
    EXPECT_EQ(fused->Data<float>()[i], direct->Data<float>()[i]) << i;
    // The float detour the graph spells out is at most one output step (0.2) away.
    EXPECT_LE(std::fabs(fused->Data<float>()[i] - unfused->Data<float>()[i]), 0.2f * 1.001f) << i;
    differ += fused->Data<float>()[i] != unfused->Data<float>()[i];
  }
  EXPECT_LT(differ, fused->NumElements() / 10);
}

TEST(PassFuseQdq, LeavesWhatItCannotExpress) {
  for (const QdqConv& c : {QdqConv{1.5f, 0, false}, QdqConv{1.f, 1, false}, QdqConv{1.f, 0, true}}) {
    std::vector<Tensor> feeds;
    auto g = LoadGraph(QdqConvModel(c, &feeds));
    ASSERT_TRUE(g);
    ASSERT_TRUE(ir::FuseQdq(g.get(), Config()).ok());
    EXPECT_EQ(CountOps(*g, "QLinearConv"), 0) << c.bias_scale_factor << " " << c.w_axis;
    EXPECT_EQ(CountOps(*g, "Conv"), 1);
  }
}

TEST(PassFuseQdq, MatMulPerColumnWeights) {
  std::vector<Tensor> inits = {
      Named(T_<float>({}, {0.03f}), "as"), Named(T_<uint8_t>({}, {128}), "az"), Ramp<int8_t>({7, 4}, -50, 50, 13, "bq"),
      Named(T_<float>({4}, {0.01f, 0.02f, 0.03f, 0.04f}), "bs"), Named(T_<int8_t>({4}, {0, 1, -1, 0}), "bz"),
      Named(T_<float>({}, {0.1f}), "ys"), Named(T_<uint8_t>({}, {128}), "yz")};
  std::vector<Tensor> feeds = {PassRandom({3, 5, 7}, 43, -3.f, 3.f, "a")};
  const std::string model = BuildModel(
      {NodeSpec{"QuantizeLinear", "", {"a", "as", "az"}, {"aq"}, {}},
       NodeSpec{"DequantizeLinear", "", {"aq", "as", "az"}, {"ad"}, {}},
       NodeSpec{"DequantizeLinear", "", {"bq", "bs", "bz"}, {"bd"}, {AttrInt("axis", 1)}},
       NodeSpec{"MatMul", "", {"ad", "bd"}, {"m"}, {}}, NodeSpec{"QuantizeLinear", "", {"m", "ys", "yz"}, {"y"}, {}}},
      feeds, inits, {"y"}, 13);
  auto g = LoadGraph(model);
  ASSERT_TRUE(g);
  ASSERT_TRUE(ir::FuseQdq(g.get(), Config()).ok());
  EXPECT_EQ(CountOps(*g, "QLinearMatMul"), 1);
  EXPECT_EQ(CountOps(*g, "MatMul"), 0);
  auto fused = RunQdq(model, feeds, true), unfused = RunQdq(model, feeds, false);
  ASSERT_TRUE(fused.ok() && unfused.ok()) << fused.status().ToString() << unfused.status().ToString();
  ASSERT_EQ(fused->dtype(), DataType::kUint8);
  for (int64_t i = 0; i < fused->NumElements(); ++i)
    EXPECT_LE(std::abs(fused->Data<uint8_t>()[i] - unfused->Data<uint8_t>()[i]), 1) << i;
}

}  // namespace
}  // namespace pl::test
