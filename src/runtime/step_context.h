// What a step runs in, shared by the executor's files (execution_context.cc: the step loop,
// memory plans; device_steps.cc: copies between devices, host fallbacks, graph capture).
#pragma once

#include <string>
#include <vector>

#include "src/runtime/execution_context.h"

namespace pl {

struct ExecutionContext::Frame {
  const CompiledGraph* graph = nullptr;
  std::vector<Tensor> values;
  Frame* parent = nullptr;
  std::vector<Tensor*> output_slots;  // top level: value id -> predictor output tensor
  // Finds a value visible from this frame by name (subgraphs read enclosing scopes).
  const Tensor* Lookup(const std::string& name) const {
    for (const Frame* f = this; f; f = f->parent) {
      int id = f->graph->graph->FindValue(name);
      if (id >= 0 && (!f->values[id].is_tensor() ||
                      ((f->values[id].RawData() != nullptr || f->values[id].NumElements() == 0) &&
                       f->values[id].dtype() != DataType::kUndefined)))
        return &f->values[id];
    }
    return nullptr;
  }
};

// The KernelContext a step sees. Lives on the stack of RunSteps.
class StepContext final : public KernelContext {
 public:
  StepContext(ExecutionContext* ec, ExecutionContext::Frame* frame, const CompiledStep* step,
              std::unique_ptr<KernelState>* state, int step_index,
              ExecutionContext::ShapePlan* plan, char* const* arenas, bool* overflow)
      : ec_(ec), frame_(frame), step_(step), state_(state), step_index_(step_index),
        plan_(plan), arenas_(arenas), overflow_(overflow) {}

  int NumInputs() const override { return static_cast<int>(step_->inputs.size()); }
  const Tensor* Input(int i) const override {
    if (i < 0 || i >= NumInputs() || step_->inputs[i] < 0) return nullptr;
    const Tensor& t = frame_->values[step_->inputs[i]];
    return &t;
  }
  int NumOutputs() const override { return static_cast<int>(step_->outputs.size()); }
  bool OutputRequested(int i) const override {
    return i >= 0 && i < NumOutputs() && step_->outputs[i] >= 0;
  }
  DataType OutputType(int i) const override {
    DataType d = i < static_cast<int>(step_->info.output_types.size()) ? step_->info.output_types[i] : DataType::kUndefined;
    if (d == DataType::kUndefined && NumInputs() > 0 && Input(0)) d = Input(0)->dtype();
    return d;
  }
  StatusOr<Tensor*> Output(int i, const Shape& shape, DataType dtype) override;
  Status SetOutput(int i, Tensor value) override;
  StatusOr<void*> Workspace(size_t bytes) override { return ec_->Workspace(bytes, step_->device); }
  void* backend_resources() const override { return ec_->resources(step_->device); }
  std::unique_ptr<KernelState>& state() override { return *state_; }
  int intra_op_threads() const override { return ec_->intra_op_threads_; }
  const NodeInfo& node() const override { return step_->info; }
  Status RunSubgraph(const ir::Graph& graph, const std::vector<const Tensor*>& inputs,
                     std::vector<Tensor>* outputs) override {
    return ec_->RunSubgraph(graph, inputs, outputs, frame_);
  }
  int64_t max_loop_iterations() const override { return ec_->model_->config().max_loop_iterations(); }
  bool profiling() const override { return sub_profile_ != nullptr; }
  void AddProfile(const std::string& name, const std::string& op, double ms, double flops) override {
    if (sub_profile_) sub_profile_->push_back({name, op, step_->backend, ms, step_->info.name, flops / 1e9});
  }
  // Where a profiled top-level step's kernel reports its primitives.
  void CollectProfile(std::vector<Predictor::NodeTiming>* sub) { sub_profile_ = sub; }

 private:
  std::vector<Predictor::NodeTiming>* sub_profile_ = nullptr;
  ExecutionContext* ec_;
  ExecutionContext::Frame* frame_;
  const CompiledStep* step_;
  std::unique_ptr<KernelState>* state_;
  int step_index_;
  ExecutionContext::ShapePlan* plan_;
  char* const* arenas_;  // per device index; null entries when no plan is valid
  bool* overflow_;
  Tensor discard_;  // omitted optional outputs a kernel still writes
};

}  // namespace pl
