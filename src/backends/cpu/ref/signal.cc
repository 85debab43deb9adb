// Signal ops (opset 17): DFT, STFT (float32/float64, real [.., 1] or complex [.., 2] input),
// HannWindow, HammingWindow, BlackmanWindow (periodic or symmetric; output_datatype),
// MelWeightMatrix. Transforms are direct sums accumulated in double with exact twiddle indices
// (k * n mod L): O(L^2) per signal, plain and obviously right (the oracle, not the fast path).
#include <cmath>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

constexpr double kPi = 3.14159265358979323846;

// The int32/int64 scalar input `i` (rank 0 or [1]).
Status ReadIntScalar(KernelContext& ctx, int i, const char* what, int64_t* out) {
  const NodeInfo& node = ctx.node();
  const Tensor* t = ctx.NumInputs() > i ? ctx.Input(i) : nullptr;
  if (!t) return MissingInput(node, i);
  if (t->NumElements() != 1 || t->rank() > 1)
    return Status::InvalidArgument(node.Describe() + ": " + what + " must be a scalar, got shape " + ShapeToString(t->shape()));
  if (t->dtype() == DataType::kInt64) *out = t->Data<int64_t>()[0];
  else if (t->dtype() == DataType::kInt32) *out = t->Data<int32_t>()[0];
  else return Status::InvalidArgument(node.Describe() + ": " + what + " has dtype " + DataTypeName(t->dtype()) + ", expected int32 or int64");
  return Status::Ok();
}

Status ReadFloatScalar(KernelContext& ctx, int i, const char* what, double* out) {
  const NodeInfo& node = ctx.node();
  const Tensor* t = ctx.NumInputs() > i ? ctx.Input(i) : nullptr;
  if (!t) return MissingInput(node, i);
  if (t->NumElements() != 1 || t->rank() > 1)
    return Status::InvalidArgument(node.Describe() + ": " + what + " must be a scalar, got shape " + ShapeToString(t->shape()));
  if (t->dtype() == DataType::kFloat32) *out = t->Data<float>()[0];
  else if (t->dtype() == DataType::kFloat64) *out = t->Data<double>()[0];
  else if (t->dtype() == DataType::kFloat16) *out = static_cast<float>(t->Data<Half>()[0]);
  else return Status::InvalidArgument(node.Describe() + ": " + what + " has dtype " + DataTypeName(t->dtype()) + ", expected a float type");
  return Status::Ok();
}

// Writes double values as `dtype` (the window/mel output_datatype attribute: a float or integer type).
Status WriteAs(const NodeInfo& node, const std::vector<double>& v, DataType dtype, Tensor* y) {
  using Out = TypeList<float, double, Half, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t>;
  return Dispatch(Out{}, dtype, node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = y->MutableData<T>();
    for (size_t i = 0; i < v.size(); ++i) {
      if constexpr (std::is_same_v<T, Half>) out[i] = static_cast<Half>(static_cast<float>(v[i]));
      else out[i] = static_cast<T>(v[i]);
    }
    return Status::Ok();
  });
}

Status OutputType(const NodeInfo& node, DataType* t) {
  const int64_t code = node.Attr<int64_t>("output_datatype", 1);
  *t = static_cast<DataType>(code);
  if (code < 1 || code > 13 || code == 8 || code == 9)  // 8 string, 9 bool
    return Status::InvalidArgument(node.Describe() + ": output_datatype " + std::to_string(code) +
                                   " is not a numeric tensor type");
  return Status::Ok();
}

// ----- windows -----

enum class Window { kHann, kHamming, kBlackman };

class WindowKernel final : public Kernel {
 public:
  explicit WindowKernel(Window w) : window_(w) {}
  Status Init(const NodeInfo& node) override {
    periodic_ = node.Attr<int64_t>("periodic", 1) != 0;
    return OutputType(node, &out_type_);
  }
  Status Compute(KernelContext& ctx) const override {
    int64_t n = 0;
    PL_RETURN_IF_ERROR(ReadIntScalar(ctx, 0, "size", &n));
    if (n < 0 || n > (int64_t{1} << 31))
      return Status::InvalidArgument(ctx.node().Describe() + ": window size " + std::to_string(n) + " out of range");
    // The output first: its allocation is checked against the predictor's budget (a hostile size
    // is ResourceExhausted), and only then the temporary of the same length.
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {n}, out_type_));
    std::vector<double> v(static_cast<size_t>(n), 1.0);
    const int64_t denom = periodic_ ? n : n - 1;
    for (int64_t i = 0; i < n && denom > 0; ++i) {
      const double a = 2.0 * kPi * static_cast<double>(i) / static_cast<double>(denom);
      switch (window_) {
        case Window::kHann: v[i] = 0.5 - 0.5 * std::cos(a); break;
        case Window::kHamming: v[i] = 25.0 / 46.0 - (21.0 / 46.0) * std::cos(a); break;
        case Window::kBlackman: v[i] = 0.42 - 0.5 * std::cos(a) + 0.08 * std::cos(2.0 * a); break;
      }
    }
    return WriteAs(ctx.node(), v, out_type_, y);
  }

 private:
  Window window_;
  bool periodic_ = true;
  DataType out_type_ = DataType::kFloat32;
};

struct HannWindowKernel final : public Kernel {
  WindowKernel k{Window::kHann};
  Status Init(const NodeInfo& n) override { return k.Init(n); }
  Status Compute(KernelContext& c) const override { return k.Compute(c); }
};
struct HammingWindowKernel final : public Kernel {
  WindowKernel k{Window::kHamming};
  Status Init(const NodeInfo& n) override { return k.Init(n); }
  Status Compute(KernelContext& c) const override { return k.Compute(c); }
};
struct BlackmanWindowKernel final : public Kernel {
  WindowKernel k{Window::kBlackman};
  Status Init(const NodeInfo& n) override { return k.Init(n); }
  Status Compute(KernelContext& c) const override { return k.Compute(c); }
};

// ----- DFT / STFT -----

// One transform of length L over `count` input samples (zero-padded or truncated to L) read at
// in[re/im offsets]; writes `bins` complex outputs. sign -1 forward, +1 inverse (scaled by 1/L).
template <typename T>
void Transform(const T* in, int64_t in_stride, int64_t count, bool complex_in, const double* win, int64_t L,
               int64_t bins, bool inverse, T* out, int64_t out_stride, std::vector<double>* cos_t,
               std::vector<double>* sin_t) {
  const int64_t n_in = std::min(count, L);
  const double sign = inverse ? 1.0 : -1.0;
  for (int64_t k = 0; k < bins; ++k) {
    double re = 0.0, im = 0.0;
    for (int64_t n = 0; n < n_in; ++n) {
      const int64_t idx = (k * n) % L;
      const double w = win ? win[n] : 1.0;
      const double xr = static_cast<double>(in[n * in_stride]) * w;
      const double xi = complex_in ? static_cast<double>(in[n * in_stride + 1]) * w : 0.0;
      const double c = (*cos_t)[idx], s = sign * (*sin_t)[idx];
      re += xr * c - xi * s;
      im += xr * s + xi * c;
    }
    if (inverse) {
      re /= static_cast<double>(L);
      im /= static_cast<double>(L);
    }
    out[k * out_stride] = static_cast<T>(re);
    out[k * out_stride + 1] = static_cast<T>(im);
  }
}

void Twiddles(int64_t L, std::vector<double>* c, std::vector<double>* s) {
  c->resize(static_cast<size_t>(L));
  s->resize(static_cast<size_t>(L));
  for (int64_t i = 0; i < L; ++i) {
    (*c)[i] = std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(L));
    (*s)[i] = std::sin(2.0 * kPi * static_cast<double>(i) / static_cast<double>(L));
  }
}

constexpr int64_t kMaxLength = int64_t{1} << 24;

class DftKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 1);
    inverse_ = node.Attr<int64_t>("inverse", 0) != 0;
    onesided_ = node.Attr<int64_t>("onesided", 0) != 0;
    if (inverse_ && onesided_)
      return Status::InvalidArgument(node.Describe() + ": inverse with onesided output is not defined");
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    const int64_t r = x->rank();
    if (r < 2 || (x->dim(static_cast<int>(r - 1)) != 1 && x->dim(static_cast<int>(r - 1)) != 2))
      return Status::InvalidArgument(node.Describe() + ": input shape " + ShapeToString(x->shape()) +
                                     ", expected [..., signal, 1] (real) or [..., signal, 2] (complex)");
    int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    if (axis < 0 || axis >= r - 1)
      return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(axis_) + " out of range for rank " +
                                     std::to_string(r) + " (the last dim holds the real/imaginary parts)");
    const int64_t n = x->dim(static_cast<int>(axis));
    int64_t L = n;
    if (ctx.NumInputs() > 1 && ctx.Input(1)) PL_RETURN_IF_ERROR(ReadIntScalar(ctx, 1, "dft_length", &L));
    if (L < 1 || L > kMaxLength)
      return Status::InvalidArgument(node.Describe() + ": dft_length " + std::to_string(L) + " out of range");
    const bool complex_in = x->dim(static_cast<int>(r - 1)) == 2;
    const int64_t bins = onesided_ ? L / 2 + 1 : L;
    Shape ys = x->shape();
    ys[axis] = bins;
    ys[r - 1] = 2;
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, ys, x->dtype()));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x->dim(static_cast<int>(d));
    for (int64_t d = axis + 1; d < r - 1; ++d) inner *= x->dim(static_cast<int>(d));
    const int64_t c_in = x->dim(static_cast<int>(r - 1));
    std::vector<double> ct, st;
    Twiddles(L, &ct, &st);
    return Dispatch(TypeList<float, double>{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i)
          Transform<T>(in + (o * n * inner + i) * c_in, inner * c_in, n, complex_in, nullptr, L, bins, inverse_,
                       out + (o * bins * inner + i) * 2, inner * 2, &ct, &st);
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = 1;
  bool inverse_ = false, onesided_ = false;
};

// STFT(signal [batch, length, 1|2], frame_step, window?, frame_length?) -> [batch, frames, bins, 2].
class StftKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    onesided_ = node.Attr<int64_t>("onesided", 1) != 0;
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    if (x->rank() != 3 || (x->dim(2) != 1 && x->dim(2) != 2))
      return Status::InvalidArgument(node.Describe() + ": signal shape " + ShapeToString(x->shape()) +
                                     ", expected [batch, length, 1 or 2]");
    int64_t step = 0;
    PL_RETURN_IF_ERROR(ReadIntScalar(ctx, 1, "frame_step", &step));
    if (step < 1) return Status::InvalidArgument(node.Describe() + ": frame_step " + std::to_string(step) + " must be >= 1");
    const Tensor* window = ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    const bool has_length = ctx.NumInputs() > 3 && ctx.Input(3);
    int64_t L = 0;
    if (has_length) PL_RETURN_IF_ERROR(ReadIntScalar(ctx, 3, "frame_length", &L));
    if (window) {
      if (window->rank() != 1 || window->dtype() != x->dtype())
        return Status::InvalidArgument(node.Describe() + ": window must be 1-D of the signal's dtype, got " +
                                       DataTypeName(window->dtype()) + ShapeToString(window->shape()));
      if (has_length && L != window->dim(0))
        return Status::InvalidArgument(node.Describe() + ": frame_length " + std::to_string(L) + " differs from window length " +
                                       std::to_string(window->dim(0)));
      L = window->dim(0);
    } else if (!has_length) {
      return Status::InvalidArgument(node.Describe() + ": needs a window or a frame_length");
    }
    const int64_t len = x->dim(1);
    if (L < 1 || L > len || L > kMaxLength)
      return Status::InvalidArgument(node.Describe() + ": frame length " + std::to_string(L) + " out of range for a signal of " +
                                     std::to_string(len));
    const bool complex_in = x->dim(2) == 2;
    const int64_t frames = (len - L) / step + 1, bins = onesided_ ? L / 2 + 1 : L, batch = x->dim(0);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {batch, frames, bins, 2}, x->dtype()));
    std::vector<double> ct, st, w;
    Twiddles(L, &ct, &st);
    return Dispatch(TypeList<float, double>{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (window) w.assign(window->Data<T>(), window->Data<T>() + L);
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      const int64_t c = x->dim(2);
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t f = 0; f < frames; ++f)
          Transform<T>(in + (b * len + f * step) * c, c, L, complex_in, window ? w.data() : nullptr, L, bins, false,
                       out + (b * frames + f) * bins * 2, 2, &ct, &st);
      return Status::Ok();
    });
  }

 private:
  bool onesided_ = true;
};

// MelWeightMatrix(num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz)
// -> [dft_length / 2 + 1, num_mel_bins]: triangular filters between mel-spaced points, the
// points mapped to bins as floor((dft_length + 1) * hz / sample_rate), as the spec defines.
class MelWeightMatrixKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override { return OutputType(node, &out_type_); }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    int64_t mels = 0, L = 0, rate = 0;
    double lo = 0, hi = 0;
    PL_RETURN_IF_ERROR(ReadIntScalar(ctx, 0, "num_mel_bins", &mels));
    PL_RETURN_IF_ERROR(ReadIntScalar(ctx, 1, "dft_length", &L));
    PL_RETURN_IF_ERROR(ReadIntScalar(ctx, 2, "sample_rate", &rate));
    PL_RETURN_IF_ERROR(ReadFloatScalar(ctx, 3, "lower_edge_hertz", &lo));
    PL_RETURN_IF_ERROR(ReadFloatScalar(ctx, 4, "upper_edge_hertz", &hi));
    if (mels < 1 || mels > (1 << 16) || L < 1 || L > kMaxLength || rate < 1 || !(lo >= 0) || !(hi > lo))
      return Status::InvalidArgument(node.Describe() + ": needs num_mel_bins >= 1, dft_length >= 1, sample_rate >= 1 and "
                                     "0 <= lower_edge_hertz < upper_edge_hertz");
    const int64_t spec_bins = L / 2 + 1;
    auto to_mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
    // The opset-17 definition divides the mel range by the number of points (num_mel_bins + 2),
    // as its node test and ONNX Runtime do (so the last point falls short of upper_edge_hertz).
    const double mlo = to_mel(lo), step = (to_mel(hi) - mlo) / static_cast<double>(mels + 2);
    std::vector<int64_t> pt(static_cast<size_t>(mels + 2));
    for (int64_t i = 0; i < mels + 2; ++i) {
      const double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * step + mlo) / 2595.0) - 1.0);
      pt[i] = SaturatingInt64(std::floor(static_cast<double>(L + 1) * hz / static_cast<double>(rate)));
      if (pt[i] < 0 || pt[i] >= spec_bins)
        return Status::InvalidArgument(node.Describe() + ": upper_edge_hertz " + std::to_string(hi) +
                                       " maps past the last spectrogram bin (sample_rate " + std::to_string(rate) + ")");
    }
    // The output first (budget-checked), then the temporary of the same size.
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {spec_bins, mels}, out_type_));
    std::vector<double> w(static_cast<size_t>(spec_bins * mels), 0.0);
    for (int64_t m = 0; m < mels; ++m) {
      const int64_t a = pt[m], c = pt[m + 1], b = pt[m + 2];
      if (c == a) {
        w[c * mels + m] = 1.0;
      } else {
        for (int64_t j = a; j <= c; ++j) w[j * mels + m] = static_cast<double>(j - a) / static_cast<double>(c - a);
      }
      for (int64_t j = c; j < b; ++j) w[j * mels + m] = static_cast<double>(b - j) / static_cast<double>(b - c);
    }
    return WriteAs(node, w, out_type_, y);
  }

 private:
  DataType out_type_ = DataType::kFloat32;
};

}  // namespace

void RegisterSignal(KernelRegistry& r) {
  Add<DftKernel>(r, RefDef("DFT").Opset(17).Types<float, double>());
  Add<StftKernel>(r, RefDef("STFT").Opset(17).Types<float, double>());
  Add<HannWindowKernel>(r, RefDef("HannWindow").Opset(17).Types<int32_t, int64_t>());
  Add<HammingWindowKernel>(r, RefDef("HammingWindow").Opset(17).Types<int32_t, int64_t>());
  Add<BlackmanWindowKernel>(r, RefDef("BlackmanWindow").Opset(17).Types<int32_t, int64_t>());
  Add<MelWeightMatrixKernel>(r, RefDef("MelWeightMatrix").Opset(17).Types<int32_t, int64_t>());
}

}  // namespace pl::cpu_ref
