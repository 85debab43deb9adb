// pl_run: runs an ONNX model once on inputs from .npy / TensorProto .pb files.
//   pl_run --model M.onnx [--input NAME=FILE ...] [--output-dir D] [--backend onednn,cpu_ref]
//          [--intra N] [--repeat K]
// Prints each output's name, dtype and shape; writes D/<index>.npy (D/<index>.pb, a TensorProto,
// for dtypes .npy cannot hold: bfloat16, string). Exit 1 on any error.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pl/pl.h"
#include "src/onnx/tensor_proto.h"

namespace {

int Fail(const std::string& msg) {
  std::cerr << "pl_run: error: " << msg << "\n";
  return 1;
}

bool EndsWith(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

void Usage() {
  std::cerr << "usage: pl_run --model M.onnx [--input NAME=FILE ...] [--output-dir D]\n"
               "              [--backend b1,b2] [--intra N] [--repeat K]\n"
               "  FILE is a NumPy .npy or an ONNX TensorProto .pb file; --input may be left out\n"
               "  (as FILE alone) for a model with one input.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, out_dir, backends;
  std::vector<std::string> inputs;
  int intra = 1, repeat = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) { Fail(std::string(flag) + " needs a value"); std::exit(1); }
      return argv[++i];
    };
    auto split_eq = [&](const std::string& flag) -> std::string {
      return a.size() > flag.size() + 1 && a[flag.size()] == '=' ? a.substr(flag.size() + 1) : next(flag.c_str());
    };
    if (a.rfind("--model", 0) == 0) model = split_eq("--model");
    else if (a.rfind("--input", 0) == 0) inputs.push_back(split_eq("--input"));
    else if (a.rfind("--output-dir", 0) == 0) out_dir = split_eq("--output-dir");
    else if (a.rfind("--backend", 0) == 0) backends = split_eq("--backend");
    else if (a.rfind("--intra", 0) == 0) intra = std::atoi(split_eq("--intra").c_str());
    else if (a.rfind("--repeat", 0) == 0) repeat = std::max(1, std::atoi(split_eq("--repeat").c_str()));
    else if (a == "-h" || a == "--help") { Usage(); return 0; }
    else { Usage(); return Fail("unknown argument '" + a + "'"); }
  }
  if (model.empty()) { Usage(); return Fail("--model is required"); }

  pl::Config config(model);
  config.SetIntraOpThreads(intra);
  if (!backends.empty()) {
    std::vector<std::string> list;
    std::stringstream ss(backends);
    std::string b;
    while (std::getline(ss, b, ',')) list.push_back(b);
    config.SetBackends(list);
  }
  auto t0 = std::chrono::steady_clock::now();
  auto created = pl::CreatePredictor(config);
  if (!created.ok()) return Fail(created.status().ToString());
  auto& pred = *created;
  double load_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  const auto& names = pred->InputNames();
  std::map<std::string, std::string> files;
  for (const auto& spec : inputs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      if (names.size() != 1)
        return Fail("--input '" + spec + "' has no NAME=; that form needs a model with exactly one input (this one has " +
                    std::to_string(names.size()) + ")");
      files[names[0]] = spec;
    } else {
      files[spec.substr(0, eq)] = spec.substr(eq + 1);
    }
  }
  for (const auto& [name, file] : files) {
    auto slot = pred->Input(name);
    if (!slot.ok()) return Fail(slot.status().ToString());
    auto t = EndsWith(file, ".npy") ? pl::onnx_io::ReadNpyFile(file) : pl::onnx_io::ReadTensorProtoFile(file);
    if (!t.ok()) return Fail("input '" + name + "': " + t.status().ToString());
    pl::Tensor* dst = *slot;
    pl::Status s = dst->CopyFrom(*t);  // every dtype, strings included
    if (!s.ok()) return Fail(s.ToString());
  }
  for (const auto& n : names)
    if (!files.count(n)) return Fail("no --input given for model input '" + n + "'");

  std::vector<double> times;
  for (int r = 0; r < repeat; ++r) {
    auto t1 = std::chrono::steady_clock::now();
    pl::Status s = pred->Run();
    if (!s.ok()) return Fail(s.ToString());
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count());
  }
  if (!out_dir.empty()) mkdir(out_dir.c_str(), 0755);
  for (size_t i = 0; i < pred->OutputNames().size(); ++i) {
    const pl::Tensor* y = *pred->Output(static_cast<int>(i));
    if (!y->is_tensor()) {  // a sequence: its elements go to <out>/<i>_<k>.npy (or .pb)
      std::cout << "output " << i << " '" << pred->OutputNames()[i] << "' "
                << (y->is_none() ? std::string("empty optional")
                                 : "sequence of " + std::to_string(y->elements().size()) + " " + pl::DataTypeName(y->dtype()))
                << "\n";
      for (size_t k = 0; k < y->elements().size() && !out_dir.empty(); ++k) {
        const pl::Tensor& e = y->elements()[k];
        const std::string base = out_dir + "/" + std::to_string(i) + "_" + std::to_string(k);
        pl::Status s = pl::onnx_io::NpyHolds(e.dtype()) ? pl::onnx_io::WriteNpyFile(e, base + ".npy")
                                                        : pl::onnx_io::WriteTensorProtoFile(e, base + ".pb");
        if (!s.ok()) return Fail(s.ToString());
      }
      continue;
    }
    std::cout << "output " << i << " '" << pred->OutputNames()[i] << "' " << pl::DataTypeName(y->dtype()) << " "
              << pl::ShapeToString(y->shape()) << "\n";
    if (!out_dir.empty()) {
      const std::string base = out_dir + "/" + std::to_string(i);
      pl::Status s = pl::onnx_io::NpyHolds(y->dtype()) ? pl::onnx_io::WriteNpyFile(*y, base + ".npy")
                                                       : pl::onnx_io::WriteTensorProtoFile(*y, base + ".pb");
      if (!s.ok()) return Fail(s.ToString());
    }
  }
  std::sort(times.begin(), times.end());
  std::printf("load %.1f ms, run first %.2f ms, median %.2f ms over %d run(s)\n", load_ms, times.front(),
              times[times.size() / 2], repeat);
  return 0;
}
