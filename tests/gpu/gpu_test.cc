// GPU tests (ctest label `gpu`): the CUDA backend against the reference kernels.
//
// Every test runs the same model on the same inputs twice, once with backends {"cuda", "cpu_ref"}
// and once with {"cpu_ref"}, and compares the outputs element by element:
//   |cuda - ref| <= tol + tol * |ref|,  tol = 1e-4 for elementwise/data-movement ops,
//                                         1e-3 for convolutions and matrix products (cuDNN and
//                                         cuBLAS sum in another order than the CPU kernels)
// and the PP-OCR models of .models/ with the models test's tolerance (1e-4 + 1e-3 * |ref|).
// Each op test also checks, from the predictor's profile, that the node really ran on "cuda"
// (not on a silent cpu_ref fallback); PL_GPU_TEST_ALLOW_FALLBACK=1 turns that into a note.
//
// Only the public API is used (no CUDA headers), so this builds in every configuration. Without
// the CUDA plugin (libpaddle_like_cuda.so next to the core library) or without a device, every
// test skips with the reason and the executable exits 0.
//
// Env: PL_MODELS_DIR (default: the source tree's .models/), PL_GPU_TEST_ALLOW_FALLBACK.
#include "gpu/gpu_test_util.h"

namespace {

// ---------------------------------------------------------------------------------------------
// One-node models

TEST(CudaOps, Conv) {
  PL_REQUIRE_CUDA();
  // Grouped, asymmetric pads, strides and dilations, bias.
  ExpectOp("Conv", {Feed(Rand("", {2, 4, 9, 11}, 1)), Init(Rand("", {6, 2, 3, 3}, 2)), Init(Rand("", {6}, 3))},
           {AttrInt("group", 2), AttrInts("strides", {2, 1}), AttrInts("pads", {1, 2, 0, 1}),
            AttrInts("dilations", {1, 2}), AttrInts("kernel_shape", {3, 3})},
           kConvTol, "group 2, strides 2x1, pads 1,2,0,1, dilations 1x2, bias");
  // Depthwise (PP-OCR's backbone), stride 2.
  ExpectOp("Conv", {Feed(Rand("", {1, 8, 13, 13}, 4)), Init(Rand("", {8, 1, 3, 3}, 5)), Init(Rand("", {8}, 6))},
           {AttrInt("group", 8), AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 1, 1})}, kConvTol,
           "depthwise 3x3 stride 2");
  // Pointwise, no bias.
  ExpectOp("Conv", {Feed(Rand("", {2, 16, 7, 5}, 7)), Init(Rand("", {24, 16, 1, 1}, 8))}, {}, kConvTol,
           "1x1, no bias");
  // auto_pad SAME_UPPER, 5x5, weights as a graph input (not a constant).
  ExpectOp("Conv", {Feed(Rand("", {1, 3, 10, 12}, 9)), Feed(Rand("", {4, 3, 5, 5}, 10))},
           {AttrString("auto_pad", "SAME_UPPER"), AttrInts("strides", {2, 2})}, kConvTol,
           "auto_pad SAME_UPPER, weights fed");
}

TEST(CudaOps, ConvTranspose) {
  PL_REQUIRE_CUDA();
  ExpectOp("ConvTranspose",
           {Feed(Rand("", {1, 4, 5, 6}, 11)), Init(Rand("", {4, 3, 3, 3}, 12)), Init(Rand("", {3}, 13))},
           {AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 1, 1}), AttrInts("output_padding", {1, 1})},
           kConvTol, "3x3 stride 2 pads 1 output_padding 1, bias");
  // PP-OCR det's head: 2x2 stride 2.
  ExpectOp("ConvTranspose", {Feed(Rand("", {2, 8, 6, 5}, 14)), Init(Rand("", {8, 4, 2, 2}, 15)), Init(Rand("", {4}, 16))},
           {AttrInts("strides", {2, 2}), AttrInts("kernel_shape", {2, 2})}, kConvTol, "2x2 stride 2");
  ExpectOp("ConvTranspose", {Feed(Rand("", {1, 4, 5, 5}, 17)), Init(Rand("", {4, 2, 3, 3}, 18))},
           {AttrInt("group", 2), AttrInts("strides", {1, 2}), AttrInts("dilations", {2, 1})}, kConvTol,
           "group 2, strides 1x2, dilations 2x1");
}

TEST(CudaOps, MaxPool) {
  PL_REQUIRE_CUDA();
  ExpectOp("MaxPool", {Feed(Rand("", {2, 3, 11, 12}, 21))},
           {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 1, 1})},
           kElemTol, "3x3 stride 2 pads 1");
  ExpectOp("MaxPool", {Feed(Rand("", {1, 4, 9, 7}, 22))},
           {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInt("ceil_mode", 1)}, kElemTol,
           "2x2 stride 2 ceil_mode");
  ExpectOp("MaxPool", {Feed(Rand("", {1, 2, 8, 10}, 23))},
           {AttrInts("kernel_shape", {2, 3}), AttrInts("strides", {1, 2}), AttrInts("pads", {0, 1, 1, 0})},
           kElemTol, "2x3 strides 1x2 asymmetric pads");
}

TEST(CudaOps, AveragePool) {
  PL_REQUIRE_CUDA();
  ExpectOp("AveragePool", {Feed(Rand("", {2, 3, 11, 12}, 31))},
           {AttrInts("kernel_shape", {3, 3}), AttrInts("strides", {2, 2}), AttrInts("pads", {1, 1, 1, 1})},
           kElemTol, "3x3 stride 2 pads 1, count_include_pad 0");
  ExpectOp("AveragePool", {Feed(Rand("", {2, 3, 11, 12}, 32))},
           {AttrInts("kernel_shape", {3, 2}), AttrInts("strides", {2, 1}), AttrInts("pads", {1, 0, 1, 1}),
            AttrInt("count_include_pad", 1)},
           kElemTol, "3x2 strides 2x1, count_include_pad 1");
  ExpectOp("AveragePool", {Feed(Rand("", {1, 8, 7, 9}, 33))},
           {AttrInts("kernel_shape", {2, 2}), AttrInts("strides", {2, 2}), AttrInt("ceil_mode", 1)}, kElemTol,
           "2x2 stride 2 ceil_mode");
}

TEST(CudaOps, GlobalAveragePool) {
  PL_REQUIRE_CUDA();
  ExpectOp("GlobalAveragePool", {Feed(Rand("", {2, 16, 7, 9}, 41))}, {}, kElemTol, "2x16x7x9");
  ExpectOp("GlobalAveragePool", {Feed(Rand("", {1, 3, 80, 80}, 42))}, {}, kElemTol, "1x3x80x80");
}

TEST(CudaOps, MatMul) {
  PL_REQUIRE_CUDA();
  ExpectOp("MatMul", {Feed(Rand("", {2, 1, 5, 7}, 51)), Feed(Rand("", {3, 7, 6}, 52))}, {}, kConvTol,
           "batched broadcast [2,1,5,7] x [3,7,6]");
  ExpectOp("MatMul", {Feed(Rand("", {3, 33, 65}, 53)), Init(Rand("", {65, 17}, 54))}, {}, kConvTol,
           "[3,33,65] x constant [65,17]");
  ExpectOp("MatMul", {Feed(Rand("", {64, 128}, 55)), Feed(Rand("", {128, 96}, 56))}, {}, kConvTol, "2-D 64x128x96");
}

TEST(CudaOps, Gemm) {
  PL_REQUIRE_CUDA();
  ExpectOp("Gemm", {Feed(Rand("", {5, 12}, 61)), Init(Rand("", {7, 12}, 62)), Init(Rand("", {7}, 63))},
           {AttrInt("transB", 1)}, kConvTol, "transB, C [N] (a fully connected layer)");
  ExpectOp("Gemm", {Feed(Rand("", {12, 5}, 64)), Feed(Rand("", {12, 7}, 65)), Feed(Rand("", {5, 7}, 66))},
           {AttrInt("transA", 1), AttrFloat("alpha", 0.5f), AttrFloat("beta", 2.f)}, kConvTol,
           "transA, alpha 0.5, beta 2, C [M,N]");
  ExpectOp("Gemm", {Feed(Rand("", {12, 5}, 67)), Init(Rand("", {7, 12}, 68)), Init(Rand("", {1, 7}, 69))},
           {AttrInt("transA", 1), AttrInt("transB", 1)}, kConvTol, "transA, transB, C [1,N]");
  ExpectOp("Gemm", {Feed(Rand("", {4, 9}, 70)), Init(Rand("", {9, 3}, 71))}, {AttrFloat("alpha", 1.5f)}, kConvTol,
           "no C, alpha 1.5");
}

TEST(CudaOps, BinaryBroadcast) {
  PL_REQUIRE_CUDA();
  for (const char* op : {"Add", "Mul", "Sub", "Div"}) {
    const bool div = std::string(op) == "Div";
    const float lo = div ? 0.5f : -1.f, hi = div ? 2.f : 1.f;  // no divisor near 0
    ExpectOp(op, {Feed(Rand("", {2, 3, 4, 5}, 81)), Feed(Rand("", {3, 1, 5}, 82, lo, hi))}, {}, kElemTol,
             "[2,3,4,5] by [3,1,5]");
    ExpectOp(op, {Feed(Rand("", {1, 3, 1, 5}, 83)), Feed(Rand("", {2, 1, 4, 1}, 84, lo, hi))}, {}, kElemTol,
             "[1,3,1,5] by [2,1,4,1] (both broadcast)");
    ExpectOp(op, {Feed(Rand("", {2, 8, 6, 6}, 85)), Init(Rand("", {1, 8, 1, 1}, 86, lo, hi))}, {}, kElemTol,
             "per-channel constant [1,8,1,1]");
    ExpectOp(op, {Init(Rand("", {1}, 87, lo, hi)), Feed(Rand("", {3, 7}, 88, lo, hi))}, {}, kElemTol,
             "constant scalar-like [1] first");
    ExpectOp(op, {Feed(Rand("", {4, 33}, 89)), Feed(Rand("", {4, 33}, 90, lo, hi))}, {}, kElemTol, "same shape");
  }
}

TEST(CudaOps, Activations) {
  PL_REQUIRE_CUDA();
  const Shape s = {2, 3, 17, 19};
  ExpectOp("Relu", {Feed(Rand("", s, 101, -4, 4))}, {}, kElemTol, "");
  ExpectOp("Sigmoid", {Feed(Rand("", s, 102, -12, 12))}, {}, kElemTol, "");
  ExpectOp("HardSigmoid", {Feed(Rand("", s, 103, -6, 6))}, {}, kElemTol, "default alpha/beta");
  ExpectOp("HardSigmoid", {Feed(Rand("", s, 104, -6, 6))}, {AttrFloat("alpha", 0.1666667f), AttrFloat("beta", 0.5f)},
           kElemTol, "alpha 1/6 (PP-OCR's hard-swish form)");
  ExpectOp("HardSwish", {Feed(Rand("", s, 105, -6, 6))}, {}, kElemTol, "");
  ExpectOp("Clip", {Feed(Rand("", s, 106, -8, 8)), Init(Const<float>("", {}, {0.f})), Init(Const<float>("", {}, {6.f}))},
           {}, kElemTol, "min 0 max 6 (ReLU6)");
  ExpectOp("Clip", {Feed(Rand("", s, 107, -2, 2)), Omit(), Init(Const<float>("", {}, {0.25f}))}, {}, kElemTol,
           "max only");
  ExpectOp("Clip", {Feed(Rand("", s, 108, -2, 2)), Feed(Const<float>("", {}, {-0.5f}))}, {}, kElemTol,
           "min fed as an input");
}

TEST(CudaOps, Concat) {
  PL_REQUIRE_CUDA();
  ExpectOp("Concat", {Feed(Rand("", {2, 3, 4, 5}, 111)), Feed(Rand("", {2, 1, 4, 5}, 112)), Init(Rand("", {2, 4, 4, 5}, 113))},
           {AttrInt("axis", 1)}, kElemTol, "axis 1, three inputs, one constant");
  ExpectOp("Concat", {Feed(Rand("", {3, 7}, 114)), Feed(Rand("", {3, 2}, 115))}, {AttrInt("axis", -1)}, kElemTol,
           "axis -1");
  ExpectOp("Concat", {Feed(Rand("", {1, 2, 3}, 116)), Feed(Rand("", {4, 2, 3}, 117))}, {AttrInt("axis", 0)}, kElemTol,
           "axis 0");
}

TEST(CudaOps, Split) {
  PL_REQUIRE_CUDA();
  ExpectOp("Split", {Feed(Rand("", {2, 10, 6}, 121)), Init(Const<int64_t>("", {3}, {3, 3, 4}))}, {AttrInt("axis", 1)},
           kElemTol, "axis 1 into 3,3,4", 3);
  ExpectOp("Split", {Feed(Rand("", {4, 6, 8}, 122))}, {AttrInt("axis", -1)}, kElemTol, "axis -1 in two halves", 2);
}

TEST(CudaOps, Slice) {
  PL_REQUIRE_CUDA();
  ExpectOp("Slice",
           {Feed(Rand("", {4, 10, 12}, 131)), Init(Const<int64_t>("", {2}, {1, -9})), Init(Const<int64_t>("", {2}, {3, 100})),
            Init(Const<int64_t>("", {2}, {0, 2})), Init(Const<int64_t>("", {2}, {1, 2}))},
           {}, kElemTol, "axes 0,2 steps 1,2, negative start, clamped end");
  ExpectOp("Slice",
           {Feed(Rand("", {3, 10, 4}, 132)), Init(Const<int64_t>("", {1}, {-1})), Init(Const<int64_t>("", {1}, {-1000})),
            Init(Const<int64_t>("", {1}, {1})), Init(Const<int64_t>("", {1}, {-2}))},
           {}, kElemTol, "negative step");
  ExpectOp("Slice", {Feed(Rand("", {2, 3, 8, 8}, 133)), Init(Const<int64_t>("", {2}, {2, 1})), Init(Const<int64_t>("", {2}, {6, 7}))},
           {}, kElemTol, "no axes (leading dims)");
}

TEST(CudaOps, Transpose) {
  PL_REQUIRE_CUDA();
  ExpectOp("Transpose", {Feed(Rand("", {2, 3, 4, 5}, 141))}, {AttrInts("perm", {0, 2, 3, 1})}, kElemTol, "NCHW->NHWC");
  ExpectOp("Transpose", {Feed(Rand("", {2, 3, 4, 5}, 142))}, {AttrInts("perm", {3, 1, 0, 2})}, kElemTol, "3,1,0,2");
  ExpectOp("Transpose", {Feed(Rand("", {6, 35}, 143))}, {}, kElemTol, "default (reverse)");
}

TEST(CudaOps, Gather) {
  PL_REQUIRE_CUDA();
  ExpectOp("Gather", {Feed(Rand("", {5, 6, 7}, 151)), Init(Const<int64_t>("", {2, 3}, {0, 5, -1, 2, -6, 3}))},
           {AttrInt("axis", 1)}, kElemTol, "axis 1, constant [2,3] indices with negatives");
  ExpectOp("Gather", {Feed(Rand("", {5, 6, 7}, 152)), Feed(Const<int64_t>("", {4}, {4, 0, 0, 2}))}, {AttrInt("axis", 0)},
           kElemTol, "axis 0, indices fed");
  ExpectOp("Gather", {Feed(Rand("", {5, 6, 7}, 153)), Init(Const<int64_t>("", {}, {3}))}, {AttrInt("axis", -1)},
           kElemTol, "axis -1, scalar index");
}

TEST(CudaOps, Reshape) {
  PL_REQUIRE_CUDA();
  ExpectOp("Reshape", {Feed(Rand("", {2, 3, 4}, 161)), Init(Const<int64_t>("", {2}, {0, -1}))}, {}, kElemTol, "0,-1");
  ExpectOp("Reshape", {Feed(Rand("", {2, 3, 4}, 162)), Init(Const<int64_t>("", {3}, {4, 3, 2}))}, {}, kElemTol,
           "4,3,2");
}

TEST(CudaOps, ResizeNearest) {
  PL_REQUIRE_CUDA();
  const Tensor scales2 = Const<float>("", {4}, {1, 1, 2, 2});
  // The form Paddle exports (upsampling in PP-OCR det's neck): asymmetric + floor.
  ExpectOp("Resize", {Feed(Rand("", {1, 3, 5, 7}, 171)), Omit(), Init(scales2)},
           {AttrString("mode", "nearest"), AttrString("coordinate_transformation_mode", "asymmetric"),
            AttrString("nearest_mode", "floor")},
           kElemTol, "nearest x2, asymmetric, floor");
  ExpectOp("Resize", {Feed(Rand("", {2, 2, 6, 4}, 172)), Omit(), Init(scales2)}, {AttrString("mode", "nearest")},
           kElemTol, "nearest x2, defaults (half_pixel, round_prefer_floor)");
  ExpectOp("Resize", {Feed(Rand("", {1, 3, 9, 10}, 173)), Omit(), Omit(), Init(Const<int64_t>("", {4}, {1, 3, 4, 23}))},
           {AttrString("mode", "nearest")}, kElemTol, "nearest to sizes 4x23");
}

TEST(CudaOps, ResizeLinear) {
  PL_REQUIRE_CUDA();
  ExpectOp("Resize", {Feed(Rand("", {1, 3, 5, 7}, 181)), Omit(), Init(Const<float>("", {4}, {1, 1, 2, 2}))},
           {AttrString("mode", "linear")}, kElemTol, "linear x2, half_pixel");
  ExpectOp("Resize", {Feed(Rand("", {2, 2, 6, 5}, 182)), Omit(), Omit(), Init(Const<int64_t>("", {4}, {2, 2, 11, 3}))},
           {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "align_corners")}, kElemTol,
           "linear to sizes 11x3, align_corners");
  ExpectOp("Resize", {Feed(Rand("", {1, 4, 8, 8}, 183)), Omit(), Init(Const<float>("", {4}, {1, 1, 0.5f, 1.5f}))},
           {AttrString("mode", "linear"), AttrString("coordinate_transformation_mode", "pytorch_half_pixel")}, kElemTol,
           "linear x0.5/x1.5, pytorch_half_pixel");
}

TEST(CudaOps, ReduceMean) {
  PL_REQUIRE_CUDA();
  ExpectOp("ReduceMean", {Feed(Rand("", {2, 3, 4, 5}, 191))}, {AttrInts("axes", {2, 3}), AttrInt("keepdims", 1)},
           kElemTol, "axes 2,3 keepdims");
  ExpectOp("ReduceMean", {Feed(Rand("", {2, 3, 4, 5}, 192))}, {AttrInts("axes", {1}), AttrInt("keepdims", 0)},
           kElemTol, "axis 1, no keepdims");
  ExpectOp("ReduceMean", {Feed(Rand("", {3, 50, 7}, 193))}, {AttrInts("axes", {-1})}, kElemTol, "axis -1");
  ExpectOp("ReduceMean", {Feed(Rand("", {4, 9}, 194))}, {}, kElemTol, "all axes");
}

TEST(CudaOps, Softmax) {
  PL_REQUIRE_CUDA();
  ExpectOp("Softmax", {Feed(Rand("", {2, 3, 25}, 201, -20, 20))}, {}, kElemTol, "axis -1 (default)");
  ExpectOp("Softmax", {Feed(Rand("", {2, 40, 6}, 202, -5, 5))}, {AttrInt("axis", 1)}, kElemTol, "axis 1");
  ExpectOp("Softmax", {Feed(Rand("", {1, 80, 6625}, 203, -10, 10))}, {AttrInt("axis", 2)}, kElemTol,
           "PP-OCR rec's head [1,80,6625]");
}

TEST(CudaOps, LayerNormalization) {
  PL_REQUIRE_CUDA();
  ExpectOp("LayerNormalization", {Feed(Rand("", {2, 5, 64}, 211, -3, 3)), Init(Rand("", {64}, 212)), Init(Rand("", {64}, 213))},
           {AttrInt("axis", -1), AttrFloat("epsilon", 1e-5f)}, kElemTol, "axis -1, scale and bias");
  ExpectOp("LayerNormalization", {Feed(Rand("", {3, 4, 120}, 214, -3, 3)), Init(Rand("", {120}, 215))},
           {AttrInt("axis", 2), AttrFloat("epsilon", 1e-6f)}, kElemTol, "axis 2, no bias (PP-OCR rec's SVTR form)");
  ExpectOp("LayerNormalization", {Feed(Rand("", {2, 5, 16}, 216)), Init(Rand("", {5, 16}, 217)), Init(Rand("", {5, 16}, 218))},
           {AttrInt("axis", -2)}, kElemTol, "axis -2");
}

// ---------------------------------------------------------------------------------------------
// Small graphs: fusion and host<->device copies

// x -> Conv(+bias) -> Relu -> Add(x): the Relu fuses into the Conv; the Add reads the graph input.
Model ConvReluAdd(Shape x_shape, uint32_t seed) {
  const int64_t c = x_shape[1];
  Model m;
  m.feeds = {Rand("x", x_shape, seed)};
  m.inits = {Rand("w", {c, c, 3, 3}, seed + 1, -0.3f, 0.3f), Rand("b", {c}, seed + 2)};
  m.nodes = {{"Conv", "", {"x", "w", "b"}, {"c"}, {AttrInts("pads", {1, 1, 1, 1})}},
             {"Relu", "", {"c"}, {"r"}, {}},
             {"Add", "", {"r", "x"}, {"y"}, {}}};
  m.outputs = {"y"};
  return m;
}

TEST(CudaGraph, ConvReluAdd) {
  PL_REQUIRE_CUDA();
  ExpectCudaMatchesRef(ConvReluAdd({1, 8, 16, 16}, 301), kConvTol, "Conv->Relu->Add [1,8,16,16]", {"*"});
  ExpectCudaMatchesRef(ConvReluAdd({2, 16, 33, 17}, 302), kConvTol, "Conv->Relu->Add [2,16,33,17]", {"*"});
  // A second output from the middle of the chain: the Relu cannot disappear into the Conv.
  Model m = ConvReluAdd({1, 8, 12, 12}, 303);
  m.outputs.push_back("r");
  ExpectCudaMatchesRef(m, kConvTol, "Conv->Relu->Add with the Relu output kept", {"*"});
}

// Conv -> Relu -> (an op with no CUDA kernel, on cpu_ref) -> Add: copies device->host->device.
TEST(CudaGraph, MixedDeviceAndHost) {
  PL_REQUIRE_CUDA();
  // The first op of these with a cpu_ref kernel and no cuda kernel.
  std::string host_op;
  for (const char* op : {"CumSum", "Erf", "Round", "Sign", "Neg"}) {
    bool ref = false, cuda = false;
    for (const auto& e : pl::KernelRegistry::Global().Entries()) {
      if (e->def.op_type() != op || !e->def.domain().empty()) continue;
      if (e->def.backend() == pl::kBackendCpuRef) ref = true;
      if (e->def.backend() == Dut()) cuda = true;
    }
    if (ref && !cuda) {
      host_op = op;
      break;
    }
  }
  if (host_op.empty()) GTEST_SKIP() << "every candidate op has a CUDA kernel: no host node to put in the chain";
  Model m = ConvReluAdd({1, 8, 10, 14}, 311);
  m.nodes[2].inputs = {"h", "x"};
  NodeSpec host{host_op, "", {"r"}, {"h"}, {}};
  if (host_op == "CumSum") {
    host.inputs.push_back("axis");
    m.inits.push_back(Const<int64_t>("axis", {}, {3}));
  }
  m.nodes.insert(m.nodes.begin() + 2, host);
  std::printf("  host op in the chain: %s\n", host_op.c_str());
  ExpectCudaMatchesRef(m, kConvTol, "Conv->Relu->" + host_op + "(cpu_ref)->Add", {"*", host_op});
}

// SwitchCudaGraph: a captured graph replayed on new input values computes on those values.
TEST(CudaGraph, GraphReplayFollowsNewInputs) {
  PL_REQUIRE_CUDA();
  const std::string bytes = ConvReluAdd({2, 8, 16, 16}, 321).Bytes();
  auto ref = Make(bytes, kRefBackends);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  auto g = Make(bytes, CudaBackends(), 1, /*cuda_graph=*/true);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  for (int i = 0; i < 4; ++i) {
    const Tensor x = Rand("x", {2, 8, 16, 16}, 330 + i);
    auto want = RunFeeds(ref->get(), {x});
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    auto got = RunFeeds(g->get(), {x});
    ASSERT_TRUE(got.ok()) << "run " << i << ": " << got.status().ToString();
    EXPECT_TRUE(Close((*got)[0], (*want)[0], kConvTol, kConvTol, "CUDA graph replay, run " + std::to_string(i)));
  }
}

// ---------------------------------------------------------------------------------------------
// PP-OCR models (.models/, scripts/fetch_models.sh), within the models test's tolerance of cpu_ref

struct OcrCase {
  const char* model;
  std::vector<Shape> shapes;  // run one after another on the same predictors
};

void PrintTo(const OcrCase& c, std::ostream* os) { *os << c.model; }

class CudaModels : public ::testing::TestWithParam<OcrCase> {};

TEST_P(CudaModels, MatchesCpuRef) {
  PL_REQUIRE_CUDA();
  const OcrCase& c = GetParam();
  const std::string path = ModelsDir() + "/" + c.model + ".onnx";
  if (!Exists(path)) GTEST_SKIP() << path << " missing: run scripts/fetch_models.sh (or set PL_MODELS_DIR)";

  const int threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  pl::Config ref_cfg(path);
  ref_cfg.SetBackends(kRefBackends);
  ref_cfg.SetIntraOpThreads(threads);
  auto ref = pl::CreatePredictor(ref_cfg);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  pl::Config cuda_cfg(path);
  cuda_cfg.SetBackends(CudaBackends());
  auto p = pl::CreatePredictor(cuda_cfg);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  (*p)->EnableProfiling(true);
  ASSERT_EQ((*p)->InputNames().size(), 1u);
  const std::string in_name = (*p)->InputNames()[0];

  for (const Shape& shape : c.shapes) {
    const Tensor x = BenchInput(in_name, shape);
    auto want = RunFeeds(ref->get(), {x});
    ASSERT_TRUE(want.ok()) << "cpu_ref " << pl::ShapeToString(shape) << ": " << want.status().ToString();
    auto got = RunFeeds(p->get(), {x});
    ASSERT_TRUE(got.ok()) << "cuda " << pl::ShapeToString(shape) << ": " << got.status().ToString();
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < got->size(); ++i) {
      double max_abs = 0;
      const std::string what = std::string(c.model) + " " + pl::ShapeToString(shape) + " output " + std::to_string(i);
      EXPECT_TRUE(Close((*got)[i], (*want)[i], kModelAbsTol, kModelRelTol, what, &max_abs));
      std::printf("  %s: max |cuda - cpu_ref| %g\n", what.c_str(), max_abs);
      RecordProperty("max_abs_" + pl::ShapeToString(shape) + "_out" + std::to_string(i), std::to_string(max_abs));
    }
  }
  // Where the nodes ran (last shape): reported, not checked (fallbacks are allowed in models).
  std::map<std::string, int> per_backend;
  std::map<std::string, int> fallback_ops;
  for (const auto& t : (*p)->LastProfile()) {
    if (!t.parent.empty()) continue;
    ++per_backend[t.backend];
    if (t.backend != Dut()) ++fallback_ops[t.op];
  }
  std::ostringstream os;
  for (const auto& [b, n] : per_backend) os << (os.tellp() > 0 ? ", " : "") << b << " " << n;
  std::ostringstream fb;
  for (const auto& [op, n] : fallback_ops) fb << (fb.tellp() > 0 ? ", " : "") << op << " x" << n;
  std::printf("  %s: nodes per backend: %s; not on cuda: %s\n", c.model, os.str().c_str(),
              fb.str().empty() ? "none" : fb.str().c_str());
  RecordProperty("nodes_per_backend", os.str());
  RecordProperty("not_on_cuda", fb.str());
}

INSTANTIATE_TEST_SUITE_P(PaddleOcr, CudaModels,
                         ::testing::Values(OcrCase{"ch_PP-OCRv4_det_infer", {{1, 3, 640, 640}, {1, 3, 480, 736}}},
                                           OcrCase{"ch_PP-OCRv4_rec_infer", {{1, 3, 48, 320}, {1, 3, 48, 160}}},
                                           OcrCase{"ch_ppocr_mobile_v2.0_cls_infer", {{1, 3, 48, 192}, {2, 3, 48, 192}}}),
                         [](const ::testing::TestParamInfo<OcrCase>& info) {
                           const std::string m = info.param.model;
                           return m.find("_det_") != std::string::npos ? std::string("det")
                                  : m.find("_rec_") != std::string::npos ? std::string("rec")
                                                                         : std::string("cls");
                         });

// ---------------------------------------------------------------------------------------------
// Clones

// Four clones, each on its own thread, give bit-identical results to one predictor run serially.
TEST(CudaClones, FourThreadsMatchOnePredictor) {
  PL_REQUIRE_CUDA();
  constexpr int kThreads = 4, kRuns = 6;
  const Model m = ConvReluAdd({2, 16, 32, 32}, 401);
  auto base = Make(m.Bytes(), CudaBackends());
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  std::vector<Tensor> inputs;
  std::vector<std::vector<Tensor>> want;
  for (int i = 0; i < kThreads; ++i) {
    inputs.push_back(Rand("x", {2, 16, 32, 32}, 410 + i));
    auto y = RunFeeds(base->get(), {inputs.back()});
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    want.push_back(std::move(*y));
  }
  std::vector<std::unique_ptr<pl::Predictor>> clones;
  for (int i = 0; i < kThreads; ++i) {
    auto c = (*base)->Clone();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ((*c)->model_id(), (*base)->model_id());
    clones.push_back(std::move(*c));
  }
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int r = 0; r < kRuns; ++r) {
        const int k = (t + r) % kThreads;
        auto y = RunFeeds(clones[t].get(), {inputs[k]});
        if (!y.ok()) {
          errors[t] = "clone " + std::to_string(t) + " run " + std::to_string(r) + ": " + y.status().ToString();
          return;
        }
        auto same = Identical(*y, want[k], "clone " + std::to_string(t) + " run " + std::to_string(r));
        if (!same) {
          errors[t] = same.message();
          return;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  for (const std::string& e : errors) EXPECT_TRUE(e.empty()) << e;
  // And the clones agree with cpu_ref, so "identical" is not identical garbage.
  auto ref = Make(m.Bytes(), kRefBackends);
  ASSERT_TRUE(ref.ok());
  auto r0 = RunFeeds(ref->get(), {inputs[0]});
  ASSERT_TRUE(r0.ok()) << r0.status().ToString();
  EXPECT_TRUE(Close(want[0][0], (*r0)[0], kConvTol, kConvTol, "one predictor vs cpu_ref"));
}

// MemoryStats' device_shared_bytes / device_private_bytes, where this build's MemoryStats has them
// (the device runtime adds them); 0 otherwise.
template <typename M, typename = void>
struct HasDeviceBytes : std::false_type {};
template <typename M>
struct HasDeviceBytes<M, std::void_t<decltype(std::declval<M>().device_shared_bytes)>> : std::true_type {};
template <typename M>
size_t DeviceShared(const M& m) {
  if constexpr (HasDeviceBytes<M>::value) return m.device_shared_bytes; else return 0;
}
template <typename M>
size_t DevicePrivate(const M& m) {
  if constexpr (HasDeviceBytes<M>::value) return m.device_private_bytes; else return 0;
}

// Weights are uploaded once and shared: every clone reports the same shared bytes (holding the
// weights, on the device where MemoryStats reports device memory) and private bytes that do not
// count them.
TEST(CudaClones, WeightsSharedAcrossClones) {
  PL_REQUIRE_CUDA();
  constexpr int64_t kK = 2048, kN = 2048;  // 16 MiB of float weights
  const size_t weight_bytes = static_cast<size_t>(kK * kN) * sizeof(float);
  Model m;
  m.feeds = {Rand("x", {4, kK}, 501)};
  m.inits = {Rand("w", {kK, kN}, 502, -0.05f, 0.05f), Rand("b", {kN}, 503)};
  m.nodes = {{"MatMul", "", {"x", "w"}, {"mm"}, {}}, {"Add", "", {"mm", "b"}, {"y"}, {}}};
  m.outputs = {"y"};
  auto base = Make(m.Bytes(), CudaBackends());
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  auto y0 = RunFeeds(base->get(), m.feeds);
  ASSERT_TRUE(y0.ok()) << y0.status().ToString();
  std::vector<std::unique_ptr<pl::Predictor>> clones;
  for (int i = 0; i < 3; ++i) {
    auto c = (*base)->Clone();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto y = RunFeeds(c->get(), m.feeds);
    ASSERT_TRUE(y.ok()) << y.status().ToString();
    EXPECT_TRUE(Identical(*y, *y0, "clone " + std::to_string(i)));
    clones.push_back(std::move(*c));
  }
  const pl::MemoryStats m0 = (*base)->Memory();
  const bool device_stats = HasDeviceBytes<pl::MemoryStats>::value && Cuda().device != nullptr;
  std::printf("  weights %zu bytes; base: shared %zu private %zu (arena %zu workspace %zu io %zu) device shared %zu "
              "private %zu\n",
              weight_bytes, m0.shared_bytes, m0.private_bytes, m0.arena_bytes, m0.workspace_bytes, m0.io_bytes,
              DeviceShared(m0), DevicePrivate(m0));
  if (device_stats) {
    EXPECT_GE(DeviceShared(m0), weight_bytes) << "device_shared_bytes should hold the uploaded weights";
    EXPECT_LT(DevicePrivate(m0), weight_bytes) << "the first predictor's device_private_bytes counts the weights";
  } else {
    EXPECT_GE(m0.shared_bytes, weight_bytes) << "shared_bytes should hold the weights";
  }
  EXPECT_LT(m0.private_bytes, weight_bytes) << "the first predictor's private_bytes counts the weights";
  for (size_t i = 0; i < clones.size(); ++i) {
    const pl::MemoryStats mi = clones[i]->Memory();
    std::printf("  clone %zu: shared %zu private %zu (arena %zu workspace %zu io %zu) device shared %zu private %zu\n",
                i, mi.shared_bytes, mi.private_bytes, mi.arena_bytes, mi.workspace_bytes, mi.io_bytes,
                DeviceShared(mi), DevicePrivate(mi));
    EXPECT_EQ(mi.shared_bytes, m0.shared_bytes) << "clone " << i;
    EXPECT_LT(mi.private_bytes, weight_bytes) << "clone " << i << "'s private_bytes counts the weights";
    if (device_stats) {
      EXPECT_EQ(DeviceShared(mi), DeviceShared(m0)) << "clone " << i << ": weights uploaded again?";
      EXPECT_LT(DevicePrivate(mi), weight_bytes) << "clone " << i << "'s device_private_bytes counts the weights";
    }
    EXPECT_EQ(clones[i]->model_id(), (*base)->model_id());
  }
  auto ref = Make(m.Bytes(), kRefBackends);
  ASSERT_TRUE(ref.ok());
  auto r = RunFeeds(ref->get(), m.feeds);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(Close((*y0)[0], (*r)[0], kConvTol, kConvTol, "MatMul+Add 4x2048x2048 vs cpu_ref"));
}

// ---------------------------------------------------------------------------------------------
// Inputs in device memory

struct DeviceBuffer {
  std::shared_ptr<void> mem;
  size_t bytes = 0;
};

StatusOr<DeviceBuffer> Upload(const Tensor& host) {
  DeviceBuffer b;
  b.bytes = host.ByteSize();
  PL_ASSIGN_OR_RETURN(b.mem, Cuda().device->Allocate(0, b.bytes));
  PL_RETURN_IF_ERROR(Cuda().device->CopyToDevice(0, b.mem.get(), host.RawData(), b.bytes, nullptr));
  return b;
}

TEST(CudaInputs, DevicePointerInput) {
  PL_REQUIRE_CUDA_DEVICE();
  const Shape shape = {1, 8, 20, 24};
  const Model m = ConvReluAdd(shape, 601);
  auto ref = Make(m.Bytes(), kRefBackends);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  auto p = Make(m.Bytes(), CudaBackends());
  ASSERT_TRUE(p.ok()) << p.status().ToString();

  const Tensor x1 = Rand("x", shape, 602), x2 = Rand("x", shape, 603);
  auto buf = Upload(x1);
  ASSERT_TRUE(buf.ok()) << buf.status().ToString();
  auto in = (*p)->Input("x");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  Status s = (*in)->ShareExternalData(buf->mem.get(), DataType::kFloat32, shape, pl::Device::Cuda(0));
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = (*p)->Run();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto got1 = HostOutputs(**p);
  ASSERT_TRUE(got1.ok()) << got1.status().ToString();
  auto want1 = RunFeeds(ref->get(), {x1});
  ASSERT_TRUE(want1.ok()) << want1.status().ToString();
  EXPECT_TRUE(Close((*got1)[0], (*want1)[0], kConvTol, kConvTol, "device input, first values"));

  // New values in the same device buffer: read in place on the next run, never a stale copy.
  s = Cuda().device->CopyToDevice(0, buf->mem.get(), x2.RawData(), buf->bytes, nullptr);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = (*p)->Run();
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto got2 = HostOutputs(**p);
  ASSERT_TRUE(got2.ok()) << got2.status().ToString();
  auto want2 = RunFeeds(ref->get(), {x2});
  ASSERT_TRUE(want2.ok()) << want2.status().ToString();
  EXPECT_TRUE(Close((*got2)[0], (*want2)[0], kConvTol, kConvTol, "device input, values rewritten in place"));

  // Back to a host input on the same predictor.
  auto got3 = RunFeeds(p->get(), {x1});
  ASSERT_TRUE(got3.ok()) << got3.status().ToString();
  EXPECT_TRUE(Close((*got3)[0], (*want1)[0], kConvTol, kConvTol, "host input after device input"));
}

// A device input given to a predictor whose first node runs on the host (cpu_ref only): either
// copied to the host and correct, or a clean error; never a crash or a host read of device memory.
TEST(CudaInputs, DevicePointerIntoHostPredictor) {
  PL_REQUIRE_CUDA_DEVICE();
  const Shape shape = {1, 4, 6, 6};
  const Model m = ConvReluAdd(shape, 611);
  auto ref = Make(m.Bytes(), kRefBackends);
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  const Tensor x = Rand("x", shape, 612);
  auto want = RunFeeds(ref->get(), {x});
  ASSERT_TRUE(want.ok());
  auto buf = Upload(x);
  ASSERT_TRUE(buf.ok()) << buf.status().ToString();
  auto in = (*ref)->Input("x");
  ASSERT_TRUE(in.ok());
  Status s = (*in)->ShareExternalData(buf->mem.get(), DataType::kFloat32, shape, pl::Device::Cuda(0));
  if (s.ok()) s = (*ref)->Run();
  if (s.ok()) {
    auto got = HostOutputs(**ref);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(Close((*got)[0], (*want)[0], 0, 0, "device input into a cpu_ref predictor"));
  } else {
    std::printf("  device input into a cpu_ref predictor: %s\n", s.ToString().c_str());
    EXPECT_TRUE(s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kUnimplemented) << s.ToString();
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(CudaErrors, BadInputShapeIsInvalidArgument) {
  PL_REQUIRE_CUDA();
  const Model m = ConvReluAdd({1, 3, 16, 16}, 701);
  auto p = Make(m.Bytes(), CudaBackends());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  struct Bad {
    const char* what;
    Tensor x;
  };
  std::vector<Bad> bad = {{"4 channels for 3", Rand("x", {1, 4, 16, 16}, 702)},
                          {"rank 3", Rand("x", {3, 16, 16}, 703)},
                          {"batch 2 for a static batch 1", Rand("x", {2, 3, 16, 16}, 704)},
                          {"int64 for float", Const<int64_t>("x", {1, 3, 16, 16}, std::vector<int64_t>(768, 1))}};
  for (const Bad& b : bad) {
    auto r = RunFeeds(p->get(), {b.x});
    ASSERT_FALSE(r.ok()) << b.what << ": ran";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << b.what << ": " << r.status().ToString();
    std::printf("  %s: %s\n", b.what, r.status().ToString().c_str());
  }
  // A device pointer said to live on a device that does not exist.
  if (Cuda().device != nullptr) {
    auto buf = Upload(Rand("x", {1, 3, 16, 16}, 705));
    ASSERT_TRUE(buf.ok()) << buf.status().ToString();
    auto in = (*p)->Input("x");
    ASSERT_TRUE(in.ok());
    Status s = (*in)->ShareExternalData(buf->mem.get(), DataType::kFloat32, {1, 3, 16, 16},
                                        pl::Device::Cuda(Cuda().devices + 7));
    if (s.ok()) s = (*p)->Run();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument)
        << "a pointer on device " << Cuda().devices + 7 << ": " << s.ToString();
    std::printf("  device %d: %s\n", Cuda().devices + 7, s.ToString().c_str());
  }
  // A device id past the last device: a clear error when the predictor is made, not at Run.
  if (Dut() == pl::kBackendCuda) {
    pl::Config c;
    c.SetModelBuffer(m.Bytes());
    c.SetBackends(CudaBackends());
    c.SetDeviceId(Cuda().devices);
    auto q = pl::CreatePredictor(c);
    EXPECT_FALSE(q.ok()) << "device id " << Cuda().devices << " of " << Cuda().devices << " accepted";
    if (!q.ok()) {
      EXPECT_TRUE(q.status().code() == StatusCode::kUnavailable || q.status().code() == StatusCode::kInvalidArgument)
          << q.status().ToString();
      std::printf("  SetDeviceId(%d): %s\n", Cuda().devices, q.status().ToString().c_str());
    }
  }
  // The errors did not poison the predictor: a good input still runs and matches cpu_ref.
  auto ref = Make(m.Bytes(), kRefBackends);
  ASSERT_TRUE(ref.ok());
  auto want = RunFeeds(ref->get(), m.feeds);
  ASSERT_TRUE(want.ok());
  auto got = RunFeeds(p->get(), m.feeds);
  ASSERT_TRUE(got.ok()) << "after the errors: " << got.status().ToString();
  EXPECT_TRUE(Close((*got)[0], (*want)[0], kConvTol, kConvTol, "after the errors"));
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::printf("gpu_test: paddle_like %s\n", pl::Version().c_str());
  const CudaState& c = Cuda();
  if (Dut() != pl::kBackendCuda)
    std::printf("gpu_test: harness self-check: backend \"%s\" stands in for cuda (%s)\n", Dut().c_str(),
                c.ok ? "kernels registered" : c.why.c_str());
  else if (c.ok)
    std::printf("gpu_test: CUDA backend with %d device(s)\n", c.devices);
  else
    std::printf("gpu_test: every test skips: CUDA backend unavailable: %s\n", c.why.c_str());
  return RUN_ALL_TESTS();
}
