// What graph passes may ask a backend at compile time, through one interface: passes never
// include a backend's headers, and a backend that is not built in simply has no capability
// registered (the pass then does nothing). A backend registers its capability with its kernels
// (its RegisterKernels), so it is present as soon as the kernel registry is.
#pragma once

#include <memory>
#include <string>

#include "src/ir/graph.h"

namespace pl::ir {

class BackendCapability {
 public:
  virtual ~BackendCapability() = default;
  // True when the backend runs node `n` of `g` (the same check its kernels' Init makes).
  virtual bool CanRun(const Graph& g, const Node& n) const = 0;
  // Domain of the nodes the backend's fusion passes create (fused post-ops, regions), and the
  // op type of a region node; empty when it has none.
  virtual std::string FusedDomain() const { return ""; }
  virtual std::string RegionOp() const { return ""; }
};

void RegisterCapability(const std::string& backend, std::shared_ptr<const BackendCapability> capability);
// nullptr when no linked backend of that name registered one.
const BackendCapability* FindCapability(const std::string& backend);

}  // namespace pl::ir
