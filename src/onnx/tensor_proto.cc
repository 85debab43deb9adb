#include "src/onnx/tensor_proto.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace pl::onnx_io {
namespace {

template <typename Dst, typename Src>
void CopyField(const Src& field, Tensor* t) {
  Dst* d = t->MutableData<Dst>();
  for (int i = 0; i < field.size(); ++i) d[i] = static_cast<Dst>(field.Get(i));
}

bool SafeRelativePath(const std::string& p) {
  if (p.empty() || p[0] == '/') return false;
  std::stringstream ss(p);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (part == "..") return false;
  return true;
}

Status ReadExternal(const onnx::TensorProto& proto, const std::string& base_dir, Tensor* t) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") offset = std::atoll(kv.value().c_str());
    else if (kv.key() == "length") length = std::atoll(kv.value().c_str());
  }
  const std::string what = "initializer '" + proto.name() + "'";
  if (!SafeRelativePath(location))
    return Status::ModelError(what + ": external data location '" + location +
                              "' must be a relative path inside the model directory");
  std::string path = (base_dir.empty() ? std::string(".") : base_dir) + "/" + location;
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound(what + ": cannot open external data file '" + path + "'");
  size_t need = t->ByteSize();
  if (length >= 0 && static_cast<size_t>(length) != need)
    return Status::ModelError(what + ": external length " + std::to_string(length) + " bytes, dims need " +
                              std::to_string(need));
  f.seekg(0, std::ios::end);
  int64_t file_size = f.tellg();
  if (offset < 0 || offset + static_cast<int64_t>(need) > file_size)
    return Status::ModelError(what + ": external data [" + std::to_string(offset) + ", +" +
                              std::to_string(need) + ") is outside '" + path + "'");
  f.seekg(offset);
  f.read(static_cast<char*>(t->RawMutableData()), need);
  if (!f) return Status::ModelError(what + ": short read from '" + path + "'");
  return Status::Ok();
}

}  // namespace

StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir) {
  const std::string what = "tensor '" + proto.name() + "'";
  DataType dt = static_cast<DataType>(proto.data_type());
  if (DataTypeSize(dt) == 0 && dt != DataType::kString)
    return Status::Unimplemented(what + ": unsupported data type " + std::to_string(proto.data_type()));
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape)
    if (d < 0) return Status::ModelError(what + ": negative dim " + ShapeToString(shape));
  if (ShapeNumElements(shape) < 0) return Status::ModelError(what + ": dims overflow " + ShapeToString(shape));
  PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dt, shape, proto.name()));
  const size_t bytes = t.ByteSize();
  const int64_t n = t.NumElements();
  if (dt == DataType::kString) {  // string_data only: ONNX has no raw or external form for strings
    if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.has_raw_data())
      return Status::ModelError(what + ": string tensors must use string_data");
    if (proto.string_data_size() != n)
      return Status::ModelError(what + ": " + std::to_string(proto.string_data_size()) + " strings for dims " +
                                ShapeToString(shape));
    std::string* d = t.MutableData<std::string>();
    for (int64_t i = 0; i < n; ++i) d[i] = proto.string_data(static_cast<int>(i));
    return t;
  }

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    PL_RETURN_IF_ERROR(ReadExternal(proto, base_dir, &t));
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return Status::ModelError(what + ": raw_data has " + std::to_string(proto.raw_data().size()) +
                                " bytes, dims " + ShapeToString(shape) + " need " + std::to_string(bytes));
    if (bytes) std::memcpy(t.RawMutableData(), proto.raw_data().data(), bytes);
    return t;
  }
  auto check = [&](int64_t have) -> Status {
    if (have != n)
      return Status::ModelError(what + ": " + std::to_string(have) + " values for dims " + ShapeToString(shape));
    return Status::Ok();
  };
  switch (dt) {
    case DataType::kFloat32:
      PL_RETURN_IF_ERROR(check(proto.float_data_size()));
      CopyField<float>(proto.float_data(), &t);
      break;
    case DataType::kFloat64:
      PL_RETURN_IF_ERROR(check(proto.double_data_size()));
      CopyField<double>(proto.double_data(), &t);
      break;
    case DataType::kInt64:
      PL_RETURN_IF_ERROR(check(proto.int64_data_size()));
      CopyField<int64_t>(proto.int64_data(), &t);
      break;
    case DataType::kUint32: case DataType::kUint64:
      PL_RETURN_IF_ERROR(check(proto.uint64_data_size()));
      if (dt == DataType::kUint32) CopyField<uint32_t>(proto.uint64_data(), &t);
      else CopyField<uint64_t>(proto.uint64_data(), &t);
      break;
    case DataType::kInt32: PL_RETURN_IF_ERROR(check(proto.int32_data_size())); CopyField<int32_t>(proto.int32_data(), &t); break;
    case DataType::kInt16: PL_RETURN_IF_ERROR(check(proto.int32_data_size())); CopyField<int16_t>(proto.int32_data(), &t); break;
    case DataType::kInt8: PL_RETURN_IF_ERROR(check(proto.int32_data_size())); CopyField<int8_t>(proto.int32_data(), &t); break;
    case DataType::kUint16: case DataType::kFloat16: case DataType::kBFloat16:
      PL_RETURN_IF_ERROR(check(proto.int32_data_size())); CopyField<uint16_t>(proto.int32_data(), &t); break;
    case DataType::kUint8: PL_RETURN_IF_ERROR(check(proto.int32_data_size())); CopyField<uint8_t>(proto.int32_data(), &t); break;
    case DataType::kBool: PL_RETURN_IF_ERROR(check(proto.int32_data_size())); CopyField<bool>(proto.int32_data(), &t); break;
    default:
      return Status::Unimplemented(what + ": unsupported data type " + DataTypeName(dt));
  }
  return t;
}

Status TensorToProto(const Tensor& tensor, onnx::TensorProto* proto) {
  if (tensor.device().type != DeviceType::kCPU) return Status::InvalidArgument("TensorToProto: device tensor");
  proto->Clear();
  proto->set_name(tensor.name());
  proto->set_data_type(static_cast<int>(tensor.dtype()));
  for (int64_t d : tensor.shape()) proto->add_dims(d);
  if (tensor.dtype() == DataType::kString) {
    const std::string* d = tensor.Data<std::string>();
    for (int64_t i = 0; i < tensor.NumElements(); ++i) proto->add_string_data(d[i]);
    return Status::Ok();
  }
  proto->set_raw_data(tensor.RawData(), tensor.ByteSize());
  return Status::Ok();
}

StatusOr<Tensor> ReadTensorProtoFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  onnx::TensorProto proto;
  if (!proto.ParseFromString(ss.str())) return Status::InvalidArgument("'" + path + "' is not a TensorProto");
  return TensorFromProto(proto, "");
}

Status WriteTensorProtoFile(const Tensor& tensor, const std::string& path) {
  onnx::TensorProto proto;
  PL_RETURN_IF_ERROR(TensorToProto(tensor, &proto));
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot write '" + path + "'");
  if (!proto.SerializeToOstream(&f)) return Status::Internal("write to '" + path + "' failed");
  return Status::Ok();
}

namespace {
struct NpyType { const char* descr; DataType dt; };
const NpyType kNpyTypes[] = {
    {"<f4", DataType::kFloat32}, {"<f8", DataType::kFloat64}, {"<i8", DataType::kInt64},
    {"<i4", DataType::kInt32},   {"<i2", DataType::kInt16},   {"|i1", DataType::kInt8},
    {"|u1", DataType::kUint8},   {"|b1", DataType::kBool},    {"<u2", DataType::kUint16},
    {"<u4", DataType::kUint32},  {"<u8", DataType::kUint64},  {"<f2", DataType::kFloat16},
};
}  // namespace

bool NpyHolds(DataType dtype) {
  for (const auto& t : kNpyTypes)
    if (t.dt == dtype) return true;
  return false;
}

StatusOr<Tensor> ReadNpyFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot open '" + path + "'");
  char magic[8];
  f.read(magic, 8);
  if (!f || std::memcmp(magic, "\x93NUMPY", 6) != 0) return Status::InvalidArgument("'" + path + "' is not a .npy file");
  uint32_t hlen = 0;
  if (magic[6] == 1) {
    unsigned char b[2];
    f.read(reinterpret_cast<char*>(b), 2);
    hlen = b[0] | (b[1] << 8);
  } else {
    unsigned char b[4];
    f.read(reinterpret_cast<char*>(b), 4);
    hlen = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  }
  if (!f || hlen > (1u << 20)) return Status::InvalidArgument("'" + path + "': bad .npy header");
  std::string header(hlen, '\0');
  f.read(&header[0], hlen);
  if (!f) return Status::InvalidArgument("'" + path + "': truncated .npy header");
  auto field = [&](const std::string& key) -> std::string {
    size_t p = header.find("'" + key + "'");
    if (p == std::string::npos) return "";
    p = header.find(':', p);
    return p == std::string::npos ? "" : header.substr(p + 1);
  };
  std::string descr = field("descr");
  DataType dt = DataType::kUndefined;
  for (const auto& t : kNpyTypes)
    if (descr.find(std::string("'") + t.descr + "'") != std::string::npos) dt = t.dt;
  if (dt == DataType::kUndefined) return Status::Unimplemented("'" + path + "': unsupported npy dtype " + descr.substr(0, 12));
  if (field("fortran_order").find("True") < field("fortran_order").find(','))
    return Status::Unimplemented("'" + path + "': Fortran-order arrays are not supported");
  std::string sh = field("shape");
  size_t lp = sh.find('('), rp = sh.find(')');
  if (lp == std::string::npos || rp == std::string::npos) return Status::InvalidArgument("'" + path + "': bad shape");
  Shape shape;
  std::stringstream ss(sh.substr(lp + 1, rp - lp - 1));
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    if (tok.find_first_not_of(" ") == std::string::npos) continue;
    shape.push_back(std::atoll(tok.c_str()));
  }
  PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dt, shape));
  f.read(static_cast<char*>(t.RawMutableData()), t.ByteSize());
  if (!f) return Status::InvalidArgument("'" + path + "': data shorter than shape " + ShapeToString(shape));
  return t;
}

Status WriteNpyFile(const Tensor& tensor, const std::string& path) {
  const char* descr = nullptr;
  for (const auto& t : kNpyTypes)
    if (t.dt == tensor.dtype()) descr = t.descr;
  if (!descr) return Status::Unimplemented(std::string("cannot write dtype ") + DataTypeName(tensor.dtype()) + " to .npy");
  std::string shape = "(";
  for (size_t i = 0; i < tensor.shape().size(); ++i) shape += std::to_string(tensor.shape()[i]) + (tensor.shape().size() == 1 ? "," : (i + 1 < tensor.shape().size() ? ", " : ""));
  shape += ")";
  std::string header = std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot write '" + path + "'");
  f.write("\x93NUMPY\x01\x00", 8);
  uint16_t hl = static_cast<uint16_t>(header.size());
  char hb[2] = {static_cast<char>(hl & 0xff), static_cast<char>(hl >> 8)};
  f.write(hb, 2);
  f.write(header.data(), header.size());
  f.write(static_cast<const char*>(tensor.RawData()), tensor.ByteSize());
  if (!f) return Status::Internal("write to '" + path + "' failed");
  return Status::Ok();
}

}  // namespace pl::onnx_io
