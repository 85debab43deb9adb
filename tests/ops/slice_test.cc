// Slice: attribute form (opset 1-9) and input form (10+), negative steps, clamping, dtypes.
#include <gtest/gtest.h>

#include <limits>
#include <numeric>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

Tensor Iota(Shape shape) {
  std::vector<float> v(ShapeNumElements(shape));
  std::iota(v.begin(), v.end(), 0.f);
  return T_<float>(shape, v);
}
Tensor I64(std::vector<int64_t> v) { return T_<int64_t>({static_cast<int64_t>(v.size())}, v); }

// Runs Slice-13 with inputs (axes/steps optional).
StatusOr<std::vector<Tensor>> Slice13(const Tensor& x, std::vector<int64_t> starts, std::vector<int64_t> ends,
                                      std::vector<int64_t> axes = {}, std::vector<int64_t> steps = {}) {
  std::vector<Tensor> in = {x, I64(starts), I64(ends)};
  in.push_back(axes.empty() ? Tensor() : I64(axes));
  if (!steps.empty()) in.push_back(I64(steps));
  return RunRef("Slice", in, {}, 1, 13);
}

TEST(SliceOp, SpecExample1) {
  auto r = Slice13(T_<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), {1, 0}, {2, 3}, {0, 1}, {1, 2});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{5, 7}));
}

TEST(SliceOp, SpecExample2ClampsEnd) {
  auto r = Slice13(T_<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8}), {0, 1}, {-1, 1000});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 3}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{2, 3, 4}));
}

TEST(SliceOp, NegativeStepReversesWithInt64Min) {
  auto r = Slice13(Iota({10}), {-1}, {kMin}, {0}, {-1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  r = Slice13(Iota({10}), {8}, {1}, {0}, {-3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{8, 5, 2}));
  // Start past the end with a negative step clamps to the last element.
  r = Slice13(Iota({5}), {kMax}, {-6}, {0}, {-2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{4, 2, 0}));
}

TEST(SliceOp, Int64MaxEndAndOutOfRangeStart) {
  auto r = Slice13(Iota({10}), {2}, {kMax});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{2, 3, 4, 5, 6, 7, 8, 9}));
  r = Slice13(Iota({10}), {20}, {30});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{0}));
  r = Slice13(Iota({10}), {kMin}, {2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 1}));
  // A huge step takes one element.
  r = Slice13(Iota({10}), {3}, {kMax}, {0}, {kMax});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{3}));
}

TEST(SliceOp, NegativeAxesAndSteps2D) {
  auto r = Slice13(Iota({3, 4}), {1}, {3}, {-1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 5, 6, 9, 10}));
  r = Slice13(Iota({3, 4}), {0, 0}, {3, 4}, {0, 1}, {2, 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 3, 8, 11}));
  r = Slice13(Iota({3, 4}), {-1, -1}, {kMin, kMin}, {0, 1}, {-1, -2});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{11, 9, 7, 5, 3, 1}));
}

TEST(SliceOp, Int32IndicesAndOtherDtypes) {
  std::vector<Tensor> in = {T_<int8_t>({5}, {1, 2, 3, 4, 5}), T_<int32_t>({1}, {1}), T_<int32_t>({1}, {4}),
                            T_<int32_t>({1}, {0}), T_<int32_t>({1}, {2})};
  auto r = RunRef("Slice", in, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt8);
  EXPECT_EQ(ToVec<int8_t>((*r)[0]), (std::vector<int8_t>{2, 4}));
  r = Slice13(T_<double>({2, 2}, {1, 2, 3, 4}), {1}, {2}, {1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<double>((*r)[0]), (std::vector<double>{2, 4}));
}

TEST(SliceOp, ConstantIndexInputs) {
  auto r = RunRef("Slice", {Iota({6}), I64({1}), I64({5}), I64({0}), I64({2})}, {}, 1, 13, {1, 2, 3, 4});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 3}));
}

TEST(SliceOp, Opset1Attributes) {
  auto r = RunRef("Slice", {T_<float>({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})},
                 {AttrInts("starts", {0, 1}), AttrInts("ends", {-1, 1000})}, 1, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{2, 3, 4}));
  r = RunRef("Slice", {Iota({3, 4})}, {AttrInts("starts", {1}), AttrInts("ends", {3}), AttrInts("axes", {1})}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 5, 6, 9, 10}));
}

TEST(SliceOp, Errors) {
  EXPECT_FALSE(Slice13(Iota({4}), {0}, {4}, {0}, {0}).ok());             // step 0
  EXPECT_FALSE(Slice13(Iota({2, 2}), {0, 0}, {1, 1}, {1, 1}).ok());        // repeated axis
  EXPECT_FALSE(Slice13(Iota({2, 2}), {0, 0}, {1}).ok());                   // length mismatch
  EXPECT_FALSE(Slice13(Iota({2, 2}), {0}, {1}, {2}).ok());                 // axis out of range
  EXPECT_FALSE(RunRef("Slice", {Iota({4})}, {AttrInts("starts", {0, 1}), AttrInts("ends", {1})}, 1, 1).ok());
  EXPECT_FALSE(RunRef("Slice", {Iota({4})}, {AttrInts("starts", {0})}, 1, 1).ok());  // ends missing
}

}  // namespace
}  // namespace pl::test
