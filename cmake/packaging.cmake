# Install rules, the CMake package (paddle_like::paddle_like, paddle_like::paddle_infer), a
# pkg-config file and a CPack DEB. Included last from the top-level CMakeLists.txt.
include(CMakePackageConfigHelpers)

set(PL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/paddle_like)
set(PL_LIB_TARGETS paddle_like_core)
# The CUDA plugin (libpaddle_like_cuda.so, a MODULE) is not one of these: it is no link target of
# the CMake package and installs in its own component "cuda" (src/backends/cuda/CMakeLists.txt),
# which the DEB packages below leave out.
foreach(t paddle_like_services paddle_like_infer)
  if(TARGET ${t})
    list(APPEND PL_LIB_TARGETS ${t})
  endif()
endforeach()

# One SONAME per library (libpaddle_like_core.so.0); installed tools find them next door.
foreach(t ${PL_LIB_TARGETS})
  get_target_property(_type ${t} TYPE)
  if(_type STREQUAL "SHARED_LIBRARY")
    set_target_properties(${t} PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
  endif()
endforeach()
set_target_properties(paddle_like_core PROPERTIES EXPORT_NAME core)
if(TARGET paddle_like_services)
  set_target_properties(paddle_like_services PROPERTIES EXPORT_NAME services)
endif()
if(TARGET paddle_like_infer)
  set_target_properties(paddle_like_infer PROPERTIES EXPORT_NAME paddle_infer)
endif()

# paddle_like::paddle_like = core + services (what a C++ service links).
add_library(paddle_like_all INTERFACE)
set_target_properties(paddle_like_all PROPERTIES EXPORT_NAME paddle_like)
target_link_libraries(paddle_like_all INTERFACE paddle_like_core)
if(TARGET paddle_like_services)
  target_link_libraries(paddle_like_all INTERFACE paddle_like_services)
endif()
add_library(paddle_like::paddle_like ALIAS paddle_like_all)

install(TARGETS ${PL_LIB_TARGETS} paddle_like_all EXPORT paddle_likeTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/pl DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(FILES ${PROJECT_SOURCE_DIR}/services/predictor_pool.h ${PROJECT_SOURCE_DIR}/services/cpu_budget.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/services COMPONENT dev)
file(GLOB PL_PADDLE_HEADERS ${PROJECT_SOURCE_DIR}/paddle_like/*.h)
install(FILES ${PL_PADDLE_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/paddle_like COMPONENT dev)

# Tools: rpath $ORIGIN/../lib... so a relocated prefix (or /usr from the .deb) works.
set(PL_TOOLS)
foreach(t pl_run pl_bench pl_server)
  if(TARGET ${t})
    list(APPEND PL_TOOLS ${t})
    set_target_properties(${t} PROPERTIES INSTALL_RPATH "$ORIGIN/../${CMAKE_INSTALL_LIBDIR}")
  endif()
endforeach()
install(TARGETS ${PL_TOOLS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
foreach(t ${PL_LIB_TARGETS})
  set_target_properties(${t} PROPERTIES INSTALL_RPATH "$ORIGIN")
endforeach()

install(EXPORT paddle_likeTargets NAMESPACE paddle_like:: DESTINATION ${PL_CMAKE_DIR} COMPONENT dev)
set(PL_CONFIG_WITH_ONEDNN ${PL_ONEDNN_FOUND})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/paddle_likeConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/paddle_likeConfig.cmake INSTALL_DESTINATION ${PL_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/paddle_likeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/paddle_likeConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/paddle_likeConfigVersion.cmake
        DESTINATION ${PL_CMAKE_DIR} COMPONENT dev)

# pkg-config: paddle_like (core + services) and paddle_infer. A static build lists every library
# the archives need on Libs; a shared one keeps them private.
set(PL_PC_DEPS "-lonnx -lonnx_proto")
if(PL_ONEDNN_FOUND)
  string(APPEND PL_PC_DEPS " -ldnnl")
endif()
string(APPEND PL_PC_DEPS " -lgomp -lpthread")
if(PL_BUILD_SHARED)
  set(PL_PC_LIBS "")
  set(PL_PC_LIBS_PRIVATE "${PL_PC_DEPS}")
  set(PL_PC_REQUIRES "")
  set(PL_PC_REQUIRES_PRIVATE "protobuf")
else()
  set(PL_PC_LIBS "${PL_PC_DEPS}")
  set(PL_PC_LIBS_PRIVATE "")
  set(PL_PC_REQUIRES "protobuf")
  set(PL_PC_REQUIRES_PRIVATE "")
endif()
# Relocatable: prefix is found from the .pc file's own place (cmake --install --prefix P works).
file(RELATIVE_PATH PL_PC_UP /x/${CMAKE_INSTALL_LIBDIR}/pkgconfig /x)
set(PL_PC_PREFIX "\${pcfiledir}/${PL_PC_UP}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/paddle_like.pc.in ${CMAKE_CURRENT_BINARY_DIR}/paddle_like.pc @ONLY)
configure_file(${CMAKE_CURRENT_LIST_DIR}/paddle_infer.pc.in ${CMAKE_CURRENT_BINARY_DIR}/paddle_infer.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/paddle_like.pc ${CMAKE_CURRENT_BINARY_DIR}/paddle_infer.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)

# cpack -G DEB (configure with -DPL_PACKAGE=ON -DCMAKE_INSTALL_PREFIX=/usr): two packages.
#   paddle-like      the shared libraries and the tools (pl_run, pl_bench, pl_server); its Depends
#                    come from dpkg-shlibdeps on Debian 12 (libdnnl2, libonnx1, libprotobuf32,
#                    libgrpc++1.51, ...). What a serving image installs.
#   paddle-like-dev  headers, the CMake package and pkg-config files; Depends on paddle-like of the
#                    same version and the -dev packages find_dependency / pkg-config need.
set(CPACK_PACKAGE_NAME paddle-like)
set(CPACK_PACKAGE_VENDOR "paddle_like")
set(CPACK_PACKAGE_CONTACT "paddle_like maintainers <paddle-like@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "ONNX inference SDK (CPU reference + oneDNN) with a KServe v2 server")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME paddle-like)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION libs)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "paddle_like: C++17 ONNX inference SDK, libraries and tools (pl_run, pl_bench, pl_server).\n Built for ${PL_PACKAGE_ARCH} (any AVX2 machine).")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME paddle-like-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "paddle_like: headers, CMake package (find_package(paddle_like)) and pkg-config files.")
set(PL_DEB_DEV_DEPENDS "paddle-like (= ${PROJECT_VERSION}), libonnx-dev, libprotobuf-dev, libgoogle-glog-dev, libgflags-dev")
if(PL_ONEDNN_FOUND)
  string(APPEND PL_DEB_DEV_DEPENDS ", libdnnl-dev")
endif()
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "${PL_DEB_DEV_DEPENDS}")
if(PL_NATIVE_ARCH)
  message(STATUS "paddle_like: PL_NATIVE_ARCH=ON builds are for this machine only; use -DPL_PACKAGE=ON for a package")
endif()
include(CPack)
