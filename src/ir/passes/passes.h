// Graph passes. Each pass lives in its own file, has its own unit test and can be switched off
// by name through Config::DisablePass (or all at once with SwitchOptimizations(false)).
#pragma once

#include <string>
#include <vector>

#include "pl/config.h"
#include "src/ir/graph.h"

namespace pl::ir {

// Turns Constant nodes into constant values (always on: it is how weights become shared).
Status ConstantNodesToValues(Graph* g);
// Removes nodes whose outputs nobody reads (graph outputs are kept).
Status RemoveDeadNodes(Graph* g);
// Removes Identity / inference-mode Dropout nodes by rewiring consumers.
Status RemoveIdentityNodes(Graph* g);

// Runs the pipeline in order, honoring Config switches. Finalizes the graph.
Status RunPasses(Graph* g, const Config& config);
// Names of all optional passes, in pipeline order (for docs and Config::DisablePass).
std::vector<std::string> PassNames();

}  // namespace pl::ir
