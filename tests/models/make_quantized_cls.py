#!/usr/bin/python3
"""Quantizes the PP-OCR cls model (ch_ppocr_mobile_v2.0_cls_infer.onnx) with fixed scales into the
forms int8 exporters write, for the end-to-end quantized-model test (generated, never committed):

  qdq.onnx  QDQ form, as ONNX Runtime's quantizer writes it: QuantizeLinear -> DequantizeLinear on
            every activation entering or leaving a Conv/MatMul, weights stored int8 behind a
            DequantizeLinear (per output channel for Conv, per tensor for MatMul), biases int32.
  qop.onnx  QOperator form: QLinearConv / QLinearMatMul on uint8 activations, QuantizeLinear /
            DequantizeLinear only where a float op (HardSigmoid, Mul, Add, pooling...) sits between.
  dyn.onnx  Dynamic form (as ORT's quantize_dynamic writes it): DynamicQuantizeLinear, then
            ConvInteger / MatMulInteger, Cast to float, Mul by x_scale * w_scale, Add the bias.
  input.npy the test input (batch 2); meta.json: each model's graph outputs and their scales.

In qdq and qop every quantized activation X is also a graph output "X_q" (uint8), so the test
compares every quantized tensor, not only the final softmax. Scales are fixed once, from one
calibration run of the float model (BatchNormalization folded into Conv, opset 13) through pl_run
on a calibration input that differs from the test input: activations uint8 asymmetric over
[min(0, lo), max(0, hi)]; weights int8 symmetric on 7 bits ([-63, 63], ORT's reduce_range: an x86
CPU without VNNI multiplies u8 x s8 pairs in saturating int16, which full 8-bit weights overflow).

  /usr/bin/python3 tests/models/make_quantized_cls.py --model CLS.onnx --pl-run build/tools/pl_run --out DIR
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W_QMAX = 63


def float_model(path):
    """Opset 9 -> 13 for the ops of this model: Constant nodes become initializers, each
    BatchNormalization is folded into the Conv before it, Clip and Slice take attributes as inputs
    (Softmax is on a 2-D tensor, where opsets 9 and 13 agree). Returns (model, initializers)."""
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    nodes = []
    for n in g.node:
        if n.op_type == "Constant":
            inits[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        else:
            nodes.append(n)
    producer = {o: n for n in nodes for o in n.output}
    uses = {}
    for n in nodes:
        for i in n.input:
            uses[i] = uses.get(i, 0) + 1
    out = []
    for n in nodes:
        a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
        conv = producer.get(n.input[0]) if n.input else None
        if n.op_type == "BatchNormalization" and conv is not None and conv.op_type == "Conv" and uses[n.input[0]] == 1:
            gamma, beta, mean, var = (inits[i].astype(np.float64) for i in n.input[1:5])
            k = gamma / np.sqrt(var + a.get("epsilon", 1e-5))
            w = inits[conv.input[1]].astype(np.float64)
            b = inits[conv.input[2]].astype(np.float64) if len(conv.input) > 2 else np.zeros(w.shape[0])
            wn, bn = conv.input[1] + "_bn", n.output[0] + "_bias"
            inits[wn] = (w * k[:, None, None, None]).astype(np.float32)
            inits[bn] = ((b - mean) * k + beta).astype(np.float32)
            x = conv.input[0]
            del conv.input[:]
            conv.input.extend([x, wn, bn])
            conv.output[0] = n.output[0]
            continue
        if n.op_type == "Clip":
            lo, hi = n.output[0] + "_min", n.output[0] + "_max"
            inits[lo] = np.array(a.get("min", -3.4e38), np.float32)
            inits[hi] = np.array(a.get("max", 3.4e38), np.float32)
            n = helper.make_node("Clip", [n.input[0], lo, hi], list(n.output), name=n.name)
        elif n.op_type == "Slice":
            names = [n.output[0] + s for s in ("_starts", "_ends", "_axes")]
            for nm, key in zip(names, ("starts", "ends", "axes")):
                inits[nm] = np.array(a[key], np.int64)
            n = helper.make_node("Slice", [n.input[0]] + names, list(n.output), name=n.name)
        out.append(n)
    del g.node[:]
    g.node.extend(out)
    used = {i for n in out for i in n.input}
    inits = {k: v for k, v in inits.items() if k in used}
    del g.initializer[:]
    g.initializer.extend(numpy_helper.from_array(v, k) for k, v in inits.items())
    del m.opset_import[:]
    m.opset_import.extend([helper.make_opsetid("", 13)])
    del g.value_info[:]
    return m, inits


def quantized_tensors(m, inits):
    """The activations entering or leaving a Conv/MatMul, in graph order."""
    seen = []
    for n in m.graph.node:
        if n.op_type in ("Conv", "MatMul"):
            for t in (n.input[0], n.output[0]):
                if t not in seen and t not in inits:
                    seen.append(t)
    return seen


def run_pl(pl_run, model, feeds, out_dir):
    args = [pl_run, "--model", model, "--output-dir", out_dir]
    for name, path in feeds:
        args += ["--input", f"{name}={path}"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return [np.load(os.path.join(out_dir, f"{i}.npy")) for i in range(len(os.listdir(out_dir)))]


def calibrate(m, tensors, pl_run, x):
    """min/max of each tensor over one pl_run of the float model on x."""
    probe = onnx.ModelProto()
    probe.CopyFrom(m)
    del probe.graph.output[:]
    probe.graph.output.extend(helper.make_tensor_value_info(t, TensorProto.FLOAT, None) for t in tensors)
    with tempfile.TemporaryDirectory() as d:
        onnx.save(probe, os.path.join(d, "probe.onnx"))
        np.save(os.path.join(d, "x.npy"), x)
        vals = run_pl(pl_run, os.path.join(d, "probe.onnx"), [(m.graph.input[0].name, os.path.join(d, "x.npy"))],
                      os.path.join(d, "out"))
    return {t: (float(v.min()), float(v.max()), ["N"] + list(v.shape[1:])) for t, v in zip(tensors, vals)}


def act_params(lo, hi):
    lo, hi = min(0.0, lo), max(0.0, hi)
    scale = np.float32((hi - lo) / 255.0) if hi > lo else np.float32(1.0)
    zp = np.uint8(np.clip(np.rint(-lo / float(scale)), 0, 255))
    return scale, zp


def weight_params(w, per_channel):
    r = np.abs(w.reshape(w.shape[0], -1)).max(axis=1) if per_channel else np.array([np.abs(w).max()])
    scale = np.where(r > 0, r / W_QMAX, 1.0).astype(np.float32)
    s = scale.reshape([-1] + [1] * (w.ndim - 1)) if per_channel else scale[0]
    q = np.clip(np.rint(w / s), -W_QMAX, W_QMAX).astype(np.int8)
    return q, (scale if per_channel else np.array(scale[0], np.float32))


class Builder:
    """Collects the nodes and initializers of one quantized form."""

    def __init__(self, m, inits, shapes=None):
        self.m, self.inits, self.nodes, self.new_inits = m, inits, [], {}
        self.shapes = shapes or {}

    def const(self, name, value):
        self.new_inits[name] = value
        return name

    def node(self, op, ins, outs, **attrs):
        self.nodes.append(helper.make_node(op, ins, outs, **attrs))
        return outs[0]

    def finish(self, path, extra_outputs):
        g = onnx.GraphProto()
        g.CopyFrom(self.m.graph)
        del g.node[:]
        g.node.extend(self.nodes)
        used = {i for n in self.nodes for i in n.input}
        allinit = dict(self.inits)
        allinit.update(self.new_inits)
        del g.initializer[:]
        g.initializer.extend(numpy_helper.from_array(v, k) for k, v in allinit.items() if k in used)
        g.output.extend(helper.make_tensor_value_info(t, TensorProto.UINT8, self.shapes[t[:-2]])
                        for t in extra_outputs)
        model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_quantized_cls")
        model.ir_version = 7
        onnx.checker.check_model(model)
        onnx.save(model, path)
        return [o.name for o in g.output]


def conv_weight(n, inits, x_scale):
    """Quantized weight (per output channel) and int32 bias of Conv node n."""
    wq, ws = weight_params(inits[n.input[1]], per_channel=True)
    bias = inits[n.input[2]] if len(n.input) > 2 else np.zeros(wq.shape[0], np.float32)
    bs = (np.float32(x_scale) * ws).astype(np.float32)
    bq = np.rint(bias / bs).astype(np.int32)
    return wq, ws, bq, bs


def qdq_form(m, inits, params, shapes, path):
    b = Builder(m, inits, shapes)
    rename = {t: t + "_dq" for t in params}  # activations quantized once, read through their DQ
    pending = set(params)
    if m.graph.input[0].name in params:
        t = m.graph.input[0].name
        add_qdq(b, t, params[t])
        pending.discard(t)
    for n in m.graph.node:
        ins = [rename.get(i, i) for i in n.input]
        if n.op_type == "Conv":
            wq, ws, bq, bs = conv_weight(n, inits, params[n.input[0]][0])
            w = b.node("DequantizeLinear", [b.const(n.output[0] + "_wq", wq), b.const(n.output[0] + "_ws", ws),
                                            b.const(n.output[0] + "_wz", np.zeros(ws.shape, np.int8))],
                       [n.output[0] + "_w"], axis=0)
            bias = b.node("DequantizeLinear", [b.const(n.output[0] + "_bq", bq), b.const(n.output[0] + "_bs", bs)],
                          [n.output[0] + "_b"], axis=0)
            ins = [ins[0], w, bias]
        elif n.op_type == "MatMul" and n.input[1] in inits:
            wq, ws = weight_params(inits[n.input[1]], per_channel=False)
            ins = [ins[0], b.node("DequantizeLinear", [b.const(n.output[0] + "_wq", wq), b.const(n.output[0] + "_ws", ws),
                                                       b.const(n.output[0] + "_wz", np.array(0, np.int8))],
                                  [n.output[0] + "_w"])]
        b.nodes.append(helper.make_node(n.op_type, ins, list(n.output), name=n.name, **attr_dict(n)))
        for o in n.output:
            if o in pending:
                add_qdq(b, o, params[o])
                pending.discard(o)
    return b.finish(path, [t + "_q" for t in params])


def add_qdq(b, t, p):
    s, z = b.const(t + "_s", p[0]), b.const(t + "_z", p[1])
    b.node("QuantizeLinear", [t, s, z], [t + "_q"])
    b.node("DequantizeLinear", [t + "_q", s, z], [t + "_dq"])


def attr_dict(n):
    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


def qop_form(m, inits, params, shapes, path):
    b = Builder(m, inits, shapes)
    qlinear = [n for n in m.graph.node if n.op_type == "Conv" or (n.op_type == "MatMul" and n.input[1] in inits)]
    float_users = {i for n in m.graph.node if n not in qlinear for i in n.input} | {o.name for o in m.graph.output}
    have_q = set()

    def quantized(t):  # the uint8 form of activation t, quantizing it here if nothing made it yet
        if t not in have_q:
            b.node("QuantizeLinear", [t, b.const(t + "_s", params[t][0]), b.const(t + "_z", params[t][1])], [t + "_q"])
            have_q.add(t)
        return t + "_q"

    for n in m.graph.node:
        if n not in qlinear:
            b.nodes.append(helper.make_node(n.op_type, list(n.input), list(n.output), name=n.name, **attr_dict(n)))
            continue
        x, y = n.input[0], n.output[0]
        xs, xz = params[x]
        common = [quantized(x), b.const(x + "_s", xs), b.const(x + "_z", xz)]
        ys_, yz_ = b.const(y + "_s", params[y][0]), b.const(y + "_z", params[y][1])
        if n.op_type == "Conv":
            wq, ws, bq, _ = conv_weight(n, inits, xs)
            b.node("QLinearConv", common + [b.const(y + "_wq", wq), b.const(y + "_ws", ws),
                                            b.const(y + "_wz", np.zeros(ws.shape, np.int8)), ys_, yz_,
                                            b.const(y + "_bq", bq)], [y + "_q"], **attr_dict(n))
        else:
            wq, ws = weight_params(inits[n.input[1]], per_channel=False)
            b.node("QLinearMatMul", common + [b.const(y + "_wq", wq), b.const(y + "_ws", ws),
                                              b.const(y + "_wz", np.array(0, np.int8)), ys_, yz_], [y + "_q"])
        have_q.add(y)
        if y in float_users:
            b.node("DequantizeLinear", [y + "_q", ys_, yz_], [y])
    return b.finish(path, [t + "_q" for t in params])


def dyn_form(m, inits, path):
    b = Builder(m, inits)
    for n in m.graph.node:
        is_mm = n.op_type == "MatMul" and n.input[1] in inits
        if n.op_type != "Conv" and not is_mm:
            b.nodes.append(helper.make_node(n.op_type, list(n.input), list(n.output), name=n.name, **attr_dict(n)))
            continue
        x, y = n.input[0], n.output[0]
        xq, xs, xz = b.node("DynamicQuantizeLinear", [x], [x + "_dq8", x + "_dscale", x + "_dzp"]), x + "_dscale", x + "_dzp"
        # ORT's dynamic quantizer: uint8 weights for ConvInteger/MatMulInteger with a uint8 x.
        w = inits[n.input[1]]
        wq, ws = weight_params(w, per_channel=False)
        wq_u8 = (wq.astype(np.int16) + 128).astype(np.uint8)
        op = "ConvInteger" if n.op_type == "Conv" else "MatMulInteger"
        acc = b.node(op, [xq, b.const(y + "_wq", wq_u8), xz, b.const(y + "_wz", np.array(128, np.uint8))], [y + "_acc"],
                     **attr_dict(n))
        accf = b.node("Cast", [acc], [y + "_accf"], to=TensorProto.FLOAT)
        scale = b.node("Mul", [xs, b.const(y + "_ws", ws)], [y + "_scale"])
        if n.op_type == "Conv" and len(n.input) > 2:
            scaled = b.node("Mul", [accf, scale], [y + "_scaled"])
            b.node("Add", [scaled, b.const(y + "_bias", inits[n.input[2]].reshape(1, -1, 1, 1))], [y])
        else:
            b.node("Mul", [accf, scale], [y])
    return b.finish(path, [])


def image_like(rng, shape):
    """Smooth random images normalized as PaddleOCR does ((v - 0.5) / 0.5), NCHW float32."""
    n, c, h, w = shape
    base = rng.random((n, c, h // 4 + 1, w // 4 + 1))
    up = np.repeat(np.repeat(base, 4, axis=2), 4, axis=3)[:, :, :h, :w]
    noise = rng.random((n, c, h, w)) * 0.3
    return (((up * 0.7 + noise) - 0.5) / 0.5).astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--pl-run", required=True, help="pl_run, used for the calibration run of the float model")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    m, inits = float_model(a.model)
    rng = np.random.default_rng(7)
    calib = image_like(rng, (2, 3, 48, 192))
    x = image_like(rng, (2, 3, 48, 192))
    tensors = quantized_tensors(m, inits)
    ranges = calibrate(m, tensors, a.pl_run, calib)
    params = {t: act_params(*ranges[t][:2]) for t in tensors}
    shapes = {t: ranges[t][2] for t in tensors}
    np.save(os.path.join(a.out, "input.npy"), x)
    onnx.save(m, os.path.join(a.out, "float.onnx"))
    meta = {"input": m.graph.input[0].name,
            "scales": {t + "_q": float(params[t][0]) for t in tensors},
            "qdq": qdq_form(m, inits, params, shapes, os.path.join(a.out, "qdq.onnx")),
            "qop": qop_form(m, inits, params, shapes, os.path.join(a.out, "qop.onnx")),
            "dyn": dyn_form(m, inits, os.path.join(a.out, "dyn.onnx"))}
    with open(os.path.join(a.out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    print(f"[make_quantized_cls] {len(tensors)} quantized activations; wrote qdq, qop, dyn to {a.out}")


if __name__ == "__main__":
    main()
