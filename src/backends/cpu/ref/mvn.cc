// MeanVarianceNormalization (9, 13; axes, default [0, 2, 3]); float16, float32, float64.
// Y = (X - mean) / (sqrt(variance) + 1e-9) over `axes`, as the ONNX function body computes it;
// the variance is accumulated in double in two passes (mean, then squared deviations), which the
// function's E[X^2] - E[X]^2 equals in exact arithmetic without its cancellation.
#include <cmath>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

class MeanVarianceNormalizationKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axes_ = node.Attr<std::vector<int64_t>>("axes", {0, 2, 3});
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    const int64_t rank = x->rank();
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    for (int64_t a : axes_) {
      PL_ASSIGN_OR_RETURN(int64_t d, NormalizeAxis(a, rank, node));
      if (reduced[d]) return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(a) + " repeated");
      reduced[d] = true;
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const int64_t n = x->NumElements();
    if (n == 0) return Status::Ok();
    // Group id of each element: its index with the reduced dims dropped.
    const Shape& s = x->shape();
    std::vector<int64_t> group(static_cast<size_t>(n));
    int64_t groups = 1;
    for (int64_t d = 0; d < rank; ++d)
      if (!reduced[d]) groups *= s[d];
    {
      std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
      for (int64_t i = 0; i < n; ++i) {
        int64_t g = 0;
        for (int64_t d = 0; d < rank; ++d)
          if (!reduced[d]) g = g * s[d] + idx[d];
        group[i] = g;
        for (int64_t d = rank - 1; d >= 0; --d) {
          if (++idx[d] < s[d]) break;
          idx[d] = 0;
        }
      }
    }
    const double per_group = static_cast<double>(n / groups);
    return Dispatch(FloatTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xd = x->Data<T>();
      T* yd = y->MutableData<T>();
      std::vector<double> mean(static_cast<size_t>(groups), 0.0), var(static_cast<size_t>(groups), 0.0);
      for (int64_t i = 0; i < n; ++i) mean[group[i]] += static_cast<double>(static_cast<CType<T>>(xd[i]));
      for (double& m : mean) m /= per_group;
      for (int64_t i = 0; i < n; ++i) {
        const double dv = static_cast<double>(static_cast<CType<T>>(xd[i])) - mean[group[i]];
        var[group[i]] += dv * dv;
      }
      for (double& v : var) v = std::sqrt(v / per_group) + 1e-9;
      for (int64_t i = 0; i < n; ++i) {
        const double v = (static_cast<double>(static_cast<CType<T>>(xd[i])) - mean[group[i]]) / var[group[i]];
        yd[i] = static_cast<T>(static_cast<CType<T>>(v));
      }
      return Status::Ok();
    });
  }

 private:
  std::vector<int64_t> axes_;
};

}  // namespace

void RegisterMeanVarianceNormalization(KernelRegistry& r) {
  Add<MeanVarianceNormalizationKernel>(r, RefDef("MeanVarianceNormalization").Opset(9, 12).Types(DataTypes(FloatTypes{})));
  Add<MeanVarianceNormalizationKernel>(r, RefDef("MeanVarianceNormalization").Opset(13).Types(DataTypes(FloatTypes{})));
}

}  // namespace pl::cpu_ref
