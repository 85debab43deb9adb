// Reference quantization kernels: QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear pinned
// to the ONNX spec by hand (round half to even, saturation, per-axis, int32 bias, float16 scales),
// then QLinearConv, ConvInteger, QLinearMatMul and MatMulInteger against naive loops written here
// on random, odd-sized problems (uint8 and int8, per-tensor and per-channel), and error cases.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/npy_cases.h"
#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

using Attrs = std::vector<onnx::AttributeProto>;
const Tensor kNone;  // an omitted optional input

StatusOr<std::vector<Tensor>> QRun(const std::string& op, const std::vector<Tensor>& ins, const Attrs& attrs = {},
                                  int num_outputs = 1, int opset = 13) {
  return RunRefUnchecked(op, ins, attrs, num_outputs, opset);
}

template <typename T>
std::vector<T> Out(const StatusOr<std::vector<Tensor>>& r, size_t i = 0) {
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ((*r)[i].dtype(), DataTypeOf<T>::value);
  return ToVec<T>((*r)[i]);
}

// The spec's saturate(round_half_even(v) + zp), written independently of the kernel's helper.
template <typename Q>
Q RefQuant(double v, int zp) {
  double f = std::floor(v), r = v - f;
  double q = r > 0.5 ? f + 1 : r < 0.5 ? f : (std::fmod(f, 2.0) == 0 ? f : f + 1);
  q += zp;
  q = std::min<double>(std::max<double>(q, std::numeric_limits<Q>::min()), std::numeric_limits<Q>::max());
  return static_cast<Q>(q);
}

TEST(QuantizeLinear, RoundsHalfToEvenAndSaturatesUint8) {
  Tensor x = T_<float>({10}, {0.f, 1.f, 3.f, 5.f, -1.f, -3.f, 1000.f, -1000.f, 2.2f, 2.8f});
  // x / 2 = 0, 0.5, 1.5, 2.5, -0.5, -1.5, 500, -500, 1.1, 1.4; zp 128.
  EXPECT_EQ(Out<uint8_t>(QRun("QuantizeLinear", {x, T_<float>({}, {2.f}), T_<uint8_t>({}, {128})})),
            (std::vector<uint8_t>{128, 128, 130, 130, 128, 126, 255, 0, 129, 129}));
  // No zero point: uint8 with zp 0, negatives saturate to 0.
  EXPECT_EQ(Out<uint8_t>(QRun("QuantizeLinear", {x, T_<float>({}, {2.f})})),
            (std::vector<uint8_t>{0, 0, 2, 2, 0, 0, 255, 0, 1, 1}));
}

TEST(QuantizeLinear, Int8AndInt32Input) {
  Tensor x = T_<float>({6}, {-300.f, -2.5f, -0.5f, 0.5f, 2.5f, 300.f});
  EXPECT_EQ(Out<int8_t>(QRun("QuantizeLinear", {x, T_<float>({}, {1.f}), T_<int8_t>({}, {-1})})),
            (std::vector<int8_t>{-128, -3, -1, -1, 1, 127}));
  Tensor xi = T_<int32_t>({4}, {-7, 7, 100, 5});
  EXPECT_EQ(Out<int8_t>(QRun("QuantizeLinear", {xi, T_<float>({}, {2.f}), T_<int8_t>({}, {0})}, {}, 1, 10)),
            (std::vector<int8_t>{-4, 4, 50, 2}));
}

TEST(QuantizeLinear, PerAxis) {
  // x [2, 3, 2], axis 1: scale/zp per middle index.
  std::vector<float> xv(12);
  for (int i = 0; i < 12; ++i) xv[i] = static_cast<float>(i) - 4.f;
  Tensor x = T_<float>({2, 3, 2}, xv);
  Tensor s = T_<float>({3}, {1.f, 2.f, 4.f});
  Tensor z = T_<uint8_t>({3}, {10, 20, 30});
  auto got = Out<uint8_t>(QRun("QuantizeLinear", {x, s, z}));
  std::vector<uint8_t> want(12);
  for (int i = 0; i < 12; ++i) {
    const int c = (i / 2) % 3;
    want[i] = RefQuant<uint8_t>(xv[i] / s.Data<float>()[c], z.Data<uint8_t>()[c]);
  }
  EXPECT_EQ(got, want);
  // axis -1 (size 2), axis 0 (size 2).
  Tensor s2 = T_<float>({2}, {0.5f, 3.f});
  Tensor z2 = T_<int8_t>({2}, {-5, 5});
  auto last = Out<int8_t>(QRun("QuantizeLinear", {x, s2, z2}, {AttrInt("axis", -1)}));
  auto first = Out<int8_t>(QRun("QuantizeLinear", {x, s2, z2}, {AttrInt("axis", 0)}));
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(last[i], RefQuant<int8_t>(xv[i] / s2.Data<float>()[i % 2], z2.Data<int8_t>()[i % 2])) << i;
    EXPECT_EQ(first[i], RefQuant<int8_t>(xv[i] / s2.Data<float>()[i / 6], z2.Data<int8_t>()[i / 6])) << i;
  }
}

TEST(QuantizeLinear, Float16Opset19) {
  Tensor x = T_<float>({3}, {1.f, 2.5f, -3.f});
  // float16 x and scale: build them with Cast so the test does not hand-encode half bits.
  auto xh = QRun("Cast", {x}, {AttrInt("to", 10)});
  auto sh = QRun("Cast", {T_<float>({}, {0.5f})}, {AttrInt("to", 10)});
  ASSERT_TRUE(xh.ok() && sh.ok());
  EXPECT_EQ(Out<int8_t>(QRun("QuantizeLinear", {(*xh)[0], (*sh)[0], T_<int8_t>({}, {1})}, {}, 1, 19)),
            (std::vector<int8_t>{3, 6, -5}));
  auto dq = QRun("DequantizeLinear", {T_<int8_t>({2}, {3, -5}), (*sh)[0], T_<int8_t>({}, {1})}, {}, 1, 19);
  ASSERT_TRUE(dq.ok()) << dq.status().ToString();
  EXPECT_EQ((*dq)[0].dtype(), DataType::kFloat16);
  auto back = QRun("Cast", {(*dq)[0]}, {AttrInt("to", 1)});
  EXPECT_EQ(Out<float>(back), (std::vector<float>{1.f, -3.f}));
}

TEST(DequantizeLinear, Uint8Int8PerAxisAndInt32Bias) {
  EXPECT_EQ(Out<float>(QRun("DequantizeLinear", {T_<uint8_t>({4}, {0, 3, 128, 255}), T_<float>({}, {2.f}),
                                                T_<uint8_t>({}, {128})})),
            (std::vector<float>{-256.f, -250.f, 0.f, 254.f}));
  EXPECT_EQ(Out<float>(QRun("DequantizeLinear", {T_<int8_t>({3}, {-128, 0, 127}), T_<float>({}, {0.5f})})),
            (std::vector<float>{-64.f, 0.f, 63.5f}));
  // int32 (a quantized bias), no zero point.
  EXPECT_EQ(Out<float>(QRun("DequantizeLinear", {T_<int32_t>({3}, {-1000000, 7, 123456}), T_<float>({}, {0.25f})},
                           {}, 1, 10)),
            (std::vector<float>{-250000.f, 1.75f, 30864.f}));
  // Per-axis on axis 0 of a [2, 2] weight.
  EXPECT_EQ(Out<float>(QRun("DequantizeLinear", {T_<int8_t>({2, 2}, {1, 2, 3, 4}), T_<float>({2}, {1.f, 10.f}),
                                                T_<int8_t>({2}, {0, 1})},
                           {AttrInt("axis", 0)})),
            (std::vector<float>{1.f, 2.f, 20.f, 30.f}));
}

TEST(DynamicQuantizeLinear, SpecExampleAndDegenerateRange) {
  // ONNX doc example: x in [-1, 2] with zero included; scale = 3/255, zp = round(255/3) = 85.
  Tensor x = T_<float>({6}, {0.f, 2.f, -3.f, -2.5f, 1.34f, 0.5f});
  auto r = QRun("DynamicQuantizeLinear", {x}, {}, 3, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const float scale = 5.f / 255.f;
  EXPECT_FLOAT_EQ(ToVec<float>((*r)[1])[0], scale);
  const uint8_t zp = RefQuant<uint8_t>(3.0 / scale, 0);
  EXPECT_EQ(ToVec<uint8_t>((*r)[2])[0], zp);
  std::vector<uint8_t> want;
  for (float v : ToVec<float>(x)) want.push_back(RefQuant<uint8_t>(v / scale, zp));
  EXPECT_EQ(ToVec<uint8_t>((*r)[0]), want);
  EXPECT_EQ(ToVec<uint8_t>((*r)[0]), (std::vector<uint8_t>{153, 255, 0, 26, 221, 179}));
  // All zeros: range taken as 1 (ONNX reference, ONNX Runtime), zp 0, y 0.
  auto z = QRun("DynamicQuantizeLinear", {T_<float>({3}, {0.f, 0.f, 0.f})}, {}, 3, 11);
  ASSERT_TRUE(z.ok()) << z.status().ToString();
  EXPECT_FLOAT_EQ(ToVec<float>((*z)[1])[0], 1.f / 255.f);
  EXPECT_EQ(ToVec<uint8_t>((*z)[2])[0], 0);
  EXPECT_EQ(ToVec<uint8_t>((*z)[0]), (std::vector<uint8_t>{0, 0, 0}));
}

// ----- QLinearConv / ConvInteger against a naive 2-D loop -----

struct ConvCase {
  int64_t n, c, h, w, m, kh, kw, group, stride, dilation, pad_t, pad_l, pad_b, pad_r;
};

std::mt19937 rng(12345);

template <typename T>
Tensor RandQ(Shape shape, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<T> v(static_cast<size_t>(ShapeNumElements(shape)));
  for (auto& e : v) e = static_cast<T>(d(rng));
  return T_<T>(std::move(shape), v);
}

int64_t Get(const Tensor& t, int64_t i) {
  return t.dtype() == DataType::kUint8 ? t.Data<uint8_t>()[i] : t.Data<int8_t>()[i];
}

// acc[n][m][oh][ow] = sum (x - xzp) (w - wzp[m]) + bias[m], padding contributing 0.
std::vector<int64_t> NaiveConvAcc(const ConvCase& k, const Tensor& x, int xzp, const Tensor& w,
                                  const std::vector<int>& wzp, const std::vector<int32_t>& bias, int64_t* oh_out,
                                  int64_t* ow_out) {
  const int64_t ekh = (k.kh - 1) * k.dilation + 1, ekw = (k.kw - 1) * k.dilation + 1;
  const int64_t oh = (k.h + k.pad_t + k.pad_b - ekh) / k.stride + 1, ow = (k.w + k.pad_l + k.pad_r - ekw) / k.stride + 1;
  *oh_out = oh;
  *ow_out = ow;
  const int64_t cg = k.c / k.group, mg = k.m / k.group;
  std::vector<int64_t> acc(static_cast<size_t>(k.n * k.m * oh * ow));
  for (int64_t n = 0; n < k.n; ++n)
    for (int64_t m = 0; m < k.m; ++m)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xo = 0; xo < ow; ++xo) {
          int64_t s = bias.empty() ? 0 : bias[m];
          const int64_t g = m / mg;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < k.kh; ++i)
              for (int64_t j = 0; j < k.kw; ++j) {
                const int64_t ih = y * k.stride - k.pad_t + i * k.dilation, iw = xo * k.stride - k.pad_l + j * k.dilation;
                if (ih < 0 || ih >= k.h || iw < 0 || iw >= k.w) continue;
                const int64_t xv = Get(x, ((n * k.c + g * cg + ci) * k.h + ih) * k.w + iw) - xzp;
                const int64_t wv = Get(w, ((m * cg + ci) * k.kh + i) * k.kw + j) - wzp[wzp.size() == 1 ? 0 : m];
                s += xv * wv;
              }
          acc[((n * k.m + m) * oh + y) * ow + xo] = s;
        }
  return acc;
}

Attrs ConvAttrs(const ConvCase& k, bool one_d) {
  if (one_d)
    return {AttrInts("strides", {k.stride}), AttrInts("dilations", {k.dilation}), AttrInts("pads", {k.pad_l, k.pad_r}),
            AttrInt("group", k.group)};
  return {AttrInts("strides", {k.stride, k.stride}), AttrInts("dilations", {k.dilation, k.dilation}),
          AttrInts("pads", {k.pad_t, k.pad_l, k.pad_b, k.pad_r}), AttrInt("group", k.group)};
}

const ConvCase kConvCases[] = {
    {1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // plain 3x3, pad 1
    {2, 4, 8, 5, 6, 3, 2, 2, 2, 1, 0, 1, 1, 0},   // group 2, stride 2, asymmetric pads
    {1, 6, 9, 9, 6, 3, 3, 6, 1, 2, 2, 2, 2, 2},   // depthwise, dilation 2
    {1, 5, 4, 6, 7, 1, 1, 1, 1, 1, 0, 0, 0, 0},   // pointwise
    {1, 3, 1, 11, 4, 1, 3, 1, 2, 1, 0, 1, 0, 1},  // 1-D (run as rank 3)
};

template <typename X, typename W, typename Y>
void CheckQLinearConv(const ConvCase& k, bool per_channel) {
  const bool one_d = k.h == 1 && k.kh == 1;
  Shape xs = one_d ? Shape{k.n, k.c, k.w} : Shape{k.n, k.c, k.h, k.w};
  Shape ws = one_d ? Shape{k.m, k.c / k.group, k.kw} : Shape{k.m, k.c / k.group, k.kh, k.kw};
  const int xlo = std::numeric_limits<X>::min(), xhi = std::numeric_limits<X>::max();
  const int wlo = std::numeric_limits<W>::min(), whi = std::numeric_limits<W>::max();
  Tensor x = RandQ<X>(xs, xlo, xhi), w = RandQ<W>(ws, wlo, whi);
  const int xzp = (xlo + xhi) / 2 + 3;
  std::vector<int> wzp;
  std::vector<float> wsc;
  for (int64_t m = 0; m < (per_channel ? k.m : 1); ++m) {
    wzp.push_back(std::is_signed_v<W> ? 0 : 120 + static_cast<int>(m));
    wsc.push_back(0.01f + 0.003f * static_cast<float>(m));
  }
  std::vector<int32_t> bias(static_cast<size_t>(k.m));
  for (int64_t m = 0; m < k.m; ++m) bias[m] = static_cast<int32_t>(m * 997 - 2000);
  const float xsc = 0.05f, ysc = 0.7f;
  const int yzp = std::is_signed_v<Y> ? -3 : 131;
  Shape pshape = per_channel ? Shape{k.m} : Shape{};
  std::vector<W> wzp_t(wzp.begin(), wzp.end());
  auto r = QRun("QLinearConv", {x, T_<float>({}, {xsc}), T_<X>({}, {static_cast<X>(xzp)}), w, T_<float>(pshape, wsc),
                               T_<W>(pshape, wzp_t), T_<float>({}, {ysc}), T_<Y>({}, {static_cast<Y>(yzp)}),
                               T_<int32_t>({k.m}, bias)},
               ConvAttrs(k, one_d), 1, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  int64_t oh, ow;
  auto acc = NaiveConvAcc(k, x, xzp, w, wzp, bias, &oh, &ow);
  const Tensor& y = (*r)[0];
  ASSERT_EQ(y.NumElements(), static_cast<int64_t>(acc.size()));
  ASSERT_EQ(y.dtype(), DataTypeOf<Y>::value);
  const int64_t per_m = oh * ow;
  int64_t mismatches = 0;
  for (size_t i = 0; i < acc.size(); ++i) {
    const int64_t m = (static_cast<int64_t>(i) / per_m) % k.m;
    const float mult = xsc * wsc[per_channel ? m : 0] / ysc;
    const Y want = RefQuant<Y>(static_cast<double>(static_cast<float>(acc[i]) * mult), yzp);
    if (y.Data<Y>()[i] != want && ++mismatches < 5)
      ADD_FAILURE() << "element " << i << ": got " << int(y.Data<Y>()[i]) << ", want " << int(want);
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(QLinearConv, MatchesNaiveLoops) {
  for (const ConvCase& k : kConvCases) {
    SCOPED_TRACE("case c=" + std::to_string(k.c) + " m=" + std::to_string(k.m) + " group=" + std::to_string(k.group));
    CheckQLinearConv<uint8_t, uint8_t, uint8_t>(k, false);
    CheckQLinearConv<uint8_t, int8_t, uint8_t>(k, true);
    CheckQLinearConv<int8_t, int8_t, int8_t>(k, true);
  }
}

TEST(ConvInteger, MatchesNaiveLoopsWithZeroPointPadding) {
  for (const ConvCase& k : kConvCases) {
    const bool one_d = k.h == 1 && k.kh == 1;
    Shape xs = one_d ? Shape{k.n, k.c, k.w} : Shape{k.n, k.c, k.h, k.w};
    Shape ws = one_d ? Shape{k.m, k.c / k.group, k.kw} : Shape{k.m, k.c / k.group, k.kh, k.kw};
    Tensor x = RandQ<uint8_t>(xs, 0, 255), w = RandQ<uint8_t>(ws, 0, 255);
    std::vector<uint8_t> wzp(static_cast<size_t>(k.m));
    for (int64_t m = 0; m < k.m; ++m) wzp[m] = static_cast<uint8_t>(100 + 7 * m);
    auto r = QRun("ConvInteger", {x, w, T_<uint8_t>({}, {77}), T_<uint8_t>({k.m}, wzp)}, ConvAttrs(k, one_d), 1, 10);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    int64_t oh, ow;
    auto acc = NaiveConvAcc(k, x, 77, w, std::vector<int>(wzp.begin(), wzp.end()), {}, &oh, &ow);
    EXPECT_EQ(Out<int32_t>(r), std::vector<int32_t>(acc.begin(), acc.end()));
    // Without zero points.
    auto r0 = QRun("ConvInteger", {x, w}, ConvAttrs(k, one_d), 1, 10);
    auto acc0 = NaiveConvAcc(k, x, 0, w, {0}, {}, &oh, &ow);
    EXPECT_EQ(Out<int32_t>(r0), std::vector<int32_t>(acc0.begin(), acc0.end()));
  }
}

// ----- QLinearMatMul / MatMulInteger -----

TEST(MatMulInteger, PerRowAndPerColumnZeroPointsWithBatchBroadcast) {
  Tensor a = RandQ<uint8_t>({2, 1, 5, 7}, 0, 255);  // broadcast against b's batch [3]
  Tensor b = RandQ<int8_t>({3, 7, 4}, -128, 127);
  std::vector<uint8_t> azp = {1, 50, 128, 200, 255};
  std::vector<int8_t> bzp = {-3, 0, 5, 127};
  auto r = QRun("MatMulInteger", {a, b, T_<uint8_t>({5}, azp), T_<int8_t>({4}, bzp)}, {}, 1, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3, 5, 4}));
  std::vector<int32_t> want;
  for (int p = 0; p < 2; ++p)
    for (int q = 0; q < 3; ++q)
      for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 4; ++j) {
          int64_t s = 0;
          for (int k = 0; k < 7; ++k)
            s += (Get(a, (p * 5 + i) * 7 + k) - azp[i]) * (Get(b, (q * 7 + k) * 4 + j) - bzp[j]);
          want.push_back(static_cast<int32_t>(s));
        }
  EXPECT_EQ(Out<int32_t>(r), want);
  // 1-D A, scalar zero points omitted.
  Tensor av = RandQ<int8_t>({7}, -128, 127), bm = RandQ<int8_t>({7, 3}, -128, 127);
  auto v = QRun("MatMulInteger", {av, bm}, {}, 1, 10);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ((*v)[0].shape(), (Shape{3}));
  for (int j = 0; j < 3; ++j) {
    int64_t s = 0;
    for (int k = 0; k < 7; ++k) s += Get(av, k) * Get(bm, k * 3 + j);
    EXPECT_EQ(ToVec<int32_t>((*v)[0])[j], s);
  }
}

template <typename A, typename B, typename Y>
void CheckQLinearMatMul(bool per_column) {
  const int64_t M = 6, K = 33, N = 5;
  Tensor a = RandQ<A>({2, M, K}, std::numeric_limits<A>::min(), std::numeric_limits<A>::max());
  Tensor b = RandQ<B>({K, N}, std::numeric_limits<B>::min(), std::numeric_limits<B>::max());
  const float as = 0.02f, ys = 0.9f;
  std::vector<float> bs;
  std::vector<B> bz;
  for (int64_t j = 0; j < (per_column ? N : 1); ++j) {
    bs.push_back(0.01f + 0.002f * static_cast<float>(j));
    bz.push_back(static_cast<B>(std::is_signed_v<B> ? j - 2 : 128 + j));
  }
  const A az = static_cast<A>(std::is_signed_v<A> ? 4 : 120);
  const Y yz = static_cast<Y>(std::is_signed_v<Y> ? -1 : 128);
  Shape ps = per_column ? Shape{N} : Shape{};
  auto r = QRun("QLinearMatMul", {a, T_<float>({}, {as}), T_<A>({}, {az}), b, T_<float>(ps, bs), T_<B>(ps, bz),
                                 T_<float>({}, {ys}), T_<Y>({}, {yz})},
               {}, 1, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].shape(), (Shape{2, M, N}));
  auto got = Out<Y>(r);
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j) {
        const int64_t c = per_column ? j : 0;
        int64_t s = 0;
        for (int64_t k = 0; k < K; ++k) s += (Get(a, (p * M + i) * K + k) - az) * (Get(b, k * N + j) - bz[c]);
        const float mult = as * bs[c] / ys;
        EXPECT_EQ(got[(p * M + i) * N + j], RefQuant<Y>(static_cast<float>(s) * mult, yz)) << p << " " << i << " " << j;
      }
}

TEST(QLinearMatMul, MatchesNaiveLoops) {
  CheckQLinearMatMul<uint8_t, uint8_t, uint8_t>(false);
  CheckQLinearMatMul<uint8_t, int8_t, uint8_t>(true);
  CheckQLinearMatMul<int8_t, int8_t, int8_t>(true);
}

// ----- NumPy references (tests/ops/make_op_cases.py, generated at test time) -----

class QuantNumpy : public ::testing::TestWithParam<const char*> {};

// Integer outputs exactly; DequantizeLinear's float32 (q - zp) * scale is one rounding, also exact.
TEST_P(QuantNumpy, MatchesNumpy) { CheckNpyCase(GetParam(), 0.0, 0.0); }

INSTANTIATE_TEST_SUITE_P(
    Cases, QuantNumpy,
    ::testing::Values("quantize_u8_tensor", "quantize_u8_no_zp", "quantize_s8_axis1", "quantize_u8_axis_last",
                      "quantize_s8_odd_scale", "dequantize_u8_tensor", "dequantize_s8_axis0", "dequantize_i32_bias",
                      "dynamic_quantize_mixed", "dynamic_quantize_positive", "qlinearconv_u8u8_3x3",
                      "qlinearconv_u8s8_group_stride", "qlinearconv_s8s8_depthwise_dil", "qlinearconv_u8s8_pointwise",
                      "convinteger_u8u8_3x3", "convinteger_s8s8_depthwise_dil", "qlinearmatmul_u8u8_2d",
                      "qlinearmatmul_u8s8_batch_bcast", "qlinearmatmul_s8s8_3d", "matmulinteger_row_col_zp",
                      "matmulinteger_no_zp"));

// ----- errors -----

void ExpectError(const StatusOr<std::vector<Tensor>>& r, const std::string& op, const std::string& fragment) {
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(op + " node '"), std::string::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().ToString();
}

TEST(Quantization, ErrorsNameTheNodeAndTheProblem) {
  Tensor x = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ExpectError(QRun("QuantizeLinear", {x, T_<float>({}, {0.f})}), "QuantizeLinear", "must be positive");
  ExpectError(QRun("QuantizeLinear", {x, T_<float>({2}, {1.f, 2.f})}), "QuantizeLinear", "expected a scalar or [3]");
  ExpectError(QRun("QuantizeLinear", {x, T_<float>({3}, {1.f, 2.f, 3.f})}, {}, 1, 10), "QuantizeLinear", "opset < 13");
  ExpectError(QRun("QuantizeLinear", {x, T_<float>({}, {1.f}), T_<int32_t>({}, {0})}), "QuantizeLinear",
              "zero point dtype int32");
  ExpectError(QRun("DequantizeLinear", {T_<uint8_t>({2}, {1, 2}), T_<float>({}, {1.f}), T_<int8_t>({}, {0})}),
              "DequantizeLinear", "expected uint8");
  // A float input has no kernel at all: the load names the op and the dtype.
  auto dq = QRun("DequantizeLinear", {x, T_<float>({}, {1.f})});
  ASSERT_FALSE(dq.ok());
  EXPECT_NE(dq.status().message().find("no kernel for op 'DequantizeLinear'"), std::string::npos) << dq.status().ToString();
  EXPECT_NE(dq.status().message().find("float32"), std::string::npos) << dq.status().ToString();
  ExpectError(QRun("DynamicQuantizeLinear", {T_<float>({2}, {1.f, INFINITY})}, {}, 3, 11), "DynamicQuantizeLinear",
              "infinite");

  Tensor qx = RandQ<uint8_t>({1, 2, 4, 4}, 0, 255), qw = RandQ<uint8_t>({3, 2, 3, 3}, 0, 255);
  const Tensor s = T_<float>({}, {0.1f});
  const Tensor z = T_<uint8_t>({}, {128});
  ExpectError(QRun("QLinearConv", {qx, s, z, qw, s, z, s, z, T_<float>({3}, {0, 0, 0})}, {}, 1, 10), "QLinearConv",
              "bias dtype float32");
  ExpectError(QRun("QLinearConv", {qx, s, z, qw, T_<float>({2}, {0.1f, 0.1f}), T_<uint8_t>({2}, {1, 2}), s, z}, {}, 1,
                  10),
              "QLinearConv", "expected 1 or 3");
  ExpectError(QRun("QLinearConv", {qx, s, T_<int8_t>({}, {0}), qw, s, z, s, z}, {}, 1, 10), "QLinearConv",
              "x_zero_point has dtype int8");
  ExpectError(QRun("QLinearConv", {qx, s, z, RandQ<uint8_t>({3, 5, 3, 3}, 0, 9), s, z, s, z}, {}, 1, 10),
              "QLinearConv", "input channels 2");
  ExpectError(QRun("ConvInteger", {qx, T_<float>({3, 2, 3, 3}, std::vector<float>(54, 1.f))}, {}, 1, 10),
              "ConvInteger", "weight w has dtype float32, expected uint8 or int8");
  ExpectError(QRun("MatMulInteger", {RandQ<uint8_t>({2, 3}, 0, 9), RandQ<uint8_t>({4, 2}, 0, 9)}, {}, 1, 10),
              "MatMulInteger", "inner dimensions differ");
  ExpectError(QRun("MatMulInteger", {RandQ<uint8_t>({2, 3}, 0, 9), RandQ<uint8_t>({3, 2}, 0, 9), T_<uint8_t>({3}, {1, 2, 3})},
                  {}, 1, 10),
              "MatMulInteger", "a_zero_point has 3 values");
  ExpectError(QRun("QLinearMatMul", {RandQ<uint8_t>({2, 3}, 0, 9), s, z, RandQ<uint8_t>({3, 2}, 0, 9), s, z,
                                    T_<float>({2}, {1.f, 1.f}), z},
                  {}, 1, 10),
              "QLinearMatMul", "must be scalars");
}

}  // namespace
}  // namespace pl::test
