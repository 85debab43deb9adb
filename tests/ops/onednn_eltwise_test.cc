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

// A binary op with a fused binary post-op (Mul then Add, fused by the passes) on [N > 1, C, 1, 1]:
// oneDNN 2.6's jit binary kernel loses the channel of the post-op operand there (the SE-like
// rescale of a dynamically quantized ConvInteger output). Compared with cpu_ref without passes.
TEST(OneDnnBinary, BinaryPostOpOnBatchedVector) {
  for (const Shape& xs : {Shape{2, 3, 1, 1}, Shape{4, 16, 1, 1}, Shape{2, 5, 1}, Shape{2, 3, 2, 2}, Shape{1, 3, 1, 1}}) {
    for (const Shape& ss : {Shape{}, xs}) {
      Shape bs = xs;
      bs[0] = 1;
      Tensor x = Random(xs, 710, -2.f, 2.f), s = Random(ss, 711), bias = Random(bs, 712);
      x.set_name("x");
      s.set_name("s");
      bias.set_name("bias");
      const std::string model = BuildModel({NodeSpec{"Mul", "", {"x", "s"}, {"m"}, {}},
                                            NodeSpec{"Add", "", {"m", "bias"}, {"a"}, {}},
                                            NodeSpec{"Relu", "", {"a"}, {"y"}, {}}},
                                           {x, s}, {bias}, {"y"});
      Config ref_cfg, cfg;
      ref_cfg.SetModelBuffer(model);
      ref_cfg.SetBackends({kBackendCpuRef});
      ref_cfg.SwitchOptimizations(false);
      cfg.SetModelBuffer(model);
      cfg.SetBackends({kBackendOneDnn, kBackendCpuRef});
      auto p_ref = CreatePredictor(ref_cfg);
      auto p = CreatePredictor(cfg);
      ASSERT_TRUE(p_ref.ok() && p.ok());
      std::vector<Tensor> want, got;
      ASSERT_TRUE((*p_ref)->Run({x, s}, &want).ok());
      Status st = (*p)->Run({x, s}, &got);
      ASSERT_TRUE(st.ok()) << st.ToString();
      ExpectClose(want[0], got[0], 1e-5f, 1e-4f, "x " + ShapeToString(xs) + " s " + ShapeToString(ss));
    }
  }
}

#endif  // PL_WITH_ONEDNN

}  // namespace
}  // namespace pl::test
