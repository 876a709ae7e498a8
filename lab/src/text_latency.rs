//! Per-review latency of the fine-tuned text teacher against text students, measured in one
//! run and in one runtime through [`dram_core::timing`]: the teacher's exported graph
//! (`dram_tools::text::teacher_graph`) through `dram_core::Session` (its word pieces from the
//! host tokenizer, timed too), each student through `dram_core::Classifier::classify_text`, one
//! call of each per review, interleaved.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{ensure, Context, Result};
use dram_core::timing::{self, Budget};
use dram_tools::data::wordpiece::WordPiece;
use dram_tools::text::finetuned::Finetuned;
use dram_tools::text::{options, teacher_graph};
use serde::{Deserialize, Serialize};

/// Reviews each contestant classifies before the timed rounds.
const WARMUP: usize = 5;

/// One model's per-review latency.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
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

/// The `text-latency.json` file: how many reviews were timed, and each model's figures.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TextLatency {
    /// Reviews timed.
    pub texts: usize,
    /// The teacher first, then the students in the order given.
    pub models: Vec<Timing>,
}

/// Exports the teacher fine-tuned in `teacher_dir` (by `dram-lab finetune-text-teacher`) to
/// `<teacher_dir>/teacher.onnx` at its training length and times it against `students` on
/// `texts`, one round per text after a warm-up on the first few.
pub fn compare(teacher_dir: &Path, students: &[PathBuf], texts: &[String]) -> Result<TextLatency> {
    ensure!(!texts.is_empty(), "no texts to time: pass data with a non-empty text column");
    let Finetuned { options, config, teacher } = Finetuned::load(teacher_dir)?;
    let heads = options::heads(&options);
    let bytes = dram_core::model_file::encode(&teacher_graph::teacher_graph(&teacher, &config, &heads, options.max_len)?);
    let onnx = teacher_dir.join("teacher.onnx");
    std::fs::write(&onnx, &bytes).with_context(|| format!("writing {}", onnx.display()))?;
    let session = dram_core::Session::from_bytes(&bytes)?;
    let wp = WordPiece::load(&options.model_dir.join("tokenizer.json"))?;
    let classifiers = students
        .iter()
        .map(|p| Ok(dram_core::Classifier::new(Arc::new(dram_core::Model::load(p)?))?))
        .collect::<Result<Vec<_>>>()?;

    let text = |round: usize| texts[round % texts.len()].as_str();
    let mut calls: Vec<Box<timing::Call<'_, anyhow::Error>>> =
        vec![Box::new(|round| teacher_graph::run(&session, &wp.encode(text(round), options.max_len), options.max_len).map(drop))];
    for c in &classifiers {
        calls.push(Box::new(move |round| c.classify_text(text(round)).map(drop).map_err(Into::into)));
    }
    let quantiles = timing::interleaved(Budget::rounds(texts.len(), WARMUP), &mut calls)?;
    let mut names = vec![("teacher".to_string(), bytes.len())];
    for p in students {
        names.push((p.display().to_string(), std::fs::metadata(p)?.len() as usize));
    }
    let quantiles: Vec<_> = quantiles.into_iter().map(|q| q.expect("one round per text, and there are texts")).collect();
    let teacher_p50 = quantiles[0].p50;
    let models = names
        .into_iter()
        .zip(quantiles)
        .map(|((model, bytes), q)| Timing { model, bytes, p50_us: q.p50, p99_us: q.p99, mean_us: q.mean, speedup_p50: teacher_p50 / q.p50 })
        .collect();
    Ok(TextLatency { texts: texts.len(), models })
}
