// CUDA movement family (host side): Reshape, Flatten, Squeeze, Unsqueeze, Identity (device copies
// under a new shape), Concat, Split, Slice, Transpose, Gather, Expand, Tile, Pad, DepthToSpace,
// SpaceToDepth (any fixed-size dtype, moved by element size) and Resize (float32: nearest in any
// rank, linear over the last two dims). Shape inputs (Reshape shape, Slice starts/ends/axes/steps,
// Squeeze/Unsqueeze axes, Split split, Expand shape, Tile repeats, Pad pads/value/axes, Resize
// roi/scales/sizes, Gather indices) are HostInputs, validated as cpu_ref does
// (src/backends/cpu/ref/{reshape,concat,split,slice,transpose,gather,expand_tile,pad,resize,
// depth_space}.cc) with the same error messages. Unsupported cases are Unimplemented, so cpu_ref
// runs them.
#include <algorithm>
#include <cmath>
#include <limits>

#include "src/backends/cpu/ref/data_movement.h"
#include "src/backends/cuda/kernel_list.h"
#include "src/backends/cuda/light_util.h"

namespace pl::cuda {
namespace {

using cpu_ref::CheckCopyable;
using cpu_ref::ContiguousStrides;
using cpu_ref::NormalizeAxis;
using cpu_ref::ReadInts;
using cpu_ref::ReadIntsInput;

Status Missing(const NodeInfo& node, const char* what) {
  return Status::InvalidArgument(node.Describe() + ": missing input '" + what + "'");
}

// Output 0 = x's bytes under `shape` (element count checked by the caller).
Status CopyAs(KernelContext& ctx, const Tensor& x, const Shape& shape) {
  PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
  PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, shape, x.dtype()));
  return CopyDevice(y->RawMutableData(), x.RawData(), x.ByteSize(), s);
}

// Contiguous output `y` of `dims` from x's data read with `strides` (elements) from `base`
// (element offset). Declines above kMaxCopyDims merged dims.
Status StridedCopy(KernelContext& ctx, const Tensor& x, int64_t base, const Shape& dims,
                   const std::vector<int64_t>& strides, Tensor* y) {
  const int64_t n = ShapeNumElements(dims);
  if (n <= 0) return Status::Ok();
  PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
  const size_t esz = DataTypeSize(x.dtype());
  CopyParams p;
  if (!MakeCopyParams(dims, strides, &p))
    return Status::Unimplemented(ctx.node().Describe() + ": too many dims for the cuda strided copy");
  const char* src = static_cast<const char*>(x.RawData()) + base * static_cast<int64_t>(esz);
  if (p.rank == 0 || (p.rank == 1 && p.strides[0] == 1))
    return CopyDevice(y->RawMutableData(), src, static_cast<size_t>(n) * esz, s);
  LaunchStridedCopy(src, y->RawMutableData(), esz, n, p, s);
  PL_CUDA_CHECK_LAUNCH(ctx.node().Describe());
  return Status::Ok();
}

StatusOr<const Tensor*> DataInput(const KernelContext& ctx, const char* what) {
  const Tensor* x = ctx.Input(0);
  if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input " + (what ? what : "0"));
  PL_RETURN_IF_ERROR(CheckCopyable(x->dtype(), ctx.node(), "input"));
  return x;
}

// ------------------------------------------------------------------ Reshape family
// Reshape, Flatten, Squeeze and Unsqueeze are cpu_ref's own kernels (the shape computed on the
// host, the bytes moved by the device's copy): cpu_ref::RegisterReshapeFamily below.

class IdentityKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    PL_ASSIGN_OR_RETURN(const Tensor* x, DataInput(ctx, nullptr));
    return CopyAs(ctx, *x, x->shape());
  }
};

// ------------------------------------------------------------------ Concat

class ConcatKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    if (node.opset < 4) {
      axis_ = node.Attr<int64_t>("axis", 1);
    } else {
      PL_ASSIGN_OR_RETURN(axis_, node.RequiredAttr<int64_t>("axis"));
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    std::vector<const Tensor*> ins;
    for (int i = 0; i < ctx.NumInputs(); ++i)
      if (ctx.Input(i)) ins.push_back(ctx.Input(i));
    if (ins.empty()) return Status::InvalidArgument(node.Describe() + ": needs at least one input");
    const Tensor* ref = ins[0];
    for (const Tensor* t : ins)
      if (t->NumElements() > 0) { ref = t; break; }
    const int64_t r = ref->rank();
    if (r == 0) return Status::InvalidArgument(node.Describe() + ": cannot concatenate scalars");
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, r, node));
    PL_RETURN_IF_ERROR(CheckCopyable(ref->dtype(), node, "input"));
    Shape out = ref->shape();
    out[axis] = 0;
    std::vector<const Tensor*> parts;
    for (size_t k = 0; k < ins.size(); ++k) {
      const Tensor* t = ins[k];
      if (t->dtype() != ref->dtype())
        return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(k) + " is " +
                                       DataTypeName(t->dtype()) + ", input 0 is " + DataTypeName(ref->dtype()));
      if (t->NumElements() == 0 && t->rank() != r) continue;
      bool ok = t->rank() == r;
      for (int64_t d = 0; ok && d < r; ++d) ok = d == axis || t->dim(static_cast<int>(d)) == out[d];
      if (!ok)
        return Status::InvalidArgument(node.Describe() + ": input " + std::to_string(k) + " has shape " +
                                       ShapeToString(t->shape()) + ", incompatible with " +
                                       ShapeToString(ref->shape()) + " on axis " + std::to_string(axis));
      out[axis] += t->dim(static_cast<int>(axis));
      parts.push_back(t);
    }
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, ref->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= out[d];
    for (int64_t d = axis + 1; d < r; ++d) inner *= out[d];
    const size_t esz = DataTypeSize(ref->dtype());
    const size_t out_row = static_cast<size_t>(out[axis] * inner) * esz;
    size_t col = 0;
    char* dst = static_cast<char*>(y->RawMutableData());
    for (const Tensor* t : parts) {
      const size_t row = static_cast<size_t>(t->dim(static_cast<int>(axis)) * inner) * esz;
      if (row == 0) continue;
      if (outer == 1) {
        PL_RETURN_IF_ERROR(CopyDevice(dst + col, t->RawData(), row, s));
      } else {
        LaunchCopy2D(dst + col, out_row, t->RawData(), row, row, outer, s);
        PL_CUDA_CHECK_LAUNCH(node.Describe());
      }
      col += row;
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

// ------------------------------------------------------------------ Slice
// cpu_ref's Slice (its bounds rules on the host, the copy through CudaDevice::CopyStrided):
// cpu_ref::RegisterSliceFor below.

// ------------------------------------------------------------------ Transpose

// y = view(x, in_shape) permuted by perm (output dim d is input dim perm[d]).
Status PermuteCopy(KernelContext& ctx, const Tensor& x, const Shape& in_shape, const std::vector<int64_t>& perm,
                   Tensor* y) {
  const std::vector<int64_t> in_strides = ContiguousStrides(in_shape);
  Shape dims(perm.size());
  std::vector<int64_t> strides(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) {
    dims[d] = in_shape[perm[d]];
    strides[d] = in_strides[perm[d]];
  }
  return StridedCopy(ctx, x, 0, dims, strides, y);
}

class TransposeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    has_perm_ = node.HasAttr("perm");
    perm_ = node.Attr<std::vector<int64_t>>("perm", {});
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    PL_ASSIGN_OR_RETURN(const Tensor* x, DataInput(ctx, nullptr));
    const int64_t r = x->rank();
    std::vector<int64_t> perm = perm_;
    if (!has_perm_) {
      perm.resize(r);
      for (int64_t d = 0; d < r; ++d) perm[d] = r - 1 - d;
    }
    if (static_cast<int64_t>(perm.size()) != r)
      return Status::InvalidArgument(node.Describe() + ": perm has " + std::to_string(perm.size()) +
                                     " entries for an input of rank " + std::to_string(r));
    std::vector<bool> seen(r, false);
    for (int64_t& p : perm) {
      PL_ASSIGN_OR_RETURN(p, NormalizeAxis(p, r, node));
      if (seen[p]) return Status::InvalidArgument(node.Describe() + ": perm is not a permutation");
      seen[p] = true;
    }
    Shape out(r);
    for (int64_t d = 0; d < r; ++d) out[d] = x->dim(static_cast<int>(perm[d]));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    return PermuteCopy(ctx, *x, x->shape(), perm, y);
  }

 private:
  bool has_perm_ = false;
  std::vector<int64_t> perm_;
};

// ------------------------------------------------------------------ Gather

class GatherKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 0);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Missing(node, "data");
    PL_RETURN_IF_ERROR(CheckCopyable(x->dtype(), node, "data"));
    const Tensor* ind = ctx.Input(1);
    if (!ind) return Missing(node, "indices");
    const int64_t r = x->rank();
    if (r < 1) return Status::InvalidArgument(node.Describe() + ": data must have rank >= 1");
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, r, node));
    const Shape& ds = x->shape();
    const int64_t dim = ds[axis];
    // Indices are a host input: validated and wrapped here, as cpu_ref does, then uploaded.
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> idx, ReadInts(*ind, node, "indices"));
    for (int64_t& i : idx) {
      if (i < -dim || i >= dim)
        return Status::InvalidArgument(node.Describe() + ": index " + std::to_string(i) + " out of range for dim " +
                                       std::to_string(dim));
      if (i < 0) i += dim;
    }
    Shape out(ds.begin(), ds.begin() + axis);
    out.insert(out.end(), ind->shape().begin(), ind->shape().end());
    out.insert(out.end(), ds.begin() + axis + 1, ds.end());
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= ds[d];
    for (int64_t d = axis + 1; d < r; ++d) inner *= ds[d];
    const int64_t m = static_cast<int64_t>(idx.size());
    const size_t esz = DataTypeSize(x->dtype());
    const char* src = static_cast<const char*>(x->RawData());
    char* dst = static_cast<char*>(y->RawMutableData());
    if (outer == 1 && m == 1)  // one slice (a constant index, typical of shape code): a plain copy
      return CopyDevice(dst, src + static_cast<size_t>(idx[0] * inner) * esz, static_cast<size_t>(inner) * esz, s);
    GatherInline inl;
    const int64_t* dev_idx = nullptr;
    if (m <= kGatherInline) {
      std::copy(idx.begin(), idx.end(), inl.idx);
    } else {
      // Pageable host memory: cudaMemcpyAsync stages it before returning, so idx may go away.
      PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(static_cast<size_t>(m) * sizeof(int64_t)));
      PL_RETURN_IF_ERROR(Upload(ws, idx.data(), static_cast<size_t>(m) * sizeof(int64_t), s));
      dev_idx = static_cast<const int64_t*>(ws);
    }
    LaunchGather(src, dev_idx, inl, dst, esz, outer, dim, m, inner, s);
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }

 private:
  int64_t axis_ = 0;
};

// Split, DepthToSpace/SpaceToDepth, Expand and Tile are cpu_ref's kernels over
// CudaDevice::CopyStrided (registered below).

// ------------------------------------------------------------------ Pad

class PadKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string mode = node.Attr<std::string>("mode", "constant");
    if (mode == "constant") mode_ = 0;
    else if (mode == "reflect") mode_ = 1;
    else if (mode == "edge") mode_ = 2;
    else if (mode == "wrap") mode_ = 3;
    else return Status::ModelError(node.Describe() + ": unknown mode '" + mode + "'");
    if (node.opset < 11) {
      PL_ASSIGN_OR_RETURN(pads_attr_, node.RequiredAttr<std::vector<int64_t>>(node.opset < 2 ? "paddings" : "pads"));
      value_attr_ = node.Attr<float>("value", 0.f);
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Missing(node, "data");
    PL_RETURN_IF_ERROR(CheckCopyable(x->dtype(), node, "data"));
    const DataType dt = x->dtype();
    const size_t esz = DataTypeSize(dt);
    const int64_t r = x->rank();
    std::vector<int64_t> pads = pads_attr_, axes;
    bool has_axes = false;
    alignas(8) char value[8] = {0};
    if (node.opset < 11) {
      cpu_ref::StoreDouble(dt, value_attr_, value);
    } else {
      bool present = false;
      PL_ASSIGN_OR_RETURN(pads, ReadIntsInput(ctx, 1, "pads", &present));
      if (!present) return Missing(node, "pads");
      const Tensor* cv = ctx.Input(2);
      if (cv && cv->NumElements() > 0) {
        if (cv->dtype() == dt) std::memcpy(value, cv->RawData(), esz);
        else cpu_ref::StoreDouble(dt, cpu_ref::LoadDouble(*cv, 0), value);
      }
      PL_ASSIGN_OR_RETURN(axes, ReadIntsInput(ctx, 3, "axes", &has_axes));
    }
    std::vector<int64_t> begin(r, 0), end(r, 0);
    if (has_axes) {
      if (pads.size() != 2 * axes.size())
        return Status::InvalidArgument(node.Describe() + ": pads has " + std::to_string(pads.size()) + " entries for " +
                                       std::to_string(axes.size()) + " axes");
      for (size_t i = 0; i < axes.size(); ++i) {
        PL_ASSIGN_OR_RETURN(int64_t a, NormalizeAxis(axes[i], r, node));
        begin[a] = pads[i];
        end[a] = pads[i + axes.size()];
      }
    } else {
      if (static_cast<int64_t>(pads.size()) != 2 * r)
        return Status::InvalidArgument(node.Describe() + ": pads has " + std::to_string(pads.size()) +
                                       " entries for an input of rank " + std::to_string(r));
      for (int64_t d = 0; d < r; ++d) {
        begin[d] = pads[d];
        end[d] = pads[d + r];
      }
    }
    Shape out(r);
    for (int64_t d = 0; d < r; ++d) {
      const int64_t dim = x->dim(static_cast<int>(d));
      const int64_t n = begin[d] < -dim || end[d] < -dim
                            ? -1
                            : dim + std::min<int64_t>(0, begin[d]) + std::min<int64_t>(0, end[d]);
      const int64_t pb = std::max<int64_t>(0, begin[d]), pe = std::max<int64_t>(0, end[d]);
      if (n < 0) return Status::InvalidArgument(node.Describe() + ": pads crop more than dim " + std::to_string(d) + " holds");
      if (pb > std::numeric_limits<int64_t>::max() - n - pe)
        return Status::InvalidArgument(node.Describe() + ": pads overflow dim " + std::to_string(d));
      out[d] = n + pb + pe;
    }
    const int64_t total = ShapeNumElements(out);
    if (total < 0) return Status::InvalidArgument(node.Describe() + ": output shape " + ShapeToString(out) + " overflows");
    if (r > kMaxDims) return RankTooHigh(node, static_cast<size_t>(r));
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, dt));
    if (total == 0) return Status::Ok();
    PadParams p;
    p.rank = static_cast<int>(r);
    p.mode = mode_;
    const std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
    for (int64_t d = 0; d < r; ++d) {
      const int64_t dim = x->dim(static_cast<int>(d));
      const int64_t lo = std::max<int64_t>(0, -begin[d]), hi = dim - std::max<int64_t>(0, -end[d]);
      const int64_t n = hi - lo;
      if (n == 0 && out[d] > 0 && mode_ != 0)
        return Status::InvalidArgument(node.Describe() + ": cannot pad an empty dim " + std::to_string(d) +
                                       " in this mode");
      p.out_dims[d] = out[d];
      p.in_strides[d] = in_strides[d];
      p.pb[d] = std::max<int64_t>(0, begin[d]);
      p.lo[d] = lo;
      p.n[d] = n;
    }
    if (r == 0) return CopyDevice(y->RawMutableData(), x->RawData(), esz, s);
    LaunchPad(x->RawData(), y->RawMutableData(), esz, total, p, value, s);
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }

 private:
  int mode_ = 0;
  std::vector<int64_t> pads_attr_;
  float value_attr_ = 0.f;
};

// ------------------------------------------------------------------ Resize

enum Coord { kHalfPixel = 0, kPytorchHalfPixel = 1, kAlignCorners = 2, kAsymmetric = 3, kTfHalfPixelForNN = 4,
             kHalfPixelSymmetric = 5 };

class ResizeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string what = node.Describe();
    const int opset = node.opset;
    const std::string mode = node.Attr<std::string>("mode", "nearest");
    if (mode == "nearest") linear_ = false;
    else if (mode == "linear") linear_ = true;
    else if (mode == "cubic") return Status::Unimplemented(what + ": cuda Resize does not do cubic");
    else return Status::InvalidArgument(what + ": unsupported mode '" + mode + "'");
    if (opset < 11) {
      coord_ = kAsymmetric;
      nearest_ = 4;
      scales_input_ = 1;
      return Status::Ok();
    }
    roi_input_ = 1;
    scales_input_ = 2;
    sizes_input_ = 3;
    const std::string ctm = node.Attr<std::string>("coordinate_transformation_mode", "half_pixel");
    if (ctm == "half_pixel") coord_ = kHalfPixel;
    else if (ctm == "half_pixel_symmetric" && opset >= 19) coord_ = kHalfPixelSymmetric;
    else if (ctm == "pytorch_half_pixel") coord_ = kPytorchHalfPixel;
    else if (ctm == "align_corners") coord_ = kAlignCorners;
    else if (ctm == "asymmetric") coord_ = kAsymmetric;
    else if (ctm == "tf_half_pixel_for_nn" && opset < 13) coord_ = kTfHalfPixelForNN;
    else if (ctm == "tf_crop_and_resize") return Status::Unimplemented(what + ": cuda Resize does not do tf_crop_and_resize");
    else return Status::InvalidArgument(what + ": unsupported coordinate_transformation_mode '" + ctm + "'");
    // Linear with tf_half_pixel_for_nn moves even unscaled axes: left to cpu_ref.
    if (linear_ && coord_ == kTfHalfPixelForNN)
      return Status::Unimplemented(what + ": cuda Resize linear with tf_half_pixel_for_nn");
    const std::string nm = node.Attr<std::string>("nearest_mode", "round_prefer_floor");
    if (nm == "round_prefer_floor") nearest_ = 0;
    else if (nm == "round_prefer_ceil") nearest_ = 1;
    else if (nm == "floor") nearest_ = 2;
    else if (nm == "ceil") nearest_ = 3;
    else return Status::InvalidArgument(what + ": unsupported nearest_mode '" + nm + "'");
    exclude_outside_ = node.Attr<int64_t>("exclude_outside", 0) != 0;
    if (opset >= 18) {
      if (node.Attr<int64_t>("antialias", 0) != 0 && linear_)
        return Status::Unimplemented(what + ": cuda Resize does not do antialias");
      axes_ = node.Attr<std::vector<int64_t>>("axes", {});
      const std::string pol = node.Attr<std::string>("keep_aspect_ratio_policy", "stretch");
      if (pol == "stretch") policy_ = 0;
      else if (pol == "not_larger") policy_ = 1;
      else if (pol == "not_smaller") policy_ = 2;
      else return Status::InvalidArgument(what + ": unsupported keep_aspect_ratio_policy '" + pol + "'");
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input X");
    if (x->dtype() != DataType::kFloat32)
      return Status::Unimplemented(node.Describe() + ": cuda Resize takes float32 only");
    const int64_t rank = x->rank();
    if (rank < 1) return Status::InvalidArgument(node.Describe() + ": X must have rank >= 1, got a scalar");
    std::vector<double> scales;
    Shape out_shape;
    PL_RETURN_IF_ERROR(OutputGeometry(ctx, *x, &scales, &out_shape));
    if (rank > kMaxDims) return RankTooHigh(node, static_cast<size_t>(rank));
    ResizeParams p;
    p.coord = coord_;
    p.nearest = nearest_;
    p.linear = linear_ ? 1 : 0;
    p.exclude_outside = exclude_outside_ ? 1 : 0;
    if (linear_) {
      // Only the last two dims may change; a rank-1 input is resized as [1, W].
      for (int64_t d = 0; d + 2 < rank; ++d)
        if (out_shape[d] != x->dim(static_cast<int>(d)) || scales[d] != 1.0)
          return Status::Unimplemented(node.Describe() + ": cuda Resize linear only resizes the last two dims");
      const int64_t pad = rank == 1 ? 1 : 0;
      p.rank = static_cast<int>(rank + pad);
      if (pad) {
        p.in_dims[0] = p.out_dims[0] = 1;
        p.scales[0] = 1.0;
      }
      for (int64_t d = 0; d < rank; ++d) {
        p.in_dims[d + pad] = x->dim(static_cast<int>(d));
        p.out_dims[d + pad] = out_shape[d];
        p.scales[d + pad] = scales[d];
      }
    } else {
      p.rank = static_cast<int>(rank);
      for (int64_t d = 0; d < rank; ++d) {
        p.in_dims[d] = x->dim(static_cast<int>(d));
        p.out_dims[d] = out_shape[d];
        p.scales[d] = scales[d];
      }
    }
    PL_ASSIGN_OR_RETURN(cudaStream_t s, StreamOf(ctx));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out_shape, x->dtype()));
    if (y->NumElements() == 0) return Status::Ok();
    if (x->NumElements() == 0)
      return Status::InvalidArgument(node.Describe() + ": cannot resize an empty input " + ShapeToString(x->shape()) +
                                     " to the non-empty " + ShapeToString(out_shape));
    PL_ASSIGN_OR_RETURN(void* ws, ctx.Workspace(ResizeWorkspaceBytes(p)));
    LaunchResize(x->Data<float>(), y->MutableData<float>(), y->NumElements(), p, ws, s);
    PL_CUDA_CHECK_LAUNCH(node.Describe());
    return Status::Ok();
  }

 private:
  // Scales (the factor each axis' coordinate transform divides by) and output shape, as cpu_ref
  // computes them from scales or sizes, axes and keep_aspect_ratio_policy.
  Status OutputGeometry(KernelContext& ctx, const Tensor& x, std::vector<double>* scales, Shape* out_shape) const {
    const NodeInfo& node = ctx.node();
    const std::string what = node.Describe();
    const int64_t rank = x.rank();
    scales->assign(rank, 1.0);
    out_shape->assign(x.shape().begin(), x.shape().end());
    std::vector<int64_t> axes;
    if (axes_.empty()) {
      for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
    } else {
      std::vector<bool> seen(rank, false);
      for (int64_t a : axes_) {
        PL_ASSIGN_OR_RETURN(int64_t n, NormalizeAxis(a, rank, node));
        if (seen[n]) return Status::InvalidArgument(what + ": axis " + std::to_string(a) + " is listed twice in 'axes'");
        seen[n] = true;
        axes.push_back(n);
      }
    }
    const size_t na = axes.size();
    std::vector<double> in_scales;
    if (const Tensor* sc = ctx.Input(scales_input_); sc && sc->NumElements() > 0) {
      if (sc->dtype() != DataType::kFloat32 && sc->dtype() != DataType::kFloat64)
        return Status::InvalidArgument(what + ": scales must be float, got " + DataTypeName(sc->dtype()));
      for (int64_t i = 0; i < sc->NumElements(); ++i) in_scales.push_back(cpu_ref::ReadAsDouble(*sc, i));
    }
    std::vector<int64_t> sizes;
    if (const Tensor* sz = sizes_input_ >= 0 ? ctx.Input(sizes_input_) : nullptr; sz && sz->NumElements() > 0) {
      PL_ASSIGN_OR_RETURN(sizes, ReadInts(*sz, node, "sizes"));
    }
    if (in_scales.empty() == sizes.empty())
      return Status::InvalidArgument(what + (in_scales.empty() ? ": neither scales nor sizes is given"
                                                               : ": only one of scales and sizes may be given"));
    if (!in_scales.empty()) {
      if (in_scales.size() != na)
        return Status::InvalidArgument(what + ": scales has " + std::to_string(in_scales.size()) + " values, expected " +
                                       std::to_string(na) + " (one per resized axis)");
      for (size_t i = 0; i < na; ++i) {
        const double sc = in_scales[i];
        if (!(sc > 0) || !std::isfinite(sc))
          return Status::InvalidArgument(what + ": scales[" + std::to_string(i) + "] = " + std::to_string(sc) +
                                         ", must be positive");
        const double o = std::floor(static_cast<double>(x.dim(static_cast<int>(axes[i]))) * sc);
        if (o > static_cast<double>(std::numeric_limits<int32_t>::max()) * 64)
          return Status::InvalidArgument(what + ": scale " + std::to_string(sc) + " gives an output dim too large");
        (*scales)[axes[i]] = sc;
        (*out_shape)[axes[i]] = static_cast<int64_t>(o);
      }
    } else {
      if (sizes.size() != na)
        return Status::InvalidArgument(what + ": sizes has " + std::to_string(sizes.size()) + " values, expected " +
                                       std::to_string(na) + " (one per resized axis)");
      for (size_t i = 0; i < na; ++i)
        if (sizes[i] < 0)
          return Status::InvalidArgument(what + ": sizes[" + std::to_string(i) + "] = " + std::to_string(sizes[i]) +
                                         " is negative");
      if (policy_ != 0) {
        double sc = policy_ == 1 ? std::numeric_limits<double>::infinity() : 0.0;
        for (size_t i = 0; i < na; ++i) {
          const int64_t in = x.dim(static_cast<int>(axes[i]));
          if (in == 0) continue;
          const double q = static_cast<double>(sizes[i]) / static_cast<double>(in);
          sc = policy_ == 1 ? std::min(sc, q) : std::max(sc, q);
        }
        if (!std::isfinite(sc) || sc <= 0) sc = 1.0;
        for (size_t i = 0; i < na; ++i) {
          (*scales)[axes[i]] = sc;
          (*out_shape)[axes[i]] =
              cpu_ref::SaturatingInt64(std::round(sc * static_cast<double>(x.dim(static_cast<int>(axes[i])))));
        }
      } else {
        for (size_t i = 0; i < na; ++i) {
          const int64_t in = x.dim(static_cast<int>(axes[i]));
          (*out_shape)[axes[i]] = sizes[i];
          (*scales)[axes[i]] = in > 0 ? static_cast<double>(sizes[i]) / static_cast<double>(in) : 1.0;
        }
      }
    }
    return Status::Ok();
  }

  bool linear_ = false, exclude_outside_ = false;
  int coord_ = kHalfPixel, nearest_ = 0, policy_ = 0;
  std::vector<int64_t> axes_;
  int roi_input_ = -1, scales_input_ = -1, sizes_input_ = -1;
};

}  // namespace

void RegisterMovementKernels(KernelRegistry& r) {
  cpu_ref::RegisterReshapeFamily(r, kBackendCuda);
  cpu_ref::RegisterSliceFor(r, kBackendCuda);
  cpu_ref::RegisterSplitFor(r, kBackendCuda);
  cpu_ref::RegisterExpandTileFor(r, kBackendCuda);
  cpu_ref::RegisterDepthSpaceFor(r, kBackendCuda);
  AddCuda<IdentityKernel>(r, CudaDef("Identity").Opset(1).AnyType().InPlace(0, 0));
  AddCuda<ConcatKernel>(r, CudaDef("Concat").Opset(1).AnyType());
  AddCuda<TransposeKernel>(r, CudaDef("Transpose").Opset(1).AnyType());
  AddCuda<GatherKernel>(r, CudaDef("Gather").Opset(1).AnyType().HostInput(1));
  AddCuda<PadKernel>(r, CudaDef("Pad").Opset(1, 10).AnyType());
  AddCuda<PadKernel>(r, CudaDef("Pad").Opset(11, 17).AnyType().HostInput(1).HostInput(2));
  AddCuda<PadKernel>(r, CudaDef("Pad").Opset(18).AnyType().HostInput(1).HostInput(2).HostInput(3));
  AddCuda<ResizeKernel>(r, CudaDef("Resize").Opset(10, 10).Types<float>().HostInput(1));
  AddCuda<ResizeKernel>(r, CudaDef("Resize").Opset(11).Types<float>().HostInput(1).HostInput(2).HostInput(3));
}

}  // namespace pl::cuda
