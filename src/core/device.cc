// Device backends and backend plugins (include/pl/device.h).
#include "pl/device.h"

#include <dlfcn.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "pl/op_registry.h"

namespace pl {
namespace {

struct Devices {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const DeviceBackend>> by_backend;
  std::set<std::string> loaded_plugins;
  std::map<std::string, std::string> plugin_errors;  // backend -> why its built-in plugin is absent
};
Devices& All() {
  static Devices* d = new Devices();  // never destroyed: predictors may be released during exit
  return *d;
}

}  // namespace

void RegisterDeviceBackend(const std::string& backend, std::shared_ptr<const DeviceBackend> device) {
  std::lock_guard<std::mutex> lock(All().mu);
  All().by_backend[backend] = std::move(device);
}

namespace internal {
void EnsureBuiltinPlugin(const std::string& backend);
}

const DeviceBackend* FindDeviceBackend(const std::string& backend) {
  internal::EnsureBuiltinPlugin(backend);
  std::lock_guard<std::mutex> lock(All().mu);
  auto it = All().by_backend.find(backend);
  return it == All().by_backend.end() ? nullptr : it->second.get();
}

const DeviceBackend* FindDeviceBackend(DeviceType type) {
  if (type == DeviceType::kCPU) return nullptr;
  if (type == DeviceType::kCUDA) internal::EnsureBuiltinPlugin(kBackendCuda);
  std::lock_guard<std::mutex> lock(All().mu);
  for (const auto& [name, d] : All().by_backend)
    if (d && d->type() == type) return d.get();
  return nullptr;
}

namespace internal {

// Loads `path` and calls its pl_register_backend with `registry`.
Status LoadPluginInto(const std::string& path, KernelRegistry& registry) {
  {
    std::lock_guard<std::mutex> lock(All().mu);
    if (All().loaded_plugins.count(path)) return Status::Ok();
  }
  void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = dlerror();
    return Status::NotFound("backend plugin '" + path + "': " + (e ? e : "dlopen failed"));
  }
  using Fn = int (*)(void*);
  auto fn = reinterpret_cast<Fn>(dlsym(h, "pl_register_backend"));
  if (!fn) {
    dlclose(h);
    return Status::InvalidArgument("backend plugin '" + path + "' has no pl_register_backend symbol");
  }
  const int rc = fn(&registry);
  if (rc != 0) return Status::Internal("backend plugin '" + path + "': pl_register_backend returned " + std::to_string(rc));
  std::lock_guard<std::mutex> lock(All().mu);
  All().loaded_plugins.insert(path);  // never dlclose'd: its kernels stay registered
  return Status::Ok();
}

// A built-in plugin ("cuda" -> libpaddle_like_cuda.so), looked for next to the core library (a
// build tree or an install prefix), loaded the first time its backend is named. Re-entrant: the
// plugin's registration may look backends up again.
void EnsureBuiltinPlugin(const std::string& backend) {
  if (backend != kBackendCuda) return;
  static std::atomic<bool> done{false};
  if (done.load(std::memory_order_acquire)) return;
  static std::recursive_mutex mu;
  static bool started = false;
  std::lock_guard<std::recursive_mutex> plugin_lock(mu);
  if (started) return;
  started = true;
  KernelRegistry& registry = KernelRegistry::Global();
  Dl_info info{};
  std::string dir;
  if (dladdr(reinterpret_cast<void*>(&EnsureBuiltinPlugin), &info) && info.dli_fname) {
    dir = info.dli_fname;
    const size_t slash = dir.rfind('/');
    dir = slash == std::string::npos ? std::string() : dir.substr(0, slash + 1);
  }
  const std::string path = dir + "libpaddle_like_cuda.so";
  Status s = LoadPluginInto(path, registry);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(All().mu);
    All().plugin_errors[kBackendCuda] = s.message();
  }
  done.store(true, std::memory_order_release);
}

}  // namespace internal

Status LoadBackendPlugin(const std::string& path) {
  return internal::LoadPluginInto(path, KernelRegistry::Global());
}

std::string BackendPluginError(const std::string& backend) {
  internal::EnsureBuiltinPlugin(backend);
  std::lock_guard<std::mutex> lock(All().mu);
  auto it = All().plugin_errors.find(backend);
  return it == All().plugin_errors.end() ? std::string() : it->second;
}

}  // namespace pl
