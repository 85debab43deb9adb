// RNN / GRU / LSTM reference kernels: small cases worked out by hand from the ONNX equations,
// then every option against a plain per-element evaluation of the same equations.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "util/test_util.h"

namespace pl::test {
namespace {

const Tensor kNone;

onnx::AttributeProto AttrStrings(const std::string& name, const std::vector<std::string>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRINGS);
  for (const auto& s : v) a.add_strings(s);
  return a;
}

void ExpectNear(const Tensor& t, const Shape& shape, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(t.shape(), shape);
  auto got = ToVec<float>(t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "element " << i;
}

// Inputs in ONNX order: X W R B sequence_lens initial_h initial_c P (kNone = omitted).
StatusOr<std::vector<Tensor>> RunRnn(const std::string& op, std::vector<Tensor> inputs,
                                  const std::vector<onnx::AttributeProto>& attrs, int outputs, int opset = 14) {
  while (!inputs.empty() && inputs.back().dtype() == DataType::kUndefined) inputs.pop_back();
  return RunOp(op, inputs, attrs, outputs, opset, {}, {"cpu_ref"});
}

Tensor F(Shape s, std::vector<float> v) { return T_<float>(std::move(s), std::move(v)); }

TEST(Rnn, ReluByHand) {
  // H1 = relu(1*1 + 0) = 1, H2 = relu(1*2 + 1*1) = 3.
  Tensor x = F({2, 1, 1}, {1, 2}), w = F({1, 1, 1}, {1}), r = F({1, 1, 1}, {1});
  auto out = RunRnn("RNN", {x, w, r}, {AttrInt("hidden_size", 1), AttrStrings("activations", {"Relu"})}, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear((*out)[0], {2, 1, 1, 1}, {1, 3});
  ExpectNear((*out)[1], {1, 1, 1}, {3});
  // Bias Wb = Rb = 0.5: H1 = relu(1 + 1) = 2, H2 = relu(2 + 2 + 1) = 5.
  auto b = RunRnn("RNN", {x, w, r, F({1, 2}, {0.5f, 0.5f})}, {AttrStrings("activations", {"Relu"})}, 2);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ExpectNear((*b)[0], {2, 1, 1, 1}, {2, 5});
  // Reverse: t=1 first: relu(2) = 2, then t=0: relu(1 + 2) = 3.
  auto rev = RunRnn("RNN", {x, w, r}, {AttrString("direction", "reverse"), AttrStrings("activations", {"Relu"})}, 2);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  ExpectNear((*rev)[0], {2, 1, 1, 1}, {3, 2});
  ExpectNear((*rev)[1], {1, 1, 1}, {3});
  // Bidirectional: Y[t][dir] = {1, 3}, {3, 2}; Y_h = {3 (forward), 3 (reverse)}.
  auto bi = RunRnn("RNN", {x, F({2, 1, 1}, {1, 1}), F({2, 1, 1}, {1, 1})},
                {AttrString("direction", "bidirectional"), AttrStrings("activations", {"Relu", "Relu"})}, 2);
  ASSERT_TRUE(bi.ok()) << bi.status().ToString();
  ExpectNear((*bi)[0], {2, 2, 1, 1}, {1, 3, 3, 2});
  ExpectNear((*bi)[1], {2, 1, 1}, {3, 3});
}

TEST(Rnn, ActivationParametersClipAndDefaultTanh) {
  Tensor x = F({2, 1, 1}, {1, 2}), w = F({1, 1, 1}, {1}), r = F({1, 1, 1}, {1});
  // Affine(2, 1): H1 = 2*1 + 1 = 3, H2 = 2*(2 + 3) + 1 = 11.
  auto a = RunRnn("RNN", {x, w, r},
               {AttrStrings("activations", {"Affine"}), AttrFloats("activation_alpha", {2}), AttrFloats("activation_beta", {1})}, 2);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ExpectNear((*a)[0], {2, 1, 1, 1}, {3, 11});
  // clip 1.5 before Relu: H1 = 1, H2 = min(2 + 1, 1.5) = 1.5.
  auto c = RunRnn("RNN", {x, w, r}, {AttrStrings("activations", {"Relu"}), AttrFloat("clip", 1.5f)}, 2);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ExpectNear((*c)[0], {2, 1, 1, 1}, {1, 1.5f});
  // Default tanh, with initial_h = 0.5: H1 = tanh(1 + 0.5), H2 = tanh(2 + H1).
  auto t = RunRnn("RNN", {x, w, r, kNone, kNone, F({1, 1, 1}, {0.5f})}, {}, 2);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  const float h1 = std::tanh(1.5f);
  ExpectNear((*t)[0], {2, 1, 1, 1}, {h1, std::tanh(2 + h1)});
}

TEST(Rnn, SequenceLensAndLayout) {
  // batch 2, lengths {3, 2}; Relu, W = R = 1: b0: 1, 3, 6; b1: 1, 2, (padding -> 0).
  Tensor x = F({3, 2, 1}, {1, 1, 2, 1, 3, 100});
  Tensor w = F({1, 1, 1}, {1}), r = F({1, 1, 1}, {1});
  Tensor lens = T_<int32_t>({2}, {3, 2});
  auto out = RunRnn("RNN", {x, w, r, kNone, lens}, {AttrStrings("activations", {"Relu"})}, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear((*out)[0], {3, 1, 2, 1}, {1, 1, 3, 2, 6, 0});
  ExpectNear((*out)[1], {1, 2, 1}, {6, 2});
  // Reverse with lengths: b1 runs t=1 then t=0: relu(1) = 1, relu(1 + 1) = 2.
  auto rev = RunRnn("RNN", {x, w, r, kNone, lens}, {AttrStrings("activations", {"Relu"}), AttrString("direction", "reverse")}, 2);
  ASSERT_TRUE(rev.ok()) << rev.status().ToString();
  // b0 reverse: t2: 3, t1: 2 + 3 = 5, t0: 1 + 5 = 6.
  ExpectNear((*rev)[0], {3, 1, 2, 1}, {6, 2, 5, 1, 3, 0});
  ExpectNear((*rev)[1], {1, 2, 1}, {6, 2});
  // layout = 1: X [batch, seq, input], Y [batch, seq, dirs, hidden], Y_h [batch, dirs, hidden].
  Tensor xb = F({2, 3, 1}, {1, 2, 3, 1, 1, 100});
  auto lay = RunRnn("RNN", {xb, w, r, kNone, lens}, {AttrStrings("activations", {"Relu"}), AttrInt("layout", 1)}, 2);
  ASSERT_TRUE(lay.ok()) << lay.status().ToString();
  ExpectNear((*lay)[0], {2, 3, 1, 1}, {1, 3, 6, 1, 2, 0});
  ExpectNear((*lay)[1], {2, 1, 1}, {6, 2});
}

TEST(Gru, ByHand) {
  // W = R = B = 0: z = r = 0.5, h~ = tanh(0) = 0, H = 0.5 * H_prev. initial_h = 2 -> 1, 0.5.
  Tensor x = F({2, 1, 1}, {5, -7});
  Tensor w = F({1, 3, 1}, {0, 0, 0}), r = F({1, 3, 1}, {0, 0, 0});
  auto out = RunRnn("GRU", {x, w, r, kNone, kNone, F({1, 1, 1}, {2})}, {AttrInt("hidden_size", 1)}, 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear((*out)[0], {2, 1, 1, 1}, {1, 0.5f});
  ExpectNear((*out)[1], {1, 1, 1}, {0.5f});
  // Only the h gate is connected: Wh = 1, Rh = 1, Rbh = 1; x = 1, H0 = 2, z = r = 0.5.
  //   linear_before_reset = 0: h~ = tanh(1 + (0.5 * 2) * 1 + 1) = tanh(3)
  //   linear_before_reset = 1: h~ = tanh(1 + 0.5 * (2 * 1 + 1)) = tanh(2.5)
  // H = 0.5 * h~ + 0.5 * 2.
  Tensor x1 = F({1, 1, 1}, {1});
  Tensor wh = F({1, 3, 1}, {0, 0, 1}), rh = F({1, 3, 1}, {0, 0, 1});
  Tensor b = F({1, 6}, {0, 0, 0, 0, 0, 1});
  Tensor h0 = F({1, 1, 1}, {2});
  auto l0 = RunRnn("GRU", {x1, wh, rh, b, kNone, h0}, {}, 2);
  ASSERT_TRUE(l0.ok()) << l0.status().ToString();
  ExpectNear((*l0)[1], {1, 1, 1}, {0.5f * std::tanh(3.f) + 1});
  auto l1 = RunRnn("GRU", {x1, wh, rh, b, kNone, h0}, {AttrInt("linear_before_reset", 1)}, 2);
  ASSERT_TRUE(l1.ok()) << l1.status().ToString();
  ExpectNear((*l1)[1], {1, 1, 1}, {0.5f * std::tanh(2.5f) + 1});
}

TEST(Lstm, ByHand) {
  // W = R = B = 0: i = f = o = 0.5, c~ = 0: C = 0.5 C_prev, H = 0.5 tanh(C). C0 = 2 -> C1 = 1.
  Tensor x = F({1, 1, 1}, {3});
  Tensor w = F({1, 4, 1}, {0, 0, 0, 0}), r = F({1, 4, 1}, {0, 0, 0, 0});
  auto out = RunRnn("LSTM", {x, w, r, kNone, kNone, kNone, F({1, 1, 1}, {2})}, {}, 3);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear((*out)[0], {1, 1, 1, 1}, {0.5f * std::tanh(1.f)});
  ExpectNear((*out)[2], {1, 1, 1}, {1});
  // Peepholes P = [Pi Po Pf] = [1, 2, -4] with C0 = 2: i = s(2), f = s(-8); C = f*2 + i*0;
  // o = s(2 * C), H = o * tanh(C).
  auto sg = [](float v) { return 1 / (1 + std::exp(-v)); };
  auto p = RunRnn("LSTM", {x, w, r, kNone, kNone, kNone, F({1, 1, 1}, {2}), F({1, 3}, {1, 2, -4})}, {}, 3);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  const float c = sg(-8) * 2;
  ExpectNear((*p)[2], {1, 1, 1}, {c});
  ExpectNear((*p)[1], {1, 1, 1}, {sg(2 * c) * std::tanh(c)});
  // input_forget: f = 1 - i = 0.5 (i = s(0)), so C = 0.5 * 2 = 1 as without peepholes.
  auto fi = RunRnn("LSTM", {x, w, r, kNone, kNone, kNone, F({1, 1, 1}, {2})}, {AttrInt("input_forget", 1)}, 3);
  ASSERT_TRUE(fi.ok()) << fi.status().ToString();
  ExpectNear((*fi)[2], {1, 1, 1}, {1});
}

// ---- every option against a plain per-element evaluation of the ONNX equations ----

struct Case {
  std::string op;
  std::string direction = "forward";
  int64_t seq = 4, batch = 3, input = 2, hidden = 3;
  bool bias = true, lens = false, init = true, peep = false, lbr = false;
  int64_t layout = 0;
  float clip = 0;
};

float Sig(float v) { return 1 / (1 + std::exp(-v)); }

std::vector<float> Pattern(size_t n, float phase) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = 0.8f * std::sin(phase + 0.7f * static_cast<float>(i));
  return v;
}

void CheckAgainstEquations(const Case& c) {
  SCOPED_TRACE(c.op + " " + c.direction + " layout " + std::to_string(c.layout) + (c.lens ? " lens" : "") +
               (c.peep ? " peep" : "") + (c.lbr ? " lbr" : "") + (c.clip > 0 ? " clip" : ""));
  const int64_t G = c.op == "LSTM" ? 4 : c.op == "GRU" ? 3 : 1;
  const int64_t D = c.direction == "bidirectional" ? 2 : 1, S = c.seq, B = c.batch, I = c.input, H = c.hidden;
  auto xv = Pattern(S * B * I, 0.1f), wv = Pattern(D * G * H * I, 1.3f), rv = Pattern(D * G * H * H, 2.9f);
  auto bv = Pattern(D * 2 * G * H, 4.1f), hv = Pattern(D * B * H, 5.3f), cv = Pattern(D * B * H, 6.7f);
  auto pv = Pattern(D * 3 * H, 7.9f);
  std::vector<int32_t> lens(B, static_cast<int32_t>(S));
  if (c.lens)
    for (int64_t b = 0; b < B; ++b) lens[b] = static_cast<int32_t>((S - b) > 0 ? S - b : 0);
  // Index helpers honoring layout (data above is laid out in the layout under test).
  auto X = [&](int64_t t, int64_t b, int64_t i) { return xv[(c.layout ? (b * S + t) : (t * B + b)) * I + i]; };
  auto S0 = [&](const std::vector<float>& v, int64_t d, int64_t b, int64_t j) {
    return v[(c.layout ? (b * D + d) : (d * B + b)) * H + j];
  };
  auto cl = [&](float v) { return c.clip > 0 ? std::min(std::max(v, -c.clip), c.clip) : v; };
  std::vector<float> Y(S * D * B * H, 0.f), YH(D * B * H), YC(D * B * H);
  for (int64_t d = 0; d < D; ++d) {
    const bool rev = c.direction == "reverse" || d == 1;
    for (int64_t b = 0; b < B; ++b) {
      std::vector<float> h(H), cc(H);
      for (int64_t j = 0; j < H; ++j) {
        h[j] = c.init ? S0(hv, d, b, j) : 0;
        cc[j] = c.init ? S0(cv, d, b, j) : 0;
      }
      for (int64_t s = 0; s < lens[b]; ++s) {
        const int64_t t = rev ? lens[b] - 1 - s : s;
        // pre[g][j] = x W_g^T + Wb_g (+ h R_g^T + Rb_g for all but GRU's h gate)
        auto xw = [&](int64_t g, int64_t j) {
          float v = c.bias ? bv[d * 2 * G * H + g * H + j] : 0;
          for (int64_t i = 0; i < I; ++i) v += X(t, b, i) * wv[((d * G + g) * H + j) * I + i];
          return v;
        };
        auto hr = [&](const std::vector<float>& hin, int64_t g, int64_t j) {
          float v = c.bias ? bv[d * 2 * G * H + G * H + g * H + j] : 0;
          for (int64_t k = 0; k < H; ++k) v += hin[k] * rv[((d * G + g) * H + j) * H + k];
          return v;
        };
        std::vector<float> nh(H), nc(H);
        for (int64_t j = 0; j < H; ++j) {
          if (c.op == "RNN") {
            nh[j] = std::tanh(cl(xw(0, j) + hr(h, 0, j)));
          } else if (c.op == "GRU") {
            const float z = Sig(cl(xw(0, j) + hr(h, 0, j)));
            float hh;
            if (c.lbr) {
              const float r = Sig(cl(xw(1, j) + hr(h, 1, j)));
              hh = std::tanh(cl(xw(2, j) + r * hr(h, 2, j)));
            } else {
              std::vector<float> rh(H);
              for (int64_t k = 0; k < H; ++k) rh[k] = Sig(cl(xw(1, k) + hr(h, 1, k))) * h[k];
              hh = std::tanh(cl(xw(2, j) + hr(rh, 2, j)));
            }
            nh[j] = (1 - z) * hh + z * h[j];
          } else {
            const float* P = &pv[d * 3 * H];
            const float i = Sig(cl(xw(0, j) + hr(h, 0, j) + (c.peep ? P[j] * cc[j] : 0)));
            const float f = Sig(cl(xw(2, j) + hr(h, 2, j) + (c.peep ? P[2 * H + j] * cc[j] : 0)));
            const float g = std::tanh(cl(xw(3, j) + hr(h, 3, j)));
            nc[j] = f * cc[j] + i * g;
            const float o = Sig(cl(xw(1, j) + hr(h, 1, j) + (c.peep ? P[H + j] * nc[j] : 0)));
            nh[j] = o * std::tanh(nc[j]);
          }
        }
        h = nh;
        if (c.op == "LSTM") cc = nc;
        for (int64_t j = 0; j < H; ++j)
          Y[(c.layout ? ((b * S + t) * D + d) : ((t * D + d) * B + b)) * H + j] = h[j];
      }
      for (int64_t j = 0; j < H; ++j) {
        const int64_t o = (c.layout ? (b * D + d) : (d * B + b)) * H + j;
        YH[o] = h[j];
        YC[o] = cc[j];
      }
    }
  }
  const Shape xs = c.layout ? Shape{B, S, I} : Shape{S, B, I};
  const Shape ss = c.layout ? Shape{B, D, H} : Shape{D, B, H};
  std::vector<Tensor> in = {F(xs, xv), F({D, G * H, I}, wv), F({D, G * H, H}, rv),
                            c.bias ? F({D, 2 * G * H}, bv) : kNone,
                            c.lens ? T_<int32_t>({B}, lens) : kNone,
                            c.init ? F(ss, hv) : kNone};
  if (c.op == "LSTM") {
    in.push_back(c.init ? F(ss, cv) : kNone);
    in.push_back(c.peep ? F({D, 3 * H}, pv) : kNone);
  }
  std::vector<onnx::AttributeProto> attrs = {AttrInt("hidden_size", H), AttrString("direction", c.direction)};
  if (c.layout) attrs.push_back(AttrInt("layout", c.layout));
  if (c.lbr && c.op == "GRU") attrs.push_back(AttrInt("linear_before_reset", 1));
  if (c.clip > 0) attrs.push_back(AttrFloat("clip", c.clip));
  auto out = RunRnn(c.op, in, attrs, c.op == "LSTM" ? 3 : 2);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ExpectNear((*out)[0], c.layout ? Shape{B, S, D, H} : Shape{S, D, B, H}, Y, 1e-5f);
  ExpectNear((*out)[1], ss, YH, 1e-5f);
  if (c.op == "LSTM") ExpectNear((*out)[2], ss, YC, 1e-5f);
}

TEST(Recurrent, MatchesTheEquationsForEveryOption) {
  for (const char* op : {"RNN", "GRU", "LSTM"})
    for (const char* dir : {"forward", "reverse", "bidirectional"})
      for (int64_t layout : {0, 1})
        for (bool lens : {false, true}) {
          Case c;
          c.op = op;
          c.direction = dir;
          c.layout = layout;
          c.lens = lens;
          c.peep = lens;        // vary the optional inputs along with the lengths
          c.lbr = layout == 1 && c.op == "GRU";
          c.bias = !(lens && layout);
          c.init = !lens || layout;
          c.clip = lens ? 0.3f : 0;
          CheckAgainstEquations(c);
        }
}

TEST(Recurrent, OutputsAreOptional) {
  // Only Y_h requested (Y omitted): the node has outputs {"", Y_h}.
  Tensor x = F({2, 1, 1}, {1, 2}), w = F({1, 1, 1}, {1}), r = F({1, 1, 1}, {1});
  NodeSpec n{"RNN", "", {"x", "w", "r"}, {"", "yh"}, {AttrStrings("activations", {"Relu"})}};
  Config config;
  config.SetModelBuffer(BuildModel({n}, {}, {[&] { Tensor t = x; t.set_name("x"); return t; }(),
                                             [&] { Tensor t = w; t.set_name("w"); return t; }(),
                                             [&] { Tensor t = r; t.set_name("r"); return t; }()},
                                   {"yh"}, 14));
  config.SetBackends({"cpu_ref"});
  auto p = CreatePredictor(config);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  ASSERT_TRUE((*p)->Run({}, &out).ok());
  ExpectNear(out[0], {1, 1, 1}, {3});
}

TEST(Recurrent, Errors) {
  Tensor x = F({2, 1, 1}, {1, 2}), w = F({1, 1, 1}, {1}), r = F({1, 1, 1}, {1});
  // W rank 2.
  EXPECT_FALSE(RunRnn("RNN", {x, F({1, 1}, {1}), r}, {}, 2).ok());
  // W says 2 directions, attribute says forward.
  auto dirs = RunRnn("RNN", {x, F({2, 1, 1}, {1, 1}), F({2, 1, 1}, {1, 1})}, {}, 2);
  ASSERT_FALSE(dirs.ok());
  EXPECT_NE(dirs.status().message().find("direction"), std::string::npos) << dirs.status().ToString();
  // hidden_size disagrees with R.
  EXPECT_FALSE(RunRnn("RNN", {x, w, r}, {AttrInt("hidden_size", 2)}, 2).ok());
  // Bad attributes.
  EXPECT_FALSE(RunRnn("RNN", {x, w, r}, {AttrString("direction", "sideways")}, 2).ok());
  EXPECT_FALSE(RunRnn("RNN", {x, w, r}, {AttrStrings("activations", {"Relu", "Tanh", "Tanh"})}, 2).ok());
  EXPECT_FALSE(RunRnn("RNN", {x, w, r}, {AttrStrings("activations", {"Swish"})}, 2).ok());
  EXPECT_FALSE(RunRnn("RNN", {x, w, r}, {AttrInt("layout", 2)}, 2).ok());
  // sequence length longer than the sequence.
  auto lens = RunRnn("RNN", {x, w, r, kNone, T_<int32_t>({1}, {3})}, {}, 2);
  ASSERT_FALSE(lens.ok());
  EXPECT_NE(lens.status().message().find("sequence length"), std::string::npos) << lens.status().ToString();
  // initial_h with the wrong shape.
  EXPECT_FALSE(RunRnn("RNN", {x, w, r, kNone, kNone, F({1, 2, 1}, {0, 0})}, {}, 2).ok());
  // GRU W with the wrong gate count.
  EXPECT_FALSE(RunRnn("GRU", {x, F({1, 2, 1}, {1, 1}), F({1, 2, 1}, {1, 1})}, {}, 2).ok());
}

}  // namespace
}  // namespace pl::test
