// Reference BatchNormalization kernel: inference (per-channel and spatial=0), training mode
// (batch statistics and running mean/var), float64, and error cases; values computed by hand.
#include <gtest/gtest.h>

#include <cmath>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<std::vector<Tensor>> RunBn(const std::vector<Tensor>& in, const std::vector<onnx::AttributeProto>& attrs,
                                  int outputs = 1, int opset = 15) {
  return RunOp("BatchNormalization", in, attrs, outputs, opset, {}, {kBackendCpuRef});
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << i;
}

TEST(BatchNorm, InferencePerChannel) {
  // ch0: (x - 1) / sqrt(4) * 2 + 0; ch1: (x - 3) / sqrt(0.25) * 1 + 1.
  Tensor x = T_<float>({1, 2, 1, 2}, {1, 2, 3, 4});
  for (int opset : {7, 9, 14, 15}) {
    auto y = RunBn({x, T_<float>({2}, {2, 1}), T_<float>({2}, {0, 1}), T_<float>({2}, {1, 3}), T_<float>({2}, {4, 0.25f})},
                 {AttrFloat("epsilon", 0.f)}, 1, opset);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    ExpectNear(ToVec<float>((*y)[0]), {0, 1, 1, 3});
  }
}

TEST(BatchNorm, EpsilonAddsToVariance) {
  // var 0.75 + epsilon 0.25 = 1.
  auto y = RunBn({T_<float>({2, 1}, {3, -1}), T_<float>({1}, {1}), T_<float>({1}, {0}), T_<float>({1}, {1}),
                T_<float>({1}, {0.75f})},
               {AttrFloat("epsilon", 0.25f)});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(ToVec<float>((*y)[0]), {2, -2});
}

TEST(BatchNorm, SpatialZeroHasOneParameterPerActivation) {
  // Opset 7, spatial = 0: parameters of shape [C, D] = [2, 2]; y = x * scale here.
  auto y = RunBn({T_<float>({1, 2, 2}, {1, 2, 3, 4}), T_<float>({2, 2}, {1, 2, 3, 4}), T_<float>({2, 2}, {0, 0, 0, 1}),
                T_<float>({2, 2}, {0, 0, 0, 0}), T_<float>({2, 2}, {1, 1, 1, 1})},
               {AttrFloat("epsilon", 0.f), AttrInt("spatial", 0)}, 1, 7);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectNear(ToVec<float>((*y)[0]), {1, 4, 9, 17});
}

TEST(BatchNorm, TrainingModeUsesBatchStatistics) {
  // N=2, C=1, two pixels: batch mean 2.5, population variance 1.25.
  auto out = RunBn({T_<float>({2, 1, 2}, {1, 2, 3, 4}), T_<float>({1}, {1}), T_<float>({1}, {0}), T_<float>({1}, {0}),
                  T_<float>({1}, {1})},
                 {AttrFloat("epsilon", 0.f), AttrInt("training_mode", 1), AttrFloat("momentum", 0.9f)}, 3, 15);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const float s = 1.f / std::sqrt(1.25f);
  ExpectNear(ToVec<float>((*out)[0]), {-1.5f * s, -0.5f * s, 0.5f * s, 1.5f * s});
  ExpectNear(ToVec<float>((*out)[1]), {0.25f});   // 0 * 0.9 + 2.5 * 0.1
  ExpectNear(ToVec<float>((*out)[2]), {1.025f});  // 1 * 0.9 + 1.25 * 0.1
}

TEST(BatchNorm, Float64) {
  auto y = RunBn({T_<double>({1, 1, 2}, {1, 3}), T_<double>({1}, {2}), T_<double>({1}, {1}), T_<double>({1}, {1}),
                T_<double>({1}, {4})},
               {AttrFloat("epsilon", 0.f)});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<double>((*y)[0]), (std::vector<double>{1, 3}));
}

TEST(BatchNorm, RejectsBadShapes) {
  Tensor x = T_<float>({1, 2, 2}, {1, 2, 3, 4});
  Tensor p2 = T_<float>({2}, {1, 1});
  EXPECT_TRUE(RunBn({x, p2, p2, p2, p2}, {}).ok());
  EXPECT_FALSE(RunBn({x, T_<float>({3}, {1, 1, 1}), p2, p2, p2}, {}).ok());  // scale size
  EXPECT_FALSE(RunBn({x, p2, p2, p2, T_<float>({1}, {1})}, {}).ok());         // var size
  EXPECT_FALSE(RunBn({T_<float>({2}, {1, 2}), p2, p2, p2, p2}, {}).ok());     // rank 1
}

}  // namespace
}  // namespace pl::test
