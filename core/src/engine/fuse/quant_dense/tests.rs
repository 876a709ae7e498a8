//! The fused int8 layer against hand-computed values and against tract running the unfused
//! ONNX chain it replaces.

use super::*;
use crate::engine::fuse::int8_graphs::{int8_model, node, two_int8_layers, value_info};
use tract_core::optim::Optimizer;

use crate::format::onnx::tensor_proto::DataType;
use crate::format::onnx::{AttributeProto, ModelProto};

#[test]
fn apply_matches_hand_computed_values() {
    // Two outputs over three inputs: w = [[1, -2, 3], [127, -128, 0]].
    let w = [[1i8, -2, 3], [127, -128, 0]];
    let layer = QuantDense { product: Some(Product::new(3, 2, |k, m| w[m][k])), bias: vec![10, -5], scale: vec![0.5, 0.25], relu: false, requant: None };
    let x = [4i8, 1, -1, -128, 127, 2];
    let y = layer.apply(&x, 2).unwrap();
    // Row 0: (10 + 4 - 2 - 3) * 0.5 = 4.5; (-5 + 508 - 128) * 0.25 = 93.75.
    // Row 1: (10 - 128 - 254 + 6) * 0.5 = -183; (-5 - 16256 - 16256) * 0.25 = -8129.25.
    assert_eq!(y.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap(), &[4.5, 93.75, -183.0, -8129.25]);
    assert_eq!(y.shape(), &[2, 2]);

    let relu = QuantDense { relu: true, requant: Some(0.5), ..layer };
    let q = relu.apply(&x, 2).unwrap();
    // max(., 0) then round-half-even(v * 0.5), saturated: 2.25 -> 2, 46.875 -> 47, 0, 0.
    assert_eq!(q.try_as_plain_ram().unwrap().as_slice::<i8>().unwrap(), &[2, 47, 0, 0]);
    let halves = QuantDense { product: Some(Product::new(1, 1, |_, _| 1)), bias: vec![0], scale: vec![1.0], relu: false, requant: Some(1.0) };
    let q = halves.apply(&[1, 2, 3], 3).unwrap();
    assert_eq!(q.try_as_plain_ram().unwrap().as_slice::<i8>().unwrap(), &[1, 2, 3]);
    let saturating = QuantDense { requant: Some(100.0), ..halves };
    let q = saturating.apply(&[5, -5], 2).unwrap();
    assert_eq!(q.try_as_plain_ram().unwrap().as_slice::<i8>().unwrap(), &[127, -128]);
}

#[test]
fn every_block_size_and_odd_input_count_matches_a_naive_product() {
    for (inputs, outputs) in [(1, 1), (3, 2), (5, 3), (5, 7), (16, 16), (17, 20), (33, 40)] {
        let w = |k: usize, m: usize| ((k * 31 + m * 17 + 5) % 255) as i32 as i8;
        let x: Vec<i8> = (0..4 * inputs).map(|i| ((i * 53 + 9) % 256) as u8 as i8).collect();
        let product = Product::new(inputs, outputs, w);
        let mut sums = vec![0i32; 4 * outputs];
        product.accumulate(&x, outputs, &mut sums);
        let naive: Vec<i32> = (0..4)
            .flat_map(|r| (0..outputs).map(move |m| (r, m)))
            .map(|(r, m)| (0..inputs).map(|k| i32::from(x[r * inputs + k]) * i32::from(w(k, m))).sum())
            .collect();
        assert_eq!(sums, naive, "{inputs} x {outputs}");
    }
}

#[test]
fn apply_rejects_a_short_input() {
    let layer = QuantDense { product: Some(Product::new(2, 1, |k, _| k as i8)), bias: vec![0], scale: vec![1.0], relu: false, requant: None };
    assert!(layer.apply(&[1, 2, 3], 2).is_err());
}

#[test]
fn two_layers_fuse_and_score_bit_identically() {
    let proto = two_layer_model(&[5], 7, None);
    let (unfused, fused, count) = both_ways(&proto);
    assert_eq!(count, 2);
    let ops: Vec<String> = fused.nodes.iter().map(|n| n.op.name().to_string()).collect();
    assert!(!ops.iter().any(|o| o.contains("EinSum") || o.contains("MatMul") || o == "Cast"), "{ops:?}");
    assert_same_outputs(unfused, fused, &[5]);
}

#[test]
fn a_layer_with_an_input_zero_point_is_left_to_tract() {
    let proto = two_layer_model(&[5], 7, Some(3));
    let (unfused, fused, count) = both_ways(&proto);
    assert_eq!(count, 1, "only the second layer has no zero point");
    assert_same_outputs(unfused, fused, &[5]);
}

#[test]
fn a_wide_layer_keeps_tracts_product_and_fuses_its_epilogue() {
    let proto = two_layer_model(&[100], 40, None);
    let (unfused, fused, count) = both_ways(&proto);
    assert_eq!(count, 2);
    let ops: Vec<String> = fused.nodes.iter().map(|n| n.op.name().to_string()).collect();
    assert_eq!(ops.iter().filter(|o| *o == "DramQuantEpilogue").count(), 1, "100 x 40 weights exceed MAX_FUSED_WEIGHTS: {ops:?}");
    assert_eq!(ops.iter().filter(|o| *o == "DramQuantDense").count(), 1, "the 40 x 1 layer fuses whole: {ops:?}");
    assert!(ops.iter().any(|o| o.contains("EinSum")), "{ops:?}");
    assert_same_outputs(unfused, fused, &[100]);
}

#[test]
fn the_epilogue_alone_matches_hand_computed_values() {
    let layer = QuantDense { product: None, bias: vec![1, -1], scale: vec![0.5, 2.0], relu: true, requant: None };
    let y = layer.apply_to_products(&[3, 3, -5, 0], 2).unwrap();
    assert_eq!(y.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap(), &[2.0, 4.0, 0.0, 0.0]);
    assert!(layer.apply_to_products(&[1, 2, 3], 2).is_err());
    assert!(layer.apply(&[1, 2], 1).is_err(), "an epilogue has no weights for an int8 input");
}

/// Decluttered typed models without and with the fusion, and how many layers fused.
fn both_ways(proto: &ModelProto) -> (TypedModel, TypedModel, usize) {
    let mut typed = crate::format::onnx::tests::typed_by_tract_onnx(proto);
    Optimizer::declutter().optimize(&mut typed).unwrap();
    let mut fused = typed.clone();
    let count = fuse(&mut fused).unwrap();
    (typed, fused, count)
}

fn assert_same_outputs(unfused: TypedModel, fused: TypedModel, pieces: &[usize]) {
    let rows = 9;
    let xs: Vec<Vec<i8>> = pieces.iter().enumerate().map(|(p, k)| (0..rows * k).map(|i| ((i * 37 + 11 + p * 101) % 256) as u8 as i8).collect()).collect();
    let run = |model: TypedModel| {
        let plan = model.into_optimized().unwrap().into_runnable().unwrap();
        let inputs = pieces.iter().zip(&xs).map(|(k, x)| tract_ndarray::Array2::from_shape_vec((rows, *k), x.clone()).unwrap().into_tensor().into_tvalue());
        let out = plan.run(inputs.collect()).unwrap();
        out[0].try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec()
    };
    let (a, b) = (run(unfused), run(fused));
    assert_eq!(a.len(), rows);
    assert!(a.iter().any(|v| *v != a[0]), "degenerate test data: {a:?}");
    assert_eq!(a, b);
}

/// `x:int8[N, k] -> MatMulInteger(w1) -> Add -> Cast -> Mul -> Relu -> QuantizeLinear ->
/// MatMulInteger(w2) -> Add -> Cast -> Mul -> y:f32[N, 1]`, the first product optionally with
/// an input zero point.
fn two_layer_model(pieces: &[usize], hidden: usize, zero_point: Option<i8>) -> ModelProto {
    let k: usize = pieces.iter().sum();
    let (inits, layers) = two_int8_layers(k, hidden, 1e-3, zero_point);
    let names: Vec<String> = (0..pieces.len()).map(|p| format!("x{p}")).collect();
    let mut nodes = vec![];
    if pieces.len() > 1 {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        nodes.push(node("Concat", &refs, "x", vec![AttributeProto { name: "axis".into(), r#type: 2, i: 1, ..Default::default() }]));
    }
    nodes.extend(layers);
    let inputs = if pieces.len() > 1 {
        names.iter().zip(pieces).map(|(n, k)| value_info(n, DataType::Int8, &[None, Some(*k)])).collect()
    } else {
        vec![value_info("x", DataType::Int8, &[None, Some(k)])]
    };
    int8_model(nodes, inits, inputs)
}
