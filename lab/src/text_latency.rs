//! Per-review latency of the fine-tuned text teacher against text students, measured in one
//! run and in one runtime: the teacher's exported graph ([`super::teacher_graph`]) through
//! `dram_core::Session` (its word pieces from the host tokenizer, timed too), each student
//! through `dram_core::Classifier::classify_text`, one call of each per review, interleaved.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{ensure, Context, Result};
use serde::Serialize;

use super::finetune;
use super::teacher_graph;
use super::wordpiece::WordPiece;

/// One model's per-review latency.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// The model (`teacher` or a student file).
    pub model: String,
    /// File bytes.
    pub bytes: usize,
    /// Median microseconds per review.
    pub p50_us: f64,
    /// 99th percentile microseconds per review.
    pub p99_us: f64,
    /// Mean microseconds per review.
    pub mean_us: f64,
    /// The teacher's median over this model's median (how many times faster it is).
    pub speedup_p50: f64,
}

/// Exports the teacher fine-tuned in `teacher_dir` (by `dram finetune-text-teacher`) to
/// `<teacher_dir>/teacher.onnx` at its training length and times it against `students` on
/// `texts`, after one warm-up pass over the first few. The teacher comes first in the result.
pub fn compare(teacher_dir: &Path, students: &[PathBuf], texts: &[String]) -> Result<Vec<Timing>> {
    ensure!(!texts.is_empty(), "no texts to time: pass data with a non-empty text column");
    let super::finetuned::Finetuned { options, config, teacher } = super::finetuned::Finetuned::load(teacher_dir)?;
    let heads = finetune::heads(&options);
    let bytes = dram_core::model_file::encode(&teacher_graph::teacher_graph(&teacher, &config, &heads, options.max_len)?);
    let onnx = teacher_dir.join("teacher.onnx");
    std::fs::write(&onnx, &bytes).with_context(|| format!("writing {}", onnx.display()))?;
    let session = dram_core::Session::from_bytes(&bytes)?;
    let wp = WordPiece::load(&options.model_dir.join("tokenizer.json"))?;
    let classifiers = students
        .iter()
        .map(|p| Ok(dram_core::Classifier::new(Arc::new(dram_core::Model::load(p)?))?))
        .collect::<Result<Vec<_>>>()?;

    let mut calls: Vec<Box<dyn Fn(&str) -> Result<()>>> = vec![Box::new(|text: &str| {
        teacher_graph::run(&session, &wp.encode(text, options.max_len), options.max_len).map(drop)
    })];
    for c in &classifiers {
        calls.push(Box::new(move |text: &str| c.classify_text(text).map(drop).map_err(Into::into)));
    }
    for text in texts.iter().take(5) {
        for call in &calls {
            call(text)?;
        }
    }
    let mut times = vec![Vec::with_capacity(texts.len()); calls.len()];
    for text in texts {
        for (call, t) in calls.iter().zip(times.iter_mut()) {
            let started = Instant::now();
            call(text)?;
            t.push(started.elapsed().as_secs_f64() * 1e6);
        }
    }
    let mut names = vec![("teacher".to_string(), bytes.len())];
    for p in students {
        names.push((p.display().to_string(), std::fs::metadata(p)?.len() as usize));
    }
    let stats: Vec<(f64, f64, f64)> = times.into_iter().map(summary).collect();
    let teacher_p50 = stats[0].0;
    Ok(names
        .into_iter()
        .zip(stats)
        .map(|((model, bytes), (p50, p99, mean))| Timing { model, bytes, p50_us: p50, p99_us: p99, mean_us: mean, speedup_p50: teacher_p50 / p50 })
        .collect())
}

/// Median, 99th percentile and mean.
fn summary(mut t: Vec<f64>) -> (f64, f64, f64) {
    t.sort_by(f64::total_cmp);
    let mean = t.iter().sum::<f64>() / t.len() as f64;
    (t[t.len() / 2], t[(t.len() * 99 / 100).min(t.len() - 1)], mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_of_known_times() {
        let (p50, p99, mean) = summary(vec![4.0, 1.0, 3.0, 2.0]);
        assert_eq!((p50, p99, mean), (3.0, 4.0, 2.5));
    }
}
