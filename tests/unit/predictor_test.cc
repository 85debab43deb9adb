// Loader + predictor behaviour: names, Constant nodes, external data, unused domains, dynamic dims.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "src/onnx/tensor_proto.h"
#include "src/runtime/compiled_model.h"
#include "util/test_util.h"

namespace pl {
namespace {
using test::BuildModel;
using test::NodeSpec;
using test::T_;
using test::ToVec;

// y = Relu(x + w) * c, with c a Constant node.
std::string SmallModel(const std::string& in_name, const std::string& out_name, bool dynamic = false) {
  Tensor x = T_<float>({2, 3}, {0, 0, 0, 0, 0, 0});
  x.set_name(in_name);
  Tensor w = T_<float>({3}, {1.f, -2.f, 0.5f});
  w.set_name("w");
  NodeSpec c{"Constant", "", {}, {"c"}, {test::AttrTensor("value", T_<float>({1}, {3.f}))}};
  NodeSpec add{"Add", "", {in_name, "w"}, {"s"}, {}};
  NodeSpec relu{"Relu", "", {"s"}, {"r"}, {}};
  NodeSpec mul{"Mul", "", {"r", "c"}, {out_name}, {}};
  std::string bytes = BuildModel({c, add, relu, mul}, {x}, {w}, {out_name});
  if (dynamic) {
    onnx::ModelProto m;
    m.ParseFromString(bytes);
    auto* d = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
    d->clear_dim_value();
    d->set_dim_param("batch");
    bytes = m.SerializeAsString();
  }
  return bytes;
}

// Plain pipeline (reference kernels, no fusion) unless `optimized`: these tests look at the
// loader and the executor, not at what the optimizer does to the graph.
std::unique_ptr<Predictor> Make(const std::string& bytes, bool optimized = false) {
  Config c;
  c.SetModelBuffer(bytes);
  if (!optimized) {
    c.SwitchOptimizations(false);
    c.SetBackends({kBackendCpuRef});
  }
  auto p = CreatePredictor(c);
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? std::move(p).value() : nullptr;
}

TEST(Predictor, RunsAndKeepsNamesVerbatim) {
  const std::string in = "x:0/ünï côdé [in]", out = "out put#1 (y)";
  for (bool optimized : {false, true}) {
  auto p = Make(SmallModel(in, out), optimized);
  ASSERT_TRUE(p);
  ASSERT_EQ(p->InputNames(), std::vector<std::string>{in});
  ASSERT_EQ(p->OutputNames(), std::vector<std::string>{out});
  Tensor* x = p->Input(in).value();
  ASSERT_TRUE(x->Reshape({2, 3}).ok());
  std::vector<float> xv = {1, 1, 1, -5, 5, -5};
  ASSERT_TRUE(x->CopyFromCpu(xv.data()).ok());
  ASSERT_TRUE(p->Run().ok());
  const Tensor* y = p->Output(out).value();
  // (x + w) -> relu -> *3
  std::vector<float> expect = {6, 0, 4.5f, 0, 9, 0};
  EXPECT_EQ(ToVec<float>(*y), expect);
  EXPECT_EQ(y->name(), out);
  }
}

TEST(Predictor, ConstantNodesBecomeSharedConstants) {
  auto p = Make(SmallModel("x", "y"));
  ASSERT_TRUE(p);
  const auto& g = *p->compiled_model().main().graph;
  int c = g.FindValue("c");
  ASSERT_GE(c, 0);
  EXPECT_TRUE(g.values[c].constant != nullptr);
  for (const auto& n : g.nodes) EXPECT_NE(n.op_type, "Constant");
}

TEST(Predictor, DynamicDimsResolvedAtRunTime) {
  auto p = Make(SmallModel("x", "y", /*dynamic=*/true));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->InputInfos()[0].shape[0], -1);
  EXPECT_EQ(p->InputInfos()[0].dim_names[0], "batch");
  for (int64_t batch : {1, 5, 2, 5}) {
    std::vector<float> xv(batch * 3, 1.f);
    Tensor* x = p->Input(0).value();
    ASSERT_TRUE(x->Reshape({batch, 3}).ok());
    ASSERT_TRUE(x->CopyFromCpu(xv.data()).ok());
    ASSERT_TRUE(p->Run().ok());
    const Tensor* y = p->Output(0).value();
    ASSERT_EQ(y->shape(), (Shape{batch, 3}));
    for (int64_t b = 0; b < batch; ++b) EXPECT_FLOAT_EQ(y->Data<float>()[b * 3 + 0], 6.f);
  }
}

TEST(Predictor, UnusedImportedDomainsAreIgnored) {
  Tensor x = T_<float>({2}, {0, 0});
  x.set_name("x");
  std::string bytes = BuildModel({NodeSpec{"Relu", "", {"x"}, {"y"}, {}}}, {x}, {}, {"y"}, 13,
                                 {{"ai.onnx.ml", 3}, {"com.microsoft", 1}, {"ai.onnx.training", 1}, {"my.domain", 7}});
  auto p = Make(bytes);
  ASSERT_TRUE(p);
  std::vector<Tensor> out;
  ASSERT_TRUE(p->Run({T_<float>({2}, {-1, 2})}, &out).ok());
  EXPECT_EQ(ToVec<float>(out[0]), (std::vector<float>{0, 2}));
}

TEST(Predictor, ExternalDataNextToTheModel) {
  char tmpl[] = "/tmp/pl_ext_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  std::vector<float> w = {10, 20, 30};
  {
    std::ofstream f(dir + "/weights.bin", std::ios::binary);
    float pad = 0;
    f.write(reinterpret_cast<const char*>(&pad), sizeof pad);  // offset 4
    f.write(reinterpret_cast<const char*>(w.data()), w.size() * sizeof(float));
  }
  Tensor x = T_<float>({3}, {0, 0, 0});
  x.set_name("x");
  onnx::ModelProto m;
  m.ParseFromString(BuildModel({NodeSpec{"Add", "", {"x", "w"}, {"y"}, {}}}, {x}, {}, {"y"}));
  auto* init = m.mutable_graph()->add_initializer();
  init->set_name("w");
  init->set_data_type(onnx::TensorProto::FLOAT);
  init->add_dims(3);
  init->set_data_location(onnx::TensorProto::EXTERNAL);
  auto add_kv = [&](const char* k, const std::string& v) {
    auto* e = init->add_external_data();
    e->set_key(k);
    e->set_value(v);
  };
  add_kv("location", "weights.bin");
  add_kv("offset", "4");
  add_kv("length", "12");
  {
    std::ofstream f(dir + "/model.onnx", std::ios::binary);
    f << m.SerializeAsString();
  }
  auto p = CreatePredictor(Config(dir + "/model.onnx"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run({T_<float>({3}, {1, 2, 3})}, &out).ok());
  EXPECT_EQ(ToVec<float>(out[0]), (std::vector<float>{11, 22, 33}));

  // A location escaping the model directory is refused.
  (*init->mutable_external_data(0)).set_value("../etc/passwd");
  Config bad;
  bad.SetModelBuffer(m.SerializeAsString(), dir);
  auto q = CreatePredictor(bad);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("relative path"), std::string::npos) << q.status().ToString();
  std::remove((dir + "/weights.bin").c_str());
  std::remove((dir + "/model.onnx").c_str());
  rmdir(dir.c_str());
}

TEST(Predictor, NpyRoundTrip) {
  Tensor t = T_<float>({2, 2}, {1.5f, -2, 3, 4});
  const std::string path = "/tmp/pl_npy_roundtrip.npy";
  ASSERT_TRUE(onnx_io::WriteNpyFile(t, path).ok());
  auto r = onnx_io::ReadNpyFile(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->shape(), t.shape());
  EXPECT_EQ(ToVec<float>(*r), ToVec<float>(t));
  std::remove(path.c_str());
}

TEST(Predictor, MemoryPlanReusesArenaAcrossRuns) {
  auto p = Make(SmallModel("x", "y", true));
  ASSERT_TRUE(p);
  std::vector<Tensor> out;
  std::vector<float> ref;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(p->Run({T_<float>({4, 3}, std::vector<float>(12, 0.25f * i))}, &out).ok());
    if (i == 0) ref = ToVec<float>(out[0]);
  }
  EXPECT_GT(p->Memory().arena_bytes, 0u);
  size_t arena = p->Memory().arena_bytes;
  ASSERT_TRUE(p->Run({T_<float>({4, 3}, std::vector<float>(12, 0.f))}, &out).ok());
  EXPECT_EQ(ToVec<float>(out[0]), ref);
  EXPECT_EQ(p->Memory().arena_bytes, arena);
}

}  // namespace
}  // namespace pl
