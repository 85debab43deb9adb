// NonZero and Trilu.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

TEST(NonZeroOp, SpecExampleAndFloatZeros) {
  auto r = RunRef("NonZero", {T_<int32_t>({2, 2}, {1, 0, 1, 1})}, {}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt64);
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{0, 1, 1, 0, 0, 1}));
  // -0.0 is zero, NaN is not.
  r = RunRef("NonZero", {T_<float>({4}, {-0.0f, NAN, 0.0f, 2.f})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 3}));
  // All zero: [rank, 0].
  r = RunRef("NonZero", {T_<float>({2, 3}, std::vector<float>(6, 0.f))}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 0}));
}

TEST(NonZeroOp, Float16NegativeZeroIsZero) {
  Tensor t = Tensor::Create(DataType::kFloat16, {3}).value();
  const uint16_t bits[3] = {0x8000, 0x0001, 0x0000};  // -0, smallest subnormal, +0
  std::memcpy(t.RawMutableData(), bits, sizeof(bits));
  auto r = RunRef("NonZero", {t}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1}));
}

TEST(NonZeroOp, BoolAndScalar) {
  auto r = RunRef("NonZero", {Tensor::FromVector({3}, std::vector<bool>{false, true, true}).value()}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 2}));
  r = RunRef("NonZero", {T_<float>({}, {3.f})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 1}));
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{0}));
}

std::vector<float> Trilu(bool upper, int64_t k, bool with_k = true) {
  Tensor x = T_<float>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  std::vector<Tensor> in = {x};
  if (with_k) in.push_back(T_<int64_t>({}, {k}));
  auto r = RunRef("Trilu", in, {AttrInt("upper", upper ? 1 : 0)}, 1, 14);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? ToVec<float>((*r)[0]) : std::vector<float>{};
}

TEST(TriluOp, UpperLowerWithK) {
  EXPECT_EQ(Trilu(true, 0, false), (std::vector<float>{1, 2, 3, 0, 5, 6, 0, 0, 9}));
  EXPECT_EQ(Trilu(false, 0, false), (std::vector<float>{1, 0, 0, 4, 5, 0, 7, 8, 9}));
  EXPECT_EQ(Trilu(true, 1), (std::vector<float>{0, 2, 3, 0, 0, 6, 0, 0, 0}));
  EXPECT_EQ(Trilu(true, -1), (std::vector<float>{1, 2, 3, 4, 5, 6, 0, 8, 9}));
  EXPECT_EQ(Trilu(false, -1), (std::vector<float>{0, 0, 0, 4, 0, 0, 7, 8, 0}));
  EXPECT_EQ(Trilu(false, 1), (std::vector<float>{1, 2, 0, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(Trilu(true, 10), std::vector<float>(9, 0.f));
  EXPECT_EQ(Trilu(false, -10), std::vector<float>(9, 0.f));
  EXPECT_EQ(Trilu(true, -10), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(TriluOp, BatchedNonSquareInt64) {
  // Two 2x3 matrices, lower.
  auto r = RunRef("Trilu", {T_<int64_t>({2, 2, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})}, {AttrInt("upper", 0)}, 1, 14);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 0, 0, 4, 5, 0, 7, 0, 0, 10, 11, 0}));
}

TEST(TriluOp, Errors) {
  EXPECT_FALSE(RunRef("Trilu", {T_<float>({3}, {1, 2, 3})}, {}, 1, 14).ok());
  EXPECT_FALSE(RunRef("Trilu", {T_<float>({1, 1}, {1}), T_<int64_t>({2}, {1, 2})}, {}, 1, 14).ok());
}

}  // namespace
}  // namespace pl::test
