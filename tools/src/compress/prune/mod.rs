//! Pruning a trained student, gradually, with distillation fine-tuning after every step.
//!
//! Two methods share the schedule ([`schedule::cubic`]) and the fine-tuning loop:
//! - **structured** ([`Method::Structured`]): whole hidden units and whole embedding
//!   dimensions go, chosen by [`saliency`], and the network is rebuilt smaller
//!   ([`shrink`]): the exported matrices shrink, and so do the file and the work per call.
//! - **magnitude** ([`Method::Magnitude`], unstructured): the least important weights (by
//!   [`importance`]: magnitude, or the Fisher estimate of the loss their removal costs) are
//!   zeroed and held at zero by [`mask::Masks`] after every optimiser step. The file keeps its
//!   size and tract its speed; only a sparse format or compression would profit.
//!   [`sensitivity`] reports what pruning each tensor alone would cost; with
//!   [`Scope::Sensitivity`] [`allocate`] sets each tensor's share from such measurements.
//!
//! [`recovery`] sets what fine-tuning follows (the teacher, the unpruned network's own logits,
//! or both) and which epoch it keeps (highest validation metric, or closest to the unpruned
//! network on validation).
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use dram_tools::compress::prune::{self, PruneSettings};
//! # let (student, train, valid, config): (dram_tools::model::net::Net, dram_tools::model::dataset::Dataset, dram_tools::model::dataset::Dataset, dram_tools::model::config::Config) = todo!();
//! let objective = dram_tools::train::Objective::Distill((&config.distill).into());
//! let (pruned, report) = prune::run(&student, &train, &valid, &config.train, objective, &PruneSettings::structured(0.5), &dram_tools::export::fp32_bytes)?;
//! println!("{} -> {} parameters", report.params_before, report.params_after);
//! # Ok(()) }
//! ```

pub mod allocate;
pub mod checkpoint;
pub mod importance;
pub mod mask;
pub mod recovery;
pub mod report;
pub mod saliency;
pub mod schedule;
pub mod sensitivity;
pub mod shrink;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::arch::NetSpec;
use crate::model::config::TrainConfig;
use crate::model::dataset::Dataset;
use crate::train::{self, Objective};
use crate::model::net::Net;
use importance::Importance;
use mask::{Masks, Scope};
pub use recovery::self_distillation_set;
pub use report::{unread_table_weights, PruneReport, StepReport};
use report::Snapshot;
use recovery::{Recovery, Selection};
use saliency::Saliency;
use shrink::{Kept, Widths};

/// How big a network's model file is, in bytes (pruning reports sizes; exporting is the caller's).
pub type FileBytes<'a> = &'a dyn Fn(&Net) -> anyhow::Result<usize>;

/// Why pruning could not proceed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PruneError {
    /// A setting is out of range.
    #[error("invalid pruning setting: {0}")]
    Settings(String),
    /// Parameters do not fit the network they were given for.
    #[error("the network's parameters do not match its description: {0}")]
    Mismatch(String),
}

/// What is removed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Method {
    /// Whole hidden units and embedding dimensions, until at most `keep` of the parameters
    /// remain.
    Structured {
        /// Fraction of parameters kept, in (0, 1].
        keep: f64,
        /// How units are ranked.
        saliency: Saliency,
    },
    /// The least important weights, until `sparsity` of the prunable weights are zero.
    Magnitude {
        /// Fraction of prunable weights zeroed, in [0, 1).
        sparsity: f64,
        /// Per parameter or global threshold.
        scope: Scope,
        /// How weights are ranked.
        importance: Importance,
    },
}

/// A pruning run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PruneSettings {
    /// What is removed.
    pub method: Method,
    /// Pruning steps (the schedule's T); each is followed by fine-tuning.
    pub steps: usize,
    /// Fine-tuning epochs after each step (early stopping on validation still applies).
    pub finetune_epochs: usize,
    /// Peak learning rate of fine-tuning (default: the training config's).
    pub lr: Option<f64>,
    /// Extra fine-tuning epochs after the last step (on top of `finetune_epochs`), for
    /// recovery at the final sparsity with a full warm-up and cosine decay.
    pub final_epochs: usize,
    /// Whose logits fine-tuning distils from: the teacher's, or (self-distillation) the
    /// unpruned network's own, which restores the function that was pruned rather than
    /// pulling it towards a teacher that may rank worse than its student, or their mean.
    /// Anything but the teacher needs a distillation objective (its temperature and loss
    /// apply); importance is still measured against the given objective.
    pub recovery: Recovery,
    /// Hard-label weight of the fine-tuning objective (the distillation alpha), if not the
    /// config's: 0 follows the recovery logits only.
    pub recovery_alpha: Option<f64>,
    /// Which fine-tuning epoch is kept.
    pub select: Selection,
    /// Magnitude: table weights' importance is multiplied by their row's training reads to
    /// this power ([`importance::weight_by_reads`]): 0 leaves it alone, negative protects
    /// rarely read rows, positive prunes them harder.
    pub frequency_power: f64,
    /// `Scope::Sensitivity`: what the sensitivity curves the allocation reads measure.
    pub allocate_by: allocate::Cost,
}

impl PruneSettings {
    /// Structured pruning to `keep` of the parameters in 3 steps of 3 fine-tuning epochs.
    pub fn structured(keep: f64) -> PruneSettings {
        PruneSettings::defaults(Method::Structured { keep, saliency: Saliency::Activation })
    }

    /// Per-layer magnitude pruning to `sparsity` in 3 steps of 3 fine-tuning epochs.
    pub fn magnitude(sparsity: f64) -> PruneSettings {
        let method = Method::Magnitude { sparsity, scope: Scope::PerLayer, importance: Importance::Magnitude };
        PruneSettings::defaults(method)
    }

    /// Unstructured pruning to `sparsity`, weights ranked by Fisher importance, each tensor's
    /// share allocated from its measured sensitivity; 3 steps of 3 fine-tuning epochs.
    pub fn allocated(sparsity: f64) -> PruneSettings {
        let method = Method::Magnitude { sparsity, scope: Scope::Sensitivity, importance: Importance::Fisher };
        PruneSettings::defaults(method)
    }

    /// `method` in 3 steps of 3 fine-tuning epochs at the config's rate, recovering from the
    /// teacher and keeping the epoch of highest validation metric.
    pub fn defaults(method: Method) -> PruneSettings {
        PruneSettings { method, steps: 3, finetune_epochs: 3, lr: None, final_epochs: 0, recovery: Recovery::Teacher, recovery_alpha: None, select: Selection::Metric, frequency_power: 0.0, allocate_by: allocate::Cost::Metric }
    }

    fn check(&self) -> Result<(), PruneError> {
        match self.method {
            Method::Structured { keep, .. } if !(keep > 0.0 && keep <= 1.0) => {
                return Err(PruneError::Settings(format!("keep must be in (0, 1], found {keep}")))
            }
            Method::Magnitude { sparsity, .. } if !(0.0..1.0).contains(&sparsity) => {
                return Err(PruneError::Settings(format!("sparsity must be in [0, 1), found {sparsity}")))
            }
            _ => {}
        }
        if self.steps == 0 {
            return Err(PruneError::Settings("steps must be at least 1, found 0".into()));
        }
        Ok(())
    }
}

/// Prunes a copy of `net` as `settings` say, fine-tuning on `train` with `objective` (the
/// training set must hold teacher logits to distil) and `train_config` (its epochs replaced
/// by `settings.finetune_epochs`), early-stopping on `valid`. Returns the pruned network.
///
/// `file_bytes` measures a network's model file for the report's sizes before and after
/// (pruning sits below export: the caller passes the exporter, e.g. `dram_tools::export::fp32_bytes`).
pub fn run(
    net: &Net,
    train: &Dataset,
    valid: &Dataset,
    train_config: &TrainConfig,
    objective: Objective,
    settings: &PruneSettings,
    file_bytes: FileBytes<'_>,
) -> anyhow::Result<(Net, PruneReport)> {
    settings.check()?;
    if let Some(f) = net.spec.manifest.features.iter().find(|f| net.spec.conv(f).is_some()) {
        anyhow::bail!(
            "feature `{}` is a word-piece convolution, which pruning does not handle yet (its MLP columns are \
             channels, not embedding dimensions): quantize this model with `dram quantize` instead",
            f.name
        );
    }
    let original = net.spec.clone();
    let mut net = net.snapshot()?;
    let before = Snapshot::of(&net, valid)?;
    let bytes_before = file_bytes(&net)?;
    let mut finetune = train_config.clone();
    finetune.epochs = settings.finetune_epochs;
    finetune.lr = settings.lr.unwrap_or(finetune.lr);
    let mut masks = Masks::default();
    let (recovery_set, recovery_objective) = recovery::recovery_set(&net, train, objective, settings.recovery, settings.recovery_alpha)?;
    // The unpruned network's validation logits: fidelity selection and the report's RMSE.
    let reference = net.predict(valid)?;
    let score = |n: &Net, metric: f64| -> anyhow::Result<f64> {
        match settings.select {
            Selection::Metric => Ok(metric),
            Selection::Fidelity => Ok(-recovery::logit_mse(n, valid, &reference)?),
        }
    };
    let reads = if settings.frequency_power != 0.0 { Some(importance::row_reads(&net, train, train_config)?) } else { None };
    let rank = |net: &Net, importance: Importance| -> anyhow::Result<crate::model::arch::Params> {
        let mut scores = importance::scores(net, train, objective, train_config, importance)?;
        if let Some(reads) = &reads {
            importance::weight_by_reads(&mut scores, reads, settings.frequency_power);
        }
        Ok(scores)
    };
    // The unpruned network's scores serve the sensitivity report, the allocation and step 1.
    let mut unpruned_scores = None;
    let (sensitivity, allocation) = match settings.method {
        Method::Magnitude { sparsity, importance, scope } => {
            let scores = unpruned_scores.insert(rank(&net, importance)?);
            let allocation = if scope == Scope::Sensitivity {
                let sizes = scores.iter().filter(|(n, _)| mask::prunable(n)).map(|(n, p)| (n.clone(), p.data.len())).collect();
                allocate::allocate(&allocate::curves(&net, valid, scores, settings.allocate_by)?, &sizes, sparsity)
            } else {
                BTreeMap::new()
            };
            (sensitivity::per_tensor(&net, valid, scores, sparsity)?, allocation)
        }
        Method::Structured { .. } => (Vec::new(), BTreeMap::new()),
    };
    let mut steps = Vec::new();
    for step in 1..=settings.steps {
        let target = match settings.method {
            Method::Structured { keep, saliency } => {
                let target = 1.0 - schedule::cubic(1.0 - keep, step, settings.steps);
                net = structured_step(&net, &original, target, train, saliency, train_config.seed)?;
                target
            }
            Method::Magnitude { sparsity, scope, importance } => {
                let target = schedule::cubic(sparsity, step, settings.steps);
                let scores = match unpruned_scores.take() {
                    Some(scores) => scores,
                    None => rank(&net, importance)?,
                };
                masks = if scope == Scope::Sensitivity {
                    // Every tensor follows the schedule towards its own allocated sparsity.
                    let fraction = if sparsity > 0.0 { target / sparsity } else { 0.0 };
                    Masks::lowest_each(&scores, &allocation.iter().map(|(n, s)| (n.clone(), s * fraction)).collect())
                } else {
                    Masks::lowest(&scores, target, scope)
                };
                masks.apply(&mut net)?;
                target
            }
        };
        let (valid_metric_pruned, _) = train::validate(&net, valid)?;
        let label = format!("prune {step}/{}", settings.steps);
        if step == settings.steps {
            finetune.epochs += settings.final_epochs;
        }
        let unfinetuned = net.snapshot()?;
        let epochs = if finetune.epochs > 0 {
            let after_step = &mut |n: &mut Net| Ok(masks.apply(n)?);
            train::fit_scored(&mut net, &recovery_set, valid, &finetune, recovery_objective, &label, None, after_step, &score)?
        } else {
            Vec::new()
        };
        let mut now = Snapshot::of(&net, valid)?;
        // Early stopping with the pruned network as epoch 0: fine-tuning restarts its warm-up
        // at the peak rate, and on a converged student that can cost more than it recovers.
        let finetuned = score(&net, now.metric)? >= score(&unfinetuned, valid_metric_pruned)?;
        if !finetuned {
            net = unfinetuned;
            now = Snapshot::of(&net, valid)?;
        }
        steps.push(StepReport {
            step,
            target,
            params: net.param_count(),
            widths: Widths::of(&net.spec),
            sparsity: now.sparsity,
            valid_metric_pruned,
            valid_metric: now.metric,
            valid_logit_rmse: recovery::logit_mse(&net, valid, &reference)?.sqrt(),
            finetuned,
            epochs,
        });
    }
    let after = Snapshot::of(&net, valid)?;
    let unread_table_weights = unread_table_weights(&net, train)?;
    let sparsity_by_param = net
        .params()?
        .into_iter()
        .filter(|(name, _)| mask::prunable(name))
        .map(|(name, p)| {
            let zeros = p.data.iter().filter(|&&v| v == 0.0).count();
            (name, zeros as f64 / p.data.len().max(1) as f64)
        })
        .collect();
    let report = PruneReport {
        settings: *settings,
        params_before: original.param_count(),
        params_after: net.param_count(),
        nonzero_before: before.nonzero,
        nonzero_after: after.nonzero,
        sparsity: after.sparsity,
        sparsity_by_param,
        unread_table_weights,
        allocation,
        sensitivity,
        bytes_before,
        bytes_after: file_bytes(&net)?,
        widths_before: Widths::of(&original),
        widths_after: Widths::of(&net.spec),
        valid_metric_before: before.metric,
        valid_metric_after: after.metric,
        valid_logit_rmse: recovery::logit_mse(&net, valid, &reference)?.sqrt(),
        seed: train_config.seed,
        steps,
    };
    Ok((net, report))
}

/// One structured step: `net` cut down to the widths that keep `keep` of `original`'s
/// parameters, dropping its lowest-saliency units.
pub fn structured_step(net: &Net, original: &NetSpec, keep: f64, data: &Dataset, saliency: Saliency, seed: u64) -> anyhow::Result<Net> {
    let widths = shrink::plan(original, keep);
    let scores = saliency::scores(net, data, saliency)?;
    let kept = Kept {
        embedding_dims: scores
            .embedding_dims
            .iter()
            .map(|(f, s)| (f.clone(), shrink::top(s, widths.embedding_dims[f].min(s.len()))))
            .collect(),
        hidden: scores.hidden.iter().zip(&widths.hidden).map(|(s, &w)| shrink::top(s, w.min(s.len()))).collect(),
    };
    let (spec, params) = shrink::shrink(&net.spec, &net.params()?, &kept)?;
    let mut pruned = Net::new(spec, seed)?;
    pruned.load_params(&params)?;
    Ok(pruned)
}

#[cfg(test)]
mod tests;
