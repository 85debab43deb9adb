// See conformance.h.
#include "tools/conformance.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "onnx/onnx_pb.h"
#include "onnx/onnx-data.pb.h"  // after onnx_pb.h, which defines ONNX_API
#include "pl/pl.h"
#include "src/onnx/tensor_proto.h"

namespace pl::conformance {
namespace {

std::vector<std::string> ListDir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool IsFile(const std::string& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

void CollectOps(const onnx::GraphProto& g, std::set<std::pair<std::string, std::string>>* ops) {
  for (const auto& n : g.node()) {
    ops->insert({n.domain() == "ai.onnx" ? "" : n.domain(), n.op_type()});
    for (const auto& a : n.attribute()) {
      if (a.has_g()) CollectOps(a.g(), ops);
      for (const auto& sg : a.graphs()) CollectOps(sg, ops);
    }
  }
}

bool AllTensorTyped(const onnx::GraphProto& g) {
  for (const auto& v : g.input())
    if (!v.type().has_tensor_type()) return false;
  for (const auto& v : g.output())
    if (!v.type().has_tensor_type()) return false;
  return true;
}

// Tensors, sequences of tensors and optionals of either.
bool SupportedType(const onnx::TypeProto& t) {
  if (t.has_tensor_type()) return true;
  if (t.has_sequence_type()) return t.sequence_type().elem_type().has_tensor_type();
  if (t.has_optional_type()) return SupportedType(t.optional_type().elem_type());
  return false;
}

bool SupportedIo(const onnx::GraphProto& g) {
  for (const auto& v : g.input())
    if (!SupportedType(v.type())) return false;
  for (const auto& v : g.output())
    if (!SupportedType(v.type())) return false;
  return true;
}

// IEEE half -> float, so float16 outputs are compared like float32 ones.
double HalfToDouble(uint16_t h) {
  const int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0) v = std::ldexp(mant, -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = std::ldexp(mant + 1024, exp - 25);
  return sign ? -v : v;
}

std::string Compare(const pl::Tensor& got, const pl::Tensor& want, double atol, double rtol) {
  if (got.dtype() != want.dtype())
    return std::string("dtype ") + pl::DataTypeName(got.dtype()) + " != expected " + pl::DataTypeName(want.dtype());
  if (got.shape() != want.shape())
    return "shape " + pl::ShapeToString(got.shape()) + " != expected " + pl::ShapeToString(want.shape());
  const int64_t n = got.NumElements();
  if (got.dtype() == pl::DataType::kString) {
    for (int64_t i = 0; i < n; ++i)
      if (got.Data<std::string>()[i] != want.Data<std::string>()[i])
        return "element " + std::to_string(i) + ": got '" + got.Data<std::string>()[i] + "', expected '" +
               want.Data<std::string>()[i] + "'";
    return "";
  }
  auto value = [](const pl::Tensor& t, int64_t i) -> double {
    switch (t.dtype()) {
      case pl::DataType::kFloat32: return t.Data<float>()[i];
      case pl::DataType::kFloat64: return t.Data<double>()[i];
      case pl::DataType::kInt64: return static_cast<double>(t.Data<int64_t>()[i]);
      case pl::DataType::kInt32: return t.Data<int32_t>()[i];
      case pl::DataType::kInt16: return t.Data<int16_t>()[i];
      case pl::DataType::kInt8: return t.Data<int8_t>()[i];
      case pl::DataType::kUint8: return t.Data<uint8_t>()[i];
      case pl::DataType::kUint16: return t.Data<uint16_t>()[i];
      case pl::DataType::kUint32: return t.Data<uint32_t>()[i];
      case pl::DataType::kUint64: return static_cast<double>(t.Data<uint64_t>()[i]);
      case pl::DataType::kBool: return t.Data<bool>()[i];
      case pl::DataType::kFloat16: return HalfToDouble(t.Data<uint16_t>()[i]);
      case pl::DataType::kBFloat16: return t.Data<pl::BFloat16>()[i].ToFloat();
      default: return 0;
    }
  };
  // bfloat16 is compared bit-exact through its float value: Cast must round as ONNX does.
  const bool exact = got.dtype() != pl::DataType::kFloat32 && got.dtype() != pl::DataType::kFloat64 &&
                     got.dtype() != pl::DataType::kFloat16;
  // float16 carries ~3 decimal digits: compare at its own precision.
  if (got.dtype() == pl::DataType::kFloat16) { atol = std::max(atol, 1e-3); rtol = std::max(rtol, 4e-3); }
  for (int64_t i = 0; i < n; ++i) {
    double g = value(got, i), w = value(want, i);
    if (std::isnan(w) && std::isnan(g)) continue;
    if (std::isinf(w) && g == w) continue;
    bool ok = exact ? g == w : std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok) {
      std::ostringstream os;
      os << "element " << i << ": got " << g << ", expected " << w;
      return os.str();
    }
  }
  return "";
}

// ONNX <= 1.12 wrote bfloat16 test data as uint16 TensorProtos holding the bfloat16 bits: read
// them as bfloat16 where the model declares that type.
void AdoptBFloat16Bits(pl::DataType declared, pl::Tensor* t) {
  if (declared != pl::DataType::kBFloat16 || t->dtype() != pl::DataType::kUint16) return;
  auto b = pl::Tensor::Create(pl::DataType::kBFloat16, t->shape(), t->name());
  if (!b.ok()) return;
  if (t->ByteSize()) std::memcpy(b->RawMutableData(), t->RawData(), t->ByteSize());
  *t = std::move(*b);
}

pl::DataType DeclaredTensorType(const onnx::TypeProto& t) {
  if (t.has_tensor_type()) return static_cast<pl::DataType>(t.tensor_type().elem_type());
  if (t.has_sequence_type()) return DeclaredTensorType(t.sequence_type().elem_type());
  if (t.has_optional_type()) return DeclaredTensorType(t.optional_type().elem_type());
  return pl::DataType::kUndefined;
}

pl::StatusOr<pl::Tensor> SequenceFromProto(const onnx::SequenceProto& sp, pl::DataType declared, const std::string& what) {
  if (sp.elem_type() != onnx::SequenceProto::TENSOR && sp.tensor_values_size() == 0 && sp.elem_type() != 0)
    return pl::Status::Unimplemented(what + ": sequences of non-tensors are not supported");
  std::vector<pl::Tensor> elements;
  for (const auto& tp : sp.tensor_values()) {
    PL_ASSIGN_OR_RETURN(pl::Tensor t, pl::onnx_io::TensorFromProto(tp, "."));
    elements.push_back(std::move(t));
  }
  const pl::DataType dtype = !elements.empty() ? elements[0].dtype() : declared;
  return pl::Tensor::Sequence(dtype, std::move(elements));
}

// A test data file read as the model declares the value: a TensorProto, or a SequenceProto /
// OptionalProto (of tensors) for sequence and optional inputs and outputs.
pl::StatusOr<pl::Tensor> ReadValueFile(const std::string& path, const onnx::TypeProto* type) {
  if (!type || type->has_tensor_type()) return pl::onnx_io::ReadTensorProtoFile(path);
  std::ifstream f(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const pl::DataType declared = DeclaredTensorType(*type);
  if (type->has_sequence_type()) {
    onnx::SequenceProto sp;
    if (!sp.ParseFromString(bytes)) return pl::Status::InvalidArgument(path + ": not a SequenceProto");
    return SequenceFromProto(sp, declared, path);
  }
  if (type->has_optional_type()) {
    onnx::OptionalProto op;
    if (!op.ParseFromString(bytes)) return pl::Status::InvalidArgument(path + ": not an OptionalProto");
    if (op.has_tensor_value()) return pl::onnx_io::TensorFromProto(op.tensor_value(), ".");
    if (op.has_sequence_value()) return SequenceFromProto(op.sequence_value(), declared, path);
    return pl::Tensor::None(declared);
  }
  return pl::Status::Unimplemented(path + ": map and sparse values are not supported");
}

// Compares values of any kind: tensors elementwise, sequences element by element.
std::string CompareValues(const pl::Tensor& got, const pl::Tensor& want, double atol, double rtol) {
  if (got.kind() != want.kind()) {
    auto kind = [](const pl::Tensor& t) { return t.is_tensor() ? "a tensor" : t.is_sequence() ? "a sequence" : "an empty optional"; };
    return std::string("got ") + kind(got) + ", expected " + kind(want);
  }
  if (want.is_none()) return "";
  if (want.is_tensor()) return Compare(got, want, atol, rtol);
  if (got.elements().size() != want.elements().size())
    return "sequence of " + std::to_string(got.elements().size()) + ", expected " + std::to_string(want.elements().size());
  for (size_t i = 0; i < want.elements().size(); ++i) {
    std::string d = Compare(got.elements()[i], want.elements()[i], atol, rtol);
    if (!d.empty()) return "sequence element " + std::to_string(i) + ": " + d;
  }
  return "";
}

bool IsTrainingOp(const std::string& domain, const std::string& op) {
  return domain == "ai.onnx.preview.training" || op == "SoftmaxCrossEntropyLoss" || op == "NegativeLogLikelihoodLoss";
}

// Runs one test directory; returns "" when every data set matches.
std::string RunTest(const std::string& dir, const std::string& model_path, const onnx::GraphProto& graph,
                    const Options& options) {
  std::string error;
  std::map<std::string, const onnx::TypeProto*> types;
  for (const auto& v : graph.input()) types[v.name()] = &v.type();
  for (const auto& v : graph.output()) types[v.name()] = &v.type();
  auto type_of = [&](const std::string& name) -> const onnx::TypeProto* {
    auto it = types.find(name);
    return it == types.end() ? nullptr : it->second;
  };
  pl::Config config(model_path);
  if (!options.backends.empty()) config.SetBackends(options.backends);
  auto pred = pl::CreatePredictor(config);
  if (!pred.ok()) return "create: " + pred.status().ToString();
  int sets = 0;
  for (const auto& ds : ListDir(dir)) {
    if (ds.rfind("test_data_set_", 0) != 0) continue;
    ++sets;
    const std::string d = dir + "/" + ds;
    const auto& names = (*pred)->InputNames();
    // Inputs are input_<i>.pb in the order of the model's graph inputs.
    std::vector<pl::Tensor> inputs;
    for (int k = 0;; ++k) {
      std::string p = d + "/input_" + std::to_string(k) + ".pb";
      if (!IsFile(p)) break;
      auto tt = ReadValueFile(p, k < static_cast<int>(names.size()) ? type_of(names[k]) : nullptr);
      if (!tt.ok()) return "input " + std::to_string(k) + ": " + tt.status().ToString();
      inputs.push_back(std::move(tt).value());
    }
    if (inputs.size() != names.size())
      return std::to_string(inputs.size()) + " input files for " + std::to_string(names.size()) + " model inputs";
    for (size_t k = 0; k < inputs.size(); ++k) {
      inputs[k].set_name(names[k]);
      AdoptBFloat16Bits((*pred)->InputInfos()[k].dtype, &inputs[k]);
    }
    std::vector<pl::Tensor> outputs;
    pl::Status s = (*pred)->Run(inputs, &outputs);
    if (!s.ok()) return "run: " + s.ToString();
    for (size_t k = 0; k < outputs.size(); ++k) {
      std::string p = d + "/output_" + std::to_string(k) + ".pb";
      if (!IsFile(p)) continue;
      auto want = ReadValueFile(p, type_of((*pred)->OutputNames()[k]));
      if (!want.ok()) return "output file: " + want.status().ToString();
      AdoptBFloat16Bits((*pred)->OutputInfos()[k].dtype, &*want);
      std::string diff = CompareValues(outputs[k], *want, 1e-5, 1e-3);
      if (!diff.empty()) return "output " + std::to_string(k) + " ('" + (*pred)->OutputNames()[k] + "'): " + diff;
    }
  }
  return sets == 0 ? "no test_data_set_*" : "";
}

}  // namespace

std::vector<SuiteTotals> Run(const Options& options, const Report& report) {
  const pl::KernelRegistry& registry = pl::KernelRegistry::Global();
  auto tell = [&](const std::string& key, Outcome o, const std::string& detail) {
    if (report) report(key, o, detail);
  };
  std::vector<SuiteTotals> out;
  for (const auto& suite : options.suites) {
    SuiteTotals t;
    t.suite = suite;
    const std::string sdir = options.root + "/data/" + suite;
    for (const auto& test : ListDir(sdir)) {
      if (!options.filter.empty() && test.find(options.filter) == std::string::npos) continue;
      const std::string dir = sdir + "/" + test, key = suite + "/" + test;
      const std::string model_path = dir + "/model.onnx";
      if (!IsFile(model_path)) continue;
      onnx::ModelProto model;
      {
        std::ifstream f(model_path, std::ios::binary);
        if (!model.ParseFromIstream(&f)) {
          ++t.unsupported;
          tell(key, Outcome::kUnsupported, "unparsable model");
          continue;
        }
      }
      std::set<std::pair<std::string, std::string>> ops;
      CollectOps(model.graph(), &ops);
      const bool tensor_io = AllTensorTyped(model.graph());
      bool training = false;
      std::string missing;
      for (const auto& [dom, op] : ops) {
        training = training || IsTrainingOp(dom, op);
        if (!(dom.empty() && op == "Constant") && !registry.HasOp(dom, op)) missing = op;
      }
      const bool eligible = tensor_io && !training;
      t.eligible += eligible;
      t.inference += !training;
      // Sequence and optional I/O runs too (ReadValueFile); maps and sparse tensors do not.
      if (!missing.empty() || !SupportedIo(model.graph())) {
        ++t.unsupported;
        tell(key, Outcome::kUnsupported, missing.empty() ? "map or sparse I/O" : missing);
        continue;
      }
      if (auto it = options.skips.find(key); it != options.skips.end()) {
        ++t.skipped;
        tell(key, Outcome::kSkip, it->second);
        continue;
      }
      const std::string error = RunTest(dir, model_path, model.graph(), options);
      if (error.empty()) {
        ++t.passed;
        t.eligible_passed += eligible;
        t.inference_passed += !training;
        tell(key, Outcome::kPass, "");
      } else {
        ++t.failed;
        tell(key, Outcome::kFail, error.substr(0, 400));
      }
    }
    out.push_back(t);
  }
  return out;
}

Status ReadSkipList(const std::string& path, std::map<std::string, std::string>* skips) {
  std::ifstream f(path);
  if (!f) return Status::NotFound("cannot read skip list " + path);
  std::string line;
  while (std::getline(f, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string name, reason;
    ss >> name;
    std::getline(ss, reason);
    reason.erase(0, reason.find_first_not_of(" \t"));
    if (reason.empty()) return Status::InvalidArgument(path + ": skip entry '" + name + "' has no reason");
    (*skips)[name] = reason;
  }
  return Status::Ok();
}

Status ReadSkipDir(const std::string& dir, std::map<std::string, std::string>* skips) {
  bool any = false;
  for (const auto& n : ListDir(dir)) {
    if (n.rfind("skip_", 0) != 0 || n.size() < 9 || n.substr(n.size() - 4) != ".txt") continue;
    any = true;
    Status s = ReadSkipList(dir + "/" + n, skips);
    if (!s.ok()) return s;
  }
  return any ? Status::Ok() : Status::NotFound("no skip_*.txt in " + dir);
}

std::string Describe(const SuiteTotals& t) {
  char buf[400];
  std::snprintf(buf, sizeof(buf),
                "%s: %d passed, %d failed, %d skipped, %d unsupported (of %d); no training op and tensor I/O: %d of %d "
                "pass (%.1f%%); no training op: %d of %d pass",
                t.suite.c_str(), t.passed, t.failed, t.skipped, t.unsupported, t.total(), t.eligible_passed, t.eligible,
                t.eligible ? 100.0 * t.eligible_passed / t.eligible : 0.0, t.inference_passed, t.inference);
  return buf;
}

}  // namespace pl::conformance
