// Reference MatMul (numpy semantics: 1-D operands, broadcast batch dims) and Gemm (transA/B,
// alpha, beta, optional broadcast C), from the ONNX operator spec.
#include <gtest/gtest.h>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<Tensor> Op(const std::string& op, const std::vector<Tensor>& ins,
                    const std::vector<onnx::AttributeProto>& attrs = {}, int opset = 13) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp(op, ins, attrs, 1, opset, {}, {"cpu_ref"}));
  return outs[0];
}

template <typename T>
void Expect(const StatusOr<Tensor>& t, const Shape& shape, const std::vector<T>& want) {
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->dtype(), DataTypeOf<T>::value);
  EXPECT_EQ(t->shape(), shape);
  EXPECT_EQ(ToVec<T>(*t), want);
}

const Tensor kNone;

TEST(MatMul, TwoD) {
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = T_<float>({3, 2}, {7, 8, 9, 10, 11, 12});
  Expect<float>(Op("MatMul", {a, b}), {2, 2}, {58, 64, 139, 154});
}

TEST(MatMul, VectorOperands) {
  Tensor m = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Expect<float>(Op("MatMul", {T_<float>({2}, {1, 1}), m}), {3}, {5, 7, 9});
  Expect<float>(Op("MatMul", {m, T_<float>({3}, {1, 0, 1})}), {2}, {4, 10});
  Expect<float>(Op("MatMul", {T_<float>({3}, {1, 2, 3}), T_<float>({3}, {4, 5, 6})}), {}, {32});
}

TEST(MatMul, BroadcastBatch) {
  // A [2, 1, 2] (two 1x2 rows) x B [2, 1] shared -> [2, 1, 1].
  Expect<float>(Op("MatMul", {T_<float>({2, 1, 2}, {1, 2, 3, 4}), T_<float>({2, 1}, {10, 1})}), {2, 1, 1}, {12, 34});
  // A [2, 1, 1, 2] x B [3, 2, 1] -> [2, 3, 1, 1].
  Tensor a = T_<float>({2, 1, 1, 2}, {1, 0, 0, 1});
  Tensor b = T_<float>({3, 2, 1}, {1, 2, 3, 4, 5, 6});
  Expect<float>(Op("MatMul", {a, b}), {2, 3, 1, 1}, {1, 3, 5, 2, 4, 6});
}

TEST(MatMul, OtherTypes) {
  Expect<int32_t>(Op("MatMul", {T_<int32_t>({1, 2}, {-1, 2}), T_<int32_t>({2, 1}, {3, 4})}), {1, 1}, {5});
  Expect<int64_t>(Op("MatMul", {T_<int64_t>({1, 2}, {1LL << 33, 1}), T_<int64_t>({2, 1}, {2, 5})}), {1, 1},
                  {(1LL << 34) + 5});
  Expect<double>(Op("MatMul", {T_<double>({1, 2}, {0.5, 2}), T_<double>({2, 1}, {4, 0.25})}), {1, 1}, {2.5});
}

TEST(MatMul, Errors) {
  EXPECT_FALSE(Op("MatMul", {T_<float>({2, 3}, {1, 2, 3, 4, 5, 6}), T_<float>({2, 2}, {1, 2, 3, 4})}).ok());
  EXPECT_FALSE(Op("MatMul", {T_<float>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}),
                             T_<float>({3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})}).ok());
}

TEST(Gemm, AttributesAndBias) {
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = T_<float>({3, 2}, {7, 8, 9, 10, 11, 12});
  Expect<float>(Op("Gemm", {a, b}), {2, 2}, {58, 64, 139, 154});
  // alpha * A B + beta * C with C broadcast from a row [2].
  Expect<float>(Op("Gemm", {a, b, T_<float>({2}, {1, 2})}, {AttrFloat("alpha", 2), AttrFloat("beta", 10)}), {2, 2},
                {126, 148, 288, 328});
  // C as a column [2, 1] and as a scalar.
  Expect<float>(Op("Gemm", {a, b, T_<float>({2, 1}, {1, 2})}), {2, 2}, {59, 65, 141, 156});
  Expect<float>(Op("Gemm", {a, b, T_<float>({}, {1})}), {2, 2}, {59, 65, 140, 155});
  // transA / transB: A^T is [3,2]^T, B^T is [2,3]^T.
  Tensor at = T_<float>({3, 2}, {1, 4, 2, 5, 3, 6});
  Tensor bt = T_<float>({2, 3}, {7, 9, 11, 8, 10, 12});
  Expect<float>(Op("Gemm", {at, bt, kNone}, {AttrInt("transA", 1), AttrInt("transB", 1)}), {2, 2},
                {58, 64, 139, 154});
  Expect<float>(Op("Gemm", {a, b, T_<float>({2, 2}, {1, 1, 1, 1})}, {AttrFloat("beta", 0)}), {2, 2},
                {58, 64, 139, 154});
}

TEST(Gemm, IntegerAndErrors) {
  Expect<int64_t>(Op("Gemm", {T_<int64_t>({1, 2}, {1, 2}), T_<int64_t>({2, 1}, {3, 4}), T_<int64_t>({1}, {5})}),
                  {1, 1}, {16});
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_FALSE(Op("Gemm", {a, a}).ok());                                         // K mismatch
  EXPECT_FALSE(Op("Gemm", {a, T_<float>({3, 2}, {1, 2, 3, 4, 5, 6}), T_<float>({3}, {1, 2, 3})}).ok());  // bad C
  EXPECT_FALSE(Op("Gemm", {T_<float>({3}, {1, 2, 3}), T_<float>({3, 1}, {1, 2, 3})}).ok());              // rank 1
}

}  // namespace
}  // namespace pl::test
