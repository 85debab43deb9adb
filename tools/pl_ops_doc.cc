// pl_ops_doc: prints the supported-operators table (Markdown) generated from the kernel registry,
// then the conformance summary: every libonnx-testdata suite run through the predictor as
// pl_conformance runs it, with the skip lists of tests/conformance.
//   pl_ops_doc [--conformance-root DIR] [--skip-dir DIR] > docs/supported_ops.md
// (the supported_ops_doc test checks that the committed file is current).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "pl/op_registry.h"
#include "tools/conformance.h"

namespace {

// The conformance section: one row per suite and a summary line over all of them.
int PrintConformance(const std::string& root, const std::string& skip_dir) {
  pl::conformance::Options options;
  options.root = root;
  options.suites = {"node", "pytorch-converted", "pytorch-operator", "simple"};
  pl::Status s = pl::conformance::ReadSkipDir(skip_dir, &options.skips);
  if (!s.ok()) {
    std::fprintf(stderr, "pl_ops_doc: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("\n## Conformance\n\n");
  std::printf("The ONNX test data of Debian's libonnx-testdata (ONNX 1.12) run through the predictor with the\n"
              "default backends, as `pl_conformance` runs it. *Eligible* tests use no training op (losses,\n"
              "optimizers, gradients) and have tensor inputs and outputs; an eligible test counts as passing\n"
              "only when it ran and matched (skipped and unsupported ones do not). Skips, each with its reason:\n"
              "`tests/conformance/skip_*.txt`. (The `real` suite holds only download links, no models.)\n"
              "Tests with sequence or optional inputs and outputs run too (read as SequenceProto / OptionalProto);\n"
              "they count among the tests with no training op.\n\n");
  std::printf("| suite | tests | passed | failed | skipped | unsupported | eligible passed |\n|---|---|---|---|---|---|---|\n");
  pl::conformance::SuiteTotals all;
  all.suite = "all suites";
  for (const auto& t : pl::conformance::Run(options)) {
    std::printf("| %s | %d | %d | %d | %d | %d | %d of %d |\n", t.suite.c_str(), t.total(), t.passed, t.failed,
                t.skipped, t.unsupported, t.eligible_passed, t.eligible);
    all.Add(t);
  }
  if (all.total() == 0) {
    std::fprintf(stderr, "pl_ops_doc: no conformance tests under %s/data\n", root.c_str());
    return 1;
  }
  std::printf("\nConformance summary, %s.\n", pl::conformance::Describe(all).c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = PL_ONNX_TESTDATA_DEFAULT, skip_dir = PL_SKIP_DIR_DEFAULT;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--conformance-root" || a == "--skip-dir") && i + 1 < argc) {
      (a == "--skip-dir" ? skip_dir : root) = argv[++i];
    } else {
      std::fprintf(stderr, "usage: pl_ops_doc [--conformance-root DIR] [--skip-dir DIR]\n");
      return 2;
    }
  }
  struct Row {
    std::set<std::string> backends;
    std::set<std::string> types;
    int since = 1 << 30, until = 0;
  };
  // key: domain, op, opset range per backend is merged into one row per (domain, op, since, until)
  std::map<std::tuple<std::string, std::string, int, int>, Row> rows;
  for (const auto& e : pl::KernelRegistry::Global().Entries()) {
    if (!e->builtin) continue;
    const auto& d = e->def;
    auto& r = rows[{d.domain().empty() ? "ai.onnx" : d.domain(), d.op_type(), d.since(), d.until()}];
    r.backends.insert(d.backend());
    if (d.types().empty()) r.types.insert(d.takes_strings() ? "any, string" : "any");
    for (auto t : d.types()) r.types.insert(pl::DataTypeName(t));
  }
  std::printf("# Supported operators\n\n");
  std::printf("Generated from the kernel registry by `pl_ops_doc` (do not edit; the test `supported_ops_doc`\n"
              "fails when this file is stale: regenerate with `build/tools/pl_ops_doc > docs/supported_ops.md`).\n\n");
  std::set<std::string> ops;
  for (const auto& [k, r] : rows) ops.insert(std::get<0>(k) + "::" + std::get<1>(k));
  std::printf("%zu operators, %zu kernel rows.\n\n", ops.size(), rows.size());
  std::printf("| domain | op | opsets | backends | dtypes |\n|---|---|---|---|---|\n");
  for (const auto& [k, r] : rows) {
    auto join = [](const std::set<std::string>& s) {
      std::string o;
      for (const auto& x : s) o += (o.empty() ? "" : ", ") + x;
      return o;
    };
    const int until = std::get<3>(k);
    std::string range = std::to_string(std::get<2>(k)) + (until >= (1 << 30) ? "+" : "–" + std::to_string(until));
    std::printf("| %s | %s | %s | %s | %s |\n", std::get<0>(k).c_str(), std::get<1>(k).c_str(), range.c_str(),
                join(r.backends).c_str(), join(r.types).c_str());
  }
  return PrintConformance(root, skip_dir);
}
