// oneDNN pooling, softmax, concat, reductions, normalizations, resize, MatMul and Gemm against the
// reference backend on random, odd-sized shapes.
#include "ops/onednn_test_util.h"
#include "src/backends/cpu/onednn/op.h"

namespace pl::test {
namespace {

#ifdef PL_WITH_ONEDNN

OpCase One(const std::string& op, std::vector<Tensor> inputs, std::vector<onnx::AttributeProto> attrs = {}, int opset = 13,
           std::vector<int> consts = {}) {
  OpCase c;
  c.op = op;
  c.inputs = std::move(inputs);
  c.attrs = std::move(attrs);
  c.opset = opset;
  c.const_inputs = std::move(consts);
  return c;
}

// One table: every op of the backend's table (op.cc) has its kernels registered, plain ONNX and
// fused domain, and the registry holds no oneDNN kernel the table does not know.
TEST(OneDnnTable, EveryRowIsRegisteredAndNothingElse) {
  const std::vector<std::string> ops = onednn::OpTypes();
  ASSERT_GT(ops.size(), 30u);
  const KernelRegistry& r = KernelRegistry::Global();
  for (const std::string& op : ops)
    for (const char* domain : {"", "pl.onednn"})
      EXPECT_FALSE(r.Find(domain, op, 13, kBackendOneDnn, DataType::kFloat32).empty()) << domain << "::" << op;
  for (const auto& e : r.Entries()) {
    if (e->def.backend() != kBackendOneDnn || e->def.op_type() == "OneDnnRegion") continue;
    EXPECT_TRUE(onednn::IsKnownOpType(e->def.op_type())) << e->def.op_type() << " is registered but not in the table";
  }
}

TEST(OneDnnPool, MaxAndAverage) {
  const Tensor x = Random({2, 5, 13, 11}, 300);
  CompareWithRef(One("MaxPool", {x}, {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 1, 1})}, 12));
  CompareWithRef(One("MaxPool", {x}, {AttrInts("kernel_shape", {3, 2}), AttrInts("strides", {2, 2}), AttrInt("ceil_mode", 1)}, 12));
  CompareWithRef(One("MaxPool", {x}, {AttrInts("kernel_shape", {2, 2}), AttrInts("dilations", {2, 2})}, 12));
  CompareWithRef(One("AveragePool", {x}, {AttrInts("kernel_shape", {3, 3}), AttrInts("pads", {1, 1, 1, 1})}, 11));
  CompareWithRef(One("AveragePool", {x},
                     {AttrInts("kernel_shape", {3, 3}), AttrInts("pads", {1, 1, 1, 1}), AttrInt("count_include_pad", 1)}, 11));
  CompareWithRef(One("AveragePool", {x}, {AttrInts("kernel_shape", {3, 2}), AttrInts("strides", {3, 2})}, 11));
  CompareWithRef(One("AveragePool", {x}, {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInt("ceil_mode", 1)}, 11));
  CompareWithRef(One("MaxPool", {x}, {AttrInts("kernel_shape", {3, 3}), AttrString("auto_pad", "SAME_UPPER"), AttrInts("strides", {2, 2})}, 11));
  CompareWithRef(One("GlobalAveragePool", {x}));
  CompareWithRef(One("GlobalMaxPool", {x}));
  CompareWithRef(One("GlobalAveragePool", {Random({1, 7, 9}, 301)}));
}

TEST(OneDnnPool, IndicesOutputFallsBack) {
  OpCase c = One("MaxPool", {Random({1, 2, 4, 4}, 302)}, {AttrInts("kernel_shape", {2, 2})}, 12);
  c.num_outputs = 2;
  ExpectFallback(c);
}

TEST(OneDnnSoftmax, AxisSemanticsOfBothOpsets) {
  const Tensor x = Random({2, 3, 5, 7}, 310, -4.f, 4.f);
  CompareWithRef(One("Softmax", {x}, {AttrInt("axis", 1)}, 13));
  CompareWithRef(One("Softmax", {x}, {}, 13));
  CompareWithRef(One("Softmax", {x}, {AttrInt("axis", 1)}, 11));  // flattened to 2-D at axis 1
  CompareWithRef(One("Softmax", {x}, {AttrInt("axis", 2)}, 9));
  CompareWithRef(One("LogSoftmax", {x}, {AttrInt("axis", -1)}, 13));
}

TEST(OneDnnConcat, Axes) {
  CompareWithRef(One("Concat", {Random({2, 3, 5}, 320), Random({2, 4, 5}, 321), Random({2, 1, 5}, 322)}, {AttrInt("axis", 1)}));
  CompareWithRef(One("Concat", {Random({2, 3, 5}, 323), Random({2, 3, 2}, 324)}, {AttrInt("axis", -1)}));
  CompareWithRef(One("Concat", {Random({1, 24, 9, 7}, 325), Random({1, 24, 9, 7}, 326)}, {AttrInt("axis", 1)}));
}

TEST(OneDnnReduce, OpsAxesKeepdims) {
  const Tensor x = Random({3, 4, 5, 6}, 330, 0.2f, 1.2f);
  for (const char* op : {"ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                         "ReduceSumSquare"}) {
    CompareWithRef(One(op, {x}, {AttrInts("axes", {-1})}, 11));
    CompareWithRef(One(op, {x}, {AttrInts("axes", {1, 2}), AttrInt("keepdims", 0)}, 11));
    CompareWithRef(One(op, {x}, {}, 11));
  }
  // ReduceSum-13 takes axes as an input.
  CompareWithRef(One("ReduceSum", {x, T_<int64_t>({1}, {2})}, {}, 13, {1}));
}

TEST(OneDnnNorm, BatchNormalization) {
  const int64_t c = 7;
  CompareWithRef(One("BatchNormalization",
                     {Random({2, c, 5, 3}, 340), Random({c}, 341), Random({c}, 342), Random({c}, 343), Random({c}, 344, 0.1f, 2.f)},
                     {AttrFloat("epsilon", 1e-3f)}, 9, {1, 2, 3, 4}));
}

TEST(OneDnnNorm, LayerNormalization) {
  CompareWithRef(One("LayerNormalization", {Random({2, 5, 24}, 350), Random({24}, 351), Random({24}, 352)},
                     {AttrFloat("epsilon", 1e-5f)}, 17, {1, 2}));
  CompareWithRef(One("LayerNormalization", {Random({3, 4, 5}, 353), Random({4, 5}, 354)}, {AttrInt("axis", 1)}, 17, {1}));
}

TEST(OneDnnResize, NearestAndLinear) {
  const Tensor x = Random({1, 3, 5, 7}, 360);
  const Tensor roi = T_<float>({0}, {});
  // PaddleOCR's FPN: nearest, asymmetric, floor, x2.
  CompareWithRef(One("Resize", {x, roi, T_<float>({4}, {1, 1, 2, 2})},
                     {AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "asymmetric"),
                      AttrString("nearest_mode", "floor")},
                     11, {1, 2}));
  // Non-integer factors and other modes take the plain path when oneDNN's mapping differs.
  CompareWithRef(One("Resize", {x, roi, T_<float>({4}, {1, 1, 1.5f, 0.6f})}, {AttrString("mode", "nearest")}, 13, {1, 2}));
  CompareWithRef(One("Resize", {x, roi, T_<float>({4}, {1, 1, 2, 3})}, {AttrString("mode", "linear")}, 13, {1, 2}));
  CompareWithRef(One("Resize", {x, roi, T_<float>({4}, {1, 1, 1.7f, 0.5f})},
                     {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "align_corners")}, 13, {1, 2}));
  CompareWithRef(One("Resize", {x, roi, T_<float>({0}, {}), T_<int64_t>({4}, {1, 3, 9, 4})},
                     {AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "half_pixel"),
                      AttrString("nearest_mode", "round_prefer_ceil")},
                     13, {1, 2, 3}));
  CompareWithRef(One("Upsample", {x, T_<float>({4}, {1, 1, 2, 2})}, {AttrString("mode", "nearest")}, 9, {1}));
}

TEST(OneDnnMatMul, ShapesAndBroadcast) {
  CompareWithRef(One("MatMul", {Random({5, 7}, 370), Random({7, 3}, 371)}));
  CompareWithRef(One("MatMul", {Random({2, 5, 7}, 372), Random({7, 9}, 373)}, {}, 13, {1}));  // packed constant B
  CompareWithRef(One("MatMul", {Random({2, 3, 5, 7}, 374), Random({1, 3, 7, 4}, 375)}));
  CompareWithRef(One("MatMul", {Random({7}, 376), Random({2, 7, 3}, 377)}));
  CompareWithRef(One("MatMul", {Random({4, 7}, 378), Random({7}, 379)}));
  CompareWithRef(One("MatMul", {Random({40, 120}, 380), Random({120, 6625}, 381)}, {}, 13, {1}));
}

TEST(OneDnnGemm, TransposesAlphaBetaC) {
  CompareWithRef(One("Gemm", {Random({5, 7}, 390), Random({7, 3}, 391)}, {}, 13, {1}));
  CompareWithRef(One("Gemm", {Random({7, 5}, 392), Random({3, 7}, 393), Random({3}, 394)},
                     {AttrInt("transA", 1), AttrInt("transB", 1), AttrFloat("alpha", 0.5f), AttrFloat("beta", 2.f)}, 13, {1, 2}));
  CompareWithRef(One("Gemm", {Random({5, 7}, 395), Random({7, 3}, 396), Random({5, 1}, 397)}, {AttrFloat("beta", 0.3f)}, 13, {1, 2}));
  CompareWithRef(One("Gemm", {Random({5, 7}, 398), Random({7, 3}, 399), Random({5, 3}, 400)}, {}, 13));
}

#endif  // PL_WITH_ONEDNN

}  // namespace
}  // namespace pl::test
