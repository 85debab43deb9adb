// If (opsets 1+) and Loop (opsets 1+): subgraphs run on the calling predictor through
// KernelContext::RunSubgraph; any tensor dtype (outputs are copied bytewise).
//
// Subgraphs read enclosing scopes by name (the executor resolves them frame by frame), so
// nesting depth is unbounded and costs nothing here. Branch outputs may differ in shape from run
// to run; the node's outputs take whatever the chosen branch produced.
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
  PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(i, t.shape(), t.dtype()));
  if (t.ByteSize()) std::memcpy(out->RawMutableData(), t.RawData(), t.ByteSize());
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
    PL_ASSIGN_OR_RETURN(Tensor iter_t, Tensor::Create(DataType::kInt64, {}));
    PL_ASSIGN_OR_RETURN(Tensor cond_t, Tensor::Create(DataType::kBool, {}));
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
      char* dst = static_cast<char*>(out->RawMutableData());
      for (const Tensor& s : scans[k]) {
        if (s.ByteSize()) std::memcpy(dst, s.RawData(), s.ByteSize());
        dst += s.ByteSize();
      }
    }
    return Status::Ok();
  }

 private:
  const ir::Graph* body_ = nullptr;  // owned by the node's attributes
  int carried_ = 0, scans_ = 0;
};

}  // namespace

void RegisterControlFlow(KernelRegistry& r) {
  Add<IfKernel>(r, RefDef("If").Opset(1).AnyType());
  Add<LoopKernel>(r, RefDef("Loop").Opset(1).AnyType());
}

}  // namespace pl::cpu_ref
