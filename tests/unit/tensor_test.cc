#include <gtest/gtest.h>

#include "pl/tensor.h"

namespace pl {
namespace {

TEST(Tensor, CreateCopyAndView) {
  auto t = Tensor::Create(DataType::kFloat32, {2, 3}, "x");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->NumElements(), 6);
  EXPECT_EQ(t->ByteSize(), 24u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->RawData()) % 64, 0u);
  std::vector<float> src = {1, 2, 3, 4, 5, 6}, dst(6);
  ASSERT_TRUE(t->CopyFromCpu(src.data()).ok());
  ASSERT_TRUE(t->CopyToCpu(dst.data()).ok());
  EXPECT_EQ(src, dst);
  std::vector<int64_t> wrong(6);
  Status s = t->CopyToCpu(wrong.data());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("float32"), std::string::npos);

  Tensor v = Tensor::Wrap(DataType::kFloat32, {6}, src.data());
  EXPECT_FALSE(v.owns_data());
  EXPECT_EQ(v.RawData(), src.data());
}

TEST(Tensor, ReshapeRejectsNegativeAndOverflow) {
  Tensor t;
  EXPECT_FALSE(t.Reshape({-1, 3}).ok());
  EXPECT_FALSE(t.Reshape({1LL << 40, 1LL << 40}).ok());
  EXPECT_TRUE(t.Reshape({0, 5}).ok());
  EXPECT_TRUE(t.Allocate(DataType::kFloat32).ok());
  EXPECT_EQ(t.NumElements(), 0);
}

TEST(Tensor, HugeAllocationIsAStatusNotACrash) {
  Tensor t;
  ASSERT_TRUE(t.Reshape({1LL << 30, 1LL << 20}).ok());
  Status s = t.Allocate(DataType::kFloat32);
  EXPECT_EQ(s.code(), StatusCode::kOutOfMemory);
}

TEST(Tensor, ShareExternalDataIsZeroCopy) {
  std::vector<int64_t> data = {1, 2, 3};
  Tensor t;
  ASSERT_TRUE(t.ShareExternalData(data.data(), DataType::kInt64, {3}).ok());
  EXPECT_EQ(t.Data<int64_t>(), data.data());
  EXPECT_FALSE(t.ShareExternalData(nullptr, DataType::kInt64, {3}).ok());
}

}  // namespace
}  // namespace pl
