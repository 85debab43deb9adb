// Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): nearest (N-d), linear and cubic (N-d,
// separable), antialias, tf_crop_and_resize; float32, float64, int8, uint8, int32, int64.
//
// Every mode is separable, so one plan per axis (which input taps, with which weights, feed each
// output index) describes the whole op; the ONNX reference evaluates exactly this, axis by axis.
// Plans are cached per predictor for the current shape. Nearest gathers through per-axis index
// tables (integer upscaling replicates, repeated rows are memcpy'd). Linear/cubic over H and W
// (the image case) blend cached, horizontally resized rows plane by plane; any other set of
// axes runs one weighted pass per resized axis, innermost first.
//
// align_corners divides by the integer output length minus one, as ONNX Runtime and PyTorch do
// (ONNX 1.12's reference uses scale * in - 1: see tests/conformance/skip_flow.txt).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord { kHalfPixel, kHalfPixelSymmetric, kPytorchHalfPixel, kAlignCorners, kAsymmetric,
                   kTfHalfPixelForNN, kTfCropAndResize };
// kSimple: opset < 11 (no nearest_mode): floor when upsampling, ceil when downsampling.
enum class NearestMode { kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil, kSimple };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

// What output index o of one axis reads: taps idx[o*taps + k] with weights w[o*taps + k], or the
// extrapolation value when extrap[o] (tf_crop_and_resize outside the input).
struct AxisPlan {
  int64_t in = 0, out = 0;
  int taps = 1;
  std::vector<int64_t> idx;
  std::vector<float> w;
  std::vector<uint8_t> extrap;
  bool identity = true;
  int64_t repeat = 0;  // nearest: out = in * repeat and idx[o] = o / repeat (integer upsampling)
};

// Plans for one (input shape, scales/sizes, roi) signature, kept per predictor.
struct ResizeState : KernelState {
  Shape in_shape, out_shape;
  std::vector<double> scales, roi;
  std::vector<AxisPlan> axes;
};

double CubicCoeff(double x, double a) {
  x = std::fabs(x);
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

template <typename T>
T FromAcc(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    v = std::round(v);
    v = std::min<double>(std::max<double>(v, static_cast<double>(std::numeric_limits<T>::lowest())),
                         static_cast<double>(std::numeric_limits<T>::max()));
    return static_cast<T>(v);
  }
}

template <typename T>
class ResizeKernel final : public Kernel {
 public:
  // Double accumulation for double data; float otherwise (integers are rounded at the end).
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;

  Status Init(const NodeInfo& node) override {
    const std::string what = node.Describe();
    upsample_ = node.op_type == "Upsample";
    const int opset = node.opset;
    std::string mode = node.Attr<std::string>("mode", "nearest");
    if (mode == "nearest") mode_ = Mode::kNearest;
    else if (mode == "linear" || mode == "bilinear" || (upsample_ && mode == "trilinear")) mode_ = Mode::kLinear;
    else if (mode == "cubic" && !upsample_ && opset >= 11) mode_ = Mode::kCubic;
    else return Status::InvalidArgument(what + ": unsupported mode '" + mode + "'");

    if (upsample_ || opset < 11) {
      // Upsample and Resize-10 predate the attribute: ONNX Runtime and the spec's examples use
      // asymmetric coordinates with the legacy nearest rounding.
      coord_ = Coord::kAsymmetric;
      nearest_ = NearestMode::kSimple;
      if (upsample_ && opset < 9) {
        if (!node.HasAttr("scales")) return Status::InvalidArgument(what + ": required attribute 'scales' is missing");
        attr_scales_ = node.Attr<std::vector<float>>("scales", {});
      }
      scales_input_ = (upsample_ && opset < 9) ? -1 : 1;
      return Status::Ok();
    }
    roi_input_ = 1;
    scales_input_ = 2;
    sizes_input_ = 3;
    const std::string ctm = node.Attr<std::string>("coordinate_transformation_mode", "half_pixel");
    if (ctm == "half_pixel") coord_ = Coord::kHalfPixel;
    else if (ctm == "half_pixel_symmetric" && opset >= 19) coord_ = Coord::kHalfPixelSymmetric;
    else if (ctm == "pytorch_half_pixel") coord_ = Coord::kPytorchHalfPixel;
    else if (ctm == "align_corners") coord_ = Coord::kAlignCorners;
    else if (ctm == "asymmetric") coord_ = Coord::kAsymmetric;
    else if (ctm == "tf_half_pixel_for_nn" && opset < 13) coord_ = Coord::kTfHalfPixelForNN;
    else if (ctm == "tf_crop_and_resize") coord_ = Coord::kTfCropAndResize;
    else return Status::InvalidArgument(what + ": unsupported coordinate_transformation_mode '" + ctm + "'");
    const std::string nm = node.Attr<std::string>("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") nearest_ = NearestMode::kRoundPreferFloor;
    else if (nm == "round_prefer_ceil") nearest_ = NearestMode::kRoundPreferCeil;
    else if (nm == "floor") nearest_ = NearestMode::kFloor;
    else if (nm == "ceil") nearest_ = NearestMode::kCeil;
    else return Status::InvalidArgument(what + ": unsupported nearest_mode '" + nm + "'");
    cubic_a_ = node.Attr<float>("cubic_coeff_a", -0.75f);
    exclude_outside_ = node.Attr<int64_t>("exclude_outside", 0) != 0;
    extrapolation_ = node.Attr<float>("extrapolation_value", 0.f);
    if (opset >= 18) {
      antialias_ = node.Attr<int64_t>("antialias", 0) != 0;
      axes_ = node.Attr<std::vector<int64_t>>("axes", {});
      const std::string pol = node.Attr<std::string>("keep_aspect_ratio_policy", "stretch");
      if (pol == "stretch") policy_ = AspectPolicy::kStretch;
      else if (pol == "not_larger") policy_ = AspectPolicy::kNotLarger;
      else if (pol == "not_smaller") policy_ = AspectPolicy::kNotSmaller;
      else return Status::InvalidArgument(what + ": unsupported keep_aspect_ratio_policy '" + pol + "'");
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input X");
    const int64_t rank = x->rank();
    if (rank < 1) return Status::InvalidArgument(node.Describe() + ": X must have rank >= 1, got a scalar");
    std::vector<double> scales, roi;
    Shape out_shape;
    PL_RETURN_IF_ERROR(OutputGeometry(ctx, *x, &scales, &out_shape, &roi));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    if (x->NumElements() == 0)
      return Status::InvalidArgument(node.Describe() + ": cannot resize an empty input " + ShapeToString(x->shape()) +
                                     " to the non-empty " + ShapeToString(out_shape));

    auto& slot = ctx.state();
    auto* st = dynamic_cast<ResizeState*>(slot.get());
    if (!st || st->in_shape != x->shape() || st->out_shape != out_shape || st->scales != scales || st->roi != roi) {
      auto fresh = std::make_unique<ResizeState>();
      fresh->in_shape = x->shape();
      fresh->out_shape = out_shape;
      fresh->scales = scales;
      fresh->roi = roi;
      for (int64_t d = 0; d < rank; ++d) {
        // An antialiased filter widens by 1/scale; refuse absurd widths rather than allocate them.
        const double width = antialias_ && scales[d] < 1 ? (mode_ == Mode::kCubic ? 4 : 2) / scales[d] : 4;
        if (width * static_cast<double>(out_shape[d]) > static_cast<double>(1 << 28))
          return Status::InvalidArgument(node.Describe() + ": antialiased scale " + std::to_string(scales[d]) +
                                         " on axis " + std::to_string(d) + " needs a filter too wide to plan");
        fresh->axes.push_back(PlanAxis(x->dim(d), out_shape[d], scales[d], roi[d], roi[d + rank]));
      }
      st = fresh.get();
      slot = std::move(fresh);
    }
    if (mode_ == Mode::kNearest) return Gather(ctx, *st, *x, y);
    return Interpolate(ctx, *st, *x, y);
  }

 private:
  // Scales (per axis, the factor the coordinate transform divides by), output shape and roi
  // (starts then ends, per axis) from the op's inputs and attributes.
  Status OutputGeometry(KernelContext& ctx, const Tensor& x, std::vector<double>* scales, Shape* out_shape,
                        std::vector<double>* roi) const {
    const NodeInfo& node = ctx.node();
    const std::string what = node.Describe();
    const int64_t rank = x.rank();
    scales->assign(rank, 1.0);
    out_shape->assign(x.shape().begin(), x.shape().end());
    roi->assign(2 * rank, 0.0);
    for (int64_t d = 0; d < rank; ++d) (*roi)[rank + d] = 1.0;

    std::vector<int64_t> axes;
    if (axes_.empty()) {
      for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    } else {
      std::vector<bool> seen(rank, false);
      for (int64_t a : axes_) {
        PL_ASSIGN_OR_RETURN(int64_t n, NormalizeAxis(a, rank, node));
        if (seen[n]) return Status::InvalidArgument(what + ": axis " + std::to_string(a) + " is listed twice in 'axes'");
        seen[n] = true;
        axes.push_back(n);
      }
    }
    const size_t na = axes.size();

    std::vector<double> in_scales;
    if (scales_input_ < 0) {
      in_scales.assign(attr_scales_.begin(), attr_scales_.end());
    } else if (const Tensor* s = ctx.Input(scales_input_); s && s->NumElements() > 0) {
      if (s->dtype() != DataType::kFloat32 && s->dtype() != DataType::kFloat64)
        return Status::InvalidArgument(what + ": scales must be float, got " + DataTypeName(s->dtype()));
      for (int64_t i = 0; i < s->NumElements(); ++i) in_scales.push_back(ReadAsDouble(*s, i));
    }
    std::vector<int64_t> sizes;
    if (const Tensor* s = sizes_input_ >= 0 ? ctx.Input(sizes_input_) : nullptr; s && s->NumElements() > 0) {
      PL_ASSIGN_OR_RETURN(sizes, ReadInts(*s, node, "sizes"));
    }
    if (in_scales.empty() == sizes.empty())
      return Status::InvalidArgument(what + (in_scales.empty() ? ": neither scales nor sizes is given"
                                                               : ": only one of scales and sizes may be given"));
    if (!in_scales.empty()) {
      if (in_scales.size() != na)
        return Status::InvalidArgument(what + ": scales has " + std::to_string(in_scales.size()) + " values, expected " +
                                       std::to_string(na) + " (one per resized axis)");
      for (size_t i = 0; i < na; ++i) {
        const double s = in_scales[i];
        if (!(s > 0) || !std::isfinite(s))
          return Status::InvalidArgument(what + ": scales[" + std::to_string(i) + "] = " + std::to_string(s) +
                                         ", must be positive");
        if (upsample_ && s < 1)
          return Status::InvalidArgument(what + ": Upsample scales must be >= 1, got " + std::to_string(s));
        const double o = std::floor(static_cast<double>(x.dim(axes[i])) * s);
        if (o > static_cast<double>(std::numeric_limits<int32_t>::max()) * 64)
          return Status::InvalidArgument(what + ": scale " + std::to_string(s) + " gives an output dim too large");
        (*scales)[axes[i]] = s;
        (*out_shape)[axes[i]] = static_cast<int64_t>(o);
      }
    } else {
      if (sizes.size() != na)
        return Status::InvalidArgument(what + ": sizes has " + std::to_string(sizes.size()) + " values, expected " +
                                       std::to_string(na) + " (one per resized axis)");
      for (size_t i = 0; i < na; ++i)
        if (sizes[i] < 0)
          return Status::InvalidArgument(what + ": sizes[" + std::to_string(i) + "] = " + std::to_string(sizes[i]) +
                                         " is negative");
      if (policy_ != AspectPolicy::kStretch) {
        // One scale for all resized axes, fitting inside (not_larger) or covering (not_smaller).
        double s = policy_ == AspectPolicy::kNotLarger ? std::numeric_limits<double>::infinity() : 0.0;
        for (size_t i = 0; i < na; ++i) {
          const int64_t in = x.dim(axes[i]);
          if (in == 0) continue;
          const double r = static_cast<double>(sizes[i]) / static_cast<double>(in);
          s = policy_ == AspectPolicy::kNotLarger ? std::min(s, r) : std::max(s, r);
        }
        if (!std::isfinite(s) || s <= 0) s = 1.0;
        for (size_t i = 0; i < na; ++i) {
          (*scales)[axes[i]] = s;
          (*out_shape)[axes[i]] = SaturatingInt64(std::round(s * static_cast<double>(x.dim(axes[i]))));
        }
      } else {
        for (size_t i = 0; i < na; ++i) {
          const int64_t in = x.dim(axes[i]);
          (*out_shape)[axes[i]] = sizes[i];
          (*scales)[axes[i]] = in > 0 ? static_cast<double>(sizes[i]) / static_cast<double>(in) : 1.0;
        }
      }
    }
    if (coord_ == Coord::kTfCropAndResize) {
      const Tensor* r = roi_input_ >= 0 ? ctx.Input(roi_input_) : nullptr;
      if (!r || r->NumElements() == 0)
        return Status::InvalidArgument(what + ": tf_crop_and_resize needs the roi input");
      if (r->NumElements() != static_cast<int64_t>(2 * na))
        return Status::InvalidArgument(what + ": roi has " + std::to_string(r->NumElements()) + " values, expected " +
                                       std::to_string(2 * na));
      for (size_t i = 0; i < na; ++i) {
        (*roi)[axes[i]] = ReadAsDouble(*r, i);
        (*roi)[rank + axes[i]] = ReadAsDouble(*r, na + i);
      }
    }
    return Status::Ok();
  }

  // The input coordinate output index o maps to (ONNX coordinate_transformation_mode).
  double SourceCoord(int64_t o, int64_t in, int64_t out, double scale, double roi_start, double roi_end) const {
    const double x = static_cast<double>(o);
    switch (coord_) {
      case Coord::kHalfPixel: return (x + 0.5) / scale - 0.5;
      case Coord::kHalfPixelSymmetric: {
        const double adjustment = static_cast<double>(out) / (scale * static_cast<double>(in));
        const double center = static_cast<double>(in) / 2;
        return center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
      }
      case Coord::kPytorchHalfPixel: return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
      case Coord::kAlignCorners:
        return out == 1 ? 0.0 : x * static_cast<double>(in - 1) / static_cast<double>(out - 1);
      case Coord::kAsymmetric: return x / scale;
      case Coord::kTfHalfPixelForNN: return (x + 0.5) / scale;
      case Coord::kTfCropAndResize:
        if (out > 1)
          return roi_start * static_cast<double>(in - 1) +
                 x * (roi_end - roi_start) * static_cast<double>(in - 1) / static_cast<double>(out - 1);
        return 0.5 * (roi_start + roi_end) * static_cast<double>(in - 1);
    }
    return x;
  }

  int64_t NearestIndex(double x, double scale) const {
    switch (nearest_) {
      case NearestMode::kRoundPreferFloor:
        return SaturatingInt64(x == std::floor(x) + 0.5 ? std::floor(x) : std::round(x));
      case NearestMode::kRoundPreferCeil:
        return SaturatingInt64(x == std::floor(x) + 0.5 ? std::ceil(x) : std::round(x));
      case NearestMode::kFloor: return SaturatingInt64(std::floor(x));
      case NearestMode::kCeil: return SaturatingInt64(std::ceil(x));
      case NearestMode::kSimple: return SaturatingInt64(scale < 1 ? std::ceil(x) : std::floor(x));
    }
    return 0;
  }

  // Weights of the taps around x: the ONNX reference picks base = ceil(x) - 1 and a ratio in
  // (0, 1]; with antialias (downscaling) the filter is stretched by 1/scale and renormalized.
  AxisPlan PlanAxis(int64_t in, int64_t out, double scale, double roi_start, double roi_end) const {
    AxisPlan p;
    p.in = in;
    p.out = out;
    const bool aa = antialias_ && scale < 1 && mode_ != Mode::kNearest;
    int start = 0;  // first tap's offset from base
    if (mode_ == Mode::kNearest) { p.taps = 1; start = 0; }
    else if (mode_ == Mode::kLinear) {
      start = aa ? static_cast<int>(std::floor(-1 / scale) + 1) : 0;
      p.taps = 2 - 2 * start;
    } else {
      start = aa ? static_cast<int>(std::floor(-2 / scale) + 1) : -1;
      p.taps = 2 - 2 * start;
    }
    p.idx.assign(out * p.taps, 0);
    p.w.assign(out * p.taps, 0.f);
    p.extrap.assign(out, 0);
    p.identity = in == out;
    std::vector<double> w(p.taps);
    for (int64_t o = 0; o < out; ++o) {
      double x = SourceCoord(o, in, out, scale, roi_start, roi_end);
      if (!std::isfinite(x)) {
        if (coord_ != Coord::kTfCropAndResize) x = 0;  // only a NaN/inf roi gets here; keep indexing defined
      }
      if (coord_ == Coord::kTfCropAndResize && !(x >= 0 && x <= static_cast<double>(in - 1))) {
        p.extrap[o] = 1;
        p.identity = false;
        continue;
      }
      int64_t* idx = &p.idx[o * p.taps];
      float* wt = &p.w[o * p.taps];
      if (mode_ == Mode::kNearest) {
        idx[0] = std::min<int64_t>(std::max<int64_t>(NearestIndex(x, scale), 0), in - 1);
        wt[0] = 1.f;
        if (idx[0] != o) p.identity = false;
        continue;
      }
      const double base = std::ceil(x) - 1;
      const double ratio = x - base;
      const double s = aa ? scale : 1.0;
      double sum = 0;
      for (int k = 0; k < p.taps; ++k) {
        const double arg = (start + k - ratio) * s;
        w[k] = mode_ == Mode::kLinear ? std::max(0.0, 1 - std::fabs(arg)) : CubicCoeff(arg, cubic_a_);
        sum += w[k];
      }
      if (aa && sum != 0)
        for (double& v : w) v /= sum;
      if (exclude_outside_) {
        sum = 0;
        for (int k = 0; k < p.taps; ++k) {
          const double i = base + start + k;
          if (i < 0 || i >= static_cast<double>(in)) w[k] = 0;
          sum += w[k];
        }
        if (sum != 0)
          for (double& v : w) v /= sum;
      }
      for (int k = 0; k < p.taps; ++k) {
        const double i = base + start + k;
        idx[k] = static_cast<int64_t>(std::min(std::max(i, 0.0), static_cast<double>(in - 1)));
        wt[k] = static_cast<float>(w[k]);
        if (wt[k] != 0 && (idx[k] != o || wt[k] != 1.f)) p.identity = false;
      }
    }
    if (mode_ == Mode::kNearest && in > 0 && out > in && out % in == 0) {
      const int64_t f = out / in;
      bool rep = true;
      for (int64_t o = 0; o < out && rep; ++o) rep = !p.extrap[o] && p.idx[o] == o / f;
      if (rep) p.repeat = f;
    }
    return p;
  }

  // Nearest: every output element copies one input element (or the extrapolation value). Work
  // is split by planes (all dims but the last two); inside a plane an output row that reads the
  // same input row as the one above it (every other row of a 2x upsample) is a memcpy.
  Status Gather(KernelContext& ctx, const ResizeState& st, const Tensor& x, Tensor* y) const {
    const int64_t rank = x.rank();
    const Shape& in = st.in_shape;
    const Shape& out = st.out_shape;
    std::vector<int64_t> in_strides(rank, 1);
    for (int64_t d = rank - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * in[d + 1];
    static const AxisPlan kUnit = [] {
      AxisPlan p;
      p.in = p.out = 1;
      p.idx = {0};
      p.w = {1.f};
      p.extrap = {0};
      return p;
    }();
    const AxisPlan& col = st.axes[rank - 1];
    const AxisPlan& row = rank >= 2 ? st.axes[rank - 2] : kUnit;
    const int64_t out_w = col.out, out_h = row.out;
    const int64_t in_row_stride = rank >= 2 ? in_strides[rank - 2] : 0;
    const int64_t planes = y->NumElements() / (out_w * out_h);
    bool col_extrap = false;
    for (uint8_t e : col.extrap) col_extrap |= e != 0;
    const T* src = x.Data<T>();
    T* dst = y->MutableData<T>();
    const T fill = FromAcc<T>(extrapolation_);
    auto plane = [&](int64_t p) {
      int64_t off = 0, rem = p;
      bool outside = false;
      for (int64_t d = rank - 3; d >= 0; --d) {
        const int64_t o = rem % out[d];
        rem /= out[d];
        outside |= st.axes[d].extrap[o] != 0;
        off += st.axes[d].idx[o] * in_strides[d];
      }
      T* dplane = dst + p * out_h * out_w;
      if (outside) {
        std::fill(dplane, dplane + out_h * out_w, fill);
        return;
      }
      for (int64_t r = 0; r < out_h; ++r) {
        T* drow = dplane + r * out_w;
        if (row.extrap[r]) {
          std::fill(drow, drow + out_w, fill);
          continue;
        }
        if (r > 0 && !row.extrap[r - 1] && row.idx[r] == row.idx[r - 1]) {
          std::memcpy(drow, drow - out_w, out_w * sizeof(T));
          continue;
        }
        const T* srow = src + off + row.idx[r] * in_row_stride;
        const int64_t* idx = col.idx.data();
        if (col.identity) {
          std::memcpy(drow, srow, out_w * sizeof(T));
        } else if (col.repeat == 2) {
          for (int64_t i = 0; i < col.in; ++i) drow[2 * i] = drow[2 * i + 1] = srow[i];
        } else if (col.repeat > 2) {
          const int64_t f = col.repeat;
          for (int64_t i = 0; i < col.in; ++i)
            for (int64_t k = 0; k < f; ++k) drow[i * f + k] = srow[i];
        } else if (!col_extrap) for (int64_t o = 0; o < out_w; ++o) drow[o] = srow[idx[o]];
        else for (int64_t o = 0; o < out_w; ++o) drow[o] = col.extrap[o] ? fill : srow[idx[o]];
      }
    };
    const int threads = ctx.intra_op_threads();
    const bool par = threads > 1 && planes > 1 && y->NumElements() > (1 << 15);
#pragma omp parallel for schedule(static) num_threads(threads) if (par)
    for (int64_t p = 0; p < planes; ++p) plane(p);
    return Status::Ok();
  }

  // Linear / cubic: one weighted pass per non-identity axis, innermost first (the order the ONNX
  // reference combines axes in, which matters only for tf_crop_and_resize extrapolation).
  Status Interpolate(KernelContext& ctx, const ResizeState& st, const Tensor& x, Tensor* y) const {
    const int64_t rank = x.rank();
    std::vector<int64_t> passes;
    for (int64_t d = rank - 1; d >= 0; --d)
      if (!st.axes[d].identity) passes.push_back(d);
    if (passes.empty()) {
      std::memcpy(y->RawMutableData(), x.RawData(), x.ByteSize());
      return Status::Ok();
    }
    if (passes.size() == 2 && passes[0] == rank - 1 && passes[1] == rank - 2 && st.axes[rank - 2].taps <= kMaxRowTaps)
      return Interpolate2D(ctx, st, x, y);
    // Intermediate shapes and the two ping-pong buffers (sized for the largest intermediate).
    Shape cur = st.in_shape;
    size_t max_elems = 0;
    for (size_t p = 0; p + 1 < passes.size(); ++p) {
      cur[passes[p]] = st.out_shape[passes[p]];
      max_elems = std::max(max_elems, static_cast<size_t>(ShapeNumElements(cur)));
    }
    Acc* buf[2] = {nullptr, nullptr};
    if (passes.size() > 1) {
      const size_t n = passes.size() > 2 ? 2 * max_elems : max_elems;
      PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(n * sizeof(Acc)));
      buf[0] = static_cast<Acc*>(ws);
      buf[1] = buf[0] + max_elems;
    }
    cur = st.in_shape;
    const int threads = ctx.intra_op_threads();
    for (size_t p = 0; p < passes.size(); ++p) {
      const int64_t d = passes[p];
      int64_t outer = 1, inner = 1;
      for (int64_t k = 0; k < d; ++k) outer *= cur[k];
      for (int64_t k = d + 1; k < rank; ++k) inner *= cur[k];
      const bool first = p == 0, final = p + 1 == passes.size();
      const void* src = first ? x.RawData() : static_cast<const void*>(buf[(p - 1) % 2]);
      void* dst = final ? y->RawMutableData() : static_cast<void*>(buf[p % 2]);
      if (first && final) Pass<T, T>(st.axes[d], outer, inner, src, dst, threads);
      else if (first) Pass<T, Acc>(st.axes[d], outer, inner, src, dst, threads);
      else if (final) Pass<Acc, T>(st.axes[d], outer, inner, src, dst, threads);
      else Pass<Acc, Acc>(st.axes[d], outer, inner, src, dst, threads);
      cur[d] = st.out_shape[d];
    }
    return Status::Ok();
  }

  // The common image case (only H and W change): per plane, output rows blend horizontally
  // resized input rows, which stay in a small per-thread cache (one slot per vertical tap, keyed
  // by input row) instead of a whole intermediate tensor. Same arithmetic as two passes.
  static constexpr int kMaxRowTaps = 64;  // wider (antialiased shrinking by 16x and more): the N-d path
  Status Interpolate2D(KernelContext& ctx, const ResizeState& st, const Tensor& x, Tensor* y) const {
    const int64_t rank = x.rank();
    const AxisPlan& col = st.axes[rank - 1];
    const AxisPlan& row = st.axes[rank - 2];
    const int64_t in_h = row.in, in_w = col.in, out_h = row.out, out_w = col.out;
    const int64_t planes = y->NumElements() / (out_h * out_w);
    const int slots = row.taps;
    const int threads = ctx.intra_op_threads();
    const bool par = threads > 1 && planes > 1 && y->NumElements() > (1 << 14);
    const int used = par ? threads : 1;
    const size_t cache_elems = static_cast<size_t>(slots) * out_w;
    PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(used * (cache_elems * sizeof(Acc) + slots * sizeof(int64_t))));
    Acc* caches = static_cast<Acc*>(ws);
    int64_t* all_keys = reinterpret_cast<int64_t*>(caches + used * cache_elems);
    const T* src = x.Data<T>();
    T* dst = y->MutableData<T>();
    const Acc fill_acc = static_cast<Acc>(extrapolation_);
    const T fill = FromAcc<T>(extrapolation_);
    bool col_extrap = false;
    for (uint8_t e : col.extrap) col_extrap |= e != 0;
    auto hrow = [&](const T* s, Acc* d) {
      const int64_t* idx = col.idx.data();
      const float* w = col.w.data();
      if (col.taps == 2 && !col_extrap) {
        for (int64_t o = 0; o < out_w; ++o)
          d[o] = static_cast<Acc>(w[2 * o]) * static_cast<Acc>(s[idx[2 * o]]) +
                 static_cast<Acc>(w[2 * o + 1]) * static_cast<Acc>(s[idx[2 * o + 1]]);
        return;
      }
      for (int64_t o = 0; o < out_w; ++o) {
        if (col.extrap[o]) { d[o] = fill_acc; continue; }
        Acc a = 0;
        for (int k = 0; k < col.taps; ++k)
          a += static_cast<Acc>(w[o * col.taps + k]) * static_cast<Acc>(s[idx[o * col.taps + k]]);
        d[o] = a;
      }
    };
#pragma omp parallel for schedule(static) num_threads(threads) if (par)
    for (int64_t p = 0; p < planes; ++p) {
      int tid = 0;
#ifdef _OPENMP
      if (par) tid = omp_get_thread_num();
#endif
      Acc* cache = caches + tid * cache_elems;
      int64_t* keys = all_keys + tid * slots;
      std::fill(keys, keys + slots, int64_t{-1});
      const T* sp = src + p * in_h * in_w;
      T* dp = dst + p * out_h * out_w;
      const Acc* taps[kMaxRowTaps];
      Acc wts[kMaxRowTaps];
      for (int64_t r = 0; r < out_h; ++r) {
        T* drow = dp + r * out_w;
        if (row.extrap[r]) {
          std::fill(drow, drow + out_w, fill);
          continue;
        }
        int n = 0;
        for (int k = 0; k < slots; ++k) {
          const float wk = row.w[r * slots + k];
          if (wk == 0) continue;
          const int64_t i = row.idx[r * slots + k];
          const int slot = static_cast<int>(i % slots);
          Acc* c = cache + slot * out_w;
          if (keys[slot] != i) {
            hrow(sp + i * in_w, c);
            keys[slot] = i;
          }
          taps[n] = c;
          wts[n] = wk;
          ++n;
        }
        if (n == 2) {
          const Acc* c0 = taps[0];
          const Acc* c1 = taps[1];
          const Acc w0 = wts[0], w1 = wts[1];
          for (int64_t o = 0; o < out_w; ++o) drow[o] = FromAcc<T>(w0 * c0[o] + w1 * c1[o]);
        } else {
          for (int64_t o = 0; o < out_w; ++o) {
            Acc a = 0;
            for (int k = 0; k < n; ++k) a += wts[k] * taps[k][o];
            drow[o] = FromAcc<T>(a);
          }
        }
      }
    }
    return Status::Ok();
  }

  // out[a, o, b] = sum_k w[o,k] * in[a, idx[o,k], b] over a [outer, in|out, inner] view.
  template <typename In, typename Out>
  void Pass(const AxisPlan& ap, int64_t outer, int64_t inner, const void* src_v, void* dst_v, int threads) const {
    const In* src = static_cast<const In*>(src_v);
    Out* dst = static_cast<Out*>(dst_v);
    const int taps = ap.taps;
    const int64_t in_n = ap.in, out_n = ap.out;
    const Out fill = FromAcc<Out>(extrapolation_);
    const int64_t work = outer * out_n * inner * taps;
    if (inner == 1) {
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && work > (1 << 15))
      for (int64_t a = 0; a < outer; ++a) {
        const In* s = src + a * in_n;
        Out* t = dst + a * out_n;
        for (int64_t o = 0; o < out_n; ++o) {
          if (ap.extrap[o]) { t[o] = fill; continue; }
          const int64_t* idx = &ap.idx[o * taps];
          const float* w = &ap.w[o * taps];
          Acc acc = 0;
          for (int k = 0; k < taps; ++k) acc += static_cast<Acc>(w[k]) * static_cast<Acc>(s[idx[k]]);
          t[o] = FromAcc<Out>(acc);
        }
      }
      return;
    }
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (threads > 1 && work > (1 << 15))
    for (int64_t a = 0; a < outer; ++a) {
      for (int64_t o = 0; o < out_n; ++o) {
        Out* t = dst + (a * out_n + o) * inner;
        if (ap.extrap[o]) {
          std::fill(t, t + inner, fill);
          continue;
        }
        const int64_t* idx = &ap.idx[o * taps];
        const float* w = &ap.w[o * taps];
        const In* s = src + a * in_n * inner;
        if constexpr (std::is_same_v<Out, Acc>) {
          // Accumulate straight into the destination row (vectorizes over inner).
          const In* r0 = s + idx[0] * inner;
          const Acc w0 = w[0];
          for (int64_t b = 0; b < inner; ++b) t[b] = w0 * static_cast<Acc>(r0[b]);
          for (int k = 1; k < taps; ++k) {
            const In* rk = s + idx[k] * inner;
            const Acc wk = w[k];
            for (int64_t b = 0; b < inner; ++b) t[b] += wk * static_cast<Acc>(rk[b]);
          }
        } else {
          for (int64_t b = 0; b < inner; ++b) {
            Acc acc = 0;
            for (int k = 0; k < taps; ++k) acc += static_cast<Acc>(w[k]) * static_cast<Acc>(s[idx[k] * inner + b]);
            t[b] = FromAcc<Out>(acc);
          }
        }
      }
    }
  }

  bool upsample_ = false;
  Mode mode_ = Mode::kNearest;
  Coord coord_ = Coord::kHalfPixel;
  NearestMode nearest_ = NearestMode::kRoundPreferFloor;
  AspectPolicy policy_ = AspectPolicy::kStretch;
  float cubic_a_ = -0.75f;
  bool exclude_outside_ = false;
  float extrapolation_ = 0.f;
  bool antialias_ = false;
  std::vector<int64_t> axes_;
  std::vector<float> attr_scales_;  // Upsample-7
  int roi_input_ = -1, scales_input_ = -1, sizes_input_ = -1;
};

template <typename T>
void AddResize(KernelRegistry& r) {
  Add<ResizeKernel<T>>(r, RefDef("Resize").Opset(10).Types<T>());
  Add<ResizeKernel<T>>(r, RefDef("Upsample").Opset(7, 9).Types<T>());
}

}  // namespace

void RegisterResize(KernelRegistry& r) {
  AddResize<float>(r);
  AddResize<double>(r);
  AddResize<int8_t>(r);
  AddResize<uint8_t>(r);
  AddResize<int32_t>(r);
  AddResize<int64_t>(r);
}

}  // namespace pl::cpu_ref
