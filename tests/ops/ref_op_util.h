// Test helpers for the shape/data-movement op tests. Both pin the cpu_ref backend: these tests
// define the reference kernels, which every other backend is later compared against.
#pragma once

#include <string>
#include <vector>

#include "util/test_util.h"

namespace pl::test {

// pl::test::RunOp on the reference backend only.
inline StatusOr<std::vector<Tensor>> RunRef(const std::string& op_type, const std::vector<Tensor>& inputs,
                                            const std::vector<onnx::AttributeProto>& attrs, int num_outputs = 1,
                                            int opset = 13, const std::vector<int>& const_inputs = {}) {
  return RunOp(op_type, inputs, attrs, num_outputs, opset, const_inputs, {kBackendCpuRef});
}

// Like RunRef, but with the ONNX checker off (Debian's ONNX library predates opsets 18/19, whose
// new attributes and inputs it would reject) and a chosen intra-op thread count (to reach the
// kernels' threaded paths).
inline StatusOr<std::vector<Tensor>> RunRefUnchecked(const std::string& op_type, const std::vector<Tensor>& inputs,
                                                     const std::vector<onnx::AttributeProto>& attrs, int num_outputs,
                                                     int opset, int threads = 1) {
  NodeSpec n;
  n.op_type = op_type;
  n.attrs = attrs;
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() == DataType::kUndefined) {
      n.inputs.push_back("");
      continue;
    }
    Tensor t = inputs[i];
    t.set_name("in" + std::to_string(i));
    n.inputs.push_back(t.name());
    feeds.push_back(t);
  }
  for (int i = 0; i < num_outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  Config config;
  config.SetModelBuffer(BuildModel({n}, feeds, {}, n.outputs, opset));
  config.SwitchModelCheck(false);
  config.SetIntraOpThreads(threads);
  config.SetBackends({kBackendCpuRef});
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  std::vector<Tensor> results;
  PL_RETURN_IF_ERROR(pred->Run(feeds, &results));
  return results;
}

}  // namespace pl::test
