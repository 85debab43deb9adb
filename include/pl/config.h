// Config: how to load a model and how each predictor built from it runs.
// Model-level settings (source, backends, optimization) are fixed when the model is compiled and
// shared by every clone; run-level settings (intra-op threads) belong to each predictor.
// Thread-safety: a plain value; copy it per thread if you mutate it.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace pl {

// Backend names known to the SDK; users may register kernels under their own backend names.
inline constexpr const char* kBackendCpuRef = "cpu_ref";
inline constexpr const char* kBackendOneDnn = "onednn";
inline constexpr const char* kBackendCuda = "cuda";

class Config {
 public:
  Config() = default;
  explicit Config(std::string model_path) { SetModel(std::move(model_path)); }

  // --- model source (one of the two) ---
  void SetModel(std::string path) { model_path_ = std::move(path); model_bytes_.clear(); }
  // In-memory ONNX bytes; `base_dir` resolves external-data files (may be empty).
  void SetModelBuffer(std::string bytes, std::string base_dir = "") {
    model_bytes_ = std::move(bytes); model_dir_ = std::move(base_dir); model_path_.clear();
  }
  const std::string& model_path() const { return model_path_; }
  const std::string& model_bytes() const { return model_bytes_; }
  const std::string& model_dir() const { return model_dir_; }

  // --- backends, in priority order; a node runs on the first that has a kernel for it,
  // falling back to cpu_ref. Default: {"onednn", "cpu_ref"} when oneDNN is built in. ---
  void SetBackends(std::vector<std::string> backends) { backends_ = std::move(backends); }
  const std::vector<std::string>& backends() const { return backends_; }
  void SetDeviceId(int id) { device_id_ = id; }
  int device_id() const { return device_id_; }

  // --- per predictor ---
  // Threads one Run() may use inside an op (OpenMP, applied on the thread that calls Run).
  void SetIntraOpThreads(int n) { intra_op_threads_ = n < 1 ? 1 : n; }
  int intra_op_threads() const { return intra_op_threads_; }

  // --- optimization switches (for debugging a suspected optimizer bug) ---
  void SwitchOptimizations(bool on) { optimize_ = on; }
  bool optimizations_enabled() const { return optimize_; }
  // Turns one graph pass off by name (see docs: "constant_folding", "fuse_conv_bn", ...).
  void DisablePass(std::string name) { disabled_passes_.insert(std::move(name)); }
  bool PassEnabled(const std::string& name) const {
    return optimize_ && disabled_passes_.count(name) == 0;
  }
  // Reuses activation memory by liveness (on by default).
  void SwitchMemoryPlanning(bool on) { memory_planning_ = on; }
  bool memory_planning() const { return memory_planning_; }
  // Runs onnx::checker on load (on by default).
  void SwitchModelCheck(bool on) { check_model_ = on; }
  bool model_check() const { return check_model_; }
  // Upper bound on Loop iterations, so a bad trip count fails cleanly instead of running forever.
  void SetMaxLoopIterations(int64_t n) { max_loop_iterations_ = n; }
  int64_t max_loop_iterations() const { return max_loop_iterations_; }
  // Largest single tensor (bytes) a run may allocate; larger fails with ResourceExhausted naming
  // the value before allocating. 0 = the machine's physical memory.
  void SetMaxTensorBytes(int64_t bytes) { max_tensor_bytes_ = bytes < 0 ? 0 : bytes; }
  int64_t max_tensor_bytes() const { return max_tensor_bytes_; }
  // Memory one predictor may hold for a run (arena, workspace, heap activations, outputs); a run
  // that would go over fails with ResourceExhausted naming the value, before allocating it, and
  // the predictor stays usable. 0 = the machine's physical memory.
  void SetMaxPredictorBytes(int64_t bytes) { max_predictor_bytes_ = bytes < 0 ? 0 : bytes; }
  int64_t max_predictor_bytes() const { return max_predictor_bytes_; }
  // Captures and replays CUDA Graphs per input-shape signature (CUDA backend only).
  void SwitchCudaGraph(bool on) { cuda_graph_ = on; }
  bool cuda_graph() const { return cuda_graph_; }

  // Keyed backend options, "<backend>.<name>" -> value: data, never environment variables.
  // Fixed when the model is compiled (clones share them); a key no linked backend declares, or a
  // value it does not accept, fails CreatePredictor with InvalidArgument naming both
  // (KernelRegistry::DeclaredOptions() lists them). The oneDNN backend's:
  //   "onednn.dw_fusion": "auto" (default) | "off" | "onednn" | "bands": how a 1x1 convolution
  //                       and the depthwise one after it are fused (docs/performance.md).
  void SetBackendOption(std::string key, std::string value) { backend_options_[std::move(key)] = std::move(value); }
  const std::map<std::string, std::string>& backend_options() const { return backend_options_; }

  // One line per setting, for logs.
  std::string Summary() const;

 private:
  std::string model_path_, model_bytes_, model_dir_;
  std::vector<std::string> backends_;  // empty = default
  int device_id_ = 0;
  int intra_op_threads_ = 1;
  bool optimize_ = true;
  bool memory_planning_ = true;
  bool check_model_ = true;
  bool cuda_graph_ = false;
  int64_t max_loop_iterations_ = 1 << 20;
  int64_t max_tensor_bytes_ = 0;
  int64_t max_predictor_bytes_ = 0;
  std::set<std::string> disabled_passes_;
  std::map<std::string, std::string> backend_options_;
};

}  // namespace pl
