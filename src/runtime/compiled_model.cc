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
  vi.has_shape = v.has_shape && !v.is_sequence;
  vi.is_sequence = v.is_sequence;
  vi.is_optional = v.is_optional;
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
  std::shared_ptr<CompiledModel> m(new CompiledModel());
  m->config_ = config;
  m->backends_ = ir::EffectiveBackends(config);
  // A configured device backend must be present with a usable device: fail here, clearly, rather
  // than run everything on the host behind the user's back.
  for (const std::string& b : config.backends()) {
    const DeviceBackend* db = FindDeviceBackend(b);
    if (!db) {
      if (b == kBackendCuda) {
        const std::string why = BackendPluginError(b);
        return Status::Unavailable("backend 'cuda' is not available" +
                                   (why.empty() ? std::string(" (this build has no CUDA backend)") : ": " + why));
      }
      continue;
    }
    m->has_device_backend_ = true;
    PL_RETURN_IF_ERROR(m->DeviceIndex(b).status());
  }
  // Backend options are checked before any other work (and after the configured plugins loaded,
  // since they declare theirs): a misspelt key never silently does nothing.
  PL_RETURN_IF_ERROR(KernelRegistry::Global().CheckOptions(config.backend_options()));
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
  PL_RETURN_IF_ERROR(m->CompileInto(shared, m->main_.get(), true));
  if (config.cuda_graph()) m->PlanCapture();
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

StatusOr<int> CompiledModel::DeviceIndex(const std::string& backend) {
  for (size_t i = 0; i < devices_.size(); ++i)
    if (devices_[i].backend == backend) return static_cast<int>(i) + 1;
  const DeviceBackend* db = FindDeviceBackend(backend);
  if (!db) return 0;
  std::string why;
  const int count = db->DeviceCount(&why);
  if (config_.device_id() < 0 || config_.device_id() >= count)
    return Status::Unavailable("backend '" + backend + "': device " + std::to_string(config_.device_id()) +
                               " is not available (" + std::to_string(count) + " device(s)" +
                               (why.empty() ? "" : ": " + why) + ")");
  devices_.push_back({backend, db, Device{db->type(), config_.device_id()}});
  return static_cast<int>(devices_.size());
}

StatusOr<const Tensor*> CompiledModel::DeviceConstant(const Tensor* host, int index) {
  auto key = std::make_pair(host, index);
  auto it = device_constants_.find(key);
  if (it != device_constants_.end()) return it->second.get();
  const DevicePlacement& d = devices_[index - 1];
  const size_t bytes = host->ByteSize();
  std::shared_ptr<void> mem;
  if (bytes > 0) {
    PL_ASSIGN_OR_RETURN(mem, d.impl->Allocate(d.device.id, bytes));
    PL_RETURN_IF_ERROR(d.impl->CopyToDevice(d.device.id, mem.get(), host->RawData(), bytes, nullptr)
                           .WithContext("uploading weight '" + host->name() + "'"));
  }
  auto t = std::make_unique<Tensor>(Tensor::FromBuffer(host->dtype(), host->shape(), std::move(mem), bytes, d.device, host->name()));
  device_shared_bytes_ += bytes;
  const Tensor* p = t.get();
  device_constants_[key] = std::move(t);
  return p;
}

namespace {
bool Contains(const std::vector<int>& v, int x);
}  // namespace

void CompiledModel::PlanCapture() {
  const CompiledGraph& cg = *main_;
  const auto& steps = cg.steps;
  auto refuse = [&](std::string why) {
    capture_begin_ = capture_end_ = -1;
    capture_note_ = "graph capture off: " + why;
  };
  if (devices_.size() != 1) return refuse(devices_.empty() ? "no node runs on a device" : "nodes run on several devices");
  if (!devices_[0].impl->SupportsCapture()) return refuse(devices_[0].backend + " cannot capture");
  int b = 0, e = static_cast<int>(steps.size());
  while (b < e && steps[b].copy == CompiledStep::Copy::kToDevice) ++b;
  while (e > b && steps[e - 1].copy == CompiledStep::Copy::kToHost) --e;
  if (b == e) return refuse("nothing to capture");
  for (int i = 0; i < b; ++i)
    if (!cg.values[steps[i].inputs[0]].is_graph_input) return refuse("a copy to the device reads a computed value");
  for (int i = e; i < static_cast<int>(steps.size()); ++i)
    if (!cg.values[steps[i].outputs[0]].is_graph_output) return refuse("a copy to the host feeds another node");
  // Host steps inside may only compute from shapes and constants (their results are baked into
  // the recording), never from data a replay would change.
  std::vector<bool> shape_only(cg.values.size(), false);
  for (size_t v = 0; v < cg.values.size(); ++v) shape_only[v] = cg.values[v].constant && cg.values[v].device == 0;
  for (int i = b; i < e; ++i) {
    const CompiledStep& st = steps[i];
    if (st.copy != CompiledStep::Copy::kNone) return refuse("'" + st.info.name + "' moves a value between devices mid-graph");
    if (st.device != 0) continue;
    for (size_t k = 0; k < st.inputs.size(); ++k) {
      const int v = st.inputs[k];
      if (v < 0 || Contains(st.metadata_inputs, static_cast<int>(k))) continue;
      if (!shape_only[v]) return refuse(st.info.Describe() + " runs on the host on computed data");
    }
    for (int o : st.outputs)
      if (o >= 0) {
        if (cg.values[o].is_graph_output) return refuse(st.info.Describe() + " computes a graph output on the host");
        shape_only[o] = true;
      }
  }
  capture_begin_ = b;
  capture_end_ = e;
  capture_note_ = "graph capture: steps " + std::to_string(b) + ".." + std::to_string(e) + " of " + std::to_string(steps.size());
}

namespace {
bool Contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }
}  // namespace

Status CompiledModel::Place(CompiledGraph* out, std::vector<CompiledStep> node_steps, bool top_level) {
  const ir::Graph& g = *out->graph;
  std::vector<ValueMeta>& values = out->values;
  values.assign(g.values.size(), ValueMeta());
  // Where each value lives: 0 host, k a device, -1 only known at run time (a subgraph's inputs
  // and the values it reads from enclosing scopes, once the model runs anything on a device).
  std::vector<int> home(g.values.size(), 0);
  for (size_t v = 0; v < g.values.size(); ++v) {
    const ir::Value& iv = g.values[v];
    ValueMeta& m = values[v];
    m.name = iv.name;
    m.constant = iv.constant.get();
    m.is_graph_input = iv.is_graph_input;
    m.is_graph_output = iv.is_graph_output;
    m.is_outer = iv.is_outer;
    if (has_device_backend_ && !top_level && (iv.is_graph_input || iv.is_outer)) home[v] = -1;
  }
  std::vector<CompiledStep>& steps = out->steps;
  steps.clear();
  steps.reserve(node_steps.size());
  std::map<std::pair<int, int>, int> moved;  // (value, device) -> the value's copy there
  auto add_copy = [&](int v, int target) -> int {
    auto it = moved.find({v, target});
    if (it != moved.end()) return it->second;
    const int id = static_cast<int>(values.size());
    ValueMeta m;
    m.name = values[v].name + (target > 0 ? ":" + devices_[target - 1].backend : std::string(":host"));
    m.device = target;
    m.producer = static_cast<int>(steps.size());
    CompiledStep cs;
    cs.node_index = -1;
    cs.info.name = m.name;
    cs.info.op_type = target > 0 ? "MemcpyToDevice" : "MemcpyToHost";
    cs.info.domain = "pl";
    cs.info.input_present = {true};
    cs.info.input_types = {g.values[v < static_cast<int>(g.values.size()) ? v : 0].dtype};
    cs.info.constant_inputs = {nullptr};
    cs.info.output_present = {true};
    cs.info.output_types = {DataType::kUndefined};
    cs.backend = target > 0 ? devices_[target - 1].backend : std::string("host");
    cs.device = target;
    cs.info.device = target > 0 ? devices_[target - 1].device : Device::Cpu();
    cs.copy = target > 0 ? CompiledStep::Copy::kToDevice : CompiledStep::Copy::kToHost;
    cs.inputs = {v};
    cs.outputs = {id};
    steps.push_back(std::move(cs));
    values.push_back(std::move(m));
    home.push_back(target);
    moved[{v, target}] = id;
    return id;
  };
  for (CompiledStep& step : node_steps) {
    for (size_t k = 0; k < step.inputs.size(); ++k) {
      const int v = step.inputs[k];
      if (v < 0 || Contains(step.metadata_inputs, static_cast<int>(k))) continue;
      const int need = step.device != 0 && Contains(step.host_inputs, static_cast<int>(k)) ? 0 : step.device;
      if (home[v] == need || !has_device_backend_) continue;
      if (values[v].constant && home[v] == 0 && need > 0) {
        auto it = moved.find({v, need});
        if (it == moved.end()) {
          PL_ASSIGN_OR_RETURN(const Tensor* dc, DeviceConstant(values[v].constant, need));
          ValueMeta m;
          m.name = values[v].name + ":" + devices_[need - 1].backend;
          m.constant = dc;
          m.device = need;
          values.push_back(std::move(m));
          home.push_back(need);
          it = moved.emplace(std::make_pair(v, need), static_cast<int>(values.size()) - 1).first;
        }
        step.inputs[k] = it->second;
        continue;
      }
      step.inputs[k] = add_copy(v, need);
    }
    for (int o : step.outputs)
      if (o >= 0) {
        home[o] = step.device;
        values[o].device = step.device;
        values[o].producer = static_cast<int>(steps.size());
      }
    steps.push_back(std::move(step));
  }
  out->outputs.clear();
  for (int o : g.outputs) {
    if (has_device_backend_ && home[o] != 0) {
      const int c = add_copy(o, 0);
      values[o].is_graph_output = false;
      values[c].is_graph_output = true;
      out->outputs.push_back(c);
    } else {
      out->outputs.push_back(o);
    }
  }
  // Graph outputs that are also read on a device keep their flag on the original value.
  for (int o : g.outputs) {
    bool is_out = false;
    for (int x : out->outputs) is_out |= x == o;
    if (is_out) values[o].is_graph_output = true;
  }
  out->input_device.assign(g.inputs.size(), 0);
  if (top_level && has_device_backend_) {
    for (size_t i = 0; i < g.inputs.size(); ++i) {
      const int v = g.inputs[i];
      int dev = -1;
      for (const CompiledStep& st : steps)
        for (int in : st.inputs)
          if (in == v) dev = (st.copy == CompiledStep::Copy::kToDevice && (dev == -1 || dev == st.device)) ? st.device : 0;
      for (int o : out->outputs) if (o == v) dev = 0;
      out->input_device[i] = dev > 0 ? dev : 0;
    }
  }
  out->last_use.assign(values.size(), -1);
  for (size_t si = 0; si < steps.size(); ++si)
    for (int in : steps[si].inputs)
      if (in >= 0) out->last_use[in] = static_cast<int>(si);
  // Values a step's subgraphs read by name must live until that step has run.
  for (size_t si = 0; si < steps.size(); ++si) {
    if (steps[si].node_index < 0) continue;
    for (int in : g.nodes[steps[si].node_index].implicit_inputs)
      if (in >= 0) out->last_use[in] = std::max(out->last_use[in], static_cast<int>(si));
  }
  for (int o : out->outputs) out->last_use[o] = static_cast<int>(steps.size());
  return Status::Ok();
}

Status CompiledModel::CompileInto(std::shared_ptr<const ir::Graph> graph, CompiledGraph* out, bool top_level) {
  out->graph = graph;
  const ir::Graph& g = *graph;
  for (const auto& v : g.values)
    if (v.constant) shared_bytes_ += v.constant->ByteSize();
  const KernelRegistry& registry = KernelRegistry::Global();
  std::vector<CompiledStep> node_steps;
  node_steps.reserve(g.nodes.size());
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
      PL_RETURN_IF_ERROR(CompileInto(attr.g, sub.get(), false).WithContext(info.Describe() + ", subgraph '" + name + "'"));
      subgraphs_[attr.g.get()] = std::move(sub);
    }
    std::string reasons;
    for (const std::string& backend : backends_) {
      const DeviceBackend* device_backend = FindDeviceBackend(backend);
      int device_index = 0;
      if (device_backend) {
        PL_ASSIGN_OR_RETURN(device_index, DeviceIndex(backend));
        step.info.device = devices_[device_index - 1].device;
      } else {
        step.info.device = Device::Cpu();
      }
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
        step.takes_sequences = def.takes_sequences();
        step.device = device_index;
        step.host_inputs = def.host_inputs();
        step.metadata_inputs = def.metadata_inputs();
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
      step.info.device = Device::Cpu();
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
          std::shared_ptr<const Kernel> kernel(std::move(k).value());
          shared_bytes_ += kernel->SharedBytes();
          // The input dtype is only known at run time (an untyped input, a value of an enclosing
          // scope): keep one fallback per dtype and let the run pick by the actual one.
          step.fallbacks.push_back({kernel, types, entry->def.type_input()});
          if (!step.fallback) step.fallback = kernel;
          if (dt != DataType::kUndefined || types.empty()) break;
        }
      }
    }
    shared_bytes_ += step.kernel->SharedBytes();
    node_steps.push_back(std::move(step));
  }
  return Place(out, std::move(node_steps), top_level);
}

}  // namespace pl
