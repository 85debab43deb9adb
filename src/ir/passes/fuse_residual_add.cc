// Pass "fuse_residual_add" (oneDNN only): Add (or Mul, Sub, Div) of a Conv / ConvTranspose /
// MatMul / Gemm / binary op's output with a run-time tensor of the same (proven) shape, as in
// residual connections and x + x * se(x), becomes a binary post-op of that node; activations
// after it are fused too when "fuse_activation" is on. The operand must not depend on the node.
#include "src/ir/passes/passes.h"

namespace pl::ir {

Status FuseResidualAdd(Graph* g, const Config& config) {
  return FusePostOps(g, config, config.PassEnabled("fuse_activation"), true);
}

}  // namespace pl::ir
