// Pass: Identity (and Dropout in inference, when its mask is unused) forwards its input;
// consumers read the input directly. Kept when the output is a graph output.
#include "src/ir/passes/passes.h"

namespace pl::ir {

Status RemoveIdentityNodes(Graph* g) {
  auto consumers = g->Consumers();
  for (Node& n : g->nodes) {
    if (n.removed || !n.domain.empty()) continue;
    bool is_identity = n.op_type == "Identity";
    if (n.op_type == "Dropout") {
      bool mask_used = n.outputs.size() > 1 && n.outputs[1] >= 0 &&
                       (!consumers[n.outputs[1]].empty() || g->values[n.outputs[1]].is_graph_output);
      // training_mode input (opset 12+) must be absent or a constant false.
      bool training = false;
      if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
        const Value& t = g->values[n.inputs[2]];
        training = !t.constant || (t.constant->dtype() == DataType::kBool && t.constant->Data<bool>()[0]);
      }
      is_identity = !mask_used && !training;
    }
    if (!is_identity || n.inputs.empty() || n.inputs[0] < 0 || n.outputs.empty() || n.outputs[0] < 0) continue;
    int in = n.inputs[0], out = n.outputs[0];
    if (g->values[out].is_graph_output) continue;
    // Subgraphs read `out` by name: rewiring cannot reach them, so the node stays.
    bool read_by_subgraph = false;
    for (int c : consumers[out])
      for (int x : g->nodes[c].implicit_inputs) read_by_subgraph |= x == out;
    if (read_by_subgraph) continue;
    for (int c : consumers[out])
      for (int& x : g->nodes[c].inputs)
        if (x == out) x = in;
    consumers[in].insert(consumers[in].end(), consumers[out].begin(), consumers[out].end());
    consumers[out].clear();
    n.removed = true;
  }
  return Status::Ok();
}

}  // namespace pl::ir
