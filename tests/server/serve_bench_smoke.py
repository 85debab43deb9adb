#!/usr/bin/env python3
"""pl_serve_bench end to end on a tiny model: every mode (in-process Submit, gRPC, REST binary)
answers every request without an error, and the summary reports each mode against in-process."""
import json, os, subprocess, sys, tempfile

bench, server, make_model = sys.argv[1:4]

tmp = tempfile.mkdtemp()
os.makedirs(f"{tmp}/lin/1")
subprocess.check_call([sys.executable, make_model, f"{tmp}/lin/1/model.onnx"])
with open(f"{tmp}/lin/config.json", "w") as f:
    json.dump({"pool_size": 2, "max_batch": 4, "max_queue_delay_us": 500, "queue_full": "block"}, f)
r = subprocess.run([bench, "--server", server, "--model-repository", tmp, "--model", "lin", "--shape", "1,4",
                    "--concurrency", "4", "--seconds", "0.5", "--rounds", "2"],  # the server picks its ports
                   capture_output=True, text=True, timeout=120)
print(r.stdout)
lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
rounds = [l for l in lines if "round" in l]
summary = {l["summary"]: l for l in lines if "summary" in l}
bad = []
if r.returncode != 0: bad.append(f"exit code {r.returncode}: {r.stderr[-500:]}")
if len(rounds) != 6: bad.append(f"{len(rounds)} round lines, want 6")
for l in rounds:
    if l["failed"] or l["ok"] < 10: bad.append(f"round {l}: failures or too few requests")
for mode in ("inproc", "grpc", "rest"):
    if mode not in summary or summary[mode]["median_qps"] <= 0: bad.append(f"no summary for {mode}")
for mode in ("grpc", "rest"):
    if mode in summary and "qps_vs_inproc" not in summary[mode]: bad.append(f"{mode}: no ratio to inproc")
print("\n".join(bad) or "serve bench smoke: OK")
sys.exit(1 if bad else 0)
