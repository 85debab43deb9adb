// RNN, GRU, LSTM (opsets 7, 14: layout): forward, reverse, bidirectional; optional B,
// sequence_lens, initial_h, initial_c, P; activations with alpha/beta; clip; GRU
// linear_before_reset; LSTM input_forget; outputs Y, Y_h, Y_c each optional; float32, float64.
//
// The input projection X * W^T for every time step is one GEMM up front; each step then adds
// H_{t-1} * R^T (one GEMM over the batch) and applies the cell's elementwise update. Rows are
// gathered per batch entry, so sequence_lens (reverse direction included) and layout=1 need no
// special path: an entry past its length keeps its state and writes zeros to Y.
#include <cctype>
#include <cmath>
#include <cstring>

#include "src/backends/cpu/ref/gemm.h"
#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {
namespace {

enum class Cell { kRnn, kGru, kLstm };

// One activation function of the ONNX RNN family, with its alpha/beta.
struct Activation {
  enum class Kind { kRelu, kTanh, kSigmoid, kAffine, kLeakyRelu, kThresholdedRelu, kScaledTanh, kHardSigmoid,
                    kElu, kSoftsign, kSoftplus };
  Kind kind = Kind::kTanh;
  double alpha = 0, beta = 0;

  template <typename T>
  T operator()(T x) const {
    switch (kind) {
      case Kind::kRelu: return x > 0 ? x : T(0);
      case Kind::kTanh: return std::tanh(x);
      case Kind::kSigmoid: return x >= 0 ? T(1) / (T(1) + std::exp(-x)) : std::exp(x) / (T(1) + std::exp(x));
      case Kind::kAffine: return static_cast<T>(alpha * x + beta);
      case Kind::kLeakyRelu: return x >= 0 ? x : static_cast<T>(alpha * x);
      case Kind::kThresholdedRelu: return x > alpha ? x : T(0);
      case Kind::kScaledTanh: return static_cast<T>(alpha * std::tanh(beta * x));
      case Kind::kHardSigmoid: return static_cast<T>(std::min(1.0, std::max(0.0, alpha * x + beta)));
      case Kind::kElu: return x >= 0 ? x : static_cast<T>(alpha * (std::exp(x) - 1));
      case Kind::kSoftsign: return x / (T(1) + std::fabs(x));
      case Kind::kSoftplus: return x > 20 ? x : std::log1p(std::exp(x));
    }
    return x;
  }
};

// Parses `activations`, consuming activation_alpha/beta in order for the functions that take them.
StatusOr<std::vector<Activation>> ParseActivations(const NodeInfo& node, const std::vector<std::string>& defaults,
                                                   int num_dirs) {
  std::vector<std::string> names = node.Attr<std::vector<std::string>>("activations", {});
  const size_t per_dir = defaults.size();
  if (names.empty()) {
    for (int d = 0; d < num_dirs; ++d) names.insert(names.end(), defaults.begin(), defaults.end());
  } else if (names.size() == per_dir && num_dirs == 2) {
    names.insert(names.end(), names.begin(), names.end());  // one list for both directions
  } else if (names.size() != per_dir * num_dirs) {
    return Status::InvalidArgument(node.Describe() + ": 'activations' has " + std::to_string(names.size()) +
                                   " entries, expected " + std::to_string(per_dir * num_dirs));
  }
  const std::vector<float> alphas = node.Attr<std::vector<float>>("activation_alpha", {});
  const std::vector<float> betas = node.Attr<std::vector<float>>("activation_beta", {});
  size_t ai = 0, bi = 0;
  std::vector<Activation> out;
  using K = Activation::Kind;
  for (const std::string& raw : names) {
    std::string n;
    for (char ch : raw) n += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    Activation a;
    double def_alpha = 0, def_beta = 0;
    bool uses_alpha = false, uses_beta = false;
    if (n == "relu") a.kind = K::kRelu;
    else if (n == "tanh") a.kind = K::kTanh;
    else if (n == "sigmoid") a.kind = K::kSigmoid;
    else if (n == "affine") { a.kind = K::kAffine; uses_alpha = uses_beta = true; def_alpha = 1; }
    else if (n == "leakyrelu") { a.kind = K::kLeakyRelu; uses_alpha = true; def_alpha = 0.01; }
    else if (n == "thresholdedrelu") { a.kind = K::kThresholdedRelu; uses_alpha = true; def_alpha = 1; }
    else if (n == "scaledtanh") { a.kind = K::kScaledTanh; uses_alpha = uses_beta = true; def_alpha = def_beta = 1; }
    else if (n == "hardsigmoid") { a.kind = K::kHardSigmoid; uses_alpha = uses_beta = true; def_alpha = 0.2; def_beta = 0.5; }
    else if (n == "elu") { a.kind = K::kElu; uses_alpha = true; def_alpha = 1; }
    else if (n == "softsign") a.kind = K::kSoftsign;
    else if (n == "softplus") a.kind = K::kSoftplus;
    else return Status::InvalidArgument(node.Describe() + ": unsupported activation '" + raw + "'");
    a.alpha = uses_alpha ? (ai < alphas.size() ? alphas[ai++] : def_alpha) : 0;
    a.beta = uses_beta ? (bi < betas.size() ? betas[bi++] : def_beta) : 0;
    out.push_back(a);
  }
  return out;
}

// C[M,N] (+)= A[M,K] * B[N,K]^T, row-major with leading dimensions.
void GemmBT(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b, int64_t ldb, bool accumulate,
            float* c, int64_t ldc, int threads) {
  Sgemm(false, true, m, n, k, 1.f, a, lda, b, ldb, accumulate ? 1.f : 0.f, c, ldc, threads);
}
void GemmBT(int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b, int64_t ldb,
            bool accumulate, double* c, int64_t ldc, int) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = accumulate ? c[i * ldc + j] : 0.0;
      for (int64_t p = 0; p < k; ++p) s += a[i * lda + p] * b[j * ldb + p];
      c[i * ldc + j] = s;
    }
}

template <typename T>
class RecurrentKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string what = node.Describe();
    if (node.op_type == "LSTM") { cell_ = Cell::kLstm; gates_ = 4; }
    else if (node.op_type == "GRU") { cell_ = Cell::kGru; gates_ = 3; }
    else { cell_ = Cell::kRnn; gates_ = 1; }
    const std::string dir = node.Attr<std::string>("direction", "forward");
    if (dir == "forward") dirs_ = 1;
    else if (dir == "reverse") { dirs_ = 1; reverse_only_ = true; }
    else if (dir == "bidirectional") dirs_ = 2;
    else return Status::InvalidArgument(what + ": unsupported direction '" + dir + "'");
    hidden_ = node.Attr<int64_t>("hidden_size", -1);
    if (node.HasAttr("hidden_size") && hidden_ <= 0)
      return Status::InvalidArgument(what + ": hidden_size must be positive, got " + std::to_string(hidden_));
    if (node.HasAttr("clip")) {
      clip_ = node.Attr<float>("clip", 0.f);
      if (!(clip_ > 0)) return Status::InvalidArgument(what + ": clip must be positive, got " + std::to_string(clip_));
    }
    layout_ = node.opset >= 14 ? node.Attr<int64_t>("layout", 0) : 0;
    if (layout_ != 0 && layout_ != 1)
      return Status::InvalidArgument(what + ": layout must be 0 or 1, got " + std::to_string(layout_));
    linear_before_reset_ = node.Attr<int64_t>("linear_before_reset", 0) != 0;
    input_forget_ = node.Attr<int64_t>("input_forget", 0) != 0;
    const std::vector<std::string> defaults =
        cell_ == Cell::kLstm ? std::vector<std::string>{"Sigmoid", "Tanh", "Tanh"}
        : cell_ == Cell::kGru ? std::vector<std::string>{"Sigmoid", "Tanh"}
                              : std::vector<std::string>{"Tanh"};
    PL_ASSIGN_OR_RETURN(acts_, ParseActivations(node, defaults, dirs_));
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string what = node.Describe();
    const Tensor* x = ctx.Input(0);
    const Tensor* w = ctx.Input(1);
    const Tensor* r = ctx.Input(2);
    if (!x || !w || !r) return Status::InvalidArgument(what + ": inputs X, W and R are required");
    if (x->rank() != 3 || w->rank() != 3 || r->rank() != 3)
      return Status::InvalidArgument(what + ": X, W, R must have rank 3, got " + ShapeToString(x->shape()) + ", " +
                                     ShapeToString(w->shape()) + ", " + ShapeToString(r->shape()));
    for (const Tensor* t : {w, r})
      if (t->dtype() != x->dtype())
        return Status::InvalidArgument(what + ": W and R must have X's dtype " + DataTypeName(x->dtype()));
    const int64_t seq = layout_ ? x->dim(1) : x->dim(0);
    const int64_t batch = layout_ ? x->dim(0) : x->dim(1);
    const int64_t in_size = x->dim(2);
    const int64_t hid = hidden_ > 0 ? hidden_ : r->dim(2);
    const int64_t gh = gates_ * hid;
    if (w->dim(0) != dirs_ || r->dim(0) != dirs_)
      return Status::InvalidArgument(what + ": W and R have " + std::to_string(w->dim(0)) + " and " +
                                     std::to_string(r->dim(0)) + " directions, the direction attribute gives " +
                                     std::to_string(dirs_));
    if (w->dim(1) != gh || w->dim(2) != in_size)
      return Status::InvalidArgument(what + ": W is " + ShapeToString(w->shape()) + ", expected [" +
                                     std::to_string(dirs_) + "," + std::to_string(gh) + "," + std::to_string(in_size) + "]");
    if (r->dim(1) != gh || r->dim(2) != hid)
      return Status::InvalidArgument(what + ": R is " + ShapeToString(r->shape()) + ", expected [" +
                                     std::to_string(dirs_) + "," + std::to_string(gh) + "," + std::to_string(hid) + "]");
    auto check = [&](int i, const char* name, const Shape& want) -> StatusOr<const T*> {
      const Tensor* t = ctx.Input(i);
      if (!t) return static_cast<const T*>(nullptr);
      if (t->dtype() != x->dtype())
        return Status::InvalidArgument(what + ": " + name + " must have X's dtype " + DataTypeName(x->dtype()));
      if (t->shape() != want)
        return Status::InvalidArgument(what + ": " + name + " is " + ShapeToString(t->shape()) + ", expected " +
                                       ShapeToString(want));
      return t->Data<T>();
    };
    const Shape state_shape = layout_ ? Shape{batch, dirs_, hid} : Shape{dirs_, batch, hid};
    PL_ASSIGN_OR_RETURN(const T* bias, check(3, "B", {dirs_, 2 * gh}));
    PL_ASSIGN_OR_RETURN(const T* h0, check(5, "initial_h", state_shape));
    const T* c0 = nullptr;
    const T* peep = nullptr;
    if (cell_ == Cell::kLstm) {
      PL_ASSIGN_OR_RETURN(c0, check(6, "initial_c", state_shape));
      PL_ASSIGN_OR_RETURN(peep, check(7, "P", {dirs_, 3 * hid}));
    }
    std::vector<int64_t> lens(batch, seq);
    if (const Tensor* sl = ctx.Input(4)) {
      if (sl->NumElements() != batch)
        return Status::InvalidArgument(what + ": sequence_lens has " + std::to_string(sl->NumElements()) +
                                       " values for batch " + std::to_string(batch));
      PL_ASSIGN_OR_RETURN(lens, ReadInts(*sl, node, "sequence_lens"));
      for (int64_t v : lens)
        if (v < 0 || v > seq)
          return Status::InvalidArgument(what + ": sequence length " + std::to_string(v) + " is outside [0, " +
                                         std::to_string(seq) + "]");
    }

    T* y = nullptr;
    T* yh = nullptr;
    T* yc = nullptr;
    if (ctx.OutputRequested(0)) {
      PL_ASSIGN_OR_RETURN(Tensor* t, ctx.Output(0, layout_ ? Shape{batch, seq, dirs_, hid} : Shape{seq, dirs_, batch, hid},
                                                x->dtype()));
      y = t->MutableData<T>();
      std::fill(y, y + t->NumElements(), T(0));
    }
    if (ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      PL_ASSIGN_OR_RETURN(Tensor* t, ctx.Output(1, state_shape, x->dtype()));
      yh = t->MutableData<T>();
    }
    if (cell_ == Cell::kLstm && ctx.NumOutputs() > 2 && ctx.OutputRequested(2)) {
      PL_ASSIGN_OR_RETURN(Tensor* t, ctx.Output(2, state_shape, x->dtype()));
      yc = t->MutableData<T>();
    }
    if (seq == 0 || batch == 0) {
      // Nothing to run: the final states are the initial ones.
      for (int64_t d = 0; d < dirs_; ++d)
        for (int64_t b = 0; b < batch; ++b) {
          const int64_t o = StateOffset(d, b, batch, hid);
          for (int64_t j = 0; j < hid; ++j) {
            if (yh) yh[o + j] = h0 ? h0[o + j] : T(0);
            if (yc) yc[o + j] = c0 ? c0[o + j] : T(0);
          }
        }
      return Status::Ok();
    }

    // Workspace: input projections, gates, states, GRU scratch.
    const int64_t rows = seq * batch;
    const size_t n_xw = rows * gh, n_g = batch * gh, n_s = batch * hid;
    PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace((n_xw + n_g + 4 * n_s) * sizeof(T)));
    T* xw = static_cast<T*>(ws);
    T* gates = xw + n_xw;
    T* h = gates + n_g;
    T* c = h + n_s;
    T* tmp = c + n_s;
    T* hnew = tmp + n_s;
    const int threads = ctx.intra_op_threads();
    for (int64_t d = 0; d < dirs_; ++d) {
      const bool rev = reverse_only_ || d == 1;
      const T* wd = w->Data<T>() + d * gh * in_size;
      const T* rd = r->Data<T>() + d * gh * hid;
      const T* wb = bias ? bias + d * 2 * gh : nullptr;
      const T* rb = bias ? wb + gh : nullptr;
      const T* pd = peep ? peep + d * 3 * hid : nullptr;
      const Activation* act = &acts_[d * acts_.size() / dirs_];
      // X rows are (t, b) for layout 0 and (b, t) for layout 1; xw keeps X's row order.
      GemmBT(rows, gh, in_size, x->Data<T>(), in_size, wd, in_size, false, xw, gh, threads);
      for (int64_t b = 0; b < batch; ++b) {
        const int64_t o = StateOffset(d, b, batch, hid);
        for (int64_t j = 0; j < hid; ++j) {
          h[b * hid + j] = h0 ? h0[o + j] : T(0);
          c[b * hid + j] = c0 ? c0[o + j] : T(0);
        }
      }
      for (int64_t s = 0; s < seq; ++s) {
        // Input projection + input bias (+ recurrence bias, except GRU's reset-gated part).
        for (int64_t b = 0; b < batch; ++b) {
          T* g = gates + b * gh;
          if (s >= lens[b]) { std::fill(g, g + gh, T(0)); continue; }
          const int64_t t = rev ? lens[b] - 1 - s : s;
          const T* src = xw + (layout_ ? b * seq + t : t * batch + b) * gh;
          for (int64_t j = 0; j < gh; ++j) g[j] = src[j];
          if (wb)
            for (int64_t j = 0; j < gh; ++j)
              g[j] += wb[j] + ((cell_ == Cell::kGru && j >= 2 * hid) ? T(0) : rb[j]);
        }
        const int64_t rec = cell_ == Cell::kGru ? 2 * hid : gh;  // GRU's h gate needs r first
        GemmBT(batch, rec, hid, h, hid, rd, hid, true, gates, gh, threads);
        if (cell_ == Cell::kGru)
          PL_RETURN_IF_ERROR(GruStep(act, rd, rb, batch, hid, lens, s, h, gates, tmp, hnew, threads));
        for (int64_t b = 0; b < batch; ++b) {
          if (s >= lens[b]) continue;
          T* g = gates + b * gh;
          T* hb = h + b * hid;
          T* cb = c + b * hid;
          if (cell_ == Cell::kRnn) {
            for (int64_t j = 0; j < hid; ++j) hb[j] = act[0](Clip(g[j]));
          } else if (cell_ == Cell::kGru) {
            for (int64_t j = 0; j < hid; ++j) hb[j] = hnew[b * hid + j];
          } else {
            LstmStep(act, pd, hid, g, hb, cb);
          }
          if (y) {
            const int64_t t = rev ? lens[b] - 1 - s : s;
            T* dst = y + (layout_ ? ((b * seq + t) * dirs_ + d) * hid : ((t * dirs_ + d) * batch + b) * hid);
            std::memcpy(dst, hb, hid * sizeof(T));
          }
        }
      }
      for (int64_t b = 0; b < batch; ++b) {
        const int64_t o = StateOffset(d, b, batch, hid);
        if (yh) std::memcpy(yh + o, h + b * hid, hid * sizeof(T));
        if (yc) std::memcpy(yc + o, c + b * hid, hid * sizeof(T));
      }
    }
    return Status::Ok();
  }

 private:
  int64_t StateOffset(int64_t d, int64_t b, int64_t batch, int64_t hid) const {
    return layout_ ? (b * dirs_ + d) * hid : (d * batch + b) * hid;
  }
  T Clip(T v) const { return clip_ > 0 ? std::min<T>(std::max<T>(v, -clip_), clip_) : v; }

  // gates: [z r h] pre-activations (z, r already hold H*R^T); writes the new state into hnew.
  Status GruStep(const Activation* act, const T* rd, const T* rb, int64_t batch, int64_t hid,
                 const std::vector<int64_t>& lens, int64_t s, const T* h, T* gates, T* tmp, T* hnew,
                 int threads) const {
    const int64_t gh = 3 * hid;
    const T* rh = rd + 2 * hid * hid;  // R's h-gate block [hid, hid]
    for (int64_t b = 0; b < batch; ++b) {
      T* g = gates + b * gh;
      for (int64_t j = 0; j < 2 * hid; ++j) g[j] = act[0](Clip(g[j]));
      if (!linear_before_reset_)
        for (int64_t j = 0; j < hid; ++j) tmp[b * hid + j] = g[hid + j] * h[b * hid + j];  // r * H
    }
    if (linear_before_reset_) {
      GemmBT(batch, hid, hid, h, hid, rh, hid, false, tmp, hid, threads);  // H * Rh^T
      for (int64_t b = 0; b < batch; ++b) {
        T* g = gates + b * gh;
        for (int64_t j = 0; j < hid; ++j)
          g[2 * hid + j] += g[hid + j] * (tmp[b * hid + j] + (rb ? rb[2 * hid + j] : T(0)));
      }
    } else {
      GemmBT(batch, hid, hid, tmp, hid, rh, hid, true, gates + 2 * hid, gh, threads);
      if (rb)
        for (int64_t b = 0; b < batch; ++b)
          for (int64_t j = 0; j < hid; ++j) gates[b * gh + 2 * hid + j] += rb[2 * hid + j];
    }
    for (int64_t b = 0; b < batch; ++b) {
      if (s >= lens[b]) continue;
      const T* g = gates + b * gh;
      for (int64_t j = 0; j < hid; ++j) {
        const T z = g[j];
        const T hc = act[1](Clip(g[2 * hid + j]));
        hnew[b * hid + j] = (T(1) - z) * hc + z * h[b * hid + j];
      }
    }
    return Status::Ok();
  }

  // gates: [i o f c] pre-activations; P = [Pi Po Pf].
  void LstmStep(const Activation* act, const T* p, int64_t hid, T* g, T* h, T* c) const {
    for (int64_t j = 0; j < hid; ++j) {
      const T c_prev = c[j];
      const T i = act[0](Clip(g[j] + (p ? p[j] * c_prev : T(0))));
      const T f = input_forget_ ? T(1) - i : act[0](Clip(g[2 * hid + j] + (p ? p[2 * hid + j] * c_prev : T(0))));
      const T cand = act[1](Clip(g[3 * hid + j]));
      const T c_new = f * c_prev + i * cand;
      const T o = act[0](Clip(g[hid + j] + (p ? p[hid + j] * c_new : T(0))));
      c[j] = c_new;
      h[j] = o * act[2](c_new);
    }
  }

  Cell cell_ = Cell::kRnn;
  int64_t gates_ = 1;
  int64_t dirs_ = 1;
  bool reverse_only_ = false;
  int64_t hidden_ = -1;
  float clip_ = 0.f;
  int64_t layout_ = 0;
  bool linear_before_reset_ = false;
  bool input_forget_ = false;
  std::vector<Activation> acts_;  // per direction: RNN f; GRU f g; LSTM f g h
};

template <typename T>
void AddRecurrent(KernelRegistry& r) {
  Add<RecurrentKernel<T>>(r, RefDef("RNN").Opset(7).Types<T>());
  Add<RecurrentKernel<T>>(r, RefDef("GRU").Opset(7).Types<T>());
  Add<RecurrentKernel<T>>(r, RefDef("LSTM").Opset(7).Types<T>());
}

}  // namespace

void RegisterRecurrent(KernelRegistry& r) {
  AddRecurrent<float>(r);
  AddRecurrent<double>(r);
}

}  // namespace pl::cpu_ref
