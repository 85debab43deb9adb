// Shared by the libFuzzer targets: a byte reader over the fuzzer's input and a Config whose
// limits keep one execution small (a hostile model must fail with a Status, not exhaust the
// fuzzing machine).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "pl/pl.h"

namespace pl::fuzz {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  uint8_t Byte() { return pos_ < n_ ? p_[pos_++] : 0; }
  size_t left() const { return n_ - pos_; }
  const uint8_t* rest() const { return p_ + pos_; }
  // Fills `dst` with the next bytes, cycling over what is left (zeros when nothing is).
  void Fill(void* dst, size_t bytes) {
    auto* d = static_cast<uint8_t*>(dst);
    const size_t avail = left();
    for (size_t i = 0; i < bytes; ++i) d[i] = avail ? p_[pos_ + i % avail] : 0;
    pos_ += std::min(avail, bytes);
  }

 private:
  const uint8_t* p_;
  size_t n_, pos_ = 0;
};

// Limits for every predictor a fuzz target builds: 64 MiB per tensor, 256 MiB per predictor,
// 1000 Loop iterations.
inline Config FuzzConfig() {
  Config c;
  c.SetMaxTensorBytes(int64_t{64} << 20);
  c.SetMaxPredictorBytes(int64_t{256} << 20);
  c.SetMaxLoopIterations(1000);
  return c;
}

// One small tensor per model input: the declared dtype (float32 when undeclared) and shape,
// dynamic dims and dims over 16 replaced by `dyn` (so a huge declared dim meets the signature
// check). Values come from `r`.
inline std::vector<Tensor> SmallInputs(const Predictor& p, ByteReader& r, int64_t dyn) {
  std::vector<Tensor> feeds;
  for (const ValueInfo& vi : p.InputInfos()) {
    DataType dt = vi.dtype;
    if (DataTypeSize(dt) == 0) dt = DataType::kFloat32;
    Shape shape;
    for (int64_t d : vi.shape) shape.push_back(d >= 0 && d <= 16 ? d : dyn);
    if (shape.size() > 6) shape.resize(6);
    auto t = Tensor::Create(dt, shape, vi.name);
    if (!t.ok()) return {};
    r.Fill(t->RawMutableData(), t->ByteSize());
    if (dt == DataType::kBool)  // a byte other than 0/1 is refused by Run (tested by fuzz_run_inputs)
      for (int64_t i = 0; i < t->NumElements(); ++i) static_cast<uint8_t*>(t->RawMutableData())[i] &= 1;
    if (vi.is_sequence) {  // a sequence of dyn such tensors
      std::vector<Tensor> elements(static_cast<size_t>(dyn), *t);
      auto s = Tensor::Sequence(dt, std::move(elements), vi.name);
      if (!s.ok()) return {};
      feeds.push_back(std::move(s).value());
      continue;
    }
    if (vi.is_optional && dyn == 2) {  // the second run gives an optional input nothing
      feeds.push_back(Tensor::None(dt, vi.name));
      continue;
    }
    feeds.push_back(std::move(t).value());
  }
  return feeds;
}

}  // namespace pl::fuzz
