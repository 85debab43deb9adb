#include <algorithm>

#include "pl/op_registry.h"
#include "src/ops/builtin_kernels.h"

namespace pl {

bool KernelDef::Matches(const std::string& domain, const std::string& op, int opset,
                        const std::string& backend, DataType dtype) const {
  if (op != op_type_ || backend != backend_) return false;
  const std::string& d = domain == "ai.onnx" ? std::string() : domain;
  if (d != domain_) return false;
  if (opset < since_ || opset > until_) return false;
  if (dtype == DataType::kString) return takes_strings();
  if (types_.empty() || dtype == DataType::kUndefined) return true;
  return std::find(types_.begin(), types_.end(), dtype) != types_.end();
}

bool KernelDef::takes_strings() const {
  return types_.empty() ? strings_ : std::find(types_.begin(), types_.end(), DataType::kString) != types_.end();
}

KernelRegistry& KernelRegistry::Global() {
  static KernelRegistry* registry = [] {
    auto* r = new KernelRegistry();  // never destroyed: kernels may be looked up during exit
    RegisterBuiltinKernels(*r);
    return r;
  }();
  return *registry;
}

Status KernelRegistry::Register(KernelDef def, KernelFactory factory) {
  if (def.op_type().empty()) return Status::InvalidArgument("KernelDef: empty op type");
  if (def.backend().empty()) return Status::InvalidArgument("KernelDef '" + def.op_type() + "': empty backend");
  if (def.since() > def.until())
    return Status::InvalidArgument("KernelDef '" + def.op_type() + "': opset range inverted");
  if (!factory) return Status::InvalidArgument("KernelDef '" + def.op_type() + "': null factory");
  auto e = std::make_shared<Entry>(Entry{std::move(def), std::move(factory), false});
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(std::move(e));
  return Status::Ok();
}

void KernelRegistry::RegisterBuiltin(KernelDef def, KernelFactory factory) {
  auto e = std::make_shared<Entry>(Entry{std::move(def), std::move(factory), true});
  std::lock_guard<std::mutex> lock(mu_);
  entries_.push_back(std::move(e));
}

std::vector<std::shared_ptr<const KernelRegistry::Entry>> KernelRegistry::Find(
    const std::string& domain, const std::string& op, int opset, const std::string& backend,
    DataType dtype) const {
  std::vector<std::shared_ptr<const Entry>> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it)
    if ((*it)->def.Matches(domain, op, opset, backend, dtype)) out.push_back(*it);
  // User kernels before built-ins, otherwise latest first.
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return !a->builtin && b->builtin; });
  return out;
}

bool KernelRegistry::HasOp(const std::string& domain, const std::string& op) const {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string d = domain == "ai.onnx" ? std::string() : domain;
  for (const auto& e : entries_)
    if (e->def.op_type() == op && e->def.domain() == d) return true;
  return false;
}

std::vector<std::shared_ptr<const KernelRegistry::Entry>> KernelRegistry::Entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

void KernelRegistry::DeclareOption(OptionDecl decl) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& o : options_)
    if (o.key == decl.key) {
      o = std::move(decl);
      return;
    }
  options_.push_back(std::move(decl));
}

std::vector<KernelRegistry::OptionDecl> KernelRegistry::DeclaredOptions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return options_;
}

Status KernelRegistry::CheckOptions(const std::map<std::string, std::string>& options) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [key, value] : options) {
    const OptionDecl* decl = nullptr;
    for (const auto& o : options_)
      if (o.key == key) decl = &o;
    if (!decl) {
      std::string known;
      for (const auto& o : options_) known += (known.empty() ? "" : ", ") + o.key;
      return Status::InvalidArgument("backend option '" + key + "' is not declared by any linked backend (known: " +
                                     (known.empty() ? std::string("none") : known) + ")");
    }
    if (!decl->values.empty() && std::find(decl->values.begin(), decl->values.end(), value) == decl->values.end()) {
      std::string allowed;
      for (const auto& v : decl->values) allowed += (allowed.empty() ? "" : " | ") + v;
      return Status::InvalidArgument("backend option '" + key + "' = '" + value + "': expected " + allowed);
    }
  }
  return Status::Ok();
}

// ----- NodeInfo attribute access -----
const Attribute* NodeInfo::FindAttr(const std::string& n) const {
  if (!attributes) return nullptr;
  auto it = attributes->find(n);
  return it == attributes->end() ? nullptr : &it->second;
}

namespace detail {
using T = Attribute::Type;
Status AttrTypeError(const NodeInfo& n, const std::string& attr, const char* want) {
  return Status::ModelError(n.Describe() + ": attribute '" + attr + "' is not " + want);
}
bool AttrGet(const Attribute& a, float* out) {
  if (a.type == T::kFloat) { *out = a.f; return true; }
  if (a.type == T::kInt) { *out = static_cast<float>(a.i); return true; }
  return false;
}
bool AttrGet(const Attribute& a, int64_t* out) {
  if (a.type != T::kInt) return false;
  *out = a.i;
  return true;
}
bool AttrGet(const Attribute& a, int* out) {
  if (a.type != T::kInt) return false;
  *out = static_cast<int>(a.i);
  return true;
}
bool AttrGet(const Attribute& a, bool* out) {
  if (a.type != T::kInt) return false;
  *out = a.i != 0;
  return true;
}
bool AttrGet(const Attribute& a, std::string* out) {
  if (a.type != T::kString) return false;
  *out = a.s;
  return true;
}
bool AttrGet(const Attribute& a, std::vector<int64_t>* out) {
  if (a.type == T::kInts) { *out = a.ints; return true; }
  if (a.type == T::kUndefined) { out->clear(); return true; }
  return false;
}
bool AttrGet(const Attribute& a, std::vector<float>* out) {
  if (a.type == T::kFloats) { *out = a.floats; return true; }
  if (a.type == T::kUndefined) { out->clear(); return true; }
  return false;
}
bool AttrGet(const Attribute& a, std::vector<std::string>* out) {
  if (a.type == T::kStrings) { *out = a.strings; return true; }
  if (a.type == T::kUndefined) { out->clear(); return true; }
  return false;
}
template <> const char* AttrTypeName<float>() { return "a float"; }
template <> const char* AttrTypeName<int64_t>() { return "an int"; }
template <> const char* AttrTypeName<int>() { return "an int"; }
template <> const char* AttrTypeName<bool>() { return "an int (bool)"; }
template <> const char* AttrTypeName<std::string>() { return "a string"; }
template <> const char* AttrTypeName<std::vector<int64_t>>() { return "a list of ints"; }
template <> const char* AttrTypeName<std::vector<float>>() { return "a list of floats"; }
template <> const char* AttrTypeName<std::vector<std::string>>() { return "a list of strings"; }
}  // namespace detail

}  // namespace pl
