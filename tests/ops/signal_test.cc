// Reference signal ops (opset 17): DFT, STFT, Hann/Hamming/Blackman windows, MelWeightMatrix.
// Hand-pinned cases, then NumPy references (np.fft, the window formulas; tests/ops/make_op_cases.py,
// generated at test time), then bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/npy_cases.h"
#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

using Attrs = std::vector<onnx::AttributeProto>;
const Tensor kNone;

StatusOr<std::vector<Tensor>> SRun(const std::string& op, const std::vector<Tensor>& ins, const Attrs& attrs = {}) {
  return RunRefUnchecked(op, ins, attrs, 1, 17);
}

TEST(Dft, ImpulseAndConstant) {
  // DFT of an impulse is all ones; of a constant, N at bin 0.
  auto r = SRun("DFT", {T_<float>({1, 4, 1}, {1, 0, 0, 0})});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{1, 4, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 0, 1, 0, 1, 0, 1, 0}));
  auto c = SRun("DFT", {T_<float>({1, 4, 1}, {2, 2, 2, 2})}, {AttrInt("onesided", 1)});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)[0].shape(), (Shape{1, 3, 2}));
  auto v = ToVec<float>((*c)[0]);
  EXPECT_FLOAT_EQ(v[0], 8.f);
  for (size_t i = 1; i < v.size(); ++i) EXPECT_NEAR(v[i], 0.f, 1e-6f) << i;
  // Forward then inverse gives the signal back (as complex pairs).
  Tensor x = T_<float>({1, 5, 2}, {1, -1, 2, 0.5f, -3, 0, 0.25f, 4, 7, -2});
  auto f = SRun("DFT", {x});
  ASSERT_TRUE(f.ok());
  auto back = SRun("DFT", {(*f)[0]}, {AttrInt("inverse", 1)});
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  auto want = ToVec<float>(x), got = ToVec<float>((*back)[0]);
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5f) << i;
}

TEST(Windows, SpecValues) {
  // Periodic Hann of 4: 0, 0.5, 1, 0.5; symmetric of 3: 0, 1, 0; size 1 symmetric: 1.
  auto h = SRun("HannWindow", {T_<int64_t>({}, {4})});
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  auto v = ToVec<float>((*h)[0]);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_NEAR(v[0], 0.f, 1e-7f);
  EXPECT_NEAR(v[1], 0.5f, 1e-7f);
  EXPECT_NEAR(v[2], 1.f, 1e-7f);
  auto s = SRun("HannWindow", {T_<int32_t>({}, {3})}, {AttrInt("periodic", 0)});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_NEAR(ToVec<float>((*s)[0])[1], 1.f, 1e-7f);
  auto one = SRun("BlackmanWindow", {T_<int64_t>({}, {1})}, {AttrInt("periodic", 0)});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(ToVec<float>((*one)[0]), (std::vector<float>{1.f}));
  // output_datatype int32: Hamming of 2 (periodic) is 0.0870, 1 -> 0, 1.
  auto hi = SRun("HammingWindow", {T_<int64_t>({}, {2})}, {AttrInt("output_datatype", 6)});
  ASSERT_TRUE(hi.ok()) << hi.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*hi)[0]), (std::vector<int32_t>{0, 1}));
}

class SignalNumpy : public ::testing::TestWithParam<const char*> {};

// float32 outputs of sums of up to 64 terms of unit-normal values: 2e-5 + 1e-4 relative; float64 tighter.
TEST_P(SignalNumpy, MatchesNumpy) {
  const std::string name = GetParam();
  const bool f64 = name.find("f64") != std::string::npos || name.find("symmetric") != std::string::npos;
  CheckNpyCase(name, f64 ? 1e-10 : 2e-5, f64 ? 1e-10 : 1e-4);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SignalNumpy,
    ::testing::Values("hann_10_periodic", "hann_9_symmetric", "hamming_10_periodic", "hamming_9_symmetric",
                      "blackman_10_periodic", "blackman_9_symmetric", "dft_real", "dft_real_onesided",
                      "dft_complex_inverse_f64", "dft_axis2_padded", "dft_axis_neg_truncated", "stft_hann_onesided",
                      "stft_complex_length_f64", "melweightmatrix"));

void ExpectError(const StatusOr<std::vector<Tensor>>& r, const std::string& fragment) {
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().ToString();
}

TEST(Signal, BadInputIsAnError) {
  ExpectError(SRun("DFT", {T_<float>({2, 3}, {1, 2, 3, 4, 5, 6})}), "expected [..., signal, 1]");
  ExpectError(SRun("DFT", {T_<float>({1, 4, 1}, {1, 2, 3, 4})}, {AttrInt("axis", 2)}), "axis 2 out of range");
  ExpectError(SRun("DFT", {T_<float>({1, 4, 1}, {1, 2, 3, 4}), T_<int64_t>({}, {0})}), "dft_length 0");
  ExpectError(SRun("DFT", {T_<float>({1, 4, 1}, {1, 2, 3, 4})}, {AttrInt("inverse", 1), AttrInt("onesided", 1)}),
              "inverse with onesided");
  Tensor sig = T_<float>({1, 8, 1}, {1, 2, 3, 4, 5, 6, 7, 8});
  ExpectError(SRun("STFT", {sig, T_<int64_t>({}, {0}), T_<float>({4}, {1, 1, 1, 1})}), "frame_step 0");
  ExpectError(SRun("STFT", {sig, T_<int64_t>({}, {2})}), "needs a window or a frame_length");
  ExpectError(SRun("STFT", {sig, T_<int64_t>({}, {2}), kNone, T_<int64_t>({}, {9})}), "frame length 9");
  ExpectError(SRun("STFT", {sig, T_<int64_t>({}, {2}), T_<float>({4}, {1, 1, 1, 1}), T_<int64_t>({}, {3})}),
              "differs from window length 4");
  ExpectError(SRun("HannWindow", {T_<int64_t>({}, {-1})}), "window size -1");
  ExpectError(SRun("HannWindow", {T_<int64_t>({2}, {3, 4})}), "size must be a scalar");
  ExpectError(SRun("HannWindow", {T_<int64_t>({}, {4})}, {AttrInt("output_datatype", 9)}), "output_datatype 9");
  ExpectError(SRun("MelWeightMatrix", {T_<int64_t>({}, {8}), T_<int64_t>({}, {16}), T_<int64_t>({}, {8000}),
                                       T_<float>({}, {0.f}), T_<float>({}, {20000.f})}),
              "maps past the last spectrogram bin");
  ExpectError(SRun("MelWeightMatrix", {T_<int64_t>({}, {8}), T_<int64_t>({}, {16}), T_<int64_t>({}, {8000}),
                                       T_<float>({}, {500.f}), T_<float>({}, {100.f})}),
              "lower_edge_hertz < upper_edge_hertz");
}

}  // namespace
}  // namespace pl::test
