//! ONNX matrix products as tract-core `EinSum`s: `Gemm` (with its `alpha`, `beta` and bias),
//! `MatMul` (numpy broadcasting of leading axes) and the int8 `MatMulInteger` (an `EinSum`
//! with tract's nine quantized inputs, accumulating in `i32`).

use tract_core::internal::*;
use tract_core::ops::change_axes::wire_rank_broadcast;
use tract_core::ops::einsum::EinSum;
use tract_core::ops::math;

use crate::format::onnx::NodeProto;
use super::{attr, wiring, Builder, Import, Unsupported};

/// `Gemm`: `alpha * op(A) op(B) + beta * C` on rank-2 `A` and `B`, `C` broadcast from the
/// front.
pub(crate) fn gemm(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &["alpha", "beta", "transA", "transB"])?;
    attr::arity(node, inputs.len(), 2, 3)?;
    let (trans_a, trans_b) = (attr::flag(node, "transA", false)?, attr::flag(node, "transB", false)?);
    let (alpha, beta) = (attr::float(node, "alpha", 1.0)?, attr::float(node, "beta", 1.0)?);
    let dt = b.fact(inputs[0])?.datum_type;
    for input in inputs {
        let fact = b.fact(*input)?;
        if fact.datum_type != dt || !dt.is_float() {
            return Err(Unsupported::new(format!("Gemm node `{}` on {:?} and {dt:?}", node.name, fact.datum_type)));
        }
    }
    if b.fact(inputs[0])?.rank() != 2 || b.fact(inputs[1])?.rank() != 2 {
        return Err(Unsupported::new(format!("Gemm node `{}` on operands not of rank 2", node.name)));
    }
    let axes = AxesMapping::for_numpy_matmul(2, trans_a, trans_b, false).map_err(wiring(node))?;
    let product_name = if inputs.len() == 3 && beta != 0.0 { format!("{name}.ab") } else { name.to_string() };
    let mut wire = b.wire(node, &product_name, EinSum::new(axes, dt), &inputs[..2])?[0];
    if alpha != 1.0 {
        let alpha = b.add_const(&format!("{name}.alpha_ab.cst"), scalar(alpha, dt, 2, node)?)?;
        wire = b.wire(node, &format!("{name}.alpha_ab"), math::mul(), &[alpha, wire])?[0];
    }
    let Some(&c) = inputs.get(2).filter(|_| beta != 0.0) else { return Ok(tvec!(wire)) };
    let mut c = match b.konst(c)? {
        Some(bias) if bias.rank() <= 2 => {
            let mut bias = bias.into_tensor();
            while bias.rank() < 2 {
                bias.insert_axis(0).map_err(wiring(node))?;
            }
            b.add_const(&format!("{name}.c"), bias)?
        }
        Some(_) => return Err(Unsupported::new(format!("Gemm node `{}` with a bias of rank over 2", node.name))),
        None => {
            let (mut c, rank) = (c, b.fact(c)?.rank());
            for _ in rank..2 {
                c = b.wire(node, &format!("{name}.c_add_axis"), AxisOp::Add(0), &[c])?[0];
            }
            c
        }
    };
    if beta != 1.0 {
        let beta = b.add_const(&format!("{name}.beta_c.cst"), scalar(beta, dt, 2, node)?)?;
        c = b.wire(node, &format!("{name}.beta_c"), math::mul(), &[beta, c])?[0];
    }
    b.wire(node, name, math::add(), &[wire, c])
}

/// `value` as a `dt` tensor of `rank` axes of size 1.
fn scalar(value: f32, dt: DatumType, rank: usize, node: &NodeProto) -> Import<Tensor> {
    let t = tensor0(value).cast_to_dt(dt).map_err(wiring(node))?.into_owned();
    t.broadcast_into_rank(rank).map_err(wiring(node))
}

/// `MatMul` of operands of rank 2 or more, leading axes broadcast numpy-style.
pub(crate) fn matmul(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &[])?;
    attr::arity(node, inputs.len(), 2, 2)?;
    let (fa, fb) = (b.fact(inputs[0])?, b.fact(inputs[1])?);
    let (a_rank, b_rank, dt) = (fa.rank(), fb.rank(), fa.datum_type);
    if a_rank < 2 || b_rank < 2 || fb.datum_type != dt || !dt.is_float() {
        return Err(Unsupported::new(format!("MatMul node `{}` on {fa:?} and {fb:?}", node.name)));
    }
    let c_rank = a_rank.max(b_rank);
    let prefix = |skip: usize| ('a'..).take(c_rank - 2).skip(skip).collect::<String>();
    let expr = format!(
        "{}mk,{}kn->{}mn",
        prefix(b_rank.saturating_sub(a_rank)),
        prefix(a_rank.saturating_sub(b_rank)),
        prefix(0)
    );
    let axes: AxesMapping = expr.parse().map_err(wiring(node))?;
    b.wire(node, name, EinSum::new(axes, dt), inputs)
}

/// `MatMulInteger` of 8-bit operands with scalar (or absent) zero points, accumulating in
/// `i32`: tract's quantized `EinSum` with unit scales, zero bias and zero output offset.
pub(crate) fn matmul_integer(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &[])?;
    attr::arity(node, inputs.len(), 2, 4)?;
    for (ix, input) in inputs.iter().enumerate() {
        let fact = b.fact(*input)?;
        let eight_bit = matches!(fact.datum_type, DatumType::I8 | DatumType::U8);
        if !eight_bit || (ix < 2 && fact.rank() < 2) || (ix >= 2 && fact.rank() != 0) {
            return Err(Unsupported::new(format!("MatMulInteger node `{}` input {ix}: {fact:?}", node.name)));
        }
    }
    let mut operands = wire_rank_broadcast(name, &mut b.model, &inputs[..2]).map_err(wiring(node))?;
    let zero = |b: &mut Builder, what: &str| b.add_const(&format!("{name}.{what}"), tensor0(0i32));
    let one = |b: &mut Builder, what: &str| b.add_const(&format!("{name}.{what}"), tensor0(1f32));
    operands.push(zero(b, "bias")?);
    operands.push(match inputs.get(2) {
        Some(a0) => *a0,
        None => zero(b, "a0")?,
    });
    operands.push(one(b, "a_scale")?);
    operands.push(match inputs.get(3) {
        Some(b0) => *b0,
        None => zero(b, "b0")?,
    });
    operands.push(one(b, "b_scale")?);
    operands.push(zero(b, "c0")?);
    operands.push(one(b, "c_scale")?);
    let rank = b.fact(operands[0])?.rank();
    let ranks = operands.iter().map(|o| Ok(b.fact(*o)?.rank())).collect::<Import<Vec<usize>>>()?;
    let axes = integer_axes(rank, &ranks).map_err(wiring(node))?;
    b.wire(node, name, EinSum::newq(axes, DatumType::I32, DatumType::I32), &operands)
}

/// `…mk,…kn,(seven scalars)->…mn`, leading axes shared.
fn integer_axes(rank: usize, ranks: &[usize]) -> TractResult<AxesMapping> {
    let mut axes = AxesMapping::disconnected_for_ranks(ranks, &ranks[0..1])?
        .renaming((InOut::In(0), rank - 2), 'm')?
        .linking('m', (InOut::Out(0), rank - 2))?
        .renaming((InOut::In(1), rank - 1), 'n')?
        .linking('n', (InOut::Out(0), rank - 1))?
        .renaming((InOut::In(0), rank - 1), 'k')?
        .linking('k', (InOut::In(1), rank - 2))?;
    for ax in 0..rank - 2 {
        axes = axes.linking((InOut::In(0), ax), (InOut::In(1), ax))?.linking((InOut::In(0), ax), (InOut::Out(0), ax))?;
    }
    Ok(axes)
}
