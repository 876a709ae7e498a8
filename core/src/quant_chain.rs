//! A load-time rewrite that runs consecutive small int8 layers ([`QuantDense`] ops that compute
//! their own product, each requantizing for the next) as one op, [`QuantChain`], row by row:
//! a row's hidden values stay in a small buffer in L1 instead of becoming a `[rows, width]`
//! tensor that the next op reads back, and the plan has one node per tower instead of one per
//! layer.
//!
//! Each layer computes exactly what it computes alone (the same product and epilogue code, on
//! one row at a time), so the scores are bit-identical to the unchained layers (tested).

use std::hash::{Hash, Hasher};

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::*;

use crate::quant_dense::QuantDense;

/// Int8 layers applied one after the other to each row: every layer computes its own product
/// and all but the last requantize to int8 (the next layer's input).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuantChain {
    pub(crate) layers: Vec<QuantDense>,
}

impl Eq for QuantChain {}

impl Hash for QuantChain {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.layers.hash(state);
    }
}

impl QuantChain {
    /// The chain of `first` then `next`, when `first`'s int8 output can be `next`'s input.
    fn joined(first: &[QuantDense], next: &QuantDense) -> Option<QuantChain> {
        let last = first.last()?;
        let width = last.outputs();
        let chains = |l: &QuantDense| l.product.as_ref().is_some_and(|p| p.inputs > 0);
        let fits = last.requant.is_some() && next.product.as_ref().is_some_and(|p| p.inputs == width);
        (fits && first.iter().all(chains) && chains(next)).then(|| QuantChain { layers: first.iter().cloned().chain([next.clone()]).collect() })
    }

    fn inputs(&self) -> usize {
        self.layers[0].product.as_ref().map_or(0, |p| p.inputs)
    }

    fn last(&self) -> &QuantDense {
        &self.layers[self.layers.len() - 1]
    }

    /// The chain on the int8 rows `x` (`[rows, inputs]`).
    pub(crate) fn apply(&self, x: &[i8], rows: usize) -> TractResult<Tensor> {
        let inputs = self.inputs();
        ensure!(inputs > 0 && x.len() == rows * inputs, "dram int8 tower: {} values for {rows} rows of {inputs}", x.len());
        let last = self.last();
        let shape = [rows, last.outputs()];
        let mut y = if last.requant.is_some() { Tensor::zero::<i8>(&shape)? } else { Tensor::zero::<f32>(&shape)? };
        let mut view = y.try_as_plain_ram_mut()?;
        match last.requant {
            Some(_) => self.rows(x, view.as_slice_mut::<i8>()?, |l, sums, out| l.write_i8(sums, out)),
            None => self.rows(x, view.as_slice_mut::<f32>()?, |l, sums, out| l.write_f32(sums, out)),
        }
        Ok(y)
    }

    /// Runs every tile of rows through the layers; `finish_last` writes the last layer's
    /// outputs.
    fn rows<T>(&self, x: &[i8], out: &mut [T], finish_last: impl Fn(&QuantDense, &[i32], &mut [T])) {
        let widest = self.layers.iter().map(QuantDense::outputs).max().unwrap_or(0);
        let mut sums = vec![0i32; TILE * widest];
        let (mut hidden, mut next) = (vec![0i8; TILE * widest], vec![0i8; TILE * widest]);
        let (layers, last) = self.layers.split_at(self.layers.len() - 1);
        let outputs = last[0].outputs().max(1);
        for (tile, out) in x.chunks(TILE * self.inputs()).zip(out.chunks_mut(TILE * outputs)) {
            let rows = tile.len() / self.inputs();
            let mut input: &[i8] = tile;
            for layer in layers {
                let width = rows * layer.outputs();
                multiply(layer, input, &mut sums[..width]);
                layer.write_i8(&sums[..width], &mut next[..width]);
                std::mem::swap(&mut hidden, &mut next);
                input = &hidden[..width];
            }
            let width = rows * last[0].outputs();
            multiply(&last[0], input, &mut sums[..width]);
            finish_last(&last[0], &sums[..width], out);
        }
    }
}

/// Rows a [`QuantChain`] carries through all its layers at a time: few enough that a tile's
/// hidden values stay in L1, enough to spread each layer's per-call overhead (one row at a
/// time was slower than separate ops: 9.3 vs 8.2 µs on the MovieLens tower).
const TILE: usize = 16;

/// The product of `layer` on the rows `input` into `sums` (overwritten, `[rows, outputs]`).
fn multiply(layer: &QuantDense, input: &[i8], sums: &mut [i32]) {
    sums.fill(0);
    if let Some(product) = &layer.product {
        product.accumulate(input, layer.outputs(), sums);
    }
}

impl Op for QuantChain {
    fn name(&self) -> StaticName {
        "DramQuantChain".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let widths: Vec<String> = std::iter::once(self.inputs()).chain(self.layers.iter().map(QuantDense::outputs)).map(|w| w.to_string()).collect();
        Ok(vec![format!("int8 tower {}, row by row", widths.join("-"))])
    }

    op_as_typed_op!();
}

impl EvalOp for QuantChain {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        ensure!(x.rank() == 2, "dram int8 tower: input {:?}, expected [rows, columns]", x.shape());
        let rows = x.shape()[0];
        let data = x.try_as_plain_ram()?;
        Ok(tvec!(self.apply(data.as_slice::<i8>()?, rows)?.into_tvalue()))
    }
}

impl TypedOp for QuantChain {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(
            inputs.len() == 1 && inputs[0].rank() == 2 && inputs[0].datum_type == i8::datum_type(),
            "dram int8 tower: expected one i8 input of rank 2, found {:?}",
            inputs.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>()
        );
        let shape = [inputs[0].shape[0].clone(), self.last().outputs().to_dim()];
        let dt = if self.last().requant.is_some() { i8::datum_type() } else { f32::datum_type() };
        Ok(tvec!(dt.fact(shape)))
    }

    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let per_row: usize = self.layers.iter().map(|l| l.product.as_ref().map_or(0, |p| p.inputs) * l.outputs()).sum();
        Ok(tvec!((Cost::FMA(i32::datum_type()), inputs[0].shape[0].clone() * per_row)))
    }
}

/// Joins every [`QuantDense`] (or chain) whose int8 output only the next computing
/// [`QuantDense`] reads into one [`QuantChain`]; returns how many joins it made.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    let mut joined = 0;
    while let Some((chain, input, last)) = find(model)? {
        crate::rewrite::replace_chain(model, &[input], last, "dram-quant-chain", chain)?;
        joined += 1;
    }
    Ok(joined)
}

/// The next pair to join: the joined chain, its int8 input and the node of its last layer.
fn find(model: &TypedModel) -> TractResult<Option<(QuantChain, OutletId, usize)>> {
    for node in &model.nodes {
        let first: &[QuantDense] = match (node.op_as::<QuantDense>(), node.op_as::<QuantChain>()) {
            (Some(layer), _) => std::slice::from_ref(layer),
            (_, Some(chain)) => &chain.layers,
            _ => continue,
        };
        let Some(next) = crate::quant_dense::sole_successor(model, node.id)? else { continue };
        let Some(layer) = model.node(next).op_as::<QuantDense>() else { continue };
        if let Some(chain) = QuantChain::joined(first, layer) {
            return Ok(Some((chain, node.inputs[0], next)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
