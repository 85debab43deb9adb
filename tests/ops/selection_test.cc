// Reference Unique (all four outputs, sorted and first-occurrence order, flattened and along an
// axis, NaN), Compress (axis, flattened, short and long conditions) and ReverseSequence (both
// layouts, inner dims), hand-computed; bad inputs give an error Status.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

using I64 = std::vector<int64_t>;

// bool tensors go through the non-template FromVector (std::vector<bool> has no data()).
Tensor B(Shape shape, std::vector<bool> v) { return Tensor::FromVector(std::move(shape), v).value(); }

TEST(Unique, FlattenedSortedAndUnsorted) {
  Tensor x = T_<float>({2, 3}, {2, 1, 1, 3, 4, 3});
  auto s = RunRef("Unique", {x}, {}, 4, 11);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(ToVec<float>((*s)[0]), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(ToVec<int64_t>((*s)[1]), (I64{1, 0, 3, 4}));        // first occurrences
  EXPECT_EQ(ToVec<int64_t>((*s)[2]), (I64{1, 0, 0, 2, 3, 2}));  // inverse
  EXPECT_EQ(ToVec<int64_t>((*s)[3]), (I64{2, 1, 2, 1}));        // counts
  auto u = RunRef("Unique", {x}, {AttrInt("sorted", 0)}, 4, 11);
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(ToVec<float>((*u)[0]), (std::vector<float>{2, 1, 3, 4}));
  EXPECT_EQ(ToVec<int64_t>((*u)[1]), (I64{0, 1, 3, 4}));
  EXPECT_EQ(ToVec<int64_t>((*u)[2]), (I64{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(ToVec<int64_t>((*u)[3]), (I64{1, 2, 2, 1}));
  // Only Y requested; int64 and bool inputs.
  auto y = RunRef("Unique", {T_<int64_t>({4}, {7, -3, 7, 0})}, {}, 1, 11);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*y)[0]), (I64{-3, 0, 7}));
  auto b = RunRef("Unique", {B({3}, {true, false, true})}, {}, 4, 11);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)[0].NumElements(), 2);
  EXPECT_EQ(ToVec<int64_t>((*b)[3]), (I64{1, 2}));
}

TEST(Unique, AlongAxis) {
  Tensor x = T_<int32_t>({3, 3}, {1, 0, 0, 1, 0, 0, 2, 3, 4});
  auto rows = RunRef("Unique", {x}, {AttrInt("axis", 0)}, 4, 11);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ((*rows)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<int32_t>((*rows)[0]), (std::vector<int32_t>{1, 0, 0, 2, 3, 4}));
  EXPECT_EQ(ToVec<int64_t>((*rows)[1]), (I64{0, 2}));
  EXPECT_EQ(ToVec<int64_t>((*rows)[2]), (I64{0, 0, 1}));
  EXPECT_EQ(ToVec<int64_t>((*rows)[3]), (I64{2, 1}));
  // Columns (1,1,2), (0,0,3), (0,0,4) sort lexicographically as column 1, 2, 0.
  auto cols = RunRef("Unique", {x}, {AttrInt("axis", -1)}, 4, 11);
  ASSERT_TRUE(cols.ok()) << cols.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*cols)[0]), (std::vector<int32_t>{0, 0, 1, 0, 0, 1, 3, 4, 2}));
  EXPECT_EQ(ToVec<int64_t>((*cols)[1]), (I64{1, 2, 0}));
  EXPECT_EQ(ToVec<int64_t>((*cols)[2]), (I64{2, 0, 1}));
  EXPECT_EQ(ToVec<int64_t>((*cols)[3]), (I64{1, 1, 1}));
  EXPECT_FALSE(RunRef("Unique", {x}, {AttrInt("axis", 2)}, 1, 11).ok());
}

TEST(Unique, NaNsCollapseAndSortLast) {
  auto r = RunRef("Unique", {T_<float>({4}, {NAN, 1, NAN, -0.f})}, {}, 4, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<float> y = ToVec<float>((*r)[0]);
  ASSERT_EQ(y.size(), 3u);
  EXPECT_EQ(y[0], 0.f);
  EXPECT_EQ(y[1], 1.f);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_EQ(ToVec<int64_t>((*r)[3]), (I64{1, 1, 2}));
}

TEST(Compress, AxisAndFlattened) {
  Tensor x = T_<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  auto a0 = RunRef("Compress", {x, B({3}, {false, true, true})}, {AttrInt("axis", 0)}, 1, 11);
  ASSERT_TRUE(a0.ok()) << a0.status().ToString();
  EXPECT_EQ((*a0)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(ToVec<float>((*a0)[0]), (std::vector<float>{3, 4, 5, 6}));
  // Short condition along axis 1 (negative axis, opset 11): only column 1.
  auto a1 = RunRef("Compress", {x, B({2}, {false, true})}, {AttrInt("axis", -1)}, 1, 11);
  ASSERT_TRUE(a1.ok()) << a1.status().ToString();
  EXPECT_EQ(ToVec<float>((*a1)[0]), (std::vector<float>{2, 4, 6}));
  auto flat = RunRef("Compress", {x, B({5}, {false, true, false, false, true})}, {}, 1, 9);
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  EXPECT_EQ((*flat)[0].shape(), (Shape{2}));
  EXPECT_EQ(ToVec<float>((*flat)[0]), (std::vector<float>{2, 5}));
  // A longer condition may only be false beyond the dimension; none selected gives an empty dim.
  auto longer = RunRef("Compress", {x, B({4}, {true, false, false, false})}, {AttrInt("axis", 0)}, 1, 11);
  ASSERT_TRUE(longer.ok()) << longer.status().ToString();
  EXPECT_EQ(ToVec<float>((*longer)[0]), (std::vector<float>{1, 2}));
  auto none = RunRef("Compress", {x, B({2}, {false, false})}, {AttrInt("axis", 1)}, 1, 11);
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)[0].shape(), (Shape{3, 0}));
  EXPECT_FALSE(RunRef("Compress", {x, B({4}, {true, false, false, true})}, {AttrInt("axis", 0)}, 1, 11).ok());
  EXPECT_FALSE(RunRef("Compress", {x, T_<int64_t>({3}, {0, 1, 1})}, {AttrInt("axis", 0)}, 1, 11).ok());
}

TEST(ReverseSequence, TimeMajorAndBatchMajor) {
  std::vector<float> v(16);
  for (int i = 0; i < 16; ++i) v[i] = static_cast<float>(i);
  // [time 4, batch 4]: column b holds 4b.. ; lens 4, 3, 2, 1.
  Tensor tm = T_<float>({4, 4}, {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15});
  auto t = RunRef("ReverseSequence", {tm, T_<int64_t>({4}, {4, 3, 2, 1})},
                  {AttrInt("batch_axis", 1), AttrInt("time_axis", 0)}, 1, 10);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(ToVec<float>((*t)[0]), (std::vector<float>{3, 6, 9, 12, 2, 5, 8, 13, 1, 4, 10, 14, 0, 7, 11, 15}));
  auto b = RunRef("ReverseSequence", {T_<float>({4, 4}, v), T_<int64_t>({4}, {1, 2, 3, 4})},
                  {AttrInt("batch_axis", 0), AttrInt("time_axis", 1)}, 1, 10);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(ToVec<float>((*b)[0]), (std::vector<float>{0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12}));
}

TEST(ReverseSequence, InnerDimsMoveTogether) {
  // [batch 2, time 3, 2] int8; lens 3, 0.
  Tensor x = T_<int8_t>({2, 3, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
  auto r = RunRef("ReverseSequence", {x, T_<int64_t>({2}, {3, 0})}, {AttrInt("batch_axis", 0), AttrInt("time_axis", 1)},
                  1, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int8_t>((*r)[0]), (std::vector<int8_t>{5, 6, 3, 4, 1, 2, 7, 8, 9, 10, 11, 12}));
  EXPECT_FALSE(RunRef("ReverseSequence", {x, T_<int64_t>({2}, {4, 1})}, {AttrInt("batch_axis", 0), AttrInt("time_axis", 1)},
                      1, 10).ok());
  EXPECT_FALSE(RunRef("ReverseSequence", {x, T_<int64_t>({3}, {1, 1, 1})},
                      {AttrInt("batch_axis", 0), AttrInt("time_axis", 1)}, 1, 10).ok());
  EXPECT_FALSE(RunRef("ReverseSequence", {x, T_<int64_t>({2}, {1, 1})}, {AttrInt("batch_axis", 1), AttrInt("time_axis", 1)},
                      1, 10).ok());
}

}  // namespace
}  // namespace pl::test
