//! A checkpoint exported for a deployment target, as `dram export` and `dram quantize` do it:
//! the fp32 file for the plain `cpu` profile (checked to load in dram-core), anything else
//! through [`super::compress`] with a calibration set read from a data file.

use std::path::Path;

use anyhow::{bail, Context, Result};

use super::compressed::{compress, Compressed, Request};
use super::Target;
use crate::model::checkpoint;
use crate::model::config::Config;
use crate::model::dataset::{read_table, Dataset};

/// Where the calibration rows come from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Calibration<'a> {
    /// Calibration data (`.csv` or `.parquet`); int8 needs it.
    pub data: Option<&'a Path>,
    /// Configuration naming the data's columns (default: the checkpoint's own).
    pub config: Option<&'a Path>,
}

/// Exports the checkpoint in `dir` for `request.target`, quantized to int8 when `int8` is set
/// or the target needs it (`npu`).
pub fn export_checkpoint(dir: &Path, int8: bool, request: &Request, calibration: Calibration<'_>) -> Result<Compressed> {
    let (net, manifest) = checkpoint::load(dir)?;
    let params = net.params()?;
    let int8 = int8 || request.target == Target::Npu;
    if !int8 && request.target == Target::Cpu {
        let bytes = super::fp32_model(&net.spec, &params, &manifest)?;
        dram_core::Model::from_bytes(&bytes).context("the exported file does not load in dram-core")?;
        return Ok(Compressed { bytes, report: None, net: None });
    }
    let calibration = match (calibration.data, request.target) {
        (Some(path), _) => {
            let config = match calibration.config {
                Some(p) => Config::load(p)?,
                None => checkpoint::config(dir)?,
            };
            let table = read_table(path, &config)?;
            Dataset::encode(&config, &manifest, &table)?
        }
        (None, Target::Coreml) => Dataset { inputs: Vec::new(), labels: Vec::new(), groups: Vec::new(), teacher: None, rows: 0 },
        (None, _) => bail!("int8 needs a calibration set: pass --calibration DATA (e.g. the validation split)"),
    };
    compress(&net.spec, &params, &manifest, &calibration, request)
}
