#include "src/runtime/compiled_model.h"

#include <algorithm>
#include <new>
#include <exception>

#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"
#include "src/onnx/onnx_loader.h"

namespace pl {
namespace {

ValueInfo MakeValueInfo(const ir::Value& v) {
  ValueInfo vi;
  vi.name = v.name;
  vi.dtype = v.dtype;
  vi.has_shape = v.has_shape;
  vi.shape = v.shape;
  vi.dim_names = v.dim_names;
  if (v.constant) {
    vi.has_shape = true;
    vi.shape = v.constant->shape();
    vi.dim_names.assign(vi.shape.size(), "");
  }
  return vi;
}

}  // namespace

StatusOr<std::shared_ptr<const CompiledModel>> CompiledModel::Compile(const Config& config) {
  PL_ASSIGN_OR_RETURN(std::unique_ptr<ir::Graph> graph, onnx_io::LoadModel(config));
  return CompileGraph(std::move(graph), config);
}

StatusOr<std::shared_ptr<const CompiledModel>> CompiledModel::CompileGraph(std::unique_ptr<ir::Graph> graph,
                                                                           const Config& config) {
  // Backend options are checked before any work: a misspelt key never silently does nothing.
  PL_RETURN_IF_ERROR(KernelRegistry::Global().CheckOptions(config.backend_options()));
  std::shared_ptr<CompiledModel> m(new CompiledModel());
  m->config_ = config;
  m->backends_ = ir::EffectiveBackends(config);
  PL_RETURN_IF_ERROR(ir::RunPasses(graph.get(), config));
  for (int id : graph->inputs) {
    m->inputs_.push_back(MakeValueInfo(graph->values[id]));
    m->input_names_.push_back(graph->values[id].name);
  }
  for (int id : graph->outputs) {
    m->outputs_.push_back(MakeValueInfo(graph->values[id]));
    m->output_names_.push_back(graph->values[id].name);
  }
  m->main_ = std::make_unique<CompiledGraph>();
  std::shared_ptr<const ir::Graph> shared(std::move(graph));
  PL_RETURN_IF_ERROR(m->CompileInto(shared, m->main_.get()));
  return std::shared_ptr<const CompiledModel>(std::move(m));
}

const CompiledGraph* CompiledModel::Subgraph(const ir::Graph* g) const {
  auto it = subgraphs_.find(g);
  return it == subgraphs_.end() ? nullptr : it->second.get();
}

std::unordered_map<std::string, int> CompiledModel::BackendHistogram() const {
  std::unordered_map<std::string, int> h;
  for (const auto& s : main_->steps) h[s.backend]++;
  return h;
}

Status CompiledModel::CompileInto(std::shared_ptr<const ir::Graph> graph, CompiledGraph* out) {
  out->graph = graph;
  const ir::Graph& g = *graph;
  for (const auto& v : g.values)
    if (v.constant) shared_bytes_ += v.constant->ByteSize();
  const KernelRegistry& registry = KernelRegistry::Global();
  out->steps.reserve(g.nodes.size());
  for (size_t ni = 0; ni < g.nodes.size(); ++ni) {
    const ir::Node& n = g.nodes[ni];
    CompiledStep step;
    step.node_index = static_cast<int>(ni);
    step.inputs = n.inputs;
    step.outputs = n.outputs;
    step.info = g.MakeNodeInfo(n);
    if (!config_.backend_options().empty()) step.info.options = &config_.backend_options();
    const NodeInfo& info = step.info;
    // Compile subgraphs first so control-flow kernels can find them.
    for (const auto& [name, attr] : n.attrs) {
      if (attr.type != Attribute::Type::kGraph || !attr.g) continue;
      auto sub = std::make_unique<CompiledGraph>();
      PL_RETURN_IF_ERROR(CompileInto(attr.g, sub.get()).WithContext(info.Describe() + ", subgraph '" + name + "'"));
      subgraphs_[attr.g.get()] = std::move(sub);
    }
    std::string reasons;
    for (const std::string& backend : backends_) {
      auto candidates = registry.Find(n.domain, n.op_type, n.opset, backend, DataType::kUndefined);
      for (const auto& entry : candidates) {
        const KernelDef& def = entry->def;
        DataType dt = def.type_input() < 0 ? (info.output_types.empty() ? DataType::kUndefined : info.output_types[0])
                                           : info.InputType(def.type_input());
        if ((!def.types().empty() && dt != DataType::kUndefined &&
             std::find(def.types().begin(), def.types().end(), dt) == def.types().end()) ||
            (dt == DataType::kString && !def.takes_strings())) {
          reasons += std::string(" [") + backend + ": no " + DataTypeName(dt) + " kernel]";
          continue;
        }
        // A backend library may throw (oneDNN on an attribute it rejects): that node then fails
        // with a Status naming it, never an escaped exception.
        StatusOr<std::unique_ptr<Kernel>> kernel = Status::Internal("kernel factory did not run");
        try {
          kernel = entry->factory(info);
        } catch (const std::bad_alloc&) {
          kernel = Status::OutOfMemory(std::string(backend) + " kernel: allocation failed while preparing it");
        } catch (const std::exception& e) {
          kernel = Status::Unimplemented(std::string(backend) + " kernel threw: " + e.what());
        } catch (...) {
          kernel = Status::Unimplemented(std::string(backend) + " kernel threw an unknown exception");
        }
        if (!kernel.ok()) {
          if (kernel.status().code() == StatusCode::kUnimplemented) {
            reasons += " [" + backend + ": " + kernel.status().message() + "]";
            continue;
          }
          return kernel.status().WithContext(info.Describe());
        }
        step.kernel = std::shared_ptr<const Kernel>(std::move(kernel).value());
        step.backend = backend;
        step.type_input = def.type_input();
        step.accepted_types = def.types();
        step.takes_strings = def.takes_strings();
        if (dt == DataType::kUndefined && !def.types().empty()) {
          // dtype known only at run time: prepare this backend's kernels for the other dtypes too.
          for (const auto& alt : candidates) {
            if (alt == entry || alt->def.types().empty() || alt->def.type_input() != def.type_input()) continue;
            StatusOr<std::unique_ptr<Kernel>> k = Status::Internal("not run");
            try {
              k = alt->factory(info);
            } catch (const std::exception&) {
              continue;
            }
            if (k.ok()) step.alternatives.push_back({std::shared_ptr<const Kernel>(std::move(k).value()), alt->def.types()});
          }
        }
        break;
      }
      if (step.kernel) break;
    }
    if (!step.kernel) {
      std::string dom = n.domain.empty() ? "ai.onnx" : n.domain;
      std::string bl;
      for (const auto& b : backends_) bl += (bl.empty() ? "" : ", ") + b;
      DataType dt = info.InputType(0);
      return Status::Unimplemented("no kernel for op '" + n.op_type + "' (domain '" + dom + "', opset " +
                                   std::to_string(n.opset) + ", input dtype " + DataTypeName(dt) + ") at node '" +
                                   n.name + "' on backends [" + bl + "]" + reasons);
    }
    if (step.backend != "cpu_ref" && std::find(backends_.begin(), backends_.end(), "cpu_ref") != backends_.end()) {
      for (const auto& entry : registry.Find(n.domain, n.op_type, n.opset, "cpu_ref", DataType::kUndefined)) {
        const DataType dt = entry->def.type_input() < 0 ? DataType::kUndefined : info.InputType(entry->def.type_input());
        const auto& types = entry->def.types();
        if (!types.empty() && dt != DataType::kUndefined && std::find(types.begin(), types.end(), dt) == types.end()) continue;
        StatusOr<std::unique_ptr<Kernel>> k = Status::Internal("not run");
        try {
          k = entry->factory(info);
        } catch (const std::exception&) {
          continue;
        }
        if (k.ok()) {
          step.fallback = std::shared_ptr<const Kernel>(std::move(k).value());
          shared_bytes_ += step.fallback->SharedBytes();
          break;
        }
      }
    }
    shared_bytes_ += step.kernel->SharedBytes();
    out->steps.push_back(std::move(step));
  }
  out->last_use.assign(g.values.size(), -1);
  for (size_t si = 0; si < out->steps.size(); ++si)
    for (int in : out->steps[si].inputs)
      if (in >= 0) out->last_use[in] = static_cast<int>(si);
  // Values a step's subgraphs read by name must live until that step has run.
  for (size_t si = 0; si < out->steps.size(); ++si)
    for (int in : g.nodes[out->steps[si].node_index].implicit_inputs)
      if (in >= 0) out->last_use[in] = std::max(out->last_use[in], static_cast<int>(si));
  for (int o : g.outputs) out->last_use[o] = static_cast<int>(out->steps.size());
  return Status::Ok();
}

}  // namespace pl
