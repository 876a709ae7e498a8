//! The MovieLens-100K table (`scripts/movielens.sh`): a teacher, a student trained alone and a
//! distilled student, the distilled student pruned two ways and quantized for each deployment
//! profile, every file linted, fp32 against int8 latency in one run, and every model scored
//! through dram-core on the test split (per-user time split; label = rating >= 4).

use std::path::{Path, PathBuf};

use anyhow::Result;
use dram_tools::eval;
use dram_tools::export::inspect::file_parameter_count;

use crate::args;
use crate::dram_cli::Dram;
use crate::prepare::{self, movielens};
use crate::results::{self, DataSetResults, ModelResult};

/// The models of the table, in the order they are made.
pub const MODELS: [&str; 7] = ["teacher", "student", "distilled", "pruned", "sparse", "int8", "pruned-int8"];

/// Where the pipeline reads and writes.
#[derive(Debug, Clone)]
pub struct Folders {
    /// `ratings.parquet`, `users.parquet`, `items.parquet` (scripts/fetch-data.sh).
    pub data: PathBuf,
    /// Model files, logs and `results.json`.
    pub out: PathBuf,
    /// The student and teacher configurations.
    pub configs: PathBuf,
}

/// Runs the whole table and writes `<out>/results.json`.
pub fn run(dram: &Dram, folders: &Folders) -> Result<DataSetResults> {
    let out = &folders.out;
    std::fs::create_dir_all(out)?;
    let d = folders.data.join("prepared");
    let (train, valid, test) = movielens::prepare(&folders.data)?;
    prepare::write_splits(&d, [("train", &train), ("valid", &valid), ("test", &test)])?;
    let (train, valid, test) = (d.join("train.csv"), d.join("valid.csv"), d.join("test.csv"));
    let student = folders.configs.join("movielens-student.toml");
    let teacher = folders.configs.join("movielens-teacher.toml");
    let o = |name: &str| out.join(name);
    for (config, name) in [(&teacher, "teacher"), (&student, "student")] {
        let (ckpt, onnx, log) = (o(&format!("ckpt-{name}")), o(&format!("{name}.onnx")), o(&format!("{name}.jsonl")));
        dram.run(args!["train", "--config", config, "--train", &train, "--valid", &valid, "--checkpoint", &ckpt, "--out", &onnx, "--log", &log])?;
    }
    let (teacher_onnx, distilled) = (o("teacher.onnx"), o("ckpt-distilled"));
    dram.run(args!["distill", "--config", &student, "--train", &train, "--valid", &valid, "--teacher", &teacher_onnx,
        "--checkpoint", &distilled, "--out", &o("distilled.onnx"), "--log", &o("distilled.jsonl")])?;
    // Structured pruning of the distilled student to half its parameters (docs/quantization.md).
    dram.run(args!["prune", "--config", &student, "--train", &train, "--valid", &valid, "--student", &distilled, "--teacher", &teacher_onnx,
        "--keep", "0.5", "--steps", "6", "--finetune-epochs", "5", "--lr", "0.008",
        "--checkpoint", &o("ckpt-pruned"), "--out", &o("pruned.onnx"), "--report", &o("pruned.json")])?;
    // Unstructured pruning to 50% zero weights: Fisher-ranked weights (teacher distillation
    // loss), table weights' scores times their row's training reads, each tensor's share from
    // its measured validation sensitivity, recovery by self-distillation keeping the epoch
    // closest to the unpruned student (settings chosen on validation, docs/quantization.md).
    dram.run(args!["prune", "--config", &student, "--train", &train, "--valid", &valid, "--student", &distilled, "--teacher", &teacher_onnx,
        "--method", "magnitude", "--sparsity", "0.5", "--scope", "sensitivity", "--importance", "fisher", "--frequency-power", "1",
        "--recovery", "self", "--select", "fidelity", "--steps", "6", "--finetune-epochs", "5",
        "--checkpoint", &o("ckpt-sparse"), "--out", &o("sparse.onnx"), "--report", &o("sparse.json")])?;
    // Int8 for the cpu target, calibrated on the validation split, for the distilled and the
    // pruned student; the npu and coreml profiles of the distilled student; each one linted.
    dram.run(args!["quantize", "--checkpoint", &distilled, "--calibration", &valid, "--out", &o("int8.onnx"), "--report", &o("int8-report.json")])?;
    dram.run(args!["quantize", "--checkpoint", &o("ckpt-pruned"), "--calibration", &valid, "--out", &o("pruned-int8.onnx"), "--report", &o("pruned-int8-report.json")])?;
    dram.run(args!["quantize", "--checkpoint", &distilled, "--calibration", &valid, "--target", "npu", "--out", &o("int8-npu.onnx")])?;
    dram.run(args!["export", "--checkpoint", &distilled, "--target", "coreml", "--out", &o("distilled-coreml.onnx")])?;
    for (file, target) in [("int8.onnx", "cpu"), ("int8-npu.onnx", "npu"), ("distilled-coreml.onnx", "coreml")] {
        dram.run(args!["lint", &o(file), "--target", target])?;
    }
    // fp32 against int8 (and pruned) ranking latency through dram-core, interleaved in one run.
    let latency = dram.output(args!["latency", "--config", &student, "--data", &test, "--candidates", "100",
        "--model", &o("distilled.onnx"), "--model", &o("int8.onnx"), "--model", &o("pruned.onnx"), "--model", &o("pruned-int8.onnx"), "--json"])?;
    std::fs::write(o("latency.json"), &latency)?;
    print!("{latency}");
    let mut table = DataSetResults::new();
    for name in MODELS {
        let config = if name == "teacher" { &teacher } else { &student };
        table.insert(name.into(), scored(&o(&format!("{name}.onnx")), &test, config, None)?);
    }
    results::write(&o("results.json"), &table)?;
    Ok(table)
}

/// A model file's row: test quality through dram-core, parameters and bytes.
pub fn scored(model: &Path, test: &Path, config: &Path, task: Option<&str>) -> Result<ModelResult> {
    Ok(ModelResult {
        task: task.map(String::from),
        quality: eval::evaluate_file(model, test, config)?,
        params: file_parameter_count(model)? as u64,
        bytes: std::fs::metadata(model)?.len(),
        p50_us_per_review: None,
        teacher_speedup_p50: None,
        dram_latency_p50_us: None,
        note: None,
    })
}
