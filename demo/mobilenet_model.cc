#include "demo/mobilenet_model.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "onnx/onnx_pb.h"

namespace pl::demo {
namespace {

// Small, fast, portable generator: the same weights on every machine and compiler.
class Lcg {
 public:
  explicit Lcg(uint64_t seed) : s_(seed * 6364136223846793005ULL + 1442695040888963407ULL) {}
  float Uniform(float lo, float hi) {
    s_ = s_ * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(s_ >> 11) / static_cast<double>(1ULL << 53);
    return static_cast<float>(lo + (hi - lo) * u);
  }

 private:
  uint64_t s_;
};

class Builder {
 public:
  explicit Builder(unsigned seed) : rng_(seed) {
    model_.set_ir_version(8);
    model_.set_producer_name("paddle_like pl_demo");
    model_.set_model_version(1);
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(13);
    g_ = model_.mutable_graph();
    g_->set_name("mobilenet_v1_demo");
  }

  // He-uniform weights keep activations of a ReLU network near unit scale at any depth.
  std::string Weights(const std::string& name, const std::vector<int64_t>& dims, int fan_in) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    const float a = std::sqrt(6.f / static_cast<float>(fan_in));
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = rng_.Uniform(-a, a);
    return Initializer(name, dims, v);
  }
  std::string Bias(const std::string& name, int64_t n) {
    std::vector<float> v(static_cast<size_t>(n));
    for (auto& x : v) x = rng_.Uniform(-0.05f, 0.05f);
    return Initializer(name, {n}, v);
  }
  std::string Initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& v) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    // raw_data is little-endian IEEE floats: the compact form exporters write.
    std::string raw(v.size() * sizeof(float), '\0');
    std::memcpy(&raw[0], v.data(), raw.size());
    t->set_raw_data(std::move(raw));
    return name;
  }

  onnx::NodeProto* Node(const std::string& op, const std::string& name, const std::vector<std::string>& ins,
                        const std::string& out) {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(name);
    for (const auto& i : ins) n->add_input(i);
    n->add_output(out);
    return n;
  }
  static void Ints(onnx::NodeProto* n, const char* name, std::vector<int64_t> v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void Int(onnx::NodeProto* n, const char* name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }

  // Conv (+ folded BN bias) + ReLU; returns the output value name.
  std::string ConvRelu(const std::string& name, const std::string& x, int in_ch, int out_ch, int k, int stride,
                       int group) {
    const std::string w = Weights(name + ".weight", {out_ch, in_ch / group, k, k}, (in_ch / group) * k * k);
    const std::string b = Bias(name + ".bias", out_ch);
    auto* conv = Node("Conv", name, {x, w, b}, name + ".out");
    Ints(conv, "kernel_shape", {k, k});
    Ints(conv, "strides", {stride, stride});
    const int pad = k / 2;
    Ints(conv, "pads", {pad, pad, pad, pad});
    Ints(conv, "dilations", {1, 1});
    Int(conv, "group", group);
    Node("Relu", name + ".relu", {name + ".out"}, name + ".act");
    return name + ".act";
  }

  onnx::ModelProto& model() { return model_; }
  onnx::GraphProto* graph() { return g_; }

 private:
  Lcg rng_;
  onnx::ModelProto model_;
  onnx::GraphProto* g_;
};

void SetTensorType(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<std::string>& dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (const auto& d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d == "N") dim->set_dim_param(d);
    else dim->set_dim_value(std::stoll(d));
  }
}

}  // namespace

std::string BuildMobileNetV1(const MobileNetSpec& spec) {
  Builder b(spec.seed);
  const std::string r = std::to_string(spec.resolution);
  SetTensorType(b.graph()->add_input(), "image", {"N", "3", r, r});
  auto ch = [&](int c) { return std::max(8, static_cast<int>(std::lround(c * spec.width))); };

  std::string x = b.ConvRelu("conv1", "image", 3, ch(32), 3, 2, 1);
  // (output channels, stride) of the 13 depthwise-separable blocks.
  const int blocks[13][2] = {{64, 1},  {128, 2}, {128, 1}, {256, 2}, {256, 1}, {512, 2},  {512, 1},
                             {512, 1}, {512, 1}, {512, 1}, {512, 1}, {1024, 2}, {1024, 1}};
  int in = ch(32);
  for (int i = 0; i < 13; ++i) {
    const int out = ch(blocks[i][0]);
    const std::string name = "block" + std::to_string(i + 1);
    x = b.ConvRelu(name + ".dw", x, in, in, 3, blocks[i][1], in);
    x = b.ConvRelu(name + ".pw", x, in, out, 1, 1, 1);
    in = out;
  }
  b.Node("GlobalAveragePool", "avgpool", {x}, "pooled");
  auto* flat = b.Node("Flatten", "flatten", {"pooled"}, "features");
  Builder::Int(flat, "axis", 1);
  const std::string w = b.Weights("fc.weight", {spec.num_classes, in}, in);
  const std::string bias = b.Bias("fc.bias", spec.num_classes);
  auto* fc = b.Node("Gemm", "fc", {"features", w, bias}, "logits");
  Builder::Int(fc, "transB", 1);
  auto* sm = b.Node("Softmax", "softmax", {"logits"}, "prob");
  Builder::Int(sm, "axis", 1);
  SetTensorType(b.graph()->add_output(), "prob", {"N", std::to_string(spec.num_classes)});
  return b.model().SerializeAsString();
}

}  // namespace pl::demo
