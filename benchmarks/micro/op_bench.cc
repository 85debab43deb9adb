// Op micro-benchmarks: one node (or a short chain) of PaddleOCR's det/rec shapes, run through the
// public Predictor on each backend. Backend 0 = onednn, 1 = cpu_ref; chains also run with the
// oneDNN region pass off (per-op kernels, plain layouts between them).
//   build*/benchmarks/micro/pl_micro_bench [--benchmark_filter=Conv] [--benchmark_min_time=0.5]
#include <benchmark/benchmark.h>

#include <random>

#include "util/test_util.h"

namespace {

using pl::Shape;
using pl::Tensor;
using pl::test::AttrInt;
using pl::test::AttrInts;
using pl::test::NodeSpec;

Tensor RandomTensor(const Shape& s, const std::string& name, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(pl::ShapeNumElements(s)));
  for (float& x : v) x = d(rng);
  Tensor t = pl::test::T_<float>(s, v);
  t.set_name(name);
  return t;
}

const char* BackendName(int64_t b) { return b == 0 ? pl::kBackendOneDnn : pl::kBackendCpuRef; }

// Runs the model in a loop: compile and first run (planning) outside the timing.
void RunModel(benchmark::State& state, const std::string& model, const Tensor& x, const char* backend,
              bool regions = true, double flops = 0) {
  pl::Config c;
  c.SetModelBuffer(model);
  c.SetBackends({backend});
  if (!regions) c.DisablePass("onednn_regions");
  auto p = pl::CreatePredictor(c);
  if (!p.ok()) {
    state.SkipWithError(p.status().ToString().c_str());
    return;
  }
  std::vector<Tensor> out;
  if (!(*p)->Run({x}, &out).ok()) {
    state.SkipWithError("run failed");
    return;
  }
  for (auto _ : state) {
    auto s = (*p)->Run({x}, &out);
    benchmark::DoNotOptimize(s);
  }
  if (flops > 0) state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// Conv(ic->oc, k x k, stride s, group g) on [1, ic, h, h], with a HardSwish after it.
void BM_Conv(benchmark::State& state) {
  const int64_t ic = state.range(0), oc = state.range(1), k = state.range(2), h = state.range(3), g = state.range(4);
  const int64_t pad = k / 2;
  Tensor x = RandomTensor({1, ic, h, h}, "x", 1);
  Tensor w = RandomTensor({oc, ic / g, k, k}, "w", 2), b = RandomTensor({oc}, "b", 3);
  std::string model = pl::test::BuildModel(
      {NodeSpec{"Conv", "", {"x", "w", "b"}, {"c"}, {AttrInts("pads", {pad, pad, pad, pad}), AttrInt("group", g)}},
       NodeSpec{"HardSwish", "", {"c"}, {"y"}, {}}},
      {x}, {w, b}, {"y"}, 14);
  const double flops = 2.0 * oc * (ic / g) * k * k * h * h;
  RunModel(state, model, x, BackendName(state.range(5)), true, flops);
}
BENCHMARK(BM_Conv)
    ->ArgNames({"ic", "oc", "k", "h", "group", "backend"})
    ->Args({96, 24, 3, 160, 1, 0})    // det's heaviest layer
    ->Args({16, 32, 1, 320, 1, 0})    // det stem pointwise
    ->Args({16, 16, 3, 320, 16, 0})   // det stem depthwise
    ->Args({192, 192, 5, 40, 192, 0})
    ->Args({384, 384, 1, 20, 1, 0})
    ->Args({96, 24, 3, 40, 1, 0})
    ->Args({96, 24, 3, 40, 1, 1})     // cpu_ref, for scale
    ->Unit(benchmark::kMillisecond);

// det's DB head: ConvTranspose 2x2 stride 2 (the matmul + scatter path).
void BM_ConvTranspose(benchmark::State& state) {
  const int64_t c = state.range(0), m = state.range(1), h = state.range(2);
  Tensor x = RandomTensor({1, c, h, h}, "x", 4);
  Tensor w = RandomTensor({c, m, 2, 2}, "w", 5), b = RandomTensor({m}, "b", 6);
  std::string model = pl::test::BuildModel(
      {NodeSpec{"ConvTranspose", "", {"x", "w", "b"}, {"y"}, {AttrInts("strides", {2, 2})}}}, {x}, {w, b}, {"y"});
  RunModel(state, model, x, BackendName(state.range(3)), true, 2.0 * c * m * 4 * h * h);
}
BENCHMARK(BM_ConvTranspose)
    ->ArgNames({"c", "m", "h", "backend"})
    ->Args({24, 24, 160, 0})
    ->Args({24, 1, 320, 0})
    ->Args({24, 1, 320, 1})
    ->Unit(benchmark::kMillisecond);

// x * s + x with s per channel (squeeze-excite's residual): one binary primitive with a fused
// add in a region, or two primitives.
void BM_SqueezeExciteTail(benchmark::State& state) {
  const int64_t c = state.range(0), h = state.range(1);
  Tensor x = RandomTensor({1, c, h, h}, "x", 7);
  Tensor s = RandomTensor({1, c, 1, 1}, "s", 8);
  std::string model = pl::test::BuildModel(
      {NodeSpec{"Relu", "", {"x"}, {"r"}, {}}, NodeSpec{"Mul", "", {"r", "s"}, {"m"}, {}},
       NodeSpec{"Add", "", {"r", "m"}, {"y"}, {}}},
      {x}, {s}, {"y"});
  RunModel(state, model, x, BackendName(state.range(2)), state.range(3) != 0);
}
BENCHMARK(BM_SqueezeExciteTail)
    ->ArgNames({"c", "h", "backend", "regions"})
    ->Args({96, 160, 0, 1})
    ->Args({96, 160, 0, 0})
    ->Args({96, 160, 1, 0})
    ->Unit(benchmark::kMillisecond);

// rec's classifier: MatMul [40, 120] x [120, 6625] + bias, Softmax.
void BM_RecHead(benchmark::State& state) {
  Tensor x = RandomTensor({1, 40, 120}, "x", 9);
  Tensor w = RandomTensor({120, 6625}, "w", 10), b = RandomTensor({6625}, "b", 11);
  std::string model = pl::test::BuildModel(
      {NodeSpec{"MatMul", "", {"x", "w"}, {"m"}, {}}, NodeSpec{"Add", "", {"m", "b"}, {"a"}, {}},
       NodeSpec{"Softmax", "", {"a"}, {"y"}, {AttrInt("axis", 2)}}},
      {x}, {w, b}, {"y"});
  RunModel(state, model, x, BackendName(state.range(0)), true, 2.0 * 40 * 120 * 6625);
}
BENCHMARK(BM_RecHead)->ArgNames({"backend"})->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
