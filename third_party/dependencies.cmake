# Finds every external dependency from Debian 12's packages (scripts/install_deps.sh installs them).
# Only CMake glue lives in third_party/: no copied code.
find_package(Threads REQUIRED)
find_package(OpenMP REQUIRED)
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)        # libonnx-dev: targets onnx, onnx_proto
find_package(gflags REQUIRED)
find_package(glog REQUIRED)

add_library(pl::protobuf INTERFACE IMPORTED)
target_link_libraries(pl::protobuf INTERFACE protobuf::libprotobuf)
add_library(pl::onnx INTERFACE IMPORTED)
target_link_libraries(pl::onnx INTERFACE onnx onnx_proto protobuf::libprotobuf)
add_library(pl::glog INTERFACE IMPORTED)
target_link_libraries(pl::glog INTERFACE glog::glog gflags)

# oneDNN 2.6 (libdnnl-dev, OpenMP runtime).
set(PL_ONEDNN_FOUND OFF)
if(NOT PL_WITH_ONEDNN STREQUAL "OFF")
  # Debian's dnnl-config.cmake insists on OpenCL development files (its GPU runtime); we use the
  # CPU engine only, so find the header and library directly.
  find_path(PL_DNNL_INCLUDE oneapi/dnnl/dnnl.hpp)
  find_library(PL_DNNL_LIB dnnl)
  if(PL_DNNL_INCLUDE AND PL_DNNL_LIB)
    add_library(DNNL::dnnl INTERFACE IMPORTED)
    target_include_directories(DNNL::dnnl INTERFACE ${PL_DNNL_INCLUDE})
    target_link_libraries(DNNL::dnnl INTERFACE ${PL_DNNL_LIB})
    set(PL_ONEDNN_FOUND ON)
  elseif(PL_WITH_ONEDNN STREQUAL "ON")
    message(FATAL_ERROR "PL_WITH_ONEDNN=ON but oneDNN (libdnnl-dev) was not found")
  endif()
endif()

# CUDA 13 + cuDNN 9: optional, detected. The build must work without them.
set(PL_CUDA_FOUND OFF)
if(NOT PL_WITH_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  find_package(CUDAToolkit QUIET)
  find_path(PL_CUDNN_INCLUDE cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS} /usr/include /usr/local/cuda/include
            PATH_SUFFIXES cudnn)
  find_library(PL_CUDNN_LIB cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} /usr/lib/x86_64-linux-gnu /usr/local/cuda/lib64)
  # The CUDA backend is a plugin module (libpaddle_like_cuda.so) that the shared core loads at run
  # time, so the core and its package never link CUDA: it needs the shared build.
  if(NOT PL_BUILD_SHARED)
    if(PL_WITH_CUDA STREQUAL "ON")
      message(FATAL_ERROR "PL_WITH_CUDA=ON needs PL_BUILD_SHARED=ON (the CUDA backend is a plugin module)")
    endif()
    message(STATUS "paddle_like: CUDA backend skipped: it is a plugin and needs -DPL_BUILD_SHARED=ON (or PL_PACKAGE=ON)")
  elseif(CMAKE_CUDA_COMPILER AND CUDAToolkit_FOUND AND PL_CUDNN_INCLUDE AND PL_CUDNN_LIB
     AND EXISTS ${CMAKE_SOURCE_DIR}/src/backends/cuda/CMakeLists.txt)
    enable_language(CUDA)
    set(PL_CUDA_FOUND ON)
  elseif(PL_WITH_CUDA STREQUAL "ON")
    message(FATAL_ERROR "PL_WITH_CUDA=ON but nvcc/CUDA toolkit/cuDNN were not all found")
  endif()
endif()

find_package(GTest QUIET)
find_package(benchmark QUIET)
