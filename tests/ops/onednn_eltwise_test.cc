// oneDNN element-wise and binary ops against the reference backend on random, odd-sized shapes.
#include "ops/onednn_test_util.h"

namespace pl::test {
namespace {

#ifdef PL_WITH_ONEDNN

OpCase Unary(const std::string& op, const Shape& shape, std::vector<onnx::AttributeProto> attrs = {}, int opset = 13,
             float lo = -3.f, float hi = 3.f) {
  OpCase c;
  c.op = op;
  c.inputs = {Random(shape, 100 + static_cast<uint32_t>(op.size()), lo, hi)};
  c.attrs = std::move(attrs);
  c.opset = opset;
  return c;
}

TEST(OneDnnEltwise, Activations) {
  const Shape s = {2, 3, 7, 5};
  CompareWithRef(Unary("Relu", s));
  CompareWithRef(Unary("LeakyRelu", s, {AttrFloat("alpha", 0.3f)}));
  CompareWithRef(Unary("Sigmoid", s));
  CompareWithRef(Unary("Tanh", s));
  CompareWithRef(Unary("HardSigmoid", s, {AttrFloat("alpha", 0.25f), AttrFloat("beta", 0.4f)}));
  CompareWithRef(Unary("HardSwish", s, {}, 14, -5.f, 5.f));
  CompareWithRef(Unary("Elu", s, {AttrFloat("alpha", 0.7f)}));
  CompareWithRef(Unary("Exp", s));
  CompareWithRef(Unary("Abs", s));
  CompareWithRef(Unary("Neg", s));
  CompareWithRef(Unary("Softplus", s));
  CompareWithRef(Unary("Sqrt", s, {}, 13, 0.01f, 4.f));
  CompareWithRef(Unary("Log", s, {}, 13, 0.01f, 4.f));
}

TEST(OneDnnEltwise, ClipBothOpsetForms) {
  CompareWithRef(Unary("Clip", {3, 17}, {AttrFloat("min", -0.5f), AttrFloat("max", 1.5f)}, 6));
  OpCase c = Unary("Clip", {3, 17});
  c.inputs.push_back(T_<float>({}, {-1.f}));
  c.inputs.push_back(T_<float>({}, {0.25f}));
  c.const_inputs = {1, 2};
  CompareWithRef(c);
  OpCase only_max = Unary("Clip", {5, 3});
  only_max.inputs.push_back(Tensor());  // min omitted
  only_max.inputs.push_back(T_<float>({}, {0.5f}));
  only_max.const_inputs = {2};
  CompareWithRef(only_max);
}

OpCase Binary(const std::string& op, const Shape& a, const Shape& b, std::vector<int> consts = {}) {
  OpCase c;
  c.op = op;
  c.inputs = {Random(a, 200, 0.5f, 2.f), Random(b, 201, 0.5f, 2.f)};
  c.const_inputs = std::move(consts);
  return c;
}

TEST(OneDnnBinary, SameShapeAndBroadcast) {
  for (const char* op : {"Add", "Sub", "Mul", "Div"}) {
    CompareWithRef(Binary(op, {2, 5, 7, 3}, {2, 5, 7, 3}));
    CompareWithRef(Binary(op, {2, 5, 7, 3}, {5, 1, 1}));      // per channel
    CompareWithRef(Binary(op, {2, 5, 7, 3}, {}));             // scalar
    CompareWithRef(Binary(op, {2, 5, 7, 3}, {1, 5, 1, 1}, {1}));  // constant per channel
    CompareWithRef(Binary(op, {5, 1, 1}, {2, 5, 7, 3}));      // first operand broadcast
    CompareWithRef(Binary(op, {3, 1, 4}, {1, 5, 1}));         // both broadcast
  }
}

TEST(OneDnnBinary, PowConstantExponent) {
  for (float e : {2.f, 0.5f, 3.f, 1.f}) {
    OpCase c = Binary("Pow", {3, 4, 5}, {});
    c.inputs[1] = T_<float>({}, {e});
    c.const_inputs = {1};
    CompareWithRef(c);
  }
  // A run-time exponent is not a oneDNN op: cpu_ref runs it.
  ExpectFallback(Binary("Pow", {3, 4}, {3, 4}));
}

TEST(OneDnnBinary, MismatchedShapesAreAnError) {
  std::string used;
  EXPECT_FALSE(RunCase(Binary("Add", {2, 3}, {4, 3}), {kBackendOneDnn}, &used).ok());
}

#endif  // PL_WITH_ONEDNN

}  // namespace
}  // namespace pl::test
