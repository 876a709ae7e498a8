//! A load-time rewrite for word-piece convolutions: the exporter's `ReduceSum(MatMul(rows,
//! W), axis 1)` over window offsets becomes one product over the whole window, so tract runs a
//! single matrix product with `K = window * dim` instead of `window` products with `K = dim`
//! and a sum over their outputs.
//!
//! The file keeps the form every ONNX runtime reads: gathered rows `[N, window, L, dim]`
//! (offset `j`, position `t` holds the row of piece `t + j`) times per-offset weights
//! `[window, dim, channels]`, summed over offsets. For tract that form writes `window` full
//! `[N, L, channels]` products and reads them back to sum them, most of a review classifier's
//! call (`docs/performance.md`), and the bias and ReLU ran as a separate pass because the sum
//! stood between them and the product.
//!
//! Here the piece ids are transposed to `[N, L, window]` (a small integer copy), so the gather
//! lays each position's window out contiguously, `[N, L, window, dim]`, which is `[N, L,
//! window * dim]` without a copy; the weights `[window, dim, channels]` are `[window * dim,
//! channels]` in the same memory. The product then writes each output once and tract fuses
//! the bias and ReLU that follow into it.

use tract_core::prelude::*;
use tract_core::axes::AxesMapping;
use tract_core::internal::*;
use tract_core::ops::array::Gather;
use tract_core::ops::einsum::EinSum;
use tract_core::ops::nn::{Reduce, Reducer};

/// Axis positions `(in rows, in weights, in output)` of each axis of the exporter's batched
/// product `[N, window, L, dim] x [window, dim, channels] -> [N, window, L, channels]`.
const BATCHED_PRODUCT: [(&[usize], &[usize], &[usize]); 5] = [
    (&[0], &[], &[0]),   // N
    (&[1], &[0], &[1]),  // window offset, a batch axis of the product
    (&[2], &[], &[2]),   // position
    (&[3], &[1], &[]),   // row dimension, summed
    (&[], &[2], &[3]),   // channel
];

/// One convolution the rewrite applies to.
struct Found {
    /// The gathered table and the piece ids `[N, window, L]`.
    table: OutletId,
    ids: OutletId,
    gather: Gather,
    weights: OutletId,
    window: usize,
    dim: usize,
    /// The sum over offsets; when its only reader drops the summed axis, that reader, whose
    /// output the rewrite produces directly.
    sum: usize,
    drops_axis: Option<usize>,
}

/// Rewrites every word-piece convolution in `model`; returns how many it rewrote.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    let mut rewritten = 0;
    while let Some(found) = find(model)? {
        rewrite(model, &found)?;
        rewritten += 1;
    }
    Ok(rewritten)
}

fn find(model: &TypedModel) -> TractResult<Option<Found>> {
    for node in &model.nodes {
        if let Some(found) = convolution_at(model, node)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The convolution whose sum over offsets is `node`, if it is one.
fn convolution_at(model: &TypedModel, node: &TypedNode) -> TractResult<Option<Found>> {
    let Some(reduce) = node.op_as::<Reduce>() else { return Ok(None) };
    if reduce.reducer != Reducer::Sum || reduce.axes.as_slice() != [1] {
        return Ok(None);
    }
    let product = model.node(node.inputs[0].node);
    let Some(einsum) = product.op_as::<EinSum>() else { return Ok(None) };
    if einsum.q_params.is_some() || einsum.operating_dt != f32::datum_type() || product.inputs.len() != 2 {
        return Ok(None);
    }
    if !is_batched_product(einsum) || !crate::engine::fuse::rewrite::read_once(model, node.inputs[0])? {
        return Ok(None);
    }
    let gathered = product.inputs[0];
    let gather_node = model.node(gathered.node);
    let Some(gather) = gather_node.op_as::<Gather>() else { return Ok(None) };
    if gather.axis != 0 || !crate::engine::fuse::rewrite::read_once(model, gathered)? {
        return Ok(None);
    }
    let weights = model.outlet_fact(product.inputs[1])?;
    let table = model.outlet_fact(gather_node.inputs[0])?;
    if weights.datum_type != f32::datum_type() || table.datum_type != f32::datum_type() || table.rank() != 2 {
        return Ok(None);
    }
    let (Ok(window), Ok(dim)) = (weights.shape[0].to_usize(), weights.shape[1].to_usize()) else { return Ok(None) };
    let sum_outlet = OutletId::new(node.id, 0);
    let drops_axis = if crate::engine::fuse::rewrite::read_once(model, sum_outlet)? {
        let reader = model.outlet_successors(sum_outlet)[0].node;
        model.node(reader).op_as::<AxisOp>().filter(|op| **op == AxisOp::Rm(1)).map(|_| reader)
    } else {
        None
    };
    Ok(Some(Found {
        table: gather_node.inputs[0],
        ids: gather_node.inputs[1],
        gather: gather.clone(),
        weights: product.inputs[1],
        window,
        dim,
        sum: node.id,
        drops_axis,
    }))
}

/// Whether `einsum` maps its axes exactly as the exporter's batched product does.
fn is_batched_product(einsum: &EinSum) -> bool {
    let mut axes: Vec<_> = einsum
        .axes
        .iter_all_axes()
        .map(|a| (a.inputs[0].to_vec(), a.inputs[1].to_vec(), a.outputs[0].to_vec()))
        .collect();
    let mut expected: Vec<_> = BATCHED_PRODUCT.iter().map(|(x, w, o)| (x.to_vec(), w.to_vec(), o.to_vec())).collect();
    axes.sort();
    expected.sort();
    einsum.axes.input_count() == 2 && axes == expected
}

/// Wires the one-product form in place of `found`'s gather, product and sum.
fn rewrite(model: &mut TypedModel, found: &Found) -> TractResult<()> {
    let mut patch = TypedModelPatch::new("dram: window-conv");
    let name = model.node(found.sum).name.clone();
    let table = patch.tap_model(model, found.table)?;
    let ids = patch.tap_model(model, found.ids)?;
    let weights = patch.tap_model(model, found.weights)?;
    let (window, dim) = (found.window.to_dim(), found.dim.to_dim());
    let joined = (found.window * found.dim).to_dim();
    let ids = patch.wire_node(format!("{name}.ids-by-position"), AxisOp::Move(1, 2), &[ids])?;
    let rows = patch.wire_node(format!("{name}.gather-windows"), found.gather.clone(), &[table, ids[0]])?;
    let windows = patch.wire_node(format!("{name}.windows"), AxisOp::Reshape(2, tvec![window.clone(), dim.clone()], tvec![joined.clone()]), &rows)?;
    let kernel = patch.wire_node(format!("{name}.kernel"), AxisOp::Reshape(0, tvec![window, dim], tvec![joined]), &[weights])?;
    let product = EinSum::new("nlk,kc->nlc".parse::<AxesMapping>()?, f32::datum_type());
    let mut wire = patch.wire_node(format!("{name}.window-product"), product, &[windows[0], kernel[0]])?[0];
    let replaced = match found.drops_axis {
        Some(rm) => rm,
        None => {
            wire = patch.wire_node(format!("{name}.keep-offset-axis"), AxisOp::Add(1), &[wire])?[0];
            found.sum
        }
    };
    patch.shunt_outside(model, replaced.into(), wire)?;
    patch.apply(model)?;
    model.compact()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exporter's graph for one convolution: rows of `table` gathered by `ids [N, window,
    /// L]`, times `weights [window, dim, channels]`, summed over `sum_axis` (offsets: 1), with
    /// the summed axis dropped when `drop_axis`.
    fn exported(table: &Tensor, weights: &Tensor, length: usize, sum_axis: usize, drop_axis: bool) -> TypedModel {
        let mut model = TypedModel::default();
        let window = weights.shape()[0];
        let n = model.symbols.sym("N");
        let ids = model.add_source("ids", i64::fact(dims!(n, window, length))).unwrap();
        let table = model.add_const("table", table.clone()).unwrap();
        let weights = model.add_const("weights", weights.clone()).unwrap();
        let rows = model.wire_node("gather", Gather::new(0), &[table, ids]).unwrap();
        let mapping = "nkld,kdc->nklc".parse::<AxesMapping>().unwrap();
        let product = model.wire_node("product", EinSum::new(mapping, f32::datum_type()), &[rows[0], weights]).unwrap();
        let mut wire = model.wire_node("sum", Reduce::new(tvec![sum_axis], Reducer::Sum), &product).unwrap();
        if drop_axis {
            wire = model.wire_node("drop", AxisOp::Rm(sum_axis), &wire).unwrap();
        }
        model.select_output_outlets(&wire).unwrap();
        model
    }

    fn values(shape: &[usize], seed: usize) -> Tensor {
        let n = shape.iter().product::<usize>();
        Tensor::from_shape(shape, &(0..n).map(|i| ((i * 7 + seed) % 13) as f32 * 0.25 - 1.5).collect::<Vec<_>>()).unwrap()
    }

    fn run(model: TypedModel, ids: &Tensor) -> Tensor {
        let plan = model.into_optimized().unwrap().into_runnable().unwrap();
        plan.run(tvec![ids.clone().into_tvalue()]).unwrap().remove(0).into_tensor()
    }

    #[test]
    fn one_product_over_the_window_scores_like_the_exported_sum_of_products() {
        let (vocab, dim, window, channels, length) = (11, 4, 3, 5, 6);
        let table = values(&[vocab, dim], 1);
        let weights = values(&[window, dim, channels], 2);
        let ids: Vec<i64> = (0..2 * window * length).map(|i| ((i * 5) % vocab) as i64).collect();
        let ids = Tensor::from_shape(&[2, window, length], &ids).unwrap();
        for drop_axis in [true, false] {
            let reference = exported(&table, &weights, length, 1, drop_axis);
            let mut fused = reference.clone();
            assert_eq!(fuse(&mut fused).unwrap(), 1);
            let names: Vec<_> = fused.nodes.iter().map(|n| n.op.name().to_string()).collect();
            assert!(!names.iter().any(|n| n.starts_with("Reduce")), "{names:?}");
            assert_eq!(fused.output_fact(0).unwrap(), reference.output_fact(0).unwrap());
            let (want, got) = (run(reference, &ids), run(fused, &ids));
            got.close_enough(&want, Approximation::Close).unwrap();
        }
    }

    #[test]
    fn leaves_other_sums_of_products_alone() {
        // Summing over positions instead of offsets is not a convolution.
        let mut model = exported(&values(&[11, 4], 1), &values(&[3, 4, 5], 2), 6, 2, false);
        assert_eq!(fuse(&mut model).unwrap(), 0);
    }
}
