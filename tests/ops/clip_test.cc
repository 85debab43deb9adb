// Reference Clip (attribute form before opset 11, optional inputs after) and Max/Min/Sum/Mean,
// from the ONNX operator spec.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<Tensor> Op(const std::string& op, const std::vector<Tensor>& ins,
                    const std::vector<onnx::AttributeProto>& attrs = {}, int opset = 13) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp(op, ins, attrs, 1, opset, {}, {"cpu_ref"}));
  return outs[0];
}

template <typename T>
std::vector<T> Vec(const StatusOr<Tensor>& t) {
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return {};
  EXPECT_EQ(t->dtype(), DataTypeOf<T>::value);
  return ToVec<T>(*t);
}

const Tensor kNone;  // an omitted optional input

TEST(Clip, InputForm) {
  Tensor x = T_<float>({5}, {-3, -1, 0, 1, 3});
  EXPECT_EQ(Vec<float>(Op("Clip", {x, T_<float>({}, {-1.5f}), T_<float>({}, {2})})),
            (std::vector<float>{-1.5f, -1, 0, 1, 2}));
  EXPECT_EQ(Vec<float>(Op("Clip", {x, kNone, T_<float>({}, {0.5f})})), (std::vector<float>{-3, -1, 0, 0.5f, 0.5f}));
  EXPECT_EQ(Vec<float>(Op("Clip", {x, T_<float>({}, {0.5f})})), (std::vector<float>{0.5f, 0.5f, 0.5f, 1, 3}));
  EXPECT_EQ(Vec<float>(Op("Clip", {x})), (std::vector<float>{-3, -1, 0, 1, 3}));
  // min > max: everything becomes max.
  EXPECT_EQ(Vec<float>(Op("Clip", {x, T_<float>({}, {2}), T_<float>({}, {1})})), (std::vector<float>{1, 1, 1, 1, 1}));
}

TEST(Clip, IntegerTypes) {
  EXPECT_EQ(Vec<int8_t>(Op("Clip", {T_<int8_t>({3}, {-100, 5, 100}), T_<int8_t>({}, {-10}), T_<int8_t>({}, {10})})),
            (std::vector<int8_t>{-10, 5, 10}));
  EXPECT_EQ(Vec<int64_t>(Op("Clip", {T_<int64_t>({3}, {-100, 5, 100}), kNone, T_<int64_t>({}, {7})})),
            (std::vector<int64_t>{-100, 5, 7}));
  EXPECT_EQ(Vec<uint8_t>(Op("Clip", {T_<uint8_t>({2}, {1, 200}), T_<uint8_t>({}, {5})})), (std::vector<uint8_t>{5, 200}));
}

TEST(Clip, AttributeForm) {
  Tensor x = T_<float>({4}, {-3, -1, 1, 3});
  EXPECT_EQ(Vec<float>(Op("Clip", {x}, {AttrFloat("min", -2), AttrFloat("max", 2)}, 6)),
            (std::vector<float>{-2, -1, 1, 2}));
  EXPECT_EQ(Vec<float>(Op("Clip", {x}, {AttrFloat("max", 0)}, 6)), (std::vector<float>{-3, -1, 0, 0}));
  EXPECT_EQ(Vec<float>(Op("Clip", {x}, {}, 6)), (std::vector<float>{-3, -1, 1, 3}));
}

TEST(Clip, Errors) {
  Tensor x = T_<float>({2}, {1, 2});
  EXPECT_FALSE(Op("Clip", {x, T_<float>({2}, {0, 1})}).ok());  // min not a scalar
  EXPECT_FALSE(Op("Clip", {x, T_<double>({}, {0})}).ok());     // dtype mismatch
}

TEST(Variadic, MaxMinSumMean) {
  Tensor a = T_<float>({3}, {3, 2, 1});
  Tensor b = T_<float>({3}, {1, 4, 4});
  Tensor c = T_<float>({3}, {2, 5, 3});
  EXPECT_EQ(Vec<float>(Op("Max", {a, b, c})), (std::vector<float>{3, 5, 4}));
  EXPECT_EQ(Vec<float>(Op("Min", {a, b, c})), (std::vector<float>{1, 2, 1}));
  EXPECT_EQ(Vec<float>(Op("Sum", {a, b, c})), (std::vector<float>{6, 11, 8}));
  EXPECT_EQ(Vec<float>(Op("Mean", {a, b, c})), (std::vector<float>{2, 11.f / 3, 8.f / 3}));
  EXPECT_EQ(Vec<float>(Op("Sum", {a})), (std::vector<float>{3, 2, 1}));
  EXPECT_EQ(Vec<float>(Op("Max", {a})), (std::vector<float>{3, 2, 1}));
}

TEST(Variadic, Broadcast) {
  auto r = Op("Sum", {T_<float>({2, 1}, {1, 2}), T_<float>({3}, {10, 20, 30}), T_<float>({}, {100})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<float>(*r), (std::vector<float>{111, 121, 131, 112, 122, 132}));
  auto m = Op("Max", {T_<float>({3}, {1, 5, 2}), T_<float>({2, 1}, {3, 0})});
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(ToVec<float>(*m), (std::vector<float>{3, 5, 3, 1, 5, 2}));
}

TEST(Variadic, TypesAndNaN) {
  EXPECT_EQ(Vec<int64_t>(Op("Max", {T_<int64_t>({2}, {-5, 9}), T_<int64_t>({2}, {3, 2})})), (std::vector<int64_t>{3, 9}));
  EXPECT_EQ(Vec<uint8_t>(Op("Min", {T_<uint8_t>({2}, {200, 9}), T_<uint8_t>({2}, {3, 250})})), (std::vector<uint8_t>{3, 9}));
  EXPECT_EQ(Vec<double>(Op("Mean", {T_<double>({1}, {1}), T_<double>({1}, {2})})), (std::vector<double>{1.5}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = Vec<float>(Op("Max", {T_<float>({2}, {nan, 1}), T_<float>({2}, {1, nan})}));
  ASSERT_EQ(r.size(), 2u);
  EXPECT_TRUE(std::isnan(r[0]) && std::isnan(r[1]));
}

TEST(Variadic, Errors) {
  EXPECT_FALSE(Op("Max", {T_<float>({2}, {1, 2}), T_<float>({3}, {1, 2, 3})}).ok());
  EXPECT_FALSE(Op("Sum", {T_<int32_t>({1}, {1}), T_<int32_t>({1}, {1})}).ok());  // Sum is float-only
}

}  // namespace
}  // namespace pl::test
