// CUDA reduce family (host side), float32: ReduceSum/Mean/Max/Min/Prod/L2/SumSquare (axes
// attribute before opset 18 — ReduceSum 13 — then an optional host axes input with
// noop_with_empty_axes; keepdims), Softmax and LogSoftmax (opset < 13: 2-D coercion from axis;
// 13+: one axis), LayerNormalization (17; broadcast Scale/B, optional Mean/InvStdDev outputs in
// float32), BatchNormalization inference (opsets 9+; training_mode or statistics outputs ->
// Unimplemented), InstanceNormalization. Validation and messages follow
// src/backends/cpu/ref/{reduce,softmax,normalization,batch_norm}.cc.
#include <algorithm>

#include "src/backends/cpu/ref/math_util.h"
#include "src/backends/cuda/kernel_list.h"
#include "src/backends/cuda/light_util.h"

namespace pl::cuda {
namespace {

using cpu_ref::MissingInput;
using cpu_ref::NormalizeAxis;

Status Float32Only(const NodeInfo& node, DataType dt) {
  if (dt == DataType::kFloat32) return Status::Ok();
  return Status::Unimplemented(node.Describe() + ": cuda kernel takes float32 only, got " + DataTypeName(dt));
}

// ------------------------------------------------------------------ Reduce*

class ReduceKernel final : public Kernel {
 public:
  explicit ReduceKernel(ReduceOp op) : op_(op) {}
  Status Init(const NodeInfo& node) override {
    axes_from_input_ = node.opset >= (op_ == ReduceOp::kSum ? 13 : 18);
    keepdims_ = node.Attr<int64_t>("keepdims", 1) != 0;
    noop_with_empty_axes_ = axes_from_input_ && node.Attr<int64_t>("noop_with_empty_axes", 0) != 0;
    if (!axes_from_input_) axes_attr_ = node.Attr<std::vector<int64_t>>("axes", {});
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    PL_RETURN_IF_ERROR(Float32Only(node, x->dtype()));
    std::vector<int64_t> axes = axes_attr_;
    if (axes_from_input_ && ctx.Input(1)) {
      PL_ASSIGN_OR_RETURN(axes, cpu_ref::ReadInts(*ctx.Input(1), node, "axes"));
    }
    const int64_t rank = x->rank();
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    if (axes.empty() && noop_with_empty_axes_) {
      PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
      return CopyDevice(y->RawMutableData(), x->RawData(), x->ByteSize(), s);
    }
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
    for (int64_t a : axes) {
      PL_ASSIGN_OR_RETURN(int64_t d, NormalizeAxis(a, rank, node));
      if (reduced[d]) return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(a) + " repeated");
      reduced[d] = true;
    }
    Shape out_shape;
    int64_t count = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (!reduced[d]) {
        out_shape.push_back(x->dim(static_cast<int>(d)));
      } else {
        count *= x->dim(static_cast<int>(d));
        if (keepdims_) out_shape.push_back(1);
      }
    }
    // Merged runs of kept and reduced dims (size-1 dims dropped), with their input strides.
    ReduceParams p;
    std::vector<int64_t> od, os, rd, rs;
    int last = -1;  // kind of the previous non-trivial dim: 0 kept, 1 reduced
    int64_t stride = 1;
    std::vector<int64_t> strides(static_cast<size_t>(rank));
    for (int64_t d = rank - 1; d >= 0; --d) {
      strides[d] = stride;
      stride *= x->dim(static_cast<int>(d));
    }
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t dim = x->dim(static_cast<int>(d));
      if (dim == 1) continue;
      const int kind = reduced[d] ? 1 : 0;
      std::vector<int64_t>& dims = kind ? rd : od;
      std::vector<int64_t>& sts = kind ? rs : os;
      if (kind == last) {
        dims.back() *= dim;
        sts.back() = strides[d];
      } else {
        dims.push_back(dim);
        sts.push_back(strides[d]);
      }
      last = kind;
    }
    if (od.size() > static_cast<size_t>(kMaxDims) || rd.size() > static_cast<size_t>(kMaxDims))
      return RankTooHigh(node, std::max(od.size(), rd.size()));
    p.out_rank = static_cast<int>(od.size());
    p.red_rank = static_cast<int>(rd.size());
    for (size_t i = 0; i < od.size(); ++i) {
      p.out_dims[i] = od[i];
      p.out_strides[i] = os[i];
    }
    for (size_t i = 0; i < rd.size(); ++i) {
      p.red_dims[i] = rd[i];
      p.red_strides[i] = rs[i];
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, x->dtype()));
    const int64_t n_out = ShapeNumElements(out_shape);
    if (n_out == 0) return Status::Ok();
    LaunchReduceF32(op_, x->Data<float>(), y->MutableData<float>(), n_out, count, p, s);
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }

 private:
  ReduceOp op_;
  bool axes_from_input_ = false, keepdims_ = true, noop_with_empty_axes_ = false;
  std::vector<int64_t> axes_attr_;
};

template <ReduceOp kOp>
class ReduceOpKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override { return k_.Init(node); }
  Status Compute(KernelContext& ctx) const override { return k_.Compute(ctx); }

 private:
  ReduceKernel k_{kOp};
};

// ------------------------------------------------------------------ Softmax / LogSoftmax

template <bool kLog>
class SoftmaxKernel final : public Kernel {
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
    PL_RETURN_IF_ERROR(Float32Only(node, x->dtype()));
    const Shape& shape = x->shape();
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
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, shape, x->dtype()));
    if (x->NumElements() == 0) return Status::Ok();
    LaunchSoftmaxF32(kLog, x->Data<float>(), y->MutableData<float>(), outer, len, inner, s);
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }

 private:
  bool coerce_2d_ = false;
  int64_t axis_ = -1;
};

// ------------------------------------------------------------------ LayerNormalization

class LayerNormKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", -1);
    epsilon_ = node.Attr<float>("epsilon", 1e-5f);
    const int64_t stash = node.Attr<int64_t>("stash_type", 1);
    if (stash != 1) return Status::Unimplemented(node.Describe() + ": cuda LayerNormalization needs stash_type 1");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* scale = ctx.Input(1);
    const Tensor* bias = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!x || !scale) return Status::InvalidArgument(me + ": needs X and Scale");
    PL_RETURN_IF_ERROR(Float32Only(node, x->dtype()));
    PL_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, x->rank(), node));
    const Shape& xs = x->shape();
    const Shape norm_shape(xs.begin() + axis, xs.end());
    const int64_t D = ShapeNumElements(norm_shape);
    const int64_t rows = D == 0 ? 0 : x->NumElements() / D;
    std::vector<const Tensor*> params = {scale};
    if (bias) params.push_back(bias);
    bool direct = true;
    for (const Tensor* p : params) {
      if (p->dtype() != x->dtype())
        return Status::InvalidArgument(me + ": Scale and B must have X's dtype " + DataTypeName(x->dtype()));
      bool ok = p->rank() <= static_cast<int64_t>(norm_shape.size());
      for (int64_t i = 1; ok && i <= p->rank(); ++i) {
        const int64_t pd = p->shape()[p->rank() - i], nd = norm_shape[norm_shape.size() - i];
        ok = pd == nd || pd == 1;
      }
      if (!ok)
        return Status::InvalidArgument(me + ": " + (p == scale ? "Scale" : "B") + " shape " +
                                       ShapeToString(p->shape()) + " does not broadcast to normalized shape " +
                                       ShapeToString(norm_shape));
      direct = direct && p->NumElements() == D;
    }
    for (int i = 1; i <= 2; ++i)
      if (ctx.NumOutputs() > i && ctx.OutputRequested(i) && ctx.OutputType(i) != DataType::kFloat32)
        return Status::Unimplemented(me + ": cuda LayerNormalization writes float32 statistics only");
    BcastParams ps, pb;
    if (!direct) {
      if (!MakeBcastParams(norm_shape, {&scale->shape()}, &ps) ||
          (bias && !MakeBcastParams(norm_shape, {&bias->shape()}, &pb)))
        return RankTooHigh(node, norm_shape.size());
    }
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, xs, x->dtype()));
    Shape stat_shape = xs;
    for (size_t d = static_cast<size_t>(axis); d < stat_shape.size(); ++d) stat_shape[d] = 1;
    float* mean_out = nullptr;
    float* inv_out = nullptr;
    if (ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      PL_ASSIGN_OR_RETURN(Tensor* t, ctx.Output(1, stat_shape, DataType::kFloat32));
      mean_out = t->MutableData<float>();
    }
    if (ctx.NumOutputs() > 2 && ctx.OutputRequested(2)) {
      PL_ASSIGN_OR_RETURN(Tensor* t, ctx.Output(2, stat_shape, DataType::kFloat32));
      inv_out = t->MutableData<float>();
    }
    if (rows == 0 || D == 0) return Status::Ok();
    const float* sc = scale->Data<float>();
    const float* bi = bias ? bias->Data<float>() : nullptr;
    if (!direct) {
      PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(static_cast<size_t>(2 * D) * sizeof(float)));
      float* full = static_cast<float*>(ws);
      LaunchExpandF32(sc, full, D, ps, s);
      PL_CUDA_CHECK_LAUNCH(me);
      if (bias) {
        LaunchExpandF32(bi, full + D, D, pb, s);
        PL_CUDA_CHECK_LAUNCH(me);
      }
      sc = full;
      bi = bias ? full + D : nullptr;
    }
    LaunchLayerNormF32(x->Data<float>(), sc, bi, y->MutableData<float>(), mean_out, inv_out, rows, D, epsilon_, s);
    PL_CUDA_CHECK_LAUNCH(me);
    return Status::Ok();
  }

 private:
  int64_t axis_ = -1;
  float epsilon_ = 1e-5f;
};

// ------------------------------------------------------------------ BatchNormalization

class BatchNormKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    epsilon_ = node.Attr<float>("epsilon", 1e-5f);
    if (epsilon_ < 0) return Status::ModelError(node.Describe() + ": epsilon must be non-negative");
    bool training = false;
    if (node.opset >= 14) {
      training = node.Attr<int64_t>("training_mode", 0) != 0;
    } else {
      bool stats_requested = false;
      for (int i = 1; i < node.num_outputs(); ++i) stats_requested = stats_requested || node.output_present[i];
      training = stats_requested;
    }
    if (training) return Status::Unimplemented(node.Describe() + ": cuda BatchNormalization is inference only");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* params[4] = {ctx.Input(1), ctx.Input(2), ctx.Input(3), ctx.Input(4)};
    if (!x || !params[0] || !params[1] || !params[2] || !params[3])
      return Status::InvalidArgument(me + ": needs X, scale, B, input_mean and input_var");
    PL_RETURN_IF_ERROR(Float32Only(node, x->dtype()));
    if (x->rank() < 2)
      return Status::InvalidArgument(me + ": X has shape " + ShapeToString(x->shape()) + ", expected rank >= 2");
    const int64_t N = x->dim(0), C = x->dim(1);
    const int64_t S = C == 0 ? 0 : x->NumElements() / std::max<int64_t>(1, N * C);
    static const char* kNames[4] = {"scale", "B", "input_mean", "input_var"};
    for (int i = 0; i < 4; ++i) {
      const Tensor& p = *params[i];
      if (p.dtype() != DataType::kFloat32 && p.dtype() != DataType::kFloat64)
        return Status::InvalidArgument(me + ": " + kNames[i] + " has dtype " + DataTypeName(p.dtype()) +
                                       ", expected float32 or float64");
      if (p.dtype() != DataType::kFloat32)
        return Status::Unimplemented(me + ": cuda BatchNormalization takes float32 parameters only");
      if (p.NumElements() != C)
        return Status::InvalidArgument(me + ": " + kNames[i] + " has shape " + ShapeToString(p.shape()) +
                                       ", expected " + ShapeToString({C}));
    }
    for (int i = 1; i < ctx.NumOutputs(); ++i)
      if (ctx.OutputRequested(i))
        return Status::InvalidArgument(me + ": output " + std::to_string(i) + " exists only in training mode");
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    if (C == 0 || x->NumElements() == 0) return Status::Ok();
    PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(static_cast<size_t>(2 * C) * sizeof(float)));
    LaunchBatchNormF32(x->Data<float>(), params[0]->Data<float>(), params[1]->Data<float>(), params[2]->Data<float>(),
                       params[3]->Data<float>(), static_cast<float*>(ws), y->MutableData<float>(), N, C, S, epsilon_,
                       s);
    PL_CUDA_CHECK_LAUNCH(me);
    return Status::Ok();
  }

 private:
  float epsilon_ = 1e-5f;
};

// ------------------------------------------------------------------ InstanceNormalization

class InstanceNormKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    epsilon_ = node.Attr<float>("epsilon", 1e-5f);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const std::string me = ctx.node().Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* scale = ctx.Input(1);
    const Tensor* bias = ctx.Input(2);
    if (!x || !scale || !bias) return Status::InvalidArgument(me + ": needs input, scale and B");
    PL_RETURN_IF_ERROR(Float32Only(ctx.node(), x->dtype()));
    if (x->rank() < 3)
      return Status::InvalidArgument(me + ": input has shape " + ShapeToString(x->shape()) +
                                     ", expected rank >= 3 (N, C, spatial...)");
    const int64_t N = x->dim(0), C = x->dim(1);
    for (const Tensor* p : {scale, bias})
      if (p->rank() != 1 || p->dim(0) != C || p->dtype() != x->dtype())
        return Status::InvalidArgument(me + ": scale/B have shape " + ShapeToString(p->shape()) + ", expected [" +
                                       std::to_string(C) + "] of the input's dtype");
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const int64_t S = N * C == 0 ? 0 : x->NumElements() / (N * C);
    if (S == 0) return Status::Ok();
    LaunchInstanceNormF32(x->Data<float>(), scale->Data<float>(), bias->Data<float>(), y->MutableData<float>(), N, C, S,
                          epsilon_, s);
    PL_CUDA_CHECK_LAUNCH(me);
    return Status::Ok();
  }

 private:
  float epsilon_ = 1e-5f;
};

template <ReduceOp kOp>
void AddReduce(KernelRegistry& r, const char* op, int input_since) {
  AddCuda<ReduceOpKernel<kOp>>(r, CudaDef(op).Opset(1, input_since - 1).Types<float>());
  AddCuda<ReduceOpKernel<kOp>>(r, CudaDef(op).Opset(input_since).Types<float>().HostInput(1));
}

}  // namespace

void RegisterReduceKernels(KernelRegistry& r) {
  AddReduce<ReduceOp::kSum>(r, "ReduceSum", 13);
  AddReduce<ReduceOp::kMean>(r, "ReduceMean", 18);
  AddReduce<ReduceOp::kMax>(r, "ReduceMax", 18);
  AddReduce<ReduceOp::kMin>(r, "ReduceMin", 18);
  AddReduce<ReduceOp::kProd>(r, "ReduceProd", 18);
  AddReduce<ReduceOp::kL2>(r, "ReduceL2", 18);
  AddReduce<ReduceOp::kSumSquare>(r, "ReduceSumSquare", 18);
  AddCuda<SoftmaxKernel<false>>(r, CudaDef("Softmax").Opset(1).Types<float>());
  AddCuda<SoftmaxKernel<true>>(r, CudaDef("LogSoftmax").Opset(1).Types<float>());
  AddCuda<LayerNormKernel>(r, CudaDef("LayerNormalization").Opset(17).Types<float>());
  AddCuda<BatchNormKernel>(r, CudaDef("BatchNormalization").Opset(9).Types<float>());
  AddCuda<InstanceNormKernel>(r, CudaDef("InstanceNormalization").Opset(1).Types<float>());
}

}  // namespace pl::cuda
