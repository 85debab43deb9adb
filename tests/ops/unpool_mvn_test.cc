// Reference MaxUnpool (inferred shape with strides and pads, output_shape, 1-D, index checks) and
// MeanVarianceNormalization (default and explicit axes, against the ONNX function's formula
// E[X^2] - E[X]^2 evaluated here in double), hand-computed.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

TEST(MaxUnpool, InferredShapeAndOutputShape) {
  Tensor x = T_<float>({1, 1, 2, 2}, {5, 6, 7, 8});
  Tensor idx = T_<int64_t>({1, 1, 2, 2}, {5, 7, 13, 15});
  const std::vector<onnx::AttributeProto> k2s2 = {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})};
  auto r = RunRef("MaxUnpool", {x, idx}, k2s2, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 1, 4, 4}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 0, 0, 0, 0, 5, 0, 6, 0, 0, 0, 0, 0, 7, 0, 8}));
  // output_shape: the flat indices land directly in the given shape (ONNX Runtime's reading).
  auto o = RunRef("MaxUnpool", {x, idx, T_<int64_t>({4}, {1, 1, 5, 5})}, k2s2, 1, 11);
  ASSERT_TRUE(o.ok()) << o.status().ToString();
  EXPECT_EQ((*o)[0].shape(), (Shape{1, 1, 5, 5}));
  std::vector<float> want(25, 0);
  want[5] = 5, want[7] = 6, want[13] = 7, want[15] = 8;
  EXPECT_EQ(ToVec<float>((*o)[0]), want);
  // pads shrink the inferred shape: (2 - 1) * 2 + 2 - 0 - 1 = 3 per dim.
  auto p = RunRef("MaxUnpool", {x, T_<int64_t>({1, 1, 2, 2}, {0, 2, 6, 8})},
                  {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInts("pads", {0, 0, 1, 1})}, 1, 11);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)[0].shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(ToVec<float>((*p)[0]), (std::vector<float>{5, 0, 6, 0, 0, 0, 7, 0, 8}));
}

TEST(MaxUnpool, OneDimensionalTwoChannels) {
  // [1, 2, 2] with kernel 3, stride 1 -> length 4 per channel; indices span the whole tensor.
  auto r = RunRef("MaxUnpool", {T_<double>({1, 2, 2}, {1, 2, 3, 4}), T_<int64_t>({1, 2, 2}, {1, 3, 4, 6})},
                  {AttrInts("kernel_shape", {3})}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 4}));
  EXPECT_EQ(ToVec<double>((*r)[0]), (std::vector<double>{0, 1, 0, 2, 3, 0, 4, 0}));
}

TEST(MaxUnpool, Errors) {
  Tensor x = T_<float>({1, 1, 2, 2}, {5, 6, 7, 8});
  const std::vector<onnx::AttributeProto> k2s2 = {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})};
  EXPECT_FALSE(RunRef("MaxUnpool", {x, T_<int64_t>({1, 1, 2, 2}, {0, 1, 2, 16})}, k2s2, 1, 11).ok());  // index 16 of 16
  EXPECT_FALSE(RunRef("MaxUnpool", {x, T_<int64_t>({1, 1, 2, 2}, {0, -1, 2, 3})}, k2s2, 1, 11).ok());
  EXPECT_FALSE(RunRef("MaxUnpool", {x, T_<int64_t>({1, 1, 4}, {0, 1, 2, 3})}, k2s2, 1, 11).ok());  // I shape
  EXPECT_FALSE(RunRef("MaxUnpool", {x, T_<int64_t>({1, 1, 2, 2}, {0, 1, 2, 3})}, {AttrInts("strides", {2, 2})}, 1, 11).ok());
}

TEST(MeanVarianceNormalization, DefaultAxesPerChannel) {
  // [1, 2, 1, 2]: channel 0 = {1, 3} (mean 2, std 1), channel 1 = {10, 20} (mean 15, std 5).
  auto r = RunRef("MeanVarianceNormalization", {T_<float>({1, 2, 1, 2}, {1, 3, 10, 20})}, {}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<float> y = ToVec<float>((*r)[0]);
  const std::vector<float> want = {-1, 1, -1, 1};
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(y[i], want[i], 1e-6);
  // A constant group: 0 / (0 + 1e-9) = 0, not NaN.
  auto c = RunRef("MeanVarianceNormalization", {T_<double>({1, 1, 1, 3}, {4, 4, 4})}, {}, 1, 9);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(ToVec<double>((*c)[0]), (std::vector<double>{0, 0, 0}));
}

TEST(MeanVarianceNormalization, ExplicitAxesMatchFunctionFormula) {
  const Shape s = {2, 3, 4};
  std::vector<double> v(24);
  for (int i = 0; i < 24; ++i) v[i] = std::sin(1.7 * i) * 3 + i % 5;
  auto r = RunRef("MeanVarianceNormalization", {T_<double>(s, v)}, {AttrInts("axes", {0, -1})}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<double> y = ToVec<double>((*r)[0]);
  for (int c = 0; c < 3; ++c) {
    double sum = 0, sq = 0;
    for (int b = 0; b < 2; ++b)
      for (int k = 0; k < 4; ++k) {
        const double x = v[(b * 3 + c) * 4 + k];
        sum += x;
        sq += x * x;
      }
    const double mean = sum / 8, sd = std::sqrt(sq / 8 - mean * mean);
    for (int b = 0; b < 2; ++b)
      for (int k = 0; k < 4; ++k) {
        const int i = (b * 3 + c) * 4 + k;
        EXPECT_NEAR(y[i], (v[i] - mean) / (sd + 1e-9), 1e-9) << i;
      }
  }
  EXPECT_FALSE(RunRef("MeanVarianceNormalization", {T_<float>(s, std::vector<float>(24, 1))}, {AttrInts("axes", {3})}, 1, 13).ok());
}

}  // namespace
}  // namespace pl::test
