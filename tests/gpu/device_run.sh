#!/usr/bin/env bash
# shellcheck disable=SC2317  # functions run through `step` (timeout bash -c) and the EXIT trap
# Part B of scripts/gpu_check.sh: runs on a lent GPU machine from the pack that part A made
# (.gpu_pack/, copied there as run.sh). Finds the CUDA 13 runtime, cuBLAS and cuDNN 9 in the
# machine's Python environment (nvidia-* wheels), then runs, each step under `timeout`:
#   nvidia-smi; gpu_test (--gtest_output=json); pl_run on the three PP-OCR models with cuda and with
#   cpu_ref, outputs compared; pl_bench --backend cuda on det 1x3x640x640 with 1 predictor/1 thread
#   and 4 predictors/4 threads (and a oneDNN CPU baseline); PyTorch side by side
#   (benchmarks/gpu/torch_compare.py); and writes $OUT/gpu_check.json.
# Whole run: under 5 minutes (PL_GPU_CHECK_BUDGET_S, default 285, skips the steps left after it).
#
#   bash .gpu_pack/run.sh [--out DIR]        on the GPU machine (DIR defaults to $OUT)
#   bash .gpu_pack/run.sh --self-check       here: the packed binaries start with LD_LIBRARY_PATH
#                                            holding only the pack (no GPU needed)
# Files written to DIR (at most 8, no sub-folders, as the device tool brings back): gpu_check.json,
# gpu_check.log, gpu_test.json, gpu_test.log, pl_run.log, bench.log, nvidia-smi.txt, and
# torch_compare.json (PyTorch + cuDNN vs ours on resnet50 / mobilenet_v3_large, when torch is there).
# Exit status: 0 when every step that ran passed, 1 otherwise (the files are written either way).
set -euo pipefail

PACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODE=device
OUT_DIR="${OUT:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --self-check) MODE=self-check ;;
    --out) OUT_DIR="$2"; shift ;;
    --out=*) OUT_DIR="${1#--out=}" ;;
    -h|--help) sed -n '3,16p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$OUT_DIR" ] || OUT_DIR="$PACK/../gpu_check_out"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"
BUDGET_S="${PL_GPU_CHECK_BUDGET_S:-285}"
START_S=$SECONDS
FAILED=0
STEPS_TSV="$(mktemp)"  # name \t rc \t seconds \t note
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pl_gpu_check.XXXXXX")"
cleanup() { rm -rf "$WORK"; rm -f "$STEPS_TSV"; }
trap cleanup EXIT

exec > >(tee -a "$OUT_DIR/gpu_check.log") 2>&1
TEE_PID=$!
say() { echo "[gpu_check $(date -u +%H:%M:%S) +$((SECONDS - START_S))s] $*"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "${4:-}" >> "$STEPS_TSV"; }

# step NAME TIMEOUT_S LOG CMD...: runs CMD under timeout, output appended to LOG (and shown),
# records its exit status; a step that would start past the budget is skipped.
step() {
  local name="$1" limit="$2" log="$3"
  shift 3
  local left=$((BUDGET_S - (SECONDS - START_S)))
  if [ "$left" -le 5 ]; then
    say "SKIP $name: time budget of ${BUDGET_S}s spent"
    record "$name" skipped 0 "budget spent"
    LAST_RC=skipped
    return 0
  fi
  [ "$limit" -le "$left" ] || limit=$left
  say "RUN  $name (timeout ${limit}s)"
  local t0=$SECONDS rc=0
  echo "### $name: $*" >> "$log"
  if declare -F "$1" >/dev/null; then  # a function of this script (exported below)
    timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@" >> "$log" 2>&1 || rc=$?
  else
    timeout --kill-after=10 "$limit" "$@" >> "$log" 2>&1 || rc=$?
  fi
  tail -n 40 "$log" | sed 's/^/    /'
  local dt=$((SECONDS - t0))
  if [ "$rc" = 0 ]; then say "OK   $name (${dt}s)"; else say "FAIL $name: exit $rc (${dt}s)"; FAILED=1; fi
  [ "$rc" != 124 ] || echo "### $name: timed out after ${limit}s" >> "$log"
  record "$name" "$rc" "$dt"
  LAST_RC=$rc
  return 0
}

say "pack: $PACK ($(du -sh "$PACK" | cut -f1)); mode $MODE; out $OUT_DIR"
[ -f "$PACK/manifest.txt" ] && sed 's/^/  manifest: /' "$PACK/manifest.txt" | head -n 12

# ---- runtime library folder: the pack's libraries, the large ones unpacked from .xz ----
RT="$WORK/lib"
mkdir -p "$RT"
for f in "$PACK"/lib/*; do
  [ -e "$f" ] || continue
  case "$f" in
    *.xz)
      if command -v xz >/dev/null 2>&1; then
        xz -dc "$f" > "$RT/$(basename "$f" .xz)"
      else
        python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' \
          "$f" "$RT/$(basename "$f" .xz)"
      fi ;;
    *) cp "$f" "$RT/" ;;
  esac
done
chmod +x "$PACK"/bin/* 2>/dev/null || true
BIN="$PACK/bin"
export PL_MODELS_DIR="$PACK/models"

# Names of the CUDA libraries the plugin needs (found on the device, never packed).
CUDA_NEEDED=()
if [ -f "$PACK/cuda_needed.txt" ]; then
  while IFS= read -r l; do [ -n "$l" ] && CUDA_NEEDED+=("$l"); done < "$PACK/cuda_needed.txt"
fi

base_ok() {  # the C runtime every Linux has, and what the pack leaves to the machine on purpose
  case "$1" in
    linux-vdso.so*|ld-linux*|libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|libutil.so*) return 0 ;;
    libstdc++.so*|libgcc_s.so*) return 0 ;;
  esac
  return 1
}
cuda_lib() {
  case "$1" in
    libcuda.so*|libcudart.so*|libcublas.so*|libcublasLt.so*|libcudnn*.so*|libnvrtc*.so*|libnvJitLink.so*|libnvidia-*) return 0 ;;
    libcufft*|libcurand*|libcusolver*|libcusparse*|libnvToolsExt*|libcupti*|libnccl*|libnvblas*) return 0 ;;
  esac
  return 1
}

# ldd of every packed ELF under the current LD_LIBRARY_PATH: 1 when a library that is neither
# base C runtime nor CUDA resolves outside the pack or is not found.
check_resolution() {
  local bad=0 f line name path
  for f in "$BIN"/* "$RT"/*.so*; do
    [ -f "$f" ] || continue
    while IFS= read -r line; do
      name="$(basename "$(echo "$line" | awk '{print $1}')")"
      path="$(echo "$line" | awk '$2 == "=>" {print $3}')"
      [ -n "$name" ] || continue
      if echo "$line" | grep -q "not found"; then
        if cuda_lib "$name"; then echo "  $(basename "$f"): $name not found (CUDA: from the machine)"; continue; fi
        echo "  MISSING $(basename "$f"): $name not found"; bad=1; continue
      fi
      base_ok "$name" && continue
      cuda_lib "$name" && continue
      case "$path" in
        "$RT"/*|"") ;;
        *) echo "  OUTSIDE $(basename "$f"): $name => $path"; bad=1 ;;
      esac
    done < <(ldd "$f" 2>/dev/null | sed 's/^[[:space:]]*//')
  done
  return $bad
}

# ---- the CPU-side self-check (scripts/gpu_check.sh --dry-run) ----
if [ "$MODE" = self-check ]; then
  export LD_LIBRARY_PATH="$RT"
  say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH (the pack only)"
  rc=0
  check_resolution || rc=1
  if [ "$rc" = 0 ]; then
    say "every non-CUDA library resolves inside the pack"
  else
    say "FAIL: libraries resolve outside the pack"
    FAILED=1
  fi
  record library_resolution "$rc" 0
  step pl_run_help 30 "$OUT_DIR/pl_run.log" "$BIN/pl_run" --help
  step gpu_test_list 60 "$OUT_DIR/gpu_test.log" "$BIN/gpu_test" --gtest_list_tests
  step pl_bench_help 30 "$OUT_DIR/bench.log" sh -c "'$BIN/pl_bench' --helpshort >/dev/null 2>&1; '$BIN/pl_bench' --model /nonexistent.onnx --seconds 0 2>&1 | grep -q 'pl_bench: error'"
  # No GPU here: every test must skip, and the binary exit 0.
  step gpu_test_no_gpu 180 "$OUT_DIR/gpu_test.log" "$BIN/gpu_test" --gtest_brief=1
  say "self-check $([ "$FAILED" = 0 ] && echo passed || echo FAILED)"
  cat "$STEPS_TSV"
  rm -f "$STEPS_TSV"
  exit "$FAILED"
fi

# ---- the C library: the pack brings none (manifest: the newest glibc symbol version it needs) ----
need_glibc="$(sed -n 's/^needs glibc >= //p' "$PACK/manifest.txt" 2>/dev/null | head -n1)"
have_glibc="$(ldd --version 2>/dev/null | head -n1 | grep -oE '[0-9]+\.[0-9]+$' || true)"
say "glibc here ${have_glibc:-unknown}; the pack needs ${need_glibc:-unknown}"
if [ -n "$need_glibc" ] && [ -n "$have_glibc" ] &&
   [ "$(printf '%s\n%s\n' "$need_glibc" "$have_glibc" | sort -V | head -n1)" != "$need_glibc" ]; then
  say "FAIL: this machine's glibc $have_glibc is older than the build's $need_glibc: build on an older system"
  FAILED=1
fi

# ---- find the CUDA libraries on the device ----
say "looking for the CUDA runtime, cuBLAS and cuDNN (needed: ${CUDA_NEEDED[*]:-unknown})"
CANDIDATES=()
PYS=()  # every python3 there; PY: the first with numpy (the image's, with PyTorch)
for p in python3 /opt/torch/.venv/bin/python3 /usr/local/bin/python3 /usr/bin/python3; do
  p="$(command -v "$p" 2>/dev/null || true)"
  [ -n "$p" ] || continue
  case " ${PYS[*]:-} " in *" $p "*) ;; *) PYS+=("$p") ;; esac
done
PY=""
for p in "${PYS[@]:-}"; do
  [ -n "$p" ] || continue
  if timeout 60 "$p" -c "import numpy" >/dev/null 2>&1; then PY="$p"; break; fi
done
[ -n "$PY" ] || { PY="${PYS[0]:-}"; say "no python3 with numpy: the pl_run comparison is skipped"; }
[ -n "$PY" ] && say "python: $PY ($("$PY" --version 2>&1))"
for p in "${PYS[@]:-}"; do
  [ -n "$p" ] || continue
  while IFS= read -r d; do [ -n "$d" ] && CANDIDATES+=("$d"); done < <(timeout 60 "$p" - <<'EOF2' 2>/dev/null || true
import glob, os
roots = []
try:
    import nvidia
    roots += list(getattr(nvidia, "__path__", []))
    if getattr(nvidia, "__file__", None):
        roots.append(os.path.dirname(nvidia.__file__))
except Exception:
    pass
import site, sys
for sp in site.getsitepackages() + [site.getusersitepackages()] + sys.path:
    if sp and os.path.isdir(os.path.join(sp, "nvidia")):
        roots.append(os.path.join(sp, "nvidia"))
seen = set()
for r in roots:
    for d in sorted(glob.glob(os.path.join(r, "*", "lib")) + glob.glob(os.path.join(r, "*", "*", "lib"))):
        if d not in seen and os.path.isdir(d):
            seen.add(d)
            print(d)
EOF2
  )
done
for d in /opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib /opt/*/.venv/lib/python3*/site-packages/nvidia/*/*/lib \
         /usr/local/lib/python3*/dist-packages/nvidia/*/lib /usr/lib/python3/dist-packages/nvidia/*/lib \
         /usr/local/cuda/lib64 /usr/local/cuda/lib /usr/local/cuda/targets/x86_64-linux/lib; do
  [ -d "$d" ] && CANDIDATES+=("$d")
done
CUDA_DIRS=()
add_dir() { local d; for d in "${CUDA_DIRS[@]:-}"; do [ "$d" = "$1" ] && return 0; done; CUDA_DIRS+=("$1"); }
CUDA_FOUND_JSON="$WORK/cuda_libs.tsv"
: > "$CUDA_FOUND_JSON"
for lib in "${CUDA_NEEDED[@]:-}"; do
  [ -n "$lib" ] || continue
  [ "$lib" = libcuda.so.1 ] && continue
  hit=""
  for d in "${CANDIDATES[@]:-}"; do
    [ -n "$d" ] && [ -e "$d/$lib" ] && { hit="$d/$lib"; break; }
  done
  if [ -z "$hit" ]; then
    hit="$(ldconfig -p 2>/dev/null | awk -v l="$lib" '$1 == l {print $NF; exit}')"
  fi
  if [ -n "$hit" ]; then
    say "  $lib => $hit"
    add_dir "$(dirname "$hit")"
  else
    say "  $lib NOT FOUND"
    FAILED=1
  fi
  printf '%s\t%s\n' "$lib" "${hit:-}" >> "$CUDA_FOUND_JSON"
done
# cuDNN and cuBLAS load their own sub-libraries (cudnn_engines_*, cublasLt, nvrtc) by name.
for d in "${CANDIDATES[@]:-}"; do
  case "$d" in */nvidia/*) add_dir "$d" ;; esac
done
DRIVER_DIR=""
for d in /usr/local/nvidia/lib64 /usr/local/nvidia/lib /usr/lib/x86_64-linux-gnu /usr/lib64; do
  if [ -e "$d/libcuda.so.1" ]; then DRIVER_DIR="$d"; break; fi
done
say "driver libcuda.so.1: ${DRIVER_DIR:-via ldconfig: $(ldconfig -p 2>/dev/null | awk '$1 == "libcuda.so.1" {print $NF; exit}')}"
LDP="$RT"
for d in "${CUDA_DIRS[@]:-}"; do [ -n "$d" ] && LDP="$LDP:$d"; done
[ -n "$DRIVER_DIR" ] && LDP="$LDP:$DRIVER_DIR"
export LD_LIBRARY_PATH="$LDP"
say "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"

# The pack leaves libstdc++/libgcc_s to the machine; if its own are older than the build's, use
# the packed ones (lib-compat/).
if ! "$BIN/gpu_test" --gtest_list_tests > "$WORK/list.txt" 2> "$WORK/list.err"; then
  if grep -qE "GLIBCXX|CXXABI|GCC_[0-9]" "$WORK/list.err" && [ -d "$PACK/lib-compat" ]; then
    say "the machine's libstdc++ is too old ($(head -n1 "$WORK/list.err")): using the packed one"
    export LD_LIBRARY_PATH="$PACK/lib-compat:$LD_LIBRARY_PATH"
  else
    say "gpu_test does not start: $(head -n 3 "$WORK/list.err")"
  fi
fi
ldd "$RT/libpaddle_like_cuda.so" 2>&1 | sed 's/^/  ldd plugin: /' || true
# gpu_test's first lines say whether the "cuda" backend loaded and sees a device.
grep -m3 "^gpu_test:" "$WORK/list.txt" > "$WORK/cuda_status.txt" 2>/dev/null || true
sed 's/^/  /' "$WORK/cuda_status.txt"
CUDA_OK=1
if ! grep -q "CUDA backend with [1-9]" "$WORK/cuda_status.txt"; then
  CUDA_OK=0
  FAILED=1
  say "FAIL: the CUDA backend is unavailable on this machine (above); pl_run and pl_bench are skipped"
fi

# ---- 1. the GPU ----
step nvidia_smi 30 "$OUT_DIR/nvidia-smi.txt" nvidia-smi
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader \
  > "$WORK/gpu.csv" 2>/dev/null || true

# ---- 2. gpu_test ----
# A test that crashes the process (a signal) or hangs is left out and the rest run again, up to
# three times, so one bad kernel does not hide every other result.
CRASHED=()
GT_LOG="$OUT_DIR/gpu_test.log"
for round in 1 2 3 4; do
  filter=()
  if [ "${#CRASHED[@]}" -gt 0 ]; then
    filter=("--gtest_filter=-$(IFS=:; echo "${CRASHED[*]}")")
  fi
  step "gpu_test_$round" 200 "$GT_LOG" "$BIN/gpu_test" "--gtest_output=json:$WORK/gpu_test.$round.json" "${filter[@]}"
  [ -f "$WORK/gpu_test.$round.json" ] && cp "$WORK/gpu_test.$round.json" "$OUT_DIR/gpu_test.json"
  case "$LAST_RC" in 0|1|skipped) break ;; esac
  # The test that was running: the last "[ RUN ]" of this round without its result line.
  victim="$(awk -v m="### gpu_test_$round:" 'index($0, m) == 1 {on = 1; run = ""; next}
             on && /^\[ RUN      \] / {run = $4}
             on && /^\[       OK \] |^\[  FAILED  \] |^\[  SKIPPED \] / {if ($4 == run) run = ""}
             END {print run}' "$GT_LOG")"
  if [ -z "$victim" ]; then
    say "gpu_test died (exit $LAST_RC) outside a test: no rerun"
    break
  fi
  say "gpu_test died (exit $LAST_RC) in $victim: running the others again without it"
  CRASHED+=("$victim")
  rm -f "$OUT_DIR/gpu_test.json"
done
printf '%s\n' "${CRASHED[@]:-}" | sed '/^$/d' > "$WORK/crashed.txt"

# ---- 3. pl_run: the three models on cuda and on cpu_ref, outputs compared ----
PLRUN_TSV="$WORK/pl_run.tsv"
: > "$PLRUN_TSV"
pl_run_model() {  # model shape
  local m="$1" shape="$2" x="$WORK/$1.input.npy"
  [ -f "$PACK/models/$m.onnx" ] || { echo "$m: not in the pack"; printf '%s\t%s\tmissing\t\t\n' "$m" "$shape" >> "$PLRUN_TSV"; return 0; }
  "$PY" -c 'import numpy as np, sys
s = [int(v) for v in sys.argv[2].split("x")]
n = int(np.prod(s))
np.save(sys.argv[1], ((np.arange(n) % 255) * 0.01).astype(np.float32).reshape(s))' "$x" "$shape"
  local rc_cuda=0 rc_cpu=0
  "$BIN/pl_run" --model "$PACK/models/$m.onnx" --input "$x" --backend cuda,cpu_ref --repeat 5 \
    --output-dir "$WORK/$m.cuda" || rc_cuda=$?
  "$BIN/pl_run" --model "$PACK/models/$m.onnx" --input "$x" --backend cpu_ref --intra "$(nproc)" \
    --output-dir "$WORK/$m.cpu" || rc_cpu=$?
  local cmp="not compared"
  if [ "$rc_cuda" = 0 ] && [ "$rc_cpu" = 0 ]; then
    cmp="$("$PY" -c 'import numpy as np, glob, os, sys
a, b = sys.argv[1], sys.argv[2]
worst, bad, n = 0.0, 0, 0
for f in sorted(glob.glob(os.path.join(b, "*.npy"))):
    r = np.load(f).astype(np.float64); g = np.load(os.path.join(a, os.path.basename(f))).astype(np.float64)
    if r.shape != g.shape: print("shape %s vs %s" % (g.shape, r.shape)); sys.exit(0)
    d = np.abs(g - r); worst = max(worst, float(d.max()) if d.size else 0.0)
    bad += int((d > 1e-4 + 1e-3 * np.abs(r)).sum()); n += d.size
print("max_abs=%.3g beyond_tol=%d of %d" % (worst, bad, n))' "$WORK/$m.cuda" "$WORK/$m.cpu" 2>&1 | tail -n1)"
  fi
  echo "$m $shape: cuda rc $rc_cuda, cpu_ref rc $rc_cpu, $cmp"
  printf '%s\t%s\t%s\t%s\t%s\n' "$m" "$shape" "$rc_cuda" "$rc_cpu" "$cmp" >> "$PLRUN_TSV"
  [ "$rc_cuda" = 0 ] && [ "$rc_cpu" = 0 ] && echo "$cmp" | grep -q "beyond_tol=0 "
}
export PACK WORK BIN PY PLRUN_TSV
export -f pl_run_model
if [ "$CUDA_OK" = 0 ]; then
  record pl_run skipped 0 "CUDA backend unavailable"
elif [ -n "$PY" ] && "$PY" -c "import numpy" >/dev/null 2>&1; then
  step pl_run_det 60 "$OUT_DIR/pl_run.log" pl_run_model ch_PP-OCRv4_det_infer 1x3x640x640
  step pl_run_rec 45 "$OUT_DIR/pl_run.log" pl_run_model ch_PP-OCRv4_rec_infer 1x3x48x320
  step pl_run_cls 30 "$OUT_DIR/pl_run.log" pl_run_model ch_ppocr_mobile_v2.0_cls_infer 1x3x48x192
else
  say "SKIP pl_run: no python3 with numpy to write the inputs"
fi

# ---- 4. pl_bench on det 1x3x640x640 ----
BENCH_DIR="$WORK/bench"
mkdir -p "$BENCH_DIR"
bench() {  # name args...
  local name="$1"
  shift
  "$BIN/pl_bench" --model "$PACK/models/ch_PP-OCRv4_det_infer.onnx" --shape 1x3x640x640 --json "$@" \
    > "$BENCH_DIR/$name.json"
  cat "$BENCH_DIR/$name.json"
}
export BENCH_DIR
export -f bench
if [ "$CUDA_OK" = 0 ]; then
  record bench skipped 0 "CUDA backend unavailable"
elif [ -f "$PACK/models/ch_PP-OCRv4_det_infer.onnx" ]; then
  # --profile: the per-op table (which backend ran each op type, ms per run) lands in the JSON.
  step bench_cuda_p1_t1 60 "$OUT_DIR/bench.log" bench cuda_p1_t1 --backend cuda --predictors 1 --threads 1 --seconds 5 --warmup 1 --profile --profile_runs 5
  step bench_cuda_p4_t4 75 "$OUT_DIR/bench.log" bench cuda_p4_t4 --backend cuda --predictors 4 --threads 4 --seconds 5 --warmup 1
  if [ "${PL_GPU_CHECK_CPU_BASELINE:-1}" = 1 ] && grep -q "onednn" "$WORK/list.txt" 2>/dev/null; then
    step bench_onednn_t1_i16 45 "$OUT_DIR/bench.log" bench onednn_t1_i16 --backend onednn --threads 1 --intra 16 --seconds 5 --warmup 1
  fi
else
  say "SKIP pl_bench: det model not in the pack"
fi

# ---- 5. PyTorch with cuDNN side by side (when the machine's Python has torch + torchvision) ----
if [ "$CUDA_OK" = 1 ] && [ -n "$PY" ] && [ -f "$PACK/torch_compare.py" ] && timeout 60 "$PY" -c "import torch, torchvision" >/dev/null 2>&1; then
  step torch_compare 150 "$OUT_DIR/bench.log" "$PY" "$PACK/torch_compare.py" --pl-bench "$BIN/pl_bench" \
    --work "$WORK/torch" --out "$OUT_DIR/torch_compare.json" --seconds 4
else
  record torch_compare skipped 0 "no CUDA backend, python, or torch+torchvision here"
fi

# ---- gpu_check.json ----
say "writing $OUT_DIR/gpu_check.json"
ELAPSED=$((SECONDS - START_S))
if [ -n "$PY" ]; then
  "$PY" - "$OUT_DIR" "$STEPS_TSV" "$PLRUN_TSV" "$BENCH_DIR" "$WORK/gpu.csv" "$CUDA_FOUND_JSON" "$PACK" "$ELAPSED" \
    "$LD_LIBRARY_PATH" "$WORK/cuda_status.txt" "$WORK/crashed.txt" <<'EOF' || FAILED=1
import glob, json, os, sys
out, steps_tsv, plrun_tsv, bench_dir, gpu_csv, cuda_tsv, pack, elapsed, ldp, cuda_status, crashed_txt = sys.argv[1:12]
def rows(path, n):
    try:
        return [l.rstrip("\n").split("\t") + [""] * n for l in open(path) if l.strip()]
    except OSError:
        return []
res = {"elapsed_s": int(elapsed), "ld_library_path": ldp.split(":")}
try:
    res["cuda_backend"] = [l.strip() for l in open(cuda_status) if l.strip()]
except OSError:
    res["cuda_backend"] = []
res["cuda_backend_available"] = any("CUDA backend with" in l for l in res["cuda_backend"])
try:
    res["manifest"] = open(os.path.join(pack, "manifest.txt")).read().splitlines()[:12]
except OSError:
    pass
g = [r for r in rows(gpu_csv, 4)]
if g:
    res["gpu"] = {"name": g[0][0].strip(), "driver": g[0][1].strip(), "memory": g[0][2].strip(),
                  "compute_cap": g[0][3].strip()}
res["cuda_libs"] = {r[0]: r[1] or None for r in rows(cuda_tsv, 2)}
res["steps"] = [{"name": r[0], "rc": (int(r[1]) if r[1].lstrip("-").isdigit() else r[1]), "seconds": int(r[2] or 0),
                 "note": r[3]} for r in rows(steps_tsv, 4)]
gt = {"present": False}
p = os.path.join(out, "gpu_test.json")
if os.path.exists(p):
    try:
        j = json.load(open(p))
        gt = {"present": True, "tests": j.get("tests"), "failures": j.get("failures"), "disabled": j.get("disabled"),
              "errors": j.get("errors"), "time": j.get("time")}
        failed, skipped, passed, props = [], [], [], {}
        for s in j.get("testsuites", []):
            for t in s.get("testsuite", []):
                name = s["name"] + "." + t["name"]
                if t.get("failures"):
                    failed.append({"test": name, "messages": [f.get("failure", "")[:2000] for f in t["failures"]][:5]})
                elif t.get("result") == "SKIPPED" or t.get("status") == "NOTRUN":
                    skipped.append(name)
                else:
                    passed.append(name)
                extra = {k: v for k, v in t.items() if k not in ("name", "status", "result", "timestamp", "time",
                                                                 "classname", "failures", "file", "line", "value_param",
                                                                 "type_param")}
                if extra:
                    props[name] = extra
        gt.update({"passed": passed, "failed": failed, "skipped": skipped, "properties": props})
    except Exception as e:  # a crash mid-run leaves a partial file
        gt = {"present": True, "parse_error": str(e)}
try:
    gt["crashed"] = [l.strip() for l in open(crashed_txt) if l.strip()]
except OSError:
    gt["crashed"] = []
res["gpu_test"] = gt
res["pl_run"] = [{"model": r[0], "shape": r[1], "rc_cuda": r[2], "rc_cpu_ref": r[3], "compare": r[4]}
                 for r in rows(plrun_tsv, 5)]
bench = {}
for f in sorted(glob.glob(os.path.join(bench_dir, "*.json"))):
    name = os.path.basename(f)[:-5]
    try:
        txt = open(f).read().strip().splitlines()
        bench[name] = json.loads(txt[-1]) if txt else {"error": "no output"}
    except Exception as e:
        bench[name] = {"error": str(e)}
res["bench"] = bench
res["passed"] = res["cuda_backend_available"] and all(s["rc"] in (0, "skipped") for s in res["steps"]) and not gt.get("failed") and \
    not gt.get("parse_error") and not gt.get("crashed") and gt.get("present") and all(v for v in res["cuda_libs"].values())
json.dump(res, open(os.path.join(out, "gpu_check.json"), "w"), indent=1)
print("gpu_check.json: passed=%s; gpu_test: %s tests, %s failures, %d skipped, crashed: %s; bench: %s" % (
    res["passed"], gt.get("tests"), gt.get("failures"), len(gt.get("skipped", [])), gt.get("crashed") or "none",
    ", ".join("%s %.1f qps p50 %.2f ms" % (k, v.get("qps", 0), v.get("p50_ms", 0)) for k, v in bench.items()
              if "qps" in v)))
EOF
else
  { echo '{"error": "no python3 on the machine", "steps": ['
    awk -F'\t' '{printf "%s{\"name\": \"%s\", \"rc\": \"%s\", \"seconds\": %s}", (NR>1?", ":""), $1, $2, $3}' "$STEPS_TSV"
    echo ']}'; } > "$OUT_DIR/gpu_check.json"
fi
say "steps:"
sed 's/^/  /' "$STEPS_TSV"
rm -f "$STEPS_TSV"
say "done in $((SECONDS - START_S))s: $([ "$FAILED" = 0 ] && echo PASSED || echo FAILED); files in $OUT_DIR: $(cd "$OUT_DIR" && echo *)"
exec 1>&- 2>&-
wait "$TEE_PID" 2>/dev/null || true
exit "$FAILED"
