// Writes the small ONNX model the Paddle-style test programs load (a ctest fixture):
//   pl_paddle_make_model OUT.onnx
// The model is the small CNN (Conv / depthwise Conv / GlobalAveragePool / Gemm / Softmax) when
// every one of its kernels exists, else an elementwise network with the same input signature
// x[N, 3, H, W], so the programs run either way.
#include <cstdio>
#include <fstream>

#include "pl/pl.h"
#include "services/test_models.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.onnx\n", argv[0]);
    return 2;
  }
  std::string bytes = pl::test_models::SmallCnnModel();
  const char* kind = "small CNN";
  auto p = pl::Predictor::Create(pl::test_models::ConfigFor(bytes));
  if (!p.ok()) {
    std::printf("small CNN not runnable yet (%s); writing the elementwise model\n", p.status().ToString().c_str());
    bytes = pl::test_models::ElementwiseModel(2, {"N", "3", "H", "W"});
    kind = "elementwise";
  }
  std::ofstream f(argv[1], std::ios::binary);
  f << bytes;
  if (!f) {
    std::fprintf(stderr, "cannot write %s\n", argv[1]);
    return 1;
  }
  std::printf("wrote %s model to %s (%zu bytes)\n", kind, argv[1], bytes.size());
  return 0;
}
