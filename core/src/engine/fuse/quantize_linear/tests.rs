//! dram's int8 rounding against tract's, value by value and as a rewritten graph.

use super::*;
use tract_core::ops::quant::{quantize_linear_f32_i8, quantize_linear_i8};

#[test]
fn requantize_is_tracts_quantize_linear() {
    let specials = [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, 126.5, 127.5, -127.5, -128.5, -129.0, 128.5, 1e9, -1e9, f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MIN_POSITIVE, f32::MAX, f32::MIN];
    let sweep = (0..200_000).map(|i| (i as f32 - 100_000.0) * 0.00173);
    for y in specials.into_iter().chain(sweep) {
        for multiplier in [1.0, 0.5, 41.9323, 1e-3] {
            assert_eq!(requantize(y, multiplier), quantize_linear_f32_i8(y, multiplier, 0), "{y} * {multiplier}");
        }
    }
}

#[test]
fn requantize_matches_hand_computed_values() {
    // Ties go to the even neighbour; saturation at both ends; NaN to zero.
    let cases = [(0.5, 0), (1.5, 2), (2.5, 2), (-2.5, -2), (-3.5, -4), (126.7, 127), (300.0, 127), (-300.0, -128), (f32::NAN, 0)];
    for (y, q) in cases {
        assert_eq!(requantize(y, 1.0), q, "{y}");
    }
    assert_eq!(requantize(10.0, 0.25), 2, "2.5 rounds to 2");
}

/// `x -> QuantizeLinear(multiplier, zero point) -> output` over `len` f32 values.
fn model(multiplier: f32, zero_point: i8, len: usize) -> TypedModel {
    let mut model = TypedModel::default();
    let x = model.add_source("x", f32::fact([len])).unwrap();
    let q = model.wire_node("q", quantize_linear_i8(multiplier, zero_point), &[x]).unwrap();
    model.select_output_outlets(&q).unwrap();
    model
}

fn run(model: TypedModel, x: &[f32]) -> Vec<i8> {
    let plan = model.into_runnable().unwrap();
    let out = plan.run(tvec!(tensor1(x).into_tvalue())).unwrap();
    out[0].try_as_plain_ram().unwrap().as_slice::<i8>().unwrap().to_vec()
}

#[test]
fn the_rewritten_graph_gives_tracts_values() {
    let x: Vec<f32> = (0..1000).map(|i| (i as f32 - 500.0) * 0.37).chain([f32::NAN, f32::INFINITY, -0.5, 0.5]).collect();
    let unfused = model(0.8, 0, x.len());
    let mut fused = unfused.clone();
    assert_eq!(fuse(&mut fused).unwrap(), 1);
    assert!(fused.nodes.iter().any(|n| n.op_is::<QuantizeI8>()));
    assert!(!fused.nodes.iter().any(|n| n.op_as::<ElementWiseOp>().is_some()));
    assert_eq!(run(fused, &x), run(unfused, &x));
}

#[test]
fn a_zero_point_is_left_to_tract() {
    let mut m = model(0.8, 3, 4);
    assert_eq!(fuse(&mut m).unwrap(), 0);
    assert!(!m.nodes.iter().any(|n| n.op_is::<QuantizeI8>()));
}

#[test]
fn eval_rejects_a_non_f32_input() {
    let op = QuantizeI8 { multiplier: 1.0 };
    assert!(op.output_facts(&[&i32::fact([2])]).is_err());
}
