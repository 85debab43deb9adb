// If / Loop on the reference backend: models built in memory with hand-written subgraphs, run
// through the real loader, passes and executor. Expected values are worked out by hand.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <thread>

#include "util/test_util.h"

namespace pl::test {
namespace {

using onnx::TensorProto;

// ---- tiny GraphProto builders ----
onnx::ValueInfoProto VI(const std::string& name, int elem_type, const std::vector<int64_t>* shape = nullptr) {
  onnx::ValueInfoProto v;
  v.set_name(name);
  auto* tt = v.mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem_type);
  if (shape) {
    auto* sh = tt->mutable_shape();
    for (int64_t d : *shape) sh->add_dim()->set_dim_value(d);
  }
  return v;
}
const std::vector<int64_t> kScalar = {};
onnx::ValueInfoProto Scalar(const std::string& name, int elem_type) { return VI(name, elem_type, &kScalar); }

onnx::NodeProto N(const std::string& op, const std::vector<std::string>& in, const std::vector<std::string>& out,
                  const std::vector<onnx::AttributeProto>& attrs = {}) {
  static int counter = 0;
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(op + "_sub" + std::to_string(counter++));
  for (const auto& i : in) n.add_input(i);
  for (const auto& o : out) n.add_output(o);
  for (const auto& a : attrs) *n.add_attribute() = a;
  return n;
}

onnx::NodeProto ConstNode(const std::string& out, const Tensor& value) {
  return N("Constant", {}, {out}, {AttrTensor("value", value)});
}

onnx::GraphProto G(const std::string& name, const std::vector<onnx::NodeProto>& nodes,
                   const std::vector<onnx::ValueInfoProto>& inputs, const std::vector<onnx::ValueInfoProto>& outputs) {
  onnx::GraphProto g;
  g.set_name(name);
  for (const auto& n : nodes) *g.add_node() = n;
  for (const auto& i : inputs) *g.add_input() = i;
  for (const auto& o : outputs) *g.add_output() = o;
  return g;
}

onnx::AttributeProto AttrGraph(const std::string& name, const onnx::GraphProto& g) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::GRAPH);
  *a.mutable_g() = g;
  return a;
}

Tensor Named(Tensor t, const std::string& name) {
  t.set_name(name);
  return t;
}
Tensor Bool(bool v, const std::string& name) {
  return Named(Tensor::FromVector({}, std::vector<bool>{v}).value(), name);
}
Tensor I64(int64_t v, const std::string& name) { return Named(T_<int64_t>({}, {v}), name); }
Tensor F32(float v, const std::string& name) { return Named(T_<float>({}, {v}), name); }

StatusOr<std::unique_ptr<Predictor>> Make(const std::string& model, int64_t max_iterations = -1, bool check = true) {
  Config config;
  config.SetModelBuffer(model);
  config.SetBackends({"cpu_ref"});
  config.SwitchModelCheck(check);
  if (max_iterations >= 0) config.SetMaxLoopIterations(max_iterations);
  return CreatePredictor(config);
}

StatusOr<std::vector<Tensor>> RunModel(Predictor* p, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(p->Run(inputs, &out));
  return out;
}

// ---- If ----

// y = cond ? x + 1 : x * 2, both branches reading the outer x.
std::string AddOrDoubleModel() {
  auto then_g = G("then", {ConstNode("one", T_<float>({}, {1})), N("Add", {"x", "one"}, {"t"})}, {},
                  {VI("t", TensorProto::FLOAT)});
  auto else_g = G("else", {ConstNode("two", T_<float>({}, {2})), N("Mul", {"x", "two"}, {"e"})}, {},
                  {VI("e", TensorProto::FLOAT)});
  NodeSpec n{"If", "", {"c"}, {"y"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}};
  return BuildModel({n}, {Bool(true, "c"), Named(T_<float>({2}, {1, 2}), "x")}, {}, {"y"});
}

TEST(If, PicksTheBranchFromTheCondition) {
  auto p = Make(AddOrDoubleModel());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto t = RunModel(p->get(), {Bool(true, "c"), Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(ToVec<float>((*t)[0]), (std::vector<float>{2, 3}));
  auto e = RunModel(p->get(), {Bool(false, "c"), Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(ToVec<float>((*e)[0]), (std::vector<float>{2, 4}));
}

TEST(If, BranchesMayProduceDifferentShapes) {
  // then: the outer x itself (a graph output that is an outer value); else: a [3] constant.
  auto then_g = G("then", {}, {}, {VI("x", TensorProto::FLOAT)});
  auto else_g = G("else", {ConstNode("k", T_<float>({3}, {7, 8, 9}))}, {}, {VI("k", TensorProto::FLOAT)});
  NodeSpec n{"If", "", {"c"}, {"y"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}};
  auto p = Make(BuildModel({n}, {Bool(true, "c"), Named(T_<float>({2}, {1, 2}), "x")}, {}, {"y"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto t = RunModel(p->get(), {Bool(true, "c"), Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].shape(), (Shape{2}));
  EXPECT_EQ(ToVec<float>((*t)[0]), (std::vector<float>{1, 2}));
  auto e = RunModel(p->get(), {Bool(false, "c"), Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(ToVec<float>((*e)[0]), (std::vector<float>{7, 8, 9}));
}

TEST(If, NestedIfWithDataDependentConditions) {
  // y = x > 0 ? (x > 10 ? x * 100 : x + 100) : 0 - x; the inner condition is computed inside
  // the outer then-branch from the outer x.
  auto big = G("big", {ConstNode("h", T_<float>({}, {100})), N("Mul", {"x", "h"}, {"b"})}, {}, {Scalar("b", TensorProto::FLOAT)});
  auto small = G("small", {ConstNode("h2", T_<float>({}, {100})), N("Add", {"x", "h2"}, {"s"})}, {},
                 {Scalar("s", TensorProto::FLOAT)});
  auto pos = G("pos",
               {ConstNode("ten", T_<float>({}, {10})), N("Greater", {"x", "ten"}, {"c2"}),
                N("If", {"c2"}, {"inner"}, {AttrGraph("then_branch", big), AttrGraph("else_branch", small)})},
               {}, {Scalar("inner", TensorProto::FLOAT)});
  auto neg = G("neg", {ConstNode("zero", T_<float>({}, {0})), N("Sub", {"zero", "x"}, {"n"})}, {},
               {Scalar("n", TensorProto::FLOAT)});
  NodeSpec gt{"Greater", "", {"x", "z0"}, {"c1"}, {}};
  NodeSpec iff{"If", "", {"c1"}, {"y"}, {AttrGraph("then_branch", pos), AttrGraph("else_branch", neg)}};
  auto p = Make(BuildModel({gt, iff}, {F32(1, "x")}, {F32(0, "z0")}, {"y"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (auto [x, want] : std::vector<std::pair<float, float>>{{20, 2000}, {5, 105}, {-3, 3}}) {
    auto r = RunModel(p->get(), {F32(x, "x")});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ToVec<float>((*r)[0]), std::vector<float>{want}) << "x = " << x;
  }
}

TEST(If, SubgraphValueInfoMayNameOuterValues) {
  // Some exporters list captured outer values in the subgraph's value_info; they stay outer.
  auto then_g = G("then", {ConstNode("one", T_<float>({}, {1})), N("Add", {"x", "one"}, {"t"})}, {},
                  {VI("t", TensorProto::FLOAT)});
  *then_g.add_value_info() = VI("x", TensorProto::FLOAT);
  auto else_g = G("else", {}, {}, {VI("x", TensorProto::FLOAT)});
  *else_g.add_value_info() = VI("x", TensorProto::FLOAT);
  NodeSpec n{"If", "", {"c"}, {"y"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}};
  auto p = Make(BuildModel({n}, {Bool(true, "c"), Named(T_<float>({2}, {1, 2}), "x")}, {}, {"y"}));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto t = RunModel(p->get(), {Bool(true, "c"), Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(ToVec<float>((*t)[0]), (std::vector<float>{2, 3}));
  auto e = RunModel(p->get(), {Bool(false, "c"), Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(ToVec<float>((*e)[0]), (std::vector<float>{1, 2}));
}

TEST(If, MismatchedBranchOutputCountsFailAtLoad) {
  auto then_g = G("then", {ConstNode("a", T_<float>({}, {1})), ConstNode("b", T_<float>({}, {2}))}, {},
                  {Scalar("a", TensorProto::FLOAT), Scalar("b", TensorProto::FLOAT)});
  auto else_g = G("else", {ConstNode("e", T_<float>({}, {3}))}, {}, {Scalar("e", TensorProto::FLOAT)});
  NodeSpec n{"If", "", {"c"}, {"y"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}};
  auto p = Make(BuildModel({n}, {Bool(true, "c")}, {}, {"y"}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("then_branch has 2 outputs but else_branch has 1"), std::string::npos)
      << p.status().ToString();
}

TEST(If, SubgraphReadingAMissingOuterValueFailsAtLoad) {
  auto then_g = G("then", {N("Add", {"x", "nowhere"}, {"t"})}, {}, {VI("t", TensorProto::FLOAT)});
  auto else_g = G("else", {}, {}, {VI("x", TensorProto::FLOAT)});
  NodeSpec n{"If", "", {"c"}, {"y"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}};
  const std::string model = BuildModel({n}, {Bool(true, "c"), Named(T_<float>({2}, {1, 2}), "x")}, {}, {"y"});
  auto p = Make(model);  // the ONNX checker catches it first
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kModelError) << p.status().ToString();
  EXPECT_NE(p.status().message().find("nowhere"), std::string::npos) << p.status().ToString();
  auto q = Make(model, -1, /*check=*/false);  // our loader, on its own
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.status().code(), StatusCode::kModelError) << q.status().ToString();
  EXPECT_NE(q.status().message().find("subgraph 'then_branch': Add node"), std::string::npos) << q.status().ToString();
  EXPECT_NE(q.status().message().find("input 'nowhere' is not defined in this graph or an enclosing one"),
            std::string::npos)
      << q.status().ToString();
}

TEST(If, ConditionMustHaveOneElement) {
  auto p = Make(AddOrDoubleModel());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // The model declares c as a scalar; feed a [2] bool anyway through a model without the check.
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(AddOrDoubleModel()));
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();
  auto q = Make(m.SerializeAsString());
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  auto r = RunModel(q->get(), {Named(Tensor::FromVector({2}, std::vector<bool>{true, false}).value(), "c"),
                               Named(T_<float>({2}, {1, 2}), "x")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cond"), std::string::npos) << r.status().ToString();
}

// ---- Loop ----

// Loop(M, cond, y0): y += i each iteration; scan output collects y after each iteration.
std::string SumLoopModel(bool with_cond_input) {
  auto body = G("body", {N("Identity", {"cond_in"}, {"cond_out"}), N("Add", {"y_in", "i"}, {"y_out"}),
                         N("Identity", {"y_out"}, {"scan"})},
                {Scalar("i", TensorProto::INT64), Scalar("cond_in", TensorProto::BOOL), Scalar("y_in", TensorProto::INT64)},
                {Scalar("cond_out", TensorProto::BOOL), Scalar("y_out", TensorProto::INT64), Scalar("scan", TensorProto::INT64)});
  NodeSpec n{"Loop", "", {"M", with_cond_input ? "c" : "", "y0"}, {"y", "ys"}, {AttrGraph("body", body)}};
  std::vector<Tensor> feeds = {I64(0, "M")};
  if (with_cond_input) feeds.push_back(Bool(true, "c"));
  feeds.push_back(I64(0, "y0"));
  return BuildModel({n}, feeds, {}, {"y", "ys"}, 13);
}

TEST(Loop, TripCountWithScanOutput) {
  auto p = Make(SumLoopModel(false));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = RunModel(p->get(), {I64(5, "M"), I64(0, "y0")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), std::vector<int64_t>{10});  // 0+1+2+3+4
  EXPECT_EQ((*r)[1].shape(), (Shape{5}));
  EXPECT_EQ(ToVec<int64_t>((*r)[1]), (std::vector<int64_t>{0, 1, 3, 6, 10}));
}

TEST(Loop, ZeroIterations) {
  auto p = Make(SumLoopModel(true));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  // M = 0: the final value is the initial one, the scan output is empty along axis 0.
  auto r = RunModel(p->get(), {I64(0, "M"), Bool(true, "c"), I64(42, "y0")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), std::vector<int64_t>{42});
  EXPECT_EQ((*r)[1].shape(), (Shape{0}));
  // cond = false: no iteration either.
  auto f = RunModel(p->get(), {I64(5, "M"), Bool(false, "c"), I64(7, "y0")});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*f)[0]), std::vector<int64_t>{7});
}

// while (y < limit) y += 1, with M either huge or omitted; limit is an outer value.
std::string WhileModel(bool with_trip_count) {
  auto body = G("body", {ConstNode("one", T_<float>({}, {1})), N("Add", {"y_in", "one"}, {"y_out"}),
                         N("Less", {"y_out", "limit"}, {"cond_out"}), N("Identity", {"y_out"}, {"scan"})},
                {Scalar("i", TensorProto::INT64), Scalar("cond_in", TensorProto::BOOL), Scalar("y_in", TensorProto::FLOAT)},
                {Scalar("cond_out", TensorProto::BOOL), Scalar("y_out", TensorProto::FLOAT), Scalar("scan", TensorProto::FLOAT)});
  NodeSpec n{"Loop", "", {with_trip_count ? "M" : "", "c", "y0"}, {"y", "ys"}, {AttrGraph("body", body)}};
  std::vector<Tensor> feeds;
  if (with_trip_count) feeds.push_back(I64(0, "M"));
  feeds.push_back(Bool(true, "c"));
  feeds.push_back(F32(0, "y0"));
  feeds.push_back(F32(0, "limit"));
  return BuildModel({n}, feeds, {}, {"y", "ys"}, 13);
}

TEST(Loop, WhileConditionWithHugeOrMissingTripCount) {
  for (bool with_m : {true, false}) {
    auto p = Make(WhileModel(with_m));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    std::vector<Tensor> in;
    if (with_m) in.push_back(I64(std::numeric_limits<int64_t>::max(), "M"));
    in.push_back(Bool(true, "c"));
    in.push_back(F32(0, "y0"));
    in.push_back(F32(3.5f, "limit"));
    auto r = RunModel(p->get(), in);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ToVec<float>((*r)[0]), std::vector<float>{4});
    EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{1, 2, 3, 4}));
  }
}

TEST(Loop, NegativeTripCountIsAnError) {
  auto p = Make(SumLoopModel(false));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = RunModel(p->get(), {I64(-1, "M"), I64(0, "y0")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("negative"), std::string::npos) << r.status().ToString();
}

TEST(Loop, TripCountAboveTheLimitIsAnError) {
  auto p = Make(SumLoopModel(false), /*max_iterations=*/10);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto ok = RunModel(p->get(), {I64(10, "M"), I64(0, "y0")});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*ok)[0]), std::vector<int64_t>{45});
  auto r = RunModel(p->get(), {I64(11, "M"), I64(0, "y0")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("exceeds the limit of 10"), std::string::npos) << r.status().ToString();
  // Enormous M under the default limit fails up front instead of running for ages.
  auto d = Make(SumLoopModel(false));
  ASSERT_TRUE(d.ok());
  auto huge = RunModel(d->get(), {I64(std::numeric_limits<int64_t>::max(), "M"), I64(0, "y0")});
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("exceeds the limit"), std::string::npos) << huge.status().ToString();
}

TEST(Loop, ConditionThatNeverTurnsFalseHitsTheLimit) {
  auto p = Make(WhileModel(false), /*max_iterations=*/100);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = RunModel(p->get(), {Bool(true, "c"), F32(0, "y0"), F32(1e9f, "limit")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("still running after 100 iterations"), std::string::npos) << r.status().ToString();
  // The predictor stays usable.
  auto ok = RunModel(p->get(), {Bool(true, "c"), F32(0, "y0"), F32(2, "limit")});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ToVec<float>((*ok)[0]), std::vector<float>{2});
}

TEST(Loop, NeitherTripCountNorCondition) {
  // One loop-carried value keeps the node alive (a Loop without outputs is dead code).
  auto body2 = G("body", {N("Identity", {"cond_in"}, {"cond_out"}), N("Identity", {"y_in"}, {"y_out"})},
                 {Scalar("i", TensorProto::INT64), Scalar("cond_in", TensorProto::BOOL), Scalar("y_in", TensorProto::FLOAT)},
                 {Scalar("cond_out", TensorProto::BOOL), Scalar("y_out", TensorProto::FLOAT)});
  NodeSpec n{"Loop", "", {"", "", "y0"}, {"y"}, {AttrGraph("body", body2)}};
  auto p = Make(BuildModel({n}, {F32(0, "y0")}, {}, {"y"}, 13));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = RunModel(p->get(), {F32(0, "y0")});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("never ends"), std::string::npos) << r.status().ToString();
}

TEST(Loop, BodySignatureMismatchFailsAtLoad) {
  // Two loop-carried inputs on the node, but the body takes only one.
  auto body = G("body", {N("Identity", {"cond_in"}, {"cond_out"}), N("Identity", {"y_in"}, {"y_out"})},
                {Scalar("i", TensorProto::INT64), Scalar("cond_in", TensorProto::BOOL), Scalar("y_in", TensorProto::FLOAT)},
                {Scalar("cond_out", TensorProto::BOOL), Scalar("y_out", TensorProto::FLOAT)});
  NodeSpec n{"Loop", "", {"M", "", "y0", "z0"}, {"y", "z"}, {AttrGraph("body", body)}};
  auto p = Make(BuildModel({n}, {I64(1, "M"), F32(0, "y0"), F32(0, "z0")}, {}, {"y", "z"}, 13));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("body takes 3 inputs, expected 4"), std::string::npos) << p.status().ToString();
}

// acc = 0; for i in 0..3: acc = (i < 2) ? acc + z : acc * z, with z = Identity(a + b) in the main
// graph read only by the If inside the body: two scopes up, and by no node of the main graph.
std::string NestedModel() {
  auto then_g = G("then", {N("Add", {"acc_in", "z"}, {"t"})}, {}, {Scalar("t", TensorProto::FLOAT)});
  auto else_g = G("else", {N("Mul", {"acc_in", "z"}, {"e"})}, {}, {Scalar("e", TensorProto::FLOAT)});
  auto body = G("body",
                {ConstNode("two", T_<int64_t>({}, {2})), N("Less", {"i", "two"}, {"p"}),
                 N("If", {"p"}, {"r"}, {AttrGraph("then_branch", then_g), AttrGraph("else_branch", else_g)}),
                 N("Identity", {"cond_in"}, {"cond_out"}), N("Identity", {"r"}, {"scan"})},
                {Scalar("i", TensorProto::INT64), Scalar("cond_in", TensorProto::BOOL), Scalar("acc_in", TensorProto::FLOAT)},
                {Scalar("cond_out", TensorProto::BOOL), Scalar("r", TensorProto::FLOAT), Scalar("scan", TensorProto::FLOAT)});
  NodeSpec add{"Add", "", {"a", "b"}, {"zsum"}, {}};
  NodeSpec id{"Identity", "", {"zsum"}, {"z"}, {}};
  NodeSpec loop{"Loop", "", {"M", "", "acc0"}, {"acc", "accs"}, {AttrGraph("body", body)}};
  return BuildModel({add, id, loop}, {F32(1, "a"), F32(2, "b"), I64(4, "M"), F32(0, "acc0")}, {}, {"acc", "accs"}, 13);
}

TEST(Loop, NestedIfReadsAValueTwoScopesUp) {
  auto p = Make(NestedModel());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (int run = 0; run < 2; ++run) {  // the second run uses the memory plan of the first
    auto r = RunModel(p->get(), {F32(1, "a"), F32(2, "b"), I64(4, "M"), F32(0, "acc0")});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(ToVec<float>((*r)[0]), std::vector<float>{54});  // 0+3, +3, *3, *3
    EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{3, 6, 18, 54}));
  }
  auto r = RunModel(p->get(), {F32(2, "a"), F32(0, "b"), I64(3, "M"), F32(1, "acc0")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), std::vector<float>{10});  // 1+2, +2, *2
}

TEST(Loop, ClonesRunConcurrently) {
  auto p = Make(NestedModel());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<std::unique_ptr<Predictor>> clones;
  for (int k = 0; k < 4; ++k) clones.push_back(std::move((*p)->Clone()).value());
  std::vector<float> got(clones.size(), -1);
  std::vector<std::thread> threads;
  for (size_t k = 0; k < clones.size(); ++k)
    threads.emplace_back([&, k] {
      for (int rep = 0; rep < 20; ++rep) {
        // z = k + 1; acc = ((0 + z) + z) * z * z = 2 z^3
        auto r = RunModel(clones[k].get(), {F32(static_cast<float>(k), "a"), F32(1, "b"), I64(4, "M"), F32(0, "acc0")});
        got[k] = r.ok() ? ToVec<float>((*r)[0])[0] : -2;
      }
    });
  for (auto& t : threads) t.join();
  for (size_t k = 0; k < clones.size(); ++k) {
    const float z = static_cast<float>(k + 1);
    EXPECT_EQ(got[k], 2 * z * z * z) << "clone " << k;
  }
}

// ---- Scan ----

// Body: s_out = s_in + x_t; y_t = s_out (a running sum).
onnx::GraphProto RunningSumBody() {
  return G("body", {N("Add", {"s_in", "x_t"}, {"s_out"}), N("Identity", {"s_out"}, {"y_t"})},
           {VI("s_in", TensorProto::FLOAT), VI("x_t", TensorProto::FLOAT)},
           {VI("s_out", TensorProto::FLOAT), VI("y_t", TensorProto::FLOAT)});
}

StatusOr<std::vector<Tensor>> RunScan9(const Tensor& x, std::vector<onnx::AttributeProto> attrs) {
  attrs.push_back(AttrGraph("body", RunningSumBody()));
  attrs.push_back(AttrInt("num_scan_inputs", 1));
  NodeSpec n{"Scan", "", {"s0", "x"}, {"s", "y"}, attrs};
  Tensor s0 = Named(T_<float>({2}, {0, 0}), "s0");
  Tensor xn = Named(x, "x");
  PL_ASSIGN_OR_RETURN(auto p, Make(BuildModel({n}, {s0, xn}, {}, {"s", "y"}, 11)));
  return RunModel(p.get(), {s0, xn});
}

TEST(Scan, DirectionsAndAxes) {
  Tensor x = T_<float>({3, 2}, {1, 2, 3, 4, 5, 6});
  auto fwd = RunScan9(x, {});
  ASSERT_TRUE(fwd.ok()) << fwd.status().ToString();
  EXPECT_EQ(ToVec<float>((*fwd)[0]), (std::vector<float>{9, 12}));
  EXPECT_EQ((*fwd)[1].shape(), (Shape{3, 2}));
  EXPECT_EQ(ToVec<float>((*fwd)[1]), (std::vector<float>{1, 2, 4, 6, 9, 12}));
  // Reverse input: rows 2, 1, 0 -> 5 6, 8 10, 9 12.
  auto rin = RunScan9(x, {AttrInts("scan_input_directions", {1})});
  ASSERT_TRUE(rin.ok()) << rin.status().ToString();
  EXPECT_EQ(ToVec<float>((*rin)[1]), (std::vector<float>{5, 6, 8, 10, 9, 12}));
  // Reverse output: the elements are stacked last to first.
  auto rout = RunScan9(x, {AttrInts("scan_output_directions", {1})});
  ASSERT_TRUE(rout.ok()) << rout.status().ToString();
  EXPECT_EQ(ToVec<float>((*rout)[1]), (std::vector<float>{9, 12, 4, 6, 1, 2}));
  // Scan over axis 1 of the transposed input, stack along axis 1 (negative: -1).
  Tensor xt = T_<float>({2, 3}, {1, 3, 5, 2, 4, 6});
  auto ax = RunScan9(xt, {AttrInts("scan_input_axes", {1}), AttrInts("scan_output_axes", {-1})});
  ASSERT_TRUE(ax.ok()) << ax.status().ToString();
  EXPECT_EQ((*ax)[1].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<float>((*ax)[1]), (std::vector<float>{1, 4, 9, 2, 6, 12}));
}

TEST(Scan, Opset8BatchAndSequenceLens) {
  // Batch of 2 running sums, lengths 3 and 2: the second scan output row ends with padding 0.
  auto body = G("body", {N("Add", {"s_in", "x_t"}, {"s_out"}), N("Identity", {"s_out"}, {"y_t"})},
                {VI("s_in", TensorProto::FLOAT), VI("x_t", TensorProto::FLOAT)},
                {VI("s_out", TensorProto::FLOAT), VI("y_t", TensorProto::FLOAT)});
  NodeSpec n{"Scan", "", {"lens", "s0", "x"}, {"s", "y"}, {AttrGraph("body", body), AttrInt("num_scan_inputs", 1)}};
  Tensor lens = Named(T_<int64_t>({2}, {3, 2}), "lens");
  Tensor s0 = Named(T_<float>({2, 1}, {0, 100}), "s0");
  Tensor x = Named(T_<float>({2, 3, 1}, {1, 2, 3, 10, 20, 30}), "x");
  auto p = Make(BuildModel({n}, {lens, s0, x}, {}, {"s", "y"}, 8));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = RunModel(p->get(), {lens, s0, x});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{6, 130}));
  EXPECT_EQ((*r)[1].shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{1, 3, 6, 110, 130, 0}));
}

TEST(Scan, MismatchedSequenceLengthsAreAnError) {
  auto body = G("body", {N("Add", {"a", "b"}, {"c"})}, {VI("a", TensorProto::FLOAT), VI("b", TensorProto::FLOAT)},
                {VI("c", TensorProto::FLOAT)});
  NodeSpec n{"Scan", "", {"x", "y"}, {"z"}, {AttrGraph("body", body), AttrInt("num_scan_inputs", 2)}};
  Tensor x = Named(T_<float>({3}, {1, 2, 3}), "x");
  Tensor y = Named(T_<float>({2}, {1, 2}), "y");
  auto p = Make(BuildModel({n}, {x, y}, {}, {"z"}, 11));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto r = RunModel(p->get(), {x, y});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("different sequence lengths"), std::string::npos) << r.status().ToString();
}

}  // namespace
}  // namespace pl::test
