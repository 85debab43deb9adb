// Runs the exported-model pattern cases (see scripts/make_pattern_models.py) on every CPU backend
// configuration and compares with the NumPy references.
#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>

#include "pl/pl.h"
#include "src/onnx/tensor_proto.h"

namespace {

std::string g_dir;

bool Exists(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0;
}

double At(const pl::Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case pl::DataType::kFloat32: return t.Data<float>()[i];
    case pl::DataType::kInt64: return static_cast<double>(t.Data<int64_t>()[i]);
    case pl::DataType::kInt32: return t.Data<int32_t>()[i];
    case pl::DataType::kBool: return t.Data<bool>()[i];
    default: return NAN;
  }
}

void RunCase(const std::string& name, const std::vector<std::string>& backends) {
  const std::string d = g_dir + "/" + name;
  if (!Exists(d + "/model.onnx")) GTEST_SKIP() << "pattern model " << d << " missing (patterns_generate did not run)";
  pl::Config config(d + "/model.onnx");
  config.SetBackends(backends);
  auto p = pl::CreatePredictor(config);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<pl::Tensor> inputs, outputs;
  for (int i = 0; Exists(d + "/input_" + std::to_string(i) + ".npy"); ++i) {
    auto t = pl::onnx_io::ReadNpyFile(d + "/input_" + std::to_string(i) + ".npy");
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    t->set_name((*p)->InputNames()[i]);
    inputs.push_back(*t);
  }
  pl::Status s = (*p)->Run(inputs, &outputs);
  ASSERT_TRUE(s.ok()) << s.ToString();
  for (size_t k = 0; k < outputs.size(); ++k) {
    auto want = pl::onnx_io::ReadNpyFile(d + "/output_" + std::to_string(k) + ".npy");
    ASSERT_TRUE(want.ok());
    ASSERT_EQ(outputs[k].dtype(), want->dtype()) << "output " << k;
    ASSERT_EQ(outputs[k].shape(), want->shape()) << "output " << k;
    for (int64_t i = 0; i < want->NumElements(); ++i) {
      double g = At(outputs[k], i), w = At(*want, i);
      ASSERT_LE(std::fabs(g - w), 1e-4 + 1e-3 * std::fabs(w)) << name << " output " << k << " element " << i;
    }
  }
}

class Patterns : public ::testing::TestWithParam<std::string> {};

TEST_P(Patterns, DefaultBackends) { RunCase(GetParam(), {}); }
TEST_P(Patterns, ReferenceBackend) { RunCase(GetParam(), {pl::kBackendCpuRef}); }

INSTANTIATE_TEST_SUITE_P(Exported, Patterns,
                         ::testing::Values("nhwc_transpose_pair", "int64_scalar_inputs", "arbitrary_output_names",
                                           "many_unused_domains", "constants_in_subgraphs_then",
                                           "constants_in_subgraphs_else"));

TEST(PatternsNames, OutputNamesKeptVerbatim) {
  const std::string m = g_dir + "/arbitrary_output_names/model.onnx";
  if (!Exists(m)) GTEST_SKIP() << "pattern models missing";
  auto p = pl::CreatePredictor(pl::Config(m));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->OutputNames(),
            (std::vector<std::string>{"save_infer_model/scale_0.tmp_1", "logits:0", "out put (ü) #2"}));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  g_dir = argc > 1 ? argv[1] : "pattern_models";
  return RUN_ALL_TESTS();
}
