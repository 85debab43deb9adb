// Pass "dead_node_removal": drops nodes whose outputs are never read and are not graph outputs,
// then constants no node (or fused-region subgraph) reads any more, so weights replaced by other
// passes (folded into a conv, say) are not kept alive or counted as shared memory.
#include <set>

#include "src/ir/passes/passes.h"

namespace pl::ir {

static void CollectConstants(const Graph& g, std::set<const Tensor*>* used) {
  for (const Node& n : g.nodes) {
    if (n.removed) continue;
    for (int in : n.inputs)
      if (in >= 0 && g.values[in].constant) used->insert(g.values[in].constant.get());
    for (int in : n.implicit_inputs)
      if (in >= 0 && g.values[in].constant) used->insert(g.values[in].constant.get());
    for (const auto& [name, a] : n.attrs)
      if (a.g) CollectConstants(*a.g, used);
  }
  for (int o : g.outputs)
    if (g.values[o].constant) used->insert(g.values[o].constant.get());
}

Status RemoveDeadNodes(Graph* g) {
  bool changed = true;
  while (changed) {
    changed = false;
    auto consumers = g->Consumers();
    for (Node& n : g->nodes) {
      if (n.removed) continue;
      bool live = false;
      for (int o : n.outputs)
        if (o >= 0 && (g->values[o].is_graph_output || !consumers[o].empty())) live = true;
      if (!live) {
        n.removed = true;
        changed = true;
      }
    }
  }
  std::set<const Tensor*> used;
  CollectConstants(*g, &used);
  for (Value& v : g->values)
    if (v.constant && !v.is_graph_output && !used.count(v.constant.get())) v.constant.reset();
  return Status::Ok();
}

}  // namespace pl::ir
