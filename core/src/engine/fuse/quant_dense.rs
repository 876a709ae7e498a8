//! A load-time rewrite for int8 dense layers: the chain dram's `cpu` int8 export writes for
//! one layer, `MatMulInteger -> Add(i32 bias) -> Cast -> Mul(scale) [-> Relu ->
//! QuantizeLinear]`, keeps tract's integer product and runs the rest as one dram op,
//! [`QuantDense`], a single pass per output; layers of at most
//! [`super::int8_product::MAX_FUSED_WEIGHTS`] weights are computed whole by the same op.
//!
//! tract runs the epilogue as one element-wise pass per step, and on a ranker its broadcast
//! per-channel `Mul` alone costs more than the integer product (`docs/performance.md`). The
//! fused op keeps the arithmetic integer (i8 x i8 products summed in i32, as `MatMulInteger`
//! specifies) and reproduces each step's rounding exactly, so scores are bit-identical to the
//! unfused graph (tested).

use std::hash::{Hash, Hasher};

use tract_core::prelude::*;
use tract_core::internal::*;
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::cast::Cast;
use tract_core::ops::einsum::EinSum;
use tract_core::ops::element_wise::ElementWiseOp;
use tract_core::ops::math::{Add, Max, Mul};
use tract_core::ops::quant::QuantizeLinearI8;

use crate::engine::fuse::quant_embed::EmbedProduct;
use crate::engine::fuse::int8_product::{integer_weights, rows_by_columns, IntegerWeights, Product};
use crate::engine::fuse::quantize_linear::requantize;

/// One int8 dense layer's epilogue, and for small layers its product too: `y[n, m] =
/// scale[m] * (bias[m] + sum_k x[n, k] * w[m, k])`, then optionally `max(y, 0)` and
/// `QuantizeLinear(y, 1 / requant, 0)`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuantDense {
    /// The integer product, when the op computes it (its input is then the int8 `x`); without
    /// it the input is the i32 product tract's integer kernel computed.
    pub(crate) product: Option<Product>,
    /// Accumulator-unit bias per output.
    pub(crate) bias: Vec<i32>,
    /// Multiplier per output from accumulator units to real values.
    pub(crate) scale: Vec<f32>,
    pub(crate) relu: bool,
    /// The multiplier of the `QuantizeLinear` that ends the chain, when there is one: the
    /// output is then int8 (zero point 0), else f32.
    pub(crate) requant: Option<f32>,
}

impl Eq for QuantDense {}

impl Hash for QuantDense {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.product.hash(state);
        self.bias.hash(state);
        self.scale.iter().for_each(|s| s.to_bits().hash(state));
        self.relu.hash(state);
        self.requant.map(f32::to_bits).hash(state);
    }
}

impl QuantDense {
    fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// The layer on the int8 input `x` (`[rows, inputs]`) when it computes its product.
    pub(crate) fn apply(&self, x: &[i8], rows: usize) -> TractResult<Tensor> {
        let Some(product) = &self.product else { bail!("dram int8 layer: no weights to multiply the int8 input by") };
        ensure!(x.len() == rows * product.inputs, "dram int8 layer: {} values for {rows} rows of {}", x.len(), product.inputs);
        let mut sums = vec![0i32; rows * self.outputs()];
        product.accumulate(x, self.outputs(), &mut sums);
        self.finish(&sums, rows)
    }

    /// The epilogue on i32 products (`[rows, outputs]`, bias not yet added).
    pub(crate) fn apply_to_products(&self, products: &[i32], rows: usize) -> TractResult<Tensor> {
        ensure!(products.len() == rows * self.outputs(), "dram int8 layer: {} products for {rows} rows of {}", products.len(), self.outputs());
        self.finish(products, rows)
    }

    /// Adds the bias to the sums (`[rows, outputs]`), scales, rectifies and requantizes them
    /// into a new `[rows, outputs]` tensor (int8 when the layer requantizes, else f32).
    fn finish(&self, sums: &[i32], rows: usize) -> TractResult<Tensor> {
        let shape = [rows, self.outputs()];
        let mut y = if self.requant.is_some() { Tensor::zero::<i8>(&shape)? } else { Tensor::zero::<f32>(&shape)? };
        let mut view = y.try_as_plain_ram_mut()?;
        match self.requant {
            Some(multiplier) => self.write_i8(sums, view.as_slice_mut::<i8>()?, multiplier),
            None => self.write_f32(sums, view.as_slice_mut::<f32>()?),
        }
        Ok(y)
    }

    /// The epilogue of whole rows of `sums` into `out` (same length), for a layer that
    /// requantizes with `multiplier`; one loop per row the compiler vectorises (passes through
    /// an f32 buffer took 5x longer; finishing each block of sums as the product makes it,
    /// 1.2x).
    fn write_i8(&self, sums: &[i32], out: &mut [i8], multiplier: f32) {
        // One closure per case, so no loop tests `relu` per value.
        if self.relu {
            self.map_outputs(sums, out, |a, b, s| requantize(real(a, b, s).max(0.0), multiplier));
        } else {
            self.map_outputs(sums, out, |a, b, s| requantize(real(a, b, s), multiplier));
        }
    }

    /// [`QuantDense::write_i8`] for a layer with real (f32) outputs.
    fn write_f32(&self, sums: &[i32], out: &mut [f32]) {
        if self.relu {
            self.map_outputs(sums, out, |a, b, s| real(a, b, s).max(0.0));
        } else {
            self.map_outputs(sums, out, real);
        }
    }

    /// `out[i] = f(sums[i], bias, scale)` with the bias and scale of `i`'s output.
    fn map_outputs<T>(&self, sums: &[i32], out: &mut [T], f: impl Fn(i32, i32, f32) -> T) {
        match (&self.bias[..], &self.scale[..]) {
            // A single output (a score): one flat loop rather than a loop per row of one.
            ([b], [s]) => out.iter_mut().zip(sums).for_each(|(y, &a)| *y = f(a, *b, *s)),
            _ => {
                let outputs = self.outputs().max(1);
                for (out, row) in out.chunks_exact_mut(outputs).zip(sums.chunks_exact(outputs)) {
                    out.iter_mut().zip(row).zip(&self.bias).zip(&self.scale).for_each(|(((y, &a), &b), &s)| *y = f(a, b, s));
                }
            }
        }
    }
}

/// A sum in accumulator units, with its bias, in real units.
#[inline]
fn real(sum: i32, bias: i32, scale: f32) -> f32 {
    sum.wrapping_add(bias) as f32 * scale
}

impl Op for QuantDense {
    fn name(&self) -> StaticName {
        match self.product {
            Some(_) => "DramQuantDense".into(),
            None => "DramQuantEpilogue".into(),
        }
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!(
            "int8 {}x{}, i32 accumulation{}{}",
            self.product.as_ref().map_or("?".to_string(), |p| p.inputs.to_string()),
            self.outputs(),
            if self.relu { ", relu" } else { "" },
            if self.requant.is_some() { ", int8 output" } else { ", f32 output" }
        )])
    }

    op_as_typed_op!();
}

impl EvalOp for QuantDense {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        ensure!(rows_by_columns(x.shape()), "dram int8 layer: input {:?}, expected [rows, columns]", x.shape());
        let rows = x.shape()[0];
        let data = x.try_as_plain_ram()?;
        let y = match self.product {
            Some(_) => self.apply(data.as_slice::<i8>()?, rows)?,
            None => self.apply_to_products(data.as_slice::<i32>()?, rows)?,
        };
        Ok(tvec!(y.into_tvalue()))
    }
}

impl TypedOp for QuantDense {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let input_dt = if self.product.is_some() { i8::datum_type() } else { i32::datum_type() };
        ensure!(
            inputs.len() == 1 && rows_by_columns(&inputs[0].shape) && inputs[0].datum_type == input_dt,
            "dram int8 layer: expected one {input_dt:?} input [rows, (1, ...) columns], found {:?}",
            inputs.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>()
        );
        let shape = [inputs[0].shape[0].clone(), self.outputs().to_dim()];
        let dt = if self.requant.is_some() { i8::datum_type() } else { f32::datum_type() };
        Ok(tvec!(dt.fact(shape)))
    }

    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let per_row = self.product.as_ref().map_or(0, |p| p.inputs * self.outputs());
        Ok(tvec!((Cost::FMA(i32::datum_type()), inputs[0].shape[0].clone() * per_row)))
    }
}

/// Replaces every fusable int8 layer chain with [`QuantDense`]; returns how many it replaced.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    crate::engine::fuse::rewrite::replace_all(model, "dram-quant-dense", |model| Ok(find(model)?.map(|(op, input, last)| (op, vec![input], last))))
}

/// The next fusable chain: its op, the int8 input and the chain's last node.
fn find(model: &TypedModel) -> TractResult<Option<(QuantDense, OutletId, usize)>> {
    for node in &model.nodes {
        if let Some(found) = chain_from(model, node)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// The chain starting at `node` when it is an int8 product dram can fuse.
fn chain_from(model: &TypedModel, node: &TypedNode) -> TractResult<Option<(QuantDense, OutletId, usize)>> {
    // The product is an integer `EinSum`, or dram's product over folded embeddings.
    let (weights, outputs) = if let Some(einsum) = node.op_as::<EinSum>() {
        let Some(weights) = integer_weights(model, node, einsum)? else { return Ok(None) };
        let outputs = weights.outputs;
        (Some(weights), outputs)
    } else if let Some(embed) = node.op_as::<EmbedProduct>() {
        (None, embed.outputs)
    } else {
        return Ok(None);
    };
    let mut last = node.id;
    let mut bias = vec![0i32; outputs];
    if let Some((next, values)) = const_bin_op::<Add, i32>(model, last, outputs)? {
        bias = values;
        last = next;
    }
    let Some(cast) = sole_successor(model, last)? else { return Ok(None) };
    if model.node(cast).op_as::<Cast>().is_none_or(|c| c.to != f32::datum_type()) {
        return Ok(None);
    }
    last = cast;
    let mut scale = vec![1f32; outputs];
    if let Some((next, values)) = const_bin_op::<Mul, f32>(model, last, outputs)? {
        scale = values;
        last = next;
    }
    let mut relu = false;
    if let Some((next, zero)) = const_bin_op::<Max, f32>(model, last, 1)? {
        if zero != [0.0] {
            return Ok(None);
        }
        relu = true;
        last = next;
    }
    let mut requant = None;
    if let Some(next) = sole_successor(model, last)? {
        let quantize = model.node(next).op_as::<ElementWiseOp>().and_then(|e| e.0.downcast_ref::<QuantizeLinearI8>());
        if let Some(q) = quantize.filter(|q| q.zero_point == 0) {
            requant = Some(q.scale);
            last = next;
        }
    }
    // Laid out only now: `find` meets every product again after its epilogue was fused.
    let product = weights.as_ref().filter(|w| w.fits()).map(IntegerWeights::product).transpose()?;
    let input = if product.is_some() { node.inputs[0] } else { node.id.into() };
    let op = QuantDense { product, bias, scale, relu, requant };
    Ok(Some((op, input, last)))
}

/// The only successor of `node`'s output, if it has exactly one and is not a model output.
fn sole_successor(model: &TypedModel, node: usize) -> TractResult<Option<usize>> {
    let outlet = OutletId::new(node, 0);
    if !crate::engine::fuse::rewrite::read_once(model, outlet)? {
        return Ok(None);
    }
    Ok(Some(model.outlet_successors(outlet)[0].node))
}

/// When `node`'s sole successor is the binary op `B` with a constant of type `T` holding one
/// value or one per output on its other side: that successor and the constant, one value per
/// output (or the single value when `outputs` is 1).
fn const_bin_op<B: tract_core::ops::binary::BinMiniOp, T: Datum + Copy>(model: &TypedModel, node: usize, outputs: usize) -> TractResult<Option<(usize, Vec<T>)>> {
    let Some(next) = sole_successor(model, node)? else { return Ok(None) };
    let succ = model.node(next);
    if !succ.op_as::<TypedBinOp>().is_some_and(|op| op.0.is::<B>()) {
        return Ok(None);
    }
    let other = if succ.inputs[0].node == node { succ.inputs[1] } else { succ.inputs[0] };
    let Some(k) = model.outlet_fact(other)?.konst.clone() else { return Ok(None) };
    let own = model.outlet_fact(OutletId::new(node, 0))?;
    let per_output = k.shape().iter().rev().skip(1).all(|&d| d == 1) && k.rank() <= own.rank();
    if k.datum_type() != T::datum_type() || !per_output || !(k.len() == 1 || k.len() == outputs) {
        return Ok(None);
    }
    let data = k.try_as_plain_ram()?;
    let values = data.as_slice::<T>()?;
    Ok(Some((next, (0..outputs).map(|m| values[if values.len() == 1 { 0 } else { m }]).collect())))
}

#[cfg(test)]
mod tests;
