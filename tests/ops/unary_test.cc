// Reference unary kernels against hand-computed values from the ONNX operator spec.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "util/test_util.h"

namespace pl::test {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

StatusOr<Tensor> Unary(const std::string& op, const Tensor& x, const std::vector<onnx::AttributeProto>& attrs = {},
                       int opset = 13) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp(op, {x}, attrs, 1, opset, {}, {"cpu_ref"}));
  return outs[0];
}

void ExpectFloats(const Tensor& t, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(t.dtype(), DataType::kFloat32);
  auto got = ToVec<float>(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i])) EXPECT_TRUE(std::isnan(got[i])) << i;
    else if (std::isinf(want[i])) EXPECT_EQ(got[i], want[i]) << i;
    else EXPECT_NEAR(got[i], want[i], tol * std::max(1.f, std::fabs(want[i]))) << "element " << i;
  }
}

TEST(Unary, Activations) {
  Tensor x = T_<float>({5}, {-2.f, -0.5f, 0.f, 0.5f, 2.f});
  ExpectFloats(*Unary("Relu", x), {0, 0, 0, 0.5f, 2});
  ExpectFloats(*Unary("LeakyRelu", x), {-0.02f, -0.005f, 0, 0.5f, 2});
  ExpectFloats(*Unary("LeakyRelu", x, {AttrFloat("alpha", 0.1f)}), {-0.2f, -0.05f, 0, 0.5f, 2});
  ExpectFloats(*Unary("Elu", x), {std::exp(-2.f) - 1, std::exp(-0.5f) - 1, 0, 0.5f, 2});
  ExpectFloats(*Unary("Elu", x, {AttrFloat("alpha", 2.f)}), {2 * (std::exp(-2.f) - 1), 2 * (std::exp(-0.5f) - 1), 0, 0.5f, 2});
  const float a = 1.67326319217681884765625f, g = 1.05070102214813232421875f;
  ExpectFloats(*Unary("Selu", x), {g * a * (std::exp(-2.f) - 1), g * a * (std::exp(-0.5f) - 1), 0, g * 0.5f, g * 2});
  ExpectFloats(*Unary("Selu", x, {AttrFloat("alpha", 2.f), AttrFloat("gamma", 3.f)}),
               {6 * (std::exp(-2.f) - 1), 6 * (std::exp(-0.5f) - 1), 0, 1.5f, 6});
  ExpectFloats(*Unary("ThresholdedRelu", x), {0, 0, 0, 0, 2});
  ExpectFloats(*Unary("ThresholdedRelu", x, {AttrFloat("alpha", 0.4f)}), {0, 0, 0, 0.5f, 2});
  ExpectFloats(*Unary("HardSigmoid", x), {0.1f, 0.4f, 0.5f, 0.6f, 0.9f});
  // HardSwish: x * clamp(x/6 + 0.5, 0, 1).
  ExpectFloats(*Unary("HardSwish", T_<float>({4}, {-4.f, -1.f, 1.f, 4.f}), {}, 14), {0, -1.f / 3, 2.f / 3, 4});
  ExpectFloats(*Unary("Softsign", x), {-2.f / 3, -0.5f / 1.5f, 0, 0.5f / 1.5f, 2.f / 3});
  ExpectFloats(*Unary("Softplus", T_<float>({3}, {-1.f, 0.f, 100.f})), {std::log1p(std::exp(-1.f)), std::log(2.f), 100.f});
  ExpectFloats(*Unary("Celu", x, {AttrFloat("alpha", 2.f)}, 12),
               {2 * (std::exp(-1.f) - 1), 2 * (std::exp(-0.25f) - 1), 0, 0.5f, 2});
  ExpectFloats(*Unary("Sigmoid", T_<float>({3}, {-100.f, 0.f, 2.f})), {0, 0.5f, 1 / (1 + std::exp(-2.f))});
}

TEST(Unary, MishAndGelu) {
  Tensor x = T_<float>({3}, {-1.f, 0.f, 1.f});
  const float sp1 = std::log1p(std::exp(1.f)), spm1 = std::log1p(std::exp(-1.f));
  ExpectFloats(*Unary("Mish", x, {}, 18), {-std::tanh(spm1), 0, std::tanh(sp1)});
  ExpectFloats(*Unary("Gelu", x, {}, 20), {-0.5f * (1 - std::erf(1 / std::sqrt(2.f))), 0, 0.5f * (1 + std::erf(1 / std::sqrt(2.f)))});
  const float t = std::tanh(std::sqrt(2 / 3.14159265f) * (1 + 0.044715f));
  ExpectFloats(*Unary("Gelu", x, {AttrString("approximate", "tanh")}, 20), {-0.5f * (1 - t), 0, 0.5f * (1 + t)});
  EXPECT_FALSE(Unary("Gelu", x, {AttrString("approximate", "cubic")}, 20).ok());
}

TEST(Unary, Math) {
  Tensor x = T_<float>({4}, {0.25f, 1.f, 2.f, 4.f});
  ExpectFloats(*Unary("Sqrt", x), {0.5f, 1, std::sqrt(2.f), 2});
  ExpectFloats(*Unary("Exp", x), {std::exp(0.25f), std::exp(1.f), std::exp(2.f), std::exp(4.f)});
  ExpectFloats(*Unary("Log", x), {std::log(0.25f), 0, std::log(2.f), std::log(4.f)});
  ExpectFloats(*Unary("Reciprocal", x), {4, 1, 0.5f, 0.25f});
  ExpectFloats(*Unary("Tanh", x), {std::tanh(0.25f), std::tanh(1.f), std::tanh(2.f), std::tanh(4.f)});
  ExpectFloats(*Unary("Erf", T_<float>({3}, {-1.f, 0.f, 0.5f})), {-0.8427007929f, 0, 0.5204998778f});
  ExpectFloats(*Unary("Log", T_<float>({2}, {0.f, -1.f})), {-kInf, kNaN});
  Tensor t = T_<float>({3}, {-0.5f, 0.f, 0.5f});
  ExpectFloats(*Unary("Sin", t), {std::sin(-0.5f), 0, std::sin(0.5f)});
  ExpectFloats(*Unary("Cos", t), {std::cos(-0.5f), 1, std::cos(0.5f)});
  ExpectFloats(*Unary("Tan", t), {std::tan(-0.5f), 0, std::tan(0.5f)});
  ExpectFloats(*Unary("Asin", t), {-0.5235987756f, 0, 0.5235987756f});
  ExpectFloats(*Unary("Acos", t), {2.0943951024f, 1.5707963268f, 1.0471975512f});
  ExpectFloats(*Unary("Atan", T_<float>({2}, {1.f, -1.f})), {0.7853981634f, -0.7853981634f});
  ExpectFloats(*Unary("Sinh", t), {std::sinh(-0.5f), 0, std::sinh(0.5f)});
  ExpectFloats(*Unary("Cosh", t), {std::cosh(-0.5f), 1, std::cosh(0.5f)});
  ExpectFloats(*Unary("Asinh", t), {std::asinh(-0.5f), 0, std::asinh(0.5f)});
  ExpectFloats(*Unary("Atanh", t), {std::atanh(-0.5f), 0, std::atanh(0.5f)});
  ExpectFloats(*Unary("Acosh", T_<float>({2}, {1.f, 2.f})), {0, 1.3169578969f});
}

TEST(Unary, Rounding) {
  Tensor x = T_<float>({8}, {-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 2.6f, -1.2f});
  ExpectFloats(*Unary("Round", x), {-2, -2, -0, 0, 2, 2, 3, -1});  // halves go to even
  ExpectFloats(*Unary("Floor", x), {-3, -2, -1, 0, 1, 2, 2, -2});
  ExpectFloats(*Unary("Ceil", x), {-2, -1, -0, 1, 2, 3, 3, -1});
}

TEST(Unary, SignNegAbsOnInts) {
  ExpectFloats(*Unary("Sign", T_<float>({3}, {-3.f, 0.f, 2.f})), {-1, 0, 1});
  ExpectFloats(*Unary("Neg", T_<float>({2}, {-3.f, 2.f})), {3, -2});
  ExpectFloats(*Unary("Abs", T_<float>({2}, {-3.f, 2.f})), {3, 2});
  auto neg = Unary("Neg", T_<int32_t>({3}, {-3, 0, 7}));
  ASSERT_TRUE(neg.ok()) << neg.status().ToString();
  EXPECT_EQ(ToVec<int32_t>(*neg), (std::vector<int32_t>{3, 0, -7}));
  EXPECT_EQ(ToVec<int64_t>(*Unary("Neg", T_<int64_t>({2}, {-5, 5}))), (std::vector<int64_t>{5, -5}));
  EXPECT_EQ(ToVec<int64_t>(*Unary("Abs", T_<int64_t>({2}, {-5, 5}))), (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(ToVec<int8_t>(*Unary("Abs", T_<int8_t>({2}, {-128, -3}))), (std::vector<int8_t>{-128, 3}));  // wraps
  EXPECT_EQ(ToVec<uint8_t>(*Unary("Abs", T_<uint8_t>({2}, {200, 3}))), (std::vector<uint8_t>{200, 3}));
  EXPECT_EQ(ToVec<int32_t>(*Unary("Sign", T_<int32_t>({3}, {-9, 0, 4}))), (std::vector<int32_t>{-1, 0, 1}));
  EXPECT_EQ(ToVec<int32_t>(*Unary("Relu", T_<int32_t>({2}, {-9, 4}), {}, 14)), (std::vector<int32_t>{0, 4}));
}

TEST(Unary, DoubleAndHalf) {
  auto d = Unary("Exp", T_<double>({2}, {0.0, 1.0}));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->dtype(), DataType::kFloat64);
  EXPECT_DOUBLE_EQ(d->Data<double>()[1], std::exp(1.0));
  // float16 bits: 1.0 = 0x3C00, -2.0 = 0xC000; Relu -> 1.0, 0.
  auto h = Unary("Relu", Tensor::FromVector<uint16_t>({2}, {0x3C00, 0xC000}).value());
  EXPECT_FALSE(h.ok());  // uint16 is not a Relu type
  Tensor half = *Tensor::Create(DataType::kFloat16, {2});
  half.MutableData<uint16_t>()[0] = 0x3C00;
  half.MutableData<uint16_t>()[1] = 0xC000;
  auto r = Unary("Neg", half);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->Data<uint16_t>()[0], 0xBC00);
  EXPECT_EQ(r->Data<uint16_t>()[1], 0x4000);
}

TEST(Unary, IsNaNIsInf) {
  Tensor x = T_<float>({4}, {kNaN, kInf, -kInf, 1.f});
  auto nan = Unary("IsNaN", x);
  ASSERT_TRUE(nan.ok()) << nan.status().ToString();
  EXPECT_EQ(nan->dtype(), DataType::kBool);
  EXPECT_EQ(ToVec<bool>(*nan), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(ToVec<bool>(*Unary("IsInf", x)), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(ToVec<bool>(*Unary("IsInf", x, {AttrInt("detect_negative", 0)})), (std::vector<bool>{false, true, false, false}));
  EXPECT_EQ(ToVec<bool>(*Unary("IsInf", x, {AttrInt("detect_positive", 0)})), (std::vector<bool>{false, false, true, false}));
}

TEST(Unary, Errors) {
  // Exp has no integer kernel.
  EXPECT_FALSE(Unary("Exp", T_<int32_t>({1}, {1})).ok());
  EXPECT_FALSE(Unary("Celu", T_<float>({1}, {1.f}), {AttrFloat("alpha", 0.f)}, 12).ok());
}

}  // namespace
}  // namespace pl::test
