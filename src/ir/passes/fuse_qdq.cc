// Pass "fuse_qdq": the QDQ form of a quantized Conv / MatMul (what ONNX Runtime's quantizer and
// Paddle2ONNX write for int8 models)
//   DequantizeLinear(xq) -> Conv(., DequantizeLinear(wq), DequantizeLinear(bq)) -> QuantizeLinear
//   DequantizeLinear(aq) -> MatMul(., DequantizeLinear(bq)) -> QuantizeLinear
// becomes QLinearConv / QLinearMatMul on the quantized operands: one int32 accumulation and one
// requantization, which is how ONNX Runtime (and every int8 engine) runs that graph. The float
// detour the graph spells out rounds differently at every layer, and over a deep network those
// one-step differences compound (the PP-OCR cls model: 1.7% of the quantized activations more than
// one step from ONNX Runtime's). Runs before constant folding, which would turn the weights'
// DequantizeLinear into float constants. A graph without QuantizeLinear is not touched.
#include <algorithm>
#include <cmath>

#include "pl/op_registry.h"
#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

namespace pl::ir {
namespace {

bool IsQ8(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

// A DequantizeLinear / QuantizeLinear node's operands.
struct QParams {
  int node = -1;
  int data = -1, scale = -1, zero_point = -1;  // zero_point -1 when omitted
  int64_t axis = 1;
  int64_t count = 1;  // scale values
};

// Node `ni` as a (De)QuantizeLinear with a constant float32 scale and a constant (or omitted)
// zero point of the matching shape; false when it is something else.
bool ReadQParams(const Graph& g, int ni, const char* op, QParams* p) {
  if (ni < 0) return false;
  const Node& n = g.nodes[ni];
  if (!IsOp(n, op) || n.inputs.size() < 2 || n.inputs[0] < 0 || n.inputs[1] < 0) return false;
  if (n.attrs.count("block_size") && n.attrs.at("block_size").i != 0) return false;
  const Tensor* s = ConstOf(g, n.inputs[1]);
  if (!s || s->dtype() != DataType::kFloat32 || s->NumElements() < 1 || s->rank() > 1) return false;
  for (int64_t i = 0; i < s->NumElements(); ++i)
    if (!(s->Data<float>()[i] > 0.f) || std::isinf(s->Data<float>()[i])) return false;
  p->node = ni;
  p->data = n.inputs[0];
  p->scale = n.inputs[1];
  p->zero_point = n.inputs.size() > 2 ? n.inputs[2] : -1;
  p->count = s->NumElements();
  if (p->zero_point >= 0) {
    const Tensor* z = ConstOf(g, p->zero_point);
    if (!z || !IsQ8(z->dtype()) || z->NumElements() != p->count) return false;
  }
  auto it = n.attrs.find("axis");
  p->axis = it == n.attrs.end() ? 1 : it->second.i;
  return true;
}

// The integer type of a (De)QuantizeLinear: its zero point's, else the quantized input's
// (DequantizeLinear) or uint8 (QuantizeLinear without a zero point).
DataType QuantType(const Graph& g, const QParams& p, bool quantize) {
  if (p.zero_point >= 0) return ConstOf(g, p.zero_point)->dtype();
  return quantize ? DataType::kUint8 : g.values[p.data].dtype;
}

// The zero point operand: the node's own, or a new zero constant of `type` and `count` values.
StatusOr<int> ZeroPoint(Graph* g, const QParams& p, DataType type, const std::string& hint) {
  if (p.zero_point >= 0) return p.zero_point;
  PL_ASSIGN_OR_RETURN(Tensor z, Tensor::Create(type, p.count > 1 ? Shape{p.count} : Shape{}));
  std::fill(static_cast<uint8_t*>(z.RawMutableData()), static_cast<uint8_t*>(z.RawMutableData()) + p.count, 0);
  return AddConstant(g, hint + "_zero_point", std::move(z));
}

float ScalarOf(const Graph& g, int v) { return ConstOf(g, v)->Data<float>()[0]; }

// The quantized bias of a Conv: a DequantizeLinear of a constant int32 tensor with zero point 0
// and scale x_scale * w_scale[m] (how the quantizers write it), or false.
bool ReadBias(const Graph& g, const std::vector<int>& producer, int v, float x_scale, const Tensor& w_scale,
              int64_t channels, int* bias_q) {
  QParams b;
  if (v < 0 || !ReadQParams(g, producer[v], "DequantizeLinear", &b)) return false;
  const Tensor* q = ConstOf(g, b.data);
  if (!q || q->dtype() != DataType::kInt32 || q->rank() != 1 || q->dim(0) != channels) return false;
  if (b.zero_point >= 0) {
    const Tensor* z = ConstOf(g, b.zero_point);
    if (z->dtype() != DataType::kInt32) return false;
    for (int64_t i = 0; i < z->NumElements(); ++i)
      if (z->Data<int32_t>()[i] != 0) return false;
  }
  const Tensor* s = ConstOf(g, b.scale);
  if (s->NumElements() != 1 && s->NumElements() != channels) return false;
  for (int64_t m = 0; m < channels; ++m) {
    const float want = x_scale * w_scale.Data<float>()[w_scale.NumElements() == 1 ? 0 : m];
    const float got = s->Data<float>()[s->NumElements() == 1 ? 0 : m];
    if (std::fabs(got - want) > 1e-6f * want) return false;
  }
  *bias_q = b.data;
  return true;
}

// A kernel for (op, opset) with quantized input type `t` on one of the compile's backends.
bool HasQ8Kernel(const Config& config, const char* op, int opset, DataType t) {
  for (const auto& b : EffectiveBackends(config))
    if (!KernelRegistry::Global().Find("", op, opset, b, t).empty()) return true;
  return false;
}

}  // namespace

Status FuseQdq(Graph* g, const Config& config) {
  bool any_q = false;
  for (const Node& n : g->nodes) any_q |= IsOp(n, "QuantizeLinear");
  if (!any_q) return Status::Ok();
  std::vector<int> producer(g->values.size(), -1);
  for (size_t i = 0; i < g->nodes.size(); ++i)
    if (!g->nodes[i].removed)
      for (int o : g->nodes[i].outputs)
        if (o >= 0) producer[o] = static_cast<int>(i);
  Uses uses = g->Consumers();
  const size_t original = g->nodes.size();
  for (size_t ci = 0; ci < original; ++ci) {
    const Node& op = g->nodes[ci];
    const bool conv = IsOp(op, "Conv"), matmul = IsOp(op, "MatMul");
    if ((!conv && !matmul) || op.inputs.size() < 2 || op.inputs[0] < 0 || op.inputs[1] < 0) continue;
    QParams x, w, y;
    if (!ReadQParams(*g, producer[op.inputs[0]], "DequantizeLinear", &x) || x.count != 1) continue;
    if (!ReadQParams(*g, producer[op.inputs[1]], "DequantizeLinear", &w)) continue;
    const int qi = SoleConsumer(*g, uses, op.outputs[0]);
    if (!ReadQParams(*g, qi, "QuantizeLinear", &y) || y.count != 1 || g->nodes[qi].inputs[0] != op.outputs[0]) continue;
    const DataType xt = QuantType(*g, x, false), wt = QuantType(*g, w, false), yt = QuantType(*g, y, true);
    if (!IsQ8(xt) || !IsQ8(wt) || !IsQ8(yt)) continue;
    if (!HasQ8Kernel(config, conv ? "QLinearConv" : "QLinearMatMul", std::max(op.opset, 10), xt)) continue;
    const Tensor* wq = ConstOf(*g, w.data);
    const Tensor* ws = ConstOf(*g, w.scale);
    int bias_q = -1;
    if (conv) {
      // Weights constant, per tensor or per output channel (axis 0).
      if (!wq || wq->rank() < 3) continue;
      const int64_t m = wq->dim(0);
      if (w.count != 1 && (w.count != m || (w.axis != 0 && w.axis != -wq->rank()))) continue;
      if (op.inputs.size() > 2 && op.inputs[2] >= 0 &&
          !ReadBias(*g, producer, op.inputs[2], ScalarOf(*g, x.scale), *ws, m, &bias_q))
        continue;
    } else if (w.count != 1) {
      // Per column of a 2-D B only (QLinearMatMul's per-column b_scale).
      const Value& bv = g->values[w.data];
      if (!bv.has_shape || bv.shape.size() != 2 || bv.shape[1] != w.count || (w.axis != 1 && w.axis != -1)) continue;
    }
    const std::string name = op.name.empty() ? g->values[op.outputs[0]].name : op.name;
    PL_ASSIGN_OR_RETURN(int xz, ZeroPoint(g, x, xt, name + "_x"));
    PL_ASSIGN_OR_RETURN(int wz, ZeroPoint(g, w, wt, name + "_w"));
    PL_ASSIGN_OR_RETURN(int yz, ZeroPoint(g, y, yt, name + "_y"));
    Node fused;
    fused.name = name + "_qlinear";
    fused.op_type = conv ? "QLinearConv" : "QLinearMatMul";
    fused.opset = std::max(g->nodes[ci].opset, 10);
    fused.inputs = {x.data, x.scale, xz, w.data, w.scale, wz, y.scale, yz};
    if (bias_q >= 0) fused.inputs.push_back(bias_q);
    fused.outputs = {g->nodes[qi].outputs[0]};
    if (conv) fused.attrs = g->nodes[ci].attrs;
    g->nodes[ci].removed = true;
    g->nodes[qi].removed = true;
    g->nodes.push_back(std::move(fused));
    uses = g->Consumers();
  }
  return Status::Ok();
}

}  // namespace pl::ir
