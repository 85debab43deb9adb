// ONNX conformance runner over Debian's libonnx-testdata: for every test directory whose ops the
// registry supports, runs the model and compares with the published outputs (tools/conformance.h).
// Prints one totals line per suite, with the count of issue 12 (tests with no training op and
// tensor I/O that pass), and a total.
//   pl_conformance --root /usr/share/libonnx-testdata [--suites node,simple,...]
//                  [--skip-list F] [--filter SUBSTR] [--require-pass] [--verbose] [--backend b,..]
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tools/conformance.h"

int main(int argc, char** argv) {
  pl::conformance::Options options;
  bool require_pass = false, verbose = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--root") {
      options.root = val();
    } else if (a == "--skip-list") {
      pl::Status s = pl::conformance::ReadSkipList(val(), &options.skips);
      if (!s.ok()) { std::cerr << s.ToString() << "\n"; return 2; }
    } else if (a == "--filter") {
      options.filter = val();
    } else if (a == "--require-pass") {
      require_pass = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--suites" || a == "--backend") {
      std::vector<std::string> list;
      std::stringstream ss(val());
      std::string s;
      while (std::getline(ss, s, ',')) list.push_back(s);
      (a == "--suites" ? options.suites : options.backends) = list;
    } else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  using pl::conformance::Outcome;
  auto report = [&](const std::string& key, Outcome o, const std::string& detail) {
    if (o == Outcome::kFail) std::printf("FAIL %s: %s\n", key.c_str(), detail.c_str());
    else if (!verbose) return;
    else if (o == Outcome::kPass) std::printf("PASS %s\n", key.c_str());
    else if (o == Outcome::kSkip) std::printf("SKIP %s: %s\n", key.c_str(), detail.c_str());
    else std::printf("UNSUPPORTED %s (%s)\n", key.c_str(), detail.c_str());
  };
  pl::conformance::SuiteTotals all;
  all.suite = "total";
  for (const auto& t : pl::conformance::Run(options, report)) {
    std::printf("conformance %s\n", pl::conformance::Describe(t).c_str());
    all.Add(t);
  }
  std::printf("conformance %s\n", pl::conformance::Describe(all).c_str());
  std::fflush(stdout);
  return require_pass && all.failed > 0 ? 1 : 0;
}
