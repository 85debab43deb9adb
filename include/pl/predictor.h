// Predictor: a private run context over a shared, immutable compiled model.
//
//   PL_ASSIGN_OR_RETURN(auto p, pl::CreatePredictor(pl::Config("model.onnx")));
//   Tensor* x = p->Input("x").value();  x->Reshape({1,3,224,224});  x->CopyFromCpu(data);
//   PL_RETURN_IF_ERROR(p->Run());
//   const Tensor* y = p->Output(0).value();
//
// Clone() shares weights, prepared kernels and the plan; it allocates only the clone's own
// activations. Thread-safety: one predictor per thread (Run is not reentrant on one object);
// distinct predictors, clones included, run concurrently without locks.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "pl/config.h"
#include "pl/status.h"
#include "pl/tensor.h"

namespace pl {

class CompiledModel;
class ExecutionContext;

// Declared signature of one model input or output.
struct ValueInfo {
  std::string name;
  DataType dtype = DataType::kUndefined;
  std::vector<int64_t> shape;         // -1 for a dynamic dim
  std::vector<std::string> dim_names;  // symbolic name of each dim ("" if none)
  bool has_shape = false;              // false when the model gives no rank
  // An ONNX sequence (of dtype tensors) and/or an optional: Tensor::Sequence / Tensor::None.
  bool is_sequence = false;
  bool is_optional = false;
};

struct MemoryStats {
  size_t shared_bytes = 0;     // weights + prepared kernels, shared by all clones
  size_t private_bytes = 0;    // this predictor: arena + workspace + I/O buffers + caches
  size_t arena_bytes = 0;      // activations arena (largest plan so far)
  size_t workspace_bytes = 0;  // kernel scratch
  size_t io_bytes = 0;         // input/output buffers held by the predictor
  // Device memory (CUDA): weights uploaded once per model and device, shared by all clones, and
  // this predictor's own device arena + workspace.
  size_t device_shared_bytes = 0;
  size_t device_private_bytes = 0;
};

class Predictor {
 public:
  ~Predictor();
  Predictor(const Predictor&) = delete;
  Predictor& operator=(const Predictor&) = delete;

  // Loads, checks, optimizes and compiles the model. Errors: unreadable/malformed model
  // (ModelError), an op without kernel (Unimplemented, naming op and node).
  static StatusOr<std::unique_ptr<Predictor>> Create(const Config& config);

  const std::vector<std::string>& InputNames() const;
  const std::vector<std::string>& OutputNames() const;
  const std::vector<ValueInfo>& InputInfos() const;
  const std::vector<ValueInfo>& OutputInfos() const;

  // Input handle owned by this predictor: Reshape + CopyFromCpu, or ShareExternalData.
  StatusOr<Tensor*> Input(const std::string& name);
  StatusOr<Tensor*> Input(int index);
  // Output of the last Run(); valid until the next Run() of this predictor.
  StatusOr<const Tensor*> Output(const std::string& name) const;
  StatusOr<const Tensor*> Output(int index) const;

  // Runs on the input handles. Errors name the offending input/node; a device error poisons
  // this predictor (every later call reports it) and leaves clones untouched.
  Status Run();
  // Functional form: inputs in model order (or matched by name when named), outputs copied out.
  Status Run(const std::vector<Tensor>& inputs, std::vector<Tensor>* outputs);

  // A new predictor over the same compiled model with its own run state.
  StatusOr<std::unique_ptr<Predictor>> Clone() const;

  // Threads one Run() of this predictor may use inside ops (applied on the calling thread).
  void SetIntraOpThreads(int n);
  int intra_op_threads() const;

  // Releases cached plans/arena; they are rebuilt on demand.
  void ShrinkMemory();
  MemoryStats Memory() const;
  const Config& config() const;
  // Identifies the shared compiled model (equal for a predictor and its clones).
  const void* model_id() const;
  // The compiled model, for SDK internals and tests (benchmarks' per-op profile, weight checks).
  const CompiledModel& compiled_model() const { return *model_; }
  // Per-node timings of the last Run when profiling is on (name, op, backend, ms). A node that
  // runs several primitives (a oneDNN region) is followed by one entry per primitive, whose
  // `parent` names it; `gflop` is the primitive's arithmetic (0 where not counted), so
  // gflop / ms * 1e3 is its GFLOP/s.
  struct NodeTiming {
    std::string node, op, backend;
    double ms = 0;
    std::string parent;
    double gflop = 0;
  };
  void EnableProfiling(bool on);
  std::vector<NodeTiming> LastProfile() const;

 private:
  Predictor(std::shared_ptr<const CompiledModel> model, std::unique_ptr<ExecutionContext> ctx);
  std::shared_ptr<const CompiledModel> model_;
  std::unique_ptr<ExecutionContext> ctx_;
};

// "0.1.0 (onednn, cpu_ref)": SDK version and the backends built in.
std::string Version();

inline StatusOr<std::unique_ptr<Predictor>> CreatePredictor(const Config& config) {
  return Predictor::Create(config);
}

}  // namespace pl
