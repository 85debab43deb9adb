// Sequences and optionals: the Sequence* / Optional* kernels, sequence values through Loop and
// If, sequence-typed model inputs and outputs in the public API, and the errors for a value of the
// wrong kind. Models are built in memory and run through the real loader, passes and executor;
// expected values are worked out by hand.
#include <gtest/gtest.h>

#include <limits>
#include <thread>

#include "util/test_util.h"

namespace pl::test {
namespace {

using onnx::TensorProto;

onnx::TypeProto TensorType(int elem) {
  onnx::TypeProto t;
  t.mutable_tensor_type()->set_elem_type(elem);
  return t;
}
onnx::TypeProto SeqType(int elem) {
  onnx::TypeProto t;
  *t.mutable_sequence_type()->mutable_elem_type() = TensorType(elem);
  return t;
}
onnx::TypeProto OptType(const onnx::TypeProto& of) {
  onnx::TypeProto t;
  *t.mutable_optional_type()->mutable_elem_type() = of;
  return t;
}
onnx::ValueInfoProto V(const std::string& name, const onnx::TypeProto& type) {
  onnx::ValueInfoProto v;
  v.set_name(name);
  *v.mutable_type() = type;
  return v;
}
onnx::NodeProto N(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                  const std::vector<onnx::AttributeProto>& attrs = {}) {
  static int counter = 0;
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(op + "_" + std::to_string(counter++));
  for (const auto& i : in) n.add_input(i);
  for (const auto& o : out) n.add_output(o);
  for (const auto& a : attrs) *n.add_attribute() = a;
  return n;
}
onnx::GraphProto G(const std::vector<onnx::NodeProto>& nodes, const std::vector<onnx::ValueInfoProto>& in,
                   const std::vector<onnx::ValueInfoProto>& out, const std::vector<Tensor>& inits = {}) {
  onnx::GraphProto g;
  g.set_name("g");
  for (const auto& n : nodes) *g.add_node() = n;
  for (const auto& i : in) *g.add_input() = i;
  for (const auto& o : out) *g.add_output() = o;
  for (const auto& t : inits) {
    auto* p = g.add_initializer();
    p->set_name(t.name());
    p->set_data_type(static_cast<int>(t.dtype()));
    for (int64_t d : t.shape()) p->add_dims(d);
    if (t.dtype() == DataType::kInt64)
      for (int64_t i = 0; i < t.NumElements(); ++i) p->add_int64_data(t.Data<int64_t>()[i]);
    else
      for (int64_t i = 0; i < t.NumElements(); ++i) p->add_float_data(t.Data<float>()[i]);
  }
  return g;
}
onnx::AttributeProto AttrGraph(const std::string& name, const onnx::GraphProto& g) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::GRAPH);
  *a.mutable_g() = g;
  return a;
}
std::string Model(const onnx::GraphProto& g, int opset = 17) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  *m.mutable_graph() = g;
  return m.SerializeAsString();
}
Tensor Named(Tensor t, const std::string& name) {
  t.set_name(name);
  return t;
}
std::vector<std::string> kBackendSets[] = {{"cpu_ref"}, {}};

StatusOr<std::vector<Tensor>> RunModel(const std::string& model, const std::vector<Tensor>& inputs,
                                  const std::vector<std::string>& backends = {"cpu_ref"}) {
  Config config;
  config.SetModelBuffer(model);
  if (!backends.empty()) config.SetBackends(backends);
  PL_ASSIGN_OR_RETURN(auto p, CreatePredictor(config));
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(p->Run(inputs, &out));
  return out;
}

// x [2,3] -> SplitToSequence on axis 1 (lengths 1,2) -> length, element 1, and the
// concatenation back on axis 1; plus SplitToSequence without split, keepdims 0, stacked again.
std::string SplitConcatModel() {
  return Model(G({N("SplitToSequence", {"x", "lens"}, {"s"}, {AttrInt("axis", 1)}),
                  N("SequenceLength", {"s"}, {"n"}),
                  N("SequenceAt", {"s", "one"}, {"e1"}),
                  N("ConcatFromSequence", {"s"}, {"back"}, {AttrInt("axis", 1)}),
                  N("SplitToSequence", {"x"}, {"rows"}, {AttrInt("axis", 0), AttrInt("keepdims", 0)}),
                  N("ConcatFromSequence", {"rows"}, {"stacked"}, {AttrInt("axis", -1), AttrInt("new_axis", 1)})},
                 {V("x", TensorType(TensorProto::FLOAT))},
                 {V("n", TensorType(TensorProto::INT64)), V("e1", TensorType(TensorProto::FLOAT)),
                  V("back", TensorType(TensorProto::FLOAT)), V("stacked", TensorType(TensorProto::FLOAT)),
                  V("rows", SeqType(TensorProto::FLOAT))},
                 {Named(T_<int64_t>({2}, {1, 2}), "lens"), Named(T_<int64_t>({}, {1}), "one")}));
}

TEST(Sequence, SplitAtLengthConcatRoundTrip) {
  for (const auto& backends : kBackendSets) {
    auto out = RunModel(SplitConcatModel(), {Named(T_<float>({2, 3}, {1, 2, 3, 4, 5, 6}), "x")}, backends);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(ToVec<int64_t>((*out)[0]), (std::vector<int64_t>{2}));
    EXPECT_EQ((*out)[1].shape(), (Shape{2, 2}));
    EXPECT_EQ(ToVec<float>((*out)[1]), (std::vector<float>{2, 3, 5, 6}));
    EXPECT_EQ((*out)[2].shape(), (Shape{2, 3}));
    EXPECT_EQ(ToVec<float>((*out)[2]), (std::vector<float>{1, 2, 3, 4, 5, 6}));
    // rows = [1,2,3], [4,5,6] (keepdims 0); stacked on a new last axis: [3,2] = transpose.
    EXPECT_EQ((*out)[3].shape(), (Shape{3, 2}));
    EXPECT_EQ(ToVec<float>((*out)[3]), (std::vector<float>{1, 4, 2, 5, 3, 6}));
    // A sequence as a model output, in the public API.
    const Tensor& rows = (*out)[4];
    ASSERT_TRUE(rows.is_sequence());
    EXPECT_EQ(rows.dtype(), DataType::kFloat32);
    ASSERT_EQ(rows.elements().size(), 2u);
    EXPECT_EQ(rows.elements()[1].shape(), (Shape{3}));
    EXPECT_EQ(ToVec<float>(rows.elements()[1]), (std::vector<float>{4, 5, 6}));
  }
}

TEST(Sequence, SplitLengthsAndCountsAreBounded) {
  const std::string m = Model(G({N("SplitToSequence", {"x", "lens"}, {"s"}, {AttrInt("axis", 0)}), N("SequenceLength", {"s"}, {"n"})},
                                {V("x", TensorType(TensorProto::FLOAT)), V("lens", TensorType(TensorProto::INT64))},
                                {V("n", TensorType(TensorProto::INT64))}));
  const int64_t big = std::numeric_limits<int64_t>::max() - 1;
  auto sum = RunModel(m, {Named(T_<float>({4}, {1, 2, 3, 4}), "x"), Named(T_<int64_t>({2}, {big, big}), "lens")});
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), StatusCode::kInvalidArgument) << sum.status().ToString();
  // An empty input whose split axis is 2^40 long: one tensor per chunk would exhaust memory.
  auto empty = Tensor::Create(DataType::kFloat32, {int64_t{1} << 40, 0}).value();
  auto many = RunModel(m, {Named(empty, "x"), Named(T_<int64_t>({}, {1}), "lens")});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), StatusCode::kResourceExhausted) << many.status().ToString();
}

// A sequence input, edited: insert at the front, erase the last, read back.
std::string EditModel() {
  return Model(G({N("SequenceInsert", {"s", "t", "zero"}, {"s1"}), N("SequenceErase", {"s1"}, {"s2"}),
                  N("SequenceLength", {"s2"}, {"n"})},
                 {V("s", SeqType(TensorProto::FLOAT)), V("t", TensorType(TensorProto::FLOAT))},
                 {V("s2", SeqType(TensorProto::FLOAT)), V("n", TensorType(TensorProto::INT64))},
                 {Named(T_<int64_t>({}, {0}), "zero")}));
}

TEST(Sequence, SequenceInputsAreEditedWithoutTouchingTheCallersValue) {
  auto seq = Tensor::Sequence(DataType::kFloat32, {T_<float>({2}, {1, 2}), T_<float>({1}, {3})});
  ASSERT_TRUE(seq.ok()) << seq.status().ToString();
  auto out = RunModel(EditModel(), {Named(*seq, "s"), Named(T_<float>({3}, {7, 8, 9}), "t")});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  const Tensor& s2 = (*out)[0];
  ASSERT_TRUE(s2.is_sequence());
  ASSERT_EQ(s2.elements().size(), 2u);  // [7,8,9], [1,2] ([3] erased)
  EXPECT_EQ(ToVec<float>(s2.elements()[0]), (std::vector<float>{7, 8, 9}));
  EXPECT_EQ(ToVec<float>(s2.elements()[1]), (std::vector<float>{1, 2}));
  EXPECT_EQ(ToVec<int64_t>((*out)[1]), (std::vector<int64_t>{2}));
  EXPECT_EQ(seq->elements().size(), 2u);  // the caller's sequence is unchanged
  EXPECT_EQ(ToVec<float>(seq->elements()[1]), (std::vector<float>{3}));
}

TEST(Sequence, WrongKindsAndPositionsAreClearErrors) {
  // A tensor where the model declares a sequence.
  auto bad = RunModel(EditModel(), {Named(T_<float>({1}, {1}), "s"), Named(T_<float>({1}, {1}), "t")});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("input 's'"), std::string::npos) << bad.status().ToString();
  // Elements of another dtype than declared.
  auto ints = Tensor::Sequence(DataType::kInt64, {T_<int64_t>({1}, {1})});
  auto wrong = RunModel(EditModel(), {Named(*ints, "s"), Named(T_<float>({1}, {1}), "t")});
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("int64"), std::string::npos) << wrong.status().ToString();
  // Erasing from an empty sequence after the insert erased... position out of range instead:
  const std::string at = Model(G({N("SequenceAt", {"s", "p"}, {"y"})},
                                 {V("s", SeqType(TensorProto::FLOAT)), V("p", TensorType(TensorProto::INT64))},
                                 {V("y", TensorType(TensorProto::FLOAT))}));
  auto seq = Tensor::Sequence(DataType::kFloat32, {T_<float>({1}, {1})});
  auto oob = RunModel(at, {Named(*seq, "s"), Named(T_<int64_t>({}, {5}), "p")});
  ASSERT_FALSE(oob.ok());
  EXPECT_NE(oob.status().message().find("out of range"), std::string::npos) << oob.status().ToString();
  auto neg = RunModel(at, {Named(*seq, "s"), Named(T_<int64_t>({}, {-1}), "p")});
  ASSERT_TRUE(neg.ok()) << neg.status().ToString();
  EXPECT_EQ(ToVec<float>((*neg)[0]), (std::vector<float>{1}));
  // A sequence reaching an op that takes tensors only (through an Identity): refused when the model
  // is loaded, naming the node, before ONNX shape inference reads it as a tensor.
  const std::string add = Model(G({N("SequenceConstruct", {"x"}, {"s"}), N("Identity", {"s"}, {"i"}), N("Relu", {"i"}, {"y"})},
                                  {V("x", TensorType(TensorProto::FLOAT))}, {V("y", TensorType(TensorProto::FLOAT))}));
  Config config;
  config.SetModelBuffer(add);
  auto relu = CreatePredictor(config);
  ASSERT_FALSE(relu.ok());
  EXPECT_EQ(relu.status().code(), StatusCode::kModelError) << relu.status().ToString();
  EXPECT_NE(relu.status().message().find("Relu"), std::string::npos) << relu.status().ToString();
  EXPECT_NE(relu.status().message().find("is a sequence"), std::string::npos) << relu.status().ToString();
}

// Loop body appends the iteration number (as float) to a carried sequence; M = 4.
std::string LoopModel() {
  auto body = G({N("Cast", {"i"}, {"f"}, {AttrInt("to", TensorProto::FLOAT)}), N("Unsqueeze", {"f", "axes"}, {"f1"}),
                 N("SequenceInsert", {"s_in", "f1"}, {"s_out"}), N("Identity", {"c_in"}, {"c_out"})},
                {V("i", TensorType(TensorProto::INT64)), V("c_in", TensorType(TensorProto::BOOL)),
                 V("s_in", SeqType(TensorProto::FLOAT))},
                {V("c_out", TensorType(TensorProto::BOOL)), V("s_out", SeqType(TensorProto::FLOAT))});
  return Model(G({N("SequenceEmpty", {}, {"s0"}), N("Loop", {"m", "", "s0"}, {"s"}, {AttrGraph("body", body)}),
                  N("ConcatFromSequence", {"s"}, {"y"}, {AttrInt("axis", 0)})},
                 {V("m", TensorType(TensorProto::INT64))},
                 {V("y", TensorType(TensorProto::FLOAT)), V("s", SeqType(TensorProto::FLOAT))},
                 {Named(T_<int64_t>({1}, {0}), "axes")}));
}

TEST(Sequence, LoopCarriesASequence) {
  for (const auto& backends : kBackendSets) {
    auto out = RunModel(LoopModel(), {Named(T_<int64_t>({}, {4}), "m")}, backends);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(ToVec<float>((*out)[0]), (std::vector<float>{0, 1, 2, 3}));
    EXPECT_EQ((*out)[1].elements().size(), 4u);
    // Zero iterations: the empty sequence comes out, and concatenating it is an error.
    auto none = RunModel(LoopModel(), {Named(T_<int64_t>({}, {0}), "m")}, backends);
    ASSERT_FALSE(none.ok());
    EXPECT_NE(none.status().message().find("empty"), std::string::npos) << none.status().ToString();
  }
}

TEST(Sequence, AGrowingSequenceStopsAtTheTensorLimit) {
  Config config;
  config.SetModelBuffer(LoopModel());
  config.SetMaxTensorBytes(64);  // 16 floats: the 17th appended element is one too many
  auto p = CreatePredictor(config);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run({Named(T_<int64_t>({}, {16}), "m")}, &out).ok());
  Status s = (*p)->Run({Named(T_<int64_t>({}, {1000}), "m")}, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("sequence"), std::string::npos) << s.ToString();
  ASSERT_TRUE((*p)->Run({Named(T_<int64_t>({}, {3}), "m")}, &out).ok());  // still usable
  EXPECT_EQ(ToVec<float>(out[0]), (std::vector<float>{0, 1, 2}));
}

TEST(Sequence, ClonesBuildTheirOwnSequences) {
  Config config;
  config.SetModelBuffer(LoopModel());
  auto base = CreatePredictor(config);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  std::vector<std::unique_ptr<Predictor>> clones;
  for (int k = 0; k < 4; ++k) clones.push_back((*base)->Clone().value());
  std::vector<std::thread> threads;
  std::vector<int> bad(4, 0);
  for (int k = 0; k < 4; ++k)
    threads.emplace_back([&, k] {
      for (int r = 0; r < 50; ++r) {
        const int64_t m = 1 + (k + r) % 5;
        std::vector<Tensor> out;
        if (!clones[k]->Run({Named(T_<int64_t>({}, {m}), "m")}, &out).ok() || out[0].NumElements() != m ||
            out[0].Data<float>()[m - 1] != static_cast<float>(m - 1))
          ++bad[k];
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad, (std::vector<int>{0, 0, 0, 0}));
}

// If whose branches return sequences of different lengths.
TEST(Sequence, IfReturnsASequence) {
  auto then_g = G({N("SequenceConstruct", {"x", "x"}, {"a"})}, {}, {V("a", SeqType(TensorProto::FLOAT))});
  auto else_g = G({N("SequenceConstruct", {"x"}, {"b"})}, {}, {V("b", SeqType(TensorProto::FLOAT))});
  const std::string m = Model(G({N("If", {"c"}, {"s"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}),
                                 N("SequenceLength", {"s"}, {"n"})},
                                {V("c", TensorType(TensorProto::BOOL)), V("x", TensorType(TensorProto::FLOAT))},
                                {V("n", TensorType(TensorProto::INT64)), V("s", SeqType(TensorProto::FLOAT))}));
  for (bool c : {true, false}) {
    auto out = RunModel(m, {Named(Tensor::FromVector({}, std::vector<bool>{c}).value(), "c"), Named(T_<float>({2}, {1, 2}), "x")});
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(ToVec<int64_t>((*out)[0]), (std::vector<int64_t>{c ? 2 : 1}));
    EXPECT_EQ(ToVec<float>((*out)[1].elements()[0]), (std::vector<float>{1, 2}));
  }
}

// String tensors through If and through a Loop's scan output (text pipelines branch and loop).
TEST(Strings, ThroughIfAndLoopScanOutputs) {
  auto then_g = G({N("Identity", {"s"}, {"a"})}, {}, {V("a", TensorType(TensorProto::STRING))});
  auto else_g = G({N("Identity", {"t"}, {"b"})}, {}, {V("b", TensorType(TensorProto::STRING))});
  auto body = G({N("Identity", {"c_in"}, {"c_out"}), N("Identity", {"s"}, {"scan"})},
                {V("i", TensorType(TensorProto::INT64)), V("c_in", TensorType(TensorProto::BOOL))},
                {V("c_out", TensorType(TensorProto::BOOL)), V("scan", TensorType(TensorProto::STRING))});
  const std::string m = Model(G({N("If", {"c"}, {"y"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}),
                                 N("Loop", {"m", ""}, {"stacked"}, {AttrGraph("body", body)})},
                                {V("c", TensorType(TensorProto::BOOL)), V("s", TensorType(TensorProto::STRING)),
                                 V("t", TensorType(TensorProto::STRING)), V("m", TensorType(TensorProto::INT64))},
                                {V("y", TensorType(TensorProto::STRING)), V("stacked", TensorType(TensorProto::STRING))}));
  auto S = [](Shape shape, std::vector<std::string> v) { return Tensor::FromVector(std::move(shape), v).value(); };
  auto out = RunModel(m, {Named(Tensor::FromVector({}, std::vector<bool>{false}).value(), "c"), Named(S({2}, {"ab", "c"}), "s"),
                          Named(S({1}, {"else"}), "t"), Named(T_<int64_t>({}, {3}), "m")});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(ToVec<std::string>((*out)[0]), (std::vector<std::string>{"else"}));
  EXPECT_EQ((*out)[1].shape(), (Shape{3, 2}));
  EXPECT_EQ(ToVec<std::string>((*out)[1]), (std::vector<std::string>{"ab", "c", "ab", "c", "ab", "c"}));
}

// SequenceMap: y_i = x_i + t for every element, and the shape of each element.
TEST(Sequence, SequenceMapRunsTheBodyPerElement) {
  auto body = G({N("Add", {"e", "t"}, {"y"}), N("Shape", {"e"}, {"sh"})},
                {V("e", TensorType(TensorProto::FLOAT)), V("t", TensorType(TensorProto::FLOAT))},
                {V("y", TensorType(TensorProto::FLOAT)), V("sh", TensorType(TensorProto::INT64))});
  const std::string m = Model(G({N("SequenceMap", {"s", "t"}, {"ys", "shapes"}, {AttrGraph("body", body)})},
                                {V("s", SeqType(TensorProto::FLOAT)), V("t", TensorType(TensorProto::FLOAT))},
                                {V("ys", SeqType(TensorProto::FLOAT)), V("shapes", SeqType(TensorProto::INT64))}));
  auto seq = Tensor::Sequence(DataType::kFloat32, {T_<float>({2}, {1, 2}), T_<float>({1, 3}, {3, 4, 5})});
  auto out = RunModel(m, {Named(*seq, "s"), Named(T_<float>({}, {10}), "t")});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ((*out)[0].elements().size(), 2u);
  EXPECT_EQ(ToVec<float>((*out)[0].elements()[0]), (std::vector<float>{11, 12}));
  EXPECT_EQ(ToVec<float>((*out)[0].elements()[1]), (std::vector<float>{13, 14, 15}));
  EXPECT_EQ(ToVec<int64_t>((*out)[1].elements()[1]), (std::vector<int64_t>{1, 3}));
}

// Optional(x) / Optional() / OptionalHasElement / OptionalGetElement, and an optional model input.
TEST(Optional, HasAndGetElement) {
  onnx::AttributeProto type_attr;
  type_attr.set_name("type");
  type_attr.set_type(onnx::AttributeProto::TYPE_PROTO);
  *type_attr.mutable_tp() = TensorType(TensorProto::FLOAT);
  const std::string m = Model(G({N("Optional", {"x"}, {"o"}), N("OptionalHasElement", {"o"}, {"has"}),
                                 N("OptionalGetElement", {"o"}, {"y"}), N("Optional", {}, {"e"}, {type_attr}),
                                 N("OptionalHasElement", {"e"}, {"has_e"})},
                                {V("x", TensorType(TensorProto::FLOAT))},
                                {V("has", TensorType(TensorProto::BOOL)), V("y", TensorType(TensorProto::FLOAT)),
                                 V("has_e", TensorType(TensorProto::BOOL)), V("e", OptType(TensorType(TensorProto::FLOAT)))}));
  auto out = RunModel(m, {Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE((*out)[0].Data<bool>()[0]);
  EXPECT_EQ(ToVec<float>((*out)[1]), (std::vector<float>{1, 2}));
  EXPECT_FALSE((*out)[2].Data<bool>()[0]);
  EXPECT_TRUE((*out)[3].is_none());

  // An optional input: given, then empty (OptionalGetElement of nothing names the node).
  const std::string in = Model(G({N("OptionalHasElement", {"o"}, {"has"}), N("OptionalGetElement", {"o"}, {"y"})},
                                 {V("o", OptType(TensorType(TensorProto::FLOAT)))},
                                 {V("has", TensorType(TensorProto::BOOL)), V("y", TensorType(TensorProto::FLOAT))}));
  auto given = RunModel(in, {Named(T_<float>({1}, {5}), "o")});
  ASSERT_TRUE(given.ok()) << given.status().ToString();
  EXPECT_EQ(ToVec<float>((*given)[1]), (std::vector<float>{5}));
  auto empty = RunModel(in, {Named(Tensor::None(DataType::kFloat32), "o")});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("OptionalGetElement"), std::string::npos) << empty.status().ToString();
  EXPECT_NE(empty.status().message().find("empty"), std::string::npos) << empty.status().ToString();
}

}  // namespace
}  // namespace pl::test
