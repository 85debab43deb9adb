// Reference Cast / CastLike between numeric, bool and float16 types, from the ONNX spec and
// IEEE 754 binary16.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<Tensor> Cast(const Tensor& x, DataType to, int opset = 13) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp("Cast", {x}, {AttrInt("to", static_cast<int64_t>(to))}, 1, opset, {}, {"cpu_ref"}));
  return outs[0];
}

template <typename T>
std::vector<T> Vec(const StatusOr<Tensor>& t) {
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return {};
  EXPECT_EQ(t->dtype(), DataTypeOf<T>::value);
  return ToVec<T>(*t);
}

Tensor Half(const std::vector<uint16_t>& bits) {
  Tensor t = *Tensor::Create(DataType::kFloat16, {static_cast<int64_t>(bits.size())});
  for (size_t i = 0; i < bits.size(); ++i) t.MutableData<uint16_t>()[i] = bits[i];
  return t;
}

std::vector<uint16_t> HalfBits(const StatusOr<Tensor>& t) {
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return {};
  EXPECT_EQ(t->dtype(), DataType::kFloat16);
  return std::vector<uint16_t>(t->Data<uint16_t>(), t->Data<uint16_t>() + t->NumElements());
}

TEST(Cast, FloatToInts) {
  Tensor x = T_<float>({4}, {1.7f, -1.7f, 300.5f, 0.f});
  EXPECT_EQ(Vec<int32_t>(Cast(x, DataType::kInt32)), (std::vector<int32_t>{1, -1, 300, 0}));  // truncation
  EXPECT_EQ(Vec<int64_t>(Cast(x, DataType::kInt64)), (std::vector<int64_t>{1, -1, 300, 0}));
  EXPECT_EQ(Vec<uint8_t>(Cast(T_<float>({2}, {1.7f, 255.9f}), DataType::kUint8)), (std::vector<uint8_t>{1, 255}));
  EXPECT_EQ(Vec<int8_t>(Cast(T_<float>({2}, {-128.f, 127.f}), DataType::kInt8)), (std::vector<int8_t>{-128, 127}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Vec<int32_t>(Cast(T_<float>({1}, {nan}), DataType::kInt32)).size(), 1u);  // defined, no crash
}

TEST(Cast, IntsBoolsDoubles) {
  EXPECT_EQ(Vec<float>(Cast(T_<int64_t>({3}, {-5, 0, 1LL << 40}), DataType::kFloat32)),
            (std::vector<float>{-5.f, 0.f, 1099511627776.f}));
  EXPECT_EQ(Vec<bool>(Cast(T_<float>({4}, {0.f, -0.5f, 2.f, -0.f}), DataType::kBool)),
            (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(Vec<float>(Cast(Tensor::FromVector({2}, std::vector<bool>{true, false}).value(), DataType::kFloat32)),
            (std::vector<float>{1.f, 0.f}));
  EXPECT_EQ(Vec<uint8_t>(Cast(T_<int32_t>({2}, {257, -1}), DataType::kUint8)), (std::vector<uint8_t>{1, 255}));
  EXPECT_EQ(Vec<int64_t>(Cast(T_<uint32_t>({1}, {4000000000u}), DataType::kInt64)), (std::vector<int64_t>{4000000000LL}));
  EXPECT_EQ(Vec<double>(Cast(T_<float>({1}, {0.1f}), DataType::kFloat64)), (std::vector<double>{static_cast<double>(0.1f)}));
  EXPECT_EQ(Vec<float>(Cast(T_<double>({1}, {1.0 / 3}), DataType::kFloat32)), (std::vector<float>{1.f / 3}));
  EXPECT_EQ(Vec<float>(Cast(T_<float>({1}, {2.5f}), DataType::kFloat32)), (std::vector<float>{2.5f}));  // identity
}

TEST(Cast, FloatToHalfRounding) {
  const float tiny = std::ldexp(1.f, -24);  // smallest half subnormal
  Tensor x = T_<float>({12}, {1.f, -2.f, 65504.f, 65520.f, tiny, std::ldexp(1.f, -25), 3 * std::ldexp(1.f, -26),
                              1.f + std::ldexp(1.f, -11), 1.f + 3 * std::ldexp(1.f, -11), 1e-8f,
                              std::numeric_limits<float>::infinity(), 0.333333343f});
  EXPECT_EQ(HalfBits(Cast(x, DataType::kFloat16)),
            (std::vector<uint16_t>{0x3C00, 0xC000, 0x7BFF, 0x7C00, 0x0001, 0x0000, 0x0001, 0x3C00, 0x3C02, 0x0000,
                                   0x7C00, 0x3555}));
  auto nan = HalfBits(Cast(T_<float>({1}, {std::numeric_limits<float>::quiet_NaN()}), DataType::kFloat16));
  ASSERT_EQ(nan.size(), 1u);
  EXPECT_EQ(nan[0] & 0x7C00, 0x7C00);
  EXPECT_NE(nan[0] & 0x03FF, 0);
}

TEST(Cast, HalfToFloat) {
  auto v = Vec<float>(Cast(Half({0x0001, 0x3555, 0x7C00, 0x8000, 0x03FF, 0xC000}), DataType::kFloat32));
  ASSERT_EQ(v.size(), 6u);
  EXPECT_EQ(v[0], std::ldexp(1.f, -24));
  EXPECT_EQ(v[1], 0.333251953125f);
  EXPECT_TRUE(std::isinf(v[2]) && v[2] > 0);
  EXPECT_TRUE(v[3] == 0 && std::signbit(v[3]));
  EXPECT_EQ(v[4], 1023 * std::ldexp(1.f, -24));
  EXPECT_EQ(v[5], -2.f);
  EXPECT_EQ(Vec<int32_t>(Cast(Half({0x4500}), DataType::kInt32)), (std::vector<int32_t>{5}));  // 5.0
}

// bfloat16 bit patterns worked out by hand: the top 16 bits of the float, rounded to nearest even.
std::vector<uint16_t> BfBits(const StatusOr<Tensor>& t) {
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return {};
  EXPECT_EQ(t->dtype(), DataType::kBFloat16);
  std::vector<uint16_t> out;
  for (int64_t i = 0; i < t->NumElements(); ++i) out.push_back(t->Data<BFloat16>()[i].bits);
  return out;
}

TEST(Cast, FloatToBFloat16Rounding) {
  Tensor x = T_<float>({9}, {1.f, 1.f + std::ldexp(1.f, -8), 1.f + 3 * std::ldexp(1.f, -8),
                             1.f + std::ldexp(1.f, -8) + std::ldexp(1.f, -20), -0.f,
                             std::numeric_limits<float>::max(), std::numeric_limits<float>::infinity(),
                             std::numeric_limits<float>::quiet_NaN(), std::ldexp(1.f, -140)});
  // ties go to the even neighbour (0x3F80, 0x3F82); FLT_MAX rounds up to infinity; NaN -> 0x7FC0
  EXPECT_EQ(BfBits(Cast(x, DataType::kBFloat16)),
            (std::vector<uint16_t>{0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x8000, 0x7F80, 0x7F80, 0x7FC0, 0x0000}));
  // 0.1 -> float 0x3DCCCCCD -> 0x3DCD; int64 and bool go through float
  EXPECT_EQ(BfBits(Cast(T_<double>({1}, {0.1}), DataType::kBFloat16)), (std::vector<uint16_t>{0x3DCD}));
  EXPECT_EQ(BfBits(Cast(T_<int64_t>({2}, {257, -3}), DataType::kBFloat16)), (std::vector<uint16_t>{0x4380, 0xC040}));
}

TEST(Cast, BFloat16ToOthers) {
  auto x = Tensor::FromVector<BFloat16>({4}, {BFloat16{0x4049}, BFloat16{0x0001}, BFloat16{0xC000}, BFloat16{0x40A0}});
  ASSERT_TRUE(x.ok());
  auto v = Vec<float>(Cast(*x, DataType::kFloat32));
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], 3.140625f);
  EXPECT_EQ(v[1], std::ldexp(1.f, -133));  // subnormal kept
  EXPECT_EQ(v[2], -2.f);
  EXPECT_EQ(v[3], 5.f);
  EXPECT_EQ(Vec<int32_t>(Cast(*x, DataType::kInt32)), (std::vector<int32_t>{3, 0, -2, 5}));
  EXPECT_EQ(HalfBits(Cast(*x, DataType::kFloat16)), (std::vector<uint16_t>{0x4248, 0x0000, 0xC000, 0x4500}));
  auto outs = RunOp("CastLike", {T_<float>({1}, {1.5f}), *x}, {}, 1, 15, {}, {"cpu_ref"});
  ASSERT_TRUE(outs.ok()) << outs.status().ToString();
  EXPECT_EQ(BfBits((*outs)[0]), (std::vector<uint16_t>{0x3FC0}));
  EXPECT_EQ(BFloat16::FromFloat(-1.5f).bits, 0xBFC0);
  EXPECT_EQ(BFloat16{0xBFC0}.ToFloat(), -1.5f);
}

TEST(Cast, StringAttributeBeforeOpset6) {
  auto outs = RunOp("Cast", {T_<float>({2}, {1.5f, -2.5f})}, {AttrString("to", "INT32")}, 1, 5, {}, {"cpu_ref"});
  ASSERT_TRUE(outs.ok()) << outs.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*outs)[0]), (std::vector<int32_t>{1, -2}));
}

TEST(Cast, CastLike) {
  auto outs = RunOp("CastLike", {T_<float>({2}, {1.5f, -2.5f}), T_<int64_t>({1}, {0})}, {}, 1, 15, {}, {"cpu_ref"});
  ASSERT_TRUE(outs.ok()) << outs.status().ToString();
  EXPECT_EQ((*outs)[0].dtype(), DataType::kInt64);
  EXPECT_EQ(ToVec<int64_t>((*outs)[0]), (std::vector<int64_t>{1, -2}));
}

TEST(Cast, Errors) {
  EXPECT_FALSE(Cast(T_<float>({1}, {1.f}), static_cast<DataType>(14)).ok());  // complex64: no such dtype here
  EXPECT_FALSE(Cast(T_<float>({1}, {1.f}), DataType::kUndefined).ok());
  EXPECT_FALSE(RunOp("Cast", {T_<float>({1}, {1.f})}, {}, 1, 13, {}, {"cpu_ref"}).ok());  // no 'to'
}

}  // namespace
}  // namespace pl::test
