//! A load-time replacement for tract's `Gather` of table rows: `Gather(table, indices, axis
//! 0)` on an f32 table becomes [`GatherRows`], one bounds-checked row copy per index.
//!
//! Every dram model looks its embeddings up this way, and tract's `Gather` walks the indices
//! through an `ndarray` iterator into a `SmallVec` before copying each row, which on a ranker
//! costs more than the copies (`docs/performance.md`). Reading the indices as a slice leaves
//! only the copies. Wide rows are left to tract: its output buffer is not cleared first
//! (dram-core forbids `unsafe`, so this op's is), and on wide rows the clearing ate the gain.
//! An index out of range is an error naming the table's size, where tract's slice indexing
//! panicked (caught at the FFI guard, but with an unhelpful message).

use tract_core::internal::*;
use tract_core::ops::array::Gather;

/// `out[i..., :] = table[indices[i...], :]`: rows of a table of any rank (rows along axis
/// 0), negative indices counting from the end as in ONNX.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, Default)]
pub(crate) struct GatherRows;

/// Widest rows (values per row) [`GatherRows`] takes over from tract (module doc).
const MAX_ROW_WIDTH: usize = 16;

/// Replaces every f32 row `Gather` (axis 0, i64 indices, plain output, rows of at most
/// [`MAX_ROW_WIDTH`] values) with [`GatherRows`]; returns how many it replaced.
///
/// The op is swapped in place: same inputs, same output type and shape (checked), so no patch
/// and no compaction. Going through [`crate::engine::fuse::rewrite::replace_all`], one patch per gather, added 1.0 M
/// instructions (8%) to the MovieLens ranker's cold start.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    let mut replaced = 0;
    for id in 0..model.nodes.len() {
        if !is_row_gather(model, &model.nodes[id]) {
            continue;
        }
        let ours = GatherRows.output_facts(&model.node_input_facts(id)?)?.remove(0);
        let theirs = &model.nodes[id].outputs[0].fact;
        if ours.datum_type == theirs.datum_type && ours.shape == theirs.shape {
            model.nodes[id].op = Box::new(GatherRows);
            replaced += 1;
        }
    }
    Ok(replaced)
}

/// Whether `node` is a gather [`GatherRows`] takes over.
fn is_row_gather(model: &TypedModel, node: &TypedNode) -> bool {
    let Some(gather) = node.op_as::<Gather>() else { return false };
    let (Ok(table), Ok(indices)) = (model.outlet_fact(node.inputs[0]), model.outlet_fact(node.inputs[1])) else { return false };
    let width = table.shape.iter().skip(1).map(|d| d.to_usize().ok()).product::<Option<usize>>();
    gather.axis == 0
        && gather.output_type.is_none()
        && table.rank() >= 1
        && width.is_some_and(|w| w <= MAX_ROW_WIDTH)
        && table.datum_type == f32::datum_type()
        && indices.datum_type == i64::datum_type()
}

impl GatherRows {
    /// The rows of `values` (`rows` rows of `width`) at `indices`, in order.
    fn gather(values: &[f32], rows: usize, width: usize, indices: &[i64], out: &mut [f32]) -> TractResult<()> {
        for (&index, row) in indices.iter().zip(out.chunks_exact_mut(width.max(1))) {
            let resolved = if index < 0 { index + rows as i64 } else { index };
            if resolved < 0 || resolved >= rows as i64 {
                bail!("row index {index} out of range for a table of {rows} rows");
            }
            let start = resolved as usize * width;
            row.copy_from_slice(&values[start..start + width]);
        }
        Ok(())
    }
}

impl Op for GatherRows {
    fn name(&self) -> StaticName {
        "DramGatherRows".into()
    }

    op_as_typed_op!();
}

impl EvalOp for GatherRows {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (table, indices) = args_2!(inputs);
        let rows = table.shape()[0];
        let width: usize = table.shape()[1..].iter().product();
        let mut shape: TVec<usize> = indices.shape().into();
        shape.extend_from_slice(&table.shape()[1..]);
        let mut out = Tensor::zero::<f32>(&shape)?;
        if width > 0 {
            let (table, indices) = (table.try_as_plain_ram()?, indices.try_as_plain_ram()?);
            let mut plain = out.try_as_plain_ram_mut()?;
            GatherRows::gather(table.as_slice::<f32>()?, rows, width, indices.as_slice::<i64>()?, plain.as_slice_mut::<f32>()?)?;
        }
        Ok(tvec!(out.into_tvalue()))
    }
}

impl TypedOp for GatherRows {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs.len() == 2 && inputs[0].rank() >= 1, "dram row gather: expected a table and indices");
        let mut shape: TVec<TDim> = inputs[1].shape.iter().cloned().collect();
        shape.extend(inputs[0].shape.iter().skip(1).cloned());
        Ok(tvec!(f32::fact(shape)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Tensor {
        Tensor::from_shape(&[4, 2], &[0f32, 1., 10., 11., 20., 21., 30., 31.]).unwrap()
    }

    /// A graph gathering rows of a constant table by `indices`, through tract's `Gather` or,
    /// when `fused`, through [`GatherRows`].
    fn run(indices: Tensor, fused: bool) -> TractResult<Tensor> {
        let mut model = TypedModel::default();
        let ids = model.add_source("ids", i64::fact(indices.shape()))?;
        let table = model.add_const("table", table())?;
        let out = model.wire_node("gather", Gather::new(0), &[table, ids])?;
        model.select_output_outlets(&out)?;
        if fused {
            assert_eq!(fuse(&mut model)?, 1);
            assert!(model.nodes.iter().any(|n| n.op_is::<GatherRows>()));
        }
        let plan = model.into_optimized()?.into_runnable()?;
        Ok(plan.run(tvec![indices.into_tvalue()])?.remove(0).into_tensor())
    }

    #[test]
    fn gathers_like_tract_for_any_index_shape_and_negative_indices() {
        let cases = [
            Tensor::from_shape(&[3], &[2i64, 0, 2]).unwrap(),
            Tensor::from_shape(&[2, 3], &[3i64, -1, 0, -4, 1, 2]).unwrap(),
            Tensor::from_shape(&[0], &[0i64; 0]).unwrap(),
        ];
        for indices in cases {
            let (ours, theirs) = (run(indices.clone(), true).unwrap(), run(indices.clone(), false).unwrap());
            assert_eq!(ours, theirs, "{indices:?}");
        }
        let rows = run(Tensor::from_shape(&[2], &[-1i64, 1]).unwrap(), true).unwrap();
        assert_eq!(rows.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap(), &[30., 31., 10., 11.]);
    }

    #[test]
    fn every_row_gather_is_replaced_including_a_gather_of_gathered_rows() {
        let mut model = TypedModel::default();
        let ids = model.add_source("ids", i64::fact([3])).unwrap();
        let table = model.add_const("table", table()).unwrap();
        let first = model.wire_node("first", Gather::new(0), &[table, ids]).unwrap();
        let again = model.wire_node("again", Gather::new(0), &[first[0], ids]).unwrap();
        let other = model.wire_node("other", Gather::new(0), &[table, ids]).unwrap();
        model.select_output_outlets(&[again[0], other[0]]).unwrap();
        let reference = model.clone().into_optimized().unwrap().into_runnable().unwrap();
        assert_eq!(fuse(&mut model).unwrap(), 3);
        assert_eq!(model.nodes.iter().filter(|n| n.op_is::<GatherRows>()).count(), 3);
        let plan = model.into_optimized().unwrap().into_runnable().unwrap();
        let feed = || tvec![Tensor::from_shape(&[3], &[1i64, 0, 2]).unwrap().into_tvalue()];
        assert_eq!(plan.run(feed()).unwrap(), reference.run(feed()).unwrap());
    }

    #[test]
    fn wide_rows_stay_with_tract() {
        let mut model = TypedModel::default();
        let ids = model.add_source("ids", i64::fact([3])).unwrap();
        let table = model.add_const("table", Tensor::zero::<f32>(&[4, MAX_ROW_WIDTH + 1]).unwrap()).unwrap();
        let out = model.wire_node("gather", Gather::new(0), &[table, ids]).unwrap();
        model.select_output_outlets(&out).unwrap();
        assert_eq!(fuse(&mut model).unwrap(), 0);
    }

    #[test]
    fn an_index_out_of_range_is_an_error_naming_the_table_size() {
        for bad in [4i64, -5, i64::MAX, i64::MIN] {
            let err = run(Tensor::from_shape(&[2], &[0, bad]).unwrap(), true).unwrap_err();
            assert!(format!("{err:#}").contains(&format!("row index {bad} out of range for a table of 4 rows")), "{err:#}");
        }
    }
}
