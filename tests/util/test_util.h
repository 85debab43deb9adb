// Test helpers: build small ONNX models in memory and run them through the normal loader.
#pragma once

#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "pl/pl.h"

namespace pl::test {

// A one-node model builder.
struct NodeSpec {
  std::string op_type, domain;
  std::vector<std::string> inputs, outputs;   // value names ("" = omitted optional)
  std::vector<onnx::AttributeProto> attrs;
};

onnx::AttributeProto AttrInt(const std::string& name, int64_t v);
onnx::AttributeProto AttrFloat(const std::string& name, float v);
onnx::AttributeProto AttrString(const std::string& name, const std::string& v);
onnx::AttributeProto AttrInts(const std::string& name, const std::vector<int64_t>& v);
onnx::AttributeProto AttrFloats(const std::string& name, const std::vector<float>& v);
onnx::AttributeProto AttrTensor(const std::string& name, const Tensor& t);

// Builds a model whose graph inputs are the tensors in `feeds` (named), constants in
// `initializers`, the given nodes, and the given outputs (types left to shape inference).
std::string BuildModel(const std::vector<NodeSpec>& nodes, const std::vector<Tensor>& feeds,
                       const std::vector<Tensor>& initializers, const std::vector<std::string>& outputs,
                       int opset = 13, const std::vector<std::pair<std::string, int>>& extra_opsets = {});

// Runs a single op: inputs are fed as graph inputs named in0, in1... (an empty tensor with
// dtype kUndefined means "omitted"). Inputs listed in `const_inputs` become initializers.
StatusOr<std::vector<Tensor>> RunOp(const std::string& op_type, const std::vector<Tensor>& inputs,
                                    const std::vector<onnx::AttributeProto>& attrs, int num_outputs = 1,
                                    int opset = 13, const std::vector<int>& const_inputs = {},
                                    const std::vector<std::string>& backends = {});

template <typename T>
Tensor T_(Shape shape, std::vector<T> values) {
  return Tensor::FromVector<T>(std::move(shape), values).value();
}
template <typename T>
std::vector<T> ToVec(const Tensor& t) {
  return std::vector<T>(t.Data<T>(), t.Data<T>() + t.NumElements());
}

}  // namespace pl::test
