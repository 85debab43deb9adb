// Elementwise unary ops, float32 (and the integer types where ONNX allows them):
// Relu (6+), Sigmoid (6+), HardSigmoid (6+), Sqrt (6+).
#include <cmath>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
namespace {

// Applies F elementwise over T; F holds the op's attributes.
template <typename T, typename F>
class UnaryKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override { return f_.Init(node); }
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input 0");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const T* in = x->Data<T>();
    T* out = y->MutableData<T>();
    const int64_t n = x->NumElements();
    for (int64_t i = 0; i < n; ++i) out[i] = f_(in[i]);
    return Status::Ok();
  }

 private:
  F f_;
};

struct NoAttrs { Status Init(const NodeInfo&) { return Status::Ok(); } };
struct ReluF : NoAttrs { template <typename T> T operator()(T v) const { return v > T(0) ? v : T(0); } };
struct SigmoidF : NoAttrs {
  float operator()(float v) const { return v >= 0 ? 1.f / (1.f + std::exp(-v)) : std::exp(v) / (1.f + std::exp(v)); }
};
struct SqrtF : NoAttrs { float operator()(float v) const { return std::sqrt(v); } };
struct HardSigmoidF {
  float alpha = 0.2f, beta = 0.5f;
  Status Init(const NodeInfo& n) {
    alpha = n.Attr<float>("alpha", 0.2f);
    beta = n.Attr<float>("beta", 0.5f);
    return Status::Ok();
  }
  float operator()(float v) const { return std::max(0.f, std::min(1.f, alpha * v + beta)); }
};

}  // namespace

void RegisterUnary(KernelRegistry& r) {
  Add<UnaryKernel<float, ReluF>>(r, RefDef("Relu").Opset(6).Types<float>().InPlace(0, 0));
  Add<UnaryKernel<int32_t, ReluF>>(r, RefDef("Relu").Opset(14).Types<int32_t>());
  Add<UnaryKernel<int64_t, ReluF>>(r, RefDef("Relu").Opset(14).Types<int64_t>());
  Add<UnaryKernel<float, SigmoidF>>(r, RefDef("Sigmoid").Opset(6).Types<float>().InPlace(0, 0));
  Add<UnaryKernel<float, HardSigmoidF>>(r, RefDef("HardSigmoid").Opset(6).Types<float>().InPlace(0, 0));
  Add<UnaryKernel<float, SqrtF>>(r, RefDef("Sqrt").Opset(6).Types<float>().InPlace(0, 0));
}

}  // namespace pl::cpu_ref
