//! The one training pipeline: a network built from its config, its word-piece tables started
//! from the teacher's embeddings when the config asks for it, trained on labels or distilled
//! from a teacher, and its manifest's provenance filled in. `dram train`, `dram distill`,
//! `dram prune` (for its data) and the demo all go through here; saving and exporting the
//! result is the caller's choice.

use std::path::Path;

use anyhow::Result;
use dram_core::manifest::Manifest;

use super::teacher::{self, Teacher};
use super::{fit, student_init, DistillSettings, EpochLog, Objective};
use crate::data::Table;
use crate::model::config::Config;
use crate::model::dataset::{read_table, Dataset};
use crate::model::net::Net;

/// A training run's inputs.
pub struct Job<'a> {
    /// The model configuration.
    pub config: &'a Config,
    /// The manifest fitted on the training data ([`Config::manifest`]).
    pub manifest: &'a Manifest,
    /// Training rows (with teacher logits when distilling).
    pub train: &'a Dataset,
    /// Validation rows, for early stopping.
    pub valid: &'a Dataset,
    /// Labels alone, or distillation.
    pub objective: Objective,
    /// The progress bar's and the log's name for this run.
    pub label: &'a str,
    /// Epochs instead of the config's.
    pub epochs: Option<usize>,
    /// Per-epoch metrics as JSON lines.
    pub log: Option<&'a Path>,
    /// What the manifest's provenance records as the training data.
    pub dataset: String,
    /// What the manifest's provenance records as the teacher (when distilling).
    pub teacher: Option<String>,
}

/// A trained network with its training log and the manifest to export it with.
pub struct Trained {
    /// The network, at its best validation epoch.
    pub net: Net,
    /// One entry per epoch.
    pub logs: Vec<EpochLog>,
    /// The manifest, provenance filled in.
    pub manifest: Manifest,
}

impl Trained {
    /// The best validation metric of the run (negative infinity with no epochs).
    pub fn best_valid_metric(&self) -> f64 {
        self.logs.iter().map(|l| l.valid_metric).fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Builds, initialises and trains the network `job` describes.
pub fn run(job: &Job<'_>) -> Result<Trained> {
    let mut net = Net::new(job.config.net_spec(job.manifest.clone()), job.config.train.seed)?;
    student_init::initialise(job.config, &mut net)?;
    let mut train_config = job.config.train.clone();
    if let Some(epochs) = job.epochs {
        train_config.epochs = epochs;
    }
    let logs = fit(&mut net, job.train, job.valid, &train_config, job.objective, job.label, job.log)?;
    let mut manifest = job.manifest.clone();
    manifest.provenance.dataset = Some(job.dataset.clone());
    if let Objective::Distill(_) = job.objective {
        manifest.provenance.teacher = job.teacher.clone();
    }
    Ok(Trained { net, logs, manifest })
}

/// Training and validation files encoded for a config.
pub struct Encoded {
    /// The manifest, fitted on the training file (or given).
    pub manifest: Manifest,
    /// Training rows, with the teacher's logits when one was given.
    pub train: Dataset,
    /// Validation rows.
    pub valid: Dataset,
    /// Distillation from the teacher, or labels alone.
    pub objective: Objective,
}

/// Reads and encodes the training and validation files (`.csv` or `.parquet`) with `config`,
/// fitting the manifest on the training file unless `manifest` is given (a checkpoint's), and
/// scores the training rows by `teacher` when there is one.
pub fn encode_files(config: &Config, train: &Path, valid: &Path, manifest: Option<Manifest>, teacher: Option<Teacher<'_>>) -> Result<Encoded> {
    let train_table = read_table(train, config)?;
    let valid_table = read_table(valid, config)?;
    let manifest = match manifest {
        Some(m) => m,
        None => config.manifest(&train_table)?,
    };
    let mut train_set = Dataset::encode(config, &manifest, &train_table)?;
    let valid = Dataset::encode(config, &manifest, &valid_table)?;
    let objective = distil_from(teacher, config, &train_table, &mut train_set)?;
    Ok(Encoded { manifest, train: train_set, valid, objective })
}

/// Attaches `teacher`'s logits for `table` to `set` and returns the objective they call for:
/// distillation with the config's settings, or labels alone without a teacher.
fn distil_from(teacher: Option<Teacher<'_>>, config: &Config, table: &Table, set: &mut Dataset) -> Result<Objective> {
    Ok(match teacher {
        Some(source) => {
            set.teacher = Some(teacher::logits(source, config, table)?);
            Objective::Distill(DistillSettings::from(&config.distill))
        }
        None => Objective::Labels,
    })
}
