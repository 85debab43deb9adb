#!/usr/bin/env python3
"""Side by side on one GPU: PyTorch (with cuDNN, from the device machine's image) against
paddle_like's CUDA backend on the same torchvision architectures exported to ONNX (resnet50,
mobilenet_v3_large; random weights: the machine has no network and latency does not depend on
the values). Batch 1, 3x224x224.

  torch_compare.py --pl-bench BIN/pl_bench --work DIR --out OUT.json [--seconds S] [--models a,b]

PyTorch: eval mode, torch.no_grad, cudnn.benchmark on; p50 of single-stream runs (synchronized),
and QPS with 4 threads, each on its own CUDA stream. Ours: pl_bench --backend cuda with 1
predictor / 1 thread and 4 predictors / 4 threads (one stream each). The ratios in the JSON are
ours / PyTorch for latency (<= 1.0 is the target) and ours / PyTorch for QPS (>= 1.0).
Exit status 0 when the comparison ran (whatever the ratios), 2 when torch or torchvision is absent.
"""
import argparse, json, os, statistics, subprocess, sys, threading, time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pl-bench", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--models", default="resnet50,mobilenet_v3_large")
    a = ap.parse_args()
    try:
        import torch
        import torchvision
    except Exception as e:  # noqa: BLE001
        json.dump({"skipped": f"torch/torchvision not importable: {e}"}, open(a.out, "w"))
        print(f"torch_compare: skipped: {e}")
        return 2
    if not torch.cuda.is_available():
        json.dump({"skipped": "torch.cuda.is_available() is False"}, open(a.out, "w"))
        return 2
    torch.backends.cudnn.benchmark = True
    os.makedirs(a.work, exist_ok=True)
    res = {"torch": torch.__version__, "torchvision": torchvision.__version__,
           "cudnn": torch.backends.cudnn.version(), "device": torch.cuda.get_device_name(0), "models": {}}
    for name in a.models.split(","):
        r = {}
        try:
            model = getattr(torchvision.models, name)(weights=None).eval().cuda()
            x = torch.randn(1, 3, 224, 224, device="cuda")
            path = os.path.join(a.work, name + ".onnx")
            t0 = time.time()
            with torch.no_grad():
                kw = {"opset_version": 17, "input_names": ["x"], "output_names": ["y"]}
                try:
                    torch.onnx.export(model, (x,), path, dynamo=False, **kw)
                except TypeError:
                    torch.onnx.export(model, (x,), path, **kw)
            r["export_s"] = round(time.time() - t0, 1)
            # PyTorch single stream.
            with torch.no_grad():
                for _ in range(20):
                    model(x)
                torch.cuda.synchronize()
                lat = []
                end = time.time() + a.seconds
                while time.time() < end:
                    t = time.perf_counter()
                    model(x)
                    torch.cuda.synchronize()
                    lat.append((time.perf_counter() - t) * 1e3)
            r["torch_p50_ms"] = round(statistics.median(lat), 3)
            # PyTorch, 4 threads, a stream each.
            count = [0] * 4
            stop = time.time() + a.seconds

            def worker(i):
                s = torch.cuda.Stream()
                xi = x.clone()
                with torch.no_grad(), torch.cuda.stream(s):
                    while time.time() < stop:
                        model(xi)
                        s.synchronize()
                        count[i] += 1
            ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
            t0 = time.time()
            for t in ts:
                t.start()
            for t in ts:
                t.join()
            r["torch_qps_4"] = round(sum(count) / (time.time() - t0), 1)
            del model
            torch.cuda.empty_cache()
            # Ours.
            for tag, extra in (("p1_t1", ["--predictors", "1", "--threads", "1"]),
                               ("p4_t4", ["--predictors", "4", "--threads", "4"])):
                cmd = [a.pl_bench, "--model", path, "--shape", "1x3x224x224", "--backend", "cuda", "--json",
                       "--seconds", str(a.seconds), "--warmup", "1"] + extra
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
                lines = [l for l in p.stdout.strip().splitlines() if l.startswith("{")]
                if p.returncode != 0 or not lines:
                    r["pl_" + tag] = {"error": (p.stderr or p.stdout)[-800:]}
                    continue
                r["pl_" + tag] = json.loads(lines[-1])
            pl1, pl4 = r.get("pl_p1_t1", {}), r.get("pl_p4_t4", {})
            if "p50_ms" in pl1:
                r["latency_ratio"] = round(pl1["p50_ms"] / r["torch_p50_ms"], 3)
            if "qps" in pl4 and r["torch_qps_4"]:
                r["qps_ratio_4"] = round(pl4["qps"] / r["torch_qps_4"], 3)
        except Exception as e:  # noqa: BLE001
            r["error"] = repr(e)[:800]
        res["models"][name] = r
        print(f"torch_compare {name}: {json.dumps({k: v for k, v in r.items() if not k.startswith('pl_')})}")
    json.dump(res, open(a.out, "w"), indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
