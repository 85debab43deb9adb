#include "src/backends/cpu/ref/ref_util.h"

#include <cstring>

namespace pl::cpu_ref {

StatusOr<Shape> BroadcastShapes(const Shape& a, const Shape& b, const NodeInfo& node) {
  const size_t r = std::max(a.size(), b.size());
  Shape out(r);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da == db || db == 1) out[i] = da;
    else if (da == 1) out[i] = db;
    else
      return Status::InvalidArgument(node.Describe() + ": shapes " + ShapeToString(a) + " and " + ShapeToString(b) +
                                     " cannot be broadcast");
  }
  return out;
}

StatusOr<Shape> BroadcastShapes(const std::vector<const Shape*>& shapes, const NodeInfo& node) {
  Shape out;
  for (const Shape* s : shapes) {
    PL_ASSIGN_OR_RETURN(out, BroadcastShapes(out, *s, node));
  }
  return out;
}

std::vector<int64_t> BroadcastStrides(const Shape& in, const Shape& out) {
  const size_t r = out.size(), off = r - in.size();
  std::vector<int64_t> s(r, 0);
  int64_t stride = 1;
  for (int i = static_cast<int>(in.size()) - 1; i >= 0; --i) {
    s[i + off] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return s;
}

StatusOr<int64_t> NormalizeAxis(int64_t axis, int64_t rank, const NodeInfo& node, bool inclusive_end) {
  int64_t hi = inclusive_end ? rank + 1 : rank;
  if (axis < -hi || axis >= hi)
    return Status::InvalidArgument(node.Describe() + ": axis " + std::to_string(axis) + " out of range for rank " +
                                   std::to_string(rank));
  return axis < 0 ? axis + hi : axis;
}

int64_t ReadInt(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kInt32: return t.Data<int32_t>()[i];
    case DataType::kInt64: return t.Data<int64_t>()[i];
    default: return static_cast<int64_t>(ReadAsDouble(t, i));
  }
}

StatusOr<std::vector<int64_t>> ReadInts(const Tensor& t, const NodeInfo& node, const char* what) {
  if (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32)
    return Status::InvalidArgument(node.Describe() + ": " + what + " must be int64 or int32, got " + DataTypeName(t.dtype()));
  std::vector<int64_t> v(t.NumElements());
  for (int64_t i = 0; i < t.NumElements(); ++i) v[i] = ReadInt(t, i);
  return v;
}

double ReadAsDouble(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::kFloat32: return t.Data<float>()[i];
    case DataType::kFloat64: return t.Data<double>()[i];
    case DataType::kInt64: return static_cast<double>(t.Data<int64_t>()[i]);
    case DataType::kInt32: return t.Data<int32_t>()[i];
    case DataType::kInt16: return t.Data<int16_t>()[i];
    case DataType::kInt8: return t.Data<int8_t>()[i];
    case DataType::kUint8: return t.Data<uint8_t>()[i];
    case DataType::kUint16: return t.Data<uint16_t>()[i];
    case DataType::kUint32: return t.Data<uint32_t>()[i];
    case DataType::kUint64: return static_cast<double>(t.Data<uint64_t>()[i]);
    case DataType::kBool: return t.Data<bool>()[i] ? 1.0 : 0.0;
    default: return 0.0;
  }
}

void CopyElements(const Tensor& src, int64_t from, Tensor* dst, int64_t to, int64_t n) {
  if (n <= 0) return;
  if (src.dtype() == DataType::kString) {
    const std::string* in = src.Data<std::string>() + from;
    std::string* out = dst->MutableData<std::string>() + to;
    if (in == out) return;
    for (int64_t i = 0; i < n; ++i) out[i] = in[i];
    return;
  }
  const size_t esz = DataTypeSize(src.dtype());
  const char* in = static_cast<const char*>(src.RawData()) + from * esz;
  char* out = static_cast<char*>(dst->RawMutableData()) + to * esz;
  if (in != out) std::memmove(out, in, static_cast<size_t>(n) * esz);
}

}  // namespace pl::cpu_ref
