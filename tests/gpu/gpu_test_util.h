// The GPU tests' harness (gpu_test.cc): the device under test, random inputs, one-node and
// PP-OCR model builders, running a model on the DUT and on cpu_ref and comparing the outputs.
// Included by gpu_test.cc only (its helpers live in an anonymous namespace).
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "pl/device.h"
#include "pl/pl.h"
#include "util/test_util.h"

#ifndef PL_MODELS_DIR_DEFAULT
#define PL_MODELS_DIR_DEFAULT ".models"
#endif

namespace {

using pl::DataType;
using pl::Shape;
using pl::Status;
using pl::StatusCode;
using pl::StatusOr;
using pl::Tensor;
using pl::test::AttrFloat;
using pl::test::AttrFloats;
using pl::test::AttrInt;
using pl::test::AttrInts;
using pl::test::AttrString;
using pl::test::NodeSpec;

constexpr double kElemTol = 1e-4;  // elementwise, activations, data movement, normalizations
constexpr double kConvTol = 1e-3;  // Conv, ConvTranspose, MatMul, Gemm, chains and models
constexpr double kModelAbsTol = 1e-4, kModelRelTol = 1e-3;  // tests/models/models_test.cc
constexpr int kOpset = 17;

const std::vector<std::string> kRefBackends = {pl::kBackendCpuRef};

// The backend under test: "cuda", or $PL_GPU_TEST_BACKEND (e.g. "onednn") to check this harness
// itself on a machine without a GPU; the tests that need a DeviceBackend then skip.
const std::string& Dut() {
  static const std::string name = [] {
    const char* e = std::getenv("PL_GPU_TEST_BACKEND");
    return std::string(e && *e ? e : pl::kBackendCuda);
  }();
  return name;
}
const std::vector<std::string>& CudaBackends() {
  static const std::vector<std::string> b = {Dut(), pl::kBackendCpuRef};
  return b;
}

// ---------------------------------------------------------------------------------------------
// Is there a CUDA backend with a device? Computed once; every test starts with PL_REQUIRE_CUDA().

struct CudaState {
  bool ok = false;
  std::string why;
  int devices = 0;
  const pl::DeviceBackend* device = nullptr;
};

const CudaState& Cuda() {
  static const CudaState state = [] {
    CudaState s;
    // The core loads libpaddle_like_cuda.so the first time "cuda" is named (a Config, or these
    // calls): ask for its load error first, so the kernels below are registered if it loads.
    const std::string plugin_error = pl::BackendPluginError(pl::kBackendCuda);
    size_t kernels = 0;
    for (const auto& e : pl::KernelRegistry::Global().Entries())
      if (e->def.backend() == Dut()) ++kernels;
    if (Dut() != pl::kBackendCuda) {  // harness self-check on a CPU backend
      s.ok = kernels > 0;
      s.why = s.ok ? "" : "no \"" + Dut() + "\" kernels are registered";
      s.device = pl::FindDeviceBackend(Dut());
      return s;
    }
    if (kernels == 0) {
      s.why = "no \"cuda\" kernels are registered: libpaddle_like_cuda.so was not built (it needs "
              "-DPL_BUILD_SHARED=ON with nvcc and cuDNN) or did not load" +
              (plugin_error.empty() ? std::string() : ": " + plugin_error);
      return s;
    }
    s.device = pl::FindDeviceBackend(pl::kBackendCuda);
    if (s.device == nullptr) {
      s.why = std::to_string(kernels) + " \"cuda\" kernels are registered but no DeviceBackend \"cuda\"";
      return s;
    }
    std::string why;
    s.devices = s.device->DeviceCount(&why);
    if (s.devices <= 0) {
      s.why = "no usable CUDA device: " + (why.empty() ? std::string("DeviceCount() == 0") : why);
      return s;
    }
    s.ok = true;
    return s;
  }();
  return state;
}

#define PL_REQUIRE_CUDA() \
  if (!Cuda().ok) GTEST_SKIP() << "CUDA backend unavailable: " << Cuda().why
// Tests that hand device memory to the predictor (not possible in the CPU self-check).
#define PL_REQUIRE_CUDA_DEVICE()                                                         \
  PL_REQUIRE_CUDA();                                                                     \
  if (Cuda().device == nullptr) GTEST_SKIP() << "backend \"" << Dut() << "\" has no DeviceBackend"

bool AllowFallback() {
  const char* e = std::getenv("PL_GPU_TEST_ALLOW_FALLBACK");
  return e && *e && std::string(e) != "0";
}

std::string ModelsDir() {
  const char* env = std::getenv("PL_MODELS_DIR");
  return env && *env ? env : PL_MODELS_DIR_DEFAULT;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// ---------------------------------------------------------------------------------------------
// Data

// Deterministic uniform values in [lo, hi) (a 32-bit LCG: the same on every machine).
std::vector<float> RandVec(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 12345u;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = lo + (hi - lo) * static_cast<float>((s >> 8) * (1.0 / 16777216.0));
  }
  return v;
}

Tensor Rand(const std::string& name, Shape shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  const int64_t n = pl::ShapeNumElements(shape);
  Tensor t = Tensor::FromVector<float>(shape, RandVec(static_cast<size_t>(n), seed, lo, hi)).value();
  t.set_name(name);
  return t;
}

template <typename T>
Tensor Const(const std::string& name, Shape shape, std::vector<T> values) {
  Tensor t = Tensor::FromVector<T>(std::move(shape), values).value();
  t.set_name(name);
  return t;
}

// The benchmarks' and references' image: x[i] = float((i % 255) * 0.01) (benchmarks/pl_bench.cc).
Tensor BenchInput(const std::string& name, Shape shape) {
  const int64_t n = pl::ShapeNumElements(shape);
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[i] = static_cast<float>((i % 255) * 0.01);
  Tensor t = Tensor::FromVector<float>(std::move(shape), v).value();
  t.set_name(name);
  return t;
}

// ---------------------------------------------------------------------------------------------
// Models and runs

struct Model {
  std::vector<NodeSpec> nodes;
  std::vector<Tensor> feeds;  // graph inputs (named), also the values fed
  std::vector<Tensor> inits;  // initializers (named)
  std::vector<std::string> outputs;
  int opset = kOpset;
  std::string Bytes() const { return pl::test::BuildModel(nodes, feeds, inits, outputs, opset); }
};

// One operand of a one-node model: fed as a graph input, an initializer, or omitted.
struct Arg {
  enum Kind { kFeed, kInit, kOmit } kind = kOmit;
  Tensor t;
};
Arg Feed(Tensor t) { return {Arg::kFeed, std::move(t)}; }
Arg Init(Tensor t) { return {Arg::kInit, std::move(t)}; }
Arg Omit() { return {Arg::kOmit, Tensor()}; }

Model OneNode(const std::string& op, std::vector<Arg> args, std::vector<onnx::AttributeProto> attrs = {},
              int num_outputs = 1, int opset = kOpset) {
  Model m;
  m.opset = opset;
  NodeSpec n;
  n.op_type = op;
  n.attrs = std::move(attrs);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].kind == Arg::kOmit) {
      n.inputs.push_back("");
      continue;
    }
    const std::string name = "x" + std::to_string(i);
    Tensor t = args[i].t;
    t.set_name(name);
    n.inputs.push_back(name);
    (args[i].kind == Arg::kFeed ? m.feeds : m.inits).push_back(t);
  }
  for (int i = 0; i < num_outputs; ++i) {
    n.outputs.push_back("y" + std::to_string(i));
    m.outputs.push_back("y" + std::to_string(i));
  }
  m.nodes.push_back(std::move(n));
  return m;
}

Status Feed(pl::Predictor* p, const Tensor& v) {
  PL_ASSIGN_OR_RETURN(Tensor * in, p->Input(v.name()));
  PL_RETURN_IF_ERROR(in->Reshape(v.shape()));
  switch (v.dtype()) {
    case DataType::kFloat32: return in->CopyFromCpu(v.Data<float>());
    case DataType::kInt64: return in->CopyFromCpu(v.Data<int64_t>());
    case DataType::kInt32: return in->CopyFromCpu(v.Data<int32_t>());
    default: return Status::InvalidArgument(std::string("gpu_test: cannot feed ") + pl::DataTypeName(v.dtype()));
  }
}

// Host copies of every output of the last run.
StatusOr<std::vector<Tensor>> HostOutputs(const pl::Predictor& p) {
  std::vector<Tensor> outs;
  for (size_t i = 0; i < p.OutputNames().size(); ++i) {
    PL_ASSIGN_OR_RETURN(const Tensor* y, p.Output(static_cast<int>(i)));
    PL_ASSIGN_OR_RETURN(Tensor h, y->Clone());  // device tensors come back to the host
    h.set_name(p.OutputNames()[i]);
    outs.push_back(std::move(h));
  }
  return outs;
}

StatusOr<std::vector<Tensor>> RunFeeds(pl::Predictor* p, const std::vector<Tensor>& feeds) {
  for (const Tensor& f : feeds) PL_RETURN_IF_ERROR(Feed(p, f).WithContext("input '" + f.name() + "'"));
  PL_RETURN_IF_ERROR(p->Run());
  return HostOutputs(*p);
}

StatusOr<std::unique_ptr<pl::Predictor>> Make(const std::string& bytes, const std::vector<std::string>& backends,
                                              int intra = 1, bool cuda_graph = false) {
  pl::Config c;
  c.SetModelBuffer(bytes);
  c.SetBackends(backends);
  c.SetIntraOpThreads(intra);
  if (cuda_graph) c.SwitchCudaGraph(true);
  return pl::CreatePredictor(c);
}

// ---------------------------------------------------------------------------------------------
// Comparison

struct Diff {
  int64_t count = 0, violations = 0, worst = -1;
  double max_abs = 0, worst_ratio = 0;
  double worst_got = 0, worst_ref = 0;
};

Diff CompareFloats(const float* got, const float* ref, int64_t n, double atol, double rtol) {
  Diff d;
  d.count = n;
  for (int64_t i = 0; i < n; ++i) {
    double e = std::fabs(static_cast<double>(got[i]) - ref[i]);
    if (std::isnan(got[i]) != std::isnan(ref[i])) e = INFINITY;
    if (std::isnan(got[i]) && std::isnan(ref[i])) e = 0;
    if (std::isinf(ref[i]) && got[i] == ref[i]) e = 0;
    const double tol = atol + rtol * std::fabs(static_cast<double>(ref[i]));
    d.max_abs = std::max(d.max_abs, e);
    const double ratio = e / tol;
    if (ratio > 1) ++d.violations;
    if (d.worst < 0 || ratio > d.worst_ratio) {
      d.worst_ratio = ratio;
      d.worst = i;
      d.worst_got = got[i];
      d.worst_ref = ref[i];
    }
  }
  return d;
}

::testing::AssertionResult Close(const Tensor& got, const Tensor& ref, double atol, double rtol,
                                 const std::string& what, double* max_abs = nullptr) {
  if (got.dtype() != ref.dtype())
    return ::testing::AssertionFailure() << what << ": dtype " << pl::DataTypeName(got.dtype()) << ", reference "
                                         << pl::DataTypeName(ref.dtype());
  if (got.shape() != ref.shape())
    return ::testing::AssertionFailure() << what << ": shape " << pl::ShapeToString(got.shape()) << ", reference "
                                         << pl::ShapeToString(ref.shape());
  if (got.dtype() != DataType::kFloat32) {
    if (got.ByteSize() != ref.ByteSize() || std::memcmp(got.RawData(), ref.RawData(), got.ByteSize()) != 0)
      return ::testing::AssertionFailure() << what << ": " << pl::DataTypeName(got.dtype()) << " values differ";
    if (max_abs) *max_abs = 0;
    return ::testing::AssertionSuccess();
  }
  const Diff d = CompareFloats(got.Data<float>(), ref.Data<float>(), got.NumElements(), atol, rtol);
  if (max_abs) *max_abs = d.max_abs;
  if (d.violations == 0) return ::testing::AssertionSuccess() << what << ": max |diff| " << d.max_abs;
  return ::testing::AssertionFailure() << what << " " << pl::ShapeToString(got.shape()) << ": " << d.violations
                                       << " of " << d.count << " elements beyond " << atol << " + " << rtol
                                       << " * |ref|; max |diff| " << d.max_abs << "; worst at " << d.worst
                                       << ": cuda " << d.worst_got << ", cpu_ref " << d.worst_ref;
}

::testing::AssertionResult Identical(const std::vector<Tensor>& got, const std::vector<Tensor>& ref,
                                     const std::string& what) {
  if (got.size() != ref.size())
    return ::testing::AssertionFailure() << what << ": " << got.size() << " outputs, expected " << ref.size();
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].dtype() != ref[i].dtype() || got[i].shape() != ref[i].shape() ||
        got[i].ByteSize() != ref[i].ByteSize() ||
        std::memcmp(got[i].RawData(), ref[i].RawData(), got[i].ByteSize()) != 0) {
      double max_abs = 0;
      if (got[i].dtype() == DataType::kFloat32 && got[i].shape() == ref[i].shape())
        max_abs = CompareFloats(got[i].Data<float>(), ref[i].Data<float>(), got[i].NumElements(), 0, 0).max_abs;
      return ::testing::AssertionFailure() << what << ": output " << i << " differs (shape "
                                           << pl::ShapeToString(got[i].shape()) << " vs "
                                           << pl::ShapeToString(ref[i].shape()) << ", max |diff| " << max_abs << ")";
    }
  }
  return ::testing::AssertionSuccess();
}

// "Conv:cuda Relu:cuda" from a profile (top-level entries only).
std::string ProfileSummary(const std::vector<pl::Predictor::NodeTiming>& prof) {
  std::ostringstream os;
  for (const auto& t : prof)
    if (t.parent.empty()) os << (os.tellp() > 0 ? " " : "") << t.op << ":" << t.backend;
  return os.str();
}

void ReportFallback(const std::string& msg) {
  if (AllowFallback())
    std::printf("  note (PL_GPU_TEST_ALLOW_FALLBACK): %s\n", msg.c_str());
  else
    ADD_FAILURE() << msg << "; set PL_GPU_TEST_ALLOW_FALLBACK=1 to only report fallbacks";
}

// Checks from a profile where the nodes ran. `ops`: op types that must have run on the backend
// under test (and nowhere else); {"*", a, b...}: every node except ops a, b... (a fused chain, where
// the op types left depend on the fusions).
void ExpectRanOnCuda(const std::vector<pl::Predictor::NodeTiming>& prof, const std::vector<std::string>& ops,
                     const std::string& what) {
  if (prof.empty()) {
    std::printf("  note: %s: the profile is empty; cannot tell which backend ran\n", what.c_str());
    return;
  }
  if (!ops.empty() && ops[0] == "*") {
    for (const auto& t : prof) {
      if (!t.parent.empty() || t.backend == Dut() || std::find(ops.begin() + 1, ops.end(), t.op) != ops.end()) continue;
      ReportFallback(what + ": " + t.op + " node '" + t.node + "' ran on " + t.backend + " (profile: " +
                     ProfileSummary(prof) + ")");
    }
    return;
  }
  for (const std::string& op : ops) {
    bool on_cuda = false, elsewhere = false;
    for (const auto& t : prof) {
      if (!t.parent.empty() || t.op != op) continue;
      (t.backend == Dut() ? on_cuda : elsewhere) = true;
    }
    if (!on_cuda || elsewhere)
      ReportFallback(what + ": " + op + " did not run on " + Dut() + " (profile: " + ProfileSummary(prof) + ")");
  }
}

// Runs `m` on cuda (+cpu_ref fallback) and on cpu_ref alone; compares every output.
// `cuda_ops`: as ExpectRanOnCuda's `ops` (default: the op of a one-node model).
void ExpectCudaMatchesRef(const Model& m, double tol, const std::string& what,
                          std::vector<std::string> cuda_ops = {}) {
  SCOPED_TRACE(what);
  const std::string bytes = m.Bytes();
  auto ref_p = Make(bytes, kRefBackends);
  ASSERT_TRUE(ref_p.ok()) << "cpu_ref: " << ref_p.status().ToString();
  auto ref = RunFeeds(ref_p->get(), m.feeds);
  ASSERT_TRUE(ref.ok()) << "cpu_ref run: " << ref.status().ToString();

  auto p = Make(bytes, CudaBackends());
  ASSERT_TRUE(p.ok()) << "cuda: " << p.status().ToString();
  (*p)->EnableProfiling(true);
  auto got = RunFeeds(p->get(), m.feeds);
  ASSERT_TRUE(got.ok()) << "cuda run: " << got.status().ToString();
  ASSERT_EQ(got->size(), ref->size());
  for (size_t i = 0; i < got->size(); ++i)
    EXPECT_TRUE(Close((*got)[i], (*ref)[i], tol, tol, what + " output '" + m.outputs[i] + "'"));
  // A second run of the same predictor (plans, caches, workspaces reused) gives the same values.
  auto again = RunFeeds(p->get(), m.feeds);
  ASSERT_TRUE(again.ok()) << "cuda second run: " << again.status().ToString();
  EXPECT_TRUE(Identical(*again, *got, what + ": second run"));
  if (cuda_ops.empty() && m.nodes.size() == 1) cuda_ops = {m.nodes[0].op_type};
  ExpectRanOnCuda((*p)->LastProfile(), cuda_ops, what);
}

void ExpectOp(const std::string& op, std::vector<Arg> args, std::vector<onnx::AttributeProto> attrs, double tol,
              const std::string& what, int num_outputs = 1, int opset = kOpset) {
  ExpectCudaMatchesRef(OneNode(op, std::move(args), std::move(attrs), num_outputs, opset), tol, op + " " + what);
}

}  // namespace
