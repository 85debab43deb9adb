#include "src/backends/cpu/onednn/region.h"

#include <cstdio>
#include <ctime>
#include <unordered_map>

#include <omp.h>

#include "src/backends/cpu/onednn/region_plan.h"

namespace pl::onednn {
namespace {

double WallMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct RegionState final : KernelState {
  dnnl::stream stream{Engine()};
  std::unordered_map<std::string, std::unique_ptr<Plan>> plans;
  std::vector<double> step_ms;  // profiling: this run's time per step
};

}  // namespace

bool CanRun(const ir::Graph& g, const ir::Node& n) {
  if (n.removed || !IsKnownOpType(n.op_type)) return false;
  SingleThreadScope single;
  NodeInfo info = g.MakeNodeInfo(n);
  return CreateOp(info).ok();
}

StatusOr<std::unique_ptr<Region>> Region::FromGraph(std::shared_ptr<const ir::Graph> graph, const NodeInfo& region_node) {
  SingleThreadScope single;
  auto r = std::make_unique<Region>();
  const std::string& name = region_node.name;
  r->name_ = name;
  r->dw_fusion_ = DwFusionMode(region_node);
  r->graph_ = graph;
  const ir::Graph& g = *graph;
  std::vector<int> id(g.values.size(), -1);
  auto value_of = [&](int gv) {
    if (id[gv] < 0) {
      id[gv] = static_cast<int>(r->values_.size());
      Value v;
      v.name = g.values[gv].name;
      v.constant = g.values[gv].constant.get();
      if (g.values[gv].has_shape) v.static_shape = g.values[gv].shape;
      r->values_.push_back(v);
    }
    return id[gv];
  };
  for (size_t i = 0; i < g.inputs.size(); ++i) r->values_[value_of(g.inputs[i])].input_index = static_cast<int>(i);
  for (size_t i = 0; i < g.outputs.size(); ++i) {
    Value& v = r->values_[value_of(g.outputs[i])];
    if (v.output_index >= 0 || v.input_index >= 0 || v.constant)
      return Status::Internal("oneDNN region '" + name + "': output '" + v.name + "' is not computed inside the region");
    v.output_index = static_cast<int>(i);
  }
  r->num_inputs_ = static_cast<int>(g.inputs.size());
  r->num_outputs_ = static_cast<int>(g.outputs.size());
  for (const ir::Node& n : g.nodes) {
    if (n.removed) continue;
    Node node;
    node.info = g.MakeNodeInfo(n);
    node.info.options = region_node.options;
    PL_ASSIGN_OR_RETURN(node.op, CreateOp(node.info));
    for (int in : n.inputs) {
      node.inputs.push_back(in >= 0 ? value_of(in) : -1);
      if (in >= 0) r->values_[node.inputs.back()].num_consumers++;
    }
    for (int o : n.outputs) {
      node.outputs.push_back(o >= 0 ? value_of(o) : -1);
      if (o >= 0) r->values_[node.outputs.back()].producer = static_cast<int>(r->nodes_.size());
    }
    r->nodes_.push_back(std::move(node));
  }
  return r;
}

StatusOr<std::unique_ptr<Region>> Region::FromNode(const NodeInfo& info) {
  SingleThreadScope single;
  auto r = std::make_unique<Region>();
  r->name_ = info.name;
  r->dw_fusion_ = DwFusionMode(info);
  Node node;
  node.info = info;
  PL_ASSIGN_OR_RETURN(node.op, CreateOp(info));
  for (int i = 0; i < info.num_inputs(); ++i) {
    if (!info.HasInput(i)) {
      node.inputs.push_back(-1);
      continue;
    }
    Value v;
    v.name = info.name + ":in" + std::to_string(i);
    v.constant = info.ConstantInput(i);
    if (!v.constant) v.input_index = i;
    v.num_consumers = 1;
    node.inputs.push_back(static_cast<int>(r->values_.size()));
    r->values_.push_back(v);
  }
  r->num_inputs_ = info.num_inputs();
  for (int o = 0; o < info.num_outputs(); ++o) {
    Value v;
    v.name = info.name + ":out" + std::to_string(o);
    v.output_index = o;
    v.producer = 0;
    node.outputs.push_back(info.output_present[o] ? static_cast<int>(r->values_.size()) : -1);
    r->values_.push_back(v);
  }
  r->num_outputs_ = info.num_outputs();
  r->nodes_.push_back(std::move(node));
  return r;
}

size_t Region::SharedBytes() const {
  size_t b = 0;
  for (const auto& n : nodes_) b += n.op->SharedBytes();
  return b;
}

Status Region::Run(KernelContext& ctx) const {
  auto& slot = ctx.state();
  if (!slot) {
    slot = std::make_unique<RegionState>();
  }
  auto* st = static_cast<RegionState*>(slot.get());

  std::vector<const Tensor*> inputs(num_inputs_, nullptr);
  std::string key = std::to_string(ctx.intra_op_threads()) + ":";
  for (int i = 0; i < num_inputs_; ++i) {
    inputs[i] = ctx.Input(i);
    if (!inputs[i]) continue;
    bool used_as_data = false;
    for (const auto& v : values_) used_as_data |= v.input_index == i;
    if (used_as_data && inputs[i]->dtype() != DataType::kFloat32)
      return Status::InvalidArgument(ctx.node().Describe() + ": input " + std::to_string(i) + " is " +
                                     DataTypeName(inputs[i]->dtype()) + ", the oneDNN kernel takes float32");
    key += ShapeToString(inputs[i]->shape());
  }
  auto it = st->plans.find(key);
  if (it == st->plans.end()) {
    if (st->plans.size() >= kMaxPlans) st->plans.clear();
    auto build = [&](int threads) -> StatusOr<std::unique_ptr<Plan>> {
      auto plan = std::make_unique<Plan>();
      PL_RETURN_IF_ERROR(BuildPlan(*this, inputs, threads, plan.get()));
      return plan;
    };
    PL_ASSIGN_OR_RETURN(auto plan, build(ctx.intra_op_threads()));
    if (ctx.intra_op_threads() > 1 && plan->work < kSingleThreadWork) {
      // Again, with single-threaded primitives (blocking and scratchpads for one thread).
      SingleThreadScope single;
      PL_ASSIGN_OR_RETURN(plan, build(1));
    }
    if (Verbose()) {
      std::fprintf(stderr, "[pl.onednn] region '%s' %s: %zu steps, workspace %zu bytes, work %.3g\n", name_.c_str(),
                   key.c_str(), plan->steps.size(), plan->ws_bytes, plan->work);
      for (const auto& s : plan->steps)
        if (s.prim) {
          const char* impl = "";
          const_dnnl_primitive_desc_t pd = nullptr;
          if (dnnl_primitive_get_primitive_desc(s.prim.get(), &pd) == dnnl_success)
            dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
          std::fprintf(stderr, "    %-40s %s\n", nodes_[s.node].info.name.c_str(), impl);
        }
      // Live workspace bytes per step (the packing's lower bound) and what is live at the peak.
      std::vector<size_t> live(plan->steps.size() + 1, 0);
      for (const MemRec& m : plan->mems)
        if (m.loc == MemRec::Loc::kWorkspace && m.alias < 0)
          for (int s = m.first; s <= m.last && s < static_cast<int>(live.size()); ++s) live[s] += AlignUp(m.bytes);
      const int peak = static_cast<int>(std::max_element(live.begin(), live.end()) - live.begin());
      std::fprintf(stderr, "  live intermediates peak at %zu bytes, step %d (%s); workspace %zu bytes\n", live[peak], peak,
                   peak < static_cast<int>(plan->steps.size()) ? nodes_[plan->steps[peak].node].info.name.c_str() : "-",
                   plan->ws_bytes);
      for (const MemRec& m : plan->mems)
        if (m.loc == MemRec::Loc::kWorkspace && m.alias < 0 && m.first <= peak && peak <= m.last)
          std::fprintf(stderr, "    %10zu bytes steps %d..%d (%s .. %s) %s\n", m.bytes, m.first, m.last,
                       nodes_[plan->steps[m.first].node].info.name.c_str(), nodes_[plan->steps[m.last].node].info.name.c_str(),
                       MdToString(m.mem.get_desc()).c_str());
    }
    it = st->plans.emplace(key, std::move(plan)).first;
  }
  Plan& plan = *it->second;
  const bool profile = ctx.profiling();
  if (profile) st->step_ms.assign(plan.steps.size(), 0.0);

  std::vector<Tensor*> outputs(num_outputs_, nullptr);
  for (int o = 0; o < num_outputs_; ++o) {
    PL_ASSIGN_OR_RETURN(outputs[o], ctx.Output(o, plan.out_shapes[o], DataType::kFloat32));
  }
  char* ws = nullptr;
  if (plan.ws_bytes > 0) {
    PL_ASSIGN_OR_RETURN(void* p, ctx.Workspace(plan.ws_bytes));
    ws = static_cast<char*>(p);
  }
  for (MemRec& m : plan.mems) {
    void* p = nullptr;
    switch (m.loc) {
      case MemRec::Loc::kWorkspace:
      case MemRec::Loc::kScratch: p = ws + m.offset; break;
      case MemRec::Loc::kInput: p = const_cast<void*>(inputs[m.index]->RawData()); break;
      case MemRec::Loc::kOutput: p = outputs[m.index]->RawMutableData(); break;
      case MemRec::Loc::kFixed: continue;
    }
    if (p != m.bound) {
      m.mem.set_data_handle(p);
      m.bound = p;
    }
  }
  const int threads = ctx.intra_op_threads();
  const bool one_thread = threads > 1 && plan.work < kSingleThreadWork;
  if (one_thread) omp_set_num_threads(1);
  Status s = Guard(ctx.node().Describe(), [&] {
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      const Step& step = plan.steps[i];
      const double t0 = profile ? WallMs() : 0.0;
      if (step.fn) {
        step.fn();
      } else {
        step.prim.execute(st->stream, step.args);
      }
      if (profile) {
        st->stream.wait();  // CPU streams run in order; this only makes the timing exact
        st->step_ms[i] = WallMs() - t0;
      }
    }
    st->stream.wait();
  });
  if (one_thread) omp_set_num_threads(threads);
  if (profile && s.ok())
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      const Step& step = plan.steps[i];
      const std::string& node = nodes_[step.node].info.name;
      ctx.AddProfile(node, std::string(nodes_[step.node].info.op_type) + ":" + step.kind, st->step_ms[i], step.flops);
    }
  return s;
}

}  // namespace pl::onednn
