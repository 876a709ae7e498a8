//! The int8 form of a network: what every int8 export profile writes and what the fake-quant
//! simulation computes. Scales of embedding columns and activations are folded into the next
//! layer's weights, so the graph multiplies raw int8 values and rescales once per output.

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::calibrate::Method;
use super::scheme::{QMatrix, ScaleAxis};
use crate::model::arch::{NetSpec, Param, Params};

/// How the MLP input piece of one feature becomes int8.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PieceQuant {
    /// Already int8 in its table's per-column scales: gathered rows are used as they are,
    /// pooled rows are rounded to the nearest unit (a weighted mean of int8 values stays in
    /// range).
    Units {
        /// The scale of each column.
        scales: Vec<f32>,
    },
    /// Float values quantized with one calibrated scale.
    Calibrated {
        /// The scale.
        scale: f32,
        /// How the scale was chosen.
        method: Method,
    },
}

impl PieceQuant {
    /// The scale of each of the piece's `width` columns.
    pub fn column_scales(&self, width: usize) -> Vec<f32> {
        match self {
            PieceQuant::Units { scales } => scales.clone(),
            PieceQuant::Calibrated { scale, .. } => vec![*scale; width],
        }
    }
}

/// One linear layer in int8: `y = s_w[o] * (sum_k W_q[o, k] x_q[k] + b_q[o])`, where `x_q` are
/// the int8 inputs (post-ReLU ones in `[0, 127]`), `W_q` quantizes `W[o, k] * s_x[k]` per output
/// channel and `b_q = round(b / s_w)` is the bias in the accumulator's units (added in i32).
#[derive(Debug, Clone, PartialEq)]
pub struct QLayer {
    /// The folded weight `W ⊙ s_x`, `(out, in)`, per-row (output channel) scales.
    pub weight: QMatrix,
    /// The float bias (after bias correction).
    pub bias: Vec<f32>,
    /// The scale of each input column (`s_x`).
    pub input_scales: Vec<f32>,
    /// For hidden layers: the int8 scale of the ReLU output and how it was chosen.
    pub activation: Option<(f32, Method)>,
}

impl QLayer {
    /// The bias in accumulator units: `round(b[o] / s_w[o])`.
    pub fn integer_bias(&self) -> Vec<i32> {
        self.bias.iter().zip(&self.weight.scales).map(|(b, s)| super::scheme::round_half_even(b / s) as i32).collect()
    }

    /// The bias the integer graph effectively adds: `s_w[o] * b_q[o]`.
    pub fn effective_bias(&self) -> Vec<f32> {
        self.integer_bias().iter().zip(&self.weight.scales).map(|(b, s)| *b as f32 * s).collect()
    }

    /// Quantizes float weights `(out, in)` for inputs with the given column scales.
    pub fn new(weight: &Param, bias: &Param, input_scales: Vec<f32>, activation: Option<(f32, Method)>) -> QLayer {
        let (out, fan_in) = (weight.shape[0], weight.shape[1]);
        let folded: Vec<f32> = (0..out)
            .flat_map(|o| (0..fan_in).map(move |k| (o, k)))
            .map(|(o, k)| weight.data[o * fan_in + k] * input_scales[k])
            .collect();
        QLayer {
            weight: QMatrix::quantize(&folded, out, fan_in, ScaleAxis::Row),
            bias: bias.data.clone(),
            input_scales,
            activation,
        }
    }
}

/// A word-piece convolution stored in int8: the `[window * dim, channels]` weight with
/// per-channel scales, dequantized once when the model loads, and its float bias.
#[derive(Debug, Clone, PartialEq)]
pub struct QConv {
    /// The weight, one scale per output channel.
    pub weight: QMatrix,
    /// The bias.
    pub bias: Vec<f32>,
}

/// A network in int8.
#[derive(Debug, Clone)]
pub struct QuantizedNet {
    /// The architecture.
    pub spec: NetSpec,
    /// Every embedding table by parameter name.
    pub tables: BTreeMap<String, QMatrix>,
    /// Target-attention matrices (`att.<feature>`) with their table's column scales folded in
    /// (`diag(s) A diag(s)`), for tables with per-column scales; float otherwise.
    pub attention: BTreeMap<String, Param>,
    /// Word-piece convolutions by weight name (`conv.<feature>.weight`); their tables have
    /// per-row scales, so each convolution runs on float rows and its max-pooled output is a
    /// calibrated piece.
    pub conv: BTreeMap<String, QConv>,
    /// How each feature's MLP input piece is quantized, in feature order.
    pub pieces: Vec<PieceQuant>,
    /// The MLP layers.
    pub layers: Vec<QLayer>,
}

impl QuantizedNet {
    /// Whether a feature's piece is a (pooled) table lookup whose table has per-column scales.
    pub fn is_unit_piece(spec: &NetSpec, tables: &BTreeMap<String, QMatrix>, feature_index: usize) -> bool {
        let feature = &spec.manifest.features[feature_index];
        spec.conv(feature).is_none()
            && spec
                .lookup_table(feature)
                .and_then(|t| tables.get(&t.param))
                .is_some_and(|q| q.axis == ScaleAxis::Column)
    }

    /// The column scales of the first layer's input (every piece's, concatenated).
    pub fn input_scales(&self) -> Vec<f32> {
        self.spec
            .manifest
            .features
            .iter()
            .zip(&self.pieces)
            .flat_map(|(f, p)| p.column_scales(self.spec.feature_width(f)))
            .collect()
    }

    /// Re-quantizes every layer's weights from the float parameters for the current piece and
    /// activation scales (after a scale changed).
    pub fn refold(&mut self, params: &Params) -> Result<()> {
        let mut scales = self.input_scales();
        for i in 0..self.layers.len() {
            let w = params.get(&format!("mlp.{i}.weight")).ok_or_else(|| anyhow!("missing mlp.{i}.weight"))?;
            let mut bias = params.get(&format!("mlp.{i}.bias")).ok_or_else(|| anyhow!("missing mlp.{i}.bias"))?.clone();
            bias.data.clone_from(&self.layers[i].bias);
            let activation = self.layers[i].activation;
            self.layers[i] = QLayer::new(w, &bias, scales, activation);
            scales = activation.map_or_else(Vec::new, |(s, _)| vec![s; w.shape[0]]);
        }
        Ok(())
    }

    /// Bytes of weight storage: int8 values plus the scales that are stored (per-row table
    /// scales, per-channel weight scales, biases, attention matrices, convolution weights with
    /// their scales and biases).
    pub fn stored_bytes(&self) -> usize {
        let tables: usize = self
            .tables
            .values()
            .map(|t| t.values.len() + if t.axis == ScaleAxis::Row { 4 * t.scales.len() } else { 0 })
            .sum();
        let layers: usize = self.layers.iter().map(|l| l.weight.values.len() + 4 * (l.weight.scales.len() + l.bias.len())).sum();
        let attention: usize = self.attention.values().map(|a| 4 * a.data.len()).sum();
        let conv: usize = self.conv.values().map(|c| c.weight.values.len() + 4 * (c.weight.scales.len() + c.bias.len())).sum();
        tables + layers + attention + conv
    }
}

/// `diag(s) A diag(s)` for a square row-major `A`.
pub fn fold_attention(a: &Param, scales: &[f32]) -> Param {
    let d = a.shape[0];
    let data = (0..d * d).map(|i| a.data[i] * scales[i / d] * scales[i % d]).collect();
    Param { shape: a.shape.clone(), data }
}
