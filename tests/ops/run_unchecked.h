// Test helper for the shape/data-movement op tests: like pl::test::RunOp, but with the ONNX
// checker off (Debian's ONNX library predates opsets 18/19, whose new attributes and inputs
// it would reject) and a chosen intra-op thread count (to reach the kernels' threaded paths).
#pragma once

#include <string>
#include <vector>

#include "util/test_util.h"

namespace pl::test {

inline StatusOr<std::vector<Tensor>> RunOpUnchecked(const std::string& op_type, const std::vector<Tensor>& inputs,
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
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  std::vector<Tensor> results;
  PL_RETURN_IF_ERROR(pred->Run(feeds, &results));
  return results;
}

}  // namespace pl::test
