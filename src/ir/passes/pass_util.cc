#include "src/ir/passes/pass_util.h"

#include <algorithm>
#include <map>
#include <set>

#include "pl/op_registry.h"

namespace pl::ir {

const Tensor* ConstOf(const Graph& g, int v) { return v >= 0 && v < static_cast<int>(g.values.size()) ? g.values[v].constant.get() : nullptr; }

bool ConstScalar(const Graph& g, int v, float* out) {
  const Tensor* t = ConstOf(g, v);
  if (!t || t->NumElements() != 1) return false;
  switch (t->dtype()) {
    case DataType::kFloat32: *out = t->Data<float>()[0]; return true;
    case DataType::kFloat64: *out = static_cast<float>(t->Data<double>()[0]); return true;
    default: return false;
  }
}

bool ConstFloats(const Graph& g, int v, std::vector<float>* out) {
  const Tensor* t = ConstOf(g, v);
  if (!t || t->dtype() != DataType::kFloat32) return false;
  out->assign(t->Data<float>(), t->Data<float>() + t->NumElements());
  return true;
}

int SoleConsumer(const Graph& g, const Uses& uses, int v) {
  if (v < 0 || g.values[v].is_graph_output || uses[v].size() != 1) return -1;
  const Node& n = g.nodes[uses[v][0]];
  for (int x : n.implicit_inputs)
    if (x == v) return -1;
  return uses[v][0];
}

namespace {
std::string UniqueName(const Graph& g, const std::string& hint) {
  if (g.FindValue(hint) < 0) return hint;
  for (int i = 1;; ++i) {
    std::string n = hint + "_" + std::to_string(i);
    if (g.FindValue(n) < 0) return n;
  }
}
}  // namespace

int AddConstant(Graph* g, const std::string& hint, Tensor t) {
  Value v;
  v.name = UniqueName(*g, hint);
  v.dtype = t.dtype();
  v.has_shape = true;
  v.shape = t.shape();
  v.dim_names.assign(v.shape.size(), "");
  t.set_name(v.name);
  v.constant = std::make_shared<const Tensor>(std::move(t));
  return g->AddValue(std::move(v));
}

int AddValueLike(Graph* g, const std::string& hint, int like) {
  Value v;
  v.name = UniqueName(*g, hint);
  if (like >= 0) {
    v.dtype = g->values[like].dtype;
    v.has_shape = g->values[like].has_shape;
    v.shape = g->values[like].shape;
    v.dim_names = g->values[like].dim_names;
  }
  return g->AddValue(std::move(v));
}

void TakeOutput(Graph* g, int new_producer, int value) {
  Node& n = g->nodes[new_producer];
  if (n.outputs.empty()) n.outputs.push_back(value);
  else n.outputs[0] = value;
}

std::vector<std::string> EffectiveBackends(const Config& config) {
  std::vector<std::string> b = config.backends();
  if (b.empty()) {
#ifdef PL_WITH_ONEDNN
    b.push_back(kBackendOneDnn);
#endif
    b.push_back(kBackendCpuRef);
  }
  if (std::find(b.begin(), b.end(), kBackendCpuRef) == b.end()) b.push_back(kBackendCpuRef);
  return b;
}

bool OneDnnEnabled(const Config& config) {
#ifdef PL_WITH_ONEDNN
  // Only as the preferred backend: fused pl.onednn nodes would otherwise take nodes away from a
  // backend listed before it (CUDA, say).
  auto b = EffectiveBackends(config);
  return !b.empty() && b.front() == kBackendOneDnn;
#else
  (void)config;
  return false;
#endif
}

bool SomeBackendHasKernel(const Config& config, const std::string& domain, const std::string& op, int opset) {
  for (const auto& b : EffectiveBackends(config))
    if (!KernelRegistry::Global().Find(domain, op, opset, b, DataType::kFloat32).empty()) return true;
  return false;
}

int64_t FoldableConvChannels(const Graph& g, const Node& n) {
  if (!(IsOp(n, "Conv") || IsOp(n, "ConvTranspose")) || n.inputs.size() < 2 || n.outputs.empty()) return -1;
  const Tensor* w = ConstOf(g, n.inputs[1]);
  if (!w || w->dtype() != DataType::kFloat32 || w->rank() < 3) return -1;
  int64_t group = 1;
  if (auto it = n.attrs.find("group"); it != n.attrs.end()) group = it->second.i;
  if (group < 1 || w->dim(0) % group != 0) return -1;
  const int64_t m = n.op_type == "Conv" ? w->dim(0) : w->dim(1) * group;
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    const Tensor* b = ConstOf(g, n.inputs[2]);
    if (!b || b->dtype() != DataType::kFloat32 || b->NumElements() != m) return -1;
  }
  return m;
}

Status ScaleConvOutput(Graph* g, int conv, const std::vector<float>& scale, const std::vector<float>& shift) {
  Node& n = g->nodes[conv];
  const Tensor& w = *ConstOf(*g, n.inputs[1]);
  int64_t group = 1;
  if (auto it = n.attrs.find("group"); it != n.attrs.end()) group = it->second.i;
  const bool transpose = n.op_type == "ConvTranspose";
  const int64_t m = transpose ? w.dim(1) * group : w.dim(0);
  auto sc = [&](int64_t c) { return scale.size() == 1 ? scale[0] : scale[c]; };
  auto sh = [&](int64_t c) { return shift.size() == 1 ? shift[0] : shift[c]; };
  PL_ASSIGN_OR_RETURN(Tensor nw, w.Clone());
  float* pw = nw.MutableData<float>();
  const int64_t per = w.NumElements() / (w.dim(0) * w.dim(1));  // kernel elements
  for (int64_t i = 0; i < w.dim(0); ++i)
    for (int64_t j = 0; j < w.dim(1); ++j) {
      // Conv W [M, C/g, k]: channel i. ConvTranspose W [C, M/g, k]: channel group(i) * M/g + j.
      const int64_t c = transpose ? (i / (w.dim(0) / group)) * w.dim(1) + j : i;
      const float f = sc(c);
      float* p = pw + (i * w.dim(1) + j) * per;
      for (int64_t k = 0; k < per; ++k) p[k] *= f;
    }
  std::vector<float> bias(m, 0.f);
  if (n.inputs.size() > 2 && n.inputs[2] >= 0) {
    const Tensor* b = ConstOf(*g, n.inputs[2]);
    bias.assign(b->Data<float>(), b->Data<float>() + m);
  }
  for (int64_t c = 0; c < m; ++c) bias[c] = bias[c] * sc(c) + sh(c);
  const std::string wname = g->values[n.inputs[1]].name;
  const int wv = AddConstant(g, wname + "_folded", std::move(nw));
  PL_ASSIGN_OR_RETURN(Tensor nb, Tensor::FromVector<float>({m}, bias));
  const int bv = AddConstant(g, n.name + "_bias_folded", std::move(nb));
  Node& n2 = g->nodes[conv];  // AddConstant may not move nodes, but stay safe
  n2.inputs[1] = wv;
  if (n2.inputs.size() < 3) n2.inputs.resize(3, -1);
  n2.inputs[2] = bv;
  return Status::Ok();
}

bool ChannelVector(const Graph& g, int v, int64_t channels, size_t rank, std::vector<float>* out) {
  const Tensor* t = ConstOf(g, v);
  if (!t || t->dtype() != DataType::kFloat32 || static_cast<size_t>(t->rank()) > rank) return false;
  if (t->NumElements() == 1) {
    out->assign(1, t->Data<float>()[0]);
    return true;
  }
  // Aligned to [N, M, s...]: every dim but the channel one must be 1.
  const size_t off = rank - t->rank();
  for (size_t i = 0; i < static_cast<size_t>(t->rank()); ++i) {
    const int64_t d = t->dim(static_cast<int>(i));
    if (off + i == 1 ? d != channels : d != 1) return false;
  }
  out->assign(t->Data<float>(), t->Data<float>() + channels);
  return true;
}

// ----- symbolic shapes -----

bool ShapeSymbols::FitsInto(int operand, int target) const {
  if (operand < 0 || target < 0 || !known[operand] || !known[target]) return false;
  const auto& a = dims[operand];
  const auto& t = dims[target];
  if (a.size() > t.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const int64_t x = a[i], y = t[t.size() - a.size() + i];
    if (x != 1 && x != y) return false;
  }
  return true;
}

namespace {

bool IsUnaryShapeOp(const Node& n) {
  static const std::set<std::string> kOps = {
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Clip", "HardSigmoid", "HardSwish", "Elu", "Exp", "Log", "Sqrt",
      "Abs", "Neg", "Softplus", "Identity", "Dropout", "Cast", "BatchNormalization", "LayerNormalization", "Softmax",
      "LogSoftmax", "Erf", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "Selu", "Celu", "Mish", "Gelu", "Not",
      "InstanceNormalization", "LpNormalization", "PRelu"};
  return kOps.count(n.op_type) > 0;
}

bool IsBroadcastOp(const Node& n) {
  static const std::set<std::string> kOps = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean",
                                             "Equal", "Less", "Greater", "And", "Or", "Xor", "Where", "Mod"};
  return kOps.count(n.op_type) > 0;
}

}  // namespace

ShapeSymbols ComputeShapeSymbols(const Graph& g) {
  ShapeSymbols s;
  s.dims.resize(g.values.size());
  s.known.assign(g.values.size(), false);
  int64_t next = -1;
  std::map<std::string, int64_t> named;
  // Static info from the model / ONNX shape inference, fresh symbols for unknown dims.
  auto from_static = [&](int v) {
    const Value& val = g.values[v];
    if (val.constant) {
      s.dims[v] = val.constant->shape();
      s.known[v] = true;
      return;
    }
    if (!val.has_shape) return;
    s.known[v] = true;
    s.dims[v].resize(val.shape.size());
    for (size_t i = 0; i < val.shape.size(); ++i) {
      if (val.shape[i] >= 0) {
        s.dims[v][i] = val.shape[i];
      } else if (i < val.dim_names.size() && !val.dim_names[i].empty()) {
        auto it = named.find(val.dim_names[i]);
        if (it == named.end()) it = named.emplace(val.dim_names[i], next--).first;
        s.dims[v][i] = it->second;
      } else {
        s.dims[v][i] = next--;
      }
    }
  };
  for (size_t v = 0; v < g.values.size(); ++v)
    if (g.values[v].producer < 0) from_static(static_cast<int>(v));
  for (const Node& n : g.nodes) {
    // Fused pl.onednn nodes keep their op's shape rule (their extra operands fit by construction).
    if (n.removed) continue;  // tombstones still name the values they used to produce
    if (!(n.domain.empty() || n.domain == "pl.onednn")) {
      for (int o : n.outputs)
        if (o >= 0) from_static(o);
      continue;
    }
    const int out = n.outputs.empty() ? -1 : n.outputs[0];
    for (size_t k = 1; k < n.outputs.size(); ++k)
      if (n.outputs[k] >= 0) from_static(n.outputs[k]);
    if (out < 0) continue;
    const int in0 = n.inputs.empty() ? -1 : n.inputs[0];
    if (IsUnaryShapeOp(n) && in0 >= 0 && s.known[in0]) {
      s.dims[out] = s.dims[in0];
      s.known[out] = true;
    } else if (IsBroadcastOp(n)) {
      bool ok = true;
      std::vector<int64_t> r;
      for (int in : n.inputs) {
        if (in < 0) continue;
        if (!s.known[in]) { ok = false; break; }
        const auto& d = s.dims[in];
        if (d.size() > r.size()) r.insert(r.begin(), d.size() - r.size(), 1);
        for (size_t i = 0; i < d.size(); ++i) {
          int64_t& x = r[r.size() - d.size() + i];
          const int64_t y = d[i];
          if (y == 1 || x == y) continue;
          if (x == 1) x = y;
          else x = next--;  // differing symbols: unknown (the run may still broadcast)
        }
      }
      if (ok) {
        s.dims[out] = r;
        s.known[out] = true;
      } else {
        from_static(out);
      }
    } else if ((n.op_type == "Conv" || n.op_type == "MaxPool" || n.op_type == "AveragePool") && in0 >= 0 &&
               s.known[in0] && s.dims[in0].size() >= 3) {
      // Spatial dims survive convolutions/pools that keep them: stride 1 and pads == kernel extent - 1.
      const auto& x = s.dims[in0];
      const size_t sp = x.size() - 2;
      std::vector<int64_t> d = x;
      const Tensor* w = n.op_type == "Conv" && n.inputs.size() > 1 ? ConstOf(g, n.inputs[1]) : nullptr;
      if (n.op_type == "Conv") d[1] = w && w->rank() >= 1 ? w->dim(0) : next--;
      auto ints = [&](const char* k, std::vector<int64_t> def) {
        auto it = n.attrs.find(k);
        return it == n.attrs.end() ? def : it->second.ints;
      };
      std::vector<int64_t> kernel = ints("kernel_shape", {});
      if (kernel.empty() && w && w->rank() == static_cast<int64_t>(x.size())) kernel.assign(w->shape().begin() + 2, w->shape().end());
      std::vector<int64_t> strides = ints("strides", std::vector<int64_t>(sp, 1));
      std::vector<int64_t> dil = ints("dilations", std::vector<int64_t>(sp, 1));
      std::vector<int64_t> pads = ints("pads", std::vector<int64_t>(2 * sp, 0));
      auto ap = n.attrs.find("auto_pad");
      const bool notset = ap == n.attrs.end() || ap->second.s == "NOTSET";
      auto ceil = n.attrs.find("ceil_mode");
      const bool ceil_mode = ceil != n.attrs.end() && ceil->second.i != 0;
      for (size_t i = 0; i < sp; ++i) {
        bool same = kernel.size() == sp && strides.size() == sp && dil.size() == sp && pads.size() == 2 * sp && notset &&
                    strides[i] == 1 && pads[i] + pads[sp + i] == (kernel[i] - 1) * dil[i] && !ceil_mode;
        if (!same) d[2 + i] = next--;
      }
      s.dims[out] = d;
      s.known[out] = true;
    } else if ((n.op_type == "Resize" || n.op_type == "Upsample") && in0 >= 0 && s.known[in0]) {
      // Dims with scale 1 keep their symbol.
      const int si = n.op_type == "Upsample" || n.opset < 11 ? 1 : 2;
      std::vector<float> scales;
      if (auto it = n.attrs.find("scales"); it != n.attrs.end()) scales = it->second.floats;
      else if (static_cast<int>(n.inputs.size()) > si) ConstFloats(g, n.inputs[si], &scales);
      std::vector<int64_t> d = s.dims[in0];
      if (scales.size() == d.size()) {
        for (size_t i = 0; i < d.size(); ++i)
          if (scales[i] != 1.f) d[i] = d[i] >= 0 ? static_cast<int64_t>(d[i] * static_cast<double>(scales[i])) : next--;
        s.dims[out] = d;
        s.known[out] = true;
      } else {
        from_static(out);
      }
    } else if (n.op_type == "Concat" && in0 >= 0 && s.known[in0]) {
      auto it = n.attrs.find("axis");
      std::vector<int64_t> d = s.dims[in0];
      const int64_t r = static_cast<int64_t>(d.size());
      int64_t axis = it == n.attrs.end() ? 0 : it->second.i;
      if (axis < 0) axis += r;
      if (axis >= 0 && axis < r) {
        for (size_t k = 1; k < n.inputs.size(); ++k) {
          const int in = n.inputs[k];
          d[axis] = in >= 0 && s.known[in] && s.dims[in].size() == d.size() && d[axis] >= 0 && s.dims[in][axis] >= 0
                        ? d[axis] + s.dims[in][axis]
                        : next--;
        }
        s.dims[out] = d;
        s.known[out] = true;
      } else {
        from_static(out);
      }
    } else if ((n.op_type == "GlobalAveragePool" || n.op_type == "GlobalMaxPool") && in0 >= 0 && s.known[in0]) {
      std::vector<int64_t> d = s.dims[in0];
      for (size_t i = 2; i < d.size(); ++i) d[i] = 1;
      s.dims[out] = d;
      s.known[out] = true;
    } else {
      from_static(out);
    }
    // Static knowledge refines symbols (a dim inference proved constant).
    const Value& val = g.values[out];
    if (val.has_shape && s.known[out] && val.shape.size() == s.dims[out].size())
      for (size_t i = 0; i < val.shape.size(); ++i)
        if (val.shape[i] >= 0) s.dims[out][i] = val.shape[i];
  }
  return s;
}

bool DependsOnNode(const Graph& g, int v, int n) {
  std::vector<int> producer(g.values.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    if (g.nodes[i].removed) continue;
    for (int o : g.nodes[i].outputs)
      if (o >= 0) producer[o] = static_cast<int>(i);
  }
  std::vector<char> seen(g.nodes.size(), 0);
  std::vector<int> stack;
  auto push_producer = [&](int val) {
    const int p = val < 0 ? -1 : producer[val];
    if (p >= 0 && !seen[p]) {
      seen[p] = 1;
      stack.push_back(p);
    }
  };
  push_producer(v);
  while (!stack.empty()) {
    int x = stack.back();
    stack.pop_back();
    if (x == n) return true;
    for (int in : g.nodes[x].inputs) push_producer(in);
    for (int in : g.nodes[x].implicit_inputs) push_producer(in);
  }
  return false;
}

}  // namespace pl::ir
