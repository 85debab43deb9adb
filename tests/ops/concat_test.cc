// Concat: axes (incl. negative), empty inputs, dtypes, opset 1 default axis, errors.
#include <gtest/gtest.h>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

TEST(ConcatOp, Axis1And0) {
  Tensor a = T_<float>({2, 2}, {1, 2, 3, 4}), b = T_<float>({2, 1}, {5, 6});
  auto r = RunRef("Concat", {a, b}, {AttrInt("axis", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 5, 3, 4, 6}));
  r = RunRef("Concat", {a, T_<float>({1, 2}, {7, 8})}, {AttrInt("axis", 0)});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 3, 4, 7, 8}));
}

TEST(ConcatOp, NegativeAxisThreeInputsInt64) {
  auto r = RunRef("Concat", {T_<int64_t>({1, 2}, {1, 2}), T_<int64_t>({1, 1}, {3}), T_<int64_t>({1, 3}, {4, 5, 6})},
                 {AttrInt("axis", -1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 6}));
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(ConcatOp, EmptyInputs) {
  auto r = RunRef("Concat", {T_<float>({2, 0}, {}), T_<float>({2, 1}, {1, 2})}, {AttrInt("axis", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2}));
  // A rank-1 empty placeholder beside rank-2 inputs contributes nothing.
  r = RunRef("Concat", {T_<float>({1, 1}, {1}), T_<float>({0}, {}), T_<float>({1, 1}, {2})}, {AttrInt("axis", 0)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 1}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2}));
}

TEST(ConcatOp, Opset1DefaultsToAxis1AndBool) {
  auto r = RunRef("Concat", {T_<float>({1, 1}, {1}), T_<float>({1, 1}, {2})}, {}, 1, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 2}));
  Tensor a = Tensor::FromVector({2}, std::vector<bool>{true, false}).value();
  Tensor b = Tensor::FromVector({1}, std::vector<bool>{true}).value();
  r = RunRef("Concat", {a, b}, {AttrInt("axis", 0)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kBool);
  EXPECT_EQ(ToVec<bool>((*r)[0]), (std::vector<bool>{true, false, true}));
}

TEST(ConcatOp, Errors) {
  EXPECT_FALSE(RunRef("Concat", {T_<float>({2, 2}, {1, 2, 3, 4}), T_<float>({1, 3}, {1, 2, 3})}, {AttrInt("axis", 0)}).ok());
  EXPECT_FALSE(RunRef("Concat", {T_<float>({2}, {1, 2}), T_<float>({2}, {1, 2})}, {AttrInt("axis", 1)}).ok());
  EXPECT_FALSE(RunRef("Concat", {T_<float>({1}, {1}), T_<float>({1}, {1})}, {}).ok());  // axis required at 13
  EXPECT_FALSE(RunRef("Concat", {T_<float>({1, 2}, {1, 2}), T_<float>({2}, {1, 2})}, {AttrInt("axis", 0)}).ok());
}

}  // namespace
}  // namespace pl::test
