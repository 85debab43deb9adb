// Reductions (opsets 1+), every numeric dtype: ReduceSum ReduceMean ReduceMax ReduceMin ReduceProd
// ReduceL1 ReduceL2 ReduceLogSum ReduceLogSumExp ReduceSumSquare (axes attribute before opset 18,
// ReduceSum before 13; an optional axes input from then on, with noop_with_empty_axes; keepdims),
// ArgMax ArgMin (axis, keepdims, select_last_index; int64 output).
#include <cmath>
#include <limits>
#include <set>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

enum class RedOp { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

// Calls f(in_index, out_index) for every input element; out_index drops the reduced dims
// (`reduced[d]`). Row-major over the input.
template <typename F>
void ForEachReduced(const Shape& in, const std::vector<bool>& reduced, F&& f) {
  const int64_t n = ShapeNumElements(in);
  if (n <= 0) return;
  const int r = static_cast<int>(in.size());
  std::vector<int64_t> ostride(r, 0);
  int64_t s = 1;
  for (int d = r - 1; d >= 0; --d) {
    if (reduced[d]) continue;
    ostride[d] = s;
    s *= in[d];
  }
  std::vector<int64_t> idx(r, 0);
  int64_t o = 0;
  for (int64_t i = 0; i < n; ++i) {
    f(i, o);
    for (int d = r - 1; d >= 0; --d) {
      ++idx[d];
      o += ostride[d];
      if (idx[d] < in[d]) break;
      o -= ostride[d] * in[d];
      idx[d] = 0;
    }
  }
}

// Accumulator type: double for floats (exact for Max/Min, accurate sums), 64-bit for integers.
template <typename T>
using RedAcc = std::conditional_t<kIsFloat<T>, double, std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

template <RedOp kOp>
class ReduceKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axes_from_input_ = node.opset >= (kOp == RedOp::kSum ? 13 : 18);
    keepdims_ = node.Attr<int64_t>("keepdims", 1) != 0;
    noop_with_empty_axes_ = axes_from_input_ && node.Attr<int64_t>("noop_with_empty_axes", 0) != 0;
    if (!axes_from_input_) axes_attr_ = node.Attr<std::vector<int64_t>>("axes", {});
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    std::vector<int64_t> axes = axes_attr_;
    if (axes_from_input_ && ctx.Input(1)) {
      PL_ASSIGN_OR_RETURN(axes, ReadInts(*ctx.Input(1), node, "axes"));
    }
    const int64_t rank = x->rank();
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty());
    if (axes.empty() && noop_with_empty_axes_) {
      // The spec's no-op: the input passes through unchanged.
      PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
      if (x->ByteSize()) std::memcpy(y->RawMutableData(), x->RawData(), x->ByteSize());
      return Status::Ok();
    }
    for (int64_t a : axes) {
      PL_ASSIGN_OR_RETURN(int64_t d, NormalizeAxis(a, rank, node));
      if (reduced[d]) return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(a) + " repeated");
      reduced[d] = true;
    }
    Shape out_shape;
    int64_t count = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (!reduced[d]) out_shape.push_back(x->dim(d));
      else {
        count *= x->dim(d);
        if (keepdims_) out_shape.push_back(1);
      }
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, x->dtype()));
    return Dispatch(NumericTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      // L2, LogSum and LogSumExp of integers still need a real-valued sum.
      constexpr bool kReal = kOp == RedOp::kL2 || kOp == RedOp::kLogSum || kOp == RedOp::kLogSumExp;
      using A = std::conditional_t<kReal, double, RedAcc<T>>;
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      const int64_t n_out = ShapeNumElements(out_shape);
      auto load = [&](int64_t i) { return static_cast<A>(static_cast<CType<T>>(in[i])); };
      // LogSumExp subtracts each group's max before exponentiating, so that exp cannot overflow.
      std::vector<A> mx;
      if constexpr (kOp == RedOp::kLogSumExp) {
        mx.assign(n_out, -std::numeric_limits<A>::infinity());
        ForEachReduced(x->shape(), reduced, [&](int64_t i, int64_t o) { mx[o] = std::max(mx[o], load(i)); });
      }
      std::vector<A> acc(n_out, Identity<A>());
      ForEachReduced(x->shape(), reduced, [&](int64_t i, int64_t o) {
        const A v = load(i);
        A& a = acc[o];
        if constexpr (kOp == RedOp::kSum || kOp == RedOp::kMean || kOp == RedOp::kLogSum) a = Wrap<A>(a, v, false);
        else if constexpr (kOp == RedOp::kProd) a = Wrap<A>(a, v, true);
        else if constexpr (kOp == RedOp::kMax) a = v > a ? v : a;
        else if constexpr (kOp == RedOp::kMin) a = v < a ? v : a;
        else if constexpr (kOp == RedOp::kL1) a = Wrap<A>(a, v < A(0) ? A(0) - v : v, false);
        else if constexpr (kOp == RedOp::kL2 || kOp == RedOp::kSumSquare) a = Wrap<A>(a, Wrap<A>(v, v, true), false);
        else if constexpr (kOp == RedOp::kLogSumExp) {
          if (std::isfinite(mx[o])) a += std::exp(v - mx[o]);
        }
      });
      for (int64_t o = 0; o < n_out; ++o) out[o] = Finish<T>(acc[o], count, kOp == RedOp::kLogSumExp ? mx[o] : A(0));
      return Status::Ok();
    });
  }

 private:
  template <typename A>
  static A Identity() {
    if constexpr (kOp == RedOp::kProd) return A(1);
    if constexpr (kOp == RedOp::kMax)
      return std::is_floating_point_v<A> ? -std::numeric_limits<A>::infinity() : std::numeric_limits<A>::lowest();
    if constexpr (kOp == RedOp::kMin)
      return std::is_floating_point_v<A> ? std::numeric_limits<A>::infinity() : std::numeric_limits<A>::max();
    return A(0);
  }
  // a + v or a * v; integers wrap instead of overflowing (UB for signed types).
  template <typename A>
  static A Wrap(A a, A v, bool mul) {
    if constexpr (std::is_integral_v<A>) {
      const uint64_t ua = static_cast<uint64_t>(a), uv = static_cast<uint64_t>(v);
      return static_cast<A>(mul ? ua * uv : ua + uv);
    } else {
      return mul ? a * v : a + v;
    }
  }
  template <typename T, typename A>
  static T Finish(A a, int64_t count, A mx) {
    double v;
    if constexpr (kOp == RedOp::kMean) {
      if constexpr (std::is_integral_v<A>) return count ? static_cast<T>(a / static_cast<A>(count)) : T(0);
      v = a / static_cast<double>(count);
    } else if constexpr (kOp == RedOp::kL2) {
      v = std::sqrt(static_cast<double>(a));
    } else if constexpr (kOp == RedOp::kLogSum) {
      v = std::log(static_cast<double>(a));
    } else if constexpr (kOp == RedOp::kLogSumExp) {
      // All -inf (or nothing reduced): the sum of exps is 0 and the result -inf; +inf stays +inf.
      v = std::isfinite(static_cast<double>(mx)) ? static_cast<double>(mx) + std::log(static_cast<double>(a))
                                                 : static_cast<double>(mx);
    } else {
      return static_cast<T>(static_cast<CType<T>>(a));
    }
    if constexpr (std::is_integral_v<T>) return std::isfinite(v) ? static_cast<T>(static_cast<int64_t>(v)) : T(0);
    else return static_cast<T>(static_cast<CType<T>>(v));
  }

  bool axes_from_input_ = false, keepdims_ = true, noop_with_empty_axes_ = false;
  std::vector<int64_t> axes_attr_;
};

template <bool kMax>
class ArgKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 0);
    keepdims_ = node.Attr<int64_t>("keepdims", 1) != 0;
    last_ = node.Attr<int64_t>("select_last_index", 0) != 0;
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), node));
    const int64_t len = x->dim(static_cast<int>(axis));
    int64_t outer = 1, inner = 1;
    Shape out_shape;
    for (int64_t d = 0; d < x->rank(); ++d) {
      if (d < axis) outer *= x->dim(d);
      if (d > axis) inner *= x->dim(d);
      if (d != axis) out_shape.push_back(x->dim(d));
      else if (keepdims_) out_shape.push_back(1);
    }
    if (len == 0 && outer * inner > 0)
      return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(axis) + " of shape " +
                                     ShapeToString(x->shape()) + " is empty");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, DataType::kInt64));
    return Dispatch(NumericTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      const T* in = x->Data<T>();
      int64_t* out = y->MutableData<int64_t>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          const T* p = in + o * len * inner + i;
          int64_t best = 0;
          C bv = static_cast<C>(p[0]);
          for (int64_t k = 1; k < len; ++k) {
            const C v = static_cast<C>(p[k * inner]);
            const bool better = kMax ? (last_ ? v >= bv : v > bv) : (last_ ? v <= bv : v < bv);
            if (better) { bv = v; best = k; }
          }
          out[o * inner + i] = best;
        }
      }
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = 0;
  bool keepdims_ = true, last_ = false;
};

template <RedOp kOp>
void AddReduce(KernelRegistry& r, const char* op) {
  Add<ReduceKernel<kOp>>(r, RefDef(op).Opset(1).Types(DataTypes(NumericTypes{})));
}

}  // namespace

void RegisterReduce(KernelRegistry& r) {
  AddReduce<RedOp::kSum>(r, "ReduceSum");
  AddReduce<RedOp::kMean>(r, "ReduceMean");
  AddReduce<RedOp::kMax>(r, "ReduceMax");
  AddReduce<RedOp::kMin>(r, "ReduceMin");
  AddReduce<RedOp::kProd>(r, "ReduceProd");
  AddReduce<RedOp::kL1>(r, "ReduceL1");
  AddReduce<RedOp::kL2>(r, "ReduceL2");
  AddReduce<RedOp::kLogSum>(r, "ReduceLogSum");
  AddReduce<RedOp::kLogSumExp>(r, "ReduceLogSumExp");
  AddReduce<RedOp::kSumSquare>(r, "ReduceSumSquare");
  Add<ArgKernel<true>>(r, RefDef("ArgMax").Opset(1).Types(DataTypes(NumericTypes{})));
  Add<ArgKernel<false>>(r, RefDef("ArgMin").Opset(1).Types(DataTypes(NumericTypes{})));
}

}  // namespace pl::cpu_ref
