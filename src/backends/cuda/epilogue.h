// The CUDA backend's epilogue: one element-wise kernel that applies, in place on a float tensor
// (NCHW... for Conv, [.., M, N] for MatMul/Gemm), a per-channel bias and then a chain of post-ops,
// binary ones reading an operand broadcast numpy-style into the output's shape. Used by Conv,
// ConvTranspose, MatMul and Gemm, fused (domain pl.cuda) or not.
//
// Post-ops are those of src/ir/passes/fuse_activation.cc (attributes post_ops / post_alpha /
// post_beta on a pl.cuda node, operands appended after the node's own num_op_inputs inputs):
//   relu(alpha)      x > 0 ? x : alpha * x           (LeakyRelu when alpha != 0)
//   logistic         1 / (1 + exp(-x))
//   tanh, exp, sqrt, abs, log
//   hardswish        x * clamp(x / 6 + 1/2, 0, 1)    (ONNX HardSwish; alpha/beta unused)
//   elu(alpha)       x > 0 ? x : alpha * (exp(x) - 1)
//   soft_relu        log(1 + exp(x))                 (Softplus)
//   linear(a, b)     a * x + b
//   clip(lo, hi)     min(max(x, lo), hi), NaN stays NaN
//   swish(alpha)     x * sigmoid(alpha * x)
//   binary_add/mul/sub/div   x op operand
//
// The first part (PODs and the launch) is all the device side (epilogue_impl.cu) sees: it
// defines PL_EPILOGUE_DEVICE_ONLY and never includes the SDK's headers. The second part is the
// host side: parsing the attributes at Init and building the launch at Compute.
#pragma once

#include <cstdint>

#include <cuda_runtime.h>

namespace pl::cuda {

enum class EpilogueKind : int {
  kRelu = 0,
  kLogistic,
  kTanh,
  kHardSwish,
  kElu,
  kExp,
  kSqrt,
  kAbs,
  kLog,
  kSoftRelu,
  kLinear,
  kClip,
  kSwish,
  kBinaryAdd,
  kBinaryMul,
  kBinarySub,
  kBinaryDiv,
  kAddScaled,  // x + alpha * operand (Gemm's beta * C)
};

inline constexpr int kEpilogueMaxRank = 8;      // output rank (dims beyond are collapsed by the host)
inline constexpr int kEpilogueMaxOps = 16;      // per launch; longer chains take several launches
inline constexpr int kEpilogueMaxOperands = 4;  // binary operands per launch

struct EpilogueOp {
  int kind = 0;      // EpilogueKind
  float alpha = 0.f, beta = 0.f;
  int operand = -1;  // index into EpilogueParams::operands for binary kinds
};

// Where element i of the output reads operand element j:
//   block mode (general == 0): j = (i / inner) % count   (scalar: count 1; full: inner 1, count n;
//                                                          per-channel [C,1,1]: inner HW, count C)
//   general mode:              j = sum_d index_d(i) * strides[d] over the output's dims
struct EpilogueOperand {
  const float* data = nullptr;
  int general = 0;
  int64_t inner = 1, count = 1;
  int64_t strides[kEpilogueMaxRank] = {};
};

struct EpilogueParams {
  float* y = nullptr;
  int64_t n = 0;                       // elements of y
  int rank = 0;                        // for general-mode operands
  int64_t dims[kEpilogueMaxRank] = {};  // output dims (rank of them)
  const float* bias = nullptr;         // bias[(i / bias_inner) % bias_count], or none
  int64_t bias_inner = 1, bias_count = 1;
  int num_ops = 0;
  EpilogueOp ops[kEpilogueMaxOps];
  int num_operands = 0;
  EpilogueOperand operands[kEpilogueMaxOperands];
};

// Queues the epilogue on `stream` (nothing when p.n == 0 or there is nothing to do). Returns the
// launch error.
cudaError_t LaunchEpilogue(const EpilogueParams& p, cudaStream_t stream);

}  // namespace pl::cuda

#ifndef PL_EPILOGUE_DEVICE_ONLY

#include <string>
#include <vector>

#include "src/backends/cuda/cuda_common.h"

namespace pl::cuda {

// One post-op as read from the node: `input` is the node input index of a binary operand.
struct PostOpSpec {
  EpilogueKind kind = EpilogueKind::kRelu;
  float alpha = 0.f, beta = 0.f;
  int input = -1;
};

// The post-op chain of a node: for domain pl.cuda, reads onnx_opset, num_op_inputs, post_ops,
// post_alpha and post_beta (ModelError naming the node on a malformed one); for a plain ONNX node
// none, with own_inputs = its input count and opset = its opset.
struct PostOpChain {
  int onnx_opset = 0;
  int own_inputs = 0;
  std::vector<PostOpSpec> ops;
};

inline bool PostOpKindFromName(const std::string& name, EpilogueKind* kind) {
  static const struct {
    const char* name;
    EpilogueKind kind;
  } kNames[] = {
      {"relu", EpilogueKind::kRelu},           {"logistic", EpilogueKind::kLogistic},
      {"tanh", EpilogueKind::kTanh},           {"hardswish", EpilogueKind::kHardSwish},
      {"elu", EpilogueKind::kElu},             {"exp", EpilogueKind::kExp},
      {"sqrt", EpilogueKind::kSqrt},           {"abs", EpilogueKind::kAbs},
      {"log", EpilogueKind::kLog},             {"soft_relu", EpilogueKind::kSoftRelu},
      {"linear", EpilogueKind::kLinear},       {"clip", EpilogueKind::kClip},
      {"swish", EpilogueKind::kSwish},         {"binary_add", EpilogueKind::kBinaryAdd},
      {"binary_mul", EpilogueKind::kBinaryMul}, {"binary_sub", EpilogueKind::kBinarySub},
      {"binary_div", EpilogueKind::kBinaryDiv},
  };
  for (const auto& e : kNames)
    if (name == e.name) {
      *kind = e.kind;
      return true;
    }
  return false;
}

inline bool IsBinaryKind(EpilogueKind k) {
  return k == EpilogueKind::kBinaryAdd || k == EpilogueKind::kBinaryMul || k == EpilogueKind::kBinarySub ||
         k == EpilogueKind::kBinaryDiv || k == EpilogueKind::kAddScaled;
}

inline Status ParsePostOps(const NodeInfo& node, PostOpChain* chain) {
  chain->ops.clear();
  if (node.domain != kFusedDomain) {
    chain->onnx_opset = node.opset;
    chain->own_inputs = node.num_inputs();
    return Status::Ok();
  }
  const std::string me = node.Describe();
  chain->onnx_opset = node.Attr<int>("onnx_opset", 0);
  if (chain->onnx_opset <= 0) return Status::ModelError(me + ": fused node without 'onnx_opset'");
  const auto names = node.Attr<std::vector<std::string>>("post_ops", {});
  const auto alpha = node.Attr<std::vector<float>>("post_alpha", {});
  const auto beta = node.Attr<std::vector<float>>("post_beta", {});
  if (alpha.size() != names.size() || beta.size() != names.size())
    return Status::ModelError(me + ": post_ops, post_alpha and post_beta differ in length");
  int next_input = node.Attr<int>("num_op_inputs", node.num_inputs());
  if (next_input < 1 || next_input > node.num_inputs())
    return Status::ModelError(me + ": num_op_inputs " + std::to_string(next_input) + " outside [1, " +
                              std::to_string(node.num_inputs()) + "]");
  chain->own_inputs = next_input;
  for (size_t i = 0; i < names.size(); ++i) {
    PostOpSpec p;
    if (!PostOpKindFromName(names[i], &p.kind))
      return Status::ModelError(me + ": unknown post-op '" + names[i] + "'");
    p.alpha = alpha[i];
    p.beta = beta[i];
    if (IsBinaryKind(p.kind)) {
      p.input = next_input++;
      if (!node.HasInput(p.input))
        return Status::ModelError(me + ": binary post-op '" + names[i] + "' has no operand input");
      if (node.InputType(p.input) != DataType::kFloat32 && node.InputType(p.input) != DataType::kUndefined)
        return Status::ModelError(me + ": binary post-op '" + names[i] + "' operand is " +
                                  DataTypeName(node.InputType(p.input)) + ", expected float32");
    }
    chain->ops.push_back(p);
  }
  if (next_input != node.num_inputs())
    return Status::ModelError(me + ": " + std::to_string(node.num_inputs() - next_input) +
                              " inputs beyond the post-op operands");
  return Status::Ok();
}

// An operand of the epilogue at run time (a binary post-op's input, or Gemm's C).
struct EpilogueInput {
  EpilogueKind kind = EpilogueKind::kBinaryAdd;
  float alpha = 0.f, beta = 0.f;
  const Tensor* operand = nullptr;  // binary kinds; device memory
};

// Fills `op` with where output element i reads `operand` (shape `in`) broadcast into `out`.
// InvalidArgument when it does not broadcast into `out` (rank higher, a dim neither 1 nor equal).
inline Status EpilogueOperandLayout(const std::string& me, const Shape& in, const Shape& out, EpilogueOperand* op) {
  if (in.size() > out.size())
    return Status::InvalidArgument(me + ": post-op operand " + ShapeToString(in) + " has a higher rank than output " +
                                   ShapeToString(out));
  const size_t r = out.size(), off = r - in.size();
  std::vector<int64_t> dims(r, 1);
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != 1 && in[i] != out[off + i])
      return Status::InvalidArgument(me + ": post-op operand " + ShapeToString(in) + " does not broadcast to output " +
                                     ShapeToString(out));
    dims[off + i] = in[i];
  }
  // Dims of the output > 1 where the operand is not broadcast: if they are adjacent, block mode.
  int first = -1, last = -1;
  bool gap = false, adjacent = true;
  for (size_t d = 0; d < r; ++d) {
    if (out[d] == 1) continue;
    if (dims[d] == out[d]) {
      if (first < 0) first = static_cast<int>(d);
      else if (gap) adjacent = false;
      last = static_cast<int>(d);
    } else if (first >= 0) {
      gap = true;
    }
  }
  if (!adjacent) {
    op->general = 1;
    int64_t stride = 1;
    for (size_t k = r; k-- > 0;) {
      if (k < static_cast<size_t>(kEpilogueMaxRank)) op->strides[k] = dims[k] == 1 ? 0 : stride;
      stride *= dims[k];
    }
    return Status::Ok();
  }
  op->general = 0;
  op->count = 1;
  op->inner = 1;
  if (first >= 0) {
    for (int d = first; d <= last; ++d) op->count *= out[d];
    for (size_t d = last + 1; d < r; ++d) op->inner *= out[d];
  }
  return Status::Ok();
}

// Builds and queues the epilogue on y (device, float32, shape y_shape): bias (device, indexed by
// dim `channel_axis` of y; nullptr for none), then `ops` in order. Chains longer than one launch
// takes are split into several launches (each in place, in order).
inline Status RunEpilogue(const KernelContext& ctx, Tensor* y, const float* bias, int channel_axis,
                          const std::vector<EpilogueInput>& ops) {
  const std::string me = ctx.node().Describe();
  const int64_t n = y->NumElements();
  if (n <= 0 || (!bias && ops.empty())) return Status::Ok();
  CudaResources* res = Res(ctx);
  if (!res) return Status::Internal(me + ": no CUDA resources in the kernel context");
  // Collapse the output to at most kEpilogueMaxRank dims for general-mode operands: the leading
  // dims merge into one (operand layouts are computed on the full shape first).
  const Shape& full = y->shape();
  EpilogueParams p;
  p.y = y->MutableData<float>();
  p.n = n;
  if (bias) {
    if (channel_axis < 0 || channel_axis >= static_cast<int>(full.size()))
      return Status::Internal(me + ": epilogue bias axis out of range");
    p.bias = bias;
    p.bias_count = full[channel_axis];
    for (size_t d = channel_axis + 1; d < full.size(); ++d) p.bias_inner *= full[d];
  }
  size_t next = 0;
  bool first_launch = true;
  while (first_launch || next < ops.size()) {
    p.num_ops = 0;
    p.num_operands = 0;
    if (!first_launch) p.bias = nullptr;
    first_launch = false;
    bool general_needed = false;
    while (next < ops.size() && p.num_ops < kEpilogueMaxOps) {
      const EpilogueInput& in = ops[next];
      EpilogueOp& op = p.ops[p.num_ops];
      op.kind = static_cast<int>(in.kind);
      op.alpha = in.alpha;
      op.beta = in.beta;
      op.operand = -1;
      if (IsBinaryKind(in.kind)) {
        if (p.num_operands >= kEpilogueMaxOperands) break;
        if (!in.operand) return Status::InvalidArgument(me + ": missing post-op operand");
        if (in.operand->dtype() != DataType::kFloat32)
          return Status::InvalidArgument(me + ": post-op operand is " + DataTypeName(in.operand->dtype()) +
                                         ", expected float32");
        EpilogueOperand& o = p.operands[p.num_operands];
        PL_RETURN_IF_ERROR(EpilogueOperandLayout(me, in.operand->shape(), full, &o));
        if (o.general) {
          if (full.size() > static_cast<size_t>(kEpilogueMaxRank))
            return Status::Unimplemented(me + ": post-op operand broadcast over an output of rank " +
                                         std::to_string(full.size()) + " (CUDA epilogue takes up to " +
                                         std::to_string(kEpilogueMaxRank) + ")");
          general_needed = true;
        }
        o.data = in.operand->Data<float>();
        op.operand = p.num_operands++;
      }
      ++p.num_ops;
      ++next;
    }
    if (general_needed) {
      p.rank = static_cast<int>(full.size());
      for (size_t d = 0; d < full.size(); ++d) p.dims[d] = full[d];
    } else {
      p.rank = 0;
    }
    PL_CUDA_RETURN_IF_ERROR(LaunchEpilogue(p, res->stream));
  }
  return Status::Ok();
}

// The chain of a node as run-time epilogue inputs (ctx.Input for the binary operands).
inline std::vector<EpilogueInput> EpilogueInputs(const KernelContext& ctx, const std::vector<PostOpSpec>& specs) {
  std::vector<EpilogueInput> out;
  out.reserve(specs.size());
  for (const PostOpSpec& s : specs) {
    EpilogueInput e;
    e.kind = s.kind;
    e.alpha = s.alpha;
    e.beta = s.beta;
    if (s.input >= 0) e.operand = s.input < ctx.NumInputs() ? ctx.Input(s.input) : nullptr;
    out.push_back(e);
  }
  return out;
}

}  // namespace pl::cuda

#endif  // PL_EPILOGUE_DEVICE_ONLY
