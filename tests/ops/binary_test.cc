// Reference binary arithmetic kernels (Add Sub Mul Div Mod BitShift Pow PRelu) against
// hand-computed values from the ONNX operator spec.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<Tensor> Bin(const std::string& op, const Tensor& a, const Tensor& b,
                     const std::vector<onnx::AttributeProto>& attrs = {}, int opset = 13) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp(op, {a, b}, attrs, 1, opset, {}, {"cpu_ref"}));
  return outs[0];
}

template <typename T>
std::vector<T> BinVec(const std::string& op, const Tensor& a, const Tensor& b,
                      const std::vector<onnx::AttributeProto>& attrs = {}, int opset = 13) {
  auto r = Bin(op, a, b, attrs, opset);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->dtype(), DataTypeOf<T>::value);
  return ToVec<T>(*r);
}

TEST(Binary, ArithFloatBroadcast) {
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = T_<float>({3}, {10, 20, 30});
  EXPECT_EQ(BinVec<float>("Add", a, b), (std::vector<float>{11, 22, 33, 14, 25, 36}));
  EXPECT_EQ(BinVec<float>("Sub", a, b), (std::vector<float>{-9, -18, -27, -6, -15, -24}));
  EXPECT_EQ(BinVec<float>("Mul", a, T_<float>({2, 1}, {2, 3})), (std::vector<float>{2, 4, 6, 12, 15, 18}));
  EXPECT_EQ(BinVec<float>("Div", T_<float>({}, {6}), a), (std::vector<float>{6, 3, 2, 1.5f, 1.2f, 1}));
  auto r = Bin("Add", T_<float>({2, 1}, {1, 2}), T_<float>({1, 3}, {10, 20, 30}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<float>(*r), (std::vector<float>{11, 21, 31, 12, 22, 32}));
}

TEST(Binary, ArithIntegerTypes) {
  EXPECT_EQ(BinVec<uint8_t>("Add", T_<uint8_t>({2}, {250, 1}), T_<uint8_t>({2}, {10, 2})),
            (std::vector<uint8_t>{4, 3}));  // wraps mod 256
  EXPECT_EQ(BinVec<int8_t>("Sub", T_<int8_t>({2}, {-128, 5}), T_<int8_t>({2}, {1, 7})), (std::vector<int8_t>{127, -2}));
  EXPECT_EQ(BinVec<uint16_t>("Mul", T_<uint16_t>({1}, {300}), T_<uint16_t>({1}, {300})), (std::vector<uint16_t>{24464}));
  EXPECT_EQ(BinVec<int32_t>("Div", T_<int32_t>({4}, {7, -7, 7, -7}), T_<int32_t>({4}, {2, 2, -2, -2})),
            (std::vector<int32_t>{3, -3, -3, 3}));  // truncation toward zero
  EXPECT_EQ(BinVec<int64_t>("Mul", T_<int64_t>({1}, {1LL << 40}), T_<int64_t>({1}, {3})),
            (std::vector<int64_t>{3LL << 40}));
  EXPECT_EQ(BinVec<uint64_t>("Sub", T_<uint64_t>({1}, {0}), T_<uint64_t>({1}, {1})),
            (std::vector<uint64_t>{~uint64_t{0}}));
  EXPECT_EQ(BinVec<int16_t>("Add", T_<int16_t>({1}, {-3}), T_<int16_t>({1}, {5})), (std::vector<int16_t>{2}));
  EXPECT_EQ(BinVec<uint32_t>("Div", T_<uint32_t>({1}, {9}), T_<uint32_t>({1}, {2})), (std::vector<uint32_t>{4}));
  EXPECT_EQ(BinVec<double>("Div", T_<double>({1}, {1}), T_<double>({1}, {4})), (std::vector<double>{0.25}));
}

Tensor HalfT(const std::vector<uint16_t>& bits) {
  Tensor t = *Tensor::Create(DataType::kFloat16, {static_cast<int64_t>(bits.size())});
  for (size_t i = 0; i < bits.size(); ++i) t.MutableData<uint16_t>()[i] = bits[i];
  return t;
}

TEST(Binary, Float16) {
  // 1 + 2 = 3 (0x4200); 0.5 * -4 = -2 (0xC000); fmod(5, 3) = 2 (0x4000).
  auto r = Bin("Add", HalfT({0x3C00, 0x3800}), HalfT({0x4000, 0x3800}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->dtype(), DataType::kFloat16);
  EXPECT_EQ(r->Data<uint16_t>()[0], 0x4200);
  EXPECT_EQ(r->Data<uint16_t>()[1], 0x3C00);
  auto m = Bin("Mul", HalfT({0x3800}), HalfT({0xC400}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->Data<uint16_t>()[0], 0xC000);
  auto f = Bin("Mod", HalfT({0x4500}), HalfT({0x4200}), {AttrInt("fmod", 1)});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->Data<uint16_t>()[0], 0x4000);
}

TEST(Binary, LegacyBroadcastAttribute) {
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  // opset 6, broadcast=1, axis=0: B [2] lines up with A's dim 0.
  EXPECT_EQ(BinVec<float>("Add", a, T_<float>({2}, {10, 20}), {AttrInt("broadcast", 1), AttrInt("axis", 0)}, 6),
            (std::vector<float>{11, 12, 13, 24, 25, 26}));
  // broadcast=1 without axis: trailing alignment.
  EXPECT_EQ(BinVec<float>("Mul", a, T_<float>({3}, {1, 0, 2}), {AttrInt("broadcast", 1)}, 6),
            (std::vector<float>{1, 0, 6, 4, 0, 12}));
  // broadcast=0 with different shapes is an error.
  EXPECT_FALSE(Bin("Add", a, T_<float>({3}, {1, 2, 3}), {}, 6).ok());
}

TEST(Binary, Mod) {
  Tensor a = T_<int32_t>({4}, {5, -5, 5, -5});
  Tensor b = T_<int32_t>({4}, {3, 3, -3, -3});
  // fmod=0: sign of the divisor (Python %); fmod=1: sign of the dividend (C fmod).
  EXPECT_EQ(BinVec<int32_t>("Mod", a, b), (std::vector<int32_t>{2, 1, -1, -2}));
  EXPECT_EQ(BinVec<int32_t>("Mod", a, b, {AttrInt("fmod", 1)}), (std::vector<int32_t>{2, -2, 2, -2}));
  EXPECT_EQ(BinVec<float>("Mod", T_<float>({2}, {5.5f, -5.5f}), T_<float>({2}, {2, 2}), {AttrInt("fmod", 1)}),
            (std::vector<float>{1.5f, -1.5f}));
  EXPECT_EQ(BinVec<uint8_t>("Mod", T_<uint8_t>({1}, {200}), T_<uint8_t>({1}, {7})), (std::vector<uint8_t>{4}));
  EXPECT_FALSE(Bin("Mod", T_<float>({1}, {1}), T_<float>({1}, {2})).ok());  // floats need fmod=1
  EXPECT_FALSE(Bin("Mod", T_<int32_t>({1}, {1}), T_<int32_t>({1}, {0})).ok());
}

TEST(Binary, BitShift) {
  EXPECT_EQ(BinVec<uint8_t>("BitShift", T_<uint8_t>({3}, {16, 4, 1}), T_<uint8_t>({3}, {1, 2, 3}),
                            {AttrString("direction", "RIGHT")}),
            (std::vector<uint8_t>{8, 1, 0}));
  EXPECT_EQ(BinVec<uint32_t>("BitShift", T_<uint32_t>({3}, {16, 4, 1}), T_<uint32_t>({3}, {1, 2, 40}),
                             {AttrString("direction", "LEFT")}),
            (std::vector<uint32_t>{32, 16, 0}));
  EXPECT_FALSE(Bin("BitShift", T_<uint8_t>({1}, {1}), T_<uint8_t>({1}, {1}), {AttrString("direction", "UP")}).ok());
  EXPECT_FALSE(Bin("BitShift", T_<uint8_t>({1}, {1}), T_<uint8_t>({1}, {1})).ok());  // direction is required
}

TEST(Binary, PowTypes) {
  EXPECT_EQ(BinVec<float>("Pow", T_<float>({3}, {1, 2, 3}), T_<float>({3}, {4, 5, 6})),
            (std::vector<float>{1, 32, 729}));
  EXPECT_EQ(BinVec<float>("Pow", T_<float>({3}, {1, 2, 3}), T_<int64_t>({3}, {4, 5, 6})),
            (std::vector<float>{1, 32, 729}));
  EXPECT_EQ(BinVec<int32_t>("Pow", T_<int32_t>({3}, {1, 2, 3}), T_<float>({3}, {4, 5, 6})),
            (std::vector<int32_t>{1, 32, 729}));
  EXPECT_EQ(BinVec<int64_t>("Pow", T_<int64_t>({3}, {-2, 3, 2}), T_<int64_t>({3}, {3, 0, 40})),
            (std::vector<int64_t>{-8, 1, 1LL << 40}));
  EXPECT_EQ(BinVec<int32_t>("Pow", T_<int32_t>({3}, {2, 1, -1}), T_<uint8_t>({3}, {3, 9, 3})),
            (std::vector<int32_t>{8, 1, -1}));
  EXPECT_EQ(BinVec<float>("Pow", T_<float>({2}, {4, 9}), T_<float>({}, {0.5f})), (std::vector<float>{2, 3}));
  // Before opset 12 the exponent must have the base's type.
  EXPECT_FALSE(Bin("Pow", T_<float>({1}, {2}), T_<int64_t>({1}, {2}), {}, 7).ok());
}

TEST(Binary, PRelu) {
  Tensor x = T_<float>({2, 2, 2}, {-1, 2, -3, 4, -5, 6, -7, 8});
  // Slope [2, 1, 1] per channel (numpy broadcast, opset 7+).
  EXPECT_EQ(BinVec<float>("PRelu", x, T_<float>({2, 1, 1}, {0.5f, 0.1f})),
            (std::vector<float>{-0.5f, 2, -1.5f, 4, -0.5f, 6, -0.7f, 8}));
  EXPECT_EQ(BinVec<float>("PRelu", x, T_<float>({}, {2})), (std::vector<float>{-2, 2, -6, 4, -10, 6, -14, 8}));
  // Opset 6: a 1-D slope of length C is per channel.
  EXPECT_EQ(BinVec<float>("PRelu", T_<float>({1, 2, 2}, {-1, -2, -3, -4}), T_<float>({2}, {1, 2}), {}, 6),
            (std::vector<float>{-1, -2, -6, -8}));
  EXPECT_EQ(BinVec<int32_t>("PRelu", T_<int32_t>({2}, {-3, 3}), T_<int32_t>({1}, {2}), {}, 16),
            (std::vector<int32_t>{-6, 3}));
  // The slope may not enlarge X.
  EXPECT_FALSE(Bin("PRelu", T_<float>({2}, {1, 2}), T_<float>({2, 2}, {1, 2, 3, 4})).ok());
}

TEST(Binary, Errors) {
  EXPECT_FALSE(Bin("Add", T_<float>({2}, {1, 2}), T_<float>({3}, {1, 2, 3})).ok());
  EXPECT_FALSE(Bin("Add", T_<float>({1}, {1}), T_<int32_t>({1}, {1})).ok());
  EXPECT_FALSE(Bin("Div", T_<int32_t>({1}, {1}), T_<int32_t>({1}, {0})).ok());
}

}  // namespace
}  // namespace pl::test
