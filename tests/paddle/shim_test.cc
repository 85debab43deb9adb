// The paddle_infer:: adapters: config mapping, error conventions (Run() false, nullptr, no
// crash on a bad name), tensor round trips, clones and the pool.
#include <gtest/gtest.h>

#include "pl/device.h"
#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "paddle_inference_api.h"
#include "pl/predictor.h"
#include "services/predictor_pool.h"
#include "services/test_models.h"

namespace {

class PaddleShim : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pl_paddle_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    model_ = dir_ + "/model.onnx";
    std::ofstream(model_, std::ios::binary) << pl::test_models::ElementwiseModel(1, {"N", "4"});
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string dir_, model_;
};

TEST_F(PaddleShim, ConfigMapsOntoNativeConfig) {
  paddle_infer::Config c;
  c.SetModel(model_);
  EXPECT_EQ(c.native().model_path(), model_);
  EXPECT_TRUE(c.native().backends().empty());  // SDK default order
  c.EnableMKLDNN();
  EXPECT_TRUE(c.mkldnn_enabled());
  EXPECT_EQ(c.native().backends(), (std::vector<std::string>{"onednn", "cpu_ref"}));
  c.EnableUseGpu(100, 1);
  EXPECT_TRUE(c.use_gpu());
  EXPECT_EQ(c.gpu_device_id(), 1);
  // cuda comes first where a CUDA device 1 is usable; elsewhere the shim runs on the CPU.
  const pl::DeviceBackend* cuda = pl::FindDeviceBackend(pl::kBackendCuda);
  std::string why;
  if (cuda && cuda->DeviceCount(&why) > 1)
    EXPECT_EQ(c.native().backends().front(), "cuda");
  else
    EXPECT_EQ(c.native().backends().front(), "onednn");
  c.DisableGpu();
  EXPECT_FALSE(c.use_gpu());
  c.SetCpuMathLibraryNumThreads(3);
  EXPECT_EQ(c.native().intra_op_threads(), 3);
  c.SwitchIrOptim(false);
  EXPECT_FALSE(c.native().optimizations_enabled());
  c.EnableMemoryOptim(false);
  EXPECT_FALSE(c.native().memory_planning());
  c.DisableGlogInfo();
  EXPECT_TRUE(c.glog_info_disabled());
  EXPECT_NE(c.Summary().find("cpu_math_library_num_threads: 3"), std::string::npos);
}

TEST_F(PaddleShim, SetModelAcceptsADirectory) {
  paddle_infer::Config c(dir_);
  EXPECT_EQ(c.model_dir(), dir_);
  EXPECT_EQ(c.native().model_path(), model_);
  EXPECT_NE(paddle_infer::CreatePredictor(c), nullptr);
}

TEST_F(PaddleShim, RunRoundTrip) {
  paddle_infer::Config c;
  c.SetModel(model_, "");
  c.DisableGlogInfo();
  auto p = paddle_infer::CreatePredictor(c);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->GetInputNames(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(p->GetOutputNames(), (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(p->GetInputTensorShape()["x"], (std::vector<int64_t>{-1, 4}));
  EXPECT_EQ(p->GetInputTypes()["x"], paddle_infer::DataType::FLOAT32);
  auto x = p->GetInputHandle("x");
  x->Reshape({2, 4});
  std::vector<float> in = {-1, 0, 1, 2, 3, 4, 5, 6};
  x->CopyFromCpu(in.data());
  EXPECT_EQ(x->shape(), (std::vector<int>{2, 4}));
  ASSERT_TRUE(p->Run());
  auto z = p->GetOutputHandle("z");
  EXPECT_EQ(z->name(), "z");
  EXPECT_EQ(z->shape(), (std::vector<int>{2, 4}));
  EXPECT_EQ(z->type(), paddle_infer::DataType::FLOAT32);
  std::vector<float> out(8);
  z->CopyToCpu(out.data());
  paddle_infer::PlaceType place;
  int size = 0;
  const float* direct = z->data<float>(&place, &size);
  ASSERT_NE(direct, nullptr);
  EXPECT_EQ(size, 8);
  EXPECT_EQ(place, paddle_infer::PlaceType::kCPU);
  for (int i = 0; i < 8; ++i) {
    // z = sigmoid(relu((x*1.5+0.25)*0.5) - 0.5) + x, by hand.
    float r = std::max(0.f, (in[i] * 1.5f + 0.25f) * 0.5f);
    float y = 1.f / (1.f + std::exp(-(r - 0.5f)));
    EXPECT_NEAR(out[i], y + in[i], 1e-5f) << i;
    EXPECT_EQ(direct[i], out[i]);
  }
  EXPECT_GT(p->TryShrinkMemory() + 1, 0u);
  p->ClearIntermediateTensor();
  EXPECT_TRUE(p->Run());  // rebuilt on demand
}

TEST_F(PaddleShim, ErrorsAreLoggedNotThrown) {
  paddle_infer::Config bad;
  bad.SetModel(dir_ + "/missing.onnx");
  bad.DisableGlogInfo();
  EXPECT_EQ(paddle_infer::CreatePredictor(bad), nullptr);

  paddle_infer::Config c(model_);
  c.DisableGlogInfo();
  auto p = paddle_infer::CreatePredictor(c);
  ASSERT_NE(p, nullptr);
  EXPECT_FALSE(p->Run());  // input never set
  auto nobody = p->GetInputHandle("nobody");
  ASSERT_NE(nobody, nullptr);
  nobody->Reshape({1, 4});  // logged, no crash
  EXPECT_TRUE(nobody->shape().empty());
  auto x = p->GetInputHandle("x");
  x->Reshape({1, 5});  // the model fixes dim 1 to 4
  std::vector<float> v(5, 1.f);
  x->CopyFromCpu(v.data());
  EXPECT_FALSE(p->Run());
  auto y = p->GetOutputHandle("y");
  y->Reshape({1, 4});  // outputs are read-only: logged
  std::vector<int64_t> wrong(4);
  y->CopyToCpu(wrong.data());  // dtype mismatch: logged
}

TEST_F(PaddleShim, CloneAndPool) {
  paddle_infer::Config c(model_);
  c.DisableGlogInfo();
  auto p = paddle_infer::CreatePredictor(c);
  ASSERT_NE(p, nullptr);
  auto clone = p->Clone();
  ASSERT_NE(clone, nullptr);
  EXPECT_EQ(clone->native()->model_id(), p->native()->model_id());

  paddle_infer::services::PredictorPool pool(c, 3);
  ASSERT_NE(pool.Retrive(0), nullptr);
  ASSERT_NE(pool.Retrive(2), nullptr);
  EXPECT_NE(pool.Retrive(0), pool.Retrive(1));
  EXPECT_EQ(pool.Retrive(3), nullptr);  // out of range: logged, not undefined behaviour
  EXPECT_EQ(pool.Retrive(0)->native()->model_id(), pool.Retrive(2)->native()->model_id());
  EXPECT_EQ(pool.native()->size(), 3);

  // The old spelling still compiles.
  paddle::AnalysisConfig old_style(model_);
  EXPECT_EQ(old_style.native().model_path(), model_);
  EXPECT_EQ(paddle_infer::GetNumBytesOfDataType(paddle_infer::DataType::INT64), 8);
}

}  // namespace
