// Reshape (0/-1/allowzero, attribute form), Flatten, Squeeze and Unsqueeze (attribute and input forms).
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
Tensor I64(std::vector<int64_t> v) { return T_<int64_t>({static_cast<int64_t>(v.size())}, v); }

StatusOr<Shape> OutShape(StatusOr<std::vector<Tensor>> r) {
  if (!r.ok()) return r.status();
  return (*r)[0].shape();
}

TEST(ReshapeOp, ZeroCopiesAndMinusOneInfers) {
  auto r = RunRef("Reshape", {Iota({2, 3, 4}), I64({4, 0, -1})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{4, 3, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), ToVec<float>(Iota({24})));
  EXPECT_EQ(*OutShape(RunRef("Reshape", {Iota({2, 3, 4}), I64({-1})}, {})), (Shape{24}));
  EXPECT_EQ(*OutShape(RunRef("Reshape", {Iota({2, 3, 4}), I64({0, 0, 2, 2})}, {})), (Shape{2, 3, 2, 2}));
  // Shape as a constant, int32 data.
  auto c = RunRef("Reshape", {T_<int32_t>({4}, {1, 2, 3, 4}), I64({2, 2})}, {}, 1, 13, {1});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(ToVec<int32_t>((*c)[0]), (std::vector<int32_t>{1, 2, 3, 4}));
}

TEST(ReshapeOp, AllowZeroKeepsLiteralZero) {
  auto r = RunRef("Reshape", {T_<float>({0, 3}, {}), I64({3, 0})}, {AttrInt("allowzero", 1)}, 1, 14);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 0}));
  // Without allowzero, 0 copies input dim 1 (3): [3, 3] cannot hold 0 elements.
  EXPECT_FALSE(RunRef("Reshape", {T_<float>({0, 3}, {}), I64({3, 0})}, {}, 1, 14).ok());
  // allowzero with both 0 and -1 is invalid.
  EXPECT_FALSE(RunRef("Reshape", {T_<float>({0, 3}, {}), I64({0, -1})}, {AttrInt("allowzero", 1)}, 1, 14).ok());
}

TEST(ReshapeOp, Opset4ShapeAttribute) {
  EXPECT_EQ(*OutShape(RunRef("Reshape", {Iota({2, 3})}, {AttrInts("shape", {3, -1})}, 1, 4)), (Shape{3, 2}));
}

TEST(ReshapeOp, Errors) {
  EXPECT_FALSE(RunRef("Reshape", {Iota({2, 3}), I64({-1, -1})}, {}).ok());
  EXPECT_FALSE(RunRef("Reshape", {Iota({2, 3}), I64({4, 2})}, {}).ok());
  EXPECT_FALSE(RunRef("Reshape", {Iota({2, 3}), I64({4, -1})}, {}).ok());
  EXPECT_FALSE(RunRef("Reshape", {Iota({2, 3}), I64({-2, 3})}, {}).ok());
  EXPECT_FALSE(RunRef("Reshape", {Iota({6}), I64({0, 0})}, {}).ok());  // copies a dim input lacks
}

TEST(FlattenOp, Axes) {
  EXPECT_EQ(*OutShape(RunRef("Flatten", {Iota({2, 3, 4})}, {})), (Shape{2, 12}));
  EXPECT_EQ(*OutShape(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", 0)})), (Shape{1, 24}));
  EXPECT_EQ(*OutShape(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", 2)})), (Shape{6, 4}));
  EXPECT_EQ(*OutShape(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", 3)})), (Shape{24, 1}));
  EXPECT_EQ(*OutShape(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", -1)})), (Shape{6, 4}));
  EXPECT_EQ(*OutShape(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", -3)})), (Shape{1, 24}));
  EXPECT_EQ(*OutShape(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", 1)}, 1, 1)), (Shape{2, 12}));
  EXPECT_FALSE(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", 4)}).ok());
  EXPECT_FALSE(RunRef("Flatten", {Iota({2, 3, 4})}, {AttrInt("axis", -4)}).ok());
}

TEST(SqueezeOp, AttributeAndInputForms) {
  EXPECT_EQ(*OutShape(RunRef("Squeeze", {Iota({1, 3, 1})}, {AttrInts("axes", {0, -1})}, 1, 11)), (Shape{3}));
  EXPECT_EQ(*OutShape(RunRef("Squeeze", {Iota({1, 3, 1})}, {AttrInts("axes", {2})}, 1, 1)), (Shape{1, 3}));
  EXPECT_EQ(*OutShape(RunRef("Squeeze", {Iota({1, 3, 1, 2})}, {}, 1, 11)), (Shape{3, 2}));
  EXPECT_EQ(*OutShape(RunRef("Squeeze", {Iota({1, 3, 1}), I64({-3})}, {}, 1, 13)), (Shape{3, 1}));
  EXPECT_EQ(*OutShape(RunRef("Squeeze", {Iota({1, 3, 1})}, {}, 1, 13)), (Shape{3}));
  auto r = RunRef("Squeeze", {Iota({1, 3, 1})}, {}, 1, 13);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 1, 2}));
  EXPECT_FALSE(RunRef("Squeeze", {Iota({1, 3, 1}), I64({1})}, {}, 1, 13).ok());  // dim 3 is not 1
  EXPECT_FALSE(RunRef("Squeeze", {Iota({1, 3, 1}), I64({3})}, {}, 1, 13).ok());  // out of range
}

TEST(UnsqueezeOp, AttributeAndInputForms) {
  EXPECT_EQ(*OutShape(RunRef("Unsqueeze", {Iota({2, 3})}, {AttrInts("axes", {0, 3})}, 1, 11)), (Shape{1, 2, 3, 1}));
  EXPECT_EQ(*OutShape(RunRef("Unsqueeze", {Iota({2, 3})}, {AttrInts("axes", {1})}, 1, 1)), (Shape{2, 1, 3}));
  EXPECT_EQ(*OutShape(RunRef("Unsqueeze", {Iota({3, 4}), I64({2, 0})}, {}, 1, 13)), (Shape{1, 3, 1, 4}));
  EXPECT_EQ(*OutShape(RunRef("Unsqueeze", {Iota({3, 4}), I64({-1})}, {}, 1, 13)), (Shape{3, 4, 1}));
  EXPECT_EQ(*OutShape(RunRef("Unsqueeze", {T_<float>({}, {5}), I64({0})}, {}, 1, 13)), (Shape{1}));
  EXPECT_FALSE(RunRef("Unsqueeze", {Iota({3}), I64({0, 0})}, {}, 1, 13).ok());   // repeated
  EXPECT_FALSE(RunRef("Unsqueeze", {Iota({3}), I64({3})}, {}, 1, 13).ok());      // out of range for rank 2
  EXPECT_FALSE(RunRef("Unsqueeze", {Iota({3})}, {}, 1, 11).ok());                 // axes required
}

}  // namespace
}  // namespace pl::test
