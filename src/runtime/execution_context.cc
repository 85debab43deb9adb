#include "src/runtime/execution_context.h"

#include <unistd.h>

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
              ExecutionContext::ShapePlan* plan, char* arena, bool* overflow)
      : ec_(ec), frame_(frame), step_(step), state_(state), step_index_(step_index),
        plan_(plan), arena_(arena), overflow_(overflow) {}

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
  StatusOr<void*> Workspace(size_t bytes) override { return ec_->Workspace(bytes); }
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
  char* arena_;
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
  if (v < 0) {
    PL_RETURN_IF_ERROR(discard_.Reshape(shape));
    PL_RETURN_IF_ERROR(discard_.Allocate(dtype));
    return &discard_;
  }
  Tensor& t = frame_->values[v];
  const ir::Value& meta = frame_->graph->graph->values[v];
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
  if (Tensor* slot = frame_->output_slots.empty() ? nullptr : frame_->output_slots[v]) {
    if (bytes > slot->ByteSize()) PL_RETURN_IF_ERROR(budget());
    // A graph output: written straight into the predictor's output tensor (buffer reused).
    PL_RETURN_IF_ERROR(slot->Reshape(shape));
    PL_RETURN_IF_ERROR(slot->Allocate(dtype).WithContext(step_->info.Describe()));
    t = *slot;
    return &t;
  }
  if (plan_ && bytes > 0) {
    const size_t planned = plan_->bytes[v];
    const bool in_arena = plan_->valid && arena_ != nullptr && plan_->offsets[v] >= 0;
    if (bytes > planned) plan_->bytes[v] = bytes;
    if (in_arena && bytes <= planned) {
      t = Tensor::Wrap(dtype, shape, arena_ + plan_->offsets[v], Device::Cpu(), meta.name);
      return &t;
    }
    if (plan_->valid) *overflow_ = true;  // a size the plan has not seen: re-plan after this run
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
}

Status ExecutionContext::CheckBudget(size_t more, const std::string& what) const {
  size_t held = arena_capacity_ + workspace_capacity_ + run_heap_bytes_;
  for (const auto& t : outputs_)
    if (t.owns_data()) held += t.ByteSize();
  if (more > max_predictor_bytes_ || held > max_predictor_bytes_ - more)
    return Status::ResourceExhausted(what + " needs " + std::to_string(more) + " bytes; this predictor holds " +
                                     std::to_string(held) + " and its budget is " +
                                     std::to_string(max_predictor_bytes_) + " (Config::SetMaxPredictorBytes)");
  return Status::Ok();
}

ExecutionContext::~ExecutionContext() = default;

StatusOr<void*> ExecutionContext::Workspace(size_t bytes) {
  if (bytes > workspace_capacity_) {
    PL_RETURN_IF_ERROR(CheckBudget(bytes - workspace_capacity_, "kernel workspace"));
    PL_ASSIGN_OR_RETURN(workspace_, AllocBytes(bytes, "kernel workspace", fault_injection::Site::kWorkspace));
    workspace_capacity_ = bytes;
  }
  return workspace_.get();
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
    if (t.dtype() == DataType::kBool && t.NumElements() > 0) {
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
  run_heap_bytes_ = 0;
  const CompiledGraph& cg = model_->main();
  const ir::Graph& g = *cg.graph;
  Frame frame;
  frame.graph = &cg;
  frame.values.resize(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].constant) frame.values[i] = Tensor::Wrap(g.values[i].constant->dtype(), g.values[i].constant->shape(),
                                                             const_cast<void*>(g.values[i].constant->RawData()));
  for (size_t i = 0; i < g.inputs.size(); ++i) frame.values[g.inputs[i]] = inputs_[i];
  frame.output_slots.assign(g.values.size(), nullptr);
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const ir::Value& v = g.values[g.outputs[k]];
    if (!v.constant && !v.is_graph_input && !frame.output_slots[g.outputs[k]]) frame.output_slots[g.outputs[k]] = &outputs_[k];
  }

  ShapePlan* plan = nullptr;
  if (model_->config().memory_planning()) {
    if (plans_.size() >= kMaxPlans && !plans_.count(sig)) plans_.clear();
    plan = &plans_[sig];
    if (plan->bytes.size() != g.values.size()) plan->bytes.assign(g.values.size(), 0);
    if (plan->valid && plan->arena_bytes > arena_capacity_) {
      PL_RETURN_IF_ERROR(CheckBudget(plan->arena_bytes - arena_capacity_, "activation arena"));
      auto a = AllocBytes(plan->arena_bytes, "activation arena", fault_injection::Site::kArena);
      if (!a.ok()) return a.status();
      arena_ = std::move(a).value();
      arena_capacity_ = plan->arena_bytes;
    }
  }
  bool overflow = false;
  Status s = RunSteps(cg, &frame, plan, &overflow);
  if (!s.ok()) {
    if (s.code() == StatusCode::kDeviceError) poisoned_ = s;
    return s;
  }
  if (plan && (!plan->valid || overflow)) {
    BuildPlan(cg, plan);
    // Reserve the arena now, so Memory() reports what this predictor really holds from its
    // first run on (and the second run does not pay for the allocation).
    if (plan->arena_bytes > arena_capacity_) {
      PL_RETURN_IF_ERROR(CheckBudget(plan->arena_bytes - arena_capacity_, "activation arena"));
      auto a = AllocBytes(plan->arena_bytes, "activation arena", fault_injection::Site::kArena);
      if (!a.ok()) return a.status();
      arena_ = std::move(a).value();
      arena_capacity_ = plan->arena_bytes;
    }
  }
  // Graph outputs: kernels wrote most of them directly; copy the rest (constants, inputs, duplicates).
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const Tensor& src = frame.values[g.outputs[k]];
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

Status ExecutionContext::RunSteps(const CompiledGraph& cg, Frame* frame, ShapePlan* plan, bool* overflow) {
  auto& states = StatesFor(&cg);
  const ir::Graph& g = *cg.graph;
  char* arena = plan && plan->valid ? static_cast<char*>(arena_.get()) : nullptr;
  if (profiling_ && frame->parent == nullptr) profile_.clear();
  for (size_t si = 0; si < cg.steps.size(); ++si) {
    const CompiledStep& step = cg.steps[si];
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
    StepContext ctx(this, frame, &step, state, static_cast<int>(si), plan, arena, overflow);
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
      std::unique_ptr<KernelState>& fallback_state = declined->fallback_state;
      StepContext fctx(this, frame, &step, &fallback_state, static_cast<int>(si), plan, arena, overflow);
      try {
        s = step.fallback->Compute(fctx);
      } catch (const std::bad_alloc&) {
        s = Status::OutOfMemory(step.info.Describe() + ": allocation failed (cpu_ref fallback kernel)");
      } catch (const std::exception& e) {
        s = Status::DeviceError(step.info.Describe() + ": cpu_ref fallback kernel threw: " + e.what());
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
    // Free heap activations after their last use (recording runs, subgraphs, overflow).
    {
      for (int in : step.inputs) {
        if (in < 0 || g.values[in].constant || g.values[in].is_graph_input || g.values[in].is_graph_output ||
            g.values[in].is_outer)
          continue;
        if (cg.last_use[in] == static_cast<int>(si) && frame->values[in].owns_data()) frame->values[in] = Tensor();
      }
    }
  }
  return Status::Ok();
}

void ExecutionContext::BuildPlan(const CompiledGraph& cg, ShapePlan* plan) {
  const ir::Graph& g = *cg.graph;
  std::vector<plan::BufferRequest> reqs;
  std::vector<int> ids;
  for (size_t v = 0; v < g.values.size(); ++v) {
    const ir::Value& m = g.values[v];
    if (m.constant || m.is_graph_input || m.is_graph_output || m.is_outer || m.producer < 0 || plan->bytes[v] == 0)
      continue;
    int first = m.producer;
    int last = cg.last_use[v] < first ? first : cg.last_use[v];
    reqs.push_back({plan->bytes[v], first, last});
    ids.push_back(static_cast<int>(v));
  }
  plan::MemoryPlan mp = plan::PlanMemory(reqs);
  plan->offsets.assign(g.values.size(), -1);
  for (size_t i = 0; i < ids.size(); ++i) plan->offsets[ids[i]] = static_cast<int64_t>(mp.offsets[i]);
  plan->arena_bytes = mp.arena_bytes;
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
  frame.values.resize(graph.values.size());
  for (size_t i = 0; i < graph.values.size(); ++i) {
    const ir::Value& v = graph.values[i];
    if (v.constant) {
      frame.values[i] = Tensor::Wrap(v.constant->dtype(), v.constant->shape(), const_cast<void*>(v.constant->RawData()));
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
  for (int o : graph.outputs) {
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
  m.arena_bytes = arena_capacity_;
  m.workspace_bytes = workspace_capacity_;
  for (const auto& t : inputs_)
    if (t.owns_data()) m.io_bytes += t.ByteSize();
  for (const auto& t : outputs_)
    if (t.owns_data()) m.io_bytes += t.ByteSize();
  m.private_bytes = m.arena_bytes + m.workspace_bytes + m.io_bytes;
  return m;
}

void ExecutionContext::Shrink() {
  plans_.clear();
  arena_.reset();
  arena_capacity_ = 0;
  workspace_.reset();
  workspace_capacity_ = 0;
  states_.clear();
}

}  // namespace pl
