// Shape (1, 13, 15 start/end) and Size, pinned to the ONNX spec examples.
#include <gtest/gtest.h>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

Tensor Zeros234() { return T_<float>({2, 3, 4}, std::vector<float>(24, 0.f)); }

std::vector<int64_t> ShapeOf(const Tensor& x, std::vector<onnx::AttributeProto> attrs, int opset, Shape* out_shape) {
  auto r = RunRef("Shape", {x}, attrs, 1, opset);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt64);
  *out_shape = (*r)[0].shape();
  return ToVec<int64_t>((*r)[0]);
}

TEST(ShapeOp, WholeShape) {
  Shape s;
  EXPECT_EQ(ShapeOf(Zeros234(), {}, 13, &s), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(s, (Shape{3}));
  EXPECT_EQ(ShapeOf(Zeros234(), {}, 1, &s), (std::vector<int64_t>{2, 3, 4}));
}

TEST(ShapeOp, ScalarHasEmptyShape) {
  Shape s;
  EXPECT_TRUE(ShapeOf(T_<int32_t>({}, {7}), {}, 13, &s).empty());
  EXPECT_EQ(s, (Shape{0}));
}

TEST(ShapeOp, Opset15StartEnd) {
  Shape s;
  EXPECT_EQ(ShapeOf(Zeros234(), {AttrInt("start", -1)}, 15, &s), (std::vector<int64_t>{4}));
  EXPECT_EQ(ShapeOf(Zeros234(), {AttrInt("end", -1)}, 15, &s), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(ShapeOf(Zeros234(), {AttrInt("start", 1), AttrInt("end", 2)}, 15, &s), (std::vector<int64_t>{3}));
  // Out-of-range axes clamp.
  EXPECT_EQ(ShapeOf(Zeros234(), {AttrInt("start", -10)}, 15, &s), (std::vector<int64_t>{2, 3, 4}));
  EXPECT_EQ(ShapeOf(Zeros234(), {AttrInt("end", 10)}, 15, &s), (std::vector<int64_t>{2, 3, 4}));
  // start past end: empty.
  EXPECT_TRUE(ShapeOf(Zeros234(), {AttrInt("start", 2), AttrInt("end", 1)}, 15, &s).empty());
  EXPECT_EQ(s, (Shape{0}));
}

TEST(SizeOp, CountsElements) {
  auto r = RunRef("Size", {Zeros234()}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt64);
  EXPECT_EQ((*r)[0].shape(), Shape{});
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{24}));
  r = RunRef("Size", {T_<uint8_t>({0, 3}, {})}, {}, 1, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{0}));
}

}  // namespace
}  // namespace pl::test
