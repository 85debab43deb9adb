// The byte-level helpers under the shape kernels: strided copies, fills, float16 conversion.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <numeric>

#include "src/backends/cpu/ref/data_movement.h"
#include "tests/util/test_util.h"

namespace pl::cpu_ref {
namespace {

TEST(DataMovement, StridedCopyBroadcastAndNegativeStrides) {
  const std::vector<int32_t> src = {0, 1, 2, 3, 4, 5};  // viewed as 2x3
  std::vector<int32_t> dst(6);
  // Transposed view: shape [3,2], strides [1,3].
  StridedCopy(dst.data(), src.data(), {3, 2}, {1, 3}, 4);
  EXPECT_EQ(dst, (std::vector<int32_t>{0, 3, 1, 4, 2, 5}));
  // Row broadcast: shape [2,3] reading row 1 twice (stride 0).
  StridedCopy(dst.data(), src.data() + 3, {2, 3}, {0, 1}, 4);
  EXPECT_EQ(dst, (std::vector<int32_t>{3, 4, 5, 3, 4, 5}));
  // Reversed: start at the last element, stride -1.
  StridedCopy(dst.data(), src.data() + 5, {6}, {-1}, 4);
  EXPECT_EQ(dst, (std::vector<int32_t>{5, 4, 3, 2, 1, 0}));
  // Scalar.
  int64_t one = 42, out = 0;
  StridedCopy(&out, &one, {}, {}, 8);
  EXPECT_EQ(out, 42);
}

TEST(DataMovement, StridedCopyThreadedMatchesSerial) {
  std::vector<float> src(64 * 1024 * 5);
  std::iota(src.begin(), src.end(), 0.f);
  std::vector<float> a(src.size()), b(src.size());
  const Shape shape = {5, 1024, 64};
  const std::vector<int64_t> strides = {1, 5 * 64, 5};  // a permuted view of the same data
  StridedCopy(a.data(), src.data(), shape, strides, 4, 1);
  StridedCopy(b.data(), src.data(), shape, strides, 4, 4);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a[1], src[5]);
}

TEST(DataMovement, FillElements) {
  std::vector<int64_t> v(7);
  const int64_t x = 0x0102030405060708;
  FillElements(v.data(), &x, 7, 8);
  for (int64_t e : v) EXPECT_EQ(e, x);
  std::vector<uint8_t> b(5);
  const uint8_t one = 1;
  FillElements(b.data(), &one, 5, 1);
  EXPECT_EQ(b, std::vector<uint8_t>(5, 1));
}

TEST(DataMovement, HalfConversions) {
  EXPECT_EQ(FloatToHalf(1.0f), 0x3C00);
  EXPECT_EQ(FloatToHalf(-2.0f), 0xC000);
  EXPECT_EQ(FloatToHalf(65504.f), 0x7BFF);
  EXPECT_EQ(FloatToHalf(65520.f), 0x7C00);               // rounds up to inf
  EXPECT_EQ(FloatToHalf(std::ldexp(1.f, -24)), 0x0001);   // smallest subnormal
  EXPECT_EQ(FloatToHalf(std::ldexp(1.f, -25)), 0x0000);   // ties to even: zero
  EXPECT_EQ(FloatToHalf(1.0f + std::ldexp(1.f, -11)), 0x3C00);  // tie, even mantissa stays
  EXPECT_EQ(FloatToHalf(1.0f + 3 * std::ldexp(1.f, -11)), 0x3C02);  // tie, odd mantissa rounds up
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000);
  EXPECT_EQ(FloatToHalf(INFINITY), 0x7C00);
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(NAN))));
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0f);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.f, -24));
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.f);
  EXPECT_EQ(HalfToFloat(0xFC00), -INFINITY);
  // Every finite half survives a round trip.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00) continue;
    EXPECT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h) << h;
  }
}

TEST(DataMovement, StoreAndLoadDouble) {
  char buf[8];
  ASSERT_TRUE(StoreDouble(DataType::kInt16, -3, buf));
  int16_t i16;
  std::memcpy(&i16, buf, 2);
  EXPECT_EQ(i16, -3);
  ASSERT_TRUE(StoreDouble(DataType::kBool, 0.5, buf));
  EXPECT_EQ(buf[0], 1);
  ASSERT_TRUE(StoreDouble(DataType::kFloat16, 0.5, buf));
  uint16_t h;
  std::memcpy(&h, buf, 2);
  EXPECT_EQ(h, 0x3800);
  EXPECT_FALSE(StoreDouble(DataType::kString, 1, buf));
}

// String tensors move through the same kernels as numbers: each op runs on a float tensor holding
// element indices and on a string tensor "s<index>"; the string result must name the same
// indices, element for element.
TEST(DataMovement, StringTensorsMoveLikeNumbers) {
  using test::AttrInt;
  using test::AttrInts;
  using test::AttrString;
  struct Case {
    const char* op;
    Shape shape;
    std::vector<Tensor> extra;  // further inputs (host ints), after the data
    std::vector<onnx::AttributeProto> attrs;
    int outputs;
  };
  const std::vector<Case> cases = {
      {"Slice", {3, 4}, {test::T_<int64_t>({2}, {2, 3}), test::T_<int64_t>({2}, {-100, 0}),
                         test::T_<int64_t>({2}, {0, 1}), test::T_<int64_t>({2}, {-1, -2})}, {}, 1},
      {"Split", {4, 3}, {test::T_<int64_t>({2}, {1, 3})}, {AttrInt("axis", 0)}, 2},
      {"Transpose", {2, 3, 4}, {}, {AttrInts("perm", {2, 0, 1})}, 1},
      {"Expand", {3, 1}, {test::T_<int64_t>({3}, {2, 3, 4})}, {}, 1},
      {"Tile", {2, 3}, {test::T_<int64_t>({2}, {2, 2})}, {}, 1},
      {"DepthToSpace", {1, 8, 2, 3}, {}, {AttrInt("blocksize", 2), AttrString("mode", "CRD")}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.op);
    const int64_t n = ShapeNumElements(c.shape);
    std::vector<float> idx(n);
    std::vector<std::string> names(n);
    for (int64_t i = 0; i < n; ++i) {
      idx[i] = static_cast<float>(i);
      names[i] = "s" + std::to_string(i);
    }
    std::vector<Tensor> fin = {Tensor::FromVector(c.shape, idx).value()}, sin = {Tensor::FromVector(c.shape, names).value()};
    std::vector<int> consts;
    for (size_t k = 0; k < c.extra.size(); ++k) {
      fin.push_back(c.extra[k]);
      sin.push_back(c.extra[k]);
      consts.push_back(static_cast<int>(k) + 1);
    }
    auto want = test::RunOp(c.op, fin, c.attrs, c.outputs, 13, consts, {kBackendCpuRef});
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    auto got = test::RunOp(c.op, sin, c.attrs, c.outputs, 13, consts, {kBackendCpuRef});
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_EQ(got->size(), want->size());
    for (size_t o = 0; o < got->size(); ++o) {
      const Tensor& g = (*got)[o];
      const Tensor& w = (*want)[o];
      ASSERT_EQ(g.dtype(), DataType::kString);
      ASSERT_EQ(g.shape(), w.shape());
      for (int64_t i = 0; i < g.NumElements(); ++i)
        ASSERT_EQ(g.Data<std::string>()[i], "s" + std::to_string(static_cast<int>(w.Data<float>()[i]))) << "output " << o << " element " << i;
    }
  }
}

}  // namespace
}  // namespace pl::cpu_ref
