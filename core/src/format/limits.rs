//! Size limits on a decoded ONNX graph, checked before tract sees it, so a hostile model file
//! cannot make the app allocate far more memory than the file's own size suggests.
//!
//! Checked: the number of nodes (subgraphs included), the element count every stored tensor
//! declares, and the output size of shape-driven operators (`ConstantOfShape`, `Expand`,
//! `Tile`) whose shape is a constant of the file, which tract folds at load time. What a
//! graph computes from run-time inputs is not covered here: docs/security.md says so.

use std::collections::HashMap;

use crate::format::onnx::{GraphProto, ModelProto, NodeProto, TensorProto};
use crate::{Error, Result};

/// Most nodes a model may hold, subgraphs included.
pub const MAX_GRAPH_NODES: usize = 100_000;
/// Most elements one stored or constant-shaped tensor may have (1 GiB of f32).
pub const MAX_TENSOR_ELEMENTS: u64 = 1 << 28;
/// Deepest nesting of subgraphs (`If`, `Loop`, `Scan` bodies).
pub const MAX_GRAPH_DEPTH: usize = 16;

/// ONNX `TensorProto.DataType` of i64.
const INT64: i32 = 7;

fn invalid(reason: String) -> Error {
    Error::NotOnnx { reason }
}

/// Checks every limit of this module on `proto`.
pub(crate) fn check(proto: &ModelProto) -> Result<()> {
    let mut nodes = 0;
    if let Some(graph) = &proto.graph {
        check_graph(graph, 0, &mut nodes)?;
    }
    Ok(())
}

fn check_graph(graph: &GraphProto, depth: usize, nodes: &mut usize) -> Result<()> {
    if depth > MAX_GRAPH_DEPTH {
        return Err(invalid(format!("subgraphs nest deeper than {MAX_GRAPH_DEPTH} levels")));
    }
    *nodes += graph.node.len();
    if *nodes > MAX_GRAPH_NODES {
        return Err(invalid(format!("the graph has over {MAX_GRAPH_NODES} nodes, the most a dram model may have")));
    }
    let mut constants: HashMap<&str, &TensorProto> = HashMap::new();
    for tensor in &graph.initializer {
        element_count(tensor)?;
        constants.insert(&tensor.name, tensor);
    }
    for node in &graph.node {
        for attribute in &node.attribute {
            for tensor in attribute.t.iter().chain(&attribute.tensors) {
                element_count(tensor)?;
            }
            for sub in attribute.g.iter().chain(&attribute.graphs) {
                check_graph(sub, depth + 1, nodes)?;
            }
        }
        if node.op_type == "Constant" {
            if let (Some(output), Some(tensor)) =
                (node.output.first(), node.attribute.iter().find_map(|a| a.t.as_ref()))
            {
                constants.insert(output, tensor);
            }
        }
        check_shape_driven(node, &constants)?;
    }
    Ok(())
}

/// Elements a tensor declares; negative or overflowing dimensions are errors.
fn element_count(tensor: &TensorProto) -> Result<u64> {
    let mut count: u64 = 1;
    for &dim in &tensor.dims {
        let dim = u64::try_from(dim)
            .map_err(|_| invalid(format!("tensor `{}` has the negative dimension {dim}", tensor.name)))?;
        count = count.saturating_mul(dim);
    }
    if count > MAX_TENSOR_ELEMENTS {
        return Err(invalid(format!(
            "tensor `{}` declares {count} elements ({:?}), over the limit of {MAX_TENSOR_ELEMENTS}",
            tensor.name, tensor.dims
        )));
    }
    Ok(count)
}

/// For operators whose output size is given by a constant input, the size that input asks for.
fn check_shape_driven(node: &NodeProto, constants: &HashMap<&str, &TensorProto>) -> Result<()> {
    let shape_input = match node.op_type.as_str() {
        "ConstantOfShape" => 0,
        "Expand" | "Tile" => 1,
        _ => return Ok(()),
    };
    let Some(tensor) = node.input.get(shape_input).and_then(|name| constants.get(name.as_str())) else {
        return Ok(());
    };
    let Some(values) = int64_values(tensor) else { return Ok(()) };
    let mut count: u64 = 1;
    for value in values {
        count = count.saturating_mul(value.unsigned_abs());
    }
    if count > MAX_TENSOR_ELEMENTS {
        return Err(invalid(format!(
            "node `{}` ({}) would build a tensor of {count} elements, over the limit of {MAX_TENSOR_ELEMENTS}",
            node.name, node.op_type
        )));
    }
    Ok(())
}

/// The values of an i64 tensor stored inline, if it is one.
fn int64_values(tensor: &TensorProto) -> Option<Vec<i64>> {
    if tensor.data_type != INT64 {
        return None;
    }
    if !tensor.int64_data.is_empty() {
        return Some(tensor.int64_data.clone());
    }
    let chunks = tensor.raw_data.chunks_exact(8);
    Some(chunks.map(|c| i64::from_le_bytes(c.try_into().expect("chunks of 8"))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::onnx::AttributeProto;

    fn int64(name: &str, values: &[i64]) -> TensorProto {
        TensorProto { name: name.into(), dims: vec![values.len() as i64], data_type: INT64, int64_data: values.to_vec(), ..Default::default() }
    }

    fn model(graph: GraphProto) -> ModelProto {
        ModelProto { graph: Some(graph), ..Default::default() }
    }

    fn node(op: &str, inputs: &[&str]) -> NodeProto {
        NodeProto { op_type: op.into(), name: "n".into(), input: inputs.iter().map(|s| s.to_string()).collect(), output: vec!["y".into()], ..Default::default() }
    }

    #[test]
    fn declared_tensor_sizes_are_bounded() {
        let mut huge = int64("w", &[1]);
        huge.dims = vec![1 << 20, 1 << 20];
        let err = check(&model(GraphProto { initializer: vec![huge.clone()], ..Default::default() })).unwrap_err();
        assert!(err.to_string().contains("declares 1099511627776 elements"), "{err}");
        huge.dims = vec![-1];
        assert!(check(&model(GraphProto { initializer: vec![huge], ..Default::default() })).is_err());
    }

    #[test]
    fn constant_shapes_of_shape_driven_ops_are_bounded() {
        for (op, inputs) in [("ConstantOfShape", vec!["s"]), ("Expand", vec!["x", "s"]), ("Tile", vec!["x", "s"])] {
            let graph = GraphProto { initializer: vec![int64("s", &[1 << 20, 1 << 20])], node: vec![node(op, &inputs)], ..Default::default() };
            assert!(check(&model(graph)).unwrap_err().to_string().contains(op));
            let small = GraphProto { initializer: vec![int64("s", &[4, 4])], node: vec![node(op, &inputs)], ..Default::default() };
            check(&model(small)).unwrap();
        }
        // A Constant node feeding the shape counts as well.
        let value = AttributeProto { name: "value".into(), t: Some(int64("", &[i64::MAX])), ..Default::default() };
        let constant = NodeProto { op_type: "Constant".into(), output: vec!["s".into()], attribute: vec![value], ..Default::default() };
        let graph = GraphProto { node: vec![constant, node("ConstantOfShape", &["s"])], ..Default::default() };
        assert!(check(&model(graph)).is_err());
    }

    #[test]
    fn node_counts_and_nesting_are_bounded() {
        let many = GraphProto { node: vec![NodeProto::default(); MAX_GRAPH_NODES + 1], ..Default::default() };
        assert!(check(&model(many)).unwrap_err().to_string().contains("nodes"));
        let mut graph = GraphProto::default();
        for _ in 0..=MAX_GRAPH_DEPTH {
            let attribute = AttributeProto { g: Some(graph), ..Default::default() };
            graph = GraphProto { node: vec![NodeProto { attribute: vec![attribute], ..Default::default() }], ..Default::default() };
        }
        assert!(check(&model(graph)).unwrap_err().to_string().contains("nest"));
    }

    #[test]
    fn the_fixtures_pass() {
        for name in ["ranker.onnx", "ranker_din.onnx", "classifier.onnx"] {
            let path = format!("{}/../tests/vectors/models/{name}", env!("CARGO_MANIFEST_DIR"));
            let proto = <ModelProto as prost::Message>::decode(std::fs::read(path).unwrap().as_slice()).unwrap();
            assert!(check(&proto).is_ok(), "{name}: {:?}", check(&proto));
        }
    }
}
