//! A load-time rewrite for int8 dense layers: the chain dram's `cpu` int8 export writes for
//! one layer, `MatMulInteger -> Add(i32 bias) -> Cast -> Mul(scale) [-> Relu ->
//! QuantizeLinear]`, keeps tract's integer product and runs the rest as one dram op,
//! [`QuantDense`], a single pass per output; layers of at most [`MAX_FUSED_WEIGHTS`] weights
//! are computed whole by the same op.
//!
//! tract runs the epilogue as one element-wise pass per step, and its broadcast per-channel
//! `Mul` alone cost more than the integer product on the MovieLens ranker (15 µs of a 190 µs
//! call). With the fusion the int8 ranker's call went from 1.20x to 1.04x its fp32 twin's.
//! The fused op keeps the arithmetic integer (i8 x i8 products summed in i32, as
//! `MatMulInteger` specifies) and reproduces each step's rounding exactly, so scores are
//! bit-identical to the unfused graph (tested).

use std::hash::{Hash, Hasher};

use tract_core::prelude::*;
use tract_core::internal::*;
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::cast::Cast;
use tract_core::ops::einsum::EinSum;
use tract_core::ops::element_wise::ElementWiseOp;
use tract_core::ops::math::{Add, Max, Mul};
use tract_core::ops::quant::QuantizeLinearI8;

use crate::quantize_linear::requantize;

/// Largest weight matrix (inputs x outputs) whose product [`QuantDense`] computes itself;
/// larger layers keep tract's packed integer kernels (AVX2, SDOT) and fuse only the epilogue.
/// Measured on the MovieLens int8 ranker (`dram latency`, interleaved with its fp32 twin, three
/// runs each): computing the 16 x 16 and 16 x 1 layers whole gives 1.04x the fp32 call, only
/// the 16 x 1 layer 1.05x, neither 1.08x. The portable loop is vectorised only for a constant
/// block of outputs and cannot use the wider SIMD tract selects at run time, so large layers
/// are better left to tract.
pub(crate) const MAX_FUSED_WEIGHTS: usize = 256;

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

/// The int8 weights of a product small enough for [`QuantDense`] to compute itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Product {
    /// Widened to i16 and laid out for the inner loop: outputs in blocks of `block`, and within
    /// a block, inputs in pairs `(2p, 2p + 1)` with each output's two weights side by side
    /// (`[blocks, inputs / 2 rounded up, block, 2]`; padding weights are 0). Each pair adds
    /// `x0 * w0 + x1 * w1` to a block of i32 sums of fixed size, the multiply-add-pairs shape of
    /// `pmaddwd` (x86) and `smlal` (arm64), which the compiler vectorises only when the block
    /// size is a constant.
    pub(crate) weights: Vec<i16>,
    pub(crate) inputs: usize,
    pub(crate) block: usize,
}

impl Product {
    /// The product of `inputs` inputs and `outputs` outputs with weights `at(input, output)`.
    pub(crate) fn new(inputs: usize, outputs: usize, at: impl Fn(usize, usize) -> i8) -> Product {
        let block = [1, 2, 4, 8].into_iter().find(|b| outputs <= *b).unwrap_or(BLOCK);
        let pairs = inputs.div_ceil(2);
        let blocks = outputs.div_ceil(block);
        let mut weights = vec![0i16; blocks * pairs * block * 2];
        for k in 0..inputs {
            for m in 0..outputs {
                let (b, j) = (m / block, m % block);
                weights[((b * pairs + k / 2) * block + j) * 2 + k % 2] = i16::from(at(k, m));
            }
        }
        Product { weights, inputs, block }
    }

    /// Adds the products of the int8 rows `x` to `sums` (`[rows, outputs]`).
    pub(crate) fn accumulate(&self, x: &[i8], outputs: usize, sums: &mut [i32]) {
        match self.block {
            1 => self.accumulate_dots(x, sums),
            2 => self.accumulate_blocks::<2>(x, outputs, sums),
            4 => self.accumulate_blocks::<4>(x, outputs, sums),
            8 => self.accumulate_blocks::<8>(x, outputs, sums),
            _ => self.accumulate_blocks::<BLOCK>(x, outputs, sums),
        }
    }

    /// A single output: one dot product per row (with one output, the blocked layout is the
    /// weights in input order), which the compiler vectorises along the row; the blocked loop
    /// would run one output wide (measured: 1.6 -> 0.85 µs for the MovieLens score layer).
    fn accumulate_dots(&self, x: &[i8], sums: &mut [i32]) {
        for (row, sum) in x.chunks_exact(self.inputs.max(1)).zip(sums.iter_mut()) {
            let dot = row.iter().zip(&self.weights).fold(0i32, |acc, (&a, &w)| acc.wrapping_add(i32::from(a).wrapping_mul(i32::from(w))));
            *sum = sum.wrapping_add(dot);
        }
    }

    fn accumulate_blocks<const B: usize>(&self, x: &[i8], outputs: usize, sums: &mut [i32]) {
        let block_len = self.inputs.div_ceil(2) * 2 * B;
        for (row, out) in x.chunks_exact(self.inputs.max(1)).zip(sums.chunks_exact_mut(outputs.max(1))) {
            let pairs = row.chunks_exact(2);
            let odd = pairs.remainder().first().map(|&v| [v, 0]);
            for (weights, out) in self.weights.chunks_exact(block_len).zip(out.chunks_mut(B)) {
                let mut acc = [0i32; B];
                for (pair, w) in pairs.clone().chain(odd.as_ref().map(|p| &p[..])).zip(weights.chunks_exact(2 * B)) {
                    let (x0, x1) = (i32::from(pair[0]), i32::from(pair[1]));
                    for (j, a) in acc.iter_mut().enumerate() {
                        *a = a.wrapping_add(pair_product(x0, x1, &w[2 * j..2 * j + 2]));
                    }
                }
                out.iter_mut().zip(acc).for_each(|(o, a)| *o = o.wrapping_add(a));
            }
        }
    }
}

/// Outputs per block of a [`Product`] with more than 8 outputs.
const BLOCK: usize = 16;

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

/// `x0 * w[0] + x1 * w[1]` in i32. Each product is at most 2^14 in magnitude and a layer has
/// at most [`MAX_FUSED_WEIGHTS`] of them, so no sum overflows; wrapping arithmetic spares
/// debug builds the overflow checks that would stop the loop from vectorising.
#[inline]
fn pair_product(x0: i32, x1: i32, w: &[i16]) -> i32 {
    x0.wrapping_mul(i32::from(w[0])).wrapping_add(x1.wrapping_mul(i32::from(w[1])))
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
    crate::rewrite::replace_all(model, "dram-quant-dense", |model| Ok(find(model)?.map(|(op, input, last)| (op, vec![input], last))))
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
    } else if let Some(embed) = node.op_as::<crate::quant_embed::EmbedProduct>() {
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

/// The constant int8 weights of a `MatMulInteger`-style product, as the einsum holds them.
pub(crate) struct IntegerWeights {
    tensor: Arc<Tensor>,
    /// Where the summed axis and (when there is more than one output) the output axis sit.
    k_axis: usize,
    n_axis: Option<usize>,
    inputs: usize,
    pub(crate) outputs: usize,
}

impl IntegerWeights {
    /// Whether [`QuantDense`] computes this product itself.
    fn fits(&self) -> bool {
        self.inputs * self.outputs <= MAX_FUSED_WEIGHTS
    }

    fn product(&self) -> TractResult<Product> {
        let w = self.matrix()?;
        Ok(Product::new(self.inputs, self.outputs, |k, m| w[k * self.outputs + m]))
    }

    /// The weights as `[inputs, outputs]` (input-major), whatever their layout in the graph.
    pub(crate) fn matrix(&self) -> TractResult<Vec<i8>> {
        let data = self.tensor.try_as_plain_ram()?;
        let data = data.as_slice::<i8>()?;
        let (inputs, outputs) = (self.inputs, self.outputs);
        Ok((0..inputs * outputs)
            .map(|i| {
                let (k, m) = (i / outputs, i % outputs);
                match self.n_axis {
                    None => data[k],
                    Some(n) if n > self.k_axis => data[k * outputs + m],
                    Some(_) => data[m * inputs + k],
                }
            })
            .collect())
    }
}

/// For a `MatMulInteger`-style `EinSum` (`[rows, k] x const weights`, no zero points, unit
/// scales, zero bias): its weights.
pub(crate) fn integer_weights(model: &TypedModel, node: &TypedNode, einsum: &EinSum) -> TractResult<Option<IntegerWeights>> {
    if einsum.q_params.is_none() || einsum.operating_dt != i32::datum_type() || node.inputs.len() != 9 {
        return Ok(None);
    }
    let x = model.outlet_fact(node.inputs[0])?;
    let out = model.outlet_fact(node.id.into())?;
    let Some(w) = model.outlet_fact(node.inputs[1])?.konst.clone() else { return Ok(None) };
    if x.datum_type != i8::datum_type() || w.datum_type() != i8::datum_type() || !rows_by_columns(&x.shape) || out.rank() != 2 {
        return Ok(None);
    }
    // Inputs 2..9: bias, a zero point, a scale, b zero point, b scale, c zero point, c scale.
    let neutral = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0];
    for (input, want) in node.inputs[2..].iter().zip(neutral) {
        let Some(k) = model.outlet_fact(*input)?.konst.clone() else { return Ok(None) };
        let values = k.cast_to::<f32>()?;
        if k.len() != 1 || values.try_as_plain_ram()?.as_slice::<f32>()?[0] != want {
            return Ok(None);
        }
    }
    let Some((k_axis, n_axis)) = weight_axes(einsum, x.rank(), w.rank())? else { return Ok(None) };
    let inputs = x.shape[x.rank() - 1].to_usize()?;
    if w.shape()[k_axis] != inputs {
        return Ok(None);
    }
    let outputs = n_axis.map_or(1, |n| w.shape()[n]);
    Ok(Some(IntegerWeights { tensor: w, k_axis, n_axis, inputs, outputs }))
}

/// Where the summed axis and the output axis sit in the weights, when the einsum is
/// `[rows, k] x weights -> [rows, outputs]` with weights `[k]`, `[k, n]` or `[n, k]`; `x` may
/// carry unit axes between its rows and `k` (`[rows, 1, k]`), which the einsum drops.
fn weight_axes(einsum: &EinSum, x_rank: usize, weight_rank: usize) -> TractResult<Option<(usize, Option<usize>)>> {
    let (mut rows, mut k_axis, mut n_axis) = (false, None, None);
    for axis in einsum.axes.iter_all_axes() {
        let (x, w, out) = (&axis.inputs[0][..], &axis.inputs[1][..], &axis.outputs[0][..]);
        match (x, w, out) {
            ([0], [], [0]) => rows = true,
            ([last], [k], []) if *last + 1 == x_rank => k_axis = Some(*k),
            ([unit], [], []) if *unit > 0 && *unit + 1 < x_rank => {}
            ([], [n], [1]) => n_axis = Some(*n),
            ([], [], [1]) | ([], [], []) => {}
            _ => return Ok(None),
        }
    }
    let expected_rank = 1 + usize::from(n_axis.is_some());
    Ok(match k_axis {
        Some(k) if rows && weight_rank == expected_rank => Some((k, n_axis)),
        _ => None,
    })
}

/// Whether a shape (symbolic or concrete) is `[rows, columns]`, possibly with unit axes
/// between (`[rows, 1, columns]`: a max-pool without `keepdims` whose axis removal tract moved
/// into the product).
fn rows_by_columns<D: DimLike>(shape: &[D]) -> bool {
    shape.len() >= 2 && shape[1..shape.len() - 1].iter().all(|d| *d == D::from(1))
}

/// The only successor of `node`'s output, if it has exactly one and is not a model output.
fn sole_successor(model: &TypedModel, node: usize) -> TractResult<Option<usize>> {
    let outlet = OutletId::new(node, 0);
    if !crate::rewrite::read_once(model, outlet)? {
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
pub(crate) mod tests;
