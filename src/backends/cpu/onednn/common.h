// Shared helpers of the oneDNN backend: the process-wide CPU engine, dims/descriptor helpers and
// the bridge from oneDNN's exceptions to Status (no exception leaves this backend).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "pl/kernel.h"
#include "pl/status.h"
#include "pl/tensor.h"

namespace pl::onednn {

// Domain of the nodes our passes create: ops with fused post-ops and whole regions.
inline constexpr const char* kDomain = "pl.onednn";

using dnnl::memory;
using Dims = memory::dims;
using Md = memory::desc;

// One CPU engine for the process: oneDNN engines are immutable and thread-safe once created.
const dnnl::engine& Engine();

inline Dims ToDims(const Shape& s) { return Dims(s.begin(), s.end()); }
// Plain row-major f32 descriptor (abcd...) of a shape; rank 0 is treated as [1].
Md PlainMd(const Shape& s);
// Format tag of the plain layout of a rank (a, ab, abc, ...).
memory::format_tag PlainTag(int rank);
bool IsPlain(const Md& md);
// md's layout with other dims (same rank and blocking), e.g. nhwc of another spatial size, or a
// [N,C,1,1] scale in the nChw8c layout of the map it multiplies. Returns a zero (empty) desc
// where md's layout has no format tag we know.
Md SameLayout(const Md& md, const Dims& dims);
std::string MdToString(const Md& md);

// What oneDNN chose, checked at plan time (never on the run path). A reference or generic
// implementation on more than a few KB is a hot-path bug on that ISA: NoteRefImpl records it
// (and prints it once at PL_ONEDNN_VERBOSE); NoteAvoidedRef records a form picked instead of one.
// Both are thread-safe. `impl` is primitive_desc::impl_info_str().
// `reorder_bytes`: the size of a reorder's largest operand (0 for other primitives, whose
// "simple" implementations, e.g. concat and layer normalization, are oneDNN's fast ones).
bool IsGenericImpl(const std::string& impl, size_t reorder_bytes);
void NoteRefImpl(const std::string& what);
void NoteAvoidedRef(const std::string& what);
// Everything NoteRefImpl / NoteAvoidedRef saw in this process (tests assert on them).
std::vector<std::string> RefImplsChosen();
std::vector<std::string> RefImplsAvoided();

// Runs f (which may throw dnnl::error) and maps exceptions to a Status naming `what`.
template <typename F>
Status Guard(const std::string& what, F&& f) {
  try {
    f();
    return Status::Ok();
  } catch (const dnnl::error& e) {
    return Status::Unimplemented(what + ": oneDNN: " + e.what() + " (status " + std::to_string(e.status) + ")");
  } catch (const std::exception& e) {
    return Status::Internal(what + ": " + e.what());
  }
}

// Runs compile-time oneDNN work (weight reorders, trial primitive descriptors) on the calling
// thread only: an OpenMP team there buys nothing for such small jobs and, on a busy machine,
// costs a scheduler round trip per parallel region (seconds per model). Restores on exit.
class SingleThreadScope {
 public:
  SingleThreadScope();
  ~SingleThreadScope();
  SingleThreadScope(const SingleThreadScope&) = delete;
  SingleThreadScope& operator=(const SingleThreadScope&) = delete;

 private:
  int saved_ = 1;
};

// True when PL_ONEDNN_VERBOSE is set (plans and layout decisions are logged to stderr).
bool Verbose();

}  // namespace pl::onednn
