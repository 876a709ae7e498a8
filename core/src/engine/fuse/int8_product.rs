//! The integer product dram's int8 rewrites share: recognising the constant int8 weights of a
//! `MatMulInteger`-style product ([`integer_weights`]) and computing small products in a
//! layout the compiler vectorises ([`Product`]). [`super::quant_dense`] computes whole layers
//! with it and [`super::quant_embed`] folds embedding tables through the same weights.

use tract_core::internal::*;
use tract_core::ops::einsum::EinSum;

/// Largest weight matrix (inputs x outputs) whose product [`Product`] computes (in [`super::quant_dense::QuantDense`]);
/// larger layers keep tract's packed integer kernels (AVX2, SDOT) and fuse only the epilogue.
/// Measured on the MovieLens int8 ranker (`dram latency`, interleaved with its fp32 twin, three
/// runs each): computing the 16 x 16 and 16 x 1 layers whole gives 1.04x the fp32 call, only
/// the 16 x 1 layer 1.05x, neither 1.08x. The portable loop is vectorised only for a constant
/// block of outputs and cannot use the wider SIMD tract selects at run time, so large layers
/// are better left to tract.
pub(crate) const MAX_FUSED_WEIGHTS: usize = 256;

/// The int8 weights of a product small enough to compute with [`Product`].
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

/// `x0 * w[0] + x1 * w[1]` in i32. Each product is at most 2^14 in magnitude and a layer has
/// at most [`MAX_FUSED_WEIGHTS`] of them, so no sum overflows; wrapping arithmetic spares
/// debug builds the overflow checks that would stop the loop from vectorising.
#[inline]
fn pair_product(x0: i32, x1: i32, w: &[i16]) -> i32 {
    x0.wrapping_mul(i32::from(w[0])).wrapping_add(x1.wrapping_mul(i32::from(w[1])))
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
    /// Whether the product is small enough for [`Product`] (at most [`MAX_FUSED_WEIGHTS`]).
    pub(crate) fn fits(&self) -> bool {
        self.inputs * self.outputs <= MAX_FUSED_WEIGHTS
    }

    /// The weights laid out as a [`Product`].
    pub(crate) fn product(&self) -> TractResult<Product> {
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
pub(crate) fn rows_by_columns<D: DimLike>(shape: &[D]) -> bool {
    shape.len() >= 2 && shape[1..shape.len() - 1].iter().all(|d| *d == D::from(1))
}

