// The demo's built-in model: a MobileNetV1-shaped network (conv 3x3 stride 2, 13 depthwise-
// separable blocks, global average pool, fully connected, softmax; batch norm folded into the
// conv biases as deployment exports do) with deterministic weights, as ONNX bytes. Built in
// process with Debian's ONNX protobuf classes, so the demo needs no download; the weights are
// not trained, the compute and memory traffic are the real network's (569 MFLOPs at 224x224).
#pragma once

#include <string>

namespace pl::demo {

struct MobileNetSpec {
  int resolution = 224;   // input is [N, 3, resolution, resolution], N dynamic
  int num_classes = 1000;
  float width = 1.0f;     // channel multiplier (alpha)
  unsigned seed = 2024;   // weights are a pure function of the seed
};

// Serialized ONNX ModelProto (opset 13). Input "image" [N,3,R,R], output "prob" [N,classes].
std::string BuildMobileNetV1(const MobileNetSpec& spec = {});

}  // namespace pl::demo
