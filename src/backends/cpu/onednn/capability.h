// The oneDNN backend's answers to src/ir/capability.h (registered in register.cc); the graph
// passes reach them only through ir::FindCapability("onednn"), never through this header.
#pragma once

#include "src/ir/graph.h"

namespace pl::onednn {

// True when the oneDNN backend runs node `n` of `g` (the same check its kernels' Init makes).
bool CanRun(const ir::Graph& g, const ir::Node& n);
// Domain and op type of the fused-region node the onednn_regions pass creates.
inline constexpr const char* kRegionDomain = "pl.onednn";
inline constexpr const char* kRegionOp = "OneDnnRegion";

}  // namespace pl::onednn
