//! `dram prune` and `dram quantize`: a checkpoint made smaller. The prune options' closed
//! choices are the library's own enums, parsed by clap.

use std::path::PathBuf;

use anyhow::{Context, Result};
use dram_tools::compress::prune::allocate::Cost;
use dram_tools::compress::prune::checkpoint::{prune_checkpoint, PruneData};
use dram_tools::compress::prune::importance::Importance;
use dram_tools::compress::prune::mask::Scope;
use dram_tools::compress::prune::recovery::{Recovery, Selection};
use dram_tools::compress::prune::saliency::Saliency;
use dram_tools::compress::prune::{Method, PruneSettings};
use dram_tools::model::checkpoint;
use dram_tools::train::teacher::Teacher;

use crate::export::CompressArgs;
use crate::train::{write_fp32, DataArgs};

/// What pruning removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MethodName {
    /// Whole hidden units and embedding dimensions (a smaller file).
    Structured,
    /// The least important single weights, zeroed (same file size).
    Magnitude,
}

/// Options of `prune` (boxed in the command list: they outweigh every other command's).
#[derive(clap::Args)]
pub struct PruneArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Checkpoint of the trained network to prune.
    #[arg(long)]
    student: PathBuf,
    /// Teacher model file to distil from while fine-tuning (else labels only).
    #[arg(long, conflicts_with = "teacher_column")]
    teacher: Option<PathBuf>,
    /// Data column holding precomputed teacher logits (comma-separated columns, one per class).
    #[arg(long)]
    teacher_column: Option<String>,
    /// What is removed.
    #[arg(long, value_enum, default_value = "structured")]
    method: MethodName,
    /// Structured: fraction of parameters kept.
    #[arg(long, default_value_t = 0.5)]
    keep: f64,
    /// Structured: how units are ranked.
    #[arg(long, value_enum, default_value = "activation")]
    saliency: Saliency,
    /// Magnitude: fraction of weights zeroed.
    #[arg(long, default_value_t = 0.5)]
    sparsity: f64,
    /// Magnitude: `per_layer` (every tensor to the target), `global` (one threshold) or
    /// `sensitivity` (per-tensor targets from each tensor's measured validation drop).
    #[arg(long, value_enum, default_value = "per_layer")]
    scope: Scope,
    /// Magnitude: how weights are ranked, `magnitude` (|w|) or `fisher` (estimated loss
    /// increase when zeroed: squared gradients of the fine-tuning objective times w^2).
    #[arg(long, value_enum, default_value = "magnitude")]
    importance: Importance,
    /// Pruning steps of the gradual schedule.
    #[arg(long, default_value_t = 3)]
    steps: usize,
    /// Fine-tuning epochs after each step.
    #[arg(long, default_value_t = 3)]
    finetune_epochs: usize,
    /// Fine-tuning peak learning rate (default: the config's).
    #[arg(long)]
    lr: Option<f64>,
    /// Extra fine-tuning epochs after the last step, at the final sparsity.
    #[arg(long, default_value_t = 0)]
    final_epochs: usize,
    /// Whose logits fine-tuning distils from: `teacher`, `self` (the unpruned student's
    /// own) or `both` (their mean); `self` and `both` need --teacher or --teacher-column,
    /// whose logits still rank weights.
    #[arg(long, value_enum, default_value = "teacher")]
    recovery: Recovery,
    /// Hard-label weight while fine-tuning (default: the config's distillation alpha);
    /// 0 follows the recovery logits only.
    #[arg(long)]
    recovery_alpha: Option<f64>,
    /// Which fine-tuning epoch is kept: `metric` (highest validation metric) or `fidelity`
    /// (validation logits closest to the unpruned student's).
    #[arg(long, value_enum, default_value = "metric")]
    select: Selection,
    /// Seed of fine-tuning's batch order and the Fisher pass (default: the config's).
    #[arg(long)]
    seed: Option<u64>,
    /// Magnitude: multiply table weights' importance by their row's training reads to this
    /// power: negative protects rare rows (items newer than training), positive prunes them
    /// harder; 0 leaves the ranking alone.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    frequency_power: f64,
    /// `--scope sensitivity`: what each tensor's sensitivity curve measures, `metric`
    /// (validation metric drop) or `fidelity` (mean squared change of the validation logits).
    #[arg(long, value_enum, default_value = "metric")]
    allocate_by: Cost,
    /// Write the pruning report (JSON) here.
    #[arg(long)]
    report: Option<PathBuf>,
}

impl PruneArgs {
    fn settings(&self) -> PruneSettings {
        let method = match self.method {
            MethodName::Structured => Method::Structured { keep: self.keep, saliency: self.saliency },
            MethodName::Magnitude => Method::Magnitude { sparsity: self.sparsity, scope: self.scope, importance: self.importance },
        };
        PruneSettings {
            method,
            steps: self.steps,
            finetune_epochs: self.finetune_epochs,
            lr: self.lr,
            final_epochs: self.final_epochs,
            recovery: self.recovery,
            recovery_alpha: self.recovery_alpha,
            select: self.select,
            frequency_power: self.frequency_power,
            allocate_by: self.allocate_by,
        }
    }
}

/// `dram prune`.
pub fn prune(args: PruneArgs) -> Result<()> {
    let teacher = args.teacher.as_deref().map(Teacher::Model).or(args.teacher_column.as_deref().map(Teacher::Column));
    let data = PruneData { config: &args.data.config, train: &args.data.train, valid: &args.data.valid, teacher, seed: args.seed };
    let pruned = prune_checkpoint(&args.student, data, &args.settings(), &dram_tools::export::fp32_bytes)?;
    let report = &pruned.report;
    let out = &args.data.checkpoint;
    checkpoint::save(out, &pruned.config, &pruned.manifest, &pruned.net)?;
    eprintln!(
        "pruned {} -> {} parameters ({:.1}% of weights zero), validation metric {:.4} -> {:.4}; checkpoint in {}",
        report.params_before, report.params_after, 100.0 * report.sparsity, report.valid_metric_before, report.valid_metric_after, out.display()
    );
    if let Some(path) = &args.report {
        std::fs::write(path, serde_json::to_string_pretty(report)?).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(out) = &args.data.out {
        let bytes = write_fp32(&pruned.net, &pruned.manifest, out)?;
        eprintln!("wrote {} ({bytes} bytes, was {})", out.display(), report.bytes_before);
    }
    Ok(())
}

/// Options of `quantize`.
#[derive(clap::Args)]
pub struct QuantizeArgs {
    /// Checkpoint directory.
    #[arg(long)]
    checkpoint: PathBuf,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    compress: CompressArgs,
}

/// `dram quantize`: `dram export --int8`.
pub fn quantize(args: &QuantizeArgs) -> Result<()> {
    crate::export::write_export(&args.checkpoint, &args.out, true, &args.compress)
}
