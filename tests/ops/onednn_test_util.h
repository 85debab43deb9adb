// Helpers for the oneDNN op tests: every oneDNN kernel is compared with the reference backend on
// random, odd-sized inputs (and the test fails if the node silently fell back to cpu_ref).
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "src/runtime/compiled_model.h"
#include "util/test_util.h"

namespace pl::test {

inline Tensor Random(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(ShapeNumElements(shape)));
  for (float& x : v) x = d(rng);
  return T_<float>(shape, v);
}

// The tolerance of the model tests: |got - ref| <= atol + rtol * |ref|.
inline void ExpectClose(const Tensor& ref, const Tensor& got, float atol = 1e-4f, float rtol = 1e-3f,
                        const std::string& what = "") {
  ASSERT_EQ(ref.shape(), got.shape()) << what;
  ASSERT_EQ(ref.dtype(), got.dtype()) << what;
  const float* r = ref.Data<float>();
  const float* g = got.Data<float>();
  int bad = 0;
  for (int64_t i = 0; i < ref.NumElements(); ++i) {
    const bool ok = std::fabs(r[i] - g[i]) <= atol + rtol * std::fabs(r[i]) || (std::isnan(r[i]) && std::isnan(g[i]));
    if (!ok && bad++ < 5) ADD_FAILURE() << what << " element " << i << ": ref " << r[i] << ", onednn " << g[i];
  }
  EXPECT_EQ(bad, 0) << what << ": " << bad << " of " << ref.NumElements() << " elements differ";
}

struct OpCase {
  std::string op;
  std::vector<Tensor> inputs;
  std::vector<onnx::AttributeProto> attrs;
  int opset = 13;
  std::vector<int> const_inputs;  // become initializers (weights)
  int num_outputs = 1;
};

// Runs one node on `backends` through the real loader; `backend_used` gets the backend the node
// was compiled for.
inline StatusOr<std::vector<Tensor>> RunCase(const OpCase& c, const std::vector<std::string>& backends,
                                             std::string* backend_used, int threads = 1) {
  NodeSpec n;
  n.op_type = c.op;
  n.attrs = c.attrs;
  std::vector<Tensor> feeds, inits, run_inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    if (c.inputs[i].dtype() == DataType::kUndefined) {
      n.inputs.push_back("");
      continue;
    }
    Tensor t = c.inputs[i];
    t.set_name("in" + std::to_string(i));
    n.inputs.push_back(t.name());
    const bool is_const = std::find(c.const_inputs.begin(), c.const_inputs.end(), static_cast<int>(i)) != c.const_inputs.end();
    (is_const ? inits : feeds).push_back(t);
    if (!is_const) run_inputs.push_back(t);
  }
  for (int i = 0; i < c.num_outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  Config config;
  config.SetModelBuffer(BuildModel({n}, feeds, inits, n.outputs, c.opset));
  config.SetBackends(backends);
  config.SetIntraOpThreads(threads);
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  if (backend_used) {
    backend_used->clear();
    for (const auto& step : pred->compiled_model().main().steps) *backend_used += step.backend;
  }
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(pred->Run(run_inputs, &out));
  return out;
}

// The case on oneDNN must run there and match cpu_ref.
inline void CompareWithRef(const OpCase& c, float atol = 1e-4f, float rtol = 1e-3f, int threads = 1) {
  std::string used;
  auto ref = RunCase(c, {kBackendCpuRef}, nullptr);
  ASSERT_TRUE(ref.ok()) << c.op << " on cpu_ref: " << ref.status().ToString();
  auto got = RunCase(c, {kBackendOneDnn}, &used, threads);
  ASSERT_TRUE(got.ok()) << c.op << " on onednn: " << got.status().ToString();
  EXPECT_EQ(used, kBackendOneDnn) << c.op << " fell back to another backend";
  ASSERT_EQ(ref->size(), got->size());
  for (size_t i = 0; i < ref->size(); ++i) ExpectClose((*ref)[i], (*got)[i], atol, rtol, c.op + " output " + std::to_string(i));
}

// The case must be refused by oneDNN (Unimplemented at compile time) and run on cpu_ref instead.
inline void ExpectFallback(const OpCase& c) {
  std::string used;
  auto got = RunCase(c, {kBackendOneDnn}, &used);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(used, kBackendCpuRef) << c.op << " should have fallen back to cpu_ref";
}

}  // namespace pl::test
