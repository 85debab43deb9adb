// Helpers for the graph-pass tests: build a model, load it as the compiler would, run one pass,
// look at the result; and check that the optimized model computes what the plain one does.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "src/ir/passes/passes.h"
#include "src/onnx/onnx_loader.h"
#include "util/test_util.h"

namespace pl::test {

inline Tensor PassRandom(const Shape& shape, uint32_t seed, float lo = -1.f, float hi = 1.f, const std::string& name = "") {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(static_cast<size_t>(ShapeNumElements(shape)));
  for (float& x : v) x = d(rng);
  Tensor t = T_<float>(shape, v);
  t.set_name(name);
  return t;
}

inline Tensor NamedScalar(const std::string& name, float v) {
  Tensor t = T_<float>({1}, {v});
  t.set_name(name);
  return t;
}

// Loads `model` into a graph with Constant nodes turned into values (what every pass sees first).
inline std::unique_ptr<ir::Graph> LoadGraph(const std::string& model) {
  Config c;
  c.SetModelBuffer(model);
  auto g = onnx_io::LoadModel(c);
  EXPECT_TRUE(g.ok()) << g.status().ToString();
  if (!g.ok()) return nullptr;
  auto graph = std::move(g).value();
  EXPECT_TRUE(ir::ConstantNodesToValues(graph.get()).ok());
  return graph;
}

inline int CountOps(const ir::Graph& g, const std::string& op, const std::string& domain = "") {
  int n = 0;
  for (const auto& node : g.nodes) n += !node.removed && node.op_type == op && node.domain == domain;
  return n;
}

inline int LiveNodes(const ir::Graph& g) {
  int n = 0;
  for (const auto& node : g.nodes) n += !node.removed;
  return n;
}

inline const ir::Node* FindOp(const ir::Graph& g, const std::string& op, const std::string& domain = "") {
  for (const auto& node : g.nodes)
    if (!node.removed && node.op_type == op && node.domain == domain) return &node;
  return nullptr;
}

// Runs `model` with `config` (model source set here) on named inputs; returns output 0.
inline StatusOr<Tensor> RunWith(Config config, const std::string& model, const std::vector<Tensor>& inputs) {
  config.SetModelBuffer(model);
  PL_ASSIGN_OR_RETURN(auto p, CreatePredictor(config));
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(p->Run(inputs, &out));
  return out[0];
}

// The model with every optimization (default backends) matches the unoptimized cpu_ref run,
// and so does the model with only `pass` disabled.
inline void ExpectSameResults(const std::string& model, const std::vector<Tensor>& inputs, const std::string& pass = "") {
  Config ref;
  ref.SetBackends({kBackendCpuRef});
  ref.SwitchOptimizations(false);
  auto want = RunWith(ref, model, inputs);
  ASSERT_TRUE(want.ok()) << want.status().ToString();
  std::vector<Config> configs(3);
  configs[1].SetBackends({kBackendCpuRef});
  if (!pass.empty()) configs[2].DisablePass(pass);
  for (size_t k = 0; k < configs.size(); ++k) {
    auto got = RunWith(configs[k], model, inputs);
    ASSERT_TRUE(got.ok()) << "config " << k << ": " << got.status().ToString();
    ASSERT_EQ(got->shape(), want->shape());
    const float* a = want->Data<float>();
    const float* b = got->Data<float>();
    for (int64_t i = 0; i < want->NumElements(); ++i)
      ASSERT_LE(std::fabs(a[i] - b[i]), 1e-4f + 1e-3f * std::fabs(a[i])) << "config " << k << " element " << i;
  }
}

}  // namespace pl::test
