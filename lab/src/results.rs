//! The results files the lab's pipelines write and `dram-bench` reads: one serde structure per
//! file, so the writer and the reader cannot drift apart, and a missing or malformed file is an
//! error naming it rather than a silent gap in a table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dram_tools::eval::Quality;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Why a results file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    /// The file could not be read (missing, unreadable).
    #[error("reading results file {path}: {source} (the lab pipeline that writes it has not run?)")]
    Read {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
    /// The file is not the JSON its structure expects.
    #[error("results file {path} is not the expected {what}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The structure expected.
        what: &'static str,
        /// Where parsing failed.
        source: serde_json::Error,
    },
    /// The file could not be written.
    #[error("writing results file {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the file system said.
        source: std::io::Error,
    },
}

/// Reads a results file as `T`, `what` naming `T` in errors.
pub fn read<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<T, ResultsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Read { path: path.into(), source })?;
    serde_json::from_str(&text).map_err(|source| ResultsError::Parse { path: path.into(), what, source })
}

/// Writes `value` as pretty JSON with a final newline.
pub fn write<T: Serialize>(path: &Path, value: &T) -> Result<(), ResultsError> {
    let text = serde_json::to_string_pretty(value).expect("results serialise") + "\n";
    std::fs::write(path, text).map_err(|source| ResultsError::Write { path: path.into(), source })
}

/// One model of a data set's table (`out/<data set>/results.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelResult {
    /// The task, for data sets with several (the review heads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Test quality through dram-core (the teacher's from its cached logits).
    pub quality: Quality,
    /// Parameters in the model file.
    pub params: u64,
    /// Model file bytes.
    pub bytes: u64,
    /// Median microseconds per review in the teacher-against-students run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_us_per_review: Option<f64>,
    /// The teacher's median over this model's, in the same run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_speedup_p50: Option<f64>,
    /// Median microseconds per call in the fp32-against-int8 `dram latency` run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dram_latency_p50_us: Option<f64>,
    /// How the row was measured, where it differs from the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A data set's table: models by name (`distilled`, `recommended-int8`, ...).
pub type DataSetResults = BTreeMap<String, ModelResult>;

/// What `DataSetResults` is called in errors.
pub const DATA_SET_RESULTS: &str = "data-set results ({model: {quality, params, bytes}})";

/// One step of the size measurement (`bench/size.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SizeStep {
    /// What the step changes.
    pub step: String,
    /// The cargo settings and arguments of the step.
    pub env: String,
    /// Stripped bytes of the C library (none where it cannot be built, e.g. panic = abort).
    pub c_library: Option<u64>,
    /// Stripped bytes of the smallest Rust app.
    pub rust_binary: u64,
}

/// Library and binary sizes under a sequence of release settings (`bench/size.json`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SizeResults {
    /// The target triple measured.
    pub target: String,
    /// The tract version linked.
    pub tract: String,
    /// The steps, in order.
    pub steps: Vec<SizeStep>,
}

/// What `SizeResults` is called in errors.
pub const SIZE_RESULTS: &str = "size results ({target, tract, steps})";

impl SizeResults {
    /// `self` with `new`'s steps replacing those of the same name and the rest appended, so a
    /// partial run updates only its own steps.
    pub fn merged(mut self, new: SizeResults) -> SizeResults {
        for step in new.steps {
            match self.steps.iter_mut().find(|s| s.step == step.step) {
                Some(old) => *old = step,
                None => self.steps.push(step),
            }
        }
        SizeResults { target: new.target, tract: new.tract, steps: self.steps }
    }
}

/// A line of a training log (`<model>.jsonl`), as far as the lab reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct EpochRate {
    /// Training samples per second of the epoch.
    pub samples_per_second: f64,
}

/// What an `EpochRate` line is called in errors.
pub const EPOCH_RATE: &str = "training log line ({samples_per_second, ...})";

/// The per-epoch training rates of a JSON-lines training log.
pub fn read_epoch_rates(path: &Path) -> Result<Vec<f64>, ResultsError> {
    let text = std::fs::read_to_string(path).map_err(|source| ResultsError::Read { path: path.into(), source })?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<EpochRate>(l).map(|e| e.samples_per_second))
        .collect::<Result<_, _>>()
        .map_err(|source| ResultsError::Parse { path: path.into(), what: EPOCH_RATE, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, bytes: u64) -> SizeStep {
        SizeStep { step: name.into(), env: String::new(), c_library: None, rust_binary: bytes }
    }

    #[test]
    fn a_partial_size_run_replaces_only_its_steps() {
        let old = SizeResults { target: "t".into(), tract: "v".into(), steps: vec![step("a", 1), step("b", 2)] };
        let new = SizeResults { target: "t".into(), tract: "v".into(), steps: vec![step("b", 3), step("c", 4)] };
        let merged = old.merged(new);
        assert_eq!(merged.steps, vec![step("a", 1), step("b", 3), step("c", 4)]);
    }

    #[test]
    fn missing_and_malformed_files_are_named() {
        let dir = std::env::temp_dir().join(format!("dram-lab-results-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.json");
        let err = read::<SizeResults>(&missing, SIZE_RESULTS).unwrap_err().to_string();
        assert!(err.contains("missing.json"), "{err}");
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "{\"target\": 1}").unwrap();
        let err = read::<SizeResults>(&bad, SIZE_RESULTS).unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("size results"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_model_row_round_trips_without_its_optional_fields() {
        let json = r#"{"quality": {"rows": 10, "auc": 0.7}, "params": 5, "bytes": 99}"#;
        let row: ModelResult = serde_json::from_str(json).unwrap();
        assert_eq!(row.quality.auc, Some(0.7));
        assert_eq!(serde_json::from_str::<ModelResult>(&serde_json::to_string(&row).unwrap()).unwrap(), row);
    }
}
