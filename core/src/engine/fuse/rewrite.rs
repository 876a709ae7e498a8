//! What dram's load-time rewrites ([`crate::engine::fuse::mul_sum`], [`crate::engine::fuse::quant_embed`],
//! [`crate::engine::fuse::quant_dense`], [`crate::engine::fuse::quantize_linear`], [`crate::engine::fuse::window_conv`]) share: telling
//! whether a value is read in one place only, and replacing every chain of nodes a rewrite
//! finds with one op.

use tract_core::prelude::*;

/// Whether `outlet` feeds exactly one node and is not a model output, so a rewrite may fold
/// the node that makes it into that one reader.
pub(crate) fn read_once(model: &TypedModel, outlet: OutletId) -> TractResult<bool> {
    Ok(model.outlet_successors(outlet).len() == 1 && !model.output_outlets()?.contains(&outlet))
}

/// Replaces every chain `find` returns, `(op, the values it reads, the chain's last node)`,
/// until it returns none; returns how many it replaced. `find` searches the model afresh each
/// time: a replacement compacts the model, renumbering its nodes.
pub(crate) fn replace_all<O: Into<Box<dyn TypedOp>>>(model: &mut TypedModel, suffix: &str, find: impl Fn(&TypedModel) -> TractResult<Option<(O, Vec<OutletId>, usize)>>) -> TractResult<usize> {
    let mut replaced = 0;
    while let Some((op, inputs, last)) = find(model)? {
        replace_chain(model, &inputs, last, suffix, op)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// Replaces the chain ending at node `last` with `op` reading `inputs`: `last`'s readers read
/// `op` instead, and the chain's nodes, now unread, are removed. `op`'s node is named after
/// `last`, with `suffix`.
fn replace_chain(model: &mut TypedModel, inputs: &[OutletId], last: usize, suffix: &str, op: impl Into<Box<dyn TypedOp>>) -> TractResult<()> {
    let mut patch = TypedModelPatch::new(format!("dram: {suffix}"));
    let taps = inputs.iter().map(|i| patch.tap_model(model, *i)).collect::<TractResult<TVec<_>>>()?;
    let name = format!("{}.{suffix}", model.node(last).name);
    let wire = patch.wire_node(name, op, &taps)?[0];
    patch.shunt_outside(model, last.into(), wire)?;
    patch.apply(model)?;
    model.compact()
}
