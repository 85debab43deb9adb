// ONNX sequences and optionals: SequenceEmpty, SequenceConstruct, SequenceInsert, SequenceAt,
// SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence, SequenceMap (opsets 11+,
// SequenceMap 17+), Optional, OptionalHasElement, OptionalGetElement (15+, 18's forms).
//
// A sequence value is a Tensor of kind kSequence (Tensor::Sequence) whose elements are owned host
// tensors, shared read-only by every copy of the value: building a new sequence from an old one
// shares the old elements and copies only the tensors that come in from the graph (their memory
// may be the arena's, reused after their last use). Any dtype, strings included.
#include <cstring>
#include <limits>

#include "src/backends/cpu/ref/ref_util.h"
#include "src/ir/graph.h"

namespace pl::cpu_ref {
namespace {

StatusOr<const Tensor*> SequenceInput(KernelContext& ctx, int i) {
  const Tensor* s = ctx.Input(i);
  if (!s) return Status::InvalidArgument(ctx.node().Describe() + ": missing input " + std::to_string(i) + " (a sequence)");
  if (!s->is_sequence())
    return Status::InvalidArgument(ctx.node().Describe() + ": input " + std::to_string(i) + " must be a sequence, got " +
                                   (s->is_none() ? std::string("an empty optional") : "a tensor " + ShapeToString(s->shape())));
  return s;
}

StatusOr<const Tensor*> TensorInput(KernelContext& ctx, int i) {
  const Tensor* t = ctx.Input(i);
  if (!t) return Status::InvalidArgument(ctx.node().Describe() + ": missing input " + std::to_string(i) + " (a tensor)");
  if (!t->is_tensor())
    return Status::InvalidArgument(ctx.node().Describe() + ": input " + std::to_string(i) + " must be a tensor, got " +
                                   (t->is_sequence() ? "a sequence" : "an empty optional"));
  return t;
}

// A position input: one int32/int64 element in [-n, n - 1] (or [-n, n] where `end_ok`), as an
// index in [0, n - 1] (or [0, n]).
StatusOr<int64_t> Position(KernelContext& ctx, int i, int64_t n, bool end_ok) {
  const Tensor* p = ctx.Input(i);
  const std::string what = ctx.node().Describe() + ": position";
  if (!p->is_tensor() || p->NumElements() != 1 || (p->dtype() != DataType::kInt64 && p->dtype() != DataType::kInt32))
    return Status::InvalidArgument(what + " must be one int32 or int64 element");
  const int64_t v = ReadInt(*p, 0), hi = end_ok ? n : n - 1;
  if (v < -n || v > hi)
    return Status::InvalidArgument(what + " " + std::to_string(v) + " is out of range [" + std::to_string(-n) + ", " +
                                   std::to_string(hi) + "] for a sequence of " + std::to_string(n));
  return v < 0 ? v + n : v;
}

// Output i holds a copy of tensor t.
Status EmitTensor(KernelContext& ctx, int i, const Tensor& t) {
  if (!ctx.OutputRequested(i)) return Status::Ok();
  PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(i, t.shape(), t.dtype()));
  CopyElements(t, 0, out, 0, t.NumElements());
  return Status::Ok();
}

// Output i is value v: a sequence or empty optional as it is, a tensor copied.
Status EmitValue(KernelContext& ctx, int i, const Tensor& v) {
  if (v.is_tensor()) return EmitTensor(ctx, i, v);
  return ctx.SetOutput(i, v);
}

Status EmitSequence(KernelContext& ctx, int i, DataType dtype, std::vector<Tensor> elements) {
  PL_ASSIGN_OR_RETURN(Tensor s, Tensor::Sequence(dtype, std::move(elements)));
  return ctx.SetOutput(i, std::move(s));
}

Status CheckElementType(const NodeInfo& node, const Tensor& seq, const Tensor& t) {
  if (t.dtype() != seq.dtype())
    return Status::InvalidArgument(node.Describe() + ": tensor is " + DataTypeName(t.dtype()) + ", the sequence holds " +
                                   DataTypeName(seq.dtype()));
  return Status::Ok();
}

class SequenceEmptyKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    dtype_ = static_cast<DataType>(node.Attr<int64_t>("dtype", static_cast<int64_t>(DataType::kFloat32)));
    if (DataTypeSize(dtype_) == 0 && dtype_ != DataType::kString)
      return Status::ModelError(node.Describe() + ": dtype " + std::to_string(static_cast<int>(dtype_)) + " is not a tensor type");
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override { return EmitSequence(ctx, 0, dtype_, {}); }

 private:
  DataType dtype_ = DataType::kFloat32;
};

class SequenceConstructKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    std::vector<Tensor> elements;
    for (int i = 0; i < ctx.NumInputs(); ++i) {
      PL_ASSIGN_OR_RETURN(const Tensor* t, TensorInput(ctx, i));
      PL_ASSIGN_OR_RETURN(Tensor c, t->Clone());
      elements.push_back(std::move(c));
    }
    if (elements.empty()) return Status::InvalidArgument(ctx.node().Describe() + ": takes at least one tensor");
    const DataType dtype = elements[0].dtype();
    for (size_t i = 1; i < elements.size(); ++i)
      if (elements[i].dtype() != dtype)
        return Status::InvalidArgument(ctx.node().Describe() + ": input " + std::to_string(i) + " is " +
                                       DataTypeName(elements[i].dtype()) + ", input 0 is " + DataTypeName(dtype));
    return EmitSequence(ctx, 0, dtype, std::move(elements));
  }
};

class SequenceInsertKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(const Tensor* s, SequenceInput(ctx, 0));
    PL_ASSIGN_OR_RETURN(const Tensor* t, TensorInput(ctx, 1));
    PL_RETURN_IF_ERROR(CheckElementType(ctx.node(), *s, *t));
    std::vector<Tensor> elements = s->elements();
    int64_t at = static_cast<int64_t>(elements.size());
    if (ctx.Input(2)) {
      PL_ASSIGN_OR_RETURN(at, Position(ctx, 2, at, true));
    }
    PL_ASSIGN_OR_RETURN(Tensor c, t->Clone());
    elements.insert(elements.begin() + at, std::move(c));
    return EmitSequence(ctx, 0, s->dtype(), std::move(elements));
  }
};

class SequenceEraseKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(const Tensor* s, SequenceInput(ctx, 0));
    std::vector<Tensor> elements = s->elements();
    const int64_t n = static_cast<int64_t>(elements.size());
    if (n == 0) return Status::InvalidArgument(ctx.node().Describe() + ": the sequence is empty");
    int64_t at = n - 1;
    if (ctx.Input(1)) {
      PL_ASSIGN_OR_RETURN(at, Position(ctx, 1, n, false));
    }
    elements.erase(elements.begin() + at);
    return EmitSequence(ctx, 0, s->dtype(), std::move(elements));
  }
};

class SequenceAtKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(const Tensor* s, SequenceInput(ctx, 0));
    if (!ctx.Input(1)) return Status::InvalidArgument(ctx.node().Describe() + ": missing input 'position'");
    PL_ASSIGN_OR_RETURN(int64_t at, Position(ctx, 1, static_cast<int64_t>(s->elements().size()), false));
    return EmitTensor(ctx, 0, s->elements()[at]);
  }
};

class SequenceLengthKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(const Tensor* s, SequenceInput(ctx, 0));
    PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(0, {}, DataType::kInt64));
    *out->MutableData<int64_t>() = static_cast<int64_t>(s->elements().size());
    return Status::Ok();
  }
};

// outer x axis x inner view of a shape.
struct AxisView {
  int64_t outer = 1, len = 1, inner = 1;
};
AxisView ViewAt(const Shape& s, int64_t axis) {
  AxisView v;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    if (d < axis) v.outer *= s[d];
    else if (d == axis) v.len = s[d];
    else v.inner *= s[d];
  }
  return v;
}

// A sequence built in one step (SplitToSequence) holds at most this many tensors: an empty
// input may declare a dim of 2^40, and one tensor object per chunk would exhaust memory.
constexpr int64_t kMaxSplitElements = int64_t{1} << 20;

class SplitToSequenceKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 0);
    keepdims_ = node.Attr<int64_t>("keepdims", 1) != 0;
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* x, TensorInput(ctx, 0));
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), node));
    const AxisView v = ViewAt(x->shape(), axis);
    std::vector<int64_t> lengths;
    bool squeeze = false;
    const Tensor* split = ctx.Input(1);
    auto too_many = [&](int64_t n) {
      return Status::ResourceExhausted(node.Describe() + ": would make a sequence of " + std::to_string(n) +
                                       " tensors, over the limit of " + std::to_string(kMaxSplitElements));
    };
    if (!split) {
      if (v.len > kMaxSplitElements) return too_many(v.len);
      lengths.assign(v.len, 1);
      squeeze = !keepdims_;
    } else {
      PL_ASSIGN_OR_RETURN(std::vector<int64_t> sv, ReadInts(*split, node, "split"));
      if (split->rank() == 0) {
        if (sv[0] <= 0) return Status::InvalidArgument(node.Describe() + ": split " + std::to_string(sv[0]) + " must be positive");
        if (v.len / sv[0] >= kMaxSplitElements) return too_many(v.len / sv[0] + 1);
        for (int64_t left = v.len; left > 0; left -= sv[0]) lengths.push_back(std::min(left, sv[0]));
      } else {
        int64_t total = 0;
        for (int64_t l : sv) {
          if (l < 0) return Status::InvalidArgument(node.Describe() + ": negative split length " + std::to_string(l));
          if (l > v.len - total)
            return Status::InvalidArgument(node.Describe() + ": split lengths sum to more than axis " + std::to_string(axis) +
                                           "'s " + std::to_string(v.len));
          total += l;
        }
        if (total != v.len)
          return Status::InvalidArgument(node.Describe() + ": split lengths sum to " + std::to_string(total) + ", axis " +
                                         std::to_string(axis) + " has " + std::to_string(v.len));
        lengths = sv;
      }
    }
    std::vector<Tensor> elements;
    int64_t start = 0;
    for (int64_t l : lengths) {
      Shape shape = x->shape();
      shape[axis] = l;
      if (squeeze) shape.erase(shape.begin() + axis);
      PL_ASSIGN_OR_RETURN(Tensor e, Tensor::Create(x->dtype(), shape));
      for (int64_t o = 0; o < v.outer; ++o) CopyElements(*x, (o * v.len + start) * v.inner, &e, o * l * v.inner, l * v.inner);
      elements.push_back(std::move(e));
      start += l;
    }
    return EmitSequence(ctx, 0, x->dtype(), std::move(elements));
  }

 private:
  int64_t axis_ = 0;
  bool keepdims_ = true;
};

class ConcatFromSequenceKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(axis_, node.RequiredAttr<int64_t>("axis"));
    new_axis_ = node.Attr<int64_t>("new_axis", 0) != 0;
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* s, SequenceInput(ctx, 0));
    const std::vector<Tensor>& el = s->elements();
    if (el.empty()) return Status::InvalidArgument(node.Describe() + ": the sequence is empty");
    const Shape& first = el[0].shape();
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, static_cast<int64_t>(first.size()), node, new_axis_));
    // Each element as seen with the new axis (of length 1) inserted.
    auto as_concat = [&](const Shape& sh) {
      Shape r = sh;
      if (new_axis_) r.insert(r.begin() + axis, 1);
      return r;
    };
    Shape out = as_concat(first);
    out[axis] = 0;
    for (size_t i = 0; i < el.size(); ++i) {
      const Shape e = as_concat(el[i].shape());
      bool same = e.size() == out.size();
      for (size_t d = 0; same && d < e.size(); ++d) same = static_cast<int64_t>(d) == axis || e[d] == out[d];
      if (!same)
        return Status::InvalidArgument(node.Describe() + ": element " + std::to_string(i) + " has shape " +
                                       ShapeToString(el[i].shape()) + ", element 0 " + ShapeToString(first) +
                                       "; they may differ only on the axis");
      if (e[axis] > std::numeric_limits<int64_t>::max() - out[axis])
        return Status::InvalidArgument(node.Describe() + ": the concatenated axis overflows");
      out[axis] += e[axis];
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, s->dtype()));
    const AxisView ov = ViewAt(out, axis);
    int64_t start = 0;
    for (const Tensor& t : el) {
      const AxisView v = ViewAt(as_concat(t.shape()), axis);
      for (int64_t o = 0; o < v.outer; ++o)
        CopyElements(t, o * v.len * v.inner, y, (o * ov.len + start) * ov.inner, v.len * v.inner);
      start += v.len;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
  bool new_axis_ = false;
};

// SequenceMap: the body runs once per element of the input sequences (all of one length);
// tensor inputs are passed whole to every run. Output k is the sequence of the runs' output k.
class SequenceMapKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const Attribute* a = node.FindAttr("body");
    if (!a || a->type != Attribute::Type::kGraph || !a->g) return Status::ModelError(node.Describe() + ": needs a graph attribute 'body'");
    body_ = a->g.get();
    if (static_cast<int>(body_->inputs.size()) != node.num_inputs())
      return Status::ModelError(node.Describe() + ": body takes " + std::to_string(body_->inputs.size()) + " inputs, the node has " +
                                std::to_string(node.num_inputs()));
    if (static_cast<int>(body_->outputs.size()) < node.num_outputs())
      return Status::ModelError(node.Describe() + ": body produces " + std::to_string(body_->outputs.size()) +
                                " outputs, the node has " + std::to_string(node.num_outputs()));
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* s0, SequenceInput(ctx, 0));
    const size_t n = s0->elements().size();
    std::vector<const Tensor*> in(ctx.NumInputs());
    for (int j = 0; j < ctx.NumInputs(); ++j) {
      in[j] = ctx.Input(j);
      if (!in[j]) return Status::InvalidArgument(node.Describe() + ": missing input " + std::to_string(j));
      if (in[j]->is_none()) return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(j) + " is an empty optional");
      if (in[j]->is_sequence() && in[j]->elements().size() != n)
        return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(j) + " has " +
                                       std::to_string(in[j]->elements().size()) + " elements, input 0 has " + std::to_string(n));
    }
    std::vector<std::vector<Tensor>> results(ctx.NumOutputs());
    std::vector<const Tensor*> args(in.size());
    std::vector<Tensor> outs;
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = 0; j < in.size(); ++j) args[j] = in[j]->is_sequence() ? &in[j]->elements()[i] : in[j];
      PL_RETURN_IF_ERROR(ctx.RunSubgraph(*body_, args, &outs).WithContext(node.Describe() + ", element " + std::to_string(i)));
      for (int k = 0; k < ctx.NumOutputs(); ++k) {
        if (!outs[k].is_tensor())
          return Status::InvalidArgument(node.Describe() + ": body output " + std::to_string(k) + " is not a tensor");
        results[k].push_back(std::move(outs[k]));
      }
    }
    for (int k = 0; k < ctx.NumOutputs(); ++k) {
      if (!ctx.OutputRequested(k)) continue;
      DataType dtype = results[k].empty() ? ctx.OutputType(k) : results[k][0].dtype();
      if (dtype == DataType::kUndefined) dtype = body_->values[body_->outputs[k]].dtype;
      PL_RETURN_IF_ERROR(EmitSequence(ctx, k, dtype, std::move(results[k])).WithContext(node.Describe()));
    }
    return Status::Ok();
  }

 private:
  const ir::Graph* body_ = nullptr;  // owned by the node's attributes
};

// Optional(x): x itself; Optional() with no input: an empty optional of the declared type.
class OptionalKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return ctx.SetOutput(0, Tensor::None(ctx.OutputType(0)));
    return EmitValue(ctx, 0, *x);
  }
};

// An absent input (opset 18) counts as an empty optional.
class OptionalHasElementKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    PL_ASSIGN_OR_RETURN(Tensor* out, ctx.Output(0, {}, DataType::kBool));
    *out->MutableData<bool>() = x != nullptr && !x->is_none();
    return Status::Ok();
  }
};

class OptionalGetElementKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x || x->is_none()) return Status::InvalidArgument(ctx.node().Describe() + ": the optional is empty");
    return EmitValue(ctx, 0, *x);
  }
};

}  // namespace

void RegisterSequence(KernelRegistry& r) {
  auto def = [](const char* op, int since) { return RefDef(op).Opset(since).AnyType().Strings().Sequences(); };
  Add<SequenceEmptyKernel>(r, def("SequenceEmpty", 11).TypeFrom(-1));
  Add<SequenceConstructKernel>(r, def("SequenceConstruct", 11));
  Add<SequenceInsertKernel>(r, def("SequenceInsert", 11).HostInput(2));
  Add<SequenceEraseKernel>(r, def("SequenceErase", 11).HostInput(1));
  Add<SequenceAtKernel>(r, def("SequenceAt", 11).HostInput(1));
  Add<SequenceLengthKernel>(r, def("SequenceLength", 11));
  Add<SplitToSequenceKernel>(r, def("SplitToSequence", 11).HostInput(1));
  Add<ConcatFromSequenceKernel>(r, def("ConcatFromSequence", 11));
  Add<SequenceMapKernel>(r, def("SequenceMap", 17));
  Add<OptionalKernel>(r, def("Optional", 15));
  Add<OptionalHasElementKernel>(r, def("OptionalHasElement", 15).TypeFrom(-1));
  Add<OptionalGetElementKernel>(r, def("OptionalGetElement", 15));
}

}  // namespace pl::cpu_ref
