// oneDNN element-wise ops, float32: Relu LeakyRelu Sigmoid Tanh Clip HardSigmoid HardSwish Elu Exp
// Log Sqrt Abs Softplus Neg (opset 1+; Clip's min/max as attributes before opset 11, constant
// inputs after), and Add Sub Mul Div (opset 7+, numpy broadcasting) and Pow with a constant scalar
// exponent. Outputs keep the input's layout; fused post-ops apply.
#include <cmath>
#include <limits>

#include "src/backends/cpu/onednn/op.h"

namespace pl::onednn {
namespace {

using dnnl::algorithm;

float ScalarOf(const Tensor* t) {
  switch (t->dtype()) {
    case DataType::kFloat32: return t->Data<float>()[0];
    case DataType::kFloat64: return static_cast<float>(t->Data<double>()[0]);
    case DataType::kInt64: return static_cast<float>(t->Data<int64_t>()[0]);
    case DataType::kInt32: return static_cast<float>(t->Data<int32_t>()[0]);
    default: return std::numeric_limits<float>::quiet_NaN();
  }
}

class EltwiseOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    const std::string& op = node.op_type;
    const int own = op == "Clip" ? 3 : 1;
    PL_RETURN_IF_ERROR(InitCommon(node, own));
    std::vector<PostOp> stages;
    auto add = [&](algorithm a, float alpha = 0.f, float beta = 0.f) {
      PostOp p;
      p.alg = a;
      p.alpha = alpha;
      p.beta = beta;
      stages.push_back(p);
    };
    if (op == "Relu") add(algorithm::eltwise_relu);
    else if (op == "LeakyRelu") add(algorithm::eltwise_relu, node.Attr<float>("alpha", 0.01f));
    else if (op == "Sigmoid") add(algorithm::eltwise_logistic);
    else if (op == "Tanh") add(algorithm::eltwise_tanh);
    else if (op == "HardSwish") add(algorithm::eltwise_hardswish);
    else if (op == "Elu") add(algorithm::eltwise_elu, node.Attr<float>("alpha", 1.f));
    else if (op == "Exp") add(algorithm::eltwise_exp);
    else if (op == "Log") add(algorithm::eltwise_log);
    else if (op == "Sqrt") add(algorithm::eltwise_sqrt);
    else if (op == "Abs") add(algorithm::eltwise_abs);
    else if (op == "Softplus") add(algorithm::eltwise_soft_relu);
    else if (op == "Neg") add(algorithm::eltwise_linear, -1.f, 0.f);
    else if (op == "HardSigmoid") {
      add(algorithm::eltwise_linear, node.Attr<float>("alpha", 0.2f), node.Attr<float>("beta", 0.5f));
      add(algorithm::eltwise_clip, 0.f, 1.f);
    } else if (op == "Clip") {
      float lo = -std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::max();
      if (opset_ < 11) {
        lo = node.Attr<float>("min", lo);
        hi = node.Attr<float>("max", hi);
      } else {
        for (int i = 1; i <= 2; ++i) {
          if (!node.HasInput(i)) continue;
          const Tensor* t = node.ConstantInput(i);
          if (!t) return Status::Unimplemented(describe_ + ": oneDNN needs constant min/max");
          if (t->NumElements() != 1) return Status::ModelError(describe_ + ": min/max must be scalars");
          (i == 1 ? lo : hi) = ScalarOf(t);
        }
      }
      // oneDNN rejects a NaN or inverted bound: the reference kernel runs it as ONNX says.
      if (std::isnan(lo) || std::isnan(hi) || lo > hi)
        return Status::Unimplemented(describe_ + ": min/max NaN or min > max (oneDNN clip takes neither)");
      add(algorithm::eltwise_clip, lo, hi);
    } else {
      return Status::Unimplemented(describe_ + ": not an element-wise op");
    }
    if (node.HasInput(0) && node.ConstantInput(0)) return Status::Unimplemented(describe_ + ": constant input (fold it)");
    // A NaN or infinite alpha/beta (LeakyRelu, Elu, HardSigmoid): oneDNN's result may differ from
    // ONNX's (HardSigmoid's clip maps NaN to 0); the reference kernel runs it as ONNX says.
    if (op != "Clip")
      for (const PostOp& p : stages)
        if (!std::isfinite(p.alpha) || !std::isfinite(p.beta))
          return Status::Unimplemented(describe_ + ": non-finite alpha/beta");
    first_ = stages[0];
    post_ops_.insert(post_ops_.begin(), stages.begin() + 1, stages.end());
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    const Shape& shape = b.InShape(0);
    // Element-wise work does not care about dims: high ranks (which oneDNN limits) run flat.
    bool flat = shape.size() > 5;
    const std::vector<PostOp> post = AllPostOps(b);
    for (const PostOp& p : post) flat &= p.kind == PostOp::Kind::kEltwise;
    const Md md = flat ? PlainMd({ShapeNumElements(shape)}) : b.InMd(0);
    // The primitive's own algorithm counts in the chain (see FusablePrefix).
    std::vector<PostOp> chain = {first_};
    chain.insert(chain.end(), post.begin(), post.end());
    chain = MergeLinear(chain);
    const PostOp head = chain[0];
    const size_t n = FusablePrefix(chain);
    const std::vector<PostOp> fused(chain.begin() + 1, chain.begin() + n), tail(chain.begin() + n, chain.end());
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::eltwise_forward::primitive_desc>(
                                     b, fused, shape, md,
                                     [&](const dnnl::primitive_attr& a) {
                                       return dnnl::eltwise_forward::primitive_desc(
                                           {dnnl::prop_kind::forward_inference, head.alg, md, head.alpha, head.beta}, a,
                                           Engine());
                                     },
                                     &args, &separate)));
    separate.insert(separate.end(), tail.begin(), tail.end());
    memory src, dst;
    if (flat) {
      PL_ASSIGN_OR_RETURN(memory x, b.In(0, PlainMd(shape)));
      PL_ASSIGN_OR_RETURN(memory y, b.Out(0, shape, PlainMd(shape)));
      src = b.View(x, md);
      dst = b.View(y, md);
    } else {
      PL_ASSIGN_OR_RETURN(src, b.In(0));
      PL_ASSIGN_OR_RETURN(dst, b.OutInPlace(0, shape, pd.dst_desc(), 0));
    }
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_DST] = dst;
    b.Step(dnnl::eltwise_forward(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, shape, dst));
    return Status::Ok();
  }

 private:
  PostOp first_;
};

StatusOr<Shape> Broadcast(const Shape& a, const Shape& b, const std::string& what) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t da = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    int64_t db = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (da != db && da != 1 && db != 1)
      return Status::InvalidArgument(what + ": shapes " + ShapeToString(a) + " and " + ShapeToString(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Dims Aligned(const Shape& s, size_t rank) {
  Dims d(rank, 1);
  for (size_t i = 0; i < s.size(); ++i) d[rank - s.size() + i] = s[i];
  return d;
}

class BinaryOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    PL_RETURN_IF_ERROR(InitCommon(node, 2));
    const std::string& op = node.op_type;
    if (!node.HasInput(0) || !node.HasInput(1)) return Status::ModelError(describe_ + ": needs two inputs");
    if (node.ConstantInput(0) && node.ConstantInput(1)) return Status::Unimplemented(describe_ + ": constant inputs (fold them)");
    if (op == "Add") alg_ = algorithm::binary_add;
    else if (op == "Sub") alg_ = algorithm::binary_sub;
    else if (op == "Mul") alg_ = algorithm::binary_mul;
    else if (op == "Div") alg_ = algorithm::binary_div;
    else if (op == "Pow") {
      const Tensor* e = node.ConstantInput(1);
      if (!e || e->NumElements() != 1) return Status::Unimplemented(describe_ + ": oneDNN needs a constant scalar exponent");
      pow_ = true;
      exponent_ = ScalarOf(e);
      if (std::isnan(exponent_)) return Status::Unimplemented(describe_ + ": exponent type");
    } else {
      return Status::Unimplemented(describe_ + ": not a binary op");
    }
    if (opset_ < 7 && !pow_) return Status::Unimplemented(describe_ + ": legacy broadcast attributes (opset < 7)");
    PostOp neg;
    neg.alg = algorithm::eltwise_linear;
    neg.alpha = -1.f;
    negated_post_ops_.push_back(neg);
    negated_post_ops_.insert(negated_post_ops_.end(), post_ops_.begin(), post_ops_.end());
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    if (pow_) return PlanPow(b);
    PL_ASSIGN_OR_RETURN(Shape out, Broadcast(b.InShape(0), b.InShape(1), describe_));
    if (out.size() > 6 || out.empty()) return PlanPlain(b, out);
    const bool full0 = b.InShape(0) == out, full1 = b.InShape(1) == out;
    const bool commutative = alg_ == algorithm::binary_add || alg_ == algorithm::binary_mul;
    // oneDNN broadcasts src1 only: the full-size operand goes first.
    int a = 0, c = 1;
    bool negate = false;
    if (!full0 && full1) {
      if (commutative) {
        std::swap(a, c);
      } else if (alg_ == algorithm::binary_sub) {
        std::swap(a, c);  // b - a = -(a - b)
        negate = true;
      } else {
        return PlanPlain(b, out);
      }
    } else if (!full0 && !full1) {
      return PlanPlain(b, out);
    } else if (full0 && full1 && IsPlain(b.InMd(0)) && !IsPlain(b.InMd(1)) && commutative) {
      std::swap(a, c);  // keep the blocked layout
    }
    const Md md0 = b.InMd(a);
    const Dims d1 = Aligned(b.InShape(c), out.size());
    Md md1 = d1 == ToDims(out) ? md0 : Md(d1, memory::data_type::f32, PlainTag(static_cast<int>(out.size())));
    std::vector<PostOp> ops = negate ? negated_post_ops_ : post_ops_;
    ops.insert(ops.end(), b.ExtraPostOps().begin(), b.ExtraPostOps().end());
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    auto make = [&](const Md& m1) {
      args.clear();
      separate.clear();
      return MakeWithPostOps<dnnl::binary::primitive_desc>(
          b, ops, out, md0,
          [&](const dnnl::primitive_attr& at) { return dnnl::binary::primitive_desc({alg_, md0, m1, md0}, at, Engine()); },
          &args, &separate);
    };
    auto made = make(md1);
    if (made.ok() && IsRefImpl(made->impl_info_str()) && !(md1 == md0)) {
      // oneDNN 2.6 has JIT binary kernels for a blocked map and a broadcast operand only when
      // both share the blocking (AVX2: aBcd8b x abcd is ref:any). The small operand is reordered
      // into the map's layout instead (a [N,C,1,1] scale: C floats).
      const Md same = SameLayout(md0, d1);
      if (same.get_size() > 0) {
        auto again = make(same);
        if (again.ok() && !IsRefImpl(again->impl_info_str())) {
          NoteAvoidedRef(describe_ + ": binary " + MdToString(md0) + " x " + MdToString(md1) + " " + made->impl_info_str() +
                         ", operand reordered to " + MdToString(same));
          made = std::move(again);
          md1 = same;
        } else {
          auto restore = make(md1);
          if (restore.ok()) made = std::move(restore);
        }
      }
    }
    if (!made.ok()) return made.status();
    auto pd = std::move(made).value();
    PL_ASSIGN_OR_RETURN(memory src0, b.In(a, md0));
    PL_ASSIGN_OR_RETURN(memory src1, b.In(c, md1));
    PL_ASSIGN_OR_RETURN(memory dst, b.OutInPlace(0, out, pd.dst_desc(), a));
    args[DNNL_ARG_SRC_0] = src0;
    args[DNNL_ARG_SRC_1] = src1;
    args[DNNL_ARG_DST] = dst;
    b.Step(dnnl::binary(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, out, dst));
    return Status::Ok();
  }

 private:
  Status PlanPow(PlanBuilder& b) const {
    const Shape& shape = b.InShape(0);
    Shape out = shape;
    if (shape.empty() && !b.InShape(1).empty()) out = b.InShape(1);  // scalar ^ [1]
    if (ShapeNumElements(out) != ShapeNumElements(shape)) return PlanPlain(b, out);
    const Md md = ShapeNumElements(out) == ShapeNumElements(shape) && out.size() == shape.size() ? b.InMd(0) : PlainMd(out);
    algorithm alg = algorithm::eltwise_pow;
    float alpha = 1.f, beta = exponent_;
    if (exponent_ == 2.f) alg = algorithm::eltwise_square;
    else if (exponent_ == 0.5f) alg = algorithm::eltwise_sqrt;
    else if (exponent_ == 1.f) { alg = algorithm::eltwise_linear; alpha = 1.f; beta = 0.f; }
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::eltwise_forward::primitive_desc>(
                                     b, out, md,
                                     [&](const dnnl::primitive_attr& a) {
                                       return dnnl::eltwise_forward::primitive_desc(
                                           {dnnl::prop_kind::forward_inference, alg, md, alpha, beta}, a, Engine());
                                     },
                                     &args, &separate)));
    PL_ASSIGN_OR_RETURN(memory src, b.In(0, md));
    PL_ASSIGN_OR_RETURN(memory dst, b.OutInPlace(0, out, md, 0));
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_DST] = dst;
    b.Step(dnnl::eltwise_forward(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, out, dst));
    return Status::Ok();
  }

  // Broadcasts oneDNN cannot express (both operands broadcast, or a broadcast first operand of a
  // non-commutative op): plain loops on plain layouts.
  Status PlanPlain(PlanBuilder& b, const Shape& out) const {
    const size_t r = out.size();
    PL_ASSIGN_OR_RETURN(memory x, b.In(0, PlainMd(b.InShape(0))));
    PL_ASSIGN_OR_RETURN(memory y, b.In(1, PlainMd(b.InShape(1))));
    PL_ASSIGN_OR_RETURN(memory z, b.Out(0, out, PlainMd(out)));
    auto strides = [&](const Shape& s) {
      std::vector<int64_t> st(r, 0);
      int64_t acc = 1;
      for (int i = static_cast<int>(s.size()) - 1; i >= 0; --i) {
        st[r - s.size() + i] = s[i] == 1 ? 0 : acc;
        acc *= s[i];
      }
      return st;
    };
    std::vector<int64_t> sx = strides(b.InShape(0)), sy = strides(b.InShape(1));
    const algorithm alg = pow_ ? algorithm::eltwise_pow : alg_;
    const float e = exponent_;
    b.Custom(
        [x, y, z, sx, sy, out, alg, e]() {
          const float* px = static_cast<const float*>(x.get_data_handle());
          const float* py = static_cast<const float*>(y.get_data_handle());
          float* pz = static_cast<float*>(z.get_data_handle());
          const int64_t n = ShapeNumElements(out);
          std::vector<int64_t> idx(out.size(), 0);
          int64_t ix = 0, iy = 0;
          for (int64_t k = 0; k < n; ++k) {
            const float u = px[ix], v = py[iy];
            float w;
            switch (alg) {
              case algorithm::binary_add: w = u + v; break;
              case algorithm::binary_sub: w = u - v; break;
              case algorithm::binary_mul: w = u * v; break;
              case algorithm::binary_div: w = u / v; break;
              default: w = std::pow(u, e); break;
            }
            pz[k] = w;
            for (int d = static_cast<int>(out.size()) - 1; d >= 0; --d) {
              ix += sx[d];
              iy += sy[d];
              if (++idx[d] < out[d]) break;
              ix -= sx[d] * out[d];
              iy -= sy[d] * out[d];
              idx[d] = 0;
            }
          }
        },
        {x, y, z});
    return PostOpsSeparately(b, out, z);
  }

  algorithm alg_ = algorithm::undef;
  std::vector<PostOp> negated_post_ops_;  // for b - a computed as -(a - b)
  bool pow_ = false;
  float exponent_ = 1.f;
};

}  // namespace

StatusOr<std::unique_ptr<Op>> CreateEltwiseOp(const NodeInfo& node) {
  auto op = std::make_unique<EltwiseOp>();
  PL_RETURN_IF_ERROR(op->Init(node));
  return std::unique_ptr<Op>(std::move(op));
}

StatusOr<std::unique_ptr<Op>> CreateBinaryOp(const NodeInfo& node) {
  auto op = std::make_unique<BinaryOp>();
  PL_RETURN_IF_ERROR(op->Init(node));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace pl::onednn
