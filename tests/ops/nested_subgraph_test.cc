// Ops inside nested subgraphs (If in If, If in If in Loop, If in If in Scan) that read values typed only by an enclosing
// scope: kernels follow the actual dtypes, and results equal the same op at top level (whose
// kernels the per-op tests pin to hand/numpy-computed references).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "util/test_util.h"

namespace pl {
namespace {
using test::AttrInt;
using test::AttrInts;
using test::BuildModel;
using test::NodeSpec;
using test::T_;
using test::ToVec;

struct Case {
  std::string name;
  std::vector<NodeSpec> body;  // reads "xr" (outer), writes "o"
  std::vector<Tensor> weights;
  Shape x_shape;
};

Tensor Bool(bool v, const std::string& name) {
  Tensor t = Tensor::FromVector({}, std::vector<bool>{v}).value();
  t.set_name(name);
  return t;
}

Tensor Random(Shape shape, uint32_t seed, const std::string& name) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(ShapeNumElements(shape)));
  for (float& f : v) f = u(rng);
  Tensor t = T_<float>(std::move(shape), v);
  t.set_name(name);
  return t;
}

onnx::GraphProto Body(const std::vector<NodeSpec>& nodes, const std::vector<Tensor>& inits, const std::string& name) {
  onnx::ModelProto m;
  m.ParseFromString(BuildModel(nodes, {}, inits, {"o"}));
  onnx::GraphProto g = m.graph();
  g.set_name(name);
  g.clear_input();
  g.clear_value_info();
  g.mutable_output(0)->clear_type();
  g.mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  return g;
}

onnx::AttributeProto GraphAttr(const std::string& name, const onnx::GraphProto& g) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::GRAPH);
  *a.mutable_g() = g;
  return a;
}

// main: xr = Relu(x); y = If(c1){ If(c2){ body } else { Identity(xr) } } else { Identity(xr) }.
std::string NestedIfModel(const Case& c) {
  Tensor x = Random(c.x_shape, 1, "x");
  Tensor c1 = Bool(true, "c1"), c2 = Bool(true, "c2");
  onnx::GraphProto ident = Body({NodeSpec{"Identity", "", {"xr"}, {"o"}, {}}}, {}, "ident");
  onnx::GraphProto inner = Body(c.body, c.weights, "inner");
  onnx::GraphProto mid = Body({NodeSpec{"If", "", {"c2"}, {"o"}, {GraphAttr("then_branch", inner), GraphAttr("else_branch", ident)}}},
                              {}, "mid");
  return BuildModel({NodeSpec{"Relu", "", {"x"}, {"xr"}, {}},
                     NodeSpec{"If", "", {"c1"}, {"y"}, {GraphAttr("then_branch", mid), GraphAttr("else_branch", ident)}}},
                    {x, c1, c2}, {}, {"y"});
}

// The If-in-If of NestedIfModel as the body of a 2-iteration Loop (scan output: the result
// stacked twice) or of a Scan over a [2, 1] input. c1/c2 and xr come from the main graph.
std::string NestedInLoopOrScanModel(const Case& c, bool scan) {
  Tensor x = Random(c.x_shape, 1, "x");
  Tensor c1 = Bool(true, "c1"), c2 = Bool(true, "c2");
  onnx::GraphProto ident = Body({NodeSpec{"Identity", "", {"xr"}, {"o"}, {}}}, {}, "ident");
  onnx::GraphProto inner = Body(c.body, c.weights, "inner");
  onnx::GraphProto mid = Body({NodeSpec{"If", "", {"c2"}, {"o"}, {GraphAttr("then_branch", inner), GraphAttr("else_branch", ident)}}},
                              {}, "mid");
  NodeSpec outer_if{"If", "", {"c1"}, {"o"}, {GraphAttr("then_branch", mid), GraphAttr("else_branch", ident)}};
  onnx::GraphProto body;
  auto add_input = [&](const std::string& name, int elem, std::vector<int64_t> dims) {
    auto* vi = body.add_input();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    auto* sh = tt->mutable_shape();
    for (int64_t d : dims) sh->add_dim()->set_dim_value(d);
  };
  if (scan) {
    body = Body({outer_if}, {}, "scan_body");
    add_input("elem", onnx::TensorProto::FLOAT, {1});
  } else {
    body = Body({outer_if, NodeSpec{"Identity", "", {"cond_in"}, {"cond_out"}, {}}}, {}, "loop_body");
    add_input("iter", onnx::TensorProto::INT64, {});
    add_input("cond_in", onnx::TensorProto::BOOL, {});
    // outputs: cond_out first, then the scan output o
    onnx::ValueInfoProto o = body.output(0);
    body.clear_output();
    auto* co = body.add_output();
    co->set_name("cond_out");
    co->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BOOL);
    *body.add_output() = o;
  }
  if (scan) {
    Tensor seq = T_<float>({2, 1}, {0, 1});
    seq.set_name("seq");
    return BuildModel({NodeSpec{"Relu", "", {"x"}, {"xr"}, {}},
                       NodeSpec{"Scan", "", {"seq"}, {"y"}, {GraphAttr("body", body), AttrInt("num_scan_inputs", 1)}}},
                      {x, c1, c2}, {seq}, {"y"}, 13);
  }
  Tensor trip = T_<int64_t>({}, {2});
  trip.set_name("trip");
  Tensor keep = Bool(true, "keep");
  return BuildModel({NodeSpec{"Relu", "", {"x"}, {"xr"}, {}},
                     NodeSpec{"Loop", "", {"trip", "keep"}, {"y"}, {GraphAttr("body", body)}}},
                    {x, c1, c2}, {trip, keep}, {"y"}, 13);
}

std::string FlatModel(const Case& c) {
  Tensor x = Random(c.x_shape, 1, "x");
  std::vector<NodeSpec> nodes{NodeSpec{"Relu", "", {"x"}, {"xr"}, {}}};
  for (NodeSpec n : c.body) {
    for (auto& o : n.outputs) if (o == "o") o = "y";
    nodes.push_back(n);
  }
  return BuildModel(nodes, {x}, c.weights, {"y"});
}

std::vector<Case> Cases() {
  std::vector<Case> cs;
  const int64_t S = 3, B = 2, I = 4, H = 5;
  cs.push_back({"LSTM", {NodeSpec{"LSTM", "", {"xr", "W", "R"}, {"o"}, {AttrInt("hidden_size", H)}}},
                {Random({1, 4 * H, I}, 2, "W"), Random({1, 4 * H, H}, 3, "R")}, {S, B, I}});
  cs.push_back({"GRU", {NodeSpec{"GRU", "", {"xr", "W", "R"}, {"o"}, {AttrInt("hidden_size", H)}}},
                {Random({1, 3 * H, I}, 4, "W"), Random({1, 3 * H, H}, 5, "R")}, {S, B, I}});
  cs.push_back({"Conv", {NodeSpec{"Conv", "", {"xr", "W"}, {"o"}, {AttrInts("pads", {1, 1, 1, 1})}}},
                {Random({3, 2, 3, 3}, 6, "W")}, {1, 2, 5, 6}});
  cs.push_back({"ReduceMean", {NodeSpec{"ReduceMean", "", {"xr"}, {"o"}, {AttrInts("axes", {1})}}}, {}, {2, 3, 4}});
  Tensor idx = T_<int64_t>({2}, {2, 0});
  idx.set_name("idx");
  cs.push_back({"Gather", {NodeSpec{"Gather", "", {"xr", "idx"}, {"o"}, {AttrInt("axis", 1)}}}, {idx}, {2, 3, 4}});
  return cs;
}

std::vector<float> RunModel(const std::string& bytes, const std::vector<std::string>& backends, Shape x_shape,
                            bool with_conds) {
  Config cfg;
  cfg.SetModelBuffer(bytes);
  if (!backends.empty()) cfg.SetBackends(backends);
  auto p = CreatePredictor(cfg);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  if (!p.ok()) return {};
  std::vector<Tensor> in{Random(x_shape, 1, "x")};
  if (with_conds) {
    in.push_back(Bool(true, "c1"));
    in.push_back(Bool(true, "c2"));
  }
  std::vector<Tensor> out;
  Status s = (*p)->Run(in, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  if (!s.ok() || out.empty()) return {};
  return ToVec<float>(out[0]);
}

TEST(NestedSubgraph, IfInIfReadsOuterValues) {
  for (const Case& c : Cases()) {
    for (const auto& backends : {std::vector<std::string>{}, std::vector<std::string>{kBackendCpuRef}}) {
      SCOPED_TRACE(c.name + (backends.empty() ? " default backends" : " cpu_ref"));
      std::vector<float> want = RunModel(FlatModel(c), {kBackendCpuRef}, c.x_shape, false);
      std::vector<float> got = RunModel(NestedIfModel(c), backends, c.x_shape, true);
      ASSERT_FALSE(want.empty());
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-4f) << i;
    }
  }
}

TEST(NestedSubgraph, IfInIfInLoopAndScanReadOuterValues) {
  for (const Case& c : Cases()) {
    for (bool scan : {false, true}) {
      for (const auto& backends : {std::vector<std::string>{}, std::vector<std::string>{kBackendCpuRef}}) {
        SCOPED_TRACE(c.name + (scan ? " in Scan" : " in Loop") + (backends.empty() ? " default backends" : " cpu_ref"));
        std::vector<float> want = RunModel(FlatModel(c), {kBackendCpuRef}, c.x_shape, false);
        std::vector<float> got = RunModel(NestedInLoopOrScanModel(c, scan), backends, c.x_shape, true);
        ASSERT_FALSE(want.empty());
        ASSERT_EQ(got.size(), 2 * want.size()) << "two iterations, stacked";
        for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i % want.size()], 1e-4f) << i;
      }
    }
  }
}

// Hand-checked anchor for the flat reference: ReduceMean over axis 1 of Relu(x).
TEST(NestedSubgraph, ReduceMeanReferenceByHand) {
  Case c = Cases()[3];
  Tensor x = Random(c.x_shape, 1, "x");
  const float* v = x.Data<float>();
  std::vector<float> got = RunModel(NestedIfModel(c), {}, c.x_shape, true);
  ASSERT_EQ(got.size(), 8u);
  for (int a = 0; a < 2; ++a)
    for (int k = 0; k < 4; ++k) {
      float s = 0;
      for (int j = 0; j < 3; ++j) s += std::max(0.f, v[a * 12 + j * 4 + k]);
      EXPECT_NEAR(got[a * 4 + k], s / 3, 1e-5f);
    }
}

}  // namespace
}  // namespace pl
