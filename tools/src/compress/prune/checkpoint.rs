//! A trained checkpoint pruned, as `dram prune` does it: the checkpoint and the data files it
//! was trained on read back, the teacher's logits attached, [`super::run`], and the pruned
//! network returned with the manifest and configuration its own checkpoint records.

use std::path::Path;

use anyhow::{bail, Result};
use dram_core::manifest::Manifest;

use super::{run, shrink, FileBytes, PruneReport, PruneSettings};
use crate::model::checkpoint;
use crate::model::config::Config;
use crate::model::net::Net;
use crate::train::pipeline::encode_files;
use crate::train::teacher::Teacher;

/// The data a checkpoint is pruned with.
#[derive(Debug, Clone, Copy)]
pub struct PruneData<'a> {
    /// The configuration the checkpoint was trained with.
    pub config: &'a Path,
    /// Training data (`.csv` or `.parquet`), fine-tuned on.
    pub train: &'a Path,
    /// Validation data, for early stopping.
    pub valid: &'a Path,
    /// The teacher fine-tuning distils from (labels only without one).
    pub teacher: Option<Teacher<'a>>,
    /// Seed of fine-tuning's batch order and the Fisher pass (default: the config's).
    pub seed: Option<u64>,
}

/// A pruned network with what its checkpoint records.
pub struct Pruned {
    /// The pruned network.
    pub net: Net,
    /// The checkpoint's manifest, its `valid_metric` updated.
    pub manifest: Manifest,
    /// The configuration that rebuilds the pruned widths.
    pub config: Config,
    /// What pruning did.
    pub report: PruneReport,
}

/// Prunes the checkpoint in `student` as `settings` say; `file_bytes` measures the report's
/// file sizes.
pub fn prune_checkpoint(student: &Path, data: PruneData<'_>, settings: &PruneSettings, file_bytes: FileBytes<'_>) -> Result<Pruned> {
    let config = Config::load(data.config)?;
    let (net, manifest) = checkpoint::load(student)?;
    if config.net_spec(manifest.clone()) != net.spec {
        bail!("--config {} does not describe the network in {}: pass the config it was trained with", data.config.display(), student.display());
    }
    let encoded = encode_files(&config, data.train, data.valid, Some(manifest), data.teacher)?;
    let mut train_config = config.train.clone();
    train_config.seed = data.seed.unwrap_or(train_config.seed);
    let (pruned, report) = run(&net, &encoded.train, &encoded.valid, &train_config, encoded.objective, settings, file_bytes)?;
    let mut manifest = encoded.manifest;
    manifest.provenance.metrics.insert("valid_metric".into(), report.valid_metric_after);
    let config = shrink::config_for(&config, &pruned.spec);
    Ok(Pruned { net: pruned, manifest, config, report })
}
