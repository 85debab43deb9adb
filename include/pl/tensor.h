// Tensor: a named, typed, shaped buffer on a device. Either owns its memory (shared by copies of
// the Tensor object, like a shared_ptr) or is a zero-copy view over memory somebody else owns.
// Thread-safety: a Tensor object is not synchronized; distinct objects may be used concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "pl/status.h"

namespace pl {

// Numbered as ONNX's TensorProto.DataType so conversion is the identity.
enum class DataType : int {
  kUndefined = 0,
  kFloat32 = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,  // elements are owned std::string objects (see Tensor: no raw bytes, never in the arena)
  kBool = 9,
  kFloat16 = 10,
  kFloat64 = 11,
  kUint32 = 12,
  kUint64 = 13,
  kBFloat16 = 16,  // storage: BFloat16 below
};

size_t DataTypeSize(DataType t);       // 0 for undefined/string (strings have no byte form)
const char* DataTypeName(DataType t);  // "float32", "int64", ...

// bfloat16 element: the upper 16 bits of an IEEE float32. FromFloat rounds to nearest even (as
// ONNX's helper does); every NaN becomes the quiet NaN 0x7fc0.
struct BFloat16 {
  uint16_t bits = 0;
  static BFloat16 FromFloat(float f);
  float ToFloat() const;
};

template <typename T> struct DataTypeOf;
template <> struct DataTypeOf<float> { static constexpr DataType value = DataType::kFloat32; };
template <> struct DataTypeOf<double> { static constexpr DataType value = DataType::kFloat64; };
template <> struct DataTypeOf<int64_t> { static constexpr DataType value = DataType::kInt64; };
template <> struct DataTypeOf<int32_t> { static constexpr DataType value = DataType::kInt32; };
template <> struct DataTypeOf<int16_t> { static constexpr DataType value = DataType::kInt16; };
template <> struct DataTypeOf<int8_t> { static constexpr DataType value = DataType::kInt8; };
template <> struct DataTypeOf<uint8_t> { static constexpr DataType value = DataType::kUint8; };
template <> struct DataTypeOf<uint16_t> { static constexpr DataType value = DataType::kUint16; };
template <> struct DataTypeOf<uint32_t> { static constexpr DataType value = DataType::kUint32; };
template <> struct DataTypeOf<uint64_t> { static constexpr DataType value = DataType::kUint64; };
template <> struct DataTypeOf<bool> { static constexpr DataType value = DataType::kBool; };
template <> struct DataTypeOf<BFloat16> { static constexpr DataType value = DataType::kBFloat16; };
template <> struct DataTypeOf<std::string> { static constexpr DataType value = DataType::kString; };

// kPlugin: a device of a user's backend plugin (and the test suite's simulated device).
enum class DeviceType { kCPU = 0, kCUDA = 1, kPlugin = 2 };
struct Device {
  DeviceType type = DeviceType::kCPU;
  int id = 0;
  static Device Cpu() { return {}; }
  static Device Cuda(int id) { return {DeviceType::kCUDA, id}; }
  bool is_host() const { return type == DeviceType::kCPU; }
  bool operator==(const Device& o) const { return type == o.type && id == o.id; }
  bool operator!=(const Device& o) const { return !(*this == o); }
};

// What a value holds: a tensor, an ONNX sequence of tensors, or an empty ONNX optional.
enum class ValueKind : uint8_t { kTensor = 0, kSequence = 1, kNone = 2 };

using Shape = std::vector<int64_t>;
// Number of elements, or -1 if a dim is negative or the product overflows int64.
int64_t ShapeNumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);  // "[1,3,640,640]"

// String tensors (kString) hold an array of constructed std::string elements: Data<std::string>()
// points at it, copies of the Tensor object share it, Clone() and CopyFrom() copy each element, and
// a view (Wrap/ShareExternalData) points at a caller's std::string array. ByteSize() is 0 for them.
class Tensor {
 public:
  Tensor() = default;

  // Allocates uninitialized, 64-byte aligned host memory. Errors: bad shape, out of memory.
  static StatusOr<Tensor> Create(DataType dtype, Shape shape, std::string name = "");
  // Zero-copy view: the caller keeps `data` alive and unchanged while the tensor is used.
  static Tensor Wrap(DataType dtype, Shape shape, void* data, Device device = Device::Cpu(),
                     std::string name = "");
  // Owned memory on any device: `buffer` holds at least dtype x shape bytes (device memory from a
  // DeviceBackend, say); copies of the Tensor share it.
  static Tensor FromBuffer(DataType dtype, Shape shape, std::shared_ptr<void> buffer, size_t capacity,
                           Device device, std::string name = "");
  template <typename T>
  static StatusOr<Tensor> FromVector(Shape shape, const std::vector<T>& values, std::string name = "");
  static StatusOr<Tensor> FromVector(Shape shape, const std::vector<bool>& values, std::string name = "");
  static StatusOr<Tensor> FromVector(Shape shape, const std::vector<std::string>& values, std::string name = "");

  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t rank() const { return static_cast<int64_t>(shape_.size()); }
  int64_t dim(int i) const { return shape_[i]; }
  int64_t NumElements() const { return ShapeNumElements(shape_); }
  size_t ByteSize() const;
  Device device() const { return device_; }
  // True when no memory is attached yet (default-constructed, or Reshape'd but not filled).
  bool empty() const { return data_ == nullptr && NumElements() != 0; }
  bool owns_data() const { return buffer_ != nullptr; }

  const void* RawData() const { return data_; }
  void* RawMutableData() { return data_; }
  template <typename T> const T* Data() const { return static_cast<const T*>(data_); }
  template <typename T> T* MutableData() { return static_cast<T*>(data_); }

  // --- Input-handle style use (Paddle Inference's Reshape / CopyFromCpu / CopyToCpu). ---
  // Sets the shape; memory is (re)allocated by the next CopyFromCpu / Allocate.
  Status Reshape(const Shape& shape);
  // Makes sure owned host memory for dtype x shape is attached (reuses it if large enough).
  Status Allocate(DataType dtype);
  // Copies NumElements() values of T from `src`; sets dtype to T. Reshape first.
  template <typename T> Status CopyFromCpu(const T* src);
  // Copies NumElements() values to `dst` (from the device for a device tensor); errors if T is not
  // the tensor's dtype.
  template <typename T> Status CopyToCpu(T* dst) const;
  // Attaches caller memory without a copy (zero-copy input); caller keeps it alive until Run returns.
  Status ShareExternalData(void* data, DataType dtype, const Shape& shape);
  // Same, for memory on a device (a CUDA pointer): a predictor whose first node runs on that
  // device reads it in place, without a copy.
  Status ShareExternalData(void* data, DataType dtype, const Shape& shape, Device device);
  // Deep copy into fresh owned host memory (device tensors come back to the host).
  StatusOr<Tensor> Clone() const;
  // Makes this tensor hold a copy of src's dtype, shape and elements in its own host memory
  // (reused when large enough and not shared). Keeps this tensor's name.
  Status CopyFrom(const Tensor& src);
  // Copies raw bytes in; sizes must match ByteSize().
  Status CopyFromBytes(const void* src, size_t bytes);

  // --- ONNX sequences and optionals (Sequence* / Optional* ops, carried through If/Loop/Scan). ---
  // A sequence is an ordered list of host tensors of one dtype: dtype() is the element type,
  // shape() is {0} and it has no memory of its own; its elements are owned tensors that copies of
  // the object share read-only (Clone() copies them). An empty optional is kind kNone (dtype: the
  // element type, or kUndefined); an optional that holds a value is that value itself.
  // Sequence(): element dtypes must all be elem_type; elements that do not own their memory
  // (views, device tensors) are copied into owned host memory.
  static StatusOr<Tensor> Sequence(DataType elem_type, std::vector<Tensor> elements, std::string name = "");
  static Tensor None(DataType elem_type, std::string name = "");
  ValueKind kind() const { return kind_; }
  bool is_tensor() const { return kind_ == ValueKind::kTensor; }
  bool is_sequence() const { return kind_ == ValueKind::kSequence; }
  bool is_none() const { return kind_ == ValueKind::kNone; }
  // A sequence's elements (empty for anything else).
  const std::vector<Tensor>& elements() const;

 private:
  Status CheckCopy(DataType want, bool to_cpu) const;
  Status DeviceToHost(void* dst) const;  // ByteSize() bytes from device memory (DeviceBackend)
  std::string name_;
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
  Device device_;
  void* data_ = nullptr;
  size_t capacity_ = 0;              // bytes usable at data_ (owned buffers)
  std::shared_ptr<void> buffer_;     // null for views
  ValueKind kind_ = ValueKind::kTensor;
  std::shared_ptr<const std::vector<Tensor>> elements_;  // kSequence only
};

// ----- template implementations -----
template <typename T>
StatusOr<Tensor> Tensor::FromVector(Shape shape, const std::vector<T>& values, std::string name) {
  if (ShapeNumElements(shape) != static_cast<int64_t>(values.size()))
    return Status::InvalidArgument("Tensor::FromVector: " + std::to_string(values.size()) +
                                   " values for shape " + ShapeToString(shape));
  PL_ASSIGN_OR_RETURN(Tensor t, Create(DataTypeOf<T>::value, std::move(shape), std::move(name)));
  if constexpr (std::is_same_v<T, std::string>) {
    for (size_t i = 0; i < values.size(); ++i) static_cast<std::string*>(t.data_)[i] = values[i];
  } else {
    if (!values.empty()) std::memcpy(t.data_, values.data(), values.size() * sizeof(T));
  }
  return t;
}

template <typename T>
Status Tensor::CopyFromCpu(const T* src) {
  if (src == nullptr && NumElements() > 0) return Status::InvalidArgument("tensor '" + name_ + "': CopyFromCpu from null");
  PL_RETURN_IF_ERROR(Allocate(DataTypeOf<T>::value));
  if constexpr (std::is_same_v<T, std::string>) {
    for (int64_t i = 0; i < NumElements(); ++i) static_cast<std::string*>(data_)[i] = src[i];
  } else {
    if (NumElements() > 0) std::memcpy(data_, src, ByteSize());
  }
  return Status::Ok();
}

template <typename T>
Status Tensor::CopyToCpu(T* dst) const {
  PL_RETURN_IF_ERROR(CheckCopy(DataTypeOf<T>::value, true));
  if (device_.type != DeviceType::kCPU) return DeviceToHost(dst);
  if constexpr (std::is_same_v<T, std::string>) {
    for (int64_t i = 0; i < NumElements(); ++i) dst[i] = static_cast<const std::string*>(data_)[i];
  } else {
    if (NumElements() > 0) std::memcpy(dst, data_, ByteSize());
  }
  return Status::Ok();
}

}  // namespace pl
