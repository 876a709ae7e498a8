//! Fake-quant simulation: the int8 network's arithmetic in plain Rust, with each tensor's
//! quantization switchable, so calibration can measure the model-output error a choice costs
//! and the report can show which tensor hurts. Exported int8 graphs are tested against it.

use std::collections::BTreeSet;

use anyhow::Result;
use dram_core::Tensor;

use super::model::{PieceQuant, QuantizedNet};
use super::scheme::{quantize_i8, quantize_relu, round_half_even, ScaleAxis, I8_MAX};
use crate::model::arch::{Param, Params};
use crate::model::reference;

/// A quantizable tensor of the network.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Site {
    /// An embedding table (by parameter name).
    Table(String),
    /// The int8 conversion of a feature's MLP input piece (by feature index).
    Piece(usize),
    /// A layer's weights.
    Weight(usize),
    /// A hidden layer's uint8 output.
    Activation(usize),
}

impl Site {
    /// A readable name for reports.
    pub fn describe(&self, net: &QuantizedNet) -> String {
        match self {
            Site::Table(name) => format!("table {name}"),
            Site::Piece(i) => format!("input {}", net.spec.manifest.features[*i].name),
            Site::Weight(i) => format!("mlp.{i}.weight"),
            Site::Activation(i) => format!("mlp.{i} output"),
        }
    }
}

/// Which sites are quantized in a simulation.
#[derive(Debug, Clone)]
pub enum Enabled {
    /// Every site (what the int8 graph computes).
    All,
    /// Only these sites; the rest stay float.
    Only(BTreeSet<Site>),
}

impl Enabled {
    fn has(&self, site: &Site) -> bool {
        match self {
            Enabled::All => true,
            Enabled::Only(set) => set.contains(site),
        }
    }
}

/// Every site of a network, in graph order.
pub fn sites(net: &QuantizedNet) -> Vec<Site> {
    let mut out: Vec<Site> = net.tables.keys().cloned().map(Site::Table).collect();
    out.extend((0..net.pieces.len()).map(Site::Piece));
    for (i, layer) in net.layers.iter().enumerate() {
        out.push(Site::Weight(i));
        if layer.activation.is_some() {
            out.push(Site::Activation(i));
        }
    }
    out
}

/// A simulator for one network and its float parameters.
pub struct Simulator<'a> {
    net: &'a QuantizedNet,
    params: &'a Params,
    graph_params: Params,
}

impl<'a> Simulator<'a> {
    /// Prepares the per-table parameters for `enabled`.
    pub fn new(net: &'a QuantizedNet, params: &'a Params, enabled: &Enabled) -> Simulator<'a> {
        let mut graph_params = params.clone();
        for (name, q) in &net.tables {
            let on = enabled.has(&Site::Table(name.clone()));
            let data = match (q.axis, on) {
                (ScaleAxis::Column, true) => q.units(),
                (ScaleAxis::Column, false) => {
                    params[name].data.iter().enumerate().map(|(i, v)| v / q.scales[i % q.cols]).collect()
                }
                (ScaleAxis::Row, true) => q.dequantize(),
                (ScaleAxis::Row, false) => params[name].data.clone(),
            };
            graph_params.insert(name.clone(), Param { shape: vec![q.rows, q.cols], data });
        }
        for (name, a) in &net.attention {
            graph_params.insert(name.clone(), a.clone());
        }
        for (name, c) in &net.conv {
            let shape = params[name].shape.clone();
            graph_params.insert(name.clone(), Param { shape, data: c.weight.dequantize() });
        }
        Simulator { net, params, graph_params }
    }

    /// The first layer's input for row `n`, in int8 units (each column divided by its scale).
    pub fn first_layer_input(&self, inputs: &[Tensor], n: usize, enabled: &Enabled) -> Result<Vec<f32>> {
        let pieces = reference::pieces(&self.net.spec, &self.graph_params, inputs, n)?;
        let mut x: Vec<f32> = Vec::new();
        for (i, (piece, quant)) in pieces.iter().zip(&self.net.pieces).enumerate() {
            let on = enabled.has(&Site::Piece(i));
            match quant {
                PieceQuant::Units { .. } if on => {
                    x.extend(piece.iter().map(|v| round_half_even(*v).clamp(-I8_MAX - 1.0, I8_MAX)));
                }
                PieceQuant::Units { .. } => x.extend(piece),
                PieceQuant::Calibrated { scale, .. } if on => {
                    x.extend(piece.iter().map(|v| f32::from(quantize_i8(*v, *scale))));
                }
                PieceQuant::Calibrated { scale, .. } => x.extend(piece.iter().map(|v| v / scale)),
            }
        }
        Ok(x)
    }

    /// Every layer's pre-activation output for row `n` (the logits last).
    pub fn forward(&self, inputs: &[Tensor], n: usize, enabled: &Enabled) -> Result<Vec<Vec<f32>>> {
        let mut x = self.first_layer_input(inputs, n, enabled)?;
        let mut outputs = Vec::with_capacity(self.net.layers.len());
        for (i, layer) in self.net.layers.iter().enumerate() {
            let w = &layer.weight;
            let quantized = enabled.has(&Site::Weight(i));
            let float_w = &self.params[&format!("mlp.{i}.weight")].data;
            let bias = if quantized { layer.integer_bias().iter().zip(&w.scales).map(|(b, s)| *b as f32 * s).collect() } else { layer.bias.clone() };
            let y: Vec<f32> = (0..w.rows)
                .map(|o| {
                    let row = o * w.cols;
                    let acc: f32 = if quantized {
                        w.scales[o] * (0..w.cols).map(|k| f32::from(w.values[row + k]) * x[k]).sum::<f32>()
                    } else {
                        (0..w.cols).map(|k| float_w[row + k] * layer.input_scales[k] * x[k]).sum()
                    };
                    acc + bias[o]
                })
                .collect();
            if let Some((scale, _)) = layer.activation {
                x = if enabled.has(&Site::Activation(i)) {
                    y.iter().map(|v| f32::from(quantize_relu(*v, scale))).collect()
                } else {
                    y.iter().map(|v| v.max(0.0) / scale).collect()
                };
            }
            outputs.push(y);
        }
        Ok(outputs)
    }

    /// Logits of every row.
    pub fn logits(&self, inputs: &[Tensor], enabled: &Enabled) -> Result<Vec<f32>> {
        let mut out = Vec::new();
        for n in 0..reference::rows(inputs)? {
            out.extend(self.forward(inputs, n, enabled)?.pop().expect("layers"));
        }
        Ok(out)
    }
}

/// Mean squared difference.
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    a.iter().zip(b).map(|(x, y)| f64::from(x - y).powi(2)).sum::<f64>() / a.len().max(1) as f64
}

/// How closely the runtime's scores follow the simulation's: the fraction of values within
/// `1e-4` and the largest difference. Both sum in different orders, so a value lying within an
/// ulp of a rounding boundary can land one int8 step apart; that is rare and small.
pub fn agreement(runtime: &[f32], simulated: &[f32]) -> (f64, f32) {
    let close = runtime.iter().zip(simulated).filter(|(a, b)| (*a - *b).abs() <= 1e-4).count();
    let worst = runtime.iter().zip(simulated).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    (close as f64 / runtime.len().max(1) as f64, worst)
}
