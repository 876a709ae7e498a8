//! What a pruning run reports: its settings, sizes, sparsity, validation quality and
//! closeness to the unpruned network before and after, per tensor and per step, so a user
//! sees what was removed and what it cost.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::dataset::Dataset;
use crate::train::{self, EpochLog};
use crate::model::net::Net;

use super::mask;
use super::sensitivity::TensorSensitivity;
use super::shrink::Widths;
use super::PruneSettings;

/// One pruning step.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    /// 1-based step.
    pub step: usize,
    /// The schedule's target: fraction of parameters kept (structured) or sparsity (magnitude).
    pub target: f64,
    /// Parameters after the step.
    pub params: usize,
    /// Widths after the step.
    pub widths: Widths,
    /// Fraction of prunable weights that are zero after the step.
    pub sparsity: f64,
    /// Validation metric right after pruning, before fine-tuning.
    pub valid_metric_pruned: f64,
    /// Validation metric after fine-tuning.
    pub valid_metric: f64,
    /// Root mean squared difference between the validation logits after the step (and its
    /// fine-tuning) and the unpruned network's.
    pub valid_logit_rmse: f64,
    /// Whether fine-tuning's best epoch was kept; if it scored below the pruned network on
    /// validation, the pruned network is kept instead.
    pub finetuned: bool,
    /// Fine-tuning log.
    pub epochs: Vec<EpochLog>,
}

/// What a pruning run did.
#[derive(Debug, Clone, Serialize)]
pub struct PruneReport {
    /// The settings.
    pub settings: PruneSettings,
    /// Parameters before and after.
    pub params_before: usize,
    /// Parameters after.
    pub params_after: usize,
    /// Non-zero parameters before.
    pub nonzero_before: usize,
    /// Non-zero parameters after.
    pub nonzero_after: usize,
    /// Fraction of prunable weights (every weight but the biases: embedding tables, attention
    /// matrices, MLP weights) that are zero after.
    pub sparsity: f64,
    /// Fraction of each prunable parameter's weights that are zero after.
    pub sparsity_by_param: BTreeMap<String, f64>,
    /// Weights in embedding-table rows that no training row looks up (ids or hash buckets
    /// never seen): they never trained, so zeroing them is free. They count in `sparsity`
    /// when zero; subtract them for the sparsity of weights that learned something.
    pub unread_table_weights: usize,
    /// `--scope sensitivity`: the sparsity allocated to each prunable parameter (from its
    /// sensitivity curve on the validation set), together the target.
    pub allocation: BTreeMap<String, f64>,
    /// Unstructured pruning: the validation metric with each prunable parameter alone pruned
    /// to the final sparsity, before any fine-tuning (empty for structured pruning).
    pub sensitivity: Vec<TensorSensitivity>,
    /// Bytes of the fp32 model file before (exported with the network's manifest).
    pub bytes_before: usize,
    /// Bytes of the fp32 model file after.
    pub bytes_after: usize,
    /// Widths before.
    pub widths_before: Widths,
    /// Widths after.
    pub widths_after: Widths,
    /// Validation metric (AUC for rankers, macro-F1 for classifiers) before pruning.
    pub valid_metric_before: f64,
    /// Validation metric after the last step.
    pub valid_metric_after: f64,
    /// Root mean squared difference between the validation logits after and before pruning.
    pub valid_logit_rmse: f64,
    /// Seed of fine-tuning's batch order and the Fisher pass (the training config's).
    pub seed: u64,
    /// Every step.
    pub steps: Vec<StepReport>,
}

/// Weights of `net`'s table rows that no row of `data` looks up.
pub fn unread_table_weights(net: &Net, data: &Dataset) -> anyhow::Result<usize> {
    let mut read: Vec<Vec<bool>> = net.spec.tables().iter().map(|t| vec![false; t.rows]).collect();
    let all: Vec<usize> = (0..data.rows).collect();
    for chunk in all.chunks(4096) {
        for (seen, local) in read.iter_mut().zip(net.batch(data, chunk)?.locals) {
            local.rows.iter().for_each(|&r| seen[r] = true);
        }
    }
    Ok(net.spec.tables().iter().zip(&read).map(|(t, seen)| t.dim * seen.iter().filter(|&&s| !s).count()).sum())
}

/// Size and quality of a network at one point of the run.
pub(super) struct Snapshot {
    /// Validation metric.
    pub(super) metric: f64,
    /// Non-zero parameters.
    pub(super) nonzero: usize,
    /// Zeros among the prunable weights.
    pub(super) sparsity: f64,
}

impl Snapshot {
    pub(super) fn of(net: &Net, valid: &Dataset) -> anyhow::Result<Snapshot> {
        let params = net.params()?;
        let (metric, _) = train::validate(net, valid)?;
        let nonzero = params.values().map(|p| p.data.iter().filter(|&&v| v != 0.0).count()).sum();
        let (zeros, prunable) = mask::zeros(&params);
        Ok(Snapshot { metric, nonzero, sparsity: zeros as f64 / prunable.max(1) as f64 })
    }
}

