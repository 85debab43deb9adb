// Entry points of the CUDA backend: the plugin symbol the core's loader calls
// (libpaddle_like_cuda.so, see include/pl/device.h LoadBackendPlugin).
#include "src/backends/cuda/kernel_list.h"

namespace pl::cuda {

void RegisterKernels(KernelRegistry& r) {
  RegisterDevice(r);
  RegisterConvKernels(r);
  RegisterPoolKernels(r);
  RegisterMatMulKernels(r);
  RegisterElementwiseKernels(r);
  RegisterMovementKernels(r);
  RegisterReduceKernels(r);
}

}  // namespace pl::cuda

extern "C" __attribute__((visibility("default"))) int pl_register_backend(void* registry) {
  if (!registry) return 1;
  pl::cuda::RegisterKernels(*static_cast<pl::KernelRegistry*>(registry));
  return 0;
}
