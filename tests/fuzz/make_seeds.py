#!/usr/bin/python3
"""Writes the seed corpora of the libFuzzer targets into OUT/<target>/ (generated at test time,
never committed): the ONNX conformance models (Debian libonnx-testdata) and the PP-OCR cls model
for model_load, their input .pb files and numpy-written .npy files for tensor_readers, KServe v2
requests for server_request, and a few byte strings for run_inputs.
Usage: make_seeds.py OUT [--testdata DIR] [--cls MODEL] [--max-model-bytes N]"""
import argparse
import glob
import io
import json
import os
import random
import struct

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--testdata", default="/usr/share/libonnx-testdata/data")
ap.add_argument("--cls", default="")
ap.add_argument("--max-model-bytes", type=int, default=16384)
a = ap.parse_args()


def put(target, name, data):
    d = os.path.join(a.out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# model_load: every small conformance model, and the PP-OCR cls model when it is there.
models = sorted(glob.glob(os.path.join(a.testdata, "*", "*", "model.onnx")))
n_models = 0
for m in models:
    if os.path.getsize(m) <= a.max_model_bytes:
        put("model_load", os.path.basename(os.path.dirname(m)) + ".onnx", open(m, "rb").read())
        n_models += 1
if a.cls and os.path.exists(a.cls):
    put("model_load", "ppocr_cls.onnx", open(a.cls, "rb").read())
    n_models += 1

# tensor_readers: byte 0 even = TensorProto (.pb), odd = .npy.
n_pb = 0
for pb in sorted(glob.glob(os.path.join(a.testdata, "node", "*", "test_data_set_0", "*.pb"))):
    if os.path.getsize(pb) <= 4096 and n_pb < 400:
        put("tensor_readers", "pb_%d" % n_pb, b"\x00" + open(pb, "rb").read())
        n_pb += 1
rng = np.random.default_rng(0)
dtypes = [np.float32, np.float64, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_, np.uint16,
          np.uint32, np.uint64, np.float16]
n_npy = 0
for dt in dtypes:
    for shape in [(), (0,), (3,), (2, 3), (1, 2, 2, 2)]:
        buf = io.BytesIO()
        np.save(buf, (rng.standard_normal(shape) * 10).astype(dt))
        put("tensor_readers", "npy_%d" % n_npy, b"\x01" + buf.getvalue())
        n_npy += 1

# server_request: byte 0 = method (0 GET, 1 POST), then target \n header-length \n body.
def req(name, method, target, body=b"", header=b""):
    put("server_request", name, bytes([method]) + target.encode() + b"\n" + header + b"\n" + body)

req("live", 0, "/v2/health/live")
req("ready", 0, "/v2/health/ready")
req("server_meta", 0, "/v2")
req("model_meta", 0, "/v2/models/two")
req("model_ready", 0, "/v2/models/elt/versions/1/ready")
two = {"id": "r1", "inputs": [{"name": "a", "datatype": "FP32", "shape": [2, 2], "data": [1, 2, 3, 4]},
                              {"name": "b", "datatype": "FP32", "shape": [2, 2], "data": [[1, 2], [3, 4]]}],
       "outputs": [{"name": "out"}]}
req("infer_json", 1, "/v2/models/two/infer", json.dumps(two).encode())
elt = {"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 3], "data": [0.5, -1, 2]}],
       "parameters": {"timeout": 100000}, "outputs": [{"name": "z", "parameters": {"binary_data": True}}]}
req("infer_batch", 1, "/v2/models/elt/infer", json.dumps(elt).encode())
hdr = {"inputs": [{"name": "a", "datatype": "FP32", "shape": [1, 2], "parameters": {"binary_data_size": 8}},
                  {"name": "b", "datatype": "FP32", "shape": [1, 2], "parameters": {"binary_data_size": 8}}]}
hj = json.dumps(hdr).encode()
req("infer_binary", 1, "/v2/models/two/versions/1/infer", hj + struct.pack("<4f", 1, 2, 3, 4), str(len(hj)).encode())
# BYTES (string tensors) on "str" (s [N, C] STRING -> dup): JSON strings and the binary form
# (per element a 4-byte little-endian length, then its bytes).
sj = {"inputs": [{"name": "s", "datatype": "BYTES", "shape": [2, 2], "data": [["a", "\u00e9"], ["", "x\u0000y"]]}]}
req("infer_bytes_json", 1, "/v2/models/str/infer", json.dumps(sj).encode())
blob = b"".join(struct.pack("<I", len(v)) + v for v in [b"ab", b"", b"\xff\xfe", b"zz"])
sh = json.dumps({"inputs": [{"name": "s", "datatype": "BYTES", "shape": [2, 2], "parameters": {"binary_data_size": len(blob)}}],
                 "outputs": [{"name": "dup", "parameters": {"binary_data": True}}]}).encode()
req("infer_bytes_binary", 1, "/v2/models/str/infer", sh + blob, str(len(sh)).encode())
req("infer_bytes_truncated", 1, "/v2/models/str/infer", sh + blob[:-3], str(len(sh)).encode())

# run_inputs: byte 0 picks the model, then per input a selector, dims and values.
r = random.Random(1)
for i in range(32):
    put("run_inputs", "r%d" % i, bytes([i % 14] + [r.randrange(256) for _ in range(r.choice([8, 32, 128, 512]))]))

print("seeds: %d models, %d .pb, %d .npy, server and run_inputs in %s" % (n_models, n_pb, n_npy, a.out))
