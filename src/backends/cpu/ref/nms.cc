// NonMaxSuppression (opsets 10, 11+): boxes [B, N, 4] float32, scores [B, C, N]; optional
// max_output_boxes_per_class (int64), iou_threshold, score_threshold (float32 scalars);
// center_point_box 0 ([y1, x1, y2, x2], either diagonal) or 1 ([xc, yc, w, h]). Output int64
// [num_selected, 3] rows (batch, class, box), per (batch, class) in descending score order.
//
// Greedy selection as in ONNX Runtime: candidates above score_threshold (strictly) are sorted once
// (O(n log n), ties by lower box index first), then each is kept unless its IoU with an already
// kept box exceeds iou_threshold (strictly). A box of zero area suppresses nothing. The scan stops
// once max_output_boxes_per_class boxes are kept, so its cost is O(n * kept).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/backends/cpu/ref/math_util.h"

namespace pl::cpu_ref {
namespace {

struct Corners {
  float y1, x1, y2, x2, area;
};

Corners ToCorners(const float* b, bool center_point) {
  Corners c;
  if (center_point) {
    const float xc = b[0], yc = b[1], w = b[2], h = b[3];
    c.x1 = xc - w / 2;
    c.x2 = xc + w / 2;
    c.y1 = yc - h / 2;
    c.y2 = yc + h / 2;
  } else {
    c.y1 = std::min(b[0], b[2]);
    c.y2 = std::max(b[0], b[2]);
    c.x1 = std::min(b[1], b[3]);
    c.x2 = std::max(b[1], b[3]);
  }
  c.area = (c.y2 - c.y1) * (c.x2 - c.x1);
  return c;
}

// True if IoU(a, b) > threshold.
bool Overlaps(const Corners& a, const Corners& b, float threshold) {
  if (a.area <= 0 || b.area <= 0) return false;
  const float ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1);
  const float iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
  if (ih <= 0 || iw <= 0) return false;
  const float inter = ih * iw;
  const float uni = a.area + b.area - inter;
  return uni > 0 && inter / uni > threshold;
}

StatusOr<float> ScalarFloat(const Tensor* t, const NodeInfo& node, const char* what, float def) {
  if (!t) return def;
  if (t->dtype() != DataType::kFloat32 || t->NumElements() != 1)
    return Status::InvalidArgument(node.Describe() + ": " + what + " must be one float32, got " +
                                   DataTypeName(t->dtype()) + " " + ShapeToString(t->shape()));
  return t->Data<float>()[0];
}

class NonMaxSuppressionKernel : public Kernel {
 public:
  Status Init(const NodeInfo& node) override {
    const int64_t cpb = node.Attr<int64_t>("center_point_box", 0);
    if (cpb != 0 && cpb != 1)
      return Status::InvalidArgument(node.Describe() + ": center_point_box must be 0 or 1, got " + std::to_string(cpb));
    center_point_ = cpb == 1;
    return Status::Ok();
  }

  Status Compute(KernelContext& ctx) const override {
    const NodeInfo& node = ctx.node();
    const std::string me = node.Describe();
    const Tensor* boxes = ctx.Input(0);
    const Tensor* scores = ctx.Input(1);
    if (!boxes) return MissingInput(node, 0);
    if (!scores) return MissingInput(node, 1);
    if (boxes->dtype() != DataType::kFloat32 || scores->dtype() != DataType::kFloat32)
      return Status::InvalidArgument(me + ": boxes and scores must be float32");
    if (boxes->rank() != 3 || boxes->dim(2) != 4)
      return Status::InvalidArgument(me + ": boxes shape " + ShapeToString(boxes->shape()) + ", expected [B, N, 4]");
    if (scores->rank() != 3 || scores->dim(0) != boxes->dim(0) || scores->dim(2) != boxes->dim(1))
      return Status::InvalidArgument(me + ": scores shape " + ShapeToString(scores->shape()) + ", expected [" +
                                     std::to_string(boxes->dim(0)) + ", C, " + std::to_string(boxes->dim(1)) + "]");
    int64_t max_out = 0;
    if (const Tensor* m = ctx.Input(2)) {
      if ((m->dtype() != DataType::kInt64 && m->dtype() != DataType::kInt32) || m->NumElements() != 1)
        return Status::InvalidArgument(me + ": max_output_boxes_per_class must be one int64, got " +
                                       DataTypeName(m->dtype()) + " " + ShapeToString(m->shape()));
      max_out = std::max<int64_t>(ReadInt(*m, 0), 0);
    }
    PL_ASSIGN_OR_RETURN(float iou_threshold, ScalarFloat(ctx.Input(3), node, "iou_threshold", 0.f));
    if (!(iou_threshold >= 0.f && iou_threshold <= 1.f))
      return Status::InvalidArgument(me + ": iou_threshold must be in [0, 1], got " + std::to_string(iou_threshold));
    const Tensor* st = ctx.Input(4);
    PL_ASSIGN_OR_RETURN(float score_threshold, ScalarFloat(st, node, "score_threshold", 0.f));

    const int64_t batches = boxes->dim(0), n = boxes->dim(1), classes = scores->dim(1);
    std::vector<int64_t> selected;  // triples
    std::vector<Corners> corners(static_cast<size_t>(n));
    std::vector<int64_t> order;
    std::vector<int64_t> kept;
    for (int64_t b = 0; b < batches && max_out > 0; ++b) {
      const float* bb = boxes->Data<float>() + b * n * 4;
      for (int64_t i = 0; i < n; ++i) corners[i] = ToCorners(bb + i * 4, center_point_);
      for (int64_t c = 0; c < classes; ++c) {
        const float* sc = scores->Data<float>() + (b * classes + c) * n;
        order.clear();
        for (int64_t i = 0; i < n; ++i)
          if (!st || sc[i] > score_threshold) order.push_back(i);
        std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return sc[x] > sc[y]; });
        kept.clear();
        for (int64_t i : order) {
          if (static_cast<int64_t>(kept.size()) >= max_out) break;
          bool suppressed = false;
          for (int64_t k : kept)
            if (Overlaps(corners[i], corners[k], iou_threshold)) { suppressed = true; break; }
          if (suppressed) continue;
          kept.push_back(i);
          selected.insert(selected.end(), {b, c, i});
        }
      }
    }
    const int64_t num = static_cast<int64_t>(selected.size() / 3);
    PL_ASSIGN_OR_RETURN(Tensor* y, ctx.Output(0, {num, 3}, DataType::kInt64));
    std::copy(selected.begin(), selected.end(), y->MutableData<int64_t>());
    return Status::Ok();
  }

 private:
  bool center_point_ = false;
};

}  // namespace

void RegisterNonMaxSuppression(KernelRegistry& r) {
  Add<NonMaxSuppressionKernel>(r, RefDef("NonMaxSuppression").Opset(10).Types<float>());
}

}  // namespace pl::cpu_ref
