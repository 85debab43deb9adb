// The kernel contract, shared by built-in backends and user kernels (see op_registry.h).
//
// Lifecycle:
//  * Init(node)   once, when the model is compiled: read attributes, validate them, transform
//                 constant inputs (weights) into the backend's preferred layout. The kernel is
//                 immutable afterwards and shared by every clone of the predictor.
//  * Compute(ctx) const, per run, concurrently from many predictors. Shape-dependent objects
//                 (primitives, plans) go in the predictor's per-node state slot (ctx.state()),
//                 never in `this`. No locks; allocate outputs through ctx.Output().
// Errors: return a Status; never throw, never abort on bad input.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pl/status.h"
#include "pl/tensor.h"

namespace pl {

namespace ir { class Graph; }

// One ONNX attribute value.
struct Attribute {
  enum class Type { kUndefined, kFloat, kInt, kString, kTensor, kGraph, kFloats, kInts, kStrings };
  Type type = Type::kUndefined;
  float f = 0.f;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
  std::shared_ptr<const Tensor> t;
  std::shared_ptr<const ir::Graph> g;  // subgraph (If/Loop bodies)
};
using AttributeMap = std::map<std::string, Attribute>;

// What a kernel sees of its node when it is created (compile time).
class NodeInfo {
 public:
  std::string name, op_type, domain;
  int opset = 0;                             // opset of the node's domain in this model
  std::vector<bool> input_present;           // false for omitted optional inputs ("")
  std::vector<DataType> input_types;         // kUndefined where unknown at compile time
  std::vector<const Tensor*> constant_inputs;  // weights/constants, nullptr for run-time values
  std::vector<bool> output_present;
  std::vector<DataType> output_types;
  const AttributeMap* attributes = nullptr;
  // The model's backend options (Config::SetBackendOption); nullptr where there are none.
  const std::map<std::string, std::string>* options = nullptr;
  Device device;

  int num_inputs() const { return static_cast<int>(input_present.size()); }
  int num_outputs() const { return static_cast<int>(output_present.size()); }
  bool HasInput(int i) const { return i >= 0 && i < num_inputs() && input_present[i]; }
  DataType InputType(int i) const { return i < num_inputs() ? input_types[i] : DataType::kUndefined; }
  const Tensor* ConstantInput(int i) const { return i < num_inputs() ? constant_inputs[i] : nullptr; }
  bool HasAttr(const std::string& n) const { return attributes && attributes->count(n) > 0; }
  const Attribute* FindAttr(const std::string& n) const;

  // Typed attribute with a default. T: float, int64_t, int, bool, std::string,
  // std::vector<int64_t>, std::vector<float>, std::vector<std::string>.
  template <typename T> T Attr(const std::string& n, T default_value) const;
  // Typed attribute that must exist and have the right type.
  template <typename T> StatusOr<T> RequiredAttr(const std::string& n) const;
  // A backend option ("onednn.dw_fusion"), or `default_value` when it is not set.
  std::string Option(const std::string& key, const std::string& default_value = "") const {
    if (options) {
      auto it = options->find(key);
      if (it != options->end()) return it->second;
    }
    return default_value;
  }
  // "Conv node 'conv2_1'" — the prefix for every error about this node.
  std::string Describe() const { return op_type + " node '" + name + "'"; }
};

// Opaque per-predictor, per-node state (cached primitives, shape plans).
class KernelState {
 public:
  virtual ~KernelState() = default;
};

// What a kernel sees of one run. Implemented by the executor.
class KernelContext {
 public:
  virtual ~KernelContext() = default;
  virtual int NumInputs() const = 0;
  // nullptr for an omitted optional input.
  virtual const Tensor* Input(int i) const = 0;
  virtual int NumOutputs() const = 0;
  // False for an omitted optional output: the kernel may skip computing it.
  virtual bool OutputRequested(int i) const = 0;
  // Memory for output i (placed by the memory planner). Errors: bad shape, out of memory.
  virtual StatusOr<Tensor*> Output(int i, const Shape& shape, DataType dtype) = 0;
  // Same, with the output's declared dtype (or input 0's dtype if not declared).
  StatusOr<Tensor*> Output(int i, const Shape& shape) { return Output(i, shape, OutputType(i)); }
  virtual DataType OutputType(int i) const = 0;
  // Output i is `value` itself: a sequence or an empty optional (Tensor::Sequence / None), or a
  // tensor in owned memory. For the Sequence* / Optional* kernels (KernelDef::Sequences()).
  virtual Status SetOutput(int i, Tensor value) {
    (void)i; (void)value;
    return Status::Unimplemented("SetOutput is not supported by this context");
  }
  // The predictor's scratch memory for this call (not preserved between calls).
  virtual StatusOr<void*> Workspace(size_t bytes) = 0;
  // This predictor's state slot for this node.
  virtual std::unique_ptr<KernelState>& state() = 0;
  virtual int intra_op_threads() const = 0;
  virtual const NodeInfo& node() const = 0;
  // Backend-specific per-predictor resources (CUDA stream/handles); nullptr on CPU.
  virtual void* backend_resources() const { return nullptr; }
  // For control-flow kernels: runs a subgraph on this predictor. Implemented by the executor.
  virtual Status RunSubgraph(const ir::Graph& graph, const std::vector<const Tensor*>& inputs,
                             std::vector<Tensor>* outputs) {
    (void)graph; (void)inputs; (void)outputs;
    return Status::Unimplemented("subgraphs are not supported by this context");
  }
  virtual int64_t max_loop_iterations() const { return 1 << 20; }
  // Profiling (Predictor::EnableProfiling): a kernel that runs several primitives (a oneDNN
  // region) may report each one; they appear in LastProfile() after this node's own entry, with
  // `parent` = this node. `flops` = 0 where the work is not counted.
  virtual bool profiling() const { return false; }
  virtual void AddProfile(const std::string& name, const std::string& op, double ms, double flops) {
    (void)name; (void)op; (void)ms; (void)flops;
  }
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status Init(const NodeInfo& node) { (void)node; return Status::Ok(); }
  virtual Status Compute(KernelContext& ctx) const = 0;
  // Bytes of prepared weights this kernel holds (shared by all clones), for memory reports.
  virtual size_t SharedBytes() const { return 0; }
};

// ----- template implementations -----
namespace detail {
Status AttrTypeError(const NodeInfo& n, const std::string& attr, const char* want);
bool AttrGet(const Attribute& a, float* out);
bool AttrGet(const Attribute& a, int64_t* out);
bool AttrGet(const Attribute& a, int* out);
bool AttrGet(const Attribute& a, bool* out);
bool AttrGet(const Attribute& a, std::string* out);
bool AttrGet(const Attribute& a, std::vector<int64_t>* out);
bool AttrGet(const Attribute& a, std::vector<float>* out);
bool AttrGet(const Attribute& a, std::vector<std::string>* out);
template <typename T> const char* AttrTypeName();
}  // namespace detail

template <typename T>
T NodeInfo::Attr(const std::string& n, T default_value) const {
  const Attribute* a = FindAttr(n);
  T v;
  if (a && detail::AttrGet(*a, &v)) return v;
  return default_value;
}

template <typename T>
StatusOr<T> NodeInfo::RequiredAttr(const std::string& n) const {
  const Attribute* a = FindAttr(n);
  if (!a) return Status::ModelError(Describe() + ": required attribute '" + n + "' is missing");
  T v;
  if (!detail::AttrGet(*a, &v)) return detail::AttrTypeError(*this, n, detail::AttrTypeName<T>());
  return v;
}

}  // namespace pl
