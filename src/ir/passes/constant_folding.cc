// Pass "constant_folding": a node whose inputs are all constants is run once, at compile time,
// on the reference backend and replaced by its outputs (shared by every clone like weights).
// Shape (and Size) of a value whose shape is fully known becomes a constant too, so the
// Shape -> Cast -> Slice -> Concat chains exporters emit for Reshape targets fold away once
// static shapes are known.
#include <algorithm>
#include <set>

#include "pl/op_registry.h"
#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

namespace pl::ir {
namespace {

// Outputs bigger than this stay computed at run time (folding would bloat every model copy).
constexpr size_t kMaxFoldedBytes = 16u << 20;

// Runs one kernel on constant inputs.
class FoldContext final : public KernelContext {
 public:
  FoldContext(const NodeInfo& info, std::vector<const Tensor*> inputs)
      : info_(info), inputs_(std::move(inputs)), outputs_(info.num_outputs()) {}
  int NumInputs() const override { return static_cast<int>(inputs_.size()); }
  const Tensor* Input(int i) const override { return i >= 0 && i < NumInputs() ? inputs_[i] : nullptr; }
  int NumOutputs() const override { return static_cast<int>(outputs_.size()); }
  bool OutputRequested(int i) const override { return i >= 0 && i < NumOutputs() && info_.output_present[i]; }
  StatusOr<Tensor*> Output(int i, const Shape& shape, DataType dtype) override {
    if (i < 0 || i >= NumOutputs()) return Status::Internal("output index out of range");
    // Never allocate more at load than would be folded: a hostile ConstantOfShape/Expand/Tile
    // is left to run time, where the Config's memory limits apply.
    const int64_t n = ShapeNumElements(shape);
    if (n < 0 || static_cast<uint64_t>(n) > kMaxFoldedBytes / std::max<size_t>(1, DataTypeSize(dtype)))
      return Status::ResourceExhausted("constant folding: output too large");
    PL_ASSIGN_OR_RETURN(outputs_[i], Tensor::Create(dtype, shape));
    return &outputs_[i];
  }
  DataType OutputType(int i) const override {
    DataType d = i < static_cast<int>(info_.output_types.size()) ? info_.output_types[i] : DataType::kUndefined;
    if (d == DataType::kUndefined && !inputs_.empty() && inputs_[0]) d = inputs_[0]->dtype();
    return d;
  }
  StatusOr<void*> Workspace(size_t bytes) override {
    if (bytes > kMaxFoldedBytes) return Status::ResourceExhausted("constant folding: workspace too large");
    scratch_.resize(bytes + 64);
    return static_cast<void*>(scratch_.data());
  }
  std::unique_ptr<KernelState>& state() override { return state_; }
  int intra_op_threads() const override { return 1; }
  const NodeInfo& node() const override { return info_; }
  std::vector<Tensor>& outputs() { return outputs_; }

 private:
  const NodeInfo& info_;
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor> outputs_;
  std::vector<char> scratch_;
  std::unique_ptr<KernelState> state_;
};

bool Foldable(const Node& n) {
  static const std::set<std::string> kNever = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
                                               "Multinomial", "Bernoulli", "If", "Loop", "Scan", "Constant"};
  if (n.removed || !n.domain.empty() || kNever.count(n.op_type) || n.inputs.empty() || !n.implicit_inputs.empty())
    return false;
  for (const auto& [k, a] : n.attrs)
    if (a.type == Attribute::Type::kGraph) return false;
  return true;
}

// Shape/Size of a fully known shape.
bool FoldShape(Graph* g, Node& n) {
  if (n.inputs.empty() || n.inputs[0] < 0 || n.outputs.empty() || n.outputs[0] < 0) return false;
  const Value& x = g->values[n.inputs[0]];
  Shape shape;
  if (x.constant) {
    shape = x.constant->shape();
  } else {
    if (!x.has_shape) return false;
    for (int64_t d : x.shape)
      if (d < 0) return false;
    shape = x.shape;
  }
  Tensor t;
  if (n.op_type == "Size") {
    auto r = Tensor::FromVector<int64_t>({}, {ShapeNumElements(shape)});
    if (!r.ok()) return false;  // left to run time
    t = std::move(r).value();
  } else {
    const int64_t r = static_cast<int64_t>(shape.size());
    auto clamp = [&](int64_t v) { return std::min(std::max(v < 0 ? v + r : v, int64_t{0}), r); };
    int64_t start = 0, end = r;
    if (auto it = n.attrs.find("start"); it != n.attrs.end()) start = clamp(it->second.i);
    if (auto it = n.attrs.find("end"); it != n.attrs.end()) end = clamp(it->second.i);
    std::vector<int64_t> dims;
    for (int64_t i = start; i < end; ++i) dims.push_back(shape[i]);
    auto rt = Tensor::FromVector<int64_t>({static_cast<int64_t>(dims.size())}, dims);
    if (!rt.ok()) return false;  // left to run time
    t = std::move(rt).value();
  }
  Value& out = g->values[n.outputs[0]];
  t.set_name(out.name);
  out.dtype = t.dtype();
  out.has_shape = true;
  out.shape = t.shape();
  out.dim_names.assign(out.shape.size(), "");
  out.constant = std::make_shared<const Tensor>(std::move(t));
  n.removed = true;
  return true;
}

}  // namespace

Status FoldConstants(Graph* g) {
  for (Node& n : g->nodes) {
    if (!Foldable(n)) continue;
    if (n.op_type == "Shape" || n.op_type == "Size") {
      FoldShape(g, n);
      continue;
    }
    bool all_const = true;
    std::vector<const Tensor*> inputs;
    for (int in : n.inputs) {
      if (in >= 0 && !g->values[in].constant) all_const = false;
      inputs.push_back(in >= 0 ? g->values[in].constant.get() : nullptr);
    }
    if (!all_const) continue;
    bool outputs_ok = true;
    for (int o : n.outputs) outputs_ok &= o < 0 || !g->values[o].is_graph_output;
    if (!outputs_ok) continue;  // a graph output must stay produced by a node
    NodeInfo info;
    info.name = n.name;
    info.op_type = n.op_type;
    info.domain = n.domain;
    info.opset = n.opset;
    info.attributes = &n.attrs;
    for (int in : n.inputs) {
      info.input_present.push_back(in >= 0);
      info.input_types.push_back(in >= 0 ? g->values[in].dtype : DataType::kUndefined);
      info.constant_inputs.push_back(in >= 0 ? g->values[in].constant.get() : nullptr);
    }
    for (int o : n.outputs) {
      info.output_present.push_back(o >= 0);
      info.output_types.push_back(o >= 0 ? g->values[o].dtype : DataType::kUndefined);
    }
    const DataType dt = inputs.empty() || !inputs[0] ? DataType::kUndefined : inputs[0]->dtype();
    auto candidates = KernelRegistry::Global().Find(n.domain, n.op_type, n.opset, kBackendCpuRef, dt);
    bool folded = false;
    for (const auto& entry : candidates) {
      const auto& types = entry->def.types();
      const int ti = entry->def.type_input();
      const DataType want = ti >= 0 && ti < static_cast<int>(inputs.size()) && inputs[ti] ? inputs[ti]->dtype() : dt;
      if (!types.empty() && std::find(types.begin(), types.end(), want) == types.end()) continue;
      bool strings_ok = true;  // a byte-moving kernel must never see string elements
      for (const Tensor* t : inputs) strings_ok &= !t || t->dtype() != DataType::kString || entry->def.takes_strings();
      if (!strings_ok) continue;
      auto kernel = entry->factory(info);
      if (!kernel.ok()) continue;
      FoldContext ctx(info, inputs);
      if (!(*kernel)->Compute(ctx).ok()) break;  // leave it to run time, which reports the error
      size_t bytes = 0;
      bool complete = true;
      for (size_t k = 0; k < n.outputs.size(); ++k) {
        if (n.outputs[k] < 0) continue;
        const Tensor& t = ctx.outputs()[k];
        if (t.dtype() == DataType::kUndefined) complete = false;
        bytes += t.ByteSize();
      }
      if (!complete || bytes > kMaxFoldedBytes) break;
      for (size_t k = 0; k < n.outputs.size(); ++k) {
        if (n.outputs[k] < 0) continue;
        Value& out = g->values[n.outputs[k]];
        Tensor t = ctx.outputs()[k];
        t.set_name(out.name);
        out.dtype = t.dtype();
        out.has_shape = true;
        out.shape = t.shape();
        out.dim_names.assign(out.shape.size(), "");
        out.constant = std::make_shared<const Tensor>(std::move(t));
      }
      folded = true;
      break;
    }
    if (folded) n.removed = true;
  }
  return Status::Ok();
}

}  // namespace pl::ir
