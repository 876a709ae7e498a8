//! The quantize-and-export pipeline the CLI and the demo share: calibrate on a data set,
//! export for a target, and check the file before anyone ships it (it loads, and for the
//! `cpu` target dram-core's scores equal the fake-quant simulation's).

use anyhow::{ensure, Context, Result};
use dram_core::manifest::Manifest;
use dram_core::Model;

use crate::model::arch::{NetSpec, Params};
use crate::model::dataset::Dataset;
use crate::export::{self, Target, WeightStorage};
use crate::compress::quantize::model::QuantizedNet;
use crate::compress::quantize::sim::{Enabled, Simulator};
use crate::compress::quantize::{self, Report, Settings};

/// What to produce.
#[derive(Debug, Clone)]
pub struct Request {
    /// Deployment profile.
    pub target: Target,
    /// Quantization options.
    pub settings: Settings,
    /// Calibration rows taken (evenly spaced) from the calibration set.
    pub calibration_rows: usize,
    /// Fixed row count of the static-shape profiles (`npu`, `coreml`).
    pub batch: usize,
    /// Weight storage of the `coreml` profile.
    pub coreml_weights: WeightStorage,
}

impl Default for Request {
    fn default() -> Self {
        Request {
            target: Target::Cpu,
            settings: Settings::default(),
            calibration_rows: 2048,
            batch: 128,
            coreml_weights: WeightStorage::F16,
        }
    }
}

/// A produced model file.
#[derive(Debug)]
pub struct Compressed {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// The quantization report (absent for the weight-only `coreml` profile).
    pub report: Option<Report>,
    /// The int8 network (absent for `coreml`), e.g. to simulate it.
    pub net: Option<QuantizedNet>,
}

/// Quantizes (or converts) a trained network for `request.target`.
pub fn compress(spec: &NetSpec, params: &Params, manifest: &Manifest, calibration: &Dataset, request: &Request) -> Result<Compressed> {
    if request.target == Target::Coreml {
        let bytes = export::weight_only_model(spec, params, manifest, request.batch, request.coreml_weights)?;
        return Ok(Compressed { bytes, report: None, net: None });
    }
    ensure!(calibration.rows > 0, "the calibration set is empty: pass rows the model will see (e.g. the validation split)");
    let step = (calibration.rows / request.calibration_rows.max(1)).max(1);
    let rows: Vec<usize> = (0..calibration.rows).step_by(step).take(request.calibration_rows).collect();
    let inputs = calibration.tensors(&rows);
    let (net, report) = quantize::quantize(spec, params, &inputs, &request.settings)?;
    let described = format!("{} rows; {} by output error", rows.len(), methods(&request.settings));
    let bytes = match request.target {
        Target::Cpu => {
            let bytes = export::int8_model(&net, manifest, &described)?;
            let model = Model::from_bytes(&bytes).context("the int8 file does not load in dram-core")?;
            let runtime = model.run_encoded(inputs.clone())?;
            let simulated = Simulator::new(&net, params, &Enabled::All).logits(&inputs, &Enabled::All)?;
            let (close, worst) = crate::compress::quantize::sim::agreement(&runtime, &simulated);
            ensure!(
                close >= 0.99 && worst < 0.1,
                "dram-core's int8 scores follow the simulation for only {:.2}% of rows (worst difference {worst}): please report this as a bug",
                close * 100.0
            );
            bytes
        }
        Target::Npu => export::qdq_model(&net, manifest, request.batch, &described)?,
        Target::Coreml => unreachable!("handled above"),
    };
    Ok(Compressed { bytes, report: Some(report), net: Some(net) })
}

fn methods(settings: &Settings) -> String {
    settings.methods.iter().map(|m| m.name()).collect::<Vec<_>>().join("/")
}

/// The report as an aligned table.
pub fn report_table(report: &Report) -> String {
    let mut s = format!("{:<28} {:<12} {:>10} {:>12}\n", "tensor", "scheme", "rel. error", "logit RMSE");
    for t in &report.tensors {
        s.push_str(&format!("{:<28} {:<12} {:>10.2e} {:>12.2e}\n", t.tensor, t.scheme, t.relative_error, t.output_rmse_alone));
    }
    s.push_str(&format!(
        "all tensors: logit RMSE {:.2e} ({:.2e} before bias correction, layers corrected: {:?}), max |diff| {:.2e}\n",
        report.output_rmse, report.output_rmse_before_bias_correction, report.bias_corrected_layers, report.output_max_abs
    ));
    s.push_str(&format!("weights: {} bytes float, {} bytes int8\n", report.float_weight_bytes, report.int8_weight_bytes));
    s
}
