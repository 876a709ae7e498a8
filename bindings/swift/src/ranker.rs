//! `Ranker`: a ranker model plus the user's on-device history and context.

use std::collections::HashMap;
use std::sync::Arc;

use dram_core::{Event, History};

use crate::values::features;
use crate::{Candidate, DramError, DramModel, EventKind, FeatureValue, ScoredItem};

/// Ranks candidates for one user. Thread-safe: events may be recorded while other threads
/// rank.
///
/// Swift:
/// ```swift
/// let ranker = try Ranker(model: model, historyCapacity: 50)
/// try ranker.record(item: "sku-7", kind: .click, timestampMs: 1_700_000_000_000)
/// let ranked = try ranker.rank(candidates: [Candidate(item: "sku-1"), Candidate(item: "sku-2")])
/// ```
#[derive(Debug, uniffi::Object)]
pub struct Ranker {
    inner: dram_core::Ranker,
}

#[uniffi::export]
impl Ranker {
    /// A ranker with an empty history keeping the latest `history_capacity` events
    /// (1 to 100 000); `InvalidModel` for a model of another task.
    #[uniffi::constructor]
    pub fn new(model: Arc<DramModel>, history_capacity: u32) -> Result<Arc<Ranker>, DramError> {
        let history = History::new(capacity(history_capacity))?;
        Ok(Arc::new(Ranker { inner: dram_core::Ranker::new(model.core(), history)? }))
    }

    /// A ranker whose history is read from `history_path` (written by `saveHistory`), or
    /// starts empty with `history_capacity` if no file exists there. A corrupt file throws
    /// `CorruptHistory`: the app decides whether to delete it.
    #[uniffi::constructor]
    pub fn load_or_new(
        model: Arc<DramModel>,
        history_path: String,
        history_capacity: u32,
    ) -> Result<Arc<Ranker>, DramError> {
        let history = History::load_or_new(history_path, capacity(history_capacity))?;
        Ok(Arc::new(Ranker { inner: dram_core::Ranker::new(model.core(), history)? }))
    }

    /// Records what the user did to an item, at `timestamp_ms` milliseconds since the epoch.
    pub fn record(&self, item: String, kind: EventKind, timestamp_ms: i64) -> Result<(), DramError> {
        Ok(self.inner.record(Event::new(item, kind.into(), timestamp_ms))?)
    }

    /// Replaces the context features (user or request attributes) used by later calls.
    pub fn set_context(&self, context: HashMap<String, FeatureValue>) {
        self.inner.set_context(features(context));
    }

    /// The candidates sorted by descending score; ties keep input order.
    pub fn rank(&self, candidates: Vec<Candidate>) -> Result<Vec<ScoredItem>, DramError> {
        let candidates: Vec<dram_core::Candidate> = candidates.into_iter().map(Into::into).collect();
        Ok(self.inner.rank(&candidates)?.into_iter().map(ScoredItem::from).collect())
    }

    /// The model's score of each candidate, in input order.
    pub fn score(&self, candidates: Vec<Candidate>) -> Result<Vec<f32>, DramError> {
        let candidates: Vec<dram_core::Candidate> = candidates.into_iter().map(Into::into).collect();
        Ok(self.inner.score(&candidates)?)
    }

    /// Saves the history atomically to `path` (a crash leaves the old or the new file).
    pub fn save_history(&self, path: String) -> Result<(), DramError> {
        Ok(self.inner.save_history(path)?)
    }

    /// Forgets every event (for "clear my data"); save afterwards to clear the file too.
    pub fn clear_history(&self) {
        self.inner.clear_history();
    }
}

/// A Swift `UInt32` capacity as a `usize`; a capacity over dram-core's limit is still
/// rejected by [`History::new`].
fn capacity(history_capacity: u32) -> usize {
    usize::try_from(history_capacity).unwrap_or(usize::MAX)
}
