// Reference Softmax / LogSoftmax / Hardmax, both the opset < 13 "coerce to 2-D" semantics and
// the opset 13 single-axis semantics.
#include <gtest/gtest.h>

#include <cmath>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<Tensor> Op(const std::string& op, const Tensor& x, const std::vector<onnx::AttributeProto>& attrs = {},
                    int opset = 13) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp(op, {x}, attrs, 1, opset, {}, {"cpu_ref"}));
  return outs[0];
}

void ExpectNear(const StatusOr<Tensor>& t, const std::vector<float>& want) {
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  auto got = ToVec<float>(*t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6) << "element " << i;
}

// exp(0) = 1 and exp(ln 3) = 3 make softmax({0, ln 3}) = {1/4, 3/4}.
const float kLn3 = std::log(3.f);

TEST(Softmax, LastAxisOpset13) {
  Tensor x = T_<float>({2, 2}, {0, kLn3, kLn3, 0});
  ExpectNear(Op("Softmax", x), {0.25f, 0.75f, 0.75f, 0.25f});
  ExpectNear(Op("LogSoftmax", x), {std::log(0.25f), std::log(0.75f), std::log(0.75f), std::log(0.25f)});
  ExpectNear(Op("Softmax", x, {AttrInt("axis", 0)}), {0.25f, 0.75f, 0.75f, 0.25f});
  // Large inputs must not overflow.
  const float e = std::exp(1.f);
  ExpectNear(Op("Softmax", T_<float>({2}, {1000, 1001})), {1 / (1 + e), e / (1 + e)});
}

TEST(Softmax, MiddleAxisOpset13) {
  // Shape [1, 2, 2], axis 1: pairs (x[0,0,j], x[0,1,j]).
  Tensor x = T_<float>({1, 2, 2}, {0, 0, kLn3, 0});
  ExpectNear(Op("Softmax", x, {AttrInt("axis", 1)}), {0.25f, 0.5f, 0.75f, 0.5f});
}

TEST(Softmax, Coerce2DBeforeOpset13) {
  // Shape [1, 2, 2] with the default axis 1: one row of 4 elements.
  Tensor x = T_<float>({1, 2, 2}, {0, 0, kLn3, 0});
  ExpectNear(Op("Softmax", x, {}, 11), {1 / 6.f, 1 / 6.f, 3 / 6.f, 1 / 6.f});
  ExpectNear(Op("LogSoftmax", x, {}, 11), {std::log(1 / 6.f), std::log(1 / 6.f), std::log(0.5f), std::log(1 / 6.f)});
  // axis 2: two rows of 2.
  ExpectNear(Op("Softmax", x, {AttrInt("axis", 2)}, 11), {0.5f, 0.5f, 0.75f, 0.25f});
  ExpectNear(Op("Hardmax", x, {}, 11), {0, 0, 1, 0});
}

TEST(Softmax, Hardmax) {
  Tensor x = T_<float>({2, 3}, {1, 3, 3, 5, 2, 1});
  ExpectNear(Op("Hardmax", x), {0, 1, 0, 1, 0, 0});  // first maximum wins a tie
  ExpectNear(Op("Hardmax", x, {AttrInt("axis", 0)}), {0, 1, 1, 1, 0, 0});
}

TEST(Softmax, Errors) {
  EXPECT_FALSE(Op("Softmax", T_<float>({2}, {1, 2}), {AttrInt("axis", 1)}).ok());
  EXPECT_FALSE(Op("Softmax", T_<int32_t>({2}, {1, 2})).ok());
}

}  // namespace
}  // namespace pl::test
