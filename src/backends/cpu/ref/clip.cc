// Clip: opsets 1-10 take min/max as float attributes, opsets 11+ as optional scalar inputs (either
// may be omitted); float32/64/16 and (12+) every integer type. y = min(max(x, min), max), so a
// min above max yields max everywhere, as the spec says.
#include <limits>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

class ClipKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    attr_form_ = node.opset < 11;
    if (attr_form_) {
      has_min_ = node.HasAttr("min");
      has_max_ = node.HasAttr("max");
      min_ = node.Attr<float>("min", 0.f);
      max_ = node.Attr<float>("max", 0.f);
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    return Dispatch(NumericTypes{}, x->dtype(), node, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      C lo = std::numeric_limits<C>::lowest(), hi = std::numeric_limits<C>::max();
      if constexpr (std::is_floating_point_v<C>) {
        lo = -std::numeric_limits<C>::infinity();
        hi = std::numeric_limits<C>::infinity();
      }
      if (attr_form_) {
        if (has_min_) lo = static_cast<C>(min_);
        if (has_max_) hi = static_cast<C>(max_);
      } else {
        for (int k = 1; k <= 2; ++k) {
          const Tensor* b = ctx.Input(k);
          if (!b) continue;
          if (b->dtype() != x->dtype())
            return Status::InvalidArgument(node.Describe() + ": " + (k == 1 ? "min" : "max") + " dtype " +
                                           DataTypeName(b->dtype()) + " differs from input " +
                                           DataTypeName(x->dtype()));
          if (b->NumElements() != 1)
            return Status::InvalidArgument(node.Describe() + ": " + (k == 1 ? "min" : "max") + " must be a scalar, got shape " +
                                           ShapeToString(b->shape()));
          (k == 1 ? lo : hi) = static_cast<C>(b->Data<T>()[0]);
        }
      }
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      for (int64_t i = 0; i < x->NumElements(); ++i) {
        const C v = static_cast<C>(in[i]);
        // NaN compares false both ways and passes through unchanged.
        const C c = v < lo ? lo : v;
        out[i] = static_cast<T>(c > hi ? hi : c);
      }
      return Status::Ok();
    });
  }

 private:
  bool attr_form_ = false, has_min_ = false, has_max_ = false;
  float min_ = 0.f, max_ = 0.f;
};

}  // namespace

void RegisterClip(KernelRegistry& r) {
  Add<ClipKernel>(r, RefDef("Clip").Opset(1).Types(DataTypes(NumericTypes{})).InPlace(0, 0));
}

}  // namespace pl::cpu_ref
