// The plan of one input-shape signature of a oneDNN region: its steps (primitives and custom
// code), the memories they use and where each lives at run time, and the workspace layout.
// Private to the region (region.cc runs plans, region_planner.cc builds them).
#pragma once

#include <climits>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "src/backends/cpu/onednn/region.h"

namespace pl::onednn {

constexpr size_t kAlign = 64;
constexpr size_t kMaxPlans = 16;
inline size_t AlignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// Where a memory's data lives at run time.
struct MemRec {
  enum class Loc { kWorkspace, kInput, kOutput, kFixed, kScratch };
  Loc loc = Loc::kFixed;
  int index = -1;    // kernel input/output index
  int alias = -1;    // workspace memory sharing another record's bytes
  size_t bytes = 0;
  size_t offset = 0;  // in the workspace
  int first = INT_MAX, last = -1;  // steps that use it
  memory mem;
  void* bound = nullptr;  // handle last set (set_data_handle may zero-pad: call it only on change)
};

struct Step {
  dnnl::primitive prim;
  std::function<void()> fn;
  std::unordered_map<int, memory> args;
  int node = -1;
  // For the profile (Predictor::EnableProfiling): the primitive's kind and arithmetic.
  const char* kind = "custom";
  double flops = 0;
};

// Regions with less work than this (~1 ms on one core) run on one thread whatever the predictor's
// intra-op threads: every oneDNN primitive forks the OpenMP team, and on a busy machine waking the
// second thread 60 times costs more than the work (PaddleOCR's cls: 2.4x slower at intra 2).
// Switching the team size per step instead costs a wake-up per switch (10x slower).
constexpr double kSingleThreadWork = 1e8;

struct Plan {
  double work = 0;  // see kSingleThreadWork
  std::vector<Step> steps;
  std::vector<MemRec> mems;
  std::vector<Shape> out_shapes;
  size_t ws_bytes = 0;
  std::vector<std::shared_ptr<void>> owned;  // constants reordered at plan time
};

// Plans one input-shape signature of `region` for `threads` intra-op threads into `plan`.
// Concat-in-place trusts ONNX shape inference's channel counts for inputs not computed yet; if
// the inputs disagree, the region is planned again without it.
Status BuildPlan(const Region& region, const std::vector<const Tensor*>& inputs, int threads, Plan* plan);

// A primitive's kind ("convolution", "reorder", ...) and its multiply-adds x 2 (0 where not
// counted), for the profile.
std::pair<const char*, double> KindAndFlops(const dnnl::primitive& prim);

}  // namespace pl::onednn
