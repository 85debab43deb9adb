// Bad models and bad requests get a Status naming what was wrong; the predictor stays usable.
#include <gtest/gtest.h>

#include <fstream>

#include "util/test_util.h"

namespace pl {
namespace {
using test::BuildModel;
using test::NodeSpec;
using test::T_;

std::string TwoInputModel() {
  Tensor a = T_<float>({2, 3}, std::vector<float>(6, 0));
  a.set_name("a");
  Tensor b = T_<float>({2, 3}, std::vector<float>(6, 0));
  b.set_name("b");
  std::string bytes = BuildModel({NodeSpec{"Add", "", {"a", "b"}, {"y"}, {}}}, {a, b}, {}, {"y"});
  onnx::ModelProto m;
  m.ParseFromString(bytes);
  // a: [N, 3], b: [N, 3] — N symbolic, 3 fixed.
  for (int i = 0; i < 2; ++i) {
    auto* d = m.mutable_graph()->mutable_input(i)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0);
    d->clear_dim_value();
    d->set_dim_param("N");
  }
  return m.SerializeAsString();
}

StatusOr<std::unique_ptr<Predictor>> FromBytes(const std::string& bytes) {
  Config c;
  c.SetModelBuffer(bytes);
  return CreatePredictor(c);
}

TEST(BadInput, MissingFile) {
  auto p = CreatePredictor(Config("/nonexistent/model.onnx"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("/nonexistent/model.onnx"), std::string::npos);
}

TEST(BadInput, NotOnnxAndTruncated) {
  auto p = FromBytes("this is definitely not a protobuf model \x01\x02\xff");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kModelError);
  const std::string good = TwoInputModel();
  for (size_t cut : {good.size() / 2, good.size() - 3, size_t{5}}) {
    auto q = FromBytes(good.substr(0, cut));
    ASSERT_FALSE(q.ok()) << "cut at " << cut;
    EXPECT_EQ(q.status().code(), StatusCode::kModelError) << q.status().ToString();
  }
  EXPECT_FALSE(FromBytes("").ok());
}

TEST(BadInput, OpWithoutKernelNamesOpAndNode) {
  Tensor x = T_<float>({2}, {0, 0});
  x.set_name("x");
  auto p = FromBytes(BuildModel({NodeSpec{"FrobnicateXYZ", "com.nowhere", {"x"}, {"y"}, {}}}, {x}, {}, {"y"}, 13,
                                {{"com.nowhere", 1}}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(p.status().message().find("FrobnicateXYZ"), std::string::npos);
  EXPECT_NE(p.status().message().find("FrobnicateXYZ_0"), std::string::npos) << p.status().message();
}

TEST(BadInput, UnknownOnnxOpIsModelErrorOrUnimplemented) {
  Tensor x = T_<float>({2}, {0, 0});
  x.set_name("x");
  auto p = FromBytes(BuildModel({NodeSpec{"NoSuchOnnxOp", "", {"x"}, {"y"}, {}}}, {x}, {}, {"y"}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("NoSuchOnnxOp"), std::string::npos);
}

TEST(BadInput, RequestErrorsThenRecovery) {
  auto pr = FromBytes(TwoInputModel());
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  auto& p = *pr;
  std::vector<Tensor> out;
  Tensor a = T_<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = T_<float>({2, 3}, {1, 1, 1, 1, 1, 1});

  // Missing input (handle API: never set).
  Status s = p->Run();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'a'"), std::string::npos) << s.message();

  // Wrong count.
  s = p->Run({a}, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);

  // Wrong dtype.
  s = p->Run({a, T_<int64_t>({2, 3}, {1, 1, 1, 1, 1, 1})}, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("int64"), std::string::npos) << s.message();

  // Wrong rank.
  s = p->Run({a, T_<float>({6}, {1, 1, 1, 1, 1, 1})}, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("rank"), std::string::npos) << s.message();

  // A fixed dim contradicted.
  s = p->Run({T_<float>({2, 2}, {1, 2, 3, 4}), T_<float>({2, 2}, {1, 2, 3, 4})}, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("dim 1"), std::string::npos) << s.message();

  // A symbolic dim given two values.
  s = p->Run({a, T_<float>({1, 3}, {1, 1, 1})}, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("'N'"), std::string::npos) << s.message();

  // Unknown input name.
  EXPECT_EQ(p->Input("zzz").status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(p->Output(7).ok());

  // And the predictor still works.
  ASSERT_TRUE(p->Run({a, b}, &out).ok());
  EXPECT_EQ(test::ToVec<float>(out[0]), (std::vector<float>{2, 3, 4, 5, 6, 7}));
}

TEST(BadInput, KernelShapeErrorNamesNode) {
  // Model with unknown shapes: Add of [2] and [3] fails at run time inside the kernel.
  Tensor a = T_<float>({2}, {0, 0});
  a.set_name("a");
  Tensor b = T_<float>({3}, {0, 0, 0});
  b.set_name("b");
  onnx::ModelProto m;
  m.ParseFromString(BuildModel({NodeSpec{"Add", "", {"a", "b"}, {"y"}, {}}}, {a, b}, {}, {"y"}));
  for (int i = 0; i < 2; ++i) m.mutable_graph()->mutable_input(i)->mutable_type()->mutable_tensor_type()->clear_shape();
  auto p = FromBytes(m.SerializeAsString());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  std::vector<Tensor> out;
  Status s = (*p)->Run({a, b}, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("Add node 'Add_0'"), std::string::npos) << s.message();
}

TEST(BadInput, GraphErrors) {
  Tensor x = T_<float>({2}, {0, 0});
  x.set_name("x");
  // Input that nothing defines.
  auto p = FromBytes(BuildModel({NodeSpec{"Add", "", {"x", "ghost"}, {"y"}, {}}}, {x}, {}, {"y"}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("ghost"), std::string::npos) << p.status().ToString();
  // A cycle.
  auto q = FromBytes(BuildModel({NodeSpec{"Add", "", {"x", "b"}, {"a"}, {}}, NodeSpec{"Relu", "", {"a"}, {"b"}, {}}},
                                {x}, {}, {"b"}));
  ASSERT_FALSE(q.ok());
}

}  // namespace
}  // namespace pl

namespace pl {
namespace {
TEST(BadInput, ZeroStrideIsAModelErrorNotASignal) {
  Tensor x = test::T_<float>({1, 1, 4, 4}, std::vector<float>(16, 0));
  x.set_name("x");
  Tensor w = test::T_<float>({1, 1, 2, 2}, {1, 1, 1, 1});
  w.set_name("w");
  Config c;
  onnx::ModelProto m;
  m.ParseFromString(test::BuildModel({test::NodeSpec{"Conv", "", {"x", "w"}, {"y"}, {test::AttrInts("strides", {1, 1})}}},
                                     {x}, {w}, {"y"}));
  m.mutable_graph()->mutable_node(0)->mutable_attribute(0)->set_ints(0, 0);  // after BuildModel's own inference
  c.SetModelBuffer(m.SerializeAsString());
  auto p = CreatePredictor(c);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kModelError);
  EXPECT_NE(p.status().message().find("strides"), std::string::npos) << p.status().ToString();
}
}  // namespace
}  // namespace pl
