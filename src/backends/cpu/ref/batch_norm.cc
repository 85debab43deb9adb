// BatchNormalization (opsets 1, 6, 7, 9, 14, 15): inference, spatial=0 (opsets < 9) and training
// mode (batch statistics, running mean/var outputs); X float32/float64, scale/B/mean/var float32
// or float64 (opset 15 lets them differ from X).
#include <cmath>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
namespace {

// Reads a float32/float64 parameter tensor into doubles.
void ReadParam(const Tensor& t, int64_t n, double* out) {
  if (t.dtype() == DataType::kFloat64) {
    const double* p = t.Data<double>();
    for (int64_t i = 0; i < n; ++i) out[i] = p[i];
  } else {
    const float* p = t.Data<float>();
    for (int64_t i = 0; i < n; ++i) out[i] = p[i];
  }
}

template <typename U>
void WriteParam(const double* v, int64_t n, U* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = static_cast<U>(v[i]);
}

Status WriteParamTensor(KernelContext& ctx, int index, const Shape& shape, DataType dtype, const double* v) {
  if (!ctx.OutputRequested(index)) return Status::Ok();
  PL_ASSIGN_OR_RETURN(Tensor* t, ctx.Output(index, shape, dtype));
  const int64_t n = ShapeNumElements(shape);
  if (dtype == DataType::kFloat64) WriteParam(v, n, t->MutableData<double>());
  else WriteParam(v, n, t->MutableData<float>());
  return Status::Ok();
}

template <typename T>
class BatchNormKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    epsilon_ = node.Attr<float>("epsilon", 1e-5f);
    momentum_ = node.Attr<float>("momentum", 0.9f);
    // Before opset 9 `spatial` = 0 means one parameter per activation (C x D1 x ... x Dn).
    spatial_ = node.opset >= 9 || node.Attr<int64_t>("spatial", 1) != 0;
    if (node.opset >= 14) {
      training_ = node.Attr<int64_t>("training_mode", 0) != 0;
    } else {
      // Older opsets: training when the statistics outputs are asked for (and, before opset 7,
      // is_test is 0).
      bool stats_requested = false;
      for (int i = 1; i < node.num_outputs(); ++i) stats_requested = stats_requested || node.output_present[i];
      training_ = stats_requested && (node.opset >= 7 || node.Attr<int64_t>("is_test", 0) == 0);
    }
    if (epsilon_ < 0) return Status::ModelError(node.Describe() + ": epsilon must be non-negative");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const std::string me = ctx.node().Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* params[4] = {ctx.Input(1), ctx.Input(2), ctx.Input(3), ctx.Input(4)};
    if (!x || !params[0] || !params[1] || !params[2] || !params[3])
      return Status::InvalidArgument(me + ": needs X, scale, B, input_mean and input_var");
    if (x->rank() < 2)
      return Status::InvalidArgument(me + ": X has shape " + ShapeToString(x->shape()) + ", expected rank >= 2");
    const int64_t N = x->dim(0), C = x->dim(1);
    const int64_t S = C == 0 ? 0 : x->NumElements() / std::max<int64_t>(1, N * C);  // spatial size
    const int64_t P = spatial_ ? C : C * S;  // parameters per tensor
    Shape param_shape = {C};
    if (!spatial_) param_shape.assign(x->shape().begin() + 1, x->shape().end());
    static const char* kNames[4] = {"scale", "B", "input_mean", "input_var"};
    for (int i = 0; i < 4; ++i) {
      const Tensor& p = *params[i];
      if (p.dtype() != DataType::kFloat32 && p.dtype() != DataType::kFloat64)
        return Status::InvalidArgument(me + ": " + kNames[i] + " has dtype " + DataTypeName(p.dtype()) +
                                       ", expected float32 or float64");
      if (p.NumElements() != P)
        return Status::InvalidArgument(me + ": " + kNames[i] + " has shape " + ShapeToString(p.shape()) +
                                       ", expected " + ShapeToString(param_shape));
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    // Workspace: scale, B, mean, var, then the per-parameter multiplier and offset.
    PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(static_cast<size_t>(std::max<int64_t>(1, 6 * P)) * sizeof(double)));
    double* scale = static_cast<double*>(ws);
    double *bias = scale + P, *mean = bias + P, *var = mean + P, *mul = var + P, *add = mul + P;
    ReadParam(*params[0], P, scale);
    ReadParam(*params[1], P, bias);
    ReadParam(*params[2], P, mean);
    ReadParam(*params[3], P, var);
    const T* in = x->Data<T>();
    T* out = y->MutableData<T>();
    const int threads = std::max(1, ctx.intra_op_threads());
    if (training_) {
      // Batch statistics (population variance) over N and, when spatial, the spatial dims.
      // mul/add hold the batch mean/variance until the running statistics are written.
      const int64_t inner = spatial_ ? S : 1, outer_params = spatial_ ? 1 : S;
#pragma omp parallel for num_threads(threads) if (threads > 1)
      for (int64_t p = 0; p < P; ++p) {
        const int64_t c = p / outer_params, s0 = p % outer_params;
        double sum = 0, sq = 0;
        for (int64_t n = 0; n < N; ++n) {
          const T* row = in + (n * C + c) * S + s0;
          for (int64_t s = 0; s < inner; ++s) sum += row[s];
        }
        const double count = static_cast<double>(N * inner);
        const double m = count > 0 ? sum / count : 0.0;
        for (int64_t n = 0; n < N; ++n) {
          const T* row = in + (n * C + c) * S + s0;
          for (int64_t s = 0; s < inner; ++s) sq += (row[s] - m) * (row[s] - m);
        }
        mul[p] = m;
        add[p] = count > 0 ? sq / count : 0.0;
      }
      for (int64_t p = 0; p < P; ++p) {
        const double batch_mean = mul[p], batch_var = add[p];
        mean[p] = mean[p] * momentum_ + batch_mean * (1.0 - momentum_);  // running statistics
        var[p] = var[p] * momentum_ + batch_var * (1.0 - momentum_);
        mul[p] = scale[p] / std::sqrt(batch_var + epsilon_);
        add[p] = bias[p] - batch_mean * mul[p];
        scale[p] = batch_mean;  // reuse: saved statistics for the opset < 14 outputs
        bias[p] = batch_var;
      }
    } else {
      for (int64_t p = 0; p < P; ++p) {
        mul[p] = scale[p] / std::sqrt(var[p] + epsilon_);
        add[p] = bias[p] - mean[p] * mul[p];
      }
    }
    const int64_t rows = N * C;
#pragma omp parallel for num_threads(threads) if (threads > 1 && rows * S > 32768)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t c = r % C;
      const T* xi = in + r * S;
      T* yo = out + r * S;
      if (spatial_) {
        const T a = static_cast<T>(mul[c]), b = static_cast<T>(add[c]);
        for (int64_t s = 0; s < S; ++s) yo[s] = xi[s] * a + b;
      } else {
        const double* a = mul + c * S;
        const double* b = add + c * S;
        for (int64_t s = 0; s < S; ++s) yo[s] = static_cast<T>(xi[s] * a[s] + b[s]);
      }
    }
    if (training_) {
      const DataType mean_type = params[2]->dtype(), var_type = params[3]->dtype();
      const int n_out = ctx.NumOutputs();
      if (n_out > 1) PL_RETURN_IF_ERROR(WriteParamTensor(ctx, 1, params[2]->shape(), mean_type, mean));
      if (n_out > 2) PL_RETURN_IF_ERROR(WriteParamTensor(ctx, 2, params[3]->shape(), var_type, var));
      if (n_out > 3) PL_RETURN_IF_ERROR(WriteParamTensor(ctx, 3, params[2]->shape(), mean_type, scale));
      if (n_out > 4) PL_RETURN_IF_ERROR(WriteParamTensor(ctx, 4, params[3]->shape(), var_type, bias));
    } else {
      for (int i = 1; i < ctx.NumOutputs(); ++i)
        if (ctx.OutputRequested(i))
          return Status::InvalidArgument(me + ": output " + std::to_string(i) + " exists only in training mode");
    }
    return Status::Ok();
  }

 private:
  float epsilon_ = 1e-5f, momentum_ = 0.9f;
  bool spatial_ = true, training_ = false;
};

}  // namespace

void RegisterBatchNorm(KernelRegistry& r) {
  Add<BatchNormKernel<float>>(r, RefDef("BatchNormalization").Opset(1).Types<float>());
  Add<BatchNormKernel<double>>(r, RefDef("BatchNormalization").Opset(1).Types<double>());
}

}  // namespace pl::cpu_ref
