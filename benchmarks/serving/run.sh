#!/usr/bin/env bash
# The serving targets of issue 13, side by side in one run: the PP-OCR cls and rec models behind
# pl_server (gRPC raw tensors, REST binary tensors) against in-process PredictorPool::Submit with the
# same pool (config below), rounds interleaved, medians reported by pl_serve_bench.
#   benchmarks/serving/run.sh [BUILD_DIR] [ROUNDS] [SECONDS]
# Needs the models fetched (scripts/fetch_models.sh). Client and server share the machine's cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-3}
secs=${3:-5}
bench=$build/benchmarks/pl_serve_bench
server=$build/services/server/pl_server
[[ -x $bench && -x $server ]] || { echo "build pl_serve_bench and pl_server first (ninja -C $build pl_serve_bench pl_server)"; exit 2; }
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
declare -A file=([cls]=ch_ppocr_mobile_v2.0_cls_infer.onnx [rec]=ch_PP-OCRv4_rec_infer.onnx)
declare -A shape=([cls]=1,3,48,192 [rec]=1,3,48,320)
for m in cls rec; do
  [[ -f $root/.models/${file[$m]} ]] || { echo "missing .models/${file[$m]} (scripts/fetch_models.sh)"; exit 2; }
  mkdir -p "$repo/$m/1"
  ln -s "$root/.models/${file[$m]}" "$repo/$m/1/model.onnx"
  # Two single-threaded predictors (one per core), dynamic batching up to 8 rows within 1 ms,
  # 64 queued requests, clients wait for space instead of being refused.
  echo '{"pool_size": 2, "intra_op_threads": 1, "max_batch": 8, "max_queue_delay_us": 1000,
         "queue_capacity": 64, "queue_full": "block"}' > "$repo/$m/config.json"
done
echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, ISA: $(grep -o 'avx512[a-z_]*' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/ $//' | grep . || echo 'AVX2, no AVX-512')"
[[ -n ${ONEDNN_MAX_CPU_ISA:-} ]] && echo "# ONEDNN_MAX_CPU_ISA=$ONEDNN_MAX_CPU_ISA"
for m in cls rec; do
  for c in 16 1; do
    echo "# $m ${shape[$m]}, concurrency $c"
    "$bench" --server "$server" --model-repository "$repo" --model "$m" --shape "${shape[$m]}" \
      --concurrency "$c" --seconds "$secs" --rounds "$rounds" 2>/dev/null
  done
done
# An independent REST load generator on the same server configuration: wrk (Debian's), 2 threads,
# 16 connections, the same binary request (wrk_infer.lua). Non-2xx answers are counted by wrk.
if command -v wrk >/dev/null; then
  "$server" --model-repository "$repo" --http-port 0 --ports-file "$repo/ports.json" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 300); do [[ -f $repo/ports.json ]] && break; sleep 0.1; done
  port=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["http"])' "$repo/ports.json")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/health/ready" >/dev/null 2>&1 && break; sleep 0.1; done
  for m in cls rec; do
    input=$(curl -s "http://127.0.0.1:$port/v2/models/$m" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["inputs"][0]["name"])')
    echo "# wrk: $m ${shape[$m]}, 16 connections, ${secs}s"
    wrk -t2 -c16 -d"${secs}s" --latency -s "$root/benchmarks/serving/wrk_infer.lua" "http://127.0.0.1:$port" -- "$m" "$input" "${shape[$m]}" \
      | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
  done
  kill -TERM $pid; wait $pid || true
fi

