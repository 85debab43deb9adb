// Expand (bidirectional broadcast) and Tile (opset 1 tiles/axis, 6+ repeats).
#include <gtest/gtest.h>

#include <cstdint>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

Tensor I64(std::vector<int64_t> v) { return T_<int64_t>({static_cast<int64_t>(v.size())}, v); }

TEST(ExpandOp, SpecExamples) {
  // [3,1] to [2,1,6]: output [2,3,6], each row constant.
  auto r = RunRef("Expand", {T_<float>({3, 1}, {1, 2, 3}), I64({2, 1, 6})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3, 6}));
  std::vector<float> want;
  for (int b = 0; b < 2; ++b)
    for (float v : {1.f, 2.f, 3.f})
      for (int k = 0; k < 6; ++k) want.push_back(v);
  EXPECT_EQ(ToVec<float>((*r)[0]), want);
  // [3,1] to [3,4]: dims of 1 in the shape keep the input's (bidirectional).
  r = RunRef("Expand", {T_<int32_t>({3, 1}, {1, 2, 3}), I64({1, 4})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 4}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3}));
  // Smaller shape than the input.
  r = RunRef("Expand", {T_<int8_t>({2, 2}, {1, 2, 3, 4}), I64({1})}, {}, 1, 8);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(ToVec<int8_t>((*r)[0]), (std::vector<int8_t>{1, 2, 3, 4}));
  // Middle broadcast dim: [2,1,2] to [2,3,2].
  r = RunRef("Expand", {T_<float>({2, 1, 2}, {1, 2, 3, 4}), I64({2, 3, 2})}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
}

TEST(ExpandOp, Errors) {
  EXPECT_FALSE(RunRef("Expand", {T_<float>({3}, {1, 2, 3}), I64({2})}, {}).ok());
  EXPECT_FALSE(RunRef("Expand", {T_<float>({3}, {1, 2, 3}), I64({-1, 3})}, {}).ok());
}

TEST(TileOp, RepeatsInput) {
  auto r = RunRef("Tile", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({2, 2})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{4, 4}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4}));
  r = RunRef("Tile", {T_<int64_t>({1, 3}, {1, 2, 3}), I64({3, 1})}, {}, 1, 6);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 2, 3, 1, 2, 3, 1, 2, 3}));
  r = RunRef("Tile", {T_<float>({2}, {1, 2}), I64({0})}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{0}));
}

TEST(TileOp, Opset1TilesAndAxis) {
  auto r = RunRef("Tile", {T_<float>({2, 2}, {1, 2, 3, 4}), T_<float>({}, {3}), T_<float>({}, {1})}, {}, 1, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 6}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
}

TEST(TileOp, Errors) {
  EXPECT_FALSE(RunRef("Tile", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({2})}, {}).ok());
  EXPECT_FALSE(RunRef("Tile", {T_<float>({2}, {1, 2}), I64({-1})}, {}).ok());
  EXPECT_FALSE(RunRef("Tile", {T_<float>({2}, {1, 2}), I64({INT64_MAX / 2 + 1})}, {}).ok());
}

}  // namespace
}  // namespace pl::test
