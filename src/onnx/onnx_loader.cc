#include "src/onnx/onnx_loader.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "onnx/checker.h"
#include "onnx/shape_inference/implementation.h"
#include "src/onnx/tensor_proto.h"

namespace pl::onnx_io {
namespace {

std::string DirOf(const std::string& path) {
  size_t p = path.find_last_of('/');
  return p == std::string::npos ? "." : path.substr(0, p);
}

void ReadTypeInfo(const onnx::TypeProto& type, ir::Value* v) {
  // optional(T) and sequence(tensor): the value's dtype is the tensors' (shapes vary per element).
  if (type.has_optional_type()) {
    v->is_optional = true;
    if (type.optional_type().has_elem_type()) ReadTypeInfo(type.optional_type().elem_type(), v);
    return;
  }
  if (type.has_sequence_type()) {
    v->is_sequence = true;
    const auto& elem = type.sequence_type().elem_type();
    if (elem.has_tensor_type() && elem.tensor_type().elem_type() != 0)
      v->dtype = static_cast<DataType>(elem.tensor_type().elem_type());
    return;
  }
  if (!type.has_tensor_type()) return;
  const auto& tt = type.tensor_type();
  if (tt.elem_type() != 0) v->dtype = static_cast<DataType>(tt.elem_type());
  if (!tt.has_shape()) return;
  v->has_shape = true;
  v->shape.clear();
  v->dim_names.clear();
  for (const auto& d : tt.shape().dim()) {
    v->shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    v->dim_names.push_back(d.has_dim_param() ? d.dim_param() : "");
  }
}

class GraphConverter {
 public:
  GraphConverter(std::string base_dir, std::map<std::string, int> opsets)
      : base_dir_(std::move(base_dir)), opsets_(std::move(opsets)) {}

  // `outer` holds names visible from enclosing scopes (for subgraphs).
  Status Convert(const onnx::GraphProto& gp, const std::set<std::string>& outer, ir::Graph* g) {
    g->opsets = opsets_;
    std::set<std::string> initializer_names;
    for (const auto& init : gp.initializer()) {
      PL_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(init, base_dir_));
      if (g->FindValue(init.name()) >= 0)
        return Status::ModelError("initializer '" + init.name() + "' is defined twice");
      ir::Value v;
      v.name = init.name();
      v.dtype = t.dtype();
      v.has_shape = true;
      v.shape = t.shape();
      v.dim_names.assign(v.shape.size(), "");
      v.constant = std::make_shared<const Tensor>(std::move(t));
      g->AddValue(std::move(v));
      initializer_names.insert(init.name());
    }
    if (gp.sparse_initializer_size() > 0)
      return Status::Unimplemented("sparse initializers are not supported");
    for (const auto& in : gp.input()) {
      if (initializer_names.count(in.name())) continue;  // IR<4 style: initializer listed as input
      if (g->FindValue(in.name()) >= 0) return Status::ModelError("graph input '" + in.name() + "' is listed twice");
      ir::Value v;
      v.name = in.name();
      v.is_graph_input = true;
      ReadTypeInfo(in.type(), &v);
      g->inputs.push_back(g->AddValue(std::move(v)));
    }
    for (const auto& vi : gp.value_info()) {
      int id = g->GetOrAddValue(vi.name());
      if (!g->values[id].constant && !g->values[id].is_graph_input) ReadTypeInfo(vi.type(), &g->values[id]);
    }
    std::set<std::string> local(outer);
    for (const auto& v : g->values) local.insert(v.name);
    for (const auto& np : gp.node())
      for (const auto& o : np.output()) local.insert(o);

    for (int ni = 0; ni < gp.node_size(); ++ni) {
      const auto& np = gp.node(ni);
      ir::Node n;
      n.name = np.name().empty() ? np.op_type() + "_" + std::to_string(ni) : np.name();
      n.op_type = np.op_type();
      n.domain = np.domain() == "ai.onnx" ? "" : np.domain();
      auto it = opsets_.find(n.domain);
      if (it == opsets_.end())
        return Status::ModelError(n.op_type + " node '" + n.name + "': domain '" + n.domain +
                                  "' is not in the model's opset imports");
      n.opset = it->second;
      for (const auto& in : np.input()) {
        if (in.empty()) { n.inputs.push_back(-1); continue; }
        int id = g->FindValue(in);
        if (id >= 0) MarkCaptured(gp, outer, g, id);
        if (id < 0) {
          if (local_defined(gp, in)) {
            id = g->GetOrAddValue(in);  // produced by a later node (unsorted model)
          } else if (outer.count(in)) {
            ir::Value v;
            v.name = in;
            v.is_outer = true;
            id = g->AddValue(std::move(v));
          } else {
            return Status::ModelError(n.op_type + " node '" + n.name + "': input '" + in +
                                      "' is not defined in this graph or an enclosing one");
          }
        }
        n.inputs.push_back(id);
      }
      for (const auto& out : np.output()) {
        if (out.empty()) { n.outputs.push_back(-1); continue; }
        n.outputs.push_back(g->GetOrAddValue(out));
      }
      for (const auto& ap : np.attribute()) {
        Attribute a;
        PL_RETURN_IF_ERROR(ConvertAttribute(ap, local, &a).WithContext(n.op_type + " node '" + n.name + "'"));
        n.attrs[ap.name()] = std::move(a);
      }
      PL_RETURN_IF_ERROR(ResolveImplicitInputs(gp, outer, g, &n));
      g->nodes.push_back(std::move(n));
    }
    for (const auto& out : gp.output()) {
      int id = g->FindValue(out.name());
      if (id >= 0) MarkCaptured(gp, outer, g, id);
      if (id < 0) {
        if (!outer.count(out.name())) return Status::ModelError("graph output '" + out.name() + "' is not produced");
        ir::Value v;
        v.name = out.name();
        v.is_outer = true;
        id = g->AddValue(std::move(v));
      }
      ir::Value& v = g->values[id];
      DataType keep = v.dtype;
      if (!v.constant && !v.is_graph_input) ReadTypeInfo(out.type(), &v);
      if (v.dtype == DataType::kUndefined) v.dtype = keep;
      v.is_graph_output = true;
      g->outputs.push_back(id);
    }
    return g->Finalize();
  }

 private:
  static bool local_defined(const onnx::GraphProto& gp, const std::string& name) {
    for (const auto& np : gp.node())
      for (const auto& o : np.output())
        if (o == name) return true;
    return false;
  }

  // A name this graph knows only from its value_info, but an enclosing graph defines, is a
  // captured outer value (some exporters list captured values in a subgraph's value_info).
  static void MarkCaptured(const onnx::GraphProto& gp, const std::set<std::string>& outer, ir::Graph* g, int id) {
    ir::Value& v = g->values[id];
    if (!v.is_graph_input && !v.constant && !v.is_outer && outer.count(v.name) && !local_defined(gp, v.name))
      v.is_outer = true;
  }

  // Outer names a node's subgraphs read become the node's implicit inputs. A name from further
  // out is captured here too (as an outer value of this graph), so every scope between the
  // definition and the use keeps it alive and the executor finds it in the direct parent frame.
  Status ResolveImplicitInputs(const onnx::GraphProto& gp, const std::set<std::string>& outer, ir::Graph* g,
                               ir::Node* n) {
    for (const auto& [attr_name, a] : n->attrs) {
      if (a.type != Attribute::Type::kGraph || !a.g) continue;
      for (const ir::Value& sv : a.g->values) {
        if (!sv.is_outer) continue;
        int id = g->FindValue(sv.name);
        if (id >= 0) MarkCaptured(gp, outer, g, id);
        if (id < 0) {
          if (local_defined(gp, sv.name)) {
            id = g->GetOrAddValue(sv.name);
          } else if (outer.count(sv.name)) {
            ir::Value v;
            v.name = sv.name;
            v.is_outer = true;
            id = g->AddValue(std::move(v));
          } else {
            return Status::ModelError(n->op_type + " node '" + n->name + "': subgraph '" + attr_name + "' reads '" +
                                      sv.name + "', which is not defined in any enclosing graph");
          }
        }
        if (std::find(n->implicit_inputs.begin(), n->implicit_inputs.end(), id) == n->implicit_inputs.end())
          n->implicit_inputs.push_back(id);
      }
    }
    return Status::Ok();
  }

  Status ConvertAttribute(const onnx::AttributeProto& ap, const std::set<std::string>& scope, Attribute* a) {
    using T = Attribute::Type;
    if (!ap.ref_attr_name().empty())
      return Status::Unimplemented("attribute '" + ap.name() + "' references a function attribute");
    switch (ap.type()) {
      case onnx::AttributeProto::FLOAT: a->type = T::kFloat; a->f = ap.f(); break;
      case onnx::AttributeProto::INT: a->type = T::kInt; a->i = ap.i(); break;
      case onnx::AttributeProto::STRING: a->type = T::kString; a->s = ap.s(); break;
      case onnx::AttributeProto::FLOATS: a->type = T::kFloats; a->floats.assign(ap.floats().begin(), ap.floats().end()); break;
      case onnx::AttributeProto::INTS: a->type = T::kInts; a->ints.assign(ap.ints().begin(), ap.ints().end()); break;
      case onnx::AttributeProto::STRINGS: a->type = T::kStrings; a->strings.assign(ap.strings().begin(), ap.strings().end()); break;
      case onnx::AttributeProto::TENSOR: {
        a->type = T::kTensor;
        PL_ASSIGN_OR_RETURN(Tensor t, TensorFromProto(ap.t(), base_dir_));
        a->t = std::make_shared<const Tensor>(std::move(t));
        break;
      }
      case onnx::AttributeProto::GRAPH: {
        a->type = T::kGraph;
        auto sub = std::make_shared<ir::Graph>();
        PL_RETURN_IF_ERROR(Convert(ap.g(), scope, sub.get()).WithContext("subgraph '" + ap.name() + "'"));
        a->g = std::move(sub);
        break;
      }
      default:
        // Unknown/unused attribute kinds (sparse tensors, type protos) are kept as undefined;
        // a kernel that needs them reports it.
        a->type = T::kUndefined;
        break;
    }
    return Status::Ok();
  }

  std::string base_dir_;
  std::map<std::string, int> opsets_;
};

Status CheckWindowAttributes(const onnx::GraphProto& g) {
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_g()) PL_RETURN_IF_ERROR(CheckWindowAttributes(a.g()));
      for (const auto& sg : a.graphs()) PL_RETURN_IF_ERROR(CheckWindowAttributes(sg));
      const std::string& an = a.name();
      if (an != "strides" && an != "dilations" && an != "kernel_shape") continue;
      for (int64_t v : a.ints())
        if (v <= 0)
          return Status::ModelError(n.op_type() + " node '" + n.name() + "': attribute '" + an +
                                    "' has a non-positive value " + std::to_string(v));
    }
  }
  return Status::Ok();
}

// ONNX 1.12's shape inference reads a tensor op's inputs as tensors, unchecked: an input that is
// a sequence or an optional crashes it (SIGSEGV in MaxUnpool's inference on optional-typed
// indices, found by fuzz_model_load). Only the ops that take such values may read them; the rest
// is a ModelError before inference runs. `outer`: such names of the enclosing scopes.
bool TypeIsTensor(const onnx::TypeProto& t) { return t.has_tensor_type() || t.value_case() == onnx::TypeProto::VALUE_NOT_SET; }

Status CheckValueKinds(const onnx::GraphProto& g, std::set<std::string> non_tensor) {
  static const std::set<std::string> kTakes = {"SequenceInsert", "SequenceErase", "SequenceAt", "SequenceLength",
                                               "ConcatFromSequence", "SequenceMap", "Optional", "OptionalHasElement",
                                               "OptionalGetElement", "Identity", "If", "Loop"};
  static const std::set<std::string> kMakes = {"SequenceConstruct", "SequenceEmpty", "SequenceInsert", "SequenceErase",
                                               "SplitToSequence", "Optional", "SequenceMap"};
  for (const auto& v : g.input())
    if (!TypeIsTensor(v.type())) non_tensor.insert(v.name()); else non_tensor.erase(v.name());
  for (const auto& v : g.value_info())
    if (!TypeIsTensor(v.type())) non_tensor.insert(v.name());
  for (const auto& v : g.output())
    if (!TypeIsTensor(v.type())) non_tensor.insert(v.name());
  for (const auto& n : g.node()) {
    const bool onnx_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (onnx_domain && !kTakes.count(n.op_type()))
      for (int i = 0; i < n.input_size(); ++i)
        if (non_tensor.count(n.input(i)))
          return Status::ModelError(n.op_type() + " node '" + n.name() + "': input " + std::to_string(i) + " ('" + n.input(i) +
                                    "') is a sequence or an optional; " + n.op_type() + " takes tensors");
    for (const auto& a : n.attribute()) {
      if (a.has_g()) PL_RETURN_IF_ERROR(CheckValueKinds(a.g(), non_tensor));
      for (const auto& sg : a.graphs()) PL_RETURN_IF_ERROR(CheckValueKinds(sg, non_tensor));
    }
    bool makes = onnx_domain && kMakes.count(n.op_type());
    for (int i = 0; i < n.input_size() && onnx_domain && n.op_type() == "Identity"; ++i) makes |= non_tensor.count(n.input(i)) > 0;
    for (int o = 0; o < n.output_size(); ++o) {
      bool out = makes;
      for (const auto& a : n.attribute())  // If / Loop: what the branch or body declares it returns
        if (a.has_g() && (n.op_type() == "If" || n.op_type() == "Loop")) {
          const int k = n.op_type() == "Loop" ? o + 1 : o;
          if (k < a.g().output_size() && !TypeIsTensor(a.g().output(k).type())) out = true;
        }
      if (out) non_tensor.insert(n.output(o));
    }
  }
  return Status::Ok();
}

// ONNX 1.12's conv/pool shape inference indexes the weight's dims by the input's rank and the
// window attributes by each other's lengths, unchecked (SIGSEGV on a QLinearConv with a 3-D input
// and a 4-D weight, found by fuzz_model_load): ranks and lengths must agree first.
Status CheckConvRanks(const onnx::GraphProto& g) {
  std::map<std::string, int> rank;
  std::set<std::string> shapeless;  // declared tensors without a shape
  for (const auto& v : g.input()) {
    if (v.type().tensor_type().has_shape()) rank[v.name()] = v.type().tensor_type().shape().dim_size();
    else if (v.type().has_tensor_type()) shapeless.insert(v.name());
  }
  for (const auto& v : g.value_info()) {
    if (v.type().tensor_type().has_shape()) rank[v.name()] = v.type().tensor_type().shape().dim_size();
    else if (v.type().has_tensor_type()) shapeless.insert(v.name());
  }
  for (const auto& t : g.initializer()) rank[t.name()] = t.dims_size();
  for (const auto& n : g.node()) {
    for (const auto& a : n.attribute()) {
      if (a.has_g()) PL_RETURN_IF_ERROR(CheckConvRanks(a.g()));
      for (const auto& sg : a.graphs()) PL_RETURN_IF_ERROR(CheckConvRanks(sg));
    }
    const std::string what = n.op_type() + " node '" + n.name() + "'";
    int w = -1;
    if (n.op_type() == "Conv" || n.op_type() == "ConvTranspose" || n.op_type() == "ConvInteger") w = 1;
    if (n.op_type() == "QLinearConv") w = 3;
    if (w > 0 && n.input_size() > w && rank.count(n.input(0)) && rank.count(n.input(w)) &&
        rank[n.input(0)] != rank[n.input(w)])
      return Status::ModelError(what + ": input rank " + std::to_string(rank[n.input(0)]) + ", weight rank " +
                                std::to_string(rank[n.input(w)]));
    // Gemm's opset <= 6 inference reads dim 0/1 of A and B unchecked (SIGSEGV on a 1-D B, found by
    // fuzz_model_load); every Gemm takes 2-D A and B.
    if (n.op_type() == "Gemm")
      for (int i = 0; i < 2 && i < n.input_size(); ++i)
        if (rank.count(n.input(i)) && rank[n.input(i)] != 2)
          return Status::ModelError(what + ": input " + std::to_string(i) + " has rank " + std::to_string(rank[n.input(i)]) +
                                    ", Gemm takes 2-D A and B");
    // LayerNormalization's inference indexes X's dims by `axis` unchecked (SIGSEGV on a scalar X,
    // found by fuzz_model_load): X needs rank >= 1 and axis in [-rank, rank).
    if (n.op_type() == "LayerNormalization" && n.input_size() > 0 && rank.count(n.input(0))) {
      int64_t axis = -1;
      for (const auto& a : n.attribute())
        if (a.name() == "axis") axis = a.i();
      const int r = rank[n.input(0)];
      if (r < 1 || axis < -r || axis >= r)
        return Status::ModelError(what + ": axis " + std::to_string(axis) + " for an input of rank " + std::to_string(r));
    }
    // MaxUnpool's inference reads the channel count as dim 1 of the indices (SIGSEGV on indices
    // of rank 1, found by fuzz_model_load): they have X's shape, so at least rank 2.
    // STFT's inference reads the signal's dims 1 and 2 unchecked (SIGSEGV on a 1-D signal, found
    // by fuzz_model_load): the signal is [batch, length, 1 or 2].
    if (n.op_type() == "STFT" && n.input_size() > 0 && rank.count(n.input(0)) && rank[n.input(0)] != 3)
      return Status::ModelError(what + ": signal (input 0) of rank " + std::to_string(rank[n.input(0)]) +
                                ", STFT takes [batch, length, 1 or 2]");
    // MaxUnpool's inference also reads the indices' shape without checking there is one (SIGSEGV on a declared
    // indices input without a shape, found by fuzz_model_load).
    if (n.op_type() == "MaxUnpool" && (n.input_size() < 2 || shapeless.count(n.input(1))))
      return Status::ModelError(what + ": indices (input 1) " +
                                (n.input_size() < 2 ? std::string("missing") : "declared without a shape") +
                                "; they must have the shape of X");
    if (n.op_type() == "MaxUnpool" && n.input_size() > 1 && rank.count(n.input(1)) &&
        (rank[n.input(1)] < 2 || (rank.count(n.input(0)) && rank[n.input(0)] != rank[n.input(1)])))
      return Status::ModelError(what + ": indices (input 1) of rank " + std::to_string(rank[n.input(1)]) +
                                ", they must have the shape of X" +
                                (rank.count(n.input(0)) ? " (rank " + std::to_string(rank[n.input(0)]) + ")" : ""));
    const bool pool = n.op_type() == "MaxPool" || n.op_type() == "AveragePool" || n.op_type() == "LpPool";
    if (w < 0 && !pool) continue;
    int kernel = -1;
    for (const auto& a : n.attribute())
      if (a.name() == "kernel_shape") kernel = a.ints_size();
    if (kernel < 0 && w > 0 && n.input_size() > w && rank.count(n.input(w))) kernel = rank[n.input(w)] - 2;
    if (kernel < 0 && rank.count(n.input_size() ? n.input(0) : "")) kernel = rank[n.input(0)] - 2;
    if (kernel < 0) continue;
    for (const auto& a : n.attribute()) {
      const std::string& an = a.name();
      const int want = an == "pads" ? 2 * kernel : kernel;
      if ((an == "strides" || an == "dilations" || an == "pads" || an == "output_padding") && a.ints_size() != want)
        return Status::ModelError(what + ": attribute '" + an + "' has " + std::to_string(a.ints_size()) +
                                  " values, " + std::to_string(want) + " expected");
    }
  }
  return Status::Ok();
}

// Every node input names a value of this graph (input, initializer, any node's output) or of an
// enclosing scope. ONNX 1.12's shape inference dereferences a null type for one that does not
// (EyeLike, found by fuzz_model_load): checked before it runs.
Status CheckInputsDefined(const onnx::GraphProto& g, const std::set<std::string>& outer) {
  std::set<std::string> scope = outer;
  for (const auto& v : g.input()) scope.insert(v.name());
  for (const auto& t : g.initializer()) scope.insert(t.name());
  for (const auto& n : g.node())
    for (const auto& o : n.output()) scope.insert(o);
  for (const auto& n : g.node()) {
    for (const auto& in : n.input())
      if (!in.empty() && !scope.count(in))
        return Status::ModelError(n.op_type() + " node '" + n.name() + "': input '" + in +
                                  "' is not defined in this graph or an enclosing one");
    for (const auto& a : n.attribute()) {
      const std::string where = "subgraph '" + a.name() + "'";
      if (a.has_g()) PL_RETURN_IF_ERROR(CheckInputsDefined(a.g(), scope).WithContext(where));
      for (const auto& sg : a.graphs()) PL_RETURN_IF_ERROR(CheckInputsDefined(sg, scope).WithContext(where));
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<ir::Graph>> LoadModel(const Config& config) {
  std::string bytes, base_dir;
  std::string what;
  if (!config.model_path().empty()) {
    what = "model '" + config.model_path() + "'";
    std::ifstream f(config.model_path(), std::ios::binary);
    if (!f) return Status::NotFound("cannot open " + what);
    std::stringstream ss;
    ss << f.rdbuf();
    bytes = ss.str();
    base_dir = DirOf(config.model_path());
  } else if (!config.model_bytes().empty()) {
    what = "in-memory model";
    bytes = config.model_bytes();
    base_dir = config.model_dir();
  } else {
    return Status::InvalidArgument("Config names no model: call SetModel(path) or SetModelBuffer(bytes)");
  }
  onnx::ModelProto model;
  if (bytes.empty() || !model.ParseFromString(bytes))
    return Status::ModelError(what + " is not a valid ONNX model (protobuf parse failed: truncated or not ONNX)");
  if (!model.has_graph()) return Status::ModelError(what + " has no graph");
  if (model.ir_version() <= 0) return Status::ModelError(what + " has no ir_version: not an ONNX model");

  if (config.model_check()) {
    try {
      onnx::checker::CheckerContext ctx;
      ctx.set_ir_version(static_cast<int>(model.ir_version()));
      std::unordered_map<std::string, int> opsets;
      for (const auto& o : model.opset_import()) opsets[o.domain()] = static_cast<int>(o.version());
      ctx.set_opset_imports(opsets);
      ctx.set_model_dir(base_dir);
      onnx::checker::LexicalScopeContext lex;
      for (const auto& init : model.graph().initializer()) lex.output_names.insert(init.name());
      for (const auto& in : model.graph().input()) lex.output_names.insert(in.name());
      // Node by node rather than check_model: graph inputs/outputs without a declared shape
      // (common in exported models) are fine for us, and ops in domains ONNX does not know
      // are the user's business (custom kernels).
      for (const auto& node : model.graph().node()) {
        try {
          onnx::checker::check_node(node, ctx, lex);
        } catch (const std::exception& e) {
          std::string msg = e.what();
          const bool custom = !node.domain().empty() && node.domain() != "ai.onnx";
          if (msg.find("No Op registered for") == std::string::npos &&
              msg.find("No opset import for domain") == std::string::npos)
            throw;
          (void)custom;  // unknown ops are reported as missing kernels, naming op and node
        }
        for (const auto& o : node.output()) lex.output_names.insert(o);
      }
    } catch (const std::exception& e) {
      return Status::ModelError(what + " fails the ONNX checker: " + std::string(e.what()).substr(0, 2000));
    }
  }
  // ONNX 1.12's shape inference divides by strides/dilations without checking them (a stride of
  // 0 is a SIGFPE that no catch can stop): refuse such attributes first.
  PL_RETURN_IF_ERROR(CheckWindowAttributes(model.graph()).WithContext(what));
  PL_RETURN_IF_ERROR(CheckInputsDefined(model.graph(), {}).WithContext(what));
  PL_RETURN_IF_ERROR(CheckConvRanks(model.graph()).WithContext(what));
  PL_RETURN_IF_ERROR(CheckValueKinds(model.graph(), {}).WithContext(what));
  // A graph input whose TypeProto holds no type at all (neither tensor, sequence, map nor
  // optional) is dereferenced as a tensor by ONNX 1.12's shape inference (SIGSEGV in
  // propagateShape on an EyeLike input, found by fuzz_model_load); the spec requires the type.
  for (const auto& v : model.graph().input())
    if (v.type().value_case() == onnx::TypeProto::VALUE_NOT_SET)
      return Status::ModelError(what + ": graph input '" + v.name() + "' has no type");
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception&) {
    // Shape inference only refines dtypes/shapes; the runtime computes real shapes anyway.
  }

  std::map<std::string, int> opsets;
  for (const auto& o : model.opset_import()) {
    std::string d = o.domain() == "ai.onnx" ? "" : o.domain();
    opsets[d] = static_cast<int>(o.version());
  }
  if (!opsets.count("")) {
    if (model.ir_version() >= 3) {
      // An ONNX model without a default-domain import is legal only if it uses no ONNX op.
    }
  }
  auto g = std::make_unique<ir::Graph>();
  GraphConverter conv(base_dir, opsets);
  PL_RETURN_IF_ERROR(conv.Convert(model.graph(), {}, g.get()).WithContext(what));
  return g;
}

}  // namespace pl::onnx_io
