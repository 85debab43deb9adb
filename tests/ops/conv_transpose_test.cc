// Reference ConvTranspose kernel: hand-computed cases pinned to the ONNX spec (strides, pads,
// output_padding, output_shape, auto_pad), the GEMM + col2im path against a naive scatter loop,
// and error cases.
#include <gtest/gtest.h>

#include <random>

#include "util/test_util.h"

namespace pl::test {
namespace {

using Attrs = std::vector<onnx::AttributeProto>;

StatusOr<Tensor> RunDeconv(const std::vector<Tensor>& inputs, const Attrs& attrs, int threads = 1) {
  NodeSpec n{"ConvTranspose", "", {}, {"y"}, attrs};
  std::vector<Tensor> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    Tensor t = inputs[i];
    t.set_name("in" + std::to_string(i));
    n.inputs.push_back(t.name());
    feeds.push_back(t);
  }
  Config config;
  config.SetModelBuffer(BuildModel({n}, feeds, {}, {"y"}, 13));
  config.SetBackends({kBackendCpuRef});
  config.SetIntraOpThreads(threads);
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(pred->Run(feeds, &out));
  return out[0];
}

std::vector<float> Run1D(const Attrs& attrs, std::vector<float> w = {1, 1}) {
  Tensor x = T_<float>({1, 1, 3}, {1, 2, 3});
  const int64_t k = static_cast<int64_t>(w.size());
  auto y = RunDeconv({x, T_<float>({1, 1, k}, w)}, attrs);
  EXPECT_TRUE(y.ok()) << y.status().ToString();
  return y.ok() ? ToVec<float>(*y) : std::vector<float>{};
}

TEST(ConvTranspose, OnnxDocExample) {
  std::vector<float> xv(9);
  for (int i = 0; i < 9; ++i) xv[i] = static_cast<float>(i);
  auto y = RunDeconv({T_<float>({1, 1, 3, 3}, xv), T_<float>({1, 2, 3, 3}, std::vector<float>(18, 1.f))}, {});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->shape(), (Shape{1, 2, 5, 5}));
  const std::vector<float> plane = {0, 1, 3,  3,  2,  3, 8,  15, 12, 7,  9, 21, 36,
                                    27, 15, 9, 20, 33, 24, 13, 6, 13, 21, 15, 8};
  std::vector<float> want = plane;
  want.insert(want.end(), plane.begin(), plane.end());
  EXPECT_EQ(ToVec<float>(*y), want);
}

TEST(ConvTranspose, StridesPadsOutputPadding1D) {
  // y[2i + k] += x[i] with two unit taps.
  EXPECT_EQ(Run1D({AttrInts("strides", {2})}), (std::vector<float>{1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrInts("pads", {1, 0})}), (std::vector<float>{1, 2, 2, 3, 3}));
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrInts("output_padding", {1})}),
            (std::vector<float>{1, 1, 2, 2, 3, 3, 0}));
  // Dilation 2, stride 1: y[i] += x, y[i + 2] += x.
  EXPECT_EQ(Run1D({AttrInts("dilations", {2})}), (std::vector<float>{1, 2, 4, 2, 3}));
}

TEST(ConvTranspose, OutputShape1D) {
  // Larger than natural (6): the tail holds only the bias (0 here).
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrInts("output_shape", {8})}),
            (std::vector<float>{1, 1, 2, 2, 3, 3, 0, 0}));
  // One smaller: total padding 1, which the spec puts at the start unless SAME_UPPER.
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrInts("output_shape", {5})}), (std::vector<float>{1, 2, 2, 3, 3}));
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrInts("output_shape", {5}), AttrString("auto_pad", "SAME_UPPER")}),
            (std::vector<float>{1, 1, 2, 2, 3}));
  // output_shape may also list N and C.
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrInts("output_shape", {1, 1, 7})}),
            (std::vector<float>{1, 1, 2, 2, 3, 3, 0}));
}

TEST(ConvTranspose, AutoPadSame1D) {
  // Three taps, stride 2: natural output [1,1,3,2,5,3,3] (7), SAME asks for 3 * 2 = 6.
  EXPECT_EQ(Run1D({AttrInts("strides", {2})}, {1, 1, 1}), (std::vector<float>{1, 1, 3, 2, 5, 3, 3}));
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrString("auto_pad", "SAME_UPPER")}, {1, 1, 1}),
            (std::vector<float>{1, 1, 3, 2, 5, 3}));
  EXPECT_EQ(Run1D({AttrInts("strides", {2}), AttrString("auto_pad", "SAME_LOWER")}, {1, 1, 1}),
            (std::vector<float>{1, 3, 2, 5, 3, 3}));
}

TEST(ConvTranspose, BiasAndFloat64) {
  auto y = RunDeconv({T_<double>({1, 1, 2}, {1, 2}), T_<double>({1, 2, 1}, {1, -1}), T_<double>({2}, {10, 20})}, {});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(y->dtype(), DataType::kFloat64);
  EXPECT_EQ(ToVec<double>(*y), (std::vector<double>{11, 12, 19, 18}));
}

// ---- GEMM path against a naive scatter ----

struct Case {
  Shape x, w;  // w: [C, M/group, k...]
  std::vector<int64_t> strides, dilations, pads, output_padding;
  int64_t group;
};

void CheckAgainstNaive(const Case& c, int threads) {
  const size_t nd = c.x.size() - 2;
  const int64_t N = c.x[0], C = c.x[1], G = c.group, Cg = C / G, Mg = c.w[1], M = Mg * G;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> x(ShapeNumElements(c.x)), w(ShapeNumElements(c.w)), b(M);
  for (auto& v : x) v = u(rng);
  for (auto& v : w) v = u(rng);
  for (auto& v : b) v = u(rng);
  Shape out(nd);
  int64_t isz = 1, ksz = 1, osz = 1;
  for (size_t d = 0; d < nd; ++d) {
    out[d] = c.strides[d] * (c.x[d + 2] - 1) + c.output_padding[d] + (c.w[d + 2] - 1) * c.dilations[d] + 1 -
             c.pads[d] - c.pads[d + nd];
    isz *= c.x[d + 2];
    ksz *= c.w[d + 2];
    osz *= out[d];
  }
  std::vector<double> want(N * M * osz);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t o = 0; o < osz; ++o) want[(n * M + m) * osz + o] = b[m];
      const int64_t g = m / Mg;
      for (int64_t ci = 0; ci < Cg; ++ci) {
        const int64_t cc = g * Cg + ci;
        for (int64_t p = 0; p < isz; ++p)
          for (int64_t k = 0; k < ksz; ++k) {
            int64_t off = 0;
            bool in = true;
            for (int64_t d = 0, rp = p, rk = k, sp = isz, sk = ksz; d < static_cast<int64_t>(nd); ++d) {
              sp /= c.x[d + 2];
              sk /= c.w[d + 2];
              const int64_t ip = rp / sp, kp = rk / sk;
              rp %= sp;
              rk %= sk;
              const int64_t v = ip * c.strides[d] + kp * c.dilations[d] - c.pads[d];
              if (v < 0 || v >= out[d]) in = false;
              off = off * out[d] + v;
            }
            if (in)
              want[(n * M + m) * osz + off] +=
                  static_cast<double>(x[(n * C + cc) * isz + p]) * w[(cc * Mg + m % Mg) * ksz + k];
          }
      }
    }
  Attrs attrs = {AttrInts("strides", c.strides), AttrInts("dilations", c.dilations), AttrInts("pads", c.pads),
                 AttrInts("output_padding", c.output_padding), AttrInt("group", c.group)};
  auto y = RunDeconv({T_<float>(c.x, x), T_<float>(c.w, w), T_<float>({M}, b)}, attrs, threads);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  Shape ys = {N, M};
  ys.insert(ys.end(), out.begin(), out.end());
  ASSERT_EQ(y->shape(), ys);
  const std::vector<float> got = ToVec<float>(*y);
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << "x=" << ShapeToString(c.x) << " at " << i;
}

TEST(ConvTranspose, GemmPathMatchesNaiveScatter) {
  const std::vector<Case> cases = {
      {{1, 4, 5, 6}, {4, 3, 3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1},
      {{2, 6, 4, 7}, {6, 2, 2, 3}, {3, 1}, {2, 1}, {0, 1, 2, 0}, {0, 0}, 2},
      {{1, 8, 9}, {8, 5, 4}, {2}, {1}, {1, 2}, {1}, 1},                              // 1D
      {{1, 3, 3, 4, 2}, {3, 2, 2, 3, 2}, {2, 1, 2}, {1, 2, 1}, {0, 1, 0, 1, 0, 0}, {1, 0, 0}, 1},  // 3D
      {{1, 4, 5, 5}, {4, 1, 3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {0, 0}, 4},         // depthwise (direct)
  };
  for (const Case& c : cases) {
    CheckAgainstNaive(c, 1);
    CheckAgainstNaive(c, 3);
  }
}

TEST(ConvTranspose, RejectsBadShapesAndAttributes) {
  Tensor x = T_<float>({1, 2, 3, 3}, std::vector<float>(18, 1.f));
  Tensor w = T_<float>({2, 1, 2, 2}, std::vector<float>(8, 1.f));
  EXPECT_TRUE(RunDeconv({x, w}, {}).ok());
  EXPECT_FALSE(RunDeconv({x, T_<float>({3, 1, 2, 2}, std::vector<float>(12, 1.f))}, {}).ok());  // W dim 0
  EXPECT_FALSE(RunDeconv({x, T_<float>({2, 1, 2}, std::vector<float>(4, 1.f))}, {}).ok());      // W rank
  EXPECT_FALSE(RunDeconv({x, w, T_<float>({3}, {1, 2, 3})}, {}).ok());                          // bias size
  EXPECT_FALSE(RunDeconv({x, w}, {AttrInts("output_padding", {1})}).ok());                      // length
  EXPECT_FALSE(RunDeconv({x, w}, {AttrInts("output_shape", {4, 4, 4})}).ok());                  // length
  EXPECT_FALSE(RunDeconv({x, w}, {AttrInts("pads", {3, 3, 3, 3})}).ok());                      // output <= 0
  EXPECT_FALSE(RunDeconv({x, w}, {AttrInt("group", 3)}).ok());                                  // group
}

}  // namespace
}  // namespace pl::test
