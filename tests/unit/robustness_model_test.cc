// Hostile models and inputs get a Status (never a throw, abort or hang): non-finite Clip bounds
// fused into a oneDNN post-op, declared input dims far larger than the actual input.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "util/test_util.h"

namespace pl {
namespace {
using test::AttrFloat;
using test::BuildModel;
using test::NodeSpec;
using test::T_;
using test::ToVec;

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// Conv (1x1, two output channels of weight 1) -> Clip, which the fusion pass would fold into the
// convolution as a oneDNN post-op.
std::string ConvClip(float lo, float hi, int opset) {
  Tensor x = T_<float>({1, 1, 2, 2}, {1, -2, 3, 7});
  x.set_name("x");
  Tensor w = T_<float>({2, 1, 1, 1}, {1, 1});
  w.set_name("w");
  std::vector<Tensor> inits{w};
  NodeSpec clip{"Clip", "", {"c"}, {"y"}, {}};
  if (opset < 11) {
    clip.attrs = {AttrFloat("min", lo), AttrFloat("max", hi)};
  } else {
    Tensor tl = T_<float>({}, {lo}), th = T_<float>({}, {hi});
    tl.set_name("lo");
    th.set_name("hi");
    inits.push_back(tl);
    inits.push_back(th);
    clip.inputs = {"c", "lo", "hi"};
  }
  return BuildModel({NodeSpec{"Conv", "", {"x", "w"}, {"c"}, {}}, clip}, {x}, inits, {"y"}, opset);
}

// Whatever a backend does with the bound, the result must be a Status; when it runs, the values
// follow the reference (std::clamp semantics as the cpu_ref kernel implements ONNX Clip).
void ExpectClipRunsOrFailsCleanly(float lo, float hi, int opset) {
  for (const std::vector<std::string>& backends :
       {std::vector<std::string>{}, std::vector<std::string>{kBackendCpuRef}}) {
    Config c;
    c.SetModelBuffer(ConvClip(lo, hi, opset));
    if (!backends.empty()) c.SetBackends(backends);
    auto p = CreatePredictor(c);
    if (!p.ok()) {
      EXPECT_NE(p.status().code(), StatusCode::kInternal) << p.status().ToString();
      continue;
    }
    std::vector<Tensor> out;
    Status s = (*p)->Run({T_<float>({1, 1, 2, 2}, {1, -2, 3, 7})}, &out);
    ASSERT_TRUE(s.ok()) << "lo=" << lo << " hi=" << hi << " opset " << opset << ": " << s.ToString();
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].NumElements(), 8);
  }
}

TEST(RobustnessModel, ClipNanMinFusedIntoConvDoesNotThrow) {
  ExpectClipRunsOrFailsCleanly(kNaN, 6.f, 13);
  ExpectClipRunsOrFailsCleanly(kNaN, 6.f, 6);
  ExpectClipRunsOrFailsCleanly(0.f, kNaN, 13);
}

TEST(RobustnessModel, ClipInvertedInfiniteBoundsDoNotThrow) {
  ExpectClipRunsOrFailsCleanly(kInf, -kInf, 13);
  ExpectClipRunsOrFailsCleanly(kInf, -kInf, 6);
  ExpectClipRunsOrFailsCleanly(5.f, 1.f, 13);
}

TEST(RobustnessModel, ClipInfiniteBoundsAreIdentity) {
  Config c;
  c.SetModelBuffer(ConvClip(-kInf, kInf, 13));
  auto p = CreatePredictor(c);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run({T_<float>({1, 1, 2, 2}, {1, -2, 3, 7})}, &out).ok());
  EXPECT_EQ(ToVec<float>(out[0]), (std::vector<float>{1, -2, 3, 7, 1, -2, 3, 7}));
}

// A graph input declared [2^62] (or a 4-D input of 2^60 elements) fed a tiny tensor: an
// InvalidArgument at once, and nothing is ever sized from the declared dims.
std::string DeclaredHuge(const std::vector<int64_t>& dims) {
  Tensor x = T_<float>({2}, {1, -2});
  x.set_name("x");
  std::string bytes = BuildModel({NodeSpec{"Relu", "", {"x"}, {"r"}, {}}, NodeSpec{"Add", "", {"r", "x"}, {"y"}, {}}},
                                 {x}, {}, {"y"});
  onnx::ModelProto m;
  m.ParseFromString(bytes);
  auto* shape = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->clear_dim();
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
  return m.SerializeAsString();
}

TEST(RobustnessModel, DeclaredDimOfTwoToThe62IsInvalidArgument) {
  for (const auto& backends : {std::vector<std::string>{}, std::vector<std::string>{kBackendCpuRef}}) {
    Config c;
    c.SetModelBuffer(DeclaredHuge({int64_t{1} << 62}));
    if (!backends.empty()) c.SetBackends(backends);
    auto p = CreatePredictor(c);
    if (!p.ok()) {  // refusing the model at load is also fine, as long as it is a clean Status
      EXPECT_NE(p.status().code(), StatusCode::kInternal) << p.status().ToString();
      continue;
    }
    std::vector<Tensor> out;
    Status s = (*p)->Run({T_<float>({2}, {1, -2})}, &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("input 'x'"), std::string::npos) << s.ToString();
    // The predictor stays usable for a correctly shaped request; here none exists, so a second bad
    // one must fail the same way rather than crash.
    EXPECT_EQ((*p)->Run({T_<float>({2}, {1, -2})}, &out).code(), StatusCode::kInvalidArgument);
  }
}

TEST(RobustnessModel, DeclaredHugeRank4IsInvalidArgument) {
  Config c;
  c.SetModelBuffer(DeclaredHuge({1, 1, int64_t{1} << 30, int64_t{1} << 30}));
  auto p = CreatePredictor(c);
  if (!p.ok()) {
    EXPECT_NE(p.status().code(), StatusCode::kInternal) << p.status().ToString();
    return;
  }
  std::vector<Tensor> out;
  EXPECT_EQ((*p)->Run({T_<float>({1, 1, 1, 2}, {1, -2})}, &out).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace pl

namespace pl {
namespace {
// An output larger than Config::SetMaxTensorBytes fails with ResourceExhausted naming the value,
// before anything is allocated; within the limit the same predictor runs.
TEST(RobustnessLimits, MaxTensorBytesIsResourceExhausted) {
  Tensor x = test::T_<float>({4}, {1, 2, 3, 4});
  x.set_name("x");
  Config c;
  c.SetModelBuffer(test::BuildModel({test::NodeSpec{"Relu", "", {"x"}, {"r"}, {}},
                                     test::NodeSpec{"Add", "", {"r", "x"}, {"y"}, {}}}, {x}, {}, {"y"}));
  c.SetBackends({kBackendCpuRef});
  c.SetMaxTensorBytes(64);
  auto p = CreatePredictor(c);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run({test::T_<float>({4}, {1, -2, 3, 4})}, &out).ok());
  x = test::T_<float>({4}, {1, 2, 3, 4});
  std::vector<float> big(100, 1.f);
  onnx::ModelProto m;  // a model with symbolic dims, so a bigger request reaches the kernels
  m.ParseFromString(c.model_bytes());
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_param("N");
  c.SetModelBuffer(m.SerializeAsString());
  c.SetMaxTensorBytes(64);
  p = CreatePredictor(c);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  Status s = (*p)->Run({test::T_<float>({100}, big)}, &out);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
  EXPECT_NE(s.message().find("'r'"), std::string::npos) << s.ToString();
  EXPECT_TRUE((*p)->Run({test::T_<float>({4}, {1, -2, 3, 4})}, &out).ok());
}
}  // namespace
}  // namespace pl
