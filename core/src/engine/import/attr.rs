//! Reading ONNX node attributes for the direct import, refusing what it does not understand:
//! an attribute a translation does not list sends the graph to tract-onnx instead of being
//! silently ignored.

use crate::format::onnx::attribute_proto::AttributeType;
use crate::format::onnx::{AttributeProto, NodeProto};
use super::{Import, Unsupported};

/// Checks that `node` carries no attribute outside `known`.
pub(crate) fn only(node: &NodeProto, known: &[&str]) -> Import<()> {
    match node.attribute.iter().find(|a| !known.contains(&a.name.as_str())) {
        Some(a) => Err(Unsupported::new(format!("{} node `{}` with attribute `{}`", node.op_type, node.name, a.name))),
        None => Ok(()),
    }
}

fn find<'n>(node: &'n NodeProto, name: &str, kind: AttributeType) -> Import<Option<&'n AttributeProto>> {
    let Some(a) = node.attribute.iter().find(|a| a.name == name) else { return Ok(None) };
    if a.r#type != kind as i32 || !a.ref_attr_name.is_empty() {
        return Err(Unsupported::new(format!(
            "{} node `{}`: attribute `{name}` of type {} (expected {kind:?})",
            node.op_type,
            node.name,
            a.r#type,
        )));
    }
    Ok(Some(a))
}

/// An integer attribute, `default` when absent.
pub(crate) fn int(node: &NodeProto, name: &str, default: i64) -> Import<i64> {
    Ok(find(node, name, AttributeType::Int)?.map_or(default, |a| a.i))
}

/// An integer attribute that must be present.
pub(crate) fn required_int(node: &NodeProto, name: &str) -> Import<i64> {
    find(node, name, AttributeType::Int)?
        .map(|a| a.i)
        .ok_or_else(|| Unsupported::new(format!("{} node `{}` without its `{name}` attribute", node.op_type, node.name)))
}

/// An integer-list attribute, `None` when absent.
pub(crate) fn ints(node: &NodeProto, name: &str) -> Import<Option<Vec<i64>>> {
    Ok(find(node, name, AttributeType::Ints)?.map(|a| a.ints.clone()))
}

/// A float attribute, `default` when absent.
pub(crate) fn float(node: &NodeProto, name: &str, default: f32) -> Import<f32> {
    Ok(find(node, name, AttributeType::Float)?.map_or(default, |a| a.f))
}

/// A 0/1 flag attribute, `default` when absent.
pub(crate) fn flag(node: &NodeProto, name: &str, default: bool) -> Import<bool> {
    match int(node, name, default as i64)? {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Unsupported::new(format!("{} node `{}`: `{name}` = {other} (expected 0 or 1)", node.op_type, node.name))),
    }
}

/// Checks that `node` has between `min` and `max` inputs.
pub(crate) fn arity(node: &NodeProto, inputs: usize, min: usize, max: usize) -> Import<()> {
    if (min..=max).contains(&inputs) {
        Ok(())
    } else {
        Err(Unsupported::new(format!("{} node `{}` with {inputs} inputs (expected {min} to {max})", node.op_type, node.name)))
    }
}
