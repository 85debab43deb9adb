// Limits (docs/robustness.md): the per-predictor memory budget, and readers that size nothing
// from a header or dims alone (a few hostile bytes must not allocate gigabytes).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "src/onnx/tensor_proto.h"
#include "util/test_util.h"

namespace pl {
namespace {
using test::BuildModel;
using test::NodeSpec;
using test::T_;

// x[N] -> Relu -> Add(r, x) -> Mul(a, x) -> y: two intermediate values beside the output.
Config ChainConfig(int64_t budget) {
  Tensor x = T_<float>({4}, {1, 2, 3, 4});
  x.set_name("x");
  onnx::ModelProto m;
  m.ParseFromString(BuildModel({NodeSpec{"Relu", "", {"x"}, {"r"}, {}}, NodeSpec{"Add", "", {"r", "x"}, {"a"}, {}},
                                NodeSpec{"Mul", "", {"a", "x"}, {"y"}, {}}},
                               {x}, {}, {"y"}));
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param("N");
  Config c;
  c.SetModelBuffer(m.SerializeAsString());
  c.SetBackends({kBackendCpuRef});
  c.SetMaxPredictorBytes(budget);
  return c;
}

TEST(RobustnessLimits, MaxPredictorBytesIsResourceExhaustedAndRecoverable) {
  // 1000 floats: three 4000-byte values must be live at some point (r, a, then y): 12000 > 10000.
  auto p = CreatePredictor(ChainConfig(10000));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run({T_<float>({4}, {1, -2, 3, 4})}, &out).ok());
  EXPECT_EQ(test::ToVec<float>(out[0]), (std::vector<float>{2, 4, 18, 32}));
  std::vector<float> big(1000, 1.f);
  Status s = (*p)->Run({T_<float>({1000}, big)}, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("SetMaxPredictorBytes"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("10000"), std::string::npos) << "names the budget: " << s.ToString();
  EXPECT_NE(s.message().find("4000"), std::string::npos) << "names the request: " << s.ToString();
  ASSERT_TRUE((*p)->Run({T_<float>({4}, {1, -2, 3, 4})}, &out).ok()) << "usable afterwards";
  EXPECT_EQ(test::ToVec<float>(out[0]), (std::vector<float>{2, 4, 18, 32}));
  // The same run fits a budget large enough, and the default (physical memory) is not hit.
  for (int64_t budget : {int64_t{1} << 20, int64_t{0}}) {
    auto q = CreatePredictor(ChainConfig(budget));
    ASSERT_TRUE(q.ok());
    Status ok = (*q)->Run({T_<float>({1000}, big)}, &out);
    EXPECT_TRUE(ok.ok()) << budget << ": " << ok.ToString();
  }
  EXPECT_NE(ChainConfig(10000).Summary().find("max_predictor_bytes: 10000"), std::string::npos);
}

TEST(RobustnessLimits, TensorProtoDimsWithoutDataAllocateNothing) {
  onnx::TensorProto t;
  t.set_name("w");
  t.set_data_type(onnx::TensorProto::FLOAT);
  t.add_dims(int64_t{1} << 38);  // 1 TiB of float32, no data at all
  auto r = onnx_io::TensorFromProto(t, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kModelError) << r.status().ToString();
  EXPECT_NE(r.status().message().find("'w'"), std::string::npos);
  t.set_raw_data(std::string(12, '\0'));  // 3 floats for dims [1 << 38]
  r = onnx_io::TensorFromProto(t, "");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("raw_data has 12 bytes"), std::string::npos) << r.status().ToString();
  t.clear_dims();
  t.add_dims(int64_t{1} << 62);
  t.add_dims(8);  // overflows int64 bytes
  EXPECT_EQ(onnx_io::TensorFromProto(t, "").status().code(), StatusCode::kModelError);
  // A whole model holding such an initializer is refused at load, before any allocation.
  Config c;
  Tensor x = T_<float>({1}, {1});
  x.set_name("x");
  onnx::ModelProto m;
  m.ParseFromString(BuildModel({NodeSpec{"Add", "", {"x", "w"}, {"y"}, {}}}, {x}, {T_<float>({1}, {1})}, {"y"}));
  auto* init = m.mutable_graph()->mutable_initializer(0);
  init->set_name("w");
  init->clear_raw_data();
  init->clear_float_data();
  init->clear_dims();
  init->add_dims(int64_t{1} << 38);
  m.mutable_graph()->mutable_node(0)->set_input(1, "w");
  c.SetModelBuffer(m.SerializeAsString());
  auto p = CreatePredictor(c);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kModelError) << p.status().ToString();
}

std::string Npy(const std::string& descr, const std::string& shape, size_t data_bytes) {
  std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  h.append((64 - (10 + h.size() + 1) % 64) % 64, ' ');
  h += '\n';
  std::string s = std::string("\x93NUMPY\x01\x00", 8);
  s += static_cast<char>(h.size() & 0xff);
  s += static_cast<char>(h.size() >> 8);
  return s + h + std::string(data_bytes, '\x01');
}

TEST(RobustnessLimits, NpyReaderSizesFromTheBytesThatAreThere) {
  auto ok = onnx_io::ParseNpy(Npy("<f4", "(2, 3)", 24), "a.npy");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->shape(), (Shape{2, 3}));
  for (const auto& [shape, bytes] : std::vector<std::pair<std::string, size_t>>{
           {"(1000000000000,)", 8}, {"(4611686018427387904, 4)", 8}, {"(2, 3)", 23}, {"(-1,)", 0}, {"(1e9,)", 4}}) {
    auto r = onnx_io::ParseNpy(Npy("<f4", shape, bytes), "b.npy");
    ASSERT_FALSE(r.ok()) << shape;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << shape << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("b.npy"), std::string::npos);
  }
  EXPECT_FALSE(onnx_io::ParseNpy(std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12), "c.npy").ok());
  EXPECT_FALSE(onnx_io::ParseNpy("", "d.npy").ok());
  EXPECT_FALSE(onnx_io::ParseTensorProto(std::string("\x08\x80\x80\x80\x80\x80\x80\x80\x80\x40\x10\x01", 12), "e.pb").ok());
}

// Conv -> an activation whose attribute (or constant operand) is NaN or infinite, a pair the fusion
// pass would fold into a oneDNN post-op: it must load and run on every backend order, and agree
// with the cpu_ref kernels (NaN where they give NaN).
TEST(RobustnessModel, NonFiniteActivationAttributesAfterConvRunAsOnnxSays) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  Tensor x = T_<float>({1, 1, 2, 2}, {1, -2, 3, -7});
  x.set_name("x");
  Tensor w = T_<float>({2, 1, 1, 1}, {1, -1});
  w.set_name("w");
  // f: the ONNX formula for one element c of the Conv output, written out here as the reference.
  struct Case { std::string op; std::vector<onnx::AttributeProto> attrs; float operand; std::function<float(float)> f; };
  const std::vector<Case> cases = {
      {"LeakyRelu", {test::AttrFloat("alpha", inf)}, 0, [&](float c) { return c >= 0 ? c : inf * c; }},
      {"LeakyRelu", {test::AttrFloat("alpha", nan)}, 0, [&](float c) { return c >= 0 ? c : nan; }},
      {"Elu", {test::AttrFloat("alpha", -inf)}, 0, [&](float c) { return c >= 0 ? c : -inf * (std::exp(c) - 1); }},
      {"HardSigmoid", {test::AttrFloat("alpha", nan)}, 0, [&](float) { return nan; }},
      {"Mul", {}, nan, [&](float) { return nan; }},
      {"Add", {}, inf, [&](float) { return inf; }},
      {"Div", {}, 1e-45f, [&](float c) { return c > 0 ? inf : -inf; }}};
  for (const Case& k : cases) {
    std::vector<Tensor> inits{w};
    NodeSpec act{k.op, "", {"c"}, {"y"}, k.attrs};
    if (k.attrs.empty()) {
      Tensor c = T_<float>({}, {k.operand});
      c.set_name("k");
      inits.push_back(c);
      act.inputs.push_back("k");
    }
    const std::string model = BuildModel({NodeSpec{"Conv", "", {"x", "w"}, {"c"}, {}}, act}, {x}, inits, {"y"});
    std::vector<std::vector<float>> results;
    for (const std::vector<std::string>& backends :
         {std::vector<std::string>{kBackendCpuRef}, std::vector<std::string>{}}) {
      Config c;
      c.SetModelBuffer(model);
      if (!backends.empty()) c.SetBackends(backends);
      auto p = CreatePredictor(c);
      ASSERT_TRUE(p.ok()) << k.op << ": " << p.status().ToString();
      std::vector<Tensor> out;
      Status s = (*p)->Run({x}, &out);
      ASSERT_TRUE(s.ok()) << k.op << ": " << s.ToString();
      results.push_back(test::ToVec<float>(out[0]));
    }
    // Conv with weights {1, -1}: channel 0 is x, channel 1 is -x.
    const std::vector<float> conv = {1, -2, 3, -7, -1, 2, -3, 7};
    for (const auto& r : results) ASSERT_EQ(r.size(), 8u);
    for (size_t i = 0; i < 8; ++i) {
      const float want = k.f(conv[i]);
      for (int b = 0; b < 2; ++b) {
        const float got = results[b][i];
        EXPECT_TRUE((std::isnan(want) && std::isnan(got)) || want == got)
            << k.op << " element " << i << (b ? ", default backends: " : ", cpu_ref: ") << got << ", want " << want;
      }
    }
  }
}

}  // namespace
}  // namespace pl
