// Constant, Identity, Dropout, Range, ConstantOfShape, OneHot, EyeLike.
#include <gtest/gtest.h>

#include <cmath>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

Tensor I64(std::vector<int64_t> v) { return T_<int64_t>({static_cast<int64_t>(v.size())}, v); }

// A minimal KernelContext, to run the Constant kernel directly: the loader folds Constant nodes
// into constants, so no model ever reaches the kernel.
class DirectContext final : public KernelContext {
 public:
  explicit DirectContext(const NodeInfo& node) : node_(node) {}
  int NumInputs() const override { return 0; }
  const Tensor* Input(int) const override { return nullptr; }
  int NumOutputs() const override { return 1; }
  bool OutputRequested(int i) const override { return i == 0; }
  StatusOr<Tensor*> Output(int, const Shape& shape, DataType dtype) override {
    PL_ASSIGN_OR_RETURN(out_, Tensor::Create(dtype, shape));
    return &out_;
  }
  DataType OutputType(int) const override { return DataType::kUndefined; }
  StatusOr<void*> Workspace(size_t) override { return Status::Unimplemented("no workspace"); }
  std::unique_ptr<KernelState>& state() override { return state_; }
  int intra_op_threads() const override { return 1; }
  const NodeInfo& node() const override { return node_; }
  Tensor out_;

 private:
  const NodeInfo& node_;
  std::unique_ptr<KernelState> state_;
};

StatusOr<Tensor> RunConstant(const AttributeMap& attrs) {
  NodeInfo info;
  info.name = "c";
  info.op_type = "Constant";
  info.opset = 13;
  info.output_present = {true};
  info.output_types = {DataType::kUndefined};
  info.attributes = &attrs;
  auto entries = KernelRegistry::Global().Find("", "Constant", 13, kBackendCpuRef, DataType::kUndefined);
  if (entries.empty()) return Status::NotFound("no Constant kernel");
  PL_ASSIGN_OR_RETURN(auto kernel, entries[0]->factory(info));
  DirectContext ctx(info);
  PL_RETURN_IF_ERROR(kernel->Compute(ctx));
  return ctx.out_;
}

TEST(ConstantOp, KernelValueForms) {
  AttributeMap a;
  a["value_floats"].type = Attribute::Type::kFloats;
  a["value_floats"].floats = {1.5f, 2.5f};
  auto t = RunConstant(a);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->shape(), (Shape{2}));
  EXPECT_EQ(ToVec<float>(*t), (std::vector<float>{1.5f, 2.5f}));
  AttributeMap b;
  b["value_int"].type = Attribute::Type::kInt;
  b["value_int"].i = -7;
  t = RunConstant(b);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->dtype(), DataType::kInt64);
  EXPECT_EQ(t->shape(), Shape{});
  EXPECT_EQ(ToVec<int64_t>(*t), (std::vector<int64_t>{-7}));
  AttributeMap c;
  c["value"].type = Attribute::Type::kTensor;
  c["value"].t = std::make_shared<const Tensor>(T_<int32_t>({2, 1}, {3, 4}));
  t = RunConstant(c);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (Shape{2, 1}));
  EXPECT_EQ(ToVec<int32_t>(*t), (std::vector<int32_t>{3, 4}));
  AttributeMap e;
  e["value_ints"].type = Attribute::Type::kInts;
  e["value_ints"].ints = {4, 5, 6};
  t = RunConstant(e);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (Shape{3}));
  EXPECT_EQ(ToVec<int64_t>(*t), (std::vector<int64_t>{4, 5, 6}));
  AttributeMap f;
  f["value_float"].type = Attribute::Type::kFloat;
  f["value_float"].f = 0.25f;
  t = RunConstant(f);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), Shape{});
  EXPECT_EQ(ToVec<float>(*t), (std::vector<float>{0.25f}));
  AttributeMap d;
  d["value_string"].type = Attribute::Type::kString;
  EXPECT_EQ(RunConstant(d).status().code(), StatusCode::kUnimplemented);
  EXPECT_FALSE(RunConstant(AttributeMap()).ok());
}

TEST(ConstantOp, FoldedThroughTheLoader) {
  auto r = RunRef("Constant", {}, {AttrTensor("value", T_<float>({2}, {1, 2}))});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2}));
}

TEST(IdentityOp, CopiesAnyDtype) {
  auto r = RunRef("Identity", {T_<int64_t>({2, 2}, {1, 2, 3, 4})}, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2}));
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 2, 3, 4}));
}

TEST(DropoutOp, InferenceIsIdentityWithTrueMask) {
  auto r = RunRef("Dropout", {T_<float>({3}, {1, 2, 3})}, {}, 2, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ((*r)[1].dtype(), DataType::kBool);
  EXPECT_EQ(ToVec<bool>((*r)[1]), (std::vector<bool>{true, true, true}));
  // Opset 7: mask has the data type, ones.
  r = RunRef("Dropout", {T_<float>({2}, {4, 5})}, {AttrFloat("ratio", 0.3f)}, 2, 7);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[1].dtype(), DataType::kFloat32);
  EXPECT_EQ(ToVec<float>((*r)[1]), (std::vector<float>{1, 1}));
  // Opset 6 with is_test.
  r = RunRef("Dropout", {T_<float>({2}, {4, 5})}, {AttrInt("is_test", 1)}, 1, 6);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{4, 5}));
}

TEST(DropoutOp, TrainingModeOnlyWithRatioZero) {
  Tensor on = Tensor::FromVector({}, std::vector<bool>{true}).value();
  auto r = RunRef("Dropout", {T_<float>({2}, {1, 2}), T_<float>({}, {0.f}), on}, {}, 2, 13);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 2}));
  EXPECT_EQ(ToVec<bool>((*r)[1]), (std::vector<bool>{true, true}));
  r = RunRef("Dropout", {T_<float>({2}, {1, 2}), T_<float>({}, {0.5f}), on}, {}, 1, 13);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnimplemented);
  // training_mode false: inference even with a ratio.
  Tensor off = Tensor::FromVector({}, std::vector<bool>{false}).value();
  EXPECT_TRUE(RunRef("Dropout", {T_<float>({2}, {1, 2}), T_<float>({}, {0.5f}), off}, {}, 1, 12).ok());
}

TEST(RangeOp, FloatAndIntTypes) {
  auto r = RunRef("Range", {T_<float>({}, {3}), T_<float>({}, {9}), T_<float>({}, {3})}, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{3, 6}));
  r = RunRef("Range", {T_<int32_t>({}, {10}), T_<int32_t>({}, {4}), T_<int32_t>({}, {-3})}, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt32);
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{10, 7}));
  // ceil(1 / 0.3) = 4 elements.
  r = RunRef("Range", {T_<double>({}, {1}), T_<double>({}, {2}), T_<double>({}, {0.3})}, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].NumElements(), 4);
  EXPECT_DOUBLE_EQ(ToVec<double>((*r)[0])[3], 1 + 3 * 0.3);
  // Empty when delta points away from limit.
  r = RunRef("Range", {T_<int64_t>({}, {5}), T_<int64_t>({}, {1}), T_<int64_t>({}, {2})}, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{0}));
  r = RunRef("Range", {T_<int16_t>({}, {-1}), T_<int16_t>({}, {4}), T_<int16_t>({}, {2})}, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int16_t>((*r)[0]), (std::vector<int16_t>{-1, 1, 3}));
  EXPECT_FALSE(RunRef("Range", {T_<int64_t>({}, {0}), T_<int64_t>({}, {4}), T_<int64_t>({}, {0})}, {}, 1, 11).ok());
  EXPECT_FALSE(RunRef("Range", {T_<int64_t>({}, {INT64_MIN}), T_<int64_t>({}, {INT64_MAX}), T_<int64_t>({}, {1})}, {}, 1, 11).ok());
}

TEST(ConstantOfShapeOp, ValueAndDefault) {
  auto r = RunRef("ConstantOfShape", {I64({2, 3})}, {AttrTensor("value", T_<int32_t>({1}, {7}))}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt32);
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 3}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), std::vector<int32_t>(6, 7));
  r = RunRef("ConstantOfShape", {I64({2})}, {}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kFloat32);
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 0}));
  r = RunRef("ConstantOfShape", {T_<int64_t>({0}, {})}, {AttrTensor("value", T_<float>({1}, {2.5f}))}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), Shape{});
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{2.5f}));
  EXPECT_FALSE(RunRef("ConstantOfShape", {I64({-1})}, {}, 1, 9).ok());
}

TEST(OneHotOp, AxesAndNegativeIndices) {
  // indices [0, -1, 3, 5], depth 4: -1 wraps to 3, 5 is out of range (all off).
  auto r = RunRef("OneHot", {I64({0, -1, 3, 5}), T_<float>({}, {4}), T_<float>({2}, {0, 1})}, {}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{4, 4}));
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0}));
  // axis 0 with int32 values [off=2, on=9] and float indices.
  r = RunRef("OneHot", {T_<float>({2}, {1.f, 2.f}), T_<int64_t>({1}, {3}), T_<int32_t>({2}, {2, 9})},
            {AttrInt("axis", 0)}, 1, 11);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{3, 2}));
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{2, 2, 9, 2, 2, 9}));
  // 2-D indices, axis 1 (middle): out[i][k][j] = on iff ind[i][j] == k.
  r = RunRef("OneHot", {T_<int64_t>({2, 2}, {0, 1, 1, 0}), T_<int64_t>({}, {2}), T_<int64_t>({2}, {0, 1})},
            {AttrInt("axis", -2)}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].shape(), (Shape{2, 2, 2}));
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 0, 0, 1, 0, 1, 1, 0}));
  EXPECT_FALSE(RunRef("OneHot", {I64({0}), T_<float>({}, {0}), T_<float>({2}, {0, 1})}, {}, 1, 11).ok());
  EXPECT_FALSE(RunRef("OneHot", {I64({0}), T_<float>({}, {2}), T_<float>({3}, {0, 1, 2})}, {}, 1, 11).ok());
  EXPECT_FALSE(RunRef("OneHot", {I64({0}), T_<float>({}, {2}), T_<float>({2}, {0, 1})}, {AttrInt("axis", 2)}, 1, 11).ok());
}

TEST(EyeLikeOp, DiagonalsAndDtype) {
  Tensor x = T_<float>({3, 4}, std::vector<float>(12, 5.f));
  auto r = RunRef("EyeLike", {x}, {AttrInt("k", 1)}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<float>((*r)[0]), (std::vector<float>{0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}));
  r = RunRef("EyeLike", {x}, {AttrInt("k", -1), AttrInt("dtype", 6)}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt32);
  EXPECT_EQ(ToVec<int32_t>((*r)[0]), (std::vector<int32_t>{0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0}));
  r = RunRef("EyeLike", {T_<int64_t>({2, 2}, {0, 0, 0, 0})}, {}, 1, 9);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ToVec<int64_t>((*r)[0]), (std::vector<int64_t>{1, 0, 0, 1}));
  EXPECT_FALSE(RunRef("EyeLike", {T_<float>({3}, {1, 2, 3})}, {}, 1, 9).ok());
}

}  // namespace
}  // namespace pl::test
