//! Folded embeddings against hand-computed sums and against tract running the unfused graph.

use super::*;
use crate::engine::fuse::int8_graphs::{embedding_model, int8_model, node, two_int8_layers, value_info};
use tract_core::optim::Optimizer;

use crate::format::onnx::tensor_proto::DataType;
use crate::format::onnx::AttributeProto;

#[test]
fn folded_rows_match_hand_computed_sums() {
    // A 3-row, 2-wide table feeding columns 0-1 and a direct piece feeding column 2 of a layer
    // with 2 outputs: w = [[1, 2], [3, 4], [5, 6]] (input x output).
    let w = [[1i8, 2], [3, 4], [5, 6]];
    let table = FoldedTable::new(&[1, -1, 2, 0, -3, 5], 2, 2, |c, m| w[c][m]);
    // Row 0 (1, -1): (1 - 3, 2 - 4); row 1 (2, 0): (2, 4); row 2 (-3, 5): (-3 + 15, -6 + 20).
    assert_eq!(table.sums, vec![-2, -2, 2, 4, 12, 14]);
    let op = EmbedProduct { tables: vec![table], direct: vec![Product::new(1, 2, |_, m| w[2][m])], outputs: 2 };
    // Two rows: indices 2 and -3 (= row 0); direct values 10 and -1.
    let sums = op.apply(vec![Keys::Indices(&[2, -3])], &[&[10, -1]], 2).unwrap();
    assert_eq!(sums, vec![12 + 50, 14 + 60, -2 - 5, -2 - 6]);
}

#[test]
fn a_one_column_int8_input_folds_as_a_table_of_its_values() {
    let table = FoldedTable::of_values(2, |m| [3, -2][m]);
    assert_eq!((table.rows, table.keyed_by), (256, Key::Int8Value));
    let op = EmbedProduct { tables: vec![table], direct: vec![], outputs: 2 };
    let sums = op.apply(vec![Keys::Values(&[-128, 0, 5, 127])], &[], 4).unwrap();
    assert_eq!(sums, vec![-384, 256, 0, 0, 15, -10, 381, -254]);
}

#[test]
fn an_index_outside_the_table_is_an_error() {
    let op = EmbedProduct { tables: vec![FoldedTable::new(&[1, 2], 1, 1, |_, _| 1)], direct: vec![], outputs: 1 };
    assert!(op.apply(vec![Keys::Indices(&[1])], &[], 1).is_ok());
    for bad in [2, -3, i64::MAX, i64::MIN] {
        let err = op.apply(vec![Keys::Indices(&[bad])], &[], 1).unwrap_err();
        assert!(format!("{err}").contains("outside a table of 2 rows"), "{err}");
    }
    assert!(op.apply(vec![Keys::Indices(&[0, 1])], &[], 1).is_err(), "two indices for one row");
}

#[test]
fn a_table_too_large_to_fold_stays_gathered() {
    let model = embedding_model(5);
    let mut typed = crate::format::onnx::tests::typed_by_tract_onnx(&model);
    Optimizer::declutter().optimize(&mut typed).unwrap();
    let gather = typed.nodes.iter().find(|n| n.op_is::<Gather>()).unwrap();
    assert!(foldable_table(&typed, gather.id.into(), 5).unwrap().is_some());
    assert!(foldable_table(&typed, gather.id.into(), MAX_FOLDED_VALUES).unwrap().is_none(), "rows x outputs over the cap");
}

#[test]
fn a_layer_without_a_gathered_table_is_left_alone() {
    // Two int8 inputs, four columns and one: the one-column input alone could fold as a value
    // table, but with no table to gather the rewrite has nothing to save.
    let (inits, layers) = two_int8_layers(5, 4, 1e-4, None);
    let mut nodes = vec![node("Concat", &["x0", "x1"], "x", vec![AttributeProto { name: "axis".into(), r#type: 2, i: 1, ..Default::default() }])];
    nodes.extend(layers);
    let inputs = vec![value_info("x0", DataType::Int8, &[None, Some(4)]), value_info("x1", DataType::Int8, &[None, Some(1)])];
    let mut typed = crate::format::onnx::tests::typed_by_tract_onnx(&int8_model(nodes, inits, inputs));
    Optimizer::declutter().optimize(&mut typed).unwrap();
    assert!(typed.nodes.iter().any(|n| n.op_is::<TypedConcat>()), "the test graph keeps its Concat");
    assert_eq!(fuse(&mut typed).unwrap(), 0);
}
