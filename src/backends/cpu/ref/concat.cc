// Concat: opsets 1 (axis defaults to 1), 4, 11 (negative axis), 13; any dtype, strings included; empty inputs allowed.
#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

class ConcatKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    if (node.opset < 4) {
      axis_ = node.Attr<int64_t>("axis", 1);
    } else {
      PL_ASSIGN_OR_RETURN(axis_, node.RequiredAttr<int64_t>("axis"));
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    std::vector<const Tensor*> ins;
    for (int i = 0; i < ctx.NumInputs(); ++i)
      if (ctx.Input(i)) ins.push_back(ctx.Input(i));
    if (ins.empty()) return Status::InvalidArgument(node.Describe() + ": needs at least one input");
    // The first non-empty input fixes rank and dims; exporters sometimes feed empty placeholders
    // (shape [0]) of another rank, which contribute nothing and are tolerated like ONNX Runtime does.
    const Tensor* ref = ins[0];
    for (const Tensor* t : ins)
      if (t->NumElements() > 0) { ref = t; break; }
    const int64_t r = ref->rank();
    if (r == 0) return Status::InvalidArgument(node.Describe() + ": cannot concatenate scalars");
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, r, node));
    if (ref->dtype() != DataType::kString) PL_RETURN_IF_ERROR(CheckCopyable(ref->dtype(), node, "input"));
    Shape out = ref->shape();
    out[axis] = 0;
    std::vector<const Tensor*> parts;
    for (size_t k = 0; k < ins.size(); ++k) {
      const Tensor* t = ins[k];
      if (t->dtype() != ref->dtype())
        return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(k) + " is " +
                                       DataTypeName(t->dtype()) + ", input 0 is " + DataTypeName(ref->dtype()));
      if (t->NumElements() == 0 && t->rank() != r) continue;
      bool ok = t->rank() == r;
      for (int64_t d = 0; ok && d < r; ++d) ok = d == axis || t->dim(static_cast<int>(d)) == out[d];
      if (!ok)
        return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(k) + " has shape " +
                                       ShapeToString(t->shape()) + ", incompatible with " +
                                       ShapeToString(ref->shape()) + " on axis " + std::to_string(axis));
      out[axis] += t->dim(static_cast<int>(axis));
      parts.push_back(t);
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, ref->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out[d];
    for (int64_t d = axis + 1; d < r; ++d) inner *= out[d];
    const int64_t out_row = out[axis] * inner;  // in elements (strings included)
    int64_t col = 0;  // element offset of this part inside one output row
    for (const Tensor* t : parts) {
      const int64_t row = t->dim(static_cast<int>(axis)) * inner;
      if (row == 0) continue;
      for (int64_t o = 0; o < outer; ++o) CopyElements(*t, o * row, y, o * out_row + col, row);
      col += row;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

}  // namespace

void RegisterConcat(KernelRegistry& r) {
  Add<ConcatKernel>(r, RefDef("Concat").Opset(1, 3).AnyType().Strings());
  Add<ConcatKernel>(r, RefDef("Concat").Opset(4, 10).AnyType().Strings());
  Add<ConcatKernel>(r, RefDef("Concat").Opset(11, 12).AnyType().Strings());
  Add<ConcatKernel>(r, RefDef("Concat").Opset(13).AnyType().Strings());
}

}  // namespace pl::cpu_ref
