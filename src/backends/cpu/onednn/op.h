// The oneDNN backend's unit of work: an Op is one (possibly fused) ONNX node prepared at compile
// time (attributes validated, weights reordered once, shared by every clone), which plans itself
// per input-shape signature into oneDNN primitives through a PlanBuilder. Every oneDNN kernel,
// standalone or a whole fused region, runs Ops through the same Region machinery (region.h), so
// layouts may stay blocked between the Ops of a region.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "src/backends/cpu/onednn/common.h"

namespace pl::onednn {

// One post-op attached to a node by the fusion passes (attributes "post_ops", "post_alpha",
// "post_beta"; binary operands are extra node inputs, in order, after the op's own inputs).
struct PostOp {
  enum class Kind { kEltwise, kBinary };
  Kind kind = Kind::kEltwise;
  dnnl::algorithm alg = dnnl::algorithm::undef;
  float alpha = 0.f, beta = 0.f;
  int input = -1;  // node input index of a binary operand
};

class Op;

// How a 1x1 Conv and the depthwise Conv after it are fused (PlanBuilder::FusedDepthwise).
// The backend option "onednn.dw_fusion" = off|onednn|bands picks one for A/B measurements and
// tests; the default (auto) takes oneDNN's fused kernel where it has one and row bands for big
// maps elsewhere.
enum class DwFusion { kAuto, kOff, kOneDnn, kBands };
inline constexpr const char* kDwFusionOption = "onednn.dw_fusion";
// The mode a node's options select (kAuto when unset).
DwFusion DwFusionMode(const NodeInfo& node);

// What an Op sees of the region while it plans one input-shape signature. Memory objects it
// returns get their data handles from the region at run time (workspace, inputs, outputs).
class PlanBuilder {
 public:
  virtual ~PlanBuilder() = default;
  virtual int NumInputs() const = 0;
  virtual bool HasInput(int i) const = 0;
  virtual const Shape& InShape(int i) const = 0;
  // Layout the producer left input i in (plain for region inputs and constants).
  virtual Md InMd(int i) const = 0;
  // Non-null when input i is a constant.
  virtual const Tensor* InConst(int i) const = 0;
  // Input i in layout `want` (a reorder is inserted when the producer's layout differs).
  virtual StatusOr<memory> In(int i, const Md& want) = 0;
  // Input i in the producer's layout.
  StatusOr<memory> In(int i) { return In(i, InMd(i)); }
  // True when output i is only read outside the region (a plain layout saves a reorder).
  virtual bool PreferPlainOutput(int i) const = 0;
  virtual bool OutputRequested(int i) const = 0;
  // Declares output i (shape and layout); returns its memory.
  virtual StatusOr<memory> Out(int i, const Shape& shape, const Md& md) = 0;
  // Declares output i like Out(), but reusing input `in`'s bytes when that input is read for the
  // last time by this step, in layout `md`, and nothing else aliases it. Only for ops whose
  // output element k depends on input element k alone (element-wise, binary with src0 = `in`):
  // oneDNN's eltwise and binary primitives allow dst == src.
  virtual StatusOr<memory> OutInPlace(int i, const Shape& shape, const Md& md, int in) { (void)in; return Out(i, shape, md); }
  // Declares output i like Out(), for an op that writes through whatever strides the returned
  // memory's descriptor has (channels stay contiguous): when the value's only reader is a
  // channel Concat, it may be a view into the Concat's output, which then copies nothing.
  virtual StatusOr<memory> OutStrided(int i, const Shape& shape, const Md& md) { return Out(i, shape, md); }
  // Scratch memory live only during this op's steps.
  virtual memory Temp(const Md& md) = 0;
  // The same bytes as `m` seen through another descriptor (a reshape, or a strided view such as
  // a transpose or an nhwc tensor as a [pixels, channels] matrix).
  virtual memory View(const memory& m, const Md& md) = 0;
  // Memory at a fixed address that outlives the plan (prepared weights, constants).
  virtual memory Fixed(const Md& md, const void* data) = 0;
  // Constant data (layout `from`) reordered once, now, into layout `want`, held by the plan.
  virtual StatusOr<memory> Constant(const Md& from, const void* data, const Md& want) = 0;
  // Appends a primitive; `args` may name the memories returned above.
  virtual void Step(dnnl::primitive prim, std::unordered_map<int, memory> args, const Md& scratchpad) = 0;
  // Appends plain code (for what no primitive does); `mems` are the memories it reads/writes.
  // `flops`: its arithmetic (multiply-adds x 2), for the profile; 0 where not counted.
  void Custom(std::function<void()> fn, std::vector<memory> mems, double flops = 0) {
    CustomStep(std::move(fn), std::move(mems), flops);
  }
  virtual void CustomStep(std::function<void()> fn, std::vector<memory> mems, double flops) = 0;
  virtual int threads() const = 0;
  virtual const std::string& name() const = 0;  // "Conv node 'x'" for errors
  // Post-ops the region adds for this plan only (a following binary op whose shapes fit, known
  // only now); their operands are inputs numbered from NumInputs() on.
  virtual const std::vector<PostOp>& ExtraPostOps() const = 0;
  // A depthwise Conv that reads this (1x1 Conv) op's output and nothing else the region computes:
  // this plan may run both as one step (oneDNN's depthwise post-op, or row bands), declaring the
  // depthwise output as output 0 (the 1x1 result is never stored whole). The op refuses (any
  // error) to have them planned apart.
  virtual const Op* FusedDepthwise() const { return nullptr; }
  // The model's "onednn.dw_fusion" option.
  virtual DwFusion dw_fusion() const { return DwFusion::kAuto; }
};

class Op {
 public:
  virtual ~Op() = default;
  virtual Status Plan(PlanBuilder& b) const = 0;
  // Bytes of prepared (reordered) weights this op holds.
  virtual size_t SharedBytes() const { return 0; }
  const std::vector<PostOp>& post_ops() const { return post_ops_; }
  // The node's post-ops followed by the ones the region adds for this plan.
  std::vector<PostOp> AllPostOps(const PlanBuilder& b) const {
    std::vector<PostOp> all = post_ops_;
    all.insert(all.end(), b.ExtraPostOps().begin(), b.ExtraPostOps().end());
    return all;
  }
  const std::string& describe() const { return describe_; }

 protected:
  // Reads the fused post-ops and the ONNX opset of the node (fused nodes keep it in "onnx_opset").
  Status InitCommon(const NodeInfo& node, int own_inputs);
  // Where a binary post-op's operand comes from: node input `input`, in layout `md`, passed as `arg`.
  struct Binding {
    int arg, input;
    Md md;
  };
  // Builds primitive attributes (user scratchpad + this op's post-ops) for an output of shape
  // `dst` in layout `dst_md`; `binds` receives the binary operands to pass.
  StatusOr<dnnl::primitive_attr> PostOpAttr(const PlanBuilder& b, const std::vector<PostOp>& ops, const Shape& dst,
                                            const Md& dst_md, std::vector<Binding>* binds) const;
  // Runs the post-ops as separate primitives on `dst` (in place), for when a primitive does not
  // take them as attributes.
  Status PostOpsSeparately(PlanBuilder& b, const std::vector<PostOp>& ops, const Shape& dst_shape, memory dst) const;
  Status PostOpsSeparately(PlanBuilder& b, const Shape& dst_shape, memory dst) const {
    return PostOpsSeparately(b, AllPostOps(b), dst_shape, dst);
  }
  // Makes a primitive descriptor (`make(attr)`, may throw) with as many of `ops` fused as oneDNN
  // takes; `rest` receives those the caller must run as separate steps (PostOpsSeparately).
  template <typename PD, typename F>
  StatusOr<PD> MakeWithPostOps(PlanBuilder& b, const std::vector<PostOp>& ops, const Shape& dst, const Md& dst_md,
                               F&& make, std::unordered_map<int, memory>* args, std::vector<PostOp>* rest) const;
  template <typename PD, typename F>
  StatusOr<PD> MakeWithPostOps(PlanBuilder& b, const Shape& dst, const Md& dst_md, F&& make,
                               std::unordered_map<int, memory>* args, std::vector<PostOp>* rest) const {
    return MakeWithPostOps<PD>(b, AllPostOps(b), dst, dst_md, std::forward<F>(make), args, rest);
  }

  // Input i is one of the op's own (not a post-op operand appended by the fusion passes).
  bool HasOwnInput(const NodeInfo& node, int i) const { return i < own_inputs_ && node.HasInput(i); }

  int opset_ = 0;
  int own_inputs_ = 0;
  std::string describe_;
  std::vector<PostOp> post_ops_;
};

// Creates the Op for a node (standard ONNX op, or one fused by our passes). Unimplemented when
// this backend cannot run it; other errors are model errors.
StatusOr<std::unique_ptr<Op>> CreateOp(const NodeInfo& node);
// Ops (by ONNX op type) that CreateOp knows.
bool IsKnownOpType(const std::string& op_type);
// Every ONNX op type the backend has an Op for: its one table (op.cc), from which the kernels are
// registered (kernels.cc) and the passes' CanRun answers.
std::vector<std::string> OpTypes();

// ----- template implementation -----
dnnl::primitive_attr ScratchpadAttr();
inline bool IsRefImpl(const char* impl) { return std::string(impl).rfind("ref", 0) == 0; }
// Reference and im2col+gemm kernels: correct everywhere, several times slower than the direct ones.
inline bool IsSlowImpl(const char* impl) { return IsRefImpl(impl) || std::string(impl).find("gemm") != std::string::npos; }

// Appends element-wise post-ops to `po` (callers have checked they are all element-wise).
void AppendEltwise(dnnl::post_ops* po, const std::vector<PostOp>& ops);
// Post-ops in a canonical form: consecutive linear ops composed into one.
std::vector<PostOp> MergeLinear(const std::vector<PostOp>& ops);
// How many leading post-ops one primitive may fuse. oneDNN 2.6's jit injectors get an eltwise
// algorithm wrong when it appears twice in a chain with different parameters (two different
// linears, say): such a chain is cut before the repeat.
size_t FusablePrefix(const std::vector<PostOp>& ops);

template <typename PD, typename F>
StatusOr<PD> Op::MakeWithPostOps(PlanBuilder& b, const std::vector<PostOp>& ops_in, const Shape& dst, const Md& dst_md,
                                 F&& make, std::unordered_map<int, memory>* args, std::vector<PostOp>* rest) const {
  const std::vector<PostOp> ops = MergeLinear(ops_in);
  rest->clear();
  const size_t n = FusablePrefix(ops);
  if (n > 0) {
    const std::vector<PostOp> fused(ops.begin(), ops.begin() + n);
    std::vector<Binding> binds;
    auto attr = PostOpAttr(b, fused, dst, dst_md, &binds);
    if (attr.ok()) {
      bool made = false;
      PD pd;
      try {
        pd = make(*attr);
        made = true;
      } catch (const dnnl::error&) {
      }
      // A reference implementation with fused post-ops loses to a jit one followed by
      // separate post-op primitives.
      if (made && IsRefImpl(pd.impl_info_str())) {
        try {
          PD plain = make(ScratchpadAttr());
          if (!IsRefImpl(plain.impl_info_str())) made = false;
        } catch (const dnnl::error&) {
        }
      }
      if (made) {
        for (const Binding& bd : binds) {
          PL_ASSIGN_OR_RETURN(memory m, b.In(bd.input, bd.md));
          (*args)[bd.arg] = m;
        }
        rest->assign(ops.begin() + n, ops.end());
        return pd;
      }
    }
  }
  rest->assign(ops.begin(), ops.end());
  try {
    return PD(make(ScratchpadAttr()));
  } catch (const dnnl::error& e) {
    return Status::Unimplemented(describe_ + ": oneDNN cannot create the primitive: " + e.what());
  }
}

}  // namespace pl::onednn
