// Pass "fuse_conv_bn": Conv / ConvTranspose followed by an inference BatchNormalization (its only
// reader, constant statistics) becomes one Conv with rescaled weights and bias:
//   w' = w * s,  b' = (b - mean) * s + beta,  s = gamma / sqrt(var + eps)   (per output channel).
#include <cmath>

#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

namespace pl::ir {

Status FuseConvBatchNorm(Graph* g) {
  Uses uses = g->Consumers();
  for (size_t ci = 0; ci < g->nodes.size(); ++ci) {
    Node& conv = g->nodes[ci];
    const int64_t m = FoldableConvChannels(*g, conv);
    if (m < 0) continue;
    const int bi = SoleConsumer(*g, uses, conv.outputs[0]);
    if (bi < 0 || !IsOp(g->nodes[bi], "BatchNormalization")) continue;
    Node& bn = g->nodes[bi];
    if (bn.inputs.size() < 5 || bn.inputs[0] != conv.outputs[0]) continue;
    bool extra_outputs = false;
    for (size_t k = 1; k < bn.outputs.size(); ++k) extra_outputs |= bn.outputs[k] >= 0;
    auto tm = bn.attrs.find("training_mode");
    if (extra_outputs || (tm != bn.attrs.end() && tm->second.i != 0)) continue;
    std::vector<float> gamma, beta, mean, var;
    if (!ConstFloats(*g, bn.inputs[1], &gamma) || !ConstFloats(*g, bn.inputs[2], &beta) ||
        !ConstFloats(*g, bn.inputs[3], &mean) || !ConstFloats(*g, bn.inputs[4], &var))
      continue;
    if (static_cast<int64_t>(gamma.size()) != m || beta.size() != gamma.size() || mean.size() != gamma.size() ||
        var.size() != gamma.size())
      continue;
    float eps = 1e-5f;
    if (auto it = bn.attrs.find("epsilon"); it != bn.attrs.end()) eps = it->second.f;
    std::vector<float> scale(m), shift(m);
    for (int64_t c = 0; c < m; ++c) {
      scale[c] = gamma[c] / std::sqrt(var[c] + eps);
      shift[c] = beta[c] - mean[c] * scale[c];
    }
    PL_RETURN_IF_ERROR(ScaleConvOutput(g, static_cast<int>(ci), scale, shift));
    const int out = g->nodes[bi].outputs[0];
    g->nodes[bi].removed = true;
    TakeOutput(g, static_cast<int>(ci), out);
    uses = g->Consumers();
  }
  return Status::Ok();
}

}  // namespace pl::ir
