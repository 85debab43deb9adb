// String tensors: Tensor ownership (copies share, Clone/CopyFrom deep-copy, views), Cast between
// strings and numbers, the data-movement ops that take strings, StringNormalizer and
// TfIdfVectorizer, pinned to hand-worked examples of the ONNX spec.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "src/onnx/tensor_proto.h"
#include "util/test_util.h"

namespace pl::test {
namespace {

using Strs = std::vector<std::string>;

Tensor S(Shape shape, const Strs& v) { return Tensor::FromVector(std::move(shape), v).value(); }
Strs SV(const Tensor& t) {
  EXPECT_EQ(t.dtype(), DataType::kString);
  return Strs(t.Data<std::string>(), t.Data<std::string>() + t.NumElements());
}

onnx::AttributeProto AttrStrings(const std::string& name, const Strs& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRINGS);
  for (const auto& s : v) a.add_strings(s);
  return a;
}

StatusOr<Tensor> Run1(const std::string& op, const std::vector<Tensor>& in, const std::vector<onnx::AttributeProto>& attrs,
                      int opset = 13, const std::vector<int>& consts = {}) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp(op, in, attrs, 1, opset, consts, {"cpu_ref"}));
  return outs[0];
}

TEST(StringTensor, OwnershipCloneAndViews) {
  Tensor a = S({2}, {"alpha", std::string(100, 'x')});
  Tensor shared = a;  // copies share the elements, like every dtype
  EXPECT_EQ(shared.Data<std::string>(), a.Data<std::string>());
  auto c = a.Clone();
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->Data<std::string>(), a.Data<std::string>());
  a.MutableData<std::string>()[0] = "changed";
  EXPECT_EQ(SV(*c), (Strs{"alpha", std::string(100, 'x')}));
  EXPECT_EQ(SV(shared)[0], "changed");
  Tensor d;
  ASSERT_TRUE(d.CopyFrom(a).ok());
  a = Tensor();  // the copy outlives the original
  shared = Tensor();
  EXPECT_EQ(SV(d), (Strs{"changed", std::string(100, 'x')}));
  // A view over a caller's std::string array, and the typed copies.
  std::string mine[3] = {"p", "q", "r"};
  Tensor v = Tensor::Wrap(DataType::kString, {3}, mine);
  EXPECT_EQ(SV(v), (Strs{"p", "q", "r"}));
  std::string back[3];
  ASSERT_TRUE(v.CopyToCpu(back).ok());
  EXPECT_EQ(back[2], "r");
  Tensor h;
  ASSERT_TRUE(h.Reshape({2}).ok());
  ASSERT_TRUE(h.CopyFromCpu(mine).ok());
  EXPECT_EQ(SV(h), (Strs{"p", "q"}));
  EXPECT_FALSE(h.CopyFromBytes("ab", 2).ok());  // strings have no byte form
  // TensorProto round trip through string_data.
  onnx::TensorProto p;
  ASSERT_TRUE(onnx_io::TensorToProto(h, &p).ok());
  EXPECT_EQ(p.string_data_size(), 2);
  auto r = onnx_io::TensorFromProto(p, "");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(SV(*r), (Strs{"p", "q"}));
  p.add_string_data("extra");
  EXPECT_FALSE(onnx_io::TensorFromProto(p, "").ok());  // count does not match dims
}

TEST(StringCast, NumbersToStrings) {
  auto y = Run1("Cast", {T_<float>({6}, {0.9767611f, 0.039187793f, 1.f, -2.5e-7f, std::numeric_limits<float>::infinity(),
                                          std::numeric_limits<float>::quiet_NaN()})},
                {AttrInt("to", 8)});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(SV(*y), (Strs{"0.9767611", "0.039187793", "1", "-2.5e-07", "INF", "NaN"}));
  auto yi = Run1("Cast", {T_<int64_t>({2}, {-9007199254740993LL, 42})}, {AttrInt("to", 8)});
  ASSERT_TRUE(yi.ok());
  EXPECT_EQ(SV(*yi), (Strs{"-9007199254740993", "42"}));
  // float16 1/3 (0x3555) prints with the digits half precision needs, not float's.
  Tensor h = *Tensor::Create(DataType::kFloat16, {1});
  h.MutableData<uint16_t>()[0] = 0x3555;
  auto yh = Run1("Cast", {h}, {AttrInt("to", 8)});
  ASSERT_TRUE(yh.ok());
  EXPECT_EQ(SV(*yh), (Strs{"0.3333"}));
}

TEST(StringCast, StringsToNumbers) {
  auto y = Run1("Cast", {S({6}, {"0.47892547", "-1e3", "NaN", "INF", "+INF", "-inf"})}, {AttrInt("to", 1)});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  auto v = ToVec<float>(*y);
  EXPECT_EQ(v[0], 0.47892547f);
  EXPECT_EQ(v[1], -1000.f);
  EXPECT_TRUE(std::isnan(v[2]));
  EXPECT_TRUE(std::isinf(v[3]) && v[3] > 0 && std::isinf(v[4]) && v[4] > 0);
  EXPECT_TRUE(std::isinf(v[5]) && v[5] < 0);
  auto yi = Run1("Cast", {S({3}, {"-17", "9007199254740993", "2.9"})}, {AttrInt("to", 7)});
  ASSERT_TRUE(yi.ok()) << yi.status().ToString();
  EXPECT_EQ(ToVec<int64_t>(*yi), (std::vector<int64_t>{-17, 9007199254740993LL, 2}));  // exact, truncated
  auto bad = Run1("Cast", {S({2}, {"1.5", "one"})}, {AttrInt("to", 1)});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'one'"), std::string::npos) << bad.status().ToString();
  auto like = RunOp("CastLike", {T_<int32_t>({2}, {7, -8}), S({1}, {""})}, {}, 1, 15, {}, {"cpu_ref"});
  ASSERT_TRUE(like.ok()) << like.status().ToString();
  EXPECT_EQ(SV((*like)[0]), (Strs{"7", "-8"}));
}

TEST(StringOps, DataMovement) {
  Tensor x = S({2, 3}, {"a", "b", "c", "d", "e", "f"});
  auto id = Run1("Identity", {x}, {});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(SV(*id), SV(x));
  auto rs = Run1("Reshape", {x, T_<int64_t>({1}, {-1})}, {}, 13, {1});
  ASSERT_TRUE(rs.ok()) << rs.status().ToString();
  EXPECT_EQ(rs->shape(), (Shape{6}));
  EXPECT_EQ(SV(*rs), SV(x));
  auto g = Run1("Gather", {x, T_<int64_t>({2}, {2, -3})}, {AttrInt("axis", 1)});
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(SV(*g), (Strs{"c", "a", "f", "d"}));
  auto c = Run1("Concat", {x, S({2, 1}, {"y", "z"})}, {AttrInt("axis", 1)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(SV(*c), (Strs{"a", "b", "c", "y", "d", "e", "f", "z"}));
  auto sh = Run1("Shape", {x}, {});
  ASSERT_TRUE(sh.ok());
  EXPECT_EQ(ToVec<int64_t>(*sh), (std::vector<int64_t>{2, 3}));
  auto eq = Run1("Equal", {x, S({3}, {"a", "x", "f"})}, {}, 19);
  ASSERT_TRUE(eq.ok()) << eq.status().ToString();
  EXPECT_EQ(ToVec<bool>(*eq), (std::vector<bool>{true, false, false, false, false, true}));
  auto tr = Run1("Transpose", {x}, {});
  ASSERT_TRUE(tr.ok()) << tr.status().ToString();
  EXPECT_EQ(SV(*tr), (Strs{"a", "d", "b", "e", "c", "f"}));
  auto pd = Run1("Pad", {x, T_<int64_t>({4}, {0, 1, 0, 0})}, {}, 13, {1});
  ASSERT_TRUE(pd.ok()) << pd.status().ToString();
  EXPECT_EQ(SV(*pd), (Strs{"", "a", "b", "c", "", "d", "e", "f"}));
  auto wh = Run1("Where", {Tensor::FromVector({3}, std::vector<bool>{true, false, true}).value(), S({3}, {"x", "y", "z"}),
                           S({1}, {"-"})}, {}, 16);
  ASSERT_TRUE(wh.ok()) << wh.status().ToString();
  EXPECT_EQ(SV(*wh), (Strs{"x", "-", "z"}));
  // A kernel that moves bytes declines strings with a clear error instead of copying garbage.
  auto tri = Run1("Trilu", {x}, {}, 14);
  ASSERT_FALSE(tri.ok());
  EXPECT_NE(tri.status().message().find("string"), std::string::npos) << tri.status().ToString();
}

// The index-driven data movers copy strings element by element (hand-worked from the ONNX spec's
// definitions, on x = [[a b c] [d e f]]).
TEST(StringOps, GatherScatterCompressReverse) {
  Tensor x = S({2, 3}, {"a", "b", "c", "d", "e", "f"});
  auto ge = Run1("GatherElements", {x, T_<int64_t>({2, 2}, {2, 0, -1, 1})}, {AttrInt("axis", 1)});
  ASSERT_TRUE(ge.ok()) << ge.status().ToString();
  EXPECT_EQ(SV(*ge), (Strs{"c", "a", "f", "e"}));
  auto gn = Run1("GatherND", {x, T_<int64_t>({3, 2}, {1, 2, 0, 0, 1, -3})}, {});
  ASSERT_TRUE(gn.ok()) << gn.status().ToString();
  EXPECT_EQ(SV(*gn), (Strs{"f", "a", "d"}));
  auto rows = Run1("GatherND", {x, T_<int64_t>({1, 1}, {1})}, {});  // a whole row: a block of 3
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_EQ(SV(*rows), (Strs{"d", "e", "f"}));
  auto sn = Run1("ScatterND", {x, T_<int64_t>({2, 2}, {0, 1, 1, 0}), S({2}, {"X", "Y"})}, {});
  ASSERT_TRUE(sn.ok()) << sn.status().ToString();
  EXPECT_EQ(SV(*sn), (Strs{"a", "X", "c", "Y", "e", "f"}));
  EXPECT_EQ(SV(x), (Strs{"a", "b", "c", "d", "e", "f"})) << "the input was written";
  auto se = Run1("ScatterElements", {x, T_<int64_t>({1, 2}, {2, 0}), S({1, 2}, {"P", "Q"})}, {AttrInt("axis", 1)});
  ASSERT_TRUE(se.ok()) << se.status().ToString();
  EXPECT_EQ(SV(*se), (Strs{"Q", "b", "P", "d", "e", "f"}));
  auto cp = Run1("Compress", {x, Tensor::FromVector({3}, std::vector<bool>{true, false, true}).value()}, {AttrInt("axis", 1)});
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(SV(*cp), (Strs{"a", "c", "d", "f"}));
  // ReverseSequence, batch_axis 0, time_axis 1: row 0 reverses its first 3 steps, row 1 its first 2.
  auto rv = Run1("ReverseSequence", {x, T_<int64_t>({2}, {3, 2})}, {AttrInt("batch_axis", 0), AttrInt("time_axis", 1)}, 10);
  ASSERT_TRUE(rv.ok()) << rv.status().ToString();
  EXPECT_EQ(SV(*rv), (Strs{"c", "b", "a", "e", "d", "f"}));
  // A reduction has no meaning on strings: refused, naming the node and the dtype.
  auto add = Run1("ScatterND", {x, T_<int64_t>({1, 2}, {0, 0}), S({1}, {"Z"})}, {AttrString("reduction", "add")}, 16);
  ASSERT_FALSE(add.ok());
  EXPECT_NE(add.status().message().find("reduction on string"), std::string::npos) << add.status().ToString();
}

TEST(StringNormalizer, StopwordsAndCase) {
  Tensor x = S({6}, {"Monday", "tuesday", "WEDNESDAY", "monday", "Straße", "ÉTÉ"});
  auto lower = Run1("StringNormalizer", {x},
                    {AttrString("case_change_action", "LOWER"), AttrStrings("stopwords", {"monday"})}, 10);
  ASSERT_TRUE(lower.ok()) << lower.status().ToString();
  // case-insensitive by default: both Mondays go; UTF-8 letters are mapped too
  EXPECT_EQ(SV(*lower), (Strs{"tuesday", "wednesday", "straße", "été"}));
  auto upper = Run1("StringNormalizer", {x},
                    {AttrString("case_change_action", "UPPER"), AttrInt("is_case_sensitive", 1),
                     AttrStrings("stopwords", {"monday"})}, 10);
  ASSERT_TRUE(upper.ok()) << upper.status().ToString();
  EXPECT_EQ(SV(*upper), (Strs{"MONDAY", "TUESDAY", "WEDNESDAY", "STRAßE", "ÉTÉ"}));
  auto empty = Run1("StringNormalizer", {S({1, 2}, {"a", "A"})}, {AttrStrings("stopwords", {"a"})}, 10);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->shape(), (Shape{1, 1}));  // everything removed: one empty string
  EXPECT_EQ(SV(*empty), (Strs{""}));
  EXPECT_FALSE(Run1("StringNormalizer", {S({2, 2}, {"a", "b", "c", "d"})}, {}, 10).ok());  // [2,2] is not allowed
  EXPECT_FALSE(Run1("StringNormalizer", {x}, {AttrString("case_change_action", "TITLE")}, 10).ok());
}

TEST(TfIdfVectorizer, CountsSkipGramsAndModes) {
  // pool: unigrams {2, 3, 5}, bigrams {(2,3), (5,2)}; output columns given by ngram_indexes.
  std::vector<onnx::AttributeProto> attrs = {
      AttrInt("min_gram_length", 1), AttrInt("max_gram_length", 2), AttrInt("max_skip_count", 1),
      AttrString("mode", "TF"), AttrInts("ngram_counts", {0, 3}), AttrInts("ngram_indexes", {0, 1, 2, 3, 4}),
      AttrInts("pool_int64s", {2, 3, 5, 2, 3, 5, 2})};
  // row [2, 3, 5, 2, 9]: unigrams 2 x2, 3 x1, 5 x1; bigrams skip 0: (2,3) (3,5) (5,2) (2,9);
  // skip 1: (2,5) (3,2) (5,9) -> (2,3) once, (5,2) once.
  Tensor x = T_<int64_t>({2, 5}, {2, 3, 5, 2, 9, 7, 7, 7, 7, 7});
  auto y = Run1("TfIdfVectorizer", {x}, attrs, 9);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{2, 5}));
  EXPECT_EQ(ToVec<float>(*y), (std::vector<float>{2, 1, 1, 1, 1, 0, 0, 0, 0, 0}));
  // skip 1 also finds (2,3) in [2, 9, 3] and (5,2) in [5, 0, 2]
  auto ys = Run1("TfIdfVectorizer", {T_<int32_t>({6}, {2, 9, 3, 5, 0, 2})}, attrs, 9);
  ASSERT_TRUE(ys.ok()) << ys.status().ToString();
  EXPECT_EQ(ToVec<float>(*ys), (std::vector<float>{2, 1, 1, 1, 1}));
  // TFIDF and IDF with weights; strings pool; only bigrams.
  std::vector<onnx::AttributeProto> sattrs = {
      AttrInt("min_gram_length", 2), AttrInt("max_gram_length", 2), AttrInt("max_skip_count", 0),
      AttrString("mode", "TFIDF"), AttrInts("ngram_counts", {0, 0}), AttrInts("ngram_indexes", {1, 0}),
      AttrStrings("pool_strings", {"new", "york", "york", "city"}), AttrFloats("weights", {0.5f, 3.f})};
  Tensor s = S({6}, {"new", "york", "city", "new", "york", "x"});
  auto yt = Run1("TfIdfVectorizer", {s}, sattrs, 9);
  ASSERT_TRUE(yt.ok()) << yt.status().ToString();
  EXPECT_EQ(ToVec<float>(*yt), (std::vector<float>{3.f, 1.f}));  // (york,city) x1 * 3; (new,york) x2 * 0.5
  sattrs[3] = AttrString("mode", "IDF");
  auto yi = Run1("TfIdfVectorizer", {s}, sattrs, 9);
  ASSERT_TRUE(yi.ok());
  EXPECT_EQ(ToVec<float>(*yi), (std::vector<float>{3.f, 0.5f}));
  EXPECT_FALSE(Run1("TfIdfVectorizer", {T_<int64_t>({2}, {1, 2})}, sattrs, 9).ok());  // ints for a string pool
}

}  // namespace
}  // namespace pl::test
