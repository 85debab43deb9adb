// Reference RoiAlign (both coordinate modes, avg/max) and MaxRoiPool, hand-computed on maps whose
// value is linear in the position (so bilinear samples are exact).
#include <gtest/gtest.h>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

// [n, 1, 4, 4], value 100 * batch + 4 * y + x.
Tensor Ramp(int64_t n) {
  std::vector<float> v;
  for (int64_t b = 0; b < n; ++b)
    for (int i = 0; i < 16; ++i) v.push_back(100.f * b + i);
  return T_<float>({n, 1, 4, 4}, v);
}

std::vector<float> RunF(const std::string& op, const std::vector<Tensor>& ins, const std::vector<onnx::AttributeProto>& attrs,
                       int opset, Shape want_shape) {
  auto r = RunRefUnchecked(op, ins, attrs, 1, opset);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].shape(), want_shape);
  return ToVec<float>((*r)[0]);
}

TEST(RoiAlign, CoordinateModes) {
  Tensor rois = T_<float>({1, 4}, {0, 0, 2, 2});
  Tensor idx = T_<int64_t>({1}, {0});
  auto ratio2 = AttrInt("sampling_ratio", 2);
  // output_half_pixel (opset 10): samples at 0.5 and 1.5 -> mean of 2.5, 3.5, 6.5, 7.5.
  EXPECT_EQ(RunF("RoiAlign", {Ramp(1), rois, idx}, {ratio2}, 10, {1, 1, 1, 1}), (std::vector<float>{5}));
  EXPECT_EQ(RunF("RoiAlign", {Ramp(1), rois, idx}, {ratio2, AttrString("coordinate_transformation_mode", "output_half_pixel")},
                16, {1, 1, 1, 1}),
            (std::vector<float>{5}));
  // half_pixel (opset 16 default): shifted by -0.5 -> samples at 0 and 1 -> mean of 0, 1, 4, 5.
  EXPECT_EQ(RunF("RoiAlign", {Ramp(1), rois, idx}, {ratio2}, 16, {1, 1, 1, 1}), (std::vector<float>{2.5f}));
}

TEST(RoiAlign, MaxModeTakesLargestWeightedCorner) {
  // Sample (1.5, 1.5) has corners 5, 6, 9, 10 at weight 0.25 each: max 2.5.
  EXPECT_EQ(RunF("RoiAlign", {Ramp(1), T_<float>({1, 4}, {0, 0, 2, 2}), T_<int64_t>({1}, {0})},
                {AttrInt("sampling_ratio", 2), AttrString("mode", "max")}, 10, {1, 1, 1, 1}),
            (std::vector<float>{2.5f}));
}

TEST(RoiAlign, BatchIndexScaleBinsAndOutside) {
  // Roi (0,0,4,4) at scale 0.5 on batch 1, 2x2 bins, one sample each at 0.5 / 1.5.
  EXPECT_EQ(RunF("RoiAlign", {Ramp(2), T_<float>({1, 4}, {0, 0, 4, 4}), T_<int64_t>({1}, {1})},
                {AttrInt("sampling_ratio", 1), AttrInt("output_height", 2), AttrInt("output_width", 2),
                 AttrFloat("spatial_scale", 0.5f)},
                10, {1, 1, 2, 2}),
            (std::vector<float>{102.5f, 103.5f, 106.5f, 107.5f}));
  // A sample more than a pixel beyond the map (x = y = 6.25) contributes 0.
  EXPECT_EQ(RunF("RoiAlign", {Ramp(1), T_<float>({1, 4}, {5.5f, 5.5f, 7, 7}), T_<int64_t>({1}, {0})},
                {AttrInt("sampling_ratio", 1)}, 10, {1, 1, 1, 1}),
            (std::vector<float>{0}));
  // Adaptive sampling (ratio 0): ceil(2 / 1) = 2 samples per side, same as ratio 2.
  EXPECT_EQ(RunF("RoiAlign", {Ramp(1), T_<float>({1, 4}, {0, 0, 2, 2}), T_<int64_t>({1}, {0})}, {}, 10, {1, 1, 1, 1}),
            (std::vector<float>{5}));
}

TEST(RoiAlign, Errors) {
  Tensor rois = T_<float>({1, 4}, {0, 0, 2, 2});
  EXPECT_FALSE(RunRefUnchecked("RoiAlign", {Ramp(1), rois, T_<int64_t>({1}, {1})}, {}, 1, 16).ok());  // batch 1 of 1
  EXPECT_FALSE(RunRefUnchecked("RoiAlign", {Ramp(1), T_<float>({1, 3}, {0, 0, 2}), T_<int64_t>({1}, {0})}, {}, 1, 16).ok());
  EXPECT_FALSE(RunRefUnchecked("RoiAlign", {Ramp(1), rois, T_<int64_t>({1}, {0})}, {AttrString("mode", "sum")}, 1, 16).ok());
}

TEST(MaxRoiPool, Bins) {
  // Roi (0,0)-(3,3): 4x4 pixels, 2x2 bins of 2x2 pixels.
  EXPECT_EQ(RunF("MaxRoiPool", {Ramp(1), T_<float>({1, 5}, {0, 0, 0, 3, 3})}, {AttrInts("pooled_shape", {2, 2})}, 1,
                {1, 1, 2, 2}),
            (std::vector<float>{5, 7, 13, 15}));
  // Roi (1,1)-(2,2) of batch 1 at scale 0.5 on coordinates (2,2)-(4,4): pixels rows/cols 1..2.
  EXPECT_EQ(RunF("MaxRoiPool", {Ramp(2), T_<float>({1, 5}, {1, 2, 2, 4, 4})},
                {AttrInts("pooled_shape", {1, 1}), AttrFloat("spatial_scale", 0.5f)}, 1, {1, 1, 1, 1}),
            (std::vector<float>{110}));
  EXPECT_FALSE(RunRefUnchecked("MaxRoiPool", {Ramp(1), T_<float>({1, 5}, {3, 0, 0, 1, 1})},
                               {AttrInts("pooled_shape", {1, 1})}, 1, 1).ok());
  EXPECT_FALSE(RunRefUnchecked("MaxRoiPool", {Ramp(1), T_<float>({1, 5}, {0, 0, 0, 1, 1})}, {}, 1, 1).ok());
}

}  // namespace
}  // namespace pl::test
