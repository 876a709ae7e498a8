//! Element-wise ONNX operators: the broadcasting arithmetic (`Add`, `Sub`, `Mul`, `Div`,
//! `Min`, `Max`), `Relu`, `Cast` and `Identity`, as tract-core's `TypedBinOp`s, `Cast` and
//! `Identity`.

use tract_core::internal::*;
use tract_core::ops::binary::TypedBinOp;
use tract_core::ops::change_axes::wire_rank_broadcast;
use tract_core::ops::{cast, identity, math};

use crate::format::onnx::NodeProto;
use super::{attr, constant, wiring, Builder, Import, Unsupported};

/// A broadcasting binary operator; `Min` and `Max` fold any number of inputs pairwise, as
/// tract-onnx does. The inputs must share their element type (ONNX requires it; tract-onnx
/// would cast to a common type, so mixed types are left to it).
pub(crate) fn binary(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &[])?;
    let variadic = matches!(node.op_type.as_str(), "Min" | "Max");
    attr::arity(node, inputs.len(), if variadic { 1 } else { 2 }, if variadic { usize::MAX } else { 2 })?;
    let dt = b.fact(inputs[0])?.datum_type;
    for input in &inputs[1..] {
        let other = b.fact(*input)?.datum_type;
        if other != dt {
            return Err(Unsupported::new(format!("{} node `{}` mixing {dt:?} and {other:?}", node.op_type, node.name)));
        }
    }
    let mut wire = inputs[0];
    for (ix, input) in inputs[1..].iter().enumerate() {
        let step = if inputs.len() > 2 { format!("{name}.{ix}") } else { name.to_string() };
        let wires = wire_rank_broadcast(&step, &mut b.model, &[wire, *input]).map_err(wiring(node))?;
        wire = b.wire(node, &step, binary_op(node, dt)?, &wires)?[0];
    }
    Ok(tvec!(wire))
}

fn binary_op(node: &NodeProto, dt: DatumType) -> Import<TypedBinOp> {
    Ok(match node.op_type.as_str() {
        "Add" => math::add(),
        "Sub" => math::sub(),
        "Mul" => math::mul(),
        "Div" if dt.is_float() => math::div(),
        "Min" => math::min(),
        "Max" => math::max(),
        _ => return Err(Unsupported::new(format!("{} of {dt:?}", node.op_type))),
    })
}

/// `Relu` as tract-onnx writes it: `Max` with a zero broadcast to the input's rank.
pub(crate) fn relu(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &[])?;
    attr::arity(node, inputs.len(), 1, 1)?;
    let fact = b.fact(inputs[0])?;
    if !fact.datum_type.is_float() {
        return Err(Unsupported::new(format!("Relu of {:?}", fact.datum_type)));
    }
    let zero = tensor0(0f32).cast_to_dt(fact.datum_type).map_err(wiring(node))?.into_owned();
    let zero = zero.broadcast_into_rank(fact.rank()).map_err(wiring(node))?;
    let zero = b.add_const(&format!("{name}.low.cst"), zero)?;
    b.wire(node, name, math::max(), &[inputs[0], zero])
}

/// `Cast` between the numeric types the direct import reads (not to `i64`, which tract-onnx
/// turns into its symbolic-dimension type).
pub(crate) fn cast(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, &["to"])?;
    attr::arity(node, inputs.len(), 1, 1)?;
    let to = attr::required_int(node, "to")?;
    let to = constant::datum_type(to as i32)
        .filter(|dt| *dt != DatumType::I64)
        .ok_or_else(|| Unsupported::new(format!("Cast to ONNX type {to}")))?;
    if b.fact(inputs[0])?.datum_type == to {
        return identity(b, name, node, inputs);
    }
    b.wire(node, name, cast::cast(to), inputs)
}

/// `Identity`, kept as a node so the graph output keeps its ONNX name (declutter removes it).
pub(crate) fn identity(b: &mut Builder, name: &str, node: &NodeProto, inputs: &[OutletId]) -> Import<TVec<OutletId>> {
    attr::only(node, if node.op_type == "Cast" { &["to"] } else { &[] })?;
    attr::arity(node, inputs.len(), 1, 1)?;
    b.wire(node, name, identity::Identity, inputs)
}
