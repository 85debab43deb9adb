#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the thread-scaling demo on the
# built-in MobileNetV1-shaped model (or pass pl_demo flags, e.g. --model M.onnx --shape 1x3x224x224).
# Writes demo_out/scaling.csv and demo_out/scaling.png.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install_deps.sh
LAUNCHER=""
command -v ccache >/dev/null && LAUNCHER="-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release $LAUNCHER >/dev/null
ninja -C build -j"$(nproc)" pl_demo
exec ./build/demo/pl_demo --out_dir demo_out "$@"
