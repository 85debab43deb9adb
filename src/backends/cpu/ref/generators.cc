// Constant (1, 9, 11, 12, 13: every value* form but strings/sparse), Identity (1, 13, 14, 16;
// tensors), Dropout (1, 6, 7, 10, 12, 13; inference only), Range (11; float, double, int16/32/64),
// ConstantOfShape (9), OneHot (9, 11), EyeLike (9). Any dtype unless noted.
#include <cmath>
#include <limits>

#include "src/backends/cpu/ref/data_movement.h"

namespace pl::cpu_ref {
namespace {

Status CopyTo(KernelContext& ctx, int i, const Tensor& x) {
  PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(i, x.shape(), x.dtype()));
  if (x.ByteSize() && y->RawMutableData() != x.RawData()) std::memcpy(y->RawMutableData(), x.RawData(), x.ByteSize());
  return Status::Ok();
}

const Tensor* Input0(const KernelContext& ctx, Status* s) {
  const Tensor* x = ctx.Input(0);
  *s = x ? CheckCopyable(x->dtype(), ctx.node(), "input")
         : Status::InvalidArgument(ctx.node().Describe() + ": missing input 0");
  return x;
}

// ---------------------------------------------------------------- Constant
// The loader folds Constant nodes into shared constants (src/ir/passes/constant_nodes.cc); this
// kernel serves graphs built without that pass.
class ConstantKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    auto attr = [&](const char* n) { return node.FindAttr(n); };
    if (const Attribute* a = attr("value")) {
      if (a->type != Attribute::Type::kTensor || !a->t)
        return Status::ModelError(node.Describe() + ": 'value' is not a tensor");
      value_ = a->t;
      return CheckCopyable(value_->dtype(), node, "value");
    }
    if (attr("sparse_value")) return Status::Unimplemented(node.Describe() + ": sparse_value is not supported");
    if (attr("value_string") || attr("value_strings"))
      return Status::Unimplemented(node.Describe() + ": string constants are not supported");
    StatusOr<Tensor> t = Status::ModelError(node.Describe() + ": no value attribute");
    if (const Attribute* a = attr("value_float")) t = Tensor::FromVector<float>({}, {a->f});
    else if (const Attribute* a = attr("value_int")) t = Tensor::FromVector<int64_t>({}, {a->i});
    else if (const Attribute* a = attr("value_floats"))
      t = Tensor::FromVector<float>({static_cast<int64_t>(a->floats.size())}, a->floats);
    else if (const Attribute* a = attr("value_ints"))
      t = Tensor::FromVector<int64_t>({static_cast<int64_t>(a->ints.size())}, a->ints);
    if (!t.ok()) return t.status();
    value_ = std::make_shared<const Tensor>(std::move(t).value());
    return Status::Ok();
  }
  Status Compute(KernelContext& ctx) const override { return CopyTo(ctx, 0, *value_); }
  size_t SharedBytes() const override { return value_ ? value_->ByteSize() : 0; }

 private:
  std::shared_ptr<const Tensor> value_;
};

// ---------------------------------------------------------------- Identity
// Any dtype, strings included.
class IdentityKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(ctx.node().Describe() + ": missing input 0");
    if (!x->is_tensor()) return ctx.SetOutput(0, *x);  // a sequence or empty optional (opsets 14, 16)
    if (x->dtype() != DataType::kString) PL_RETURN_IF_ERROR(CheckCopyable(x->dtype(), ctx.node(), "input"));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), x->dtype()));
    CopyElements(*x, 0, y, 0, x->NumElements());
    return Status::Ok();
  }
};

// ---------------------------------------------------------------- Dropout
// Inference only: output = input, mask all true. Training (a random mask) is not implemented,
// except with ratio 0, where it is the identity too.
class DropoutKernel final : public Kernel {
 public:
  // Dropout-1/6 default to is_test = 0 (training), yet exporters meant inference: treated as such.
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    Status s;
    const Tensor* x = Input0(ctx, &s);
    PL_RETURN_IF_ERROR(s);
    if (node.opset >= 12) {
      const Tensor* training = ctx.Input(2);
      if (training && training->NumElements() > 0 && LoadDouble(*training, 0) != 0) {
        const Tensor* ratio = ctx.Input(1);
        const double rv = ratio && ratio->NumElements() > 0 ? LoadDouble(*ratio, 0) : 0.5;
        if (rv != 0)
          return Status::Unimplemented(node.Describe() + ": training_mode with ratio " + std::to_string(rv) +
                                       " (random dropout) is not supported");
      }
    }
    PL_RETURN_IF_ERROR(CopyTo(ctx, 0, *x));
    if (ctx.NumOutputs() > 1 && ctx.OutputRequested(1)) {
      // Mask: bool from opset 10, the data type before.
      DataType mt = node.opset >= 10 ? DataType::kBool : x->dtype();
      PL_ASSIGN_OR_RETURN(Tensor* m, ctx.Output(1, x->shape(), mt));
      alignas(8) char one[8] = {0};
      if (!StoreDouble(mt, 1.0, one))
        return Status::Unimplemented(node.Describe() + ": mask of dtype " + DataTypeName(mt));
      FillElements(m->RawMutableData(), one, m->NumElements(), DataTypeSize(mt));
    }
    return Status::Ok();
  }
};

// ---------------------------------------------------------------- Range
template <typename T>
class RangeKernel final : public Kernel {
 public:
  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* in[3] = {ctx.Input(0), ctx.Input(1), ctx.Input(2)};
    for (int i = 0; i < 3; ++i) {
      if (!in[i] || in[i]->NumElements() != 1 || in[i]->dtype() != DataTypeOf<T>::value)
        return Status::InvalidArgument(node.Describe() + ": start, limit and delta must be " +
                                       DataTypeName(DataTypeOf<T>::value) + " scalars");
    }
    const T start = *in[0]->Data<T>(), limit = *in[1]->Data<T>(), delta = *in[2]->Data<T>();
    if (delta == T(0)) return Status::InvalidArgument(node.Describe() + ": delta is 0");
    int64_t n = 0;
    if constexpr (std::is_floating_point_v<T>) {
      const double c = std::ceil((static_cast<double>(limit) - start) / delta);
      if (!(c <= static_cast<double>(std::numeric_limits<int64_t>::max() / 2)))
        return Status::InvalidArgument(node.Describe() + ": range is too long");
      n = c > 0 ? static_cast<int64_t>(c) : 0;
    } else {
      // Exact integer ceil; __int128 keeps INT64 extremes from overflowing.
      const __int128 span = static_cast<__int128>(limit) - start, d = delta;
      __int128 c = 0;
      if ((span > 0 && d > 0) || (span < 0 && d < 0)) c = (span + d - (d > 0 ? 1 : -1)) / d;
      if (c > std::numeric_limits<int64_t>::max()) return Status::InvalidArgument(node.Describe() + ": range is too long");
      n = static_cast<int64_t>(c);
    }
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {n}, DataTypeOf<T>::value));
    T* out = y->MutableData<T>();
    for (int64_t i = 0; i < n; ++i) out[i] = static_cast<T>(start + static_cast<T>(i) * delta);
    return Status::Ok();
  }
};

// ---------------------------------------------------------------- ConstantOfShape
class ConstantOfShapeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    if (const Attribute* a = node.FindAttr("value")) {
      if (a->type != Attribute::Type::kTensor || !a->t || a->t->NumElements() != 1)
        return Status::ModelError(node.Describe() + ": 'value' must be a one-element tensor");
      PL_RETURN_IF_ERROR(CheckCopyable(a->t->dtype(), node, "value"));
      dtype_ = a->t->dtype();
      std::memcpy(value_, a->t->RawData(), DataTypeSize(dtype_));
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    bool present = false;
    PL_ASSIGN_OR_RETURN(std::vector<int64_t> shape, ReadIntsInput(ctx, 0, "shape", &present));
    if (!present) return Status::InvalidArgument(node.Describe() + ": missing input 'input'");
    for (int64_t d : shape)
      if (d < 0) return Status::InvalidArgument(node.Describe() + ": negative dim in " + ShapeToString(shape));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, shape, dtype_));
    FillElements(y->RawMutableData(), value_, y->NumElements(), DataTypeSize(dtype_));
    return Status::Ok();
  }

 private:
  DataType dtype_ = DataType::kFloat32;
  alignas(8) char value_[8] = {0};
};

// ---------------------------------------------------------------- OneHot
class OneHotKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    axis_ = node.Attr<int64_t>("axis", -1);
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* ind = ctx.Input(0);
    const Tensor* depth = ctx.Input(1);
    const Tensor* values = ctx.Input(2);
    if (!ind || !depth || !values) return Status::InvalidArgument(node.Describe() + ": needs indices, depth, values");
    if (depth->NumElements() != 1)
      return Status::InvalidArgument(node.Describe() + ": depth must have one element");
    if (values->NumElements() != 2)
      return Status::InvalidArgument(node.Describe() + ": values must be [off_value, on_value]");
    PL_RETURN_IF_ERROR(CheckCopyable(values->dtype(), node, "values"));
    if (DataTypeSize(ind->dtype()) == 0)
      return Status::InvalidArgument(node.Describe() + ": indices of dtype " + DataTypeName(ind->dtype()));
    const double dd = LoadDouble(*depth, 0);
    if (!(dd >= 1) || dd > static_cast<double>(std::numeric_limits<int32_t>::max()))
      return Status::InvalidArgument(node.Describe() + ": depth " + std::to_string(dd) + " is not a positive count");
    const int64_t d = static_cast<int64_t>(dd);
    const int64_t r = ind->rank();
    PL_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, r, node, /*inclusive_end=*/true));
    Shape out = ind->shape();
    out.insert(out.begin() + axis, d);
    const DataType vt = values->dtype();
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, out, vt));
    const size_t esz = DataTypeSize(vt);
    const char* off_on = static_cast<const char*>(values->RawData());
    char* dst = static_cast<char*>(y->RawMutableData());
    FillElements(dst, off_on, y->NumElements(), esz);
    int64_t suffix = 1;
    for (int64_t k = axis; k < r; ++k) suffix *= ind->dim(static_cast<int>(k));
    const int64_t n = ind->NumElements();
    for (int64_t i = 0; i < n; ++i) {
      // Non-integer indices are truncated (spec: "cast to int"); [-depth, -1] counts from the end.
      const double kv = LoadDouble(*ind, i);
      if (kv != kv) continue;  // NaN: no position, the row stays off_value
      int64_t k = SaturatingInt64(kv);
      if (k < 0 && k >= -d) k += d;
      if (k < 0 || k >= d) continue;  // out of range: the whole row stays off_value
      const int64_t p = i / suffix, s = i % suffix;
      std::memcpy(dst + ((p * d + k) * suffix + s) * esz, off_on + esz, esz);
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = -1;
};

// ---------------------------------------------------------------- EyeLike
class EyeLikeKernel final : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    k_ = node.Attr<int64_t>("k", 0);
    if (node.HasAttr("dtype")) {
      dtype_ = static_cast<DataType>(node.Attr<int64_t>("dtype", 1));
      alignas(8) char probe[8];
      if (!StoreDouble(dtype_, 1, probe))
        return Status::Unimplemented(node.Describe() + ": dtype " + DataTypeName(dtype_) + " is not supported");
    }
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const Tensor* x = ctx.Input(0);
    if (!x) return Status::InvalidArgument(node.Describe() + ": missing input 0");
    if (x->rank() != 2) return Status::InvalidArgument(node.Describe() + ": input must be 2-D, got " + ShapeToString(x->shape()));
    const DataType dt = dtype_ == DataType::kUndefined ? x->dtype() : dtype_;
    alignas(8) char one[8] = {0};
    if (!StoreDouble(dt, 1, one)) return Status::Unimplemented(node.Describe() + ": dtype " + DataTypeName(dt));
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, x->shape(), dt));
    const size_t esz = DataTypeSize(dt);
    char* dst = static_cast<char*>(y->RawMutableData());
    if (y->ByteSize()) std::memset(dst, 0, y->ByteSize());
    const int64_t rows = x->dim(0), cols = x->dim(1);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t j = i + k_;
      if (j >= 0 && j < cols) std::memcpy(dst + (i * cols + j) * esz, one, esz);
    }
    return Status::Ok();
  }

 private:
  int64_t k_ = 0;
  DataType dtype_ = DataType::kUndefined;
};

}  // namespace

void RegisterGenerators(KernelRegistry& r) {
  Add<ConstantKernel>(r, RefDef("Constant").Opset(1, 8).AnyType());
  Add<ConstantKernel>(r, RefDef("Constant").Opset(9, 10).AnyType());
  Add<ConstantKernel>(r, RefDef("Constant").Opset(11, 11).AnyType());
  Add<ConstantKernel>(r, RefDef("Constant").Opset(12, 12).AnyType());
  Add<ConstantKernel>(r, RefDef("Constant").Opset(13).AnyType());
  Add<IdentityKernel>(r, RefDef("Identity").Opset(1, 12).AnyType().Strings().InPlace(0, 0));
  Add<IdentityKernel>(r, RefDef("Identity").Opset(13, 13).AnyType().Strings().InPlace(0, 0));
  Add<IdentityKernel>(r, RefDef("Identity").Opset(14, 15).AnyType().Strings().Sequences().InPlace(0, 0));
  Add<IdentityKernel>(r, RefDef("Identity").Opset(16).AnyType().Strings().Sequences().InPlace(0, 0));
  Add<DropoutKernel>(r, RefDef("Dropout").Opset(1, 6).AnyType().InPlace(0, 0));
  Add<DropoutKernel>(r, RefDef("Dropout").Opset(7, 9).AnyType().InPlace(0, 0));
  Add<DropoutKernel>(r, RefDef("Dropout").Opset(10, 11).AnyType().InPlace(0, 0));
  Add<DropoutKernel>(r, RefDef("Dropout").Opset(12, 12).AnyType().InPlace(0, 0).HostInput(1).HostInput(2));
  Add<DropoutKernel>(r, RefDef("Dropout").Opset(13).AnyType().InPlace(0, 0).HostInput(1).HostInput(2));
  Add<RangeKernel<float>>(r, RefDef("Range").Opset(11).Types<float>());
  Add<RangeKernel<double>>(r, RefDef("Range").Opset(11).Types<double>());
  Add<RangeKernel<int16_t>>(r, RefDef("Range").Opset(11).Types<int16_t>());
  Add<RangeKernel<int32_t>>(r, RefDef("Range").Opset(11).Types<int32_t>());
  Add<RangeKernel<int64_t>>(r, RefDef("Range").Opset(11).Types<int64_t>());
  Add<ConstantOfShapeKernel>(r, RefDef("ConstantOfShape").Opset(9).AnyType().HostInput(0));
  Add<OneHotKernel>(r, RefDef("OneHot").Opset(9, 10).AnyType().HostInput(1));
  Add<OneHotKernel>(r, RefDef("OneHot").Opset(11).AnyType().HostInput(1));
  Add<EyeLikeKernel>(r, RefDef("EyeLike").Opset(9).AnyType());
}

}  // namespace pl::cpu_ref
