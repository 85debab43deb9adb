#include "services/batching.h"

#include <cstring>

namespace pl::services::batching {
namespace {

// Element types the batcher moves: fixed-size ones as bytes, strings element by element.
bool Batchable(DataType dt) { return dt == DataType::kString || DataTypeSize(dt) > 0; }

// Copies `n` elements from src (starting at element `from`) into dst (starting at `to`); both
// host tensors of dtype dt.
void CopyElements(DataType dt, const Tensor& src, int64_t from, Tensor& dst, int64_t to, int64_t n) {
  if (n <= 0) return;
  if (dt == DataType::kString) {
    const std::string* in = src.Data<std::string>() + from;
    std::string* out = dst.MutableData<std::string>() + to;
    for (int64_t i = 0; i < n; ++i) out[i] = in[i];
    return;
  }
  const size_t size = DataTypeSize(dt);
  std::memcpy(static_cast<char*>(dst.RawMutableData()) + static_cast<size_t>(to) * size,
              static_cast<const char*>(src.RawData()) + static_cast<size_t>(from) * size, static_cast<size_t>(n) * size);
}

}  // namespace

BatchKey KeyOf(const std::vector<Tensor>& inputs) {
  BatchKey k;
  if (inputs.empty()) return k;
  const int64_t rows = inputs[0].rank() >= 1 ? inputs[0].dim(0) : -1;
  if (rows < 1) return k;
  std::string key;
  for (const Tensor& t : inputs) {
    if (t.rank() < 1 || t.dim(0) != rows || t.device().type != DeviceType::kCPU || !Batchable(t.dtype()))
      return k;
    key += std::to_string(static_cast<int>(t.dtype())) + ":";
    for (int64_t d = 1; d < t.rank(); ++d) key += std::to_string(t.dim(static_cast<int>(d))) + ",";
    key += ";";
  }
  k.rows = rows;
  k.key = std::move(key);
  return k;
}

std::string WhyNotBatchable(const std::vector<ValueInfo>& model_inputs) {
  if (model_inputs.empty()) return "the model has no inputs";
  for (const ValueInfo& vi : model_inputs) {
    if (vi.is_sequence || vi.is_optional) return "input '" + vi.name + "' is a sequence or an optional";
    if (!vi.has_shape) continue;
    if (vi.shape.empty()) return "input '" + vi.name + "' is a scalar";
    if (vi.shape[0] >= 0) return "input '" + vi.name + "' fixes dim 0 to " + std::to_string(vi.shape[0]);
  }
  return "";
}

StatusOr<std::vector<Tensor>> NormalizeInputs(const std::vector<std::string>& model_inputs,
                                              std::vector<Tensor> inputs) {
  if (inputs.size() != model_inputs.size())
    return Status::InvalidArgument("request has " + std::to_string(inputs.size()) + " inputs, the model takes " +
                                   std::to_string(model_inputs.size()));
  std::vector<Tensor> ordered(inputs.size());
  std::vector<bool> filled(inputs.size(), false);
  bool by_name = true;
  for (const Tensor& t : inputs) {
    bool known = false;
    for (const std::string& n : model_inputs) known |= t.name() == n;
    by_name &= known;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    size_t slot = i;
    if (by_name) {
      for (size_t k = 0; k < model_inputs.size(); ++k)
        if (model_inputs[k] == inputs[i].name()) slot = k;
      if (filled[slot]) return Status::InvalidArgument("request names input '" + model_inputs[slot] + "' twice");
    }
    Tensor& t = inputs[i];
    if (!Batchable(t.dtype()) ||
        (t.RawData() == nullptr && t.NumElements() != 0))
      return Status::InvalidArgument("request input '" + model_inputs[slot] + "' has no data (or an unsupported dtype)");
    if (t.device().type != DeviceType::kCPU)
      return Status::InvalidArgument("request input '" + model_inputs[slot] + "' is not a host tensor");
    t.set_name(model_inputs[slot]);
    ordered[slot] = std::move(t);
    filled[slot] = true;
  }
  return ordered;
}

StatusOr<std::vector<Tensor>> Concat(const std::vector<const std::vector<Tensor>*>& requests) {
  if (requests.empty()) return Status::InvalidArgument("Concat: no requests");
  const std::vector<Tensor>& first = *requests[0];
  std::vector<Tensor> out;
  out.reserve(first.size());
  for (size_t i = 0; i < first.size(); ++i) {
    Shape shape = first[i].shape();
    if (shape.empty()) return Status::InvalidArgument("Concat: scalar input " + std::to_string(i));
    int64_t rows = 0;
    for (const auto* r : requests) {
      if (r->size() != first.size() || (*r)[i].dtype() != first[i].dtype() || (*r)[i].rank() != first[i].rank())
        return Status::InvalidArgument("Concat: requests disagree on input " + std::to_string(i));
      for (int64_t d = 1; d < first[i].rank(); ++d)
        if ((*r)[i].dim(static_cast<int>(d)) != first[i].dim(static_cast<int>(d)))
          return Status::InvalidArgument("Concat: requests disagree on input " + std::to_string(i) + " dim " +
                                         std::to_string(d));
      rows += (*r)[i].dim(0);
    }
    shape[0] = rows;
    PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(first[i].dtype(), shape, first[i].name()));
    // Row-major: concatenation along dim 0 is one contiguous run of elements per request.
    int64_t at = 0;
    for (const auto* r : requests) {
      const int64_t n = (*r)[i].NumElements();
      CopyElements(t.dtype(), (*r)[i], 0, t, at, n);
      at += n;
    }
    out.push_back(std::move(t));
  }
  return out;
}

StatusOr<std::vector<std::vector<Tensor>>> Split(const std::vector<Tensor>& outputs,
                                                 const std::vector<int64_t>& rows) {
  int64_t total = 0;
  for (int64_t r : rows) total += r;
  std::vector<std::vector<Tensor>> out(rows.size());
  for (const Tensor& o : outputs) {
    if (o.rank() < 1 || o.dim(0) != total)
      return Status::InvalidArgument("output '" + o.name() + "' has shape " + ShapeToString(o.shape()) +
                                     ", not " + std::to_string(total) + " rows: it cannot be split per request");
    if (!Batchable(o.dtype()) || o.device().type != DeviceType::kCPU)
      return Status::InvalidArgument("output '" + o.name() + "' is a " + DataTypeName(o.dtype()) +
                                     (o.device().type != DeviceType::kCPU ? " device" : "") +
                                     " tensor: it cannot be split per request");
    const int64_t row_elements = total ? o.NumElements() / total : 0;
    int64_t at = 0;
    for (size_t k = 0; k < rows.size(); ++k) {
      Shape s = o.shape();
      s[0] = rows[k];
      PL_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(o.dtype(), s, o.name()));
      const int64_t n = row_elements * rows[k];
      CopyElements(o.dtype(), o, at, t, 0, n);
      at += n;
      out[k].push_back(std::move(t));
    }
  }
  return out;
}

}  // namespace pl::services::batching
