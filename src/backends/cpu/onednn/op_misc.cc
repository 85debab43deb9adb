// oneDNN MaxPool AveragePool GlobalAveragePool GlobalMaxPool (opset 1+; 1-3 spatial dims; no
// Indices output), Softmax LogSoftmax (opset 1+, both axis semantics), Concat (opset 4+),
// Reduce{Mean,Sum,Max,Min,Prod,L1,L2,SumSquare} (opset 1+, axes as attribute or constant input),
// BatchNormalization (inference, constant statistics) and LayerNormalization (opset 17), float32.
#include <cmath>
#include <cstring>
#include <numeric>

#include "src/backends/cpu/onednn/op.h"
#include "src/core/alloc.h"

namespace pl::onednn {
namespace {

using dnnl::algorithm;
using dnnl::prop_kind;

template <typename T>
std::unique_ptr<Op> Box(std::unique_ptr<T> p) { return std::unique_ptr<Op>(std::move(p)); }

// ----- pooling -----
class PoolOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    PL_RETURN_IF_ERROR(InitCommon(node, 1));
    const std::string& op = node.op_type;
    global_ = op == "GlobalAveragePool" || op == "GlobalMaxPool";
    max_ = op == "MaxPool" || op == "GlobalMaxPool";
    if (node.num_outputs() > 1 && node.output_present[1])
      return Status::Unimplemented(describe_ + ": the Indices output is not supported by oneDNN");
    if (global_) return Status::Ok();
    kernel_ = node.Attr<std::vector<int64_t>>("kernel_shape", {});
    sp_ = static_cast<int>(kernel_.size());
    if (sp_ < 1 || sp_ > 3) return Status::Unimplemented(describe_ + ": 1-3 spatial dims only");
    strides_ = node.Attr<std::vector<int64_t>>("strides", std::vector<int64_t>(sp_, 1));
    dilations_ = node.Attr<std::vector<int64_t>>("dilations", std::vector<int64_t>(sp_, 1));
    pads_ = node.Attr<std::vector<int64_t>>("pads", std::vector<int64_t>(2 * sp_, 0));
    auto_pad_ = node.Attr<std::string>("auto_pad", "NOTSET");
    ceil_ = node.Attr<int64_t>("ceil_mode", 0) != 0;
    include_pad_ = node.Attr<int64_t>("count_include_pad", 0) != 0;
    if (node.Attr<int64_t>("storage_order", 0) != 0) return Status::Unimplemented(describe_ + ": storage_order");
    if (static_cast<int>(strides_.size()) != sp_ || static_cast<int>(dilations_.size()) != sp_ ||
        static_cast<int>(pads_.size()) != 2 * sp_)
      return Status::ModelError(describe_ + ": strides/dilations/pads do not match kernel_shape");
    for (int i = 0; i < sp_; ++i)
      if (kernel_[i] < 1 || strides_[i] < 1 || dilations_[i] < 1 || pads_[i] < 0 || pads_[sp_ + i] < 0)
        return Status::ModelError(describe_ + ": bad kernel_shape/strides/dilations/pads");
    if (!max_ && ceil_ && include_pad_)
      return Status::Unimplemented(describe_ + ": ceil_mode with count_include_pad");
    if (auto_pad_ != "NOTSET" && auto_pad_ != "SAME_UPPER" && auto_pad_ != "SAME_LOWER" && auto_pad_ != "VALID")
      return Status::ModelError(describe_ + ": unknown auto_pad '" + auto_pad_ + "'");
    if (!max_ && auto_pad_ != "NOTSET" && auto_pad_ != "VALID" && include_pad_)
      return Status::Unimplemented(describe_ + ": SAME auto_pad with count_include_pad");
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    const Shape& x = b.InShape(0);
    const int sp = global_ ? static_cast<int>(x.size()) - 2 : sp_;
    if (static_cast<int>(x.size()) != sp + 2 || sp < 1 || sp > 3)
      return Status::InvalidArgument(describe_ + ": input rank " + std::to_string(x.size()) + " is not supported");
    Dims dst = {x[0], x[1]}, st, ker, dil, pl, pr;
    for (int i = 0; i < sp; ++i) {
      const int64_t in = x[2 + i];
      if (global_) {
        dst.push_back(1);
        st.push_back(1);
        ker.push_back(in);
        dil.push_back(0);
        pl.push_back(0);
        pr.push_back(0);
        continue;
      }
      const int64_t k = (kernel_[i] - 1) * dilations_[i] + 1, s = strides_[i];
      int64_t pb = pads_[i], pe = pads_[sp + i], out;
      if (auto_pad_ == "VALID") {
        pb = pe = 0;
        out = (in - k) / s + 1;
      } else if (auto_pad_ != "NOTSET") {
        out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + k - in);
        pb = auto_pad_ == "SAME_UPPER" ? total / 2 : total - total / 2;
        pe = total - pb;
      } else {
        const int64_t span = in + pb + pe - k;
        out = (ceil_ ? (span + s - 1) / s : span / s) + 1;
        if (ceil_ && (out - 1) * s >= in + pb) --out;  // windows starting in the right padding are dropped
      }
      if (out <= 0) return Status::InvalidArgument(describe_ + ": the kernel is larger than the padded input");
      pe = (out - 1) * s + k - in - pb;  // what oneDNN needs for exactly `out` windows
      dst.push_back(out);
      st.push_back(s);
      ker.push_back(kernel_[i]);
      dil.push_back(dilations_[i] - 1);
      pl.push_back(pb);
      pr.push_back(pe);
    }
    const algorithm alg = max_ ? algorithm::pooling_max
                               : (include_pad_ ? algorithm::pooling_avg_include_padding : algorithm::pooling_avg_exclude_padding);
    const Md src_md = b.InMd(0);
    const Md dst_any(dst, memory::data_type::f32, memory::format_tag::any);
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    Shape dst_shape(dst.begin(), dst.end());
    // The output layout follows the input's; learn it first for the post-ops.
    Md dst_md;
    PL_RETURN_IF_ERROR(Guard(describe_, [&] {
      dnnl::pooling_v2_forward::primitive_desc p({prop_kind::forward_inference, alg, src_md, dst_any, st, ker, dil, pl, pr},
                                                 ScratchpadAttr(), Engine());
      dst_md = p.dst_desc();
    }));
    PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::pooling_v2_forward::primitive_desc>(
                                     b, dst_shape, dst_md,
                                     [&](const dnnl::primitive_attr& a) {
                                       return dnnl::pooling_v2_forward::primitive_desc(
                                           {prop_kind::forward_inference, alg, src_md, dst_md, st, ker, dil, pl, pr}, a, Engine());
                                     },
                                     &args, &separate)));
    PL_ASSIGN_OR_RETURN(memory src, b.In(0));
    PL_ASSIGN_OR_RETURN(memory out, b.Out(0, dst_shape, pd.dst_desc()));
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_DST] = out;
    b.Step(dnnl::pooling_v2_forward(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, dst_shape, out));
    return Status::Ok();
  }

 private:
  bool global_ = false, max_ = false, ceil_ = false, include_pad_ = false;
  int sp_ = 0;
  std::string auto_pad_;
  std::vector<int64_t> kernel_, strides_, dilations_, pads_;
};

// ----- softmax -----
class SoftmaxOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    PL_RETURN_IF_ERROR(InitCommon(node, 1));
    log_ = node.op_type == "LogSoftmax";
    axis_ = node.Attr<int64_t>("axis", opset_ >= 13 ? -1 : 1);
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    const Shape& x = b.InShape(0);
    const int64_t rank = static_cast<int64_t>(x.size());
    int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
      return Status::InvalidArgument(describe_ + ": axis " + std::to_string(axis_) + " out of range for rank " + std::to_string(rank));
    if (ShapeNumElements(x) == 0) return Status::Unimplemented(describe_ + ": empty input");
    // Before opset 13 the input is seen as 2-D [prod(d < axis), prod(d >= axis)].
    Md md = PlainMd(x);
    int dnnl_axis = static_cast<int>(axis);
    if (opset_ < 13) {
      int64_t outer = 1, inner = 1;
      for (int64_t i = 0; i < rank; ++i) (i < axis ? outer : inner) *= x[i];
      md = Md({outer, inner}, memory::data_type::f32, memory::format_tag::ab);
      dnnl_axis = 1;
    }
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::softmax_v2_forward::primitive_desc>(
                                     b, x, md,
                                     [&](const dnnl::primitive_attr& a) {
                                       return dnnl::softmax_v2_forward::primitive_desc(
                                           {prop_kind::forward_inference, log_ ? algorithm::softmax_log : algorithm::softmax_accurate,
                                            md, md, dnnl_axis},
                                           a, Engine());
                                     },
                                     &args, &separate)));
    PL_ASSIGN_OR_RETURN(memory src, b.In(0, md));
    PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, x, PlainMd(x)));
    memory dst_view = b.View(dst, md);
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_DST] = dst_view;
    b.Step(dnnl::softmax_v2_forward(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, x, dst));
    return Status::Ok();
  }

 private:
  bool log_ = false;
  int64_t axis_ = -1;
};

// ----- concat -----
class ConcatOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    PL_RETURN_IF_ERROR(InitCommon(node, node.num_inputs()));
    if (!post_ops_.empty()) return Status::Unimplemented(describe_ + ": post-ops");
    auto axis = node.RequiredAttr<int64_t>("axis");
    if (!axis.ok()) return axis.status();
    axis_ = *axis;
    if (node.num_inputs() < 1) return Status::ModelError(describe_ + ": needs at least one input");
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    const Shape& first = b.InShape(0);
    const int64_t rank = static_cast<int64_t>(first.size());
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (rank == 0 || axis < 0 || axis >= rank) return Status::InvalidArgument(describe_ + ": axis out of range");
    Shape out = first;
    out[axis] = 0;
    std::vector<int> parts;
    for (int i = 0; i < b.NumInputs(); ++i) {
      if (!b.HasInput(i)) continue;
      const Shape& s = b.InShape(i);
      if (static_cast<int64_t>(s.size()) != rank) return Status::InvalidArgument(describe_ + ": inputs differ in rank");
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis && s[d] != first[d])
          return Status::InvalidArgument(describe_ + ": input " + std::to_string(i) + " shape " + ShapeToString(s) +
                                         " does not match " + ShapeToString(first) + " off the concat axis");
      out[axis] += s[axis];
      if (ShapeNumElements(s) > 0) parts.push_back(i);
    }
    if (parts.empty() || ShapeNumElements(out) == 0) return Status::Unimplemented(describe_ + ": empty output");
    // Inputs keep their layout when they share one; otherwise all take the first one's (the others
    // reordered), or go plain. oneDNN 2.6 concatenates mixed layouts only with ref:any.
    std::vector<Md> mds;
    for (int i : parts) {
      const Md like = SameLayout(b.InMd(parts[0]), ToDims(b.InShape(i)));
      mds.push_back(like.get_size() > 0 ? like : PlainMd(b.InShape(i)));
    }
    Md dst_md = b.PreferPlainOutput(0) ? PlainMd(out) : Md(ToDims(out), memory::data_type::f32, memory::format_tag::any);
    dnnl::concat::primitive_desc pd;
    PL_RETURN_IF_ERROR(Guard(describe_, [&] { pd = dnnl::concat::primitive_desc(dst_md, static_cast<int>(axis), mds, Engine(), ScratchpadAttr()); }));
    if (IsRefImpl(pd.impl_info_str())) {
      std::vector<Md> plain;
      for (int i : parts) plain.push_back(PlainMd(b.InShape(i)));
      dnnl::concat::primitive_desc alt;
      if (Guard(describe_, [&] { alt = dnnl::concat::primitive_desc(PlainMd(out), static_cast<int>(axis), plain, Engine(), ScratchpadAttr()); }).ok() &&
          !IsRefImpl(alt.impl_info_str())) {
        NoteAvoidedRef(describe_ + ": concat " + pd.impl_info_str() + ", inputs made plain");
        pd = alt;
        mds = plain;
      }
    }
    std::unordered_map<int, memory> args;
    for (size_t k = 0; k < parts.size(); ++k) {
      PL_ASSIGN_OR_RETURN(memory m, b.In(parts[k], mds[k]));
      args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k)] = m;
    }
    PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, out, pd.dst_desc()));
    args[DNNL_ARG_DST] = dst;
    b.Step(dnnl::concat(pd), std::move(args), pd.scratchpad_desc());
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

// ----- reductions -----
class ReduceOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    PL_RETURN_IF_ERROR(InitCommon(node, 2));
    const std::string& op = node.op_type;
    if (op == "ReduceMean") alg_ = algorithm::reduction_mean;
    else if (op == "ReduceSum") alg_ = algorithm::reduction_sum;
    else if (op == "ReduceMax") alg_ = algorithm::reduction_max;
    else if (op == "ReduceMin") alg_ = algorithm::reduction_min;
    else if (op == "ReduceProd") alg_ = algorithm::reduction_mul;
    else if (op == "ReduceL1") { alg_ = algorithm::reduction_norm_lp_sum; p_ = 1.f; }
    else if (op == "ReduceL2") { alg_ = algorithm::reduction_norm_lp_sum; p_ = 2.f; }
    else if (op == "ReduceSumSquare") { alg_ = algorithm::reduction_norm_lp_power_p_sum; p_ = 2.f; }
    else return Status::Unimplemented(describe_ + ": not a reduction");
    keepdims_ = node.Attr<int64_t>("keepdims", 1) != 0;
    noop_empty_ = node.Attr<int64_t>("noop_with_empty_axes", 0) != 0;
    const bool axes_input = (op == "ReduceSum" && opset_ >= 13) || opset_ >= 18;
    if (axes_input) {
      if (node.HasInput(1)) {
        const Tensor* a = node.ConstantInput(1);
        if (!a || a->dtype() != DataType::kInt64) return Status::Unimplemented(describe_ + ": oneDNN needs constant int64 axes");
        axes_.assign(a->Data<int64_t>(), a->Data<int64_t>() + a->NumElements());
      }
    } else {
      axes_ = node.Attr<std::vector<int64_t>>("axes", {});
    }
    if (axes_.empty() && noop_empty_) return Status::Unimplemented(describe_ + ": noop_with_empty_axes");
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    const Shape& x = b.InShape(0);
    const int64_t rank = static_cast<int64_t>(x.size());
    std::vector<bool> reduce(rank, axes_.empty());
    for (int64_t a : axes_) {
      const int64_t n = a < 0 ? a + rank : a;
      if (n < 0 || n >= rank) return Status::InvalidArgument(describe_ + ": axis " + std::to_string(a) + " out of range");
      reduce[n] = true;
    }
    if (rank == 0 || ShapeNumElements(x) == 0) return Status::Unimplemented(describe_ + ": empty or scalar input");
    Shape kept = x, out;
    for (int64_t d = 0; d < rank; ++d) {
      if (reduce[d]) kept[d] = 1;
      if (!reduce[d] || keepdims_) out.push_back(kept[d]);
    }
    // Keeping dims, the output may follow the input's layout; otherwise it is plain (a reshape).
    const Md src_md = b.InMd(0);
    Md dst_md = keepdims_ && !b.PreferPlainOutput(0) ? Md(ToDims(kept), memory::data_type::f32, memory::format_tag::any) : PlainMd(kept);
    PL_RETURN_IF_ERROR(Guard(describe_, [&] {
      dnnl::reduction::primitive_desc p({alg_, src_md, dst_md, p_, 0.f}, ScratchpadAttr(), Engine());
      dst_md = p.dst_desc();
    }));
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::reduction::primitive_desc>(
                                     b, kept, dst_md,
                                     [&](const dnnl::primitive_attr& a) {
                                       return dnnl::reduction::primitive_desc({alg_, src_md, dst_md, p_, 0.f}, a, Engine());
                                     },
                                     &args, &separate)));
    PL_ASSIGN_OR_RETURN(memory src, b.In(0));
    memory dst;
    if (keepdims_) {
      PL_ASSIGN_OR_RETURN(dst, b.Out(0, kept, pd.dst_desc()));
    } else {
      PL_ASSIGN_OR_RETURN(memory o, b.Out(0, out, PlainMd(out)));
      dst = b.View(o, pd.dst_desc());
    }
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_DST] = dst;
    b.Step(dnnl::reduction(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, kept, dst));
    return Status::Ok();
  }

 private:
  algorithm alg_ = algorithm::undef;
  float p_ = 0.f;
  bool keepdims_ = true, noop_empty_ = false;
  std::vector<int64_t> axes_;
};

std::shared_ptr<void> CopyFloats(const float* src, size_t n) {
  std::shared_ptr<void> p = internal::AlignedBufferOrThrow(n * 4 + 64, fault_injection::Site::kWeights);
  if (n) std::memcpy(p.get(), src, n * 4);
  return p;
}

// ----- BatchNormalization (inference) and LayerNormalization -----
class NormOp final : public Op {
 public:
  Status Init(const NodeInfo& node) {
    layer_ = node.op_type == "LayerNormalization";
    PL_RETURN_IF_ERROR(InitCommon(node, layer_ ? 3 : 5));
    epsilon_ = node.Attr<float>("epsilon", 1e-5f);
    for (int o = 1; o < node.num_outputs(); ++o)
      if (node.output_present[o]) return Status::Unimplemented(describe_ + ": statistics outputs");
    if (layer_) {
      axis_ = node.Attr<int64_t>("axis", -1);
      const Tensor* scale = node.ConstantInput(1);
      if (!scale || scale->dtype() != DataType::kFloat32) return Status::Unimplemented(describe_ + ": oneDNN needs a constant scale");
      n_ = scale->NumElements();
      scale_ = CopyFloats(scale->Data<float>(), n_);
      scale_shape_ = scale->shape();
      if (node.HasInput(2)) {
        const Tensor* bias = node.ConstantInput(2);
        if (!bias || bias->dtype() != DataType::kFloat32 || bias->NumElements() != n_)
          return Status::Unimplemented(describe_ + ": oneDNN needs a constant bias matching the scale");
        shift_ = CopyFloats(bias->Data<float>(), n_);
      } else {
        std::vector<float> z(n_, 0.f);
        shift_ = CopyFloats(z.data(), n_);
      }
      return Status::Ok();
    }
    if (node.Attr<int64_t>("training_mode", 0) != 0) return Status::Unimplemented(describe_ + ": training_mode");
    if (opset_ < 7 && node.HasAttr("spatial") && node.Attr<int64_t>("spatial", 1) != 1)
      return Status::Unimplemented(describe_ + ": spatial=0");
    const Tensor* t[4];
    for (int i = 0; i < 4; ++i) {
      t[i] = node.ConstantInput(i + 1);
      if (!t[i] || t[i]->dtype() != DataType::kFloat32) return Status::Unimplemented(describe_ + ": oneDNN needs constant float32 parameters");
      if (i > 0 && t[i]->NumElements() != t[0]->NumElements()) return Status::ModelError(describe_ + ": parameter sizes differ");
    }
    n_ = t[0]->NumElements();
    scale_ = CopyFloats(t[0]->Data<float>(), n_);
    shift_ = CopyFloats(t[1]->Data<float>(), n_);
    mean_ = CopyFloats(t[2]->Data<float>(), n_);
    var_ = CopyFloats(t[3]->Data<float>(), n_);
    return Status::Ok();
  }

  Status Plan(PlanBuilder& b) const override {
    const Shape& x = b.InShape(0);
    const int64_t rank = static_cast<int64_t>(x.size());
    std::unordered_map<int, memory> args;
    std::vector<PostOp> separate;
    const Md vec({n_}, memory::data_type::f32, memory::format_tag::a);
    if (!layer_) {
      if (rank < 2 || x[1] != n_) return Status::InvalidArgument(describe_ + ": input channels do not match the parameters");
      const Md md = rank == 2 || rank > 5 ? PlainMd(x) : b.InMd(0);
      const auto flags = dnnl::normalization_flags::use_global_stats | dnnl::normalization_flags::use_scale |
                         dnnl::normalization_flags::use_shift;
      PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::batch_normalization_forward::primitive_desc>(
                                       b, x, md,
                                       [&](const dnnl::primitive_attr& a) {
                                         return dnnl::batch_normalization_forward::primitive_desc(
                                             {prop_kind::forward_inference, md, epsilon_, flags}, a, Engine());
                                       },
                                       &args, &separate)));
      PL_ASSIGN_OR_RETURN(memory src, b.In(0, md));
      PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, x, pd.dst_desc()));
      args[DNNL_ARG_SRC] = src;
      args[DNNL_ARG_DST] = dst;
      args[DNNL_ARG_MEAN] = b.Fixed(vec, mean_.get());
      args[DNNL_ARG_VARIANCE] = b.Fixed(vec, var_.get());
      args[DNNL_ARG_SCALE] = b.Fixed(vec, scale_.get());
      args[DNNL_ARG_SHIFT] = b.Fixed(vec, shift_.get());
      b.Step(dnnl::batch_normalization_forward(pd), std::move(args), pd.scratchpad_desc());
      if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, x, dst));
      return Status::Ok();
    }
    const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
    if (axis < 0 || axis >= rank) return Status::InvalidArgument(describe_ + ": axis out of range");
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= x[d];
    if (inner != n_) return Status::InvalidArgument(describe_ + ": normalized size " + std::to_string(inner) + " differs from the scale's " + std::to_string(n_));
    const Md md({outer, inner}, memory::data_type::f32, memory::format_tag::ab);
    const auto flags = dnnl::normalization_flags::use_scale | dnnl::normalization_flags::use_shift;
    PL_ASSIGN_OR_RETURN(auto pd, (MakeWithPostOps<dnnl::layer_normalization_forward::primitive_desc>(
                                     b, x, md,
                                     [&](const dnnl::primitive_attr& a) {
                                       return dnnl::layer_normalization_forward::primitive_desc(
                                           {prop_kind::forward_inference, md, epsilon_, flags}, a, Engine());
                                     },
                                     &args, &separate)));
    PL_ASSIGN_OR_RETURN(memory src, b.In(0, md));
    PL_ASSIGN_OR_RETURN(memory dst, b.Out(0, x, PlainMd(x)));
    memory dst2 = b.View(dst, md);
    args[DNNL_ARG_SRC] = src;
    args[DNNL_ARG_DST] = dst2;
    args[DNNL_ARG_SCALE] = b.Fixed(vec, scale_.get());
    args[DNNL_ARG_SHIFT] = b.Fixed(vec, shift_.get());
    b.Step(dnnl::layer_normalization_forward(pd), std::move(args), pd.scratchpad_desc());
    if (!separate.empty()) PL_RETURN_IF_ERROR(PostOpsSeparately(b, separate, x, dst));
    return Status::Ok();
  }

  size_t SharedBytes() const override { return n_ * 4 * (layer_ ? 2 : 4); }

 private:
  bool layer_ = false;
  float epsilon_ = 1e-5f;
  int64_t axis_ = -1, n_ = 0;
  Shape scale_shape_;
  std::shared_ptr<void> scale_, shift_, mean_, var_;
};

}  // namespace

#define PL_ONEDNN_FACTORY(Name, Type)                                  \
  StatusOr<std::unique_ptr<Op>> Name(const NodeInfo& node) {           \
    auto op = std::make_unique<Type>();                                \
    PL_RETURN_IF_ERROR(op->Init(node));                                \
    return Box(std::move(op));                                         \
  }
PL_ONEDNN_FACTORY(CreatePoolOp, PoolOp)
PL_ONEDNN_FACTORY(CreateSoftmaxOp, SoftmaxOp)
PL_ONEDNN_FACTORY(CreateConcatOp, ConcatOp)
PL_ONEDNN_FACTORY(CreateReduceOp, ReduceOp)
PL_ONEDNN_FACTORY(CreateNormOp, NormOp)
#undef PL_ONEDNN_FACTORY

}  // namespace pl::onednn
