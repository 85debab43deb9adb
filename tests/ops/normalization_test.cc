// Reference LayerNormalization, InstanceNormalization and LRN kernels: values computed by
// hand from the ONNX definitions, broadcasting, optional outputs, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "util/test_util.h"

namespace pl::test {
namespace {

using Attrs = std::vector<onnx::AttributeProto>;

StatusOr<std::vector<Tensor>> RunNorm(const std::string& op, const std::vector<Tensor>& in, const Attrs& attrs,
                                  int outputs = 1, int opset = 17) {
  return RunOp(op, in, attrs, outputs, opset, {}, {kBackendCpuRef});
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << i;
}

TEST(LayerNorm, LastAxisWithStatistics) {
  // Rows [1,2,3] and [2,4,6]: means 2 and 4, variances 2/3 and 8/3.
  const float r = std::sqrt(1.5f);  // 1 / sqrt(2/3)
  auto out = RunNorm("LayerNormalization",
                 {T_<float>({2, 3}, {1, 2, 3, 2, 4, 6}), T_<float>({3}, {1, 2, 3}), T_<float>({3}, {0, 1, 2})},
                 {AttrFloat("epsilon", 0.f)}, 3);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(ToVec<float>((*out)[0]), {-r, 1, 2 + 3 * r, -r, 1, 2 + 3 * r});
  EXPECT_EQ((*out)[1].shape(), (Shape{2, 1}));
  ExpectNear(ToVec<float>((*out)[1]), {2, 4});
  ExpectNear(ToVec<float>((*out)[2]), {r, r / 2});
}

TEST(LayerNorm, AxisZeroBroadcastScaleNoBias) {
  // All four values normalized together (mean 2.5, var 1.25); Scale [1, 2] broadcasts over rows.
  const float s = 1.f / std::sqrt(1.25f);
  auto out = RunNorm("LayerNormalization", {T_<float>({2, 2}, {1, 2, 3, 4}), T_<float>({2}, {1, 2})},
                 {AttrInt("axis", 0), AttrFloat("epsilon", 0.f)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(ToVec<float>((*out)[0]), {-1.5f * s, -0.5f * s * 2, 0.5f * s, 1.5f * s * 2});
}

TEST(LayerNorm, EpsilonAndNegativeAxis) {
  // Row [0, 2]: var 1, epsilon 3 -> divide by 2.
  auto out = RunNorm("LayerNormalization", {T_<float>({1, 1, 2}, {0, 2}), T_<float>({2}, {1, 1})},
                 {AttrInt("axis", -2), AttrFloat("epsilon", 3.f)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(ToVec<float>((*out)[0]), {-0.5f, 0.5f});
}

TEST(LayerNorm, RejectsBadScaleAndAxis) {
  Tensor x = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_FALSE(RunNorm("LayerNormalization", {x, T_<float>({2}, {1, 1})}, {}).ok());
  EXPECT_FALSE(RunNorm("LayerNormalization", {x, T_<float>({3}, {1, 1, 1})}, {AttrInt("axis", 2)}).ok());
}

TEST(InstanceNorm, PerPlaneStatistics) {
  // Plane 0 [1, 3]: mean 2, var 1; plane 1 [2, 6]: mean 4, var 4.
  auto out = RunNorm("InstanceNormalization",
                 {T_<float>({1, 2, 2}, {1, 3, 2, 6}), T_<float>({2}, {1, 2}), T_<float>({2}, {0, 1})},
                 {AttrFloat("epsilon", 0.f)}, 1, 13);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(ToVec<float>((*out)[0]), {-1, 1, -1, 3});
  EXPECT_FALSE(RunNorm("InstanceNormalization",
                   {T_<float>({1, 2, 2}, {1, 3, 2, 6}), T_<float>({3}, {1, 2, 3}), T_<float>({2}, {0, 1})}, {}, 1, 13)
                   .ok());
}

TEST(Lrn, ChannelWindows) {
  Tensor x = T_<float>({1, 3, 1, 1}, {1, 2, 3});
  // size 2: window [c, c+1]; square sums 5, 13, 9; y = x / (1 + 2/2 * sum)^1.
  auto out = RunNorm("LRN", {x}, {AttrInt("size", 2), AttrFloat("alpha", 2.f), AttrFloat("beta", 1.f)}, 1, 13);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(ToVec<float>((*out)[0]), {1.f / 6, 2.f / 14, 3.f / 10});
  // size 3: window [c-1, c+1]; sums 5, 14, 13; y = x / (2 + 3/3 * sum)^0.5.
  out = RunNorm("LRN", {x}, {AttrInt("size", 3), AttrFloat("alpha", 3.f), AttrFloat("beta", 0.5f), AttrFloat("bias", 2.f)},
            1, 13);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear(ToVec<float>((*out)[0]), {1.f / std::sqrt(7.f), 0.5f, 3.f / std::sqrt(15.f)});
  EXPECT_FALSE(RunNorm("LRN", {x}, {}, 1, 13).ok());                     // size is required
  EXPECT_FALSE(RunNorm("LRN", {x}, {AttrInt("size", 0)}, 1, 13).ok());   // size >= 1
}

}  // namespace
}  // namespace pl::test
