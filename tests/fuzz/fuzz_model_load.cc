// libFuzzer target: model bytes -> Config::SetModelBuffer -> CreatePredictor -> Run on small
// inputs (the declared dtypes, dynamic dims 1 then 2) -> Clone -> Run. Every outcome must be a
// Status: a crash, a sanitizer report, a leak or a hang is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  pl::Config config = pl::fuzz::FuzzConfig();
  config.SetModelBuffer(std::string(reinterpret_cast<const char*>(data), size));
  auto p = pl::CreatePredictor(config);
  if (!p.ok()) return 0;
  pl::fuzz::ByteReader r(data, size);
  for (int64_t dyn : {1, 2}) {
    std::vector<pl::Tensor> outs;
    (void)(*p)->Run(pl::fuzz::SmallInputs(**p, r, dyn), &outs);
  }
  auto clone = (*p)->Clone();
  if (clone.ok()) {
    std::vector<pl::Tensor> outs;
    (void)(*clone)->Run(pl::fuzz::SmallInputs(**clone, r, 1), &outs);
  }
  return 0;
}
