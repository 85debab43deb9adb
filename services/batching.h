// Helpers of the dynamic batcher, kept pure (tensors in, tensors out) so they are unit-tested on
// their own: which requests may share a run, concatenation along dim 0, and the split back.
// Thread-safety: free functions; inputs are only read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pl/predictor.h"
#include "pl/status.h"
#include "pl/tensor.h"

namespace pl::services::batching {

// Requests with equal non-empty keys may be concatenated. `rows` is dim 0, shared by every
// input; key is empty (and rows -1) when the request cannot be batched (a scalar input, inputs
// disagreeing on dim 0, a non-CPU tensor).
struct BatchKey {
  int64_t rows = -1;
  std::string key;
};
BatchKey KeyOf(const std::vector<Tensor>& inputs);

// Returns "" when every model input has a dynamic (or unknown) dim 0, else why batching cannot
// work for this model ("input 'x' fixes dim 0 to 1").
std::string WhyNotBatchable(const std::vector<ValueInfo>& model_inputs);

// Puts a request's inputs in model order and names them after the model's inputs. Accepts
// model order (names ignored) or, when every tensor is named after a model input, any order.
// Errors (InvalidArgument): wrong count, a tensor without data, a device tensor.
StatusOr<std::vector<Tensor>> NormalizeInputs(const std::vector<std::string>& model_inputs,
                                              std::vector<Tensor> inputs);

// Concatenates requests (same key) input by input along dim 0 into fresh tensors. String
// (kString) tensors are copied element by element, the others as bytes.
StatusOr<std::vector<Tensor>> Concat(const std::vector<const std::vector<Tensor>*>& requests);

// Splits each output along dim 0 into pieces of `rows` rows (fresh tensors). Errors
// (InvalidArgument) when an output's dim 0 is not the total (the model mixes rows) or it is not a
// host tensor of a fixed-size or string dtype: the batch must be run request by request instead.
StatusOr<std::vector<std::vector<Tensor>>> Split(const std::vector<Tensor>& outputs,
                                                 const std::vector<int64_t>& rows);

}  // namespace pl::services::batching
