//! Evaluation through `dram-core`: the exported file is scored by the runtime the phones run,
//! so the numbers reported are the numbers users get.

use std::time::Instant;

use anyhow::Result;
use dram_core::manifest::Task;
use dram_core::{Candidate, Classifier, Features, History, Model, Ranker};
use serde::Serialize;

use crate::dataset::{Dataset, RowReader};
use crate::metrics;

/// Quality of a model on a data set.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Quality {
    /// Rows scored.
    pub rows: usize,
    /// ROC AUC (rankers), macro one-vs-rest AUC (classifiers).
    pub auc: Option<f64>,
    /// Log-loss (rankers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_loss: Option<f64>,
    /// Mean NDCG@10 over groups (rankers with groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ndcg10: Option<f64>,
    /// Accuracy (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Macro-F1 (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macro_f1: Option<f64>,
}

/// Runs the model over every row of `data` through `dram-core`; returns the primary output,
/// `output_width` values per row.
pub fn score(model: &Model, data: &Dataset) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(data.rows * model.output_width());
    let all: Vec<usize> = (0..data.rows).collect();
    for chunk in all.chunks(4096) {
        out.extend(model.run_encoded(data.tensors(chunk))?);
    }
    Ok(out)
}

/// A teacher's logits for every row: its primary output, with probabilities (a teacher whose
/// manifest says `probability`) turned into logits, clamped to `(1e-6, 1 - 1e-6)` first.
pub fn teacher_logits(model: &Model, data: &Dataset) -> Result<Vec<f32>> {
    let outputs = score(model, data)?;
    Ok(match model.manifest().outputs[0].meaning {
        dram_core::manifest::OutputMeaning::Probability => outputs
            .into_iter()
            .map(|p| {
                let p = p.clamp(1e-6, 1.0 - 1e-6);
                (p / (1.0 - p)).ln()
            })
            .collect(),
        _ => outputs,
    })
}

/// The quality metrics of outputs against the data's labels.
pub fn quality(task: Task, width: usize, outputs: &[f32], data: &Dataset) -> Quality {
    match task {
        Task::Ranker => Quality {
            rows: data.rows,
            auc: metrics::auc(outputs, &data.labels),
            log_loss: Some(metrics::log_loss(outputs, &data.labels)),
            ndcg10: metrics::ndcg_at(10, outputs, &data.labels, &data.groups),
            accuracy: None,
            macro_f1: None,
        },
        Task::Classifier => {
            let labels: Vec<usize> = data.labels.iter().map(|&l| l as usize).collect();
            let probabilities: Vec<f32> = outputs.chunks(width).flat_map(dram_core::softmax).collect();
            let predicted: Vec<usize> = outputs
                .chunks(width)
                .map(|r| r.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i))
                .collect();
            Quality {
                rows: data.rows,
                auc: metrics::macro_auc_ovr(&probabilities, &labels, width),
                log_loss: None,
                ndcg10: None,
                accuracy: Some(metrics::accuracy(&predicted, &labels)),
                macro_f1: Some(metrics::macro_f1(&predicted, &labels, width)),
            }
        }
    }
}

/// Evaluates a model file's runtime scores on `data`.
pub fn evaluate(model: &Model, data: &Dataset) -> Result<Quality> {
    let outputs = score(model, data)?;
    Ok(quality(model.manifest().task, model.output_width(), &outputs, data))
}

/// Median and 99th percentile, in microseconds, of [`Ranker::rank`] over `candidates` rows of
/// the data (candidate features from each row; context and history from the first row),
/// after a warm-up.
pub fn rank_latency(model: std::sync::Arc<Model>, reader: &RowReader<'_>, rows: &[usize], iterations: usize) -> Result<(f64, f64)> {
    Ok(rank_latencies(&[model], reader, rows, iterations)?[0])
}

/// [`rank_latency`] of several models on the same candidates, interleaved (one call of each per
/// iteration) so that their ratios are measured side by side rather than minutes apart.
/// Returns `(p50, p99)` in microseconds per model.
pub fn rank_latencies(models: &[std::sync::Arc<Model>], reader: &RowReader<'_>, rows: &[usize], iterations: usize) -> Result<Vec<(f64, f64)>> {
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
        for _ in 0..20 {
            ranker.rank(&candidates)?;
        }
        rankers.push(ranker);
    }
    interleaved(rankers.len(), iterations, |m| rankers[m].rank(&candidates).map(drop))
}

/// [`rank_latencies`] for classifier models: `(p50, p99)` in microseconds of one
/// [`Classifier::predict`] call on the features of `rows` (candidate and context scope alike),
/// models interleaved, after a warm-up. One row per call is the latency of classifying one
/// review.
pub fn classify_latencies(models: &[std::sync::Arc<Model>], reader: &RowReader<'_>, rows: &[usize], iterations: usize) -> Result<Vec<(f64, f64)>> {
    let features: Vec<Features> = rows
        .iter()
        .map(|&i| {
            let r = reader.row(i);
            r.candidate.into_iter().chain(r.context).collect()
        })
        .collect();
    let classifiers = models.iter().map(|m| Classifier::new(m.clone())).collect::<Result<Vec<_>, _>>()?;
    for c in &classifiers {
        for _ in 0..20 {
            c.predict(&features)?;
        }
    }
    interleaved(classifiers.len(), iterations, |m| classifiers[m].predict(&features).map(drop))
}

/// `(p50, p99)` in microseconds of `call(m)` for each of `models` models, one call of each per
/// iteration.
fn interleaved(models: usize, iterations: usize, call: impl Fn(usize) -> dram_core::Result<()>) -> Result<Vec<(f64, f64)>> {
    let mut times = vec![Vec::with_capacity(iterations); models];
    for _ in 0..iterations {
        for (m, t) in times.iter_mut().enumerate() {
            let started = Instant::now();
            call(m)?;
            t.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    Ok(times
        .into_iter()
        .map(|mut t| {
            t.sort_by(f64::total_cmp);
            (t[t.len() / 2], t[(t.len() * 99 / 100).min(t.len() - 1)])
        })
        .collect())
}
