//! The pass list's int8 rewrites together: tables folded by `quant_embed`, then the folded
//! product's epilogue fused by `quant_dense`, against tract running the unfused graph.

use tract_core::internal::*;
use tract_core::optim::Optimizer;

use super::{quant_dense, quant_embed};
use crate::engine::fuse::int8_graphs::{embedding_model, scores};

fn both_ways(hidden: usize) -> (TypedModel, TypedModel) {
    let proto = embedding_model(hidden);
    let mut unfused = crate::format::onnx::tests::typed_by_tract_onnx(&proto);
    Optimizer::declutter().optimize(&mut unfused).unwrap();
    let mut fused = unfused.clone();
    assert_eq!(quant_embed::fuse(&mut fused).unwrap(), 1);
    quant_dense::fuse(&mut fused).unwrap();
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

