// An out-of-tree service on the installed SDK: a PredictorPool with dynamic batching over
// model.onnx (y = relu(x @ W + b), W and b written by make_model.py), 32 concurrent Submits,
// each checked against the same formula. Exit 0 on success, 1 with a message otherwise.
//   consumer MODEL.onnx
#include <cmath>
#include <cstdio>
#include <future>
#include <vector>

#include "pl/pl.h"
#include "services/predictor_pool.h"

namespace {
// Must match make_model.py: W[i][j] = 0.1 * (i - j), b[j] = 0.5 - 0.25 * j; x is [N, 4] -> y [N, 3].
float Expected(const float* x, int j) {
  float acc = 0.5f - 0.25f * j;
  for (int i = 0; i < 4; ++i) acc += x[i] * 0.1f * (i - j);
  return acc > 0.f ? acc : 0.f;
}
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: consumer MODEL.onnx\n");
    return 1;
  }
  pl::Config config(argv[1]);
  pl::services::PoolOptions options;
  options.batching.max_batch = 8;
  auto pool = pl::services::PredictorPool::Create(config, 2, options);
  if (!pool.ok()) {
    std::fprintf(stderr, "consumer: pool: %s\n", pool.status().ToString().c_str());
    return 1;
  }
  std::vector<std::vector<float>> inputs;
  std::vector<std::future<pl::services::OutputsOr>> futures;
  for (int r = 0; r < 32; ++r) {
    std::vector<float> x(4);
    for (int i = 0; i < 4; ++i) x[i] = 0.3f * r - 0.7f * i;
    inputs.push_back(x);
    auto t = pl::Tensor::FromVector<float>({1, 4}, x);
    if (!t.ok()) return std::fprintf(stderr, "consumer: %s\n", t.status().ToString().c_str()), 1;
    futures.push_back((*pool)->Submit({std::move(*t)}));
  }
  for (int r = 0; r < 32; ++r) {
    auto y = futures[r].get();
    if (!y.ok()) return std::fprintf(stderr, "consumer: request %d: %s\n", r, y.status().ToString().c_str()), 1;
    const pl::Tensor& out = (*y)[0];
    if (out.shape() != pl::Shape{1, 3}) return std::fprintf(stderr, "consumer: bad shape\n"), 1;
    for (int j = 0; j < 3; ++j) {
      float want = Expected(inputs[r].data(), j), got = out.Data<float>()[j];
      if (std::fabs(want - got) > 1e-5f) {
        std::fprintf(stderr, "consumer: request %d out %d: got %g want %g\n", r, j, got, want);
        return 1;
      }
    }
  }
  auto stats = (*pool)->stats();
  std::printf("consumer: 32 requests ok, %llu runs (batching %s), pl %s\n",
              static_cast<unsigned long long>(stats.runs), (*pool)->batching_enabled() ? "on" : "off",
              pl::Version().c_str());
  return 0;
}
