#!/usr/bin/env bash
# Installs the build tree BUILD into a temporary prefix, then builds tests/consumer/ against it
# twice (CMake find_package, and plain g++ through pkg-config) and runs both on a small model.
#   run_consumer.sh BUILD_DIR SOURCE_DIR
# With PL_CONSUMER_PREFIX set, uses that installed prefix instead (e.g. the unpacked .deb's usr/).
set -euo pipefail
BUILD=$1; SRC=$2
TMP=$(mktemp -d /tmp/pl_consumer.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if [ -n "${PL_CONSUMER_PREFIX:-}" ]; then
  PREFIX=$PL_CONSUMER_PREFIX
else
  PREFIX=$TMP/prefix
  cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" || { cat "$TMP/install.log"; exit 1; }
fi
for f in include/pl/pl.h include/services/predictor_pool.h include/paddle_like/paddle_inference_api.h \
         lib/cmake/paddle_like/paddle_likeConfig.cmake lib/cmake/paddle_like/paddle_likeConfigVersion.cmake \
         bin/pl_run; do
  found=$(ls "$PREFIX"/$f "$PREFIX"/lib/*/cmake/paddle_like/$(basename $f) 2>/dev/null | head -1 || true)
  [ -n "$found" ] || { echo "missing from the install: $f"; exit 1; }
done
/usr/bin/python3 "$SRC/tests/consumer/make_model.py" "$TMP/model.onnx"

# 1. CMake: find_package(paddle_like).
cmake -S "$SRC/tests/consumer" -B "$TMP/cm" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$PREFIX" >"$TMP/cm.log" 2>&1 || { cat "$TMP/cm.log"; exit 1; }
cmake --build "$TMP/cm" >"$TMP/cm_build.log" 2>&1 || { cat "$TMP/cm_build.log"; exit 1; }
"$TMP/cm/consumer" "$TMP/model.onnx"

# 2. pkg-config.
PCDIR=$(dirname "$(find "$PREFIX" -name paddle_like.pc | head -1)")
export PKG_CONFIG_PATH="$PCDIR"
FLAGS=$(pkg-config --cflags --libs paddle_like)
LIBDIR=$(pkg-config --variable=libdir paddle_like)
g++ -std=c++17 -O1 -o "$TMP/consumer_pc" "$SRC/tests/consumer/consumer.cc" $FLAGS -Wl,-rpath,"$LIBDIR"
"$TMP/consumer_pc" "$TMP/model.onnx"
pkg-config --exists --print-errors "paddle_infer = $(pkg-config --modversion paddle_like)"

# 3. The installed tool runs from the prefix; shared libraries carry their SONAME.
"$PREFIX/bin/pl_run" --help >/dev/null 2>&1 || { echo "installed pl_run does not start"; exit 1; }
so=$(find "$PREFIX" -name 'libpaddle_like_core.so.*.*' | head -1)
if [ -n "$so" ]; then
  # Captured first: grep -q on the pipe would stop objdump early (SIGPIPE, a failure under pipefail).
  headers=$(objdump -p "$so")
  grep -q "SONAME *libpaddle_like_core.so.0" <<<"$headers" || { echo "no SONAME on $so"; exit 1; }
  echo "shared: $(grep SONAME <<<"$headers" | tr -s ' ')"
fi
echo "consumer: PASS"
