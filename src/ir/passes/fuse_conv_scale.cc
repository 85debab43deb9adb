// Pass "fuse_conv_scale": Conv / ConvTranspose followed by Mul, Div, Add or Sub with a constant
// that is a scalar or one value per output channel (its only reader) folds into the weights and
// bias; repeated, so whole affine chains (Paddle's learnable scale/bias after a conv) vanish.
#include <cmath>

#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

namespace pl::ir {

Status FuseConvScale(Graph* g) {
  Uses uses = g->Consumers();
  for (size_t ci = 0; ci < g->nodes.size(); ++ci) {
    while (true) {
      Node& conv = g->nodes[ci];
      const int64_t m = FoldableConvChannels(*g, conv);
      if (m < 0) break;
      const int rank = static_cast<int>(ConstOf(*g, conv.inputs[1])->rank());
      const int y = conv.outputs[0];
      const int ni = SoleConsumer(*g, uses, y);
      if (ni < 0) break;
      const Node& op = g->nodes[ni];
      const bool mul = IsOp(op, "Mul"), div = IsOp(op, "Div"), add = IsOp(op, "Add"), sub = IsOp(op, "Sub");
      if (!(mul || div || add || sub) || op.inputs.size() != 2 || op.outputs.empty()) break;
      const int other = op.inputs[0] == y ? op.inputs[1] : op.inputs[0];
      if (op.inputs[0] != y && op.inputs[1] != y) break;
      if ((div || sub) && op.inputs[0] != y) break;  // c / y and c - y are not affine in y
      std::vector<float> v;
      if (!ChannelVector(*g, other, m, rank, &v)) break;
      std::vector<float> scale{1.f}, shift{0.f};
      if (mul) scale = v;
      if (div) {
        bool zero = false;
        for (float f : v) zero |= f == 0.f;
        if (zero) break;  // y / 0 stays as written (inf/NaN semantics differ once folded)
        scale = v;
        for (float& f : scale) f = 1.f / f;
      }
      if (add) shift = v;
      if (sub) {
        shift = v;
        for (float& f : shift) f = -f;
      }
      // A non-finite factor (Mul by NaN, Add inf, Div by a denormal: 1/f overflows) stays as
      // written: folded into the weights it meets the GEMM's zero padding (0 * inf = NaN).
      bool finite = true;
      for (float f : scale) finite &= std::isfinite(f);
      for (float f : shift) finite &= std::isfinite(f);
      if (!finite) break;
      PL_RETURN_IF_ERROR(ScaleConvOutput(g, static_cast<int>(ci), scale, shift));
      const int out = g->nodes[ni].outputs[0];
      g->nodes[ni].removed = true;
      TakeOutput(g, static_cast<int>(ci), out);
      uses = g->Consumers();
    }
  }
  return Status::Ok();
}

}  // namespace pl::ir
