"""Builds a "third-party" ranker teacher with the `onnx` Python package (not with dram's
exporter): an item popularity bias plus a user-item dot product, squashed to a probability, with
input names of its own. Usage: make_teacher.py OUT.onnx MANIFEST.json ITEMS USERS"""
import json
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, manifest_path, items, users = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(5)
dim = 6
item_table = rng.normal(0, 0.5, (items + 1, dim)).astype(np.float32)
user_table = rng.normal(0, 0.5, (users + 1, dim)).astype(np.float32)
item_bias = rng.normal(0, 2, (items + 1, 1)).astype(np.float32)

graph = helper.make_graph(
    [
        helper.make_node("Gather", ["item_table", "product"], ["item_vec"], axis=0),
        helper.make_node("Gather", ["user_table", "shopper"], ["user_vec"], axis=0),
        helper.make_node("Gather", ["item_bias", "product"], ["bias"], axis=0),
        helper.make_node("Mul", ["item_vec", "user_vec"], ["prod"]),
        helper.make_node("ReduceSum", ["prod", "axes"], ["dot"], keepdims=1),
        helper.make_node("Add", ["dot", "bias"], ["logit"]),
        helper.make_node("Sigmoid", ["logit"], ["p_click"]),
    ],
    "third_party_teacher",
    [
        helper.make_tensor_value_info("product", TensorProto.INT64, ["N"]),
        helper.make_tensor_value_info("shopper", TensorProto.INT64, ["N"]),
    ],
    [helper.make_tensor_value_info("p_click", TensorProto.FLOAT, ["N", 1])],
    [
        numpy_helper.from_array(item_table, "item_table"),
        numpy_helper.from_array(user_table, "user_table"),
        numpy_helper.from_array(item_bias, "item_bias"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"),
    ],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="onnx-python")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, out)

manifest = {
    "schema_version": 1,
    "task": "ranker",
    "features": [
        {"name": "item_id", "input": "product", "scope": "candidate",
         "kind": {"type": "categorical", "vocab_size": items}, "item_key": True},
        {"name": "user_id", "input": "shopper", "scope": "context",
         "kind": {"type": "categorical", "vocab_size": users}},
    ],
    "outputs": [{"name": "p_click", "meaning": {"type": "probability"}}],
    "provenance": {"tool": "onnx-python", "teacher": "third-party dot-product model"},
}
with open(manifest_path, "w") as f:
    json.dump(manifest, f)
