// Pass "fuse_activation" (the preferred backend's fused domain: oneDNN's, or CUDA's): an element-wise op reading only the output of a Conv,
// ConvTranspose, MatMul, Gemm or binary op (Add/Sub/Mul/Div) becomes a post-op of that node, which
// moves to domain pl.onednn (attributes post_ops / post_alpha / post_beta, the ONNX opset in
// onnx_opset). Relu LeakyRelu Sigmoid Tanh Elu HardSwish HardSigmoid Clip Exp Sqrt Abs Log Neg
// Softplus, x*Sigmoid(x) (swish), arithmetic with a scalar constant (linear), and with a constant
// per-channel tensor (a binary post-op). The output keeps its name: consumers need no rewiring.
// Also the engine of "fuse_residual_add" (run-time operands), see FusePostOps.
#include <cmath>
#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

#include "src/ir/capability.h"

namespace pl::ir {

namespace {


struct Post {
  std::string name;
  float alpha = 0.f, beta = 0.f;
  int operand = -1;  // binary post-ops
};

// `fused_domain`: the backend's domain for fused nodes (BackendCapability::FusedDomain).
bool IsHost(const Node& n, const std::string& fused_domain) {
  if (n.removed || !(n.domain.empty() || n.domain == fused_domain)) return false;
  static const char* kHosts[] = {"Conv", "ConvTranspose", "MatMul", "Gemm", "Add", "Sub", "Mul", "Div"};
  for (const char* h : kHosts)
    if (n.op_type == h) return true;
  return false;
}

float AttrF(const Node& n, const char* k, float def) {
  auto it = n.attrs.find(k);
  return it == n.attrs.end() ? def : it->second.f;
}

// Post-ops equivalent to element-wise node `f` applied to `y` (its data input); empty if none.
std::vector<Post> AsEltwise(const Graph& g, const Node& f, int y) {
  if (f.removed || !f.domain.empty() || f.inputs.empty() || f.outputs.empty()) return {};
  const std::string& op = f.op_type;
  if (f.inputs[0] == y) {
    if (op == "Relu") return {{"relu"}};
    if (op == "LeakyRelu") return {{"relu", AttrF(f, "alpha", 0.01f)}};
    if (op == "Sigmoid") return {{"logistic"}};
    if (op == "Tanh") return {{"tanh"}};
    if (op == "HardSwish") return {{"hardswish"}};
    if (op == "Elu") return {{"elu", AttrF(f, "alpha", 1.f)}};
    if (op == "Exp") return {{"exp"}};
    if (op == "Sqrt") return {{"sqrt"}};
    if (op == "Abs") return {{"abs"}};
    if (op == "Log") return {{"log"}};
    if (op == "Neg") return {{"linear", -1.f, 0.f}};
    if (op == "Softplus") return {{"soft_relu"}};
    if (op == "HardSigmoid") return {{"linear", AttrF(f, "alpha", 0.2f), AttrF(f, "beta", 0.5f)}, {"clip", 0.f, 1.f}};
    if (op == "Clip") {
      float lo = -3.402823466e38f, hi = 3.402823466e38f;
      if (f.opset < 11) {
        lo = AttrF(f, "min", lo);
        hi = AttrF(f, "max", hi);
      } else {
        if (f.inputs.size() > 1 && f.inputs[1] >= 0 && !ConstScalar(g, f.inputs[1], &lo)) return {};
        if (f.inputs.size() > 2 && f.inputs[2] >= 0 && !ConstScalar(g, f.inputs[2], &hi)) return {};
      }
      // oneDNN refuses a NaN or inverted bound; the Clip kernel then runs unfused (ONNX semantics).
      if (std::isnan(lo) || std::isnan(hi) || lo > hi) return {};
      return {{"clip", lo, hi}};
    }
  }
  if (f.inputs.size() != 2) return {};
  const bool first = f.inputs[0] == y;
  const int other = first ? f.inputs[1] : f.inputs[0];
  if ((!first && f.inputs[1] != y) || other < 0) return {};
  float c;
  if (!ConstScalar(g, other, &c) || g.values[other].constant->rank() > 1) return {};
  // A rank > 1 scalar could raise the output's rank; rank <= 1 never does for rank >= 1 outputs.
  if (op == "Mul") return {{"linear", c, 0.f}};
  if (op == "Add") return {{"linear", 1.f, c}};
  if (op == "Div" && first && c != 0.f) return {{"linear", 1.f / c, 0.f}};
  if (op == "Sub") return first ? std::vector<Post>{{"linear", 1.f, -c}} : std::vector<Post>{{"linear", -1.f, c}};
  return {};
}

// A post-op with a NaN or infinite alpha/beta (LeakyRelu alpha=inf, Mul by NaN, Div by a denormal)
// is not fused: oneDNN may refuse it or compute it differently; the node's own kernel runs it as
// ONNX says.
std::vector<Post> FiniteOnly(std::vector<Post> posts) {
  for (const Post& p : posts)
    if (!std::isfinite(p.alpha) || !std::isfinite(p.beta)) return {};
  return posts;
}

// A binary op reading `y` and one other operand that fits into y's shape: a binary post-op.
std::vector<Post> AsBinary(const Graph& g, const ShapeSymbols& sym, const Node& f, int y, bool runtime) {
  if (f.removed || !f.domain.empty() || f.inputs.size() != 2 || f.outputs.empty()) return {};
  const bool first = f.inputs[0] == y;
  const int other = first ? f.inputs[1] : f.inputs[0];
  // other < 0: an omitted input ("") in a hostile model.
  if ((!first && f.inputs[1] != y) || other == y || other < 0) return {};
  if ((g.values[other].constant != nullptr) == runtime) return {};
  if (g.values[other].dtype != DataType::kFloat32 && g.values[other].dtype != DataType::kUndefined) return {};
  if (!sym.FitsInto(other, y)) return {};
  const std::string& op = f.op_type;
  if (op == "Add") return {{"binary_add", 0.f, 0.f, other}};
  if (op == "Mul") return {{"binary_mul", 0.f, 0.f, other}};
  if (op == "Sub" && first) return {{"binary_sub", 0.f, 0.f, other}};
  if (op == "Div" && first) return {{"binary_div", 0.f, 0.f, other}};
  return {};
}

void Append(Node* host, const std::vector<Post>& posts, const std::string& fused_domain) {
  if (host->domain != fused_domain) {
    Attribute opset, n_in;
    opset.type = n_in.type = Attribute::Type::kInt;
    opset.i = host->opset;
    n_in.i = static_cast<int64_t>(host->inputs.size());
    host->attrs["onnx_opset"] = opset;
    host->attrs["num_op_inputs"] = n_in;
    host->attrs["post_ops"].type = Attribute::Type::kStrings;
    host->attrs["post_alpha"].type = Attribute::Type::kFloats;
    host->attrs["post_beta"].type = Attribute::Type::kFloats;
    host->domain = fused_domain;
    host->opset = 1;
  }
  for (const Post& p : posts) {
    host->attrs["post_ops"].strings.push_back(p.name);
    host->attrs["post_alpha"].floats.push_back(p.alpha);
    host->attrs["post_beta"].floats.push_back(p.beta);
    if (p.operand >= 0) host->inputs.push_back(p.operand);
  }
}

}  // namespace

Status FusePostOps(Graph* g, const Config& config, bool eltwise, bool runtime_binary) {
  // The preferred backend's fusions (oneDNN's, or CUDA's when it comes first): a backend that
  // registers no capability, or one without a fused domain, gets none.
  const std::vector<std::string> backends = EffectiveBackends(config);
  const BackendCapability* cap = backends.empty() ? nullptr : FindCapability(backends.front());
  if (!cap || cap->FusedDomain().empty()) return Status::Ok();
  if (backends.front() == kBackendOneDnn && !OneDnnEnabled(config)) return Status::Ok();
  const std::string fused_domain = cap->FusedDomain();
  g->opsets[fused_domain] = 1;
  Uses uses = g->Consumers();
  ShapeSymbols sym = ComputeShapeSymbols(*g);
  for (size_t hi = 0; hi < g->nodes.size(); ++hi) {
    if (!IsHost(g->nodes[hi], fused_domain) || g->nodes[hi].outputs.empty()) continue;
    if (!cap->CanRun(*g, g->nodes[hi])) continue;
    bool fused_runtime = false;
    while (true) {
      Node& host = g->nodes[hi];
      const int y = host.outputs[0];
      if (y < 0) break;
      for (size_t k = 1; k < host.outputs.size(); ++k)
        if (host.outputs[k] >= 0) goto next_host;  // post-ops would apply to output 0 only
      {
        std::vector<Post> posts;
        std::vector<int> gone;
        const int fi = SoleConsumer(*g, uses, y);
        if (fi >= 0) {
          const Node& f = g->nodes[fi];
          if (eltwise) posts = FiniteOnly(AsEltwise(*g, f, y));
          if (posts.empty() && eltwise) posts = AsBinary(*g, sym, f, y, false);
          if (posts.empty() && runtime_binary && !fused_runtime) {
            posts = AsBinary(*g, sym, f, y, true);
            // The operand must be ready before the host runs.
            if (!posts.empty() && DependsOnNode(*g, posts[0].operand, static_cast<int>(hi))) posts.clear();
            if (!posts.empty()) fused_runtime = true;
          }
          if (!posts.empty()) gone.push_back(fi);
        } else if (eltwise && uses[y].size() == 2 && !g->values[y].is_graph_output) {
          // swish: y * Sigmoid(y) or y * Sigmoid(c * y)
          int si = -1, mi = -1, ci = -1;
          float alpha = 1.f;
          for (int c : uses[y]) {
            const Node& n = g->nodes[c];
            float k;
            if (IsOp(n, "Sigmoid") && n.inputs[0] == y) {
              si = c;
            } else if (IsOp(n, "Mul") && n.inputs.size() == 2 && n.inputs[0] != n.inputs[1] &&
                       (ConstScalar(*g, n.inputs[0], &k) || ConstScalar(*g, n.inputs[1], &k)) &&
                       ConstOf(*g, n.inputs[n.inputs[0] == y ? 1 : 0])->rank() <= 1) {
              const int sc = SoleConsumer(*g, uses, n.outputs[0]);
              if (sc >= 0 && IsOp(g->nodes[sc], "Sigmoid")) {
                ci = c;
                si = sc;
                alpha = k;
              }
            } else if (IsOp(n, "Mul") && n.inputs.size() == 2) {
              mi = c;
            }
          }
          if (si >= 0 && mi >= 0 && SoleConsumer(*g, uses, g->nodes[si].outputs[0]) == mi) {
            const Node& m = g->nodes[mi];
            const int s = g->nodes[si].outputs[0];
            if ((m.inputs[0] == y && m.inputs[1] == s) || (m.inputs[1] == y && m.inputs[0] == s)) {
              posts = {{"swish", alpha}};
              gone = {si, mi};
              if (ci >= 0) gone.insert(gone.begin(), ci);
            }
          }
        }
        if (posts.empty()) break;
        const int out = g->nodes[gone.back()].outputs[0];
        Append(&g->nodes[hi], posts, fused_domain);
        for (int r : gone) g->nodes[r].removed = true;
        TakeOutput(g, static_cast<int>(hi), out);
        uses = g->Consumers();
      }
    }
  next_host:;
  }
  return Status::Ok();
}

Status FuseActivation(Graph* g, const Config& config) { return FusePostOps(g, config, true, false); }

}  // namespace pl::ir
