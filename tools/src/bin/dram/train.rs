//! `dram train` and `dram distill`: data files in, a checkpoint (and optionally a model file)
//! out, through the one training pipeline (`dram_tools::train::pipeline`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use dram_tools::model::checkpoint;
use dram_tools::model::config::Config;
use dram_tools::train::pipeline::{self, encode_files, Job};
use dram_tools::train::teacher::Teacher;

/// The data, configuration and outputs of a training run.
#[derive(clap::Args)]
pub struct DataArgs {
    /// Model configuration (TOML).
    #[arg(long)]
    pub config: PathBuf,
    /// Training data (.csv or .parquet).
    #[arg(long)]
    pub train: PathBuf,
    /// Validation data, for early stopping.
    #[arg(long)]
    pub valid: PathBuf,
    /// Checkpoint directory to write (network description and weights).
    #[arg(long)]
    pub checkpoint: PathBuf,
    /// Also export the fp32 model file here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Per-epoch metrics as JSON lines.
    #[arg(long)]
    pub log: Option<PathBuf>,
}

/// Options of `distill`.
#[derive(clap::Args)]
pub struct DistillArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Teacher model file (any ONNX model with a dram manifest; wrap others with attach-manifest).
    #[arg(long, conflicts_with = "teacher_column")]
    teacher: Option<PathBuf>,
    /// Data column holding precomputed teacher logits (comma-separated columns, one per class).
    #[arg(long)]
    teacher_column: Option<String>,
}

/// `dram train`.
pub fn train(args: &DataArgs) -> Result<()> {
    fit(args, None)
}

/// `dram distill`.
pub fn distill(args: &DistillArgs) -> Result<()> {
    let teacher = match (&args.teacher, &args.teacher_column) {
        (Some(path), _) => Teacher::Model(path),
        (None, Some(column)) => Teacher::Column(column),
        (None, None) => bail!("distill needs --teacher MODEL.onnx or --teacher-column COLUMN"),
    };
    fit(&args.data, Some(teacher))
}

fn fit(args: &DataArgs, teacher: Option<Teacher<'_>>) -> Result<()> {
    let config = Config::load(&args.config)?;
    let encoded = encode_files(&config, &args.train, &args.valid, None, teacher)?;
    let job = Job {
        config: &config,
        manifest: &encoded.manifest,
        train: &encoded.train,
        valid: &encoded.valid,
        objective: encoded.objective,
        label: "train",
        epochs: None,
        log: args.log.as_deref(),
        dataset: args.train.display().to_string(),
        teacher: teacher.map(|t| t.describe()),
    };
    let mut trained = pipeline::run(&job)?;
    let best = trained.best_valid_metric();
    trained.manifest.provenance.metrics.insert("valid_metric".into(), best);
    checkpoint::save(&args.checkpoint, &config, &trained.manifest, &trained.net)?;
    eprintln!("best validation metric {best:.4}; checkpoint in {}", args.checkpoint.display());
    if let Some(out) = &args.out {
        let bytes = write_fp32(&trained.net, &trained.manifest, out)?;
        eprintln!("wrote {} ({bytes} bytes)", out.display());
    }
    Ok(())
}

/// Exports `net` as an fp32 model file at `out`; returns its size.
pub fn write_fp32(net: &dram_tools::model::net::Net, manifest: &dram_core::manifest::Manifest, out: &Path) -> Result<usize> {
    let bytes = dram_tools::export::fp32_model(&net.spec, &net.params()?, manifest)?;
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    Ok(bytes.len())
}
