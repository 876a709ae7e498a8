//! Post-training int8 quantization with a calibration set.
//!
//! Weights are symmetric int8 per output channel; embedding tables int8 with per-column scales
//! (narrow tables: the scales fold into the next layer, so nothing extra is stored or computed)
//! or per-row scales (wide tables); activations get one scale each, chosen among min-max,
//! percentile, entropy and MSE thresholds by the model-output error each causes on the
//! calibration set. Bias correction removes the mean output shift quantization leaves, layer by
//! layer, where it lowers that error. [`Report`] lists every tensor's own error so the user
//! sees which layer hurts. `docs/quantization.md` explains the scheme.

pub mod calibrate;
pub mod model;
pub mod scheme;
pub mod sim;

use std::collections::BTreeMap;

use anyhow::{anyhow, Result};
use dram_core::Tensor;
use serde::Serialize;

use crate::model::arch::{NetSpec, Params};
use crate::model::reference;
use calibrate::{Method, Range};
use model::{fold_attention, PieceQuant, QLayer, QuantizedNet};
use scheme::{relative_error, QMatrix, ScaleAxis};
use sim::{Enabled, Simulator, Site};

/// How embedding tables are scaled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum TableScales {
    /// Per-column for tables narrower than [`ROW_SCALES_FROM_DIM`], per-row for wider ones.
    Auto,
    /// One scale per row (4 extra bytes per row, precise for rare items with small rows).
    Row,
    /// One scale per column (free: folded into the next layer).
    Column,
}

/// Tables at least this wide get per-row scales under [`TableScales::Auto`]: a 4-byte scale
/// then costs at most 1/8 of the row's int8 bytes.
pub const ROW_SCALES_FROM_DIM: usize = 32;

/// Quantization options.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Table scale layout.
    pub table_scales: TableScales,
    /// Calibration methods tried on every activation.
    pub methods: Vec<Method>,
    /// Whether to try bias correction.
    pub bias_correction: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { table_scales: TableScales::Auto, methods: Method::ALL.to_vec(), bias_correction: true }
    }
}

/// One tensor's line in the report.
#[derive(Debug, Clone, Serialize)]
pub struct TensorReport {
    /// The tensor.
    pub tensor: String,
    /// Its scheme (`per-row`, `per-column`, `per-channel`, or the calibration method).
    pub scheme: String,
    /// `||float - int8|| / ||float||` of the tensor itself on the calibration set.
    pub relative_error: f64,
    /// Root-mean-square change of the model's logits when only this tensor is quantized.
    pub output_rmse_alone: f64,
}

/// What quantization did and what it costs.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Calibration rows used.
    pub calibration_rows: usize,
    /// Every tensor, in graph order.
    pub tensors: Vec<TensorReport>,
    /// Logit RMSE with everything quantized, before bias correction.
    pub output_rmse_before_bias_correction: f64,
    /// Logit RMSE with everything quantized (the final model).
    pub output_rmse: f64,
    /// Largest absolute logit change on the calibration set.
    pub output_max_abs: f64,
    /// Layers whose bias was corrected.
    pub bias_corrected_layers: Vec<usize>,
    /// Bytes of weight storage, float vs int8.
    pub float_weight_bytes: usize,
    /// Bytes of weight storage in int8 (values plus stored scales).
    pub int8_weight_bytes: usize,
}

/// Quantizes a trained network, calibrating on `calibration` (encoded inputs in
/// `Manifest::graph_inputs` order).
pub fn quantize(spec: &NetSpec, params: &Params, calibration: &[Tensor], settings: &Settings) -> Result<(QuantizedNet, Report)> {
    let rows = reference::rows(calibration)?;
    let float_pieces: Vec<Vec<Vec<f32>>> = (0..rows).map(|n| reference::pieces(spec, params, calibration, n)).collect::<Result<_>>()?;
    let float_layers: Vec<Vec<Vec<f32>>> =
        float_pieces.iter().map(|p| reference::mlp(spec, params, p.concat())).collect::<Result<_>>()?;
    let float_logits: Vec<f32> = float_layers.iter().flat_map(|l| l.last().expect("layers").clone()).collect();

    let mut net = initial(spec, params, settings, &float_pieces, &float_layers)?;
    let error = |net: &QuantizedNet| -> Result<f64> {
        let logits = Simulator::new(net, params, &Enabled::All).logits(calibration, &Enabled::All)?;
        Ok(sim::mse(&float_logits, &logits))
    };

    // Choose each activation scale by the output error it causes, in graph order.
    for i in 0..net.pieces.len() {
        if let PieceQuant::Calibrated { .. } = net.pieces[i] {
            let values: Vec<f32> = float_pieces.iter().flat_map(|p| p[i].clone()).collect();
            let set = |net: &mut QuantizedNet, scale, method| net.pieces[i] = PieceQuant::Calibrated { scale, method };
            choose_scale(&mut net, params, settings, &values, Range::Signed, set, &error)?;
        }
    }
    for l in 0..net.layers.len() {
        if net.layers[l].activation.is_some() {
            let values: Vec<f32> = float_layers.iter().flat_map(|ls| ls[l].clone()).collect();
            let set = |net: &mut QuantizedNet, scale, method| net.layers[l].activation = Some((scale, method));
            choose_scale(&mut net, params, settings, &values, Range::Relu, set, &error)?;
        }
    }

    let before = error(&net)?;
    let mut current = before;
    let mut corrected = Vec::new();
    if settings.bias_correction {
        for l in 0..net.layers.len() {
            let shift = mean_shift(&net, params, calibration, &float_layers, l)?;
            let mut trial = net.clone();
            trial.layers[l].bias.iter_mut().zip(&shift).for_each(|(b, s)| *b -= s);
            let e = error(&trial)?;
            if e < current {
                net = trial;
                current = e;
                corrected.push(l);
            }
        }
    }
    let final_logits = Simulator::new(&net, params, &Enabled::All).logits(calibration, &Enabled::All)?;
    let report = Report {
        calibration_rows: rows,
        tensors: tensor_reports(&net, params, calibration, &float_pieces, &float_layers, &float_logits)?,
        output_rmse_before_bias_correction: before.sqrt(),
        output_rmse: sim::mse(&float_logits, &final_logits).sqrt(),
        output_max_abs: float_logits.iter().zip(&final_logits).map(|(a, b)| f64::from((a - b).abs())).fold(0.0, f64::max),
        bias_corrected_layers: corrected,
        float_weight_bytes: 4 * spec.param_count(),
        int8_weight_bytes: net.stored_bytes(),
    };
    Ok((net, report))
}

/// Sets one activation's scale (via `set`) to each method's threshold for `values` in turn and
/// keeps the one whose model-output error is lowest (the first on a tie).
fn choose_scale(
    net: &mut QuantizedNet,
    params: &Params,
    settings: &Settings,
    values: &[f32],
    range: Range,
    set: impl Fn(&mut QuantizedNet, f32, Method),
    error: &dyn Fn(&QuantizedNet) -> Result<f64>,
) -> Result<()> {
    let mut best: Option<(f64, f32, Method)> = None;
    for &method in &settings.methods {
        let scale = range.scale(calibrate::threshold(method, values, range));
        set(net, scale, method);
        net.refold(params)?;
        let e = error(net)?;
        if best.is_none_or(|(b, _, _)| e < b) {
            best = Some((e, scale, method));
        }
    }
    if let Some((_, scale, method)) = best {
        set(net, scale, method);
        net.refold(params)?;
    }
    Ok(())
}

/// Tables quantized, pieces and activations at their min-max scales, weights folded.
fn initial(
    spec: &NetSpec,
    params: &Params,
    settings: &Settings,
    float_pieces: &[Vec<Vec<f32>>],
    float_layers: &[Vec<Vec<f32>>],
) -> Result<QuantizedNet> {
    let mut tables = BTreeMap::new();
    let conv_tables: Vec<String> =
        spec.manifest.features.iter().filter(|f| spec.conv(f).is_some()).filter_map(|f| spec.table(f)).map(|t| t.param).collect();
    for t in spec.tables() {
        let axis = match settings.table_scales {
            // A convolution reads float rows: per-column units would need its weights refolded.
            _ if conv_tables.contains(&t.param) => ScaleAxis::Row,
            TableScales::Row => ScaleAxis::Row,
            TableScales::Column => ScaleAxis::Column,
            TableScales::Auto if t.dim >= ROW_SCALES_FROM_DIM => ScaleAxis::Row,
            TableScales::Auto => ScaleAxis::Column,
        };
        let p = params.get(&t.param).ok_or_else(|| anyhow!("missing {}", t.param))?;
        tables.insert(t.param.clone(), QMatrix::quantize(&p.data, t.rows, t.dim, axis));
    }
    let mut attention = BTreeMap::new();
    for f in &spec.manifest.features {
        let name = format!("att.{}", f.name);
        if let Some(a) = params.get(&name) {
            let table = spec.sequence_table(f).ok_or_else(|| anyhow!("{name} without a sequence table"))?;
            let q = &tables[&table.param];
            let folded = if q.axis == ScaleAxis::Column { fold_attention(a, &q.scales) } else { a.clone() };
            attention.insert(name, folded);
        }
    }
    let mut conv = BTreeMap::new();
    for c in spec.manifest.features.iter().filter_map(|f| spec.conv(f)) {
        let w = params.get(&c.weight).ok_or_else(|| anyhow!("missing {}", c.weight))?;
        let bias = params.get(&c.bias).ok_or_else(|| anyhow!("missing {}", c.bias))?.data.clone();
        let weight = QMatrix::quantize(&w.data, c.window * c.dim, c.channels, ScaleAxis::Column);
        conv.insert(c.weight.clone(), model::QConv { weight, bias });
    }
    let mut pieces = Vec::new();
    for (i, f) in spec.manifest.features.iter().enumerate() {
        pieces.push(if QuantizedNet::is_unit_piece(spec, &tables, i) {
            let t = spec.lookup_table(f).expect("unit pieces have tables");
            PieceQuant::Units { scales: tables[&t.param].scales.clone() }
        } else {
            let values: Vec<f32> = float_pieces.iter().flat_map(|p| p[i].clone()).collect();
            let scale = Range::Signed.scale(calibrate::threshold(Method::MinMax, &values, Range::Signed));
            PieceQuant::Calibrated { scale, method: Method::MinMax }
        });
    }
    let layer_count = spec.layers().len();
    let mut layers = Vec::new();
    for l in 0..layer_count {
        let activation = (l + 1 < layer_count).then(|| {
            let values: Vec<f32> = float_layers.iter().flat_map(|ls| ls[l].clone()).collect();
            (Range::Relu.scale(calibrate::threshold(Method::MinMax, &values, Range::Relu)), Method::MinMax)
        });
        let w = &params[&format!("mlp.{l}.weight")];
        let b = &params[&format!("mlp.{l}.bias")];
        layers.push(QLayer::new(w, b, vec![1.0; w.shape[1]], activation));
    }
    let mut net = QuantizedNet { spec: spec.clone(), tables, attention, conv, pieces, layers };
    net.refold(params)?;
    Ok(net)
}

/// Mean over the calibration rows of (quantized - float) pre-activation of layer `l`.
fn mean_shift(net: &QuantizedNet, params: &Params, calibration: &[Tensor], float_layers: &[Vec<Vec<f32>>], l: usize) -> Result<Vec<f32>> {
    let simulator = Simulator::new(net, params, &Enabled::All);
    let width = net.layers[l].bias.len();
    let mut sum = vec![0f64; width];
    for (n, float) in float_layers.iter().enumerate() {
        let q = simulator.forward(calibration, n, &Enabled::All)?;
        for o in 0..width {
            sum[o] += f64::from(q[l][o] - float[l][o]);
        }
    }
    Ok(sum.iter().map(|s| (s / float_layers.len().max(1) as f64) as f32).collect())
}

fn tensor_reports(
    net: &QuantizedNet,
    params: &Params,
    calibration: &[Tensor],
    float_pieces: &[Vec<Vec<f32>>],
    float_layers: &[Vec<Vec<f32>>],
    float_logits: &[f32],
) -> Result<Vec<TensorReport>> {
    let mut out = Vec::new();
    for site in sim::sites(net) {
        let only = Enabled::Only([site.clone()].into());
        let simulator = Simulator::new(net, params, &only);
        let logits = simulator.logits(calibration, &only)?;
        let (scheme, relative) = match &site {
            Site::Table(name) => {
                let q = &net.tables[name];
                let axis = if q.axis == ScaleAxis::Row { "per-row" } else { "per-column" };
                (axis.to_string(), relative_error(&params[name].data, &q.dequantize()))
            }
            Site::Piece(i) => {
                let float: Vec<f32> = float_pieces.iter().flat_map(|p| p[*i].clone()).collect();
                let scales = net.pieces[*i].column_scales(net.spec.feature_width(&net.spec.manifest.features[*i]));
                let offset: usize = net.spec.manifest.features[..*i].iter().map(|f| net.spec.feature_width(f)).sum();
                // The first layer's input under this site alone, back in float units.
                let mut quantized = Vec::new();
                for n in 0..float_pieces.len() {
                    let x = simulator.first_layer_input(calibration, n, &only)?;
                    quantized.extend(scales.iter().enumerate().map(|(k, s)| x[offset + k] * s));
                }
                let scheme = match &net.pieces[*i] {
                    PieceQuant::Units { .. } => "table units".to_string(),
                    PieceQuant::Calibrated { method, .. } => method.name(),
                };
                (scheme, relative_error(&float, &quantized))
            }
            Site::Weight(l) => {
                let layer = &net.layers[*l];
                let w = &params[&format!("mlp.{l}.weight")];
                let back: Vec<f32> = layer
                    .weight
                    .dequantize()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v / layer.input_scales[i % layer.weight.cols])
                    .collect();
                ("per-channel".to_string(), relative_error(&w.data, &back))
            }
            Site::Activation(l) => {
                let (scale, method) = net.layers[*l].activation.expect("hidden layer");
                let float: Vec<f32> = float_layers.iter().flat_map(|ls| ls[*l].iter().map(|v| v.max(0.0)).collect::<Vec<_>>()).collect();
                let fake: Vec<f32> = float.iter().map(|v| scheme::fake_relu(*v, scale)).collect();
                (method.name(), relative_error(&float, &fake))
            }
        };
        out.push(TensorReport {
            tensor: site.describe(net),
            scheme,
            relative_error: relative,
            output_rmse_alone: sim::mse(float_logits, &logits).sqrt(),
        });
    }
    Ok(out)
}
