//! Evaluation through `dram-core`: the exported file is scored by the runtime the phones run,
//! so the numbers reported are the numbers users get; [`latency`] times the same calls.

pub mod latency;

use anyhow::{Context, Result};
use dram_core::manifest::Task;
use dram_core::Model;
use serde::{Deserialize, Serialize};

use crate::metrics;
use crate::model::config::Config;
use crate::model::dataset::{read_table, Binding, Dataset};
pub use crate::model::runtime::{score, teacher_logits};
pub use latency::{classify_latencies, rank_latencies, rank_latency};

/// Quality of a model on a data set.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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

/// Evaluates the model file at `model` on the data file `data`, whose columns `config` names
/// (`dram eval`).
pub fn evaluate_file(model: &std::path::Path, data: &std::path::Path, config: &std::path::Path) -> Result<Quality> {
    let config = Config::load(config)?;
    let model = Model::load(model).with_context(|| format!("loading {}", model.display()))?;
    let table = read_table(data, &config)?;
    let set = Dataset::encode_with(&Binding::of(&config).for_manifest(model.manifest()), model.manifest(), &table)?;
    evaluate(&model, &set)
}

/// Evaluates a model file's runtime scores on `data`.
pub fn evaluate(model: &Model, data: &Dataset) -> Result<Quality> {
    let outputs = score(model, data)?;
    Ok(quality(model.manifest().task, model.output_width(), &outputs, data))
}

