// RandomNormal, RandomUniform (1; shape, dtype float16/float32/float64), RandomNormalLike,
// RandomUniformLike (1; the input's shape, dtype attribute or the input's), Multinomial (7;
// [batch, classes] unnormalized log-probabilities, int32/int64 samples) and Bernoulli (15;
// probabilities in, 0/1 of dtype or the input's dtype out).
// Values come from a counter-based generator (SplitMix64 of a key and the element index), so a
// kernel stays const and lock-free: with `seed`, every run gives the same values (and clones
// agree); without it each run draws a fresh key from a process-wide atomic counter mixed with a
// boot-time random value. The ONNX node tests of these ops hold one numpy draw as golden data,
// which no other generator reproduces: tests/ops/random_test.cc checks shapes, ranges, seeding
// and the distributions' moments instead.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>

#include "src/backends/cpu/ref/data_movement.h"
#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

uint64_t SplitMix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Stream of uniform values for one run: element i of the stream depends only on (key, i).
class Stream {
 public:
  explicit Stream(uint64_t key) : key_(SplitMix64(key)) {}
  // Uniform in [0, 1) with 53 random bits.
  double Uniform(uint64_t i) const { return static_cast<double>(SplitMix64(key_ ^ SplitMix64(i)) >> 11) * 0x1p-53; }
  // Standard normal (Box-Muller on two uniforms; 1 - u keeps the log finite).
  double Normal(uint64_t i) const {
    const double u1 = 1.0 - Uniform(2 * i), u2 = Uniform(2 * i + 1);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

 private:
  uint64_t key_;
};

uint64_t FreshKey() {
  static const uint64_t boot = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  static std::atomic<uint64_t> counter{0};
  return SplitMix64(boot + counter.fetch_add(1, std::memory_order_relaxed));
}

// The run's key: fixed by the seed attribute (its float bits), else fresh.
class Seeding {
 public:
  void Init(const NodeInfo& node) {
    seeded_ = node.HasAttr("seed");
    const double seed = node.Attr<float>("seed", 0.f);
    std::memcpy(&seed_bits_, &seed, sizeof(seed));
  }
  Stream Next() const { return Stream(seeded_ ? seed_bits_ : FreshKey()); }

 private:
  bool seeded_ = false;
  uint64_t seed_bits_ = 0;
};

// dtype attribute (an ONNX TensorProto enum) as a DataType; `fallback` when absent.
StatusOr<DataType> DtypeAttr(const NodeInfo& node, DataType fallback, bool floats_only) {
  if (!node.HasAttr("dtype")) return fallback;
  const int64_t v = node.Attr<int64_t>("dtype", 0);
  DataType t = DataType::kUndefined;
  switch (v) {
    case 1: t = DataType::kFloat32; break;
    case 2: t = DataType::kUint8; break;
    case 3: t = DataType::kInt8; break;
    case 4: t = DataType::kUint16; break;
    case 5: t = DataType::kInt16; break;
    case 6: t = DataType::kInt32; break;
    case 7: t = DataType::kInt64; break;
    case 9: t = DataType::kBool; break;
    case 10: t = DataType::kFloat16; break;
    case 11: t = DataType::kFloat64; break;
    case 12: t = DataType::kUint32; break;
    case 13: t = DataType::kUint64; break;
    default: break;
  }
  const bool is_float = t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kFloat16;
  if (t == DataType::kUndefined || (floats_only && !is_float))
    return Status::InvalidArgument(node.Describe() + ": dtype " + std::to_string(v) + " is not supported here" +
                                   (floats_only ? " (float16, float32 or float64)" : ""));
  return t;
}

// Writes value(i) for i < n into a float tensor of any float dtype.
template <typename F>
Status FillFloat(Tensor* y, const NodeInfo& node, F&& value) {
  return Dispatch(FloatTypes{}, y->dtype(), node, [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* d = y->MutableData<T>();
    for (int64_t i = 0; i < y->NumElements(); ++i) d[i] = static_cast<T>(static_cast<CType<T>>(value(i)));
    return Status::Ok();
  });
}

// RandomNormal / RandomUniform and their *Like forms.
template <bool kNormal, bool kLike>
class RandomKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    seeding_.Init(node);
    if (kNormal) {
      a_ = node.Attr<float>("mean", 0.f);
      b_ = node.Attr<float>("scale", 1.f);
    } else {
      a_ = node.Attr<float>("low", 0.f);
      b_ = node.Attr<float>("high", 1.f);
      if (!(a_ <= b_))
        return Status::InvalidArgument(node.Describe() + ": low " + std::to_string(a_) + " > high " + std::to_string(b_));
    }
    if (!kLike) {
      PL_ASSIGN_OR_RETURN(dtype_, DtypeAttr(node, DataType::kFloat32, true));
      if (!node.HasAttr("shape")) return Status::ModelError(node.Describe() + ": shape attribute is required");
      shape_ = node.Attr<std::vector<int64_t>>("shape", {});
      for (int64_t d : shape_)
        if (d < 0) return Status::InvalidArgument(node.Describe() + ": shape " + ShapeToString(shape_) + " has a negative dim");
    } else if (node.HasAttr("dtype")) {
      PL_ASSIGN_OR_RETURN(dtype_, DtypeAttr(node, DataType::kUndefined, true));
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    Shape shape = shape_;
    DataType dt = dtype_;
    if (kLike) {
      const Tensor* x = ctx.Input(0);
      if (!x) return MissingInput(node, 0);
      shape = x->shape();
      if (dt == DataType::kUndefined) dt = x->dtype();
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, shape, dt));
    const Stream s = seeding_.Next();
    const double a = a_, b = b_;
    if (kNormal) return FillFloat(y, node, [&](int64_t i) { return a + b * s.Normal(static_cast<uint64_t>(i)); });
    // Rounding to the output type may reach `high`: keep the half-open interval.
    return Dispatch(FloatTypes{}, dt, node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      T* d = y->MutableData<T>();
      for (int64_t i = 0; i < y->NumElements(); ++i) {
        C v = static_cast<C>(a + (b - a) * s.Uniform(static_cast<uint64_t>(i)));
        if (static_cast<double>(static_cast<C>(T(v))) >= b && b > a) v = static_cast<C>(a);
        d[i] = T(v);
      }
      return Status::Ok();
    });
  }

 private:
  Seeding seeding_;
  double a_ = 0, b_ = 1;
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
};

// ---------------------------------------------------------------- Multinomial
class MultinomialKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    seeding_.Init(node);
    PL_ASSIGN_OR_RETURN(dtype_, DtypeAttr(node, DataType::kInt32, false));
    if (dtype_ != DataType::kInt32 && dtype_ != DataType::kInt64)
      return Status::InvalidArgument(node.Describe() + ": dtype must be int32 or int64");
    samples_ = node.Attr<int64_t>("sample_size", 1);
    if (samples_ < 0) return Status::InvalidArgument(node.Describe() + ": sample_size < 0");
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    if (x->rank() != 2)
      return Status::InvalidArgument(node.Describe() + ": input shape " + ShapeToString(x->shape()) +
                                     ", expected [batch_size, class_size]");
    const int64_t batch = x->dim(0), classes = x->dim(1);
    if (classes == 0 && batch * samples_ > 0)
      return Status::InvalidArgument(node.Describe() + ": no classes to sample from");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {batch, samples_}, dtype_));
    const Stream s = seeding_.Next();
    // Per row: cumulative exp(x - max), then inverse-CDF lookup (binary search) per sample.
    std::vector<double> cdf(static_cast<size_t>(classes));
    for (int64_t b = 0; b < batch; ++b) {
      double mx = -INFINITY;
      for (int64_t c = 0; c < classes; ++c) mx = std::max(mx, LoadDouble(*x, b * classes + c));
      if (!std::isfinite(mx))
        return Status::InvalidArgument(node.Describe() + ": row " + std::to_string(b) +
                                       " has no finite log-probability (or holds +inf/NaN)");
      double acc = 0;
      for (int64_t c = 0; c < classes; ++c) {
        const double v = LoadDouble(*x, b * classes + c);
        if (std::isnan(v)) return Status::InvalidArgument(node.Describe() + ": NaN log-probability in row " + std::to_string(b));
        acc += std::exp(v - mx);
        cdf[c] = acc;
      }
      for (int64_t k = 0; k < samples_; ++k) {
        const double u = s.Uniform(static_cast<uint64_t>(b * samples_ + k)) * acc;
        // First class whose cumulative mass exceeds u (never a zero-mass class).
        int64_t c = std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin();
        if (c >= classes) c = classes - 1;
        while (c > 0 && cdf[c] == cdf[c - 1]) --c;  // u == acc edge: back to a class with mass
        if (dtype_ == DataType::kInt32) y->MutableData<int32_t>()[b * samples_ + k] = static_cast<int32_t>(c);
        else y->MutableData<int64_t>()[b * samples_ + k] = c;
      }
    }
    return Status::Ok();
  }

 private:
  Seeding seeding_;
  DataType dtype_ = DataType::kInt32;
  int64_t samples_ = 1;
};

// ---------------------------------------------------------------- Bernoulli
class BernoulliKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    seeding_.Init(node);
    PL_ASSIGN_OR_RETURN(dtype_, DtypeAttr(node, DataType::kUndefined, false));
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    const DataType dt = dtype_ == DataType::kUndefined ? x->dtype() : dtype_;
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), dt));
    const Stream s = seeding_.Next();
    const size_t esz = DataTypeSize(dt);
    char* out = static_cast<char*>(y->RawMutableData());
    alignas(8) char zero[8] = {0}, one[8] = {0};
    if (!StoreDouble(dt, 0.0, zero) || !StoreDouble(dt, 1.0, one))
      return Status::InvalidArgument(node.Describe() + ": output dtype " + DataTypeName(dt));
    for (int64_t i = 0; i < x->NumElements(); ++i) {
      const double p = LoadDouble(*x, i);
      if (!(p >= 0 && p <= 1))
        return Status::InvalidArgument(node.Describe() + ": probability " + std::to_string(p) + " at element " +
                                       std::to_string(i) + " outside [0, 1]");
      std::memcpy(out + static_cast<size_t>(i) * esz, s.Uniform(static_cast<uint64_t>(i)) < p ? one : zero, esz);
    }
    return Status::Ok();
  }

 private:
  Seeding seeding_;
  DataType dtype_ = DataType::kUndefined;
};

}  // namespace

void RegisterRandom(KernelRegistry& r) {
  const std::vector<DataType> floats = DataTypes(FloatTypes{});
  Add<RandomKernel<true, false>>(r, RefDef("RandomNormal").Opset(1).TypeFrom(-1).Types(floats));
  Add<RandomKernel<false, false>>(r, RefDef("RandomUniform").Opset(1).TypeFrom(-1).Types(floats));
  Add<RandomKernel<true, true>>(r, RefDef("RandomNormalLike").Opset(1).AnyType());
  Add<RandomKernel<false, true>>(r, RefDef("RandomUniformLike").Opset(1).AnyType());
  Add<MultinomialKernel>(r, RefDef("Multinomial").Opset(7).Types(floats));
  Add<BernoulliKernel>(r, RefDef("Bernoulli").Opset(15).Types(floats));
}

}  // namespace pl::cpu_ref
