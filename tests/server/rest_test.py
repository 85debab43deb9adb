#!/usr/bin/env python3
"""pl_server REST (KServe v2) on loopback with http.client: JSON and binary infer, bad-request
codes (server keeps serving), not-ready model, /metrics, SIGTERM -> exit 0; connection limit (503
naming --http-max-connections) and idle timeout (an idle or stalled connection is closed).
   rest_test.py PL_SERVER MAKE_MODEL_PY"""
import shutil, http.client, json, os, signal, socket, struct, subprocess, sys, tempfile, time

server_bin, make_model = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="pl_rest_")
os.makedirs(f"{tmp}/lin/1"); os.makedirs(f"{tmp}/broken/1")
subprocess.check_call([sys.executable, make_model, f"{tmp}/lin/1/model.onnx"])
open(f"{tmp}/lin/config.json", "w").write('{"max_batch": 8, "pool_size": 2}')
open(f"{tmp}/broken/1/model.onnx", "w").write("not onnx")
# Device settings that cannot load here: a bad device list, and (without a GPU) the CUDA backend.
for name, cfg in (("baddev", '{"device_ids": [-1]}'), ("ongpu", '{"backends": ["cuda", "cpu_ref"], "device_ids": [0, 99]}')):
    os.makedirs(f"{tmp}/{name}/1")
    shutil.copy(f"{tmp}/lin/1/model.onnx", f"{tmp}/{name}/1/model.onnx")
    open(f"{tmp}/{name}/config.json", "w").write(cfg)
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
proc = subprocess.Popen([server_bin, "--model-repository", tmp, "--http-port", str(port),
                         "--http-max-body-bytes", "100000", "--exit-timeout-secs", "10"])
fails = []
def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what); cond or fails.append(what)
def req(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, dict(r.getheaders()), data
for _ in range(100):
    try:
        if req("GET", "/v2/health/live")[0] == 200: break
    except OSError: time.sleep(0.1)
def expected(x):
    return [max(0.0, 0.5 - 0.25 * j + sum(x[i] * 0.1 * (i - j) for i in range(4))) for j in range(3)]
import array
x = [1.0, 2.0, 3.0, 4.0, -1.0, 0.5, 0.25, 2.0]
want = [struct.unpack("f", struct.pack("f", v))[0] for v in expected(x[:4]) + expected(x[4:])]
st, _, body = req("POST", "/v2/models/lin/infer", json.dumps(
    {"id": "a", "inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32", "data": x}]}))
out = json.loads(body)["outputs"][0] if st == 200 else {}
check(st == 200 and out.get("shape") == [2, 3] and all(abs(a - b) < 1e-6 for a, b in zip(out["data"], want)),
      f"JSON infer ({st})")
hdr = json.dumps({"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP32", "parameters": {"binary_data_size": 32}}],
                  "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}).encode()
st, h, body = req("POST", "/v2/models/lin/versions/1/infer", hdr + struct.pack("8f", *x),
                  {"Inference-Header-Content-Length": str(len(hdr))})
hl = int(h.get("Inference-Header-Content-Length", "-1"))
got = list(struct.unpack("6f", body[hl:])) if st == 200 and len(body) - hl == 24 else []
check(st == 200 and len(got) == 6 and all(abs(a - b) < 1e-6 for a, b in zip(got, want)), f"binary infer ({st}, {len(body) - hl} binary bytes)")
bad = {
    "malformed JSON": ("/v2/models/lin/infer", b"{bad", {}, 400),
    "wrong datatype": ("/v2/models/lin/infer", json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "INT64", "data": [1, 2, 3, 4]}]}), {}, 400),
    "wrong shape": ("/v2/models/lin/infer", json.dumps({"inputs": [{"name": "x", "shape": [1, 5], "datatype": "FP32", "data": [1] * 5}]}), {}, 400),
    "data/shape mismatch": ("/v2/models/lin/infer", json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [1]}]}), {}, 400),
    "wrong tensor count": ("/v2/models/lin/infer", json.dumps({"inputs": []}), {}, 400),
    "unknown model": ("/v2/models/nope/infer", b"{}", {}, 404),
    "unknown version": ("/v2/models/lin/versions/7/infer", b"{}", {}, 404),
    "oversized body": ("/v2/models/lin/infer", b"x" * 200000, {}, 413),
    "truncated binary": ("/v2/models/lin/infer", hdr + b"\0" * 10, {"Inference-Header-Content-Length": str(len(hdr))}, 400),
    "not-ready model": ("/v2/models/broken/infer", b"{}", {}, 503),
}
for name, (path, body, headers, code) in bad.items():
    try:
        st, _, data = req("POST", path, body, headers)
        check(st == code and "error" in json.loads(data), f"{name} -> {st} (want {code})")
    except Exception as e:  # noqa: BLE001
        check(False, f"{name}: {e}")
check(req("GET", "/v2/models/lin")[0] == 200, "metadata")
check(req("GET", "/v2/health/ready")[0] == 503, "server not ready with a broken model")
check(req("GET", "/v2/models/lin/ready")[0] == 200, "model ready")
st, _, data = req("POST", "/v2/models/baddev/infer", b"{}")
check(st == 503 and b"device_ids" in data, f"a bad device_ids list keeps the model not ready, named ({st} {data[:120]!r})")
st, _, data = req("POST", "/v2/models/ongpu/infer", b"{}")
check(st == 503 and b"cuda" in data, f"a cuda model without a GPU is not ready, saying why ({st} {data[:160]!r})")
st, _, m = req("POST", "/v2/models/lin/infer", json.dumps({"inputs": [{"name": "x", "shape": [1, 4], "datatype": "FP32", "data": [0, 0, 0, 0]}]}))
check(st == 200, "still serving after bad requests")
st, _, m = req("GET", "/metrics")
check(st == 200 and b'nv_inference_request_success{model="lin",version="1"} 3' in m and b"process_resident_memory_bytes" in m, "metrics")
import re as _re
_q = _re.search(rb'nv_inference_queue_duration_us\{model="lin",version="1"\} (\d+)', m)
_c = _re.search(rb'nv_inference_compute_infer_duration_us\{model="lin",version="1"\} (\d+)', m)
check(_q is not None and _c is not None, "metrics: queue and compute time per model")
proc.send_signal(signal.SIGTERM)
rc = proc.wait(timeout=20)
check(rc == 0, f"SIGTERM exit code {rc}")

# Connection limit and idle timeout: 2 connections, 1 s idle.
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
proc = subprocess.Popen([server_bin, "--model-repository", tmp, "--http-port", str(port),
                         "--http-max-connections=2", "--http-idle-timeout-secs", "1"])
for _ in range(100):
    try:
        if req("GET", "/v2/health/live")[0] == 200: break
    except OSError: time.sleep(0.1)
time.sleep(1.0)  # the probe connections' threads have ended (slow under sanitizers)
held = [http.client.HTTPConnection("127.0.0.1", port, timeout=5) for _ in range(2)]
for c in held:
    c.request("GET", "/v2/health/live"); r = c.getresponse(); r.read()
    check(r.status == 200, "keep-alive connection within the limit served")
st, h, body = req("GET", "/v2/health/live")
check(st == 503 and b"--http-max-connections" in body, f"third connection: {st} {body[:80]!r}")
stalled = socket.create_connection(("127.0.0.1", port))  # over the limit too: refused at once
stalled.settimeout(5)
check(stalled.recv(100).startswith(b"HTTP/1.1 503"), "connection over the limit gets 503 without sending")
stalled.close()
time.sleep(1.6)  # past the idle timeout: the server has closed both held connections
for c in held:
    try:
        c.request("GET", "/v2/health/live"); r = c.getresponse(); r.read(); closed = False
    except (OSError, http.client.HTTPException):
        closed = True
    check(closed, "idle keep-alive connection closed by the server after the idle timeout")
half = socket.create_connection(("127.0.0.1", port)); half.settimeout(5)
half.sendall(b"POST /v2/models/lin/infer HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")  # then stalls
t0 = time.time()
try:
    got = half.recv(100)
except OSError:
    got = b""
check(got == b"" and time.time() - t0 < 4, f"request stalled mid-body is dropped after the idle timeout ({time.time() - t0:.1f} s)")
half.close()
check(req("GET", "/v2/health/live")[0] == 200, "new connections served once the others are gone")
proc.send_signal(signal.SIGTERM)
check(proc.wait(timeout=20) == 0, "SIGTERM exit 0 (second server)")
sys.exit(1 if fails else 0)
