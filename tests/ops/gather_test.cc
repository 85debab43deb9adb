// Gather, GatherElements, GatherND, ScatterND, ScatterElements, Scatter: ONNX spec examples,
// negative indices, reductions, errors.
#include <gtest/gtest.h>

#include <cstring>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

Tensor I64(Shape s, std::vector<int64_t> v) { return T_<int64_t>(s, v); }

// A float16 tensor from raw IEEE half bit patterns.
Tensor Half(Shape s, std::vector<uint16_t> bits) {
  Tensor t = Tensor::Create(DataType::kFloat16, s).value();
  std::memcpy(t.RawMutableData(), bits.data(), bits.size() * 2);
  return t;
}
std::vector<uint16_t> Bits(const Tensor& t) {
  return std::vector<uint16_t>(static_cast<const uint16_t*>(t.RawData()),
                               static_cast<const uint16_t*>(t.RawData()) + t.NumElements());
}

TEST(GatherOp, Axis0With2DIndices) {
  // Spec example 1: data [[1,1.2],[2.3,3.4],[4.5,5.7]], indices [[0,1],[1,2]].
  Tensor data = T_<float>({3, 2}, {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f});
  auto r = RunRef("Gather", {data, I64({2, 2}, {0, 1, 1, 2})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f}));
}

TEST(GatherOp, Axis1NegativeAndScalarIndices) {
  // Spec example 2: data 3x3, indices [[0,2]], axis 1.
  Tensor data = T_<float>({3, 3}, {1.0f, 1.2f, 1.9f, 2.3f, 3.4f, 3.9f, 4.5f, 5.7f, 5.9f});
  auto r = RunRef("Gather", {data, T_<int32_t>({1, 2}, {0, -1})}, {AttrInt("axis", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 1, 2}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1.0f, 1.9f, 2.3f, 3.9f, 4.5f, 5.9f}));
  r = RunRef("Gather", {data, I64({}, {-2})}, {AttrInt("axis", -2)}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{2.3f, 3.4f, 3.9f}));
}

TEST(GatherOp, Float16MovesBits) {
  auto r = RunRef("Gather", {Half({3}, {0x3C00, 0x4000, 0x4200}), I64({2}, {2, 0})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kFloat16);
  EXPECT_EQ(Bits((*r)[0]), (std::vector<uint16_t>{0x4200, 0x3C00}));
  // Reductions on float16 go through float: 1 + 2 = 3 (0x4200), max(1, 2) = 2.
  r = RunRef("ScatterND", {Half({2}, {0x3C00, 0x3C00}), I64({1, 1}, {1}), Half({1}, {0x4000})},
             {AttrString("reduction", "add")}, 1, 16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Bits((*r)[0]), (std::vector<uint16_t>{0x3C00, 0x4200}));
}

TEST(GatherOp, Errors) {
  Tensor data = T_<float>({2, 2}, {1, 2, 3, 4});
  EXPECT_FALSE(RunRef("Gather", {data, I64({1}, {2})}, {}).ok());
  EXPECT_FALSE(RunRef("Gather", {data, I64({1}, {-3})}, {}).ok());
  EXPECT_FALSE(RunRef("Gather", {data, I64({1}, {0})}, {AttrInt("axis", 2)}).ok());
  EXPECT_FALSE(RunRef("Gather", {data, T_<float>({1}, {0})}, {}).ok());
}

TEST(GatherElementsOp, SpecExamples) {
  auto r = RunRef("GatherElements", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({2, 2}, {0, 0, 1, 0})}, {AttrInt("axis", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 1, 4, 3}));
  r = RunRef("GatherElements", {T_<int32_t>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), I64({2, 3}, {1, 2, 0, 2, 0, 0})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{4, 8, 3, 7, 2, 3}));
  r = RunRef("GatherElements", {T_<int32_t>({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), I64({2, 3}, {-1, -2, 0, -2, 0, 0})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{7, 5, 3, 4, 2, 3}));
  EXPECT_FALSE(RunRef("GatherElements", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({2}, {0, 0})}, {}).ok());
  EXPECT_FALSE(RunRef("GatherElements", {T_<float>({2, 2}, {1, 2, 3, 4}), I64({1, 2}, {0, 2})}, {}).ok());
}

TEST(GatherNDOp, SpecExamples) {
  Tensor d2 = T_<int32_t>({2, 2}, {0, 1, 2, 3});
  auto r = RunRef("GatherND", {d2, I64({2, 2}, {0, 0, 1, 1})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{0, 3}));
  r = RunRef("GatherND", {d2, I64({2, 1}, {1, 0})}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{2, 3, 0, 1}));
  Tensor d3 = T_<int32_t>({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  r = RunRef("GatherND", {d3, I64({2, 1, 2}, {0, 1, 1, 0})}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{2, 3, 4, 5}));
  // batch_dims = 1 (example 5): indices [[1],[0]] pick row 1 of batch 0 and row 0 of batch 1.
  r = RunRef("GatherND", {d3, I64({2, 1}, {1, 0})}, {AttrInt("batch_dims", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{2, 3, 4, 5}));
  r = RunRef("GatherND", {d2, I64({1, 2}, {-1, -2})}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{2}));
  EXPECT_FALSE(RunRef("GatherND", {d2, I64({1, 3}, {0, 0, 0})}, {}).ok());
  EXPECT_FALSE(RunRef("GatherND", {d2, I64({1, 2}, {2, 0})}, {}).ok());
  EXPECT_FALSE(RunRef("GatherND", {d3, I64({1, 1}, {0})}, {AttrInt("batch_dims", 1)}).ok());  // batch dims differ
}

TEST(ScatterNDOp, SpecExampleAndReductions) {
  auto r = RunRef("ScatterND", {T_<float>({8}, {1, 2, 3, 4, 5, 6, 7, 8}), I64({4, 1}, {4, 3, 1, 7}),
                               T_<float>({4}, {9, 10, 11, 12})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 11, 3, 10, 9, 6, 7, 12}));
  // Slices: replace row 0 and (negative index) row 2 of a 3x2 matrix.
  r = RunRef("ScatterND", {T_<int64_t>({3, 2}, {1, 2, 3, 4, 5, 6}), I64({2, 1}, {0, -1}),
                          T_<int64_t>({2, 2}, {7, 8, 9, 10})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{7, 8, 3, 4, 9, 10}));
  r = RunRef("ScatterND", {T_<float>({3}, {1, 1, 1}), I64({3, 1}, {0, 0, 2}), T_<float>({3}, {2, 3, 4})},
            {AttrString("reduction", "add")}, 1, 16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{6, 1, 5}));
  r = RunRef("ScatterND", {T_<int32_t>({3}, {1, 1, 1}), I64({3, 1}, {0, 0, 2}), T_<int32_t>({3}, {2, 3, 4})},
            {AttrString("reduction", "mul")}, 1, 16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{6, 1, 4}));
  EXPECT_FALSE(RunRef("ScatterND", {T_<float>({3}, {1, 1, 1}), I64({1, 1}, {3}), T_<float>({1}, {2})}, {}).ok());
  EXPECT_FALSE(RunRef("ScatterND", {T_<float>({3}, {1, 1, 1}), I64({1, 1}, {0}), T_<float>({2}, {2, 2})}, {}).ok());
  // add is opset 16: rejected at 13.
  EXPECT_FALSE(RunRef("ScatterND", {T_<float>({3}, {1, 1, 1}), I64({1, 1}, {0}), T_<float>({1}, {2})},
                     {AttrString("reduction", "add")}, 1, 13).ok());
}

TEST(ScatterElementsOp, SpecExamples) {
  auto r = RunRef("ScatterElements", {T_<float>({3, 3}, std::vector<float>(9, 0.f)), I64({2, 3}, {1, 0, 2, 0, 2, 1}),
                                     T_<float>({2, 3}, {1.0f, 1.1f, 1.2f, 2.0f, 2.1f, 2.2f})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{2.0f, 1.1f, 0.0f, 1.0f, 0.0f, 2.2f, 0.0f, 2.1f, 1.2f}));
  r = RunRef("ScatterElements", {T_<float>({1, 5}, {1, 2, 3, 4, 5}), I64({1, 2}, {1, -2}), T_<float>({1, 2}, {1.1f, 2.1f})},
            {AttrInt("axis", 1)});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1.0f, 1.1f, 3.0f, 2.1f, 5.0f}));
  // Duplicate indices with add (opset 16).
  r = RunRef("ScatterElements", {T_<float>({1, 5}, {1, 2, 3, 4, 5}), I64({1, 2}, {1, 1}), T_<float>({1, 2}, {1.1f, 2.1f})},
            {AttrInt("axis", 1), AttrString("reduction", "add")}, 1, 16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FLOAT_EQ(ToVec<float>((*r)[0])[1], 2.0f + 1.1f + 2.1f);
  // max/min (opset 18).
  r = RunRefUnchecked("ScatterElements", {T_<int64_t>({1, 3}, {5, 5, 5}), I64({1, 3}, {0, 0, 2}), T_<int64_t>({1, 3}, {7, 9, 1})},
                     {AttrInt("axis", 1), AttrString("reduction", "max")}, 1, 18);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{9, 5, 5}));
  r = RunRefUnchecked("ScatterND", {T_<float>({3}, {5, 5, 5}), I64({3, 1}, {0, 0, 2}), T_<float>({3}, {7, 3, 1})},
                     {AttrString("reduction", "min")}, 1, 18);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{3, 5, 1}));
  // The deprecated Scatter (opset 9/10) is the same op.
  r = RunRef("Scatter", {T_<int32_t>({1, 3}, {0, 0, 0}), I64({1, 1}, {2}), T_<int32_t>({1, 1}, {7})}, {AttrInt("axis", 1)},
            1, 10);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{0, 0, 7}));
  EXPECT_FALSE(RunRef("ScatterElements", {T_<float>({1, 2}, {1, 2}), I64({1, 1}, {2}), T_<float>({1, 1}, {1})},
                     {AttrInt("axis", 1)}).ok());
  EXPECT_FALSE(RunRef("ScatterElements", {T_<float>({1, 2}, {1, 2}), I64({1, 1}, {0}), T_<float>({1, 2}, {1, 1})},
                     {AttrInt("axis", 1)}).ok());
  EXPECT_FALSE(RunRef("ScatterElements", {T_<float>({1, 2}, {1, 2}), I64({1, 1}, {0}), T_<float>({1, 1}, {1})},
                     {AttrString("reduction", "bogus")}, 1, 16).ok());
}

}  // namespace
}  // namespace pl::test
