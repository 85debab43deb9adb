#!/usr/bin/env bash
# Runs every libFuzzer target of a -DPL_FUZZ=ON build over its generated seed corpus.
# Usage: tests/fuzz/run_fuzz.sh BUILD_DIR SECONDS_PER_TARGET [libFuzzer flags...]  ($PL_FUZZ_TARGETS: a subset)
# Fails when a target reports a crash, a leak, a timeout or an out-of-memory; the input that did
# it is left in BUILD_DIR/fuzz-artifacts/ (keep it, minimized, under tests/fuzz/regressions/).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$1" && pwd); SECS=$2; shift 2
ROOT=$(cd "$HERE/../.." && pwd)
CORPUS=$BUILD/fuzz-corpus; ART=$BUILD/fuzz-artifacts
mkdir -p "$ART"
if [ ! -d "$CORPUS/model_load" ]; then
  CLS=$ROOT/.models/ch_ppocr_mobile_v2.0_cls_infer.onnx
  /usr/bin/python3 "$HERE/make_seeds.py" "$CORPUS" --cls "$CLS"
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/sanitizers/lsan.supp}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
status=0
for t in ${PL_FUZZ_TARGETS:-model_load run_inputs tensor_readers server_request}; do
  exe=$BUILD/tests/fuzz/fuzz_$t
  [ -x "$exe" ] || { echo "fuzz_$t: not built, skipped"; continue; }
  dict=()
  [ "$t" = model_load ] && dict=(-dict="$HERE/onnx.dict")
  [ "$t" = server_request ] && dict=(-dict="$HERE/server.dict")
  mkdir -p "$CORPUS/$t"
  echo "=== fuzz_$t: ${SECS}s over $(ls "$CORPUS/$t" | wc -l) corpus inputs"
  regress=()
  [ -d "$HERE/regressions/$t" ] && regress=("$HERE/regressions/$t")
  # A fixed seed ($PL_FUZZ_SEED, default 1) makes CI's short runs explore the same way each time,
  # so a landing is not failed by what another submission's random walk found first; long runs
  # for new findings pass PL_FUZZ_SEED=0 (random) and -runs=N.
  if ! "$exe" "$CORPUS/$t" "${regress[@]}" "${dict[@]}" -max_total_time="$SECS" -timeout=20 -seed="${PL_FUZZ_SEED:-1}" \
       -rss_limit_mb=3072 -max_len=1048576 -print_final_stats=1 -artifact_prefix="$ART/${t}-" "$@" \
       > "$BUILD/fuzz_$t.log" 2>&1; then
    echo "fuzz_$t FAILED:"; tail -60 "$BUILD/fuzz_$t.log"; status=1
  fi
  grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "$BUILD/fuzz_$t.log" | tail -2 || true
done
exit $status
