#!/usr/bin/python3
"""Quantized PP-OCR cls model end to end: tests/models/make_quantized_cls.py writes the QDQ,
QOperator and dynamic forms; each runs through pl_run (default backends and cpu_ref) and through
ONNX Runtime (tests/models/ort_run.js, onnxruntime-node from .peers/). Every quantized activation
(uint8, a graph output of qdq/qop) must be within one quantization step of ONNX Runtime's on at
least 99.9% of its elements, and the final softmax within 1e-3 (dyn: 1e-4, its graph has no
rounding after the last float op that the two could place differently).

  /usr/bin/python3 tests/models/quantized_test.py --pl-run build/tools/pl_run [--out DIR]
Exit 0 pass, 1 fail, 77 skipped (model or onnxruntime-node or node >= 20 missing).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
MODEL = "ch_ppocr_mobile_v2.0_cls_infer.onnx"


def skip(why):
    print(f"skipping: {why}")
    sys.exit(77)


def check_peer(peers):
    node = shutil.which("node")
    if not node:
        skip("node not installed")
    v = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    if int(v.lstrip("v").split(".")[0]) < 20:
        skip(f"node {v} < 20 (onnxruntime-node 1.30 needs node >= 20)")
    if not os.path.isdir(os.path.join(peers, "node_modules", "onnxruntime-node")):
        skip(f"onnxruntime-node not installed under {peers} (run scripts/fetch_models.sh)")
    return node


def load_dir(d, n):
    return [np.load(os.path.join(d, f"{i}.npy")) for i in range(n)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pl-run", required=True)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    models = os.environ.get("PL_MODELS_DIR", os.path.join(ROOT, ".models"))
    peers = os.environ.get("PL_PEERS_DIR", os.path.join(ROOT, ".peers"))
    model = os.path.join(models, MODEL)
    if not os.path.exists(model):
        skip(f"{model} missing (run scripts/fetch_models.sh)")
    node = check_peer(peers)
    out = a.out or tempfile.mkdtemp(prefix="pl_quantized_")
    subprocess.run([sys.executable, os.path.join(HERE, "make_quantized_cls.py"), "--model", model, "--pl-run", a.pl_run,
                    "--out", out], check=True)
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    feed = f"{meta['input']}={os.path.join(out, 'input.npy')}"
    env = dict(os.environ, PL_PEERS_DIR=peers)
    failures = []
    for form in ("qdq", "qop", "dyn"):
        names = meta[form]
        path = os.path.join(out, f"{form}.onnx")
        ort_dir = os.path.join(out, f"ort_{form}")
        r = subprocess.run([node, os.path.join(HERE, "ort_run.js"), path, ort_dir, feed], env=env)
        if r.returncode == 77:
            skip("onnxruntime-node could not be loaded")
        if r.returncode != 0:
            failures.append(f"{form}: ONNX Runtime failed")
            continue
        ort = load_dir(ort_dir, len(names))
        for backend in ("", "cpu_ref"):
            pl_dir = os.path.join(out, f"pl_{form}_{backend or 'default'}")
            shutil.rmtree(pl_dir, ignore_errors=True)
            args = [a.pl_run, "--model", path, "--input", feed, "--output-dir", pl_dir]
            if backend:
                args += ["--backend", backend]
            r = subprocess.run(args, stdout=subprocess.DEVNULL)
            label = f"{form} [{backend or 'default backends'}]"
            if r.returncode != 0:
                failures.append(f"{label}: pl_run failed")
                continue
            ours = load_dir(pl_dir, len(names))
            total = within = exact = 0
            worst, worst_name = 0, "-"
            for name, p, o in zip(names, ours, ort):
                if p.shape != o.shape or p.dtype != o.dtype:
                    failures.append(f"{label} {name}: {p.dtype}{list(p.shape)} vs ORT {o.dtype}{list(o.shape)}")
                    continue
                if p.dtype == np.uint8:
                    d = np.abs(p.astype(np.int32) - o.astype(np.int32))
                    total += d.size
                    within += int((d <= 1).sum())
                    exact += int((d == 0).sum())
                    if d.max() > worst:
                        worst, worst_name = int(d.max()), name
                else:
                    tol = 1e-4 if form == "dyn" else 1e-3
                    diff = float(np.abs(p - o).max())
                    print(f"{label} {name}: max |pl - ORT| = {diff:.3g} (limit {tol})")
                    if not diff <= tol:
                        failures.append(f"{label} {name}: max diff {diff:.3g} > {tol}")
            if total:
                frac = within / total
                print(f"{label}: {total} quantized elements, {100 * exact / total:.3f}% equal, "
                      f"{100 * frac:.3f}% within one step (worst {worst} steps, {worst_name})")
                if frac < 0.999:
                    failures.append(f"{label}: {100 * frac:.3f}% within one step < 99.9%")
    if not a.out:
        shutil.rmtree(out, ignore_errors=True)
    for f in failures:
        print("FAIL", f)
    print("quantized cls: " + ("FAILED" if failures else "all forms match ONNX Runtime"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
