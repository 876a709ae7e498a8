//! The teacher's logits as the students read them: computed through the teacher's ONNX export
//! in dram-core (faster than candle's forward, and the same runtime the students are timed
//! in), laid out as the `teacher_<head>_<class>` columns `dram distill --teacher-column`
//! reads, and scored against labels.

use anyhow::Result;
use serde::{Deserialize, Serialize};

use super::bert::BertConfig;
use super::options::{heads, FinetuneOptions};
use super::teacher::Teacher;
use super::teacher_graph;
use crate::data::Column;
use crate::metrics;

/// The cached-logit columns (`teacher_<head>_<class>`, what `dram distill --teacher-column`
/// reads) of `[head][row][class]` logits.
pub(crate) fn logit_columns(options: &FinetuneOptions, logits: &[Vec<Vec<f32>>]) -> Vec<(String, Column)> {
    options
        .heads
        .iter()
        .zip(logits)
        .flat_map(|((name, classes), rows)| {
            (0..*classes).map(move |k| (format!("teacher_{name}_{k}"), Column::Float(rows.iter().map(|row| f64::from(row[k])).collect())))
        })
        .collect()
}

/// Accuracy, macro-F1 and macro one-vs-rest AUC of `[rows * classes]` logits (argmax decisions).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ClassifierMetrics {
    /// Accuracy.
    pub accuracy: f64,
    /// Macro-F1.
    pub macro_f1: f64,
    /// Macro one-vs-rest AUC (the plain AUC for two classes).
    pub auc: Option<f64>,
}

/// The metrics of logits against class labels.
pub fn classifier_metrics(logits: &[f32], labels: &[usize], classes: usize) -> ClassifierMetrics {
    let probabilities: Vec<f32> = logits.chunks(classes).flat_map(dram_core::softmax).collect();
    let predicted: Vec<usize> =
        logits.chunks(classes).map(|r| r.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)).collect();
    ClassifierMetrics {
        accuracy: metrics::accuracy(&predicted, labels),
        macro_f1: metrics::macro_f1(&predicted, labels, classes),
        auc: metrics::macro_auc_ovr(&probabilities, labels, classes),
    }
}

/// Logits of every head for every text, in row order (`[head][row][class]`), from the teacher's
/// exported graph run by dram-core ([`teacher_graph`]), the texts split across the cores. On
/// the 2-core build machine this ran ~4x faster per CPU second than candle's batched forward
/// (the whole encoder, 64 pieces), which matters for caching 22k reviews.
pub(crate) fn predict(teacher: &Teacher, config: &BertConfig, options: &FinetuneOptions, tokens: &[Vec<u32>]) -> Result<Vec<Vec<Vec<f32>>>> {
    let heads = heads(options);
    let graph = teacher_graph::teacher_graph(teacher, config, &heads, options.max_len)?;
    let session = dram_core::Session::from_proto(&graph)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_part = tokens.len().div_ceil(workers).max(1);
    let per_row: Vec<Vec<Vec<f32>>> = std::thread::scope(|scope| {
        let parts: Vec<_> = tokens
            .chunks(per_part)
            .map(|part| {
                let session = &session;
                scope.spawn(move || part.iter().map(|ids| teacher_graph::run(session, ids, options.max_len)).collect::<Result<Vec<_>>>())
            })
            .collect();
        parts.into_iter().map(|p| p.join().map_err(|_| anyhow::anyhow!("a teacher logits worker panicked"))?).collect::<Result<Vec<_>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    Ok((0..heads.len()).map(|h| per_row.iter().map(|row| row[h].clone()).collect()).collect())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use candle_core::Device;

    use super::*;
    use crate::text::bert;

    #[test]
    fn cached_logits_are_the_candle_teachers_in_row_order() {
        let config = crate::text::teacher::tests::tiny_config();
        let options = FinetuneOptions {
            model_dir: PathBuf::new(),
            data_dir: PathBuf::new(),
            text_column: "text".into(),
            heads: vec![("a".into(), 2), ("b".into(), 3)],
            max_len: 8,
            batch_size: 2,
            lr: 1e-4,
            weight_decay: 0.0,
            epochs: 1,
            sample: None,
            warmup: 0.1,
            checkpoint_every: 1,
            seed: 1,
            frozen_layers: 0,
            init: None,
            skip: 0,
            balance: 0.0,
        };
        let teacher = Teacher::new(&config, &heads(&options)).unwrap();
        let tokens: Vec<Vec<u32>> = vec![vec![1, 5, 7, 9, 2], vec![1, 8, 2], vec![1, 3, 4, 5, 6, 7, 8, 2]];
        let cached = predict(&teacher, &config, &options, &tokens).unwrap();
        assert_eq!(cached.len(), 2);
        for (row, ids) in tokens.iter().enumerate() {
            let (t_ids, mask) = bert::pad(&[ids], &Device::Cpu).unwrap();
            let expected = teacher.forward(&t_ids, &mask, false).unwrap();
            for (h, e) in expected.iter().enumerate() {
                let e = e.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                assert_eq!(cached[h][row].len(), e.len());
                for (a, b) in e.iter().zip(&cached[h][row]) {
                    assert!((a - b).abs() < 1e-4, "head {h} row {row}: {e:?} vs {:?}", cached[h][row]);
                }
            }
        }
    }
}
