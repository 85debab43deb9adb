// Reference pooling kernels (MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool): pads,
// auto_pad, strides, dilations, ceil_mode, count_include_pad, Indices/storage_order, 1D/2D/3D,
// integer MaxPool, errors; values computed by hand.
#include <gtest/gtest.h>

#include "util/test_util.h"

namespace pl::test {
namespace {

using Attrs = std::vector<onnx::AttributeProto>;

StatusOr<std::vector<Tensor>> RunPool(const std::string& op, const Tensor& x, const Attrs& attrs, int outputs = 1,
                                  int opset = 13) {
  return RunOp(op, {x}, attrs, outputs, opset, {}, {kBackendCpuRef});
}

std::vector<float> Pool1D(const std::string& op, const std::vector<float>& x, const Attrs& attrs) {
  auto y = RunPool(op, T_<float>({1, 1, static_cast<int64_t>(x.size())}, x), attrs);
  EXPECT_TRUE(y.ok()) << y.status().ToString();
  return y.ok() ? ToVec<float>((*y)[0]) : std::vector<float>{};
}

std::vector<float> Iota(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>(i);
  return v;
}

TEST(MaxPool, TwoByTwoStrideTwoWithIndices) {
  Tensor x = T_<float>({1, 1, 4, 4}, Iota(16));
  auto y = RunPool("MaxPool", x, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})}, 2);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ((*y)[0].shape(), (Shape{1, 1, 2, 2}));
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{5, 7, 13, 15}));
  EXPECT_EQ(ToVec<int64_t>((*y)[1]), (std::vector<int64_t>{5, 7, 13, 15}));
  // Column-major indices: (h, w) -> h + w * H.
  y = RunPool("MaxPool", x, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInt("storage_order", 1)},
          2);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*y)[1]), (std::vector<int64_t>{5, 13, 7, 15}));
  // Without the Indices output the fast path gives the same values.
  y = RunPool("MaxPool", x, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2})}, 1);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{5, 7, 13, 15}));
}

TEST(MaxPool, IndicesCountBatchAndChannel) {
  // Two planes of 2x2; indices are flat over N x C x H x W.
  auto y = RunPool("MaxPool", T_<float>({1, 2, 2, 2}, {1, 9, 3, 4, 8, 5, 6, 7}), {AttrInts("kernel_shape", {2, 2})}, 2);
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{9, 8}));
  EXPECT_EQ(ToVec<int64_t>((*y)[1]), (std::vector<int64_t>{1, 4}));
}

TEST(MaxPool, PadsDilationsCeilMode1D) {
  EXPECT_EQ(Pool1D("MaxPool", {1, 2, 3}, {AttrInts("kernel_shape", {2}), AttrInts("pads", {1, 1})}),
            (std::vector<float>{1, 2, 3, 3}));
  EXPECT_EQ(Pool1D("MaxPool", {1, 5, 2, 4, 3}, {AttrInts("kernel_shape", {2}), AttrInts("dilations", {2})}),
            (std::vector<float>{2, 5, 3}));
  EXPECT_EQ(Pool1D("MaxPool", {1, 2, 3, 4, 5}, {AttrInts("kernel_shape", {2}), AttrInts("strides", {2})}),
            (std::vector<float>{2, 4}));
  EXPECT_EQ(Pool1D("MaxPool", {1, 2, 3, 4, 5},
                   {AttrInts("kernel_shape", {2}), AttrInts("strides", {2}), AttrInt("ceil_mode", 1)}),
            (std::vector<float>{2, 4, 5}));
  // ceil_mode never starts a window in the end padding: 4 values + 1 pad, stride 2 -> 2 windows.
  EXPECT_EQ(Pool1D("MaxPool", {1, 2, 3, 4},
                   {AttrInts("kernel_shape", {2}), AttrInts("strides", {2}), AttrInts("pads", {0, 1}),
                    AttrInt("ceil_mode", 1)}),
            (std::vector<float>{2, 4}));
}

TEST(MaxPool, AutoPadSame1D) {
  // Kernel 2, stride 1: one pad pixel, at the end (UPPER) or the start (LOWER).
  EXPECT_EQ(Pool1D("MaxPool", {3, 1, 2, 0}, {AttrInts("kernel_shape", {2}), AttrString("auto_pad", "SAME_UPPER")}),
            (std::vector<float>{3, 2, 2, 0}));
  EXPECT_EQ(Pool1D("MaxPool", {3, 1, 2, 0}, {AttrInts("kernel_shape", {2}), AttrString("auto_pad", "SAME_LOWER")}),
            (std::vector<float>{3, 3, 2, 2}));
  EXPECT_EQ(Pool1D("MaxPool", {3, 1, 2, 0, 5},
                   {AttrInts("kernel_shape", {2}), AttrInts("strides", {2}), AttrString("auto_pad", "VALID")}),
            (std::vector<float>{3, 2}));
}

TEST(MaxPool, Uint8AndFloat64And3D) {
  auto y = RunPool("MaxPool", T_<uint8_t>({1, 1, 4}, {10, 200, 3, 255}), {AttrInts("kernel_shape", {2})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<uint8_t>((*y)[0]), (std::vector<uint8_t>{200, 200, 255}));
  y = RunPool("MaxPool", T_<double>({1, 1, 3}, {-1, -3, -2}), {AttrInts("kernel_shape", {2})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<double>((*y)[0]), (std::vector<double>{-1, -2}));
  y = RunPool("MaxPool", T_<float>({1, 1, 2, 2, 2}, Iota(8)), {AttrInts("kernel_shape", {2, 2, 2})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{7}));
}

TEST(AveragePool, CountIncludePad1D) {
  const Attrs base = {AttrInts("kernel_shape", {2}), AttrInts("pads", {1, 1})};
  EXPECT_EQ(Pool1D("AveragePool", {1, 2, 3}, base), (std::vector<float>{1, 1.5f, 2.5f, 3}));
  Attrs inc = base;
  inc.push_back(AttrInt("count_include_pad", 1));
  EXPECT_EQ(Pool1D("AveragePool", {1, 2, 3}, inc), (std::vector<float>{0.5f, 1.5f, 2.5f, 1.5f}));
}

TEST(AveragePool, CeilModeAndSame1D) {
  // The ceil window [4, 6) sees one value; with no end padding it also counts one.
  for (int inc : {0, 1})
    EXPECT_EQ(Pool1D("AveragePool", {1, 2, 3, 4, 5},
                     {AttrInts("kernel_shape", {2}), AttrInts("strides", {2}), AttrInt("ceil_mode", 1),
                      AttrInt("count_include_pad", inc)}),
              (std::vector<float>{1.5f, 3.5f, 5}));
  EXPECT_EQ(Pool1D("AveragePool", {1, 2, 3, 4}, {AttrInts("kernel_shape", {3}), AttrString("auto_pad", "SAME_UPPER")}),
            (std::vector<float>{1.5f, 2, 3, 3.5f}));
  EXPECT_EQ(Pool1D("AveragePool", {1, 2, 3, 4}, {AttrInts("kernel_shape", {2}), AttrString("auto_pad", "SAME_UPPER")}),
            (std::vector<float>{1.5f, 2.5f, 3.5f, 4}));
  EXPECT_EQ(Pool1D("AveragePool", {1, 2, 3, 4}, {AttrInts("kernel_shape", {2}), AttrString("auto_pad", "SAME_LOWER")}),
            (std::vector<float>{1, 1.5f, 2.5f, 3.5f}));
}

TEST(AveragePool, TwoDAndThreeD) {
  // 3x3 of 1..9, 2x2 windows stride 1: means of each quad.
  std::vector<float> x(9);
  for (int i = 0; i < 9; ++i) x[i] = static_cast<float>(i + 1);
  auto y = RunPool("AveragePool", T_<float>({1, 1, 3, 3}, x), {AttrInts("kernel_shape", {2, 2})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{3, 4, 6, 7}));
  // 3D with padding 1 at the start of the depth axis only, count_include_pad: (0 + 0..3 sum) / 8.
  y = RunPool("AveragePool", T_<float>({1, 1, 1, 2, 2}, {1, 2, 3, 4}),
          {AttrInts("kernel_shape", {2, 2, 2}), AttrInts("pads", {1, 0, 0, 0, 0, 0}), AttrInt("count_include_pad", 1)});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ((*y)[0].shape(), (Shape{1, 1, 1, 1, 1}));
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{1.25f}));
  y = RunPool("AveragePool", T_<float>({1, 1, 1, 2, 2}, {1, 2, 3, 4}),
          {AttrInts("kernel_shape", {2, 2, 2}), AttrInts("pads", {1, 0, 0, 0, 0, 0})});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{2.5f}));
}

TEST(GlobalPool, AverageAndMax) {
  Tensor x = T_<float>({1, 2, 2, 2}, {1, 2, 3, 4, -1, -2, -3, -4});
  auto y = RunPool("GlobalAveragePool", x, {});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ((*y)[0].shape(), (Shape{1, 2, 1, 1}));
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{2.5f, -2.5f}));
  y = RunPool("GlobalMaxPool", x, {});
  ASSERT_TRUE(y.ok()) << y.status().ToString();
  EXPECT_EQ(ToVec<float>((*y)[0]), (std::vector<float>{4, -1}));
}

TEST(Pool, RejectsBadInput) {
  Tensor x = T_<float>({1, 1, 3, 3}, Iota(9));
  EXPECT_FALSE(RunPool("MaxPool", x, {}).ok());                                                // no kernel_shape
  EXPECT_FALSE(RunPool("MaxPool", x, {AttrInts("kernel_shape", {2})}).ok());                   // length
  EXPECT_FALSE(RunPool("AveragePool", x, {AttrInts("kernel_shape", {4, 4})}).ok());            // too large
  EXPECT_FALSE(RunPool("MaxPool", x, {AttrInts("kernel_shape", {2, 2}), AttrInt("storage_order", 2)}).ok());
  EXPECT_FALSE(RunPool("MaxPool", x, {AttrInts("kernel_shape", {2, 2}), AttrInts("pads", {1, 1})}).ok());
  EXPECT_FALSE(RunPool("GlobalAveragePool", T_<float>({4}, {1, 2, 3, 4}), {}).ok());          // rank 1
}

}  // namespace
}  // namespace pl::test
