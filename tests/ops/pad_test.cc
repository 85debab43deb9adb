// Pad: constant/reflect/edge/wrap, negative pads (crop), attribute forms (opsets 1, 2), input form
// (11+), axes input (18), errors.
#include <gtest/gtest.h>

#include <cstdint>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

Tensor I64(std::vector<int64_t> v) { return T_<int64_t>({static_cast<int64_t>(v.size())}, v); }

std::vector<float> Pad1D(std::vector<float> x, std::vector<int64_t> pads, const std::string& mode) {
  auto r = RunRef("Pad", {T_<float>({static_cast<int64_t>(x.size())}, x), I64(pads)}, {AttrString("mode", mode)}, 1, 13);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? ToVec<float>((*r)[0]) : std::vector<float>{};
}

TEST(PadOp, Constant2D) {
  auto r = RunRef("Pad", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({1, 0, 0, 1}), T_<float>({}, {9})}, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{9, 9, 9, 1, 2, 9, 3, 4, 9}));
  // Default constant 0, int32 data.
  r = RunRef("Pad", {T_<int32_t>({1, 2}, {5, 6}), I64({0, 1, 1, 0})}, {}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{0, 5, 6, 0, 0, 0}));
}

// Strings (opset 11+): the same index maps, elements copied as strings; constant_value a string.
TEST(PadOp, StringTensors) {
  auto S = [](Shape shape, std::vector<std::string> v) { return Tensor::FromVector(std::move(shape), v).value(); };
  auto r = RunRef("Pad", {S({2, 2}, {"a", "b", "c", "d"}), I64({1, 0, 0, 1}), S({}, {"-"})}, {}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(ToVec<std::string>((*r)[0]), (std::vector<std::string>{"-", "-", "-", "a", "b", "-", "c", "d", "-"}));
  r = RunRef("Pad", {S({3}, {"x", "y", "z"}), I64({2, 1})}, {AttrString("mode", "reflect")}, 1, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<std::string>((*r)[0]), (std::vector<std::string>{"z", "y", "x", "y", "z", "y"}));
  r = RunRef("Pad", {S({2}, {"p", "q"}), I64({1, 2})}, {}, 1, 13);  // default constant: ""
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<std::string>((*r)[0]), (std::vector<std::string>{"", "p", "q", "", ""}));
  r = RunRef("Pad", {S({1}, {"p"}), I64({1, 0}), T_<float>({}, {1})}, {}, 1, 13);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("constant_value"), std::string::npos) << r.status().ToString();
  // A padded string tensor too large for the memory limits is refused before it is built (its
  // std::string objects count, though strings have no byte size).
  r = RunRef("Pad", {S({1}, {"p"}), I64({0, int64_t{1} << 40})}, {}, 1, 13);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
}

TEST(PadOp, ReflectEdgeWrap) {
  EXPECT_EQ(Pad1D({1, 2, 3, 4}, {2, 2}, "reflect"), (std::vector<float>{3, 2, 1, 2, 3, 4, 3, 2}));
  EXPECT_EQ(Pad1D({1, 2, 3}, {2, 1}, "edge"), (std::vector<float>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(Pad1D({1, 2, 3}, {2, 1}, "wrap"), (std::vector<float>{2, 3, 1, 2, 3, 1}));
  // Spec example 2 (reflect on a 3x2 matrix, pads [0, 2, 0, 0]).
  auto r = RunRef("Pad", {T_<float>({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}), I64({0, 2, 0, 0})},
                 {AttrString("mode", "reflect")}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]),
            (std::vector<float>{1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}));
  // Spec example 3 (edge).
  r = RunRef("Pad", {T_<float>({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f}), I64({0, 2, 0, 0})},
            {AttrString("mode", "edge")}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]),
            (std::vector<float>{1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}));
  // Edge along the outer dim: rows repeat.
  r = RunRef("Pad", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({1, 0, 1, 0})}, {AttrString("mode", "edge")}, 1, 13);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4}));
}

TEST(PadOp, NegativePadsCrop) {
  EXPECT_EQ(Pad1D({1, 2, 3, 4}, {-1, 1}, "constant"), (std::vector<float>{2, 3, 4, 0}));
  EXPECT_EQ(Pad1D({1, 2, 3, 4}, {-1, -2}, "constant"), (std::vector<float>{2}));
  // Crop then reflect the cropped tensor [2, 3, 4].
  EXPECT_EQ(Pad1D({1, 2, 3, 4}, {-1, 2}, "reflect"), (std::vector<float>{2, 3, 4, 3, 2}));
}

TEST(PadOp, AttributeForms) {
  auto r = RunRef("Pad", {T_<float>({2}, {1, 2})}, {AttrInts("pads", {1, 2}), AttrFloat("value", 1.5f)}, 1, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1.5f, 1, 2, 1.5f, 1.5f}));
  r = RunRef("Pad", {T_<int64_t>({2}, {1, 2})}, {AttrInts("pads", {0, 1}), AttrFloat("value", 7.f)}, 1, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 2, 7}));
  r = RunRef("Pad", {T_<float>({2}, {1, 2})}, {AttrInts("paddings", {1, 0}), AttrString("mode", "edge")}, 1, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 1, 2}));
}

TEST(PadOp, Opset18Axes) {
  // Pad only axis -1 of a 2x2: pads [1, 1] on the last axis.
  auto r = RunRefUnchecked("Pad", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({1, 1}), T_<float>({}, {0}), I64({-1})},
                          {}, 1, 18);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 4}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 1, 2, 0, 0, 3, 4, 0}));
}

TEST(PadOp, Errors) {
  EXPECT_FALSE(RunRef("Pad", {T_<float>({2}, {1, 2}), I64({1})}, {}, 1, 13).ok());          // pads length
  EXPECT_FALSE(RunRef("Pad", {T_<float>({2}, {1, 2}), I64({-2, -1})}, {}, 1, 13).ok());     // over-crop
  EXPECT_FALSE(RunRef("Pad", {T_<float>({2}, {1, 2}), I64({1, 1})}, {AttrString("mode", "mirror")}, 1, 13).ok());
  EXPECT_FALSE(RunRef("Pad", {T_<float>({0}, {}), I64({1, 1})}, {AttrString("mode", "reflect")}, 1, 13).ok());
  // Absurd pads fail cleanly instead of overflowing.
  EXPECT_FALSE(RunRef("Pad", {T_<float>({2}, {1, 2}), I64({INT64_MAX, 1})}, {}, 1, 13).ok());
  EXPECT_FALSE(RunRef("Pad", {T_<float>({2}, {1, 2}), I64({INT64_MIN, 0})}, {}, 1, 13).ok());
  EXPECT_FALSE(RunRef("Pad", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({0, INT64_MAX / 2, 0, 0})}, {}, 1, 13).ok());
}

}  // namespace
}  // namespace pl::test
