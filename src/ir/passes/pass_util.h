// Helpers shared by the graph passes: constant access, use lists, rewiring, and a small symbolic
// shape analysis that proves two values have the same shape when ONNX shape inference left dims
// unknown (what the fusion passes need before folding a run-time operand into another node).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pl/config.h"
#include "src/ir/graph.h"

namespace pl::ir {

// True when `n` is the ONNX op `op` (default domain).
inline bool IsOp(const Node& n, const char* op) { return !n.removed && n.domain.empty() && n.op_type == op; }

const Tensor* ConstOf(const Graph& g, int v);
// The single float value of a one-element float/double/int constant.
bool ConstScalar(const Graph& g, int v, float* out);
// Float values of a float32 constant (any shape).
bool ConstFloats(const Graph& g, int v, std::vector<float>* out);

// Consumers of every value; removed nodes excluded.
using Uses = std::vector<std::vector<int>>;
// The node consuming `v`, if it is the only reader and `v` is not a graph output; else -1.
int SoleConsumer(const Graph& g, const Uses& uses, int v);

// Adds a constant value named after `hint` (made unique). Returns its id.
int AddConstant(Graph* g, const std::string& hint, Tensor t);
// Adds a fresh (computed) value named after `hint`, with dtype/shape copied from `like` (-1: none).
int AddValueLike(Graph* g, const std::string& hint, int like);

// The output value of node `n` moves to `new_producer`'s output slot 0 (the tail of a fused
// chain keeps its name, so graph outputs and later consumers need no rewiring).
void TakeOutput(Graph* g, int new_producer, int value);

// Backends a compile will use (the config's list, or the default), and whether a kernel exists
// for (op, opset) on one of them: passes that create an op check this first.
std::vector<std::string> EffectiveBackends(const Config& config);
// oneDNN is built in and the preferred backend (the oneDNN-only fusions run then).
bool OneDnnEnabled(const Config& config);
bool SomeBackendHasKernel(const Config& config, const std::string& domain, const std::string& op, int opset);

// For a Conv/ConvTranspose node with constant float32 weights (and bias, if any), the number of
// output channels, or -1 when its weights cannot be rewritten.
int64_t FoldableConvChannels(const Graph& g, const Node& conv);
// Rewrites conv's weights/bias so its output becomes out * scale[m] + shift[m] per output channel m
// (scale/shift of size 1 broadcast). New constants; the old ones stay for other readers.
[[nodiscard]] Status ScaleConvOutput(Graph* g, int conv, const std::vector<float>& scale, const std::vector<float>& shift);
// Per-output-channel values of a constant that broadcasts into a conv output [N, M, spatial...]
// of rank `rank` only along the channel dim (or is a scalar): fills `out` (size 1 or M).
bool ChannelVector(const Graph& g, int v, int64_t channels, size_t rank, std::vector<float>* out);

// Symbolic dims per value: >= 0 known, < 0 a symbol (equal symbols are equal at run time).
// `known` is false for values of unknown rank.
struct ShapeSymbols {
  std::vector<std::vector<int64_t>> dims;
  std::vector<bool> known;
  // True when `operand` broadcasts into `target` without growing it (numpy rules).
  bool FitsInto(int operand, int target) const;
};
ShapeSymbols ComputeShapeSymbols(const Graph& g);

// True when value `v` is computed (transitively) from an output of node `n`.
bool DependsOnNode(const Graph& g, int v, int n);

}  // namespace pl::ir
