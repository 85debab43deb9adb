// pl_ops_doc: prints the supported-operators table (Markdown) generated from the kernel registry.
//   pl_ops_doc > docs/supported_ops.md        (tests/unit check that the committed file is current)
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>

#include "pl/op_registry.h"

int main() {
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
  return 0;
}
