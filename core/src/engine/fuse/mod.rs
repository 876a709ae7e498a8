//! dram's load-time rewrites of a decluttered tract graph: each file recognises one pattern
//! that dram's exporter writes and replaces it with one op built for small recommendation
//! models. [`apply`] is the pass list, in the one order every plan uses.
//!
//! - [`window_conv`]: a word-piece convolution's per-offset products and their sum become one
//!   product over the whole window.
//! - [`mul_sum`]: pooling written as `ReduceSum(Mul(..))` or `ReduceMax(Mul(..))`.
//! - [`quant_embed`]: an int8 first layer reading embedding tables folds each table through
//!   its slice of the weights at load.
//! - [`quant_dense`]: a small int8 layer with its epilogue (`MatMulInteger -> Add -> Cast ->
//!   Mul [-> Relu -> QuantizeLinear]`) as one integer op; [`int8_product`] is the product
//!   code it shares with `quant_embed`.
//! - [`quantize_linear`]: the remaining `QuantizeLinear`s with vectorised rounding.
//! - [`gather_rows`]: narrow embedding lookups copy rows straight from the index slice.
//!
//! [`rewrite`] holds what the passes share: finding single-reader values and swapping a chain
//! of nodes for one op.

pub(crate) mod gather_rows;
#[cfg(test)]
mod int8_graphs;
pub(crate) mod int8_product;
pub(crate) mod mul_sum;
pub(crate) mod quant_dense;
pub(crate) mod quant_embed;
pub(crate) mod quantize_linear;
pub(crate) mod rewrite;
pub(crate) mod window_conv;

use tract_core::prelude::*;

/// Runs every dram rewrite on `model`, in order. `quant_embed` runs before `quant_dense`
/// (the dense fusion then takes the folded product's epilogue), and `gather_rows` last (the
/// int8 folding consumes the gathers it can).
pub(crate) fn apply(model: &mut TypedModel) -> TractResult<()> {
    window_conv::fuse(model)?;
    mul_sum::fuse(model)?;
    quant_embed::fuse(model)?;
    quant_dense::fuse(model)?;
    quantize_linear::fuse(model)?;
    gather_rows::fuse(model)?;
    Ok(())
}

#[cfg(test)]
mod tests;
