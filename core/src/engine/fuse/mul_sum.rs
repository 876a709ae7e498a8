//! A load-time rewrite for embedding-bag and attention pooling: `ReduceSum(Mul(a, b), axis)`
//! with a broadcasting `Mul` becomes one dram op, [`MulReduce`], that multiplies and sums in
//! a single pass without materialising the product; `ReduceMax(Mul(a, b), axis)`, the masked
//! max-pool of word-piece convolutions, becomes the same op with a max.
//!
//! dram's exporter writes pooling as standard ONNX (`Mul` + `ReduceSum`) so every runtime
//! reads the file, but tract has no fast kernel for a `Mul` that broadcasts a middle axis
//! (`[N, L, D] * [N, 1, D]`, attention logits), and on a ranker that `Mul` and its `ReduceSum`
//! were most of a call; tract's `Reduce<Max>` over a middle axis is far slower per value than
//! its `Sum` (`docs/performance.md`). The fused loop is a dot product or an axpy over the
//! contiguous last axis, which the compiler vectorises.

use tract_core::prelude::*;
use tract_core::broadcast::multi_broadcast;
use tract_core::internal::*;
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::math::Mul;
use tract_core::ops::nn::{Reduce, Reducer};

/// Highest rank the fused op handles.
const MAX_RANK: usize = 4;

/// `sum` (`Reducer::Sum`) or `max` (`Reducer::Max`) over `axis` of the broadcast product
/// `a * b`, keeping the axis with size 1 (exactly what `Reduce` of a `Mul` produces).
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub(crate) struct MulReduce {
    pub(crate) axis: usize,
    pub(crate) reducer: Reducer,
}

/// Replaces every `Reduce<Sum>` or `Reduce<Max>` over one axis of an f32 `Mul` used nowhere
/// else with [`MulReduce`]; returns how many it replaced.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    crate::engine::fuse::rewrite::replace_all(model, "dram-mul-reduce", |model| {
        Ok(find(model)?.map(|(mul, reduce, reducer, axis)| (MulReduce { axis, reducer }, model.node(mul).inputs.to_vec(), reduce)))
    })
}

/// The next `(mul node, reduce node, reducer, axis)` to fuse.
fn find(model: &TypedModel) -> TractResult<Option<(usize, usize, Reducer, usize)>> {
    for node in &model.nodes {
        let Some(reduce) = node.op_as::<Reduce>() else { continue };
        if !matches!(reduce.reducer, Reducer::Sum | Reducer::Max) || reduce.axes.len() != 1 {
            continue;
        }
        let source = node.inputs[0];
        let mul = model.node(source.node);
        let is_mul = mul.op_as::<TypedBinOp>().is_some_and(|op| op.0.is::<Mul>());
        if !is_mul || !crate::engine::fuse::rewrite::read_once(model, source)? {
            continue;
        }
        let facts = model.node_input_facts(mul.id)?;
        let fits = facts.iter().all(|f| f.datum_type == f32::datum_type() && f.rank() == facts[0].rank())
            && facts[0].rank() <= MAX_RANK;
        if fits {
            return Ok(Some((mul.id, node.id, reduce.reducer, reduce.axes[0])));
        }
    }
    Ok(None)
}

impl Op for MulReduce {
    fn name(&self) -> StaticName {
        if self.reducer == Reducer::Max { "DramMulMax" } else { "DramMulSum" }.into()
    }

    op_as_typed_op!();
}

impl EvalOp for MulReduce {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let (a, b) = args_2!(inputs);
        let full: TVec<usize> = multi_broadcast(&[a.shape(), b.shape()])?;
        let mut out_shape = full.clone();
        out_shape[self.axis] = 1;
        let a_data = a.try_as_plain_ram()?;
        let b_data = b.try_as_plain_ram()?;
        let (a_values, b_values) = (a_data.as_slice::<f32>()?, b_data.as_slice::<f32>()?);
        let out = match self.reducer {
            Reducer::Max => mul_max(a_values, a.shape(), b_values, b.shape(), &full, self.axis),
            _ => mul_sum(a_values, a.shape(), b_values, b.shape(), &full, self.axis),
        };
        Ok(tvec!(tract_ndarray::ArrayD::from_shape_vec(&*out_shape, out)?.into_tensor().into_tvalue()))
    }
}

impl TypedOp for MulReduce {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(inputs.len() == 2 && inputs[0].rank() == inputs[1].rank() && self.axis < inputs[0].rank());
        let mut shape = multi_broadcast(&[&*inputs[0].shape, &*inputs[1].shape])?;
        shape[self.axis] = 1.to_dim();
        Ok(tvec!(f32::fact(shape)))
    }

    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let full = multi_broadcast(&[&*inputs[0].shape, &*inputs[1].shape])?;
        Ok(tvec!((Cost::FMA(f32::datum_type()), full.iter().product())))
    }
}

/// How a fused loop walks the broadcast shape: the dimensions padded at the front to
/// [`MAX_RANK`], and the strides of `a`, `b` and the output through them (the output's 0 on
/// the reduced axis).
struct Walk {
    dims: [usize; MAX_RANK],
    sa: [usize; MAX_RANK],
    sb: [usize; MAX_RANK],
    so: [usize; MAX_RANK],
    out_len: usize,
}

impl Walk {
    fn new(a_shape: &[usize], b_shape: &[usize], full: &[usize], axis: usize) -> Walk {
        let pad = MAX_RANK - full.len();
        let mut dims = [1usize; MAX_RANK];
        dims[pad..].copy_from_slice(full);
        let mut out_shape = full.to_vec();
        out_shape[axis] = 1;
        let mut so = strides(&out_shape, &out_shape);
        so[pad + axis] = 0;
        Walk { dims, sa: strides(a_shape, full), sb: strides(b_shape, full), so, out_len: out_shape.iter().product() }
    }
}

/// `max over axis` of `a * b` on row-major data (`-inf` for an empty axis, as tract's
/// `Reduce<Max>`); `full` is the broadcast shape. The word-piece layout (`a` `[N, L, C]`
/// contiguous, one weight per position, maximum over positions) runs as slice loops over
/// contiguous channel rows; any other layout element by element.
pub(crate) fn mul_max(a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], full: &[usize], axis: usize) -> Vec<f32> {
    let Walk { dims, sa, sb, so, out_len } = Walk::new(a_shape, b_shape, full, axis);
    let mut out = vec![f32::NEG_INFINITY; out_len];
    let n = dims[3];
    for i0 in 0..dims[0] {
        for i1 in 0..dims[1] {
            let (pa, pb, po) = (i0 * sa[0] + i1 * sa[1], i0 * sb[0] + i1 * sb[1], i0 * so[0] + i1 * so[1]);
            let rows = dims[2];
            // Positions on axis 2, channels contiguous on axis 3, one weight per position.
            if (sa[3], sa[2], sb[3], sb[2], so[3], so[2]) == (1, n, 0, 1, 1, 0) && n > 0 {
                let out_row = &mut out[po..po + n];
                for (a_row, &w) in a[pa..pa + rows * n].chunks_exact(n).zip(&b[pb..pb + rows]) {
                    out_row.iter_mut().zip(a_row).for_each(|(o, &x)| *o = o.max(x * w));
                }
                continue;
            }
            for i2 in 0..rows {
                let (pa, pb, po) = (pa + i2 * sa[2], pb + i2 * sb[2], po + i2 * so[2]);
                for k in 0..n {
                    let o = &mut out[po + k * so[3]];
                    *o = o.max(a[pa + k * sa[3]] * b[pb + k * sb[3]]);
                }
            }
        }
    }
    out
}

/// Row-major strides of `shape` seen through `full` (0 where `shape` broadcasts), padded at
/// the front to [`MAX_RANK`].
fn strides(shape: &[usize], full: &[usize]) -> [usize; MAX_RANK] {
    let mut out = [0; MAX_RANK];
    let pad = MAX_RANK - full.len();
    let mut stride = 1;
    for ax in (0..full.len()).rev() {
        out[pad + ax] = if shape[ax] == 1 && full[ax] != 1 { 0 } else { stride };
        stride *= shape[ax];
    }
    out
}

/// The fused computation on row-major data; `full` is the broadcast shape.
pub(crate) fn mul_sum(a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], full: &[usize], axis: usize) -> Vec<f32> {
    let Walk { dims, sa, sb, so, out_len } = Walk::new(a_shape, b_shape, full, axis);
    let mut out = vec![0.0f32; out_len];
    let n = dims[3];
    for i0 in 0..dims[0] {
        for i1 in 0..dims[1] {
            let (pa, pb, po) = (i0 * sa[0] + i1 * sa[1], i0 * sb[0] + i1 * sb[1], i0 * so[0] + i1 * so[1]);
            if contiguous_rows(&mut out, a, b, (pa, pb, po), (sa, sb, so), dims[2], n) {
                continue;
            }
            for i2 in 0..dims[2] {
                let (pa, pb, po) = (pa + i2 * sa[2], pb + i2 * sb[2], po + i2 * so[2]);
                match (sa[3], sb[3], so[3]) {
                    (1, 1, 0) => out[po] += dot(&a[pa..pa + n], &b[pb..pb + n]),
                    (1, 0, 1) => axpy(&mut out[po..po + n], b[pb], &a[pa..pa + n]),
                    (0, 1, 1) => axpy(&mut out[po..po + n], a[pa], &b[pb..pb + n]),
                    (1, 1, 1) => {
                        for ((o, x), y) in out[po..po + n].iter_mut().zip(&a[pa..pa + n]).zip(&b[pb..pb + n]) {
                            *o += x * y;
                        }
                    }
                    (s_a, s_b, s_o) => {
                        for k in 0..n {
                            out[po + k * s_o] += a[pa + k * s_a] * b[pb + k * s_b];
                        }
                    }
                }
            }
        }
    }
    out
}

/// The two pooling layouts of a ranker, where `a`'s `rows` rows of `n` are contiguous: the
/// attention logits (`a[rows, n] . b[n]`, one dot per row) and the weighted sum (`sum_r
/// b[r] * a[r, n]`), as slice loops with no offset arithmetic per row (the generic loop's
/// per-row offsets cost more than the dot products of 4 or 8 values). Same arithmetic, in the
/// same order, as the generic loop. Returns false for any other layout.
#[allow(clippy::type_complexity)]
fn contiguous_rows(out: &mut [f32], a: &[f32], b: &[f32], (pa, pb, po): (usize, usize, usize), (sa, sb, so): ([usize; MAX_RANK], [usize; MAX_RANK], [usize; MAX_RANK]), rows: usize, n: usize) -> bool {
    if sa[3] != 1 || sa[2] != n || n == 0 {
        return false;
    }
    let a_rows = a[pa..pa + rows * n].chunks_exact(n);
    match (sb[3], so[3], sb[2], so[2]) {
        // b's row broadcast over the rows; one output per row.
        (1, 0, 0, 1) => {
            let b_row = &b[pb..pb + n];
            out[po..po + rows].iter_mut().zip(a_rows).for_each(|(o, a_row)| *o += dot(a_row, b_row));
            true
        }
        // One weight per row; one output row summed over the rows.
        (0, 1, 1, 0) => {
            let (weights, out_row) = (&b[pb..pb + rows], &mut out[po..po + n]);
            a_rows.zip(weights).for_each(|(a_row, &w)| axpy(out_row, w, a_row));
            true
        }
        _ => false,
    }
}

fn dot(x: &[f32], y: &[f32]) -> f32 {
    // Eight partial sums let the compiler keep a vector of accumulators.
    let mut acc = [0.0f32; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f32 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| a * b).sum();
    for (xs, ys) in xc.zip(yc) {
        for k in 0..8 {
            acc[k] += xs[k] * ys[k];
        }
    }
    acc.iter().sum::<f32>() + tail
}

fn axpy(out: &mut [f32], alpha: f32, x: &[f32]) {
    for (o, v) in out.iter_mut().zip(x) {
        *o += alpha * v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Broadcast multiply, then fold the products over `axis` from `init` with `combine` (a
    /// sum or a max), one element at a time.
    #[allow(clippy::too_many_arguments)]
    fn naive(a: &[f32], a_shape: &[usize], b: &[f32], b_shape: &[usize], full: &[usize], axis: usize, init: f32, combine: fn(f32, f32) -> f32) -> Vec<f32> {
        let index = |shape: &[usize], idx: &[usize]| {
            idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + if d == 1 { 0 } else { i })
        };
        let mut out_shape = full.to_vec();
        out_shape[axis] = 1;
        let mut out = vec![init; out_shape.iter().product()];
        let total: usize = full.iter().product();
        for flat in 0..total {
            let mut idx = vec![0; full.len()];
            let mut rest = flat;
            for ax in (0..full.len()).rev() {
                idx[ax] = rest % full[ax];
                rest /= full[ax];
            }
            let v = a[index(a_shape, &idx)] * b[index(b_shape, &idx)];
            let mut o = idx.clone();
            o[axis] = 0;
            let slot = &mut out[index(&out_shape, &o)];
            *slot = combine(*slot, v);
        }
        out
    }

    fn data(len: usize, seed: f32) -> Vec<f32> {
        (0..len).map(|i| (i as f32 * 0.37 + seed).sin()).collect()
    }

    #[test]
    fn every_broadcast_layout_matches_multiply_then_sum() {
        let cases: &[(&[usize], &[usize], usize)] = &[
            (&[5, 20, 8], &[5, 1, 8], 2),   // attention logits
            (&[5, 20, 8], &[5, 20, 1], 1),  // attention-weighted pooling
            (&[5, 20, 8], &[5, 20, 1], 2),
            (&[5, 20, 8], &[5, 1, 8], 1),
            (&[5, 1, 8], &[5, 20, 8], 0),
            (&[3, 4], &[3, 4], 1),
            (&[3, 4], &[1, 4], 0),
            (&[2, 3, 4, 9], &[2, 1, 4, 1], 3),
            (&[2, 3, 4, 9], &[1, 3, 1, 9], 1),
            (&[7], &[7], 0),
        ];
        for &(a_shape, b_shape, axis) in cases {
            let full = multi_broadcast(&[a_shape, b_shape]).unwrap();
            let a = data(a_shape.iter().product(), 0.1);
            let b = data(b_shape.iter().product(), 0.7);
            let got = mul_sum(&a, a_shape, &b, b_shape, &full, axis);
            let want = naive(&a, a_shape, &b, b_shape, &full, axis, 0.0, |acc, v| acc + v);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-4, "{a_shape:?} x {b_shape:?} sum over {axis}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn every_broadcast_layout_matches_multiply_then_max() {
        let cases: &[(&[usize], &[usize], usize)] = &[
            (&[5, 20, 8], &[5, 20, 1], 1), // word-piece max-pool: positions, one weight each
            (&[5, 20, 8], &[5, 1, 8], 1),
            (&[5, 20, 8], &[5, 20, 1], 2),
            (&[5, 1, 8], &[5, 20, 8], 0),
            (&[3, 4], &[1, 4], 0),
            (&[2, 3, 4, 9], &[2, 3, 4, 1], 2),
            (&[7], &[7], 0),
        ];
        for &(a_shape, b_shape, axis) in cases {
            let full = multi_broadcast(&[a_shape, b_shape]).unwrap();
            let a = data(a_shape.iter().product(), 0.1);
            let b = data(b_shape.iter().product(), 0.7);
            let got = mul_max(&a, a_shape, &b, b_shape, &full, axis);
            let want = naive(&a, a_shape, &b, b_shape, &full, axis, f32::NEG_INFINITY, f32::max);
            assert_eq!(got, want, "{a_shape:?} x {b_shape:?} max over {axis}");
        }
    }

    #[test]
    fn the_output_fact_keeps_the_summed_axis_as_one() {
        let op = MulReduce { axis: 1, reducer: Reducer::Sum };
        let a = f32::fact([4, 20, 8]);
        let b = f32::fact([4, 20, 1]);
        assert_eq!(op.output_facts(&[&a, &b]).unwrap()[0], f32::fact([4, 1, 8]));
    }
}
