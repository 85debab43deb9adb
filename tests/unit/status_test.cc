#include <gtest/gtest.h>

#include "pl/status.h"

namespace pl {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}
Status UseHalf(int x, int* out) {
  PL_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::Ok();
}

TEST(Status, CodesAndMessages) {
  Status s = Status::ModelError("Conv node 'c': weight rank 3, expected 4");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "ModelError: Conv node 'c': weight rank 3, expected 4");
  EXPECT_EQ(s.WithContext("model 'm'").message(), "model 'm': Conv node 'c': weight rank 3, expected 4");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, AssignOrReturn) {
  int v = 0;
  EXPECT_TRUE(UseHalf(8, &v).ok());
  EXPECT_EQ(v, 4);
  Status s = UseHalf(3, &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("odd: 3"), std::string::npos);
}

}  // namespace
}  // namespace pl
