// oneDNN regions and fused post-ops end to end: a small PaddleOCR-like network (conv + BN,
// Paddle's affine and HardSwish spellings, squeeze-excite with a residual add, FPN-style resize +
// add + concat, a stride-2 ConvTranspose head) with every optimization on must match cpu_ref with
// none; clones share the prepared weights and give bit-identical outputs from two threads.
#include <cmath>
#include <cstring>
#include <thread>

#include "ops/onednn_test_util.h"
#include "src/ir/passes/passes.h"

namespace pl::test {
namespace {

#ifdef PL_WITH_ONEDNN

Tensor Named(Tensor t, const std::string& name) {
  t.set_name(name);
  return t;
}

std::string TinyDet(const Shape& x_shape = {1, 3, 32, 48}, int opset = 11) {
  std::vector<Tensor> w;
  uint32_t seed = 500;
  auto param = [&](const std::string& name, const Shape& s, float lo = -0.5f, float hi = 0.5f) {
    w.push_back(Named(Random(s, seed++, lo, hi), name));
    return name;
  };
  auto scalar = [&](const std::string& name, float v) {
    w.push_back(Named(T_<float>({1}, {v}), name));
    return name;
  };
  std::vector<NodeSpec> n;
  auto node = [&](const std::string& op, std::vector<std::string> in, std::vector<std::string> out,
                  std::vector<onnx::AttributeProto> attrs = {}) { n.push_back({op, "", std::move(in), std::move(out), std::move(attrs)}); };
  const auto pad1 = AttrInts("pads", {1, 1, 1, 1});
  // stem: conv + BN + Paddle's learnable affine + x*clip(x+3,0,6)/6
  node("Conv", {"x", param("w0", {16, 3, 3, 3}), param("b0", {16})}, {"c0"}, {pad1, AttrInts("strides", {2, 2})});
  node("BatchNormalization", {"c0", param("g0", {16}, 0.5f, 1.5f), param("be0", {16}), param("m0", {16}), param("v0", {16}, 0.5f, 1.5f)}, {"bn0"});
  node("Mul", {scalar("s0", 0.9f), "bn0"}, {"a0"});
  node("Add", {"a0", scalar("t0", 0.05f)}, {"a1"});
  node("Add", {"a1", scalar("three", 3.f)}, {"h0"});
  node("Clip", {"h0", scalar("zero", 0.f), scalar("six", 6.f)}, {"h1"});
  node("Mul", {"a1", "h1"}, {"h2"});
  node("Div", {"h2", "six"}, {"hs0"});
  // depthwise + relu6 + pointwise + x * HardSigmoid(x)
  node("Conv", {"hs0", param("w1", {16, 1, 3, 3}), param("b1", {16})}, {"c1"}, {pad1, AttrInt("group", 16)});
  node("Clip", {"c1", "zero", "six"}, {"r1"});
  node("Conv", {"r1", param("w2", {24, 16, 1, 1})}, {"c2"});
  node("HardSigmoid", {"c2"}, {"hsg"}, {AttrFloat("alpha", 1.f / 6), AttrFloat("beta", 0.5f)});
  node("Mul", {"c2", "hsg"}, {"hs2"});
  // squeeze-excite with the residual: y = x + x * hsig(conv(relu(conv(gap(x)))))
  node("GlobalAveragePool", {"hs2"}, {"gap"});
  node("Conv", {"gap", param("w3", {6, 24, 1, 1}), param("b3", {6})}, {"c3"});
  node("Relu", {"c3"}, {"r3"});
  node("Conv", {"r3", param("w4", {24, 6, 1, 1}), param("b4", {24})}, {"c4"});
  node("HardSigmoid", {"c4"}, {"se"}, {AttrFloat("alpha", 0.2f), AttrFloat("beta", 0.5f)});
  node("Mul", {"hs2", "se"}, {"sem"});
  node("Add", {"hs2", "sem"}, {"res"});
  // a coarser branch, upsampled and added back (FPN), then concat
  node("Conv", {"res", param("w5", {24, 24, 3, 3})}, {"c5"}, {pad1, AttrInts("strides", {2, 2})});
  node("Resize", {"c5", param("roi", {0}), param("scales", {4})}, {"up"},
       {AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "asymmetric"), AttrString("nearest_mode", "floor")});
  w.back() = Named(T_<float>({4}, {1, 1, 2, 2}), "scales");
  node("Add", {"res", "up"}, {"fpn"});
  node("Concat", {"fpn", "res"}, {"cat"}, {AttrInt("axis", 1)});
  node("Conv", {"cat", param("w6", {8, 48, 3, 3})}, {"c6"}, {pad1});
  node("BatchNormalization", {"c6", param("g6", {8}, 0.5f, 1.5f), param("be6", {8}), param("m6", {8}), param("v6", {8}, 0.5f, 1.5f)}, {"bn6"});
  node("Relu", {"bn6"}, {"r6"});
  // DB head: ConvTranspose 2x2/2, bias as a separate Add, sigmoid
  node("ConvTranspose", {"r6", param("wt", {8, 1, 2, 2})}, {"ct"}, {AttrInts("strides", {2, 2})});
  node("Add", {"ct", param("bt", {1, 1, 1, 1})}, {"ctb"});
  node("Sigmoid", {"ctb"}, {"y"});
  Tensor x = Named(Random(x_shape, 499), "x");
  return BuildModel(n, {x}, w, {"y"}, opset);
}

Tensor Input(const Shape& s) { return Named(Random(s, 498, -1.f, 1.f), "x"); }

StatusOr<Tensor> RunModel(const Config& config, const Tensor& x) {
  PL_ASSIGN_OR_RETURN(auto p, CreatePredictor(config));
  std::vector<Tensor> out;
  PL_RETURN_IF_ERROR(p->Run({x}, &out));
  return out[0];
}

TEST(OneDnnRegion, TinyDetMatchesReference) {
  for (const Shape& s : {Shape{1, 3, 32, 48}, Shape{2, 3, 64, 32}}) {
    Config ref_cfg, cfg;
    ref_cfg.SetModelBuffer(TinyDet(s));
    ref_cfg.SetBackends({kBackendCpuRef});
    ref_cfg.SwitchOptimizations(false);
    cfg.SetModelBuffer(TinyDet(s));
    auto ref = RunModel(ref_cfg, Input(s));
    ASSERT_TRUE(ref.ok()) << ref.status().ToString();
    auto got = RunModel(cfg, Input(s));
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ExpectClose(*ref, *got, 1e-4f, 1e-3f, "tiny det " + ShapeToString(s));
  }
  // Everything fuses into one region.
  Config cfg;
  cfg.SetModelBuffer(TinyDet());
  auto p = CreatePredictor(cfg);
  ASSERT_TRUE(p.ok());
  auto hist = (*p)->compiled_model().BackendHistogram();
  EXPECT_EQ(hist[kBackendOneDnn], 1);
  EXPECT_EQ(hist[kBackendCpuRef], 0);
}

TEST(OneDnnRegion, EachPassOffStillMatches) {
  Config ref_cfg;
  ref_cfg.SetModelBuffer(TinyDet());
  ref_cfg.SetBackends({kBackendCpuRef});
  ref_cfg.SwitchOptimizations(false);
  const Tensor x = Input({1, 3, 32, 48});
  auto ref = RunModel(ref_cfg, x);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  for (const std::string& pass : ir::PassNames()) {
    Config cfg;
    cfg.SetModelBuffer(TinyDet());
    cfg.DisablePass(pass);
    auto got = RunModel(cfg, x);
    ASSERT_TRUE(got.ok()) << pass << ": " << got.status().ToString();
    ExpectClose(*ref, *got, 1e-4f, 1e-3f, "without " + pass);
  }
  // All passes on, reference backend only (fusions that need oneDNN stay off by themselves).
  Config cpu;
  cpu.SetModelBuffer(TinyDet());
  cpu.SetBackends({kBackendCpuRef});
  auto got = RunModel(cpu, x);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ExpectClose(*ref, *got, 1e-4f, 1e-3f, "cpu_ref with passes");
}

// The planner fuses a residual Add into its producer once shapes are known; when the other operand
// broadcasts the sum bigger than the producer's output it must plan them apart.
TEST(OneDnnRegion, PlanTimeFusionChecksShapes) {
  for (const Shape& ys : {Shape{1, 3, 4, 5}, Shape{2, 3, 4, 5}, Shape{3, 1, 5}}) {
    Tensor x = Named(Random({1, 3, 4, 5}, 600), "x");
    Tensor y = Named(Random(ys, 601), "y");
    if (ys.size() == 3) x = Named(Random({1, 3, 1, 5}, 602), "x");
    const std::string model = BuildModel({NodeSpec{"Relu", "", {"x"}, {"r"}, {}}, NodeSpec{"Add", "", {"r", "y"}, {"z"}, {}},
                                          NodeSpec{"Tanh", "", {"z"}, {"out"}, {}}},
                                         {x, y}, {}, {"out"});
    Config ref_cfg, cfg;
    ref_cfg.SetModelBuffer(model);
    ref_cfg.SetBackends({kBackendCpuRef});
    ref_cfg.SwitchOptimizations(false);
    cfg.SetModelBuffer(model);
    auto p_ref = CreatePredictor(ref_cfg);
    auto p = CreatePredictor(cfg);
    ASSERT_TRUE(p_ref.ok() && p.ok());
    std::vector<Tensor> want, got;
    ASSERT_TRUE((*p_ref)->Run({x, y}, &want).ok());
    Status st = (*p)->Run({x, y}, &got);
    ASSERT_TRUE(st.ok()) << st.ToString();
    ExpectClose(want[0], got[0], 1e-5f, 1e-4f, "y " + ShapeToString(ys));
  }
}

TEST(OneDnnRegion, ClonesShareWeightsAndAgreeAcrossThreads) {
  Config cfg;
  cfg.SetModelBuffer(TinyDet({1, 3, 64, 96}));
  auto p = CreatePredictor(cfg);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto c = (*p)->Clone();
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // One compiled model: the same kernels, hence the same prepared (reordered) weight buffers.
  EXPECT_EQ((*p)->model_id(), (*c)->model_id());
  const auto& s1 = (*p)->compiled_model().main().steps;
  const auto& s2 = (*c)->compiled_model().main().steps;
  ASSERT_EQ(s1.size(), s2.size());
  size_t prepared = 0;
  for (size_t i = 0; i < s1.size(); ++i) {
    EXPECT_EQ(s1[i].kernel.get(), s2[i].kernel.get());
    prepared += s1[i].kernel->SharedBytes();
  }
  EXPECT_GT(prepared, 0u);
  EXPECT_GE((*p)->Memory().shared_bytes, prepared);

  const Tensor x = Input({1, 3, 64, 96});
  std::vector<Tensor> first;
  ASSERT_TRUE((*p)->Run({x}, &first).ok());
  std::vector<Tensor> out1, out2;
  Status st1, st2;
  auto loop = [&x](Predictor* pred, std::vector<Tensor>* out, Status* st) {
    for (int i = 0; i < 20 && st->ok(); ++i) *st = pred->Run({x}, out);
  };
  std::thread t1(loop, p->get(), &out1, &st1), t2(loop, c->get(), &out2, &st2);
  t1.join();
  t2.join();
  ASSERT_TRUE(st1.ok()) << st1.ToString();
  ASSERT_TRUE(st2.ok()) << st2.ToString();
  ASSERT_EQ(out1[0].ByteSize(), first[0].ByteSize());
  EXPECT_EQ(std::memcmp(out1[0].RawData(), first[0].RawData(), first[0].ByteSize()), 0);
  EXPECT_EQ(std::memcmp(out2[0].RawData(), first[0].RawData(), first[0].ByteSize()), 0);
}

// Profiling reaches inside a region: every primitive it runs is reported after the region's own
// entry, with the region as parent, and a convolution's arithmetic is counted from its shapes
// (the stem conv: [1,3,32,48] * [16,3,3,3] stride 2 pad 1 -> [1,16,16,24]).
TEST(OneDnnRegion, ProfileListsEachPrimitiveWithItsArithmetic) {
  Config cfg;
  cfg.SetModelBuffer(TinyDet());
  auto p = CreatePredictor(cfg);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  (*p)->EnableProfiling(true);
  ASSERT_TRUE((*p)->Run({Input({1, 3, 32, 48})}, &out).ok());
  const auto prof = (*p)->LastProfile();
  ASSERT_FALSE(prof.empty());
  std::string region;
  double region_ms = 0, inside_ms = 0;
  int inside = 0, convs = 0;
  bool stem = false, head = false;
  for (const auto& t : prof) {
    if (t.parent.empty()) {
      if (t.backend == kBackendOneDnn) region = t.node, region_ms = t.ms;
      continue;
    }
    EXPECT_EQ(t.parent, region) << "a primitive follows its region's own entry";
    EXPECT_GE(t.ms, 0.0);
    inside_ms += t.ms;
    ++inside;
    // The ConvTranspose head, whichever form runs it (a custom matmul + scatter, or a
    // deconvolution): [1,8,16,24] x [8,1,2,2] stride 2 is 16*24*8 multiply-adds per output tap.
    if (t.op.rfind("ConvTranspose:", 0) == 0 && t.op != "ConvTranspose:reorder")
      head |= std::abs(t.gflop - 2.0 * (16 * 24 * 8) * (1 * 2 * 2) / 1e9) < 1e-12;
    if (t.op.rfind("Conv:convolution", 0) == 0) {
      ++convs;
      EXPECT_GT(t.gflop, 0.0) << t.node;
      stem |= std::abs(t.gflop - 2.0 * (16 * 16 * 24) * (3 * 3 * 3) / 1e9) < 1e-12;
    }
  }
  EXPECT_FALSE(region.empty());
  EXPECT_GT(inside, 5);
  EXPECT_GE(convs, 3);
  EXPECT_TRUE(stem) << "the stem convolution's GFLOP";
  EXPECT_TRUE(head) << "the ConvTranspose head's GFLOP";
  EXPECT_LE(inside_ms, region_ms * 1.05 + 0.05) << "primitives are timed inside the region's own time";
  (*p)->EnableProfiling(false);
  ASSERT_TRUE((*p)->Run({Input({1, 3, 32, 48})}, &out).ok());
}

#endif  // PL_WITH_ONEDNN

}  // namespace
}  // namespace pl::test
