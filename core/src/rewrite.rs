//! What dram's load-time rewrites ([`crate::mul_sum`], [`crate::quant_dense`]) share: telling
//! whether a value is read in one place only, and replacing a chain of nodes with one op.

use tract_onnx::prelude::*;

/// Whether `outlet` feeds exactly one node and is not a model output, so a rewrite may fold
/// the node that makes it into that one reader.
pub(crate) fn read_once(model: &TypedModel, outlet: OutletId) -> TractResult<bool> {
    Ok(model.outlet_successors(outlet).len() == 1 && !model.output_outlets()?.contains(&outlet))
}

/// Replaces the chain ending at node `last` with `op` reading `inputs`: `last`'s readers read
/// `op` instead, and the chain's nodes, now unread, are removed. `op`'s node is named after
/// `last`, with `suffix`.
pub(crate) fn replace_chain(model: &mut TypedModel, inputs: &[OutletId], last: usize, suffix: &str, op: impl Into<Box<dyn TypedOp>>) -> TractResult<()> {
    let mut patch = TypedModelPatch::new(format!("dram: {suffix}"));
    let taps = inputs.iter().map(|i| patch.tap_model(model, *i)).collect::<TractResult<TVec<_>>>()?;
    let name = format!("{}.{suffix}", model.node(last).name);
    let wire = patch.wire_node(name, op, &taps)?[0];
    patch.shunt_outside(model, last.into(), wire)?;
    patch.apply(model)?;
    model.compact()
}
