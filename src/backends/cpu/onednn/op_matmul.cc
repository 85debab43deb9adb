// oneDNN MatMul (opset 1+, numpy semantics: 1-D operands, broadcast batch dims) and Gemm
// (opset 7+: transA/transB, alpha, beta, C broadcast), float32, fused post-ops. A constant second
// operand is packed once, at compile time, into the layout the primitive prefers.
#include <cstring>

#include "src/backends/cpu/onednn/op.h"
#include "src/core/alloc.h"

namespace pl::onednn {
namespace {

using dnnl::algorithm;

std::shared_ptr<void> Alloc(size_t bytes) {
  return internal::AlignedBufferOrThrow(bytes + 64, fault_injection::Site::kWeights);
}

class MatMulOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    gemm_ = node.op_type == "Gemm";
    PL_RETURN_IF_ERROR(InitCommon(node, gemm_ ? 3 : 2));
    if (!node.HasInput(0) || !node.HasInput(1)) return Status::ModelError(describe_ + ": needs inputs A and B");
    if (node.ConstantInput(0) && node.ConstantInput(1)) return Status::Unimplemented(describe_ + ": constant inputs (fold them)");
    if (gemm_) {
      if (opset_ < 7) return Status::Unimplemented(describe_ + ": Gemm before opset 7");
      trans_a_ = node.Attr<int64_t>("transA", 0) != 0;
      trans_b_ = node.Attr<int64_t>("transB", 0) != 0;
      alpha_ = node.Attr<float>("alpha", 1.f);
      beta_ = node.Attr<float>("beta", 1.f);
    }
    const Tensor* b = node.ConstantInput(1);
    if (b) {
      if (b->dtype() != DataType::kFloat32) return Status::ModelError(describe_ + ": B must be float32");
      if (gemm_ ? b->rank() != 2 : b->rank() < 1) return Status::ModelError(describe_ + ": bad rank of B");
      if (b->rank() <= 2) PL_RETURN_IF_ERROR(PrepareWeights(*b));
    }
    if (gemm_ && HasOwnInput(node, 2) && beta_ != 0.f) {
      const Tensor* c = node.ConstantInput(2);
      if (c) {
        if (c->dtype() != DataType::kFloat32 || c->rank() > 2) return Status::ModelError(describe_ + ": C must be float32 of rank <= 2");
        c_shape_ = c->shape();
        bias_ = Alloc(c->ByteSize());
        const float* src = c->Data<float>();
        float* dst = static_cast<float*>(bias_.get());
        for (int64_t i = 0; i < c->NumElements(); ++i) dst[i] = beta_ * src[i];
        has_bias_ = true;
      } else {
        if (beta_ != 1.f) return Status::Unimplemented(describe_ + ": a run-time C with beta != 1");
        PostOp add;
        add.kind = PostOp::Kind::kBinary;
        add.alg = algorithm::binary_add;
        add.input = 2;
        post_ops_.insert(post_ops_.begin(), add);
      }
    }
    if (alpha_ != 1.f && !prepared_) {
      PostOp scale;
      scale.alg = algorithm::eltwise_linear;
      scale.alpha = alpha_;
      post_ops_.insert(post_ops_.begin() + (has_bias_ ? 0 : 0), scale);
      if (has_bias_) return Status::Unimplemented(describe_ + ": alpha with a run-time B and constant C");
    }
    return Status::Ok();
  }

  size_t SharedBytes() const override {
    return (prepared_ ? wmd_.get_size() : 0) + (has_bias_ ? ShapeNumElements(c_shape_) * 4 : 0);
  }

  Status Plan(PlanBuilder& b) const override {
    Shape a = b.InShape(0), w = b.InShape(1);
    if (gemm_) {
      if (a.size() != 2 || w.size() != 2) return Status::InvalidArgument(describe_ + ": A and B must be 2-D");
      const int64_t M = trans_a_ ? a[1] : a[0], K = trans_a_ ? a[0] : a[1];
      const int64_t K2 = trans_b_ ? w[1] : w[0], N = trans_b_ ? w[0] : w[1];
      if (K != K2) return Status::InvalidArgument(describe_ + ": inner dims differ (" + ShapeToString(a) + " x " + ShapeToString(w) + ")");
      Md a_md = trans_a_ ? Md({M, K}, memory::data_type::f32, memory::format_tag::ba) : PlainMd({M, K});
      Md b_md = trans_b_ ? Md({K, N}, memory::data_type::f32, memory::format_tag::ba) : PlainMd({K, N});
      return Emit(b, {M, K}, {K, N}, {M, N}, {M, N}, a_md, b_md, false);
    }
    if (a.empty() || w.empty()) return Status::InvalidArgument(describe_ + ": scalar operands");
    Shape out;
    const bool a1 = a.size() == 1, w1 = w.size() == 1;
    if (a1) a.insert(a.begin(), 1);
    if (w1) w.push_back(1);
    if (a.back() != w[w.size() - 2])
      return Status::InvalidArgument(describe_ + ": inner dims differ (" + ShapeToString(b.InShape(0)) + " x " + ShapeToString(b.InShape(1)) + ")");
    const size_t r = std::max(a.size(), w.size());
    Shape ab(a.begin(), a.end() - 2), wb(w.begin(), w.end() - 2), ob(r - 2, 1);
    ab.insert(ab.begin(), r - a.size(), 1);
    wb.insert(wb.begin(), r - w.size(), 1);
    for (size_t i = 0; i < r - 2; ++i) {
      if (ab[i] != wb[i] && ab[i] != 1 && wb[i] != 1) return Status::InvalidArgument(describe_ + ": batch dims do not broadcast");
      ob[i] = ab[i] == 1 ? wb[i] : ab[i];
    }
    const int64_t M = a[a.size() - 2], K = a.back(), N = w.back();
    out = ob;
    if (!a1) out.push_back(M);
    if (!w1) out.push_back(N);
    Shape a3 = ab, w3 = wb, o3 = ob;
    a3.insert(a3.end(), {M, K});
    w3.insert(w3.end(), {K, N});
    o3.insert(o3.end(), {M, N});
    // A 2-D B with batch only in A: one big GEMM over the flattened rows.
    bool flatten = w.size() == 2 && r > 2;
    for (const PostOp& p : AllPostOps(b)) {
      if (p.kind != PostOp::Kind::kBinary) continue;
      const Shape& s = b.InShape(p.input);
      for (size_t i = 0; i + 1 < s.size(); ++i) flatten &= s[i] == 1;
    }
    if (flatten) {
      const int64_t rows = ShapeNumElements(a3) / K;
      return Emit(b, {rows, K}, {K, N}, {rows, N}, out, PlainMd({rows, K}), PlainMd({K, N}), true);
    }
    return Emit(b, a3, w3, o3, out, PlainMd(a3), PlainMd(w3), false);
  }

 private:
  Status PrepareWeights(const Tensor& bt) {
    Shape s = bt.shape();
    if (s.size() == 1) s.push_back(1);  // [K] -> [K, 1]
    int64_t K = s[0], N = s[1];
    if (gemm_ && trans_b_) std::swap(K, N);
    user_md_ = gemm_ && trans_b_ ? Md({K, N}, memory::data_type::f32, memory::format_tag::ba) : PlainMd({K, N});
    Md wmd;
    Status st = Guard(describe_, [&] {
      dnnl::matmul::primitive_desc pd({Md({64, K}, memory::data_type::f32, memory::format_tag::ab),
                                       Md({K, N}, memory::data_type::f32, memory::format_tag::any),
                                       Md({64, N}, memory::data_type::f32, memory::format_tag::ab)},
                                      ScratchpadAttr(), Engine());
      wmd = pd.weights_desc();
    });
    if (!st.ok()) return Status::Unimplemented(st.message());
    wmd_ = wmd;
    weights_ = Alloc(wmd_.get_size());
    // Gemm's alpha is folded into the packed weights.
    std::vector<float> scaled;
    const void* src = bt.RawData();
    if (gemm_ && alpha_ != 1.f) {
      scaled.assign(bt.Data<float>(), bt.Data<float>() + bt.NumElements());
      for (float& v : scaled) v *= alpha_;
      src = scaled.data();
    }
    user_ = Alloc(bt.ByteSize());
    std::memcpy(user_.get(), src, bt.ByteSize());
    prepared_ = true;
    return Guard(describe_ + ": weight reorder", [&] {
      dnnl::stream strm(Engine());
      memory from(user_md_, Engine(), user_.get()), to(wmd_, Engine(), weights_.get());
      dnnl::reorder(from, to).execute(strm, from, to);
      strm.wait();
    });
  }

  // One matmul primitive: a x w -> o (oneDNN dims), `out` the ONNX output shape.
  Status Emit(PlanBuilder& b, const Shape& a, const Shape& w, const Shape& o, const Shape& out, const Md& a_md,
              const Md& w_user, bool flattened) const {
    const bool use_prepared = prepared_ && w.size() == 2;
    const Md w_any(ToDims(w), memory::data_type::f32, memory::format_tag::any);
    const Md o_md = PlainMd(o);
    Md bias_md;
    if (has_bias_) {
      // C broadcasts to [M, N] as oneDNN's bias ([1|M, 1|N]).
      Shape c = c_shape_;
      while (c.size() < 2) c.insert(c.begin(), 1);
      if ((c[0] != 1 && c[0] != o[o.size() - 2]) || (c[1] != 1 && c[1] != o.back()))
        return Status::InvalidArgument(describe_ + ": C " + ShapeToString(c_shape_) + " does not broadcast to " + ShapeToString(o));
      bias_md = PlainMd(c);
    }
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    const Shape& post_shape = flattened ? o : out;
    auto make = [&](const dnnl::primitive_attr& attr) {
      const Md wmd = use_prepared ? w_any : w_user;
      if (has_bias_) return dnnl::matmul::primitive_desc({a_md, wmd, bias_md, o_md}, attr, Engine());
      return dnnl::matmul::primitive_desc({a_md, wmd, o_md}, attr, Engine());
    };
    PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::matmul::primitive_desc>(b, post_shape, o_md, make, &args, &separate)));
    // a_md (and w_user) are views of the plain input: a reshape, or a transpose for Gemm.
    PL_ASSIGN_OR_RETURN(memory a_plain, b.In(0, PlainMd(b.InShape(0))));
    memory src = b.View(a_plain, a_md);
    memory wei;
    if (use_prepared && pd.weights_desc() == wmd_) {
      wei = b.Fixed(wmd_, weights_.get());
    } else if (use_prepared) {
      wei = b.Temp(pd.weights_desc());
      memory user = b.Fixed(user_md_, user_.get());
      PL_RETURN_IF_ERROR(Guard(describe_, [&] {
        dnnl::reorder::primitive_desc rpd(Engine(), user_md_, Engine(), pd.weights_desc(), ScratchpadAttr());
        b.Step(dnnl::reorder(rpd), {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, wei}}, rpd.scratchpad_desc());
      }));
    } else {
      PL_ASSIGN_OR_RETURN(memory w_plain, b.In(1, PlainMd(b.InShape(1))));
      wei = b.View(w_plain, w_user);
    }
    PL_ASSIGN_OR_RETURN(memory dst_out, b.Out(0, out, PlainMd(out)));
    memory dst = b.View(dst_out, o_md);
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_WEIGHTS] = wei;
    args[DNNL_ARG_DST] = dst;
    if (has_bias_) args[DNNL_ARG_BIAS] = b.Fixed(bias_md, bias_.get());
    b.Step(dnnl::matmul(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, post_shape, dst));
    return Status::Ok();
  }

  bool gemm_ = false, trans_a_ = false, trans_b_ = false;
  float alpha_ = 1.f, beta_ = 1.f;
  bool prepared_ = false, has_bias_ = false;
  Md user_md_, wmd_;
  std::shared_ptr<void> weights_, user_, bias_;
  Shape c_shape_;
};

}  // namespace

StatusOr<std::unique_ptr<Op>> CreateMatMulOp(const NodeInfo& node) {
  auto op = std::make_unique<MatMulOp>();
  PL_RETURN_IF_ERROR(op->Init(node));
  return std::unique_ptr<Op>(std::move(op));
}

}  // namespace pl::onednn
