//! `QuantizeLinear` to int8 as dram runs it: one rounding function shared by every fused int8
//! op ([`requantize`]), and a load-time rewrite that gives tract's scalar per-element
//! `QuantizeLinearI8` the same vectorisable loop ([`QuantizeI8`]).
//!
//! tract rounds each value through `round_ties_to_even` and a saturating cast, a loop the
//! compiler cannot vectorise; on an int8 ranker that rounding is a visible share of a call
//! (`docs/quantization.md`). [`requantize`] rounds with an add-and-reinterpret trick that
//! compiles to a handful of SIMD instructions and gives tract's result for every input, NaN
//! and infinities included (tested against tract's rounding over a sweep of values).

use tract_core::prelude::*;
use tract_core::internal::*;
use tract_core::ops::element_wise::ElementWiseOp;
use tract_core::ops::quant::QuantizeLinearI8;

/// `QuantizeLinear` of `y` to int8 with zero point 0: `y * multiplier` rounded half to even and
/// saturated to [-128, 127], NaN giving 0, exactly as tract's `quantize_linear_f32_i8`.
///
/// Clamping to [-129, 128] first changes no result (rounding is monotonic) and keeps the value
/// where adding 1.5 * 2^23 leaves no fraction bits: the sum's bit pattern is then the
/// rounder's plus the rounded integer, read back without a float-to-int conversion (whose
/// saturating form does not vectorise). A branch-free select maps NaN to 0.
#[inline]
pub(crate) fn requantize(y: f32, multiplier: f32) -> i8 {
    const ROUNDER: f32 = 12_582_912.0; // 1.5 * 2^23
    let v = y * multiplier;
    let clamped = if v.is_nan() { 0.0 } else { v.clamp(-129.0, 128.0) };
    // Wrapping: debug builds' overflow checks would stop the loop from vectorising.
    let rounded = ((clamped + ROUNDER).to_bits() as i32).wrapping_sub(ROUNDER.to_bits() as i32);
    rounded.clamp(-128, 127) as i8
}

/// `QuantizeLinear(x, 1 / multiplier, 0)` from f32 to int8, element-wise, any shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuantizeI8 {
    pub(crate) multiplier: f32,
}

impl Eq for QuantizeI8 {}

impl std::hash::Hash for QuantizeI8 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.multiplier.to_bits().hash(state);
    }
}

impl Op for QuantizeI8 {
    fn name(&self) -> StaticName {
        "DramQuantizeI8".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        Ok(vec![format!("multiplier: {}", self.multiplier)])
    }

    op_as_typed_op!();
}

impl EvalOp for QuantizeI8 {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        let x = args_1!(inputs);
        let data = x.try_as_plain_ram()?;
        let values = data.as_slice::<f32>()?;
        let mut y = Tensor::zero::<i8>(x.shape())?;
        let mut out = y.try_as_plain_ram_mut()?;
        out.as_slice_mut::<i8>()?.iter_mut().zip(values).for_each(|(q, &v)| *q = requantize(v, self.multiplier));
        Ok(tvec!(y.into_tvalue()))
    }
}

impl TypedOp for QuantizeI8 {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        ensure!(
            inputs.len() == 1 && inputs[0].datum_type == f32::datum_type(),
            "dram int8 quantize: expected one f32 input, found {:?}",
            inputs.iter().map(|f| format!("{f:?}")).collect::<Vec<_>>()
        );
        Ok(tvec!(i8::datum_type().fact(inputs[0].shape.clone())))
    }
}

/// Replaces every f32-to-int8 `QuantizeLinear` with zero point 0 by [`QuantizeI8`]; returns how
/// many it replaced. Others (a zero point, an i32 input) stay tract's.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    crate::engine::fuse::rewrite::replace_all(model, "dram-quantize", find)
}

/// The next `QuantizeLinear` [`fuse`] replaces: its op, its input and its node.
fn find(model: &TypedModel) -> TractResult<Option<(QuantizeI8, Vec<OutletId>, usize)>> {
    for node in &model.nodes {
        let Some(q) = node.op_as::<ElementWiseOp>().and_then(|e| e.0.downcast_ref::<QuantizeLinearI8>()) else { continue };
        if q.zero_point == 0 && model.outlet_fact(node.inputs[0])?.datum_type == f32::datum_type() {
            return Ok(Some((QuantizeI8 { multiplier: q.scale }, vec![node.inputs[0]], node.id)));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
