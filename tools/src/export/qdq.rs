//! The `npu` graph: the same int8 network in QDQ form (`DequantizeLinear -> float op ->
//! QuantizeLinear`), which ONNX Runtime's NNAPI/QNN execution providers fuse into integer
//! kernels on the accelerator, with static shapes (a fixed, padded candidate count) and only
//! operators from [`crate::export::lint::NPU_OPS`].
//!
//! Every activation entering a matrix product is a per-tensor Q/DQ pair. The first layer's
//! input is kept in "units" (each column divided by its scale, scale 1 for the pair), exactly
//! as the `cpu` graph's int8 input, and the weights are the same folded int8 values, so both
//! profiles compute the same numbers.

use anyhow::Result;
use dram_core::manifest::FeatureKind;
use dram_core::onnx_proto::ModelProto;

use super::graph::{attention_pool, conv_max_pool, declare_inputs, mean_pool, no_dim, transpose_scaled};
use crate::model::arch::Pooling;
use crate::export::builder::{attr_int, Elem, GraphBuilder};
use crate::compress::quantize::model::{PieceQuant, QuantizedNet};
use crate::compress::quantize::scheme::ScaleAxis;

/// Builds the QDQ graph of a quantized network for `batch` rows.
pub fn qdq_graph(net: &QuantizedNet, batch: usize) -> Result<ModelProto> {
    let spec = &net.spec;
    let mut g = GraphBuilder::new("dram");
    declare_inputs(&mut g, spec, Some(batch));
    let zero_i8 = g.initializer_i8("zero.i8", &[], &[0]);
    let unit = g.initializer_f32("scale.unit", &[], &[1.0]);
    // Tables: per-column tables dequantize to units (scale 1), per-row ones to values.
    let mut tables = std::collections::BTreeMap::new();
    for (name, q) in &net.tables {
        let raw = g.initializer_i8(&format!("{name}.q"), &[q.rows, q.cols], &q.values);
        let dequantized = match q.axis {
            ScaleAxis::Column => g.node("DequantizeLinear", &[&raw, &unit, &zero_i8], vec![]),
            ScaleAxis::Row => {
                let scales = g.initializer_f32(&format!("{name}.scale"), &[q.rows], &q.scales);
                let zeros = g.initializer_i8(&format!("{name}.zero"), &[q.rows], &vec![0; q.rows]);
                g.node("DequantizeLinear", &[&raw, &scales, &zeros], vec![attr_int("axis", 0)])
            }
        };
        tables.insert(name.clone(), dequantized);
    }
    let axis1 = g.initializer_i64("axes.1", &[1], &[1]);
    let axis2 = g.initializer_i64("axes.2", &[1], &[2]);
    let mut pieces = Vec::new();
    for (i, feature) in spec.manifest.features.iter().enumerate() {
        let input = feature.input_name();
        let gather = |g: &mut GraphBuilder, table: &str, ids: &str| g.node("Gather", &[&tables[table], ids], vec![attr_int("axis", 0)]);
        let piece = match &feature.kind {
            FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                let t = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                gather(&mut g, &t.param, input)
            }
            FeatureKind::Numeric { .. } => input.to_string(),
            FeatureKind::Text { .. } => {
                let t = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                let rows = gather(&mut g, &t.param, input);
                mean_pool(&mut g, &rows, input, &axis1, &axis2)
            }
            FeatureKind::WordPieces { .. } => {
                let t = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                let conv = spec.conv(feature).ok_or_else(|| no_dim(feature))?;
                let rows = gather(&mut g, &t.param, input);
                let q = &net.conv[&conv.weight];
                let shape = [conv.window, conv.dim, conv.channels];
                let raw = g.initializer_i8(&format!("{}.q", conv.weight), &shape, &q.weight.values);
                let scales = g.initializer_f32(&format!("{}.scale", conv.weight), &[conv.channels], &q.weight.scales);
                let zeros = g.initializer_i8(&format!("{}.zero", conv.weight), &[conv.channels], &vec![0; conv.channels]);
                let w = g.node("DequantizeLinear", &[&raw, &scales, &zeros], vec![attr_int("axis", 2)]);
                let b = g.initializer_f32(&conv.bias, &[conv.channels], &q.bias);
                conv_max_pool(&mut g, &rows, &w, &b, input, &axis1, &axis2)
            }
            FeatureKind::Sequence { item_feature, max_len, .. } => {
                let t = spec.sequence_table(feature).ok_or_else(|| no_dim(feature))?;
                let rows = gather(&mut g, &t.param, input);
                match spec.pooling_of(feature) {
                    Pooling::Mean => mean_pool(&mut g, &rows, input, &axis1, &axis2),
                    Pooling::Attention => {
                        let item = spec.manifest.feature(item_feature).expect("validated");
                        let target = gather(&mut g, &t.param, item.input_name());
                        let name = format!("att.{}", feature.name);
                        let a = &net.attention[&name];
                        let a_t = g.initializer_f32(&format!("{name}.t"), &a.shape, &transpose_scaled(a, t.dim));
                        attention_pool(&mut g, &rows, input, &target, &a_t, None, *max_len as usize, &axis1, &axis2)
                    }
                }
            }
        };
        // Into units: calibrated pieces are divided by their scale (the Q/DQ pair below then
        // rounds and saturates them exactly as the cpu graph's QuantizeLinear does).
        pieces.push(match &net.pieces[i] {
            PieceQuant::Units { .. } => piece,
            PieceQuant::Calibrated { scale, .. } => {
                let inverse = g.initializer_f32(&format!("{}.inverse_scale", feature.name), &[], &[scale.recip()]);
                g.node("Mul", &[&piece, &inverse], vec![])
            }
        });
    }
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let concat = if refs.len() == 1 { pieces[0].clone() } else { g.node("Concat", &refs, vec![attr_int("axis", 1)]) };
    let q = g.node("QuantizeLinear", &[&concat, &unit, &zero_i8], vec![]);
    let mut x = g.node("DequantizeLinear", &[&q, &unit, &zero_i8], vec![]);
    // The scale the current input's Q/DQ pair dequantizes with (1 for the units of layer 0).
    let mut input_scale = 1.0f32;
    for (i, layer) in net.layers.iter().enumerate() {
        let w = &layer.weight;
        let raw = g.initializer_i8(&format!("mlp.{i}.weight.q"), &[w.cols, w.rows], &w.transposed_values());
        // The int8 values quantize W scaled by the input scale; dequantized input values
        // carry that scale, so the weight scales drop it.
        let per_channel: Vec<f32> = w.scales.iter().map(|s| s / input_scale).collect();
        let scales = g.initializer_f32(&format!("mlp.{i}.scale"), &[w.rows], &per_channel);
        let zeros = g.initializer_i8(&format!("mlp.{i}.zero"), &[w.rows], &vec![0; w.rows]);
        let weight = g.node("DequantizeLinear", &[&raw, &scales, &zeros], vec![attr_int("axis", 1)]);
        let product = g.node("MatMul", &[&x, &weight], vec![]);
        let bias = g.initializer_f32(&format!("mlp.{i}.bias"), &[w.rows], &layer.effective_bias());
        x = g.node("Add", &[&product, &bias], vec![]);
        if let Some((scale, _)) = layer.activation {
            let relu = g.node("Relu", &[&x], vec![]);
            let s = g.initializer_f32(&format!("mlp.{i}.act_scale"), &[], &[scale]);
            let q = g.node("QuantizeLinear", &[&relu, &s, &zero_i8], vec![]);
            x = g.node("DequantizeLinear", &[&q, &s, &zero_i8], vec![]);
            input_scale = scale;
        }
    }
    let output = &spec.manifest.outputs[0].name;
    g.output(&x, output, Elem::F32, &[Some(batch), Some(spec.output_width())]);
    Ok(g.finish(dram_core::VERSION))
}
