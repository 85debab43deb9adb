// Window geometry shared by the reference Conv, ConvTranspose and pooling kernels: the
// kernel_shape/strides/dilations/pads/auto_pad attributes and ONNX's output-size rules.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/backends/cpu/ref/ref_util.h"

namespace pl::cpu_ref {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// The window attributes as written in the node; empty vectors mean "not given" (defaults depend
// on the spatial rank, known only when the input shape is).
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape, strides, dilations, pads;

  // Reads and validates the values (positive strides/dilations/kernel, non-negative pads).
  Status Read(const NodeInfo& node, bool read_dilations = true);
  // Checks the lengths against `nd` spatial dims and fills defaults. Errors name the node.
  Status Resolve(const NodeInfo& node, size_t nd, std::vector<int64_t>* strides, std::vector<int64_t>* dilations,
                 std::vector<int64_t>* pads) const;
};

// Output size and the begin/end padding of one spatial dim of a Conv or pooling window:
// NOTSET uses the explicit pads (and ceil_mode for pools), VALID none, SAME_* pads so that
// out = ceil(in / stride), the odd pixel going to the end (UPPER) or the beginning (LOWER).
// With ceil_mode the last window must start inside the input or the begin padding (ONNX 1.16
// and PyTorch). Error if the window does not fit.
Status WindowOutput(const NodeInfo& node, AutoPad auto_pad, int64_t in, int64_t kernel, int64_t stride,
                    int64_t dilation, bool ceil_mode, int64_t* pad_begin, int64_t* pad_end, int64_t* out);

// "[1,2,3]" for error messages.
std::string IntsToString(const std::vector<int64_t>& v);

}  // namespace pl::cpu_ref
