// MaxUnpool (9, 11; kernel_shape, pads, strides, optional output_shape input; any spatial rank);
// float16, float32, float64 X, int64 indices. Y is zero but at each I[i], which takes X[i]: I holds
// indices into the whole flattened Y, as MaxPool's Indices output does (row-major).
#include "src/backends/cpu/ref/data_movement.h"
#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

class MaxUnpoolKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string me = node.Describe();
    kernel_ = node.Attr<std::vector<int64_t>>("kernel_shape", {});
    if (kernel_.empty()) return Status::ModelError(me + ": kernel_shape is required");
    const size_t s = kernel_.size();
    pads_ = node.Attr<std::vector<int64_t>>("pads", std::vector<int64_t>(2 * s, 0));
    strides_ = node.Attr<std::vector<int64_t>>("strides", std::vector<int64_t>(s, 1));
    if (pads_.size() != 2 * s || strides_.size() != s)
      return Status::ModelError(me + ": pads must have " + std::to_string(2 * s) + " and strides " + std::to_string(s) +
                                " values for a kernel_shape of " + std::to_string(s));
    for (size_t i = 0; i < s; ++i)
      if (kernel_[i] <= 0 || strides_[i] <= 0 || pads_[i] < 0 || pads_[i + s] < 0)
        return Status::ModelError(me + ": kernel_shape and strides must be > 0, pads >= 0");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* ind = ctx.Input(1);
    if (!x) return MissingInput(node, 0);
    if (!ind) return MissingInput(node, 1);
    const size_t s = kernel_.size();
    if (x->rank() != static_cast<int64_t>(s) + 2)
      return Status::InvalidArgument(me + ": X shape " + ShapeToString(x->shape()) + " for a kernel of " +
                                     std::to_string(s) + " spatial dims");
    if (ind->dtype() != DataType::kInt64 || ind->shape() != x->shape())
      return Status::InvalidArgument(me + ": I must be int64 with X's shape " + ShapeToString(x->shape()) + ", got " +
                                     DataTypeName(ind->dtype()) + " " + ShapeToString(ind->shape()));
    Shape out = x->shape();
    for (size_t i = 0; i < s; ++i)
      out[i + 2] = (x->dim(static_cast<int>(i) + 2) - 1) * strides_[i] + kernel_[i] - pads_[i] - pads_[i + s];
    if (const Tensor* os = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr) {
      PL_ASSIGN_OR_RETURN(std::vector<int64_t> v, ReadInts(*os, node, "output_shape"));
      if (v.size() != out.size() || v[0] != out[0] || v[1] != out[1])
        return Status::InvalidArgument(me + ": output_shape " + ShapeToString(v) + " does not match X's [N, C] " +
                                       ShapeToString(x->shape()));
      out = v;
    }
    for (int64_t d : out)
      if (d < 0) return Status::InvalidArgument(me + ": output shape " + ShapeToString(out) + " has a negative dim");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    const int64_t total = y->NumElements(), n = x->NumElements();
    const int64_t* idx = ind->Data<int64_t>();
    for (int64_t i = 0; i < n; ++i)
      if (idx[i] < 0 || idx[i] >= total)
        return Status::InvalidArgument(me + ": index I[" + std::to_string(i) + "] = " + std::to_string(idx[i]) +
                                       " outside the output's " + std::to_string(total) + " elements");
    return Dispatch(FloatTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* yd = y->MutableData<T>();
      const T* xd = x->Data<T>();
      std::fill_n(yd, total, T(0.f));
      for (int64_t i = 0; i < n; ++i) yd[idx[i]] = xd[i];
      return Status::Ok();
    });
  }

 private:
  std::vector<int64_t> kernel_, pads_, strides_;
};

}  // namespace

void RegisterMaxUnpool(KernelRegistry& r) {
  Add<MaxUnpoolKernel>(r, RefDef("MaxUnpool").Opset(9, 10).Types(DataTypes(FloatTypes{})).HostInput(2));
  Add<MaxUnpoolKernel>(r, RefDef("MaxUnpool").Opset(11).Types(DataTypes(FloatTypes{})).HostInput(2));
}

}  // namespace pl::cpu_ref
