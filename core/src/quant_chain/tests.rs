//! The row-by-row tower against its layers run one at a time, by hand and as ONNX graphs.

use super::*;
use crate::quant_dense::tests::{assert_same_outputs, two_layer_model};
use crate::quant_dense::Product;
use tract_onnx::tract_core::optim::Optimizer;

fn layer(inputs: usize, outputs: usize, seed: usize, relu: bool, requant: Option<f32>) -> QuantDense {
    let w = move |k: usize, m: usize| ((k * 31 + m * 17 + seed * 13) % 255) as i32 as i8;
    QuantDense {
        product: Some(Product::new(inputs, outputs, w)),
        bias: (0..outputs).map(|m| (m as i32 - 2) * 41 + seed as i32).collect(),
        scale: (0..outputs).map(|m| 1e-3 * (1.0 + m as f32 / 5.0)).collect(),
        relu,
        requant,
    }
}

fn values<T: Datum + Copy>(t: &Tensor) -> Vec<T> {
    t.try_as_plain_ram().unwrap().as_slice::<T>().unwrap().to_vec()
}

#[test]
fn a_tower_computes_what_its_layers_compute_one_at_a_time() {
    // Widths with odd inputs, every block size, a single-output score and an int8 last layer.
    let towers = [
        vec![layer(7, 5, 1, true, Some(0.09)), layer(5, 1, 2, false, None)],
        vec![layer(16, 16, 3, true, Some(0.05)), layer(16, 9, 4, false, Some(0.2)), layer(9, 3, 5, true, None)],
        vec![layer(3, 2, 6, false, Some(1.5)), layer(2, 4, 7, true, Some(0.7))],
    ];
    for layers in towers {
        let rows = 11;
        let inputs = layers[0].product.as_ref().unwrap().inputs;
        let x: Vec<i8> = (0..rows * inputs).map(|i| ((i * 53 + 9) % 256) as u8 as i8).collect();
        let mut step = layers[0].apply(&x, rows).unwrap();
        for l in &layers[1..] {
            step = l.apply(&values::<i8>(&step), rows).unwrap();
        }
        let chained = QuantChain { layers: layers.clone() }.apply(&x, rows).unwrap();
        assert_eq!(chained.shape(), step.shape());
        match layers.last().unwrap().requant {
            Some(_) => assert_eq!(values::<i8>(&chained), values::<i8>(&step)),
            None => {
                let v = values::<f32>(&chained);
                assert!(v.iter().any(|y| *y != v[0]), "degenerate test data: {v:?}");
                assert_eq!(v, values::<f32>(&step));
            }
        }
    }
}

#[test]
fn only_layers_that_requantize_into_a_matching_width_join() {
    let (a, b) = (layer(4, 3, 1, true, Some(0.1)), layer(3, 1, 2, false, None));
    assert!(QuantChain::joined(std::slice::from_ref(&a), &b).is_some());
    let real_output = QuantDense { requant: None, ..a.clone() };
    assert!(QuantChain::joined(&[real_output], &b).is_none(), "an f32 output cannot feed an int8 product");
    assert!(QuantChain::joined(std::slice::from_ref(&a), &layer(4, 1, 3, false, None)).is_none(), "3 outputs cannot feed 4 inputs");
    let epilogue = QuantDense { product: None, ..b };
    assert!(QuantChain::joined(&[a], &epilogue).is_none(), "tract's product stays a separate node");
}

#[test]
fn apply_rejects_a_short_input() {
    let chain = QuantChain { layers: vec![layer(4, 3, 1, true, Some(0.1)), layer(3, 1, 2, false, None)] };
    assert!(chain.apply(&[1, 2, 3], 1).is_err());
}

#[test]
fn an_onnx_tower_joins_and_scores_bit_identically() {
    let proto = two_layer_model(&[5], 7, None);
    let mut unfused = tract_onnx::onnx().model_for_proto_model(&proto).unwrap().into_typed().unwrap();
    Optimizer::declutter().optimize(&mut unfused).unwrap();
    let mut fused = unfused.clone();
    assert_eq!(crate::quant_dense::fuse(&mut fused).unwrap(), 2);
    assert_eq!(fuse(&mut fused).unwrap(), 1);
    let ops: Vec<String> = fused.nodes.iter().map(|n| n.op.name().to_string()).collect();
    assert_eq!(ops.iter().filter(|o| *o == "DramQuantChain").count(), 1, "{ops:?}");
    assert!(!ops.iter().any(|o| o == "DramQuantDense"), "{ops:?}");
    assert_same_outputs(unfused, fused, &[5]);
}
