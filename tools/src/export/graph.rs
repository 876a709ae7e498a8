//! The fp32 ONNX graph of a [`NetSpec`].

use anyhow::{anyhow, bail, Result};
use dram_core::manifest::{DType, Dim, FeatureKind, FeatureSpec};
use dram_core::onnx_proto::ModelProto;

use crate::model::arch::{NetSpec, Param, Params, Pooling, MASK_OFFSET};
use crate::export::builder::{attr_int, attr_ints, Elem, GraphBuilder};

/// How a float graph stores its weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WeightStorage {
    /// IEEE single precision.
    F32,
    /// IEEE half precision, cast to f32 when the graph is loaded (half the bytes).
    F16,
    /// Int8 with per-output-channel (tables: per-column) scales, dequantized when the graph is
    /// loaded: weight-only quantization, float arithmetic.
    Int8,
}

/// Builds the float graph. Parameter names are those of [`NetSpec::dense_shapes`] and
/// [`NetSpec::tables`].
pub fn fp32_graph(spec: &NetSpec, params: &Params) -> Result<ModelProto> {
    float_graph(spec, params, None, WeightStorage::F32)
}

/// The float graph with `batch` rows (`None`: the symbolic `N`) and weights stored as `storage`.
pub fn float_graph(spec: &NetSpec, params: &Params, batch: Option<usize>, storage: WeightStorage) -> Result<ModelProto> {
    let mut g = GraphBuilder::new("dram");
    declare_inputs(&mut g, spec, batch);
    for table in spec.tables() {
        let p = param(params, &table.param, &[table.rows, table.dim])?;
        stored(&mut g, storage, &table.param, &p.shape, &p.data, 1);
    }
    let axis1 = g.initializer_i64("axes.1", &[1], &[1]);
    let axis2 = g.initializer_i64("axes.2", &[1], &[2]);
    let mut pieces = Vec::new();
    for feature in &spec.manifest.features {
        let input = feature.input_name();
        let piece = match &feature.kind {
            FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                let table = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                g.node("Gather", &[&table.param, input], vec![attr_int("axis", 0)])
            }
            FeatureKind::Numeric { .. } => input.to_string(),
            FeatureKind::Text { .. } => {
                let table = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                let rows = g.node("Gather", &[&table.param, input], vec![attr_int("axis", 0)]);
                mean_pool(&mut g, &rows, input, &axis1, &axis2)
            }
            FeatureKind::WordPieces { .. } => {
                let table = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                let conv = spec.conv(feature).ok_or_else(|| no_dim(feature))?;
                let w = param(params, &conv.weight, &[conv.window, conv.dim, conv.channels])?;
                let w = stored(&mut g, storage, &conv.weight, &w.shape, &w.data, 2);
                let b = param(params, &conv.bias, &[conv.channels])?;
                let b = g.initializer_f32(&conv.bias, &b.shape, &b.data);
                let rows = g.node("Gather", &[&table.param, input], vec![attr_int("axis", 0)]);
                conv_max_pool(&mut g, &rows, &w, &b, input, &axis1, &axis2)
            }
            FeatureKind::Sequence { item_feature, max_len, .. } => {
                let table = spec.sequence_table(feature).ok_or_else(|| no_dim(feature))?;
                match spec.pooling_of(feature) {
                    Pooling::Mean => {
                        let rows = g.node("Gather", &[&table.param, input], vec![attr_int("axis", 0)]);
                        mean_pool(&mut g, &rows, input, &axis1, &axis2)
                    }
                    Pooling::Attention => {
                        let item = spec.manifest.feature(item_feature).expect("validated");
                        let target = g.node("Gather", &[&table.param, item.input_name()], vec![attr_int("axis", 0)]);
                        let name = format!("att.{}", feature.name);
                        let w = param(params, &name, &[table.dim, table.dim])?;
                        let w_t = stored(&mut g, storage, &format!("{name}.t"), &[table.dim, table.dim], &transpose(w), 1);
                        let h = g.node("Gather", &[&table.param, input], vec![attr_int("axis", 0)]);
                        attention_pool(&mut g, &h, input, &target, &w_t, Some(table.dim), *max_len as usize, &axis1, &axis2)
                    }
                }
            }
        };
        pieces.push(piece);
    }
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let mut x = if refs.len() == 1 { pieces[0].clone() } else { g.node("Concat", &refs, vec![attr_int("axis", 1)]) };
    let layers = spec.layers();
    for (i, (fan_in, fan_out)) in layers.iter().copied().enumerate() {
        let w = param(params, &format!("mlp.{i}.weight"), &[fan_out, fan_in])?;
        let b = param(params, &format!("mlp.{i}.bias"), &[fan_out])?;
        let w = stored(&mut g, storage, &format!("mlp.{i}.weight"), &w.shape, &w.data, 0);
        let b = g.initializer_f32(&format!("mlp.{i}.bias"), &b.shape, &b.data);
        x = g.node("Gemm", &[&x, &w, &b], vec![attr_int("transB", 1)]);
        if i + 1 < layers.len() {
            x = g.node("Relu", &[&x], vec![]);
        }
    }
    let output = &spec.manifest.outputs[0].name;
    g.output(&x, output, Elem::F32, &[batch, Some(spec.output_width())]);
    Ok(g.finish(dram_core::VERSION))
}

/// Writes a weight as `storage` and returns the name of its f32 value. `axis` is the axis of
/// the output channels (the one scales follow) for int8: the first or the last.
fn stored(g: &mut GraphBuilder, storage: WeightStorage, name: &str, shape: &[usize], data: &[f32], axis: usize) -> String {
    match storage {
        WeightStorage::F32 => g.initializer_f32(name, shape, data),
        WeightStorage::F16 => {
            let raw = g.initializer_f16(&format!("{name}.f16"), shape, data);
            g.node_to("Cast", &[&raw], name, vec![attr_int("to", 1)]);
            name.to_string()
        }
        WeightStorage::Int8 => {
            use crate::compress::quantize::scheme::{QMatrix, ScaleAxis};
            assert!(axis == 0 || axis + 1 == shape.len(), "int8 scales follow the first or the last axis");
            let (rows, cols) = if axis == 0 {
                (shape[0], shape[1..].iter().product())
            } else {
                (shape[..axis].iter().product(), shape[axis])
            };
            let q = QMatrix::quantize(data, rows, cols, if axis == 0 { ScaleAxis::Row } else { ScaleAxis::Column });
            let raw = g.initializer_i8(&format!("{name}.q"), shape, &q.values);
            let scales = g.initializer_f32(&format!("{name}.scale"), &[q.scales.len()], &q.scales);
            let zeros = g.initializer_i8(&format!("{name}.zero"), &[q.scales.len()], &vec![0; q.scales.len()]);
            g.node_to("DequantizeLinear", &[&raw, &scales, &zeros], name, vec![attr_int("axis", axis as i64)]);
            name.to_string()
        }
    }
}

/// Declares the manifest's graph inputs, with the symbolic batch dimension or, for static-shape
/// profiles, a fixed row count.
pub(super) fn declare_inputs(g: &mut GraphBuilder, spec: &NetSpec, batch: Option<usize>) {
    for input in spec.manifest.graph_inputs() {
        let elem = match input.dtype {
            DType::F32 => Elem::F32,
            DType::I64 => Elem::I64,
        };
        let dims: Vec<Option<usize>> = input
            .shape
            .iter()
            .map(|d| match d {
                Dim::Batch => batch,
                Dim::Fixed(v) => Some(*v),
            })
            .collect();
        g.input(&input.name, elem, &dims);
    }
}

pub(super) fn no_dim(feature: &FeatureSpec) -> anyhow::Error {
    anyhow!("feature `{}` has no embedding dimension in the network spec", feature.name)
}

pub(super) fn param<'a>(params: &'a Params, name: &str, shape: &[usize]) -> Result<&'a Param> {
    let p = params.get(name).ok_or_else(|| anyhow!("parameter `{name}` is missing"))?;
    if p.shape != shape {
        bail!("parameter `{name}` has shape {:?}, expected {shape:?}", p.shape);
    }
    Ok(p)
}

pub(super) fn transpose(p: &Param) -> Vec<f32> {
    let (rows, cols) = (p.shape[0], p.shape[1]);
    let mut out = vec![0.0; p.data.len()];
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = p.data[r * cols + c];
        }
    }
    out
}

/// `sum_j w[n, j] * rows[n, j]` for gathered `rows`: broadcast Mul, ReduceSum.
pub(super) fn mean_pool(g: &mut GraphBuilder, rows: &str, ids: &str, axis1: &str, axis2: &str) -> String {
    let weights = format!("{ids}{}", dram_core::manifest::WEIGHTS_SUFFIX);
    let w3 = g.node("Unsqueeze", &[&weights, axis2], vec![]);
    let weighted = g.node("Mul", &[rows, &w3], vec![]);
    g.node("ReduceSum", &[&weighted, axis1], vec![attr_int("keepdims", 0)])
}

/// The word-piece convolution over gathered window rows `rows` (`[N, window, L, dim]`) with
/// weight `w` (`[window, dim, channels]`) and bias `b`: one `MatMul` batched over the window
/// offsets, `ReduceSum` over them, `Relu`, times the 0/1 weights, `ReduceMax` over positions.
/// Multiplying by the weights (rather than adding a large negative offset) is exact here:
/// after the ReLU every value is at least 0, which is what a padded position contributes.
pub(super) fn conv_max_pool(g: &mut GraphBuilder, rows: &str, w: &str, b: &str, ids: &str, axis1: &str, axis2: &str) -> String {
    let weights = format!("{ids}{}", dram_core::manifest::WEIGHTS_SUFFIX);
    let per_offset = g.node("MatMul", &[rows, w], vec![]);
    let summed = g.node("ReduceSum", &[&per_offset, axis1], vec![attr_int("keepdims", 0)]);
    let biased = g.node("Add", &[&summed, b], vec![]);
    let relu = g.node("Relu", &[&biased], vec![]);
    let w3 = g.node("Unsqueeze", &[&weights, axis2], vec![]);
    let masked = g.node("Mul", &[&relu, &w3], vec![]);
    g.node("ReduceMax", &[&masked], vec![attr_ints("axes", &[1]), attr_int("keepdims", 0)])
}

/// Target attention over gathered rows `h`: `a = softmax_j((h_j . W t) / sqrt(d) + mask offset)`, pooled
/// `sum_j a_j h_j`, zeroed when the history is empty. The mask is `min(w * L, 1)`: real
/// events have `w >= 1/L`, padding has 0. `scale_dim` is `Some(d)` when the graph applies
/// `1 / sqrt(d)` itself, `None` when the caller folded it into `W` (one node fewer; the fp32
/// export keeps the node, which its pinned fixtures record).
#[allow(clippy::too_many_arguments)]
pub(super) fn attention_pool(
    g: &mut GraphBuilder,
    h: &str,
    ids: &str,
    target: &str,
    w_t: &str,
    scale_dim: Option<usize>,
    len: usize,
    axis1: &str,
    axis2: &str,
) -> String {
    let weights = format!("{ids}{}", dram_core::manifest::WEIGHTS_SUFFIX);
    let prefix = ids.replace('.', "_");
    let q = g.node("MatMul", &[target, w_t], vec![]);
    let q3 = g.node("Unsqueeze", &[&q, axis1], vec![]);
    let hq = g.node("Mul", &[h, &q3], vec![]);
    let mut logits = g.node("ReduceSum", &[&hq, axis2], vec![attr_int("keepdims", 0)]);
    if let Some(dim) = scale_dim {
        let scale = g.initializer_f32(&format!("{prefix}.scale"), &[], &[attention_scale(dim)]);
        logits = g.node("Mul", &[&logits, &scale], vec![]);
    }
    let len_k = g.initializer_f32(&format!("{prefix}.len"), &[], &[len as f32]);
    let one = g.initializer_f32(&format!("{prefix}.one"), &[], &[1.0]);
    let offset = g.initializer_f32(&format!("{prefix}.offset"), &[], &[-MASK_OFFSET]);
    let scaled_w = g.node("Mul", &[&weights, &len_k], vec![]);
    let mask = g.node("Min", &[&scaled_w, &one], vec![]);
    let inverse = g.node("Sub", &[&mask, &one], vec![]);
    let penalty = g.node("Mul", &[&inverse, &offset], vec![]);
    let masked = g.node("Add", &[&logits, &penalty], vec![]);
    let attention = g.node("Softmax", &[&masked], vec![attr_int("axis", 1)]);
    let a3 = g.node("Unsqueeze", &[&attention, axis2], vec![]);
    let weighted = g.node("Mul", &[h, &a3], vec![]);
    let pooled = g.node("ReduceSum", &[&weighted, axis1], vec![attr_int("keepdims", 0)]);
    let any = g.node("ReduceSum", &[&weights, axis1], vec![attr_int("keepdims", 1)]);
    g.node("Mul", &[&pooled, &any], vec![])
}

/// The `1 / sqrt(d)` that scales attention logits over `d`-dimensional rows.
pub(super) fn attention_scale(dim: usize) -> f32 {
    1.0 / (dim as f32).sqrt()
}

/// `transpose(p) / sqrt(dim)`: an attention matrix with its logit scale folded in, for graphs
/// that call [`attention_pool`] with `scale_dim: None`.
pub(super) fn transpose_scaled(p: &Param, dim: usize) -> Vec<f32> {
    transpose(p).into_iter().map(|v| v * attention_scale(dim)).collect()
}
