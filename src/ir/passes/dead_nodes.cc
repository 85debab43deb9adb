// Pass: drops nodes whose outputs are never read and are not graph outputs.
#include "src/ir/passes/passes.h"

namespace pl::ir {

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
  return Status::Ok();
}

}  // namespace pl::ir
