#!/usr/bin/python3
"""pl_run with bfloat16 and string tensors: .pb (TensorProto) inputs in, .npy / .pb outputs out.

Builds a model at test time: bf16 input -> Cast float32 (output 0, .npy), float32 input -> Cast
bfloat16 (output 1, .pb: .npy has no bfloat16), string input -> StringNormalizer UPPER with a
stopword (output 2, .pb with string_data). References are computed here with numpy.
usage: pl_run_types_test.py PL_RUN
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def bf16_bits_rne(x):
    """float32 -> bfloat16 bits, round to nearest even (NaN -> 0x7fc0), in numpy."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    r[np.isnan(x)] = 0x7FC0
    return r


def main():
    pl_run = sys.argv[1]
    g = helper.make_graph(
        [helper.make_node("Cast", ["b"], ["b_as_f"], to=TensorProto.FLOAT),
         helper.make_node("Cast", ["f"], ["f_as_b"], to=TensorProto.BFLOAT16),
         helper.make_node("StringNormalizer", ["s"], ["s_norm"], case_change_action="UPPER",
                          stopwords=["drop"])],
        "types",
        [helper.make_tensor_value_info("b", TensorProto.BFLOAT16, [2, 3]),
         helper.make_tensor_value_info("f", TensorProto.FLOAT, [5]),
         helper.make_tensor_value_info("s", TensorProto.STRING, [4])],
        [helper.make_tensor_value_info("b_as_f", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("f_as_b", TensorProto.BFLOAT16, [5]),
         helper.make_tensor_value_info("s_norm", TensorProto.STRING, ["n"])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)

    rng = np.random.default_rng(7)
    b_float = rng.standard_normal((2, 3)).astype(np.float32)
    b_bits = bf16_bits_rne(b_float)
    f = np.array([1.0, 1.00390625, 1.01171875, -3.3e38, np.nan], dtype=np.float32)  # ties, overflow, NaN
    s = np.array(["keep", "Drop", "zürich", ""], dtype=object)

    with tempfile.TemporaryDirectory() as d:
        onnx.save(model, os.path.join(d, "m.onnx"))
        tb = helper.make_tensor("b", TensorProto.BFLOAT16, [2, 3], b_bits.tobytes(), raw=True)
        with open(os.path.join(d, "b.pb"), "wb") as fh:
            fh.write(tb.SerializeToString())
        with open(os.path.join(d, "f.pb"), "wb") as fh:
            fh.write(numpy_helper.from_array(f, "f").SerializeToString())
        with open(os.path.join(d, "s.pb"), "wb") as fh:
            fh.write(numpy_helper.from_array(s, "s").SerializeToString())
        out = os.path.join(d, "out")
        r = subprocess.run([pl_run, "--model", os.path.join(d, "m.onnx"), "--input", "b=" + os.path.join(d, "b.pb"),
                            "--input", "f=" + os.path.join(d, "f.pb"), "--input", "s=" + os.path.join(d, "s.pb"),
                            "--output-dir", out], capture_output=True, text=True)
        print(r.stdout, r.stderr)
        assert r.returncode == 0, "pl_run failed"
        assert "output 1 'f_as_b' bfloat16 [5]" in r.stdout, r.stdout
        assert "output 2 's_norm' string [3]" in r.stdout, r.stdout

        got0 = np.load(os.path.join(out, "0.npy"))
        want0 = (b_bits.astype(np.uint32) << 16).view(np.float32)
        assert got0.dtype == np.float32 and np.array_equal(got0, want0), (got0, want0)

        t1 = onnx.load_tensor(os.path.join(out, "1.pb"))
        assert t1.data_type == TensorProto.BFLOAT16 and list(t1.dims) == [5]
        got1 = np.frombuffer(t1.raw_data, dtype=np.uint16)
        want1 = bf16_bits_rne(f)
        assert np.array_equal(got1, want1), ([hex(v) for v in got1], [hex(v) for v in want1])

        t2 = onnx.load_tensor(os.path.join(out, "2.pb"))
        assert t2.data_type == TensorProto.STRING
        got2 = [v.decode("utf-8") for v in t2.string_data]
        want2 = [w.upper() for w in s if w.lower() != "drop"]
        assert got2 == want2, (got2, want2)

        # A string feed for a bfloat16 input is refused with a message naming the input.
        r = subprocess.run([pl_run, "--model", os.path.join(d, "m.onnx"), "--input", "b=" + os.path.join(d, "s.pb"),
                            "--input", "f=" + os.path.join(d, "f.pb"), "--input", "s=" + os.path.join(d, "s.pb")],
                           capture_output=True, text=True)
        assert r.returncode == 1 and "input 'b'" in r.stderr, r.stderr
    print("pl_run bfloat16/string I/O: OK")


if __name__ == "__main__":
    main()
