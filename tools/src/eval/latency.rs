//! Latency of model files through `dram-core`'s app API, measured by [`dram_core::timing`]
//! (the one harness `dram-bench` and the text comparison use too): models run in turn, one call
//! of each per round, after a warm-up, and are summarised by the same nearest-rank quantiles.

use std::sync::Arc;

use anyhow::{Context, Result};
use dram_core::timing::{self, Budget, Quantiles};
use dram_core::{Candidate, Classifier, Features, History, Model, Ranker};
use serde::{Deserialize, Serialize};

use crate::model::dataset::RowReader;

/// One model's line of `dram latency --json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LatencyRow {
    /// The model file.
    pub model: String,
    /// Candidates (or rows) per call.
    pub candidates: usize,
    /// Median microseconds per call.
    pub p50_us: f64,
    /// 99th percentile microseconds per call.
    pub p99_us: f64,
    /// This model's median over the first model's.
    pub p50_ratio_to_first: f64,
}

/// Untimed calls of each model before the measured rounds.
const WARMUP: usize = 20;

/// [`Quantiles`] (microseconds) of [`Ranker::rank`] over `rows` of the data as candidates
/// (candidate features from each row; context and history from the first row).
pub fn rank_latency(model: Arc<Model>, reader: &RowReader<'_>, rows: &[usize], iterations: usize) -> Result<Quantiles> {
    Ok(rank_latencies(&[model], reader, rows, iterations)?[0])
}

/// [`rank_latency`] of several models on the same candidates, interleaved (one call of each per
/// round, `iterations` rounds) so that their ratios are measured side by side rather than
/// minutes apart.
pub fn rank_latencies(models: &[Arc<Model>], reader: &RowReader<'_>, rows: &[usize], iterations: usize) -> Result<Vec<Quantiles>> {
    let first = reader.row(rows[0]);
    let candidates: Vec<Candidate> = rows
        .iter()
        .map(|&i| {
            let r = reader.row(i);
            Candidate { item: r.item, features: r.candidate }
        })
        .collect();
    let mut rankers = Vec::with_capacity(models.len());
    for model in models {
        let mut history = History::new(first.events.len().max(1))?;
        for e in &first.events {
            history.record(e.clone())?;
        }
        let ranker = Ranker::new(model.clone(), history)?;
        ranker.set_context(first.context.clone());
        rankers.push(ranker);
    }
    let mut calls: Vec<Box<timing::Call<'_, dram_core::Error>>> =
        rankers.iter().map(|r| Box::new(|_: usize| r.rank(&candidates).map(drop)) as Box<timing::Call<'_, _>>).collect();
    measure(&mut calls, iterations)
}

/// [`rank_latencies`] for classifier models: one [`Classifier::predict`] call on the features
/// of `rows` (candidate and context scope alike) per round. One row per call is the latency of
/// classifying one review.
pub fn classify_latencies(models: &[Arc<Model>], reader: &RowReader<'_>, rows: &[usize], iterations: usize) -> Result<Vec<Quantiles>> {
    let features: Vec<Features> = rows
        .iter()
        .map(|&i| {
            let r = reader.row(i);
            r.candidate.into_iter().chain(r.context).collect()
        })
        .collect();
    let classifiers = models.iter().map(|m| Classifier::new(m.clone())).collect::<Result<Vec<_>, _>>()?;
    let mut calls: Vec<Box<timing::Call<'_, dram_core::Error>>> =
        classifiers.iter().map(|c| Box::new(|_: usize| c.predict(&features).map(drop)) as Box<timing::Call<'_, _>>).collect();
    measure(&mut calls, iterations)
}

/// `iterations` interleaved rounds of `calls` after [`WARMUP`] untimed calls of each.
fn measure(calls: &mut [Box<timing::Call<'_, dram_core::Error>>], iterations: usize) -> Result<Vec<Quantiles>> {
    timing::interleaved(Budget::rounds(iterations, WARMUP), calls)?
        .into_iter()
        .map(|q| q.with_context(|| format!("no timed calls: iterations must be at least 1, found {iterations}")))
        .collect()
}
