#include "src/onnx/tensor_proto.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
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

// External data: a safe relative location, a file that holds `need` bytes at the offset, a
// length (when given) equal to `need`. Checked before anything is allocated from the dims.
Status CheckExternal(const onnx::TensorProto& proto, const std::string& base_dir, size_t need, std::string* path,
                     int64_t* offset) {
  std::string location;
  int64_t length = -1;
  *offset = 0;
  for (const auto& kv : proto.external_data()) {
    if (kv.key() == "location") location = kv.value();
    else if (kv.key() == "offset") *offset = std::atoll(kv.value().c_str());
    else if (kv.key() == "length") length = std::atoll(kv.value().c_str());
  }
  const std::string what = "initializer '" + proto.name() + "'";
  if (!SafeRelativePath(location))
    return Status::ModelError(what + ": external data location '" + location +
                              "' must be a relative path inside the model directory");
  *path = (base_dir.empty() ? std::string(".") : base_dir) + "/" + location;
  std::ifstream f(*path, std::ios::binary | std::ios::ate);
  if (!f) return Status::NotFound(what + ": cannot open external data file '" + *path + "'");
  if (length >= 0 && static_cast<size_t>(length) != need)
    return Status::ModelError(what + ": external length " + std::to_string(length) + " bytes, dims need " +
                              std::to_string(need));
  const int64_t file_size = f.tellg();
  if (*offset < 0 || *offset > file_size || static_cast<int64_t>(need) > file_size - *offset)
    return Status::ModelError(what + ": external data [" + std::to_string(*offset) + ", +" + std::to_string(need) +
                              ") is outside '" + *path + "'");
  return Status::Ok();
}

// bool read from raw bytes: any non-zero byte is true (a C++ bool must hold 0 or 1).
void NormalizeBools(Tensor* t) {
  if (t->dtype() != DataType::kBool) return;
  auto* b = static_cast<uint8_t*>(t->RawMutableData());
  for (int64_t i = 0; i < t->NumElements(); ++i) b[i] = b[i] != 0;
}

Status ReadExternal(const onnx::TensorProto& proto, const std::string& base_dir, Tensor* t) {
  std::string path;
  int64_t offset = 0;
  const size_t need = t->ByteSize();
  PL_RETURN_IF_ERROR(CheckExternal(proto, base_dir, need, &path, &offset));
  std::ifstream f(path, std::ios::binary);
  f.seekg(offset);
  f.read(static_cast<char*>(t->RawMutableData()), need);
  if (!f) return Status::ModelError("initializer '" + proto.name() + "': short read from '" + path + "'");
  NormalizeBools(t);
  return Status::Ok();
}

// Values in the typed field that `dt` reads (raw_data aside).
int64_t ValueCount(const onnx::TensorProto& proto, DataType dt) {
  switch (dt) {
    case DataType::kFloat32: return proto.float_data_size();
    case DataType::kFloat64: return proto.double_data_size();
    case DataType::kInt64: return proto.int64_data_size();
    case DataType::kUint32: case DataType::kUint64: return proto.uint64_data_size();
    default: return proto.int32_data_size();
  }
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
  const int64_t n = ShapeNumElements(shape);
  if (dt == DataType::kString) {  // string_data only: ONNX has no raw or external form for strings
    if (n < 0) return Status::ModelError(what + ": dims overflow " + ShapeToString(shape));
    if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.has_raw_data())
      return Status::ModelError(what + ": string tensors must use string_data");
    if (proto.string_data_size() != n)  // checked before allocating from the dims
      return Status::ModelError(what + ": " + std::to_string(proto.string_data_size()) + " strings for dims " +
                                ShapeToString(shape));
    PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dt, shape, proto.name()));
    std::string* d = t.MutableData<std::string>();
    for (int64_t i = 0; i < n; ++i) d[i] = proto.string_data(static_cast<int>(i));
    return t;
  }
  if (n < 0 || n > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(DataTypeSize(dt)))
    return Status::ModelError(what + ": dims overflow " + ShapeToString(shape));
  const size_t bytes = static_cast<size_t>(n) * DataTypeSize(dt);
  // The data must be there before anything is allocated from the dims: a few bytes of hostile
  // protobuf must not be able to ask for terabytes.
  if (proto.data_location() != onnx::TensorProto::EXTERNAL) {
    if (proto.has_raw_data() && proto.raw_data().size() != bytes)
      return Status::ModelError(what + ": raw_data has " + std::to_string(proto.raw_data().size()) +
                                " bytes, dims " + ShapeToString(shape) + " need " + std::to_string(bytes));
    if (!proto.has_raw_data() && ValueCount(proto, dt) != n)
      return Status::ModelError(what + ": " + std::to_string(ValueCount(proto, dt)) + " values for dims " +
                                ShapeToString(shape));
  } else {
    std::string path;
    int64_t offset = 0;
    PL_RETURN_IF_ERROR(CheckExternal(proto, base_dir, bytes, &path, &offset));
  }
  PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dt, shape, proto.name()));

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    PL_RETURN_IF_ERROR(ReadExternal(proto, base_dir, &t));
    return t;
  }
  if (proto.has_raw_data()) {
    if (proto.raw_data().size() != bytes)
      return Status::ModelError(what + ": raw_data has " + std::to_string(proto.raw_data().size()) +
                                " bytes, dims " + ShapeToString(shape) + " need " + std::to_string(bytes));
    if (bytes) std::memcpy(t.RawMutableData(), proto.raw_data().data(), bytes);
    NormalizeBools(&t);
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

namespace {
StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status::NotFound("cannot open '" + path + "'");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}
}  // namespace

StatusOr<Tensor> ParseTensorProto(const std::string& bytes, const std::string& what) {
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes)) return Status::InvalidArgument("'" + what + "' is not a TensorProto");
  auto t = TensorFromProto(proto, "");
  if (!t.ok()) return Status::InvalidArgument("'" + what + "': " + t.status().message());
  return t;
}

StatusOr<Tensor> ReadTensorProtoFile(const std::string& path) {
  PL_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  return ParseTensorProto(bytes, path);
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

StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& what) {
  const std::string where = "'" + what + "'";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), "\x93NUMPY", 6) != 0)
    return Status::InvalidArgument(where + " is not a .npy file");
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  const int major = b[6];
  if (major != 1 && major != 2 && major != 3)
    return Status::InvalidArgument(where + ": unsupported .npy version " + std::to_string(major));
  size_t pos = major == 1 ? 10 : 12;
  if (bytes.size() < pos) return Status::InvalidArgument(where + ": truncated .npy header");
  uint32_t hlen = major == 1 ? (b[8] | (b[9] << 8))
                             : (b[8] | (b[9] << 8) | (b[10] << 16) | (static_cast<uint32_t>(b[11]) << 24));
  if (hlen > (1u << 20)) return Status::InvalidArgument(where + ": bad .npy header length " + std::to_string(hlen));
  if (bytes.size() - pos < hlen) return Status::InvalidArgument(where + ": truncated .npy header");
  const std::string header = bytes.substr(pos, hlen);
  pos += hlen;
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
  if (dt == DataType::kUndefined) return Status::Unimplemented(where + ": unsupported npy dtype " + descr.substr(0, 12));
  const std::string fortran = field("fortran_order");
  if (fortran.find("True") < fortran.find(','))
    return Status::Unimplemented(where + ": Fortran-order arrays are not supported");
  std::string sh = field("shape");
  size_t lp = sh.find('('), rp = sh.find(')');
  if (lp == std::string::npos || rp == std::string::npos || rp < lp) return Status::InvalidArgument(where + ": bad shape");
  Shape shape;
  std::stringstream ss(sh.substr(lp + 1, rp - lp - 1));
  std::string tok;
  while (std::getline(ss, tok, ',')) {
    size_t a = tok.find_first_not_of(" "), e = tok.find_last_not_of(" ");
    if (a == std::string::npos) continue;
    tok = tok.substr(a, e - a + 1);
    if (tok.size() > 18 || tok.find_first_not_of("0123456789") != std::string::npos || shape.size() >= 32)
      return Status::InvalidArgument(where + ": bad shape " + sh.substr(lp, std::min<size_t>(rp - lp + 1, 64)));
    shape.push_back(std::stoll(tok));
  }
  // Sized from the bytes that are there, never from the header alone.
  const int64_t n = ShapeNumElements(shape);
  const int64_t elem = static_cast<int64_t>(DataTypeSize(dt));
  if (n < 0 || n > static_cast<int64_t>(bytes.size() - pos) / elem)
    return Status::InvalidArgument(where + ": data shorter than shape " + ShapeToString(shape));
  PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dt, shape));
  if (t.ByteSize()) std::memcpy(t.RawMutableData(), bytes.data() + pos, t.ByteSize());
  NormalizeBools(&t);
  return t;
}

StatusOr<Tensor> ReadNpyFile(const std::string& path) {
  PL_ASSIGN_OR_RETURN(std::string bytes, ReadWholeFile(path));
  return ParseNpy(bytes, path);
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
