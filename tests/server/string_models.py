#!/usr/bin/env python3
"""String (BYTES) models for the server tests, written into a model repository:
  strs:  s STRING [N, 2] -> dup = Concat(s, s, axis 1) [N, 4], same = Identity(s) [N, 2];
         dynamic batching on (max_batch 8), so string rows are concatenated and split.
  upper: w STRING [1, C] -> u = StringNormalizer(w, case_change_action UPPER) [1, C].
   string_models.py REPO   (or import and call write(repo))"""
import json, os, sys

import onnx
from onnx import TensorProto, helper


def _save(repo, name, nodes, inputs, outputs, config):
    os.makedirs(f"{repo}/{name}/1", exist_ok=True)
    graph = helper.make_graph(nodes, name, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, f"{repo}/{name}/1/model.onnx")
    open(f"{repo}/{name}/config.json", "w").write(json.dumps(config))


def write(repo):
    _save(repo, "strs",
          [helper.make_node("Concat", ["s", "s"], ["dup"], axis=1), helper.make_node("Identity", ["s"], ["same"])],
          [helper.make_tensor_value_info("s", TensorProto.STRING, ["N", 2])],
          [helper.make_tensor_value_info("dup", TensorProto.STRING, ["N", 4]),
           helper.make_tensor_value_info("same", TensorProto.STRING, ["N", 2])],
          {"max_batch": 8, "max_queue_delay_us": 20000, "pool_size": 1, "queue_capacity": 32})
    _save(repo, "upper",
          [helper.make_node("StringNormalizer", ["w"], ["u"], case_change_action="UPPER")],
          [helper.make_tensor_value_info("w", TensorProto.STRING, [1, "C"])],
          [helper.make_tensor_value_info("u", TensorProto.STRING, [1, "C"])],
          {"pool_size": 1})


def serialize(values):
    """The BYTES wire form: per element a 4-byte little-endian length, then the bytes."""
    import struct
    out = b""
    for v in values:
        v = v.encode() if isinstance(v, str) else v
        out += struct.pack("<I", len(v)) + v
    return out


def deserialize(data):
    import struct
    out, pos = [], 0
    while pos < len(data):
        (n,) = struct.unpack_from("<I", data, pos)
        out.append(data[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


if __name__ == "__main__":
    write(sys.argv[1])
