// Softmax, LogSoftmax, Hardmax (opsets 1+), float32/64/16. Opsets < 13 coerce the input to 2-D
// [prod(dims[:axis]), prod(dims[axis:])] (axis default 1) and normalize each row; opsets 13+
// normalize along the single dimension `axis` (default -1). Hardmax marks the first maximum.
#include <cmath>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

enum class SoftmaxOp { kSoftmax, kLogSoftmax, kHardmax };

template <SoftmaxOp kOp>
class SoftmaxKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    coerce_2d_ = node.opset < 13;
    axis_ = node.Attr<int64_t>("axis", coerce_2d_ ? 1 : -1);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    const Shape& shape = x->shape();
    // A scalar behaves as a one-element vector.
    const int64_t rank = std::max<int64_t>(x->rank(), 1);
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, node));
    auto dim = [&](int64_t d) { return x->rank() == 0 ? int64_t{1} : shape[d]; };
    int64_t outer = 1, len = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= dim(d);
    if (coerce_2d_) {
      for (int64_t d = axis; d < rank; ++d) len *= dim(d);
    } else {
      len = dim(axis);
      for (int64_t d = axis + 1; d < rank; ++d) inner *= dim(d);
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, shape, x->dtype()));
    return Dispatch(FloatTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const int64_t base = o * len * inner + i;
          auto at = [&](int64_t k) { return static_cast<C>(in[base + k * inner]); };
          if (len == 0) continue;
          C mx = at(0);
          int64_t arg = 0;
          for (int64_t k = 1; k < len; ++k)
            if (at(k) > mx) { mx = at(k); arg = k; }
          if constexpr (kOp == SoftmaxOp::kHardmax) {
            for (int64_t k = 0; k < len; ++k) out[base + k * inner] = static_cast<T>(k == arg ? C(1) : C(0));
          } else {
            // Subtracting the max keeps exp from overflowing (test_softmax_large_number).
            double sum = 0;
            for (int64_t k = 0; k < len; ++k) sum += std::exp(static_cast<double>(at(k) - mx));
            if constexpr (kOp == SoftmaxOp::kSoftmax) {
              for (int64_t k = 0; k < len; ++k)
                out[base + k * inner] = static_cast<T>(static_cast<C>(std::exp(static_cast<double>(at(k) - mx)) / sum));
            } else {
              const double log_sum = std::log(sum);
              for (int64_t k = 0; k < len; ++k)
                out[base + k * inner] = static_cast<T>(static_cast<C>(static_cast<double>(at(k) - mx) - log_sum));
            }
          }
        }
      }
      return Status::Ok();
    });
  }

 private:
  bool coerce_2d_ = false;
  int64_t axis_ = -1;
};

}  // namespace

void RegisterSoftmax(KernelRegistry& r) {
  const std::vector<DataType> types = DataTypes(FloatTypes{});
  Add<SoftmaxKernel<SoftmaxOp::kSoftmax>>(r, RefDef("Softmax").Opset(1).Types(types));
  Add<SoftmaxKernel<SoftmaxOp::kLogSoftmax>>(r, RefDef("LogSoftmax").Opset(1).Types(types));
  Add<SoftmaxKernel<SoftmaxOp::kHardmax>>(r, RefDef("Hardmax").Opset(1).Types(types));
}

}  // namespace pl::cpu_ref
