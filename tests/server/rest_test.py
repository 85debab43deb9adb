#!/usr/bin/env python3
"""pl_server REST (KServe v2) on loopback with http.client: JSON and binary infer, bad-request
codes (server keeps serving), not-ready model, /metrics, SIGTERM -> exit 0; connection limit (503
naming --http-max-connections) and idle timeout (an idle or stalled connection is closed).
BYTES (string) tensors: JSON strings and the binary form both ways, malformed BYTES -> 400 naming
the input, string rows through dynamic batching.
   rest_test.py PL_SERVER MAKE_MODEL_PY"""
import shutil, http.client, json, os, signal, socket, struct, subprocess, sys, tempfile, time

server_bin, make_model = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp(prefix="pl_rest_")
os.makedirs(f"{tmp}/lin/1"); os.makedirs(f"{tmp}/broken/1")
subprocess.check_call([sys.executable, make_model, f"{tmp}/lin/1/model.onnx"])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import string_models  # noqa: E402  (strs, upper: string tensors as BYTES)
string_models.write(tmp)
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

# ---- BYTES (string tensors) ----
st, _, meta = req("GET", "/v2/models/strs")
meta = json.loads(meta) if st == 200 else {}
check(st == 200 and [t["datatype"] for t in meta["inputs"] + meta["outputs"]] == ["BYTES"] * 3,
      f"metadata: string input and outputs are BYTES ({st} {meta})")
def infer(model, payload, headers=None):
    st, h, body = req("POST", f"/v2/models/{model}/infer", payload if isinstance(payload, bytes) else json.dumps(payload), headers)
    return st, h, body
words = ["abc", "Mixed Case", 'q"uote\\back\nline', "nul\0byte", ""]
st, _, body = infer("upper", {"inputs": [{"name": "w", "datatype": "BYTES", "shape": [1, 5], "data": words}]})
out = json.loads(body)["outputs"][0] if st == 200 else {}
check(st == 200 and out.get("datatype") == "BYTES" and out.get("shape") == [1, 5] and out.get("data") == [w.upper() for w in words],
      f"BYTES JSON round trip through StringNormalizer UPPER ({st} {body[:200]!r})")
st, _, body = infer("strs", {"inputs": [{"name": "s", "datatype": "BYTES", "shape": [2, 2], "data": [["a", "é"], ["日本", ""]]}],
                             "outputs": [{"name": "dup"}]})
out = json.loads(body)["outputs"] if st == 200 else []
check(st == 200 and len(out) == 1 and out[0]["shape"] == [2, 4] and out[0]["data"] == ["a", "é", "a", "é", "日本", "", "日本", ""],
      f"BYTES nested JSON data, UTF-8 kept ({st} {body[:200]!r})")
# Binary both ways, with bytes that are not UTF-8 (passed through as given).
vals = [b"\xff\xfe raw", b"", b"x" * 300, b"\0\0", "ünï".encode(), b"end"]
blob = string_models.serialize(vals)
hdr = json.dumps({"inputs": [{"name": "s", "shape": [3, 2], "datatype": "BYTES", "parameters": {"binary_data_size": len(blob)}}],
                  "outputs": [{"name": "dup", "parameters": {"binary_data": True}}, {"name": "same", "parameters": {"binary_data": True}}]}).encode()
st, h, body = infer("strs", hdr + blob, {"Inference-Header-Content-Length": str(len(hdr))})
hl = int(h.get("Inference-Header-Content-Length", "-1"))
ok = st == 200 and hl > 0
if ok:
    j = json.loads(body[:hl]); sizes = [o["parameters"]["binary_data_size"] for o in j["outputs"]]
    dup = string_models.deserialize(body[hl:hl + sizes[0]]); same = string_models.deserialize(body[hl + sizes[0]:])
    ok = (sum(sizes) == len(body) - hl and [o["shape"] for o in j["outputs"]] == [[3, 4], [3, 2]] and same == vals and
          dup == [v for r in range(3) for v in vals[2 * r:2 * r + 2] * 2])
check(ok, f"BYTES binary round trip, non-UTF-8 bytes kept ({st} {body[:160]!r})")
st, _, body = infer("strs", hdr.replace(b', "parameters": {"binary_data": true}', b"") + blob, {"Inference-Header-Content-Length": str(len(hdr.replace(b', "parameters": {"binary_data": true}', b"")))})
out = json.loads(body.decode("utf-8", "surrogateescape"))["outputs"] if st == 200 else []
check(st == 200 and [v.encode("utf-8", "surrogateescape") for v in out[1]["data"]] == vals,
      f"BYTES binary in, JSON out: bytes passed through as given ({st} {body[:160]!r})")
# Malformed BYTES: 400 naming the input, every time.
def bin_req(blob, shape=(1, 2), size=None):
    h = json.dumps({"inputs": [{"name": "s", "shape": list(shape), "datatype": "BYTES",
                                "parameters": {"binary_data_size": len(blob) if size is None else size}}]}).encode()
    return h + blob, {"Inference-Header-Content-Length": str(len(h))}
two = string_models.serialize([b"ab", b"cd"])
bad_bytes = {
    "truncated length prefix": bin_req(two + b"\x01\x00", (1, 2)),
    "length past the end": bin_req(string_models.serialize([b"ab"]) + b"\x10\x00\x00\x00abc"),
    "length 0xffffffff": bin_req(string_models.serialize([b"ab"]) + b"\xff\xff\xff\xff"),
    "fewer elements than the shape": bin_req(string_models.serialize([b"abcdefgh", b"ij"]), (1, 3)),
    "fewer bytes than 4 per element": bin_req(string_models.serialize([b"ab"]), (1, 2)),
    "more elements than the shape": bin_req(two + string_models.serialize([b"x"])),
    "shape too big for the bytes": bin_req(two, (1000, 2)),
    "binary_data_size past the body": bin_req(two, (1, 2), len(two) + 1),
    "binary_data_size not an integer": bin_req(two, (1, 2), "8"),
    "JSON number for BYTES": (json.dumps({"inputs": [{"name": "s", "shape": [1, 2], "datatype": "BYTES", "data": ["a", 1]}]}), {}),
    "JSON count mismatch": (json.dumps({"inputs": [{"name": "s", "shape": [1, 2], "datatype": "BYTES", "data": ["a"]}]}), {}),
    "JSON huge shape, padded body": (json.dumps({"inputs": [{"name": "s", "shape": [20000, 2], "datatype": "BYTES", "data": ["a"]}]}) + " " * 60000, {}),
    "JSON nested too many": (json.dumps({"inputs": [{"name": "s", "shape": [1, 2], "datatype": "BYTES", "data": [["a", "b", "c"]]}]}), {}),
}
for name, (body, headers) in bad_bytes.items():
    st, _, data = infer("strs", body.encode() if isinstance(body, str) else body, headers)
    err = json.loads(data).get("error", "") if data.startswith(b"{") else ""
    check(st == 400 and "'s'" in err, f"BYTES {name} -> {st} (want 400 naming 's': {err[:140]!r})")
st, _, body = infer("strs", {"inputs": [{"name": "s", "datatype": "BYTES", "shape": [1, 2], "data": ["still", "ok"]}]})
check(st == 200 and json.loads(body)["outputs"][1]["data"] == ["still", "ok"], "strs still serving after malformed BYTES")
# String rows through dynamic batching: concurrent requests, each gets back its own rows.
import threading
results = {}
def one(i):
    rows = [[f"r{i}_{k}", "z" * (i * 7 + k)] for k in range(1 + i % 3)]
    st, _, body = infer("strs", {"inputs": [{"name": "s", "datatype": "BYTES", "shape": [len(rows), 2], "data": rows}]})
    results[i] = st if st != 200 else json.loads(body)["outputs"][0]["data"] == [v for r in rows for v in r * 2]
threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
[t.start() for t in threads]; [t.join() for t in threads]
check(len(results) == 8 and all(v is True for v in results.values()), f"concurrent BYTES requests through the batcher ({results})")
st, _, m = req("GET", "/metrics")
_e = _re.search(rb'nv_inference_exec_count\{model="strs",version="1"\} (\d+)', m)
print(f"info strs: {_e.group(1).decode() if _e else '?'} executions for the requests so far")

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
