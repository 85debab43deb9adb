// paddle_infer::Tensor -> the native predictor's input/output pl::Tensor.
#include <glog/logging.h>

#include "paddle_like/paddle_inference_api.h"
#include "pl/predictor.h"

namespace paddle_infer {
namespace {

pl::Shape ToShape(const std::vector<int>& s) { return pl::Shape(s.begin(), s.end()); }

DataType FromNative(pl::DataType t) {
  switch (t) {
    case pl::DataType::kFloat64: return FLOAT64;
    case pl::DataType::kInt64: return INT64;
    case pl::DataType::kInt32: return INT32;
    case pl::DataType::kUint8: return UINT8;
    case pl::DataType::kInt8: return INT8;
    case pl::DataType::kFloat16: return FLOAT16;
    case pl::DataType::kBool: return BOOL;
    default: return FLOAT32;
  }
}

}  // namespace

// The native tensor behind a handle: an input for writing, either for reading. Logs and
// returns nullptr when the handle names nothing.
static pl::Tensor* Writable(pl::Predictor* p, int index, bool is_input, const std::string& name, const char* what) {
  if (!p || index < 0) {
    LOG(ERROR) << "paddle_like: Tensor::" << what << ": the model has no input or output named '" << name << "'";
    return nullptr;
  }
  if (!is_input) {
    LOG(ERROR) << "paddle_like: Tensor::" << what << ": '" << name << "' is an output, which is read-only";
    return nullptr;
  }
  auto t = p->Input(index);
  if (!t.ok()) {
    LOG(ERROR) << "paddle_like: Tensor::" << what << ": " << t.status().ToString();
    return nullptr;
  }
  return *t;
}

static const pl::Tensor* Readable(pl::Predictor* p, int index, bool is_input, const std::string& name,
                                  const char* what) {
  if (!p || index < 0) {
    LOG(ERROR) << "paddle_like: Tensor::" << what << ": the model has no input or output named '" << name << "'";
    return nullptr;
  }
  if (is_input) {
    auto t = p->Input(index);
    return t.ok() ? *t : nullptr;
  }
  auto t = p->Output(index);
  if (!t.ok()) {
    LOG(ERROR) << "paddle_like: Tensor::" << what << ": " << t.status().ToString();
    return nullptr;
  }
  return *t;
}

void Tensor::Reshape(const std::vector<int>& shape) {
  pl::Tensor* t = Writable(predictor_, index_, is_input_, name_, "Reshape");
  if (!t) return;
  pl::Status s = t->Reshape(ToShape(shape));
  if (!s.ok()) LOG(ERROR) << "paddle_like: Tensor::Reshape('" << name_ << "'): " << s.ToString();
}

template <typename T>
T* Tensor::mutable_data(PlaceType place) {
  if (place != PlaceType::kCPU) {
    LOG(ERROR) << "paddle_like: Tensor::mutable_data('" << name_ << "'): only PlaceType::kCPU buffers are handed out";
    return nullptr;
  }
  pl::Tensor* t = Writable(predictor_, index_, is_input_, name_, "mutable_data");
  if (!t) return nullptr;
  pl::Status s = t->Allocate(pl::DataTypeOf<T>::value);
  if (!s.ok()) {
    LOG(ERROR) << "paddle_like: Tensor::mutable_data('" << name_ << "'): " << s.ToString();
    return nullptr;
  }
  return t->MutableData<T>();
}

template <typename T>
T* Tensor::data(PlaceType* place, int* size) const {
  const pl::Tensor* t = Readable(predictor_, index_, is_input_, name_, "data");
  if (!t) return nullptr;
  if (t->dtype() != pl::DataTypeOf<T>::value) {
    LOG(ERROR) << "paddle_like: Tensor::data('" << name_ << "'): tensor is " << pl::DataTypeName(t->dtype())
               << ", asked for " << pl::DataTypeName(pl::DataTypeOf<T>::value);
    return nullptr;
  }
  if (place) *place = PlaceType::kCPU;
  if (size) *size = static_cast<int>(t->NumElements());
  return const_cast<T*>(t->Data<T>());
}

template <typename T>
void Tensor::CopyFromCpu(const T* data) {
  pl::Tensor* t = Writable(predictor_, index_, is_input_, name_, "CopyFromCpu");
  if (!t) return;
  pl::Status s = t->CopyFromCpu<T>(data);
  if (!s.ok()) LOG(ERROR) << "paddle_like: Tensor::CopyFromCpu('" << name_ << "'): " << s.ToString();
}

template <typename T>
void Tensor::CopyToCpu(T* data) const {
  const pl::Tensor* t = Readable(predictor_, index_, is_input_, name_, "CopyToCpu");
  if (!t) return;
  pl::Status s = t->CopyToCpu<T>(data);
  if (!s.ok()) LOG(ERROR) << "paddle_like: Tensor::CopyToCpu('" << name_ << "'): " << s.ToString();
}

template <typename T>
void Tensor::ShareExternalData(const T* data, const std::vector<int>& shape, PlaceType place, DataLayout layout) {
  (void)layout;
  if (place != PlaceType::kCPU) {
    LOG(ERROR) << "paddle_like: Tensor::ShareExternalData('" << name_ << "'): only host memory can be shared";
    return;
  }
  pl::Tensor* t = Writable(predictor_, index_, is_input_, name_, "ShareExternalData");
  if (!t) return;
  pl::Status s = t->ShareExternalData(const_cast<T*>(data), pl::DataTypeOf<T>::value, ToShape(shape));
  if (!s.ok()) LOG(ERROR) << "paddle_like: Tensor::ShareExternalData('" << name_ << "'): " << s.ToString();
}

std::vector<int> Tensor::shape() const {
  const pl::Tensor* t = Readable(predictor_, index_, is_input_, name_, "shape");
  if (!t) return {};
  return std::vector<int>(t->shape().begin(), t->shape().end());
}

DataType Tensor::type() const {
  const pl::Tensor* t = Readable(predictor_, index_, is_input_, name_, "type");
  return t ? FromNative(t->dtype()) : FLOAT32;
}

#define PL_PADDLE_TENSOR_INSTANTIATE(T)                                                            \
  template T* Tensor::mutable_data<T>(PlaceType);                                                  \
  template T* Tensor::data<T>(PlaceType*, int*) const;                                             \
  template void Tensor::CopyFromCpu<T>(const T*);                                                  \
  template void Tensor::CopyToCpu<T>(T*) const;                                                    \
  template void Tensor::ShareExternalData<T>(const T*, const std::vector<int>&, PlaceType, DataLayout);

PL_PADDLE_TENSOR_INSTANTIATE(float)
PL_PADDLE_TENSOR_INSTANTIATE(double)
PL_PADDLE_TENSOR_INSTANTIATE(int64_t)
PL_PADDLE_TENSOR_INSTANTIATE(int32_t)
PL_PADDLE_TENSOR_INSTANTIATE(uint8_t)
PL_PADDLE_TENSOR_INSTANTIATE(int8_t)
PL_PADDLE_TENSOR_INSTANTIATE(bool)
#undef PL_PADDLE_TENSOR_INSTANTIATE

}  // namespace paddle_infer
