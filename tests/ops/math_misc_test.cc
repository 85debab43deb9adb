// Reference CumSum, TopK, Einsum and Det, from the ONNX operator spec.
#include <gtest/gtest.h>

#include <cmath>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<std::vector<Tensor>> Op(const std::string& op, const std::vector<Tensor>& ins,
                                 const std::vector<onnx::AttributeProto>& attrs = {}, int opset = 13,
                                 int num_outputs = 1) {
  return RunOp(op, ins, attrs, num_outputs, opset, {}, {"cpu_ref"});
}

template <typename T>
void Expect(const Tensor& t, const Shape& shape, const std::vector<T>& want) {
  EXPECT_EQ(t.dtype(), DataTypeOf<T>::value);
  EXPECT_EQ(t.shape(), shape);
  EXPECT_EQ(ToVec<T>(t), want);
}

#define ASSERT_OK_AND_FIRST(var, expr)                         \
  auto var##_or = (expr);                                      \
  ASSERT_TRUE(var##_or.ok()) << var##_or.status().ToString(); \
  const Tensor& var = (*var##_or)[0]

TEST(CumSum, Attributes) {
  Tensor x = T_<float>({5}, {1, 2, 3, 4, 5});
  Tensor axis = T_<int32_t>({}, {0});
  { ASSERT_OK_AND_FIRST(y, Op("CumSum", {x, axis})); Expect<float>(y, {5}, {1, 3, 6, 10, 15}); }
  { ASSERT_OK_AND_FIRST(y, Op("CumSum", {x, axis}, {AttrInt("exclusive", 1)})); Expect<float>(y, {5}, {0, 1, 3, 6, 10}); }
  { ASSERT_OK_AND_FIRST(y, Op("CumSum", {x, axis}, {AttrInt("reverse", 1)})); Expect<float>(y, {5}, {15, 14, 12, 9, 5}); }
  {
    ASSERT_OK_AND_FIRST(y, Op("CumSum", {x, axis}, {AttrInt("reverse", 1), AttrInt("exclusive", 1)}));
    Expect<float>(y, {5}, {14, 12, 9, 5, 0});
  }
}

TEST(CumSum, AxesAndTypes) {
  Tensor x = T_<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  { ASSERT_OK_AND_FIRST(y, Op("CumSum", {x, T_<int64_t>({1}, {0})})); Expect<int64_t>(y, {2, 3}, {1, 2, 3, 5, 7, 9}); }
  { ASSERT_OK_AND_FIRST(y, Op("CumSum", {x, T_<int64_t>({}, {-1})})); Expect<int64_t>(y, {2, 3}, {1, 3, 6, 4, 9, 15}); }
  EXPECT_FALSE(Op("CumSum", {x, T_<int64_t>({}, {2})}).ok());
  EXPECT_FALSE(Op("CumSum", {x, T_<int64_t>({2}, {0, 1})}).ok());
}

TEST(TopK, LargestSmallestAndTies) {
  Tensor x = T_<float>({2, 4}, {1, 3, 3, 2, 4, 0, 4, -1});
  auto r = Op("TopK", {x, T_<int64_t>({1}, {2})}, {}, 11, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Expect<float>((*r)[0], {2, 2}, {3, 3, 4, 4});
  Expect<int64_t>((*r)[1], {2, 2}, {1, 2, 0, 2});  // ties: lower index first
  auto s = Op("TopK", {x, T_<int64_t>({1}, {3})}, {AttrInt("largest", 0)}, 11, 2);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Expect<float>((*s)[0], {2, 3}, {1, 2, 3, -1, 0, 4});
  Expect<int64_t>((*s)[1], {2, 3}, {0, 3, 1, 3, 1, 0});
  auto a0 = Op("TopK", {x, T_<int64_t>({1}, {1})}, {AttrInt("axis", 0)}, 11, 2);
  ASSERT_TRUE(a0.ok()) << a0.status().ToString();
  Expect<float>((*a0)[0], {1, 4}, {4, 3, 4, 2});
  Expect<int64_t>((*a0)[1], {1, 4}, {1, 0, 1, 0});
}

TEST(TopK, KAttributeBeforeOpset10) {
  auto r = Op("TopK", {T_<int32_t>({4}, {5, 9, 1, 7})}, {AttrInt("k", 2)}, 9, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Expect<int32_t>((*r)[0], {2}, {9, 7});
  Expect<int64_t>((*r)[1], {2}, {1, 3});
}

TEST(TopK, Errors) {
  EXPECT_FALSE(Op("TopK", {T_<float>({3}, {1, 2, 3}), T_<int64_t>({1}, {4})}, {}, 11, 2).ok());
  EXPECT_FALSE(Op("TopK", {T_<float>({3}, {1, 2, 3}), T_<int64_t>({1}, {-1})}, {}, 11, 2).ok());
}

TEST(Einsum, MatmulTransposeTraceSum) {
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = T_<float>({3, 2}, {7, 8, 9, 10, 11, 12});
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {a, b}, {AttrString("equation", "ij,jk->ik")}, 12)); Expect<float>(y, {2, 2}, {58, 64, 139, 154}); }
  // Implicit output: labels used once, alphabetical ("ik").
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {a, b}, {AttrString("equation", "ij,jk")}, 12)); Expect<float>(y, {2, 2}, {58, 64, 139, 154}); }
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {a}, {AttrString("equation", "ij->ji")}, 12)); Expect<float>(y, {3, 2}, {1, 4, 2, 5, 3, 6}); }
  // Implicit "ba": output labels sorted -> "ab", a transpose.
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {a}, {AttrString("equation", "ba")}, 12)); Expect<float>(y, {3, 2}, {1, 4, 2, 5, 3, 6}); }
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {a}, {AttrString("equation", "ij->")}, 12)); Expect<float>(y, {}, {21}); }
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {a}, {AttrString("equation", "ij -> i")}, 12)); Expect<float>(y, {2}, {6, 15}); }
  Tensor sq = T_<float>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {sq}, {AttrString("equation", "ii")}, 12)); Expect<float>(y, {}, {15}); }
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {sq}, {AttrString("equation", "ii->i")}, 12)); Expect<float>(y, {3}, {1, 5, 9}); }
  Tensor v = T_<float>({3}, {1, 2, 3});
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {v, v}, {AttrString("equation", "i,i")}, 12)); Expect<float>(y, {}, {14}); }
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {v, T_<float>({2}, {1, 10})}, {AttrString("equation", "i,j->ij")}, 12)); Expect<float>(y, {3, 2}, {1, 10, 2, 20, 3, 30}); }
}

TEST(Einsum, EllipsisAndBatch) {
  // Batched matmul with ellipsis; B's batch dim of 1 broadcasts.
  Tensor a = T_<float>({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = T_<float>({1, 2, 1}, {10, 1});
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {a, b}, {AttrString("equation", "...ij,...jk->...ik")}, 12)); Expect<float>(y, {2, 1, 1}, {12, 34}); }
  // Batch diagonal.
  Tensor d = T_<float>({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {d}, {AttrString("equation", "...ii->...i")}, 12)); Expect<float>(y, {2, 2}, {1, 4, 5, 8}); }
  // Implicit output keeps the ellipsis dims first.
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {d}, {AttrString("equation", "...ij")}, 12)); Expect<float>(y, {2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}); }
  Tensor ai = T_<int64_t>({2}, {2, 3});
  { ASSERT_OK_AND_FIRST(y, Op("Einsum", {ai, ai}, {AttrString("equation", "i,i->")}, 12)); Expect<int64_t>(y, {}, {13}); }
}

TEST(Einsum, Errors) {
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  EXPECT_FALSE(Op("Einsum", {a}, {AttrString("equation", "ijk->i")}, 12).ok());    // rank mismatch
  EXPECT_FALSE(Op("Einsum", {a, a}, {AttrString("equation", "ij,jk->ik")}, 12).ok());  // j: 3 vs 2
  EXPECT_FALSE(Op("Einsum", {a}, {AttrString("equation", "ij->k")}, 12).ok());      // unknown output label
  EXPECT_FALSE(Op("Einsum", {a}, {AttrString("equation", "i1->i")}, 12).ok());
}

TEST(Det, TwoByTwoAndBatch) {
  { ASSERT_OK_AND_FIRST(y, Op("Det", {T_<float>({2, 2}, {1, 2, 3, 4})}, {}, 11)); Expect<float>(y, {}, {-2}); }
  auto r = Op("Det", {T_<double>({2, 3, 3}, {2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 1, 0, 1, 0, 0, 0, 0, 1})}, {}, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  Expect<double>((*r)[0], {2}, {24, -1});
  EXPECT_FALSE(Op("Det", {T_<float>({2, 3}, {1, 2, 3, 4, 5, 6})}, {}, 11).ok());
}

}  // namespace
}  // namespace pl::test
