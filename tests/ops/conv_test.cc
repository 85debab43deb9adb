// Reference Conv kernel: hand-computed cases pinned to the ONNX spec (pads, auto_pad, strides,
// dilations, group, bias), then the fast paths (im2col + Sgemm, depthwise, pointwise, threads)
// against a naive N-d loop written here, and error cases.
#include <gtest/gtest.h>

#include <random>

#include "util/test_util.h"

namespace pl::test {
namespace {

using Attrs = std::vector<onnx::AttributeProto>;

// Runs one Conv node on cpu_ref with `threads` intra-op threads. Inputs: X, W[, B].
StatusOr<Tensor> RunConv(const std::vector<Tensor>& inputs, const Attrs& attrs, int threads = 1, int opset = 13) {
  NodeSpec n{"Conv", "", {}, {"y"}, attrs};
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() == DataType::kUndefined) { n.inputs.push_back(""); continue; }
    Tensor t = inputs[i];
    t.set_name("in" + std::to_string(i));
    n.inputs.push_back(t.name());
    feeds.push_back(t);
  }
  Config config;
  config.SetModelBuffer(BuildModel({n}, feeds, {}, {"y"}, opset));
  config.SetBackends({kBackendCpuRef});
  config.SetIntraOpThreads(threads);
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(pred->Run(feeds, &out));
  return out[0];
}

std::vector<float> Iota(int64_t n, float start = 0.f) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = start + static_cast<float>(i);
  return v;
}

TEST(Conv, OnnxDocExampleWithAndWithoutPadding) {
  Tensor x = T_<float>({1, 1, 5, 5}, Iota(25));
  Tensor w = T_<float>({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  auto y = RunConv({x, w}, {AttrInts("kernel_shape", {3, 3}), AttrInts("pads", {1, 1, 1, 1})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 5, 5}));
  EXPECT_EQ(ToVec<float>(*y), (std::vector<float>{12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81,
                                                  93, 144, 153, 162, 111, 72, 111, 117, 123, 84}));
  y = RunConv({x, w}, {});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(ToVec<float>(*y), (std::vector<float>{54, 63, 72, 99, 108, 117, 144, 153, 162}));
}

TEST(Conv, StridesAndAsymmetricPads) {
  // ONNX test_conv_with_strides_and_asymmetric_padding: 7x5 input, stride 2, pads (1,0,1,0).
  Tensor x = T_<float>({1, 1, 7, 5}, Iota(35));
  Tensor w = T_<float>({1, 1, 3, 3}, std::vector<float>(9, 1.f));
  auto y = RunConv({x, w}, {AttrInts("strides", {2, 2}), AttrInts("pads", {1, 0, 1, 0})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 1, 4, 2}));
  EXPECT_EQ(ToVec<float>(*y), (std::vector<float>{21, 33, 99, 117, 189, 207, 171, 183}));
}

TEST(Conv, AutoPadSameUpperAndLower1D) {
  // Two taps (1, 10), stride 1: total padding 1 goes to the end (UPPER) or the start (LOWER).
  Tensor x = T_<float>({1, 1, 4}, {1, 2, 3, 4});
  Tensor w = T_<float>({1, 1, 2}, {1, 10});
  auto up = RunConv({x, w}, {AttrString("auto_pad", "SAME_UPPER")});
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  EXPECT_EQ(ToVec<float>(*up), (std::vector<float>{21, 32, 43, 4}));
  auto lo = RunConv({x, w}, {AttrString("auto_pad", "SAME_LOWER")});
  ASSERT_TRUE(lo.ok()) << lo.status().ToString();
  EXPECT_EQ(ToVec<float>(*lo), (std::vector<float>{10, 21, 32, 43}));
  // VALID ignores pads entirely; stride 2 over 5 values with 2 taps -> 2 outputs.
  Tensor x5 = T_<float>({1, 1, 5}, {1, 2, 3, 4, 5});
  auto valid = RunConv({x5, w}, {AttrString("auto_pad", "VALID"), AttrInts("strides", {2})});
  ASSERT_TRUE(valid.ok()) << valid.status().ToString();
  EXPECT_EQ(ToVec<float>(*valid), (std::vector<float>{21, 43}));
}

TEST(Conv, Dilation1D) {
  Tensor x = T_<float>({1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor w = T_<float>({1, 1, 2}, {1, 1});
  auto y = RunConv({x, w}, {AttrInts("dilations", {2})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>(*y), (std::vector<float>{4, 6, 8}));
}

TEST(Conv, GroupsAndBias) {
  // 4 input channels in 2 groups, 1x1 kernel: out0 = x0 + 2 x1 + 100, out1 = 3 x2 + 4 x3 - 1.
  Tensor x = T_<float>({1, 4, 1, 2}, {1, 2, 10, 20, 100, 200, 1000, 2000});
  Tensor w = T_<float>({2, 2, 1, 1}, {1, 2, 3, 4});
  Tensor b = T_<float>({2}, {100, -1});
  auto y = RunConv({x, w, b}, {AttrInt("group", 2)});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>(*y), (std::vector<float>{121, 142, 4299, 8599}));
}

TEST(Conv, DepthwiseWithMultiplier) {
  // 2 channels, group 2, 2 outputs per channel, 2x2 kernels of ones/twos on 2x2 inputs, pads 0.
  Tensor x = T_<float>({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = T_<float>({4, 1, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2, 1, 0, 0, 0, 0, 0, 0, 1});
  Tensor b = T_<float>({4}, {0, 1, 2, 3});
  auto y = RunConv({x, w, b}, {AttrInt("group", 2)});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 4, 1, 1}));
  EXPECT_EQ(ToVec<float>(*y), (std::vector<float>{10, 21, 7, 11}));
}

TEST(Conv, Float64) {
  Tensor x = T_<double>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = T_<double>({1, 1, 2, 2}, {1, 0, 0, -1});
  auto y = RunConv({x, w}, {});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->dtype(), DataType::kFloat64);
  EXPECT_EQ(ToVec<double>(*y), (std::vector<double>{-4, -4, -4, -4}));
}

// ---- fast paths against a naive loop ----

struct ConvCase {
  Shape x, w;
  std::vector<int64_t> strides, dilations, pads;
  int64_t group;
  bool bias;
  std::string auto_pad = "NOTSET";
};

// Naive N-d convolution (double accumulation), explicit pads only.
std::vector<float> NaiveConv(const ConvCase& c, const std::vector<float>& x, const std::vector<float>& w,
                             const std::vector<float>& b, Shape* y_shape) {
  const size_t nd = c.x.size() - 2;
  const int64_t N = c.x[0], C = c.x[1], M = c.w[0], G = c.group, Cg = C / G, Mg = M / G;
  Shape out(nd);
  for (size_t d = 0; d < nd; ++d)
    out[d] = (c.x[d + 2] + c.pads[d] + c.pads[d + nd] - ((c.w[d + 2] - 1) * c.dilations[d] + 1)) / c.strides[d] + 1;
  *y_shape = {N, M};
  y_shape->insert(y_shape->end(), out.begin(), out.end());
  int64_t osz = 1, isz = 1, ksz = 1;
  for (size_t d = 0; d < nd; ++d) { osz *= out[d]; isz *= c.x[d + 2]; ksz *= c.w[d + 2]; }
  std::vector<float> y(N * M * osz);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t o = 0; o < osz; ++o) {
        double acc = c.bias ? b[m] : 0.0;
        std::vector<int64_t> oi(nd);
        for (int64_t r = o, d = nd - 1; d >= 0; --d) { oi[d] = r % out[d]; r /= out[d]; }
        for (int64_t ci = 0; ci < Cg; ++ci)
          for (int64_t k = 0; k < ksz; ++k) {
            std::vector<int64_t> ki(nd);
            for (int64_t r = k, d = nd - 1; d >= 0; --d) { ki[d] = r % c.w[d + 2]; r /= c.w[d + 2]; }
            int64_t off = 0;
            bool in = true;
            for (size_t d = 0; d < nd; ++d) {
              const int64_t v = oi[d] * c.strides[d] - c.pads[d] + ki[d] * c.dilations[d];
              if (v < 0 || v >= c.x[d + 2]) in = false;
              off = off * c.x[d + 2] + v;
            }
            if (!in) continue;
            const int64_t g = m / Mg;
            acc += static_cast<double>(w[(m * Cg + ci) * ksz + k]) * x[(n * C + g * Cg + ci) * isz + off];
          }
        y[(n * M + m) * osz + o] = static_cast<float>(acc);
      }
  return y;
}

void CheckAgainstNaive(const ConvCase& c, int threads) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> x(ShapeNumElements(c.x)), w(ShapeNumElements(c.w)), b(c.w[0]);
  for (auto& v : x) v = u(rng);
  for (auto& v : w) v = u(rng);
  for (auto& v : b) v = u(rng);
  Shape ys;
  const std::vector<float> want = NaiveConv(c, x, w, b, &ys);
  std::vector<Tensor> in = {T_<float>(c.x, x), T_<float>(c.w, w)};
  if (c.bias) in.push_back(T_<float>({c.w[0]}, b));
  Attrs attrs = {AttrInts("strides", c.strides), AttrInts("dilations", c.dilations), AttrInt("group", c.group)};
  if (c.auto_pad == "NOTSET") attrs.push_back(AttrInts("pads", c.pads));
  else attrs.push_back(AttrString("auto_pad", c.auto_pad));
  auto y = RunConv(in, attrs, threads);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ASSERT_EQ(y->shape(), ys);
  const std::vector<float> got = ToVec<float>(*y);
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4f * (1 + std::abs(want[i]))) << "x=" << ShapeToString(c.x)
        << " w=" << ShapeToString(c.w) << " group=" << c.group << " threads=" << threads << " at " << i;
}

TEST(Conv, FastPathsMatchNaiveLoop) {
  const std::vector<ConvCase> cases = {
      {{1, 3, 17, 13}, {8, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, true},       // im2col 3x3
      {{2, 5, 19, 23}, {7, 5, 3, 2}, {2, 3}, {2, 1}, {0, 2, 1, 0}, 1, false},      // strides, dilations
      {{1, 16, 9, 11}, {24, 16, 1, 1}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 1, true},     // pointwise
      {{1, 8, 9, 11}, {12, 4, 3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 2, true},       // grouped
      {{2, 6, 15, 14}, {6, 1, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 6, true},       // depthwise s1
      {{1, 4, 16, 17}, {8, 1, 5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}, 4, true},       // depthwise s2 x2
      {{1, 3, 12, 12}, {3, 1, 3, 3}, {3, 1}, {2, 3}, {0, 3, 1, 0}, 3, false},      // depthwise odd
      {{1, 4, 6, 5, 7}, {3, 4, 2, 3, 2}, {1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}, 1, true},  // 3D
      {{2, 6, 30}, {4, 3, 5}, {2}, {2}, {3, 1}, 2, true},                          // 1D grouped
      {{1, 64, 20, 24}, {40, 64, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, true},    // K > packing block
      {{1, 32, 4, 4}, {200, 32, 3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, 1, false},    // tiny image, many filters
      {{1, 7, 12, 12}, {5, 7, 7, 7}, {2, 2}, {1, 1}, {3, 3, 3, 3}, 1, true},       // 7x7 stride 2
      {{1, 5, 11, 12}, {5, 1, 7, 7}, {1, 1}, {1, 1}, {3, 3, 3, 3}, 5, true},       // depthwise 7x7
      {{1, 3, 9, 10}, {3, 1, 3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 3, true},        // depthwise no pad s2
  };
  for (const ConvCase& c : cases)
    for (int threads : {1, 4, 16}) CheckAgainstNaive(c, threads);  // 16: too few chunks, threaded GEMM
}

TEST(Conv, AutoPadSameMatchesExplicitPads) {
  // 10x9 input, 3x4 kernel, stride 2: out 5x5, total pads (1, 3) -> UPPER (0,1 | 1,2), LOWER (1,2 | 0,1).
  ConvCase up{{1, 2, 10, 9}, {3, 2, 3, 4}, {2, 2}, {1, 1}, {0, 1, 1, 2}, 1, true, "NOTSET"};
  ConvCase up_auto = up;
  up_auto.auto_pad = "SAME_UPPER";
  CheckAgainstNaive(up, 1);
  CheckAgainstNaive(up_auto, 1);
  ConvCase lo{{1, 2, 10, 9}, {3, 2, 3, 4}, {2, 2}, {1, 1}, {1, 2, 0, 1}, 1, true, "NOTSET"};
  ConvCase lo_auto = lo;
  lo_auto.auto_pad = "SAME_LOWER";
  CheckAgainstNaive(lo_auto, 2);
}

// ---- errors ----

TEST(Conv, RejectsBadShapesAndAttributes) {
  Tensor x = T_<float>({1, 2, 4, 4}, std::vector<float>(32, 1.f));
  Tensor w = T_<float>({3, 2, 3, 3}, std::vector<float>(54, 1.f));
  Tensor w_rank3 = T_<float>({3, 2, 3}, std::vector<float>(18, 1.f));
  EXPECT_FALSE(RunConv({x, w_rank3}, {}).ok());                                  // weight rank
  EXPECT_FALSE(RunConv({x, w}, {AttrInt("group", 2)}).ok());                     // channels vs group
  EXPECT_FALSE(RunConv({x, w}, {AttrString("auto_pad", "SAME_MIDDLE")}).ok());   // unknown auto_pad
  EXPECT_FALSE(RunConv({x, w}, {AttrInts("kernel_shape", {2, 2})}).ok());       // kernel_shape vs W
  // (strides 0 is not tested: libonnx 1.12 shape inference divides by it in the loader.)
  EXPECT_FALSE(RunConv({x, w}, {AttrInts("pads", {1, 1})}).ok());               // pads length
  EXPECT_FALSE(RunConv({x, w, T_<float>({2}, {1, 2})}, {}).ok());               // bias size
  Tensor w_big = T_<float>({1, 2, 5, 5}, std::vector<float>(50, 1.f));
  EXPECT_FALSE(RunConv({x, w_big}, {}).ok());                                    // window larger than input
  Tensor x_rank2 = T_<float>({2, 4}, std::vector<float>(8, 1.f));
  EXPECT_FALSE(RunConv({x_rank2, T_<float>({1, 4}, {1, 1, 1, 1})}, {}).ok());   // no spatial dims
}

}  // namespace
TEST(Conv, ZeroInputChannelsGiveTheBias) {
  // Nothing to sum: each output is its channel's bias (a GEMM with K = 0 once divided by zero).
  Tensor x = T_<float>({1, 0, 5, 5}, std::vector<float>{});
  Tensor w = T_<float>({4, 0, 3, 3}, std::vector<float>{});
  Tensor b = T_<float>({4}, {1, -2, 3, 0.5f});
  auto y = RunConv({x, w, b}, {AttrInts("pads", {1, 1, 1, 1})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  ASSERT_EQ(y->shape(), (Shape{1, 4, 5, 5}));
  const float* d = y->Data<float>();
  for (int c = 0; c < 4; ++c)
    for (int p = 0; p < 25; ++p) ASSERT_EQ(d[c * 25 + p], b.Data<float>()[c]);
}

}  // namespace pl::test
