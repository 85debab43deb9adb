#include "src/backends/cpu/onednn/common.h"

#include <cstdio>
#include <mutex>
#include <set>

#include <algorithm>
#include <cstdlib>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace pl::onednn {

const dnnl::engine& Engine() {
  static const dnnl::engine* engine = new dnnl::engine(dnnl::engine::kind::cpu, 0);  // never destroyed:
  return *engine;  // kernels may outlive static destruction order
}

memory::format_tag PlainTag(int rank) {
  using T = memory::format_tag;
  switch (rank) {
    case 0:
    case 1: return T::a;
    case 2: return T::ab;
    case 3: return T::abc;
    case 4: return T::abcd;
    case 5: return T::abcde;
    case 6: return T::abcdef;
    default: return T::undef;
  }
}

Md PlainMd(const Shape& s) {
  if (s.empty()) return Md({1}, memory::data_type::f32, memory::format_tag::a);
  if (s.size() <= 6) return Md(ToDims(s), memory::data_type::f32, PlainTag(static_cast<int>(s.size())));
  Dims strides(s.size());
  int64_t acc = 1;
  for (int i = static_cast<int>(s.size()) - 1; i >= 0; --i) {
    strides[i] = acc;
    acc *= std::max<int64_t>(s[i], 1);
  }
  return Md(ToDims(s), memory::data_type::f32, strides);
}

bool IsPlain(const Md& md) {
  const auto& d = md.data;
  if (d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks != 0) return false;
  int64_t stride = 1;
  for (int i = d.ndims - 1; i >= 0; --i) {
    if (d.dims[i] != 1 && d.format_desc.blocking.strides[i] != stride) return false;
    if (d.padded_dims[i] != d.dims[i] || d.padded_offsets[i] != 0) return false;
    stride *= d.dims[i];
  }
  return d.offset0 == 0;
}

Md SameLayout(const Md& md, const Dims& dims) {
  using T = memory::format_tag;
  static const std::vector<std::vector<T>> kTags = {
      {},
      {T::a},
      {T::ab, T::ba},
      {T::abc, T::acb, T::aBc8b, T::aBc16b, T::aBc4b},
      {T::abcd, T::acdb, T::aBcd8b, T::aBcd16b, T::aBcd4b},
      {T::abcde, T::acdeb, T::aBcde8b, T::aBcde16b, T::aBcde4b},
  };
  const int rank = md.data.ndims;
  if (rank <= 0 || rank >= static_cast<int>(kTags.size()) || static_cast<int>(dims.size()) != rank) return Md();
  for (T tag : kTags[rank])
    if (md == Md(md.dims(), md.data_type(), tag)) return Md(dims, md.data_type(), tag);
  return Md();
}

std::string MdToString(const Md& md) {
  const auto& d = md.data;
  std::string s = "[";
  for (int i = 0; i < d.ndims; ++i) s += (i ? "," : "") + std::to_string(d.dims[i]);
  s += "]";
  if (d.format_kind == dnnl_format_kind_any) return s + " any";
  if (d.format_kind != dnnl_blocked) return s + " opaque";
  // Dims ordered by decreasing stride name the outer layout (abcd, acdb, ...).
  std::vector<int> order(d.ndims);
  for (int i = 0; i < d.ndims; ++i) order[i] = i;
  for (int i = 0; i < d.ndims; ++i)
    for (int j = i + 1; j < d.ndims; ++j)
      if (d.format_desc.blocking.strides[order[j]] > d.format_desc.blocking.strides[order[i]]) std::swap(order[i], order[j]);
  s += " ";
  for (int i : order) s += static_cast<char>('a' + i);
  for (int i = 0; i < d.format_desc.blocking.inner_nblks; ++i)
    s += std::to_string(d.format_desc.blocking.inner_blks[i]) + static_cast<char>('a' + d.format_desc.blocking.inner_idxs[i]);
  return s;
}

SingleThreadScope::SingleThreadScope() {
#ifdef _OPENMP
  saved_ = omp_get_max_threads();
  if (saved_ != 1) omp_set_num_threads(1);
#endif
}

SingleThreadScope::~SingleThreadScope() {
#ifdef _OPENMP
  if (saved_ != 1) omp_set_num_threads(saved_);
#endif
}

namespace {
struct ImplNotes {
  std::mutex mu;
  std::vector<std::string> chosen, avoided;
  std::set<std::string> seen;
};
ImplNotes& Notes() {
  static ImplNotes* n = new ImplNotes;  // never destroyed: plans may be built during exit
  return *n;
}
void Note(std::vector<std::string> ImplNotes::*list, const char* tag, const std::string& what) {
  ImplNotes& n = Notes();
  std::lock_guard<std::mutex> lock(n.mu);
  if (!n.seen.insert(std::string(tag) + what).second) return;
  (n.*list).push_back(what);
  if (Verbose()) std::fprintf(stderr, "[pl.onednn] %s %s\n", tag, what.c_str());
}
}  // namespace

bool IsGenericImpl(const std::string& impl, size_t reorder_bytes) {
  if (impl.rfind("ref", 0) == 0 || impl.find("gemm:ref") != std::string::npos) return true;
  return impl.rfind("simple", 0) == 0 && reorder_bytes > 16384;
}
void NoteRefImpl(const std::string& what) { Note(&ImplNotes::chosen, "reference implementation chosen:", what); }
void NoteAvoidedRef(const std::string& what) { Note(&ImplNotes::avoided, "reference implementation avoided:", what); }
std::vector<std::string> RefImplsChosen() {
  std::lock_guard<std::mutex> lock(Notes().mu);
  return Notes().chosen;
}
std::vector<std::string> RefImplsAvoided() {
  std::lock_guard<std::mutex> lock(Notes().mu);
  return Notes().avoided;
}

bool Verbose() {
  static const bool on = std::getenv("PL_ONEDNN_VERBOSE") != nullptr;
  return on;
}

}  // namespace pl::onednn
