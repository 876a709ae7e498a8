//! The `cpu` int8 graph: the form tract executes with integer kernels.
//!
//! - Tables are int8 initializers gathered as int8 (`Gather(int8 table) -> ...`, never
//!   `DequantizeLinear(table) -> Gather`, which would dequantize the whole table per call).
//!   Per-column scales are folded into the next layer; per-row scales are gathered with the rows.
//!   Pooled and attention lookups read a float copy of the table made by a `Cast` of the int8
//!   initializer, which tract folds into a constant when the model loads (for tables up to its
//!   4 MiB folding budget; larger ones cast the gathered rows instead): int8 on disk, no cast
//!   per call.
//! - Every linear layer is `MatMulInteger(int8 input, int8 weight) -> Add(i32 bias) -> Cast ->
//!   Mul(per-channel scale)`: tract runs the product on its i32 kernels (QDQ around a float
//!   `MatMul` would run in f32). Hidden activations are `Relu -> QuantizeLinear` to int8 in
//!   `[0, 127]` (a uint8 operand would cost tract an extra correction product).

use anyhow::Result;
use dram_core::manifest::FeatureKind;
use dram_core::onnx_proto::ModelProto;

use super::graph::{attention_pool, conv_max_pool, declare_inputs, mean_pool, no_dim, transpose_scaled};
use crate::model::arch::Pooling;
use crate::export::builder::{attr_int, Elem, GraphBuilder};
use crate::compress::quantize::model::{PieceQuant, QuantizedNet};
use crate::compress::quantize::scheme::{QMatrix, ScaleAxis};

/// ONNX `Cast` target for float.
const TO_FLOAT: i64 = 1;

/// Builds the int8 graph of a quantized network.
pub fn int8_graph(net: &QuantizedNet) -> Result<ModelProto> {
    let spec = &net.spec;
    let mut g = GraphBuilder::new("dram");
    declare_inputs(&mut g, spec, None);
    for (name, q) in &net.tables {
        g.initializer_i8(name, &[q.rows, q.cols], &q.values);
        if q.axis == ScaleAxis::Row {
            g.initializer_f32(&format!("{name}.scale"), &[q.rows, 1], &q.scales);
        }
    }
    let axis1 = g.initializer_i64("axes.1", &[1], &[1]);
    let axis2 = g.initializer_i64("axes.2", &[1], &[2]);
    let zero_i8 = g.initializer_i8("zero.i8", &[], &[0]);
    let unit = g.initializer_f32("scale.unit", &[], &[1.0]);
    let mut pieces = Vec::new();
    for (i, feature) in spec.manifest.features.iter().enumerate() {
        let input = feature.input_name();
        let quant = &net.pieces[i];
        // Returns the piece as float (units for per-column tables, values otherwise).
        let float_piece = match &feature.kind {
            FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                let t = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                let q = &net.tables[&t.param];
                if q.axis == ScaleAxis::Column {
                    pieces.push(g.node("Gather", &[&t.param, input], vec![attr_int("axis", 0)]));
                    continue;
                }
                gather_float(&mut g, &t.param, q, input)
            }
            FeatureKind::Numeric { .. } => input.to_string(),
            FeatureKind::Text { .. } => {
                let t = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                let rows = gather_float(&mut g, &t.param, &net.tables[&t.param], input);
                mean_pool(&mut g, &rows, input, &axis1, &axis2)
            }
            FeatureKind::WordPieces { .. } => {
                let t = spec.table(feature).ok_or_else(|| no_dim(feature))?;
                let conv = spec.conv(feature).ok_or_else(|| no_dim(feature))?;
                let rows = gather_float(&mut g, &t.param, &net.tables[&t.param], input);
                // int8 on disk, a float copy folded when the model loads (as for tables).
                let q = &net.conv[&conv.weight];
                let shape = [conv.window, conv.dim, conv.channels];
                let raw = g.initializer_i8(&format!("{}.q", conv.weight), &shape, &q.weight.values);
                let units = g.node("Cast", &[&raw], vec![attr_int("to", TO_FLOAT)]);
                let scales = g.initializer_f32(&format!("{}.scale", conv.weight), &[conv.channels], &q.weight.scales);
                let w = g.node("Mul", &[&units, &scales], vec![]);
                let b = g.initializer_f32(&conv.bias, &[conv.channels], &q.bias);
                conv_max_pool(&mut g, &rows, &w, &b, input, &axis1, &axis2)
            }
            FeatureKind::Sequence { item_feature, max_len, .. } => {
                let t = spec.sequence_table(feature).ok_or_else(|| no_dim(feature))?;
                let q = &net.tables[&t.param];
                let rows = gather_float(&mut g, &t.param, q, input);
                match spec.pooling_of(feature) {
                    Pooling::Mean => mean_pool(&mut g, &rows, input, &axis1, &axis2),
                    Pooling::Attention => {
                        let item = spec.manifest.feature(item_feature).expect("validated");
                        let target = gather_float(&mut g, &t.param, q, item.input_name());
                        let name = format!("att.{}", feature.name);
                        let a = &net.attention[&name];
                        let a_t = g.initializer_f32(&format!("{name}.t"), &a.shape, &transpose_scaled(a, t.dim));
                        attention_pool(&mut g, &rows, input, &target, &a_t, None, *max_len as usize, &axis1, &axis2)
                    }
                }
            }
        };
        let scale = match quant {
            PieceQuant::Units { .. } => unit.clone(),
            PieceQuant::Calibrated { scale, .. } => g.initializer_f32(&format!("{}.scale", feature.name), &[], &[*scale]),
        };
        pieces.push(g.node("QuantizeLinear", &[&float_piece, &scale, &zero_i8], vec![]));
    }
    let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let mut x = if refs.len() == 1 { pieces[0].clone() } else { g.node("Concat", &refs, vec![attr_int("axis", 1)]) };
    for (i, layer) in net.layers.iter().enumerate() {
        let w = &layer.weight;
        let b = g.initializer_i8(&format!("mlp.{i}.weight"), &[w.cols, w.rows], &w.transposed_values());
        let product = g.node("MatMulInteger", &[&x, &b], vec![]);
        let bias = g.initializer_i32(&format!("mlp.{i}.bias"), &[w.rows], &layer.integer_bias());
        let biased = g.node("Add", &[&product, &bias], vec![]);
        let biased = g.node("Cast", &[&biased], vec![attr_int("to", TO_FLOAT)]);
        let scales = g.initializer_f32(&format!("mlp.{i}.scale"), &[w.rows], &w.scales);
        x = g.node("Mul", &[&biased, &scales], vec![]);
        if let Some((scale, _)) = layer.activation {
            let relu = g.node("Relu", &[&x], vec![]);
            let s = g.initializer_f32(&format!("mlp.{i}.act_scale"), &[], &[scale]);
            x = g.node("QuantizeLinear", &[&relu, &s, &zero_i8], vec![]);
        }
    }
    let output = &spec.manifest.outputs[0].name;
    g.output(&x, output, Elem::F32, &[None, Some(spec.output_width())]);
    Ok(g.finish(dram_core::VERSION))
}

/// Tables up to this many values get a float copy folded at load (tract's 4 MiB budget).
const FOLDED_TABLE_VALUES: usize = (4 << 20) / 4;

/// Float rows of a table for pooling and attention: gathered from the load-time float copy of
/// the table (`Cast`, times per-row scales) when it fits tract's folding budget, otherwise
/// int8 rows gathered then cast (and scaled).
fn gather_float(g: &mut GraphBuilder, table: &str, q: &QMatrix, ids: &str) -> String {
    if q.values.len() <= FOLDED_TABLE_VALUES {
        let name = format!("{table}.float");
        if !g.has_value(&name) {
            g.node_to("Cast", &[table], &name, vec![attr_int("to", TO_FLOAT)]);
            if q.axis == ScaleAxis::Row {
                let units = format!("{table}.units");
                g.rename_last_output(&units);
                g.node_to("Mul", &[&units, &format!("{table}.scale")], &name, vec![]);
            }
        }
        return g.node("Gather", &[&name, ids], vec![attr_int("axis", 0)]);
    }
    let rows = g.node("Gather", &[table, ids], vec![attr_int("axis", 0)]);
    let rows = g.node("Cast", &[&rows], vec![attr_int("to", TO_FLOAT)]);
    if q.axis == ScaleAxis::Row {
        let scales = g.node("Gather", &[&format!("{table}.scale"), ids], vec![attr_int("axis", 0)]);
        g.node("Mul", &[&rows, &scales], vec![])
    } else {
        rows
    }
}
