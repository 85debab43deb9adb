// Pass "fuse_hardswish": the exporters' spellings of HardSwish and HardSigmoid become the ops:
//   x * HardSigmoid(x)            (alpha 1/6, beta 1/2)      -> HardSwish(x)
//   x * Clip(x + 3, 0, 6) / 6     (or * (1/6), either order) -> HardSwish(x)
//   Clip(x + 3, 0, 6) / 6                                     -> HardSigmoid(x, 1/6, 1/2)
// so later passes see one activation (a oneDNN post-op) instead of four memory passes.
#include <cmath>

#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

namespace pl::ir {
namespace {

constexpr float kSixth = 1.f / 6.f;
bool Near(float a, float b) { return std::fabs(a - b) <= 1e-5f * std::max(1.f, std::fabs(b)); }

// The other input of a two-input node, given one of them; -1 if `v` is not an input.
int OtherInput(const Node& n, int v) {
  if (n.inputs.size() != 2) return -1;
  if (n.inputs[0] == v) return n.inputs[1];
  if (n.inputs[1] == v) return n.inputs[0];
  return -1;
}

// Clip(a, 0, 6) in either opset form.
bool IsRelu6(const Graph& g, const Node& n) {
  if (!IsOp(n, "Clip")) return false;
  float lo, hi;
  if (n.opset < 11) {
    auto a = n.attrs.find("min"), b = n.attrs.find("max");
    if (a == n.attrs.end() || b == n.attrs.end()) return false;
    lo = a->second.f;
    hi = b->second.f;
  } else {
    if (n.inputs.size() < 3 || !ConstScalar(g, n.inputs[1], &lo) || !ConstScalar(g, n.inputs[2], &hi)) return false;
  }
  return lo == 0.f && hi == 6.f;
}

// y = m / 6 or m * (1/6): true if node n is that, with m its data input.
bool IsDivBySix(const Graph& g, const Node& n, int m) {
  float c;
  if (IsOp(n, "Div") && n.inputs.size() == 2 && n.inputs[0] == m) return ConstScalar(g, n.inputs[1], &c) && c == 6.f;
  if (IsOp(n, "Mul")) {
    int o = OtherInput(n, m);
    return o >= 0 && ConstScalar(g, o, &c) && Near(c, kSixth);
  }
  return false;
}

void MakeHardSwish(Node* n, int x) {
  n->op_type = "HardSwish";
  n->domain.clear();
  n->opset = 14;
  n->inputs = {x};
  n->attrs.clear();
}

}  // namespace

Status FuseHardSwish(Graph* g, const Config& config) {
  const bool can_swish = SomeBackendHasKernel(config, "", "HardSwish", 14);
  Uses uses = g->Consumers();
  bool changed = true;
  while (changed) {
    changed = false;
    for (size_t ai = 0; ai < g->nodes.size(); ++ai) {
      Node& add = g->nodes[ai];
      // Clip(x + 3, 0, 6) ...
      if (IsOp(add, "Add") && add.inputs.size() == 2) {
        float three;
        int x = -1;
        if (ConstScalar(*g, add.inputs[1], &three) && three == 3.f) x = add.inputs[0];
        else if (ConstScalar(*g, add.inputs[0], &three) && three == 3.f) x = add.inputs[1];
        const int ci = x < 0 ? -1 : SoleConsumer(*g, uses, add.outputs[0]);
        if (ci < 0 || !IsRelu6(*g, g->nodes[ci])) continue;
        const int r = g->nodes[ci].outputs[0];
        const int ni = SoleConsumer(*g, uses, r);
        if (ni < 0) continue;
        Node& next = g->nodes[ni];
        if (can_swish && IsOp(next, "Mul") && OtherInput(next, r) == x) {
          // ... * x / 6
          const int di = SoleConsumer(*g, uses, next.outputs[0]);
          if (di < 0 || !IsDivBySix(*g, g->nodes[di], next.outputs[0])) continue;
          MakeHardSwish(&g->nodes[di], x);
          add.removed = g->nodes[ci].removed = next.removed = true;
        } else if (IsDivBySix(*g, next, r)) {
          // ... / 6 = HardSigmoid(x); the Mul by x (if any) is the next round's pattern.
          next.op_type = "HardSigmoid";
          next.domain.clear();
          next.opset = std::max(next.opset, 6);
          next.inputs = {x};
          next.attrs.clear();
          Attribute a, b;
          a.type = b.type = Attribute::Type::kFloat;
          a.f = kSixth;
          b.f = 0.5f;
          next.attrs["alpha"] = a;
          next.attrs["beta"] = b;
          add.removed = g->nodes[ci].removed = true;
        } else {
          continue;
        }
        changed = true;
        uses = g->Consumers();
        continue;
      }
      // x * HardSigmoid(x)
      if (can_swish && IsOp(add, "HardSigmoid") && !add.inputs.empty()) {
        const Node& hs = add;
        auto al = hs.attrs.find("alpha"), be = hs.attrs.find("beta");
        const float alpha = al == hs.attrs.end() ? 0.2f : al->second.f, beta = be == hs.attrs.end() ? 0.5f : be->second.f;
        if (!Near(alpha, kSixth) || beta != 0.5f) continue;
        const int x = hs.inputs[0];
        const int mi = SoleConsumer(*g, uses, hs.outputs[0]);
        if (mi < 0 || !IsOp(g->nodes[mi], "Mul") || OtherInput(g->nodes[mi], hs.outputs[0]) != x) continue;
        MakeHardSwish(&g->nodes[mi], x);
        g->nodes[ai].removed = true;
        changed = true;
        uses = g->Consumers();
      }
    }
  }
  return Status::Ok();
}

}  // namespace pl::ir
