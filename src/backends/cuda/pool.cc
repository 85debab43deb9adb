// MaxPool (float32; kernel_shape, strides, pads, auto_pad, ceil_mode, dilations, the optional
// Indices output with storage_order), AveragePool (float32; count_include_pad, ceil_mode,
// dilations), 1 to 3 spatial dims, with the reference kernels' geometry (conv_util.h: ceil_mode
// windows must start inside the input or its begin padding; asymmetric pads) computed on the
// host and a direct kernel on the device (cuDNN's pooling descriptors have symmetric pads and no
// ceil_mode). MaxPool propagates NaN. GlobalAveragePool / GlobalMaxPool: any spatial rank, a
// reduction per (n, c) plane. Declines (Unimplemented): more than 3 spatial dims.
#include <string>
#include <vector>

#include "src/backends/cpu/ref/conv_util.h"
#include "src/backends/cuda/cuda_common.h"
#include "src/backends/cuda/kernel_list.h"

namespace pl::cuda {

// pool_impl.cu. geom: 7 groups of nd values: input dims, output dims, kernel, strides,
// dilations, begin pads, end pads.
cudaError_t LaunchWindowPool(const float* x, float* y, int64_t* indices, int64_t planes, int nd, const int64_t* geom,
                             bool max, bool count_include_pad, bool column_major, cudaStream_t stream);
cudaError_t LaunchGlobalPool(const float* x, float* y, int64_t planes, int64_t S, bool max, cudaStream_t stream);

namespace {

using cpu_ref::IntsToString;
using cpu_ref::WindowAttrs;

struct PoolGeom {
  int nd = 0;
  int64_t planes = 0;
  std::vector<int64_t> in, out, kernel, strides, dilations, pads;  // pads: nd begins, nd ends
};

Status MakePoolGeom(const NodeInfo& node, const WindowAttrs& attrs, bool ceil_mode, const Tensor& x, PoolGeom* g) {
  const std::string me = node.Describe();
  if (x.dtype() != DataType::kFloat32) return Status::InvalidArgument(me + ": X must be float32");
  if (x.rank() < 3)
    return Status::InvalidArgument(me + ": input X has shape " + ShapeToString(x.shape()) +
                                   ", expected rank >= 3 (N, C, spatial...)");
  const size_t nd = static_cast<size_t>(x.rank() - 2);
  g->nd = static_cast<int>(nd);
  if (attrs.kernel_shape.size() != nd)
    return Status::InvalidArgument(me + ": kernel_shape " + IntsToString(attrs.kernel_shape) + " has " +
                                   std::to_string(attrs.kernel_shape.size()) + " values, expected " +
                                   std::to_string(nd) + " for input " + ShapeToString(x.shape()));
  g->planes = x.dim(0) * x.dim(1);
  g->in.assign(x.shape().begin() + 2, x.shape().end());
  g->kernel = attrs.kernel_shape;
  PL_RETURN_IF_ERROR(attrs.Resolve(node, nd, &g->strides, &g->dilations, &g->pads));
  g->out.resize(nd);
  for (size_t d = 0; d < nd; ++d)
    PL_RETURN_IF_ERROR(cpu_ref::WindowOutput(node, attrs.auto_pad, g->in[d], g->kernel[d], g->strides[d],
                                             g->dilations[d], ceil_mode, &g->pads[d], &g->pads[d + nd], &g->out[d]));
  return Status::Ok();
}

class WindowPool final : public Kernel {
 public:
  explicit WindowPool(bool max) : max_(max) {}

  Status Init(const NodeInfo& node) override {
    PL_RETURN_IF_ERROR(attrs_.Read(node));
    ceil_mode_ = node.Attr<int64_t>("ceil_mode", 0) != 0;
    if (max_) {
      storage_order_ = node.Attr<int64_t>("storage_order", 0);
      if (storage_order_ != 0 && storage_order_ != 1)
        return Status::ModelError(node.Describe() + ": storage_order must be 0 or 1");
    } else {
      count_include_pad_ = node.Attr<int64_t>("count_include_pad", 0) != 0;
    }
    if (attrs_.kernel_shape.empty()) return Status::ModelError(node.Describe() + ": kernel_shape is required");
    if (attrs_.kernel_shape.size() > 3)
      return Status::Unimplemented(node.Describe() + ": " + std::to_string(attrs_.kernel_shape.size()) +
                                   " spatial dims (the CUDA pooling kernel takes 1 to 3)");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    CudaResources* res = Res(ctx);
    if (!res) return Status::Internal(me + ": no CUDA resources in the kernel context");
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(me + ": missing input X");
    PoolGeom g;
    PL_RETURN_IF_ERROR(MakePoolGeom(node, attrs_, ceil_mode_, *x, &g));
    if (g.nd > 3)
      return Status::Unimplemented(me + ": " + std::to_string(g.nd) + " spatial dims (the CUDA pooling kernel takes 1 to 3)");
    Shape y_shape = {x->dim(0), x->dim(1)};
    y_shape.insert(y_shape.end(), g.out.begin(), g.out.end());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, DataType::kFloat32));
    int64_t* indices = nullptr;
    if (max_ && ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      PL_ASSIGN_OR_RETURN(Tensor* ind, ctx.Output(1, y_shape, DataType::kInt64));
      indices = ind->MutableData<int64_t>();
    }
    if (y->NumElements() == 0) return Status::Ok();
    std::vector<int64_t> geom;
    const size_t nd = static_cast<size_t>(g.nd);
    for (const std::vector<int64_t>* v : {&g.in, &g.out, &g.kernel, &g.strides, &g.dilations})
      geom.insert(geom.end(), v->begin(), v->end());
    geom.insert(geom.end(), g.pads.begin(), g.pads.begin() + nd);
    geom.insert(geom.end(), g.pads.begin() + nd, g.pads.end());
    PL_CUDA_RETURN_IF_ERROR(LaunchWindowPool(x->Data<float>(), y->MutableData<float>(), indices, g.planes, g.nd,
                                             geom.data(), max_, count_include_pad_, storage_order_ == 1,
                                             res->stream));
    return Status::Ok();
  }

 private:
  bool max_ = true;
  WindowAttrs attrs_;
  bool ceil_mode_ = false, count_include_pad_ = false;
  int64_t storage_order_ = 0;
};

class CudaMaxPool final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override { return impl_.Init(node); }
  Status Compute(KernelContext& ctx) const override { return impl_.Compute(ctx); }

 private:
  WindowPool impl_{true};
};

class CudaAveragePool final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override { return impl_.Init(node); }
  Status Compute(KernelContext& ctx) const override { return impl_.Compute(ctx); }

 private:
  WindowPool impl_{false};
};

template <bool kMax>
class CudaGlobalPool final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const std::string me = ctx.node().Describe();
    CudaResources* res = Res(ctx);
    if (!res) return Status::Internal(me + ": no CUDA resources in the kernel context");
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(me + ": missing input X");
    if (x->dtype() != DataType::kFloat32) return Status::InvalidArgument(me + ": X must be float32");
    if (x->rank() < 2)
      return Status::InvalidArgument(me + ": input X has shape " + ShapeToString(x->shape()) +
                                     ", expected rank >= 2 (N, C, spatial...)");
    Shape y_shape(x->shape().size(), 1);
    y_shape[0] = x->dim(0);
    y_shape[1] = x->dim(1);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, DataType::kFloat32));
    const int64_t planes = x->dim(0) * x->dim(1);
    if (planes == 0) return Status::Ok();
    const int64_t S = x->NumElements() / planes;
    PL_CUDA_RETURN_IF_ERROR(
        LaunchGlobalPool(x->Data<float>(), y->MutableData<float>(), planes, S, kMax, res->stream));
    return Status::Ok();
  }
};

}  // namespace

void RegisterPoolKernels(KernelRegistry& r) {
  r.RegisterBuiltin(KernelDef("MaxPool").Opset(1).Backend(kBackendCuda).Types<float>(),
                    MakeKernelFactory<CudaMaxPool>());
  r.RegisterBuiltin(KernelDef("AveragePool").Opset(1).Backend(kBackendCuda).Types<float>(),
                    MakeKernelFactory<CudaAveragePool>());
  r.RegisterBuiltin(KernelDef("GlobalAveragePool").Opset(1).Backend(kBackendCuda).Types<float>(),
                    MakeKernelFactory<CudaGlobalPool<false>>());
  r.RegisterBuiltin(KernelDef("GlobalMaxPool").Opset(1).Backend(kBackendCuda).Types<float>(),
                    MakeKernelFactory<CudaGlobalPool<true>>());
}

}  // namespace pl::cuda
