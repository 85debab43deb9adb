// Small ONNX models built in memory for the services, stress and Paddle-shim tests, so the tests
// need no files and run through the normal loader. Dims are strings: "N" is a symbolic (dynamic)
// dim, "16" a fixed one.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"
#include "pl/pl.h"

namespace pl::test_models {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int opset = 13) {
    model_.set_ir_version(8);
    model_.set_producer_name("paddle_like tests");
    auto* op = model_.add_opset_import();
    op->set_domain("");
    op->set_version(opset);
    g_ = model_.mutable_graph();
    g_->set_name("test_graph");
  }
  void Input(const std::string& name, const std::vector<std::string>& dims,
             int elem_type = onnx::TensorProto::FLOAT) {
    SetType(g_->add_input(), name, dims, elem_type);
  }
  void Output(const std::string& name, int elem_type = onnx::TensorProto::FLOAT) {
    auto* vi = g_->add_output();
    vi->set_name(name);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(elem_type);
  }
  void Init(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values) {
    auto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) t->add_dims(d);
    for (float v : values) t->add_float_data(v);
  }
  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& ins,
                        const std::vector<std::string>& outs) {
    auto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(g_->node_size()));
    for (const auto& i : ins) n->add_input(i);
    for (const auto& o : outs) n->add_output(o);
    return n;
  }
  static void AttrInts(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }
  static void AttrInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
    auto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  std::string Bytes() const { return model_.SerializeAsString(); }

 private:
  static void SetType(onnx::ValueInfoProto* vi, const std::string& name, const std::vector<std::string>& dims,
                      int elem_type) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem_type);
    auto* shape = tt->mutable_shape();
    for (const auto& d : dims) {
      auto* dim = shape->add_dim();
      if (!d.empty() && (std::isdigit(static_cast<unsigned char>(d[0])) != 0)) dim->set_dim_value(std::stoll(d));
      else dim->set_dim_param(d);
    }
  }
  onnx::ModelProto model_;
  onnx::GraphProto* g_;
};

// x[N, L] -> y = Sigmoid(Relu(x * 1.5 + 0.25) - 0.5), z = y + x. Any shape with rank 2, rows
// independent (so it batches). `depth` repeats the Mul/Add pair to make a run take longer.
inline std::string ElementwiseModel(int depth = 1, const std::vector<std::string>& dims = {"N", "L"}) {
  OnnxBuilder b;
  b.Input("x", dims);
  b.Init("scale", {}, {1.5f});
  b.Init("shift", {}, {0.25f});
  b.Init("half", {}, {0.5f});
  b.Init("damp", {}, {0.5f});
  std::string cur = "x";
  for (int i = 0; i < depth; ++i) {
    b.Node("Mul", {cur, "scale"}, {"m" + std::to_string(i)});
    b.Node("Add", {"m" + std::to_string(i), "shift"}, {"a" + std::to_string(i)});
    // Keeps values bounded however deep the chain is.
    b.Node("Mul", {"a" + std::to_string(i), "damp"}, {"d" + std::to_string(i)});
    cur = "d" + std::to_string(i);
  }
  b.Node("Relu", {cur}, {"r"});
  b.Node("Sub", {"r", "half"}, {"s"});
  b.Node("Sigmoid", {"s"}, {"y"});
  b.Node("Add", {"y", "x"}, {"z"});
  b.Output("y");
  b.Output("z");
  return b.Bytes();
}

// Two inputs a[N, C], b[N, C] -> out = (a + b) * a.
inline std::string TwoInputModel() {
  OnnxBuilder b;
  b.Input("a", {"N", "C"});
  b.Input("b", {"N", "C"});
  b.Node("Add", {"a", "b"}, {"s"});
  b.Node("Mul", {"s", "a"}, {"out"});
  b.Output("out");
  return b.Bytes();
}

// String rows: s[N, C] (STRING) -> dup = Concat(s, s, axis 1) [N, 2C] (STRING). Rows independent
// (so it batches); the cpu_ref Concat copies string elements.
inline std::string StringModel() {
  OnnxBuilder b;
  b.Input("s", {"N", "C"}, onnx::TensorProto::STRING);
  OnnxBuilder::AttrInt(b.Node("Concat", {"s", "s"}, {"dup"}), "axis", 1);
  b.Output("dup", onnx::TensorProto::STRING);
  return b.Bytes();
}

// x[N, 3, H, W] -> Conv 3x3 (8 ch, pad 1) -> Relu -> depthwise Conv 3x3 -> Relu -> Conv 1x1 (4 ch)
// -> GlobalAveragePool -> Flatten -> Gemm (4 -> 5) -> Softmax. Needs the Conv/Pool/Gemm/Softmax
// kernels: callers skip when Create reports Unimplemented.
inline std::string SmallCnnModel() {
  OnnxBuilder b;
  b.Input("x", {"N", "3", "H", "W"});
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-0.5f, 0.5f);
  auto rnd = [&](size_t n) {
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng);
    return v;
  };
  b.Init("w1", {8, 3, 3, 3}, rnd(8 * 27));
  b.Init("b1", {8}, rnd(8));
  b.Init("w2", {8, 1, 3, 3}, rnd(8 * 9));
  b.Init("b2", {8}, rnd(8));
  b.Init("w3", {4, 8, 1, 1}, rnd(32));
  b.Init("b3", {4}, rnd(4));
  b.Init("fc_w", {4, 5}, rnd(20));
  b.Init("fc_b", {5}, rnd(5));
  auto* c1 = b.Node("Conv", {"x", "w1", "b1"}, {"c1"});
  OnnxBuilder::AttrInts(c1, "pads", {1, 1, 1, 1});
  OnnxBuilder::AttrInts(c1, "kernel_shape", {3, 3});
  b.Node("Relu", {"c1"}, {"r1"});
  auto* c2 = b.Node("Conv", {"r1", "w2", "b2"}, {"c2"});
  OnnxBuilder::AttrInts(c2, "pads", {1, 1, 1, 1});
  OnnxBuilder::AttrInt(c2, "group", 8);
  b.Node("Relu", {"c2"}, {"r2"});
  b.Node("Conv", {"r2", "w3", "b3"}, {"c3"});
  b.Node("GlobalAveragePool", {"c3"}, {"gap"});
  b.Node("Flatten", {"gap"}, {"flat"});
  b.Node("Gemm", {"flat", "fc_w", "fc_b"}, {"logits"});
  b.Node("Softmax", {"logits"}, {"prob"});
  b.Output("prob");
  return b.Bytes();
}

inline Config ConfigFor(const std::string& bytes) {
  Config c;
  c.SetModelBuffer(bytes);
  return c;
}

// Deterministic values in [-2, 2) for a float tensor of `shape`.
inline Tensor RandomTensor(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  std::vector<float> v(static_cast<size_t>(ShapeNumElements(shape)));
  for (auto& x : v) x = u(rng);
  return Tensor::FromVector<float>(shape, v).value();
}

// True when both tensors have the same dtype, shape and bytes.
inline bool BitIdentical(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.ByteSize() == b.ByteSize() &&
         (a.ByteSize() == 0 || std::memcmp(a.RawData(), b.RawData(), a.ByteSize()) == 0);
}

}  // namespace pl::test_models
