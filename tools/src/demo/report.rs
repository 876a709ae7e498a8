//! What the demo measured, model by model, and the side-by-side table printed from it; the
//! JSON report is this structure serialised, and the HTML page is drawn from it.

use serde::Serialize;

use crate::train::EpochLog;

/// One model's row of the demo table.
#[derive(Debug, Clone, Serialize)]
pub struct ModelReport {
    /// Row name.
    pub name: String,
    /// Test AUC through dram-core.
    pub auc: f64,
    /// Test NDCG@10 per user through dram-core.
    pub ndcg10: f64,
    /// Parameters; for the pruned student the non-zero ones (its zeros still take their
    /// bytes in the file: `bytes` shows it).
    pub params: usize,
    /// Model file bytes.
    pub bytes: usize,
    /// Median `Ranker::rank` latency for 100 candidates, microseconds.
    pub p50_us: f64,
    /// Largest |candle score - dram-core score| on the test set.
    pub parity_max_abs_diff: f64,
    /// Per-epoch training log.
    pub epochs: Vec<EpochLog>,
}

/// The demo's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct DemoReport {
    /// Rows of train, validation and test data.
    pub rows: [usize; 3],
    /// One entry per model.
    pub models: Vec<ModelReport>,
    /// Teacher-vs-distilled-student test scores (a sample, for the scatter plot).
    pub scatter: Vec<(f32, f32)>,
    /// Wall time of the whole demo, seconds.
    pub seconds: f64,
}

/// The side-by-side table, as printed.
pub fn table(report: &DemoReport) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{:<18} {:>7} {:>8} {:>9} {:>10} {:>9} {:>9}\n",
        "model", "AUC", "NDCG@10", "params", "bytes", "p50 µs", "parity"
    ));
    for m in &report.models {
        s.push_str(&format!(
            "{:<18} {:>7.4} {:>8.4} {:>9} {:>10} {:>9.1} {:>9.1e}\n",
            m.name, m.auc, m.ndcg10, m.params, m.bytes, m.p50_us, m.parity_max_abs_diff
        ));
    }
    s
}
