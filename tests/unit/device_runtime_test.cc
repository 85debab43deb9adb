// The device-generic runtime, tested without a GPU: a simulated device backend ("sim") whose
// memory is host memory the test tracks, whose kernels refuse any tensor not in that memory
// (except the inputs they declare HostInput), and whose per-predictor resources are a fake
// stream. Everything the CUDA backend relies on is exercised here: copy insertion both ways,
// host inputs, metadata-only inputs, weights uploaded once and shared by clones, per-clone
// resources, run-time declines falling back to cpu_ref through the host, device inputs passed
// in place, poisoning of one predictor, control flow, and the PredictorPool. Results must be
// bit-identical to cpu_ref (the sim kernels run cpu_ref's code on device memory).
#include "unit/sim_device.h"

namespace pl {
namespace {

class DeviceRuntime : public ::testing::Test {
 protected:
  void SetUp() override {
    RegisterSim();
    Stats().device_count = 2;
  }
  Tensor X() {
    Tensor x = T_<float>({1, 3, 8, 8}, Ramp(192, 0.37f, 0.1f));
    x.set_name("x");
    return x;
  }
};

TEST_F(DeviceRuntime, CopiesAreInsertedWhereValuesCrossDevicesAndResultsMatchCpuRef) {
  const std::string model = MixedModel();
  auto ref = CreatePredictor(RefConfig(model));
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  auto sim = CreatePredictor(SimConfig(model));
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  (*sim)->EnableProfiling(true);
  auto want = RunOrDie(ref->get(), {X()});
  auto got = RunOrDie(sim->get(), {X()});
  ExpectBitIdentical(got, want);
  // Second run: planned arenas on both sides.
  got = RunOrDie(sim->get(), {X()});
  ExpectBitIdentical(got, want);
  int to_device = 0, to_host = 0, sim_steps = 0;
  for (const auto& e : (*sim)->LastProfile()) {
    to_device += e.op == "MemcpyToDevice";
    to_host += e.op == "MemcpyToHost";
    sim_steps += e.backend == "sim";
  }
  // x in; Relu's output out to Erf and Erf's back in; y out. Shape reads metadata only, the
  // Reshape shape stays on the host, the weights were uploaded at compile time.
  EXPECT_EQ(to_device, 2);
  EXPECT_EQ(to_host, 2);
  EXPECT_GE(sim_steps, 4);
  EXPECT_GT((*sim)->Memory().device_private_bytes, 0u);
}

TEST_F(DeviceRuntime, WeightsAreUploadedOnceAndSharedByClones) {
  const std::string model = MixedModel();
  const int64_t uploads0 = Stats().upload_bytes.load();
  auto base = CreatePredictor(SimConfig(model));
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  const int64_t uploaded = Stats().upload_bytes.load() - uploads0;
  // w (108 floats), b (4), two (1); the Reshape shape stays on the host.
  EXPECT_EQ(uploaded, static_cast<int64_t>((108 + 4 + 1) * sizeof(float)));
  auto want = RunOrDie(base->get(), {X()});
  std::vector<std::unique_ptr<Predictor>> clones;
  for (int i = 0; i < 3; ++i) {
    auto c = (*base)->Clone();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ExpectBitIdentical(RunOrDie(c->get(), {X()}), want);
    clones.push_back(std::move(c).value());
  }
  EXPECT_EQ(Stats().upload_bytes.load() - uploads0, uploaded) << "a clone uploaded weights again";
  for (auto& c : clones) {
    EXPECT_EQ(c->Memory().device_shared_bytes, (*base)->Memory().device_shared_bytes);
    EXPECT_EQ(c->Memory().device_shared_bytes, static_cast<size_t>(uploaded));
    EXPECT_EQ(c->Memory().device_private_bytes, (*base)->Memory().device_private_bytes);
  }
}

TEST_F(DeviceRuntime, EachCloneHasItsOwnResourcesAndRunsConcurrently) {
  const std::string model = MixedModel();
  auto base = CreatePredictor(SimConfig(model));
  ASSERT_TRUE(base.ok());
  auto want = RunOrDie(base->get(), {X()});
  std::vector<std::unique_ptr<Predictor>> preds;
  for (int i = 0; i < 4; ++i) preds.push_back(std::move((*base)->Clone()).value());
  {
    std::lock_guard<std::mutex> l(g_seen_mu);
    g_seen_resources.clear();
  }
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int k = 0; k < 20; ++k) {
        std::vector<Tensor> out;
        if (!preds[t]->Run({X()}, &out).ok() || out.size() != want.size() ||
            std::memcmp(out[0].RawData(), want[0].RawData(), want[0].ByteSize()) != 0)
          bad++;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  std::lock_guard<std::mutex> l(g_seen_mu);
  EXPECT_EQ(g_seen_resources.size(), 4u) << "clones must not share a stream";
}

TEST_F(DeviceRuntime, RunTimeDeclineFallsBackToCpuRefThroughTheHost) {
  // Softmax on a rank-3 input: the sim kernel declines at run time; cpu_ref runs it on host
  // copies and the result goes back to the device for the Relu after it.
  Tensor x = T_<float>({2, 3, 4}, Ramp(24, 0.5f, 0.f));
  x.set_name("x");
  std::vector<NodeSpec> nodes = {{"Relu", "", {"x"}, {"a"}, {}},
                                 {"Softmax", "", {"a"}, {"s"}, {AttrInt("axis", 2)}},
                                 {"Relu", "", {"s"}, {"y"}, {}}};
  const std::string model = BuildModel(nodes, {x}, {}, {"y"});
  auto ref = CreatePredictor(RefConfig(model));
  auto sim = CreatePredictor(SimConfig(model));
  ASSERT_TRUE(ref.ok() && sim.ok());
  auto want = RunOrDie(ref->get(), {x});
  for (int i = 0; i < 3; ++i) ExpectBitIdentical(RunOrDie(sim->get(), {x}), want);
}

TEST_F(DeviceRuntime, DataMovementKernelsServeADeviceThroughItsStridedCopy) {
  // cpu_ref's Slice (negative step, host bounds) and Reshape run on the device as they are: the
  // bytes move with DeviceBackend::CopyStrided / CopyOnDevice.
  Tensor x = T_<float>({2, 6, 5}, Ramp(60, 0.3f, 0.f));
  x.set_name("x");
  Tensor starts = T_<int64_t>({2}, {5, 1}), ends = T_<int64_t>({2}, {-100, 5}), axes = T_<int64_t>({2}, {1, 2}),
         steps = T_<int64_t>({2}, {-2, 3});
  starts.set_name("starts");
  ends.set_name("ends");
  axes.set_name("axes");
  steps.set_name("steps");
  Tensor shape = T_<int64_t>({2}, {-1, 2});
  shape.set_name("shape");
  Tensor split = T_<int64_t>({2}, {1, 1}), expand = T_<int64_t>({3}, {3, 1, 1}), reps = T_<int64_t>({3}, {1, 2, 1});
  split.set_name("split");
  expand.set_name("expand");
  reps.set_name("reps");
  Tensor x4 = T_<float>({1, 8, 2, 3}, Ramp(48, 0.7f, 0.f));
  x4.set_name("x4");
  std::vector<NodeSpec> nodes = {{"Relu", "", {"x"}, {"a"}, {}},
                                 {"Slice", "", {"a", "starts", "ends", "axes", "steps"}, {"s"}, {}},
                                 {"Reshape", "", {"s", "shape"}, {"r"}, {}},
                                 {"Relu", "", {"r"}, {"y"}, {}},
                                 {"Split", "", {"a", "split"}, {"p0", "p1"}, {AttrInt("axis", 0)}},
                                 {"Expand", "", {"p1", "expand"}, {"e"}, {}},
                                 {"Tile", "", {"p0", "reps", }, {"t"}, {}},
                                 {"Relu", "", {"x4"}, {"a4"}, {}},
                                 {"DepthToSpace", "", {"a4"}, {"d"}, {AttrInt("blocksize", 2), test::AttrString("mode", "CRD")}}};
  const std::string model =
      BuildModel(nodes, {x, x4}, {starts, ends, axes, steps, shape, split, expand, reps}, {"y", "e", "t", "d"});
  auto ref = CreatePredictor(RefConfig(model));
  auto sim = CreatePredictor(SimConfig(model));
  ASSERT_TRUE(ref.ok() && sim.ok()) << sim.status().ToString();
  (*sim)->EnableProfiling(true);
  const int strided0 = g_strided_copies.load();
  ExpectBitIdentical(RunOrDie(sim->get(), {x, x4}), RunOrDie(ref->get(), {x, x4}));
  // Slice 1, Split 2 outputs, Expand 1, Tile 1, DepthToSpace 1.
  EXPECT_EQ(g_strided_copies.load() - strided0, 6) << "a data-movement node did not run on the device";
  int copies = 0;
  for (const auto& e : (*sim)->LastProfile()) copies += e.op == "MemcpyToHost" || e.op == "MemcpyToDevice";
  EXPECT_EQ(copies, 2 + 4) << "inputs in, outputs out, nothing else";
}

TEST_F(DeviceRuntime, DeviceInputsAreReadInPlace) {
  const std::string model = MixedModel();
  auto ref = CreatePredictor(RefConfig(model));
  auto sim = CreatePredictor(SimConfig(model));
  ASSERT_TRUE(ref.ok() && sim.ok());
  auto want = RunOrDie(ref->get(), {X()});
  const DeviceBackend* dev = FindDeviceBackend("sim");
  ASSERT_NE(dev, nullptr);
  Tensor host = X();
  auto mem = dev->Allocate(0, host.ByteSize());
  ASSERT_TRUE(mem.ok());
  ASSERT_TRUE(dev->CopyToDevice(0, mem->get(), host.RawData(), host.ByteSize(), nullptr).ok());
  Tensor* in = (*sim)->Input("x").value();
  ASSERT_TRUE(in->ShareExternalData(mem->get(), DataType::kFloat32, host.shape(), Device{DeviceType::kPlugin, 0}).ok());
  (*sim)->EnableProfiling(true);
  ASSERT_TRUE((*sim)->Run().ok());
  const int64_t copies_before = Stats().stream_copies.load();
  ASSERT_TRUE((*sim)->Run().ok());
  std::vector<float> y(want[0].NumElements());
  ASSERT_TRUE((*sim)->Output(0).value()->CopyToCpu(y.data()).ok());
  EXPECT_EQ(0, std::memcmp(y.data(), want[0].RawData(), want[0].ByteSize()));
  // Only the Erf round trip and the output copy remain; the input was not copied.
  EXPECT_EQ(Stats().stream_copies.load() - copies_before, 3);

  // A device input that a host node reads is refused, naming the input.
  Tensor z = T_<float>({2}, {1, 2});
  z.set_name("z");
  const std::string host_model = BuildModel({{"Erf", "", {"z"}, {"y"}, {}}}, {z}, {}, {"y"});
  auto p = CreatePredictor(SimConfig(host_model));
  ASSERT_TRUE(p.ok());
  auto m2 = dev->Allocate(0, 8);
  ASSERT_TRUE((*p)->Input("z").value()->ShareExternalData(m2->get(), DataType::kFloat32, {2}, Device{DeviceType::kPlugin, 0}).ok());
  Status s = (*p)->Run();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("'z'"), std::string::npos) << s.ToString();
}

TEST_F(DeviceRuntime, ADeviceErrorPoisonsOnlyThatPredictor) {
  // f = SimFault(a): a DeviceError when a[0] < 0.
  Tensor xi = T_<float>({4}, {1, 2, 3, 4});
  xi.set_name("a");
  const std::string model = BuildModel({{"SimFault", "test.sim", {"a"}, {"f"}, {}}}, {xi}, {}, {"f"}, 13, {{"test.sim", 1}});
  Config c;
  c.SetModelBuffer(model);
  c.SetBackends({"sim"});
  auto p = CreatePredictor(c);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto q = (*p)->Clone();
  ASSERT_TRUE(q.ok());
  Tensor bad = T_<float>({4}, {-1, 2, 3, 4});
  bad.set_name("a");
  std::vector<Tensor> out;
  Status s = (*p)->Run({bad}, &out);
  EXPECT_EQ(s.code(), StatusCode::kDeviceError) << s.ToString();
  s = (*p)->Run({xi}, &out);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  // The clone, with its own resources, is unaffected.
  ASSERT_TRUE((*q)->Run({xi}, &out).ok());
  EXPECT_EQ(ToVec<float>(out[0]), (std::vector<float>{1, 2, 3, 4}));
  // So is a fresh clone of the poisoned predictor.
  auto r = (*p)->Clone();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->Run({xi}, &out).ok());
}

TEST_F(DeviceRuntime, ControlFlowBodiesReadDeviceValuesOfTheEnclosingGraph) {
  // y = If(c) then Relu(Mul(a, a)) else Sigmoid(a), with a = Relu(x) computed on the device.
  onnx::GraphProto then_g, else_g;
  then_g.set_name("then");
  else_g.set_name("else");
  auto node = [](onnx::GraphProto* g, const char* op, std::vector<std::string> in, std::string out) {
    onnx::NodeProto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(std::string(op) + "_" + out);
    for (auto& i : in) n->add_input(i);
    n->add_output(out);
  };
  node(&then_g, "Mul", {"a", "a"}, "t1");
  node(&then_g, "Relu", {"t1"}, "t");
  node(&else_g, "Sigmoid", {"a"}, "e");
  auto out_vi = [](onnx::GraphProto* g, const char* name) {
    auto* v = g->add_output();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
  };
  out_vi(&then_g, "t");
  out_vi(&else_g, "e");
  onnx::AttributeProto tb, eb;
  tb.set_name("then_branch");
  tb.set_type(onnx::AttributeProto::GRAPH);
  *tb.mutable_g() = then_g;
  eb.set_name("else_branch");
  eb.set_type(onnx::AttributeProto::GRAPH);
  *eb.mutable_g() = else_g;
  Tensor x = T_<float>({2, 3}, {-1, 2, -3, 4, 0.5f, -0.5f});
  x.set_name("x");
  Tensor c = Tensor::FromVector({}, std::vector<bool>{true}).value();
  c.set_name("c");
  const std::string model =
      BuildModel({{"Relu", "", {"x"}, {"a"}, {}}, {"If", "", {"c"}, {"y"}, {tb, eb}}}, {x, c}, {}, {"y"});
  auto ref = CreatePredictor(RefConfig(model));
  auto sim = CreatePredictor(SimConfig(model));
  ASSERT_TRUE(ref.ok() && sim.ok()) << (sim.ok() ? ref.status().ToString() : sim.status().ToString());
  for (bool cond : {true, false}) {
    Tensor cc = Tensor::FromVector({}, std::vector<bool>{cond}).value();
    cc.set_name("c");
    ExpectBitIdentical(RunOrDie(sim->get(), {x, cc}), RunOrDie(ref->get(), {x, cc}));
  }
}

TEST_F(DeviceRuntime, PredictorPoolRunsDevicePredictorsUnchanged) {
  const std::string model = MixedModel();
  auto ref = CreatePredictor(RefConfig(model));
  ASSERT_TRUE(ref.ok());
  auto want = RunOrDie(ref->get(), {X()});
  services::PoolOptions one_cpu;
  one_cpu.usable_cpus = 1;
  auto pool = services::PredictorPool::Create(SimConfig(model), 3, one_cpu);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  // Device predictors wait on their streams: every one gets a Submit worker, whatever the CPUs.
  EXPECT_EQ((*pool)->cpu_plan().async_workers, 3);
  std::vector<std::future<services::OutputsOr>> fs;
  for (int i = 0; i < 12; ++i) fs.push_back((*pool)->Submit({X()}));
  for (auto& f : fs) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectBitIdentical(*r, want);
  }
}

TEST_F(DeviceRuntime, APoolSpreadsOverSeveralDevicesWithOneWeightCopyEach) {
  const std::string model = MixedModel();
  auto ref = CreatePredictor(RefConfig(model));
  ASSERT_TRUE(ref.ok());
  auto want = RunOrDie(ref->get(), {X()});
  services::PoolOptions opts;
  opts.device_ids = {0, 1};
  const int64_t uploads0 = Stats().upload_bytes.load();
  auto pool = services::PredictorPool::Create(SimConfig(model), 4, opts);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  EXPECT_EQ(Stats().upload_bytes.load() - uploads0, static_cast<int64_t>(2 * (108 + 4 + 1) * sizeof(float)))
      << "one weight copy per device";
  std::set<int> ids;
  {
    std::lock_guard<std::mutex> l(g_seen_mu);
    g_seen_resources.clear();  // only this pool's predictors (alive below) from here on
  }
  for (int i = 0; i < 4; ++i) {
    Predictor* p = (*pool)->Retrieve(i).value();
    ExpectBitIdentical(RunOrDie(p, {X()}), want);
  }
  {
    std::lock_guard<std::mutex> l(g_seen_mu);
    for (const void* r : g_seen_resources) ids.insert(static_cast<const DeviceResources*>(r)->device_id());
  }
  EXPECT_EQ(ids, (std::set<int>{0, 1}));
  opts.device_ids = {0, 5};
  auto bad = services::PredictorPool::Create(SimConfig(model), 2, opts);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("device 5"), std::string::npos) << bad.status().ToString();
}

TEST_F(DeviceRuntime, GraphCaptureRecordsOnceAndReplaysWithNewInputs) {
  // All on the device (Conv, Relu, Mul, Reshape with a host shape, Softmax rank 2, Shape).
  Tensor x = T_<float>({1, 3, 8, 8}, Ramp(192, 0.37f, 0.1f));
  x.set_name("x");
  Tensor w = T_<float>({4, 3, 3, 3}, Ramp(108, 0.91f, 0.f));
  w.set_name("w");
  Tensor shape = T_<int64_t>({2}, {4, -1});
  shape.set_name("shape");
  std::vector<NodeSpec> nodes = {{"Conv", "", {"x", "w"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}},
                                 {"Relu", "", {"c"}, {"r"}, {}},
                                 {"Mul", "", {"r", "r"}, {"m"}, {}},
                                 {"Reshape", "", {"m", "shape"}, {"rs"}, {}},
                                 {"Softmax", "", {"rs"}, {"y"}, {AttrInt("axis", 1)}}};
  const std::string model = BuildModel(nodes, {x}, {w, shape}, {"y"});
  auto ref = CreatePredictor(RefConfig(model));
  Config c = SimConfig(model);
  c.SwitchCudaGraph(true);
  auto sim = CreatePredictor(c);
  ASSERT_TRUE(ref.ok() && sim.ok()) << sim.status().ToString();
  const int captures0 = g_captures.load(), replays0 = g_replays.load();
  for (int run = 0; run < 6; ++run) {
    Tensor xr = T_<float>({1, 3, 8, 8}, Ramp(192, 0.37f + 0.01f * run, 0.1f * run));
    xr.set_name("x");
    SCOPED_TRACE("run " + std::to_string(run));
    ExpectBitIdentical(RunOrDie(sim->get(), {xr}), RunOrDie(ref->get(), {xr}));
  }
  // Run 1 records the plan, run 2 settles, run 3 records (and replays once), runs 4-6 replay.
  EXPECT_EQ(g_captures.load() - captures0, 1);
  EXPECT_EQ(g_replays.load() - replays0, 4);
  // A clone records its own.
  auto clone = (*sim)->Clone();
  ASSERT_TRUE(clone.ok());
  for (int run = 0; run < 4; ++run) ExpectBitIdentical(RunOrDie(clone->get(), {x}), RunOrDie(ref->get(), {x}));
  EXPECT_EQ(g_captures.load() - captures0, 2);
}

TEST_F(DeviceRuntime, GraphCaptureFallsBackWhenAKernelCannotBeRecorded) {
  // Softmax on rank 3 declines at run time: its host fallback synchronizes, which breaks the
  // capture; the runtime runs the steps normally and stops trying.
  Tensor x = T_<float>({2, 3, 4}, Ramp(24, 0.5f, 0.f));
  x.set_name("x");
  std::vector<NodeSpec> nodes = {{"Relu", "", {"x"}, {"a"}, {}},
                                 {"Softmax", "", {"a"}, {"s"}, {AttrInt("axis", 2)}},
                                 {"Relu", "", {"s"}, {"y"}, {}}};
  const std::string model = BuildModel(nodes, {x}, {}, {"y"});
  auto ref = CreatePredictor(RefConfig(model));
  Config c = SimConfig(model);
  c.SwitchCudaGraph(true);
  auto sim = CreatePredictor(c);
  ASSERT_TRUE(ref.ok() && sim.ok());
  const int captures0 = g_captures.load();
  for (int run = 0; run < 5; ++run) ExpectBitIdentical(RunOrDie(sim->get(), {x}), RunOrDie(ref->get(), {x}));
  EXPECT_EQ(g_captures.load() - captures0, 0);
}

TEST_F(DeviceRuntime, AMissingDeviceOrBackendIsAClearError) {
  const std::string model = MixedModel();
  Stats().device_count = 0;
  auto p = CreatePredictor(SimConfig(model));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(p.status().message().find("sim"), std::string::npos) << p.status().ToString();
  EXPECT_NE(p.status().message().find("switched off"), std::string::npos) << p.status().ToString();
  Stats().device_count = 2;
  Config dev1 = SimConfig(model);
  dev1.SetDeviceId(1);
  EXPECT_TRUE(CreatePredictor(dev1).ok());
  dev1.SetDeviceId(2);
  EXPECT_EQ(CreatePredictor(dev1).status().code(), StatusCode::kUnavailable);
  if (!FindDeviceBackend(kBackendCuda)) {
    Config cuda;
    cuda.SetModelBuffer(model);
    cuda.SetBackends({kBackendCuda, kBackendCpuRef});
    auto q = CreatePredictor(cuda);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(q.status().message().find("cuda"), std::string::npos) << q.status().ToString();
  }
}

}  // namespace
}  // namespace pl
