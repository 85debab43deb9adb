// Clone shares the compiled model (weights, kernels, plan) and owns only its run state;
// clones run concurrently with results bit-identical to a single-threaded run.
#include <gtest/gtest.h>

#include <thread>

#include "src/runtime/compiled_model.h"
#include "util/test_util.h"

namespace pl {
namespace {
using test::NodeSpec;
using test::T_;

std::string WeightedModel(int64_t n) {
  std::vector<float> w(n), b(n);
  for (int64_t i = 0; i < n; ++i) {
    w[i] = 0.001f * static_cast<float>(i % 97) - 0.03f;
    b[i] = 0.5f - 0.0001f * static_cast<float>(i % 1013);
  }
  Tensor x = T_<float>({1, n}, std::vector<float>(n, 0));
  x.set_name("x");
  Tensor wt = T_<float>({n}, w);
  wt.set_name("w");
  Tensor bt = T_<float>({n}, b);
  bt.set_name("b");
  return test::BuildModel({NodeSpec{"Mul", "", {"x", "w"}, {"m"}, {}}, NodeSpec{"Add", "", {"m", "b"}, {"a"}, {}},
                           NodeSpec{"Sigmoid", "", {"a"}, {"s"}, {}}, NodeSpec{"Mul", "", {"s", "a"}, {"y"}, {}}},
                          {x}, {wt, bt}, {"y"});
}

TEST(Clone, SharesWeightsAndPlan) {
  Config c;
  c.SetModelBuffer(WeightedModel(1 << 16));
  auto p = CreatePredictor(c);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto q = (*p)->Clone();
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*p)->model_id(), (*q)->model_id());
  EXPECT_EQ(&(*p)->compiled_model(), &(*q)->compiled_model());
  const auto& g = *(*p)->compiled_model().main().graph;
  const Tensor* w = g.values[g.FindValue("w")].constant.get();
  const auto& g2 = *(*q)->compiled_model().main().graph;
  EXPECT_EQ(w->RawData(), g2.values[g2.FindValue("w")].constant->RawData());
  // Same kernel objects.
  EXPECT_EQ((*p)->compiled_model().main().steps[0].kernel.get(), (*q)->compiled_model().main().steps[0].kernel.get());
  // Weights are counted as shared, not per predictor.
  EXPECT_GE((*q)->Memory().shared_bytes, 2u * (1 << 16) * sizeof(float));
  EXPECT_LT((*q)->Memory().private_bytes, (*q)->Memory().shared_bytes);
}

TEST(Clone, ConcurrentRunsAreBitIdentical) {
  const int64_t n = 4099;  // odd size
  Config c;
  c.SetModelBuffer(WeightedModel(n));
  auto base = CreatePredictor(c);
  ASSERT_TRUE(base.ok());
  const int kThreads = 6, kRuns = 40;
  auto input = [&](int t, int r) {
    std::vector<float> v(n);
    for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>(((i * 31 + t * 7 + r) % 211)) * 0.05f - 5.f;
    return T_<float>({1, n}, v);
  };
  // Single-threaded reference.
  std::vector<std::vector<std::vector<float>>> ref(kThreads, std::vector<std::vector<float>>(kRuns));
  for (int t = 0; t < kThreads; ++t)
    for (int r = 0; r < kRuns; ++r) {
      std::vector<Tensor> out;
      ASSERT_TRUE((*base)->Run({input(t, r)}, &out).ok());
      ref[t][r] = test::ToVec<float>(out[0]);
    }
  std::vector<std::unique_ptr<Predictor>> clones;
  for (int t = 0; t < kThreads; ++t) clones.push_back(std::move((*base)->Clone()).value());
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r) {
        // Alternate the two handle styles.
        if (r % 2) {
          std::vector<Tensor> out;
          if (!clones[t]->Run({input(t, r)}, &out).ok() || test::ToVec<float>(out[0]) != ref[t][r]) ++mismatches[t];
        } else {
          Tensor in = input(t, r);
          Tensor* x = clones[t]->Input(0).value();
          if (!x->Reshape(in.shape()).ok() || !x->CopyFromCpu(in.Data<float>()).ok() || !clones[t]->Run().ok()) {
            ++mismatches[t];
            continue;
          }
          if (test::ToVec<float>(*clones[t]->Output(0).value()) != ref[t][r]) ++mismatches[t];
        }
      }
    });
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace pl
