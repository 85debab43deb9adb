// Paddle Inference compatible API (paddle_infer::), so programs written for Paddle Inference
// compile unchanged against paddle_like and run ONNX models:
//
//   #include "paddle_inference_api.h"
//   paddle_infer::Config config;
//   config.SetModel("model.onnx");
//   auto predictor = paddle_infer::CreatePredictor(config);
//   auto in = predictor->GetInputHandle(predictor->GetInputNames()[0]);
//   in->Reshape({1, 3, 224, 224});  in->CopyFromCpu(data);
//   CHECK(predictor->Run());
//
// Adapters only: each call maps onto the native API (include/pl/), whose Status errors are
// logged with glog and turned into Paddle's conventions (Run() returns false, CreatePredictor
// returns nullptr). Thread-safety as in Paddle: one Predictor per thread (Clone() or
// services::PredictorPool::Retrive(i)); clones share weights.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "pl/config.h"

namespace pl {
class Predictor;
namespace services {
class PredictorPool;
}
}  // namespace pl

namespace paddle_infer {

// Paddle's order and names; mapped to ONNX dtypes by the adapter.
enum DataType {
  FLOAT64,
  FLOAT32,
  INT64,
  INT32,
  UINT8,
  INT8,
  FLOAT16,
  BOOL,
};

enum class PlaceType { kUNK = -1, kCPU, kGPU, kXPU, kNPU, kIPU, kCUSTOM };
enum class DataLayout { kUNK = -1, kAny, kNHWC, kNCHW };
enum class PrecisionType { kFloat32 = 0, kInt8, kHalf, kBf16 };

// Bytes of one element (Paddle's helper).
int GetNumBytesOfDataType(DataType dtype);
// "paddle_like <version> (Paddle Inference compatible API)".
std::string GetVersion();

class Config {
 public:
  using Precision = PrecisionType;

  Config() = default;
  // A directory holding model.onnx (or inference.onnx), or an .onnx file.
  explicit Config(const std::string& model_dir) { SetModel(model_dir); }
  // The .onnx file and, optionally, its external-data (weights) file.
  Config(const std::string& prog_file, const std::string& params_file) { SetModel(prog_file, params_file); }

  void SetModel(const std::string& model_dir);
  void SetModel(const std::string& prog_file_path, const std::string& params_file_path);
  void SetProgFile(const std::string& x) { SetModel(x, params_file_); }
  void SetParamsFile(const std::string& x) { SetModel(prog_file_, x); }
  // Paddle-Lite style and in-memory ONNX bytes.
  void SetModelBuffer(const char* prog_buffer, size_t prog_buffer_size, const char* params_buffer = nullptr,
                      size_t params_buffer_size = 0);
  const std::string& model_dir() const { return model_dir_; }
  const std::string& prog_file() const { return prog_file_; }
  const std::string& params_file() const { return params_file_; }

  // GPU: the CUDA backend first (when built in), CPU kernels as fallback. The memory pool size
  // is accepted for compatibility; paddle_like sizes device memory by its own plan.
  void EnableUseGpu(uint64_t memory_pool_init_size_mb, int device_id = 0,
                    Precision precision_mode = Precision::kFloat32);
  void DisableGpu();
  bool use_gpu() const { return use_gpu_; }
  int gpu_device_id() const { return native_.device_id(); }
  uint64_t memory_pool_init_size_mb() const { return memory_pool_init_size_mb_; }

  // oneDNN (formerly MKLDNN) CPU backend first, reference kernels as fallback.
  void EnableMKLDNN();
  void EnableONEDNN() { EnableMKLDNN(); }
  void DisableMKLDNN();
  void DisableONEDNN() { DisableMKLDNN(); }
  bool mkldnn_enabled() const { return mkldnn_; }
  bool onednn_enabled() const { return mkldnn_; }
  void SetMkldnnCacheCapacity(int capacity) { (void)capacity; }  // per-shape caches are bounded already

  // Threads one Run() uses inside an op (the native intra-op threads).
  void SetCpuMathLibraryNumThreads(int cpu_math_library_num_threads);
  int cpu_math_library_num_threads() const { return native_.intra_op_threads(); }

  void SwitchIrOptim(int x = true);
  bool ir_optim() const { return native_.optimizations_enabled(); }
  void EnableMemoryOptim(bool x = true);
  bool enable_memory_optim() const { return native_.memory_planning(); }
  // Feed/fetch ops and input-name checks do not exist here; accepted for compatibility.
  void SwitchUseFeedFetchOps(int x = true) { (void)x; }
  void SwitchSpecifyInputNames(bool x = true) { (void)x; }
  void EnableProfile() { profile_ = true; }
  bool profile_enabled() const { return profile_; }

  // Silences the shim's own info logs (errors are always logged).
  void DisableGlogInfo() { glog_info_disabled_ = true; }
  bool glog_info_disabled() const { return glog_info_disabled_; }

  // One line per setting.
  std::string Summary();

  // The native configuration this maps to.
  const pl::Config& native() const { return native_; }

 private:
  void UpdateBackends();
  pl::Config native_;
  std::string model_dir_, prog_file_, params_file_;
  bool use_gpu_ = false;
  bool mkldnn_ = false;
  bool profile_ = false;
  bool glog_info_disabled_ = false;
  uint64_t memory_pool_init_size_mb_ = 0;
};

class Predictor;
namespace services {
class PredictorPool;
}

// A handle on one input or output of a predictor. Inputs: Reshape, then CopyFromCpu (or
// mutable_data / ShareExternalData). Outputs: shape(), CopyToCpu or data() after Run().
// Errors (wrong dtype, output written, unknown name) are logged and leave the tensor unchanged.
class Tensor {
 public:
  void Reshape(const std::vector<int>& shape);
  template <typename T>
  T* mutable_data(PlaceType place);
  template <typename T>
  T* data(PlaceType* place, int* size) const;
  template <typename T>
  void CopyFromCpu(const T* data);
  template <typename T>
  void CopyToCpu(T* data) const;
  // Zero copy: the caller keeps `data` alive and unchanged until Run() returns.
  template <typename T>
  void ShareExternalData(const T* data, const std::vector<int>& shape, PlaceType place,
                         DataLayout layout = DataLayout::kNCHW);

  std::vector<int> shape() const;
  const std::string& name() const { return name_; }
  DataType type() const;
  PlaceType place() const { return PlaceType::kCPU; }

 private:
  friend class Predictor;
  Tensor(pl::Predictor* predictor, int index, bool is_input, std::string name)
      : predictor_(predictor), index_(index), is_input_(is_input), name_(std::move(name)) {}
  pl::Predictor* predictor_;
  int index_;  // -1: no such input/output (every call logs an error)
  bool is_input_;
  std::string name_;
};

class Predictor {
 public:
  Predictor() = delete;
  // Builds a predictor; on failure the error is logged and Run() returns false.
  explicit Predictor(const Config& config);
  ~Predictor();

  std::vector<std::string> GetInputNames();
  std::map<std::string, std::vector<int64_t>> GetInputTensorShape();
  std::map<std::string, DataType> GetInputTypes();
  std::unique_ptr<Tensor> GetInputHandle(const std::string& name);
  std::vector<std::string> GetOutputNames();
  std::map<std::string, std::vector<int64_t>> GetOutputTensorShape();
  std::map<std::string, DataType> GetOutputTypes();
  std::unique_ptr<Tensor> GetOutputHandle(const std::string& name);

  // False on error; the reason is logged with glog (LOG(ERROR)).
  bool Run();
  // A predictor sharing this one's weights, with its own run state; nullptr on error (logged).
  std::unique_ptr<Predictor> Clone(void* stream = nullptr);
  // Both release this predictor's activation memory; it is rebuilt by the next Run().
  void ClearIntermediateTensor();
  uint64_t TryShrinkMemory();  // bytes released

  // The native predictor behind this one (nullptr if it failed to build).
  pl::Predictor* native() const { return predictor_; }

 private:
  friend class services::PredictorPool;
  friend std::shared_ptr<Predictor> CreatePredictor(const Config& config);
  struct Borrowed {};
  Predictor(pl::Predictor* borrowed, Borrowed);
  std::unique_ptr<pl::Predictor> owned_;
  pl::Predictor* predictor_ = nullptr;
  bool profile_ = false;
};

// nullptr on error (logged).
std::shared_ptr<Predictor> CreatePredictor(const Config& config);

namespace services {

// `size` predictors over one model (one built, size-1 clones); thread i uses Retrive(i).
// CPU threads are budgeted against the cores this process may use (see the native pool).
class PredictorPool {
 public:
  PredictorPool() = delete;
  PredictorPool(const PredictorPool&) = delete;
  PredictorPool& operator=(const PredictorPool&) = delete;
  explicit PredictorPool(const Config& config, size_t size = 1);
  ~PredictorPool();
  // nullptr (logged) when idx is out of range or the pool failed to build.
  Predictor* Retrive(size_t idx);
  // The native pool (memory report, async Submit...).
  pl::services::PredictorPool* native() const { return pool_.get(); }

 private:
  std::unique_ptr<pl::services::PredictorPool> pool_;
  std::vector<std::unique_ptr<Predictor>> preds_;
};

}  // namespace services
}  // namespace paddle_infer

// Paddle's older spellings.
namespace paddle {
using AnalysisConfig = paddle_infer::Config;
using PaddleDType = paddle_infer::DataType;
using PaddlePlace = paddle_infer::PlaceType;
}  // namespace paddle
