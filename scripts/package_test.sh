#!/usr/bin/env bash
# The packaged build, as users get it: -DPL_PACKAGE=ON (shared libraries with SONAMEs,
# -march=x86-64-v3: any AVX2 machine, never -march=native), prefix /usr.
#   1. builds the package targets plus the unit, op and model tests, and runs those tests: the
#      project's own kernels at the x86-64-v3 baseline (on an AVX-512 machine too); with
#      --no-build-tests (scripts/test.sh, whose own build is this packaged form and has run every
#      test already) only the package targets;
#   2. cpack -G DEB: paddle-like (libraries + tools) and paddle-like-dev (headers, CMake, pkg-config);
#      checks their Depends resolve against this machine's Debian 12 archive (apt-get -s) and
#      their contents;
#   3. unpacks both (dpkg-deb -x) into a scratch root and, from there, runs pl_run on a model,
#      starts pl_server and asks it /v2/health/ready, and builds tests/consumer against the
#      unpacked -dev package (find_package and pkg-config).
# Usage: scripts/package_test.sh [BUILD_DIR (default build-pkg)] [--no-build-tests]
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
B=build-pkg; RUN_TESTS=1
for a in "$@"; do
  case "$a" in
    --no-build-tests) RUN_TESTS=0 ;;
    -*) echo "unknown option $a" >&2; exit 2 ;;
    *) B=$a ;;
  esac
done
JOBS=$(nproc 2>/dev/null || echo 2)
LAUNCHER=""
command -v ccache >/dev/null && LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
EXTRA=""
[ "$RUN_TESTS" = 1 ] && EXTRA="-DPL_BUILD_DEMO=OFF -DPL_WITH_CUDA=OFF"
cmake -S . -B "$B" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPL_PACKAGE=ON -DCMAKE_INSTALL_PREFIX=/usr \
      $EXTRA $LAUNCHER >/tmp/pl_package_configure.log 2>&1 || { cat /tmp/pl_package_configure.log; exit 1; }
grep -q -- "-march=x86-64-v3" "$B/build.ninja" || { echo "package build is not -march=x86-64-v3"; exit 1; }
if grep -q -- "-march=native" "$B/build.ninja"; then echo "package build uses -march=native"; exit 1; fi

TESTS=$(ninja -C "$B" -t targets all 2>/dev/null | grep -oE '^(pl_unit_tests|op_[a-z_0-9]+_test|models_test)(:| )' | tr -d ': ' | sort -u | tr '\n' ' ')
TOOLS=$(ninja -C "$B" -t targets all 2>/dev/null | grep -oE '^(pl_run|pl_bench|pl_server|libpaddle_like_[a-z]+\.so[.0-9]*)(:| )' | tr -d ': ' | sort -u | tr '\n' ' ')
echo "package build: $TOOLS"
if [ "$RUN_TESTS" = 1 ]; then
  ninja -C "$B" -j"$JOBS" $TOOLS $TESTS
  # The x86-64-v3 build's own tests (ONEDNN_MAX_CPU_ISA=AVX2 too, so oneDNN also stays at AVX2).
  RE="^($(echo $TESTS | tr ' ' '|'))\$"
  (cd "$B" && ctest --output-on-failure -j"$JOBS" -R "$RE")
  (cd "$B" && ONEDNN_MAX_CPU_ISA=AVX2 ctest --output-on-failure -j"$JOBS" -R '^(op_onednn_[a-z_]+_test|models_test)$')
else
  ninja -C "$B" -j"$JOBS" $TOOLS
fi

(cd "$B" && rm -f ./*.deb && cpack -G DEB >cpack.log 2>&1) || { cat "$B/cpack.log"; exit 1; }
RUNTIME=$(realpath "$B"/paddle-like_*_amd64.deb); DEV=$(realpath "$B"/paddle-like-dev_*_amd64.deb)
for deb in "$RUNTIME" "$DEV"; do
  echo "--- $(basename "$deb"): $(du -h "$deb" | cut -f1)"
  dpkg-deb -f "$deb" Package Version Depends
done
# Listings captured first: grep -q on a pipe would stop dpkg-deb early (SIGPIPE under pipefail).
RT_DEPS=$(dpkg-deb -f "$RUNTIME" Depends); DEV_DEPS=$(dpkg-deb -f "$DEV" Depends)
RT_FILES=$(dpkg-deb -c "$RUNTIME"); DEV_FILES=$(dpkg-deb -c "$DEV")
grep -q libdnnl <<<"$RT_DEPS" || { echo "paddle-like does not depend on oneDNN's runtime"; exit 1; }
grep -q "paddle-like (=" <<<"$DEV_DEPS" || { echo "paddle-like-dev does not depend on paddle-like"; exit 1; }
grep -q "usr/bin/pl_server" <<<"$RT_FILES" || { echo "pl_server missing from paddle-like"; exit 1; }
grep -qE "libpaddle_like_core\.so\.0 -> " <<<"$RT_FILES" || { echo "no SONAME link in paddle-like"; exit 1; }
grep -q "paddle_likeConfig.cmake" <<<"$DEV_FILES" || { echo "CMake package missing from paddle-like-dev"; exit 1; }
if grep -q "include/pl/" <<<"$RT_FILES"; then echo "headers in the runtime package"; exit 1; fi
# Every Depends resolves in the archive this machine uses (Debian 12), without installing anything.
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get install -s -o Debug::NoLocking=1 "$RUNTIME" "$DEV" >"$B/apt-sim.log" 2>&1 || { cat "$B/apt-sim.log"; exit 1; }
  grep -E "^Inst paddle-like" "$B/apt-sim.log"
fi

ROOTFS=$(mktemp -d /tmp/pl_deb.XXXXXX)
trap 'rm -rf "$ROOTFS"' EXIT
dpkg-deb -x "$RUNTIME" "$ROOTFS"; dpkg-deb -x "$DEV" "$ROOTFS"
/usr/bin/python3 tests/consumer/make_model.py "$ROOTFS/model.onnx"
/usr/bin/python3 - "$ROOTFS/x.npy" <<'PY'
import sys, numpy as np
np.save(sys.argv[1], np.array([[1, 2, 3, 4]], dtype=np.float32))
PY
env -u LD_LIBRARY_PATH "$ROOTFS/usr/bin/pl_run" --model "$ROOTFS/model.onnx" --input "x=$ROOTFS/x.npy" --output-dir "$ROOTFS/out" >"$ROOTFS/run.log" 2>&1 \
  || { cat "$ROOTFS/run.log"; exit 1; }
/usr/bin/python3 - "$ROOTFS/out" <<'PY'
import glob, sys, numpy as np
W = np.array([[0.1 * (i - j) for j in range(3)] for i in range(4)], dtype=np.float32)
B = np.array([0.5 - 0.25 * j for j in range(3)], dtype=np.float32)
want = np.maximum(np.array([[1, 2, 3, 4]], np.float32) @ W + B, 0)
got = np.load(glob.glob(sys.argv[1] + "/*.npy")[0])
assert np.allclose(got, want, atol=1e-6), (got, want)
print("packaged pl_run: output matches numpy", got.ravel().tolist())
PY
mkdir -p "$ROOTFS/repo/lin/1" && cp "$ROOTFS/model.onnx" "$ROOTFS/repo/lin/1/model.onnx"
# Port 0: the server picks a free port and writes it to --ports-file once it listens.
env -u LD_LIBRARY_PATH "$ROOTFS/usr/bin/pl_server" --model-repository "$ROOTFS/repo" --http-port 0 \
  --ports-file "$ROOTFS/ports.json" >"$ROOTFS/server.log" 2>&1 &
SERVER=$!
ok=0
for _ in $(seq 300); do
  if [ -f "$ROOTFS/ports.json" ]; then
    PORT=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["http"])' "$ROOTFS/ports.json")
    if curl -sf "http://127.0.0.1:$PORT/v2/health/ready" >/dev/null 2>&1; then ok=1; break; fi
  fi
  sleep 0.1
done
kill -TERM $SERVER; wait $SERVER || true
[ $ok = 1 ] || { cat "$ROOTFS/server.log"; echo "packaged pl_server never became ready"; exit 1; }
echo "packaged pl_server: ready, SIGTERM handled"
PL_CONSUMER_PREFIX="$ROOTFS/usr" bash tests/consumer/run_consumer.sh "" "$SRC"
echo "package test: PASS"
