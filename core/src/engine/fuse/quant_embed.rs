//! A load-time rewrite for int8 rankers whose first layer reads embeddings: when an integer
//! product's input is a `Concat` of `Gather`s from constant int8 tables (and other int8
//! pieces), each table's rows are multiplied by their slice of the layer's weights once, at
//! load, and a call adds up one precomputed row per table instead of gathering, concatenating
//! and multiplying ([`EmbedProduct`]).
//!
//! The folding is exact only in integer arithmetic: `sum_k x[k] * w[k, m]` in i32 is the same
//! whatever the order of its terms, so the fused op's sums, and the scores after them, are
//! bit-identical to the unfused graph (tested). An fp32 layer could not be folded without
//! changing its rounding: this is what int8 buys on a ranker whose multiply-adds are few.
//! Tables whose folded rows would take more than [`MAX_FOLDED_VALUES`] i32s stay gathered.

use tract_core::prelude::*;
use tract_core::internal::*;
use tract_core::ops::array::{Gather, TypedConcat};
use tract_core::ops::einsum::EinSum;

use crate::engine::fuse::int8_product::{integer_weights, Product};

/// Largest folded table, in i32 values (rows x outputs): 4 MiB. A million-row item table times
/// 64 outputs would take 256 MB; such a table keeps its `Gather`.
pub(crate) const MAX_FOLDED_VALUES: usize = 1 << 20;

/// The i32 product `[rows, outputs]` of a layer whose input is the concatenation of gathered
/// table rows (folded) and int8 pieces (multiplied as usual). Inputs: each folded table's
/// indices (rank 1), then each direct piece (`[rows, width]` int8), in that order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct EmbedProduct {
    pub(crate) tables: Vec<FoldedTable>,
    /// One product per direct piece, over that piece's columns: each multiplies its piece in
    /// place (copying the pieces into one row per call took longer than the products).
    pub(crate) direct: Vec<Product>,
    pub(crate) outputs: usize,
}

/// One table's rows multiplied by the layer's weights for the columns it fed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FoldedTable {
    pub(crate) rows: usize,
    /// `[rows, outputs]`.
    pub(crate) sums: Vec<i32>,
    pub(crate) keyed_by: Key,
}

/// What picks a [`FoldedTable`]'s row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// An ONNX `Gather` index into the table (rank-1 integer input).
    Index,
    /// The value of a one-column int8 input itself: its 256 possible values times their weights
    /// are a 256-row table (row `value + 128`), which beats multiplying a column of one.
    Int8Value,
}

/// The keys of one call for one [`FoldedTable`].
pub(crate) enum Keys<'a> {
    Indices(&'a [i64]),
    Values(&'a [i8]),
}

impl FoldedTable {
    /// `table` (`[rows, width]` int8) times the weights `w(column, output)` of its columns.
    pub(crate) fn new(table: &[i8], width: usize, outputs: usize, w: impl Fn(usize, usize) -> i8) -> FoldedTable {
        let rows = table.len() / width.max(1);
        let mut sums = vec![0i32; rows * outputs];
        for (row, out) in table.chunks_exact(width.max(1)).zip(sums.chunks_exact_mut(outputs.max(1))) {
            for (m, o) in out.iter_mut().enumerate() {
                *o = row.iter().enumerate().map(|(c, &x)| i32::from(x) * i32::from(w(c, m))).sum();
            }
        }
        FoldedTable { rows, sums, keyed_by: Key::Index }
    }

    /// A one-column int8 input with weights `w(output)`, as a table of its 256 values.
    pub(crate) fn of_values(outputs: usize, w: impl Fn(usize) -> i8) -> FoldedTable {
        let values: Vec<i8> = (i8::MIN..=i8::MAX).collect();
        FoldedTable { keyed_by: Key::Int8Value, ..FoldedTable::new(&values, 1, outputs, |_, m| w(m)) }
    }

    /// Where each key's folded row starts in `sums`. Indices follow ONNX `Gather` (negative
    /// counts from the end) and are all checked before any is used.
    fn offsets(&self, keys: Keys, outputs: usize) -> TractResult<Vec<usize>> {
        let rows = self.rows as i64;
        let resolve = |index: i64| if index < 0 { index.wrapping_add(rows) } else { index };
        Ok(match keys {
            Keys::Indices(indices) => {
                if let Some(&bad) = indices.iter().find(|&&i| !(0..rows).contains(&resolve(i))) {
                    bail!("dram int8 embedding: index {bad} outside a table of {rows} rows");
                }
                indices.iter().map(|&i| resolve(i) as usize * outputs).collect()
            }
            Keys::Values(values) => values.iter().map(|&v| (i16::from(v) + 128) as usize * outputs).collect(),
        })
    }
}

/// Adds to each row of `sums` (`[rows, outputs]`) the folded row of every table, one table at
/// a time (a row at a time with all tables, its sums held in registers, measured 1.8x slower).
fn add_folded(sums: &mut [i32], outputs: usize, tables: &[(&[i32], Vec<usize>)]) {
    for (data, offsets) in tables {
        for (out, &at) in sums.chunks_exact_mut(outputs.max(1)).zip(offsets) {
            out.iter_mut().zip(&data[at..at + outputs]).for_each(|(a, &p)| *a = a.wrapping_add(p));
        }
    }
}

impl EmbedProduct {
    /// The sums for `rows` rows: folded rows by index, plus the direct pieces' products.
    pub(crate) fn apply(&self, keys: Vec<Keys>, pieces: &[&[i8]], rows: usize) -> TractResult<Vec<i32>> {
        let outputs = self.outputs;
        ensure!(keys.len() == self.tables.len() && pieces.len() == self.direct.len(), "dram int8 embedding: {} key lists and {} pieces", keys.len(), pieces.len());
        let mut sums = vec![0i32; rows * outputs];
        for (product, piece) in self.direct.iter().zip(pieces) {
            ensure!(piece.len() == rows * product.inputs, "dram int8 embedding: a piece of {} values for {rows} rows of {}", piece.len(), product.inputs);
            product.accumulate(piece, outputs, &mut sums);
        }
        let mut folded = Vec::with_capacity(self.tables.len());
        for (table, keys) in self.tables.iter().zip(keys) {
            let offsets = table.offsets(keys, outputs)?;
            ensure!(offsets.len() == rows, "dram int8 embedding: {} keys for {rows} rows", offsets.len());
            folded.push((&table.sums[..], offsets));
        }
        add_folded(&mut sums, outputs, &folded);
        Ok(sums)
    }
}

impl Op for EmbedProduct {
    fn name(&self) -> StaticName {
        "DramEmbedProduct".into()
    }

    fn info(&self) -> TractResult<Vec<String>> {
        let tables: Vec<String> = self.tables.iter().map(|t| t.rows.to_string()).collect();
        let direct: Vec<usize> = self.direct.iter().map(|p| p.inputs).collect();
        Ok(vec![format!("int8, {} outputs, folded tables of {} rows, direct pieces {direct:?} wide", self.outputs, tables.join("/"))])
    }

    op_as_typed_op!();
}

impl EvalOp for EmbedProduct {
    op_out_of_plan!();

    fn eval(&self, _ctx: &EvalContext, inputs: TVec<TValue>) -> TractResult<TVec<TValue>> {
        ensure!(inputs.len() == self.tables.len() + self.direct.len(), "dram int8 embedding: {} inputs", inputs.len());
        let rows = inputs.first().map_or(0, |t| t.shape().first().copied().unwrap_or(0));
        let (key_inputs, piece_inputs) = inputs.split_at(self.tables.len());
        let key_tensors = key_inputs.iter().zip(&self.tables).map(|(t, table)| match table.keyed_by {
            Key::Index => t.cast_to::<i64>(),
            Key::Int8Value => Ok(std::borrow::Cow::Borrowed(&**t)),
        });
        let key_tensors = key_tensors.collect::<TractResult<Vec<_>>>()?;
        let key_views = key_tensors.iter().map(|t| t.try_as_plain_ram()).collect::<TractResult<Vec<_>>>()?;
        let keys = key_views
            .iter()
            .zip(&self.tables)
            .map(|(v, table)| match table.keyed_by {
                Key::Index => v.as_slice::<i64>().map(Keys::Indices),
                Key::Int8Value => v.as_slice::<i8>().map(Keys::Values),
            })
            .collect::<TractResult<Vec<_>>>()?;
        let views = piece_inputs.iter().map(|t| t.try_as_plain_ram()).collect::<TractResult<Vec<_>>>()?;
        let pieces = views.iter().map(|v| v.as_slice::<i8>()).collect::<TractResult<Vec<_>>>()?;
        let sums = self.apply(keys, &pieces, rows)?;
        Ok(tvec!(tract_ndarray::ArrayD::from_shape_vec(&[rows, self.outputs][..], sums)?.into_tensor().into_tvalue()))
    }
}

impl TypedOp for EmbedProduct {
    as_op!();

    fn output_facts(&self, inputs: &[&TypedFact]) -> TractResult<TVec<TypedFact>> {
        let expected = self.tables.len() + self.direct.len();
        ensure!(inputs.len() == expected && expected > 0, "dram int8 embedding: expected {expected} inputs, found {}", inputs.len());
        let rows = inputs[0].shape[0].clone();
        Ok(tvec!(i32::fact([rows, self.outputs.to_dim()])))
    }

    fn cost(&self, inputs: &[&TypedFact]) -> TractResult<TVec<(Cost, TDim)>> {
        let per_row = self.direct.iter().map(|p| p.inputs).sum::<usize>() * self.outputs;
        Ok(tvec!((Cost::FMA(i32::datum_type()), inputs[0].shape[0].clone() * per_row)))
    }
}

/// Replaces every integer product over a `Concat` with foldable `Gather` pieces by an
/// [`EmbedProduct`]; returns how many it replaced. Runs before [`crate::engine::fuse::quant_dense::fuse`],
/// which then fuses the product's epilogue.
pub(crate) fn fuse(model: &mut TypedModel) -> TractResult<usize> {
    crate::engine::fuse::rewrite::replace_all(model, "dram-embed", find)
}

fn find(model: &TypedModel) -> TractResult<Option<(EmbedProduct, Vec<OutletId>, usize)>> {
    for node in &model.nodes {
        let Some(einsum) = node.op_as::<EinSum>() else { continue };
        if let Some((op, inputs)) = fold(model, node, einsum)? {
            return Ok(Some((op, inputs, node.id)));
        }
    }
    Ok(None)
}

/// The folded op for the integer product `node` and its inputs, when it reads a `Concat` with
/// at least one foldable `Gather` piece.
fn fold(model: &TypedModel, node: &TypedNode, einsum: &EinSum) -> TractResult<Option<(EmbedProduct, Vec<OutletId>)>> {
    let Some(weights) = integer_weights(model, node, einsum)? else { return Ok(None) };
    let concat = model.node(node.inputs[0].node);
    if model.outlet_fact(node.inputs[0])?.rank() != 2 || concat.op_as::<TypedConcat>().is_none_or(|c| c.axis != 1) || !crate::engine::fuse::rewrite::read_once(model, node.inputs[0])? {
        return Ok(None);
    }
    let outputs = weights.outputs;
    // Read once: tables fold every row against these weights.
    let matrix = weights.matrix()?;
    let w = |k: usize, m: usize| matrix[k * outputs + m];
    let (mut tables, mut table_inputs) = (vec![], vec![]);
    let (mut direct, mut direct_inputs) = (vec![], vec![]);
    let mut column = 0;
    for piece in &concat.inputs {
        let width = model.outlet_fact(*piece)?.shape[1].to_usize()?;
        let start = column;
        match foldable_table(model, *piece, outputs)? {
            Some((table, indices)) => {
                let data = table.try_as_plain_ram()?;
                tables.push(FoldedTable::new(data.as_slice::<i8>()?, width, outputs, |c, m| w(start + c, m)));
                table_inputs.push(indices);
            }
            None if width == 1 && model.outlet_fact(*piece)?.datum_type == i8::datum_type() => {
                tables.push(FoldedTable::of_values(outputs, |m| w(start, m)));
                table_inputs.push(*piece);
            }
            None => {
                direct.push(Product::new(width, outputs, |k, m| w(start + k, m)));
                direct_inputs.push(*piece);
            }
        }
        column += width;
    }
    // Only a layer that reads a gathered table is worth rewriting (as the module says).
    if !tables.iter().any(|t| t.keyed_by == Key::Index) {
        return Ok(None);
    }
    let op = EmbedProduct { tables, direct, outputs };
    Ok(Some((op, table_inputs.into_iter().chain(direct_inputs).collect())))
}

/// For a `Concat` piece made by `Gather(const int8 [rows, width] table, rank-1 indices)` on
/// axis 0 that nothing else reads, and small enough to fold: the table and the indices.
fn foldable_table(model: &TypedModel, piece: OutletId, outputs: usize) -> TractResult<Option<(Arc<Tensor>, OutletId)>> {
    let gather = model.node(piece.node);
    if gather.op_as::<Gather>().is_none_or(|g| g.axis != 0) || !crate::engine::fuse::rewrite::read_once(model, piece)? {
        return Ok(None);
    }
    let Some(table) = model.outlet_fact(gather.inputs[0])?.konst.clone() else { return Ok(None) };
    let indices = model.outlet_fact(gather.inputs[1])?;
    let fits = table.rank() == 2 && table.shape()[0] * outputs <= MAX_FOLDED_VALUES;
    if table.datum_type() != i8::datum_type() || !fits || indices.rank() != 1 || !indices.datum_type.is_integer() {
        return Ok(None);
    }
    Ok(Some((table, gather.inputs[1])))
}

#[cfg(test)]
mod tests;
