// Reference GridSample: hand-computed samples on a map linear in the position (bilinear is exact
// there), each padding mode on points inside, at and beyond the edges, nearest's half-to-even
// rounding, and bicubic against Keys' kernel written as a function of tap distance.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

// [1, 1, 2, 2]: value 1 + x + 2y.
Tensor Map2() { return T_<float>({1, 1, 2, 2}, {1, 2, 3, 4}); }

std::vector<float> Sample(const Tensor& x, const std::vector<float>& xy, const std::string& mode, const std::string& pad,
                          int align) {
  const int64_t n = static_cast<int64_t>(xy.size()) / 2;
  auto r = RunRef("GridSample", {x, T_<float>({1, 1, n, 2}, xy)},
                  {AttrString("mode", mode), AttrString("padding_mode", pad), AttrInt("align_corners", align)}, 1, 16);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[0].shape(), (Shape{1, x.dim(1), 1, n}));
  return ToVec<float>((*r)[0]);
}

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << "sample " << i;
}

TEST(GridSample, BilinearAlignCorners) {
  // align_corners=1: -1 and 1 are the corner pixel centers.
  ExpectNear(Sample(Map2(), {-1, -1, 1, 1, 0, 0, 1, -1, 0.5f, -0.5f}, "bilinear", "zeros", 1),
             {1, 4, 2.5f, 2, 1 + 0.75f + 2 * 0.25f});
}

TEST(GridSample, BilinearPaddingModes) {
  // align_corners=0: -1 is the outer edge (pixel -0.5); (3, 0) maps to x = 3.5, y = 0.5.
  const std::vector<float> pts = {0, 0, -1, -1, 3, 0};
  ExpectNear(Sample(Map2(), pts, "bilinear", "zeros", 0), {2.5f, 0.25f, 0});
  // border: taps clamp to the edge; x = 3.5 clamps to 1 -> between 2 and 4.
  ExpectNear(Sample(Map2(), pts, "bilinear", "border", 0), {2.5f, 1, 3});
  // reflection about [-0.5, 1.5]: 3.5 -> -0.5, whose taps reflect to column 0 -> between 1 and 3.
  ExpectNear(Sample(Map2(), pts, "bilinear", "reflection", 0), {2.5f, 1, 2});
  // reflection with align_corners about [0, 1]: x = (3 + 1) / 2 = 2 -> 0; y = 0.5.
  ExpectNear(Sample(Map2(), {3, 0}, "bilinear", "reflection", 1), {2});
}

TEST(GridSample, NearestRoundsHalfToEven) {
  // align_corners=0, W=2: gx=0 -> x=0.5 -> 0; gx=1 -> x=1.5 -> 2 (outside: 0 with zeros, 2 clamped to 1 with border).
  ExpectNear(Sample(Map2(), {0, -1, 1, -1, 0.2f, 0.9f}, "nearest", "zeros", 0), {1, 0, 4});
  ExpectNear(Sample(Map2(), {0, -1, 1, -1}, "nearest", "border", 0), {1, 2});
}

double Keys(double s) {  // Keys' cubic convolution kernel, a = -0.75
  const double a = -0.75;
  s = std::fabs(s);
  if (s <= 1) return (a + 2) * s * s * s - (a + 3) * s * s + 1;
  if (s < 2) return a * s * s * s - 5 * a * s * s + 8 * a * s - 4 * a;
  return 0;
}

TEST(GridSample, BicubicMatchesKeysKernel) {
  std::vector<float> v(36);
  for (int i = 0; i < 36; ++i) v[i] = static_cast<float>((i * 37) % 11) - 3.f;
  Tensor x = T_<float>({1, 1, 6, 6}, v);
  // Points whose 4x4 neighbourhoods lie inside the map, and one near the edge (zero taps).
  const std::vector<float> pts = {0.1f, -0.2f, -0.35f, 0.4f, 0.0f, 0.0f, -0.95f, 0.9f};
  std::vector<float> want;
  for (size_t p = 0; p < pts.size(); p += 2) {
    const double px = ((pts[p] + 1) * 6 - 1) / 2, py = ((pts[p + 1] + 1) * 6 - 1) / 2;
    double sum = 0;
    for (int r = static_cast<int>(std::floor(py)) - 1; r <= static_cast<int>(std::floor(py)) + 2; ++r)
      for (int c = static_cast<int>(std::floor(px)) - 1; c <= static_cast<int>(std::floor(px)) + 2; ++c)
        if (r >= 0 && r < 6 && c >= 0 && c < 6) sum += Keys(px - c) * Keys(py - r) * v[r * 6 + c];
    want.push_back(static_cast<float>(sum));
  }
  ExpectNear(Sample(x, pts, "bicubic", "zeros", 0), want);
}

TEST(GridSample, ChannelsAndBatchesShareTheGrid) {
  // Two batches, two channels: batch b uses grid b, every channel the same point.
  Tensor x = T_<float>({2, 2, 1, 2}, {1, 2, 10, 20, 100, 200, 1000, 2000});
  Tensor grid = T_<float>({2, 1, 1, 2}, {-1, 0, 1, 0});
  auto r = RunRef("GridSample", {x, grid}, {AttrInt("align_corners", 1)}, 1, 16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 10, 200, 2000}));
  // float64 too.
  auto d = RunRef("GridSample", {T_<double>({1, 1, 2, 2}, {1, 2, 3, 4}), T_<double>({1, 1, 1, 2}, {0, 0})}, {}, 1, 16);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_DOUBLE_EQ(ToVec<double>((*d)[0])[0], 2.5);
}

TEST(GridSample, Errors) {
  EXPECT_FALSE(RunRef("GridSample", {Map2(), T_<float>({1, 1, 1, 3}, {0, 0, 0})}, {}, 1, 16).ok());  // last dim 3
  EXPECT_FALSE(RunRef("GridSample", {Map2(), T_<float>({2, 1, 1, 2}, {0, 0, 0, 0})}, {}, 1, 16).ok());  // batch 2 vs 1
  EXPECT_FALSE(RunRef("GridSample", {Map2(), T_<float>({1, 1, 1, 2}, {0, 0})}, {AttrString("mode", "area")}, 1, 16).ok());
  EXPECT_FALSE(
      RunRef("GridSample", {Map2(), T_<float>({1, 1, 1, 2}, {0, 0})}, {AttrString("padding_mode", "wrap")}, 1, 16).ok());
}

}  // namespace
}  // namespace pl::test
