// Reference NonMaxSuppression, pinned to the ONNX spec with hand-computed cases.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "ops/ref_op_util.h"

namespace pl::test {
namespace {

const Tensor kNone;

std::vector<int64_t> Nms(const std::vector<Tensor>& ins, const std::vector<onnx::AttributeProto>& attrs = {}) {
  auto r = RunRef("NonMaxSuppression", ins, attrs, 1, 11);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {{-1}};
  EXPECT_EQ((*r)[0].dtype(), DataType::kInt64);
  EXPECT_EQ((*r)[0].rank(), 2);
  EXPECT_EQ((*r)[0].dim(1), 3);
  return ToVec<int64_t>((*r)[0]);
}

Tensor I64(int64_t v) { return T_<int64_t>({1}, {v}); }
Tensor F(float v) { return T_<float>({1}, {v}); }

// Box 0 [0,0,1,1], box 1 [0,0.5,1,1.5] (IoU with 0: 0.5/1.5 = 1/3), box 2 [0,0.1,1,1.1]
// (IoU with 0: 0.9/1.1 = 0.818), box 3 far away.
Tensor Boxes() {
  return T_<float>({1, 4, 4}, {0, 0, 1, 1, 0, 0.5f, 1, 1.5f, 0, 0.1f, 1, 1.1f, 5, 5, 6, 6});
}

TEST(NonMaxSuppression, IouThresholdAndOrder) {
  Tensor scores = T_<float>({1, 1, 4}, {0.9f, 0.8f, 0.85f, 0.3f});
  // 0.5: box 2 (0.818 with box 0) goes, box 1 (1/3) stays; order by score: 0, 1, 3.
  EXPECT_EQ(Nms({Boxes(), scores, I64(10), F(0.5f)}), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 0, 3}));
  // 0.3: box 1 suppressed too (1/3 > 0.3).
  EXPECT_EQ(Nms({Boxes(), scores, I64(10), F(0.3f)}), (std::vector<int64_t>{0, 0, 0, 0, 0, 3}));
  // 0.9: nothing suppressed, descending score order.
  EXPECT_EQ(Nms({Boxes(), scores, I64(10), F(0.9f)}),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 2, 0, 0, 1, 0, 0, 3}));
}

TEST(NonMaxSuppression, LimitsAndScoreThreshold) {
  Tensor scores = T_<float>({1, 1, 4}, {0.9f, 0.8f, 0.85f, 0.3f});
  EXPECT_EQ(Nms({Boxes(), scores, I64(1), F(0.5f)}), (std::vector<int64_t>{0, 0, 0}));
  // Strictly above the score threshold: 0.8 is not > 0.8.
  EXPECT_EQ(Nms({Boxes(), scores, I64(10), F(0.9f), F(0.8f)}), (std::vector<int64_t>{0, 0, 0, 0, 0, 2}));
  // max_output_boxes_per_class omitted or 0: nothing selected.
  EXPECT_TRUE(Nms({Boxes(), scores}).empty());
  EXPECT_TRUE(Nms({Boxes(), scores, I64(0)}).empty());
}

TEST(NonMaxSuppression, CenterPointFlippedAndPerClass) {
  // Same geometry as Boxes() as [xc, yc, w, h].
  Tensor center = T_<float>({1, 4, 4}, {0.5f, 0.5f, 1, 1, 1, 0.5f, 1, 1, 0.6f, 0.5f, 1, 1, 5.5f, 5.5f, 1, 1});
  // Two classes, per-class limit 2.
  Tensor scores = T_<float>({1, 2, 4}, {0.9f, 0.8f, 0.85f, 0.3f, 0.1f, 0.2f, 0.3f, 0.4f});
  EXPECT_EQ(Nms({center, scores, I64(2), F(0.5f)}, {AttrInt("center_point_box", 1)}),
            (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 1, 3, 0, 1, 2}));
  // Corners given as the other diagonal ([y2, x2, y1, x1]) select the same boxes.
  Tensor flipped = T_<float>({1, 4, 4}, {1, 1, 0, 0, 1, 1.5f, 0, 0.5f, 1, 1.1f, 0, 0.1f, 6, 6, 5, 5});
  EXPECT_EQ(Nms({flipped, scores, I64(2), F(0.5f)}), (std::vector<int64_t>{0, 0, 0, 0, 0, 1, 0, 1, 3, 0, 1, 2}));
}

TEST(NonMaxSuppression, TiesAndZeroArea) {
  // Identical boxes, equal scores: the lowest index wins and suppresses the rest.
  Tensor same = T_<float>({1, 3, 4}, {0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1});
  EXPECT_EQ(Nms({same, T_<float>({1, 1, 3}, {0.5f, 0.5f, 0.5f}), I64(5), F(0.5f)}),
            (std::vector<int64_t>{0, 0, 0}));
  // Zero-area boxes suppress nothing.
  Tensor points = T_<float>({1, 2, 4}, {0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(Nms({points, T_<float>({1, 1, 2}, {0.5f, 0.6f}), I64(5), F(0.f)}),
            (std::vector<int64_t>{0, 0, 1, 0, 0, 0}));
}

TEST(NonMaxSuppression, ThousandsOfBoxesQuickly) {
  const int64_t n = 6000;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(0.f, 1000.f), s(0.f, 1.f);
  std::vector<float> b(n * 4), sc(n);
  for (int64_t i = 0; i < n; ++i) {
    const float y = u(rng), x = u(rng);
    b[i * 4] = y; b[i * 4 + 1] = x; b[i * 4 + 2] = y + 20; b[i * 4 + 3] = x + 20;
    sc[i] = s(rng);
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto sel = Nms({T_<float>({1, n, 4}, b), T_<float>({1, 1, n}, sc), I64(100), F(0.5f)});
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(sel.size(), 300u);
  for (size_t k = 3; k < sel.size(); k += 3) EXPECT_GE(sc[sel[k - 1]], sc[sel[k + 2]]);
  EXPECT_LT(secs, 2.0);
}

TEST(NonMaxSuppression, Errors) {
  Tensor scores = T_<float>({1, 1, 4}, {0.9f, 0.8f, 0.85f, 0.3f});
  EXPECT_FALSE(RunRef("NonMaxSuppression", {T_<float>({1, 4, 3}, std::vector<float>(12)), scores}, {}, 1, 11).ok());
  EXPECT_FALSE(RunRef("NonMaxSuppression", {Boxes(), T_<float>({1, 1, 3}, {1, 2, 3})}, {}, 1, 11).ok());
  EXPECT_FALSE(RunRef("NonMaxSuppression", {Boxes(), scores, I64(3), F(1.5f)}, {}, 1, 11).ok());
  EXPECT_FALSE(RunRef("NonMaxSuppression", {Boxes(), scores}, {AttrInt("center_point_box", 2)}, 1, 11).ok());
}

}  // namespace
}  // namespace pl::test
