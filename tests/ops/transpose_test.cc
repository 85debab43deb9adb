// Transpose: default perm, explicit perms against an index-by-index oracle on odd shapes (both the
// run-copy and the tiled 2-D paths), several element sizes, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

template <typename T>
Tensor Iota(Shape shape) {
  std::vector<T> v(ShapeNumElements(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<T>(i * 7 + 1);
  return T_<T>(shape, v);
}

// out[idx] = in[idx permuted back], element by element.
template <typename T>
std::vector<T> Oracle(const Tensor& x, const std::vector<int64_t>& perm) {
  const Shape& in = x.shape();
  const size_t r = in.size();
  Shape out(r);
  for (size_t d = 0; d < r; ++d) out[d] = in[perm[d]];
  std::vector<int64_t> in_strides(r, 1);
  for (int d = static_cast<int>(r) - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * in[d + 1];
  std::vector<T> res(x.NumElements());
  std::vector<int64_t> idx(r, 0);
  for (int64_t i = 0; i < x.NumElements(); ++i) {
    int64_t off = 0;
    for (size_t d = 0; d < r; ++d) off += idx[d] * in_strides[perm[d]];
    res[i] = x.Data<T>()[off];
    for (int d = static_cast<int>(r) - 1; d >= 0; --d) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
  return res;
}

TEST(TransposeOp, DefaultReversesDims) {
  auto r = RunRef("Transpose", {T_<float>({2, 3}, {1, 2, 3, 4, 5, 6})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(TransposeOp, HandComputed3D) {
  // x[i][j][k] = 100i + 10j + k, shape [2,2,2]; perm [1,0,2] swaps i and j.
  Tensor x = T_<int32_t>({2, 2, 2}, {0, 1, 10, 11, 100, 101, 110, 111});
  auto r = RunRef("Transpose", {x}, {AttrInts("perm", {1, 0, 2})}, 1, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{0, 1, 100, 101, 10, 11, 110, 111}));
  r = RunRef("Transpose", {x}, {AttrInts("perm", {2, 0, 1})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{0, 10, 100, 110, 1, 11, 101, 111}));
}

TEST(TransposeOp, AllPermutationsOfOddShapeMatchOracle) {
  Tensor x = Iota<float>({3, 5, 2, 7});
  std::vector<int64_t> perm = {0, 1, 2, 3};
  do {
    auto r = RunRef("Transpose", {x}, {AttrInts("perm", perm)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ToVec<float>((*r)[0]), Oracle<float>(x, perm));
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(TransposeOp, ElementSizesAndLargeTiles) {
  auto check = [](const Tensor& x, std::vector<int64_t> perm, auto zero) {
    using T = decltype(zero);
    auto r = RunRef("Transpose", {x}, {AttrInts("perm", perm)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ToVec<T>((*r)[0]), Oracle<T>(x, perm));
  };
  check(Iota<uint8_t>({37, 41}), {1, 0}, uint8_t{});
  check(Iota<int16_t>({3, 33, 65}), {0, 2, 1}, int16_t{});
  check(Iota<int64_t>({5, 17, 3, 19}), {3, 1, 0, 2}, int64_t{});
  check(Iota<double>({1, 130, 1, 70}), {3, 2, 1, 0}, double{});
  // Large enough to take the threaded path (> 256 KiB).
  check(Iota<float>({4, 300, 129}), {2, 0, 1}, float{});
}

TEST(TransposeOp, ThreadedPathsMatchOracle) {
  // Both the tiled path and the run-copy path, big enough to be split over 4 threads.
  for (auto perm : std::vector<std::vector<int64_t>>{{2, 0, 1}, {1, 0, 2}, {0, 2, 1}}) {
    Tensor x = Iota<float>({7, 257, 301});
    auto r = RunRefUnchecked("Transpose", {x}, {AttrInts("perm", perm)}, 1, 13, /*threads=*/4);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ToVec<float>((*r)[0]), Oracle<float>(x, perm));
  }
}

TEST(TransposeOp, Errors) {
  Tensor x = Iota<float>({2, 3});
  EXPECT_FALSE(RunRef("Transpose", {x}, {AttrInts("perm", {0})}).ok());
  EXPECT_FALSE(RunRef("Transpose", {x}, {AttrInts("perm", {1, 1})}).ok());
  EXPECT_FALSE(RunRef("Transpose", {x}, {AttrInts("perm", {0, 2})}).ok());
}

}  // namespace
}  // namespace pl::test
