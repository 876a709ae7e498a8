//! Personalised ranking: a ranker model plus the user's on-device history and context.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::history::{Event, History};
use crate::format::manifest::Task;
use crate::model::{Model, MAX_ROWS_PER_CALL};
use crate::value::{Candidate, Features};
use crate::{Error, Result};

/// A candidate with its score, as [`Ranker::rank`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    /// The candidate's item key.
    pub item: String,
    /// Its position in the list passed to `rank`.
    pub index: usize,
    /// The model's score (its logit or probability, as the manifest says); higher is better.
    pub score: f32,
}

/// Ranks candidates for one user. Thread-safe: events can be recorded while other threads rank.
///
/// ```no_run
/// use std::sync::Arc;
/// use dram_core::{Candidate, Event, EventKind, History, Model, Ranker};
/// let model = Arc::new(Model::load("ranker.onnx")?);
/// let ranker = Ranker::new(model, History::new(50)?)?;
/// ranker.record(Event::new("sku-7", EventKind::Click, 1_700_000_000_000))?;
/// let ranked = ranker.rank(&[Candidate::new("sku-1"), Candidate::new("sku-2")])?;
/// println!("best: {}", ranked[0].item);
/// # Ok::<(), dram_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Ranker {
    model: Arc<Model>,
    history: RwLock<History>,
    context: RwLock<Features>,
}

impl Ranker {
    /// A ranker over a ranker model; fails for other tasks.
    pub fn new(model: Arc<Model>, history: History) -> Result<Ranker> {
        model.require_task(Task::Ranker)?;
        Ok(Ranker { model, history: RwLock::new(history), context: RwLock::new(Features::new()) })
    }

    /// The model.
    pub fn model(&self) -> &Arc<Model> {
        &self.model
    }

    /// Records an event in the history.
    pub fn record(&self, event: Event) -> Result<()> {
        write(&self.history).record(event)
    }

    /// Sets the context features (user or request attributes) used by later calls.
    pub fn set_context(&self, context: Features) {
        *write(&self.context) = context;
    }

    /// A copy of the current history.
    pub fn history(&self) -> History {
        read(&self.history).clone()
    }

    /// Replaces the history (after loading a saved one).
    pub fn set_history(&self, history: History) {
        *write(&self.history) = history;
    }

    /// Forgets every event.
    pub fn clear_history(&self) {
        write(&self.history).clear();
    }

    /// Saves the history atomically to `path` (see [`History::save`]).
    pub fn save_history(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let bytes = read(&self.history).to_bytes();
        crate::history::write_file_atomically(path.as_ref(), &bytes)
    }

    /// The model's raw score of each candidate, in input order.
    pub fn score(&self, candidates: &[Candidate]) -> Result<Vec<f32>> {
        if candidates.is_empty() {
            return Err(Error::EmptyCandidates);
        }
        if candidates.len() > MAX_ROWS_PER_CALL {
            return Err(Error::TooManyCandidates { count: candidates.len(), limit: MAX_ROWS_PER_CALL });
        }
        let tensors = {
            let history = read(&self.history);
            let context = read(&self.context);
            self.model.encoder().encode_candidates(candidates, &context, &*history)?
        };
        self.model.run_encoded(tensors)
    }

    /// Candidates sorted by descending score (ties keep input order).
    pub fn rank(&self, candidates: &[Candidate]) -> Result<Vec<Scored>> {
        let scores = self.score(candidates)?;
        let mut scored: Vec<Scored> = candidates
            .iter()
            .zip(scores)
            .enumerate()
            .map(|(index, (c, score))| Scored { item: c.item.clone(), index, score })
            .collect();
        scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
        Ok(scored)
    }
}

// A panic while a lock is held cannot leave History or Features half-updated (each update is
// a single call that either completes or does not start), so a poisoned lock is still sound.
fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}
