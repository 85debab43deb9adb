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
#include "src/runtime/step_context.h"

namespace pl {



namespace {
constexpr size_t kMaxPlans = 64;

StatusOr<std::shared_ptr<void>> AllocBytes(size_t bytes, const char* what, fault_injection::Site site) {
  std::shared_ptr<void> p = internal::AlignedBuffer(bytes, site);
  if (!p) return Status::OutOfMemory(std::string("cannot allocate ") + std::to_string(bytes) + " bytes for " + what);
  return p;
}
}  // namespace


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
  // Strings never go in the arena (bytes 0 there), but their std::string objects count against
  // the limits like any element.
  const size_t limit_bytes = dtype == DataType::kString ? static_cast<size_t>(ShapeNumElements(shape)) * sizeof(std::string) : bytes;
  if (limit_bytes > ec_->max_tensor_bytes_)
    return Status::ResourceExhausted(step_->info.Describe() + ": output '" + meta.name + "' " + ShapeToString(shape) +
                                     " needs " + std::to_string(limit_bytes) + " bytes, over the limit of " +
                                     std::to_string(ec_->max_tensor_bytes_) + " (Config::SetMaxTensorBytes)");
  const auto budget = [&] {
    return ec_->CheckBudget(limit_bytes, step_->info.Describe() + ": output '" + meta.name + "' " + ShapeToString(shape));
  };
  if (Tensor* slot = frame_->output_slots.empty() || v < 0 || dev != 0 ? nullptr : frame_->output_slots[v]) {
    if (limit_bytes > slot->ByteSize()) PL_RETURN_IF_ERROR(budget());
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
  ec_->run_heap_bytes_ += limit_bytes;
  t = Tensor();
  t.set_name(meta.name);
  PL_RETURN_IF_ERROR(t.Reshape(shape));
  Status s = t.Allocate(dtype);
  if (!s.ok()) return s.WithContext(step_->info.Describe());
  return &t;
}

Status StepContext::SetOutput(int i, Tensor value) {
  if (i < 0 || i >= NumOutputs())
    return Status::Internal(step_->info.Describe() + ": kernel set output " + std::to_string(i) + " of " +
                            std::to_string(NumOutputs()));
  const int v = step_->outputs[i];
  if (v < 0) return Status::Ok();
  if (value.is_tensor() && !value.owns_data() && value.NumElements() > 0)
    return Status::Internal(step_->info.Describe() + ": SetOutput takes a tensor in owned memory");
  if (step_->device != 0 && !value.device().is_host() && !value.is_tensor())
    return Status::Unimplemented(step_->info.Describe() + ": sequences live on the host only");
  if (value.is_sequence()) {
    // Bounded like tensors: a sequence that grows (SequenceInsert in a Loop) stops at the limits.
    size_t bytes = 0;
    for (const Tensor& e : value.elements()) bytes += e.ByteSize();
    const std::string what = step_->info.Describe() + ": sequence '" + frame_->graph->values[v].name + "' of " +
                             std::to_string(value.elements().size()) + " tensors";
    if (bytes > ec_->max_tensor_bytes_)
      return Status::ResourceExhausted(what + " holds " + std::to_string(bytes) + " bytes, over the limit of " +
                                       std::to_string(ec_->max_tensor_bytes_) + " (Config::SetMaxTensorBytes)");
    PL_RETURN_IF_ERROR(ec_->CheckBudget(bytes, what));
  }
  value.set_name(frame_->graph->values[v].name);
  frame_->values[v] = std::move(value);
  return Status::Ok();
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
    if (!t.is_tensor() || vi.is_sequence) {
      if (t.is_none()) {
        if (!vi.is_optional)
          return Status::InvalidArgument(what + " is an empty optional, the model expects " +
                                         (vi.is_sequence ? "a sequence" : "a tensor"));
        *signature += "none;";
        continue;
      }
      if (vi.is_sequence != t.is_sequence())
        return Status::InvalidArgument(what + (vi.is_sequence ? " must be a sequence (Tensor::Sequence)" : " is a sequence, the model expects a tensor"));
      for (size_t k = 0; k < t.elements().size(); ++k)
        if (vi.dtype != DataType::kUndefined && t.elements()[k].dtype() != vi.dtype)
          return Status::InvalidArgument(what + ": element " + std::to_string(k) + " is " + DataTypeName(t.elements()[k].dtype()) +
                                         ", the model expects a sequence of " + DataTypeName(vi.dtype));
      if (vi.dtype != DataType::kUndefined && t.dtype() != vi.dtype)
        return Status::InvalidArgument(what + ": a sequence of " + DataTypeName(t.dtype()) + ", the model expects " + DataTypeName(vi.dtype));
      *signature += "seq" + std::to_string(t.elements().size()) + ";";
      continue;
    }
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
    if (!src.is_tensor()) {  // a sequence or empty optional: its elements are owned, read-only
      outputs_[k] = src;
      outputs_[k].set_name(model_->output_names()[k]);
      continue;
    }
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
    if (!step.takes_sequences) {
      for (size_t k = 0; k < step.inputs.size(); ++k)
        if (step.inputs[k] >= 0 && !frame->values[step.inputs[k]].is_tensor())
          return Status::InvalidArgument(step.info.Describe() + ": input " + std::to_string(k) + " is " +
                                         (frame->values[step.inputs[k]].is_sequence() ? "a sequence" : "an empty optional") +
                                         ", which its " + step.backend + " kernel does not take (it needs a tensor)");
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
      if (frame->values[v].dtype() == DataType::kUndefined && frame->values[v].is_tensor())
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
    if (cg.last_use[in] == si && (frame->values[in].owns_data() || !frame->values[in].is_tensor())) frame->values[in] = Tensor();
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
    if (t.owns_data() || !t.is_tensor()) {  // sequences: their elements are owned already
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
