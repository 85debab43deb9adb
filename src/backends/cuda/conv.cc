// Conv and ConvTranspose on cuDNN (legacy convolution API), float32, 1D/2D/3D (1D runs as 2D of
// height 1), group (depthwise included), strides, dilations, pads, auto_pad (NOTSET, SAME_UPPER,
// SAME_LOWER, VALID); ConvTranspose also output_padding and output_shape. Geometry, defaults and
// error messages are the reference kernels' (src/backends/cpu/ref/conv_util.h). Bias and the
// post-ops of a fused node (domain pl.cuda) run in the epilogue (epilogue.h).
//
// cuDNN's descriptors take one pad per dim: a Conv with asymmetric pads first copies its input
// into a zero-padded workspace buffer (then pads 0); a ConvTranspose whose pads/output size
// cuDNN cannot express directly computes the unpadded result into the workspace and crops it.
// FP32 math is exact by default (CUDNN_FMA_MATH); option cuda.tf32=on allows tensor cores.
// Descriptors and the algorithm are cached per input/weight shape in the predictor's state.
// Declines (Unimplemented): more than 3 spatial dims, tensors beyond cuDNN's int32 limits.
#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/backends/cpu/ref/conv_util.h"
#include "src/backends/cuda/cuda_common.h"
#include "src/backends/cuda/epilogue.h"
#include "src/backends/cuda/kernel_list.h"

namespace pl::cuda {

// conv_impl.cu: dst[p, o] = src[p, o + offset] inside src, else 0; nd in [1, 3] spatial dims.
cudaError_t LaunchShiftCopy(const float* src, float* dst, int64_t planes, int nd, const int64_t* src_dims,
                            const int64_t* dst_dims, const int64_t* offset, cudaStream_t stream);

namespace {

using cpu_ref::AutoPad;
using cpu_ref::IntsToString;
using cpu_ref::WindowAttrs;

constexpr size_t kMaxCudnnWorkspace = size_t{256} << 20;  // algorithms needing more are skipped
constexpr size_t kAlign = 256;
constexpr int kMaxPlans = 8;  // shapes cached per node and predictor

size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// One call's geometry. Conv: in/out are X's and Y's spatial dims. ConvTranspose: the same (X is
// the small side), pads as ONNX resolves them.
struct Geom {
  int nd = 0;
  int64_t batch = 0, in_c = 0, out_c = 0, group = 1, out_cg = 0;
  std::vector<int64_t> in, kernel, out, strides, dilations, pb, pe;
};

Status CheckCommon(const std::string& me, const Tensor& x, const Tensor& w, const Tensor* b) {
  if (x.rank() < 3)
    return Status::InvalidArgument(me + ": input X has shape " + ShapeToString(x.shape()) +
                                   ", expected rank >= 3 (N, C, spatial...)");
  if (w.rank() != x.rank())
    return Status::InvalidArgument(me + ": weight rank " + std::to_string(w.rank()) + ", expected " +
                                   std::to_string(x.rank()) + " (same as X)");
  if (x.dtype() != DataType::kFloat32 || w.dtype() != DataType::kFloat32 || (b && b->dtype() != DataType::kFloat32))
    return Status::InvalidArgument(me + ": X, W and B must be float32");
  return Status::Ok();
}

Status ConvGeometry(const NodeInfo& node, const WindowAttrs& attrs, int64_t group, const Tensor& x, const Tensor& w,
                    const Tensor* b, Geom* g) {
  const std::string me = node.Describe();
  PL_RETURN_IF_ERROR(CheckCommon(me, x, w, b));
  const size_t nd = static_cast<size_t>(x.rank() - 2);
  g->nd = static_cast<int>(nd);
  g->batch = x.dim(0);
  g->in_c = x.dim(1);
  g->out_c = w.dim(0);
  g->group = group;
  if (g->in_c % group != 0 || w.dim(1) * group != g->in_c)
    return Status::InvalidArgument(me + ": input channels " + std::to_string(g->in_c) + " != group " +
                                   std::to_string(group) + " x weight dim 1 (" + std::to_string(w.dim(1)) + ")");
  if (g->out_c % group != 0)
    return Status::InvalidArgument(me + ": output channels " + std::to_string(g->out_c) +
                                   " not divisible by group " + std::to_string(group));
  g->out_cg = g->out_c / group;
  if (b && (b->rank() != 1 || b->dim(0) != g->out_c))
    return Status::InvalidArgument(me + ": bias shape " + ShapeToString(b->shape()) + ", expected [" +
                                   std::to_string(g->out_c) + "]");
  g->in.assign(x.shape().begin() + 2, x.shape().end());
  g->kernel.assign(w.shape().begin() + 2, w.shape().end());
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != g->kernel)
    return Status::InvalidArgument(me + ": kernel_shape " + IntsToString(attrs.kernel_shape) +
                                   " does not match weight shape " + ShapeToString(w.shape()));
  std::vector<int64_t> pads;
  PL_RETURN_IF_ERROR(attrs.Resolve(node, nd, &g->strides, &g->dilations, &pads));
  g->out.resize(nd);
  g->pb.assign(pads.begin(), pads.begin() + nd);
  g->pe.assign(pads.begin() + nd, pads.end());
  for (size_t d = 0; d < nd; ++d) {
    if (g->kernel[d] <= 0) return Status::InvalidArgument(me + ": empty kernel " + ShapeToString(w.shape()));
    PL_RETURN_IF_ERROR(cpu_ref::WindowOutput(node, attrs.auto_pad, g->in[d], g->kernel[d], g->strides[d],
                                             g->dilations[d], false, &g->pb[d], &g->pe[d], &g->out[d]));
  }
  return Status::Ok();
}

// ONNX ConvTranspose output size and pads (as the reference's DeconvOutput).
Status DeconvOutput(const NodeInfo& node, AutoPad auto_pad, int64_t in, int64_t kernel, int64_t stride,
                    int64_t dilation, int64_t out_pad, int64_t requested, int64_t* pad_begin, int64_t* pad_end,
                    int64_t* out) {
  const int64_t natural = stride * (in - 1) + out_pad + (kernel - 1) * dilation + 1;
  const bool same = auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower;
  if (requested < 0 && same) requested = in * stride;
  if (requested >= 0) {
    const int64_t total = std::max<int64_t>(0, natural - requested);
    *pad_begin = auto_pad == AutoPad::kSameUpper ? total / 2 : total - total / 2;
    *pad_end = total - *pad_begin;
    *out = requested;
  } else {
    if (auto_pad == AutoPad::kValid) *pad_begin = *pad_end = 0;
    *out = natural - *pad_begin - *pad_end;
  }
  if (*out <= 0)
    return Status::InvalidArgument(node.Describe() + ": output size " + std::to_string(*out) +
                                   " for input size " + std::to_string(in) + " (pads too large?)");
  return Status::Ok();
}

Status DeconvGeometry(const NodeInfo& node, const WindowAttrs& attrs, int64_t group,
                      const std::vector<int64_t>& output_padding, const std::vector<int64_t>& output_shape,
                      const Tensor& x, const Tensor& w, const Tensor* b, Geom* g) {
  const std::string me = node.Describe();
  PL_RETURN_IF_ERROR(CheckCommon(me, x, w, b));
  const size_t nd = static_cast<size_t>(x.rank() - 2);
  g->nd = static_cast<int>(nd);
  g->batch = x.dim(0);
  g->in_c = x.dim(1);
  g->group = group;
  if (w.dim(0) != g->in_c || g->in_c % group != 0)
    return Status::InvalidArgument(me + ": weight dim 0 (" + std::to_string(w.dim(0)) + ") must equal input channels " +
                                   std::to_string(g->in_c) + ", divisible by group " + std::to_string(group));
  g->out_cg = w.dim(1);
  g->out_c = g->out_cg * group;
  if (b && (b->rank() != 1 || b->dim(0) != g->out_c))
    return Status::InvalidArgument(me + ": bias shape " + ShapeToString(b->shape()) + ", expected [" +
                                   std::to_string(g->out_c) + "]");
  g->in.assign(x.shape().begin() + 2, x.shape().end());
  g->kernel.assign(w.shape().begin() + 2, w.shape().end());
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != g->kernel)
    return Status::InvalidArgument(me + ": kernel_shape " + IntsToString(attrs.kernel_shape) +
                                   " does not match weight shape " + ShapeToString(w.shape()));
  std::vector<int64_t> pads;
  PL_RETURN_IF_ERROR(attrs.Resolve(node, nd, &g->strides, &g->dilations, &pads));
  if (!output_padding.empty() && output_padding.size() != nd)
    return Status::InvalidArgument(me + ": output_padding " + IntsToString(output_padding) + " has " +
                                   std::to_string(output_padding.size()) + " values, expected " + std::to_string(nd));
  if (!output_shape.empty() && output_shape.size() != nd && output_shape.size() != nd + 2)
    return Status::InvalidArgument(me + ": output_shape " + IntsToString(output_shape) + " has " +
                                   std::to_string(output_shape.size()) + " values, expected " + std::to_string(nd));
  const size_t shape_off = output_shape.size() == nd + 2 ? 2 : 0;
  g->out.resize(nd);
  g->pb.assign(pads.begin(), pads.begin() + nd);
  g->pe.assign(pads.begin() + nd, pads.end());
  for (size_t d = 0; d < nd; ++d) {
    if (g->kernel[d] <= 0) return Status::InvalidArgument(me + ": empty kernel " + ShapeToString(w.shape()));
    const int64_t requested = output_shape.empty() ? -1 : output_shape[d + shape_off];
    PL_RETURN_IF_ERROR(DeconvOutput(node, attrs.auto_pad, g->in[d], g->kernel[d], g->strides[d], g->dilations[d],
                                    output_padding.empty() ? 0 : output_padding[d], requested, &g->pb[d], &g->pe[d],
                                    &g->out[d]));
  }
  return Status::Ok();
}

int64_t Product(const std::vector<int64_t>& v) {
  int64_t p = 1;
  for (int64_t x : v) p *= x;
  return p;
}

// cuDNN's legacy descriptors need 2 or 3 spatial dims: a 1D problem gets a leading dim of `fill`.
std::vector<int> Spatial(const std::vector<int64_t>& v, int fill) {
  std::vector<int> out;
  if (v.size() == 1) out.push_back(fill);
  for (int64_t x : v) out.push_back(static_cast<int>(x));
  return out;
}

struct ConvPlan {
  cudnnTensorDescriptor_t x = nullptr;  // Conv: the (padded) input; ConvTranspose: X (cuDNN's dy)
  cudnnTensorDescriptor_t y = nullptr;  // Conv: Y; ConvTranspose: Y or the uncropped result (dx)
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnConvolutionFwdAlgo_t fwd = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnConvolutionBwdDataAlgo_t bwd = CUDNN_CONVOLUTION_BWD_DATA_ALGO_0;
  size_t cudnn_ws = 0;
  bool fallback = false;  // the algorithm is the fallback one (UseFallbackAlgorithm ran)
  Geom g;
  Shape y_shape;
  // Conv: pad X into the workspace first. ConvTranspose: compute into the workspace, crop into Y.
  bool shift = false;
  std::vector<int64_t> shift_src, shift_dst, shift_off;
  int64_t shift_planes = 0, shift_elems = 0;

  ConvPlan() = default;
  ConvPlan(const ConvPlan&) = delete;
  ConvPlan& operator=(const ConvPlan&) = delete;
  ~ConvPlan() {
    if (conv) (void)cudnnDestroyConvolutionDescriptor(conv);
    if (w) (void)cudnnDestroyFilterDescriptor(w);
    if (y) (void)cudnnDestroyTensorDescriptor(y);
    if (x) (void)cudnnDestroyTensorDescriptor(x);
  }
};

struct ConvState final : KernelState {
  std::map<std::vector<int64_t>, std::unique_ptr<ConvPlan>> plans;
};

Status SetTensor(const std::string& me, cudnnTensorDescriptor_t desc, int64_t n, int64_t c,
                 const std::vector<int64_t>& spatial) {
  std::vector<int64_t> dims = {n, c};
  if (spatial.size() == 1) dims.push_back(1);
  dims.insert(dims.end(), spatial.begin(), spatial.end());
  std::vector<int> idims(dims.size()), istrides(dims.size());
  int64_t stride = 1;
  for (size_t k = dims.size(); k-- > 0;) {
    if (dims[k] <= 0 || dims[k] > INT_MAX || stride > INT_MAX)
      return Status::Unimplemented(me + ": tensor " + ShapeToString(dims) + " exceeds cuDNN's 32-bit limits");
    idims[k] = static_cast<int>(dims[k]);
    istrides[k] = static_cast<int>(stride);
    stride *= dims[k];
  }
  if (stride > INT_MAX)
    return Status::Unimplemented(me + ": tensor " + ShapeToString(dims) + " exceeds cuDNN's 32-bit limits");
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetTensorNdDescriptor(desc, CUDNN_DATA_FLOAT, static_cast<int>(dims.size()),
                                                      idims.data(), istrides.data()));
  return Status::Ok();
}

Status SetFilter(const std::string& me, cudnnFilterDescriptor_t desc, int64_t k, int64_t c,
                 const std::vector<int64_t>& kernel) {
  std::vector<int64_t> dims = {k, c};
  if (kernel.size() == 1) dims.push_back(1);
  dims.insert(dims.end(), kernel.begin(), kernel.end());
  std::vector<int> idims;
  for (int64_t d : dims) {
    if (d <= 0 || d > INT_MAX) return Status::Unimplemented(me + ": weight " + ShapeToString(dims) + " for cuDNN");
    idims.push_back(static_cast<int>(d));
  }
  if (Product(dims) > INT_MAX)
    return Status::Unimplemented(me + ": weight " + ShapeToString(dims) + " exceeds cuDNN's 32-bit limits");
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetFilterNdDescriptor(desc, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                      static_cast<int>(idims.size()), idims.data()));
  return Status::Ok();
}

bool MathAllowed(cudnnMathType_t m, bool tf32) {
  if (m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return false;  // would round FP32 to FP16
  if (!tf32 && m == CUDNN_TENSOR_OP_MATH) return false;           // a tensor-core-only kernel
  return true;
}

Status PickForward(const std::string& me, cudnnHandle_t h, bool tf32, ConvPlan* p) {
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(p->conv, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int count = 0;
  PL_CUDNN_RETURN_IF_ERROR(cudnnGetConvolutionForwardAlgorithm_v7(h, p->x, p->w, p->conv, p->y,
                                                                  CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf));
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || !MathAllowed(perf[i].mathType, tf32)) continue;
    // Exact FP32: FMA kernels only (CUDNN_DEFAULT_MATH may pick TF32 on sm_80+).
    if (cudnnSetConvolutionMathType(p->conv, tf32 ? perf[i].mathType : CUDNN_FMA_MATH) != CUDNN_STATUS_SUCCESS)
      continue;
    size_t ws = 0;
    if (cudnnGetConvolutionForwardWorkspaceSize(h, p->x, p->w, p->conv, p->y, perf[i].algo, &ws) !=
            CUDNN_STATUS_SUCCESS ||
        ws > kMaxCudnnWorkspace)
      continue;
    p->fwd = perf[i].algo;
    p->cudnn_ws = ws;
    return Status::Ok();
  }
  // Implicit GEMM runs every geometry without workspace.
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(p->conv, CUDNN_FMA_MATH));
  size_t ws = 0;
  const cudnnStatus_t s = cudnnGetConvolutionForwardWorkspaceSize(h, p->x, p->w, p->conv, p->y,
                                                                  CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, &ws);
  if (s != CUDNN_STATUS_SUCCESS)
    return Status::Unimplemented(me + ": cuDNN has no forward algorithm for this geometry (" +
                                 cudnnGetErrorString(s) + ")");
  p->fwd = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  p->fallback = true;
  p->cudnn_ws = ws;
  return Status::Ok();
}

Status PickBackwardData(const std::string& me, cudnnHandle_t h, bool tf32, ConvPlan* p) {
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(p->conv, tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH));
  cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
  int count = 0;
  // Backward data: w, dy (= X), conv, dx (= Y or the uncropped result).
  PL_CUDNN_RETURN_IF_ERROR(cudnnGetConvolutionBackwardDataAlgorithm_v7(
      h, p->w, p->x, p->conv, p->y, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, &count, perf));
  for (int i = 0; i < count; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || !MathAllowed(perf[i].mathType, tf32)) continue;
    if (cudnnSetConvolutionMathType(p->conv, tf32 ? perf[i].mathType : CUDNN_FMA_MATH) != CUDNN_STATUS_SUCCESS)
      continue;
    size_t ws = 0;
    if (cudnnGetConvolutionBackwardDataWorkspaceSize(h, p->w, p->x, p->conv, p->y, perf[i].algo, &ws) !=
            CUDNN_STATUS_SUCCESS ||
        ws > kMaxCudnnWorkspace)
      continue;
    p->bwd = perf[i].algo;
    p->cudnn_ws = ws;
    return Status::Ok();
  }
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(p->conv, CUDNN_FMA_MATH));
  size_t ws = 0;
  const cudnnStatus_t s = cudnnGetConvolutionBackwardDataWorkspaceSize(h, p->w, p->x, p->conv, p->y,
                                                                      CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, &ws);
  if (s != CUDNN_STATUS_SUCCESS)
    return Status::Unimplemented(me + ": cuDNN has no backward-data algorithm for this geometry (" +
                                 cudnnGetErrorString(s) + ")");
  p->bwd = CUDNN_CONVOLUTION_BWD_DATA_ALGO_0;
  p->fallback = true;
  p->cudnn_ws = ws;
  return Status::Ok();
}

StatusOr<std::unique_ptr<ConvPlan>> BuildPlan(const std::string& me, cudnnHandle_t h, bool transpose, bool tf32,
                                              const Geom& g) {
  auto p = std::make_unique<ConvPlan>();
  p->g = g;
  const size_t nd = static_cast<size_t>(g.nd);
  p->y_shape = {g.batch, g.out_c};
  p->y_shape.insert(p->y_shape.end(), g.out.begin(), g.out.end());
  std::vector<int64_t> pads(nd, 0);
  std::vector<int64_t> x_sp, y_sp;  // spatial dims of cuDNN's x and y descriptors
  if (!transpose) {
    bool symmetric = true;
    for (size_t d = 0; d < nd; ++d) symmetric = symmetric && g.pb[d] == g.pe[d];
    x_sp = g.in;
    y_sp = g.out;
    if (symmetric) {
      pads = g.pb;
    } else {
      p->shift = true;
      for (size_t d = 0; d < nd; ++d) x_sp[d] = g.in[d] + g.pb[d] + g.pe[d];
      p->shift_src = g.in;
      p->shift_dst = x_sp;
      p->shift_off.resize(nd);
      for (size_t d = 0; d < nd; ++d) p->shift_off[d] = -g.pb[d];
      p->shift_planes = g.batch * g.in_c;
      p->shift_elems = p->shift_planes * Product(x_sp);
    }
  } else {
    // cuDNN computes dx[o] = full[o + pad] for a dx size it accepts (the forward conv of dx gives
    // X's size), full being the unpadded transposed conv (zero beyond its natural extent).
    bool direct = true;
    for (size_t d = 0; d < nd; ++d) {
      const int64_t extent = (g.kernel[d] - 1) * g.dilations[d] + 1;
      const int64_t span = g.out[d] + 2 * g.pb[d] - extent;
      direct = direct && g.pb[d] == g.pe[d] && span >= 0 && span / g.strides[d] + 1 == g.in[d];
    }
    x_sp = g.in;
    if (direct) {
      pads = g.pb;
      y_sp = g.out;
    } else {
      p->shift = true;
      y_sp.resize(nd);
      for (size_t d = 0; d < nd; ++d)
        y_sp[d] = g.strides[d] * (g.in[d] - 1) + (g.kernel[d] - 1) * g.dilations[d] + 1;
      p->shift_src = y_sp;
      p->shift_dst = g.out;
      p->shift_off = g.pb;
      p->shift_planes = g.batch * g.out_c;
      p->shift_elems = p->shift_planes * Product(y_sp);
    }
  }
  PL_CUDNN_RETURN_IF_ERROR(cudnnCreateTensorDescriptor(&p->x));
  PL_CUDNN_RETURN_IF_ERROR(cudnnCreateTensorDescriptor(&p->y));
  PL_CUDNN_RETURN_IF_ERROR(cudnnCreateFilterDescriptor(&p->w));
  PL_CUDNN_RETURN_IF_ERROR(cudnnCreateConvolutionDescriptor(&p->conv));
  PL_RETURN_IF_ERROR(SetTensor(me, p->x, g.batch, g.in_c, x_sp));
  PL_RETURN_IF_ERROR(SetTensor(me, p->y, g.batch, g.out_c, y_sp));
  // Conv weight [out_c, in_c / group, k...]; ConvTranspose weight [in_c, out_c / group, k...] is
  // the filter of the forward conv from Y (dx) to X (dy).
  if (!transpose) PL_RETURN_IF_ERROR(SetFilter(me, p->w, g.out_c, g.in_c / g.group, g.kernel));
  else PL_RETURN_IF_ERROR(SetFilter(me, p->w, g.in_c, g.out_cg, g.kernel));
  for (size_t d = 0; d < nd; ++d)
    if (pads[d] > INT_MAX || g.strides[d] > INT_MAX || g.dilations[d] > INT_MAX)
      return Status::Unimplemented(me + ": pads/strides/dilations beyond cuDNN's 32-bit limits");
  const std::vector<int> ipads = Spatial(pads, 0), istrides = Spatial(g.strides, 1), idil = Spatial(g.dilations, 1);
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionNdDescriptor(p->conv, static_cast<int>(ipads.size()), ipads.data(),
                                                           istrides.data(), idil.data(), CUDNN_CROSS_CORRELATION,
                                                           CUDNN_DATA_FLOAT));
  if (g.group > INT_MAX) return Status::Unimplemented(me + ": group beyond cuDNN's 32-bit limits");
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionGroupCount(p->conv, static_cast<int>(g.group)));
  // Cross-check the geometry with cuDNN's: the forward conv of descriptor `from` must give `want`.
  {
    const int nb = static_cast<int>(ipads.size()) + 2;
    std::vector<int> got(nb);
    cudnnTensorDescriptor_t from = transpose ? p->y : p->x;
    PL_CUDNN_RETURN_IF_ERROR(cudnnGetConvolutionNdForwardOutputDim(p->conv, from, p->w, nb, got.data()));
    std::vector<int64_t> want = {g.batch, transpose ? g.in_c : g.out_c};
    if (nd == 1) want.push_back(1);
    const std::vector<int64_t>& sp = transpose ? x_sp : y_sp;
    want.insert(want.end(), sp.begin(), sp.end());
    for (int k = 0; k < nb; ++k)
      if (got[k] != want[k])
        return Status::Internal(me + ": cuDNN's output geometry " +
                                IntsToString(std::vector<int64_t>(got.begin(), got.end())) + " differs from " +
                                IntsToString(want));
  }
  if (!transpose) PL_RETURN_IF_ERROR(PickForward(me, h, tf32, p.get()));
  else PL_RETURN_IF_ERROR(PickBackwardData(me, h, tf32, p.get()));
  return p;
}

bool NotSupported(cudnnStatus_t s) {
  return static_cast<int>(s) >= static_cast<int>(CUDNN_STATUS_NOT_SUPPORTED) && static_cast<int>(s) < 4000;
}

// Switches a plan to implicit GEMM (forward) / algorithm 0 (backward data) with FMA math, the
// algorithms that take every geometry; Unimplemented if they need more workspace than `ws_have`.
Status UseFallbackAlgorithm(const std::string& me, cudnnHandle_t h, bool transpose, size_t ws_have, ConvPlan* p) {
  p->fallback = true;
  PL_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(p->conv, CUDNN_FMA_MATH));
  size_t ws = 0;
  cudnnStatus_t s;
  if (!transpose) {
    p->fwd = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
    s = cudnnGetConvolutionForwardWorkspaceSize(h, p->x, p->w, p->conv, p->y, p->fwd, &ws);
  } else {
    p->bwd = CUDNN_CONVOLUTION_BWD_DATA_ALGO_0;
    s = cudnnGetConvolutionBackwardDataWorkspaceSize(h, p->w, p->x, p->conv, p->y, p->bwd, &ws);
  }
  if (s != CUDNN_STATUS_SUCCESS || ws > ws_have)
    return Status::Unimplemented(me + ": cuDNN refused the chosen algorithm and the fallback one (" +
                                 cudnnGetErrorString(s) + ", workspace " + std::to_string(ws) + " bytes)");
  p->cudnn_ws = ws;
  return Status::Ok();
}

class CudaConvKernel : public Kernel {
 public:
  explicit CudaConvKernel(bool transpose) : transpose_(transpose) {}

  Status Init(const NodeInfo& node) override {
    const std::string me = node.Describe();
    PL_RETURN_IF_ERROR(ParsePostOps(node, &chain_));
    if (chain_.own_inputs < 2 || chain_.own_inputs > 3)
      return Status::ModelError(me + ": " + std::to_string(chain_.own_inputs) + " inputs, expected 2 or 3 (X, W, B)");
    PL_RETURN_IF_ERROR(attrs_.Read(node));
    group_ = node.Attr<int64_t>("group", 1);
    if (group_ < 1) return Status::ModelError(me + ": group " + std::to_string(group_) + " must be >= 1");
    if (transpose_) {
      output_padding_ = node.Attr<std::vector<int64_t>>("output_padding", {});
      output_shape_ = node.Attr<std::vector<int64_t>>("output_shape", {});
      for (int64_t v : output_padding_)
        if (v < 0)
          return Status::ModelError(me + ": output_padding " + IntsToString(output_padding_) + " must be non-negative");
    }
    for (int i = 1; i < chain_.own_inputs; ++i)
      if (node.HasInput(i) && node.InputType(i) != DataType::kFloat32 && node.InputType(i) != DataType::kUndefined)
        return Status::Unimplemented(me + ": input " + std::to_string(i) + " is " + DataTypeName(node.InputType(i)) +
                                     "; the CUDA kernel takes float32");
    if (const Tensor* w = node.ConstantInput(1)) {
      if (w->rank() >= 3 && w->rank() - 2 > 3)
        return Status::Unimplemented(me + ": " + std::to_string(w->rank() - 2) +
                                     " spatial dims (cuDNN convolutions take 1 to 3)");
    }
    tf32_ = Tf32Enabled(node);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    CudaResources* res = Res(ctx);
    if (!res) return Status::Internal(me + ": no CUDA resources in the kernel context");
    const Tensor* x = ctx.Input(0);
    const Tensor* w = ctx.NumInputs() > 1 ? ctx.Input(1) : nullptr;
    const Tensor* b = chain_.own_inputs > 2 && ctx.NumInputs() > 2 ? ctx.Input(2) : nullptr;
    if (!x || !w) return Status::InvalidArgument(me + ": missing input X or W");
    Geom g;
    if (transpose_)
      PL_RETURN_IF_ERROR(DeconvGeometry(node, attrs_, group_, output_padding_, output_shape_, *x, *w, b, &g));
    else
      PL_RETURN_IF_ERROR(ConvGeometry(node, attrs_, group_, *x, *w, b, &g));
    if (g.nd > 3)
      return Status::Unimplemented(me + ": " + std::to_string(g.nd) + " spatial dims (cuDNN convolutions take 1 to 3)");
    Shape y_shape = {g.batch, g.out_c};
    y_shape.insert(y_shape.end(), g.out.begin(), g.out.end());
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, y_shape, DataType::kFloat32));
    if (y->NumElements() == 0) return Status::Ok();
    float* yp = y->MutableData<float>();
    const float* bias = b ? b->Data<float>() : nullptr;
    const std::vector<EpilogueInput> post = EpilogueInputs(ctx, chain_.ops);
    if (x->NumElements() == 0 || w->NumElements() == 0) {  // no input reaches the output: bias only
      PL_CUDA_RETURN_IF_ERROR(cudaMemsetAsync(yp, 0, y->ByteSize(), res->stream));
      return RunEpilogue(ctx, y, bias, 1, post);
    }

    std::unique_ptr<KernelState>& slot = ctx.state();
    if (!slot) slot = std::make_unique<ConvState>();
    ConvState* state = static_cast<ConvState*>(slot.get());
    std::vector<int64_t> key = x->shape();
    key.push_back(-1);
    key.insert(key.end(), w->shape().begin(), w->shape().end());
    auto it = state->plans.find(key);
    if (it == state->plans.end()) {
      PL_ASSIGN_OR_RETURN(std::unique_ptr<ConvPlan> plan, BuildPlan(me, res->cudnn, transpose_, tf32_, g));
      if (state->plans.size() >= static_cast<size_t>(kMaxPlans)) state->plans.clear();
      it = state->plans.emplace(std::move(key), std::move(plan)).first;
    }
    ConvPlan& p = *it->second;

    const size_t shift_bytes = p.shift ? AlignUp(static_cast<size_t>(p.shift_elems) * sizeof(float)) : 0;
    const size_t total = shift_bytes + p.cudnn_ws;
    char* ws = nullptr;
    if (total > 0) {
      PL_ASSIGN_OR_RETURN(void* raw, ctx.Workspace(total + kAlign));
      const uintptr_t u = reinterpret_cast<uintptr_t>(raw);
      ws = reinterpret_cast<char*>((u + kAlign - 1) / kAlign * kAlign);
    }
    const size_t ws_have = p.cudnn_ws;
    float* shift_buf = p.shift ? reinterpret_cast<float*>(ws) : nullptr;
    void* cudnn_ws = ws_have ? ws + shift_bytes : nullptr;
    const float one = 1.f, zero = 0.f;
    const float* xin = x->Data<float>();
    float* dst = transpose_ && p.shift ? shift_buf : yp;
    if (!transpose_ && p.shift) {
      PL_CUDA_RETURN_IF_ERROR(LaunchShiftCopy(xin, shift_buf, p.shift_planes, g.nd, p.shift_src.data(),
                                              p.shift_dst.data(), p.shift_off.data(), res->stream));
      xin = shift_buf;
    }
    auto run = [&]() {
      return transpose_ ? cudnnConvolutionBackwardData(res->cudnn, &one, p.w, w->Data<float>(), p.x, xin, p.conv, p.bwd,
                                                       cudnn_ws, p.cudnn_ws, &zero, p.y, dst)
                        : cudnnConvolutionForward(res->cudnn, &one, p.x, xin, p.w, w->Data<float>(), p.conv, p.fwd,
                                                  cudnn_ws, p.cudnn_ws, &zero, p.y, dst);
    };
    cudnnStatus_t st = run();
    // An algorithm the heuristics offered but cuDNN then refuses for this geometry (a host-side
    // refusal, nothing ran): fall back once, for good, to the plain implicit GEMM.
    if (NotSupported(st) && !p.fallback) {
      PL_RETURN_IF_ERROR(UseFallbackAlgorithm(me, res->cudnn, transpose_, ws_have, &p));
      st = run();
    }
    if (st != CUDNN_STATUS_SUCCESS) {
      const std::string call = std::string(transpose_ ? "cudnnConvolutionBackwardData" : "cudnnConvolutionForward") +
                               ": " + cudnnGetErrorString(st);
      if (NotSupported(st)) return Status::Unimplemented(me + ": " + call);
      (void)cudaGetLastError();
      return Status::DeviceError(me + ": " + call);
    }
    if (transpose_ && p.shift)
      PL_CUDA_RETURN_IF_ERROR(LaunchShiftCopy(dst, yp, p.shift_planes, g.nd, p.shift_src.data(), p.shift_dst.data(),
                                              p.shift_off.data(), res->stream));
    return RunEpilogue(ctx, y, bias, 1, post);
  }

 private:
  bool transpose_ = false;
  PostOpChain chain_;
  WindowAttrs attrs_;
  int64_t group_ = 1;
  std::vector<int64_t> output_padding_, output_shape_;
  bool tf32_ = false;
};

class CudaConv final : public CudaConvKernel {
 public:
  CudaConv() : CudaConvKernel(false) {}
};
class CudaConvTranspose final : public CudaConvKernel {
 public:
  CudaConvTranspose() : CudaConvKernel(true) {}
};

}  // namespace

bool ConvCanRun(const NodeInfo& node) {
  if (node.op_type != "Conv" && node.op_type != "ConvTranspose") return false;
  if (node.InputType(0) != DataType::kFloat32) return false;
  for (int i = 1; i < node.num_inputs(); ++i)
    if (node.HasInput(i) && node.InputType(i) != DataType::kFloat32) return false;
  if (!node.HasInput(1)) return false;
  // The spatial rank must be known to be 1..3 before the run (a constant weight tells it).
  const Tensor* w = node.ConstantInput(1);
  if (!w || w->rank() < 3 || w->rank() > 5) return false;
  CudaConvKernel k(node.op_type == "ConvTranspose");
  return k.Init(node).ok();
}

void RegisterConvKernels(KernelRegistry& r) {
  for (const char* domain : {"", kFusedDomain}) {
    r.RegisterBuiltin(KernelDef("Conv").Domain(domain).Opset(1).Backend(kBackendCuda).Types<float>(),
                      MakeKernelFactory<CudaConv>());
    r.RegisterBuiltin(KernelDef("ConvTranspose").Domain(domain).Opset(1).Backend(kBackendCuda).Types<float>(),
                      MakeKernelFactory<CudaConvTranspose>());
  }
}

}  // namespace pl::cuda
