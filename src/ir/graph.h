// The graph IR: values (SSA edges) and nodes, as loaded from ONNX and rewritten by passes.
// A Graph is mutable while passes run, then frozen inside a CompiledModel (const from then on).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pl/kernel.h"
#include "pl/tensor.h"

namespace pl::ir {

struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;
  bool has_shape = false;               // rank known
  std::vector<int64_t> shape;           // -1 for unknown dims
  std::vector<std::string> dim_names;   // symbolic names ("" when none)
  bool is_sequence = false;             // ONNX sequence type (dtype: its elements')
  bool is_optional = false;             // ONNX optional type
  std::shared_ptr<const Tensor> constant;  // set for initializers / folded constants
  int producer = -1;                    // node index, -1 for graph inputs/constants/outer values
  bool is_graph_input = false;
  bool is_graph_output = false;
  bool is_outer = false;                // subgraph: captured from an enclosing scope
};

struct Node {
  std::string name, op_type, domain;
  int opset = 0;
  std::vector<int> inputs;   // value ids, -1 for an omitted optional input
  std::vector<int> outputs;  // value ids, -1 for an omitted optional output
  // Values of this graph that the node's subgraphs (If/Loop bodies, any depth) read by name:
  // dependencies for ordering, liveness and dead-node removal, like inputs.
  std::vector<int> implicit_inputs;
  AttributeMap attrs;
  bool removed = false;      // tombstone used by passes; Compact() drops these
};

class Graph {
 public:
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<int> inputs;   // graph inputs (without initializers), in model order
  std::vector<int> outputs;  // graph outputs, in model order
  std::map<std::string, int> opsets;  // domain -> version ("" for ai.onnx)

  int FindValue(const std::string& name) const;
  // Returns the id of `name`, creating an empty value if needed.
  int GetOrAddValue(const std::string& name);
  int AddValue(Value v);
  // Recomputes producers, drops removed nodes and orders nodes topologically.
  // Errors: a cycle, a value produced twice, a node input that nothing produces.
  Status Finalize();
  // Consumers of every value (node indices), computed on demand.
  std::vector<std::vector<int>> Consumers() const;
  size_t ConstantBytes() const;
  // What a kernel sees of node `n` at compile time (attributes point into this graph).
  NodeInfo MakeNodeInfo(const Node& n) const;

 private:
  std::unordered_map<std::string, int> by_name_;
};

}  // namespace pl::ir
