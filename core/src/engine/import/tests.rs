//! Each translation against tract-onnx on one-node graphs: the same output facts, the same
//! decluttered graph (op by op) and the same values on the same inputs; plus the graphs the
//! direct import must refuse so that tract-onnx loads them.

use tract_core::internal::*;

use crate::format::onnx::attribute_proto::AttributeType;
use crate::format::onnx::tensor_shape_proto::{dimension::Value, Dimension};
use crate::format::onnx::*;


use super::translate;

const F32: i32 = 1;
const U8: i32 = 2;
const I8: i32 = 3;
const I32: i32 = 6;
const I64: i32 = 7;

/// A graph input of ONNX element type `elem_type`; a dimension is a number or a symbol name.
fn input(name: &str, elem_type: i32, dims: &[&str]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(d.parse().map(Value::DimValue).unwrap_or_else(|_| Value::DimParam(d.to_string()))),
            ..Default::default()
        })
        .collect();
    let tensor = type_proto::Tensor { elem_type, shape: Some(TensorShapeProto { dim }) };
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto { value: Some(type_proto::Value::TensorType(tensor)), ..Default::default() }),
        ..Default::default()
    }
}

fn initializer(name: &str, t: Tensor) -> TensorProto {
    let dims = t.shape().iter().map(|&d| d as i64).collect();
    let ram = t.try_as_plain_ram().unwrap();
    let (data_type, raw_data) = match t.datum_type() {
        DatumType::F32 => (F32, ram.as_slice::<f32>().unwrap().iter().flat_map(|v| v.to_le_bytes()).collect()),
        DatumType::I64 => (I64, ram.as_slice::<i64>().unwrap().iter().flat_map(|v| v.to_le_bytes()).collect()),
        DatumType::I32 => (I32, ram.as_slice::<i32>().unwrap().iter().flat_map(|v| v.to_le_bytes()).collect()),
        DatumType::I8 => (I8, ram.as_slice::<i8>().unwrap().iter().map(|v| *v as u8).collect()),
        DatumType::U8 => (U8, ram.as_slice::<u8>().unwrap().to_vec()),
        other => panic!("no initializer of {other:?} in these tests"),
    };
    TensorProto { name: name.into(), dims, data_type, raw_data, ..Default::default() }
}

fn int_attr(name: &str, i: i64) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Int as i32, i, ..Default::default() }
}

fn float_attr(name: &str, f: f32) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Float as i32, f, ..Default::default() }
}

pub(crate) fn node(op_type: &str, inputs: &[&str], attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op_type.into(),
        name: op_type.to_lowercase(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec!["y".into()],
        attribute,
        ..Default::default()
    }
}

pub(crate) fn model(inputs: Vec<ValueInfoProto>, initializers: Vec<TensorProto>, nodes: Vec<NodeProto>, opset: i64) -> ModelProto {
    let output = ValueInfoProto { name: "y".into(), ..Default::default() };
    let graph = GraphProto { node: nodes, initializer: initializers, input: inputs, output: vec![output], ..Default::default() };
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
        graph: Some(graph),
        ..Default::default()
    }
}

/// Node by node: the op's name and its output facts.
fn layout(model: &TypedModel) -> Vec<String> {
    model.nodes.iter().map(|n| format!("{} {:?}", n.op.name(), n.outputs.iter().map(|o| &o.fact).collect::<Vec<_>>())).collect()
}

/// Deterministic values for an input: small floats, or indices below `bound`.
fn values(dt: DatumType, shape: &[usize], bound: i64) -> Tensor {
    let n: usize = shape.iter().product();
    let seq = (0..n).map(|i| (i as i64 * 7 + 3) % bound);
    match dt {
        DatumType::F32 => Tensor::from_shape(shape, &seq.map(|v| v as f32 * 0.37 - 1.1).collect::<Vec<_>>()).unwrap(),
        DatumType::I64 => Tensor::from_shape(shape, &seq.collect::<Vec<_>>()).unwrap(),
        DatumType::I32 => Tensor::from_shape(shape, &seq.map(|v| v as i32 - 3).collect::<Vec<_>>()).unwrap(),
        DatumType::I8 => Tensor::from_shape(shape, &seq.map(|v| v as i8 - 5).collect::<Vec<_>>()).unwrap(),
        other => panic!("no inputs of {other:?} in these tests"),
    }
}

/// Translates `proto` directly and through tract-onnx; checks both decluttered graphs are the
/// same op by op and give the same outputs on inputs of `rows` rows (for the symbol `N`).
fn same_as_tract_onnx(proto: &ModelProto, rows: usize) {
    let ours = translate(proto).unwrap_or_else(|e| panic!("{e}"));
    let theirs = crate::format::onnx::tests::typed_by_tract_onnx(proto);
    let ours_d = ours.clone().into_decluttered().unwrap();
    let theirs_d = theirs.clone().into_decluttered().unwrap();
    assert_eq!(layout(&ours_d), layout(&theirs_d));
    let feeds: TVec<TValue> = ours
        .input_outlets()
        .unwrap()
        .iter()
        .map(|o| {
            let fact = ours.outlet_fact(*o).unwrap();
            let shape: Vec<usize> = fact.shape.iter().map(|d| d.to_i64().map_or(rows, |v| v as usize)).collect();
            values(fact.datum_type, &shape, 5).into_tvalue()
        })
        .collect();
    let run = |m: TypedModel| m.into_optimized().unwrap().into_runnable().unwrap().run(feeds.clone()).unwrap();
    let (a, b) = (run(ours), run(theirs));
    assert_eq!(a.len(), b.len());
    for (a, b) in a.iter().zip(b.iter()) {
        assert_eq!(a.datum_type(), b.datum_type());
        a.close_enough(b, Approximation::Exact).unwrap();
    }
}

pub(crate) fn x(dims: &[&str]) -> Vec<ValueInfoProto> {
    vec![input("x", F32, dims)]
}

#[test]
fn broadcasting_arithmetic() {
    for op in ["Add", "Sub", "Mul", "Div", "Min", "Max"] {
        let inputs = vec![input("x", F32, &["N", "3"]), input("z", F32, &["N", "1"])];
        same_as_tract_onnx(&model(inputs, vec![], vec![node(op, &["x", "z"], vec![])], 17), 4);
        let w = initializer("w", tensor1(&[0.5f32, -2.0, 3.0]));
        same_as_tract_onnx(&model(x(&["N", "3"]), vec![w], vec![node(op, &["x", "w"], vec![])], 17), 4);
    }
    let w = initializer("w", tensor0(2i32));
    same_as_tract_onnx(&model(vec![input("x", I32, &["N", "2"])], vec![w], vec![node("Add", &["x", "w"], vec![])], 17), 3);
}

#[test]
fn relu_cast_identity() {
    same_as_tract_onnx(&model(x(&["N", "3"]), vec![], vec![node("Relu", &["x"], vec![])], 17), 4);
    same_as_tract_onnx(&model(vec![input("x", I32, &["N", "3"])], vec![], vec![node("Cast", &["x"], vec![int_attr("to", F32.into())])], 17), 4);
    // An int8 table cast to f32 and gathered, as dram's int8 files pool their history.
    let table = initializer("t", Tensor::from_shape(&[5, 2], &[1i8, -2, 3, 4, -5, 6, 7, -8, 9, 10]).unwrap());
    let mut cast = node("Cast", &["t"], vec![int_attr("to", F32.into())]);
    cast.output = vec!["tf".into()];
    let gather = node("Gather", &["tf", "i"], vec![]);
    same_as_tract_onnx(&model(vec![input("i", I64, &["N"])], vec![table], vec![cast, gather], 17), 3);
    same_as_tract_onnx(&model(x(&["N", "3"]), vec![], vec![node("Identity", &["x"], vec![])], 17), 4);
}

#[test]
fn gather_unsqueeze_concat() {
    let table = initializer("t", Tensor::from_shape(&[5, 3], &(0..15).map(|v| v as f32).collect::<Vec<_>>()).unwrap());
    let ids = vec![input("i", I64, &["N", "2"])];
    same_as_tract_onnx(&model(ids.clone(), vec![table.clone()], vec![node("Gather", &["t", "i"], vec![int_attr("axis", 0)])], 17), 4);
    let ids32 = vec![input("i", I32, &["N"])];
    same_as_tract_onnx(&model(ids32, vec![table], vec![node("Gather", &["t", "i"], vec![])], 17), 4);
    for axes in [vec![1i64], vec![-1, 0]] {
        let axes = initializer("a", tensor1(&axes));
        same_as_tract_onnx(&model(x(&["N", "3"]), vec![axes], vec![node("Unsqueeze", &["x", "a"], vec![])], 17), 4);
    }
    let inputs = vec![input("x", F32, &["N", "3"]), input("z", F32, &["N", "1"])];
    for axis in [1, -1] {
        same_as_tract_onnx(&model(inputs.clone(), vec![], vec![node("Concat", &["x", "z", "x"], vec![int_attr("axis", axis)])], 17), 4);
    }
}

#[test]
fn reduce_sum_reduce_max_and_softmax() {
    for (axes, keep) in [(Some(vec![1i64]), 0), (Some(vec![-1]), 1), (Some(vec![0, 2]), 0), (None, 1)] {
        let mut n = node("ReduceSum", &["x"], vec![int_attr("keepdims", keep)]);
        let mut inits = vec![];
        if let Some(axes) = axes {
            n.input.push("a".into());
            inits.push(initializer("a", tensor1(&axes)));
        }
        same_as_tract_onnx(&model(x(&["N", "4", "3"]), inits, vec![n], 17), 2);
    }
    for (axes, keep) in [(Some(vec![1i64]), 1), (Some(vec![1i64]), 0), (Some(vec![-1, 0]), 1), (Some(vec![-1, 0]), 0), (None, 1)] {
        let mut attrs = vec![int_attr("keepdims", keep)];
        if let Some(axes) = axes {
            attrs.push(AttributeProto { name: "axes".into(), r#type: AttributeType::Ints as i32, ints: axes, ..Default::default() });
        }
        same_as_tract_onnx(&model(x(&["N", "4", "3"]), vec![], vec![node("ReduceMax", &["x"], attrs)], 17), 2);
    }
    same_as_tract_onnx(&model(x(&["N", "4"]), vec![], vec![node("Softmax", &["x"], vec![int_attr("axis", 1)])], 17), 3);
    same_as_tract_onnx(&model(x(&["N", "2", "4"]), vec![], vec![node("Softmax", &["x"], vec![])], 17), 3);
}

#[test]
fn gemm_and_matmul() {
    let w = initializer("w", Tensor::from_shape(&[2, 3], &[0.5f32, -1.0, 2.0, 0.25, 1.5, -0.75]).unwrap());
    let bias = initializer("b", tensor1(&[0.1f32, -0.2]));
    let gemm = |attrs: Vec<AttributeProto>, with_bias: bool| {
        let inputs: &[&str] = if with_bias { &["x", "w", "b"] } else { &["x", "w"] };
        model(x(&["N", "3"]), vec![w.clone(), bias.clone()], vec![node("Gemm", inputs, attrs)], 17)
    };
    same_as_tract_onnx(&gemm(vec![int_attr("transB", 1)], true), 4);
    same_as_tract_onnx(&gemm(vec![int_attr("transB", 1)], false), 4);
    same_as_tract_onnx(&gemm(vec![int_attr("transB", 1), float_attr("alpha", 0.5), float_attr("beta", 2.0)], true), 4);
    let m = initializer("m", Tensor::from_shape(&[3, 2], &[0.5f32, -1.0, 2.0, 0.25, 1.5, -0.75]).unwrap());
    same_as_tract_onnx(&model(x(&["N", "3"]), vec![m.clone()], vec![node("MatMul", &["x", "m"], vec![])], 17), 4);
    same_as_tract_onnx(&model(x(&["N", "4", "3"]), vec![m], vec![node("MatMul", &["x", "m"], vec![])], 17), 2);
    // A word-piece convolution: `[N, window, L, d] x [window, d, c]`, batched over the window.
    let k = initializer("k", Tensor::from_shape(&[2, 3, 2], &[0.5f32, -1.0, 2.0, 0.25, 1.5, -0.75, 1.0, 0.0, -0.5, 0.75, 0.25, 2.0]).unwrap());
    same_as_tract_onnx(&model(x(&["N", "2", "4", "3"]), vec![k], vec![node("MatMul", &["x", "k"], vec![])], 17), 2);
}

#[test]
fn int8_products_and_quantization() {
    let w = initializer("w", Tensor::from_shape(&[3, 2], &[1i8, -2, 3, 4, -5, 6]).unwrap());
    let xi = vec![input("x", I8, &["N", "3"])];
    same_as_tract_onnx(&model(xi.clone(), vec![w.clone()], vec![node("MatMulInteger", &["x", "w"], vec![])], 17), 4);
    let zps = vec![w, initializer("za", tensor0(1i8)), initializer("zb", tensor0(-1i8))];
    same_as_tract_onnx(&model(xi, zps, vec![node("MatMulInteger", &["x", "w", "za", "zb"], vec![])], 17), 4);
    let scale = initializer("s", tensor0(0.05f32));
    for zp in [Some(tensor0(0i8)), Some(tensor0(3i8)), Some(tensor0(128u8)), None] {
        let mut inits = vec![scale.clone()];
        let mut n = node("QuantizeLinear", &["x", "s"], vec![]);
        if let Some(zp) = zp {
            inits.push(initializer("z", zp));
            n.input.push("z".into());
        }
        same_as_tract_onnx(&model(x(&["N", "3"]), inits, vec![n], 17), 4);
    }
}

#[test]
fn what_the_direct_import_refuses() {
    let refused = |proto: &ModelProto| translate(proto).unwrap_err().reason;
    assert!(refused(&model(x(&["N", "3"]), vec![], vec![node("Erf", &["x"], vec![])], 17)).contains("Erf"));
    let unknown_attr = node("Relu", &["x"], vec![int_attr("fast", 1)]);
    assert!(refused(&model(x(&["N", "3"]), vec![], vec![unknown_attr], 17)).contains("fast"));
    assert!(refused(&model(x(&["N", "3"]), vec![], vec![node("Relu", &["x"], vec![])], 12)).contains("opset 12"));
    let computed_axes = vec![input("x", F32, &["N", "3"]), input("a", I64, &["1"])];
    assert!(refused(&model(computed_axes, vec![], vec![node("Unsqueeze", &["x", "a"], vec![])], 17)).contains("computed axes"));
    let mut foreign = node("Relu", &["x"], vec![]);
    foreign.domain = "com.microsoft".into();
    assert!(refused(&model(x(&["N", "3"]), vec![], vec![foreign], 17)).contains("com.microsoft"));
    assert!(refused(&model(x(&["N", "3"]), vec![], vec![node("Relu", &["missing"], vec![])], 17)).contains("missing"));
}
