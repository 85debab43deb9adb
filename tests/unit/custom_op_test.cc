// A user registers a kernel for an op the SDK does not have, from their own code, through
// include/pl/ only.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "pl/pl.h"
#include "util/test_util.h"

namespace {

// com.example::ScaledSwish(x) = x * sigmoid(beta * x), beta an attribute.
class ScaledSwish : public pl::Kernel {
 public:
  pl::Status Init(const pl::NodeInfo& node) override {
    beta_ = node.Attr<float>("beta", 1.f);
    if (!(beta_ > 0)) return pl::Status::ModelError(node.Describe() + ": beta must be positive");
    return pl::Status::Ok();
  }
  pl::Status Compute(pl::KernelContext& ctx) const override {
    const pl::Tensor* x = ctx.Input(0);
    PL_ASSIGN_OR_RETURN(pl::Tensor * y, ctx.Output(0, x->shape(), pl::DataType::kFloat32));
    for (int64_t i = 0; i < x->NumElements(); ++i) {
      float v = x->Data<float>()[i];
      y->MutableData<float>()[i] = v / (1.f + std::exp(-beta_ * v));
    }
    return pl::Status::Ok();
  }

 private:
  float beta_ = 1.f;
};

TEST(CustomOp, RegisteredFromUserCode) {
  ASSERT_TRUE(pl::RegisterKernel<ScaledSwish>(
                  pl::KernelDef("ScaledSwish").Domain("com.example").Opset(1).Types<float>())
                  .ok());
  pl::Tensor x = pl::test::T_<float>({3}, {0, 0, 0});
  x.set_name("x");
  pl::test::NodeSpec n{"ScaledSwish", "com.example", {"x"}, {"y"}, {pl::test::AttrFloat("beta", 2.f)}};
  pl::Config c;
  c.SetModelBuffer(pl::test::BuildModel({n}, {x}, {}, {"y"}, 13, {{"com.example", 1}}));
  auto p = pl::CreatePredictor(c);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<pl::Tensor> out;
  ASSERT_TRUE((*p)->Run({pl::test::T_<float>({3}, {-1.f, 0.f, 2.f})}, &out).ok());
  const float* y = out[0].Data<float>();
  EXPECT_NEAR(y[0], -1.f / (1.f + std::exp(2.f)), 1e-6);
  EXPECT_NEAR(y[1], 0.f, 1e-6);
  EXPECT_NEAR(y[2], 2.f / (1.f + std::exp(-4.f)), 1e-6);

  // Attribute validation in Init surfaces as a model error naming the node.
  pl::test::NodeSpec bad{"ScaledSwish", "com.example", {"x"}, {"y"}, {pl::test::AttrFloat("beta", -1.f)}};
  c.SetModelBuffer(pl::test::BuildModel({bad}, {x}, {}, {"y"}, 13, {{"com.example", 1}}));
  auto q = pl::CreatePredictor(c);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.status().message().find("beta must be positive"), std::string::npos);
}

TEST(CustomOp, UserKernelOverridesBuiltin) {
  // A user's Relu on cpu_ref wins over the built-in one.
  class LeakyAsRelu : public pl::Kernel {
   public:
    pl::Status Compute(pl::KernelContext& ctx) const override {
      const pl::Tensor* x = ctx.Input(0);
      PL_ASSIGN_OR_RETURN(pl::Tensor * y, ctx.Output(0, x->shape()));
      for (int64_t i = 0; i < x->NumElements(); ++i) {
        float v = x->Data<float>()[i];
        y->MutableData<float>()[i] = v > 0 ? v : 0.5f * v;
      }
      return pl::Status::Ok();
    }
  };
  ASSERT_TRUE(pl::KernelRegistry::Global()
                  .Register(pl::KernelDef("Relu").Domain("").Opset(1).Types<float>().Backend("my_backend"),
                            pl::MakeKernelFactory<LeakyAsRelu>())
                  .ok());
  auto run = [](std::vector<std::string> backends) {
    std::vector<pl::Tensor> out;
    auto r = pl::test::RunOp("Relu", {pl::test::T_<float>({2}, {-2.f, 3.f})}, {}, 1, 13, {}, backends);
    return r.ok() ? pl::test::ToVec<float>((*r)[0]) : std::vector<float>{};
  };
  EXPECT_EQ(run({"my_backend"}), (std::vector<float>{-1.f, 3.f}));
  EXPECT_EQ(run({"cpu_ref"}), (std::vector<float>{0.f, 3.f}));
}

TEST(CustomOp, RunTimeDeclineFallsBackToCpuRef) {
  // A backend that declines some shapes only at run time (as oneDNN may refuse a primitive for a
  // shape it first sees then): that node runs on cpu_ref for the shape, and the run succeeds.
  class PickyNeg : public pl::Kernel {
   public:
    pl::Status Compute(pl::KernelContext& ctx) const override {
      const pl::Tensor* x = ctx.Input(0);
      if (x->NumElements() > 2) return pl::Status::Unimplemented("picky: more than 2 elements");
      PL_ASSIGN_OR_RETURN(pl::Tensor * y, ctx.Output(0, x->shape()));
      for (int64_t i = 0; i < x->NumElements(); ++i) y->MutableData<float>()[i] = -x->Data<float>()[i];
      return pl::Status::Ok();
    }
  };
  ASSERT_TRUE(pl::KernelRegistry::Global()
                  .Register(pl::KernelDef("Neg").Domain("").Opset(1).Types<float>().Backend("picky_backend"),
                            pl::MakeKernelFactory<PickyNeg>())
                  .ok());
  auto run = [](std::vector<std::string> backends, pl::Tensor x) -> pl::StatusOr<std::vector<float>> {
    auto r = pl::test::RunOp("Neg", {std::move(x)}, {}, 1, 13, {}, backends);
    if (!r.ok()) return r.status();
    return pl::test::ToVec<float>((*r)[0]);
  };
  auto small = run({"picky_backend", "cpu_ref"}, pl::test::T_<float>({2}, {1.f, -2.f}));
  ASSERT_TRUE(small.ok()) << small.status().ToString();
  EXPECT_EQ(*small, (std::vector<float>{-1.f, 2.f}));
  auto big = run({"picky_backend", "cpu_ref"}, pl::test::T_<float>({3}, {1.f, -2.f, 4.f}));
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_EQ(*big, (std::vector<float>{-1.f, 2.f, -4.f}));
  // Declined twice more (the same shape again, then another): still answered, still correct.
  for (int n : {3, 5}) {
    auto again = run({"picky_backend", "cpu_ref"}, pl::test::T_<float>({n}, std::vector<float>(n, 1.f)));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, std::vector<float>(n, -1.f));
  }
}

TEST(CustomOp, RunTimeDeclineIsRememberedPerInputSignature) {
  // Once a backend declined an input signature, that predictor sends it straight to cpu_ref: the
  // declining kernel is not asked again on every run.
  static std::atomic<int> calls{0};
  class PickyAbs : public pl::Kernel {
   public:
    pl::Status Compute(pl::KernelContext& ctx) const override {
      ++calls;
      return pl::Status::Unimplemented("picky: declines every shape");
    }
  };
  ASSERT_TRUE(pl::KernelRegistry::Global()
                  .Register(pl::KernelDef("Abs").Domain("").Opset(1).Types<float>().Backend("picky_cached"),
                            pl::MakeKernelFactory<PickyAbs>())
                  .ok());
  pl::Tensor x = pl::test::T_<float>({3}, {0, 0, 0});
  x.set_name("x");
  pl::Config c;
  c.SetModelBuffer(pl::test::BuildModel({{"Abs", "", {"x"}, {"y"}, {}}}, {x}, {}, {"y"}, 13));
  c.SetBackends({"picky_cached", pl::kBackendCpuRef});
  auto p = pl::CreatePredictor(c);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  for (int run = 0; run < 3; ++run) {
    std::vector<pl::Tensor> out;
    ASSERT_TRUE((*p)->Run({pl::test::T_<float>({3}, {-1.f, 2.f, -3.f})}, &out).ok());
    EXPECT_EQ(pl::test::ToVec<float>(out[0]), (std::vector<float>{1.f, 2.f, 3.f}));
  }
  EXPECT_EQ(calls.load(), 1) << "asked once, then remembered";
  // A clone has its own memory of declines.
  auto q = (*p)->Clone();
  ASSERT_TRUE(q.ok());
  std::vector<pl::Tensor> out;
  ASSERT_TRUE((*q)->Run({pl::test::T_<float>({3}, {-1.f, 2.f, -3.f})}, &out).ok());
  EXPECT_EQ(calls.load(), 2);
}

TEST(CustomOp, RegistrationValidatesDefs) {
  EXPECT_FALSE(pl::RegisterKernel<ScaledSwish>(pl::KernelDef("")).ok());
  EXPECT_FALSE(pl::RegisterKernel<ScaledSwish>(pl::KernelDef("X").Opset(5, 2)).ok());
}

}  // namespace

// A user backend declares an option; its kernels read it through NodeInfo::Option. Undeclared keys
// and unaccepted values fail CreatePredictor with InvalidArgument naming them; Summary() prints
// the options.
class ScaledByOption : public pl::Kernel {
 public:
  pl::Status Init(const pl::NodeInfo& node) override {
    scale_ = node.Option("example.scale", "one") == "two" ? 2.f : 1.f;
    return pl::Status::Ok();
  }
  pl::Status Compute(pl::KernelContext& ctx) const override {
    const pl::Tensor* x = ctx.Input(0);
    PL_ASSIGN_OR_RETURN(pl::Tensor * y, ctx.Output(0, x->shape(), pl::DataType::kFloat32));
    for (int64_t i = 0; i < x->NumElements(); ++i) y->MutableData<float>()[i] = scale_ * x->Data<float>()[i];
    return pl::Status::Ok();
  }

 private:
  float scale_ = 1.f;
};

TEST(BackendOptions, DeclaredReadCheckedAndPrinted) {
  pl::KernelRegistry::Global().DeclareOption({"example.scale", {"one", "two"}, "output scale of com.example::Scaled"});
  ASSERT_TRUE(pl::RegisterKernel<ScaledByOption>(
                  pl::KernelDef("Scaled").Domain("com.example").Opset(1).Backend("example").Types<float>())
                  .ok());
  pl::Tensor x = pl::test::T_<float>({2}, {0, 0});
  x.set_name("x");
  pl::test::NodeSpec n{"Scaled", "com.example", {"x"}, {"y"}, {}};
  pl::Config c;
  c.SetModelBuffer(pl::test::BuildModel({n}, {x}, {}, {"y"}, 13, {{"com.example", 1}}));
  c.SetBackends({"example", pl::kBackendCpuRef});
  auto run = [&](const pl::Config& config) -> pl::StatusOr<float> {
    PL_ASSIGN_OR_RETURN(auto p, pl::CreatePredictor(config));
    std::vector<pl::Tensor> out;
    PL_RETURN_IF_ERROR(p->Run({pl::test::T_<float>({2}, {1.5f, -1.f})}, &out));
    return out[0].Data<float>()[0];
  };
  auto plain = run(c);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FLOAT_EQ(*plain, 1.5f);
  c.SetBackendOption("example.scale", "two");
  auto twice = run(c);
  ASSERT_TRUE(twice.ok()) << twice.status().ToString();
  EXPECT_FLOAT_EQ(*twice, 3.f);
  EXPECT_NE(c.Summary().find("backend_options: example.scale=two"), std::string::npos) << c.Summary();

  pl::Config bad_value = c;
  bad_value.SetBackendOption("example.scale", "three");
  auto v = pl::CreatePredictor(bad_value);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), pl::StatusCode::kInvalidArgument);
  EXPECT_NE(v.status().message().find("'example.scale' = 'three': expected one | two"), std::string::npos)
      << v.status().ToString();

  pl::Config bad_key = c;
  bad_key.SetBackendOption("example.scael", "two");
  auto k = pl::CreatePredictor(bad_key);
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.status().code(), pl::StatusCode::kInvalidArgument);
  EXPECT_NE(k.status().message().find("'example.scael' is not declared"), std::string::npos) << k.status().ToString();
  EXPECT_NE(k.status().message().find("example.scale"), std::string::npos) << "lists the known keys";
#ifdef PL_WITH_ONEDNN
  bool dw = false;
  for (const auto& o : pl::KernelRegistry::Global().DeclaredOptions()) dw |= o.key == "onednn.dw_fusion";
  EXPECT_TRUE(dw) << "the oneDNN backend declares onednn.dw_fusion";
#endif
}
