#include "src/ir/capability.h"

#include <map>
#include <mutex>

#include "pl/op_registry.h"

namespace pl::ir {
namespace {

struct Capabilities {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const BackendCapability>> by_backend;
};
Capabilities& All() {
  static Capabilities* c = new Capabilities();  // never destroyed: passes may run during exit
  return *c;
}

}  // namespace

void RegisterCapability(const std::string& backend, std::shared_ptr<const BackendCapability> capability) {
  std::lock_guard<std::mutex> lock(All().mu);
  All().by_backend[backend] = std::move(capability);
}

const BackendCapability* FindCapability(const std::string& backend) {
  KernelRegistry::Global();  // built-in backends register their capabilities with their kernels
  std::lock_guard<std::mutex> lock(All().mu);
  auto it = All().by_backend.find(backend);
  return it == All().by_backend.end() ? nullptr : it->second.get();
}

}  // namespace pl::ir
