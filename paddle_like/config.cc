// paddle_infer::Config -> pl::Config.
#include <glog/logging.h>
#include <sys/stat.h>

#include <sstream>

#include "paddle_like/paddle_inference_api.h"
#include "pl/device.h"

namespace paddle_infer {
namespace {

bool IsDir(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool IsFile(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::string DirName(const std::string& p) {
  size_t slash = p.rfind('/');
  return slash == std::string::npos ? "." : p.substr(0, slash);
}

}  // namespace

void Config::SetModel(const std::string& model_dir) {
  model_dir_ = model_dir;
  prog_file_.clear();
  params_file_.clear();
  std::string file = model_dir;
  // Paddle passes model directories; paddle2onnx writes model.onnx, PaddleOCR exports
  // inference.onnx. An unknown name stays as given, so the loader's error names it.
  if (IsDir(model_dir)) {
    for (const char* name : {"/model.onnx", "/inference.onnx"})
      if (IsFile(model_dir + name)) {
        file = model_dir + name;
        break;
      }
    if (file == model_dir) file = model_dir + "/model.onnx";
  }
  native_.SetModel(file);
}

void Config::SetModel(const std::string& prog_file_path, const std::string& params_file_path) {
  model_dir_.clear();
  prog_file_ = prog_file_path;
  params_file_ = params_file_path;
  // ONNX keeps weights in the model file or in external-data files named by the model and
  // resolved next to it; a separate params file only makes sense in the same directory.
  if (!params_file_path.empty() && DirName(params_file_path) != DirName(prog_file_path))
    LOG(WARNING) << "paddle_like: params file '" << params_file_path
                 << "' is not next to the model; ONNX external data is read from the model's directory";
  native_.SetModel(prog_file_path);
}

void Config::SetModelBuffer(const char* prog_buffer, size_t prog_buffer_size, const char* params_buffer,
                            size_t params_buffer_size) {
  (void)params_buffer;
  if (params_buffer_size) LOG(WARNING) << "paddle_like: ONNX models carry their weights; params buffer ignored";
  model_dir_.clear();
  prog_file_.clear();
  params_file_.clear();
  native_.SetModelBuffer(std::string(prog_buffer, prog_buffer_size));
}

void Config::UpdateBackends() {
  if (!use_gpu_ && !mkldnn_) {
    native_.SetBackends({});  // the SDK's default CPU order
    return;
  }
  std::vector<std::string> b;
  if (use_gpu_) {
    // As Paddle Inference does on a machine without a usable GPU: say so, run on the CPU.
    const pl::DeviceBackend* cuda = pl::FindDeviceBackend(pl::kBackendCuda);
    std::string why;
    const int count = cuda ? cuda->DeviceCount(&why) : 0;
    if (!cuda) why = pl::BackendPluginError(pl::kBackendCuda);
    if (count > native_.device_id()) {
      b.push_back(pl::kBackendCuda);
    } else {
      LOG(WARNING) << "paddle_like: EnableUseGpu: no usable CUDA device " << native_.device_id()
                   << (why.empty() ? std::string() : " (" + why + ")") << "; running on the CPU";
    }
  }
  b.push_back(pl::kBackendOneDnn);  // only matches when oneDNN is built in
  b.push_back(pl::kBackendCpuRef);
  native_.SetBackends(b);
}

void Config::EnableUseGpu(uint64_t memory_pool_init_size_mb, int device_id, Precision precision_mode) {
  if (precision_mode != Precision::kFloat32)
    LOG(WARNING) << "paddle_like: only float32 precision is implemented; running in float32";
  use_gpu_ = true;
  memory_pool_init_size_mb_ = memory_pool_init_size_mb;
  native_.SetDeviceId(device_id);
  UpdateBackends();
}

void Config::DisableGpu() {
  use_gpu_ = false;
  UpdateBackends();
}

void Config::EnableMKLDNN() {
  mkldnn_ = true;
  UpdateBackends();
}

void Config::DisableMKLDNN() {
  mkldnn_ = false;
  UpdateBackends();
}

void Config::SetCpuMathLibraryNumThreads(int n) { native_.SetIntraOpThreads(n); }
void Config::SwitchIrOptim(int x) { native_.SwitchOptimizations(x != 0); }
void Config::EnableMemoryOptim(bool x) { native_.SwitchMemoryPlanning(x); }

std::string Config::Summary() {
  std::ostringstream os;
  os << "paddle_like (Paddle Inference compatible API)\n";
  if (!model_dir_.empty()) os << "model_dir: " << model_dir_ << "\n";
  if (!prog_file_.empty()) os << "prog_file: " << prog_file_ << "\n";
  if (!params_file_.empty()) os << "params_file: " << params_file_ << "\n";
  os << "use_gpu: " << (use_gpu_ ? "true" : "false") << "\n";
  if (use_gpu_) os << "gpu_device_id: " << gpu_device_id() << "\nmemory_pool_init_size_mb: " << memory_pool_init_size_mb_ << "\n";
  os << "enable_mkldnn (oneDNN): " << (mkldnn_ ? "true" : "false") << "\n";
  os << "cpu_math_library_num_threads: " << cpu_math_library_num_threads() << "\n";
  os << "ir_optim: " << (ir_optim() ? "true" : "false") << "\n";
  os << "enable_memory_optim: " << (enable_memory_optim() ? "true" : "false") << "\n";
  os << "--- native config ---\n" << native_.Summary();
  return os.str();
}

int GetNumBytesOfDataType(DataType dtype) {
  switch (dtype) {
    case FLOAT64:
    case INT64: return 8;
    case FLOAT32:
    case INT32: return 4;
    case FLOAT16: return 2;
    case UINT8:
    case INT8:
    case BOOL: return 1;
  }
  return 0;
}

std::string GetVersion() { return "paddle_like (Paddle Inference compatible API over ONNX)"; }

}  // namespace paddle_infer
