#include "src/ir/passes/passes.h"

namespace pl::ir {

std::vector<std::string> PassNames() { return {"identity_removal", "dead_node_removal"}; }

// Subgraphs, at any depth, get the always-on pass (their Constant nodes become shared constants).
static Status PrepareSubgraphs(Graph* g) {
  for (Node& n : g->nodes)
    for (auto& [name, a] : n.attrs)
      if (a.type == Attribute::Type::kGraph && a.g) {
        auto* sub = const_cast<Graph*>(a.g.get());  // still private to this compile
        PL_RETURN_IF_ERROR(ConstantNodesToValues(sub));
        PL_RETURN_IF_ERROR(sub->Finalize());
        PL_RETURN_IF_ERROR(PrepareSubgraphs(sub));
      }
  return Status::Ok();
}

Status RunPasses(Graph* g, const Config& config) {
  PL_RETURN_IF_ERROR(ConstantNodesToValues(g));
  if (config.PassEnabled("identity_removal")) PL_RETURN_IF_ERROR(RemoveIdentityNodes(g));
  if (config.PassEnabled("dead_node_removal")) PL_RETURN_IF_ERROR(RemoveDeadNodes(g));
  PL_RETURN_IF_ERROR(g->Finalize());
  return PrepareSubgraphs(g);
}

}  // namespace pl::ir
