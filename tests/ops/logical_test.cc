// Reference comparison / logic kernels and Where, from the ONNX operator spec.
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

// bool tensors go through the non-template FromVector (std::vector<bool> has no data()).
Tensor B(Shape shape, std::vector<bool> v) { return Tensor::FromVector(std::move(shape), v).value(); }

std::vector<bool> Bools(const StatusOr<Tensor>& t) {
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return {};
  EXPECT_EQ(t->dtype(), DataType::kBool);
  return ToVec<bool>(*t);
}

TEST(Logical, Comparisons) {
  Tensor a = T_<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = T_<float>({2}, {2, 3});
  EXPECT_EQ(Bools(Op("Equal", {a, b})), (std::vector<bool>{false, false, false, false}));
  EXPECT_EQ(Bools(Op("Equal", {a, T_<float>({}, {3})})), (std::vector<bool>{false, false, true, false}));
  EXPECT_EQ(Bools(Op("Greater", {a, b})), (std::vector<bool>{false, false, true, true}));
  EXPECT_EQ(Bools(Op("Less", {a, b})), (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(Bools(Op("GreaterOrEqual", {a, T_<float>({2}, {1, 4})})), (std::vector<bool>{true, false, true, true}));
  EXPECT_EQ(Bools(Op("LessOrEqual", {a, T_<float>({2}, {1, 4})})), (std::vector<bool>{true, true, false, true}));
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(Bools(Op("Equal", {T_<float>({1}, {nan}), T_<float>({1}, {nan})})), (std::vector<bool>{false}));
}

TEST(Logical, ComparisonTypes) {
  EXPECT_EQ(Bools(Op("Equal", {T_<int64_t>({3}, {1, 2, 3}), T_<int64_t>({3}, {1, 0, 3})})),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(Bools(Op("Equal", {B({2}, {true, false}), B({2}, {true, true})})),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(Bools(Op("Greater", {T_<uint8_t>({2}, {200, 1}), T_<uint8_t>({2}, {100, 2})})),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(Bools(Op("Less", {T_<int8_t>({2}, {-100, 1}), T_<int8_t>({2}, {100, -2})})),
            (std::vector<bool>{true, false}));
  EXPECT_EQ(Bools(Op("Less", {T_<double>({1}, {0.5}), T_<double>({1}, {1.5})})), (std::vector<bool>{true}));
  // Opset 1 legacy broadcast with axis.
  EXPECT_EQ(Bools(Op("Greater", {T_<float>({2, 2}, {1, 2, 3, 4}), T_<float>({2}, {1.5f, 3.5f})},
                     {AttrInt("broadcast", 1), AttrInt("axis", 0)}, 1)),
            (std::vector<bool>{false, true, false, true}));
}

TEST(Logical, BoolOps) {
  Tensor a = B({2, 2}, {true, true, false, false});
  Tensor b = B({2}, {true, false});
  EXPECT_EQ(Bools(Op("And", {a, b})), (std::vector<bool>{true, false, false, false}));
  EXPECT_EQ(Bools(Op("Or", {a, b})), (std::vector<bool>{true, true, true, false}));
  EXPECT_EQ(Bools(Op("Xor", {a, b})), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(Bools(Op("Not", {a})), (std::vector<bool>{false, false, true, true}));
  EXPECT_FALSE(Op("And", {T_<float>({1}, {1}), T_<float>({1}, {1})}).ok());
}

TEST(Logical, WhereBroadcastsThreeInputs) {
  Tensor c = B({2, 1}, {true, false});
  Tensor x = T_<float>({1, 3}, {1, 2, 3});
  Tensor y = T_<float>({}, {-1});
  auto r = Op("Where", {c, x, y});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<float>(*r), (std::vector<float>{1, 2, 3, -1, -1, -1}));
  auto ri = Op("Where", {B({3}, {true, false, true}), T_<int64_t>({3}, {1, 2, 3}), T_<int64_t>({3}, {7, 8, 9})});
  ASSERT_TRUE(ri.ok()) << ri.status().ToString();
  EXPECT_EQ(ToVec<int64_t>(*ri), (std::vector<int64_t>{1, 8, 3}));
  auto rb = Op("Where", {B({2}, {true, false}), B({2}, {false, false}), B({2}, {true, true})});
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  EXPECT_EQ(ToVec<bool>(*rb), (std::vector<bool>{false, true}));
  auto ru = Op("Where", {B({1}, {false}), T_<uint16_t>({2}, {1, 2}), T_<uint16_t>({2}, {3, 4})});
  ASSERT_TRUE(ru.ok()) << ru.status().ToString();
  EXPECT_EQ(ToVec<uint16_t>(*ru), (std::vector<uint16_t>{3, 4}));
}

TEST(Logical, Errors) {
  EXPECT_FALSE(Op("Where", {T_<float>({1}, {1}), T_<float>({1}, {1}), T_<float>({1}, {2})}).ok());  // cond not bool
  EXPECT_FALSE(Op("Where", {B({2}, {true, false}), T_<float>({3}, {1, 2, 3}), T_<float>({1}, {2})}).ok());
  EXPECT_FALSE(Op("Equal", {T_<float>({2}, {1, 2}), T_<float>({3}, {1, 2, 3})}).ok());
}

}  // namespace
}  // namespace pl::test
