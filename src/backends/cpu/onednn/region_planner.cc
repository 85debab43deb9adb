// Planner: turns one input-shape signature of a Region into a Plan (region_plan.h): schedules
// the nodes, fuses what the shapes allow (post-ops, 1x1 + depthwise, Concat in place, in-place
// element-wise), places memories and packs the workspace.
#include "src/backends/cpu/onednn/region_plan.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <unordered_map>

#include <omp.h>

#include "src/backends/cpu/onednn/capability.h"
#include "src/core/alloc.h"

namespace pl::onednn {
namespace {

std::shared_ptr<void> AlignedBytes(size_t bytes) {
  return internal::AlignedBufferOrThrow(AlignUp(bytes ? bytes : 1), fault_injection::Site::kWeights);
}

size_t NumElements(const Md& md) {
  size_t n = 1;
  for (int i = 0; i < md.data.ndims; ++i) n *= static_cast<size_t>(md.data.dims[i]);
  return n;
}

int64_t MdElements(const dnnl_memory_desc_t* md) {
  if (!md || md->ndims <= 0) return 0;
  int64_t n = 1;
  for (int i = 0; i < md->ndims; ++i) n *= md->dims[i];
  return n;
}

}  // namespace

// Counted from the primitive's descriptors: convolution / deconvolution / inner product / matmul.
std::pair<const char*, double> KindAndFlops(const dnnl::primitive& prim) {
  const_dnnl_primitive_desc_t pd = nullptr;
  if (!prim || dnnl_primitive_get_primitive_desc(prim.get(), &pd) != dnnl_success) return {"custom", 0.0};
  dnnl_primitive_kind_t kind = dnnl_undefined_primitive;
  dnnl_primitive_desc_query(pd, dnnl_query_primitive_kind, 0, &kind);
  const dnnl_memory_desc_t* src = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t* wei = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
  const dnnl_memory_desc_t* dst = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  const int64_t s = MdElements(src), w = MdElements(wei), d = MdElements(dst);
  auto channels = [](const dnnl_memory_desc_t* md) { return md && md->ndims >= 2 ? md->dims[1] : 0; };
  switch (kind) {
    case dnnl_convolution:
    case dnnl_inner_product:  // per output element: weights / output channels multiply-adds
      return {kind == dnnl_convolution ? "convolution" : "inner_product",
              channels(dst) > 0 ? 2.0 * d * (static_cast<double>(w) / channels(dst)) : 0.0};
    case dnnl_deconvolution:  // per input element: weights / input channels
      return {"deconvolution", channels(src) > 0 ? 2.0 * s * (static_cast<double>(w) / channels(src)) : 0.0};
    case dnnl_matmul:  // K = the source's last dim
      return {"matmul", src && src->ndims > 0 ? 2.0 * d * src->dims[src->ndims - 1] : 0.0};
    case dnnl_reorder: return {"reorder", 0.0};
    case dnnl_eltwise: return {"eltwise", 0.0};
    case dnnl_binary: return {"binary", 0.0};
    case dnnl_pooling: return {"pooling", 0.0};
    case dnnl_softmax: return {"softmax", 0.0};
    case dnnl_concat: return {"concat", 0.0};
    case dnnl_sum: return {"sum", 0.0};
    case dnnl_resampling: return {"resampling", 0.0};
    case dnnl_reduction: return {"reduction", 0.0};
    case dnnl_batch_normalization: return {"batch_normalization", 0.0};
    case dnnl_layer_normalization: return {"layer_normalization", 0.0};
    default: return {"primitive", 0.0};
  }
}

// Plans one input-shape signature of a region.
class Planner final : public PlanBuilder {
 private:
  struct PlanValue {
    Shape shape;
    Md md;
    memory mem;
    bool defined = false;
    bool direct_output = false;
    std::vector<std::pair<Md, memory>> variants;
  };

 public:
  Planner(const Region& r, const std::vector<const Tensor*>& inputs, int threads, Plan* plan)
      : r_(r), inputs_(inputs), threads_(threads), plan_(plan), vals_(r.values_.size()) {}

  bool concat_in_place_used() const { return !concat_bufs_.empty(); }
  void DisableConcatInPlace() { concat_in_place_ = false; }

  Status Build() {
    reads_left_.assign(r_.values_.size(), 0);
    for (size_t v = 0; v < r_.values_.size(); ++v) reads_left_[v] = r_.values_[v].num_consumers;
    for (size_t v = 0; v < r_.values_.size(); ++v) {
      const Region::Value& rv = r_.values_[v];
      if (rv.constant) {
        vals_[v].shape = rv.constant->shape();
        vals_[v].md = PlainMd(rv.constant->shape());
        vals_[v].mem = Fixed(vals_[v].md, rv.constant->RawData());
        vals_[v].defined = true;
      } else if (rv.input_index >= 0) {
        const Tensor* t = inputs_[rv.input_index];
        vals_[v].shape = t->shape();
        vals_[v].md = PlainMd(t->shape());
        vals_[v].mem = AddMem(vals_[v].md, MemRec::Loc::kInput, rv.input_index);
        vals_[v].defined = true;
      }
    }
    plan_->out_shapes.assign(r_.num_outputs_, Shape());
    std::vector<char> done(r_.nodes_.size(), 0);  // planned as a post-op of their producer
    // deferred[c] = p: node p waits to run right before its consumer c, whose other operand is
    // computed after p (so c can become p's post-op). Moving p later is safe: only c reads it.
    std::vector<int> deferred(r_.nodes_.size(), -1);
    for (size_t n = 0; n < r_.nodes_.size(); ++n) {
      if (deferred[n] >= 0) PL_RETURN_IF_ERROR(PlanNode(deferred[n], done[n] ? -1 : static_cast<int>(n), &done));
      if (done[n]) continue;
      const int dw = r_.dw_fusion_ != DwFusion::kOff ? DepthwiseConsumer(static_cast<int>(n)) : -1;
      if (dw >= 0 && !done[dw] && TryFused(static_cast<int>(n), dw, /*depthwise=*/true, &done)) continue;
      int wait_for = -1;
      const int next = FusableConsumer(static_cast<int>(n), &wait_for);
      // Waiting keeps n's inputs alive longer; when the other operand's producer can host the
      // consumer itself, it does so instead (nothing waits).
      int unused = -1;
      const bool other_hosts = next >= 0 && wait_for > static_cast<int>(n) && FusableConsumer(wait_for, &unused) == next;
      if (other_hosts) {
        PL_RETURN_IF_ERROR(PlanNode(static_cast<int>(n), -1, &done));
        continue;
      }
      if (next >= 0 && wait_for > static_cast<int>(n) && deferred[next] < 0) {
        deferred[next] = static_cast<int>(n);
        continue;
      }
      PL_RETURN_IF_ERROR(PlanNode(static_cast<int>(n), wait_for < static_cast<int>(n) ? next : -1, &done));
    }
    return AssignWorkspace();
  }

  // Plans node n, with its consumer `next` (if >= 0) as a binary post-op when the shapes allow.
  Status PlanNode(int n, int next, std::vector<char>* done) {
    node_ = &r_.nodes_[n];
    node_index_ = n;
    plan_->work += Work(n);
    for (size_t i = 0; i < node_->inputs.size(); ++i) {
      int v = node_->inputs[i];
      if (v >= 0 && !vals_[v].defined)
        return Status::Internal(node_->info.Describe() + ": input '" + r_.values_[v].name + "' is not computed yet");
    }
    if (next >= 0) {
      const Region::Node& q = r_.nodes_[next];
      const int other = q.inputs[0] == node_->outputs[0] ? q.inputs[1] : q.inputs[0];
      if (!vals_[other].defined) next = -1;  // its producer waits for another fusion
    }
    if (next >= 0 && TryFused(n, next, /*depthwise=*/false, done)) return Status::Ok();
    CountReads(n, -1);
    if (concat_bufs_.count(n)) {
      PL_RETURN_IF_ERROR(PlanConcatInPlace(n));
      PL_RETURN_IF_ERROR(FinishNode());
      ConsumeReads();
      return Status::Ok();
    }
    PL_RETURN_IF_ERROR(node_->op->Plan(*this));
    PL_RETURN_IF_ERROR(FinishNode());
    ConsumeReads();
    return Status::Ok();
  }

  // Plans node n (node_ already set, its work counted) as one step with consumer c: c as a
  // binary post-op, or (depthwise) as the fused depthwise Conv. On any refusal (shapes that do
  // not fit, say) the plan is rolled back and false returned: the caller plans n alone.
  bool TryFused(int n, int c, bool depthwise, std::vector<char>* done) {
    Snapshot snap = Save();
    node_ = &r_.nodes_[n];
    node_index_ = n;
    if (depthwise) {
      dw_node_ = c;
      redirect_ = r_.nodes_[c].outputs[0];
    } else {
      SetExtra(c);
    }
    CountReads(n, c);
    Status st = node_->op->Plan(*this);
    if (st.ok()) st = FinishNode();
    ClearExtra();
    if (st.ok()) {
      (*done)[c] = 1;
      ConsumeReads();
      if (depthwise) plan_->work += Work(n) + Work(c);  // PlanNode counts n otherwise
      return true;
    }
    if (Verbose()) std::fprintf(stderr, "[pl.onednn] planned apart: %s\n", st.ToString().c_str());
    Restore(std::move(snap));
    return false;
  }

  // The reads of region values the step being planned makes (node n and its fused consumer c,
  // whose read of n's own output is internal to the step).
  void CountReads(int n, int c) {
    step_reads_.clear();
    for (int v : r_.nodes_[n].inputs)
      if (v >= 0) step_reads_[v]++;
    if (c >= 0)
      for (int v : r_.nodes_[c].inputs)
        if (v >= 0) step_reads_[v]++;
  }
  void ConsumeReads() {
    for (const auto& [v, k] : step_reads_) reads_left_[v] -= k;
    step_reads_.clear();
  }

  // Rough work of node n: FLOPs + 32 per element it reads (from its input shapes).
  double Work(int n) const {
    const Region::Node& node = r_.nodes_[n];
    double elems = 0, flops = 0;
    for (int v : node.inputs)
      if (v >= 0 && !r_.values_[v].constant && vals_[v].defined) elems += static_cast<double>(ShapeNumElements(vals_[v].shape));
    const std::string& op = node.info.op_type;
    const Tensor* w = node.inputs.size() > 1 && node.inputs[1] >= 0 ? r_.values_[node.inputs[1]].constant : nullptr;
    if ((op == "Conv" || op == "ConvTranspose") && w && w->rank() >= 3 && node.inputs[0] >= 0) {
      const Shape& x = vals_[node.inputs[0]].shape;
      // MACs per input element: Conv M/g * kh*kw / strides; ConvTranspose (W is [C, M/g, k..]) M/g * kh*kw.
      const double group = static_cast<double>(std::max<int64_t>(1, node.info.Attr<int64_t>("group", 1)));
      double per_in = op == "Conv" ? static_cast<double>(w->dim(0)) / group : static_cast<double>(w->dim(1));
      for (int i = 2; i < w->rank(); ++i) per_in *= static_cast<double>(w->dim(i));
      if (op == "Conv")
        for (int64_t s : node.info.Attr<std::vector<int64_t>>("strides", {})) per_in /= static_cast<double>(s);
      flops = 2 * static_cast<double>(ShapeNumElements(x)) * per_in;
    } else if ((op == "MatMul" || op == "Gemm") && node.inputs[0] >= 0 && node.inputs.size() > 1 && node.inputs[1] >= 0 &&
               vals_[node.inputs[1]].defined && !vals_[node.inputs[1]].shape.empty()) {
      flops = 2 * static_cast<double>(ShapeNumElements(vals_[node.inputs[0]].shape)) *
              static_cast<double>(vals_[node.inputs[1]].shape.back());
    }
    return flops + 32 * elems;
  }

  // Checks the node's outputs and adds reorders into plain region outputs.
  Status FinishNode() {
    for (size_t o = 0; o < node_->outputs.size(); ++o) {
      const int v = OutValue(static_cast<int>(o));
      if (v < 0) continue;
      if (!vals_[v].defined) return Status::Internal(node_->info.Describe() + ": output " + std::to_string(o) + " was not planned");
      const int out_index = r_.values_[v].output_index;
      if (out_index < 0) continue;
      plan_->out_shapes[out_index] = vals_[v].shape;
      if (vals_[v].direct_output) continue;
      // Right after the producer, while the value is still in cache.
      memory dst = AddMem(PlainMd(vals_[v].shape), MemRec::Loc::kOutput, out_index);
      PL_RETURN_IF_ERROR(AddReorder(vals_[v].mem, dst));
    }
    return Status::Ok();
  }

  // ----- plan-time fusion of a following binary op -----
  // The consumer (node index) that may become a binary post-op of node n, or -1; `wait_for` gets
  // the producer of its other operand (-1 for a region input or constant).
  int FusableConsumer(int n, int* wait_for) const {
    *wait_for = -1;
    const Region::Node& p = r_.nodes_[n];
    // Resize fuses an Add on its own nearest channels-last path only (oneDNN 2.6's resampling
    // computes binary post-ops wrong): elsewhere it refuses and the Add is planned apart.
    static const char* kHosts[] = {"Conv", "ConvTranspose", "MatMul", "Gemm", "Add", "Sub", "Mul", "Div", "Relu", "Resize",
                                   "Sigmoid", "Clip", "HardSigmoid", "HardSwish", "AveragePool", "MaxPool",
                                   "GlobalAveragePool"};
    bool host = false;
    for (const char* h : kHosts) host |= p.info.op_type == h;
    if (!host || p.outputs.size() != 1 || p.outputs[0] < 0) return -1;
    const int y = p.outputs[0];
    const Region::Value& yv = r_.values_[y];
    if (yv.output_index >= 0 || yv.num_consumers != 1) return -1;
    for (size_t c = n + 1; c < r_.nodes_.size(); ++c) {
      const Region::Node& q = r_.nodes_[c];
      bool reads = false;
      for (int in : q.inputs) reads |= in == y;
      if (!reads) continue;
      const std::string& op = q.info.op_type;
      if (!(op == "Add" || op == "Mul" || op == "Sub" || op == "Div") || q.inputs.size() < 2 || q.outputs.size() != 1) return -1;
      // Its own post-ops come along when they are element-wise (binary ones have operands to map).
      for (const PostOp& po : q.op->post_ops())
        if (po.kind != PostOp::Kind::kEltwise) return -1;
      const bool first = q.inputs[0] == y;
      const int other = first ? q.inputs[1] : q.inputs[0];
      if (other == y || other < 0 || (!first && (op == "Sub" || op == "Div"))) return -1;
      // The operand must be computed before the consumer (it is: c reads it); n may wait for it.
      *wait_for = r_.values_[other].producer;
      return static_cast<int>(c);
    }
    return -1;
  }

  // The Conv reading node n's only output, when n is a Conv, that output's only reader and its
  // other inputs constants: a candidate for the fused depthwise post-op (the Conv ops decide).
  int DepthwiseConsumer(int n) const {
    const Region::Node& p = r_.nodes_[n];
    if (p.info.op_type != "Conv" || p.outputs.size() != 1 || p.outputs[0] < 0) return -1;
    const Region::Value& y = r_.values_[p.outputs[0]];
    if (y.output_index >= 0 || y.num_consumers != 1) return -1;
    for (size_t c = n + 1; c < r_.nodes_.size(); ++c) {
      const Region::Node& q = r_.nodes_[c];
      bool reads = false;
      for (int in : q.inputs) reads |= in == p.outputs[0];
      if (!reads) continue;
      if (q.info.op_type != "Conv" || q.inputs.empty() || q.inputs[0] != p.outputs[0] || q.outputs.size() != 1 ||
          q.outputs[0] < 0)
        return -1;
      for (size_t i = 1; i < q.inputs.size(); ++i)
        if (q.inputs[i] >= 0 && !r_.values_[q.inputs[i]].constant) return -1;
      return static_cast<int>(c);
    }
    return -1;
  }

  void SetExtra(int consumer) {
    const Region::Node& q = r_.nodes_[consumer];
    const std::string& op = q.info.op_type;
    PostOp b;
    b.kind = PostOp::Kind::kBinary;
    b.alg = op == "Add" ? dnnl::algorithm::binary_add
            : op == "Mul" ? dnnl::algorithm::binary_mul
            : op == "Sub" ? dnnl::algorithm::binary_sub
                          : dnnl::algorithm::binary_div;
    b.input = NumInputs();
    extra_ = {b};
    for (const PostOp& po : q.op->post_ops()) extra_.push_back(po);
    extra_value_ = q.inputs[0] == node_->outputs[0] ? q.inputs[1] : q.inputs[0];
    redirect_ = q.outputs[0];
  }

  void ClearExtra() {
    extra_.clear();
    extra_value_ = redirect_ = dw_node_ = -1;
  }

  struct Snapshot {
    size_t steps, mems, owned;
    std::vector<PlanValue> vals;
  };
  Snapshot Save() const { return {plan_->steps.size(), plan_->mems.size(), plan_->owned.size(), vals_}; }
  void Restore(Snapshot s) {
    for (size_t i = s.mems; i < plan_->mems.size(); ++i) rec_of_.erase(plan_->mems[i].mem.get());
    plan_->steps.resize(s.steps);
    plan_->mems.resize(s.mems);
    plan_->owned.resize(s.owned);
    vals_ = std::move(s.vals);
  }

  // Region value behind input i of the current node (the extra operand past the node's inputs).
  int InValue(int i) const { return i == NumInputs() && extra_value_ >= 0 ? extra_value_ : node_->inputs[i]; }
  // Region value behind output i (a fused consumer's output replaces the node's own).
  int OutValue(int i) const { return i == 0 && redirect_ >= 0 ? redirect_ : node_->outputs[i]; }

  // ----- PlanBuilder -----
  int NumInputs() const override { return static_cast<int>(node_->inputs.size()); }
  bool HasInput(int i) const override {
    return i >= 0 && (i < NumInputs() ? node_->inputs[i] >= 0 : i == NumInputs() && extra_value_ >= 0);
  }
  const Shape& InShape(int i) const override { return vals_[InValue(i)].shape; }
  Md InMd(int i) const override { return vals_[InValue(i)].md; }
  const Tensor* InConst(int i) const override { return HasInput(i) ? r_.values_[InValue(i)].constant : nullptr; }
  bool PreferPlainOutput(int i) const override {
    int v = OutValue(i);
    return v >= 0 && r_.values_[v].output_index >= 0 && r_.values_[v].num_consumers == 0;
  }
  bool OutputRequested(int i) const override { return i < static_cast<int>(node_->outputs.size()) && node_->outputs[i] >= 0; }
  const std::vector<PostOp>& ExtraPostOps() const override { return extra_; }
  const Op* FusedDepthwise() const override { return dw_node_ >= 0 ? r_.nodes_[dw_node_].op.get() : nullptr; }
  DwFusion dw_fusion() const override { return r_.dw_fusion_; }
  int threads() const override { return threads_; }
  const std::string& name() const override { return node_->op->describe(); }

  StatusOr<memory> In(int i, const Md& want) override {
    if (!HasInput(i)) return Status::Internal(name() + ": input " + std::to_string(i) + " is missing");
    const int v = InValue(i);
    PlanValue& pv = vals_[v];
    if (pv.md == want) return pv.mem;
    for (auto& [md, m] : pv.variants)
      if (md == want) return m;
    memory m;
    if (IsPlain(pv.md) && IsPlain(want) && NumElements(pv.md) == NumElements(want)) {
      m = AliasMem(pv.mem, want);  // same bytes, other dims (a reshape)
    } else if (r_.values_[v].constant) {
      PL_ASSIGN_OR_RETURN(m, Constant(pv.md, r_.values_[v].constant->RawData(), want));
    } else {
      m = AddMem(want, MemRec::Loc::kWorkspace, -1);
      PL_RETURN_IF_ERROR(AddReorder(pv.mem, m));
    }
    pv.variants.emplace_back(want, m);
    return m;
  }

  StatusOr<memory> Out(int i, const Shape& shape, const Md& md) override {
    if (md.data.format_kind != dnnl_blocked) return Status::Internal(name() + ": output layout must be concrete");
    if (i >= static_cast<int>(node_->outputs.size()) || node_->outputs[i] < 0) return Temp(md);
    const int v = OutValue(i);
    PlanValue& pv = vals_[v];
    pv.shape = shape;
    pv.md = md;
    pv.defined = true;
    const int out_index = r_.values_[v].output_index;
    if (out_index >= 0 && IsPlain(md)) {
      pv.mem = AddMem(md, MemRec::Loc::kOutput, out_index);
      pv.direct_output = true;
    } else {
      pv.mem = AddMem(md, MemRec::Loc::kWorkspace, -1);
    }
    return pv.mem;
  }

  StatusOr<memory> OutInPlace(int i, const Shape& shape, const Md& md, int in) override {
    const int o = i < static_cast<int>(node_->outputs.size()) ? OutValue(i) : -1;
    if (o < 0 || r_.values_[o].output_index >= 0 || !HasInput(in)) return Out(i, shape, md);
    const int v = InValue(in);
    const Region::Value& rv = r_.values_[v];
    const PlanValue& pv = vals_[v];
    auto reads = step_reads_.find(v);
    // Read once, by this step only: oneDNN's eltwise jit kernels with a binary post-op whose
    // operand is the same buffer as src == dst compute wrong values (x * HardSigmoid(x)).
    if (rv.constant || rv.input_index >= 0 || rv.output_index >= 0 || reads == step_reads_.end() ||
        reads->second != 1 || reads_left_[v] != 1 || !(pv.md == md) || md.get_size() != pv.mem.get_desc().get_size())
      return Out(i, shape, md);
    auto it = rec_of_.find(pv.mem.get());
    if (it == rec_of_.end() || plan_->mems[it->second].loc != MemRec::Loc::kWorkspace) return Out(i, shape, md);
    PlanValue& po = vals_[o];
    po.shape = shape;
    po.md = md;
    po.defined = true;
    po.mem = AliasMem(pv.mem, md);
    return po.mem;
  }

  StatusOr<memory> OutStrided(int i, const Shape& shape, const Md& md) override {
    const int o = i < static_cast<int>(node_->outputs.size()) ? OutValue(i) : -1;
    if (!concat_in_place_ || o < 0 || redirect_ >= 0 || shape.size() != 4 ||
        !(md == Md(ToDims(shape), memory::data_type::f32, memory::format_tag::acdb)))
      return Out(i, shape, md);
    const Region::Value& rv = r_.values_[o];
    if (rv.num_consumers != 1 || rv.output_index >= 0) return Out(i, shape, md);
    int c = -1, slot = -1;
    for (size_t k = node_index_ + 1; k < r_.nodes_.size() && c < 0; ++k)
      for (size_t j = 0; j < r_.nodes_[k].inputs.size(); ++j)
        if (r_.nodes_[k].inputs[j] == o) {
          c = static_cast<int>(k);
          slot = static_cast<int>(j);
        }
    if (c < 0) return Out(i, shape, md);
    auto it = concat_bufs_.find(c);
    if (it == concat_bufs_.end()) {
      ConcatBuf buf;
      if (!ConcatLayout(c, o, shape, &buf)) return Out(i, shape, md);
      buf.root = AddMem(buf.md, MemRec::Loc::kWorkspace, -1);
      it = concat_bufs_.emplace(c, std::move(buf)).first;
    }
    ConcatBuf& buf = it->second;
    if (buf.in_place[slot] || buf.channels[slot] != shape[1]) return Out(i, shape, md);
    buf.in_place[slot] = 1;
    PlanValue& po = vals_[o];
    po.shape = shape;
    po.md = buf.md.submemory_desc(ToDims(shape), {0, buf.offsets[slot], 0, 0});
    po.defined = true;
    po.mem = AliasMem(buf.root, po.md);
    return po.mem;
  }

  memory Temp(const Md& md) override { return AddMem(md, MemRec::Loc::kWorkspace, -1); }
  memory View(const memory& m, const Md& md) override { return AliasMem(m, md); }

  memory Fixed(const Md& md, const void* data) override {
    return memory(md, Engine(), const_cast<void*>(data));
  }

  // Constants are reordered once here, not at every run.
  StatusOr<memory> Constant(const Md& from, const void* data, const Md& want) override {
    auto buf = AlignedBytes(want.get_size());
    plan_->owned.push_back(buf);
    memory m = Fixed(want, buf.get());
    PL_RETURN_IF_ERROR(Guard(name() + ": reorder of a constant", [&] {
      dnnl::stream s(Engine());
      memory src(from, Engine(), const_cast<void*>(data));
      dnnl::reorder(src, m).execute(s, src, m);
      s.wait();
    }));
    return m;
  }

  void Step(dnnl::primitive prim, std::unordered_map<int, memory> args, const Md& scratchpad) override {
    const int s = static_cast<int>(plan_->steps.size());
    CheckImpl(prim, args);
    if (scratchpad.get_size() > 0) args[DNNL_ARG_SCRATCHPAD] = AddMem(scratchpad, MemRec::Loc::kScratch, -1);
    for (auto& kv : args) Use(kv.second, s);
    const auto [kind, flops] = KindAndFlops(prim);
    plan_->steps.push_back({std::move(prim), nullptr, std::move(args), node_index_, kind, flops});
  }

  void CustomStep(std::function<void()> fn, std::vector<memory> mems, double flops) override {
    const int s = static_cast<int>(plan_->steps.size());
    for (auto& m : mems) Use(m, s);
    plan_->steps.push_back({dnnl::primitive(), std::move(fn), {}, node_index_, "custom", flops});
  }

 private:
  // Records a reference / generic implementation chosen for this step (plan time only).
  void CheckImpl(const dnnl::primitive& prim, const std::unordered_map<int, memory>& args) const {
    const char* impl = "";
    const_dnnl_primitive_desc_t pd = nullptr;
    if (!prim || dnnl_primitive_get_primitive_desc(prim.get(), &pd) != dnnl_success ||
        dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || impl == nullptr)
      return;
    size_t bytes = 0;
    std::string mds;
    for (const auto& kv : args)
      if (kv.first != DNNL_ARG_SCRATCHPAD && kv.second) {
        bytes = std::max(bytes, kv.second.get_desc().get_size());
        mds += " " + MdToString(kv.second.get_desc());
      }
    dnnl_primitive_kind_t kind = dnnl_undefined_primitive;
    dnnl_primitive_desc_query(pd, dnnl_query_primitive_kind, 0, &kind);
    if (IsGenericImpl(impl, kind == dnnl_reorder ? bytes : 0)) NoteRefImpl(name() + ": " + impl + mds);
  }

  // ----- Concat in place: producers write into slices of the Concat's output -----
  struct ConcatBuf {
    Shape shape;                    // the Concat's output
    Md md;                          // channels-last
    memory root;
    std::vector<int64_t> channels, offsets;
    std::vector<char> in_place;     // per Concat input: its producer wrote the slice
  };

  // Layout of Concat node c's output when it is a channel concat of 4-D maps whose channel counts
  // are known now (planned inputs) or statically (the others), `o` (shape `shape`) among them.
  bool ConcatLayout(int c, int o, const Shape& shape, ConcatBuf* buf) const {
    const Region::Node& cn = r_.nodes_[c];
    if (cn.info.op_type != "Concat" || !cn.info.domain.empty() || cn.outputs.size() != 1 || cn.outputs[0] < 0) return false;
    int64_t axis = cn.info.Attr<int64_t>("axis", 1);
    if (axis < 0) axis += 4;
    if (axis != 1) return false;
    int64_t total = 0;
    if (std::count(cn.inputs.begin(), cn.inputs.end(), o) != 1) return false;
    for (int v : cn.inputs) {
      if (v < 0) return false;
      int64_t ch = -1;
      if (vals_[v].defined || v == o) {
        const Shape& sv = v == o ? shape : vals_[v].shape;
        if (sv.size() != 4 || sv[0] != shape[0] || sv[2] != shape[2] || sv[3] != shape[3]) return false;
        ch = sv[1];
      } else {
        const std::vector<int64_t>& ss = r_.values_[v].static_shape;
        if (ss.size() != 4 || ss[1] < 0) return false;
        for (int d : {0, 2, 3})
          if (ss[d] >= 0 && ss[d] != shape[d]) return false;
        ch = ss[1];
      }
      buf->offsets.push_back(total);
      buf->channels.push_back(ch);
      total += ch;
    }
    buf->in_place.assign(cn.inputs.size(), 0);
    buf->shape = {shape[0], total, shape[2], shape[3]};
    buf->md = Md(ToDims(buf->shape), memory::data_type::f32, memory::format_tag::acdb);
    return true;
  }

  // The Concat itself: the inputs not written in place are copied into their slices.
  Status PlanConcatInPlace(int c) {
    ConcatBuf& buf = concat_bufs_.at(c);
    const Region::Node& cn = r_.nodes_[c];
    for (size_t j = 0; j < cn.inputs.size(); ++j) {
      const PlanValue& pv = vals_[cn.inputs[j]];
      const Shape want = {buf.shape[0], buf.channels[j], buf.shape[2], buf.shape[3]};
      if (pv.shape != want)
        return Status::InvalidArgument(name() + ": input " + std::to_string(j) + " has shape " + ShapeToString(pv.shape) +
                                       ", the model's shape inference said " + ShapeToString(want));
      if (buf.in_place[j]) continue;
      PL_ASSIGN_OR_RETURN(memory src, In(static_cast<int>(j), pv.md));
      memory dst = AliasMem(buf.root, buf.md.submemory_desc(ToDims(want), {0, buf.offsets[j], 0, 0}));
      PL_RETURN_IF_ERROR(AddReorder(src, dst));
    }
    PlanValue& po = vals_[cn.outputs[0]];
    po.shape = buf.shape;
    po.md = buf.md;
    po.defined = true;
    po.mem = buf.root;
    return Status::Ok();
  }

  memory AddMem(const Md& md, MemRec::Loc loc, int index) {
    MemRec r;
    r.loc = loc;
    r.index = index;
    r.bytes = md.get_size();
    r.mem = memory(md, Engine(), DNNL_MEMORY_NONE);
    rec_of_[r.mem.get()] = static_cast<int>(plan_->mems.size());
    plan_->mems.push_back(r);
    return plan_->mems.back().mem;
  }

  memory AliasMem(const memory& of, const Md& md) {
    auto it = rec_of_.find(of.get());
    if (it == rec_of_.end()) return memory(md, Engine(), of.get_data_handle());  // a fixed memory
    MemRec r = plan_->mems[it->second];
    r.alias = plan_->mems[it->second].alias >= 0 ? plan_->mems[it->second].alias : it->second;
    r.first = INT_MAX;
    r.last = -1;
    r.mem = memory(md, Engine(), DNNL_MEMORY_NONE);
    rec_of_[r.mem.get()] = static_cast<int>(plan_->mems.size());
    plan_->mems.push_back(r);
    return plan_->mems.back().mem;
  }

  void Use(const memory& m, int step) {
    auto it = rec_of_.find(m.get());
    if (it == rec_of_.end()) return;  // fixed
    MemRec& r = plan_->mems[it->second];
    r.first = std::min(r.first, step);
    r.last = std::max(r.last, step);
  }

  Status AddReorder(const memory& src, const memory& dst) {
    return Guard(name() + ": reorder " + MdToString(src.get_desc()) + " -> " + MdToString(dst.get_desc()), [&] {
      dnnl::reorder::primitive_desc pd(Engine(), src.get_desc(), Engine(), dst.get_desc(), ScratchpadAttr());
      Step(dnnl::reorder(pd), {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}}, pd.scratchpad_desc());
    });
  }

  // Packs workspace memories by lifetime, then the scratchpad. Several greedy orders (largest
  // first, first use first, longest-lived first; first fit or best fit) are tried and the
  // smallest layout kept: they are cheap and no single order wins on every graph.
  Status AssignWorkspace() {
    auto& mems = plan_->mems;
    for (auto& m : mems)  // aliases keep their target alive
      if (m.alias >= 0 && m.first <= m.last) {
        mems[m.alias].first = std::min(mems[m.alias].first, m.first);
        mems[m.alias].last = std::max(mems[m.alias].last, m.last);
      }
    std::vector<int> base;
    size_t scratch = 0;
    for (size_t i = 0; i < mems.size(); ++i) {
      if (mems[i].loc == MemRec::Loc::kScratch) scratch = std::max(scratch, mems[i].bytes);
      if (mems[i].loc == MemRec::Loc::kWorkspace && mems[i].alias < 0) {
        if (mems[i].first > mems[i].last) mems[i].first = mems[i].last = 0;
        base.push_back(static_cast<int>(i));
      }
    }
    auto by_size = [&](int a, int b) { return mems[a].bytes > mems[b].bytes; };
    auto by_first = [&](int a, int b) {
      return mems[a].first != mems[b].first ? mems[a].first < mems[b].first : mems[a].bytes > mems[b].bytes;
    };
    auto by_area = [&](int a, int b) {
      return static_cast<double>(mems[a].bytes) * (mems[a].last - mems[a].first + 1) >
             static_cast<double>(mems[b].bytes) * (mems[b].last - mems[b].first + 1);
    };
    std::vector<size_t> best_offsets;
    size_t best_top = SIZE_MAX;
    for (int order_kind = 0; order_kind < 3; ++order_kind) {
      std::vector<int> order = base;
      if (order_kind == 0) std::stable_sort(order.begin(), order.end(), by_size);
      if (order_kind == 1) std::stable_sort(order.begin(), order.end(), by_first);
      if (order_kind == 2) std::stable_sort(order.begin(), order.end(), by_area);
      for (int best_fit = 0; best_fit < 2; ++best_fit) {
        std::vector<size_t> offsets(mems.size(), 0);
        const size_t top = Pack(order, best_fit != 0, &offsets);
        if (top < best_top) {
          best_top = top;
          best_offsets = std::move(offsets);
        }
      }
    }
    const size_t top = base.empty() ? 0 : best_top;
    for (int i : base) mems[i].offset = best_offsets[i];
    for (auto& m : mems) {
      if (m.alias >= 0 && m.loc == MemRec::Loc::kWorkspace) m.offset = mems[m.alias].offset;
      if (m.loc == MemRec::Loc::kScratch) m.offset = top;
    }
    plan_->ws_bytes = top + AlignUp(scratch);
    if (Verbose()) std::fprintf(stderr, "[pl.onednn] workspace: intermediates %zu + scratchpad %zu bytes\n", top, scratch);
    return Status::Ok();
  }

  // Places `order` one by one at the lowest offset (first fit) or in the tightest gap (best fit)
  // that no memory live at the same time covers; returns the bytes needed.
  size_t Pack(const std::vector<int>& order, bool best_fit, std::vector<size_t>* offsets) const {
    const auto& mems = plan_->mems;
    std::vector<int> placed;
    size_t top = 0;
    for (int i : order) {
      const MemRec& m = mems[i];
      const size_t need = AlignUp(m.bytes);
      std::vector<std::pair<size_t, size_t>> busy;
      for (int j : placed)
        if (!(mems[j].last < m.first || m.last < mems[j].first)) busy.push_back({(*offsets)[j], (*offsets)[j] + AlignUp(mems[j].bytes)});
      std::sort(busy.begin(), busy.end());
      size_t off = 0, chosen = SIZE_MAX, chosen_gap = SIZE_MAX;
      for (auto& [b, e] : busy) {
        if (off + need <= b) {
          if (!best_fit) { chosen = off; break; }
          if (b - off < chosen_gap) { chosen = off; chosen_gap = b - off; }
        }
        off = std::max(off, e);
      }
      if (chosen == SIZE_MAX) chosen = off;  // past every busy block
      (*offsets)[i] = chosen;
      top = std::max(top, chosen + need);
      placed.push_back(i);
    }
    return top;
  }

  const Region& r_;
  const std::vector<const Tensor*>& inputs_;
  const int threads_;
  Plan* plan_;
  std::vector<PlanValue> vals_;
  std::unordered_map<dnnl_memory_t, int> rec_of_;
  const Region::Node* node_ = nullptr;
  int node_index_ = -1;
  std::vector<PostOp> extra_;  // see SetExtra
  int extra_value_ = -1, redirect_ = -1;
  int dw_node_ = -1;  // see FusedDepthwise
  std::vector<int> reads_left_;           // per value: reads by steps not planned yet
  std::unordered_map<int, int> step_reads_;  // per value: reads by the step being planned
  std::unordered_map<int, ConcatBuf> concat_bufs_;  // per Concat node planned in place
  bool concat_in_place_ = true;
};

Status BuildPlan(const Region& region, const std::vector<const Tensor*>& inputs, int threads, Plan* plan) {
  Planner planner(region, inputs, threads, plan);
  Status s = planner.Build();
  if (!s.ok() && planner.concat_in_place_used()) {
    *plan = Plan();
    Planner again(region, inputs, threads, plan);
    again.DisableConcatInPlace();
    s = again.Build();
  }
  return s;
}

}  // namespace pl::onednn
