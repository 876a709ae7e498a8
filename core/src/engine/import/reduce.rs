//! ONNX operators that act along axes: `ReduceSum` and `ReduceMax` (tract's `Reduce`, then an
//! `AxisOp::Rm` per reduced axis unless `keepdims`) and `Softmax` over one axis.

use tract_core::internal::*;
use tract_core::ops::identity::Identity;
use tract_core::ops::nn::{Reduce, Reducer, Softmax};

use crate::format::onnx::NodeProto;
use super::layout::const_axes;
use super::{attr, resolve_axis, Builder, Import, Unsupported};

/// `ReduceSum` or `ReduceMax` (`reducer`) over constant axes: an `axes` input (`ReduceSum`
/// from opset 13, `ReduceMax` from 18) or, for `ReduceMax` before opset 18, an `axes`
/// attribute; all axes when absent or empty, unless `noop_with_empty_axes`.
pub(crate) fn reduce(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId], reducer: Reducer) -> Import<TVec<OutletId>> {
    let axes_attribute = reducer == Reducer::Max && inputs.len() == 1;
    if axes_attribute {
        attr::only(node, &["keepdims", "axes"])?;
    } else {
        attr::only(node, &["keepdims", "noop_with_empty_axes"])?;
    }
    attr::arity(node, inputs.len(), 1, 2)?;
    let fact = b.fact(inputs[0])?;
    if !(fact.datum_type.is_float() || fact.datum_type.is_integer()) {
        return Err(Unsupported::new(format!("{} of {:?}", node.op_type, fact.datum_type)));
    }
    let rank = fact.rank();
    let keep = attr::flag(node, "keepdims", true)?;
    let requested = match inputs.get(1) {
        Some(axes) => const_axes(b, node, *axes)?,
        None if axes_attribute => attr::ints(node, "axes")?.unwrap_or_default(),
        None => vec![],
    };
    if requested.is_empty() && attr::flag(node, "noop_with_empty_axes", false)? {
        return b.wire(node, name, Identity, &inputs[..1]);
    }
    let mut axes: TVec<usize> = if requested.is_empty() {
        (0..rank).collect()
    } else {
        requested.iter().map(|&a| resolve_axis(node, a, rank)).collect::<Import<_>>()?
    };
    axes.sort_unstable();
    axes.dedup();
    let mut wire = b.wire(node, name, Reduce::new(axes.clone(), reducer), &inputs[..1])?[0];
    if !keep {
        for axis in axes.into_iter().rev() {
            wire = b.wire(node, &format!("{name}-dispose-dims-{axis}"), AxisOp::Rm(axis), &[wire])?[0];
        }
    }
    Ok(tvec!(wire))
}

/// `Softmax` over `axis` (opset 13: one axis, default the last) of a float tensor.
pub(crate) fn softmax(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &["axis"])?;
    attr::arity(node, inputs.len(), 1, 1)?;
    let fact = b.fact(inputs[0])?;
    if !fact.datum_type.is_float() {
        return Err(Unsupported::new(format!("Softmax of {:?}", fact.datum_type)));
    }
    let axis = resolve_axis(node, attr::int(node, "axis", -1)?, fact.rank())?;
    b.wire(node, name, Softmax { axes: tvec![axis], ..Softmax::default() }, inputs)
}
