// The executor's device side (docs/devices.md): compiler-inserted copies between devices, host
// fallbacks for device steps a kernel declined, and graph capture/replay.
#include <algorithm>
#include <new>
#include <stdexcept>

#include "src/runtime/step_context.h"

namespace pl {

// A compiler-inserted copy: the value moves to the step's device (or the host), or is aliased
// when it is already there (values whose place is only known at run time).
Status ExecutionContext::RunCopy(const CompiledStep& step, Frame* frame, ShapePlan* plan, bool* overflow, int si) {
  const Tensor& src = frame->values[step.inputs[0]];
  const auto& devs = model_->devices();
  const Device want = step.device == 0 ? Device::Cpu() : devs[step.device - 1].device;
  Tensor& dst_slot = frame->values[step.outputs[0]];
  if (src.device() == want || src.dtype() == DataType::kUndefined) {
    dst_slot = src;
    return Status::Ok();
  }
  if (src.dtype() == DataType::kString)
    return Status::Unimplemented("value '" + src.name() + "' is a string tensor, which cannot move to a device");
  char* arenas[16] = {};
  char* const* arena_ptrs = nullptr;
  if (plan && plan->valid && mem_.size() <= 16) {
    for (size_t d = 0; d < mem_.size(); ++d) arenas[d] = static_cast<char*>(mem_[d].arena.get());
    arena_ptrs = arenas;
  }
  std::unique_ptr<KernelState> no_state;
  StepContext ctx(this, frame, &step, &no_state, si, plan, arena_ptrs, overflow);
  PL_ASSIGN_OR_RETURN(Tensor* dst, ctx.Output(0, src.shape(), src.dtype()));
  const size_t bytes = src.ByteSize();
  if (bytes == 0) return Status::Ok();
  // The device side of the copy: its index in the model (for this predictor's stream), if any.
  auto index_of = [&](const Device& d) {
    for (size_t k = 0; k < devs.size(); ++k)
      if (devs[k].device == d) return static_cast<int>(k) + 1;
    return 0;
  };
  if (want.is_host()) {
    const DeviceBackend* b = FindDeviceBackend(src.device().type);
    if (!b) return Status::Internal("value '" + src.name() + "' is on a device no backend owns");
    return b->CopyToHost(src.device().id, dst->RawMutableData(), src.RawData(), bytes, resources(index_of(src.device())))
        .WithContext("copying '" + src.name() + "' to the host");
  }
  const DevicePlacement& d = devs[step.device - 1];
  if (src.device().is_host())
    return d.impl->CopyToDevice(d.device.id, dst->RawMutableData(), src.RawData(), bytes, resources(step.device))
        .WithContext("copying '" + src.name() + "' to " + d.backend);
  // Another device: through the host.
  PL_ASSIGN_OR_RETURN(Tensor staged, src.Clone());
  return d.impl->CopyToDevice(d.device.id, dst->RawMutableData(), staged.RawData(), bytes, resources(step.device))
      .WithContext("copying '" + src.name() + "' to " + d.backend);
}

namespace {
// What a host kernel sees when it runs a device step's node (the device kernel declined the
// shape): host copies of the inputs, host outputs that the caller then moves to the device.
class HostFallbackContext final : public KernelContext {
 public:
  HostFallbackContext(KernelContext& real, ExecutionContext* ec, std::vector<Tensor> inputs, std::unique_ptr<KernelState>* state)
      : real_(real), ec_(ec), inputs_(std::move(inputs)), outputs_(real.NumOutputs()), state_(state) {}
  int NumInputs() const override { return real_.NumInputs(); }
  const Tensor* Input(int i) const override {
    return i >= 0 && i < static_cast<int>(inputs_.size()) && real_.Input(i) ? &inputs_[i] : nullptr;
  }
  int NumOutputs() const override { return real_.NumOutputs(); }
  bool OutputRequested(int i) const override { return real_.OutputRequested(i); }
  StatusOr<Tensor*> Output(int i, const Shape& shape, DataType dtype) override {
    if (i < 0 || i >= NumOutputs()) return Status::Internal(real_.node().Describe() + ": bad output index");
    PL_RETURN_IF_ERROR(outputs_[i].Reshape(shape));
    PL_RETURN_IF_ERROR(outputs_[i].Allocate(dtype));
    return &outputs_[i];
  }
  DataType OutputType(int i) const override { return real_.OutputType(i); }
  StatusOr<void*> Workspace(size_t bytes) override { return ec_->Workspace(bytes, 0); }
  std::unique_ptr<KernelState>& state() override { return *state_; }
  int intra_op_threads() const override { return real_.intra_op_threads(); }
  const NodeInfo& node() const override { return real_.node(); }
  Status RunSubgraph(const ir::Graph& graph, const std::vector<const Tensor*>& inputs,
                     std::vector<Tensor>* outputs) override {
    return real_.RunSubgraph(graph, inputs, outputs);
  }
  int64_t max_loop_iterations() const override { return real_.max_loop_iterations(); }
  std::vector<Tensor>& outputs() { return outputs_; }

 private:
  KernelContext& real_;
  ExecutionContext* ec_;
  std::vector<Tensor> inputs_;
  std::vector<Tensor> outputs_;
  std::unique_ptr<KernelState>* state_;
};
}  // namespace

// Runs a host kernel for a step placed on a device: inputs come to the host, outputs go back.
Status ExecutionContext::RunOnHost(const CompiledStep& step, const Kernel& kernel, std::unique_ptr<KernelState>* state,
                                   Frame* frame, ShapePlan* plan, bool* overflow, int si) {
  const DevicePlacement& d = model_->devices()[step.device - 1];
  DeviceResources* res = resources(step.device);
  PL_RETURN_IF_ERROR(d.impl->Synchronize(res));
  std::vector<Tensor> host(step.inputs.size());
  for (size_t k = 0; k < step.inputs.size(); ++k) {
    if (step.inputs[k] < 0) continue;
    const Tensor& t = frame->values[step.inputs[k]];
    if (t.device().is_host()) {
      host[k] = t;
    } else {
      PL_ASSIGN_OR_RETURN(host[k], t.Clone());
    }
  }
  char* arenas[16] = {};
  char* const* arena_ptrs = nullptr;
  if (plan && plan->valid && mem_.size() <= 16) {
    for (size_t m = 0; m < mem_.size(); ++m) arenas[m] = static_cast<char*>(mem_[m].arena.get());
    arena_ptrs = arenas;
  }
  std::unique_ptr<KernelState> unused;
  StepContext real(this, frame, &step, &unused, si, plan, arena_ptrs, overflow);
  HostFallbackContext hctx(real, this, std::move(host), state);
  Status s;
  try {
    s = kernel.Compute(hctx);
  } catch (const std::bad_alloc&) {
    s = Status::OutOfMemory(step.info.Describe() + ": allocation failed (cpu_ref fallback kernel)");
  } catch (const std::exception& e) {
    s = Status::Internal(step.info.Describe() + ": cpu_ref fallback kernel threw: " + e.what());
  }
  PL_RETURN_IF_ERROR(s);
  for (int k = 0; k < static_cast<int>(step.outputs.size()); ++k) {
    Tensor& h = hctx.outputs()[k];
    if (step.outputs[k] < 0 || h.dtype() == DataType::kUndefined) continue;
    PL_ASSIGN_OR_RETURN(Tensor* out, real.Output(k, h.shape(), h.dtype()));
    if (h.ByteSize() > 0)
      PL_RETURN_IF_ERROR(d.impl->CopyToDevice(d.device.id, out->RawMutableData(), h.RawData(), h.ByteSize(), res));
  }
  return Status::Ok();
}

Status ExecutionContext::RunCaptured(const CompiledGraph& cg, Frame* frame, ShapePlan* plan, bool* overflow,
                                     const std::string& sig, bool* ran) {
  *ran = false;
  for (const Tensor& t : inputs_)
    if (!t.device().is_host()) return Status::Ok();  // a caller's device pointer may change between runs
  Captured& c = captured_[sig];
  if (c.failed) return Status::Ok();
  const size_t b = static_cast<size_t>(model_->capture_begin()), e = static_cast<size_t>(model_->capture_end());
  const DevicePlacement& d = model_->devices()[0];
  DeviceResources* res = resources(1);
  if (c.graph && c.generation == mem_generation_) {
    PL_RETURN_IF_ERROR(RunSteps(cg, frame, plan, overflow, 0, b));
    PL_RETURN_IF_ERROR(d.impl->Replay(c.graph.get(), res));
    for (const auto& [v, t] : c.results) frame->values[v] = t;
    PL_RETURN_IF_ERROR(RunSteps(cg, frame, plan, overflow, e, cg.steps.size()));
    *ran = true;
    return Status::Ok();
  }
  // Record on the second planned run of a signature (the first one settles workspaces and
  // per-node state: algorithm searches, descriptors).
  if (++c.planned_runs < 2) return Status::Ok();
  PL_RETURN_IF_ERROR(RunSteps(cg, frame, plan, overflow, 0, b));
  const uint64_t generation = mem_generation_;
  Status s = d.impl->BeginCapture(res);
  if (s.ok()) {
    s = RunSteps(cg, frame, plan, overflow, b, e);
    auto g = d.impl->EndCapture(res);
    if (s.ok() && !g.ok()) s = g.status();
    if (s.ok() && (*overflow || generation != mem_generation_)) s = Status::Unimplemented("memory moved while recording");
    if (s.ok()) {
      c.graph = std::move(g).value();
      c.generation = generation;
      c.results.clear();
      for (size_t i = e; i < cg.steps.size(); ++i)
        for (int in : cg.steps[i].inputs)
          if (in >= 0) c.results.emplace_back(in, frame->values[in]);
      PL_RETURN_IF_ERROR(d.impl->Replay(c.graph.get(), res));
      PL_RETURN_IF_ERROR(RunSteps(cg, frame, plan, overflow, e, cg.steps.size()));
      *ran = true;
      return Status::Ok();
    }
  }
  // Not capturable for this signature (a kernel synchronized, allocated or fell back): the
  // recorded work never ran, so run the steps normally, now and from now on.
  c.failed = true;
  c.graph.reset();
  PL_RETURN_IF_ERROR(RunSteps(cg, frame, plan, overflow, b, cg.steps.size()));
  *ran = true;
  return Status::Ok();
}

}  // namespace pl
