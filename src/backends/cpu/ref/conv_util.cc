// Window geometry for Conv/ConvTranspose/pooling (see conv_util.h).
#include "src/backends/cpu/ref/conv_util.h"

#include <algorithm>

namespace pl::cpu_ref {

std::string IntsToString(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

Status WindowAttrs::Read(const NodeInfo& node, bool read_dilations) {
  const std::string ap = node.Attr<std::string>("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) auto_pad = AutoPad::kNotSet;
  else if (ap == "SAME_UPPER") auto_pad = AutoPad::kSameUpper;
  else if (ap == "SAME_LOWER") auto_pad = AutoPad::kSameLower;
  else if (ap == "VALID") auto_pad = AutoPad::kValid;
  else return Status::ModelError(node.Describe() + ": unknown auto_pad '" + ap + "'");
  kernel_shape = node.Attr<std::vector<int64_t>>("kernel_shape", {});
  strides = node.Attr<std::vector<int64_t>>("strides", {});
  if (read_dilations) dilations = node.Attr<std::vector<int64_t>>("dilations", {});
  pads = node.Attr<std::vector<int64_t>>("pads", {});
  for (int64_t v : kernel_shape)
    if (v <= 0) return Status::ModelError(node.Describe() + ": kernel_shape " + IntsToString(kernel_shape) + " must be positive");
  for (int64_t v : strides)
    if (v <= 0) return Status::ModelError(node.Describe() + ": strides " + IntsToString(strides) + " must be positive");
  for (int64_t v : dilations)
    if (v <= 0) return Status::ModelError(node.Describe() + ": dilations " + IntsToString(dilations) + " must be positive");
  for (int64_t v : pads)
    if (v < 0) return Status::ModelError(node.Describe() + ": pads " + IntsToString(pads) + " must be non-negative");
  return Status::Ok();
}

Status WindowAttrs::Resolve(const NodeInfo& node, size_t nd, std::vector<int64_t>* s, std::vector<int64_t>* d,
                            std::vector<int64_t>* p) const {
  auto check = [&](const std::vector<int64_t>& v, size_t n, const char* what) -> Status {
    if (!v.empty() && v.size() != n)
      return Status::ModelError(node.Describe() + ": " + what + " " + IntsToString(v) + " has " +
                                std::to_string(v.size()) + " values, expected " + std::to_string(n));
    return Status::Ok();
  };
  PL_RETURN_IF_ERROR(check(kernel_shape, nd, "kernel_shape"));
  PL_RETURN_IF_ERROR(check(strides, nd, "strides"));
  PL_RETURN_IF_ERROR(check(dilations, nd, "dilations"));
  PL_RETURN_IF_ERROR(check(pads, 2 * nd, "pads"));
  *s = strides.empty() ? std::vector<int64_t>(nd, 1) : strides;
  *d = dilations.empty() ? std::vector<int64_t>(nd, 1) : dilations;
  *p = pads.empty() ? std::vector<int64_t>(2 * nd, 0) : pads;
  return Status::Ok();
}

Status WindowOutput(const NodeInfo& node, AutoPad auto_pad, int64_t in, int64_t kernel, int64_t stride,
                    int64_t dilation, bool ceil_mode, int64_t* pad_begin, int64_t* pad_end, int64_t* out) {
  const int64_t extent = (kernel - 1) * dilation + 1;  // receptive field of one window
  if (auto_pad == AutoPad::kSameUpper || auto_pad == AutoPad::kSameLower) {
    *out = (in + stride - 1) / stride;
    const int64_t total = std::max<int64_t>(0, (*out - 1) * stride + extent - in);
    const int64_t small = total / 2, large = total - total / 2;
    *pad_begin = auto_pad == AutoPad::kSameUpper ? small : large;
    *pad_end = auto_pad == AutoPad::kSameUpper ? large : small;
    return Status::Ok();
  }
  if (auto_pad == AutoPad::kValid) *pad_begin = *pad_end = 0;
  const int64_t span = in + *pad_begin + *pad_end - extent;
  if (span < 0)
    return Status::InvalidArgument(node.Describe() + ": window of extent " + std::to_string(extent) +
                                   " does not fit input size " + std::to_string(in) + " with pads " +
                                   std::to_string(*pad_begin) + "+" + std::to_string(*pad_end));
  *out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  // A window may not start in the end padding (it would see only padding).
  if (ceil_mode && (*out - 1) * stride >= in + *pad_begin) --*out;
  return Status::Ok();
}

}  // namespace pl::cpu_ref
