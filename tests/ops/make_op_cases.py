#!/usr/bin/python3
"""Single-op (or few-op) models with reference outputs computed independently in NumPy, for the op
families whose tests compare with NumPy at test time (quantization, signal). Writes
<out>/<case>/model.onnx, input_<i>.npy, output_<i>.npy; never committed.

  /usr/bin/python3 tests/ops/make_op_cases.py OUT_DIR [family ...]   (families: quant signal)

The references follow the ONNX operator text, written here from scratch with NumPy (never ONNX's
own reference implementation): quantize = saturate(rint(x / scale) + zp) with rint rounding half
to even; QLinear* requantize int64-exact accumulators with the float32 multiplier
(x_scale * w_scale) / y_scale, as ONNX Runtime does.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20261203)
NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int32): TensorProto.INT32,
              np.dtype(np.int64): TensorProto.INT64, np.dtype(np.float64): TensorProto.DOUBLE,
              np.dtype(np.float16): TensorProto.FLOAT16}


def save_case(out, name, op, inputs, outputs, opset, **attrs):
    """One node `op` with graph inputs in0.. (None = omitted optional input) and outputs out0.."""
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    in_names = ["" if a is None else f"in{i}" for i, a in enumerate(inputs)]
    while in_names and in_names[-1] == "":
        in_names.pop()
    node = helper.make_node(op, in_names, [f"out{i}" for i in range(len(outputs))], **attrs)
    feeds = [(n, a) for n, a in zip(in_names, inputs) if n]
    g = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info(n, NP_TO_ONNX[a.dtype], a.shape) for n, a in feeds],
        [helper.make_tensor_value_info(f"out{i}", NP_TO_ONNX[a.dtype], a.shape) for i, a in enumerate(outputs)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, (_, a) in enumerate(feeds):
        np.save(os.path.join(d, f"input_{i}.npy"), a)
    for i, a in enumerate(outputs):
        np.save(os.path.join(d, f"output_{i}.npy"), a)


# ----- quantization -----

def qrange(dt):
    info = np.iinfo(dt)
    return info.min, info.max


def quantize(x, scale, zp, dt):
    """saturate(rint(x / scale) + zp); scale and zp already broadcast against x (float32 math)."""
    lo, hi = qrange(dt)
    q = np.rint(x.astype(np.float32) / scale.astype(np.float32)).astype(np.float64) + zp.astype(np.float64)
    return np.clip(q, lo, hi).astype(dt)


def per_axis(v, rank, axis):
    shape = [1] * rank
    shape[axis] = v.size
    return v.reshape(shape)


def rand_q(shape, dt):
    lo, hi = qrange(dt)
    return rng.integers(lo, hi + 1, size=shape).astype(dt)


def with_halves(shape, scale):
    """Random floats where about a third sit exactly on a rounding tie (k + 0.5) * scale."""
    x = (rng.standard_normal(shape) * 40 * scale).astype(np.float32)
    ties = ((rng.integers(-300, 300, size=shape) + 0.5) * scale).astype(np.float32)
    pick = rng.random(shape) < 0.33
    return np.where(pick, ties, x).astype(np.float32)


def quant_cases(out):
    # QuantizeLinear, per tensor uint8 (ties: scale a power of two keeps k + 0.5 exact).
    x = with_halves((3, 5, 7), 0.0625)
    s, z = np.float32(0.0625), np.uint8(131)
    save_case(out, "quantize_u8_tensor", "QuantizeLinear", [x, np.array(s), np.array(z)],
              [quantize(x, np.array(s), np.array(z), np.uint8)], 13)
    # No zero point: uint8, zp 0 (negatives saturate at 0).
    save_case(out, "quantize_u8_no_zp", "QuantizeLinear", [x, np.array(s)],
              [quantize(x, np.array(s), np.array(0), np.uint8)], 13)
    # Per axis int8 along axis 1 and axis -1 (odd sizes, big values saturate).
    x = with_halves((2, 5, 3, 4), 0.125) * 3
    sc = np.array([0.125, 0.25, 0.5, 1.0, 0.03125], np.float32)
    zp = np.array([-7, 0, 3, 100, -128], np.int8)
    save_case(out, "quantize_s8_axis1", "QuantizeLinear", [x, sc, zp],
              [quantize(x, per_axis(sc, 4, 1), per_axis(zp, 4, 1), np.int8)], 13, axis=1)
    sc4 = np.array([0.5, 0.0625, 2.0, 0.25], np.float32)
    zp4 = np.array([10, 128, 250, 0], np.uint8)
    save_case(out, "quantize_u8_axis_last", "QuantizeLinear", [x, sc4, zp4],
              [quantize(x, per_axis(sc4, 4, 3), per_axis(zp4, 4, 3), np.uint8)], 13, axis=-1)
    # Non-power-of-two scale (the division rounds in float32, as the kernel's does).
    x = (rng.standard_normal((257,)) * 3).astype(np.float32)
    save_case(out, "quantize_s8_odd_scale", "QuantizeLinear", [x, np.array(0.0173, np.float32), np.array(-5, np.int8)],
              [quantize(x, np.array(0.0173, np.float32), np.array(-5), np.int8)], 13)

    # DequantizeLinear: (q - zp) * scale.
    q = rand_q((4, 3, 5), np.uint8)
    save_case(out, "dequantize_u8_tensor", "DequantizeLinear", [q, np.array(0.037, np.float32), np.array(128, np.uint8)],
              [((q.astype(np.int32) - 128).astype(np.float32) * np.float32(0.037)).astype(np.float32)], 13)
    q = rand_q((6, 3, 2, 2), np.int8)
    sc = (rng.random(6) * 0.1 + 0.001).astype(np.float32)
    zp = rng.integers(-20, 20, 6).astype(np.int8)
    want = ((q.astype(np.int32) - per_axis(zp, 4, 0)).astype(np.float32) * per_axis(sc, 4, 0)).astype(np.float32)
    save_case(out, "dequantize_s8_axis0", "DequantizeLinear", [q, sc, zp], [want], 13, axis=0)
    b = rng.integers(-2**30, 2**30, size=(9,)).astype(np.int32)
    save_case(out, "dequantize_i32_bias", "DequantizeLinear", [b, np.array(0.00031, np.float32)],
              [(b.astype(np.float32) * np.float32(0.00031)).astype(np.float32)], 13)

    # DynamicQuantizeLinear: uint8 over [min(0, min x), max(0, max x)].
    for name, x in (("dynamic_quantize_mixed", (rng.standard_normal((3, 17)) * 2.5).astype(np.float32)),
                    ("dynamic_quantize_positive", (rng.random((40,)) * 7 + 0.5).astype(np.float32))):
        lo, hi = min(0.0, float(x.min())), max(0.0, float(x.max()))
        scale = np.float32((np.float32(hi) - np.float32(lo)) / np.float32(255))
        zp = np.uint8(np.clip(np.rint(np.float32(0) - np.float32(lo) / scale), 0, 255))
        save_case(out, name, "DynamicQuantizeLinear", [x],
                  [quantize(x, np.array(scale), np.array(zp), np.uint8), np.array(scale, np.float32),
                   np.array(zp, np.uint8)], 11)

    # QLinearConv / ConvInteger.
    conv_cases = [
        # name, x dtype, w dtype, y dtype, N C H W, M kh kw, group, stride, dilation, pads, per_channel, bias
        ("u8u8_3x3", np.uint8, np.uint8, np.uint8, (1, 3, 9, 7), (5, 3, 3), 1, 1, 1, (1, 1, 1, 1), False, True),
        ("u8s8_group_stride", np.uint8, np.int8, np.uint8, (2, 4, 8, 7), (6, 3, 2), 2, 2, 1, (0, 1, 1, 0), True, True),
        ("s8s8_depthwise_dil", np.int8, np.int8, np.int8, (1, 6, 10, 9), (6, 3, 3), 6, 1, 2, (2, 2, 2, 2), True, False),
        ("u8s8_pointwise", np.uint8, np.int8, np.int8, (1, 7, 5, 6), (9, 1, 1), 1, 1, 1, (0, 0, 0, 0), True, True),
    ]
    for name, xt, wt, yt, xs, (m, kh, kw), group, stride, dil, pads, per_ch, has_bias in conv_cases:
        x = rand_q(xs, xt)
        w = rand_q((m, xs[1] // group, kh, kw), wt)
        xzp = np.array(int(np.mean(qrange(xt))) + 5, xt)
        wzp = (rng.integers(-10, 10, m) + (128 if wt == np.uint8 else 0)).astype(wt) if per_ch else \
            np.array(3 + (128 if wt == np.uint8 else 0), wt)
        wsc = (rng.random(m) * 0.02 + 0.002).astype(np.float32) if per_ch else np.array(0.013, np.float32)
        xsc, ysc = np.array(0.045, np.float32), np.array(0.9, np.float32)
        yzp = np.array(-4 if yt == np.int8 else 125, yt)
        bias = rng.integers(-5000, 5000, m).astype(np.int32) if has_bias else None
        acc = conv_int(x.astype(np.int64) - int(xzp), w.astype(np.int64) - per_axis(wzp.astype(np.int64), 4, 0)
                       if wzp.ndim else w.astype(np.int64) - int(wzp), group, stride, dil, pads)
        if bias is not None:
            acc = acc + bias.astype(np.int64)[None, :, None, None]
        mult = ((xsc * wsc).astype(np.float32) / ysc).astype(np.float32)
        mult = per_axis(mult, 4, 1) if mult.ndim else mult
        lo, hi = qrange(yt)
        y = np.clip(np.rint(acc.astype(np.float32) * mult).astype(np.float64) + int(yzp), lo, hi).astype(yt)
        attrs = dict(strides=[stride, stride], dilations=[dil, dil], pads=list(pads), group=group)
        save_case(out, "qlinearconv_" + name, "QLinearConv", [x, xsc, xzp, w, wsc, wzp, ysc, yzp, bias], [y], 10,
                  **attrs)
        if not per_ch or wt == xt:  # ConvInteger: x and w zero points as for QLinearConv
            save_case(out, "convinteger_" + name, "ConvInteger", [x, w, xzp, wzp],
                      [conv_int(x.astype(np.int64) - int(xzp),
                                w.astype(np.int64) - (per_axis(wzp.astype(np.int64), 4, 0) if wzp.ndim else int(wzp)),
                                group, stride, dil, pads).astype(np.int32)], 10, **attrs)

    # QLinearMatMul / MatMulInteger (numpy matmul broadcasting, int64-exact).
    for name, at, bt, yt, ash, bsh, per_col in (
            ("u8u8_2d", np.uint8, np.uint8, np.uint8, (7, 33), (33, 5), False),
            ("u8s8_batch_bcast", np.uint8, np.int8, np.uint8, (2, 1, 6, 19), (3, 19, 4), True),
            ("s8s8_3d", np.int8, np.int8, np.int8, (3, 5, 12), (3, 12, 8), True)):
        a, b = rand_q(ash, at), rand_q(bsh, bt)
        n = bsh[-1]
        azp = np.array(120 if at == np.uint8 else 4, at)
        bzp = (rng.integers(-6, 6, n) + (128 if bt == np.uint8 else 0)).astype(bt) if per_col else \
            np.array(130 if bt == np.uint8 else -2, bt)
        bsc = (rng.random(n) * 0.01 + 0.003).astype(np.float32) if per_col else np.array(0.007, np.float32)
        asc, ysc = np.array(0.021, np.float32), np.array(0.35, np.float32)
        yzp = np.array(128 if yt == np.uint8 else -1, yt)
        acc = np.matmul(a.astype(np.int64) - int(azp), b.astype(np.int64) - bzp.astype(np.int64))
        mult = ((asc * bsc).astype(np.float32) / ysc).astype(np.float32)
        lo, hi = qrange(yt)
        y = np.clip(np.rint(acc.astype(np.float32) * mult).astype(np.float64) + int(yzp), lo, hi).astype(yt)
        save_case(out, "qlinearmatmul_" + name, "QLinearMatMul", [a, asc, azp, b, bsc, bzp, ysc, yzp], [y], 10)
    a, b = rand_q((2, 1, 5, 7), np.uint8), rand_q((3, 7, 4), np.int8)
    azp = rng.integers(0, 256, 5).astype(np.uint8)  # per row of A
    bzp = rng.integers(-128, 128, 4).astype(np.int8)  # per column of B
    acc = np.matmul(a.astype(np.int64) - azp.astype(np.int64)[:, None], b.astype(np.int64) - bzp.astype(np.int64))
    save_case(out, "matmulinteger_row_col_zp", "MatMulInteger", [a, b, azp, bzp], [acc.astype(np.int32)], 10)
    a, b = rand_q((9, 16), np.int8), rand_q((16, 3), np.int8)
    save_case(out, "matmulinteger_no_zp", "MatMulInteger", [a, b],
              [np.matmul(a.astype(np.int64), b.astype(np.int64)).astype(np.int32)], 10)


def conv_int(x, w, group, stride, dil, pads):
    """Exact integer NCHW convolution (x, w int64 with zero points already subtracted; pad 0)."""
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - ((kh - 1) * dil + 1)) // stride + 1
    ow = (wd + pads[1] + pads[3] - ((kw - 1) * dil + 1)) // stride + 1
    y = np.zeros((n, m, oh, ow), np.int64)
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dil:i * dil + stride * (oh - 1) + 1:stride, j * dil:j * dil + stride * (ow - 1) + 1:stride]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,oc->nohw", patch, w[g * mg:(g + 1) * mg, :, i, j])
    return y


FAMILIES = {"quant": quant_cases}


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    for fam in sys.argv[2:] or FAMILIES:
        FAMILIES[fam](out)
    print(f"[make_op_cases] wrote {len(os.listdir(out))} cases under {out}")


if __name__ == "__main__":
    main()
