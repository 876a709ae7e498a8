//! The review-classification table (`scripts/reviews.sh`) on Women's E-Commerce Clothing
//! Reviews, for task A (`recommended`, 2 classes) and task B (`sentiment` from the rating, 3
//! classes): an n-gram baseline, the fine-tuned text teacher (scored from its cached logits),
//! the on-device student trained alone and distilled on the teacher's transfer set, in int8,
//! distilled from the n-gram baseline for reference, and the word-piece convolution student
//! alone, distilled and in int8. Every model but the teacher is scored through dram-core on the
//! test split; speed comes from `dram latency` (fp32 against int8) and [`text_latency`] (the
//! teacher exported to ONNX against the students, review by review).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use dram_tools::data::{self, augment::Perturbation};
use dram_tools::eval::latency::LatencyRow;
use dram_tools::text::cached_logits::ClassifierMetrics;
use dram_tools::text::transfer;
use serde::Deserialize;

use crate::args;
use crate::dram_cli::Dram;
use crate::movielens::scored;
use crate::results::{self, DataSetResults, ModelResult};
use crate::text_latency::{self, TextLatency};

/// The students of each task, in the order they are made.
pub const MODELS: [&str; 8] = ["ngram", "student", "distilled", "int8", "distilled-ngram", "cnn", "cnn-distilled", "cnn-int8"];
/// The tasks and their class counts.
pub const TASKS: [(&str, usize); 2] = [("recommended", 2), ("sentiment", 3)];

/// What the pipeline reads, writes and reuses.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `train.csv`, `valid.csv`, `test.csv` (`dram-lab prepare-reviews`).
    pub prepared: PathBuf,
    /// A finished `dram-lab finetune-text-teacher` run.
    pub teacher: PathBuf,
    /// Model files, logs and `results.json`.
    pub out: PathBuf,
    /// The student configurations (`reviews-<task>-{ngram,student,cnn}.toml`).
    pub configs: PathBuf,
    /// Perturbed copies per training row in the transfer set.
    pub copies: usize,
    /// Keep the model files of the steps that do not depend on the teacher when they exist.
    pub reuse: bool,
}

/// Runs the table after the teacher and writes `<out>/results.json`.
pub fn run(dram: &Dram, plan: &Plan) -> Result<DataSetResults> {
    let out = &plan.out;
    std::fs::create_dir_all(out)?;
    let transfer = plan.teacher.join(format!("transfer-{}.csv", plan.copies));
    if !transfer.exists() {
        let table = transfer::transfer_set(&plan.teacher, plan.copies, Perturbation { span: 0.25, drop: 0.1 }, 1)?;
        let tmp = transfer.with_extension("tmp.csv");
        data::write_csv(&table, &tmp)?;
        std::fs::rename(&tmp, &transfer)?;
    }
    let (train, valid, test) = (plan.prepared.join("train.csv"), plan.prepared.join("valid.csv"), plan.prepared.join("test.csv"));
    let teacher_valid = plan.teacher.join("valid.csv");
    let o = |name: &str| out.join(name);
    let mut latency: BTreeMap<String, f64> = BTreeMap::new();
    let mut table = DataSetResults::new();
    for (task, classes) in TASKS {
        let columns = (0..classes).map(|k| format!("teacher_{task}_{k}")).collect::<Vec<_>>().join(",");
        let config = plan.configs.join(format!("reviews-{task}-student.toml"));
        let cnn = plan.configs.join(format!("reviews-{task}-cnn.toml"));
        let ngram = plan.configs.join(format!("reviews-{task}-ngram.toml"));
        let files = |m: &str| (o(&format!("{task}-{m}.onnx")), o(&format!("ckpt-{task}-{m}")), o(&format!("{task}-{m}.jsonl")));
        let reused = |m: &str| plan.reuse && files(m).0.exists();
        for (m, cfg) in [("ngram", &ngram), ("student", &config), ("cnn", &cnn)] {
            let (onnx, ckpt, log) = files(m);
            if !reused(m) {
                dram.run(args!["train", "--config", cfg, "--train", &train, "--valid", &valid, "--checkpoint", &ckpt, "--out", &onnx, "--log", &log])?;
            }
        }
        for (m, cfg) in [("distilled", &config), ("cnn-distilled", &cnn)] {
            let (onnx, ckpt, log) = files(m);
            dram.run(args!["distill", "--config", cfg, "--train", &transfer, "--valid", &teacher_valid, "--teacher-column", &columns,
                "--checkpoint", &ckpt, "--out", &onnx, "--log", &log])?;
            let int8 = if m == "distilled" { "int8" } else { "cnn-int8" };
            dram.run(args!["quantize", "--checkpoint", &ckpt, "--calibration", &valid, "--out", &files(int8).0,
                "--report", &o(&format!("{task}-{int8}-report.json"))])?;
        }
        // A reference point for the distillation machinery: the same student distilled from the
        // n-gram baseline model file instead of the text teacher.
        if !reused("distilled-ngram") {
            let (onnx, ckpt, log) = files("distilled-ngram");
            dram.run(args!["distill", "--config", &config, "--train", &train, "--valid", &valid, "--teacher", &files("ngram").0,
                "--checkpoint", &ckpt, "--out", &onnx, "--log", &log])?;
        }
        for m in MODELS {
            table.insert(format!("{task}-{m}"), scored(&files(m).0, &test, &config, Some(task))?);
        }
        // fp32 against int8 students, one review per call, interleaved in one run.
        let json = dram.output(args!["latency", "--config", &config, "--data", &test, "--candidates", "1", "--iterations", "2000",
            "--model", &files("distilled").0, "--model", &files("int8").0, "--model", &files("cnn-distilled").0, "--model", &files("cnn-int8").0, "--json"])?;
        let path = o(&format!("{task}-latency.json"));
        std::fs::write(&path, &json)?;
        for row in results::read::<Vec<LatencyRow>>(&path, "`dram latency --json` rows")? {
            latency.insert(stem(Path::new(&row.model)), row.p50_us);
        }
    }
    // The teacher against the students, review by review, all through dram-core.
    let students: Vec<PathBuf> = TASKS
        .iter()
        .flat_map(|(task, _)| ["distilled", "int8", "cnn-distilled", "cnn-int8"].map(|m| o(&format!("{task}-{m}.onnx"))))
        .collect();
    let texts = review_texts(&test, 200)?;
    let speed = text_latency::compare(&plan.teacher, &students, &texts)?;
    results::write(&o("text-latency.json"), &speed)?;
    add_speed(&mut table, &speed, &latency);
    add_teacher(&mut table, &plan.teacher, &speed)?;
    results::write(&o("results.json"), &table)?;
    Ok(table)
}

/// The first `n` non-empty texts of the `text` column.
pub fn review_texts(data: &Path, n: usize) -> Result<Vec<String>> {
    let table = data::read(data)?;
    let column = table.column("text").with_context(|| format!("{}", data.display()))?;
    Ok((0..table.rows()).map(|i| column.text(i)).filter(|t| !t.is_empty()).take(n).collect())
}

fn stem(path: &Path) -> String {
    path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string()
}

/// Each student's figures from the teacher-against-students run and the `dram latency` runs.
fn add_speed(table: &mut DataSetResults, speed: &TextLatency, latency: &BTreeMap<String, f64>) {
    for (name, row) in table.iter_mut() {
        if let Some(t) = speed.models.iter().find(|t| stem(Path::new(&t.model)) == *name) {
            row.p50_us_per_review = Some(t.p50_us);
            row.teacher_speedup_p50 = Some(t.speedup_p50);
        }
        row.dram_latency_p50_us = latency.get(name).copied();
    }
}

/// A safetensors header entry, as far as parameter counting reads it.
#[derive(Deserialize)]
struct TensorInfo {
    shape: Vec<u64>,
}

/// Parameters of a `.safetensors` file, from its header alone.
fn safetensors_parameters(path: &Path) -> Result<u64> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut len = [0u8; 8];
    file.read_exact(&mut len)?;
    let mut header = vec![0u8; u64::from_le_bytes(len) as usize];
    file.read_exact(&mut header)?;
    let mut entries: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&header).with_context(|| format!("the header of {}", path.display()))?;
    entries.remove("__metadata__");
    entries
        .into_values()
        .map(|v| Ok(serde_json::from_value::<TensorInfo>(v)?.shape.iter().product::<u64>()))
        .sum::<Result<u64>>()
        .with_context(|| format!("tensor shapes in {}", path.display()))
}

/// The teacher's rows: its test metrics from the fine-tuning run, its parameters, and the bytes
/// and speed of its ONNX export in the timing run.
fn add_teacher(table: &mut DataSetResults, teacher: &Path, speed: &TextLatency) -> Result<()> {
    let metrics: BTreeMap<String, BTreeMap<String, ClassifierMetrics>> = results::read(&teacher.join("metrics.json"), "teacher metrics ({split: {task: metrics}})")?;
    let params = safetensors_parameters(&teacher.join("teacher.safetensors"))?;
    let timing = speed.models.iter().find(|t| t.model == "teacher").context("the timing run has the teacher first")?;
    for (task, _) in TASKS {
        let m = metrics.get("test").and_then(|t| t.get(task)).with_context(|| format!("{}/metrics.json has no test metrics for {task}", teacher.display()))?;
        let rows = table.get(&format!("{task}-student")).map_or(0, |r| r.quality.rows);
        let quality = dram_tools::eval::Quality { rows, auc: m.auc, log_loss: None, ndcg10: None, accuracy: Some(m.accuracy), macro_f1: Some(m.macro_f1) };
        let row = ModelResult {
            task: Some(task.into()),
            quality,
            params,
            bytes: timing.bytes as u64,
            p50_us_per_review: Some(timing.p50_us),
            teacher_speedup_p50: None,
            dram_latency_p50_us: None,
            note: Some("fine-tuned all-MiniLM-L6-v2 (both heads), scored from cached logits; bytes and speed of its ONNX export through dram-core".into()),
        };
        table.insert(format!("{task}-teacher"), row);
    }
    Ok(())
}

/// The table as the script printed it: macro-F1, AUC, accuracy, bytes and µs per review.
pub fn print(table: &DataSetResults) {
    println!("{:<28} {:>8} {:>7} {:>7} {:>10} {:>10}", "model", "macro-F1", "AUC", "acc", "bytes", "µs/review");
    for (name, r) in table {
        let q = &r.quality;
        let us = r.p50_us_per_review.or(r.dram_latency_p50_us).unwrap_or(f64::NAN);
        let f = |v: Option<f64>| v.unwrap_or(f64::NAN);
        println!("{name:<28} {:>8.4} {:>7.4} {:>7.4} {:>10} {us:>10.1}", f(q.macro_f1), f(q.auc), f(q.accuracy), r.bytes);
    }
}
