#!/usr/bin/env python3
"""pl_server's gRPC service (inference.GRPCInferenceService, KServe v2) driven by python3-grpcio on
loopback. Message classes are generated at test time by protoc from the server's own .proto; the
calls go through grpc's generic unary-unary API with the service's method paths, as any client
generated from the published protocol does. Covers every RPC, raw and typed contents, outputs
equal to pl_run's on the same input (the PP-OCR cls model, when fetched), and each bad-request
class on both gRPC and REST: unknown model, wrong dtype, wrong shape, missing input, raw size
mismatch, both raw and typed, unknown output, deadline, full queue. BYTES (string) tensors:
bytes_contents and raw contents (4-byte length per element) both ways, malformed -> INVALID_ARGUMENT.
   grpc_test.py PL_SERVER PL_RUN MAKE_MODEL_PY PROTO [CLS_MODEL]"""
import http.client, json, os, signal, socket, subprocess, sys, tempfile, time

import numpy as np

server_bin, pl_run, make_model, proto = sys.argv[1:5]
cls_model = sys.argv[5] if len(sys.argv) > 5 and os.path.exists(sys.argv[5]) else None
tmp = tempfile.mkdtemp(prefix="pl_grpc_")
subprocess.check_call(["protoc", "-I", os.path.dirname(proto), "--python_out", tmp, proto])
sys.path.insert(0, tmp)
import grpc  # noqa: E402
import grpc_predict_v2_pb2 as pb  # noqa: E402

import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

repo = f"{tmp}/repo"
os.makedirs(f"{repo}/lin/1")
subprocess.check_call([sys.executable, make_model, f"{repo}/lin/1/model.onnx"])
open(f"{repo}/lin/config.json", "w").write('{"max_batch": 8, "pool_size": 2}')
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import string_models  # noqa: E402  (strs, upper: string tensors as BYTES)
string_models.write(repo)

# "slow": x [1, 256] tiled to [64, 256], through 40 MatMul+Tanh layers and averaged back to
# [1, 256] (0.34 GFLOP: milliseconds on any CPU, so a 0.5 ms client deadline always passes first)
# on one predictor with a queue of one, rejecting when full: the full-queue and deadline cases.
os.makedirs(f"{repo}/slow/1")
rng = np.random.default_rng(0)
inits = [numpy_helper.from_array(np.array([64, 1], np.int64), "reps")]
nodes, prev = [helper.make_node("Tile", ["x", "reps"], ["x64"])], "x64"
for i in range(40):
    inits.append(numpy_helper.from_array((rng.standard_normal((256, 256)) * 0.06).astype(np.float32), f"w{i}"))
    nodes += [helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]), helper.make_node("Tanh", [f"m{i}"], [f"t{i}"])]
    prev = f"t{i}"
nodes.append(helper.make_node("ReduceMean", [prev], ["y"], axes=[0], keepdims=1))
g = helper.make_graph(nodes, "slow", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 256])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 256])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 8
onnx.save(m, f"{repo}/slow/1/model.onnx")
open(f"{repo}/slow/config.json", "w").write('{"pool_size": 1, "queue_capacity": 1, "queue_full": "reject"}')
if cls_model:
    os.makedirs(f"{repo}/cls/1")
    os.symlink(os.path.abspath(cls_model), f"{repo}/cls/1/model.onnx")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server_ports  # noqa: E402

proc, http_port, grpc_port = server_ports.start([server_bin, "--model-repository", repo, "--exit-timeout-secs", "10"])
import atexit  # noqa: E402
atexit.register(lambda: proc.poll() is None and proc.kill())  # a test that dies mid-way leaves no server
fails = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True); cond or fails.append(what)


chan = grpc.insecure_channel(f"127.0.0.1:{grpc_port}")
SVC = "/inference.GRPCInferenceService/"
rpc = {n: chan.unary_unary(SVC + n, request_serializer=getattr(pb, n + "Request").SerializeToString,
                           response_deserializer=getattr(pb, n + "Response").FromString)
       for n in ["ServerLive", "ServerReady", "ModelReady", "ServerMetadata", "ModelMetadata", "ModelInfer"]}


def call(name, req, timeout=20):
    """(response, None) or (None, (grpc code, details))."""
    try:
        return rpc[name](req, timeout=timeout), None
    except grpc.RpcError as e:
        return None, (e.code(), e.details())


for _ in range(200):
    r, err = call("ServerLive", pb.ServerLiveRequest(), timeout=1)
    if r is not None: break
    time.sleep(0.05)
check(r is not None and r.live, "ServerLive")
r, _ = call("ServerReady", pb.ServerReadyRequest()); check(r is not None and r.ready, "ServerReady")
r, _ = call("ModelReady", pb.ModelReadyRequest(name="lin")); check(r is not None and r.ready, "ModelReady lin")
r, err = call("ModelReady", pb.ModelReadyRequest(name="nope"))
check(err and err[0] == grpc.StatusCode.NOT_FOUND, f"ModelReady unknown -> {err and err[0]}")
r, _ = call("ServerMetadata", pb.ServerMetadataRequest())
check(r is not None and r.name == "pl_server" and "binary_tensor_data" in r.extensions, "ServerMetadata")
r, _ = call("ModelMetadata", pb.ModelMetadataRequest(name="lin", version="1"))
check(r is not None and r.name == "lin" and list(r.versions) == ["1"] and r.inputs[0].name == "x" and
      r.inputs[0].datatype == "FP32" and list(r.inputs[0].shape) == [-1, 4] and r.outputs[0].name == "y",
      f"ModelMetadata ({r and list(r.inputs[0].shape)})")

# The model's formula (tests/consumer/make_model.py), computed here in float32.
W = np.array([[0.1 * (i - j) for j in range(3)] for i in range(4)], dtype=np.float32)
B = np.array([0.5 - 0.25 * j for j in range(3)], dtype=np.float32)
x = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.25, 2.0]], dtype=np.float32)
want = np.maximum(x @ W + B, 0)


def infer_req(model="lin", name="x", dtype="FP32", shape=(2, 4), raw=None, typed=None, outputs=None, **params):
    q = pb.ModelInferRequest(model_name=model, id="req-1")
    t = q.inputs.add(name=name, datatype=dtype, shape=list(shape))
    if typed is not None: t.contents.fp32_contents.extend(typed)
    if raw is not None: q.raw_input_contents.append(raw)
    for o in outputs or []: q.outputs.add(name=o)
    for k, v in params.items():
        if isinstance(v, bool): q.parameters[k].bool_param = v
        else: q.parameters[k].int64_param = v
    return q


r, err = call("ModelInfer", infer_req(raw=x.tobytes()))
got = np.frombuffer(r.raw_output_contents[0], np.float32).reshape(list(r.outputs[0].shape)) if r else None
check(r is not None and r.id == "req-1" and r.model_version == "1" and r.outputs[0].datatype == "FP32" and
      got.shape == (2, 3) and np.allclose(got, want, atol=1e-6), f"ModelInfer raw ({err})")
r, err = call("ModelInfer", infer_req(typed=x.ravel().tolist(), outputs=["y"]))
got = np.array(r.outputs[0].contents.fp32_contents, np.float32).reshape(2, 3) if r else None
check(r is not None and len(r.raw_output_contents) == 0 and np.allclose(got, want, atol=1e-6),
      f"ModelInfer typed contents ({err})")
r, err = call("ModelInfer", infer_req(typed=x.ravel().tolist(), binary_data_output=True))
check(r is not None and len(r.raw_output_contents) == 1, "typed request with binary_data_output -> raw outputs")

if cls_model:  # the real model: gRPC's outputs equal pl_run's on the same input
    xc = np.random.default_rng(1).standard_normal((1, 3, 48, 192)).astype(np.float32)
    np.save(f"{tmp}/xc.npy", xc)
    meta, _ = call("ModelMetadata", pb.ModelMetadataRequest(name="cls"))
    in_name = meta.inputs[0].name
    subprocess.check_call([pl_run, "--model", cls_model, "--input", f"{in_name}={tmp}/xc.npy",
                           "--output-dir", f"{tmp}/plrun"], stdout=subprocess.DEVNULL)
    ref = np.load(f"{tmp}/plrun/0.npy")
    r, err = call("ModelInfer", infer_req("cls", in_name, "FP32", xc.shape, raw=xc.tobytes()))
    got = np.frombuffer(r.raw_output_contents[0], np.float32).reshape(list(r.outputs[0].shape)) if r else None
    check(got is not None and got.shape == ref.shape and np.allclose(got, ref, rtol=1e-5, atol=1e-6),
          f"cls model: gRPC output equals pl_run's ({err}; max diff "
          f"{np.abs(got - ref).max() if got is not None and got.shape == ref.shape else 'n/a'})")
else:
    print("skip cls comparison: .models/ch_ppocr_mobile_v2.0_cls_infer.onnx not fetched")

# Bad requests: gRPC code and the SDK's or server's message.
two = pb.ModelInferRequest(model_name="lin")
two.inputs.add(name="x", datatype="FP32", shape=[2, 4]); two.raw_input_contents.extend([x.tobytes(), x.tobytes()])
both = infer_req(raw=x.tobytes()); both.inputs[0].contents.fp32_contents.extend([1.0] * 8)
IA, NF = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
bad = {
    "unknown model": (infer_req(model="nope", raw=x.tobytes()), NF, "unknown model"),
    "wrong dtype": (infer_req(dtype="INT64", raw=np.zeros((2, 4), np.int64).tobytes()), IA, "x"),
    "wrong shape": (infer_req(shape=(2, 5), raw=np.zeros((2, 5), np.float32).tobytes()), IA, "x"),
    "missing input": (pb.ModelInferRequest(model_name="lin"), IA, "x"),
    "unknown input": (infer_req(name="q", raw=x.tobytes()), IA, "q"),
    "raw size mismatch": (infer_req(raw=x.tobytes()[:12]), IA, "needs 32"),
    "typed count mismatch": (infer_req(typed=[1.0, 2.0]), IA, "needs 8"),
    "both raw and typed": (both, IA, "both"),
    "raw count != inputs": (two, IA, "raw_input_contents"),
    "unknown datatype": (infer_req(dtype="FP8", raw=b""), IA, "FP8"),
    "unknown output": (infer_req(raw=x.tobytes(), outputs=["zz"]), IA, "zz"),
    "huge shape, tiny data": (infer_req(shape=(1 << 20, 1 << 20), raw=x.tobytes()), IA, "more elements"),
}
for name, (q, code, needle) in bad.items():
    r, err = call("ModelInfer", q)
    check(err is not None and err[0] == code and needle in err[1], f"gRPC {name} -> {err}")

# Deadline: the request's timeout parameter (1 us) and a client deadline, on the slow model.
xs = np.zeros((1, 256), np.float32)
r, err = call("ModelInfer", infer_req("slow", "x", "FP32", (1, 256), raw=xs.tobytes(), timeout=1))
check(err is not None and err[0] == grpc.StatusCode.DEADLINE_EXCEEDED, f"gRPC timeout parameter -> {err}")
r, err = call("ModelInfer", infer_req("slow", "x", "FP32", (1, 256), raw=xs.tobytes()), timeout=0.0005)
check(err is not None and err[0] == grpc.StatusCode.DEADLINE_EXCEEDED, f"gRPC deadline -> {err and err[0]}")

# Full queue: 48 concurrent calls on one predictor with a queue of one.
futs = [rpc["ModelInfer"].future(infer_req("slow", "x", "FP32", (1, 256), raw=xs.tobytes()), timeout=30)
        for _ in range(48)]
codes = []
for f in futs:
    try: f.result(); codes.append(grpc.StatusCode.OK)
    except grpc.RpcError as e: codes.append(e.code()); exhausted_msg = e.details()
n_ok, n_full = codes.count(grpc.StatusCode.OK), codes.count(grpc.StatusCode.RESOURCE_EXHAUSTED)
check(n_ok >= 1 and n_full >= 1 and n_ok + n_full == 48, f"gRPC full queue: {n_ok} OK, {n_full} RESOURCE_EXHAUSTED of 48")

# The same classes over REST.
def rest(path, body):
    c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=20)
    c.request("POST", path, body=json.dumps(body)); resp = c.getresponse(); data = resp.read(); c.close()
    return resp.status, json.loads(data)


def jin(name="x", dtype="FP32", shape=(2, 4), data=None):
    return {"name": name, "datatype": dtype, "shape": list(shape), "data": data if data is not None else [0.0] * 8}


rest_bad = {
    "unknown model": ("/v2/models/nope/infer", {"inputs": [jin()]}, 404),
    "wrong dtype": ("/v2/models/lin/infer", {"inputs": [jin(dtype="INT64", data=[1] * 8)]}, 400),
    "wrong shape": ("/v2/models/lin/infer", {"inputs": [jin(shape=(2, 5), data=[0.0] * 10)]}, 400),
    "missing input": ("/v2/models/lin/infer", {"inputs": []}, 400),
    "unknown input": ("/v2/models/lin/infer", {"inputs": [jin(name="q")]}, 400),
    "data count mismatch": ("/v2/models/lin/infer", {"inputs": [jin(data=[1.0])]}, 400),
    "unknown output": ("/v2/models/lin/infer", {"inputs": [jin()], "outputs": [{"name": "zz"}]}, 400),
    "huge shape, tiny data": ("/v2/models/lin/infer", {"inputs": [jin(shape=(1 << 20, 1 << 20))]}, 400),
    "deadline": ("/v2/models/slow/infer", {"inputs": [jin(shape=(1, 256), data=[0.0] * 256)],
                                           "parameters": {"timeout": 1}}, 504),
}
for name, (path, body, code) in rest_bad.items():
    st, data = rest(path, body)
    check(st == code and "error" in data, f"REST {name} -> {st} (want {code}): {data.get('error', '')[:90]}")

# ---- BYTES (string tensors) ----
r, _ = call("ModelMetadata", pb.ModelMetadataRequest(name="strs"))
check(r is not None and [t.datatype for t in list(r.inputs) + list(r.outputs)] == ["BYTES"] * 3, "ModelMetadata: strings are BYTES")


def bytes_req(model="strs", name="s", shape=(2, 2), values=None, raw=None, outputs=None, **params):
    q = pb.ModelInferRequest(model_name=model)
    t = q.inputs.add(name=name, datatype="BYTES", shape=list(shape))
    if values is not None: t.contents.bytes_contents.extend(values)
    if raw is not None: q.raw_input_contents.append(raw)
    for o in outputs or []: q.outputs.add(name=o)
    for k, v in params.items(): q.parameters[k].bool_param = v
    return q


vals = [b"ab", b"\xff\x00\xfe", b"", "日本".encode()]
r, err = call("ModelInfer", bytes_req(values=vals))
check(r is not None and [o.datatype for o in r.outputs] == ["BYTES", "BYTES"] and list(r.outputs[0].shape) == [2, 4] and
      list(r.outputs[0].contents.bytes_contents) == vals[:2] * 2 + vals[2:] * 2 and
      list(r.outputs[1].contents.bytes_contents) == vals and len(r.raw_output_contents) == 0,
      f"BYTES bytes_contents round trip ({err})")
r, err = call("ModelInfer", bytes_req(raw=string_models.serialize(vals), outputs=["same"]))
check(r is not None and len(r.raw_output_contents) == 1 and string_models.deserialize(r.raw_output_contents[0]) == vals,
      f"BYTES raw contents round trip ({err})")
r, err = call("ModelInfer", bytes_req(values=vals, outputs=["dup"], binary_data_output=True))
check(r is not None and string_models.deserialize(r.raw_output_contents[0]) == vals[:2] * 2 + vals[2:] * 2,
      f"BYTES typed in, binary_data_output -> raw out ({err})")
r, err = call("ModelInfer", bytes_req("upper", "w", (1, 3), [b"abc", b"x y", b""]))
check(r is not None and list(r.outputs[0].contents.bytes_contents) == [b"ABC", b"X Y", b""], f"BYTES StringNormalizer UPPER ({err})")
ser2 = string_models.serialize([b"ab", b"cd"])
bad_bytes = {
    "bytes_contents count mismatch": bytes_req(values=[b"a"] * 3),
    "no contents": bytes_req(),
    "raw truncated length prefix": bytes_req(shape=(1, 2), raw=ser2 + b"\x01"),
    "raw length past the end": bytes_req(shape=(1, 2), raw=string_models.serialize([b"ab"]) + b"\x09\x00\x00\x00abc"),
    "raw length 0xffffffff": bytes_req(shape=(1, 2), raw=string_models.serialize([b"ab"]) + b"\xff\xff\xff\xff"),
    "raw too few elements": bytes_req(shape=(1, 3), raw=string_models.serialize([b"abcdefgh", b"ij"])),
    "raw too many elements": bytes_req(shape=(1, 2), raw=ser2 + string_models.serialize([b"x"])),
    "raw under 4 bytes an element": bytes_req(shape=(5, 2), raw=ser2),
    "raw and bytes_contents both": bytes_req(shape=(1, 2), values=[b"a", b"b"], raw=ser2),
}
for name, q in bad_bytes.items():
    r, err = call("ModelInfer", q)
    check(err is not None and err[0] == IA and "'s'" in err[1], f"gRPC BYTES {name} -> {err}")
r, err = call("ModelInfer", bytes_req(shape=(1, 2), values=[b"still", b"ok"], outputs=["same"]))
check(r is not None and list(r.outputs[0].contents.bytes_contents) == [b"still", b"ok"], "strs still serving after malformed BYTES")

r, _ = call("ModelInfer", infer_req(raw=x.tobytes()))
check(r is not None, "still serving after bad requests")
c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10); c.request("GET", "/metrics")
metrics = c.getresponse().read().decode(); c.close()
check('nv_inference_request_failure{model="lin",version="1",reason="bad_request"}' in metrics and
      'reason="queue_full"' in metrics and 'reason="timeout"' in metrics, "metrics count gRPC failures by reason")

# A second server on a port in use fails to start and says which port, instead of sharing it
# (gRPC's SO_REUSEPORT would let both listen and split new connections between them).
for flag, port in (("--grpc-port", grpc_port), ("--http-port", http_port)):
    other = {"--grpc-port": ["--http-port", "0"], "--http-port": ["--grpc-port", "0"]}[flag]
    try:
        r2 = subprocess.run([server_bin, "--model-repository", repo, flag, str(port)] + other,
                            capture_output=True, text=True, timeout=60)
        check(r2.returncode != 0 and str(port) in r2.stderr, f"second server on {flag} {port}: exit {r2.returncode}, "
              f"{r2.stderr.strip().splitlines()[-1] if r2.stderr.strip() else 'no message'}")
    except subprocess.TimeoutExpired:
        check(False, f"second server on {flag} {port} started and kept running")
r, _ = call("ModelInfer", infer_req(raw=x.tobytes()))
check(r is not None, "first server still serving after a second one was refused its port")

proc.send_signal(signal.SIGTERM)
rc = proc.wait(timeout=20)
check(rc == 0, f"SIGTERM exit code {rc}")
sys.exit(1 if fails else 0)
