// What keeps a oneDNN region's per-predictor workspace small, each checked for both results
// (against cpu_ref without optimizations) and bytes (MemoryStats::workspace_bytes):
//  * a 1x1 Conv followed by a depthwise 3x3 Conv runs as one primitive (depthwise post-op): the
//    1x1 output is never stored whole;
//  * nearest upsampling feeding a channel Concat writes straight into the Concat's output, and an
//    upsample followed by an Add (a feature pyramid's lateral) adds in the same pass;
//  * x + x * s runs as x * (s + 1) in place over x;
//  * a kernel == stride ConvTranspose on a big map works through a bounded temporary.
#include <cstdlib>

#include "ops/onednn_test_util.h"

namespace pl::test {
namespace {

#ifdef PL_WITH_ONEDNN

Tensor Named(Tensor t, const std::string& name) {
  t.set_name(name);
  return t;
}

struct Net {
  std::vector<NodeSpec> nodes;
  std::vector<Tensor> weights;
  uint32_t seed = 700;
  // Small weights keep deep sums well scaled (the tolerance is relative to each value).
  std::string Param(const std::string& name, const Shape& s, float lo = -0.2f, float hi = 0.2f) {
    weights.push_back(Named(Random(s, seed++, lo, hi), name));
    return name;
  }
  void Node(const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
            std::vector<onnx::AttributeProto> attrs = {}) {
    nodes.push_back({op, "", std::move(in), std::move(out), std::move(attrs)});
  }
  std::string Upsample(const std::string& x, float factor, const std::string& out, bool half_pixel) {
    const std::string scales = out + "_scales";
    weights.push_back(Named(T_<float>({4}, {1, 1, factor, factor}), scales));
    weights.push_back(Named(T_<float>({0}, {}), out + "_roi"));
    std::vector<onnx::AttributeProto> attrs = {AttrString("mode", "nearest")};
    if (!half_pixel) {
      attrs.push_back(AttrString("coordinate_transformation_mode", "asymmetric"));
      attrs.push_back(AttrString("nearest_mode", "floor"));
    }
    Node("Resize", {x, out + "_roi", scales}, {out}, attrs);
    return out;
  }
  std::string Build(const Shape& x_shape, const std::vector<std::string>& outputs) {
    return BuildModel(nodes, {Named(Random(x_shape, 699), "x")}, weights, outputs, 14);
  }
};

Tensor Input(const Shape& s) { return Named(Random(s, 698, -1.f, 1.f), "x"); }

struct Result {
  Tensor y;
  MemoryStats memory;
};

StatusOr<Result> Run(const Config& config, const Tensor& x) {
  PL_ASSIGN_OR_RETURN(auto p, CreatePredictor(config));
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(p->Run({x}, &out));
  return Result{out[0], p->Memory()};
}

// Runs `model` on the default backends (with "onednn.dw_fusion" = `dw_fusion` unless empty) and
// on cpu_ref without optimizations; outputs must agree.
Result CheckAgainstReference(const std::string& model, const Tensor& x, const std::string& what,
                             const std::string& dw_fusion = "") {
  Config ref_cfg, cfg;
  ref_cfg.SetModelBuffer(model);
  ref_cfg.SetBackends({kBackendCpuRef});
  ref_cfg.SwitchOptimizations(false);
  cfg.SetModelBuffer(model);
  if (!dw_fusion.empty()) cfg.SetBackendOption("onednn.dw_fusion", dw_fusion);
  auto ref = Run(ref_cfg, x);
  EXPECT_TRUE(ref.ok()) << what << ": " << ref.status().ToString();
  auto got = Run(cfg, x);
  EXPECT_TRUE(got.ok()) << what << ": " << got.status().ToString();
  if (!ref.ok() || !got.ok()) return {};
  ExpectClose(ref->y, got->y, 1e-4f, 1e-3f, what);
  return *got;
}

size_t Floats(const Shape& s) { return static_cast<size_t>(ShapeNumElements(s)) * sizeof(float); }

TEST(OneDnnMemory, PointwiseThenDepthwiseNeverStoresThePointwiseOutput) {
  // x [N,16,H,W] -> 1x1 (16->32) + HardSwish -> dw 3x3 stride s (+ bias or not) + HardSwish.
  // By default oneDNN's fused kernel runs where it has one (it decides by its own heuristics)
  // and row bands elsewhere; "bands" forces the banded form (several bands, a shorter last one,
  // two images) so it is covered on every CPU.
  for (const char* mode : {"auto", "bands"})
    for (int stride : {1, 2})
      for (bool dw_bias : {true, false}) {
        Net n;
        n.Node("Conv", {"x", n.Param("w1", {32, 16, 1, 1}), n.Param("b1", {32})}, {"p"});
        n.Node("HardSwish", {"p"}, {"ph"});
        std::vector<std::string> dw_in = {"ph", n.Param("w2", {32, 1, 3, 3})};
        if (dw_bias) dw_in.push_back(n.Param("b2", {32}));
        n.Node("Conv", dw_in, {"d"}, {AttrInt("group", 32), AttrInts("pads", {1, 1, 1, 1}), AttrInts("strides", {stride, stride})});
        n.Node("HardSwish", {"d"}, {"y"});
        for (const Shape& s : {Shape{1, 16, 320, 320}, Shape{2, 16, 90, 520}}) {
          const std::string what =
              std::string(mode) + " stride " + std::to_string(stride) + (dw_bias ? " bias " : " ") + ShapeToString(s);
          Result r = CheckAgainstReference(n.Build(s, {"y"}), Input(s), what, mode);
          // The input (reordered to the kernels' layout) and the output; not the 1x1 result,
          // which alone is twice the input.
          const Shape pointwise = {s[0], 32, s[2], s[3]};
          const Shape out = {s[0], 32, (s[2] + stride - 1) / stride, (s[3] + stride - 1) / stride};
          EXPECT_LT(r.memory.workspace_bytes, Floats(s) + Floats(out) + Floats(pointwise) / 4) << what;
        }
      }
}

TEST(OneDnnMemory, UpsampledMapsAreWrittenIntoTheirConcat) {
  // Three pyramid levels from strided convs (channels-last inside the region), lateral adds of
  // upsampled coarser levels, then Concat(up4(c3), up2(c2), c1) -> 3x3 conv.
  for (bool half_pixel : {false, true}) {
    Net n;
    const auto pad1 = AttrInts("pads", {1, 1, 1, 1});
    n.Node("Conv", {"x", n.Param("w1", {24, 8, 3, 3})}, {"c1"}, {pad1, AttrInts("strides", {2, 2})});
    n.Node("Conv", {"c1", n.Param("w2", {24, 24, 3, 3})}, {"c2"}, {pad1, AttrInts("strides", {2, 2})});
    n.Node("Conv", {"c2", n.Param("w3", {24, 24, 3, 3})}, {"c3"}, {pad1, AttrInts("strides", {2, 2})});
    n.Upsample("c3", 2, "u3", half_pixel);
    n.Node("Add", {"c2", "u3"}, {"l2"});
    n.Upsample("l2", 2, "u2", half_pixel);
    n.Node("Add", {"u2", "c1"}, {"l1"});  // the upsampled map first this time
    n.Upsample("c3", 4, "cat0", half_pixel);
    n.Upsample("l2", 2, "cat1", half_pixel);
    n.Node("Concat", {"cat0", "cat1", "l1"}, {"cat"}, {AttrInt("axis", 1)});
    n.Node("Conv", {"cat", n.Param("w4", {4, 72, 3, 3})}, {"y"}, {pad1});
    for (const Shape& s : {Shape{1, 8, 128, 128}, Shape{2, 8, 64, 96}}) {
      const std::string what = std::string(half_pixel ? "half_pixel " : "asymmetric ") + ShapeToString(s);
      Result r = CheckAgainstReference(n.Build(s, {"y"}), Input(s), what);
      // At the Concat: its output (3 maps of [N,24,H/2,W/2]) and l1, copied in; stored apart, the
      // two upsampled inputs would add two more.
      const Shape level1 = {s[0], 24, s[2] / 2, s[3] / 2};
      EXPECT_LT(r.memory.workspace_bytes, 5 * Floats(level1)) << what;
    }
  }
}

TEST(OneDnnMemory, ConcatWithDynamicChannelsStillRuns) {
  // The Concat's second input has no static channel count (it comes out of a Reshape whose
  // target is computed), so nothing is written in place; results must not change.
  Net n;
  n.Node("Conv", {"x", n.Param("w1", {16, 8, 1, 1})}, {"c1"});
  n.Upsample("c1", 2, "u1", false);
  n.Node("Shape", {"u1"}, {"shp"});
  n.Node("Reshape", {"u1", "shp"}, {"r1"});
  n.Node("Concat", {"u1", "r1"}, {"y"}, {AttrInt("axis", 1)});
  const Shape s = {1, 8, 20, 24};
  CheckAgainstReference(n.Build(s, {"y"}), Input(s), "dynamic concat");
}

TEST(OneDnnMemory, ResidualScaleRunsInPlace) {
  // y = x + x * HardSigmoid(conv(gap(x))) on a big map: with x read once the product overwrites
  // x, so the workspace holds about one map, not three.
  Net n;
  n.Node("Conv", {"x", n.Param("w0", {32, 8, 1, 1})}, {"m"});
  n.Node("GlobalAveragePool", {"m"}, {"g"});
  n.Node("Conv", {"g", n.Param("w1", {32, 32, 1, 1}), n.Param("b1", {32})}, {"gc"});
  n.Node("HardSigmoid", {"gc"}, {"s"}, {AttrFloat("alpha", 0.2f), AttrFloat("beta", 0.5f)});
  n.Node("Mul", {"m", "s"}, {"ms"});
  n.Node("Add", {"m", "ms"}, {"r"});
  n.Node("Conv", {"r", n.Param("w2", {8, 32, 1, 1})}, {"y"});
  const Shape s = {1, 8, 128, 128};
  Result r = CheckAgainstReference(n.Build(s, {"y"}), Input(s), "residual scale");
  EXPECT_LT(r.memory.workspace_bytes, 2 * Floats({1, 32, 128, 128}));
}

TEST(OneDnnMemory, BigConvTransposeWorksInChunks) {
  // A DB head: ConvTranspose 2x2/2 (24 -> 24) + BN + ReLU, then 2x2/2 (24 -> 1) + Sigmoid, on maps
  // big enough that the wide form runs in several chunks plus a shorter last one.
  Net n;
  n.Node("ConvTranspose", {"x", n.Param("wt1", {24, 24, 2, 2}), n.Param("bt1", {24})}, {"t1"}, {AttrInts("strides", {2, 2})});
  n.Node("BatchNormalization", {"t1", n.Param("g", {24}, 0.5f, 1.5f), n.Param("be", {24}), n.Param("mu", {24}), n.Param("var", {24}, 0.5f, 1.5f)}, {"bn"});
  n.Node("Relu", {"bn"}, {"r"});
  n.Node("ConvTranspose", {"r", n.Param("wt2", {24, 1, 2, 2})}, {"t2"}, {AttrInts("strides", {2, 2})});
  n.Node("Sigmoid", {"t2"}, {"y"});
  for (const Shape& s : {Shape{1, 24, 96, 80}, Shape{2, 24, 37, 64}}) {
    Result r = CheckAgainstReference(n.Build(s, {"y"}), Input(s), "conv transpose " + ShapeToString(s));
    // The first ConvTranspose's output (4x the input) plus at most a bounded temporary.
    const Shape t1 = {s[0], 24, 2 * s[2], 2 * s[3]};
    EXPECT_LT(r.memory.workspace_bytes, Floats(t1) + Floats(s) + (3u << 20)) << ShapeToString(s);
  }
}

#endif  // PL_WITH_ONEDNN (tests/CMakeLists.txt builds this file only with oneDNN)

}  // namespace
}  // namespace pl::test
