// CompiledModel: everything built once from a model and shared, read-only, by a predictor and
// all of its clones: the optimized graph, weights, prepared kernels and the execution plan.
// Thread-safety: immutable after Compile(); every method is const and safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "pl/device.h"
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
  bool takes_sequences = false;          // ... and sequence / empty-optional values (KernelDef::Sequences)
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
  // Every cpu_ref fallback prepared for the node, with the dtypes it takes (empty: any) and the
  // input they are read from; several only when the input dtype was unknown at compile time.
  struct Fallback {
    std::shared_ptr<const Kernel> kernel;
    std::vector<DataType> types;
    int type_input = 0;
  };
  std::vector<Fallback> fallbacks;
  // Placement: 0 = the host, k = CompiledModel::devices()[k - 1].
  int device = 0;
  std::vector<int> host_inputs, metadata_inputs;  // from the KernelDef (device steps)
  // Copy steps the compiler inserted where a value crosses devices (no kernel): input 0 is moved
  // to this step's `device` (kToHost: to the host), or aliased when it is already there.
  enum class Copy { kNone, kToDevice, kToHost };
  Copy copy = Copy::kNone;
};

// What the executor knows of each value of a compiled graph: the graph's own values, then the
// values the compiler added (copies of a value on another device, weights uploaded to a device).
struct ValueMeta {
  std::string name;
  const Tensor* constant = nullptr;  // weights, on `device`
  bool is_graph_input = false, is_graph_output = false, is_outer = false;
  int producer = -1;  // step index; -1 for graph inputs, constants, outer values
  int device = 0;     // 0 = host, k = CompiledModel::devices()[k - 1]
};

struct CompiledGraph {
  std::shared_ptr<const ir::Graph> graph;
  std::vector<CompiledStep> steps;
  std::vector<ValueMeta> values;  // graph values first (same ids), then compiler-added ones
  // The graph's outputs as its caller receives them: on the host (a copy where the producer ran
  // on a device).
  std::vector<int> outputs;
  // Per graph input: the device index whose memory a caller may pass it in (its every reader
  // takes it there), 0 when it must be host memory.
  std::vector<int> input_device;
  // Per value: last step that reads it; steps.size() for graph outputs; -1 if never read.
  std::vector<int> last_use;
};

// A device a compiled model runs nodes on.
struct DevicePlacement {
  std::string backend;              // "cuda"
  const DeviceBackend* impl = nullptr;
  Device device;                    // cuda:0
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
  // Devices (other than the host) its steps run on; step.device k refers to devices()[k - 1].
  const std::vector<DevicePlacement>& devices() const { return devices_; }
  // Graph capture (Config::SwitchCudaGraph): the main graph's steps [begin, end) run on one
  // device and depend only on the inputs' shapes and device data: the input copies before them
  // and the output copies after them run on every replay. begin < 0 when capture does not apply;
  // capture_note() says why.
  int capture_begin() const { return capture_begin_; }
  int capture_end() const { return capture_end_; }
  const std::string& capture_note() const { return capture_note_; }
  // Bytes of weights uploaded to devices (once, shared by every clone).
  size_t DeviceSharedBytes() const { return device_shared_bytes_; }
  // Number of steps per backend (for logs and tests).
  std::unordered_map<std::string, int> BackendHistogram() const;

 private:
  CompiledModel() = default;
  Status CompileInto(std::shared_ptr<const ir::Graph> graph, CompiledGraph* out, bool top_level);
  // Inserts the copies where values cross devices; fills out->values/outputs/last_use.
  Status Place(CompiledGraph* out, std::vector<CompiledStep> node_steps, bool top_level);
  // The device index (1-based) for a backend's device, adding it on first use.
  StatusOr<int> DeviceIndex(const std::string& backend);
  // `host` uploaded to device `index`, cached for the model.
  StatusOr<const Tensor*> DeviceConstant(const Tensor* host, int index);
  Config config_;
  std::vector<std::string> backends_;
  std::unique_ptr<CompiledGraph> main_;
  std::unordered_map<const ir::Graph*, std::unique_ptr<CompiledGraph>> subgraphs_;
  std::vector<ValueInfo> inputs_, outputs_;
  std::vector<std::string> input_names_, output_names_;
  size_t shared_bytes_ = 0;
  size_t device_shared_bytes_ = 0;
  bool has_device_backend_ = false;  // some configured backend runs on a device
  void PlanCapture();
  int capture_begin_ = -1, capture_end_ = -1;
  std::string capture_note_;
  std::vector<DevicePlacement> devices_;
  std::map<std::pair<const Tensor*, int>, std::unique_ptr<Tensor>> device_constants_;
};

}  // namespace pl
