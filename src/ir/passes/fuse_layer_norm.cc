// Pass "fuse_layer_norm": the decomposed layer norm exporters emit over the last axis,
//   d = x - ReduceMean(x);  y = d / Sqrt(ReduceMean(d^2) + eps)  [* gamma] [+ beta]
// becomes LayerNormalization(x, gamma, beta, axis=-1, epsilon=eps) (opset 17): one pass over
// memory instead of nine. Needs the last dim known (for default gamma/beta).
#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

namespace pl::ir {
namespace {

// ReduceMean over the last axis only, keepdims on.
bool IsMeanLast(const Graph& g, const Node& n, int rank) {
  if (!IsOp(n, "ReduceMean") || n.inputs.empty()) return false;
  if (auto k = n.attrs.find("keepdims"); k != n.attrs.end() && k->second.i == 0) return false;
  std::vector<int64_t> axes;
  if (auto a = n.attrs.find("axes"); a != n.attrs.end()) {
    axes = a->second.ints;
  } else if (n.inputs.size() > 1 && n.inputs[1] >= 0) {
    const Tensor* t = ConstOf(g, n.inputs[1]);
    if (!t || t->dtype() != DataType::kInt64) return false;
    axes.assign(t->Data<int64_t>(), t->Data<int64_t>() + t->NumElements());
  }
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

int Other(const Node& n, int v) {
  if (n.inputs.size() != 2) return -1;
  return n.inputs[0] == v ? n.inputs[1] : n.inputs[1] == v ? n.inputs[0] : -1;
}

}  // namespace

Status FuseLayerNorm(Graph* g, const Config& config) {
  if (!SomeBackendHasKernel(config, "", "LayerNormalization", 17)) return Status::Ok();
  Uses uses = g->Consumers();
  for (size_t mi = 0; mi < g->nodes.size(); ++mi) {
    const Node& mean = g->nodes[mi];
    if (mean.removed || mean.inputs.empty() || mean.inputs[0] < 0) continue;
    const int x = mean.inputs[0];
    const Value& xv = g->values[x];
    if (xv.dtype != DataType::kFloat32 && xv.dtype != DataType::kUndefined) continue;
    // The last dim, when shape inference knows it; otherwise gamma tells.
    const int rank = xv.has_shape ? static_cast<int>(xv.shape.size()) : -1;
    int64_t d_last = rank > 0 ? xv.shape.back() : -1;
    if (!IsMeanLast(*g, mean, rank)) continue;
    // d = x - mean
    const int si = SoleConsumer(*g, uses, mean.outputs[0]);
    if (si < 0 || !IsOp(g->nodes[si], "Sub") || g->nodes[si].inputs[0] != x) continue;
    const int d = g->nodes[si].outputs[0];
    if (uses[d].size() != 2 || g->values[d].is_graph_output) continue;
    int pi = -1, di = -1;
    for (int c : uses[d]) {
      const Node& n = g->nodes[c];
      float two;
      if ((IsOp(n, "Pow") && n.inputs[0] == d && ConstScalar(*g, n.inputs[1], &two) && two == 2.f) ||
          (IsOp(n, "Mul") && n.inputs.size() == 2 && n.inputs[0] == d && n.inputs[1] == d))
        pi = c;
      else if (IsOp(n, "Div") && n.inputs[0] == d)
        di = c;
    }
    if (pi < 0 || di < 0) continue;
    const int vi = SoleConsumer(*g, uses, g->nodes[pi].outputs[0]);
    if (vi < 0 || !IsMeanLast(*g, g->nodes[vi], rank)) continue;
    const int ei = SoleConsumer(*g, uses, g->nodes[vi].outputs[0]);
    if (ei < 0 || !IsOp(g->nodes[ei], "Add")) continue;
    float eps;
    const int eps_v = Other(g->nodes[ei], g->nodes[vi].outputs[0]);
    if (eps_v < 0 || !ConstScalar(*g, eps_v, &eps)) continue;
    const int qi = SoleConsumer(*g, uses, g->nodes[ei].outputs[0]);
    if (qi < 0 || !IsOp(g->nodes[qi], "Sqrt")) continue;
    if (g->nodes[di].inputs[1] != g->nodes[qi].outputs[0]) continue;
    // Optional affine tail.
    std::vector<int> removed = {static_cast<int>(mi), si, pi, vi, ei, qi};
    int tail = di;
    int gamma = -1, beta = -1;
    auto vec_of = [&](int v) {
      const Tensor* t = ConstOf(*g, v);
      if (!t || t->dtype() != DataType::kFloat32 || t->rank() != 1 || t->dim(0) < 1) return false;
      if (d_last < 0) d_last = t->dim(0);
      return t->dim(0) == d_last;
    };
    int ni = SoleConsumer(*g, uses, g->nodes[tail].outputs[0]);
    if (ni >= 0 && IsOp(g->nodes[ni], "Mul") && vec_of(Other(g->nodes[ni], g->nodes[tail].outputs[0]))) {
      gamma = Other(g->nodes[ni], g->nodes[tail].outputs[0]);
      removed.push_back(tail);
      tail = ni;
      ni = SoleConsumer(*g, uses, g->nodes[tail].outputs[0]);
    }
    if (ni >= 0 && IsOp(g->nodes[ni], "Add") && vec_of(Other(g->nodes[ni], g->nodes[tail].outputs[0]))) {
      beta = Other(g->nodes[ni], g->nodes[tail].outputs[0]);
      removed.push_back(tail);
      tail = ni;
    }
    if (gamma < 0 && d_last <= 0) continue;
    if (gamma < 0) {
      PL_ASSIGN_OR_RETURN(Tensor ones, Tensor::FromVector<float>({d_last}, std::vector<float>(d_last, 1.f)));
      gamma = AddConstant(g, g->nodes[tail].name + "_ln_scale", std::move(ones));
    }
    Node& ln = g->nodes[tail];
    ln.op_type = "LayerNormalization";
    ln.domain.clear();
    ln.opset = 17;
    ln.inputs = {x, gamma};
    if (beta >= 0) ln.inputs.push_back(beta);
    ln.outputs.resize(1);
    ln.attrs.clear();
    Attribute axis, epsilon;
    axis.type = Attribute::Type::kInt;
    axis.i = -1;
    epsilon.type = Attribute::Type::kFloat;
    epsilon.f = eps;
    ln.attrs["axis"] = axis;
    ln.attrs["epsilon"] = epsilon;
    for (int r : removed) g->nodes[r].removed = true;
    uses = g->Consumers();
  }
  return Status::Ok();
}

}  // namespace pl::ir
