// Reference Resize / Upsample kernels against values computed by hand from the ONNX spec.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "util/test_util.h"

namespace pl::test {
namespace {

const Tensor kNone;  // an omitted optional input

void ExpectFloats(const Tensor& t, const Shape& shape, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(t.dtype(), DataType::kFloat32);
  ASSERT_EQ(t.shape(), shape);
  auto got = ToVec<float>(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol * std::max(1.f, std::fabs(want[i]))) << "element " << i;
}

// Like RunOp, with the ONNX checker off: Debian's ONNX 1.12 checker knows Resize only up to
// opset 13 and rejects the opset-18 attributes (antialias, axes, keep_aspect_ratio_policy).
StatusOr<std::vector<Tensor>> RunUnchecked(const std::string& op, const std::vector<Tensor>& inputs,
                                           const std::vector<onnx::AttributeProto>& attrs, int opset,
                                           const std::vector<int>& const_inputs) {
  NodeSpec n{op, "", {}, {"y"}, attrs};
  std::vector<Tensor> feeds, inits;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() == DataType::kUndefined) { n.inputs.push_back(""); continue; }
    Tensor t = inputs[i];
    t.set_name("in" + std::to_string(i));
    n.inputs.push_back(t.name());
    bool is_const = std::find(const_inputs.begin(), const_inputs.end(), static_cast<int>(i)) != const_inputs.end();
    (is_const ? inits : feeds).push_back(t);
  }
  Config config;
  config.SetModelBuffer(BuildModel({n}, feeds, inits, {"y"}, opset));
  config.SetBackends({"cpu_ref"});
  config.SwitchModelCheck(false);
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(pred->Run(feeds, &out));
  return out;
}

// Resize (opset 13 unless given) with scales; roi only when given.
StatusOr<Tensor> ResizeScales(const Tensor& x, const std::vector<float>& scales,
                              const std::vector<onnx::AttributeProto>& attrs, int opset = 13,
                              const std::vector<float>& roi = {}) {
  Tensor r = roi.empty() ? kNone : T_<float>({static_cast<int64_t>(roi.size())}, roi);
  Tensor s = T_<float>({static_cast<int64_t>(scales.size())}, scales);
  PL_ASSIGN_OR_RETURN(auto outs, opset >= 18 ? RunUnchecked("Resize", {x, r, s}, attrs, opset, {1, 2})
                                             : RunOp("Resize", {x, r, s}, attrs, 1, opset, {1, 2}, {"cpu_ref"}));
  return outs[0];
}

StatusOr<Tensor> ResizeSizes(const Tensor& x, const std::vector<int64_t>& sizes,
                             const std::vector<onnx::AttributeProto>& attrs, int opset = 13,
                             const std::vector<float>& roi = {}) {
  Tensor r = roi.empty() ? kNone : T_<float>({static_cast<int64_t>(roi.size())}, roi);
  Tensor s = T_<int64_t>({static_cast<int64_t>(sizes.size())}, sizes);
  PL_ASSIGN_OR_RETURN(auto outs, opset >= 18 ? RunUnchecked("Resize", {x, r, kNone, s}, attrs, opset, {1, 3})
                                             : RunOp("Resize", {x, r, kNone, s}, attrs, 1, opset, {1, 3}, {"cpu_ref"}));
  return outs[0];
}

TEST(Resize, NearestUpsampleHalfPixel) {
  // half_pixel + round_prefer_floor, 2x: x_in = (o + 0.5) / 2 - 0.5 -> -0.25, 0.25, 0.75, 1.25 -> 0, 0, 1, 1.
  Tensor x = T_<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  auto y = ResizeScales(x, {1, 1, 2, 2}, {AttrString("mode", "nearest")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
}

TEST(Resize, NearestModes) {
  // asymmetric, 4 -> 8: x_in = o / 2; odd outputs sit at exactly .5 between two inputs.
  Tensor x = T_<float>({4}, {10, 20, 30, 40});
  auto run = [&](const char* nearest_mode) {
    return ResizeSizes(x, {8}, {AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "asymmetric"),
                                AttrString("nearest_mode", nearest_mode)});
  };
  ExpectFloats(*run("round_prefer_floor"), {8}, {10, 10, 20, 20, 30, 30, 40, 40});
  ExpectFloats(*run("floor"), {8}, {10, 10, 20, 20, 30, 30, 40, 40});
  ExpectFloats(*run("round_prefer_ceil"), {8}, {10, 20, 20, 30, 30, 40, 40, 40});
  ExpectFloats(*run("ceil"), {8}, {10, 20, 20, 30, 30, 40, 40, 40});
}

TEST(Resize, NearestDownsampleAndFiveDims) {
  // 5-D nearest, only the last three dims change: half_pixel 0.5x picks (o+0.5)*2-0.5 = 0.5, 2.5 -> 0, 2.
  std::vector<float> v(2 * 4 * 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
  Tensor x = T_<float>({1, 1, 2, 4, 4}, v);
  auto y = ResizeScales(x, {1, 1, 1, 0.5f, 0.5f}, {AttrString("mode", "nearest")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {1, 1, 2, 2, 2}, {0, 2, 8, 10, 16, 18, 24, 26});
}

TEST(Resize, BilinearAlignCorners) {
  Tensor x = T_<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  auto y = ResizeSizes(x, {1, 1, 3, 3}, {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "align_corners")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {1, 1, 3, 3}, {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4});
}

TEST(Resize, LinearHalfPixel1D) {
  // x_in = (o + 0.5) / 2 - 0.5, clamped to the edges.
  Tensor x = T_<float>({4}, {1, 2, 3, 4});
  auto y = ResizeScales(x, {2}, {AttrString("mode", "linear")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {8}, {1, 1.25f, 1.75f, 2.25f, 2.75f, 3.25f, 3.75f, 4});
}

TEST(Resize, BilinearMatchesPointwiseFormula) {
  // Odd sizes and many planes (the parallel path); the expectation evaluates the spec's
  // half_pixel bilinear formula point by point.
  const int64_t n = 2, c = 3, h = 5, w = 7, oh = 9, ow = 4;
  std::vector<float> v(n * c * h * w);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37f * static_cast<float>(i)) * 10;
  Tensor x = T_<float>({n, c, h, w}, v);
  auto y = ResizeSizes(x, {n, c, oh, ow}, {AttrString("mode", "linear")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  std::vector<float> want;
  auto coord = [](int64_t o, int64_t in, int64_t out, int64_t* i0, int64_t* i1, double* f) {
    double xs = (o + 0.5) * static_cast<double>(in) / static_cast<double>(out) - 0.5;
    xs = std::min(std::max(xs, 0.0), static_cast<double>(in - 1));
    *i0 = static_cast<int64_t>(std::floor(xs));
    *i1 = std::min(*i0 + 1, in - 1);
    *f = xs - *i0;
  };
  for (int64_t p = 0; p < n * c; ++p)
    for (int64_t yo = 0; yo < oh; ++yo)
      for (int64_t xo = 0; xo < ow; ++xo) {
        int64_t y0, y1, x0, x1;
        double fy, fx;
        coord(yo, h, oh, &y0, &y1, &fy);
        coord(xo, w, ow, &x0, &x1, &fx);
        const float* pl = &v[p * h * w];
        double top = pl[y0 * w + x0] * (1 - fx) + pl[y0 * w + x1] * fx;
        double bot = pl[y1 * w + x0] * (1 - fx) + pl[y1 * w + x1] * fx;
        want.push_back(static_cast<float>(top * (1 - fy) + bot * fy));
      }
  ExpectFloats(*y, {n, c, oh, ow}, want, 1e-4f);
}

TEST(Resize, TrilinearOnLinearDataIsExact) {
  // f(a, b, c) = 4a + 2b + c on a 2x2x2 grid; align_corners to 3x3x3 samples f at half steps:
  // out(i, j, k) = 2i + j + 0.5k (three separable passes over a rank-3 tensor).
  std::vector<float> v(8);
  for (int i = 0; i < 8; ++i) v[i] = static_cast<float>(i);
  auto y = ResizeSizes(T_<float>({2, 2, 2}, v), {3, 3, 3},
                       {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "align_corners")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  std::vector<float> want;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) want.push_back(2.f * i + j + 0.5f * k);
  ExpectFloats(*y, {3, 3, 3}, want);
}

TEST(Resize, PlaneKernelMatchesAxisByAxis) {
  // Resizing H and W at once must equal resizing W, then H (the op is separable), for every
  // mode the per-plane path handles: cubic with exclude_outside, crop with extrapolation,
  // antialiased downscaling, integer data.
  const int64_t n = 1, c = 2, h = 6, w = 7;
  std::vector<float> v(n * c * h * w);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.9f * static_cast<float>(i)) * 5 + 5;
  Tensor x = T_<float>({n, c, h, w}, v);
  struct Variant {
    std::vector<onnx::AttributeProto> attrs;
    int64_t oh, ow;
    int opset;
    std::vector<float> roi;
  };
  std::vector<Variant> variants = {
      {{AttrString("mode", "cubic"), AttrInt("exclude_outside", 1)}, 11, 5, 13, {}},
      {{AttrString("mode", "cubic"), AttrString("coordinate_transformation_mode", "align_corners")}, 3, 13, 13, {}},
      {{AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "tf_crop_and_resize"),
        AttrFloat("extrapolation_value", -1)},
       5, 9, 13, {0, 0, 0.2f, -0.3f, 1, 1, 1.4f, 0.9f}},
      {{AttrString("mode", "linear"), AttrInt("antialias", 1)}, 2, 3, 18, {}},
      {{AttrString("mode", "cubic"), AttrInt("antialias", 1)}, 3, 2, 18, {}},
  };
  for (size_t k = 0; k < variants.size(); ++k) {
    const Variant& var = variants[k];
    auto full = ResizeSizes(x, {n, c, var.oh, var.ow}, var.attrs, var.opset, var.roi);
    ASSERT_TRUE(full.ok()) << k << ": " << full.status().ToString();
    std::vector<float> roi_w = var.roi, roi_h = var.roi;
    if (!var.roi.empty()) {
      roi_w[2] = 0, roi_w[6] = 1;  // W only: H keeps the identity crop
      roi_h[3] = 0, roi_h[7] = 1;
    }
    auto step_w = ResizeSizes(x, {n, c, h, var.ow}, var.attrs, var.opset, roi_w);
    ASSERT_TRUE(step_w.ok()) << k << ": " << step_w.status().ToString();
    auto step_hw = ResizeSizes(*step_w, {n, c, var.oh, var.ow}, var.attrs, var.opset, roi_h);
    ASSERT_TRUE(step_hw.ok()) << k << ": " << step_hw.status().ToString();
    SCOPED_TRACE("variant " + std::to_string(k));
    ExpectFloats(*full, {n, c, var.oh, var.ow}, ToVec<float>(*step_hw), 1e-5f);
  }
  // uint8: rounding happens once, at the end, in both paths... so compare against float data.
  std::vector<uint8_t> u(v.size());
  for (size_t i = 0; i < v.size(); ++i) u[i] = static_cast<uint8_t>(v[i] * 20);
  std::vector<float> uf(u.begin(), u.end());
  Tensor s = T_<int64_t>({4}, {n, c, 9, 4});
  auto yu = RunOp("Resize", {T_<uint8_t>({n, c, h, w}, u), kNone, kNone, s}, {AttrString("mode", "linear")}, 1, 13, {3},
                  {"cpu_ref"});
  ASSERT_TRUE(yu.ok()) << yu.status().ToString();
  auto yf = ResizeSizes(T_<float>({n, c, h, w}, uf), {n, c, 9, 4}, {AttrString("mode", "linear")});
  ASSERT_TRUE(yf.ok());
  auto got = ToVec<uint8_t>((*yu)[0]);
  auto ref = ToVec<float>(*yf);
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], static_cast<uint8_t>(std::lround(ref[i]))) << i;
}

TEST(Resize, ThreadedRunsMatchSingleThreaded) {
  // Large enough for the parallel paths (per-thread row caches, plane split).
  const Shape in_shape = {2, 8, 33, 47};
  std::vector<float> v(ShapeNumElements(in_shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.013f * static_cast<float>(i * i % 1000));
  Tensor x = T_<float>(in_shape, v);
  x.set_name("x");
  for (const char* mode : {"nearest", "linear", "cubic"}) {
    std::vector<Tensor> results;
    for (int threads : {1, 3}) {
      Tensor sz = T_<int64_t>({4}, {2, 8, 70, 61});
      sz.set_name("sizes");
      NodeSpec n{"Resize", "", {"x", "", "", "sizes"}, {"y"}, {AttrString("mode", mode)}};
      Config config;
      config.SetModelBuffer(BuildModel({n}, {x}, {sz}, {"y"}, 13));
      config.SetBackends({"cpu_ref"});
      config.SetIntraOpThreads(threads);
      auto p = CreatePredictor(config);
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      std::vector<Tensor> out;
      ASSERT_TRUE((*p)->Run({x}, &out).ok());
      results.push_back(out[0]);
    }
    SCOPED_TRACE(mode);
    ExpectFloats(results[1], {2, 8, 70, 61}, ToVec<float>(results[0]), 0);
  }
}

TEST(Resize, CubicAsymmetricAndExcludeOutside) {
  // Ramp 0..7, asymmetric 2x: interior points reproduce the ramp (cubic convolution is exact on
  // linear data). Output 1 (x_in = 0.5) reads clamped taps {0,0,1,2} with weights
  // c(1.5), c(0.5), c(0.5), c(1.5) = -0.09375, 0.59375, 0.59375, -0.09375 (A = -0.75):
  // 0.59375 - 0.1875 = 0.40625. With exclude_outside the tap at -1 drops and the rest are
  // renormalized: 0.40625 / 1.09375.
  std::vector<float> ramp(8);
  for (int i = 0; i < 8; ++i) ramp[i] = static_cast<float>(i);
  Tensor x = T_<float>({8}, ramp);
  auto y = ResizeScales(x, {2}, {AttrString("mode", "cubic"), AttrString("coordinate_transformation_mode", "asymmetric")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  auto got = ToVec<float>(*y);
  ASSERT_EQ(got.size(), 16u);
  EXPECT_NEAR(got[0], 0, 1e-6);
  EXPECT_NEAR(got[1], 0.40625f, 1e-6);
  for (int o = 2; o <= 10; ++o) EXPECT_NEAR(got[o], o / 2.f, 1e-5) << o;
  auto ye = ResizeScales(x, {2}, {AttrString("mode", "cubic"), AttrString("coordinate_transformation_mode", "asymmetric"),
                                  AttrInt("exclude_outside", 1)});
  ASSERT_TRUE(ye.ok()) << ye.status().ToString();
  EXPECT_NEAR(ToVec<float>(*ye)[1], 0.40625f / 1.09375f, 1e-6);
  // cubic_coeff_a = -0.5: c(0.5) = 0.5625, c(1.5) = -0.0625 -> 0.5625 - 0.125 = 0.4375.
  auto ya = ResizeScales(x, {2}, {AttrString("mode", "cubic"), AttrString("coordinate_transformation_mode", "asymmetric"),
                                  AttrFloat("cubic_coeff_a", -0.5f)});
  ASSERT_TRUE(ya.ok()) << ya.status().ToString();
  EXPECT_NEAR(ToVec<float>(*ya)[1], 0.4375f, 1e-6);
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  // roi [0, 1.5] on 4 inputs, 4 outputs: x_in = 1.5 * o -> 0, 1.5, 3, 4.5 (outside -> 9).
  Tensor x = T_<float>({4}, {1, 2, 3, 4});
  auto y = ResizeSizes(x, {4}, {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "tf_crop_and_resize"),
                                AttrFloat("extrapolation_value", 9)},
                       13, {0.f, 1.5f});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {4}, {1, 2.5f, 4, 9});
  auto yn = ResizeSizes(x, {4}, {AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "tf_crop_and_resize"),
                                 AttrFloat("extrapolation_value", 9)},
                        13, {0.f, 1.5f});
  ASSERT_TRUE(yn.ok()) << yn.status().ToString();
  ExpectFloats(*yn, {4}, {1, 2, 4, 9});  // 1.5 rounds (prefer floor) to 1
}

TEST(Resize, PytorchHalfPixelAndOutputLengthFromScalesFloor) {
  // 5 * 0.5 = 2.5 -> 2 outputs; pytorch_half_pixel: x_in = (o + 0.5) / 0.5 - 0.5 = 0.5, 2.5.
  Tensor x = T_<float>({5}, {0, 1, 2, 3, 4});
  auto y = ResizeScales(x, {0.5f}, {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "pytorch_half_pixel")});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {2}, {0.5f, 2.5f});
  // Output length 1: pytorch_half_pixel reads coordinate 0.
  auto y1 = ResizeSizes(x, {1}, {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "pytorch_half_pixel")});
  ASSERT_TRUE(y1.ok()) << y1.status().ToString();
  ExpectFloats(*y1, {1}, {0});
}

TEST(Resize, AntialiasLinearDownsample) {
  // Opset 18, 4 -> 2, scale 0.5: the triangle filter widens to 4 taps, weights (1 - |k - r| * 0.5)
  // normalized: 0.125, 0.375, 0.375, 0.125. o=0: x_in 0.5, taps {-1,0,1,2} -> {0,0,1,2} = 0.625;
  // o=1: x_in 2.5, taps {1,2,3,4} -> {1,2,3,3} = 2.375.
  Tensor x = T_<float>({4}, {0, 1, 2, 3});
  auto y = ResizeScales(x, {0.5f}, {AttrString("mode", "linear"), AttrInt("antialias", 1)}, 18);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {2}, {0.625f, 2.375f});
}

TEST(Resize, HalfPixelSymmetric) {
  // Opset 19, 4 * 0.6 = 2.4 -> 2 outputs: adjustment 2 / 2.4, offset = 2 * (1 - 2 / 2.4) = 1/3;
  // x_in = 1/3 + (o + 0.5) / 0.6 - 0.5 = 2/3, 7/3 (a ramp reads back its coordinate).
  Tensor x = T_<float>({4}, {0, 1, 2, 3});
  auto y = ResizeScales(x, {0.6f}, {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "half_pixel_symmetric")},
                        19);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ExpectFloats(*y, {2}, {2.f / 3, 7.f / 3});
}

TEST(Resize, AxesAndKeepAspectRatio) {
  Tensor x = T_<float>({1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto attrs = [](const char* policy) {
    return std::vector<onnx::AttributeProto>{AttrString("mode", "nearest"), AttrInts("axes", {2, 3}),
                                             AttrString("keep_aspect_ratio_policy", policy)};
  };
  // sizes 4x4: not_larger picks min(4/2, 4/4) = 1 (unchanged), not_smaller max = 2 (4x8).
  auto a = ResizeSizes(x, {4, 4}, attrs("not_larger"), 18);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ExpectFloats(*a, {1, 1, 2, 4}, {1, 2, 3, 4, 5, 6, 7, 8});
  auto b = ResizeSizes(x, {4, 4}, attrs("not_smaller"), 18);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(b->shape(), (Shape{1, 1, 4, 8}));
  auto c = ResizeSizes(x, {4, 4}, attrs("stretch"), 18);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectFloats(*c, {1, 1, 4, 4}, {1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8});
  // Negative axes count from the back: scales for W only.
  Tensor s = T_<float>({1}, {0.5f});
  auto d = RunUnchecked("Resize", {x, kNone, s}, {AttrString("mode", "nearest"), AttrInts("axes", {-1})}, 18, {2});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ExpectFloats((*d)[0], {1, 1, 2, 2}, {1, 3, 5, 7});  // x_in = (o+0.5)*2-0.5 = 0.5, 2.5 -> 0, 2
}

TEST(Resize, Opset10AndUpsample) {
  // Legacy semantics: asymmetric coordinates, floor for nearest.
  Tensor x = T_<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor s = T_<float>({4}, {1, 1, 2, 3});
  const std::vector<float> want = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
  auto r10 = RunOp("Resize", {x, s}, {AttrString("mode", "nearest")}, 1, 10, {1}, {"cpu_ref"});
  ASSERT_TRUE(r10.ok()) << r10.status().ToString();
  ExpectFloats((*r10)[0], {1, 1, 4, 6}, want);
  auto u9 = RunOp("Upsample", {x, s}, {AttrString("mode", "nearest")}, 1, 9, {1}, {"cpu_ref"});
  ASSERT_TRUE(u9.ok()) << u9.status().ToString();
  ExpectFloats((*u9)[0], {1, 1, 4, 6}, want);
  // Upsample-7, scales attribute, linear: x_in = o / 2 over {1, 3}: 1, 2, 3, 3 (clamped).
  auto u7 = RunOp("Upsample", {T_<float>({1, 2}, {1, 3})}, {AttrString("mode", "linear"), AttrFloats("scales", {1, 2})}, 1, 7,
                  {}, {"cpu_ref"});
  ASSERT_TRUE(u7.ok()) << u7.status().ToString();
  ExpectFloats((*u7)[0], {1, 4}, {1, 2, 3, 3});
}

TEST(Resize, IntegerTypes) {
  Tensor x = T_<uint8_t>({1, 2}, {10, 250});
  auto y = RunOp("Resize", {x, kNone, T_<float>({2}, {1, 2})}, {AttrString("mode", "nearest")}, 1, 13, {2}, {"cpu_ref"});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<uint8_t>((*y)[0]), (std::vector<uint8_t>{10, 10, 250, 250}));
  // Linear on int32 rounds to nearest: align_corners 2 -> 3 gives 10, 15, 20; 2 -> 4 gives 10, 13.33, 16.67, 20.
  Tensor xi = T_<int32_t>({2}, {10, 20});
  auto yi = RunOp("Resize", {xi, kNone, kNone, T_<int64_t>({1}, {4})},
                  {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "align_corners")}, 1, 13, {3},
                  {"cpu_ref"});
  ASSERT_TRUE(yi.ok()) << yi.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*yi)[0]), (std::vector<int32_t>{10, 13, 17, 20}));
}

TEST(Resize, RepeatedRunsWithChangingShapes) {
  // The per-predictor plan cache must follow the input shape.
  Config config;
  NodeSpec n{"Resize", "", {"x", "", "s"}, {"y"}, {AttrString("mode", "nearest")}};
  Tensor x = T_<float>({1, 2}, {1, 2});
  x.set_name("x");
  Tensor s = T_<float>({2}, {1, 2});
  s.set_name("s");
  onnx::ModelProto m;
  ASSERT_TRUE(m.ParseFromString(BuildModel({n}, {x}, {s}, {"y"}, 13)));
  m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->clear_shape();  // any shape
  config.SetModelBuffer(m.SerializeAsString());
  config.SetBackends({"cpu_ref"});
  auto p = CreatePredictor(config);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run({x}, &out).ok());
  ExpectFloats(out[0], {1, 4}, {1, 1, 2, 2});
  Tensor x2 = T_<float>({2, 1}, {5, 6});
  x2.set_name("x");
  ASSERT_TRUE((*p)->Run({x2}, &out).ok());
  ExpectFloats(out[0], {2, 2}, {5, 5, 6, 6});
  ASSERT_TRUE((*p)->Run({x}, &out).ok());
  ExpectFloats(out[0], {1, 4}, {1, 1, 2, 2});
}

TEST(Resize, Errors) {
  Tensor x = T_<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  // Both scales and sizes.
  auto both = RunOp("Resize", {x, kNone, T_<float>({4}, {1, 1, 2, 2}), T_<int64_t>({4}, {1, 1, 4, 4})}, {}, 1, 13, {2, 3},
                    {"cpu_ref"});
  EXPECT_FALSE(both.ok());
  // Neither.
  auto neither = RunOp("Resize", {x, kNone, T_<float>({0}, {})}, {}, 1, 13, {2}, {"cpu_ref"});
  EXPECT_FALSE(neither.ok());
  // Wrong number of scales.
  auto count = ResizeScales(x, {2, 2}, {});
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("scales"), std::string::npos) << count.status().ToString();
  // Non-positive scale.
  EXPECT_FALSE(ResizeScales(x, {1, 1, 0, 2}, {}).ok());
  // Unknown mode / coordinate mode / nearest mode.
  EXPECT_FALSE(ResizeScales(x, {1, 1, 2, 2}, {AttrString("mode", "bogus")}).ok());
  EXPECT_FALSE(ResizeScales(x, {1, 1, 2, 2}, {AttrString("coordinate_transformation_mode", "bogus")}).ok());
  EXPECT_FALSE(ResizeScales(x, {1, 1, 2, 2}, {AttrString("nearest_mode", "bogus")}).ok());
  // tf_crop_and_resize needs roi.
  auto noroi = ResizeScales(x, {1, 1, 2, 2}, {AttrString("coordinate_transformation_mode", "tf_crop_and_resize")});
  ASSERT_FALSE(noroi.ok());
  EXPECT_NE(noroi.status().message().find("roi"), std::string::npos) << noroi.status().ToString();
  // Upsample cannot shrink.
  EXPECT_FALSE(RunOp("Upsample", {x, T_<float>({4}, {1, 1, 0.5f, 1})}, {}, 1, 9, {1}, {"cpu_ref"}).ok());
  // Negative size.
  EXPECT_FALSE(ResizeSizes(x, {1, 1, -2, 2}, {}).ok());
}

}  // namespace
}  // namespace pl::test
