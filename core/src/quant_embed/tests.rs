//! Folded embeddings against hand-computed sums and against tract running the unfused graph.

use super::*;
use crate::quant_dense::tests::{int8, int8_model, node, two_int8_layers, value_info};
use tract_core::optim::Optimizer;

use crate::onnx_proto::tensor_proto::DataType;
use crate::onnx_proto::{AttributeProto, ModelProto};

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

/// `Gather(ta, ia)`, the int8 input `xd`, `Gather(tb, ib)` and the one-column int8 input `xa`,
/// concatenated and fed to two int8 layers as dram's `cpu` export writes them.
fn embedding_model(hidden: usize) -> ModelProto {
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

fn scores(model: TypedModel, ia: &[i64], xd: &[i8], ib: &[i64]) -> TractResult<Vec<f32>> {
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

fn both_ways(hidden: usize) -> (TypedModel, TypedModel) {
    let proto = embedding_model(hidden);
    let mut unfused = crate::onnx_proto::tests::typed_by_tract_onnx(&proto);
    Optimizer::declutter().optimize(&mut unfused).unwrap();
    let mut fused = unfused.clone();
    assert_eq!(fuse(&mut fused).unwrap(), 1);
    crate::quant_dense::fuse(&mut fused).unwrap();
    (unfused, fused)
}

#[test]
fn an_onnx_ranker_folds_its_tables_and_scores_bit_identically() {
    // 5 hidden units (a fused product) and 40 (tract's product for the second layer's input).
    for hidden in [5, 40] {
        let (unfused, fused) = both_ways(hidden);
        let ops: Vec<String> = fused.nodes.iter().map(|n| n.op.name().to_string()).collect();
        assert!(ops.iter().any(|o| o == "DramEmbedProduct"), "{ops:?}");
        assert!(!ops.iter().any(|o| o == "Gather" || o.contains("Concat") || o.contains("EinSum")), "{ops:?}");
        assert!(ops.iter().any(|o| o == "DramQuantEpilogue"), "the folded product's epilogue fuses: {ops:?}");
        let rows = 23;
        let ia: Vec<i64> = (0..rows).map(|r| (r as i64 * 5) % 6 - if r % 4 == 0 { 6 } else { 0 }).collect();
        let ib: Vec<i64> = (0..rows).map(|r| (r as i64 * 3 + 1) % 4).collect();
        let xd: Vec<i8> = (0..rows * 2).map(|i| ((i * 71 + 13) % 256) as u8 as i8).collect();
        let (a, b) = (scores(unfused, &ia, &xd, &ib).unwrap(), scores(fused, &ia, &xd, &ib).unwrap());
        assert!(a.iter().any(|v| *v != a[0]), "degenerate test data: {a:?}");
        assert_eq!(a, b, "{hidden} hidden units");
    }
}

#[test]
fn the_fused_graph_rejects_an_index_outside_a_table() {
    let (_, fused) = both_ways(5);
    assert!(scores(fused, &[6], &[1, 2], &[0]).is_err());
}

#[test]
fn a_table_too_large_to_fold_stays_gathered() {
    let model = embedding_model(5);
    let mut typed = crate::onnx_proto::tests::typed_by_tract_onnx(&model);
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
    let mut typed = crate::onnx_proto::tests::typed_by_tract_onnx(&int8_model(nodes, inits, inputs));
    Optimizer::declutter().optimize(&mut typed).unwrap();
    assert!(typed.nodes.iter().any(|n| n.op_is::<TypedConcat>()), "the test graph keeps its Concat");
    assert_eq!(fuse(&mut typed).unwrap(), 0);
}
