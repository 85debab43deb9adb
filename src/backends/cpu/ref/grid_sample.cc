// GridSample (16; 4-D X [N, C, H, W], grid [N, H_out, W_out, 2] of normalized (x, y) in [-1, 1];
// mode bilinear|nearest|bicubic, padding_mode zeros|border|reflection, align_corners); float16,
// float32, float64 X and grid. Follows ONNX Runtime and PyTorch's grid_sample: nearest rounds half
// to even, bicubic is Keys' convolution with a = -0.75 over a 4x4 neighbourhood, and padding
// applies to the sampling point (border, reflection) and to every tap outside the map.
#include <algorithm>
#include <cmath>

#include "src/backends/cpu/ref/data_movement.h"
#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

enum class Mode { kBilinear, kNearest, kBicubic };
enum class Padding { kZeros, kBorder, kReflection };

// Folds x into [lo, hi] by mirroring at both ends, as often as needed (in floating point: a
// coordinate of 1e30 has no integer reflection count). A non-finite x folds to lo.
double Reflect(double x, double lo, double hi) {
  const double range = hi - lo;
  if (range <= 0 || !std::isfinite(x)) return lo;
  if (x >= lo && x <= hi) return x;
  const double period = 2 * range;
  double t = std::fmod(x - lo, period);
  if (t < 0) t += period;
  return t <= range ? lo + t : lo + (period - t);
}

// Keys' cubic convolution weights for taps at -1, 0, 1, 2 around a point at fraction t in [0, 1).
void CubicWeights(double t, double w[4]) {
  constexpr double a = -0.75;
  const double x0 = t + 1, x1 = t, x2 = 1 - t, x3 = 2 - t;
  w[0] = ((a * x0 - 5 * a) * x0 + 8 * a) * x0 - 4 * a;
  w[1] = ((a + 2) * x1 - (a + 3)) * x1 * x1 + 1;
  w[2] = ((a + 2) * x2 - (a + 3)) * x2 * x2 + 1;
  w[3] = ((a * x3 - 5 * a) * x3 + 8 * a) * x3 - 4 * a;
}

class GridSampleKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string me = node.Describe();
    const std::string mode = node.Attr<std::string>("mode", "bilinear");
    if (mode == "bilinear") mode_ = Mode::kBilinear;
    else if (mode == "nearest") mode_ = Mode::kNearest;
    else if (mode == "bicubic") mode_ = Mode::kBicubic;
    else return Status::InvalidArgument(me + ": mode '" + mode + "', expected bilinear, nearest or bicubic");
    const std::string pad = node.Attr<std::string>("padding_mode", "zeros");
    if (pad == "zeros") padding_ = Padding::kZeros;
    else if (pad == "border") padding_ = Padding::kBorder;
    else if (pad == "reflection") padding_ = Padding::kReflection;
    else return Status::InvalidArgument(me + ": padding_mode '" + pad + "', expected zeros, border or reflection");
    align_corners_ = node.Attr<int64_t>("align_corners", 0) != 0;
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* grid = ctx.Input(1);
    if (!x) return MissingInput(node, 0);
    if (!grid) return MissingInput(node, 1);
    if (x->rank() != 4)
      return Status::InvalidArgument(me + ": X shape " + ShapeToString(x->shape()) + ", expected [N, C, H, W]");
    if (grid->rank() != 4 || grid->dim(0) != x->dim(0) || grid->dim(3) != 2)
      return Status::InvalidArgument(me + ": grid shape " + ShapeToString(grid->shape()) + ", expected [" +
                                     std::to_string(x->dim(0)) + ", H_out, W_out, 2]");
    if (grid->dtype() != DataType::kFloat32 && grid->dtype() != DataType::kFloat64 &&
        grid->dtype() != DataType::kFloat16)
      return Status::InvalidArgument(me + ": grid dtype " + std::string(DataTypeName(grid->dtype())) +
                                     ", expected a float type");
    const int64_t n = x->dim(0), c = x->dim(1), h = x->dim(2), w = x->dim(3);
    const int64_t ho = grid->dim(1), wo = grid->dim(2);
    if ((h == 0 || w == 0) && n * ho * wo > 0)
      return Status::InvalidArgument(me + ": X shape " + ShapeToString(x->shape()) + " has an empty map to sample");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {n, c, ho, wo}, x->dtype()));
    return Dispatch(FloatTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* xd = x->Data<T>();
      T* yd = y->MutableData<T>();
      for (int64_t b = 0; b < n; ++b) {
        for (int64_t i = 0; i < ho * wo; ++i) {
          const int64_t g = (b * ho * wo + i) * 2;
          const double gx = LoadDouble(*grid, g), gy = LoadDouble(*grid, g + 1);
          for (int64_t ch = 0; ch < c; ++ch) {
            const T* img = xd + (b * c + ch) * h * w;
            yd[((b * c + ch) * ho * wo) + i] = static_cast<T>(static_cast<CType<T>>(Sample(img, h, w, gx, gy)));
          }
        }
      }
      return Status::Ok();
    });
  }

 private:
  // Pixel coordinate of a normalized one: -1 and 1 are the centers of the corner pixels with
  // align_corners, their outer edges without.
  double Denormalize(double v, int64_t size) const {
    return align_corners_ ? (v + 1) / 2 * static_cast<double>(size - 1) : ((v + 1) * static_cast<double>(size) - 1) / 2;
  }

  template <typename T>
  double Pixel(const T* img, int64_t h, int64_t w, int64_t r, int64_t col) const {
    if (padding_ == Padding::kZeros) {
      if (r < 0 || r >= h || col < 0 || col >= w) return 0;
    } else if (padding_ == Padding::kBorder) {
      r = std::clamp<int64_t>(r, 0, h - 1);
      col = std::clamp<int64_t>(col, 0, w - 1);
    } else {
      const double lo = align_corners_ ? 0 : -0.5;
      col = static_cast<int64_t>(Reflect(static_cast<double>(col), lo, align_corners_ ? w - 1 : w - 0.5));
      r = static_cast<int64_t>(Reflect(static_cast<double>(r), lo, align_corners_ ? h - 1 : h - 0.5));
      r = std::clamp<int64_t>(r, 0, h - 1);  // reflecting at a half-pixel edge may land on -0.x -> 0
      col = std::clamp<int64_t>(col, 0, w - 1);
    }
    return static_cast<double>(static_cast<CType<T>>(img[r * w + col]));
  }

  template <typename T>
  double Sample(const T* img, int64_t h, int64_t w, double gx, double gy) const {
    double px = Denormalize(gx, w), py = Denormalize(gy, h);
    if (std::isnan(px) || std::isnan(py)) return padding_ == Padding::kZeros ? 0 : std::nan("");
    if (mode_ == Mode::kNearest) {
      px = std::nearbyint(px);  // the default rounding mode: half to even
      py = std::nearbyint(py);
    }
    const double xlo = align_corners_ ? 0 : -0.5, xhi = align_corners_ ? w - 1 : w - 0.5;
    const double ylo = align_corners_ ? 0 : -0.5, yhi = align_corners_ ? h - 1 : h - 0.5;
    if (px < xlo || px > xhi || py < ylo || py > yhi) {
      if (padding_ == Padding::kBorder) {
        px = std::clamp(px, 0.0, static_cast<double>(w - 1));
        py = std::clamp(py, 0.0, static_cast<double>(h - 1));
      } else if (padding_ == Padding::kReflection) {
        px = Reflect(px, xlo, xhi);
        py = Reflect(py, ylo, yhi);
      }
    }
    // Far outside the map (zeros padding) every tap is 0; also keeps the casts below in range.
    if (std::fabs(px) > 1e15 || std::fabs(py) > 1e15) return 0;
    if (mode_ == Mode::kNearest)
      return Pixel(img, h, w, SaturatingInt64(std::nearbyint(py)), SaturatingInt64(std::nearbyint(px)));
    const double fx = std::floor(px), fy = std::floor(py);
    const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
    const double tx = px - fx, ty = py - fy;
    if (mode_ == Mode::kBilinear) {
      return (1 - ty) * ((1 - tx) * Pixel(img, h, w, y0, x0) + tx * Pixel(img, h, w, y0, x0 + 1)) +
             ty * ((1 - tx) * Pixel(img, h, w, y0 + 1, x0) + tx * Pixel(img, h, w, y0 + 1, x0 + 1));
    }
    double wx[4], wy[4];
    CubicWeights(tx, wx);
    CubicWeights(ty, wy);
    double sum = 0;
    for (int i = 0; i < 4; ++i) {
      double row = 0;
      for (int j = 0; j < 4; ++j) row += wx[j] * Pixel(img, h, w, y0 - 1 + i, x0 - 1 + j);
      sum += wy[i] * row;
    }
    return sum;
  }

  Mode mode_ = Mode::kBilinear;
  Padding padding_ = Padding::kZeros;
  bool align_corners_ = false;
};

}  // namespace

void RegisterGridSample(KernelRegistry& r) {
  Add<GridSampleKernel>(r, RefDef("GridSample").Opset(16).Types(DataTypes(FloatTypes{})));
}

}  // namespace pl::cpu_ref
