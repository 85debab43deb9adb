// CompiledModel: everything built once from a model and shared, read-only, by a predictor and
// all of its clones: the optimized graph, weights, prepared kernels and the execution plan.
// Thread-safety: immutable after Compile(); every method is const and safe from any thread.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pl/op_registry.h"
#include "pl/predictor.h"
#include "src/ir/graph.h"

namespace pl {

struct CompiledStep {
  int node_index = 0;
  NodeInfo info;                         // attributes point into the (immutable) graph
  std::shared_ptr<const Kernel> kernel;  // prepared once, shared by clones
  std::string backend;
  std::vector<int> inputs, outputs;      // value ids (-1 = omitted)
  int type_input = 0;                    // input whose dtype the kernel was chosen for
  std::vector<DataType> accepted_types;  // empty = any fixed-size dtype
  bool takes_strings = false;            // the kernel handles string tensors (KernelDef::Strings)
  // Where the input dtype was unknown at compile time (a value read from an enclosing scope of a
  // nested subgraph), the same backend's kernels for the other dtypes, picked at run time.
  struct Alternative {
    std::shared_ptr<const Kernel> kernel;
    std::vector<DataType> types;
  };
  std::vector<Alternative> alternatives;
  // A cpu_ref kernel for the same node where another backend was chosen: run when that backend
  // declines a shape only seen at run time (Compute returns Unimplemented), so a run never fails
  // because one backend declined.
  std::shared_ptr<const Kernel> fallback;
};

struct CompiledGraph {
  std::shared_ptr<const ir::Graph> graph;
  std::vector<CompiledStep> steps;
  // Per value: last step that reads it; steps.size() for graph outputs; -1 if never read.
  std::vector<int> last_use;
};

class CompiledModel {
 public:
  // Loads, checks, optimizes and compiles. Errors name the file, op and node at fault.
  static StatusOr<std::shared_ptr<const CompiledModel>> Compile(const Config& config);
  // Compiles an already-loaded graph (tests, model builders).
  static StatusOr<std::shared_ptr<const CompiledModel>> CompileGraph(std::unique_ptr<ir::Graph> graph,
                                                                     const Config& config);

  const Config& config() const { return config_; }
  const CompiledGraph& main() const { return *main_; }
  // The compiled form of a subgraph attribute (If/Loop bodies); nullptr if unknown.
  const CompiledGraph* Subgraph(const ir::Graph* g) const;
  const std::vector<ValueInfo>& inputs() const { return inputs_; }
  const std::vector<ValueInfo>& outputs() const { return outputs_; }
  const std::vector<std::string>& input_names() const { return input_names_; }
  const std::vector<std::string>& output_names() const { return output_names_; }
  // Weights + prepared kernel data: what every clone shares.
  size_t SharedBytes() const { return shared_bytes_; }
  // Number of steps per backend (for logs and tests).
  std::unordered_map<std::string, int> BackendHistogram() const;

 private:
  CompiledModel() = default;
  Status CompileInto(std::shared_ptr<const ir::Graph> graph, CompiledGraph* out);
  Config config_;
  std::vector<std::string> backends_;
  std::unique_ptr<CompiledGraph> main_;
  std::unordered_map<const ir::Graph*, std::unique_ptr<CompiledGraph>> subgraphs_;
  std::vector<ValueInfo> inputs_, outputs_;
  std::vector<std::string> input_names_, output_names_;
  size_t shared_bytes_ = 0;
};

}  // namespace pl
