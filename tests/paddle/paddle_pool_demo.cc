// A Paddle Inference program as a Paddle user writes it: services::PredictorPool, thread i uses
// Retrive(i). Compiled unchanged against paddle_like's paddle_inference_api.h.
#include <gflags/gflags.h>
#include <glog/logging.h>

#include <functional>
#include <numeric>
#include <thread>
#include <vector>

#include "paddle_inference_api.h"

DEFINE_string(model_file, "", "Path of the inference model file.");
DEFINE_int32(thread_num, 4, "Pool size and number of threads.");
DEFINE_int32(repeats, 20, "Runs per thread.");

int main(int argc, char* argv[]) {
  google::ParseCommandLineFlags(&argc, &argv, true);
  google::InitGoogleLogging(argv[0]);
  CHECK(!FLAGS_model_file.empty()) << "--model_file is required";

  paddle_infer::Config config;
  config.SetModel(FLAGS_model_file);
  config.SetCpuMathLibraryNumThreads(1);
  config.SwitchIrOptim();
  config.EnableMemoryOptim();
  config.DisableGlogInfo();
  paddle_infer::services::PredictorPool pool(config, FLAGS_thread_num);

  auto run = [](paddle_infer::Predictor* predictor, int batch, std::vector<float>* out) {
    std::vector<float> input(batch * 3 * 16 * 16);
    for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<float>(i % 29) / 14.f - 1.f;
    auto input_t = predictor->GetInputHandle(predictor->GetInputNames()[0]);
    input_t->Reshape({batch, 3, 16, 16});
    input_t->CopyFromCpu(input.data());
    CHECK(predictor->Run());
    auto output_t = predictor->GetOutputHandle(predictor->GetOutputNames()[0]);
    std::vector<int> output_shape = output_t->shape();
    CHECK_EQ(output_t->type(), paddle_infer::DataType::FLOAT32);
    int out_num = std::accumulate(output_shape.begin(), output_shape.end(), 1, std::multiplies<int>());
    out->resize(out_num);
    output_t->CopyToCpu(out->data());
  };

  std::vector<float> expected_b1, expected_b2;
  paddle_infer::Predictor* first = pool.Retrive(0);
  CHECK(first != nullptr);
  run(first, 1, &expected_b1);
  run(first, 2, &expected_b2);

  std::vector<std::thread> threads;
  std::vector<int> mismatches(FLAGS_thread_num, 0);
  for (int i = 0; i < FLAGS_thread_num; ++i) {
    threads.emplace_back([&, i] {
      paddle_infer::Predictor* predictor = pool.Retrive(i);
      CHECK(predictor != nullptr);
      for (int r = 0; r < FLAGS_repeats; ++r) {
        std::vector<float> out;
        const int batch = (i + r) % 2 + 1;
        run(predictor, batch, &out);
        if (out != (batch == 1 ? expected_b1 : expected_b2)) ++mismatches[i];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < FLAGS_thread_num; ++i) CHECK_EQ(mismatches[i], 0) << "predictor " << i;
  std::printf("OK: PredictorPool of %d, %d runs per thread, every output identical\n", FLAGS_thread_num,
              FLAGS_repeats);
  return 0;
}
