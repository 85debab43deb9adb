// Reference random ops: shapes and dtypes as the attributes say, seeded runs repeat (across runs of
// one predictor and across predictors), unseeded runs differ, and the sample moments and
// frequencies match the distributions (bounds are > 6 standard errors wide, so a correct kernel
// fails with negligible probability, and a wrong mean, scale or range fails for certain).
#include <gtest/gtest.h>

#include <cmath>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

// One-node model with no graph inputs (or the given ones), run `runs` times on one predictor.
std::vector<std::vector<Tensor>> RunTimes(const std::string& op, const std::vector<Tensor>& inputs,
                                          const std::vector<onnx::AttributeProto>& attrs, int opset, int runs) {
  NodeSpec n;
  n.op_type = op;
  n.attrs = attrs;
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor t = inputs[i];
    t.set_name("in" + std::to_string(i));
    n.inputs.push_back(t.name());
    feeds.push_back(t);
  }
  n.outputs = {"out0"};
  Config config;
  config.SetModelBuffer(BuildModel({n}, feeds, {}, n.outputs, opset));
  config.SetBackends({kBackendCpuRef});
  auto pred = CreatePredictor(config);
  EXPECT_TRUE(pred.ok()) << pred.status().ToString();
  std::vector<std::vector<Tensor>> out;
  if (!pred.ok()) return out;
  for (int r = 0; r < runs; ++r) {
    std::vector<Tensor> y;
    Status s = (*pred)->Run(feeds, &y);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return out;
    out.push_back(std::move(y));
  }
  return out;
}

template <typename T>
void Moments(const Tensor& t, double* mean, double* var) {
  const std::vector<T> v = ToVec<T>(t);
  double s = 0, q = 0;
  for (T x : v) s += static_cast<double>(x);
  *mean = s / static_cast<double>(v.size());
  for (T x : v) q += (static_cast<double>(x) - *mean) * (static_cast<double>(x) - *mean);
  *var = q / static_cast<double>(v.size());
}

TEST(RandomNormal, ShapeMomentsAndSeed) {
  const std::vector<onnx::AttributeProto> a = {AttrInts("shape", {200, 100}), AttrFloat("mean", 3), AttrFloat("scale", 2),
                                               AttrFloat("seed", 7)};
  auto runs = RunTimes("RandomNormal", {}, a, 13, 2);
  ASSERT_EQ(runs.size(), 2u);
  const Tensor& y = runs[0][0];
  EXPECT_EQ(y.shape(), (Shape{200, 100}));
  EXPECT_EQ(y.dtype(), DataType::kFloat32);
  double m, v;
  Moments<float>(y, &m, &v);
  EXPECT_NEAR(m, 3, 0.09);   // standard error 2 / 141
  EXPECT_NEAR(v, 4, 0.35);   // standard error ~4 * sqrt(2 / 20000)
  EXPECT_EQ(ToVec<float>(runs[0][0]), ToVec<float>(runs[1][0]));  // seeded: every run the same
  auto again = RunTimes("RandomNormal", {}, a, 13, 1);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(ToVec<float>(again[0][0]), ToVec<float>(y));  // and another predictor too
  auto other = RunTimes("RandomNormal", {}, {AttrInts("shape", {200, 100}), AttrFloat("seed", 8)}, 13, 1);
  ASSERT_EQ(other.size(), 1u);
  EXPECT_NE(ToVec<float>(other[0][0]), ToVec<float>(y));
}

TEST(RandomUniform, RangeDtypeAndUnseededRunsDiffer) {
  auto runs = RunTimes("RandomUniform", {}, {AttrInts("shape", {10000}), AttrFloat("low", 2), AttrFloat("high", 5),
                                             AttrInt("dtype", 11)}, 13, 2);
  ASSERT_EQ(runs.size(), 2u);
  const Tensor& y = runs[0][0];
  EXPECT_EQ(y.dtype(), DataType::kFloat64);
  for (double x : ToVec<double>(y)) ASSERT_TRUE(x >= 2 && x < 5) << x;
  double m, v;
  Moments<double>(y, &m, &v);
  EXPECT_NEAR(m, 3.5, 0.06);  // standard error 0.0087
  EXPECT_NEAR(v, 0.75, 0.06);
  EXPECT_NE(ToVec<double>(runs[0][0]), ToVec<double>(runs[1][0]));  // no seed: each run draws anew
  // float16 output, and a bad dtype.
  auto h = RunTimes("RandomUniform", {}, {AttrInts("shape", {3}), AttrInt("dtype", 10)}, 13, 1);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0][0].dtype(), DataType::kFloat16);
  EXPECT_FALSE(RunRef("RandomUniform", {}, {AttrInts("shape", {3}), AttrInt("dtype", 7)}, 1, 13).ok());
  EXPECT_FALSE(RunRef("RandomUniform", {}, {AttrInts("shape", {3}), AttrFloat("low", 2), AttrFloat("high", 1)}, 1, 13).ok());
}

TEST(RandomLike, ShapeAndDtypeFromInputOrAttribute) {
  Tensor x = T_<double>({3, 4, 5}, std::vector<double>(60, 0));
  auto n = RunRef("RandomNormalLike", {x}, {AttrFloat("seed", 1)}, 1, 13);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ((*n)[0].shape(), x.shape());
  EXPECT_EQ((*n)[0].dtype(), DataType::kFloat64);
  // An int64 input with a float dtype attribute.
  auto u = RunRef("RandomUniformLike", {T_<int64_t>({2, 2}, {0, 0, 0, 0})}, {AttrInt("dtype", 1), AttrFloat("low", -1)}, 1, 13);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ((*u)[0].dtype(), DataType::kFloat32);
  for (float v : ToVec<float>((*u)[0])) EXPECT_TRUE(v >= -1 && v < 1);
  // An int64 input without dtype would make int64 random values: not a type these ops produce.
  EXPECT_FALSE(RunRef("RandomUniformLike", {T_<int64_t>({2}, {0, 0})}, {}, 1, 13).ok());
}

TEST(Multinomial, FrequenciesFollowLogProbabilities) {
  // Row 0: probabilities 0.2, 0.8, 0 (log -inf); row 1: uniform over 2 (unnormalized logs).
  Tensor logits = T_<float>({2, 3}, {std::log(0.2f), std::log(0.8f), -INFINITY, 5, 5, -INFINITY});
  auto r = RunRef("Multinomial", {logits}, {AttrInt("sample_size", 20000), AttrInt("dtype", 7), AttrFloat("seed", 3)}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 20000}));
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt64);
  const std::vector<int64_t> s = ToVec<int64_t>((*r)[0]);
  int64_t c[2][3] = {{0, 0, 0}, {0, 0, 0}};
  for (int b = 0; b < 2; ++b)
    for (int k = 0; k < 20000; ++k) {
      ASSERT_TRUE(s[b * 20000 + k] >= 0 && s[b * 20000 + k] < 3);
      ++c[b][s[b * 20000 + k]];
    }
  EXPECT_EQ(c[0][2] + c[1][2], 0);  // zero probability is never drawn
  EXPECT_NEAR(c[0][1] / 20000.0, 0.8, 0.02);  // standard error 0.0028
  EXPECT_NEAR(c[1][0] / 20000.0, 0.5, 0.02);
  // Default dtype int32, sample_size 1.
  auto d = RunRef("Multinomial", {logits}, {}, 1, 13);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ((*d)[0].dtype(), DataType::kInt32);
  EXPECT_EQ((*d)[0].shape(), (Shape{2, 1}));
  EXPECT_FALSE(RunRef("Multinomial", {T_<float>({3}, {0, 0, 0})}, {}, 1, 13).ok());  // rank 1
}

TEST(Bernoulli, ProbabilitiesAndDtypes) {
  std::vector<float> p(20000, 0.3f);
  p[0] = 0, p[1] = 1;
  auto r = RunRef("Bernoulli", {T_<float>({20000}, p)}, {AttrFloat("seed", 5)}, 1, 15);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kFloat32);
  const std::vector<float> y = ToVec<float>((*r)[0]);
  EXPECT_EQ(y[0], 0.f);
  EXPECT_EQ(y[1], 1.f);
  double ones = 0;
  for (float v : y) {
    ASSERT_TRUE(v == 0.f || v == 1.f);
    ones += v;
  }
  EXPECT_NEAR(ones / 20000, 0.3, 0.02);  // standard error 0.0032
  auto b = RunRef("Bernoulli", {T_<double>({2}, {1, 0})}, {AttrInt("dtype", 9)}, 1, 15);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)[0].dtype(), DataType::kBool);
  EXPECT_EQ(ToVec<bool>((*b)[0]), (std::vector<bool>{true, false}));
  EXPECT_FALSE(RunRef("Bernoulli", {T_<float>({2}, {0.5f, 1.5f})}, {}, 1, 15).ok());
}

}  // namespace
}  // namespace pl::test
