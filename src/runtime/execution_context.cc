#include "src/runtime/execution_context.h"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <new>
#include <stdexcept>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "src/core/alloc.h"
#include "src/plan/memory_planner.h"

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
      if (id >= 0 && (f->values[id].RawData() != nullptr || f->values[id].NumElements() == 0) &&
          f->values[id].dtype() != DataType::kUndefined)
        return &f->values[id];
    }
    return nullptr;
  }
};

namespace {
constexpr size_t kMaxPlans = 64;

StatusOr<std::shared_ptr<void>> AllocBytes(size_t bytes, const char* what, fault_injection::Site site) {
  std::shared_ptr<void> p = internal::AlignedBuffer(bytes, site);
  if (!p) return Status::OutOfMemory(std::string("cannot allocate ") + std::to_string(bytes) + " bytes for " + what);
  return p;
}
}  // namespace

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

StatusOr<Tensor*> StepContext::Output(int i, const Shape& shape, DataType dtype) {
  if (i < 0 || i >= NumOutputs())
    return Status::Internal(step_->info.Describe() + ": kernel asked for output " + std::to_string(i) +
                            " of " + std::to_string(NumOutputs()));
  if (DataTypeSize(dtype) == 0 && dtype != DataType::kString)
    return Status::Unimplemented(step_->info.Describe() + ": output dtype " + DataTypeName(dtype) + " is not supported");
  for (int64_t d : shape)
    if (d < 0) return Status::InvalidArgument(step_->info.Describe() + ": computed a negative output dim " + ShapeToString(shape));
  if (ShapeNumElements(shape) < 0)
    return Status::InvalidArgument(step_->info.Describe() + ": output shape " + ShapeToString(shape) + " overflows");
  const int v = step_->outputs[i];
  const int dev = step_->device;
  if (v < 0 && dev == 0) {
    PL_RETURN_IF_ERROR(discard_.Reshape(shape));
    PL_RETURN_IF_ERROR(discard_.Allocate(dtype));
    return &discard_;
  }
  if (dev != 0 && dtype == DataType::kString)
    return Status::Unimplemented(step_->info.Describe() + ": string tensors cannot live on a device");
  Tensor& t = v < 0 ? discard_ : frame_->values[v];
  static const ValueMeta kDiscarded{"(omitted output)"};
  const ValueMeta& meta = v < 0 ? kDiscarded : frame_->graph->values[v];
  if (ShapeNumElements(shape) > std::numeric_limits<int64_t>::max() / 16)
    return Status::ResourceExhausted(step_->info.Describe() + ": output '" + meta.name + "' " + ShapeToString(shape) +
                                     " is too large to allocate");
  const size_t bytes = static_cast<size_t>(ShapeNumElements(shape)) * DataTypeSize(dtype);
  if (bytes > ec_->max_tensor_bytes_)
    return Status::ResourceExhausted(step_->info.Describe() + ": output '" + meta.name + "' " + ShapeToString(shape) +
                                     " needs " + std::to_string(bytes) + " bytes, over the limit of " +
                                     std::to_string(ec_->max_tensor_bytes_) + " (Config::SetMaxTensorBytes)");
  const auto budget = [&] {
    return ec_->CheckBudget(bytes, step_->info.Describe() + ": output '" + meta.name + "' " + ShapeToString(shape));
  };
  if (Tensor* slot = frame_->output_slots.empty() || v < 0 || dev != 0 ? nullptr : frame_->output_slots[v]) {
    if (bytes > slot->ByteSize()) PL_RETURN_IF_ERROR(budget());
    // A graph output: written straight into the predictor's output tensor (buffer reused).
    PL_RETURN_IF_ERROR(slot->Reshape(shape));
    PL_RETURN_IF_ERROR(slot->Allocate(dtype).WithContext(step_->info.Describe()));
    t = *slot;
    return &t;
  }
  const Device device = dev == 0 ? Device::Cpu() : ec_->model_->devices()[dev - 1].device;
  if (plan_ && bytes > 0 && v >= 0) {
    const size_t planned = plan_->bytes[v];
    char* arena = arenas_ ? arenas_[dev] : nullptr;
    const bool in_arena = plan_->valid && arena != nullptr && plan_->offsets[v] >= 0;
    if (bytes > planned) plan_->bytes[v] = bytes;
    if (in_arena && bytes <= planned) {
      t = Tensor::Wrap(dtype, shape, arena + plan_->offsets[v], device, meta.name);
      return &t;
    }
    if (plan_->valid) *overflow_ = true;  // a size the plan has not seen: re-plan after this run
  }
  if (dev != 0) {
    // Device heap tensor (recording run, data-dependent size, subgraph value).
    PL_ASSIGN_OR_RETURN(std::shared_ptr<void> mem, ec_->AllocOn(dev, bytes, "device tensor", -1));
    t = Tensor::FromBuffer(dtype, shape, std::move(mem), bytes, device, meta.name);
    return &t;
  }
  // Heap tensor (recording run, data-dependent size, or subgraph value).
  PL_RETURN_IF_ERROR(budget());
  ec_->run_heap_bytes_ += bytes;
  t = Tensor();
  t.set_name(meta.name);
  PL_RETURN_IF_ERROR(t.Reshape(shape));
  Status s = t.Allocate(dtype);
  if (!s.ok()) return s.WithContext(step_->info.Describe());
  return &t;
}

ExecutionContext::ExecutionContext(std::shared_ptr<const CompiledModel> model) : model_(std::move(model)) {
  for (const auto& vi : model_->inputs()) {
    Tensor t;
    t.set_name(vi.name);
    inputs_.push_back(std::move(t));
  }
  for (const auto& vi : model_->outputs()) {
    Tensor t;
    t.set_name(vi.name);
    outputs_.push_back(std::move(t));
  }
  intra_op_threads_ = model_->config().intra_op_threads();
  max_tensor_bytes_ = static_cast<size_t>(model_->config().max_tensor_bytes());
  if (max_tensor_bytes_ == 0) {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    max_tensor_bytes_ = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : SIZE_MAX;
  }
  max_predictor_bytes_ = static_cast<size_t>(model_->config().max_predictor_bytes());
  if (max_predictor_bytes_ == 0) {
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    max_predictor_bytes_ = pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : SIZE_MAX;
  }
  mem_.resize(model_->devices().size() + 1);
}

Status ExecutionContext::CheckBudget(size_t more, const std::string& what) const {
  size_t held = mem_[0].arena_capacity + mem_[0].workspace_capacity + run_heap_bytes_;
  for (const auto& t : outputs_)
    if (t.owns_data()) held += t.ByteSize();
  if (more > max_predictor_bytes_ || held > max_predictor_bytes_ - more)
    return Status::ResourceExhausted(what + " needs " + std::to_string(more) + " bytes; this predictor holds " +
                                     std::to_string(held) + " and its budget is " +
                                     std::to_string(max_predictor_bytes_) + " (Config::SetMaxPredictorBytes)");
  return Status::Ok();
}

ExecutionContext::~ExecutionContext() {
  // Work still queued on a device must finish before its memory goes.
  for (auto& r : resources_)
    if (r) (void)model_->devices()[&r - resources_.data()].impl->Synchronize(r.get());
}

StatusOr<std::shared_ptr<void>> ExecutionContext::AllocOn(int device, size_t bytes, const char* what, int site) {
  if (device == 0) return AllocBytes(bytes, what, static_cast<fault_injection::Site>(site));
  const DevicePlacement& d = model_->devices()[device - 1];
  return d.impl->Allocate(d.device.id, bytes);
}

StatusOr<void*> ExecutionContext::Workspace(size_t bytes, int device) {
  DeviceMemory& m = mem_[device];
  if (bytes > m.workspace_capacity) {
    if (device == 0) PL_RETURN_IF_ERROR(CheckBudget(bytes - m.workspace_capacity, "kernel workspace"));
    // The old workspace may still be read by queued device work: let that finish first.
    if (device > 0 && m.workspace) PL_RETURN_IF_ERROR(model_->devices()[device - 1].impl->Synchronize(resources(device)));
    if (device > 0) ++mem_generation_;
    m.workspace.reset();
    m.workspace_capacity = 0;
    PL_ASSIGN_OR_RETURN(m.workspace, AllocOn(device, bytes, "kernel workspace", static_cast<int>(fault_injection::Site::kWorkspace)));
    m.workspace_capacity = bytes;
  }
  return m.workspace.get();
}

Status ExecutionContext::ReserveArenas(const ShapePlan& plan) {
  for (size_t d = 0; d < plan.arena_bytes.size() && d < mem_.size(); ++d) {
    DeviceMemory& m = mem_[d];
    if (plan.arena_bytes[d] <= m.arena_capacity) continue;
    if (d == 0) PL_RETURN_IF_ERROR(CheckBudget(plan.arena_bytes[d] - m.arena_capacity, "activation arena"));
    if (d > 0 && m.arena) PL_RETURN_IF_ERROR(model_->devices()[d - 1].impl->Synchronize(resources(static_cast<int>(d))));
    ++mem_generation_;  // host too: the recording's input copies land in the device arena, read from host values
    m.arena.reset();
    m.arena_capacity = 0;
    PL_ASSIGN_OR_RETURN(m.arena, AllocOn(static_cast<int>(d), plan.arena_bytes[d], "activation arena",
                                         static_cast<int>(fault_injection::Site::kArena)));
    m.arena_capacity = plan.arena_bytes[d];
  }
  return Status::Ok();
}

Status ExecutionContext::EnsureResources() {
  const auto& devs = model_->devices();
  if (resources_.size() == devs.size()) return Status::Ok();
  resources_.resize(devs.size());
  for (size_t i = 0; i < devs.size(); ++i) {
    if (resources_[i]) continue;
    auto r = devs[i].impl->CreateResources(devs[i].device.id);
    if (!r.ok()) {
      resources_.clear();
      return r.status().WithContext("creating this predictor's " + devs[i].backend + " resources");
    }
    resources_[i] = std::move(r).value();
    resources_[i]->set_device_id(devs[i].device.id);
  }
  return Status::Ok();
}

std::vector<std::unique_ptr<KernelState>>& ExecutionContext::StatesFor(const CompiledGraph* cg) {
  auto& v = states_[cg];
  if (v.size() != cg->steps.size()) v.resize(cg->steps.size());
  return v;
}

Status ExecutionContext::ValidateInputs(std::string* signature) {
  std::map<std::string, int64_t> symbols;
  signature->clear();
  for (size_t i = 0; i < inputs_.size(); ++i) {
    const ValueInfo& vi = model_->inputs()[i];
    const Tensor& t = inputs_[i];
    const std::string what = "input '" + vi.name + "'";
    if (t.dtype() == DataType::kUndefined || (t.RawData() == nullptr && t.NumElements() != 0))
      return Status::InvalidArgument(what + " was not set: Reshape it and CopyFromCpu (or ShareExternalData) before Run");
    if (vi.dtype != DataType::kUndefined && t.dtype() != vi.dtype)
      return Status::InvalidArgument(what + ": dtype " + DataTypeName(t.dtype()) + ", the model expects " +
                                     DataTypeName(vi.dtype));
    if (vi.has_shape) {
      if (t.rank() != static_cast<int64_t>(vi.shape.size()))
        return Status::InvalidArgument(what + ": rank " + std::to_string(t.rank()) + " (shape " +
                                       ShapeToString(t.shape()) + "), the model expects rank " +
                                       std::to_string(vi.shape.size()));
      for (size_t d = 0; d < vi.shape.size(); ++d) {
        if (vi.shape[d] >= 0 && t.dim(d) != vi.shape[d])
          return Status::InvalidArgument(what + ": dim " + std::to_string(d) + " is " + std::to_string(t.dim(d)) +
                                         ", the model fixes it to " + std::to_string(vi.shape[d]));
        const std::string& sym = vi.dim_names[d];
        if (!sym.empty()) {
          auto [it, fresh] = symbols.emplace(sym, t.dim(d));
          if (!fresh && it->second != t.dim(d))
            return Status::InvalidArgument(what + ": dim " + std::to_string(d) + " ('" + sym + "') is " +
                                           std::to_string(t.dim(d)) + " but another input gave '" + sym + "' = " +
                                           std::to_string(it->second));
        }
      }
    }
    if (!t.device().is_host()) {
      const auto& devs = model_->devices();
      const int want = model_->main().input_device[i];
      if (want == 0 || devs[want - 1].device != t.device())
        return Status::InvalidArgument(what + " is in device memory (type " + std::to_string(static_cast<int>(t.device().type)) +
                                       ", id " + std::to_string(t.device().id) + "), but " +
                                       (want == 0 ? std::string("the host reads it: pass it in host memory")
                                                  : "the model reads it on " + devs[want - 1].backend + ":" +
                                                        std::to_string(devs[want - 1].device.id)));
    }
    if (t.dtype() == DataType::kBool && t.NumElements() > 0 && t.device().is_host()) {
      // Kernels read bool as C++ bool: a byte other than 0/1 (raw client data) is undefined there.
      const auto* b = static_cast<const uint8_t*>(t.RawData());
      for (int64_t k = 0; k < t.NumElements(); ++k)
        if (b[k] > 1)
          return Status::InvalidArgument(what + ": bool element " + std::to_string(k) + " holds byte " +
                                         std::to_string(b[k]) + " (must be 0 or 1)");
    }
    *signature += std::to_string(static_cast<int>(t.dtype())) + ShapeToString(t.shape()) + ";";
  }
  return Status::Ok();
}


Status ExecutionContext::Run() {
  if (!poisoned_.ok())
    return Status::Unavailable("predictor is unusable after an earlier device error: " + poisoned_.ToString());
#ifdef _OPENMP
  if (omp_get_max_threads() != intra_op_threads_) omp_set_num_threads(intra_op_threads_);
#endif
  std::string sig;
  PL_RETURN_IF_ERROR(ValidateInputs(&sig));
  PL_RETURN_IF_ERROR(EnsureResources());
  run_heap_bytes_ = 0;
  const CompiledGraph& cg = model_->main();
  const ir::Graph& g = *cg.graph;
  Frame frame;
  frame.graph = &cg;
  frame.values.resize(cg.values.size());
  for (size_t i = 0; i < cg.values.size(); ++i)
    if (const Tensor* c = cg.values[i].constant)
      frame.values[i] = Tensor::Wrap(c->dtype(), c->shape(), const_cast<void*>(c->RawData()), c->device());
  for (size_t i = 0; i < g.inputs.size(); ++i) frame.values[g.inputs[i]] = inputs_[i];
  frame.output_slots.assign(cg.values.size(), nullptr);
  for (size_t k = 0; k < cg.outputs.size(); ++k) {
    const ValueMeta& v = cg.values[cg.outputs[k]];
    if (!v.constant && !v.is_graph_input && !frame.output_slots[cg.outputs[k]]) frame.output_slots[cg.outputs[k]] = &outputs_[k];
  }

  ShapePlan* plan = nullptr;
  if (model_->config().memory_planning()) {
    if (plans_.size() >= kMaxPlans && !plans_.count(sig)) plans_.clear();
    plan = &plans_[sig];
    if (plan->bytes.size() != cg.values.size()) plan->bytes.assign(cg.values.size(), 0);
    if (plan->valid) PL_RETURN_IF_ERROR(ReserveArenas(*plan));
  }
  bool overflow = false;
  bool ran = false;
  Status s;
  if (plan && plan->valid && model_->capture_begin() >= 0) s = RunCaptured(cg, &frame, plan, &overflow, sig, &ran);
  if (s.ok() && !ran) s = RunSteps(cg, &frame, plan, &overflow);
  // Device work still queued: wait for it (its errors surface here) before anything is reused.
  for (size_t d = 0; d < resources_.size(); ++d) {
    Status w = model_->devices()[d].impl->Synchronize(resources_[d].get());
    if (!w.ok() && s.ok()) s = Status::DeviceError(w.message()).WithContext("after the last step");
  }
  if (!s.ok()) {
    if (s.code() == StatusCode::kDeviceError) poisoned_ = s;
    return s;
  }
  if (plan && (!plan->valid || overflow)) {
    captured_.erase(sig);
    BuildPlan(cg, plan);
    // Reserve the arenas now, so Memory() reports what this predictor really holds from its
    // first run on (and the second run does not pay for the allocation).
    PL_RETURN_IF_ERROR(ReserveArenas(*plan));
  }
  // Graph outputs: kernels wrote most of them directly; copy the rest (constants, inputs, duplicates).
  for (size_t k = 0; k < cg.outputs.size(); ++k) {
    const Tensor& src = frame.values[cg.outputs[k]];
    if (src.RawData() == outputs_[k].RawData() && src.shape() == outputs_[k].shape() && src.dtype() == outputs_[k].dtype())
      continue;
    PL_RETURN_IF_ERROR(outputs_[k].CopyFrom(src));
    outputs_[k].set_name(model_->output_names()[k]);
  }
  return Status::Ok();
}

// "f32[2,3];i64[1];-;" : the dtypes and shapes of a step's inputs.
std::string ExecutionContext::InputSignature(const CompiledStep& step, const Frame& frame) {
  std::string sig;
  for (int in : step.inputs) {
    if (in < 0) {
      sig += "-;";
      continue;
    }
    const Tensor& t = frame.values[in];
    sig += DataTypeName(t.dtype());
    sig += ShapeToString(t.shape());
    sig += ';';
  }
  return sig;
}

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

Status ExecutionContext::RunSteps(const CompiledGraph& cg, Frame* frame, ShapePlan* plan, bool* overflow,
                                  size_t begin, size_t end) {
  auto& states = StatesFor(&cg);
  char* arenas[16] = {};
  char* const* arena_ptrs = nullptr;
  if (plan && plan->valid && mem_.size() <= 16) {
    for (size_t d = 0; d < mem_.size(); ++d) arenas[d] = static_cast<char*>(mem_[d].arena.get());
    arena_ptrs = arenas;
  }
  if (profiling_ && frame->parent == nullptr && begin == 0) profile_.clear();
  end = std::min(end, cg.steps.size());
  for (size_t si = begin; si < end; ++si) {
    const CompiledStep& step = cg.steps[si];
    if (step.copy != CompiledStep::Copy::kNone) {
      auto t0 = std::chrono::steady_clock::now();
      Status s = RunCopy(step, frame, plan, overflow, static_cast<int>(si));
      if (!s.ok()) return s.WithContext(step.info.op_type + " '" + step.info.name + "'");
      if (profiling_ && frame->parent == nullptr) {
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        profile_.push_back({step.info.name, step.info.op_type, step.backend, ms, std::string(), 0.0});
      }
      FreeDead(cg, frame, static_cast<int>(si));
      continue;
    }
    const Kernel* kernel = step.kernel.get();
    std::unique_ptr<KernelState> alt_state;  // an alternative kernel never shares the step's state
    std::unique_ptr<KernelState>* state = &states[si];
    if (!step.alternatives.empty() && step.type_input >= 0 && step.type_input < static_cast<int>(step.inputs.size()) &&
        step.inputs[step.type_input] >= 0) {
      DataType dt = frame->values[step.inputs[step.type_input]].dtype();
      bool primary = false;
      for (DataType a : step.accepted_types) primary |= a == dt;
      for (size_t k = 0; !primary && k < step.alternatives.size(); ++k) {
        bool match = false;
        for (DataType a : step.alternatives[k].types) match |= a == dt;
        if (match) {
          kernel = step.alternatives[k].kernel.get();
          state = &alt_state;
          break;
        }
      }
    }
    if (kernel == step.kernel.get() && !step.accepted_types.empty() && step.type_input >= 0 && step.type_input < static_cast<int>(step.inputs.size()) &&
        step.inputs[step.type_input] >= 0) {
      DataType dt = frame->values[step.inputs[step.type_input]].dtype();
      bool ok = false;
      for (DataType a : step.accepted_types) ok |= a == dt;
      if (!ok)
        return Status::InvalidArgument(step.info.Describe() + ": input " + std::to_string(step.type_input) + " is " +
                                       DataTypeName(dt) + ", which its " + step.backend + " kernel does not take");
    }
    if (!step.takes_strings) {
      // A byte-moving kernel must never see std::string elements (only known at run time for
      // values read from an enclosing scope).
      for (size_t k = 0; k < step.inputs.size(); ++k)
        if (step.inputs[k] >= 0 && frame->values[step.inputs[k]].dtype() == DataType::kString)
          return Status::Unimplemented(step.info.Describe() + ": input " + std::to_string(k) +
                                       " is a string tensor, which its " + step.backend + " kernel does not take");
    }
    StepContext ctx(this, frame, &step, state, static_cast<int>(si), plan, arena_ptrs, overflow);
    std::vector<Predictor::NodeTiming> sub_profile;
    if (profiling_ && frame->parent == nullptr) ctx.CollectProfile(&sub_profile);
    auto t0 = std::chrono::steady_clock::now();
    Status s;
    // A signature this step's backend declined before goes straight to cpu_ref (no lookup at
    // all until some step of this predictor has declined).
    const bool can_fall_back = step.fallback && kernel != step.fallback.get();
    std::string signature;
    Declined* declined = nullptr;
    if (can_fall_back && !declined_.empty()) {
      auto it = declined_.find(&step);
      if (it != declined_.end()) {
        declined = &it->second;
        signature = InputSignature(step, *frame);
      }
    }
    bool fall_back = declined && declined->signatures.count(signature) > 0;
    if (!fall_back) {
      try {
        s = kernel->Compute(ctx);
      } catch (const std::bad_alloc&) {
        s = Status::OutOfMemory(step.info.Describe() + ": allocation failed (" + step.backend + " kernel)");
      } catch (const std::exception& e) {
        s = Status::DeviceError(step.info.Describe() + ": " + step.backend + " kernel threw: " + e.what());
      }
      // The chosen backend declined this shape at run time (oneDNN may refuse a primitive only
      // for some shapes): the node runs on cpu_ref instead, with a state of its own, and this
      // input signature goes to cpu_ref directly from now on (per predictor).
      if (!s.ok() && s.code() == StatusCode::kUnimplemented && can_fall_back) {
        fall_back = true;
        if (!declined) {
          declined = &declined_[&step];
          signature = InputSignature(step, *frame);
        }
        if (declined->signatures.size() < 64) declined->signatures.insert(signature);
      }
    }
    if (fall_back) {
      // The fallback for the input's actual dtype (one of several when it was unknown at compile
      // time); another dtype's kernel never shares the step's fallback state.
      const Kernel* fb = nullptr;
      std::unique_ptr<KernelState> other_state;
      std::unique_ptr<KernelState>* fallback_state = &declined->fallback_state;
      for (size_t k = 0; k < step.fallbacks.size() && !fb; ++k) {
        const CompiledStep::Fallback& f = step.fallbacks[k];
        const int ti = f.type_input;
        const DataType dt = ti >= 0 && ti < static_cast<int>(step.inputs.size()) && step.inputs[ti] >= 0
                                ? frame->values[step.inputs[ti]].dtype()
                                : DataType::kUndefined;
        if (f.types.empty() || dt == DataType::kUndefined || std::find(f.types.begin(), f.types.end(), dt) != f.types.end()) {
          fb = f.kernel.get();
          if (k > 0) fallback_state = &other_state;
        }
      }
      if (!fb)
        return Status::InvalidArgument(step.info.Describe() + ": its input dtype is not one the " + step.backend +
                                       " kernel or its cpu_ref fallback takes");
      if (step.device != 0) {
        s = RunOnHost(step, *fb, fallback_state, frame, plan, overflow, static_cast<int>(si));
      } else {
        StepContext fctx(this, frame, &step, fallback_state, static_cast<int>(si), plan, arena_ptrs, overflow);
        try {
          s = fb->Compute(fctx);
        } catch (const std::bad_alloc&) {
          s = Status::OutOfMemory(step.info.Describe() + ": allocation failed (cpu_ref fallback kernel)");
        } catch (const std::exception& e) {
          s = Status::DeviceError(step.info.Describe() + ": cpu_ref fallback kernel threw: " + e.what());
        }
      }
    }
    if (!s.ok()) {
      if (s.message().find("'" + step.info.name + "'") == std::string::npos) s = s.WithContext(step.info.Describe());
      return s;
    }
    if (profiling_ && frame->parent == nullptr) {
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
      profile_.push_back({step.info.name, step.info.op_type, step.backend, ms, std::string(), 0.0});
      for (auto& e : sub_profile) profile_.push_back(std::move(e));
    }
    // Outputs produced into graph-output slots go straight to the predictor's output tensors.
    for (size_t k = 0; k < step.outputs.size(); ++k) {
      int v = step.outputs[k];
      if (v < 0) continue;
      if (frame->values[v].dtype() == DataType::kUndefined)
        return Status::Internal(step.info.Describe() + ": kernel did not produce output " + std::to_string(k));
    }
    FreeDead(cg, frame, static_cast<int>(si));
  }
  return Status::Ok();
}

// Frees heap activations after their last use (recording runs, subgraphs, overflow).
void ExecutionContext::FreeDead(const CompiledGraph& cg, Frame* frame, int si) {
  for (int in : cg.steps[si].inputs) {
    if (in < 0) continue;
    const ValueMeta& m = cg.values[in];
    if (m.constant || m.is_graph_input || m.is_graph_output || m.is_outer) continue;
    if (cg.last_use[in] == si && frame->values[in].owns_data()) frame->values[in] = Tensor();
  }
}

void ExecutionContext::BuildPlan(const CompiledGraph& cg, ShapePlan* plan) {
  plan->offsets.assign(cg.values.size(), -1);
  plan->arena_bytes.assign(mem_.size(), 0);
  // One arena per device: a value lives in the memory of the device its producer ran on.
  for (size_t d = 0; d < mem_.size(); ++d) {
    std::vector<plan::BufferRequest> reqs;
    std::vector<int> ids;
    for (size_t v = 0; v < cg.values.size(); ++v) {
      const ValueMeta& m = cg.values[v];
      if (m.device != static_cast<int>(d) || m.constant || m.is_graph_input || m.is_graph_output || m.is_outer ||
          m.producer < 0 || plan->bytes[v] == 0)
        continue;
      int first = m.producer;
      int last = cg.last_use[v] < first ? first : cg.last_use[v];
      reqs.push_back({plan->bytes[v], first, last});
      ids.push_back(static_cast<int>(v));
    }
    if (reqs.empty()) continue;
    plan::MemoryPlan mp = plan::PlanMemory(reqs);
    for (size_t i = 0; i < ids.size(); ++i) plan->offsets[ids[i]] = static_cast<int64_t>(mp.offsets[i]);
    plan->arena_bytes[d] = mp.arena_bytes;
  }
  plan->valid = true;
}

Status ExecutionContext::RunSubgraph(const ir::Graph& graph, const std::vector<const Tensor*>& inputs,
                                     std::vector<Tensor>* outputs, Frame* parent) {
  const CompiledGraph* cg = model_->Subgraph(&graph);
  if (!cg) return Status::Internal("subgraph was not compiled");
  if (inputs.size() != graph.inputs.size())
    return Status::InvalidArgument("subgraph takes " + std::to_string(graph.inputs.size()) + " inputs, got " +
                                   std::to_string(inputs.size()));
  // A subgraph's own values die with its frame: the budget counts them only while it runs.
  struct RestoreHeap {
    size_t* bytes;
    size_t saved;
    ~RestoreHeap() { *bytes = saved; }
  } restore{&run_heap_bytes_, run_heap_bytes_};
  Frame frame;
  frame.graph = cg;
  frame.parent = parent;
  frame.values.resize(cg->values.size());
  for (size_t i = 0; i < cg->values.size(); ++i) {
    const ValueMeta& v = cg->values[i];
    if (const Tensor* c = v.constant) {
      frame.values[i] = Tensor::Wrap(c->dtype(), c->shape(), const_cast<void*>(c->RawData()), c->device());
    } else if (v.is_outer) {
      const Tensor* t = parent ? parent->Lookup(v.name) : nullptr;
      if (!t) return Status::InvalidArgument("subgraph reads outer value '" + v.name + "', which is not available");
      frame.values[i] = *t;
    }
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) return Status::InvalidArgument("subgraph input " + std::to_string(i) + " is missing");
    frame.values[graph.inputs[i]] = *inputs[i];
  }
  bool overflow = false;
  PL_RETURN_IF_ERROR(RunSteps(*cg, &frame, nullptr, &overflow));
  outputs->clear();
  for (int o : cg->outputs) {
    const Tensor& t = frame.values[o];
    if (t.owns_data()) {
      outputs->push_back(t);
    } else {
      PL_ASSIGN_OR_RETURN(Tensor c, t.Clone());
      outputs->push_back(std::move(c));
    }
  }
  return Status::Ok();
}

MemoryStats ExecutionContext::Memory() const {
  MemoryStats m;
  m.shared_bytes = model_->SharedBytes();
  m.arena_bytes = mem_[0].arena_capacity;
  m.workspace_bytes = mem_[0].workspace_capacity;
  for (size_t d = 1; d < mem_.size(); ++d) m.device_private_bytes += mem_[d].arena_capacity + mem_[d].workspace_capacity;
  m.device_shared_bytes = model_->DeviceSharedBytes();
  for (const auto& t : inputs_)
    if (t.owns_data()) m.io_bytes += t.ByteSize();
  for (const auto& t : outputs_)
    if (t.owns_data()) m.io_bytes += t.ByteSize();
  m.private_bytes = m.arena_bytes + m.workspace_bytes + m.io_bytes;
  return m;
}

void ExecutionContext::Shrink() {
  for (size_t d = 0; d < resources_.size(); ++d) (void)model_->devices()[d].impl->Synchronize(resources_[d].get());
  plans_.clear();
  captured_.clear();
  ++mem_generation_;
  for (auto& m : mem_) m = DeviceMemory();
  states_.clear();
}

}  // namespace pl
