// Pad: opsets 1 (paddings/value attributes), 2 (pads/value attributes), 11, 13 (pads and
// constant_value inputs), 18 (axes input), 19 (wrap); modes constant, reflect, edge, wrap; any dtype.
// Negative pads crop first; the other modes then reflect/extend/wrap the cropped tensor.
#include <algorithm>
#include <limits>

#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

class PadKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const std::string mode = node.Attr<std::string>("mode", "constant");
    if (mode == "constant") mode_ = PadMode::kConstant;
    else if (mode == "reflect") mode_ = PadMode::kReflect;
    else if (mode == "edge") mode_ = PadMode::kEdge;
    else if (mode == "wrap") mode_ = PadMode::kWrap;
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
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 'data'");
    const DataType dt = x->dtype();
    const bool strings = dt == DataType::kString;  // elements copied as std::string (opset 11+)
    if (!strings) PL_RETURN_IF_ERROR(CheckCopyable(dt, node, "data"));
    std::string pad_string;
    const size_t esz = DataTypeSize(dt);
    const int64_t r = x->rank();
    std::vector<int64_t> pads = pads_attr_, axes;
    bool has_axes = false;
    alignas(8) char value[8] = {0};
    if (node.opset < 11) {
      if (strings) return Status::InvalidArgument(node.Describe() + ": string data needs opset 11 or later");
      StoreDouble(dt, value_attr_, value);
    } else {
      bool present = false;
      PL_ASSIGN_OR_RETURN(pads, ReadIntsInput(ctx, 1, "pads", &present));
      if (!present) return Status::InvalidArgument(node.Describe() + ": missing input 'pads'");
      const Tensor* cv = ctx.Input(2);
      if (cv && cv->NumElements() > 0 && strings) {
        if (cv->dtype() != dt)
          return Status::InvalidArgument(node.Describe() + ": constant_value is " + DataTypeName(cv->dtype()) + ", data is string");
        pad_string = cv->Data<std::string>()[0];
      } else if (cv && cv->NumElements() > 0) {
        if (cv->dtype() == dt) std::memcpy(value, cv->RawData(), esz);
        else StoreDouble(dt, LoadDouble(*cv, 0), value);
      }
      PL_ASSIGN_OR_RETURN(axes, ReadIntsInput(ctx, 3, "axes", &has_axes));
    }
    // Per input dim: how much to add (positive) or crop (negative) at each end.
    std::vector<int64_t> begin(r, 0), end(r, 0);
    if (has_axes) {
      if (pads.size() != 2 * axes.size())
        return Status::InvalidArgument(node.Describe() + ": pads has " + std::to_string(pads.size()) +
                                       " entries for " + std::to_string(axes.size()) + " axes");
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
    // maps[d][j]: input index feeding output index j on dim d, or -1 for the constant.
    Shape out(r);
    std::vector<std::vector<int64_t>> maps(r);
    for (int64_t d = 0; d < r; ++d) {
      const int64_t dim = x->dim(static_cast<int>(d));
      const int64_t n = begin[d] < -dim || end[d] < -dim ? -1 : dim + std::min<int64_t>(0, begin[d]) + std::min<int64_t>(0, end[d]);
      const int64_t pb = std::max<int64_t>(0, begin[d]), pe = std::max<int64_t>(0, end[d]);
      if (n < 0) return Status::InvalidArgument(node.Describe() + ": pads crop more than dim " + std::to_string(d) + " holds");
      if (pb > std::numeric_limits<int64_t>::max() - n - pe)
        return Status::InvalidArgument(node.Describe() + ": pads overflow dim " + std::to_string(d));
      out[d] = n + pb + pe;
    }
    // The index maps are as long as the output dims: only build them for a valid, non-empty output
    // that the memory limits allowed (a huge padded dim is ResourceExhausted from the allocation,
    // not an index map of its length).
    const int64_t total = ShapeNumElements(out);
    if (total < 0) return Status::InvalidArgument(node.Describe() + ": output shape " + ShapeToString(out) + " overflows");
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, dt));
    for (int64_t d = 0; total > 0 && d < r; ++d) {
      const int64_t dim = x->dim(static_cast<int>(d));
      const int64_t lo = std::max<int64_t>(0, -begin[d]), hi = dim - std::max<int64_t>(0, -end[d]);
      const int64_t n = hi - lo, pb = std::max<int64_t>(0, begin[d]);
      if (n == 0 && out[d] > 0 && mode_ != PadMode::kConstant)
        return Status::InvalidArgument(node.Describe() + ": cannot pad an empty dim " + std::to_string(d) +
                                       " in this mode");
      std::vector<int64_t>& m = maps[d];
      m.resize(out[d]);
      for (int64_t j = 0; j < out[d]; ++j) {
        int64_t i = j - pb;  // position within the cropped range
        if (i < 0 || i >= n) {
          switch (mode_) {
            case PadMode::kConstant: i = -1; break;
            case PadMode::kEdge: i = std::clamp<int64_t>(i, 0, n - 1); break;
            case PadMode::kWrap: i = ((i % n) + n) % n; break;
            case PadMode::kReflect: {  // numpy 'reflect': mirror without repeating the edge
              if (n == 1) { i = 0; break; }
              const int64_t period = 2 * (n - 1);
              i = ((i % period) + period) % period;
              if (i >= n) i = period - i;
              break;
            }
          }
        }
        m[j] = i < 0 ? -1 : lo + i;
      }
    }
    if (total == 0) return Status::Ok();
    if (strings) {
      std::string* ys = y->MutableData<std::string>();
      const std::string* xs = x->Data<std::string>();
      const std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
      std::vector<int64_t> idx(r, 0);
      for (int64_t k = 0; k < total; ++k) {
        int64_t off = 0;
        bool constant = false;
        for (int64_t d = 0; d < r && !constant; ++d) {
          const int64_t i = maps[d][idx[d]];
          constant = i < 0;
          off += i * in_strides[d];
        }
        ys[k] = constant ? pad_string : xs[off];
        for (int64_t d = r - 1; d >= 0; --d) {
          if (++idx[d] < out[d]) break;
          idx[d] = 0;
        }
      }
      return Status::Ok();
    }
    char* dst = static_cast<char*>(y->RawMutableData());
    const char* src = static_cast<const char*>(x->RawData());
    if (r == 0) {
      std::memcpy(dst, src, esz);
      return Status::Ok();
    }
    const std::vector<int64_t> in_strides = ContiguousStrides(x->shape());
    const int64_t len = out[r - 1], pb = std::max<int64_t>(0, begin[r - 1]);
    const int64_t n_last = out[r - 1] - pb - std::max<int64_t>(0, end[r - 1]);
    const std::vector<int64_t>& last = maps[r - 1];
    std::vector<int64_t> idx(r, 0);
    for (int64_t row = 0; row < total / len; ++row, dst += len * esz) {
      // Source row of this output row, or constant if any outer coordinate is padding.
      int64_t off = 0;
      bool constant = false;
      for (int64_t d = 0; d < r - 1; ++d) {
        const int64_t i = maps[d][idx[d]];
        if (i < 0) { constant = true; break; }
        off += i * in_strides[d];
      }
      if (constant) {
        FillElements(dst, value, len, esz);
      } else {
        const char* srow = src + off * esz;
        for (int64_t j = 0; j < pb; ++j)
          std::memcpy(dst + j * esz, last[j] < 0 ? value : srow + last[j] * esz, esz);
        if (n_last > 0) std::memcpy(dst + pb * esz, srow + last[pb] * esz, n_last * esz);
        for (int64_t j = pb + std::max<int64_t>(0, n_last); j < len; ++j)
          std::memcpy(dst + j * esz, last[j] < 0 ? value : srow + last[j] * esz, esz);
      }
      for (int64_t d = r - 2; d >= 0; --d) {
        if (++idx[d] < out[d]) break;
        idx[d] = 0;
      }
    }
    return Status::Ok();
  }

 private:
  PadMode mode_ = PadMode::kConstant;
  std::vector<int64_t> pads_attr_;
  float value_attr_ = 0.f;
};

}  // namespace

void RegisterPad(KernelRegistry& r) {
  Add<PadKernel>(r, RefDef("Pad").Opset(1, 1).AnyType());
  Add<PadKernel>(r, RefDef("Pad").Opset(2, 10).AnyType());
  Add<PadKernel>(r, RefDef("Pad").Opset(11, 12).AnyType().Strings().HostInput(1).HostInput(2));
  Add<PadKernel>(r, RefDef("Pad").Opset(13, 17).AnyType().Strings().HostInput(1).HostInput(2));
  Add<PadKernel>(r, RefDef("Pad").Opset(18).AnyType().Strings().HostInput(1).HostInput(2).HostInput(3));
}

}  // namespace pl::cpu_ref
