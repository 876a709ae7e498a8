//! Small int8 ONNX graphs as dram's `cpu` export writes them, built in tests of the int8
//! rewrites (each rewrite alone, and the pass list's int8 passes together).

use tract_core::internal::*;

use crate::format::onnx::tensor_proto::DataType;
use crate::format::onnx::tensor_shape_proto::{dimension, Dimension};
use crate::format::onnx::{type_proto, AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto, ValueInfoProto};

/// `Gather(ta, ia)`, the int8 input `xd`, `Gather(tb, ib)` and the one-column int8 input `xa`,
/// concatenated and fed to two int8 layers as dram's `cpu` export writes them.
pub(crate) fn embedding_model(hidden: usize) -> ModelProto {
    let (wa, wd, wb) = (3, 2, 2);
    let k = wa + wd + wb + 1;
    let ta: Vec<i8> = (0..6 * wa).map(|i| ((i * 37 + 5) % 255) as i32 - 127).map(|v| v as i8).collect();
    let tb: Vec<i8> = (0..4 * wb).map(|i| ((i * 59 + 1) % 255) as i32 - 127).map(|v| v as i8).collect();
    let (mut inits, layers) = two_int8_layers(k, hidden, 1e-4, None);
    inits.extend([int8("ta", &[6, wa], &ta), int8("tb", &[4, wb], &tb)]);
    let mut nodes = vec![
        node("Gather", &["ta", "ia"], "ga", vec![]),
        node("Gather", &["tb", "ib"], "gb", vec![]),
        node("Concat", &["ga", "xd", "gb", "xa"], "x", vec![AttributeProto { name: "axis".into(), r#type: 2, i: 1, ..Default::default() }]),
    ];
    nodes.extend(layers);
    let inputs = vec![
        value_info("ia", DataType::Int64, &[None]),
        value_info("xd", DataType::Int8, &[None, Some(wd)]),
        value_info("ib", DataType::Int64, &[None]),
        value_info("xa", DataType::Int8, &[None, Some(1)]),
    ];
    int8_model(nodes, inits, inputs)
}

pub(crate) fn scores(model: TypedModel, ia: &[i64], xd: &[i8], ib: &[i64]) -> TractResult<Vec<f32>> {
    let xa: Vec<i8> = (0..ia.len()).map(|r| ((r * 97 + 200) % 256) as u8 as i8).collect();
    let rows = ia.len();
    let plan = model.into_optimized()?.into_runnable()?;
    let inputs = tvec!(
        tensor1(ia).into_tvalue(),
        tract_ndarray::Array2::from_shape_vec((rows, 2), xd.to_vec())?.into_tensor().into_tvalue(),
        tensor1(ib).into_tvalue(),
        tract_ndarray::Array2::from_shape_vec((rows, 1), xa)?.into_tensor().into_tvalue()
    );
    let out = plan.run(inputs)?;
    Ok(out[0].try_as_plain_ram()?.as_slice::<f32>()?.to_vec())
}

/// The initializers and nodes of two int8 layers as dram's `cpu` export writes them, from the
/// int8 value `x` (`[N, k]`) to the score `y`; `scale` sets the first layer's output scale.
pub(crate) fn two_int8_layers(k: usize, hidden: usize, scale: f32, zero_point: Option<i8>) -> (Vec<TensorProto>, Vec<NodeProto>) {
    let w1: Vec<i8> = (0..k * hidden).map(|i| ((i * 29 + 3) % 255) as i32 - 127).map(|v| v as i8).collect();
    let w2: Vec<i8> = (0..hidden).map(|i| ((i * 53 + 7) % 255) as i32 - 127).map(|v| v as i8).collect();
    let b1: Vec<i32> = (0..hidden).map(|i| (i as i32 - 3) * 97).collect();
    let s1: Vec<f32> = (0..hidden).map(|i| scale * (1.0 + i as f32 / 7.0)).collect();
    let mut inits = vec![
        int8("w1", &[k, hidden], &w1),
        int8("w2", &[hidden, 1], &w2),
        int32("b1", &[hidden], &b1),
        int32("b2", &[1], &[-411]),
        float("s1", &[hidden], &s1),
        float("s2", &[1], &[2.5e-3]),
        float("q_scale", &[], &[0.05]),
        int8("q_zero", &[], &[0]),
    ];
    let mut first = vec!["x", "w1"];
    if let Some(zp) = zero_point {
        inits.push(int8("x_zero", &[], &[zp]));
        first.push("x_zero");
    }
    let to_float = || vec![AttributeProto { name: "to".into(), r#type: 2, i: DataType::Float as i64, ..Default::default() }];
    let nodes = vec![
        node("MatMulInteger", &first, "p1", vec![]),
        node("Add", &["p1", "b1"], "a1", vec![]),
        node("Cast", &["a1"], "c1", to_float()),
        node("Mul", &["c1", "s1"], "m1", vec![]),
        node("Relu", &["m1"], "r1", vec![]),
        node("QuantizeLinear", &["r1", "q_scale", "q_zero"], "h", vec![]),
        node("MatMulInteger", &["h", "w2"], "p2", vec![]),
        node("Add", &["p2", "b2"], "a2", vec![]),
        node("Cast", &["a2"], "c2", to_float()),
        node("Mul", &["c2", "s2"], "y", vec![]),
    ];
    (inits, nodes)
}

/// An opset-17 model of `nodes` whose output is `y: f32[N, 1]`.
pub(crate) fn int8_model(nodes: Vec<NodeProto>, initializer: Vec<TensorProto>, input: Vec<ValueInfoProto>) -> ModelProto {
    let output = vec![value_info("y", DataType::Float, &[None, Some(1)])];
    let graph = GraphProto { node: nodes, initializer, input, output, ..Default::default() };
    ModelProto { ir_version: 8, opset_import: vec![OperatorSetIdProto { domain: String::new(), version: 17 }], graph: Some(graph), ..Default::default() }
}

pub(crate) fn node(op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto { op_type: op.into(), name: output.into(), input: inputs.iter().map(|s| s.to_string()).collect(), output: vec![output.into()], attribute, ..Default::default() }
}

pub(crate) fn value_info(name: &str, dt: DataType, dims: &[Option<usize>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => dimension::Value::DimValue(*v as i64),
                None => dimension::Value::DimParam("N".into()),
            }),
            ..Default::default()
        })
        .collect();
    let tensor = type_proto::Tensor { elem_type: dt as i32, shape: Some(TensorShapeProto { dim }) };
    ValueInfoProto { name: name.into(), r#type: Some(TypeProto { value: Some(type_proto::Value::TensorType(tensor)), ..Default::default() }), ..Default::default() }
}

pub(crate) fn tensor(name: &str, dt: DataType, dims: &[usize], raw: Vec<u8>) -> TensorProto {
    TensorProto { name: name.into(), data_type: dt as i32, dims: dims.iter().map(|d| *d as i64).collect(), raw_data: raw, ..Default::default() }
}

pub(crate) fn int8(name: &str, dims: &[usize], v: &[i8]) -> TensorProto {
    tensor(name, DataType::Int8, dims, v.iter().map(|x| *x as u8).collect())
}

pub(crate) fn int32(name: &str, dims: &[usize], v: &[i32]) -> TensorProto {
    tensor(name, DataType::Int32, dims, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}

pub(crate) fn float(name: &str, dims: &[usize], v: &[f32]) -> TensorProto {
    tensor(name, DataType::Float, dims, v.iter().flat_map(|x| x.to_le_bytes()).collect())
}



