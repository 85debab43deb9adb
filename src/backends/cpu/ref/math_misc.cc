// CumSum (11+; axis input, exclusive, reverse), TopK (1+; k attribute before opset 10, input
// after; largest/sorted from 11; ties keep the lower index first; NaN counts as the largest),
// Einsum (12+; any equation: implicit or explicit output, repeated labels (diagonals), ellipsis
// with broadcasting; evaluated by plain index iteration). Every numeric dtype. Det (11+; float types).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

// Sum type: double for floats, wrapping uint64 for integers.
template <typename T>
using SumType = std::conditional_t<kIsFloat<T>, double, uint64_t>;

template <typename T>
SumType<T> ToSum(T v) {
  if constexpr (kIsFloat<T>) return static_cast<double>(static_cast<CType<T>>(v));
  else return static_cast<uint64_t>(v);
}
template <typename T>
T FromSum(SumType<T> v) {
  if constexpr (kIsFloat<T>) return static_cast<T>(static_cast<CType<T>>(v));
  else return static_cast<T>(v);
}

class CumSumKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    exclusive_ = node.Attr<int64_t>("exclusive", 0) != 0;
    reverse_ = node.Attr<int64_t>("reverse", 0) != 0;
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    const Tensor* axis_t = ctx.Input(1);
    if (!x) return MissingInput(node, 0);
    if (!axis_t) return MissingInput(node, 1);
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> axis_v, ReadInts(*axis_t, node, "axis"));
    if (axis_v.size() != 1 || axis_t->rank() > 1)
      return Status::InvalidArgument(node.Describe() + ": axis must be a scalar, got shape " +
                                     ShapeToString(axis_t->shape()));
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_v[0], x->rank(), node));
    int64_t outer = 1, inner = 1;
    const int64_t len = x->dim(static_cast<int>(axis));
    for (int64_t d = 0; d < x->rank(); ++d) {
      if (d < axis) outer *= x->dim(d);
      if (d > axis) inner *= x->dim(d);
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    return Dispatch(NumericTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          SumType<T> acc = 0;
          for (int64_t step = 0; step < len; ++step) {
            const int64_t k = reverse_ ? len - 1 - step : step;
            const int64_t at = (o * len + k) * inner + i;
            if (exclusive_) {
              out[at] = FromSum<T>(acc);
              acc += ToSum(in[at]);
            } else {
              acc += ToSum(in[at]);
              out[at] = FromSum<T>(acc);
            }
          }
        }
      }
      return Status::Ok();
    });
  }

 private:
  bool exclusive_ = false, reverse_ = false;
};

class TopKKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", -1);
    largest_ = node.Attr<int64_t>("largest", 1) != 0;
    k_from_input_ = node.opset >= 10;
    if (!k_from_input_) {
      PL_ASSIGN_OR_RETURN(k_attr_, node.RequiredAttr<int64_t>("k"));
    }
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    int64_t k = k_attr_;
    if (k_from_input_) {
      if (!ctx.Input(1)) return MissingInput(node, 1);
      PL_ASSIGN_OR_RETURN(std::vector<int64_t> kv, ReadInts(*ctx.Input(1), node, "K"));
      if (kv.size() != 1)
        return Status::InvalidArgument(node.Describe() + ": K must hold one value, got shape " +
                                       ShapeToString(ctx.Input(1)->shape()));
      k = kv[0];
    }
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, x->rank(), node));
    const int64_t len = x->dim(static_cast<int>(axis));
    if (k < 0 || k > len)
      return Status::InvalidArgument(node.Describe() + ": k = " + std::to_string(k) + " outside [0, " +
                                     std::to_string(len) + "] for axis " + std::to_string(axis));
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < x->rank(); ++d) {
      if (d < axis) outer *= x->dim(d);
      if (d > axis) inner *= x->dim(d);
    }
    Shape out_shape = x->shape();
    out_shape[axis] = k;
    PL_ASSIGN_OR_RETURN(Tensor* values, ctx.Output(0, out_shape, x->dtype()));
    Tensor* indices = nullptr;
    if (ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      PL_ASSIGN_OR_RETURN(indices, ctx.Output(1, out_shape, DataType::kInt64));
    }
    return Dispatch(NumericTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      using C = CType<T>;
      const T* in = x->Data<T>();
      T* pv = values->MutableData<T>();
      int64_t* pi = indices ? indices->MutableData<int64_t>() : nullptr;
      // A strict weak order even with NaN (which ranks above everything), as sorting requires.
      auto greater = [](C a, C b) {
        if constexpr (std::is_floating_point_v<C>) {
          if (std::isnan(b)) return false;
          if (std::isnan(a)) return true;
        }
        return a > b;
      };
      std::vector<int64_t> order(static_cast<size_t>(len));
      for (int64_t o = 0; o < outer; ++o) {
        for (int64_t i = 0; i < inner; ++i) {
          auto at = [&](int64_t j) { return static_cast<C>(in[(o * len + j) * inner + i]); };
          std::iota(order.begin(), order.end(), int64_t{0});
          // stable: equal values keep the lower index first.
          std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
            return largest_ ? greater(at(a), at(b)) : greater(at(b), at(a));
          });
          for (int64_t j = 0; j < k; ++j) {
            const int64_t dst = (o * k + j) * inner + i;
            pv[dst] = in[(o * len + order[j]) * inner + i];
            if (pi) pi[dst] = order[j];
          }
        }
      }
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = -1, k_attr_ = 0;
  bool largest_ = true, k_from_input_ = true;
};

// ----- Einsum -----

constexpr int kLetters = 52;  // a-z then A-Z; ellipsis dims get label ids from kLetters up

int LetterId(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -1;
}

// One subscript term: letter ids, with -1 standing for "...".
StatusOr<std::vector<int>> ParseTerm(const NodeInfo& node, const std::string& term) {
  std::vector<int> out;
  bool ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    if (term[i] == '.') {
      if (ellipsis || term.compare(i, 3, "...") != 0)
        return Status::ModelError(node.Describe() + ": bad ellipsis in einsum term '" + term + "'");
      ellipsis = true;
      out.push_back(-1);
      i += 2;
      continue;
    }
    const int id = LetterId(term[i]);
    if (id < 0) return Status::ModelError(node.Describe() + ": bad character '" + term[i] + "' in einsum equation");
    out.push_back(id);
  }
  return out;
}

struct EinsumPlan {
  Shape out_shape;
  std::vector<int> out_labels, sum_labels;
  std::vector<int64_t> label_size;
  std::vector<std::vector<int64_t>> strides;  // per input, per label id (0 when unused/broadcast)
};

StatusOr<EinsumPlan> PlanEinsum(const NodeInfo& node, const std::string& equation,
                                const std::vector<const Tensor*>& ins) {
  std::string eq;
  for (char c : equation)
    if (c != ' ') eq += c;
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms;
  {
    size_t start = 0;
    while (true) {
      const size_t comma = lhs.find(',', start);
      terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (terms.size() != ins.size())
    return Status::InvalidArgument(node.Describe() + ": equation '" + equation + "' has " +
                                   std::to_string(terms.size()) + " terms for " + std::to_string(ins.size()) + " inputs");
  std::vector<std::vector<int>> parsed;
  int64_t max_ell = 0;
  std::vector<int64_t> ell_rank(ins.size(), 0);
  for (size_t t = 0; t < terms.size(); ++t) {
    PL_ASSIGN_OR_RETURN(std::vector<int> p, ParseTerm(node, terms[t]));
    const bool has_ell = std::count(p.begin(), p.end(), -1) > 0;
    const int64_t letters = static_cast<int64_t>(p.size()) - (has_ell ? 1 : 0);
    const int64_t rank = ins[t]->rank();
    if (has_ell ? rank < letters : rank != letters)
      return Status::InvalidArgument(node.Describe() + ": term '" + terms[t] + "' does not match input " +
                                     std::to_string(t) + " of shape " + ShapeToString(ins[t]->shape()));
    ell_rank[t] = has_ell ? rank - letters : 0;
    max_ell = std::max(max_ell, ell_rank[t]);
    parsed.push_back(std::move(p));
  }
  const int num_labels = kLetters + static_cast<int>(max_ell);
  EinsumPlan plan;
  plan.label_size.assign(num_labels, -1);
  plan.strides.assign(ins.size(), std::vector<int64_t>(num_labels, 0));
  std::vector<int> count(num_labels, 0);
  // Pass 0: label sizes and counts; pass 1: strides.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t t = 0; t < ins.size(); ++t) {
      std::vector<int> axis_label;
      for (int id : parsed[t]) {
        if (id >= 0) { axis_label.push_back(id); continue; }
        for (int64_t e = 0; e < ell_rank[t]; ++e) axis_label.push_back(kLetters + static_cast<int>(max_ell - ell_rank[t] + e));
      }
      const Shape& s = ins[t]->shape();
      int64_t stride = 1;
      for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
        const int l = axis_label[d];
        int64_t& size = plan.label_size[l];
        if (pass == 0) {
          // A size-1 dim broadcasts against the label's size (numpy's rule for ellipsis dims).
          if (size < 0 || size == 1) {
            size = s[d];
          } else if (s[d] != size && s[d] != 1) {
            return Status::InvalidArgument(node.Describe() + ": label sizes disagree for input " + std::to_string(t) +
                                           " dim " + std::to_string(d) + " (" + std::to_string(s[d]) + " vs " +
                                           std::to_string(size) + ")");
          }
        } else if (s[d] == size) {
          plan.strides[t][l] += stride;  // repeated labels add strides: a diagonal walk
        }
        stride *= s[d];
      }
      if (pass == 0)
        for (int l : axis_label) ++count[l];
    }
  }
  if (arrow == std::string::npos) {
    for (int l = kLetters; l < num_labels; ++l) plan.out_labels.push_back(l);
    // Implicit output: labels used exactly once, in ASCII order (uppercase first).
    for (int l = 26; l < kLetters; ++l)
      if (count[l] == 1) plan.out_labels.push_back(l);
    for (int l = 0; l < 26; ++l)
      if (count[l] == 1) plan.out_labels.push_back(l);
  } else {
    PL_ASSIGN_OR_RETURN(std::vector<int> out_term, ParseTerm(node, eq.substr(arrow + 2)));
    std::vector<bool> seen(num_labels, false);
    for (int id : out_term) {
      if (id < 0) {
        for (int l = kLetters; l < num_labels; ++l) plan.out_labels.push_back(l);
        continue;
      }
      if (count[id] == 0 || seen[id])
        return Status::InvalidArgument(node.Describe() + ": output label '" + eq.substr(arrow + 2) +
                                       "' is repeated or not in any input");
      seen[id] = true;
      plan.out_labels.push_back(id);
    }
  }
  std::vector<bool> in_out(num_labels, false);
  for (int l : plan.out_labels) in_out[l] = true;
  for (int l = 0; l < num_labels; ++l)
    if (count[l] > 0 && !in_out[l]) plan.sum_labels.push_back(l);
  for (int l : plan.out_labels) plan.out_shape.push_back(plan.label_size[l]);
  return plan;
}

class EinsumKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    PL_ASSIGN_OR_RETURN(equation_, node.RequiredAttr<std::string>("equation"));
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    std::vector<const Tensor*> ins;
    for (int i = 0; i < ctx.NumInputs(); ++i) {
      if (!ctx.Input(i)) return MissingInput(node, i);
      if (ctx.Input(i)->dtype() != ctx.Input(0)->dtype())
        return Status::InvalidArgument(node.Describe() + ": input dtypes differ");
      ins.push_back(ctx.Input(i));
    }
    if (ins.empty()) return Status::InvalidArgument(node.Describe() + ": needs at least one input");
    PL_ASSIGN_OR_RETURN(EinsumPlan plan, PlanEinsum(node, equation_, ins));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, plan.out_shape, ins[0]->dtype()));
    return Dispatch(NumericTypes{}, ins[0]->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      T* out = y->MutableData<T>();
      const int64_t n_out = ShapeNumElements(plan.out_shape);
      int64_t n_sum = 1;
      for (int l : plan.sum_labels) n_sum *= plan.label_size[l];
      const size_t n_in = ins.size();
      // Offsets of each input as an odometer over (out labels, sum labels) advances.
      std::vector<int> labels = plan.out_labels;
      labels.insert(labels.end(), plan.sum_labels.begin(), plan.sum_labels.end());
      std::vector<int64_t> idx(labels.size(), 0), off(n_in, 0);
      for (int64_t o = 0; o < n_out; ++o) {
        SumType<T> acc = 0;
        for (int64_t s = 0; s < n_sum; ++s) {
          SumType<T> prod = 1;
          for (size_t t = 0; t < n_in; ++t) prod *= ToSum(ins[t]->Data<T>()[off[t]]);
          acc += prod;
          // Advance: sum labels fastest, then output labels (row-major output order).
          for (int d = static_cast<int>(labels.size()) - 1; d >= 0; --d) {
            const int l = labels[d];
            ++idx[d];
            for (size_t t = 0; t < n_in; ++t) off[t] += plan.strides[t][l];
            if (idx[d] < plan.label_size[l]) break;
            for (size_t t = 0; t < n_in; ++t) off[t] -= plan.strides[t][l] * plan.label_size[l];
            idx[d] = 0;
          }
        }
        out[o] = FromSum<T>(acc);
        if (n_sum == 0) {
          // No summed element to advance the odometer: step the output labels directly.
          for (int d = static_cast<int>(plan.out_labels.size()) - 1; d >= 0; --d) {
            const int l = labels[d];
            ++idx[d];
            for (size_t t = 0; t < n_in; ++t) off[t] += plan.strides[t][l];
            if (idx[d] < plan.label_size[l]) break;
            for (size_t t = 0; t < n_in; ++t) off[t] -= plan.strides[t][l] * plan.label_size[l];
            idx[d] = 0;
          }
        }
      }
      return Status::Ok();
    });
  }

 private:
  std::string equation_;
};

// Det (11+): determinant of each trailing [M, M] matrix, by LU with partial pivoting in double.
class DetKernel : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return MissingInput(node, 0);
    if (x->rank() < 2 || x->dim(static_cast<int>(x->rank() - 1)) != x->dim(static_cast<int>(x->rank() - 2)))
      return Status::InvalidArgument(node.Describe() + ": input must be [*, M, M], got " + ShapeToString(x->shape()));
    const int64_t m = x->shape().back();
    const Shape out_shape(x->shape().begin(), x->shape().end() - 2);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, x->dtype()));
    return Dispatch(FloatTypes{}, x->dtype(), node, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* in = x->Data<T>();
      T* out = y->MutableData<T>();
      std::vector<double> a(static_cast<size_t>(m * m));
      for (int64_t b = 0; b < ShapeNumElements(out_shape); ++b) {
        for (int64_t i = 0; i < m * m; ++i) a[i] = static_cast<double>(static_cast<CType<T>>(in[b * m * m + i]));
        double det = 1;
        for (int64_t c = 0; c < m && det != 0; ++c) {
          int64_t p = c;
          for (int64_t r = c + 1; r < m; ++r)
            if (std::fabs(a[r * m + c]) > std::fabs(a[p * m + c])) p = r;
          if (a[p * m + c] == 0) { det = 0; break; }
          if (p != c) {
            for (int64_t k = 0; k < m; ++k) std::swap(a[p * m + k], a[c * m + k]);
            det = -det;
          }
          det *= a[c * m + c];
          for (int64_t r = c + 1; r < m; ++r) {
            const double f = a[r * m + c] / a[c * m + c];
            for (int64_t k = c; k < m; ++k) a[r * m + k] -= f * a[c * m + k];
          }
        }
        out[b] = static_cast<T>(static_cast<CType<T>>(det));
      }
      return Status::Ok();
    });
  }
};

}  // namespace

void RegisterMathMisc(KernelRegistry& r) {
  const std::vector<DataType> numeric = DataTypes(NumericTypes{});
  Add<CumSumKernel>(r, RefDef("CumSum").Opset(11).Types(numeric));
  Add<TopKKernel>(r, RefDef("TopK").Opset(1).Types(numeric));
  Add<EinsumKernel>(r, RefDef("Einsum").Opset(12).Types(numeric));
  Add<DetKernel>(r, RefDef("Det").Opset(11).Types(DataTypes(FloatTypes{})));
}

}  // namespace pl::cpu_ref
