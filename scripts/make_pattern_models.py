#!/usr/bin/python3
"""Builds small models with the patterns real exporters emit (tf2onnx, PyTorch, Paddle2ONNX) using
the `onnx` Python package (Debian's python3-onnx), with reference outputs computed independently
in NumPy. Writes <out>/<case>/model.onnx, input_<i>.npy, output_<i>.npy.

  /usr/bin/python3 scripts/make_pattern_models.py OUT_DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(1234)


def save(out, name, model, inputs, outputs):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, a in enumerate(inputs):
        np.save(os.path.join(d, f"input_{i}.npy"), a)
    for i, a in enumerate(outputs):
        np.save(os.path.join(d, f"output_{i}.npy"), a)


def conv2d_nchw(x, w, b, pad):
    n, c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, oc, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + oh, j:j + ow]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return (y + b[None, :, None, None]).astype(np.float32)


def nhwc_transpose_pair(out):
    """tf2onnx: NHWC input, Transpose to NCHW around every conv, Transpose back at the output."""
    x = rng.standard_normal((2, 7, 9, 3)).astype(np.float32)
    w = (rng.standard_normal((5, 3, 3, 3)) * 0.3).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    nodes = [
        helper.make_node("Transpose", ["input_1:0"], ["t0"], perm=[0, 3, 1, 2], name="StatefulPartitionedCall/conv2d/Conv2D__6"),
        helper.make_node("Conv", ["t0", "conv/kernel", "conv/bias"], ["c0"], pads=[1, 1, 1, 1], name="StatefulPartitionedCall/conv2d/Conv2D"),
        helper.make_node("Relu", ["c0"], ["r0"], name="StatefulPartitionedCall/re_lu/Relu"),
        helper.make_node("Transpose", ["r0"], ["Identity:0"], perm=[0, 2, 3, 1], name="StatefulPartitionedCall/conv2d/Conv2D__8"),
    ]
    g = helper.make_graph(
        nodes, "tf2onnx",
        [helper.make_tensor_value_info("input_1:0", TensorProto.FLOAT, ["unk__6", 7, 9, 3])],
        [helper.make_tensor_value_info("Identity:0", TensorProto.FLOAT, ["unk__7", 7, 9, 5])],
        [numpy_helper.from_array(w, "conv/kernel"), numpy_helper.from_array(b, "conv/bias")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 2)],
                          producer_name="tf2onnx")
    ref = np.maximum(conv2d_nchw(x.transpose(0, 3, 1, 2).astype(np.float64), w, b, 1), 0).transpose(0, 2, 3, 1)
    save(out, "nhwc_transpose_pair", m, [x], [np.ascontiguousarray(ref)])


def int64_scalar_inputs(out):
    """PyTorch exports: an int64 scalar input (rank 0) used as a count and as a multiplier."""
    x = rng.standard_normal((4, 6)).astype(np.float32)
    k = np.array(3, dtype=np.int64)
    nodes = [
        helper.make_node("Cast", ["k"], ["kf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["x", "kf"], ["scaled"]),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, dtype=np.int64))),
        helper.make_node("Constant", [], ["one"], value=numpy_helper.from_array(np.array(1, dtype=np.int64))),
        helper.make_node("Range", ["zero", "k", "one"], ["idx"]),
        helper.make_node("Gather", ["scaled", "idx"], ["rows"], axis=0),
    ]
    g = helper.make_graph(
        nodes, "torch_jit",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 6]),
         helper.make_tensor_value_info("k", TensorProto.INT64, [])],
        [helper.make_tensor_value_info("rows", TensorProto.FLOAT, ["n", 6]),
         helper.make_tensor_value_info("idx", TensorProto.INT64, ["n"])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 14)], producer_name="pytorch")
    scaled = x * np.float32(3)
    save(out, "int64_scalar_inputs", m, [x, k], [scaled[:3], np.arange(3, dtype=np.int64)])


def arbitrary_output_names(out):
    """Output names are whatever the exporter wrote: slashes, colons, spaces, unicode."""
    x = rng.standard_normal((3, 5)).astype(np.float32)
    names = ["save_infer_model/scale_0.tmp_1", "logits:0", "out put (ü) #2"]
    nodes = [
        helper.make_node("Sigmoid", ["x"], [names[0]]),
        helper.make_node("Softmax", ["x"], [names[1]], axis=-1),
        helper.make_node("Neg", [names[0]], [names[2]]),
    ]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 5])],
                          [helper.make_tensor_value_info(n, TensorProto.FLOAT, [3, 5]) for n in names])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    s = 1 / (1 + np.exp(-x.astype(np.float64)))
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    save(out, "arbitrary_output_names", m, [x],
         [s.astype(np.float32), (e / e.sum(axis=-1, keepdims=True)).astype(np.float32), (-s).astype(np.float32)])


def many_unused_domains(out):
    """Converters import domains they never use."""
    x = rng.standard_normal((2, 3)).astype(np.float32)
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    domains = [("", 11), ("ai.onnx.ml", 2), ("com.microsoft", 1), ("ai.onnx.training", 1),
               ("ai.onnx.preview.training", 1), ("com.microsoft.experimental", 1), ("org.pytorch.aten", 1),
               ("com.microsoft.nchwc", 1)]
    m = helper.make_model(g, opset_imports=[helper.make_opsetid(d, v) for d, v in domains])
    save(out, "many_unused_domains", m, [x], [np.maximum(x, 0)])


def constants_in_subgraphs(out):
    """Weights as Constant nodes inside If branches and a Loop body; the branch depends on data."""
    x = rng.standard_normal((2, 4)).astype(np.float32)
    w_then = rng.standard_normal((4, 3)).astype(np.float32)
    w_else = rng.standard_normal((4, 3)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)

    def branch(name, w):
        return helper.make_graph(
            [helper.make_node("Constant", [], [f"{name}_w"], value=numpy_helper.from_array(w)),
             helper.make_node("MatMul", ["x", f"{name}_w"], [f"{name}_out"])],
            name, [], [helper.make_tensor_value_info(f"{name}_out", TensorProto.FLOAT, [2, 3])])

    body = helper.make_graph(
        [helper.make_node("Constant", [], ["b"], value=numpy_helper.from_array(bias)),
         helper.make_node("Add", ["acc_in", "b"], ["acc_out"]),
         helper.make_node("Identity", ["cond_in"], ["cond_out"])],
        "body",
        [helper.make_tensor_value_info("i", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_in", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("acc_out", TensorProto.FLOAT, [2, 3])])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, dtype=np.float32))),
        helper.make_node("Greater", ["s", "zero"], ["positive"]),
        helper.make_node("If", ["positive"], ["picked"], then_branch=branch("then", w_then), else_branch=branch("else", w_else)),
        helper.make_node("Constant", [], ["trips"], value=numpy_helper.from_array(np.array(3, dtype=np.int64))),
        helper.make_node("Constant", [], ["true"], value=numpy_helper.from_array(np.array(True))),
        helper.make_node("Loop", ["trips", "true", "picked"], ["y"], body=body),
    ]
    g = helper.make_graph(nodes, "paddle2onnx_like", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)], producer_name="paddle2onnx")
    for case, xv in (("constants_in_subgraphs_then", np.abs(x)), ("constants_in_subgraphs_else", -np.abs(x))):
        w = w_then if xv.sum() > 0 else w_else
        ref = (xv.astype(np.float64) @ w + 3 * bias).astype(np.float32)
        save(out, case, m, [xv], [ref])


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "pattern_models"
    for f in (nhwc_transpose_pair, int64_scalar_inputs, arbitrary_output_names, many_unused_domains,
              constants_in_subgraphs):
        f(out)
    print("pattern models written to", out)
