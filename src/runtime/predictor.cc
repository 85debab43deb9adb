#include "pl/predictor.h"

#include <new>
#include <sstream>
#include <stdexcept>

#include "src/runtime/compiled_model.h"
#include "src/runtime/execution_context.h"

namespace pl {

Predictor::Predictor(std::shared_ptr<const CompiledModel> model, std::unique_ptr<ExecutionContext> ctx)
    : model_(std::move(model)), ctx_(std::move(ctx)) {}
Predictor::~Predictor() = default;

// No exception crosses the public API: what a library throws while loading becomes a Status.
static StatusOr<std::shared_ptr<const CompiledModel>> CompileGuarded(const Config& config) {
  try {
    return CompiledModel::Compile(config);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("loading the model: allocation failed");
  } catch (const std::exception& e) {
    return Status::ModelError(std::string("loading the model: ") + e.what());
  }
}

StatusOr<std::unique_ptr<Predictor>> Predictor::Create(const Config& config) {
  PL_ASSIGN_OR_RETURN(std::shared_ptr<const CompiledModel> model, CompileGuarded(config));
  auto ctx = std::make_unique<ExecutionContext>(model);
  return std::unique_ptr<Predictor>(new Predictor(std::move(model), std::move(ctx)));
}

StatusOr<std::unique_ptr<Predictor>> Predictor::Clone() const {
  auto ctx = std::make_unique<ExecutionContext>(model_);
  ctx->set_intra_op_threads(ctx_->intra_op_threads());
  return std::unique_ptr<Predictor>(new Predictor(model_, std::move(ctx)));
}

const std::vector<std::string>& Predictor::InputNames() const { return model_->input_names(); }
const std::vector<std::string>& Predictor::OutputNames() const { return model_->output_names(); }
const std::vector<ValueInfo>& Predictor::InputInfos() const { return model_->inputs(); }
const std::vector<ValueInfo>& Predictor::OutputInfos() const { return model_->outputs(); }

static std::string NameList(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "'" : ", '") + n + "'";
  return s;
}

StatusOr<Tensor*> Predictor::Input(const std::string& name) {
  const auto& names = model_->input_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return ctx_->input(i);
  return Status::NotFound("model has no input '" + name + "' (inputs: " + NameList(names) + ")");
}

StatusOr<Tensor*> Predictor::Input(int index) {
  if (index < 0 || index >= static_cast<int>(model_->input_names().size()))
    return Status::InvalidArgument("input index " + std::to_string(index) + " out of range [0, " +
                                   std::to_string(model_->input_names().size()) + ")");
  return ctx_->input(index);
}

StatusOr<const Tensor*> Predictor::Output(const std::string& name) const {
  const auto& names = model_->output_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return &ctx_->output(i);
  return Status::NotFound("model has no output '" + name + "' (outputs: " + NameList(names) + ")");
}

StatusOr<const Tensor*> Predictor::Output(int index) const {
  if (index < 0 || index >= static_cast<int>(model_->output_names().size()))
    return Status::InvalidArgument("output index " + std::to_string(index) + " out of range [0, " +
                                   std::to_string(model_->output_names().size()) + ")");
  return &ctx_->output(index);
}

Status Predictor::Run() { return ctx_->Run(); }

Status Predictor::Run(const std::vector<Tensor>& inputs, std::vector<Tensor>* outputs) {
  if (!outputs) return Status::InvalidArgument("Run: outputs is null");
  const auto& names = model_->input_names();
  if (inputs.size() != names.size())
    return Status::InvalidArgument("Run: got " + std::to_string(inputs.size()) + " inputs, the model takes " +
                                   std::to_string(names.size()) + " (" + NameList(names) + ")");
  bool by_name = true;
  for (const auto& t : inputs) by_name &= !t.name().empty();
  for (size_t i = 0; i < inputs.size(); ++i) {
    size_t slot = i;
    if (by_name) {
      slot = names.size();
      for (size_t k = 0; k < names.size(); ++k)
        if (names[k] == inputs[i].name()) slot = k;
      if (slot == names.size()) {
        // Names that match nothing: fall back to positions only if no input is named like the model's.
        bool any = false;
        for (const auto& t : inputs)
          for (const auto& n : names) any |= t.name() == n;
        if (any) return Status::NotFound("Run: model has no input '" + inputs[i].name() + "' (inputs: " + NameList(names) + ")");
        slot = i;
      }
    }
    const Tensor& src = inputs[i];
    if (!src.is_tensor()) {  // a sequence or empty optional: shared as it is (its elements are owned)
      const std::string name = ctx_->input(slot)->name();
      *ctx_->input(slot) = src;
      ctx_->input(slot)->set_name(name);
      continue;
    }
    if (src.dtype() == DataType::kUndefined || (src.RawData() == nullptr && src.NumElements() != 0))
      return Status::InvalidArgument("Run: input '" + names[slot] + "' has no data");
    if (src.device().type != DeviceType::kCPU) return Status::Unimplemented("Run: device input tensors");
    PL_RETURN_IF_ERROR(ctx_->input(slot)->ShareExternalData(const_cast<void*>(src.RawData()), src.dtype(), src.shape()));
  }
  Status s = ctx_->Run();
  // Detach the caller's memory again so later handle use never sees it.
  for (size_t i = 0; i < names.size(); ++i) *ctx_->input(i) = [&] { Tensor t; t.set_name(names[i]); return t; }();
  PL_RETURN_IF_ERROR(s);
  outputs->clear();
  // Outputs are handed over without a copy: the caller's Tensor shares the buffer, and the next
  // Run allocates a fresh one for this predictor because the buffer is no longer exclusively ours.
  for (size_t i = 0; i < model_->output_names().size(); ++i) outputs->push_back(ctx_->output(i));
  return Status::Ok();
}

void Predictor::SetIntraOpThreads(int n) { ctx_->set_intra_op_threads(n); }
int Predictor::intra_op_threads() const { return ctx_->intra_op_threads(); }

std::string Version() {
  std::string v = PL_VERSION_STRING;
  v += " (";
#ifdef PL_WITH_ONEDNN
  v += "onednn, ";
#endif
#ifdef PL_WITH_CUDA
  v += "cuda, ";
#endif
  return v + "cpu_ref)";
}

void Predictor::ShrinkMemory() { ctx_->Shrink(); }
MemoryStats Predictor::Memory() const { return ctx_->Memory(); }
const Config& Predictor::config() const { return model_->config(); }
const void* Predictor::model_id() const { return model_.get(); }
void Predictor::EnableProfiling(bool on) { ctx_->EnableProfiling(on); }
std::vector<Predictor::NodeTiming> Predictor::LastProfile() const { return ctx_->LastProfile(); }

std::string Config::Summary() const {
  std::ostringstream os;
  os << "model: " << (model_path_.empty() ? "<in-memory, " + std::to_string(model_bytes_.size()) + " bytes>" : model_path_) << "\n";
  os << "backends: ";
  if (backends_.empty()) os << "<default>";
  for (size_t i = 0; i < backends_.size(); ++i) os << (i ? ", " : "") << backends_[i];
  os << "\ndevice_id: " << device_id_ << "\nintra_op_threads: " << intra_op_threads_
     << "\noptimizations: " << (optimize_ ? "on" : "off") << "\nmemory_planning: " << (memory_planning_ ? "on" : "off")
     << "\nmodel_check: " << (check_model_ ? "on" : "off") << "\ncuda_graph: " << (cuda_graph_ ? "on" : "off")
     << "\nmax_loop_iterations: " << max_loop_iterations_ << "\nmax_tensor_bytes: " << max_tensor_bytes_
     << "\nmax_predictor_bytes: " << max_predictor_bytes_ << "\n";
  if (!backend_options_.empty()) {
    os << "backend_options:";
    for (const auto& [k, v] : backend_options_) os << " " << k << "=" << v;
    os << "\n";
  }
  if (!disabled_passes_.empty()) {
    os << "disabled_passes:";
    for (const auto& p : disabled_passes_) os << " " << p;
    os << "\n";
  }
  return os.str();
}

}  // namespace pl
