#!/usr/bin/python3
"""Memory per predictor: paddle_like clones against ONNX Runtime sessions, in one run.

For each model and each count K in --counts (default 1, 4, 16, 64) it starts a fresh process of
  pl_bench --predictors K --seconds 0        (one predictor + K-1 Clone()s, each run once)
  ort_bench.js --predictors K --seconds 0    (K InferenceSessions of the model, each run once)
and records the RSS with one predictor and with K, in that same process. "MB per extra" is
(RSS with K - RSS with 1) / (K - 1): what one more predictor costs once the first is there.
Issue 3's target: ours <= one third of ORT's per extra session.

  /usr/bin/python3 benchmarks/memory/memory_bench.py [--model det|rec|cls|all] [--counts 1,4,16,64]
      [--pl-bench PATH] [--backend onednn] [--out out/bench]
"""
import argparse
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import compare  # noqa: E402  (benchmarks/compare.py: runners, model table)

TARGET = 1.0 / 3.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="all", help="det, rec, cls, all, or an .onnx path (then --shape)")
    ap.add_argument("--shape", default=None)
    ap.add_argument("--counts", default="1,4,16,64")
    ap.add_argument("--pl-bench", default=None)
    ap.add_argument("--backend", default=None)
    ap.add_argument("--out", default=os.path.join(compare.ROOT, "out", "bench"))
    ap.add_argument("--skip-missing", action="store_true", help="exit 77 when the models or ORT are missing")
    args = ap.parse_args()
    if not compare.ort_available():
        compare.missing("memory_bench: onnxruntime-node missing: run scripts/fetch_models.sh", args.skip_missing)
    if args.model == "all":
        jobs = [(k,) + compare.MODELS[k][:2] for k in ("det", "rec", "cls")]
    elif args.model in compare.MODELS:
        jobs = [(args.model,) + compare.MODELS[args.model][:2]]
    elif args.shape:
        jobs = [(os.path.basename(args.model), args.model, args.shape)]
    else:
        sys.exit("memory_bench: --shape is required with a model path")
    counts = sorted({int(c) for c in args.counts.split(",")})
    pl_bench = compare.find_pl_bench(args.pl_bench)
    started = datetime.datetime.now()
    results = {"started": started.isoformat(timespec="seconds"), "pl_bench": pl_bench,
               "backend": args.backend or "default", "counts": counts, "models": {}}
    print("memory_bench: pl_bench %s, counts %s" % (pl_bench, counts), flush=True)
    for name, model, shape in jobs:
        path = model if os.path.exists(model) else os.path.join(compare.MODELS_DIR, model)
        if not os.path.exists(path):
            compare.missing("memory_bench: %s missing: run scripts/fetch_models.sh" % path, args.skip_missing)
        rows = []
        for k in counts:
            pl, _ = compare.run_pl(pl_bench, path, shape, 1, 1, 0, 0, args.backend, predictors=k)
            ort, _ = compare.run_ort(path, shape, 1, 1, 0, 0, predictors=k)
            row = {"k": k}
            for who, r in (("ours", pl), ("ort", ort)):
                row[who] = {"rss_one_mb": r["rss_one_mb"], "rss_k_mb": r["rss_predictors_mb"],
                            "per_extra_mb": r["per_clone_mb"] if k > 1 else None, "peak_rss_mb": r["peak_rss_mb"],
                            "create_ms": r["clone_ms"]}
            if "shared_mb" in pl:
                row["ours"]["shared_mb"] = pl["shared_mb"]
                row["ours"]["private_mb"] = pl["private_mb"]
            rows.append(row)
            print("  %s K=%d: ours RSS %.1f MB (%s MB/extra) | ORT RSS %.1f MB (%s MB/extra)" % (
                name, k, row["ours"]["rss_k_mb"], fmt_opt(row["ours"]["per_extra_mb"]), row["ort"]["rss_k_mb"],
                fmt_opt(row["ort"]["per_extra_mb"])), flush=True)
        results["models"][name] = {"model": model, "shape": shape, "rows": rows}
    results["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
    md = render(results)
    print()
    print(md)
    os.makedirs(args.out, exist_ok=True)
    stamp = started.strftime("%Y%m%d_%H%M%S")
    for ext, text in (("json", json.dumps(results, indent=1)), ("md", md)):
        for fname in ("memory_%s.%s" % (stamp, ext), "memory_latest.%s" % ext):
            with open(os.path.join(args.out, fname), "w") as f:
                f.write(text + "\n")
    print("memory_bench: wrote %s/memory_%s.{json,md} (and memory_latest.*)" % (args.out, stamp))


def fmt_opt(v):
    return "-" if v is None else "%.2f" % v


def render(results):
    out = ["## Memory per predictor: paddle_like clones vs ONNX Runtime sessions %s" % results["started"], "",
           "RSS (MB) of one process holding K predictors (ours: 1 + K-1 `Clone()`s; ORT: K `InferenceSession`s), "
           "each run once on the model's benchmark shape; MB per extra = (RSS(K) - RSS(1)) / (K - 1). "
           "Target: ours <= 1/3 of ORT's per extra.", ""]
    out.append("| model, input | K | ours RSS | ours MB/extra | ORT RSS | ORT MB/extra | ours/ORT per extra | met |")
    out.append("|---|---|---|---|---|---|---|---|")
    for name, m in results["models"].items():
        for row in m["rows"]:
            o, t = row["ours"], row["ort"]
            ratio = (o["per_extra_mb"] / t["per_extra_mb"]) if row["k"] > 1 and t["per_extra_mb"] else None
            out.append("| %s %s | %d | %.1f | %s | %.1f | %s | %s | %s |" % (
                name, m["shape"], row["k"], o["rss_k_mb"], fmt_opt(o["per_extra_mb"]), t["rss_k_mb"],
                fmt_opt(t["per_extra_mb"]), "-" if ratio is None else "%.3f" % ratio,
                "-" if ratio is None else ("yes" if ratio <= TARGET else "**no**")))
        shared = m["rows"][0]["ours"].get("shared_mb")
        if shared is not None:
            out.append("| %s: our own accounting (Predictor::Memory) | | shared %.2f MB | private %.2f MB per predictor "
                       "| | | | |" % (name, shared, m["rows"][0]["ours"]["private_mb"]))
    return "\n".join(out)


if __name__ == "__main__":
    main()
