// Fault injection over a real model: PP-OCRv4 det, load + first run, with allocation N failing
// for N = 1, 1 + stride, ... through the load (stride from $PL_FAULT_STRIDE, default 1 = every
// allocation), then for every allocation of the first run. Each failure must be OutOfMemory (or
// ResourceExhausted) from Create or Run, the predictor usable afterwards, and the outputs then
// equal to an undisturbed run. Skips (77) when the model is not fetched.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "pl/fault_injection.h"
#include "pl/pl.h"

#ifndef PL_MODELS_DIR_DEFAULT
#define PL_MODELS_DIR_DEFAULT ".models"
#endif

namespace fi = pl::fault_injection;

static bool Same(const std::vector<pl::Tensor>& a, const std::vector<pl::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].shape() != b[i].shape() || std::memcmp(a[i].RawData(), b[i].RawData(), a[i].ByteSize()) != 0) return false;
  return true;
}

int main() {
  const char* env = std::getenv("PL_MODELS_DIR");
  const std::string path = std::string(env && *env ? env : PL_MODELS_DIR_DEFAULT) + "/ch_PP-OCRv4_det_infer.onnx";
  if (!std::ifstream(path)) {
    std::printf("skipping: %s not fetched (scripts/fetch_models.sh)\n", path.c_str());
    return 77;
  }
  const char* st = std::getenv("PL_FAULT_STRIDE");
  const int64_t stride = st && std::atoll(st) > 0 ? std::atoll(st) : 1;
  pl::Config c(path);
  std::vector<float> img(1 * 3 * 64 * 96);
  for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<float>((i * 37) % 255) / 255.f - 0.5f;
  const std::vector<pl::Tensor> in = {pl::Tensor::FromVector<float>({1, 3, 64, 96}, img).value()};
  std::vector<pl::Tensor> ref;
  {
    auto p = pl::CreatePredictor(c);
    if (!p.ok() || !(*p)->Run(in, &ref).ok()) {
      std::printf("FAIL: the undisturbed load/run fails\n");
      return 1;
    }
  }
  // How many allocations the load takes, and the first run after it: the sweep takes every
  // `stride`th allocation of the load but every allocation of the run (there are far fewer), so a
  // coarse stride never skips the run phase.
  int64_t load_allocs = 0;
  {
    fi::FailNthAllocation(std::numeric_limits<int64_t>::max());  // armed, never fires: counts
    auto p = pl::CreatePredictor(c);
    load_allocs = fi::Allocations();
    fi::FailNthAllocation(0);
    std::vector<pl::Tensor> out;
    if (!p.ok() || !(*p)->Run(in, &out).ok()) {
      std::printf("FAIL: the counting load/run fails\n");
      return 1;
    }
  }
  int64_t n = 1, tried = 0, load_fail = 0, run_fail = 0, absorbed = 0, bad = 0;
  for (;; n = (n + stride <= load_allocs) ? n + stride : std::max(n + 1, load_allocs + 1)) {
    fi::FailNthAllocation(n);
    auto p = pl::CreatePredictor(c);
    std::vector<pl::Tensor> out;
    pl::Status run = p.ok() ? (*p)->Run(in, &out) : pl::Status::Ok();
    const bool fired = fi::Fired();
    fi::FailNthAllocation(0);
    if (!fired) break;
    ++tried;
    const pl::Status& s = p.ok() ? run : p.status();
    if (!s.ok() && s.code() != pl::StatusCode::kOutOfMemory && s.code() != pl::StatusCode::kResourceExhausted) {
      std::printf("FAIL: allocation %lld: %s\n", static_cast<long long>(n), s.ToString().c_str());
      ++bad;
    }
    if (!p.ok()) { ++load_fail; continue; }
    if (run.ok()) ++absorbed; else ++run_fail;
    if (run.ok() && !Same(out, ref)) { std::printf("FAIL: allocation %lld: wrong outputs\n", static_cast<long long>(n)); ++bad; }
    pl::Status again = (*p)->Run(in, &out);
    if (!again.ok() || !Same(out, ref)) {
      std::printf("FAIL: allocation %lld: predictor unusable afterwards: %s\n", static_cast<long long>(n), again.ToString().c_str());
      ++bad;
    }
  }
  std::printf("PP-OCRv4 det load + first run: %lld allocations (%lld in the load), %lld failures injected (load stride %lld): "
              "%lld failed loads, %lld failed runs, %lld absorbed; %lld wrong\n",
              static_cast<long long>(n - 1), static_cast<long long>(load_allocs), static_cast<long long>(tried), static_cast<long long>(stride),
              static_cast<long long>(load_fail), static_cast<long long>(run_fail), static_cast<long long>(absorbed),
              static_cast<long long>(bad));
  return bad || tried == 0 || load_fail == 0 || run_fail == 0 ? 1 : 0;
}
