// Pass "onednn_regions" (oneDNN only): maximal connected groups of nodes the oneDNN backend runs
// become one node, pl.onednn OneDnnRegion, whose kernel plans and runs the group internally with
// intermediate values in whatever blocked layout the primitives prefer (nChw16c, nhwc, ...):
// layouts are reordered only at the region's edges, where tensors are plain as everywhere else.
// The group travels as a subgraph in attribute "region". Its Attribute::type stays kUndefined on
// purpose: kGraph would make the compiler compile it as a control-flow body (a second, unused set
// of kernels and prepared weights); its nodes run inside the region kernel instead.
// Merging keeps the graph acyclic: two groups join only when no path leaves one and re-enters the
// other through a node outside both.
#include <algorithm>
#include <map>
#include <numeric>

#include "src/ir/passes/pass_util.h"
#include "src/ir/passes/passes.h"

#include "src/ir/capability.h"

namespace pl::ir {

namespace {

struct Partition {
  std::vector<int> parent;
  int Find(int x) { return parent[x] == x ? x : parent[x] = Find(parent[x]); }
};

// Builds the region subgraph of `members` (indices into g's nodes, topological order).
std::shared_ptr<Graph> BuildSubgraph(const Graph& g, const std::vector<int>& members, const Uses& uses,
                                     const std::vector<char>& in_region, std::vector<int>* ext_inputs,
                                     std::vector<int>* ext_outputs) {
  auto sub = std::make_shared<Graph>();
  sub->opsets = g.opsets;
  std::map<int, int> id;  // main value -> sub value
  auto map_value = [&](int v) {
    auto it = id.find(v);
    if (it != id.end()) return it->second;
    Value nv = g.values[v];
    nv.producer = -1;
    nv.is_graph_input = nv.is_graph_output = nv.is_outer = false;
    const int s = sub->AddValue(std::move(nv));
    id[v] = s;
    return s;
  };
  std::vector<char> produced(g.values.size(), 0);
  for (int m : members)
    for (int o : g.nodes[m].outputs)
      if (o >= 0) produced[o] = 1;
  for (int m : members) {
    const Node& n = g.nodes[m];
    Node c = n;
    c.inputs.clear();
    c.outputs.clear();
    for (int in : n.inputs) {
      if (in < 0) { c.inputs.push_back(-1); continue; }
      const bool fresh = id.find(in) == id.end();
      const int s = map_value(in);
      if (fresh && !g.values[in].constant && !produced[in]) {
        sub->values[s].is_graph_input = true;
        sub->inputs.push_back(s);
        ext_inputs->push_back(in);
      }
      c.inputs.push_back(s);
    }
    for (int o : n.outputs) c.outputs.push_back(o < 0 ? -1 : map_value(o));
    sub->nodes.push_back(std::move(c));
  }
  for (int m : members)
    for (int o : g.nodes[m].outputs) {
      if (o < 0) continue;
      bool outside = g.values[o].is_graph_output;
      for (int c : uses[o]) outside |= !in_region[c];
      if (!outside) continue;
      const int s = id.at(o);
      sub->values[s].is_graph_output = true;
      sub->outputs.push_back(s);
      ext_outputs->push_back(o);
    }
  return sub;
}

}  // namespace

Status FormOneDnnRegions(Graph* g, const Config& config) {
  const BackendCapability* onednn = FindCapability(kBackendOneDnn);
  if (!onednn || !OneDnnEnabled(config)) return Status::Ok();
  const std::string region_domain = onednn->FusedDomain(), region_op = onednn->RegionOp();
  PL_RETURN_IF_ERROR(g->Finalize());
  const int n = static_cast<int>(g->nodes.size());
  std::vector<char> capable(n, 0);
  for (int i = 0; i < n; ++i) capable[i] = onednn->CanRun(*g, g->nodes[i]) && g->nodes[i].implicit_inputs.empty();
  Uses uses = g->Consumers();
  std::vector<int> producer(g->values.size(), -1);
  for (int i = 0; i < n; ++i)
    for (int o : g->nodes[i].outputs)
      if (o >= 0) producer[o] = i;
  // Successor lists.
  std::vector<std::vector<int>> succ(n);
  for (int i = 0; i < n; ++i)
    for (int o : g->nodes[i].outputs)
      if (o >= 0)
        for (int c : uses[o]) succ[i].push_back(c);
  Partition p;
  p.parent.resize(n);
  std::iota(p.parent.begin(), p.parent.end(), 0);
  std::vector<int> mark(n, 0);
  int stamp = 0;
  // True when some path leaves group `a`, passes a node outside a and b, and reaches group b.
  auto detour = [&](int a, int b) {
    ++stamp;
    std::vector<int> stack;
    for (int i = 0; i < n; ++i)
      if (p.Find(i) == a)
        for (int s : succ[i])
          if (p.Find(s) != a && p.Find(s) != b && mark[s] != stamp) {
            mark[s] = stamp;
            stack.push_back(s);
          }
    while (!stack.empty()) {
      int x = stack.back();
      stack.pop_back();
      if (p.Find(x) == b) return true;
      for (int s : succ[x])
        if (mark[s] != stamp && p.Find(s) != a) {
          mark[s] = stamp;
          stack.push_back(s);
        }
    }
    return false;
  };
  for (int v = 0; v < n; ++v) {
    if (!capable[v]) continue;
    for (int in : g->nodes[v].inputs) {
      const int u = in < 0 ? -1 : producer[in];
      if (u < 0 || !capable[u]) continue;
      const int a = p.Find(u), b = p.Find(v);
      if (a == b || detour(a, b)) continue;
      p.parent[b] = a;
    }
  }
  std::map<int, std::vector<int>> groups;
  for (int i = 0; i < n; ++i)
    if (capable[i]) groups[p.Find(i)].push_back(i);
  std::vector<char> in_region(n, 0);
  int k = 0;
  for (auto& [root, members] : groups) {
    if (members.size() < 2) continue;
    std::fill(in_region.begin(), in_region.end(), 0);
    for (int m : members) in_region[m] = 1;
    std::vector<int> ext_in, ext_out;
    auto sub = BuildSubgraph(*g, members, uses, in_region, &ext_in, &ext_out);
    PL_RETURN_IF_ERROR(sub->Finalize());
    Node r;
    r.name = "onednn_region_" + std::to_string(k++) + "_" + g->nodes[members.front()].name;
    r.op_type = region_op;
    r.domain = region_domain;
    r.opset = 1;
    r.inputs = ext_in;
    r.outputs = ext_out;
    Attribute a;
    a.type = Attribute::Type::kUndefined;  // see the file comment
    a.g = std::move(sub);
    r.attrs["region"] = std::move(a);
    for (int m : members) g->nodes[m].removed = true;
    g->nodes.push_back(std::move(r));
  }
  g->opsets[region_domain] = 1;
  return g->Finalize();
}

}  // namespace pl::ir
