// The simulated device ("sim") of device_runtime_test.cc: a DeviceBackend whose memory is host
// memory the test tracks, its kernels and its fake stream with capture and replay. Included by
// device_runtime_test.cc only (an anonymous namespace).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <cmath>
#include <cstdlib>
#include <map>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include "pl/device.h"
#include "pl/pl.h"
#include "services/predictor_pool.h"
#include "src/backends/cpu/ref/data_movement.h"
#include "tests/util/test_util.h"

namespace pl {
namespace {

using test::AttrInt;
using test::AttrInts;
using test::AttrTensor;
using test::BuildModel;
using test::NodeSpec;
using test::T_;
using test::ToVec;

// ---------------- the simulated device ----------------

struct SimStats {
  std::mutex mu;
  std::set<const char*> live;           // base addresses of live allocations
  std::map<const char*, size_t> sizes;
  std::atomic<int64_t> uploads{0};      // synchronous host->device copies (weights)
  std::atomic<int64_t> upload_bytes{0};
  std::atomic<int64_t> stream_copies{0};
  std::atomic<int> device_count{2};
  bool Owns(const void* p) {
    std::lock_guard<std::mutex> l(mu);
    auto it = sizes.upper_bound(static_cast<const char*>(p));
    if (it == sizes.begin()) return false;
    --it;
    return static_cast<const char*>(p) < it->first + (it->second ? it->second : 1);
  }
};
SimStats& Stats() {
  static SimStats* s = new SimStats();
  return *s;
}

struct SimResources : DeviceResources {
  std::atomic<int64_t> queued{0};  // the fake stream: work queued since the last Synchronize
  int64_t synced = 0;
  // Graph capture: while capturing, kernels record closures instead of (only) running.
  bool capturing = false;
  bool capture_broken = false;
  std::vector<std::function<void()>> recording;
};
struct SimGraph {
  std::vector<std::function<void()>> steps;
};
std::atomic<int> g_captures{0}, g_replays{0}, g_strided_copies{0};

class SimDevice : public DeviceBackend {
 public:
  DeviceType type() const override { return DeviceType::kPlugin; }
  std::string name() const override { return "sim"; }
  int DeviceCount(std::string* why) const override {
    int n = Stats().device_count.load();
    if (n == 0 && why) *why = "the simulated device is switched off";
    return n;
  }
  StatusOr<std::shared_ptr<void>> Allocate(int device_id, size_t bytes) const override {
    char* p = static_cast<char*>(std::aligned_alloc(256, ((bytes + 255) / 256) * 256 + 256));
    if (!p) return Status::OutOfMemory("sim: " + std::to_string(bytes) + " bytes");
    {
      std::lock_guard<std::mutex> l(Stats().mu);
      Stats().sizes[p] = bytes;
    }
    return std::shared_ptr<void>(p, [](void* q) {
      {
        std::lock_guard<std::mutex> l(Stats().mu);
        Stats().sizes.erase(static_cast<char*>(q));
      }
      std::free(q);
    });
  }
  StatusOr<std::unique_ptr<DeviceResources>> CreateResources(int device_id) const override {
    return std::unique_ptr<DeviceResources>(new SimResources());
  }
  Status CopyToDevice(int, void* dst, const void* src, size_t bytes, DeviceResources* res) const override {
    if (!Stats().Owns(dst)) return Status::Internal("sim: CopyToDevice into memory the device does not own");
    if (Stats().Owns(src)) return Status::Internal("sim: CopyToDevice from device memory");
    std::memcpy(dst, src, bytes);
    if (res) {
      static_cast<SimResources*>(res)->queued++;
      Stats().stream_copies++;
    } else {
      Stats().uploads++;
      Stats().upload_bytes += static_cast<int64_t>(bytes);
    }
    return Status::Ok();
  }
  Status CopyToHost(int, void* dst, const void* src, size_t bytes, DeviceResources* res) const override {
    if (!Stats().Owns(src)) return Status::Internal("sim: CopyToHost from memory the device does not own");
    if (Stats().Owns(dst)) return Status::Internal("sim: CopyToHost into device memory");
    std::memcpy(dst, src, bytes);
    if (res) Stats().stream_copies++;
    return Status::Ok();
  }
  Status CopyOnDevice(int, void* dst, const void* src, size_t bytes, DeviceResources*) const override {
    std::memcpy(dst, src, bytes);
    return Status::Ok();
  }
  Status Synchronize(DeviceResources* res) const override {
    if (res) {
      auto* r = static_cast<SimResources*>(res);
      if (r->capturing) {  // as CUDA: a synchronization invalidates the capture
        r->capture_broken = true;
        return Status::DeviceError("sim: synchronize while capturing");
      }
      r->synced += r->queued.exchange(0);
    }
    return Status::Ok();
  }
  Status CopyStrided(int, void* dst, const void* src, size_t elem_size, const Shape& shape,
                     const std::vector<int64_t>& src_strides, DeviceResources* res) const override {
    if (!Stats().Owns(dst) || !Stats().Owns(src)) return Status::Internal("sim: CopyStrided outside device memory");
    cpu_ref::StridedCopy(dst, src, shape, src_strides, elem_size);
    g_strided_copies++;
    if (res) static_cast<SimResources*>(res)->queued++;
    return Status::Ok();
  }
  bool SupportsCapture() const override { return true; }
  Status BeginCapture(DeviceResources* res) const override {
    auto* r = static_cast<SimResources*>(res);
    r->capturing = true;
    r->capture_broken = false;
    r->recording.clear();
    return Status::Ok();
  }
  StatusOr<std::shared_ptr<void>> EndCapture(DeviceResources* res) const override {
    auto* r = static_cast<SimResources*>(res);
    r->capturing = false;
    if (r->capture_broken) return Status::DeviceError("sim: capture invalidated");
    auto g = std::make_shared<SimGraph>();
    g->steps = std::move(r->recording);
    g_captures++;
    return std::shared_ptr<void>(g);
  }
  Status Replay(void* graph, DeviceResources* res) const override {
    for (auto& f : static_cast<SimGraph*>(graph)->steps) f();
    g_replays++;
    return Status::Ok();
  }
};

// Resources every sim kernel saw, so tests can tell clones apart.
std::mutex g_seen_mu;
std::set<const void*> g_seen_resources;

// Forwards to the executor's context, checking that outputs and workspace are device memory.
// While capturing (as on CUDA, recorded work does not run), outputs get their device memory but
// the kernel writes into scratch host tensors, leaving device memory untouched.
class CheckingContext final : public KernelContext {
 public:
  CheckingContext(KernelContext& real, bool capturing) : real_(real), capturing_(capturing) {}
  int NumInputs() const override { return real_.NumInputs(); }
  const Tensor* Input(int i) const override { return real_.Input(i); }
  int NumOutputs() const override { return real_.NumOutputs(); }
  bool OutputRequested(int i) const override { return real_.OutputRequested(i); }
  StatusOr<Tensor*> Output(int i, const Shape& shape, DataType dtype) override {
    PL_ASSIGN_OR_RETURN(Tensor* t, real_.Output(i, shape, dtype));
    if (t->device().type != DeviceType::kPlugin || (t->ByteSize() > 0 && !Stats().Owns(t->RawData())))
      return Status::Internal(real_.node().Describe() + ": output " + std::to_string(i) + " is not device memory");
    if (outputs_.size() <= static_cast<size_t>(i)) outputs_.resize(i + 1, nullptr);
    outputs_[i] = t;
    if (!capturing_) return t;
    if (scratch_.size() <= static_cast<size_t>(i)) scratch_.resize(i + 1);
    // Scratch device memory: the recorded kernel must not touch the output's real memory.
    const size_t bytes = static_cast<size_t>(ShapeNumElements(shape)) * DataTypeSize(dtype);
    PL_ASSIGN_OR_RETURN(std::shared_ptr<void> mem, FindDeviceBackend("sim")->Allocate(0, bytes));
    scratch_[i] = Tensor::FromBuffer(dtype, shape, std::move(mem), bytes, t->device());
    return &scratch_[i];
  }
  const std::vector<Tensor*>& outputs() const { return outputs_; }
  DataType OutputType(int i) const override { return real_.OutputType(i); }
  StatusOr<void*> Workspace(size_t bytes) override {
    PL_ASSIGN_OR_RETURN(void* w, real_.Workspace(bytes));
    if (bytes > 0 && !Stats().Owns(w)) return Status::Internal("workspace is not device memory");
    return w;
  }
  std::unique_ptr<KernelState>& state() override { return real_.state(); }
  int intra_op_threads() const override { return real_.intra_op_threads(); }
  const NodeInfo& node() const override { return real_.node(); }
  void* backend_resources() const override { return real_.backend_resources(); }

 private:
  KernelContext& real_;
  bool capturing_;
  std::vector<Tensor*> outputs_;
  std::vector<Tensor> scratch_;
};

// What a recorded kernel sees on replay: the same memory as when it was recorded.
class ReplayContext final : public KernelContext {
 public:
  ReplayContext(const NodeInfo* node, std::vector<Tensor> inputs, std::vector<Tensor> outputs)
      : node_(node), inputs_(std::move(inputs)), outputs_(std::move(outputs)) {}
  int NumInputs() const override { return static_cast<int>(inputs_.size()); }
  const Tensor* Input(int i) const override { return inputs_[i].dtype() == DataType::kUndefined ? nullptr : &inputs_[i]; }
  int NumOutputs() const override { return static_cast<int>(outputs_.size()); }
  bool OutputRequested(int i) const override { return outputs_[i].dtype() != DataType::kUndefined; }
  StatusOr<Tensor*> Output(int i, const Shape& shape, DataType dtype) override {
    if (outputs_[i].shape() != shape || outputs_[i].dtype() != dtype) return Status::Internal("replay: output moved");
    return &outputs_[i];
  }
  DataType OutputType(int i) const override { return outputs_[i].dtype(); }
  StatusOr<void*> Workspace(size_t bytes) override {
    ws_.resize(bytes);
    return ws_.data();
  }
  std::unique_ptr<KernelState>& state() override { return state_; }
  int intra_op_threads() const override { return 1; }
  const NodeInfo& node() const override { return *node_; }

 private:
  const NodeInfo* node_;
  std::vector<Tensor> inputs_, outputs_;
  std::vector<char> ws_;
  std::unique_ptr<KernelState> state_;
};

// Runs cpu_ref's kernel for the node on device memory, after checking where every input lives.
class SimKernel : public Kernel {
 public:
  SimKernel(std::vector<int> host_inputs, std::vector<int> metadata_inputs, bool decline_rank3)
      : host_inputs_(std::move(host_inputs)), metadata_inputs_(std::move(metadata_inputs)), decline_rank3_(decline_rank3) {}
  Status Init(const NodeInfo& node) override {
    if (node.device.type != DeviceType::kPlugin) return Status::Internal("sim kernel created for another device");
    for (const auto& e : KernelRegistry::Global().Find(node.domain, node.op_type, node.opset, kBackendCpuRef, node.InputType(0))) {
      auto k = e->factory(node);
      if (k.ok()) {
        inner_ = std::move(k).value();
        return Status::Ok();
      }
    }
    return Status::Unimplemented("sim: no cpu_ref kernel to wrap for " + node.Describe());
  }
  Status Compute(KernelContext& ctx) const override {
    auto* res = static_cast<SimResources*>(ctx.backend_resources());
    if (!res) return Status::Internal(ctx.node().Describe() + ": no per-predictor resources");
    {
      std::lock_guard<std::mutex> l(g_seen_mu);
      g_seen_resources.insert(res);
    }
    if (decline_rank3_ && ctx.Input(0) && ctx.Input(0)->rank() == 3)
      return Status::Unimplemented("sim: rank-3 input declined");
    for (int i = 0; i < ctx.NumInputs(); ++i) {
      const Tensor* t = ctx.Input(i);
      if (!t || std::count(metadata_inputs_.begin(), metadata_inputs_.end(), i)) continue;
      const bool want_host = std::count(host_inputs_.begin(), host_inputs_.end(), i) > 0;
      const bool on_device = t->device().type == DeviceType::kPlugin && (t->ByteSize() == 0 || Stats().Owns(t->RawData()));
      if (want_host && !t->device().is_host())
        return Status::Internal(ctx.node().Describe() + ": host input " + std::to_string(i) + " is on the device");
      if (!want_host && !on_device)
        return Status::Internal(ctx.node().Describe() + ": input " + std::to_string(i) + " is not device memory");
    }
    res->queued++;
    CheckingContext checked(ctx, res->capturing);
    PL_RETURN_IF_ERROR(inner_->Compute(checked));
    if (res->capturing) {
      // Recorded work runs on replay only: a closure that computes it over the same memory.
      std::vector<Tensor> in(ctx.NumInputs()), out(ctx.NumOutputs());
      for (int i = 0; i < ctx.NumInputs(); ++i)
        if (ctx.Input(i)) in[i] = *ctx.Input(i);
      for (size_t i = 0; i < checked.outputs().size(); ++i)
        if (checked.outputs()[i]) out[i] = *checked.outputs()[i];
      const Kernel* inner = inner_.get();
      const NodeInfo* node = &ctx.node();
      res->recording.push_back([inner, node, in, out] {
        ReplayContext rc(node, in, out);
        Status s = inner->Compute(rc);
        EXPECT_TRUE(s.ok()) << s.ToString();
      });
    }
    return Status::Ok();
  }

 private:
  std::vector<int> host_inputs_, metadata_inputs_;
  bool decline_rank3_;
  std::unique_ptr<Kernel> inner_;
};

// A device fault: DeviceError when the first element of its input is negative.
class SimFault : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (x->NumElements() > 0 && x->Data<float>()[0] < 0) return Status::DeviceError("sim: illegal address (simulated)");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape()));
    std::memcpy(y->RawMutableData(), x->RawData(), x->ByteSize());
    return Status::Ok();
  }
};

void RegisterSim() {
  static bool done = [] {
    RegisterDeviceBackend("sim", std::make_shared<SimDevice>());
    auto& r = KernelRegistry::Global();
    auto add = [&](const char* op, int since, std::vector<int> host = {}, bool decline3 = false, std::vector<int> meta = {}) {
      KernelDef def(op);
      def.Opset(since).Backend("sim").Types<float>();
      for (int h : host) def.HostInput(h);
      for (int m : meta) def.MetadataInput(m);
      EXPECT_TRUE(r.Register(def, [host, meta, decline3](const NodeInfo& n) -> StatusOr<std::unique_ptr<Kernel>> {
                     auto k = std::make_unique<SimKernel>(host, meta, decline3);
                     PL_RETURN_IF_ERROR(k->Init(n));
                     return std::unique_ptr<Kernel>(std::move(k));
                   }).ok());
    };
    add("Conv", 11);
    add("Relu", 6);
    add("Add", 7);
    add("Mul", 7);
    add("MatMul", 9);
    add("Reshape", 5, {1});
    add("Slice", 13, {1, 2, 3, 4});
    add("Split", 13, {1});
    add("Expand", 13, {1});
    add("Tile", 13, {1});
    add("DepthToSpace", 13);
    add("Transpose", 1);
    add("Softmax", 13, {}, /*decline3=*/true);
    add("GlobalAveragePool", 1);
    add("Sigmoid", 6);
    EXPECT_TRUE(r.Register(KernelDef("SimFault").Domain("test.sim").Backend("sim").Types<float>(),
                           MakeKernelFactory<SimFault>()).ok());
    return true;
  }();
  (void)done;
}

Config SimConfig(const std::string& model) {
  Config c;
  c.SetModelBuffer(model);
  c.SetBackends({"sim", kBackendCpuRef});
  return c;
}
Config RefConfig(const std::string& model) {
  Config c;
  c.SetModelBuffer(model);
  c.SetBackends({kBackendCpuRef});
  return c;
}

std::vector<float> Ramp(int64_t n, float scale, float bias) {
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<float>(i) * scale) + bias;
  return v;
}

// x[1,3,8,8] -> Conv(w,b) -> Relu -> Erf (cpu_ref only: the value goes to the host and back)
// -> Mul(x2) -> Reshape(shape: a host input of the sim kernel) -> Softmax -> y
// Shape(relu) (metadata only: no copy) -> s
std::string MixedModel() {
  Tensor x = T_<float>({1, 3, 8, 8}, Ramp(192, 0.37f, 0.1f));
  x.set_name("x");
  Tensor w = T_<float>({4, 3, 3, 3}, Ramp(108, 0.91f, 0.f));
  w.set_name("w");
  Tensor b = T_<float>({4}, {0.1f, -0.2f, 0.3f, 0.f});
  b.set_name("b");
  Tensor two = T_<float>({1}, {2.f});
  two.set_name("two");
  Tensor shape = T_<int64_t>({2}, {4, -1});
  shape.set_name("shape");
  std::vector<NodeSpec> nodes = {
      {"Conv", "", {"x", "w", "b"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}},
      {"Relu", "", {"c"}, {"r"}, {}},
      {"Erf", "", {"r"}, {"e"}, {}},
      {"Mul", "", {"e", "two"}, {"m"}, {}},
      {"Reshape", "", {"m", "shape"}, {"rs"}, {}},
      {"Softmax", "", {"rs"}, {"y"}, {AttrInt("axis", 1)}},
      {"Shape", "", {"r"}, {"s"}, {}},
  };
  return BuildModel(nodes, {x}, {w, b, two, shape}, {"y", "s"});
}

std::vector<Tensor> RunOrDie(Predictor* p, const std::vector<Tensor>& in) {
  std::vector<Tensor> out;
  Status s = p->Run(in, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

void ExpectBitIdentical(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(a[i].device().is_host());
    ASSERT_EQ(a[i].dtype(), b[i].dtype());
    ASSERT_EQ(a[i].shape(), b[i].shape());
    EXPECT_EQ(0, std::memcmp(a[i].RawData(), b[i].RawData(), a[i].ByteSize())) << "output " << i;
  }
}

}  // namespace
}  // namespace pl
