"""Checks that dram's exported files are standard ONNX that ONNX Runtime runs with the same
scores as dram-core: the fp32 file, the `cpu` int8 file (MatMulInteger) and the `npu` QDQ file
(static batch, inputs padded to it). Usage: check_interop.py DIR, where DIR holds fp32.onnx,
int8.onnx, npu.onnx and cases.json ({"inputs": {name: {"dtype", "shape", "data"}},
"batch": npu batch, "scores": {"fp32": [...], "int8": [...]}} with dram-core's scores).
Prints one line per model and exits non-zero on a mismatch."""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort

root = sys.argv[1]
cases = json.load(open(f"{root}/cases.json"))
inputs = {
    name: np.array(v["data"], dtype=np.int64 if v["dtype"] == "i64" else np.float32).reshape(v["shape"])
    for name, v in cases["inputs"].items()
}
rows = next(iter(inputs.values())).shape[0]


def run(path, batch=None):
    onnx.checker.check_model(onnx.load(path), full_check=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    if batch is None:
        return session.run(None, inputs)[0].reshape(rows, -1)
    out = []
    for start in range(0, rows, batch):
        chunk = {}
        for name, value in inputs.items():
            part = value[start : start + batch]
            pad = np.zeros((batch - part.shape[0],) + part.shape[1:], dtype=part.dtype)
            chunk[name] = np.concatenate([part, pad])
        out.append(session.run(None, chunk)[0][: min(batch, rows - start)])
    return np.concatenate(out).reshape(rows, -1)


failed = False
for name, path, batch, reference in [
    ("fp32", "fp32.onnx", None, "fp32"),
    ("int8 cpu", "int8.onnx", None, "int8"),
    ("int8 npu (QDQ)", "npu.onnx", cases["batch"], "int8"),
]:
    ours = np.array(cases["scores"][reference], dtype=np.float32).reshape(rows, -1)
    theirs = run(f"{root}/{path}", batch)
    diff = np.abs(ours - theirs)
    close = float(np.mean(diff <= 1e-4))
    # Rounding boundaries: ORT divides by the scale where tract multiplies by its inverse, and
    # sums in another order, so a value within an ulp of a boundary may land one step apart.
    ok = close >= 0.99 and diff.max() < 0.05
    failed |= not ok
    print(f"{name:<16} rows {rows}  within 1e-4: {close * 100:.2f}%  max |diff| {diff.max():.2e}  {'ok' if ok else 'MISMATCH'}")
sys.exit(1 if failed else 0)
