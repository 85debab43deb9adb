// ExecutionContext: one predictor's private run state over a shared CompiledModel: input and
// output tensors, the activation arena and its per-shape memory plans, per-node kernel state,
// kernel workspace. Never shared between predictors, so it needs no locks.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pl/predictor.h"
#include "src/runtime/compiled_model.h"

namespace pl {

class ExecutionContext {
 public:
  explicit ExecutionContext(std::shared_ptr<const CompiledModel> model);
  ~ExecutionContext();

  Tensor* input(size_t i) { return &inputs_[i]; }
  const Tensor& output(size_t i) const { return outputs_[i]; }
  int intra_op_threads() const { return intra_op_threads_; }
  void set_intra_op_threads(int n) { intra_op_threads_ = n < 1 ? 1 : n; }

  // Validates the inputs against the model signature, then runs every step.
  Status Run();
  MemoryStats Memory() const;
  void Shrink();
  void EnableProfiling(bool on) { profiling_ = on; }
  std::vector<Predictor::NodeTiming> LastProfile() const { return profile_; }

  // Used by the kernel context (see execution_context.cc).
  struct Frame;
  Status RunSubgraph(const ir::Graph& graph, const std::vector<const Tensor*>& inputs,
                     std::vector<Tensor>* outputs, Frame* parent);
  StatusOr<void*> Workspace(size_t bytes, int device = 0);

 private:
  friend class StepContext;
  struct ShapePlan {
    std::vector<size_t> bytes;       // per value, largest size seen
    std::vector<int64_t> offsets;    // per value, -1 = not in its arena
    std::vector<size_t> arena_bytes;  // per arena: [0] host, [k] CompiledModel::devices()[k - 1]
    bool valid = false;
  };
  // Memory on one device (index 0: the host): the activation arena and the kernel workspace.
  struct DeviceMemory {
    std::shared_ptr<void> arena;
    size_t arena_capacity = 0;
    std::shared_ptr<void> workspace;
    size_t workspace_capacity = 0;
  };
  StatusOr<std::shared_ptr<void>> AllocOn(int device, size_t bytes, const char* what, int site);
  Status ReserveArenas(const ShapePlan& plan);
  Status EnsureResources();
  DeviceResources* resources(int device) const {
    return device > 0 && device <= static_cast<int>(resources_.size()) ? resources_[device - 1].get() : nullptr;
  }
  Status RunCopy(const CompiledStep& step, Frame* frame, ShapePlan* plan, bool* overflow, int si);
  Status RunOnHost(const CompiledStep& step, const Kernel& kernel, std::unique_ptr<KernelState>* state, Frame* frame,
                   ShapePlan* plan, bool* overflow, int si);
  Status ValidateInputs(std::string* signature);
  Status RunSteps(const CompiledGraph& cg, Frame* frame, ShapePlan* plan, bool* overflow, size_t begin = 0,
                  size_t end = SIZE_MAX);
  // Config::SwitchCudaGraph: runs the main graph's capturable steps from a recording.
  Status RunCaptured(const CompiledGraph& cg, Frame* frame, ShapePlan* plan, bool* overflow, const std::string& sig,
                     bool* ran);
  static std::string InputSignature(const CompiledStep& step, const Frame& frame);
  void BuildPlan(const CompiledGraph& cg, ShapePlan* plan);
  static void FreeDead(const CompiledGraph& cg, Frame* frame, int si);
  std::vector<std::unique_ptr<KernelState>>& StatesFor(const CompiledGraph* cg);

  std::shared_ptr<const CompiledModel> model_;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> outputs_;
  std::unordered_map<const CompiledGraph*, std::vector<std::unique_ptr<KernelState>>> states_;
  std::unordered_map<std::string, ShapePlan> plans_;
  std::vector<DeviceMemory> mem_;  // [0] host, [k] device k
  std::vector<std::unique_ptr<DeviceResources>> resources_;  // per device of the model
  // Graph capture per input signature: the recording, the addresses it was made with (any
  // device arena or workspace reallocation makes it stale), and the values it leaves behind for
  // the copies after it.
  struct Captured {
    int planned_runs = 0;
    bool failed = false;
    std::shared_ptr<void> graph;
    uint64_t generation = 0;
    std::vector<std::pair<int, Tensor>> results;
  };
  std::unordered_map<std::string, Captured> captured_;
  uint64_t mem_generation_ = 1;  // bumped whenever device memory a recording may use moves
  int intra_op_threads_ = 1;
  size_t max_tensor_bytes_ = SIZE_MAX;  // Config::max_tensor_bytes, 0 resolved to physical memory
  size_t max_predictor_bytes_ = SIZE_MAX;  // Config::max_predictor_bytes, likewise
  size_t run_heap_bytes_ = 0;  // heap tensors allocated by the current Run (outside the arena)
  // ResourceExhausted when `more` bytes on top of what this predictor holds would pass its budget.
  Status CheckBudget(size_t more, const std::string& what) const;
  bool profiling_ = false;
  std::vector<Predictor::NodeTiming> profile_;
  // Run-time declines (a backend's kernel returned Unimplemented for an input signature): per
  // step, the signatures that go straight to its cpu_ref fallback, and that fallback's state.
  struct Declined {
    std::unordered_set<std::string> signatures;
    std::unique_ptr<KernelState> fallback_state;
  };
  std::unordered_map<const CompiledStep*, Declined> declined_;
  Status poisoned_;
};

}  // namespace pl
