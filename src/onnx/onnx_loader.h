// ONNX model -> ir::Graph, through Debian's ONNX library (protobuf classes, checker, shape
// inference). Names are kept exactly as the model spells them.
#pragma once

#include <memory>
#include <string>

#include "pl/config.h"
#include "src/ir/graph.h"

namespace pl::onnx_io {

// Reads the model named by `config` (path or in-memory bytes) and converts it.
// Errors: unreadable file (NotFound), not ONNX / truncated / failing the checker (ModelError).
StatusOr<std::unique_ptr<ir::Graph>> LoadModel(const Config& config);

}  // namespace pl::onnx_io
