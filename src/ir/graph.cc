#include "src/ir/graph.h"

#include <queue>

namespace pl::ir {

int Graph::FindValue(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

int Graph::AddValue(Value v) {
  int id = static_cast<int>(values.size());
  by_name_[v.name] = id;
  values.push_back(std::move(v));
  return id;
}

int Graph::GetOrAddValue(const std::string& name) {
  int id = FindValue(name);
  if (id >= 0) return id;
  Value v;
  v.name = name;
  return AddValue(std::move(v));
}

Status Graph::Finalize() {
  std::vector<Node> kept;
  kept.reserve(nodes.size());
  for (auto& n : nodes)
    if (!n.removed) kept.push_back(std::move(n));
  nodes = std::move(kept);

  for (auto& v : values) v.producer = -1;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (int o : nodes[i].outputs) {
      if (o < 0) continue;
      Value& v = values[o];
      if (v.producer >= 0 || v.is_graph_input || v.constant)
        return Status::ModelError("value '" + v.name + "' is produced more than once (node '" +
                                  nodes[i].name + "')");
      v.producer = static_cast<int>(i);
    }
  }
  // Kahn's algorithm, stable in the original order.
  const size_t n = nodes.size();
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> users(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<int> deps = nodes[i].inputs;
    deps.insert(deps.end(), nodes[i].implicit_inputs.begin(), nodes[i].implicit_inputs.end());
    for (int in : deps) {
      if (in < 0) continue;
      const Value& v = values[in];
      if (v.producer >= 0) {
        ++pending[i];
        users[v.producer].push_back(static_cast<int>(i));
      } else if (!v.is_graph_input && !v.constant && !v.is_outer) {
        return Status::ModelError(nodes[i].op_type + " node '" + nodes[i].name + "': input '" + v.name +
                                  "' is neither a graph input, an initializer nor produced by a node");
      }
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t i = 0; i < n; ++i)
    if (pending[i] == 0) ready.push(static_cast<int>(i));
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int u : users[i])
      if (--pending[u] == 0) ready.push(u);
  }
  if (order.size() != n) return Status::ModelError("the graph has a cycle");
  std::vector<Node> sorted;
  sorted.reserve(n);
  for (int i : order) sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
  for (auto& v : values) v.producer = -1;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (int o : nodes[i].outputs)
      if (o >= 0) values[o].producer = static_cast<int>(i);
  for (int o : outputs) {
    const Value& v = values[o];
    if (v.producer < 0 && !v.is_graph_input && !v.constant && !v.is_outer)
      return Status::ModelError("graph output '" + v.name + "' is not produced by any node");
  }
  return Status::Ok();
}

std::vector<std::vector<int>> Graph::Consumers() const {
  std::vector<std::vector<int>> c(values.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].removed) continue;
    for (int in : nodes[i].inputs)
      if (in >= 0) c[in].push_back(static_cast<int>(i));
    for (int in : nodes[i].implicit_inputs)
      if (in >= 0) c[in].push_back(static_cast<int>(i));
  }
  return c;
}

size_t Graph::ConstantBytes() const {
  size_t b = 0;
  for (const auto& v : values)
    if (v.constant) b += v.constant->ByteSize();
  return b;
}

NodeInfo Graph::MakeNodeInfo(const Node& n) const {
  NodeInfo info;
  info.name = n.name;
  info.op_type = n.op_type;
  info.domain = n.domain;
  info.opset = n.opset;
  info.attributes = &n.attrs;
  for (int in : n.inputs) {
    info.input_present.push_back(in >= 0);
    info.input_types.push_back(in >= 0 ? values[in].dtype : DataType::kUndefined);
    info.constant_inputs.push_back(in >= 0 && values[in].constant ? values[in].constant.get() : nullptr);
  }
  for (int o : n.outputs) {
    info.output_present.push_back(o >= 0);
    info.output_types.push_back(o >= 0 ? values[o].dtype : DataType::kUndefined);
  }
  return info;
}

}  // namespace pl::ir
