// libFuzzer target: pl_run's input readers (NumPy .npy and ONNX TensorProto .pb) on arbitrary
// bytes. The first byte picks the reader; nothing may allocate more than the bytes given allow.
#include <cstddef>
#include <cstdint>
#include <string>

#include "src/onnx/tensor_proto.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto t = (data[0] & 1) ? pl::onnx_io::ParseNpy(bytes, "fuzz.npy") : pl::onnx_io::ParseTensorProto(bytes, "fuzz.pb");
  // A varint in a typed field is at least one byte and becomes at most 8: anything larger was
  // sized from a header rather than from data that is there.
  if (t.ok() && t->ByteSize() > 8 * bytes.size()) __builtin_trap();
  return 0;
}
