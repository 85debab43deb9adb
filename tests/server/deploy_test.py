#!/usr/bin/env python3
"""deploy/ stays in step with pl_server: the Dockerfile's ENTRYPOINT + CMD and the KServe
ServingRuntime's command + args are run as written (ports swapped for free ones, /mnt/models for a
scratch repository): pl_server accepts them, becomes ready, serves /metrics and drains on SIGTERM.
The probes, the Prometheus annotation and the InferenceServices' ports name the ports those
arguments open, and the grace period exceeds --exit-timeout-secs."""
import json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

import yaml

server_bin, make_model, deploy = sys.argv[1], sys.argv[2], sys.argv[3]
bad = []

def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok: bad.append(what)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_ports  # noqa: E402

def flags(args):
    out = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and "=" in a:
            k, v = a.split("=", 1); out[k] = v; i += 1
        elif a.startswith("--"):
            out[a] = args[i + 1]; i += 2
        else:
            i += 1
    return out

repo = tempfile.mkdtemp()
os.makedirs(f"{repo}/lin/1")
subprocess.check_call([sys.executable, make_model, f"{repo}/lin/1/model.onnx"])

def run_as_written(what, argv):
    f = flags(argv)
    for k in ("--model-repository", "--http-port", "--grpc-port", "--exit-timeout-secs"):
        check(k in f, f"{what}: passes {k}")
    if bad: return f
    new = {"--model-repository": repo, "--http-port": "0", "--grpc-port": "0"}  # the server picks free ports
    argv2, i = [], 1  # argv[0] is pl_server; each flag keeps the form it is written in
    while i < len(argv):
        a = argv[i]
        k = a.split("=", 1)[0]
        if "=" in a:
            argv2.append(f"{k}={new[k]}" if k in new else a); i += 1
        else:
            argv2 += [a, new.get(a, argv[i + 1])]; i += 2
    ports_file = os.path.join(tempfile.mkdtemp(), "ports.json")
    p = subprocess.Popen([server_bin] + argv2 + ["--ports-file", ports_file], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    try:
        http, grpc = server_ports.wait(p, ports_file)
    except RuntimeError as e:
        check(False, f"{what}: {e}: {p.stdout.read().decode()[-500:] if p.poll() is not None else ''}")
        p.kill()
        return f
    ready = False
    for _ in range(100):
        try:
            ready = urllib.request.urlopen(f"http://127.0.0.1:{http}/v2/health/ready", timeout=1).status == 200
            break
        except Exception:
            time.sleep(0.1)
    check(ready, f"{what}: pl_server started with these arguments is ready")
    try:
        m = urllib.request.urlopen(f"http://127.0.0.1:{http}/metrics", timeout=2).read().decode()
        check("nv_inference_request_success" in m, f"{what}: /metrics on the HTTP port")
    except Exception as e:  # noqa: BLE001
        check(False, f"{what}: /metrics: {e}")
    s = socket.socket(); rc = s.connect_ex(("127.0.0.1", grpc)); s.close()
    check(rc == 0, f"{what}: gRPC port open")
    p.send_signal(signal.SIGTERM)
    try:
        check(p.wait(timeout=int(f["--exit-timeout-secs"]) + 10) == 0, f"{what}: SIGTERM -> exit 0")
    except subprocess.TimeoutExpired:
        p.kill(); check(False, f"{what}: no exit after SIGTERM")
    return f

# Dockerfile: the exec-form ENTRYPOINT and CMD.
docker = open(f"{deploy}/Dockerfile").read()
entry = json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", docker, re.M).group(1))
cmd = json.loads(re.search(r"^CMD (\[.*\])$", docker, re.M).group(1))
check(entry == ["pl_server"], "Dockerfile: ENTRYPOINT is pl_server")
check(re.search(r"^FROM debian:12", docker, re.M) is not None, "Dockerfile: Debian 12 base")
check("-DPL_PACKAGE=ON" in docker and "cpack -G DEB" in docker and "apt-get install" in docker,
      "Dockerfile: builds the package (PL_PACKAGE=ON, cpack) and installs the .deb with apt")
df = run_as_written("Dockerfile", entry + cmd)
exposed = re.search(r"^EXPOSE (.*)$", docker, re.M).group(1).split()
check(df.get("--http-port") in exposed and df.get("--grpc-port") in exposed, "Dockerfile: EXPOSE names both ports")

# KServe ServingRuntime + InferenceServices.
rt = yaml.safe_load(open(f"{deploy}/kserve/servingruntime.yaml"))
check(rt["kind"] == "ServingRuntime" and rt["apiVersion"] == "serving.kserve.io/v1alpha1", "ServingRuntime kind/apiVersion")
check(set(rt["spec"]["protocolVersions"]) == {"v2", "grpc-v2"}, "ServingRuntime: protocols v2 + grpc-v2")
c = rt["spec"]["containers"][0]
check(c["name"] == "kserve-container", "ServingRuntime: container named kserve-container")
rf = run_as_written("ServingRuntime", c["command"] + c["args"])
check(rf.get("--model-repository") == "/mnt/models", "ServingRuntime: repository at KServe's /mnt/models")
hp = int(rf.get("--http-port", -1)); gp = int(rf.get("--grpc-port", -1))
check(c["readinessProbe"]["httpGet"]["port"] == hp and c["readinessProbe"]["httpGet"]["path"] == "/v2/health/ready",
      "ServingRuntime: readiness probe on /v2/health/ready, HTTP port")
check(c["livenessProbe"]["httpGet"]["port"] == hp, "ServingRuntime: liveness probe on the HTTP port")
check(int(rt["spec"]["annotations"]["prometheus.kserve.io/port"]) == hp, "ServingRuntime: Prometheus scrapes the HTTP port")
check(any(p["containerPort"] == hp for p in c["ports"]), "ServingRuntime: HTTP containerPort")
isvcs = list(yaml.safe_load_all(open(f"{deploy}/kserve/inferenceservice.yaml")))
check({i["spec"]["predictor"]["model"]["protocolVersion"] for i in isvcs} == {"v2", "grpc-v2"}, "InferenceServices: v2 and grpc-v2")
for i in isvcs:
    pr = i["spec"]["predictor"]; mdl = pr["model"]
    check(mdl["runtime"] == rt["metadata"]["name"], f"{i['metadata']['name']}: uses the paddle-like runtime")
    check(pr["terminationGracePeriodSeconds"] > int(rf["--exit-timeout-secs"]), f"{i['metadata']['name']}: grace period > exit timeout")
    if mdl["protocolVersion"] == "grpc-v2":
        check(any(p["name"] == "h2c" and p["containerPort"] == gp for p in mdl.get("ports", [])),
              f"{i['metadata']['name']}: h2c port is pl_server's --grpc-port")
print("\n".join(bad) and f"{len(bad)} failures" or "deploy: OK")
sys.exit(1 if bad else 0)
