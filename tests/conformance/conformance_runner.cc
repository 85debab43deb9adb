// ONNX conformance runner over Debian's libonnx-testdata: for every test directory
// (model.onnx + test_data_set_*/input_*.pb, output_*.pb) whose ops the registry supports, runs
// the model and compares with the published outputs. Prints one totals line per suite.
//   pl_conformance --root /usr/share/libonnx-testdata [--suites node,simple,...]
//                  [--skip-list F] [--filter SUBSTR] [--require-pass] [--verbose] [--backend b,..]
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "pl/pl.h"
#include "src/onnx/tensor_proto.h"

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
  pl::Tensor b = pl::Tensor::Create(pl::DataType::kBFloat16, t->shape(), t->name()).value();
  if (t->ByteSize()) std::memcpy(b.RawMutableData(), t->RawData(), t->ByteSize());
  *t = std::move(b);
}

struct Totals { int passed = 0, failed = 0, skipped = 0, unsupported = 0; };

}  // namespace

int main(int argc, char** argv) {
  std::string root = "/usr/share/libonnx-testdata", filter;
  std::vector<std::string> skip_files;
  std::vector<std::string> suites = {"node"};
  std::vector<std::string> backends;
  bool require_pass = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--root") root = val();
    else if (a == "--skip-list") skip_files.push_back(val());
    else if (a == "--filter") filter = val();
    else if (a == "--require-pass") require_pass = true;
    else if (a == "--verbose") verbose = true;
    else if (a == "--suites" || a == "--backend") {
      std::vector<std::string> list;
      std::stringstream ss(val());
      std::string s;
      while (std::getline(ss, s, ',')) list.push_back(s);
      (a == "--suites" ? suites : backends) = list;
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  // skip list: "suite/test_name  reason..." (lines starting with # are comments)
  std::map<std::string, std::string> skips;
  for (const auto& skip_file : skip_files) {
    std::ifstream f(skip_file);
    if (!f) { std::cerr << "cannot read skip list " << skip_file << "\n"; return 2; }
    std::string line;
    while (std::getline(f, line)) {
      if (line.empty() || line[0] == '#') continue;
      std::stringstream ss(line);
      std::string name, reason;
      ss >> name;
      std::getline(ss, reason);
      skips[name] = reason;
    }
  }
  const pl::KernelRegistry& registry = pl::KernelRegistry::Global();
  Totals all;
  std::vector<std::string> failures;
  for (const auto& suite : suites) {
    Totals t;
    const std::string sdir = root + "/data/" + suite;
    for (const auto& test : ListDir(sdir)) {
      if (!filter.empty() && test.find(filter) == std::string::npos) continue;
      const std::string dir = sdir + "/" + test, key = suite + "/" + test;
      const std::string model_path = dir + "/model.onnx";
      if (!IsFile(model_path)) continue;
      onnx::ModelProto model;
      {
        std::ifstream f(model_path, std::ios::binary);
        if (!model.ParseFromIstream(&f)) { ++t.unsupported; continue; }
      }
      std::set<std::pair<std::string, std::string>> ops;
      CollectOps(model.graph(), &ops);
      bool supported = AllTensorTyped(model.graph());
      std::string missing;
      for (const auto& [dom, op] : ops)
        if (!(dom.empty() && op == "Constant") && !registry.HasOp(dom, op)) { supported = false; missing = op; }
      if (!supported) {
        ++t.unsupported;
        if (verbose) std::printf("UNSUPPORTED %s (%s)\n", key.c_str(), missing.empty() ? "non-tensor I/O" : missing.c_str());
        continue;
      }
      if (skips.count(key)) {
        ++t.skipped;
        if (verbose) std::printf("SKIP %s:%s\n", key.c_str(), skips[key].c_str());
        continue;
      }
      std::string error;
      pl::Config config(model_path);
      if (!backends.empty()) config.SetBackends(backends);
      auto pred = pl::CreatePredictor(config);
      if (!pred.ok()) error = "create: " + pred.status().ToString();
      int sets = 0;
      for (const auto& ds : ListDir(dir)) {
        if (!error.empty() || ds.rfind("test_data_set_", 0) != 0) continue;
        ++sets;
        const std::string d = dir + "/" + ds;
        const auto& names = (*pred)->InputNames();
        // Inputs are input_<i>.pb in the order of the model's graph inputs.
        std::vector<pl::Tensor> inputs;
        for (int k = 0;; ++k) {
          std::string p = d + "/input_" + std::to_string(k) + ".pb";
          if (!IsFile(p)) break;
          auto tt = pl::onnx_io::ReadTensorProtoFile(p);
          if (!tt.ok()) { error = "input " + std::to_string(k) + ": " + tt.status().ToString(); break; }
          inputs.push_back(std::move(tt).value());
        }
        if (!error.empty()) break;
        if (inputs.size() != names.size()) {
          error = std::to_string(inputs.size()) + " input files for " + std::to_string(names.size()) + " model inputs";
          break;
        }
        for (size_t k = 0; k < inputs.size(); ++k) {
          inputs[k].set_name(names[k]);
          AdoptBFloat16Bits((*pred)->InputInfos()[k].dtype, &inputs[k]);
        }
        std::vector<pl::Tensor> outputs;
        pl::Status s = (*pred)->Run(inputs, &outputs);
        if (!s.ok()) { error = "run: " + s.ToString(); break; }
        for (size_t k = 0; k < outputs.size(); ++k) {
          std::string p = d + "/output_" + std::to_string(k) + ".pb";
          if (!IsFile(p)) continue;
          auto want = pl::onnx_io::ReadTensorProtoFile(p);
          if (!want.ok()) { error = "output file: " + want.status().ToString(); break; }
          AdoptBFloat16Bits((*pred)->OutputInfos()[k].dtype, &*want);
          std::string diff = Compare(outputs[k], *want, 1e-5, 1e-3);
          if (!diff.empty()) { error = "output " + std::to_string(k) + " ('" + (*pred)->OutputNames()[k] + "'): " + diff; break; }
        }
      }
      if (error.empty() && sets == 0) error = "no test_data_set_*";
      if (error.empty()) {
        ++t.passed;
        if (verbose) std::printf("PASS %s\n", key.c_str());
      } else {
        ++t.failed;
        failures.push_back(key + ": " + error.substr(0, 400));
        std::printf("FAIL %s: %s\n", key.c_str(), error.substr(0, 400).c_str());
      }
    }
    int total = t.passed + t.failed + t.skipped + t.unsupported;
    std::printf("conformance %s: %d passed, %d failed, %d skipped, %d unsupported (of %d); pass rate %.1f%% of supported\n",
                suite.c_str(), t.passed, t.failed, t.skipped, t.unsupported, total,
                t.passed + t.failed ? 100.0 * t.passed / (t.passed + t.failed + t.skipped) : 0.0);
    all.passed += t.passed; all.failed += t.failed; all.skipped += t.skipped; all.unsupported += t.unsupported;
  }
  std::printf("conformance total: %d passed, %d failed, %d skipped, %d unsupported\n", all.passed, all.failed,
              all.skipped, all.unsupported);
  std::fflush(stdout);
  return require_pass && all.failed > 0 ? 1 : 0;
}
