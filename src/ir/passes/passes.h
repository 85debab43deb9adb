// Graph passes. Each pass lives in its own file, has its own unit test and can be switched off
// by name through Config::DisablePass (or all at once with SwitchOptimizations(false)).
// Passes that create backend-specific nodes (pl.onednn post-op fusions, regions) run only when
// that backend is enabled, so the graph stays runnable on the backends the config names.
#pragma once

#include <string>
#include <vector>

#include "pl/config.h"
#include "src/ir/graph.h"

namespace pl::ir {

// Turns Constant nodes into constant values (always on: it is how weights become shared).
Status ConstantNodesToValues(Graph* g);
// "dead_node_removal": removes nodes whose outputs nobody reads (graph outputs are kept), and
// drops constants no node reads any more.
Status RemoveDeadNodes(Graph* g);
// "identity_removal": removes Identity / inference-mode Dropout nodes by rewiring consumers.
Status RemoveIdentityNodes(Graph* g);
// "fuse_qdq": DequantizeLinear -> Conv/MatMul -> QuantizeLinear (the QDQ form of int8 models)
// becomes QLinearConv / QLinearMatMul, computed in int32 as ONNX Runtime does.
Status FuseQdq(Graph* g, const Config& config);
// "constant_folding": nodes with constant inputs (and Shape/Size of static shapes) become constants.
Status FoldConstants(Graph* g);
// "fuse_conv_bn": BatchNormalization after Conv/ConvTranspose folds into its weights and bias.
Status FuseConvBatchNorm(Graph* g);
// "fuse_conv_scale": constant per-channel/scalar Mul/Div/Add/Sub after Conv folds into it.
Status FuseConvScale(Graph* g);
// "fuse_hardswish": x*HardSigmoid(x) and x*Clip(x+3,0,6)/6 become HardSwish (and Clip(x+3,0,6)/6
// becomes HardSigmoid).
Status FuseHardSwish(Graph* g, const Config& config);
// "residual_scale": x + x * s becomes x * (s + 1) (x read once: the Mul may run in place).
Status ResidualScale(Graph* g);
// "fuse_layer_norm": the decomposed last-axis layer norm becomes LayerNormalization.
Status FuseLayerNorm(Graph* g, const Config& config);
// "fuse_activation" (oneDNN): element-wise ops after Conv/ConvTranspose/MatMul/Gemm/binary ops
// become their post-ops (nodes move to domain pl.onednn).
Status FuseActivation(Graph* g, const Config& config);
// "fuse_residual_add" (oneDNN): a run-time operand of the same shape added (multiplied...) to such
// a node's output becomes a binary post-op.
Status FuseResidualAdd(Graph* g, const Config& config);
// The engine of the two above: `eltwise` fuses activations and constant operands,
// `runtime_binary` one run-time operand per node.
Status FusePostOps(Graph* g, const Config& config, bool eltwise, bool runtime_binary);
// "onednn_regions" (oneDNN): connected oneDNN nodes become pl.onednn OneDnnRegion nodes that keep
// blocked layouts inside.
Status FormOneDnnRegions(Graph* g, const Config& config);

// Runs the pipeline in order, honoring Config switches. Finalizes the graph.
Status RunPasses(Graph* g, const Config& config);
// Names of all optional passes, in pipeline order (for docs and Config::DisablePass).
std::vector<std::string> PassNames();

}  // namespace pl::ir
