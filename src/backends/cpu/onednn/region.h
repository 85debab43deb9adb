// Region: a DAG of oneDNN Ops run as one kernel, so intermediate values may stay in whatever
// blocked layout the primitives prefer; reorders happen only where a consumer wants another
// layout and at the region's edges (its inputs and outputs are plain tensors).
//
// Built once at compile time (Ops prepare their weights then) and shared by every clone. Per
// predictor and input-shape signature (and thread count) it plans: primitives, layouts, a
// workspace layout for intermediates + the user scratchpad, all cached in the node's state slot.
// Intermediates and scratchpads live in the predictor's workspace (ctx.Workspace), never in `this`.
// Planning also fuses what only concrete shapes can justify: a binary op (a residual add whose
// operand's shape the graph passes could not prove equal, say) whose input is the only output
// of a conv / matmul / binary / element-wise node becomes that node's binary post-op, the node
// waiting, if needed, until the other operand is computed. Whatever oneDNN refuses is planned
// unfused (the planner snapshots and rolls back).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "src/backends/cpu/onednn/op.h"
#include "src/ir/graph.h"

namespace pl::onednn {

class Region {
 public:
  // A region subgraph: its graph inputs are the kernel's inputs, its outputs the kernel's outputs.
  // `node` is the region's own node: its name and the model's backend options.
  static StatusOr<std::unique_ptr<Region>> FromGraph(std::shared_ptr<const ir::Graph> graph, const NodeInfo& node);
  // A single node (the standalone kernels).
  static StatusOr<std::unique_ptr<Region>> FromNode(const NodeInfo& node);

  // Plans (once per shape signature) and runs. Thread-safe: state lives in ctx.
  Status Run(KernelContext& ctx) const;
  size_t SharedBytes() const;
  int num_nodes() const { return static_cast<int>(nodes_.size()); }

  struct Node {
    NodeInfo info;
    std::unique_ptr<Op> op;
    std::vector<int> inputs, outputs;  // region value ids, -1 = omitted
  };
  struct Value {
    std::string name;
    const Tensor* constant = nullptr;
    int input_index = -1;   // kernel input
    int output_index = -1;  // kernel output
    int producer = -1;
    int num_consumers = 0;
    std::vector<int64_t> static_shape;  // from ONNX shape inference, -1 = unknown; empty: rank unknown
  };

 private:
  friend class Planner;
  std::string name_;
  std::shared_ptr<const ir::Graph> graph_;  // keeps attributes and constants alive
  std::vector<Node> nodes_;
  std::vector<Value> values_;
  int num_inputs_ = 0, num_outputs_ = 0;
  DwFusion dw_fusion_ = DwFusion::kAuto;  // "onednn.dw_fusion"
};

}  // namespace pl::onednn
