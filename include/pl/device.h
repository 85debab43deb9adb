// Devices other than the host CPU, behind one interface, so a backend that keeps its tensors in
// its own memory (CUDA, or a user's accelerator) plugs in without editing the core.
//
// A kernel backend (the name in KernelDef::Backend and Config::SetBackends) that registers a
// DeviceBackend runs on that device: the compiler places every value a node of that backend reads
// or writes in the device's memory and inserts the host<->device copies where a value crosses
// devices (inputs a KernelDef marks HostInput stay on the host). Weights read on a device are
// uploaded once per compiled model and device id and shared by every clone. Each predictor owns
// its own DeviceResources (a CUDA stream and library handles), handed to kernels through
// KernelContext::backend_resources(), and its own device arena and workspace.
//
// Contract for kernels of a device backend: ctx.Input(i) points at device memory (host memory for
// HostInput indices); ctx.Output() and ctx.Workspace() return device memory; work may be queued
// asynchronously on the predictor's stream; the runtime synchronizes at the end of Run() and
// before any value goes back to the host. A failure of the device itself (a launch or runtime
// error) is Status::DeviceError: it makes that predictor unusable (every later Run answers
// Unavailable), never its clones.
//
// Thread-safety: a DeviceBackend is shared by every predictor and must be thread-safe;
// DeviceResources belong to one predictor and are only used from the thread running it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "pl/status.h"
#include "pl/tensor.h"

namespace pl {

// Per-predictor resources of one device backend on one device (stream, handles, staging memory).
class DeviceResources {
 public:
  virtual ~DeviceResources() = default;
  int device_id() const { return device_id_; }
  void set_device_id(int id) { device_id_ = id; }

 private:
  int device_id_ = 0;
};

class DeviceBackend {
 public:
  virtual ~DeviceBackend() = default;
  // The device type its memory is tagged with (Tensor::device()).
  virtual DeviceType type() const = 0;
  // "cuda", for messages.
  virtual std::string name() const = 0;
  // Devices present; 0 with `why` set when none is usable (no driver, no device).
  virtual int DeviceCount(std::string* why) const = 0;
  // Device memory, at least 256-byte aligned, released by the pointer's deleter. OutOfMemory or
  // DeviceError naming the size on failure.
  virtual StatusOr<std::shared_ptr<void>> Allocate(int device_id, size_t bytes) const = 0;
  // One predictor's resources on `device_id` (created when the predictor first runs).
  virtual StatusOr<std::unique_ptr<DeviceResources>> CreateResources(int device_id) const = 0;
  // Copies. With `res`, ordered on that predictor's stream; without (compile-time weight upload,
  // Tensor::CopyToCpu of a device tensor), synchronous. CopyToHost returns once the bytes are on
  // the host; CopyToDevice returns once `src` may be reused.
  virtual Status CopyToDevice(int device_id, void* dst, const void* src, size_t bytes, DeviceResources* res) const = 0;
  virtual Status CopyToHost(int device_id, void* dst, const void* src, size_t bytes, DeviceResources* res) const = 0;
  virtual Status CopyOnDevice(int device_id, void* dst, const void* src, size_t bytes, DeviceResources* res) const = 0;
  // Waits for the work queued on `res`; a DeviceError names what failed.
  virtual Status Synchronize(DeviceResources* res) const = 0;

  // Optional: contiguous `dst` of `shape` from a strided view of `src` (element idx read at
  // src + sum(idx[d] * src_strides[d]) * elem_size; strides in elements, may be 0 or negative),
  // queued on `res`. With it, the SDK's data-movement kernels (Slice, Expand, Tile, ...) serve this
  // device as they are. Unimplemented makes such a kernel decline (the node falls back to cpu_ref).
  virtual Status CopyStrided(int device_id, void* dst, const void* src, size_t elem_size, const Shape& shape,
                             const std::vector<int64_t>& src_strides, DeviceResources* res) const {
    (void)device_id; (void)dst; (void)src; (void)elem_size; (void)shape; (void)src_strides; (void)res;
    return Status::Unimplemented(name() + ": no strided copy");
  }

  // Optional graph capture (CUDA Graphs, Config::SwitchCudaGraph): between BeginCapture and
  // EndCapture the work kernels queue on `res` is recorded, not run; Replay runs the recording
  // (with the same memory addresses) on `res`. Anything a kernel does that capture does not allow
  // (a synchronization, an allocation) makes EndCapture fail, and the runtime then runs the steps
  // normally and stops trying for that input signature. Default: not supported.
  virtual bool SupportsCapture() const { return false; }
  virtual Status BeginCapture(DeviceResources* res) const {
    (void)res;
    return Status::Unimplemented(name() + ": no graph capture");
  }
  virtual StatusOr<std::shared_ptr<void>> EndCapture(DeviceResources* res) const {
    (void)res;
    return Status::Unimplemented(name() + ": no graph capture");
  }
  virtual Status Replay(void* graph, DeviceResources* res) const {
    (void)graph;
    (void)res;
    return Status::Unimplemented(name() + ": no graph capture");
  }
};

// Declares that kernels registered under `backend` run on `device`'s memory. Registering again
// replaces the earlier one. Thread-safe.
void RegisterDeviceBackend(const std::string& backend, std::shared_ptr<const DeviceBackend> device);
// nullptr for host backends (cpu_ref, onednn, and any backend that registered no device).
const DeviceBackend* FindDeviceBackend(const std::string& backend);
// The backend whose memory carries this device type; nullptr for the host.
const DeviceBackend* FindDeviceBackend(DeviceType type);

// Loads a backend plugin: a shared object exporting `extern "C" int pl_register_backend(void*)`
// that registers its kernels (and device) into the KernelRegistry passed to it, returning 0 on
// success. The built-in CUDA backend ships this way (libpaddle_like_cuda.so), so the core never
// links the CUDA libraries: it is loaded, from the core library's directory, the first time a
// Config (or FindDeviceBackend) names "cuda", so a process that never asks for CUDA never maps
// its libraries, and a machine without CUDA simply has no "cuda" backend. Errors name the file and
// dlopen's message. Thread-safe; loading the same file twice is a no-op.
Status LoadBackendPlugin(const std::string& path);
// Why a built-in plugin did not load ("" when it did or was never looked for), for messages.
std::string BackendPluginError(const std::string& backend);

}  // namespace pl
