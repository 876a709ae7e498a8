//! ONNX operators that select or rearrange values without arithmetic: `Gather` (embedding
//! lookups), `Unsqueeze` (as `AxisOp::Add`s) and `Concat`.

use tract_core::internal::*;
use tract_core::ops::array::{Gather, TypedConcat};
use tract_core::ops::cast::cast;

use crate::format::onnx::NodeProto;
use super::{attr, resolve_axis, Builder, Import, Unsupported};

/// `Gather` along `axis` (default 0), indices as `i64` (an `i32` index tensor is cast, as
/// tract-onnx does).
pub(crate) fn gather(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &["axis"])?;
    attr::arity(node, inputs.len(), 2, 2)?;
    let axis = resolve_axis(node, attr::int(node, "axis", 0)?, b.fact(inputs[0])?.rank())?;
    let mut indices = inputs[1];
    match b.fact(indices)?.datum_type {
        DatumType::I64 => (),
        DatumType::I32 => indices = b.wire(node, &format!("{name}.cast_to_i64"), cast(DatumType::I64), &[indices])?[0],
        other => return Err(Unsupported::new(format!("Gather with {other:?} indices"))),
    }
    b.wire(node, name, Gather::new(axis), &[inputs[0], indices])
}

/// `Unsqueeze` with constant `axes` (opset 13): one `AxisOp::Add` per new axis, in
/// increasing order of the output axes.
pub(crate) fn unsqueeze(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &[])?;
    attr::arity(node, inputs.len(), 2, 2)?;
    let rank = b.fact(inputs[0])?.rank();
    let requested = const_axes(b, node, inputs[1])?;
    let out_rank = rank + requested.len();
    let mut axes = requested.iter().map(|&a| resolve_axis(node, a, out_rank)).collect::<Import<Vec<usize>>>()?;
    axes.sort_unstable();
    if axes.windows(2).any(|w| w[0] == w[1]) {
        return Err(Unsupported::new(format!("Unsqueeze node `{}` repeats an axis in {requested:?}", node.name)));
    }
    let mut wire = inputs[0];
    for axis in axes {
        wire = b.wire(node, &format!("{name}.axis-{axis}"), AxisOp::Add(axis), &[wire])?[0];
    }
    Ok(tvec!(wire))
}

/// The constant `i64` axes list an opset-13 operator reads from `input`.
pub(crate) fn const_axes(b: &Builder, node: &NodeProto, input: OutletId) -> Import<Vec<i64>> {
    let konst = b.konst(input)?.ok_or_else(|| Unsupported::new(format!("{} node `{}` with computed axes", node.op_type, node.name)))?;
    let axes = konst
        .try_as_plain_ram()
        .and_then(|ram| ram.as_slice::<i64>().map(<[i64]>::to_vec))
        .map_err(|e| Unsupported::new(format!("{} node `{}` axes: {e:#}", node.op_type, node.name)))?;
    if konst.rank() > 1 {
        return Err(Unsupported::new(format!("{} node `{}` with axes of rank {}", node.op_type, node.name, konst.rank())));
    }
    Ok(axes)
}

/// `Concat` along `axis` of inputs of one element type.
pub(crate) fn concat(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &["axis"])?;
    attr::arity(node, inputs.len(), 1, usize::MAX)?;
    let first = b.fact(inputs[0])?.clone();
    for input in &inputs[1..] {
        let fact = b.fact(*input)?;
        if fact.datum_type != first.datum_type || fact.rank() != first.rank() {
            return Err(Unsupported::new(format!("Concat node `{}` mixing {first:?} and {fact:?}", node.name)));
        }
    }
    let axis = resolve_axis(node, attr::required_int(node, "axis")?, first.rank())?;
    b.wire(node, name, TypedConcat::new(axis), inputs)
}
