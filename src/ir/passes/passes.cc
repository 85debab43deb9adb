#include "src/ir/passes/passes.h"

namespace pl::ir {

std::vector<std::string> PassNames() {
  return {"identity_removal", "fuse_qdq",          "constant_folding",  "fuse_conv_bn",      "fuse_conv_scale",
          "fuse_hardswish",   "residual_scale",    "fuse_layer_norm",   "fuse_activation",   "fuse_residual_add",
          "onednn_regions",   "dead_node_removal"};
}

// Subgraphs, at any depth, get the always-on pass (their Constant nodes become shared constants).
static Status PrepareSubgraphs(Graph* g) {
  for (Node& n : g->nodes)
    for (auto& [name, a] : n.attrs)
      if (a.type == Attribute::Type::kGraph && a.g) {
        auto* sub = const_cast<Graph*>(a.g.get());  // still private to this compile
        PL_RETURN_IF_ERROR(ConstantNodesToValues(sub));
        PL_RETURN_IF_ERROR(sub->Finalize());
        PL_RETURN_IF_ERROR(PrepareSubgraphs(sub));
      }
  return Status::Ok();
}

Status RunPasses(Graph* g, const Config& config) {
  PL_RETURN_IF_ERROR(ConstantNodesToValues(g));
  auto on = [&](const char* name) { return config.PassEnabled(name); };
  if (on("identity_removal")) PL_RETURN_IF_ERROR(RemoveIdentityNodes(g));
  // Before folding: it needs the weights' DequantizeLinear, which folding would turn into floats.
  if (on("fuse_qdq")) PL_RETURN_IF_ERROR(FuseQdq(g, config));
  if (on("constant_folding")) PL_RETURN_IF_ERROR(FoldConstants(g));
  if (on("dead_node_removal")) PL_RETURN_IF_ERROR(RemoveDeadNodes(g));
  PL_RETURN_IF_ERROR(g->Finalize());
  // Scale first: a bias Add between a conv and its BatchNormalization folds away, then the BN.
  if (on("fuse_conv_scale")) PL_RETURN_IF_ERROR(FuseConvScale(g));
  if (on("fuse_conv_bn")) PL_RETURN_IF_ERROR(FuseConvBatchNorm(g));
  if (on("fuse_conv_scale")) PL_RETURN_IF_ERROR(FuseConvScale(g));
  if (on("fuse_hardswish")) PL_RETURN_IF_ERROR(FuseHardSwish(g, config));
  if (on("residual_scale")) PL_RETURN_IF_ERROR(ResidualScale(g));
  if (on("fuse_layer_norm")) PL_RETURN_IF_ERROR(FuseLayerNorm(g, config));
  PL_RETURN_IF_ERROR(g->Finalize());
  if (on("fuse_activation")) PL_RETURN_IF_ERROR(FuseActivation(g, config));
  if (on("fuse_residual_add")) PL_RETURN_IF_ERROR(FuseResidualAdd(g, config));
  PL_RETURN_IF_ERROR(g->Finalize());
  if (on("onednn_regions")) PL_RETURN_IF_ERROR(FormOneDnnRegions(g, config));
  if (on("dead_node_removal")) PL_RETURN_IF_ERROR(RemoveDeadNodes(g));
  PL_RETURN_IF_ERROR(g->Finalize());
  return PrepareSubgraphs(g);
}

}  // namespace pl::ir
