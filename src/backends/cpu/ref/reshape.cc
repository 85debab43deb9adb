// Reshape (1 attribute; 5, 13 input; 14 allowzero), Flatten (1, 9, 11, 13), Squeeze and Unsqueeze
// (1, 11 axes attribute; 13 axes input); any dtype, strings included. All are a copy under a new shape.
#include <algorithm>
#include <limits>

#include "pl/device.h"
#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

// Copies x's elements into output 0 with `shape` (same element count, checked by the caller).
// On a device backend (these kernels serve every backend: only the shape is computed, on the
// host), the bytes move with the device's own copy, on the predictor's stream.
Status CopyAs(KernelContext& ctx, const Tensor& x, const Shape& shape) {
  PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, shape, x.dtype()));
  if (y->device().is_host() && x.device().is_host()) {
    CopyElements(x, 0, y, 0, x.NumElements());
    return Status::Ok();
  }
  const DeviceBackend* d = FindDeviceBackend(y->device().type);
  if (!d || x.device() != y->device())
    return Status::Internal(ctx.node().Describe() + ": input and output are on different devices");
  if (y->RawData() == x.RawData() || x.ByteSize() == 0) return Status::Ok();
  return d->CopyOnDevice(y->device().id, y->RawMutableData(), x.RawData(), x.ByteSize(),
                         static_cast<DeviceResources*>(ctx.backend_resources()));
}

const Tensor* Data(const KernelContext& ctx, Status* s) {
  const Tensor* x = ctx.Input(0);
  if (!x) *s = Status::InvalidArgument(ctx.node().Describe() + ": missing input 0");
  else *s = x->dtype() == DataType::kString ? Status::Ok() : CheckCopyable(x->dtype(), ctx.node(), "input");
  return x;
}

class ReshapeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    if (node.opset < 5) {
      PL_ASSIGN_OR_RETURN(shape_attr_, node.RequiredAttr<std::vector<int64_t>>("shape"));
    }
    allowzero_ = node.opset >= 14 && node.Attr<int64_t>("allowzero", 0) != 0;
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    Status st;
    const Tensor* x = Data(ctx, &st);
    PL_RETURN_IF_ERROR(st);
    std::vector<int64_t> spec = shape_attr_;
    if (node.opset >= 5) {
      bool present = false;
      PL_ASSIGN_OR_RETURN(spec, ReadIntsInput(ctx, 1, "shape", &present));
      if (!present) return Status::InvalidArgument(node.Describe() + ": missing input 'shape'");
    }
    const int64_t total = x->NumElements();
    Shape out(spec.size());
    int infer = -1;
    int64_t known = 1;
    bool has_zero = false;
    for (size_t i = 0; i < spec.size(); ++i) {
      int64_t v = spec[i];
      if (v == -1) {
        if (infer >= 0) return Status::InvalidArgument(node.Describe() + ": more than one -1 in shape");
        infer = static_cast<int>(i);
        continue;
      }
      if (v < -1) return Status::InvalidArgument(node.Describe() + ": invalid dim " + std::to_string(v));
      if (v == 0) {
        has_zero = true;
        if (!allowzero_) {
          if (static_cast<int64_t>(i) >= x->rank())
            return Status::InvalidArgument(node.Describe() + ": shape[" + std::to_string(i) +
                                           "] = 0 copies a dim the input (rank " + std::to_string(x->rank()) +
                                           ") does not have");
          v = x->dim(static_cast<int>(i));
        }
      }
      out[i] = v;
      if (v != 0 && known > std::numeric_limits<int64_t>::max() / v)
        return Status::InvalidArgument(node.Describe() + ": shape overflows");
      known *= v;
    }
    if (infer >= 0) {
      if (allowzero_ && has_zero)
        return Status::InvalidArgument(node.Describe() + ": allowzero with both 0 and -1 in shape");
      if (known == 0 || total % known != 0)
        return Status::InvalidArgument(node.Describe() + ": cannot infer the -1 dim of " + ShapeToString(spec) +
                                       " for input shape " + ShapeToString(x->shape()));
      out[infer] = total / known;
    } else if (known != total) {
      return Status::InvalidArgument(node.Describe() + ": cannot reshape " + ShapeToString(x->shape()) + " to " +
                                     ShapeToString(out));
    }
    return CopyAs(ctx, *x, out);
  }

 private:
  std::vector<int64_t> shape_attr_;
  bool allowzero_ = false;
};

class FlattenKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", 1);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    Status st;
    const Tensor* x = Data(ctx, &st);
    PL_RETURN_IF_ERROR(st);
    const int64_t r = x->rank();
    if (axis_ < 0 && ctx.node().opset < 11)
      return Status::InvalidArgument(ctx.node().Describe() + ": negative axis needs opset 11");
    // axis is in [-r, r] and a negative one counts from r (unlike Unsqueeze's "insert before").
    if (axis_ < -r || axis_ > r)
      return Status::InvalidArgument(ctx.node().Describe() + ": axis " + std::to_string(axis_) +
                                     " out of range for rank " + std::to_string(r));
    const int64_t axis = axis_ < 0 ? axis_ + r : axis_;
    int64_t a = 1, b = 1;
    for (int64_t d = 0; d < r; ++d) (d < axis ? a : b) *= x->dim(static_cast<int>(d));
    return CopyAs(ctx, *x, {a, b});
  }

 private:
  int64_t axis_ = 1;
};

// Squeeze and Unsqueeze: axes from the attribute (opset < 13) or input 1 (13+).
class AxesKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    from_attr_ = node.opset < 13;
    has_axes_attr_ = node.HasAttr("axes");
    axes_ = node.Attr<std::vector<int64_t>>("axes", {});
    return Status::Ok();
  }

 protected:
  StatusOr<std::vector<int64_t>> Axes(const KernelContext& ctx, bool* present) const {
    if (from_attr_) {
      *present = has_axes_attr_;
      return axes_;
    }
    return ReadIntsInput(ctx, 1, "axes", present);
  }

 private:
  bool from_attr_ = true, has_axes_attr_ = false;
  std::vector<int64_t> axes_;
};

class SqueezeKernel final : public AxesKernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    Status st;
    const Tensor* x = Data(ctx, &st);
    PL_RETURN_IF_ERROR(st);
    bool present = false;
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, &present));
    const int64_t r = x->rank();
    std::vector<bool> drop(r, false);
    if (axes.empty()) {  // omitted (or empty, as ONNX Runtime reads it): every 1-dim goes
      for (int64_t d = 0; d < r; ++d) drop[d] = x->dim(static_cast<int>(d)) == 1;
    }
    for (int64_t a : axes) {
      PL_ASSIGN_OR_RETURN(int64_t d, NormalizeAxis(a, r, node));
      if (x->dim(static_cast<int>(d)) != 1)
        return Status::InvalidArgument(node.Describe() + ": cannot squeeze axis " + std::to_string(a) +
                                       " of size " + std::to_string(x->dim(static_cast<int>(d))));
      drop[d] = true;
    }
    Shape out;
    for (int64_t d = 0; d < r; ++d)
      if (!drop[d]) out.push_back(x->dim(static_cast<int>(d)));
    return CopyAs(ctx, *x, out);
  }
};

class UnsqueezeKernel final : public AxesKernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    Status st;
    const Tensor* x = Data(ctx, &st);
    PL_RETURN_IF_ERROR(st);
    bool present = false;
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> axes, Axes(ctx, &present));
    if (!present) return Status::InvalidArgument(node.Describe() + ": 'axes' is required");
    const int64_t r = x->rank() + static_cast<int64_t>(axes.size());
    std::vector<bool> added(r, false);
    for (int64_t a : axes) {
      PL_ASSIGN_OR_RETURN(int64_t d, NormalizeAxis(a, r, node));
      if (added[d]) return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(a) + " repeated");
      added[d] = true;
    }
    Shape out(r);
    int src = 0;
    for (int64_t d = 0; d < r; ++d) out[d] = added[d] ? 1 : x->dim(src++);
    return CopyAs(ctx, *x, out);
  }
};

}  // namespace

void RegisterReshapeFamily(KernelRegistry& r, const std::string& backend) {
  // Strings only on the host: a device backend gets the fixed-size dtypes.
  const bool host = FindDeviceBackend(backend) == nullptr;
  auto def = [&](const char* op) {
    KernelDef d(op);
    d.Backend(backend).AnyType().InPlace(0, 0);
    if (host) d.Strings();
    return d;
  };
  Add<ReshapeKernel>(r, def("Reshape").Opset(1, 4));
  Add<ReshapeKernel>(r, def("Reshape").Opset(5, 12).HostInput(1));
  Add<ReshapeKernel>(r, def("Reshape").Opset(13, 13).HostInput(1));
  Add<ReshapeKernel>(r, def("Reshape").Opset(14).HostInput(1));
  Add<FlattenKernel>(r, def("Flatten").Opset(1, 8));
  Add<FlattenKernel>(r, def("Flatten").Opset(9, 10));
  Add<FlattenKernel>(r, def("Flatten").Opset(11, 12));
  Add<FlattenKernel>(r, def("Flatten").Opset(13));
  Add<SqueezeKernel>(r, def("Squeeze").Opset(1, 10));
  Add<SqueezeKernel>(r, def("Squeeze").Opset(11, 12));
  Add<SqueezeKernel>(r, def("Squeeze").Opset(13).HostInput(1));
  Add<UnsqueezeKernel>(r, def("Unsqueeze").Opset(1, 10));
  Add<UnsqueezeKernel>(r, def("Unsqueeze").Opset(11, 12));
  Add<UnsqueezeKernel>(r, def("Unsqueeze").Opset(13).HostInput(1));
}

void RegisterReshape(KernelRegistry& r) { RegisterReshapeFamily(r, kBackendCpuRef); }

}  // namespace pl::cpu_ref
