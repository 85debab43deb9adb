#include "pl/tensor.h"

#include "pl/device.h"

#include <cstdlib>
#include <limits>
#include <new>

#include "src/core/alloc.h"

namespace pl {

size_t DataTypeSize(DataType t) {
  switch (t) {
    case DataType::kFloat32: case DataType::kInt32: case DataType::kUint32: return 4;
    case DataType::kUint8: case DataType::kInt8: case DataType::kBool: return 1;
    case DataType::kUint16: case DataType::kInt16: case DataType::kFloat16: case DataType::kBFloat16: return 2;
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
    case DataType::kBFloat16: return "bfloat16";
    default: return "undefined";
  }
}

BFloat16 BFloat16::FromFloat(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  BFloat16 b;
  if ((x & 0x7fffffffu) > 0x7f800000u) {
    b.bits = 0x7fc0u;  // NaN: the canonical quiet NaN, as ONNX's float32_to_bfloat16
    return b;
  }
  x += 0x7fffu + ((x >> 16) & 1u);  // round to nearest even; overflow correctly reaches infinity
  b.bits = static_cast<uint16_t>(x >> 16);
  return b;
}

float BFloat16::ToFloat() const {
  const uint32_t x = static_cast<uint32_t>(bits) << 16;
  float f;
  std::memcpy(&f, &x, 4);
  return f;
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
// Bytes the elements occupy in memory (strings: the std::string objects).
size_t StorageBytes(DataType dt, const Shape& shape) {
  const int64_t n = ShapeNumElements(shape);
  if (n < 0) return 0;
  return static_cast<size_t>(n) * (dt == DataType::kString ? sizeof(std::string) : DataTypeSize(dt));
}

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

// An array of n constructed, empty strings; the deleter destroys them.
StatusOr<std::shared_ptr<void>> AllocStrings(size_t n, const std::string& what) {
  if (n > kMaxTensorBytes / sizeof(std::string))
    return Status::OutOfMemory(what + ": refusing to allocate " + std::to_string(n) + " strings");
  std::string* p = new (std::nothrow) std::string[n ? n : 1];
  if (!p) return Status::OutOfMemory(what + ": cannot allocate " + std::to_string(n) + " strings");
  return std::shared_ptr<void>(p, [](void* q) { delete[] static_cast<std::string*>(q); });
}
}  // namespace

StatusOr<Tensor> Tensor::Create(DataType dtype, Shape shape, std::string name) {
  Tensor t;
  t.name_ = std::move(name);
  PL_RETURN_IF_ERROR(t.Reshape(shape));
  PL_RETURN_IF_ERROR(t.Allocate(dtype));
  return t;
}

Tensor Tensor::FromBuffer(DataType dtype, Shape shape, std::shared_ptr<void> buffer, size_t capacity, Device device,
                          std::string name) {
  Tensor t;
  t.name_ = std::move(name);
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.data_ = buffer.get();
  t.capacity_ = capacity;
  t.buffer_ = std::move(buffer);
  return t;
}

Tensor Tensor::Wrap(DataType dtype, Shape shape, void* data, Device device, std::string name) {
  Tensor t;
  t.name_ = std::move(name);
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.data_ = data;
  t.capacity_ = StorageBytes(dtype, t.shape_);
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

StatusOr<Tensor> Tensor::FromVector(Shape shape, const std::vector<std::string>& values, std::string name) {
  if (ShapeNumElements(shape) != static_cast<int64_t>(values.size()))
    return Status::InvalidArgument("Tensor::FromVector: " + std::to_string(values.size()) + " strings for shape " +
                                   ShapeToString(shape));
  PL_ASSIGN_OR_RETURN(Tensor t, Create(DataType::kString, std::move(shape), std::move(name)));
  std::string* d = t.MutableData<std::string>();
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
  kind_ = ValueKind::kTensor;  // a handle that held a sequence or an empty optional is a tensor again
  elements_.reset();
  // A view keeps pointing at foreign memory only while it still fits.
  if (!buffer_ && data_ && StorageBytes(dtype_, shape_) > capacity_) { data_ = nullptr; capacity_ = 0; }
  return Status::Ok();
}

Status Tensor::Allocate(DataType dtype) {
  kind_ = ValueKind::kTensor;
  elements_.reset();
  if (dtype == DataType::kString) {
    if (ShapeNumElements(shape_) < 0)
      return Status::InvalidArgument("tensor '" + name_ + "': bad shape " + ShapeToString(shape_));
    // Strings always get a fresh array: a reused one would keep the previous run's values.
    PL_ASSIGN_OR_RETURN(buffer_, AllocStrings(static_cast<size_t>(NumElements()), "tensor '" + name_ + "'"));
    dtype_ = dtype;
    data_ = buffer_.get();
    capacity_ = 0;
    device_ = Device::Cpu();
    return Status::Ok();
  }
  if (DataTypeSize(dtype) == 0)
    return Status::InvalidArgument("tensor '" + name_ + "': unsupported dtype " + DataTypeName(dtype));
  if (ShapeNumElements(shape_) < 0)
    return Status::InvalidArgument("tensor '" + name_ + "': bad shape " + ShapeToString(shape_));
  const bool was_string = dtype_ == DataType::kString;
  dtype_ = dtype;
  size_t bytes = ByteSize();
  if (buffer_ && !was_string && bytes <= capacity_ && device_.type == DeviceType::kCPU && buffer_.use_count() == 1) return Status::Ok();
  PL_ASSIGN_OR_RETURN(buffer_, AllocHost(bytes, "tensor '" + name_ + "'"));
  data_ = buffer_.get();
  capacity_ = bytes;
  device_ = Device::Cpu();
  return Status::Ok();
}

Status Tensor::ShareExternalData(void* data, DataType dtype, const Shape& shape) {
  if (data == nullptr && ShapeNumElements(shape) != 0)
    return Status::InvalidArgument("tensor '" + name_ + "': ShareExternalData with null data");
  if (DataTypeSize(dtype) == 0 && dtype != DataType::kString)  // strings: a view of std::string objects
    return Status::InvalidArgument("tensor '" + name_ + "': unsupported dtype " + DataTypeName(dtype));
  PL_RETURN_IF_ERROR(Reshape(shape));  // also makes it a tensor
  buffer_.reset();
  dtype_ = dtype;
  data_ = data;
  capacity_ = StorageBytes(dtype, shape_);
  device_ = Device::Cpu();
  return Status::Ok();
}

Status Tensor::ShareExternalData(void* data, DataType dtype, const Shape& shape, Device device) {
  if (device.type != DeviceType::kCPU && dtype == DataType::kString)
    return Status::InvalidArgument("tensor '" + name_ + "': string tensors live on the host only");
  if (device.type != DeviceType::kCPU && !FindDeviceBackend(device.type))
    return Status::InvalidArgument("tensor '" + name_ + "': no backend for device type " +
                                   std::to_string(static_cast<int>(device.type)) + " is loaded");
  PL_RETURN_IF_ERROR(ShareExternalData(data, dtype, shape));
  device_ = device;
  return Status::Ok();
}

Status Tensor::DeviceToHost(void* dst) const {
  const DeviceBackend* b = FindDeviceBackend(device_.type);
  if (!b) return Status::InvalidArgument("tensor '" + name_ + "': its device has no loaded backend");
  if (ByteSize() == 0) return Status::Ok();
  return b->CopyToHost(device_.id, dst, data_, ByteSize(), nullptr).WithContext("tensor '" + name_ + "'");
}

Status Tensor::CheckCopy(DataType want, bool to_cpu) const {
  if (want != dtype_)
    return Status::InvalidArgument("tensor '" + name_ + "': dtype is " + DataTypeName(dtype_) +
                                   ", copy asked for " + DataTypeName(want));
  if (data_ == nullptr && NumElements() > 0)
    return Status::InvalidArgument("tensor '" + name_ + "': has no data");
  if (device_.type != DeviceType::kCPU && !to_cpu)
    return Status::InvalidArgument("tensor '" + name_ + "': lives on a device; copy it to the host first");
  return Status::Ok();
}

StatusOr<Tensor> Tensor::Clone() const {
  Tensor t;
  t.set_name(name_);
  PL_RETURN_IF_ERROR(t.CopyFrom(*this));
  return t;
}

Status Tensor::CopyFrom(const Tensor& src) {
  if (&src == this) return Status::Ok();
  if (!src.is_tensor()) {
    std::vector<Tensor> elements;
    for (const Tensor& e : src.elements()) {
      PL_ASSIGN_OR_RETURN(Tensor c, e.Clone());
      elements.push_back(std::move(c));
    }
    std::string name = name_;
    *this = Tensor();
    name_ = std::move(name);
    dtype_ = src.dtype_;
    shape_ = {0};
    kind_ = src.kind_;
    if (kind_ == ValueKind::kSequence) elements_ = std::make_shared<const std::vector<Tensor>>(std::move(elements));
    return Status::Ok();
  }
  if (src.data_ == nullptr && src.NumElements() > 0)
    return Status::InvalidArgument("tensor '" + name_ + "': CopyFrom a tensor without data");
  // src may share this tensor's buffer (a copy of the same Tensor): detach before reallocating.
  if (buffer_ && buffer_ == src.buffer_) { buffer_.reset(); data_ = nullptr; capacity_ = 0; }
  PL_RETURN_IF_ERROR(Reshape(src.shape_));
  PL_RETURN_IF_ERROR(Allocate(src.dtype_));
  if (src.device_.type != DeviceType::kCPU) {
    if (ByteSize()) PL_RETURN_IF_ERROR(src.DeviceToHost(data_));
  } else if (dtype_ == DataType::kString) {
    const std::string* in = static_cast<const std::string*>(src.data_);
    std::string* out = static_cast<std::string*>(data_);
    for (int64_t i = 0; i < NumElements(); ++i) out[i] = in[i];
  } else if (ByteSize()) {
    std::memcpy(data_, src.data_, ByteSize());
  }
  return Status::Ok();
}

Status Tensor::CopyFromBytes(const void* src, size_t bytes) {
  if (dtype_ == DataType::kString)
    return Status::InvalidArgument("tensor '" + name_ + "': string tensors have no byte form; use CopyFrom");
  if (bytes != ByteSize())
    return Status::InvalidArgument("tensor '" + name_ + "': " + std::to_string(bytes) + " bytes for " +
                                   std::to_string(ByteSize()) + " expected");
  if (!data_ && bytes) PL_RETURN_IF_ERROR(Allocate(dtype_));
  if (bytes) std::memcpy(data_, src, bytes);
  return Status::Ok();
}

StatusOr<Tensor> Tensor::Sequence(DataType elem_type, std::vector<Tensor> elements, std::string name) {
  for (size_t i = 0; i < elements.size(); ++i) {
    Tensor& e = elements[i];
    if (!e.is_tensor())
      return Status::InvalidArgument("sequence '" + name + "': element " + std::to_string(i) + " is not a tensor");
    if (e.dtype() != elem_type)
      return Status::InvalidArgument("sequence '" + name + "': element " + std::to_string(i) + " is " +
                                     DataTypeName(e.dtype()) + ", the sequence holds " + DataTypeName(elem_type));
    if (!e.owns_data() || !e.device().is_host()) {
      PL_ASSIGN_OR_RETURN(Tensor c, e.Clone());
      e = std::move(c);
    }
  }
  Tensor t;
  t.name_ = std::move(name);
  t.dtype_ = elem_type;
  t.shape_ = {0};
  t.kind_ = ValueKind::kSequence;
  t.elements_ = std::make_shared<const std::vector<Tensor>>(std::move(elements));
  return t;
}

Tensor Tensor::None(DataType elem_type, std::string name) {
  Tensor t;
  t.name_ = std::move(name);
  t.dtype_ = elem_type;
  t.shape_ = {0};
  t.kind_ = ValueKind::kNone;
  return t;
}

const std::vector<Tensor>& Tensor::elements() const {
  static const std::vector<Tensor> kEmpty;
  return elements_ ? *elements_ : kEmpty;
}

}  // namespace pl
