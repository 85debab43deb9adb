#include "util/test_util.h"

#include "onnx/shape_inference/implementation.h"
#include "src/onnx/tensor_proto.h"

namespace pl::test {

onnx::AttributeProto AttrInt(const std::string& name, int64_t v) {
  onnx::AttributeProto a; a.set_name(name); a.set_type(onnx::AttributeProto::INT); a.set_i(v); return a;
}
onnx::AttributeProto AttrFloat(const std::string& name, float v) {
  onnx::AttributeProto a; a.set_name(name); a.set_type(onnx::AttributeProto::FLOAT); a.set_f(v); return a;
}
onnx::AttributeProto AttrString(const std::string& name, const std::string& v) {
  onnx::AttributeProto a; a.set_name(name); a.set_type(onnx::AttributeProto::STRING); a.set_s(v); return a;
}
onnx::AttributeProto AttrInts(const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto a; a.set_name(name); a.set_type(onnx::AttributeProto::INTS);
  for (auto x : v) a.add_ints(x);
  return a;
}
onnx::AttributeProto AttrFloats(const std::string& name, const std::vector<float>& v) {
  onnx::AttributeProto a; a.set_name(name); a.set_type(onnx::AttributeProto::FLOATS);
  for (auto x : v) a.add_floats(x);
  return a;
}
onnx::AttributeProto AttrTensor(const std::string& name, const Tensor& t) {
  onnx::AttributeProto a; a.set_name(name); a.set_type(onnx::AttributeProto::TENSOR);
  (void)onnx_io::TensorToProto(t, a.mutable_t());
  return a;
}

static void SetValueInfo(onnx::ValueInfoProto* vi, const Tensor& t) {
  vi->set_name(t.name());
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int>(t.dtype()));
  auto* sh = tt->mutable_shape();
  for (int64_t d : t.shape()) sh->add_dim()->set_dim_value(d);
}

std::string BuildModel(const std::vector<NodeSpec>& nodes, const std::vector<Tensor>& feeds,
                       const std::vector<Tensor>& initializers, const std::vector<std::string>& outputs, int opset,
                       const std::vector<std::pair<std::string, int>>& extra_opsets) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("pl_test");
  auto* op = m.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  for (const auto& [d, v] : extra_opsets) {
    auto* o = m.add_opset_import();
    o->set_domain(d);
    o->set_version(v);
  }
  auto* g = m.mutable_graph();
  g->set_name("test");
  for (const auto& t : feeds) SetValueInfo(g->add_input(), t);
  for (const auto& t : initializers) (void)onnx_io::TensorToProto(t, g->add_initializer());
  int k = 0;
  for (const auto& n : nodes) {
    auto* np = g->add_node();
    np->set_op_type(n.op_type);
    np->set_domain(n.domain);
    np->set_name(n.op_type + "_" + std::to_string(k++));
    for (const auto& i : n.inputs) np->add_input(i);
    for (const auto& o : n.outputs) np->add_output(o);
    for (const auto& a : n.attrs) *np->add_attribute() = a;
  }
  // Graph outputs need a type (the ONNX checker insists): take it from shape inference,
  // float32 where inference cannot tell (custom ops).
  onnx::ModelProto inferred = m;
  try {
    onnx::shape_inference::InferShapes(inferred);
  } catch (const std::exception&) {
  }
  for (const auto& o : outputs) {
    auto* out = g->add_output();
    out->set_name(o);
    out->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT);
    for (const auto& vi : inferred.graph().value_info())
      if (vi.name() == o && vi.type().has_tensor_type() && vi.type().tensor_type().elem_type() != 0)
        out->mutable_type()->mutable_tensor_type()->set_elem_type(vi.type().tensor_type().elem_type());
    for (const auto& in : inferred.graph().input())
      if (in.name() == o) *out->mutable_type() = in.type();
    for (const auto& init : inferred.graph().initializer())
      if (init.name() == o) out->mutable_type()->mutable_tensor_type()->set_elem_type(init.data_type());
  }
  return m.SerializeAsString();
}

StatusOr<std::vector<Tensor>> RunOp(const std::string& op_type, const std::vector<Tensor>& inputs,
                                    const std::vector<onnx::AttributeProto>& attrs, int num_outputs, int opset,
                                    const std::vector<int>& const_inputs, const std::vector<std::string>& backends) {
  NodeSpec n;
  n.op_type = op_type;
  n.attrs = attrs;
  std::vector<Tensor> feeds, inits, run_inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].dtype() == DataType::kUndefined) { n.inputs.push_back(""); continue; }
    std::string name = "in" + std::to_string(i);
    n.inputs.push_back(name);
    Tensor t = inputs[i];
    t.set_name(name);
    bool is_const = std::find(const_inputs.begin(), const_inputs.end(), static_cast<int>(i)) != const_inputs.end();
    (is_const ? inits : feeds).push_back(t);
    if (!is_const) run_inputs.push_back(t);
  }
  std::vector<std::string> outs;
  for (int i = 0; i < num_outputs; ++i) outs.push_back("out" + std::to_string(i));
  n.outputs = outs;
  Config config;
  config.SetModelBuffer(BuildModel({n}, feeds, inits, outs, opset));
  if (!backends.empty()) config.SetBackends(backends);
  PL_ASSIGN_OR_RETURN(auto pred, CreatePredictor(config));
  std::vector<Tensor> results;
  PL_RETURN_IF_ERROR(pred->Run(run_inputs, &results));
  return results;
}

}  // namespace pl::test
