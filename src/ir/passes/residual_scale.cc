// Pass "residual_scale": x + x * s  ->  x * (s + 1), for float32 (either operand order of both
// ops; s any run-time or constant value, typically a squeeze-excitation gate [N, C, 1, 1]).
// The result has the same broadcast shape, and x is read once instead of twice, so the Mul may
// run in place over x and x need not stay alive beside a second full-size buffer (PaddleOCR
// det's FPN keeps three 96x160x160 maps alive otherwise). s + 1 is an element-wise op on the
// small gate, which fuse_activation folds into the gate's producer where it can.
#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

namespace pl::ir {

Status ResidualScale(Graph* g) {
  Uses uses = g->Consumers();
  for (size_t ai = 0; ai < g->nodes.size(); ++ai) {
    Node& add = g->nodes[ai];
    if (!IsOp(add, "Add") || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
    for (int side = 0; side < 2; ++side) {
      const int x = add.inputs[side], m = add.inputs[1 - side];
      if (x < 0 || m < 0 || x == m || g->values[m].producer < 0) continue;
      if (g->values[x].dtype != DataType::kFloat32 || g->values[m].dtype != DataType::kFloat32) continue;
      const int mi = SoleConsumer(*g, uses, m);
      if (mi != static_cast<int>(ai)) continue;
      Node& mul = g->nodes[g->values[m].producer];
      if (!IsOp(mul, "Mul") || mul.inputs.size() != 2 || mul.opset < 7 || add.opset < 7) continue;
      int s = -1;
      if (mul.inputs[0] == x) s = mul.inputs[1];
      else if (mul.inputs[1] == x) s = mul.inputs[0];
      if (s < 0 || s == x || g->values[s].dtype != DataType::kFloat32) continue;
      // mul becomes s + 1 (its output value m now holds that, with s's shape); add becomes x * m.
      PL_ASSIGN_OR_RETURN(Tensor one_t, Tensor::FromVector<float>({}, {1.f}));
      const int one = AddConstant(g, mul.name + "_one", std::move(one_t));
      Node& mul2 = g->nodes[g->values[m].producer];  // AddConstant may grow values, not nodes
      mul2.op_type = "Add";
      mul2.inputs = {s, one};
      Value& mv = g->values[m];
      mv.has_shape = g->values[s].has_shape;
      mv.shape = g->values[s].shape;
      mv.dim_names = g->values[s].dim_names;
      Node& add2 = g->nodes[ai];
      add2.op_type = "Mul";
      add2.inputs = {x, m};
      uses = g->Consumers();
      break;
    }
  }
  return Status::Ok();
}

}  // namespace pl::ir
