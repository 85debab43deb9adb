// After a test binary planned its models: how many oneDNN primitives were reference or generic
// implementations (printed as failures), at whatever ISA the process runs; prints what was avoided.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#ifdef PL_WITH_ONEDNN
#include "src/backends/cpu/onednn/common.h"
#endif

namespace pl::test {

inline int ReferenceKernelsChosen() {
#ifdef PL_WITH_ONEDNN
  for (const std::string& a : pl::onednn::RefImplsAvoided()) std::printf("reference implementation avoided: %s\n", a.c_str());
  const std::vector<std::string> chosen = pl::onednn::RefImplsChosen();
  for (const std::string& c : chosen) std::printf("FAILED: reference implementation chosen: %s\n", c.c_str());
  return static_cast<int>(chosen.size());
#else
  return 0;
#endif
}

}  // namespace pl::test
