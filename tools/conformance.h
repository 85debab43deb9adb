// The ONNX conformance run over Debian's libonnx-testdata (data/<suite>/<test>/model.onnx with
// test_data_set_*/input_*.pb, output_*.pb), shared by the pl_conformance test runner and by
// pl_ops_doc's conformance summary. Not thread-safe (runs predictors one after another).
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "pl/status.h"

namespace pl::conformance {

struct Options {
  std::string root = "/usr/share/libonnx-testdata";  // holds data/<suite>/
  std::vector<std::string> suites = {"node"};
  std::map<std::string, std::string> skips;  // "suite/test" -> reason
  std::string filter;                        // run only tests whose name contains it
  std::vector<std::string> backends;         // empty: the default priority
};

// Every count is of test directories. A test is "eligible" (the measure of issue 12) when it uses
// no training op (losses, optimizers, gradients: SoftmaxCrossEntropyLoss, NegativeLogLikelihoodLoss,
// the ai.onnx.preview.training domain) and all its graph inputs and outputs are tensors; an
// eligible test passes only by running here and matching, never by being skipped or unsupported.
struct SuiteTotals {
  std::string suite;
  int passed = 0, failed = 0, skipped = 0, unsupported = 0;
  int eligible = 0, eligible_passed = 0;
  // No training op, any I/O (sequence and optional values included).
  int inference = 0, inference_passed = 0;
  void Add(const SuiteTotals& o) {
    passed += o.passed, failed += o.failed, skipped += o.skipped, unsupported += o.unsupported;
    eligible += o.eligible, eligible_passed += o.eligible_passed;
    inference += o.inference, inference_passed += o.inference_passed;
  }
  int total() const { return passed + failed + skipped + unsupported; }
};

enum class Outcome { kPass, kFail, kSkip, kUnsupported };
// Called once per test: key "suite/test", and the reason (failure, skip reason, missing op).
using Report = std::function<void(const std::string& key, Outcome outcome, const std::string& detail)>;

// Runs every test of the chosen suites; a suite directory that does not exist counts nothing.
std::vector<SuiteTotals> Run(const Options& options, const Report& report = nullptr);

// Adds the entries of a skip list ("suite/test  reason", # comments) to *skips.
Status ReadSkipList(const std::string& path, std::map<std::string, std::string>* skips);
// Every tests/conformance/skip_*.txt style file in `dir` (sorted), read into *skips.
Status ReadSkipDir(const std::string& dir, std::map<std::string, std::string>* skips);

// "node: 748 passed, 0 failed, 25 skipped, 159 unsupported (of 932); no training op and tensor
// I/O: 748 of 815 pass (91.8%); no training op: 772 of 839 pass".
std::string Describe(const SuiteTotals& t);

}  // namespace pl::conformance
