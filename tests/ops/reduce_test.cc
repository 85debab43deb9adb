// Reference Reduce* and ArgMax/ArgMin: axes as attribute (old opsets) and as input (ReduceSum 13+,
// the others 18+), keepdims, noop_with_empty_axes, select_last_index.
#include <gtest/gtest.h>

#include <cmath>

#include "util/test_util.h"

namespace pl::test {
namespace {

StatusOr<Tensor> Op(const std::string& op, const std::vector<Tensor>& ins,
                    const std::vector<onnx::AttributeProto>& attrs = {}, int opset = 13) {
  PL_ASSIGN_OR_RETURN(auto outs, RunOp(op, ins, attrs, 1, opset, {}, {"cpu_ref"}));
  return outs[0];
}

template <typename T>
void Expect(const StatusOr<Tensor>& t, const Shape& shape, const std::vector<T>& want) {
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->dtype(), DataTypeOf<T>::value);
  EXPECT_EQ(t->shape(), shape);
  auto got = ToVec<T>(*t);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if constexpr (std::is_floating_point_v<T>) EXPECT_NEAR(got[i], want[i], 1e-5 * std::max<T>(1, std::fabs(want[i])));
    else EXPECT_EQ(got[i], want[i]);
  }
}

// [2, 3] = {{1, 2, 3}, {4, 5, 6}}
const Tensor kX = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});

TEST(Reduce, AttributeAxes) {
  Expect<float>(Op("ReduceMean", {kX}, {AttrInts("axes", {1})}), {2, 1}, {2, 5});
  Expect<float>(Op("ReduceMax", {kX}, {AttrInts("axes", {0}), AttrInt("keepdims", 0)}), {3}, {4, 5, 6});
  Expect<float>(Op("ReduceMin", {kX}, {AttrInts("axes", {-1}), AttrInt("keepdims", 0)}), {2}, {1, 4});
  Expect<float>(Op("ReduceProd", {kX}, {AttrInts("axes", {1})}), {2, 1}, {6, 120});
  Expect<float>(Op("ReduceL1", {T_<float>({2}, {-3, 4})}, {AttrInts("axes", {0})}), {1}, {7});
  Expect<float>(Op("ReduceL2", {T_<float>({2}, {-3, 4})}, {AttrInts("axes", {0})}), {1}, {5});
  Expect<float>(Op("ReduceSumSquare", {T_<float>({2}, {-3, 4})}, {AttrInts("axes", {0})}), {1}, {25});
  Expect<float>(Op("ReduceLogSum", {kX}, {AttrInts("axes", {1})}), {2, 1}, {std::log(6.f), std::log(15.f)});
  Expect<float>(Op("ReduceLogSumExp", {kX}, {AttrInts("axes", {1})}), {2, 1},
                {std::log(std::exp(1.f) + std::exp(2.f) + std::exp(3.f)),
                 std::log(std::exp(4.f) + std::exp(5.f) + std::exp(6.f))});
  // No axes: reduce everything.
  Expect<float>(Op("ReduceMean", {kX}), {1, 1}, {3.5f});
  Expect<float>(Op("ReduceSum", {kX}, {AttrInts("axes", {0, 1}), AttrInt("keepdims", 0)}, 11), {}, {21});
}

TEST(Reduce, LogSumExpLargeValues) {
  Expect<float>(Op("ReduceLogSumExp", {T_<float>({2}, {1000, 1000})}, {AttrInt("keepdims", 0)}), {},
                {1000 + std::log(2.f)});
}

TEST(Reduce, SumAxesInputOpset13) {
  Expect<float>(Op("ReduceSum", {kX, T_<int64_t>({1}, {1})}), {2, 1}, {6, 15});
  Expect<float>(Op("ReduceSum", {kX, T_<int64_t>({1}, {0})}, {AttrInt("keepdims", 0)}), {3}, {5, 7, 9});
  // Omitted axes: all; empty axes with noop_with_empty_axes: identity.
  Expect<float>(Op("ReduceSum", {kX}), {1, 1}, {21});
  Expect<float>(Op("ReduceSum", {kX, T_<int64_t>({0}, {})}), {1, 1}, {21});
  Expect<float>(Op("ReduceSum", {kX, T_<int64_t>({0}, {})}, {AttrInt("noop_with_empty_axes", 1)}), {2, 3},
                {1, 2, 3, 4, 5, 6});
}

// Opset 18 moved axes to an input, which Debian's ONNX 1.12 checker does not know yet: run the
// model with the checker off.
StatusOr<Tensor> RunOpset18(const std::string& op, const Tensor& x, const Tensor& axes,
                            const std::vector<onnx::AttributeProto>& attrs) {
  NodeSpec n{op, "", {"x", "axes"}, {"y"}, attrs};
  Tensor xi = x, ai = axes;
  xi.set_name("x");
  ai.set_name("axes");
  Config config;
  config.SetModelBuffer(BuildModel({n}, {xi, ai}, {}, {"y"}, 18));
  config.SetBackends({"cpu_ref"});
  config.SwitchModelCheck(false);
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  std::vector<Tensor> outs;
  PL_RETURN_IF_ERROR(pred->Run({xi, ai}, &outs));
  return outs[0];
}

TEST(Reduce, Opset18AxesInput) {
  Expect<float>(RunOpset18("ReduceMax", kX, T_<int64_t>({1}, {1}), {AttrInt("keepdims", 0)}), {2}, {3, 6});
  Expect<float>(RunOpset18("ReduceL1", T_<float>({2, 2}, {-1, 2, -3, 4}), T_<int64_t>({1}, {0}), {}), {1, 2}, {4, 6});
  Expect<float>(RunOpset18("ReduceMin", kX, T_<int64_t>({0}, {}), {AttrInt("noop_with_empty_axes", 1)}), {2, 3},
                {1, 2, 3, 4, 5, 6});
  Expect<float>(RunOpset18("ReduceProd", kX, T_<int64_t>({0}, {}), {AttrInt("keepdims", 0)}), {}, {720});
}

TEST(Reduce, Opset18WithoutAxes) {
  Expect<float>(Op("ReduceMean", {kX}, {}, 18), {1, 1}, {3.5f});
  Expect<float>(Op("ReduceMax", {kX}, {AttrInt("keepdims", 0)}, 18), {}, {6});
}

TEST(Reduce, IntegerTypes) {
  Expect<int32_t>(Op("ReduceSum", {T_<int32_t>({2, 2}, {1, 2, 3, 4}), T_<int64_t>({1}, {0})}), {1, 2}, {4, 6});
  Expect<int64_t>(Op("ReduceMean", {T_<int64_t>({3}, {1, 2, 4})}, {AttrInt("keepdims", 0)}), {}, {2});
  Expect<int64_t>(Op("ReduceMin", {T_<int64_t>({3}, {7, -2, 4})}, {AttrInt("keepdims", 0)}), {}, {-2});
  Expect<int32_t>(Op("ReduceProd", {T_<int32_t>({3}, {2, -3, 4})}), {1}, {-24});
}

TEST(Reduce, ArgMaxArgMin) {
  Tensor x = T_<float>({2, 3}, {1, 3, 3, 5, 2, 5});
  Expect<int64_t>(Op("ArgMax", {x}), {1, 3}, {1, 0, 1});
  Expect<int64_t>(Op("ArgMax", {x}, {AttrInt("axis", 1), AttrInt("keepdims", 0)}), {2}, {1, 0});
  Expect<int64_t>(Op("ArgMax", {x}, {AttrInt("axis", 1), AttrInt("keepdims", 0), AttrInt("select_last_index", 1)}),
                  {2}, {2, 2});
  Expect<int64_t>(Op("ArgMin", {x}, {AttrInt("axis", -1)}), {2, 1}, {0, 1});
  Expect<int64_t>(Op("ArgMin", {T_<int32_t>({4}, {3, 1, 4, 1})}, {AttrInt("select_last_index", 1)}), {1}, {3});
}

TEST(Reduce, Errors) {
  EXPECT_FALSE(Op("ReduceSum", {kX, T_<int64_t>({1}, {2})}).ok());          // axis out of range
  EXPECT_FALSE(Op("ReduceSum", {kX, T_<int64_t>({2}, {1, -1})}).ok());      // repeated axis
  EXPECT_FALSE(Op("ReduceMean", {kX}, {AttrInts("axes", {3})}).ok());
  EXPECT_FALSE(Op("ArgMax", {kX}, {AttrInt("axis", 2)}).ok());
}

}  // namespace
}  // namespace pl::test
