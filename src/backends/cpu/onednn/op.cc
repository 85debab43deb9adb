// Op plumbing shared by every oneDNN op: fused post-ops (as primitive attributes, or as separate
// primitives when a primitive refuses them) and the op-type dispatch.
#include "src/backends/cpu/onednn/op.h"

#include <cstdlib>
#include <map>

namespace pl::onednn {

// Factories, one per op family (op_*.cc).
StatusOr<std::unique_ptr<Op>> CreateConvOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateConvTransposeOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateEltwiseOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateBinaryOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreatePoolOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateSoftmaxOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateResizeOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateConcatOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateReduceOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateMatMulOp(const NodeInfo& node);
StatusOr<std::unique_ptr<Op>> CreateNormOp(const NodeInfo& node);

namespace {

using Factory = StatusOr<std::unique_ptr<Op>> (*)(const NodeInfo&);

const std::map<std::string, Factory>& Factories() {
  static const auto* m = new std::map<std::string, Factory>{
      {"Conv", CreateConvOp},
      {"ConvTranspose", CreateConvTransposeOp},
      {"Relu", CreateEltwiseOp}, {"LeakyRelu", CreateEltwiseOp}, {"Sigmoid", CreateEltwiseOp},
      {"Tanh", CreateEltwiseOp}, {"Clip", CreateEltwiseOp}, {"HardSigmoid", CreateEltwiseOp},
      {"HardSwish", CreateEltwiseOp}, {"Elu", CreateEltwiseOp}, {"Exp", CreateEltwiseOp},
      {"Log", CreateEltwiseOp}, {"Sqrt", CreateEltwiseOp}, {"Abs", CreateEltwiseOp},
      {"Softplus", CreateEltwiseOp}, {"Neg", CreateEltwiseOp},
      {"Add", CreateBinaryOp}, {"Sub", CreateBinaryOp}, {"Mul", CreateBinaryOp}, {"Div", CreateBinaryOp},
      {"Pow", CreateBinaryOp},
      {"MaxPool", CreatePoolOp}, {"AveragePool", CreatePoolOp}, {"GlobalAveragePool", CreatePoolOp},
      {"GlobalMaxPool", CreatePoolOp},
      {"Softmax", CreateSoftmaxOp}, {"LogSoftmax", CreateSoftmaxOp},
      {"Resize", CreateResizeOp}, {"Upsample", CreateResizeOp},
      {"Concat", CreateConcatOp},
      {"ReduceMean", CreateReduceOp}, {"ReduceSum", CreateReduceOp}, {"ReduceMax", CreateReduceOp},
      {"ReduceMin", CreateReduceOp}, {"ReduceProd", CreateReduceOp}, {"ReduceL1", CreateReduceOp},
      {"ReduceL2", CreateReduceOp}, {"ReduceSumSquare", CreateReduceOp},
      {"MatMul", CreateMatMulOp}, {"Gemm", CreateMatMulOp},
      {"BatchNormalization", CreateNormOp}, {"LayerNormalization", CreateNormOp},
  };
  return *m;
}

const std::map<std::string, dnnl::algorithm>& PostOpAlgs() {
  using A = dnnl::algorithm;
  static const auto* m = new std::map<std::string, A>{
      {"relu", A::eltwise_relu}, {"clip", A::eltwise_clip}, {"linear", A::eltwise_linear},
      {"logistic", A::eltwise_logistic}, {"tanh", A::eltwise_tanh}, {"hardswish", A::eltwise_hardswish},
      {"swish", A::eltwise_swish}, {"elu", A::eltwise_elu}, {"exp", A::eltwise_exp}, {"log", A::eltwise_log},
      {"sqrt", A::eltwise_sqrt}, {"abs", A::eltwise_abs}, {"soft_relu", A::eltwise_soft_relu},
      {"pow", A::eltwise_pow}, {"square", A::eltwise_square},
      {"binary_add", A::binary_add}, {"binary_sub", A::binary_sub}, {"binary_mul", A::binary_mul},
      {"binary_div", A::binary_div}, {"binary_max", A::binary_max}, {"binary_min", A::binary_min},
  };
  return *m;
}

// Operand dims aligned (right-aligned, as numpy broadcasting) to the destination's rank.
StatusOr<Dims> AlignedOperandDims(const Shape& operand, const Shape& dst) {
  if (operand.size() > dst.size()) return Status::InvalidArgument("binary post-op operand has a higher rank than the output");
  Dims d(dst.size(), 1);
  const size_t off = dst.size() - operand.size();
  for (size_t i = 0; i < operand.size(); ++i) {
    if (operand[i] != 1 && operand[i] != dst[off + i])
      return Status::InvalidArgument("binary post-op operand " + ShapeToString(operand) + " does not broadcast to " +
                                     ShapeToString(dst));
    d[off + i] = operand[i];
  }
  return d;
}

}  // namespace

void AppendEltwise(dnnl::post_ops* po, const std::vector<PostOp>& ops) {
  for (const PostOp& p : ops) po->append_eltwise(1.f, p.alg, p.alpha, p.beta);
}

std::vector<PostOp> MergeLinear(const std::vector<PostOp>& ops) {
  std::vector<PostOp> out;
  for (const PostOp& p : ops) {
    if (!out.empty() && p.kind == PostOp::Kind::kEltwise && p.alg == dnnl::algorithm::eltwise_linear &&
        out.back().kind == PostOp::Kind::kEltwise && out.back().alg == dnnl::algorithm::eltwise_linear) {
      PostOp& q = out.back();  // p(q(x)) = pa * (qa * x + qb) + pb
      q.beta = p.alpha * q.beta + p.beta;
      q.alpha = p.alpha * q.alpha;
      continue;
    }
    out.push_back(p);
  }
  return out;
}

size_t FusablePrefix(const std::vector<PostOp>& ops) {
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i].kind != PostOp::Kind::kEltwise) continue;
    for (size_t j = 0; j < i; ++j)
      if (ops[j].kind == PostOp::Kind::kEltwise && ops[j].alg == ops[i].alg &&
          (ops[j].alpha != ops[i].alpha || ops[j].beta != ops[i].beta))
        return i;
  }
  return ops.size();
}

DwFusion DwFusionMode(const NodeInfo& node) {
  const std::string v = node.Option(kDwFusionOption, "auto");
  if (v == "off") return DwFusion::kOff;
  if (v == "onednn") return DwFusion::kOneDnn;
  if (v == "bands") return DwFusion::kBands;
  return DwFusion::kAuto;
}

dnnl::primitive_attr ScratchpadAttr() {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

bool IsKnownOpType(const std::string& op_type) { return Factories().count(op_type) > 0; }

std::vector<std::string> OpTypes() {
  std::vector<std::string> out;
  for (const auto& kv : Factories()) out.push_back(kv.first);
  return out;
}

StatusOr<std::unique_ptr<Op>> CreateOp(const NodeInfo& node) {
  if (!node.domain.empty() && node.domain != kDomain)
    return Status::Unimplemented(node.Describe() + ": domain '" + node.domain + "' is not handled by oneDNN");
  auto it = Factories().find(node.op_type);
  if (it == Factories().end()) return Status::Unimplemented(node.Describe() + ": no oneDNN op");
  for (int i = 0; i < node.num_inputs(); ++i)
    if (node.HasInput(i) && node.input_types[i] != DataType::kFloat32 && node.input_types[i] != DataType::kUndefined &&
        !(node.op_type == "Resize" || node.op_type == "Upsample" || node.op_type == "Clip" ||
          (node.op_type.rfind("Reduce", 0) == 0 && i == 1)))
      return Status::Unimplemented(node.Describe() + ": oneDNN ops here take float32 only");
  return it->second(node);
}

Status Op::InitCommon(const NodeInfo& node, int own_inputs) {
  describe_ = node.Describe();
  opset_ = node.opset;
  own_inputs_ = node.num_inputs();
  if (node.domain != kDomain) return Status::Ok();
  opset_ = node.Attr<int>("onnx_opset", 0);
  if (opset_ <= 0) return Status::ModelError(describe_ + ": fused node without 'onnx_opset'");
  auto names = node.Attr<std::vector<std::string>>("post_ops", {});
  auto alpha = node.Attr<std::vector<float>>("post_alpha", {});
  auto beta = node.Attr<std::vector<float>>("post_beta", {});
  int next_input = node.Attr<int>("num_op_inputs", own_inputs);
  own_inputs_ = next_input;
  if (alpha.size() != names.size() || beta.size() != names.size())
    return Status::ModelError(describe_ + ": post_ops, post_alpha and post_beta differ in length");
  for (size_t i = 0; i < names.size(); ++i) {
    auto it = PostOpAlgs().find(names[i]);
    if (it == PostOpAlgs().end()) return Status::ModelError(describe_ + ": unknown post-op '" + names[i] + "'");
    PostOp p;
    p.alg = it->second;
    p.alpha = alpha[i];
    p.beta = beta[i];
    if (names[i].rfind("binary_", 0) == 0) {
      p.kind = PostOp::Kind::kBinary;
      p.input = next_input++;
      if (!node.HasInput(p.input))
        return Status::ModelError(describe_ + ": binary post-op '" + names[i] + "' has no operand input");
    }
    post_ops_.push_back(p);
  }
  return Status::Ok();
}

StatusOr<dnnl::primitive_attr> Op::PostOpAttr(const PlanBuilder& b, const std::vector<PostOp>& ops, const Shape& dst,
                                              const Md& dst_md, std::vector<Binding>* binds) const {
  dnnl::primitive_attr attr = ScratchpadAttr();
  dnnl::post_ops po;
  for (size_t i = 0; i < ops.size(); ++i) {
    const PostOp& p = ops[i];
    if (p.kind == PostOp::Kind::kEltwise) {
      po.append_eltwise(1.f, p.alg, p.alpha, p.beta);
      continue;
    }
    PL_ASSIGN_OR_RETURN(Dims d, AlignedOperandDims(b.InShape(p.input), dst));
    // A full-size operand is read in the destination's layout; a broadcast one plainly.
    Md md = d == ToDims(dst) ? dst_md : Md(d, memory::data_type::f32, PlainTag(static_cast<int>(d.size())));
    po.append_binary(p.alg, md);
    binds->push_back({DNNL_ARG_ATTR_MULTIPLE_POST_OP(static_cast<int>(i)) | DNNL_ARG_SRC_1, p.input, md});
  }
  attr.set_post_ops(po);
  return attr;
}

Status Op::PostOpsSeparately(PlanBuilder& b, const std::vector<PostOp>& ops, const Shape& dst_shape,
                             memory dst) const {
  const Md dst_md = dst.get_desc();
  for (const PostOp& p : ops) {
    Status s = Guard(describe_ + " (post-op)", [&] {
      if (p.kind == PostOp::Kind::kEltwise) {
        dnnl::eltwise_forward::primitive_desc pd(
            {dnnl::prop_kind::forward_inference, p.alg, dst_md, p.alpha, p.beta}, ScratchpadAttr(), Engine());
        b.Step(dnnl::eltwise_forward(pd), {{DNNL_ARG_SRC, dst}, {DNNL_ARG_DST, dst}}, pd.scratchpad_desc());
        return;
      }
      auto d = AlignedOperandDims(b.InShape(p.input), dst_shape);
      if (!d.ok()) throw std::runtime_error(d.status().message());
      Md md = *d == ToDims(dst_shape) ? dst_md : Md(*d, memory::data_type::f32, PlainTag(static_cast<int>(d->size())));
      auto src1 = b.In(p.input, md);
      if (!src1.ok()) throw std::runtime_error(src1.status().message());
      dnnl::binary::primitive_desc pd({p.alg, dst_md, md, dst_md}, ScratchpadAttr(), Engine());
      b.Step(dnnl::binary(pd), {{DNNL_ARG_SRC_0, dst}, {DNNL_ARG_SRC_1, *src1}, {DNNL_ARG_DST, dst}},
             pd.scratchpad_desc());
    });
    PL_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

}  // namespace pl::onednn
