#!/usr/bin/env python3
"""Writes the consumer's model: y = Relu(x @ W + b), x [N, 4] float32 -> y [N, 3].
W[i][j] = 0.1 * (i - j), b[j] = 0.5 - 0.25 * j (consumer.cc checks the same formula)."""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W = np.array([[0.1 * (i - j) for j in range(3)] for i in range(4)], dtype=np.float32)
B = np.array([0.5 - 0.25 * j for j in range(3)], dtype=np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["z"]),
     helper.make_node("Relu", ["z"], ["y"])],
    "consumer", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "b")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, sys.argv[1])
