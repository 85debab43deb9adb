// libFuzzer target: run-time inputs on a fixed set of small models (built here in memory, both
// on the default backends and on cpu_ref alone). The input bytes choose the model, then per
// input a dtype, a rank, dims and the values: a bad request must be a Status and must leave the
// predictor usable (every predictor is reused across executions).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_util.h"
#include "tests/services/test_models.h"

namespace {

using pl::test_models::OnnxBuilder;

std::string ShapeOpsModel() {  // Reshape / Expand / Tile / Slice driven by int64 inputs
  OnnxBuilder b;
  b.Input("x", {"N", "C"});
  b.Input("shape", {"R"}, onnx::TensorProto::INT64);
  b.Input("starts", {"S"}, onnx::TensorProto::INT64);
  b.Input("ends", {"S"}, onnx::TensorProto::INT64);
  b.Node("Reshape", {"x", "shape"}, {"r"});
  b.Node("Expand", {"x", "shape"}, {"e"});
  b.Node("Slice", {"x", "starts", "ends"}, {"s"});
  b.Node("Tile", {"x", "ends"}, {"t"});
  for (const char* o : {"r", "e", "s", "t"}) b.Output(o);
  return b.Bytes();
}

std::string IndexOpsModel() {  // Gather / GatherElements / ScatterElements / TopK / ArgMax
  OnnxBuilder b;
  b.Input("x", {"N", "C"});
  b.Input("idx", {"M", "K"}, onnx::TensorProto::INT64);
  b.Input("k", {"1"}, onnx::TensorProto::INT64);
  b.Node("Gather", {"x", "idx"}, {"g"});
  b.Node("GatherElements", {"x", "idx"}, {"ge"});
  b.Node("ScatterElements", {"x", "idx", "ge"}, {"se"});
  b.Node("TopK", {"x", "k"}, {"tv", "ti"});
  b.Node("ArgMax", {"x"}, {"am"});
  b.Output("g");
  b.Output("ge");
  b.Output("se");
  b.Output("tv");
  b.Output("ti", onnx::TensorProto::INT64);
  b.Output("am", onnx::TensorProto::INT64);
  return b.Bytes();
}

std::string PoolResizeModel() {  // pooling, Resize by scales, Pad by pads, reductions, Concat
  OnnxBuilder b;
  b.Input("x", {"N", "C", "H", "W"});
  b.Input("scales", {"4"});
  b.Input("pads", {"8"}, onnx::TensorProto::INT64);
  auto* mp = b.Node("MaxPool", {"x"}, {"mp"});
  OnnxBuilder::AttrInts(mp, "kernel_shape", {2, 2});
  b.Node("Resize", {"x", "", "scales"}, {"rs"});
  b.Node("Pad", {"x", "pads"}, {"pd"});
  b.Node("ReduceMean", {"x"}, {"rm"});
  b.Node("Softmax", {"x"}, {"sm"});
  auto* cc = b.Node("Concat", {"x", "x"}, {"cc"});
  OnnxBuilder::AttrInt(cc, "axis", 1);
  for (const char* o : {"mp", "rs", "pd", "rm", "sm", "cc"}) b.Output(o);
  return b.Bytes();
}

std::string MatMulCastModel() {  // MatMul broadcasting, Where on a Cast, Transpose
  OnnxBuilder b;
  b.Input("a", {"B", "M", "K"});
  b.Input("b", {"K", "N"});
  b.Input("c", {"M", "N"}, onnx::TensorProto::INT32);
  b.Node("MatMul", {"a", "b"}, {"mm"});
  auto* cast = b.Node("Cast", {"c"}, {"cb"});
  OnnxBuilder::AttrInt(cast, "to", onnx::TensorProto::BOOL);
  b.Node("Where", {"cb", "mm", "mm"}, {"w"});
  b.Node("Transpose", {"a"}, {"t"});
  b.Output("w");
  b.Output("t");
  return b.Bytes();
}

struct Models {
  std::vector<std::unique_ptr<pl::Predictor>> predictors;
  Models() {
    const std::string models[] = {pl::test_models::ElementwiseModel(), pl::test_models::TwoInputModel(),
                                  pl::test_models::SmallCnnModel(),    ShapeOpsModel(),
                                  IndexOpsModel(),                     PoolResizeModel(),
                                  MatMulCastModel()};
    for (const std::string& m : models) {
      for (bool ref_only : {false, true}) {
        pl::Config c = pl::fuzz::FuzzConfig();
        c.SetModelBuffer(m);
        if (ref_only) c.SetBackends({pl::kBackendCpuRef});
        auto p = pl::CreatePredictor(c);
        if (!p.ok()) {
          fprintf(stderr, "fuzz_run_inputs: a fixed model does not load: %s\n", p.status().ToString().c_str());
          abort();
        }
        predictors.push_back(std::move(p).value());
      }
    }
  }
};

const pl::DataType kDtypes[] = {pl::DataType::kFloat32, pl::DataType::kInt64, pl::DataType::kInt32,
                                pl::DataType::kBool,    pl::DataType::kUint8, pl::DataType::kFloat16,
                                pl::DataType::kFloat64, pl::DataType::kInt8};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Models* models = new Models;  // built once; reused so errors must leave them usable
  pl::fuzz::ByteReader r(data, size);
  pl::Predictor& p = *models->predictors[r.Byte() % models->predictors.size()];
  std::vector<pl::Tensor> feeds;
  for (const pl::ValueInfo& vi : p.InputInfos()) {
    const uint8_t sel = r.Byte();
    // Mostly the declared dtype and rank, so the run gets past the signature check often.
    pl::DataType dt = (sel & 0xC0) ? vi.dtype : kDtypes[sel % 8];
    size_t rank = (sel & 0x30) ? vi.shape.size() : (sel & 7);
    pl::Shape shape;
    for (size_t i = 0; i < rank; ++i) {
      uint8_t d = r.Byte();
      const int64_t declared = i < vi.shape.size() ? vi.shape[i] : -1;
      shape.push_back((d & 0x80) && declared >= 0 ? declared : (d & 0x0F));
    }
    int64_t n = pl::ShapeNumElements(shape);
    if (n < 0 || n > 4096) shape.assign(rank, 1);
    auto t = pl::Tensor::Create(dt, shape, vi.name);
    if (!t.ok()) return 0;
    r.Fill(t->RawMutableData(), t->ByteSize());
    feeds.push_back(std::move(t).value());
  }
  std::vector<pl::Tensor> outs;
  (void)p.Run(feeds, &outs);
  return 0;
}
