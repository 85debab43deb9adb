// Conversion between ONNX TensorProto and pl::Tensor (initializers, Constant attributes,
// conformance .pb files). External data is read relative to `base_dir`.
#pragma once

#include <string>

#include "onnx/onnx_pb.h"
#include "pl/tensor.h"

namespace pl::onnx_io {

// Errors: unsupported dtype, data size that does not match the dims, unreadable external file.
StatusOr<Tensor> TensorFromProto(const onnx::TensorProto& proto, const std::string& base_dir);
// Fills raw_data (string_data for strings; host tensors only).
Status TensorToProto(const Tensor& tensor, onnx::TensorProto* proto);
// Parse a serialized TensorProto / a NumPy .npy image held in memory (pl_run's readers; fuzzed).
// Errors name `what`; nothing is allocated beyond the bytes given.
StatusOr<Tensor> ParseTensorProto(const std::string& bytes, const std::string& what);
StatusOr<Tensor> ParseNpy(const std::string& bytes, const std::string& what);
// Reads / writes a serialized TensorProto file (.pb).
StatusOr<Tensor> ReadTensorProtoFile(const std::string& path);
Status WriteTensorProtoFile(const Tensor& tensor, const std::string& path);
// Whether .npy can hold the dtype (bfloat16 and strings cannot: write those as .pb).
bool NpyHolds(DataType dtype);
// Reads/writes NumPy .npy (version 1/2, little endian, C order).
StatusOr<Tensor> ReadNpyFile(const std::string& path);
Status WriteNpyFile(const Tensor& tensor, const std::string& path);

}  // namespace pl::onnx_io
