// LayerNormalization (opset 17; axis, epsilon, broadcast Scale/B, optional Mean/InvStdDev
// outputs), InstanceNormalization (opsets 1, 6), LRN (opsets 1, 13); float32 and float64.
// Statistics are accumulated in double, two-pass (mean, then squared deviations) as the ONNX
// function definitions compute them.
#include <cmath>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
namespace {

template <typename T>
class LayerNormKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", -1);
    epsilon_ = node.Attr<float>("epsilon", 1e-5f);
    const int64_t stash = node.Attr<int64_t>("stash_type", 1);
    if (stash != 1 && stash != 11)
      return Status::Unimplemented(node.Describe() + ": stash_type " + std::to_string(stash) + " (float32/float64 only)");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const std::string me = ctx.node().Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* scale = ctx.Input(1);
    const Tensor* bias = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!x || !scale) return Status::InvalidArgument(me + ": needs X and Scale");
    PL_ASSIGN_OR_RETURN(const int64_t axis, NormalizeAxis(axis_, x->rank(), ctx.node()));
    const Shape& xs = x->shape();
    const Shape norm_shape(xs.begin() + axis, xs.end());
    const int64_t D = ShapeNumElements(norm_shape);
    const int64_t rows = D == 0 ? 0 : x->NumElements() / D;
    // Scale and B broadcast (numpy rules, right-aligned) to the normalized shape.
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
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, xs, x->dtype()));
    Shape stat_shape = xs;
    for (size_t d = static_cast<size_t>(axis); d < stat_shape.size(); ++d) stat_shape[d] = 1;
    Tensor* mean_out = nullptr;
    Tensor* inv_out = nullptr;
    auto stat_type = [&](int i) {
      const DataType t = ctx.OutputType(i);
      return t == DataType::kFloat64 ? t : DataType::kFloat32;
    };
    if (ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      PL_ASSIGN_OR_RETURN(mean_out, ctx.Output(1, stat_shape, stat_type(1)));
    }
    if (ctx.NumOutputs() > 2 && ctx.OutputRequested(2)) {
      PL_ASSIGN_OR_RETURN(inv_out, ctx.Output(2, stat_shape, stat_type(2)));
    }
    // Broadcast parameters are expanded to D values once per call, in the workspace.
    const T* sc = scale->Data<T>();
    const T* bi = bias ? bias->Data<T>() : nullptr;
    if (!direct) {
      PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(static_cast<size_t>(2 * D) * sizeof(T)));
      T* full = static_cast<T*>(ws);
      Expand(*scale, norm_shape, full);
      if (bias) Expand(*bias, norm_shape, full + D);
      sc = full;
      bi = bias ? full + D : nullptr;
    }
    const T* in = x->Data<T>();
    T* out = y->MutableData<T>();
    const int threads = std::max(1, ctx.intra_op_threads());
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && rows * D > 32768)
    for (int64_t r = 0; r < rows; ++r) {
      const T* xr = in + r * D;
      T* yr = out + r * D;
      double sum = 0;
      for (int64_t i = 0; i < D; ++i) sum += xr[i];
      const double mean = sum / static_cast<double>(D);
      double sq = 0;
      for (int64_t i = 0; i < D; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
      const double inv = 1.0 / std::sqrt(sq / static_cast<double>(D) + epsilon_);
      const T m = static_cast<T>(mean), s = static_cast<T>(inv);
      if (bi) for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] - m) * s * sc[i] + bi[i];
      else for (int64_t i = 0; i < D; ++i) yr[i] = (xr[i] - m) * s * sc[i];
      if (mean_out) StoreStat(mean_out, r, mean);
      if (inv_out) StoreStat(inv_out, r, inv);
    }
    return Status::Ok();
  }

 private:
  static void StoreStat(Tensor* t, int64_t i, double v) {
    if (t->dtype() == DataType::kFloat64) t->MutableData<double>()[i] = v;
    else t->MutableData<float>()[i] = static_cast<float>(v);
  }
  static void Expand(const Tensor& p, const Shape& to, T* out) {
    const std::vector<int64_t> strides = BroadcastStrides(p.shape(), to);
    const T* src = p.Data<T>();
    const int64_t n = ShapeNumElements(to);
    std::vector<int64_t> idx(to.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = 0;
      for (size_t d = 0; d < to.size(); ++d) off += idx[d] * strides[d];
      out[i] = src[off];
      for (int64_t d = static_cast<int64_t>(to.size()) - 1; d >= 0; --d) {
        if (++idx[d] < to[d]) break;
        idx[d] = 0;
      }
    }
  }

  int64_t axis_ = -1;
  float epsilon_ = 1e-5f;
};

template <typename T>
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
    if (x->rank() < 3)
      return Status::InvalidArgument(me + ": input has shape " + ShapeToString(x->shape()) +
                                     ", expected rank >= 3 (N, C, spatial...)");
    const int64_t N = x->dim(0), C = x->dim(1);
    for (const Tensor* p : {scale, bias})
      if (p->rank() != 1 || p->dim(0) != C || p->dtype() != x->dtype())
        return Status::InvalidArgument(me + ": scale/B have shape " + ShapeToString(p->shape()) + ", expected [" +
                                       std::to_string(C) + "] of the input's dtype");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const int64_t S = N * C == 0 ? 0 : x->NumElements() / (N * C);
    const T* in = x->Data<T>();
    const T* sc = scale->Data<T>();
    const T* bi = bias->Data<T>();
    T* out = y->MutableData<T>();
    const int threads = std::max(1, ctx.intra_op_threads());
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && N * C * S > 32768)
    for (int64_t r = 0; r < N * C; ++r) {
      const T* xr = in + r * S;
      T* yr = out + r * S;
      double sum = 0, sq = 0;
      for (int64_t i = 0; i < S; ++i) sum += xr[i];
      const double mean = S > 0 ? sum / S : 0.0;
      for (int64_t i = 0; i < S; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
      const double var = S > 0 ? sq / S : 0.0;
      const double a = sc[r % C] / std::sqrt(var + epsilon_);
      const double b = bi[r % C] - mean * a;
      for (int64_t i = 0; i < S; ++i) yr[i] = static_cast<T>(xr[i] * a + b);
    }
    return Status::Ok();
  }

 private:
  float epsilon_ = 1e-5f;
};

// LRN: y = x / (bias + alpha / size * sum of x^2 over the channel window) ^ beta, the window
// spanning [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to the channels.
template <typename T>
class LrnKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    alpha_ = node.Attr<float>("alpha", 1e-4f);
    beta_ = node.Attr<float>("beta", 0.75f);
    bias_ = node.Attr<float>("bias", 1.0f);
    PL_ASSIGN_OR_RETURN(size_, node.RequiredAttr<int64_t>("size"));
    if (size_ < 1) return Status::ModelError(node.Describe() + ": size " + std::to_string(size_) + " must be >= 1");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input X");
    if (x->rank() < 2)
      return Status::InvalidArgument(ctx.node().Describe() + ": input has shape " + ShapeToString(x->shape()) +
                                     ", expected rank >= 2 (N, C, ...)");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    const int64_t N = x->dim(0), C = x->dim(1);
    const int64_t S = N * C == 0 ? 0 : x->NumElements() / (N * C);
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const T* in = x->Data<T>();
    T* out = y->MutableData<T>();
    const double k = static_cast<double>(alpha_) / static_cast<double>(size_);
    const int threads = std::max(1, ctx.intra_op_threads());
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && N * C * S > 32768)
    for (int64_t r = 0; r < N * C; ++r) {
      const int64_t n = r / C, c = r % C;
      const int64_t c0 = std::max<int64_t>(0, c - before), c1 = std::min<int64_t>(C - 1, c + after);
      T* yr = out + r * S;
      for (int64_t i = 0; i < S; ++i) yr[i] = T(0);  // the output plane holds the square sums first
      for (int64_t cc = c0; cc <= c1; ++cc) {
        const T* xc = in + (n * C + cc) * S;
        for (int64_t i = 0; i < S; ++i) yr[i] += xc[i] * xc[i];
      }
      const T* xr = in + r * S;
      for (int64_t i = 0; i < S; ++i)
        yr[i] = static_cast<T>(xr[i] / std::pow(bias_ + k * static_cast<double>(yr[i]), static_cast<double>(beta_)));
    }
    return Status::Ok();
  }

 private:
  float alpha_ = 1e-4f, beta_ = 0.75f, bias_ = 1.f;
  int64_t size_ = 1;
};

}  // namespace

void RegisterNormalization(KernelRegistry& r) {
  Add<LayerNormKernel<float>>(r, RefDef("LayerNormalization").Opset(17).Types<float>());
  Add<LayerNormKernel<double>>(r, RefDef("LayerNormalization").Opset(17).Types<double>());
  Add<InstanceNormKernel<float>>(r, RefDef("InstanceNormalization").Opset(1).Types<float>());
  Add<InstanceNormKernel<double>>(r, RefDef("InstanceNormalization").Opset(1).Types<double>());
  Add<LrnKernel<float>>(r, RefDef("LRN").Opset(1).Types<float>());
  Add<LrnKernel<double>>(r, RefDef("LRN").Opset(1).Types<double>());
}

}  // namespace pl::cpu_ref
