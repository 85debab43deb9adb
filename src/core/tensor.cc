#include "pl/tensor.h"

#include <cstdlib>
#include <limits>

#include "src/core/alloc.h"

namespace pl {

size_t DataTypeSize(DataType t) {
  switch (t) {
    case DataType::kFloat32: case DataType::kInt32: case DataType::kUint32: return 4;
    case DataType::kUint8: case DataType::kInt8: case DataType::kBool: return 1;
    case DataType::kUint16: case DataType::kInt16: case DataType::kFloat16: return 2;
    case DataType::kInt64: case DataType::kFloat64: case DataType::kUint64: return 8;
    default: return 0;
  }
}

const char* DataTypeName(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "float32";
    case DataType::kUint8: return "uint8";
    case DataType::kInt8: return "int8";
    case DataType::kUint16: return "uint16";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kString: return "string";
    case DataType::kBool: return "bool";
    case DataType::kFloat16: return "float16";
    case DataType::kFloat64: return "float64";
    case DataType::kUint32: return "uint32";
    case DataType::kUint64: return "uint64";
    default: return "undefined";
  }
}

int64_t ShapeNumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    if (d != 0 && n > std::numeric_limits<int64_t>::max() / d) return -1;
    n *= d;
  }
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

size_t Tensor::ByteSize() const {
  int64_t n = NumElements();
  return n < 0 ? 0 : static_cast<size_t>(n) * DataTypeSize(dtype_);
}

namespace {
constexpr size_t kAlign = 64;
// Sizes beyond this are refused as an obviously bad shape rather than attempted.
constexpr size_t kMaxTensorBytes = size_t{1} << 40;

StatusOr<std::shared_ptr<void>> AllocHost(size_t bytes, const std::string& what) {
  if (bytes > kMaxTensorBytes)
    return Status::OutOfMemory(what + ": refusing to allocate " + std::to_string(bytes) + " bytes");
  std::shared_ptr<void> p = internal::AlignedBuffer(bytes, fault_injection::Site::kTensor);
  if (!p) return Status::OutOfMemory(what + ": cannot allocate " + std::to_string(bytes) + " bytes");
  return p;
}
}  // namespace

StatusOr<Tensor> Tensor::Create(DataType dtype, Shape shape, std::string name) {
  Tensor t;
  t.name_ = std::move(name);
  PL_RETURN_IF_ERROR(t.Reshape(shape));
  PL_RETURN_IF_ERROR(t.Allocate(dtype));
  return t;
}

Tensor Tensor::Wrap(DataType dtype, Shape shape, void* data, Device device, std::string name) {
  Tensor t;
  t.name_ = std::move(name);
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.data_ = data;
  t.capacity_ = t.ByteSize();
  return t;
}

StatusOr<Tensor> Tensor::FromVector(Shape shape, const std::vector<bool>& values, std::string name) {
  if (ShapeNumElements(shape) != static_cast<int64_t>(values.size()))
    return Status::InvalidArgument("Tensor::FromVector: size does not match shape " + ShapeToString(shape));
  PL_ASSIGN_OR_RETURN(Tensor t, Create(DataType::kBool, std::move(shape), std::move(name)));
  bool* d = t.MutableData<bool>();
  for (size_t i = 0; i < values.size(); ++i) d[i] = values[i];
  return t;
}

Status Tensor::Reshape(const Shape& shape) {
  for (int64_t d : shape)
    if (d < 0)
      return Status::InvalidArgument("tensor '" + name_ + "': negative dim in shape " + ShapeToString(shape));
  if (ShapeNumElements(shape) < 0)
    return Status::InvalidArgument("tensor '" + name_ + "': shape " + ShapeToString(shape) + " overflows");
  shape_ = shape;
  // A view keeps pointing at foreign memory only while it still fits.
  if (!buffer_ && data_ && ByteSize() > capacity_) { data_ = nullptr; capacity_ = 0; }
  return Status::Ok();
}

Status Tensor::Allocate(DataType dtype) {
  if (DataTypeSize(dtype) == 0)
    return Status::InvalidArgument("tensor '" + name_ + "': unsupported dtype " + DataTypeName(dtype));
  if (ShapeNumElements(shape_) < 0)
    return Status::InvalidArgument("tensor '" + name_ + "': bad shape " + ShapeToString(shape_));
  dtype_ = dtype;
  size_t bytes = ByteSize();
  if (buffer_ && bytes <= capacity_ && device_.type == DeviceType::kCPU && buffer_.use_count() == 1) return Status::Ok();
  PL_ASSIGN_OR_RETURN(buffer_, AllocHost(bytes, "tensor '" + name_ + "'"));
  data_ = buffer_.get();
  capacity_ = bytes;
  device_ = Device::Cpu();
  return Status::Ok();
}

Status Tensor::ShareExternalData(void* data, DataType dtype, const Shape& shape) {
  if (data == nullptr && ShapeNumElements(shape) != 0)
    return Status::InvalidArgument("tensor '" + name_ + "': ShareExternalData with null data");
  if (DataTypeSize(dtype) == 0)
    return Status::InvalidArgument("tensor '" + name_ + "': unsupported dtype " + DataTypeName(dtype));
  PL_RETURN_IF_ERROR(Reshape(shape));
  buffer_.reset();
  dtype_ = dtype;
  data_ = data;
  capacity_ = ByteSize();
  device_ = Device::Cpu();
  return Status::Ok();
}

Status Tensor::CheckCopy(DataType want, bool /*to_cpu*/) const {
  if (want != dtype_)
    return Status::InvalidArgument("tensor '" + name_ + "': dtype is " + DataTypeName(dtype_) +
                                   ", copy asked for " + DataTypeName(want));
  if (data_ == nullptr && NumElements() > 0)
    return Status::InvalidArgument("tensor '" + name_ + "': has no data");
  if (device_.type != DeviceType::kCPU)
    return Status::InvalidArgument("tensor '" + name_ + "': lives on a device; copy it to the host first");
  return Status::Ok();
}

StatusOr<Tensor> Tensor::Clone() const {
  if (device_.type != DeviceType::kCPU) return Status::InvalidArgument("Tensor::Clone: device tensor");
  PL_ASSIGN_OR_RETURN(Tensor t, Create(dtype_, shape_, name_));
  if (ByteSize() && data_) std::memcpy(t.data_, data_, ByteSize());
  return t;
}

Status Tensor::CopyFromBytes(const void* src, size_t bytes) {
  if (bytes != ByteSize())
    return Status::InvalidArgument("tensor '" + name_ + "': " + std::to_string(bytes) + " bytes for " +
                                   std::to_string(ByteSize()) + " expected");
  if (!data_ && bytes) PL_RETURN_IF_ERROR(Allocate(dtype_));
  if (bytes) std::memcpy(data_, src, bytes);
  return Status::Ok();
}

}  // namespace pl
