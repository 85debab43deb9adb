// The pluggable op registry. Kernels are keyed by (domain, op type, opset range, backend, dtype).
// Users add ops or whole backends from their own code, without editing the SDK:
//
//   class MyGelu : public pl::Kernel { ... Status Compute(pl::KernelContext& ctx) const override; };
//   pl::RegisterKernel<MyGelu>(pl::KernelDef("Gelu").Domain("com.example").Types<float>());
//
// Register before creating the predictors that should see the kernel. A later registration for
// the same key takes priority over earlier ones (so users can override a built-in kernel).
// Thread-safety: registration and lookup are internally synchronized.
#pragma once

#include <climits>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "pl/config.h"
#include "pl/kernel.h"

namespace pl {

class KernelDef {
 public:
  explicit KernelDef(std::string op_type) : op_type_(std::move(op_type)) {}
  KernelDef& Domain(std::string d) { domain_ = d == "ai.onnx" ? "" : std::move(d); return *this; }
  // Opsets [since, until] of the node's domain this kernel implements.
  KernelDef& Opset(int since, int until = INT_MAX) { since_ = since; until_ = until; return *this; }
  KernelDef& Backend(std::string b) { backend_ = std::move(b); return *this; }
  KernelDef& Types(std::vector<DataType> t) { types_ = std::move(t); return *this; }
  template <typename... T> KernelDef& Types() { types_ = {DataTypeOf<T>::value...}; return *this; }
  // Matches every fixed-size dtype (shape ops, Identity...); string tensors only with Strings().
  KernelDef& AnyType() { types_.clear(); return *this; }
  // An AnyType() kernel that also takes string tensors (it copies elements, not bytes). A kernel
  // with a Types() list takes strings when the list holds DataType::kString.
  KernelDef& Strings() { strings_ = true; return *this; }
  // The kernel takes sequence and empty-optional values as inputs (the Sequence* / Optional* ops,
  // Identity, control flow). Others are given tensors only: a sequence reaching them is an error.
  KernelDef& Sequences() { sequences_ = true; return *this; }
  // Which input's dtype is matched against Types() (default 0; -1 means output 0).
  KernelDef& TypeFrom(int input) { type_input_ = input; return *this; }
  // Output `out` may reuse input `in`'s memory.
  KernelDef& InPlace(int in, int out) { inplace_ = {in, out}; return *this; }
  // Input i is read on the host even for device backends (shape-like inputs).
  KernelDef& HostInput(int i) { host_inputs_.push_back(i); return *this; }
  // Input i is only looked at for its dtype and shape (Shape, Size): it is never copied between
  // devices for this kernel.
  KernelDef& MetadataInput(int i) { metadata_inputs_.push_back(i); return *this; }

  const std::string& op_type() const { return op_type_; }
  const std::string& domain() const { return domain_; }
  int since() const { return since_; }
  int until() const { return until_; }
  const std::string& backend() const { return backend_; }
  const std::vector<DataType>& types() const { return types_; }
  int type_input() const { return type_input_; }
  std::pair<int, int> inplace() const { return inplace_; }
  const std::vector<int>& host_inputs() const { return host_inputs_; }
  const std::vector<int>& metadata_inputs() const { return metadata_inputs_; }
  bool takes_strings() const;
  bool takes_sequences() const { return sequences_; }
  bool Matches(const std::string& domain, const std::string& op, int opset,
               const std::string& backend, DataType dtype) const;

 private:
  std::string op_type_, domain_;
  int since_ = 1, until_ = INT_MAX;
  std::string backend_ = kBackendCpuRef;
  std::vector<DataType> types_;
  int type_input_ = 0;
  std::pair<int, int> inplace_{-1, -1};
  std::vector<int> host_inputs_;
  std::vector<int> metadata_inputs_;
  bool strings_ = false;
  bool sequences_ = false;
};

using KernelFactory = std::function<StatusOr<std::unique_ptr<Kernel>>(const NodeInfo&)>;

// Default-constructs K and calls K::Init(node).
template <typename K>
KernelFactory MakeKernelFactory() {
  return [](const NodeInfo& node) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = std::make_unique<K>();
    Status s = k->Init(node);
    if (!s.ok()) return s;
    return std::unique_ptr<Kernel>(std::move(k));
  };
}

class KernelRegistry {
 public:
  struct Entry {
    KernelDef def;
    KernelFactory factory;
    bool builtin = false;
  };
  // The process-wide registry, with every built-in kernel registered on first use.
  static KernelRegistry& Global();

  // Errors: empty op type or backend, an inverted opset range.
  Status Register(KernelDef def, KernelFactory factory);
  void RegisterBuiltin(KernelDef def, KernelFactory factory);  // for the SDK's own lists

  // Candidates for a node on one backend, best first (latest registration first).
  std::vector<std::shared_ptr<const Entry>> Find(const std::string& domain, const std::string& op,
                                                 int opset, const std::string& backend,
                                                 DataType dtype) const;
  // True if any backend has any kernel for (domain, op).
  bool HasOp(const std::string& domain, const std::string& op) const;
  std::vector<std::shared_ptr<const Entry>> Entries() const;

  // Backend options (Config::SetBackendOption): a backend declares each key it reads, the values
  // it accepts (empty = any) and a one-line description.
  struct OptionDecl {
    std::string key;
    std::vector<std::string> values;
    std::string help;
  };
  void DeclareOption(OptionDecl decl);
  std::vector<OptionDecl> DeclaredOptions() const;
  // InvalidArgument naming the first undeclared key or unaccepted value.
  Status CheckOptions(const std::map<std::string, std::string>& options) const;

 private:
  mutable std::mutex mu_;
  std::vector<OptionDecl> options_;
  std::vector<std::shared_ptr<const Entry>> entries_;
};

// Convenience: registers K in the global registry.
template <typename K>
Status RegisterKernel(KernelDef def) {
  return KernelRegistry::Global().Register(std::move(def), MakeKernelFactory<K>());
}

}  // namespace pl
