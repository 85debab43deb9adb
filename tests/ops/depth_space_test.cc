// DepthToSpace (DCR, CRD) and SpaceToDepth on hand-computed 2-channel-group cases.
#include <gtest/gtest.h>

#include <numeric>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

Tensor Iota(Shape shape) {
  std::vector<float> v(ShapeNumElements(shape));
  std::iota(v.begin(), v.end(), 0.f);
  return T_<float>(shape, v);
}

TEST(DepthToSpaceOp, DcrAndCrd) {
  // C = 8, b = 2, C' = 2, H = W = 1. DCR: out[c][i][j] = in[(i*2 + j)*2 + c].
  auto r = RunRef("DepthToSpace", {Iota({1, 8, 1, 1})}, {AttrInt("blocksize", 2)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 2, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}));
  // CRD: out[c][i][j] = in[c*4 + i*2 + j].
  r = RunRef("DepthToSpace", {Iota({1, 8, 1, 1})}, {AttrInt("blocksize", 2), AttrString("mode", "CRD")}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  // H = 1, W = 2, C = 4, b = 2, DCR: out[0][i][w*2 + j] = in[(i*2 + j)][0][w].
  r = RunRef("DepthToSpace", {Iota({1, 4, 1, 2})}, {AttrInt("blocksize", 2)}, 1, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 1, 2, 4}));
  // in[ch][0][w] = ch*2 + w.  Row i=0: w0 (j0, j1) = in[0][0][0], in[1][0][0] = 0, 2; w1 = 1, 3.
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 2, 1, 3, 4, 6, 5, 7}));
}

TEST(SpaceToDepthOp, InverseOfDcr) {
  // C = 2: channel (i*2 + j)*2 + c takes in[c][i][j].
  auto r = RunRef("SpaceToDepth", {T_<int32_t>({1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7})}, {AttrInt("blocksize", 2)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 8, 1, 1}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{0, 4, 1, 5, 2, 6, 3, 7}));
  auto back = RunRef("DepthToSpace", {(*r)[0]}, {AttrInt("blocksize", 2)});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*back)[0]), (std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(DepthSpaceOps, Errors) {
  EXPECT_FALSE(RunRef("DepthToSpace", {Iota({1, 6, 1, 1})}, {AttrInt("blocksize", 2)}).ok());
  EXPECT_FALSE(RunRef("DepthToSpace", {Iota({8, 1, 1})}, {AttrInt("blocksize", 2)}).ok());
  EXPECT_FALSE(RunRef("DepthToSpace", {Iota({1, 4, 1, 1})}, {AttrInt("blocksize", 2), AttrString("mode", "XYZ")}).ok());
  EXPECT_FALSE(RunRef("SpaceToDepth", {Iota({1, 1, 3, 2})}, {AttrInt("blocksize", 2)}).ok());
  EXPECT_FALSE(RunRef("SpaceToDepth", {Iota({1, 1, 2, 2})}, {}).ok());  // blocksize required
}

}  // namespace
}  // namespace pl::test
