// The "cuda" DeviceBackend (include/pl/device.h): device memory, per-predictor streams and library
// handles, copies; and the backend's compile-time capability (src/ir/capability.h) for the fusion
// passes. Every entry point selects its device first (cudaSetDevice is per host thread, and
// predictors on different devices may share a thread over time).
#include <memory>
#include <string>

#include "src/backends/cuda/cuda_common.h"
#include "src/backends/cuda/kernel_list.h"
#include "src/backends/cuda/launch.h"
#include "src/ir/capability.h"

namespace pl::cuda {

std::string CudaErrorString(cudaError_t e) {
  const char* name = cudaGetErrorName(e);
  const char* text = cudaGetErrorString(e);
  return std::string(name ? name : "cudaError") + " (" + std::to_string(static_cast<int>(e)) + "): " +
         (text ? text : "unknown error");
}

std::string CublasErrorString(cublasStatus_t s) {
  const char* text = cublasGetStatusString(s);
  return std::string(text ? text : "unknown cuBLAS status") + " (" + std::to_string(static_cast<int>(s)) + ")";
}

CudaResources::~CudaResources() {
  // Never throws; errors here (a dead context at process exit) are ignored.
  if (cudaSetDevice(device) != cudaSuccess) {
    (void)cudaGetLastError();
    return;
  }
  if (stream) (void)cudaStreamSynchronize(stream);
  if (cudnn) (void)cudnnDestroy(cudnn);
  if (cublaslt) (void)cublasLtDestroy(cublaslt);
  if (cublas) (void)cublasDestroy(cublas);
  if (stream) (void)cudaStreamDestroy(stream);
  if (pinned) (void)cudaFreeHost(pinned);
  cudnn = nullptr;
  cublaslt = nullptr;
  cublas = nullptr;
  stream = nullptr;
  pinned = nullptr;
  pinned_bytes = 0;
  (void)cudaGetLastError();
}

namespace {

std::string Bytes(size_t n) { return std::to_string(n) + " bytes"; }

Status SetDevice(int device_id, const char* what) {
  const cudaError_t e = cudaSetDevice(device_id);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    return Status::DeviceError(std::string(what) + ": cudaSetDevice(" + std::to_string(device_id) +
                               "): " + CudaErrorString(e));
  }
  return Status::Ok();
}

// A failed call's message; the error is taken off the thread's last-error slot so that a later
// launch check does not report it again.
Status CallFailed(const std::string& call, cudaError_t e) {
  (void)cudaGetLastError();
  return Status::DeviceError(call + ": " + CudaErrorString(e));
}

CudaResources* AsCuda(DeviceResources* res) { return static_cast<CudaResources*>(res); }

class CudaDevice final : public DeviceBackend {
 public:
  DeviceType type() const override { return DeviceType::kCUDA; }
  std::string name() const override { return "cuda"; }

  int DeviceCount(std::string* why) const override {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      if (why) *why = "cudaGetDeviceCount: " + CudaErrorString(e);
      return 0;
    }
    if (n <= 0 && why) *why = "no CUDA device found";
    return n > 0 ? n : 0;
  }

  StatusOr<std::shared_ptr<void>> Allocate(int device_id, size_t bytes) const override {
    PL_RETURN_IF_ERROR(SetDevice(device_id, "cuda Allocate"));
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes == 0 ? 1 : bytes);  // cudaMalloc: 256-byte aligned
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      const std::string what = "cudaMalloc(" + Bytes(bytes) + ") on cuda:" + std::to_string(device_id) + ": " +
                               CudaErrorString(e);
      if (e == cudaErrorMemoryAllocation) return Status::OutOfMemory(what);
      return Status::DeviceError(what);
    }
    return std::shared_ptr<void>(p, [device_id](void* q) {
      if (!q) return;
      if (cudaSetDevice(device_id) == cudaSuccess) (void)cudaFree(q);
      (void)cudaGetLastError();
    });
  }

  StatusOr<std::unique_ptr<DeviceResources>> CreateResources(int device_id) const override {
    PL_RETURN_IF_ERROR(SetDevice(device_id, "cuda CreateResources"));
    auto res = std::make_unique<CudaResources>();
    res->device = device_id;
    res->set_device_id(device_id);
    const std::string on = " on cuda:" + std::to_string(device_id);
    cudaError_t e = cudaStreamCreateWithFlags(&res->stream, cudaStreamNonBlocking);
    if (e != cudaSuccess) {
      res->stream = nullptr;
      return CallFailed("cudaStreamCreateWithFlags" + on, e);
    }
    cublasStatus_t bs = cublasCreate(&res->cublas);
    if (bs != CUBLAS_STATUS_SUCCESS) {
      res->cublas = nullptr;
      return Status::DeviceError("cublasCreate" + on + ": " + CublasErrorString(bs));
    }
    bs = cublasSetStream(res->cublas, res->stream);
    if (bs != CUBLAS_STATUS_SUCCESS) return Status::DeviceError("cublasSetStream" + on + ": " + CublasErrorString(bs));
    // Exact FP32 unless a kernel asks for TF32 through its compute type (option cuda.tf32).
    bs = cublasSetMathMode(res->cublas, CUBLAS_DEFAULT_MATH);
    if (bs != CUBLAS_STATUS_SUCCESS)
      return Status::DeviceError("cublasSetMathMode" + on + ": " + CublasErrorString(bs));
    bs = cublasLtCreate(&res->cublaslt);
    if (bs != CUBLAS_STATUS_SUCCESS) {
      res->cublaslt = nullptr;
      return Status::DeviceError("cublasLtCreate" + on + ": " + CublasErrorString(bs));
    }
    cudnnStatus_t ds = cudnnCreate(&res->cudnn);
    if (ds != CUDNN_STATUS_SUCCESS) {
      res->cudnn = nullptr;
      (void)cudaGetLastError();
      return Status::DeviceError("cudnnCreate" + on + ": " + cudnnGetErrorString(ds));
    }
    ds = cudnnSetStream(res->cudnn, res->stream);
    if (ds != CUDNN_STATUS_SUCCESS)
      return Status::DeviceError("cudnnSetStream" + on + ": " + cudnnGetErrorString(ds));
    return std::unique_ptr<DeviceResources>(std::move(res));
  }

  Status CopyToDevice(int device_id, void* dst, const void* src, size_t bytes, DeviceResources* res) const override {
    return Copy(device_id, dst, src, bytes, cudaMemcpyHostToDevice, res, "CopyToDevice");
  }
  Status CopyToHost(int device_id, void* dst, const void* src, size_t bytes, DeviceResources* res) const override {
    return Copy(device_id, dst, src, bytes, cudaMemcpyDeviceToHost, res, "CopyToHost");
  }
  Status CopyOnDevice(int device_id, void* dst, const void* src, size_t bytes, DeviceResources* res) const override {
    return Copy(device_id, dst, src, bytes, cudaMemcpyDeviceToDevice, res, "CopyOnDevice");
  }

  Status Synchronize(DeviceResources* res) const override {
    CudaResources* r = AsCuda(res);
    if (!r || !r->stream) return Status::Internal("cuda Synchronize: no resources");
    PL_RETURN_IF_ERROR(SetDevice(r->device, "cuda Synchronize"));
    cudaError_t e = cudaStreamSynchronize(r->stream);
    if (e != cudaSuccess) return CallFailed("cudaStreamSynchronize on cuda:" + std::to_string(r->device), e);
    e = cudaGetLastError();
    if (e != cudaSuccess) return Status::DeviceError("cuda:" + std::to_string(r->device) + ": " + CudaErrorString(e));
    return Status::Ok();
  }

  Status CopyStrided(int device_id, void* dst, const void* src, size_t elem_size, const Shape& shape,
                     const std::vector<int64_t>& src_strides, DeviceResources* res) const override {
    (void)device_id;
    CudaResources* r = AsCuda(res);
    if (!r || !r->stream) return Status::Internal("cuda CopyStrided: no resources");
    const int64_t n = ShapeNumElements(shape);
    if (n <= 0) return Status::Ok();
    PL_RETURN_IF_ERROR(SetDevice(r->device, "cuda CopyStrided"));
    CopyParams p;
    if (!MakeCopyParams(shape, src_strides, &p)) return Status::Unimplemented("cuda: too many dims for the strided copy");
    if (p.rank == 0 || (p.rank == 1 && p.strides[0] == 1)) {
      const cudaError_t e = cudaMemcpyAsync(dst, src, static_cast<size_t>(n) * elem_size, cudaMemcpyDeviceToDevice, r->stream);
      if (e != cudaSuccess) return CallFailed("cudaMemcpyAsync (strided copy)", e);
      return Status::Ok();
    }
    LaunchStridedCopy(src, dst, elem_size, n, p, r->stream);
    PL_CUDA_CHECK_LAUNCH("cuda strided copy");
    return Status::Ok();
  }

  // CUDA Graphs (Config::SwitchCudaGraph): thread-local capture of the predictor's stream, so
  // other predictors' threads are unaffected; any call capture does not allow (a sync, a
  // cudaMalloc) invalidates it and EndCapture fails, which the runtime answers by running the
  // steps normally.
  bool SupportsCapture() const override { return true; }
  Status BeginCapture(DeviceResources* res) const override {
    CudaResources* r = AsCuda(res);
    if (!r || !r->stream) return Status::Internal("cuda BeginCapture: no resources");
    PL_RETURN_IF_ERROR(SetDevice(r->device, "cuda BeginCapture"));
    const cudaError_t e = cudaStreamBeginCapture(r->stream, cudaStreamCaptureModeThreadLocal);
    if (e != cudaSuccess) return CallFailed("cudaStreamBeginCapture", e);
    return Status::Ok();
  }
  StatusOr<std::shared_ptr<void>> EndCapture(DeviceResources* res) const override {
    CudaResources* r = AsCuda(res);
    if (!r || !r->stream) return Status::Internal("cuda EndCapture: no resources");
    PL_RETURN_IF_ERROR(SetDevice(r->device, "cuda EndCapture"));
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaStreamEndCapture(r->stream, &graph);
    if (e != cudaSuccess) {
      if (graph) (void)cudaGraphDestroy(graph);
      return CallFailed("cudaStreamEndCapture", e);
    }
    cudaGraphExec_t exec = nullptr;
    e = cudaGraphInstantiate(&exec, graph, 0);
    (void)cudaGraphDestroy(graph);
    if (e != cudaSuccess) return CallFailed("cudaGraphInstantiate", e);
    const int device = r->device;
    return std::shared_ptr<void>(static_cast<void*>(exec), [device](void* p) {
      if (cudaSetDevice(device) == cudaSuccess) (void)cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(p));
      (void)cudaGetLastError();
    });
  }
  Status Replay(void* graph, DeviceResources* res) const override {
    CudaResources* r = AsCuda(res);
    if (!r || !r->stream || !graph) return Status::Internal("cuda Replay: no resources or graph");
    PL_RETURN_IF_ERROR(SetDevice(r->device, "cuda Replay"));
    const cudaError_t e = cudaGraphLaunch(static_cast<cudaGraphExec_t>(graph), r->stream);
    if (e != cudaSuccess) return CallFailed("cudaGraphLaunch", e);
    return Status::Ok();
  }

 private:
  // With resources: ordered on the predictor's stream. Host-to-device from pageable memory is
  // followed by a stream sync so that `src` may be reused when this returns (correct for any
  // host memory, pinned or not); device-to-host waits for the bytes; device-to-device stays
  // queued. Without: the synchronous cudaMemcpy.
  static Status Copy(int device_id, void* dst, const void* src, size_t bytes, cudaMemcpyKind kind,
                     DeviceResources* res, const char* what) {
    if (bytes == 0) return Status::Ok();
    if (!dst || !src) return Status::InvalidArgument(std::string("cuda ") + what + ": null pointer");
    CudaResources* r = AsCuda(res);
    const int dev = r ? r->device : device_id;
    PL_RETURN_IF_ERROR(SetDevice(dev, what));
    const std::string call = std::string(what) + " (" + Bytes(bytes) + ", cuda:" + std::to_string(dev) + ")";
    if (!r) {
      const cudaError_t e = cudaMemcpy(dst, src, bytes, kind);
      if (e != cudaSuccess) return CallFailed("cudaMemcpy " + call, e);
      return Status::Ok();
    }
    cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, r->stream);
    if (e != cudaSuccess) return CallFailed("cudaMemcpyAsync " + call, e);
    if (kind != cudaMemcpyDeviceToDevice) {
      e = cudaStreamSynchronize(r->stream);
      if (e != cudaSuccess) return CallFailed("cudaStreamSynchronize after " + call, e);
    }
    return Status::Ok();
  }
};

// What the graph passes ask of this backend: which Conv/ConvTranspose/MatMul/Gemm nodes its
// fused kernels (domain pl.cuda) run, so FusePostOps only fuses what will run here.
class CudaCapability final : public ir::BackendCapability {
 public:
  bool CanRun(const ir::Graph& g, const ir::Node& n) const override {
    if (n.removed || !(n.domain.empty() || n.domain == kFusedDomain)) return false;
    const std::string& op = n.op_type;
    if (op != "Conv" && op != "ConvTranspose" && op != "MatMul" && op != "Gemm") return false;
    const NodeInfo info = g.MakeNodeInfo(n);
    if (op == "Conv" || op == "ConvTranspose") return ConvCanRun(info);
    return MatMulCanRun(info);
  }
  std::string FusedDomain() const override { return kFusedDomain; }
};

}  // namespace

void RegisterDevice(KernelRegistry& r) {
  RegisterDeviceBackend(kBackendCuda, std::make_shared<CudaDevice>());
  ir::RegisterCapability(kBackendCuda, std::make_shared<CudaCapability>());
  r.DeclareOption({kTf32Option, {"off", "on"},
                   "float32 Conv/ConvTranspose/MatMul/Gemm on CUDA: off (exact FP32 math, the default) or on "
                   "(TF32 tensor cores in cuBLAS and cuDNN: faster, about 1e-3 relative error)"});
}

}  // namespace pl::cuda
