// Batching helpers: keys, input normalization, concat/split by hand-made tensors.
#include "services/batching.h"

#include <gtest/gtest.h>

namespace pl::services::batching {
namespace {

Tensor F(Shape s, std::vector<float> v, std::string name = "") {
  return Tensor::FromVector<float>(std::move(s), v, std::move(name)).value();
}

TEST(Batching, KeyIgnoresDimZeroOnly) {
  BatchKey a = KeyOf({F({2, 3}, std::vector<float>(6))});
  BatchKey b = KeyOf({F({5, 3}, std::vector<float>(15))});
  BatchKey c = KeyOf({F({2, 4}, std::vector<float>(8))});
  EXPECT_EQ(a.rows, 2);
  EXPECT_EQ(b.rows, 5);
  EXPECT_EQ(a.key, b.key);
  EXPECT_NE(a.key, c.key);
  BatchKey i64 = KeyOf({Tensor::FromVector<int64_t>({2, 3}, std::vector<int64_t>(6)).value()});
  EXPECT_NE(a.key, i64.key);
}

TEST(Batching, UnbatchableRequests) {
  EXPECT_TRUE(KeyOf({F({}, {1.f})}).key.empty());                             // scalar
  EXPECT_TRUE(KeyOf({F({2, 1}, {1, 2}), F({3, 1}, {1, 2, 3})}).key.empty());  // dim 0 differs
  EXPECT_TRUE(KeyOf({F({0, 3}, {})}).key.empty());                            // no rows
  EXPECT_TRUE(KeyOf({}).key.empty());
}

TEST(Batching, WhyNotBatchable) {
  ValueInfo dyn{"x", DataType::kFloat32, {-1, 3}, {"N", ""}, true};
  ValueInfo fixed{"y", DataType::kFloat32, {1, 3}, {"", ""}, true};
  ValueInfo unknown{"z", DataType::kFloat32, {}, {}, false};
  EXPECT_EQ(WhyNotBatchable({dyn, unknown}), "");
  EXPECT_NE(WhyNotBatchable({dyn, fixed}).find("'y' fixes dim 0 to 1"), std::string::npos);
  ValueInfo seq = unknown;
  seq.name = "s";
  seq.is_sequence = true;  // a list of tensors has no batch dim to concatenate on
  EXPECT_NE(WhyNotBatchable({dyn, seq}).find("'s' is a sequence"), std::string::npos);
}

TEST(Batching, NormalizeReordersNamedInputs) {
  auto r = NormalizeInputs({"a", "b"}, {F({1}, {2}, "b"), F({1}, {1}, "a")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].name(), "a");
  EXPECT_EQ((*r)[0].Data<float>()[0], 1.f);
  EXPECT_EQ((*r)[1].Data<float>()[0], 2.f);
  // Unnamed (or foreign names): model order, renamed.
  auto p = NormalizeInputs({"a", "b"}, {F({1}, {1}, "q"), F({1}, {2})});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ((*p)[1].name(), "b");
  EXPECT_EQ((*p)[1].Data<float>()[0], 2.f);
}

TEST(Batching, NormalizeRejectsBadRequests) {
  EXPECT_EQ(NormalizeInputs({"a"}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(NormalizeInputs({"a", "b"}, {F({1}, {1}, "a"), F({1}, {1}, "a")}).status().code(),
            StatusCode::kInvalidArgument);
  Tensor empty;
  EXPECT_EQ(NormalizeInputs({"a"}, {empty}).status().code(), StatusCode::kInvalidArgument);
}

TEST(Batching, ConcatThenSplitRoundTrips) {
  std::vector<Tensor> r1 = {F({1, 2}, {1, 2})};
  std::vector<Tensor> r2 = {F({2, 2}, {3, 4, 5, 6})};
  auto cat = Concat({&r1, &r2});
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  ASSERT_EQ((*cat)[0].shape(), (Shape{3, 2}));
  const float* d = (*cat)[0].Data<float>();
  for (int i = 0; i < 6; ++i) EXPECT_EQ(d[i], i + 1.f);

  Tensor out = F({3, 1}, {10, 20, 30}, "y");
  auto parts = Split({out}, {1, 2});
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0][0].shape(), (Shape{1, 1}));
  EXPECT_EQ((*parts)[0][0].Data<float>()[0], 10.f);
  EXPECT_EQ((*parts)[1][0].shape(), (Shape{2, 1}));
  EXPECT_EQ((*parts)[1][0].Data<float>()[1], 30.f);
  EXPECT_EQ((*parts)[1][0].name(), "y");
}

Tensor S(Shape s, std::vector<std::string> v, std::string name = "") {
  return Tensor::FromVector(std::move(s), v, std::move(name)).value();
}

TEST(Batching, StringTensorsBatchElementByElement) {
  std::vector<Tensor> r1 = {S({1, 2}, {"a", std::string("n\0ul", 4)}, "s")};
  std::vector<Tensor> r2 = {S({2, 2}, {"", "ccc", std::string(100, 'd'), "e"}, "s")};
  ASSERT_FALSE(KeyOf(r1).key.empty());
  EXPECT_EQ(KeyOf(r1).key, KeyOf(r2).key);
  EXPECT_NE(KeyOf(r1).key, KeyOf({F({1, 2}, {1, 2})}).key);
  ASSERT_TRUE(NormalizeInputs({"s"}, r1).ok());
  auto cat = Concat({&r1, &r2});
  ASSERT_TRUE(cat.ok()) << cat.status().ToString();
  ASSERT_EQ((*cat)[0].dtype(), DataType::kString);
  ASSERT_EQ((*cat)[0].shape(), (Shape{3, 2}));
  const std::string* d = (*cat)[0].Data<std::string>();
  const std::vector<std::string> want = {"a", std::string("n\0ul", 4), "", "ccc", std::string(100, 'd'), "e"};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(d[i], want[static_cast<size_t>(i)]) << i;
  // The batch is a copy: the requests' strings are untouched by changes to it.
  (*cat)[0].MutableData<std::string>()[0] = "changed";
  EXPECT_EQ(r1[0].Data<std::string>()[0], "a");

  auto parts = Split(*cat, {1, 2});
  ASSERT_TRUE(parts.ok()) << parts.status().ToString();
  EXPECT_EQ((*parts)[0][0].shape(), (Shape{1, 2}));
  EXPECT_EQ((*parts)[0][0].Data<std::string>()[0], "changed");
  EXPECT_EQ((*parts)[0][0].Data<std::string>()[1], std::string("n\0ul", 4));
  ASSERT_EQ((*parts)[1][0].shape(), (Shape{2, 2}));
  for (int i = 0; i < 4; ++i) EXPECT_EQ((*parts)[1][0].Data<std::string>()[i], want[static_cast<size_t>(i + 2)]) << i;
}

TEST(Batching, ConcatRejectsMismatch) {
  std::vector<Tensor> r1 = {F({1, 2}, {1, 2})};
  std::vector<Tensor> r2 = {F({1, 3}, {1, 2, 3})};
  EXPECT_FALSE(Concat({&r1, &r2}).ok());
  EXPECT_FALSE(Concat({}).ok());
}

TEST(Batching, SplitRefusesOutputsThatMixRows) {
  Tensor pooled = F({1, 4}, {1, 2, 3, 4}, "sum_over_batch");
  auto parts = Split({pooled}, {1, 2});
  ASSERT_FALSE(parts.ok());
  EXPECT_NE(parts.status().message().find("sum_over_batch"), std::string::npos);
}

}  // namespace
}  // namespace pl::services::batching
