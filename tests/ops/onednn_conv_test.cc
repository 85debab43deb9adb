// oneDNN Conv and ConvTranspose against the reference backend on random, odd-sized shapes.
#include "ops/onednn_test_util.h"

namespace pl::test {
namespace {

#ifdef PL_WITH_ONEDNN

OpCase ConvCase(const Shape& x, const Shape& w, bool bias, std::vector<onnx::AttributeProto> attrs, uint32_t seed,
                const std::string& op = "Conv") {
  OpCase c;
  c.op = op;
  c.inputs = {Random(x, seed), Random(w, seed + 1, -0.5f, 0.5f)};
  c.const_inputs = {1};
  if (bias) {
    const int64_t m = op == "Conv" ? w[0] : w[1] * 1;
    c.inputs.push_back(Random({m}, seed + 2));
    c.const_inputs.push_back(2);
  }
  c.attrs = std::move(attrs);
  return c;
}

TEST(OneDnnConv, Plain2D) {
  CompareWithRef(ConvCase({1, 3, 17, 23}, {5, 3, 3, 3}, true, {}, 1));
  CompareWithRef(ConvCase({2, 7, 9, 11}, {13, 7, 1, 1}, false, {}, 2));
  CompareWithRef(ConvCase({1, 16, 15, 15}, {24, 16, 3, 3}, true, {AttrInts("pads", {1, 1, 1, 1})}, 3));
}

TEST(OneDnnConv, StridedPaddedAsymmetric) {
  CompareWithRef(ConvCase({1, 5, 19, 14}, {6, 5, 3, 2}, true,
                          {AttrInts("strides", {2, 3}), AttrInts("pads", {1, 0, 2, 1})}, 4));
  CompareWithRef(ConvCase({1, 4, 20, 21}, {8, 4, 5, 5}, true, {AttrInts("strides", {2, 2}), AttrInts("pads", {2, 2, 2, 2})}, 5));
}

TEST(OneDnnConv, Dilated) {
  CompareWithRef(ConvCase({1, 6, 21, 19}, {7, 6, 3, 3}, true,
                          {AttrInts("dilations", {2, 3}), AttrInts("pads", {2, 3, 2, 3})}, 6));
}

TEST(OneDnnConv, GroupedAndDepthwise) {
  CompareWithRef(ConvCase({1, 12, 13, 11}, {18, 4, 3, 3}, true, {AttrInt("group", 3), AttrInts("pads", {1, 1, 1, 1})}, 7));
  CompareWithRef(ConvCase({1, 32, 17, 9}, {32, 1, 3, 3}, true,
                          {AttrInt("group", 32), AttrInts("pads", {1, 1, 1, 1}), AttrInts("strides", {2, 2})}, 8));
  CompareWithRef(ConvCase({1, 19, 10, 12}, {19, 1, 5, 5}, false, {AttrInt("group", 19), AttrInts("pads", {2, 2, 2, 2})}, 9));
}

TEST(OneDnnConv, AutoPad) {
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"})
    CompareWithRef(ConvCase({1, 3, 14, 13}, {4, 3, 4, 3}, true, {AttrString("auto_pad", mode), AttrInts("strides", {2, 2})}, 10));
}

TEST(OneDnnConv, OneAndThreeSpatialDims) {
  CompareWithRef(ConvCase({2, 5, 31}, {7, 5, 3}, true, {AttrInts("pads", {1, 2}), AttrInts("strides", {2})}, 11));
  CompareWithRef(ConvCase({1, 3, 6, 7, 5}, {4, 3, 3, 3, 3}, true, {AttrInts("pads", {1, 1, 1, 1, 1, 1})}, 12));
}

TEST(OneDnnConv, TwoThreads) {
  CompareWithRef(ConvCase({1, 24, 33, 35}, {40, 24, 3, 3}, true, {AttrInts("pads", {1, 1, 1, 1})}, 13), 1e-4f, 1e-3f, 2);
}

TEST(OneDnnConv, RunTimeWeightsFallBack) {
  OpCase c = ConvCase({1, 3, 8, 8}, {4, 3, 3, 3}, false, {}, 14);
  c.const_inputs.clear();  // weights as a graph input: oneDNN wants them at compile time
  ExpectFallback(c);
}

TEST(OneDnnConv, BadInputIsAnError) {
  OpCase c = ConvCase({1, 3, 8, 8}, {4, 3, 3, 3}, false, {}, 15);
  c.inputs[0] = Random({1, 5, 8, 8}, 16);  // channel mismatch
  std::string used;
  auto r = RunCase(c, {kBackendOneDnn}, &used);
  EXPECT_FALSE(r.ok());
}

OpCase DeconvCase(const Shape& x, const Shape& w, bool bias, std::vector<onnx::AttributeProto> attrs, uint32_t seed,
                  int64_t group = 1) {
  OpCase c = ConvCase(x, w, false, std::move(attrs), seed, "ConvTranspose");
  if (bias) {
    c.inputs.push_back(Random({w[1] * group}, seed + 2));
    c.const_inputs.push_back(2);
  }
  return c;
}

TEST(OneDnnConvTranspose, KernelEqualsStride) {
  // The matmul + scatter path (PaddleOCR's det head: 2x2 stride 2).
  CompareWithRef(DeconvCase({1, 24, 13, 17}, {24, 24, 2, 2}, true, {AttrInts("strides", {2, 2})}, 20));
  CompareWithRef(DeconvCase({2, 24, 9, 7}, {24, 1, 2, 2}, true, {AttrInts("strides", {2, 2})}, 21));
  CompareWithRef(DeconvCase({1, 5, 6, 7}, {5, 3, 3, 2}, false, {AttrInts("strides", {3, 2})}, 22));
}

TEST(OneDnnConvTranspose, General) {
  CompareWithRef(DeconvCase({1, 6, 7, 9}, {6, 4, 3, 3}, true, {AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 1, 1})}, 23));
  CompareWithRef(DeconvCase({1, 6, 7, 9}, {6, 4, 3, 3}, true,
                            {AttrInts("strides", {2, 2}), AttrInts("pads", {1, 0, 1, 2}), AttrInts("output_padding", {1, 1})}, 24));
  CompareWithRef(DeconvCase({1, 8, 5, 6}, {8, 3, 3, 3}, true, {AttrInt("group", 2), AttrInts("dilations", {2, 1})}, 25, 2));
  CompareWithRef(DeconvCase({1, 4, 5, 5}, {4, 2, 3, 3}, false,
                            {AttrInts("strides", {2, 2}), AttrInts("output_shape", {10, 11}), AttrString("auto_pad", "SAME_UPPER")}, 26));
  CompareWithRef(DeconvCase({2, 3, 11}, {3, 5, 4}, true, {AttrInts("strides", {3})}, 27));
}

#endif  // PL_WITH_ONEDNN

}  // namespace
}  // namespace pl::test
