// If (opsets 1+), Loop (opsets 1+), Scan (opsets 8, 9+): subgraphs run on the calling predictor
// through KernelContext::RunSubgraph; any tensor dtype (If and Loop copy outputs element by element,
// strings included, and pass sequences and optionals through; Scan copies bytes).
//
// Subgraphs read enclosing scopes by name (the executor resolves them frame by frame), so
// nesting depth is unbounded and costs nothing here. Branch outputs may differ in shape from run
// to run; the node's outputs take whatever the chosen branch produced.
#include <algorithm>
#include <cstring>

#include "src/backends/cpu/ref/ref_util.h"
#include "src/ir/graph.h"

namespace pl::cpu_ref {
namespace {

StatusOr<const ir::Graph*> GraphAttr(const NodeInfo& node, const char* name) {
  const Attribute* a = node.FindAttr(name);
  if (!a) return Status::ModelError(node.Describe() + ": required subgraph attribute '" + name + "' is missing");
  if (a->type != Attribute::Type::kGraph || !a->g)
    return Status::ModelError(node.Describe() + ": attribute '" + name + "' is not a graph");
  return a->g.get();
}

// Reads a one-element condition tensor (bool, or any number: nonzero is true).
StatusOr<bool> ReadCondition(const Tensor& t, const NodeInfo& node, const char* what) {
  if (t.NumElements() != 1)
    return Status::InvalidArgument(node.Describe() + ": " + what + " must have exactly one element, got shape " +
                                   ShapeToString(t.shape()));
  if (t.dtype() == DataType::kBool) return t.Data<bool>()[0];
  if (DataTypeSize(t.dtype()) == 0 || t.dtype() == DataType::kFloat16)
    return Status::InvalidArgument(node.Describe() + ": " + what + " has unsupported dtype " + DataTypeName(t.dtype()));
  return ReadAsDouble(t, 0) != 0;
}

// Copies a subgraph result into the node's output i.
Status EmitOutput(KernelContext& ctx, int i, const Tensor& t) {
  if (!ctx.OutputRequested(i)) return Status::Ok();
  if (!t.is_tensor()) return ctx.SetOutput(i, t);  // a sequence or empty optional, shared as it is
  PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(i, t.shape(), t.dtype()));
  CopyElements(t, 0, out, 0, t.NumElements());
  return Status::Ok();
}

class IfKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(then_, GraphAttr(node, "then_branch"));
    PL_ASSIGN_OR_RETURN(else_, GraphAttr(node, "else_branch"));
    const size_t nt = then_->outputs.size(), ne = else_->outputs.size();
    if (nt != ne)
      return Status::ModelError(node.Describe() + ": then_branch has " + std::to_string(nt) + " outputs but else_branch has " +
                                std::to_string(ne) + "; both must produce the node's outputs");
    if (!then_->inputs.empty() || !else_->inputs.empty())
      return Status::ModelError(node.Describe() + ": If branches take no inputs");
    if (static_cast<size_t>(node.num_outputs()) > nt)
      return Status::ModelError(node.Describe() + ": the node has " + std::to_string(node.num_outputs()) +
                                " outputs but its branches produce " + std::to_string(nt));
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* c = ctx.Input(0);
    if (!c) return Status::InvalidArgument(node.Describe() + ": missing input 'cond'");
    PL_ASSIGN_OR_RETURN(bool cond, ReadCondition(*c, node, "cond"));
    std::vector<Tensor> outs;
    PL_RETURN_IF_ERROR(ctx.RunSubgraph(cond ? *then_ : *else_, {}, &outs)
                           .WithContext(node.Describe() + (cond ? ", then_branch" : ", else_branch")));
    for (int i = 0; i < ctx.NumOutputs(); ++i) PL_RETURN_IF_ERROR(EmitOutput(ctx, i, outs[i]));
    return Status::Ok();
  }

 private:
  const ir::Graph* then_ = nullptr;  // owned by the node's attributes (immutable, outlive the kernel)
  const ir::Graph* else_ = nullptr;
};

// Loop: inputs (M?, cond?, v_initial...), body (iter_num, cond_in, v_in...) ->
// (cond_out, v_out..., scan...), outputs (v_final..., scan outputs stacked on a new axis 0).
class LoopKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(body_, GraphAttr(node, "body"));
    const std::string what = node.Describe();
    if (node.num_inputs() < 2)
      return Status::ModelError(what + ": Loop takes at least 2 inputs (M, cond; either may be empty), got " +
                                std::to_string(node.num_inputs()));
    carried_ = node.num_inputs() - 2;
    const int body_in = static_cast<int>(body_->inputs.size()), body_out = static_cast<int>(body_->outputs.size());
    if (body_in != 2 + carried_)
      return Status::ModelError(what + ": body takes " + std::to_string(body_in) + " inputs, expected " +
                                std::to_string(2 + carried_) + " (iteration number, condition, " +
                                std::to_string(carried_) + " loop-carried values)");
    if (body_out < 1 + carried_)
      return Status::ModelError(what + ": body produces " + std::to_string(body_out) + " outputs, expected at least " +
                                std::to_string(1 + carried_) + " (condition, " + std::to_string(carried_) +
                                " loop-carried values)");
    scans_ = body_out - 1 - carried_;
    if (node.num_outputs() > carried_ + scans_)
      return Status::ModelError(what + ": the node has " + std::to_string(node.num_outputs()) + " outputs but its body yields " +
                                std::to_string(carried_) + " loop-carried values and " + std::to_string(scans_) +
                                " scan outputs");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string what = node.Describe();
    const int64_t limit = ctx.max_loop_iterations();
    const Tensor* m = ctx.Input(0);
    const Tensor* c = ctx.Input(1);
    int64_t trips = -1;  // -1: no trip count
    if (m) {
      if (m->NumElements() != 1 || (m->dtype() != DataType::kInt64 && m->dtype() != DataType::kInt32))
        return Status::InvalidArgument(what + ": trip count M must be one int64, got " + DataTypeName(m->dtype()) +
                                       " " + ShapeToString(m->shape()));
      trips = ReadInt(*m, 0);
      if (trips < 0) return Status::InvalidArgument(what + ": trip count M is negative (" + std::to_string(trips) + ")");
      // With a condition, a huge M is the exporters' idiom for "while": only the iterations
      // actually run count against the limit.
      if (!c && trips > limit)
        return Status::InvalidArgument(what + ": trip count " + std::to_string(trips) + " exceeds the limit of " +
                                       std::to_string(limit) + " iterations (Config::SetMaxLoopIterations)");
    }
    bool cond = true;
    if (c) {
      PL_ASSIGN_OR_RETURN(cond, ReadCondition(*c, node, "cond"));
    } else if (!m) {
      return Status::InvalidArgument(what + ": neither trip count nor condition is given: the loop never ends");
    }

    std::vector<Tensor> carried(carried_);
    for (int i = 0; i < carried_; ++i) {
      const Tensor* v = ctx.Input(2 + i);
      if (!v) return Status::InvalidArgument(what + ": loop-carried input " + std::to_string(i) + " is missing");
      carried[i] = *v;  // shares memory: the body never writes its inputs
    }
    std::vector<std::vector<Tensor>> scans(scans_);
    Tensor iter_t, cond_t;
    std::vector<const Tensor*> inputs(2 + carried_);
    std::vector<Tensor> outs;
    int64_t it = 0;
    for (; (trips < 0 || it < trips) && cond; ++it) {
      if (it >= limit)
        return Status::InvalidArgument(what + ": still running after " + std::to_string(limit) +
                                       " iterations (Config::SetMaxLoopIterations)");
      // Fresh scalars each iteration: the previous body outputs may alias the old ones.
      PL_ASSIGN_OR_RETURN(iter_t, Tensor::Create(DataType::kInt64, {}));
      PL_ASSIGN_OR_RETURN(cond_t, Tensor::Create(DataType::kBool, {}));
      *iter_t.MutableData<int64_t>() = it;
      *cond_t.MutableData<bool>() = cond;
      inputs[0] = &iter_t;
      inputs[1] = &cond_t;
      for (int i = 0; i < carried_; ++i) inputs[2 + i] = &carried[i];
      PL_RETURN_IF_ERROR(ctx.RunSubgraph(*body_, inputs, &outs)
                             .WithContext(what + ", iteration " + std::to_string(it)));
      if (c) {
        PL_ASSIGN_OR_RETURN(cond, ReadCondition(outs[0], node, "the body's condition output"));
      }
      for (int i = 0; i < carried_; ++i) carried[i] = std::move(outs[1 + i]);
      for (int k = 0; k < scans_; ++k) {
        Tensor& s = outs[1 + carried_ + k];
        if (!scans[k].empty() && (s.shape() != scans[k][0].shape() || s.dtype() != scans[k][0].dtype()))
          return Status::InvalidArgument(what + ": scan output " + std::to_string(k) + " is " + DataTypeName(s.dtype()) +
                                         ShapeToString(s.shape()) + " at iteration " + std::to_string(it) +
                                         " but was " + DataTypeName(scans[k][0].dtype()) +
                                         ShapeToString(scans[k][0].shape()) + " before; scan outputs must agree");
        scans[k].push_back(std::move(s));
      }
    }

    for (int i = 0; i < carried_ && i < ctx.NumOutputs(); ++i) PL_RETURN_IF_ERROR(EmitOutput(ctx, i, carried[i]));
    for (int k = 0; k < scans_ && carried_ + k < ctx.NumOutputs(); ++k) {
      const int o = carried_ + k;
      if (!ctx.OutputRequested(o)) continue;
      Shape shape{it};
      DataType dtype;
      if (!scans[k].empty()) {
        const Tensor& first = scans[k][0];
        shape.insert(shape.end(), first.shape().begin(), first.shape().end());
        dtype = first.dtype();
      } else {
        // No iteration ran: the element shape is only known from the body's declaration.
        const ir::Value& v = body_->values[body_->outputs[1 + carried_ + k]];
        bool known = v.has_shape;
        for (int64_t d : v.shape) known &= d >= 0;
        if (known) shape.insert(shape.end(), v.shape.begin(), v.shape.end());
        dtype = v.dtype != DataType::kUndefined ? v.dtype : ctx.OutputType(o);
      }
      PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(o, shape, dtype));
      int64_t at = 0;  // element offset (strings are copied element by element)
      for (const Tensor& s : scans[k]) {
        CopyElements(s, 0, out, at, s.NumElements());
        at += s.NumElements();
      }
    }
    return Status::Ok();
  }

 private:
  const ir::Graph* body_ = nullptr;  // owned by the node's attributes
  int carried_ = 0, scans_ = 0;
};

// Copies slice `t` of `src` along `axis` into a fresh tensor without that axis.
StatusOr<Tensor> SliceAxis(const Tensor& src, int64_t axis, int64_t t) {
  Shape shape = src.shape();
  const int64_t len = shape[axis];
  shape.erase(shape.begin() + axis);
  PL_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(src.dtype(), shape));
  int64_t outer = 1, inner = static_cast<int64_t>(DataTypeSize(src.dtype()));
  for (int64_t d = 0; d < axis; ++d) outer *= src.dim(d);
  for (int64_t d = axis + 1; d < src.rank(); ++d) inner *= src.dim(d);
  const char* s = static_cast<const char*>(src.RawData());
  char* o = static_cast<char*>(out.RawMutableData());
  for (int64_t i = 0; i < outer; ++i) std::memcpy(o + i * inner, s + (i * len + t) * inner, inner);
  return out;
}

// Scan (opset 8 with a batch axis and sequence_lens; opsets 9+ with per-input axes and
// directions): the body maps (states..., one slice of every scan input) to (states...,
// one element of every scan output); scan outputs stack the elements along their axis.
class ScanKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string what = node.Describe();
    PL_ASSIGN_OR_RETURN(body_, GraphAttr(node, "body"));
    PL_ASSIGN_OR_RETURN(scan_inputs_, node.RequiredAttr<int64_t>("num_scan_inputs"));
    v8_ = node.opset < 9;
    const int64_t first = v8_ ? 1 : 0;  // opset 8: input 0 is sequence_lens
    states_ = node.num_inputs() - first - scan_inputs_;
    if (scan_inputs_ < 1 || states_ < 0)
      return Status::ModelError(what + ": num_scan_inputs = " + std::to_string(scan_inputs_) + " does not fit " +
                                std::to_string(node.num_inputs()) + " inputs");
    if (static_cast<int64_t>(body_->inputs.size()) != states_ + scan_inputs_)
      return Status::ModelError(what + ": body takes " + std::to_string(body_->inputs.size()) + " inputs, expected " +
                                std::to_string(states_ + scan_inputs_) + " (states, then one slice per scan input)");
    scan_outputs_ = static_cast<int64_t>(body_->outputs.size()) - states_;
    if (scan_outputs_ < 0 || node.num_outputs() > states_ + scan_outputs_)
      return Status::ModelError(what + ": body produces " + std::to_string(body_->outputs.size()) +
                                " outputs, which does not fit " + std::to_string(states_) + " states and " +
                                std::to_string(node.num_outputs()) + " node outputs");
    in_dirs_ = node.Attr<std::vector<int64_t>>(v8_ ? "directions" : "scan_input_directions", {});
    in_axes_ = node.Attr<std::vector<int64_t>>("scan_input_axes", {});
    out_dirs_ = node.Attr<std::vector<int64_t>>("scan_output_directions", {});
    out_axes_ = node.Attr<std::vector<int64_t>>("scan_output_axes", {});
    auto check = [&](std::vector<int64_t>& v, int64_t n, const char* name) -> Status {
      if (v.empty()) v.assign(n, 0);
      if (static_cast<int64_t>(v.size()) != n)
        return Status::ModelError(what + ": '" + name + "' has " + std::to_string(v.size()) + " values, expected " +
                                  std::to_string(n));
      return Status::Ok();
    };
    PL_RETURN_IF_ERROR(check(in_dirs_, scan_inputs_, "scan_input_directions"));
    PL_RETURN_IF_ERROR(check(in_axes_, scan_inputs_, "scan_input_axes"));
    PL_RETURN_IF_ERROR(check(out_dirs_, scan_outputs_, "scan_output_directions"));
    PL_RETURN_IF_ERROR(check(out_axes_, scan_outputs_, "scan_output_axes"));
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string what = node.Describe();
    const int first = v8_ ? 1 : 0;
    std::vector<const Tensor*> states(states_), scans(scan_inputs_);
    for (int64_t i = 0; i < states_ + scan_inputs_; ++i) {
      const Tensor* t = ctx.Input(first + static_cast<int>(i));
      if (!t) return Status::InvalidArgument(what + ": input " + std::to_string(first + i) + " is missing");
      (i < states_ ? states[i] : scans[i - states_]) = t;
    }
    if (!v8_) {
      std::vector<Tensor> finals, stacked;
      PL_RETURN_IF_ERROR(RunSequence(ctx, states, scans, -1, -1, &finals, &stacked));
      for (int64_t i = 0; i < states_ && i < ctx.NumOutputs(); ++i) PL_RETURN_IF_ERROR(EmitOutput(ctx, i, finals[i]));
      for (int64_t k = 0; k < scan_outputs_ && states_ + k < ctx.NumOutputs(); ++k)
        PL_RETURN_IF_ERROR(EmitOutput(ctx, static_cast<int>(states_ + k), stacked[k]));
      return Status::Ok();
    }
    // Opset 8: axis 0 of every state and scan input is the batch; scan axis 1; shorter
    // sequences (sequence_lens) leave zeros in the scan outputs.
    if (states_ + scan_inputs_ == 0 || scans.empty()) return Status::InvalidArgument(what + ": no scan inputs");
    const int64_t batch = scans[0]->rank() > 1 ? scans[0]->dim(0) : -1;
    const int64_t max_len = scans[0]->rank() > 1 ? scans[0]->dim(1) : -1;
    for (const Tensor* t : states)
      if (t->rank() < 1 || t->dim(0) != batch)
        return Status::InvalidArgument(what + ": every state needs the batch axis 0 of size " + std::to_string(batch));
    for (const Tensor* t : scans)
      if (t->rank() < 2 || t->dim(0) != batch || t->dim(1) != max_len)
        return Status::InvalidArgument(what + ": scan inputs must be [batch, sequence, ...] with equal sizes");
    std::vector<int64_t> lens(batch, max_len);
    if (const Tensor* sl = ctx.Input(0)) {
      PL_ASSIGN_OR_RETURN(lens, ReadInts(*sl, node, "sequence_lens"));
      if (static_cast<int64_t>(lens.size()) != batch)
        return Status::InvalidArgument(what + ": sequence_lens has " + std::to_string(lens.size()) + " values for batch " +
                                       std::to_string(batch));
      for (int64_t l : lens)
        if (l < 0 || l > max_len) return Status::InvalidArgument(what + ": sequence length " + std::to_string(l) + " is out of range");
    }
    std::vector<Tensor*> outs(states_ + scan_outputs_, nullptr);
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Tensor> bstates(states_), bscans(scan_inputs_);
      std::vector<const Tensor*> ps(states_), pin(scan_inputs_);
      for (int64_t i = 0; i < states_; ++i) {
        PL_ASSIGN_OR_RETURN(bstates[i], SliceAxis(*states[i], 0, b));
        ps[i] = &bstates[i];
      }
      for (int64_t i = 0; i < scan_inputs_; ++i) {
        PL_ASSIGN_OR_RETURN(bscans[i], SliceAxis(*scans[i], 0, b));
        pin[i] = &bscans[i];
      }
      std::vector<Tensor> finals, stacked;
      PL_RETURN_IF_ERROR(RunSequence(ctx, ps, pin, lens[b], max_len, &finals, &stacked));
      for (int64_t k = 0; k < states_ + scan_outputs_ && k < ctx.NumOutputs(); ++k) {
        if (!ctx.OutputRequested(static_cast<int>(k))) continue;
        const Tensor& part = k < states_ ? finals[k] : stacked[k - states_];
        if (!outs[k]) {
          Shape shape = part.shape();
          shape.insert(shape.begin(), batch);
          PL_ASSIGN_OR_RETURN(outs[k], ctx.Output(static_cast<int>(k), shape, part.dtype()));
        } else if (ShapeNumElements(part.shape()) * batch != outs[k]->NumElements()) {
          return Status::InvalidArgument(what + ": output " + std::to_string(k) + " changes shape across the batch");
        }
        std::memcpy(static_cast<char*>(outs[k]->RawMutableData()) + b * part.ByteSize(), part.RawData(), part.ByteSize());
      }
    }
    return Status::Ok();
  }

 private:
  // Runs the body over `len` slices (len < 0: the scan axis length); scan outputs are padded
  // with zeros up to `padded_len` (opset 8) when it is larger.
  Status RunSequence(KernelContext& ctx, const std::vector<const Tensor*>& states,
                     const std::vector<const Tensor*>& scans, int64_t len, int64_t padded_len,
                     std::vector<Tensor>* finals, std::vector<Tensor>* stacked) const {
    const std::string what = ctx.node().Describe();
    std::vector<int64_t> axes(scan_inputs_);
    int64_t seq = -1;
    for (int64_t i = 0; i < scan_inputs_; ++i) {
      PL_ASSIGN_OR_RETURN(axes[i], NormalizeAxis(in_axes_[i], scans[i]->rank(), ctx.node()));
      const int64_t n = scans[i]->dim(axes[i]);
      if (seq >= 0 && n != seq)
        return Status::InvalidArgument(what + ": scan inputs have different sequence lengths (" + std::to_string(seq) +
                                       " and " + std::to_string(n) + ")");
      seq = n;
    }
    if (len < 0) len = seq;
    if (len > ctx.max_loop_iterations())
      return Status::InvalidArgument(what + ": sequence length " + std::to_string(len) + " exceeds the limit of " +
                                     std::to_string(ctx.max_loop_iterations()) + " iterations");
    std::vector<Tensor> cur(states_);
    for (int64_t i = 0; i < states_; ++i) cur[i] = *states[i];
    std::vector<std::vector<Tensor>> elems(scan_outputs_);
    std::vector<Tensor> slices(scan_inputs_), outs;
    std::vector<const Tensor*> inputs(states_ + scan_inputs_);
    for (int64_t t = 0; t < len; ++t) {
      for (int64_t i = 0; i < scan_inputs_; ++i) {
        PL_ASSIGN_OR_RETURN(slices[i], SliceAxis(*scans[i], axes[i], in_dirs_[i] ? len - 1 - t : t));
        inputs[states_ + i] = &slices[i];
      }
      for (int64_t i = 0; i < states_; ++i) inputs[i] = &cur[i];
      PL_RETURN_IF_ERROR(ctx.RunSubgraph(*body_, inputs, &outs).WithContext(what + ", step " + std::to_string(t)));
      for (int64_t i = 0; i < states_; ++i) cur[i] = std::move(outs[i]);
      for (int64_t k = 0; k < scan_outputs_; ++k) {
        Tensor& e = outs[states_ + k];
        if (!elems[k].empty() && (e.shape() != elems[k][0].shape() || e.dtype() != elems[k][0].dtype()))
          return Status::InvalidArgument(what + ": scan output " + std::to_string(k) + " changes shape at step " +
                                         std::to_string(t));
        elems[k].push_back(std::move(e));
      }
    }
    *finals = std::move(cur);
    stacked->clear();
    const int64_t total = std::max(len, padded_len);
    for (int64_t k = 0; k < scan_outputs_; ++k) {
      Shape es;
      DataType dt;
      if (!elems[k].empty()) {
        es = elems[k][0].shape();
        dt = elems[k][0].dtype();
      } else {
        const ir::Value& v = body_->values[body_->outputs[states_ + k]];
        bool known = v.has_shape;
        for (int64_t d : v.shape) known &= d >= 0;
        if (!known || v.dtype == DataType::kUndefined)
          return Status::InvalidArgument(what + ": scan output " + std::to_string(k) +
                                         " is empty and the body does not declare its element shape");
        es = v.shape;
        dt = v.dtype;
      }
      PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(out_axes_[k], static_cast<int64_t>(es.size()), ctx.node(), true));
      Shape shape = es;
      shape.insert(shape.begin() + axis, total);
      PL_ASSIGN_OR_RETURN(Tensor out, Tensor::Create(dt, shape));
      if (out.ByteSize()) std::memset(out.RawMutableData(), 0, out.ByteSize());
      int64_t outer = 1, inner = static_cast<int64_t>(DataTypeSize(dt));
      for (int64_t d = 0; d < axis; ++d) outer *= es[d];
      for (int64_t d = axis; d < static_cast<int64_t>(es.size()); ++d) inner *= es[d];
      char* dst = static_cast<char*>(out.RawMutableData());
      for (int64_t t = 0; t < len; ++t) {
        const int64_t pos = out_dirs_[k] ? len - 1 - t : t;
        const char* src = static_cast<const char*>(elems[k][t].RawData());
        for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + (o * total + pos) * inner, src + o * inner, inner);
      }
      stacked->push_back(std::move(out));
    }
    return Status::Ok();
  }

  const ir::Graph* body_ = nullptr;  // owned by the node's attributes
  bool v8_ = false;
  int64_t scan_inputs_ = 0, states_ = 0, scan_outputs_ = 0;
  std::vector<int64_t> in_dirs_, in_axes_, out_dirs_, out_axes_;
};

}  // namespace

void RegisterControlFlow(KernelRegistry& r) {
  // If and Loop copy element by element (strings included); Scan moves bytes.
  Add<IfKernel>(r, RefDef("If").Opset(1).AnyType().Strings().Sequences());
  Add<LoopKernel>(r, RefDef("Loop").Opset(1).AnyType().Strings().Sequences());
  Add<ScanKernel>(r, RefDef("Scan").Opset(8).AnyType());
}

}  // namespace pl::cpu_ref
