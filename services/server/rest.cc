#include "services/server/rest.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <future>
#include <sstream>

#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "services/server/infer_core.h"

namespace pl::server {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
using services::Clock;

HttpReply Error(int status, const std::string& msg) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("error");
  w.String(msg.c_str(), static_cast<rapidjson::SizeType>(msg.size()));
  w.EndObject();
  HttpReply r;
  r.status = status;
  r.body = sb.GetString();
  return r;
}

HttpReply Json(const rapidjson::StringBuffer& sb) {
  HttpReply r;
  r.body.assign(sb.GetString(), sb.GetSize());
  return r;
}

std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string p;
  while (std::getline(ss, p, '/'))
    if (!p.empty()) parts.push_back(p);
  return parts;
}

void WriteModelMetadata(Writer& w, const Model& m) {
  w.StartObject();
  w.Key("name");
  w.String(m.name.c_str());
  w.Key("versions");
  w.StartArray();
  w.String(m.version.c_str());
  w.EndArray();
  w.Key("platform");
  w.String("onnx");
  for (int io = 0; io < 2; ++io) {
    w.Key(io == 0 ? "inputs" : "outputs");
    w.StartArray();
    for (const auto& v : io == 0 ? m.inputs : m.outputs) {
      w.StartObject();
      w.Key("name");
      w.String(v.name.c_str());
      w.Key("datatype");
      w.String(KServeDatatype(v.dtype));
      w.Key("shape");
      w.StartArray();
      for (int64_t d : v.shape) w.Int64(d);
      w.EndArray();
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

// Flattens a (possibly nested) JSON array into t's elements.
template <typename T>
bool FillFromJson(const rapidjson::Value& v, T* out, int64_t n, int64_t* pos) {
  if (v.IsArray()) {
    for (const auto& e : v.GetArray())
      if (!FillFromJson(e, out, n, pos)) return false;
    return true;
  }
  if (*pos >= n) { ++*pos; return true; }  // counted, reported as a size mismatch
  if constexpr (std::is_same_v<T, std::string>) {
    if (!v.IsString()) return false;
    out[(*pos)++].assign(v.GetString(), v.GetStringLength());  // with its length: NULs and all
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!v.IsBool()) return false;
    out[(*pos)++] = v.GetBool();
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!v.IsNumber()) return false;
    out[(*pos)++] = static_cast<T>(v.GetDouble());
  } else {
    if (!v.IsInt64() && !v.IsUint64()) return false;
    out[(*pos)++] = v.IsInt64() ? static_cast<T>(v.GetInt64()) : static_cast<T>(v.GetUint64());
  }
  return true;
}

// Leaves of a (possibly nested) JSON array: the elements it carries.
int64_t CountJsonLeaves(const rapidjson::Value& v) {
  if (!v.IsArray()) return 1;
  int64_t n = 0;
  for (const auto& e : v.GetArray()) n += CountJsonLeaves(e);
  return n;
}

Status FillTensor(const rapidjson::Value& data, Tensor* t, const std::string& name) {
  int64_t pos = 0, n = t->NumElements();
  bool ok = false;
  void* p = t->RawMutableData();
  switch (t->dtype()) {
    case DataType::kFloat32: ok = FillFromJson(data, static_cast<float*>(p), n, &pos); break;
    case DataType::kFloat64: ok = FillFromJson(data, static_cast<double*>(p), n, &pos); break;
    case DataType::kInt64: ok = FillFromJson(data, static_cast<int64_t*>(p), n, &pos); break;
    case DataType::kInt32: ok = FillFromJson(data, static_cast<int32_t*>(p), n, &pos); break;
    case DataType::kInt16: ok = FillFromJson(data, static_cast<int16_t*>(p), n, &pos); break;
    case DataType::kInt8: ok = FillFromJson(data, static_cast<int8_t*>(p), n, &pos); break;
    case DataType::kUint8: ok = FillFromJson(data, static_cast<uint8_t*>(p), n, &pos); break;
    case DataType::kUint16: ok = FillFromJson(data, static_cast<uint16_t*>(p), n, &pos); break;
    case DataType::kUint32: ok = FillFromJson(data, static_cast<uint32_t*>(p), n, &pos); break;
    case DataType::kUint64: ok = FillFromJson(data, static_cast<uint64_t*>(p), n, &pos); break;
    case DataType::kBool: ok = FillFromJson(data, static_cast<bool*>(p), n, &pos); break;
    case DataType::kString: ok = FillFromJson(data, static_cast<std::string*>(p), n, &pos); break;
    default: return Status::InvalidArgument("input '" + name + "': datatype not supported in JSON");
  }
  if (!ok) return Status::InvalidArgument("input '" + name + "': data holds a value that is not " +
                                          (t->dtype() == DataType::kString ? std::string("a string (BYTES)")
                                                                           : std::string(KServeDatatype(t->dtype()))));
  if (pos != n)
    return Status::InvalidArgument("input '" + name + "': data has " + std::to_string(pos) +
                                   " elements, shape " + ShapeToString(t->shape()) + " needs " + std::to_string(n));
  return Status::Ok();
}

template <typename T>
void WriteValues(Writer& w, const T* v, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, bool>) w.Bool(v[i]);
    else if constexpr (std::is_floating_point_v<T>) w.Double(static_cast<double>(v[i]));
    else if constexpr (std::is_signed_v<T>) w.Int64(static_cast<int64_t>(v[i]));
    else w.Uint64(static_cast<uint64_t>(v[i]));
  }
}

void WriteTensorData(Writer& w, const Tensor& t) {
  const void* p = t.RawData();
  int64_t n = t.NumElements();
  switch (t.dtype()) {
    case DataType::kFloat32: WriteValues(w, static_cast<const float*>(p), n); break;
    case DataType::kFloat64: WriteValues(w, static_cast<const double*>(p), n); break;
    case DataType::kInt64: WriteValues(w, static_cast<const int64_t*>(p), n); break;
    case DataType::kInt32: WriteValues(w, static_cast<const int32_t*>(p), n); break;
    case DataType::kInt16: WriteValues(w, static_cast<const int16_t*>(p), n); break;
    case DataType::kInt8: WriteValues(w, static_cast<const int8_t*>(p), n); break;
    case DataType::kUint8: WriteValues(w, static_cast<const uint8_t*>(p), n); break;
    case DataType::kUint16: WriteValues(w, static_cast<const uint16_t*>(p), n); break;
    case DataType::kUint32: WriteValues(w, static_cast<const uint32_t*>(p), n); break;
    case DataType::kUint64: WriteValues(w, static_cast<const uint64_t*>(p), n); break;
    case DataType::kBool: WriteValues(w, static_cast<const bool*>(p), n); break;
    case DataType::kString:  // as given: RapidJSON escapes quotes and control bytes, passes the rest
      for (int64_t i = 0; i < n; ++i) {
        const std::string& e = static_cast<const std::string*>(p)[i];
        w.String(e.data(), static_cast<rapidjson::SizeType>(e.size()));
      }
      break;
    default: break;
  }
}

bool BinaryParam(const rapidjson::Value& obj, const char* key) {
  if (!obj.IsObject()) return false;
  auto p = obj.FindMember("parameters");
  if (p == obj.MemberEnd() || !p->value.IsObject()) return false;
  auto b = p->value.FindMember(key);
  return b != p->value.MemberEnd() && b->value.IsBool() && b->value.GetBool();
}

HttpReply Infer(Model& m, const std::string& header_length, std::string& body) {
  auto t0 = Clock::now();
  size_t json_len = body.size();
  if (!header_length.empty()) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(header_length.c_str(), &end, 10);
    if (*end != '\0' || v > body.size())
      return m.metrics.Fail("bad_request"), Error(400, "Inference-Header-Content-Length " + header_length +
                                                           " exceeds the body (" + std::to_string(body.size()) + " bytes)");
    json_len = v;
  }
  rapidjson::Document d;
  d.Parse(body.data(), json_len);
  if (d.HasParseError())
    return m.metrics.Fail("bad_request"), Error(400, std::string("malformed JSON: ") + rapidjson::GetParseError_En(d.GetParseError()) +
                                                     " at offset " + std::to_string(d.GetErrorOffset()));
  if (!d.IsObject() || !d.HasMember("inputs") || !d["inputs"].IsArray())
    return m.metrics.Fail("bad_request"), Error(400, "request needs an 'inputs' array");
  const auto& inputs = d["inputs"];
  size_t binary_pos = json_len;
  std::vector<Tensor> tensors;
  for (const auto& in : inputs.GetArray()) {
    if (!in.IsObject() || !in.HasMember("name") || !in["name"].IsString() || !in.HasMember("datatype") ||
        !in["datatype"].IsString() || !in.HasMember("shape") || !in["shape"].IsArray())
      return m.metrics.Fail("bad_request"), Error(400, "each input needs 'name', 'datatype' and 'shape'");
    std::string name = in["name"].GetString();
    DataType dt = FromKServeDatatype(in["datatype"].GetString());
    if (dt == DataType::kUndefined)
      return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': unknown datatype '" + in["datatype"].GetString() + "'");
    Shape shape;
    for (const auto& s : in["shape"].GetArray()) {
      if (!s.IsInt64() || s.GetInt64() < 0)
        return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': shape must be non-negative integers");
      shape.push_back(s.GetInt64());
    }
    // Every element takes at least one byte of the body (a JSON number or binary data): a shape
    // with more elements than that is refused before anything is allocated from it.
    const int64_t elements = ShapeNumElements(shape);
    if (elements < 0 || static_cast<uint64_t>(elements) > body.size())
      return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': shape " + ShapeToString(shape) +
                                                       " has more elements than the request's " +
                                                       std::to_string(body.size()) + " bytes can carry");
    auto params = in.FindMember("parameters");
    const rapidjson::Value* bds = nullptr;
    if (params != in.MemberEnd() && params->value.IsObject() && params->value.HasMember("binary_data_size"))
      bds = &params->value["binary_data_size"];
    const bool strings = dt == DataType::kString;
    if (strings && bds) {
      // BYTES: elements of a 4-byte length and their bytes, binary_data_size for them all. Each
      // element takes 4 bytes at least, checked before the elements are allocated.
      if (!bds->IsUint64() || bds->GetUint64() > body.size() - binary_pos)
        return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': binary_data_size must be the bytes of its "
                                                         "serialized BYTES elements, within the " +
                                                         std::to_string(body.size() - binary_pos) + " binary bytes left");
      const size_t nbytes = static_cast<size_t>(bds->GetUint64());
      if (static_cast<uint64_t>(elements) > nbytes / 4)
        return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': " + std::to_string(nbytes) +
                                                         " bytes of BYTES data cannot hold the " + std::to_string(elements) +
                                                         " elements of shape " + ShapeToString(shape) +
                                                         " (4-byte length each)");
      auto t = Tensor::Create(dt, shape, name);
      if (!t.ok()) return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': " + t.status().message());
      Status s = ParseSerializedBytes(body.data() + binary_pos, nbytes, &*t, name);
      if (!s.ok()) return m.metrics.Fail("bad_request"), Error(400, s.message());
      binary_pos += nbytes;
      tensors.push_back(std::move(*t));
      continue;
    }
    if (strings && in.HasMember("data")) {
      // A string element costs 32 bytes or more however short: the JSON must carry them all
      // before they are allocated.
      const int64_t given = CountJsonLeaves(in["data"]);
      if (given != elements)
        return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': data has " + std::to_string(given) +
                                                         " elements, shape " + ShapeToString(shape) + " needs " +
                                                         std::to_string(elements));
    }
    auto t = Tensor::Create(dt, shape, name);
    if (!t.ok()) return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': " + t.status().message());
    size_t nbytes = static_cast<size_t>(t->NumElements()) * DataTypeSize(dt);
    if (bds) {
      if (!bds->IsUint64() || bds->GetUint64() != nbytes)
        return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': binary_data_size must be " + std::to_string(nbytes) +
                                                         " for " + KServeDatatype(dt) + " " + ShapeToString(shape));
      if (binary_pos + nbytes > body.size())
        return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': binary data truncated (" +
                                                         std::to_string(body.size() - binary_pos) + " of " + std::to_string(nbytes) + " bytes)");
      if (nbytes) std::memcpy(t->RawMutableData(), body.data() + binary_pos, nbytes);
      binary_pos += nbytes;
    } else {
      if (!in.HasMember("data")) return m.metrics.Fail("bad_request"), Error(400, "input '" + name + "': no 'data' and no binary_data_size");
      Status s = FillTensor(in["data"], &*t, name);
      if (!s.ok()) return m.metrics.Fail("bad_request"), Error(400, s.message());
    }
    tensors.push_back(std::move(*t));
  }
  if (binary_pos != body.size())
    return m.metrics.Fail("bad_request"), Error(400, std::to_string(body.size() - binary_pos) + " bytes of binary data left over");

  int64_t timeout_us = 0;
  if (d.HasMember("parameters") && d["parameters"].IsObject() && d["parameters"].HasMember("timeout")) {
    const auto& t = d["parameters"]["timeout"];
    if (!t.IsInt64() || t.GetInt64() < 0) return m.metrics.Fail("bad_request"), Error(400, "parameter 'timeout' must be microseconds >= 0");
    timeout_us = t.GetInt64();
  }
  bool all_binary = BinaryParam(d, "binary_data_output");
  std::vector<std::pair<std::string, bool>> wanted;  // requested outputs, binary?
  if (d.HasMember("outputs") && d["outputs"].IsArray()) {
    for (const auto& o : d["outputs"].GetArray()) {
      if (!o.IsObject() || !o.HasMember("name") || !o["name"].IsString())
        return m.metrics.Fail("bad_request"), Error(400, "each requested output needs a 'name'");
      std::string n = o["name"].GetString();
      if (OutputIndex(m, n) < 0) return m.metrics.Fail("bad_request"), Error(400, "model '" + m.name + "' has no output '" + n + "'");
      wanted.emplace_back(n, all_binary || BinaryParam(o, "binary_data"));
    }
  } else {
    for (const auto& v : m.outputs) wanted.emplace_back(v.name, all_binary);
  }

  services::OutputsOr result = RunInference(m, std::move(tensors), timeout_us, t0);
  if (!result.ok()) return Error(HttpStatusOf(result.status()), result.status().ToString());
  rapidjson::StringBuffer sb;
  Writer w(sb);
  std::string binary;
  bool any_binary = false;  // the header is sent even when the binary outputs hold no bytes
  w.StartObject();
  w.Key("model_name");
  w.String(m.name.c_str());
  w.Key("model_version");
  w.String(m.version.c_str());
  if (d.HasMember("id") && d["id"].IsString()) {
    w.Key("id");
    w.String(d["id"].GetString());
  }
  w.Key("outputs");
  w.StartArray();
  for (const auto& [name, bin] : wanted) {
    const Tensor& t = (*result)[static_cast<size_t>(OutputIndex(m, name))];
    w.StartObject();
    w.Key("name");
    w.String(name.c_str());
    w.Key("datatype");
    w.String(KServeDatatype(t.dtype()));
    w.Key("shape");
    w.StartArray();
    for (int64_t s : t.shape()) w.Int64(s);
    w.EndArray();
    if (bin) {
      any_binary = true;
      const bool strings = t.dtype() == DataType::kString;
      size_t nbytes = strings ? SerializedBytesSize(t) : static_cast<size_t>(t.NumElements()) * DataTypeSize(t.dtype());
      w.Key("parameters");
      w.StartObject();
      w.Key("binary_data_size");
      w.Uint64(nbytes);
      w.EndObject();
      if (strings) AppendSerializedBytes(t, &binary);
      else binary.append(static_cast<const char*>(t.RawData()), nbytes);
    } else {
      w.Key("data");
      w.StartArray();
      WriteTensorData(w, t);
      w.EndArray();
    }
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  HttpReply r;
  r.body.assign(sb.GetString(), sb.GetSize());
  if (any_binary) {
    r.headers.emplace_back("Inference-Header-Content-Length", std::to_string(r.body.size()));
    r.content_type = "application/octet-stream";
    r.body += binary;
  }
  return r;
}

}  // namespace

const char* KServeDatatype(DataType t) {
  switch (t) {
    case DataType::kBool: return "BOOL";
    case DataType::kUint8: return "UINT8";
    case DataType::kUint16: return "UINT16";
    case DataType::kUint32: return "UINT32";
    case DataType::kUint64: return "UINT64";
    case DataType::kInt8: return "INT8";
    case DataType::kInt16: return "INT16";
    case DataType::kInt32: return "INT32";
    case DataType::kInt64: return "INT64";
    case DataType::kFloat16: return "FP16";
    case DataType::kFloat32: return "FP32";
    case DataType::kFloat64: return "FP64";
    case DataType::kBFloat16: return "BF16";
    case DataType::kString: return "BYTES";
    default: return "INVALID";
  }
}

DataType FromKServeDatatype(const std::string& s) {
  for (int i = 1; i <= 16; ++i) {
    const DataType t = static_cast<DataType>(i);
    if (std::strcmp(KServeDatatype(t), "INVALID") != 0 && s == KServeDatatype(t)) return t;
  }
  return DataType::kUndefined;
}

int HttpStatusOf(const Status& s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

HttpReply HandleHttp(ServerState& state, const std::string& method, const std::string& target,
                     const std::string& header_length, std::string body) {
  std::string path = target.substr(0, target.find('?'));
  std::vector<std::string> p = Split(path);
  if (p.empty() || p[0] != "v2") {
    if (path == "/metrics" && method == "GET") {
      HttpReply r;
      r.content_type = "text/plain; version=0.0.4";
      r.body = MetricsText(state);
      return r;
    }
    return Error(404, "no route " + method + " " + path);
  }
  if (p.size() == 1 && method == "GET") {
    rapidjson::StringBuffer sb;
    Writer w(sb);
    w.StartObject();
    w.Key("name"); w.String("pl_server");
    w.Key("version"); w.String(Version().c_str());
    w.Key("extensions"); w.StartArray(); w.String("binary_tensor_data"); w.String("model_repository"); w.EndArray();
    w.EndObject();
    return Json(sb);
  }
  if (p.size() == 3 && p[1] == "health" && method == "GET") {
    bool ok = p[2] == "live" ? true : p[2] == "ready" ? !state.draining && state.repo->AllReady() : false;
    if (p[2] != "live" && p[2] != "ready") return Error(404, "no route " + path);
    HttpReply r;
    r.status = ok ? 200 : 503;
    r.body = ok ? "{\"live\":true}" : "{\"error\":\"not ready\"}";
    if (p[2] == "ready" && ok) r.body = "{\"ready\":true}";
    return r;
  }
  if (p.size() >= 3 && p[1] == "models") {
    std::string version;
    size_t rest = 3;
    if (p.size() >= 5 && p[3] == "versions") { version = p[4]; rest = 5; }
    Model* m = state.repo->Find(p[2], version);
    if (!m) return Error(404, "unknown model '" + p[2] + "'" + (version.empty() ? "" : " version '" + version + "'"));
    std::string action = p.size() > rest ? p[rest] : "";
    if (p.size() > rest + 1) return Error(404, "no route " + path);
    if (action.empty() && method == "GET") {
      if (!m->ready()) return Error(503, "model '" + m->name + "' is not ready: " + m->load_status.ToString());
      rapidjson::StringBuffer sb;
      Writer w(sb);
      WriteModelMetadata(w, *m);
      return Json(sb);
    }
    if (action == "ready" && method == "GET") {
      bool ok = m->ready() && !state.draining;
      HttpReply r;
      r.status = ok ? 200 : 503;
      r.body = ok ? "{\"ready\":true}" : "{\"error\":\"model '" + m->name + "' is not ready\"}";
      return r;
    }
    if (action == "infer" && method == "POST") {
      if (state.draining) return m->metrics.Fail("shutdown"), Error(503, "server is shutting down");
      if (!m->ready()) return Error(503, "model '" + m->name + "' is not ready: " + m->load_status.ToString());
      return Infer(*m, header_length, body);
    }
  }
  return Error(404, "no route " + method + " " + path);
}

std::string MetricsText(const ServerState& state) {
  std::ostringstream o;
  o << "# HELP nv_inference_request_success Successful inference requests\n# TYPE nv_inference_request_success counter\n";
  for (const auto& m : state.repo->models())
    o << "nv_inference_request_success{model=\"" << m->name << "\",version=\"" << m->version << "\"} " << m->metrics.success << "\n";
  o << "# HELP nv_inference_request_failure Failed inference requests by reason\n# TYPE nv_inference_request_failure counter\n";
  for (const auto& m : state.repo->models()) {
    std::lock_guard<std::mutex> lock(m->metrics.mu);
    for (const auto& [reason, n] : m->metrics.failures)
      o << "nv_inference_request_failure{model=\"" << m->name << "\",version=\"" << m->version << "\",reason=\"" << reason << "\"} " << n << "\n";
  }
  o << "# HELP nv_inference_count Rows inferred (sum of dim 0)\n# TYPE nv_inference_count counter\n";
  for (const auto& m : state.repo->models())
    o << "nv_inference_count{model=\"" << m->name << "\",version=\"" << m->version << "\"} " << m->metrics.inference_rows << "\n";
  o << "# HELP nv_inference_exec_count Model executions (batched runs count once)\n# TYPE nv_inference_exec_count counter\n";
  for (const auto& m : state.repo->models())
    if (m->pool) o << "nv_inference_exec_count{model=\"" << m->name << "\",version=\"" << m->version << "\"} " << m->pool->stats().runs << "\n";
  o << "# HELP nv_inference_request_duration_us Queue + compute time of successful requests\n# TYPE nv_inference_request_duration_us counter\n";
  for (const auto& m : state.repo->models())
    o << "nv_inference_request_duration_us{model=\"" << m->name << "\",version=\"" << m->version << "\"} " << m->metrics.request_us << "\n";
  o << "# HELP nv_inference_queue_duration_us Time requests waited in the pool's queue\n# TYPE nv_inference_queue_duration_us counter\n";
  for (const auto& m : state.repo->models())
    if (m->pool) o << "nv_inference_queue_duration_us{model=\"" << m->name << "\",version=\"" << m->version << "\"} " << m->pool->stats().queue_us << "\n";
  o << "# HELP nv_inference_compute_infer_duration_us Run time of the executions that served requests, per request\n# TYPE nv_inference_compute_infer_duration_us counter\n";
  for (const auto& m : state.repo->models())
    if (m->pool) o << "nv_inference_compute_infer_duration_us{model=\"" << m->name << "\",version=\"" << m->version << "\"} " << m->pool->stats().compute_us << "\n";
  o << "# HELP nv_inference_pending_request_count Requests queued or running\n# TYPE nv_inference_pending_request_count gauge\n";
  for (const auto& m : state.repo->models())
    o << "nv_inference_pending_request_count{model=\"" << m->name << "\",version=\"" << m->version << "\"} " << m->metrics.pending << "\n";
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double cpu = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  long rss_pages = 0, dummy = 0;
  std::ifstream statm("/proc/self/statm");
  statm >> dummy >> rss_pages;
  o << "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total " << cpu << "\n";
  o << "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes " << rss_pages * sysconf(_SC_PAGESIZE) << "\n";
  return o.str();
}

}  // namespace pl::server
