// A Paddle Inference program as a Paddle user writes it: one predictor, one Clone() per thread.
// Compiled unchanged against paddle_like's paddle_inference_api.h.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <functional>
#include <numeric>
#include <thread>
#include <vector>

#include "paddle_inference_api.h"

DEFINE_string(model_file, "", "Path of the inference model file.");
DEFINE_string(params_file, "", "Path of the inference params file.");
DEFINE_int32(threads, 4, "Number of threads, each with its own cloned predictor.");
DEFINE_int32(repeats, 20, "Runs per thread.");
DEFINE_int32(cpu_threads, 1, "Math library threads per predictor.");

using paddle_infer::Config;
using paddle_infer::CreatePredictor;
using paddle_infer::Predictor;

std::shared_ptr<Predictor> InitPredictor() {
  Config config;
  if (FLAGS_params_file.empty()) {
    config.SetModel(FLAGS_model_file);
  } else {
    config.SetModel(FLAGS_model_file, FLAGS_params_file);
  }
  config.DisableGpu();
  config.EnableMKLDNN();
  config.SetCpuMathLibraryNumThreads(FLAGS_cpu_threads);
  config.SwitchIrOptim(true);
  config.EnableMemoryOptim();
  config.DisableGlogInfo();
  LOG(INFO) << config.Summary();
  return CreatePredictor(config);
}

std::vector<float> MakeInput(int batch, int seed) {
  std::vector<float> input(batch * 3 * 16 * 16);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>((i * 7 + seed * 13) % 17) / 8.f - 1.f;
  return input;
}

void RunOnce(Predictor* predictor, const std::vector<float>& input, int batch, std::vector<float>* out,
             std::vector<int>* out_shape) {
  auto input_names = predictor->GetInputNames();
  auto input_t = predictor->GetInputHandle(input_names[0]);
  std::vector<int> input_shape = {batch, 3, 16, 16};
  input_t->Reshape(input_shape);
  input_t->CopyFromCpu(input.data());

  CHECK(predictor->Run());

  auto output_names = predictor->GetOutputNames();
  auto output_t = predictor->GetOutputHandle(output_names[0]);
  *out_shape = output_t->shape();
  int out_num = std::accumulate(out_shape->begin(), out_shape->end(), 1, std::multiplies<int>());
  out->resize(out_num);
  output_t->CopyToCpu(out->data());
}

int main(int argc, char* argv[]) {
  google::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  CHECK(!FLAGS_model_file.empty()) << "--model_file is required";

  auto main_predictor = InitPredictor();
  CHECK(main_predictor != nullptr);
  CHECK_EQ(main_predictor->GetInputNames().size(), 1u);

  // Expected results, single-threaded, for batch sizes 1..3.
  std::vector<std::vector<float>> expected(4);
  for (int batch = 1; batch <= 3; ++batch) {
    std::vector<int> shape;
    RunOnce(main_predictor.get(), MakeInput(batch, batch), batch, &expected[batch], &shape);
    CHECK_EQ(shape[0], batch);
  }

  std::vector<std::thread> threads;
  std::vector<int> failures(FLAGS_threads, 0);
  for (int i = 0; i < FLAGS_threads; ++i) {
    threads.emplace_back([&, i] {
      auto predictor = main_predictor->Clone();
      CHECK(predictor != nullptr);
      for (int r = 0; r < FLAGS_repeats; ++r) {
        const int batch = 1 + (i + r) % 3;
        std::vector<float> out;
        std::vector<int> shape;
        RunOnce(predictor.get(), MakeInput(batch, batch), batch, &out, &shape);
        if (out != expected[batch]) ++failures[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < FLAGS_threads; ++i) CHECK_EQ(failures[i], 0) << "thread " << i << " got different outputs";
  LOG(INFO) << "clone demo: " << FLAGS_threads << " threads x " << FLAGS_repeats << " runs, outputs identical";
  std::printf("OK: %d threads x %d runs on cloned predictors, every output identical\n", FLAGS_threads,
              FLAGS_repeats);
  return 0;
}
