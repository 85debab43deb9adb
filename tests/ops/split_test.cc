// Split: split attribute (< 13) and input (13+), equal parts, num_outputs (18), zero-size parts.
#include <gtest/gtest.h>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

Tensor I64(std::vector<int64_t> v) { return T_<int64_t>({static_cast<int64_t>(v.size())}, v); }
Tensor Six() { return T_<float>({6}, {1, 2, 3, 4, 5, 6}); }

TEST(SplitOp, EqualParts) {
  auto r = RunRef("Split", {Six()}, {}, 3, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{3, 4}));
  EXPECT_EQ(ToVec<float>((*r)[2]), (std::vector<float>{5, 6}));
  // 2-D, axis 1 (spec example).
  r = RunRef("Split", {T_<float>({2, 6}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})}, {AttrInt("axis", 1)}, 2, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 3, 7, 8, 9}));
  EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{4, 5, 6, 10, 11, 12}));
}

TEST(SplitOp, SplitInputAndAttribute) {
  auto r = RunRef("Split", {Six(), I64({2, 4})}, {}, 2, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{3, 4, 5, 6}));
  r = RunRef("Split", {T_<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6})}, {AttrInt("axis", -1), AttrInts("split", {1, 2})}, 2, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{1, 4}));
  EXPECT_EQ(ToVec<int32_t>((*r)[1]), (std::vector<int32_t>{2, 3, 5, 6}));
  r = RunRef("Split", {Six()}, {AttrInts("split", {5, 1})}, 2, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{6}));
}

TEST(SplitOp, ZeroSizeParts) {
  auto r = RunRef("Split", {Six(), I64({0, 6, 0})}, {}, 3, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{0}));
  EXPECT_EQ((*r)[1].shape(), (Shape{6}));
  EXPECT_EQ((*r)[2].shape(), (Shape{0}));
}

TEST(SplitOp, Opset18NumOutputsUnevenLastChunk) {
  auto r = RunRefUnchecked("Split", {T_<float>({7}, {1, 2, 3, 4, 5, 6, 7})}, {AttrInt("num_outputs", 3)}, 3, 18);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(ToVec<float>((*r)[2]), (std::vector<float>{7}));
  // num_outputs must match the node's outputs.
  EXPECT_FALSE(RunRefUnchecked("Split", {Six()}, {AttrInt("num_outputs", 3)}, 2, 18).ok());
}

TEST(SplitOp, Errors) {
  EXPECT_FALSE(RunRef("Split", {T_<float>({7}, {1, 2, 3, 4, 5, 6, 7})}, {}, 3, 13).ok());  // uneven before 18
  EXPECT_FALSE(RunRef("Split", {Six(), I64({2, 2})}, {}, 2, 13).ok());                     // sum != 6
  EXPECT_FALSE(RunRef("Split", {Six(), I64({6})}, {}, 2, 13).ok());                        // count != outputs
  EXPECT_FALSE(RunRef("Split", {Six()}, {AttrInt("axis", 1)}, 2, 13).ok());
}

}  // namespace
}  // namespace pl::test
