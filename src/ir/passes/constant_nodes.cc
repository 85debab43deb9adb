// Pass: Constant nodes become constant values, so weights written as Constant nodes (as
// Paddle2ONNX does) are shared by every clone exactly like initializers.
#include "src/ir/passes/passes.h"

namespace pl::ir {

namespace {
StatusOr<std::shared_ptr<const Tensor>> ConstantValue(const Node& n) {
  const std::string what = "Constant node '" + n.name + "'";
  auto has = [&](const char* k) { return n.attrs.count(k) > 0; };
  if (has("value")) {
    const Attribute& a = n.attrs.at("value");
    if (a.type != Attribute::Type::kTensor || !a.t) return Status::ModelError(what + ": 'value' is not a tensor");
    return a.t;
  }
  if (has("value_float")) {
    PL_ASSIGN_OR_RETURN(Tensor t, Tensor::FromVector<float>({}, {n.attrs.at("value_float").f}));
    return std::make_shared<const Tensor>(std::move(t));
  }
  if (has("value_int")) {
    PL_ASSIGN_OR_RETURN(Tensor t, Tensor::FromVector<int64_t>({}, {n.attrs.at("value_int").i}));
    return std::make_shared<const Tensor>(std::move(t));
  }
  if (has("value_floats")) {
    const auto& v = n.attrs.at("value_floats").floats;
    PL_ASSIGN_OR_RETURN(Tensor t, Tensor::FromVector<float>({static_cast<int64_t>(v.size())}, v));
    return std::make_shared<const Tensor>(std::move(t));
  }
  if (has("value_ints")) {
    const auto& v = n.attrs.at("value_ints").ints;
    PL_ASSIGN_OR_RETURN(Tensor t, Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v));
    return std::make_shared<const Tensor>(std::move(t));
  }
  if (has("sparse_value")) return Status::Unimplemented(what + ": sparse_value is not supported");
  if (has("value_string") || has("value_strings"))
    return Status::Unimplemented(what + ": string constants are not supported");
  return Status::ModelError(what + ": no value attribute");
}
}  // namespace

Status ConstantNodesToValues(Graph* g) {
  for (Node& n : g->nodes) {
    if (n.removed || n.op_type != "Constant" || !n.domain.empty()) continue;
    if (n.outputs.size() != 1 || n.outputs[0] < 0) return Status::ModelError("Constant node '" + n.name + "' needs one output");
    PL_ASSIGN_OR_RETURN(std::shared_ptr<const Tensor> t, ConstantValue(n));
    Value& v = g->values[n.outputs[0]];
    auto named = std::make_shared<Tensor>(*t);
    named->set_name(v.name);
    v.constant = std::move(named);
    v.dtype = t->dtype();
    v.has_shape = true;
    v.shape = t->shape();
    v.dim_names.assign(v.shape.size(), "");
    v.producer = -1;
    n.removed = true;
  }
  return Status::Ok();
}

}  // namespace pl::ir
