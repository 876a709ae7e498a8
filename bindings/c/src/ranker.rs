//! `dram_ranker`: creating a ranker, setting its context and ranking or scoring candidates.

use std::ffi::c_char;

use dram_core::{History, Ranker};

use crate::args::{self, Out};
use crate::call::{guard, guard_void};
use crate::error::FfiError;
use crate::features::{self, dram_candidate, dram_feature};
use crate::handle;
use crate::model::dram_model;
use crate::status::dram_status;

/// A ranker: a ranker model plus one user's history and context. Opaque.
///
/// Thread-safe: every function may be called on the same ranker from several threads at once
/// (events can be recorded while other threads rank), except `dram_ranker_free`, which must not
/// race with any other use.
pub struct dram_ranker {
    pub(crate) ranker: Ranker,
}

/// One slot of a ranking: which candidate and its score.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct dram_scored {
    /// Index of the candidate in the array passed to `dram_ranker_rank`.
    pub index: usize,
    /// The model's score; higher is better.
    pub score: f32,
}

/// Creates a ranker with an empty history of at most `history_capacity` events
/// (1..=100000). Fails with `DRAM_STATUS_INVALID_MODEL` if the model is not a ranker.
///
/// Ownership: `model` is borrowed; the ranker takes its own reference, so the model may be freed
/// first. On success `*out_ranker` receives a new ranker that the caller owns and releases with
/// `dram_ranker_free`; on failure it is set to NULL.
///
/// # Safety
/// `model` is NULL or a live model; `out_ranker` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_new(
    model: *const dram_model,
    history_capacity: usize,
    out_ranker: *mut *mut dram_ranker,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_ranker, "out_ranker") }?;
        out.write(std::ptr::null_mut());
        // SAFETY: forwarded from this function's contract.
        let model = unsafe { handle::borrow(model, "model") }?;
        let ranker = Ranker::new(model.model.clone(), History::new(history_capacity)?)?;
        out.write(handle::into_raw(dram_ranker { ranker }));
        Ok(())
    })
}

/// Creates a ranker whose history is read from `path` (saved by `dram_ranker_save_history`),
/// or is empty with `history_capacity` (1..=100000) if the file does not exist. A file that
/// exists keeps its own capacity; a corrupt one fails with `DRAM_STATUS_CORRUPT_HISTORY`
/// (delete it to start afresh).
///
/// Ownership: as for `dram_ranker_new`; `path` is borrowed for the call.
///
/// # Safety
/// `model` is NULL or a live model; `path` is NULL or a NUL-terminated string; `out_ranker` is
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_new_with_history_file(
    model: *const dram_model,
    path: *const c_char,
    history_capacity: usize,
    out_ranker: *mut *mut dram_ranker,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_ranker, "out_ranker") }?;
        out.write(std::ptr::null_mut());
        // SAFETY: forwarded from this function's contract.
        let model = unsafe { handle::borrow(model, "model") }?;
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { args::path(path, "path") }?;
        let ranker = Ranker::new(model.model.clone(), History::load_or_new(path, history_capacity)?)?;
        out.write(handle::into_raw(dram_ranker { ranker }));
        Ok(())
    })
}

/// Releases a ranker (not its saved history file) and sets `*ranker` to NULL. `ranker == NULL`
/// and `*ranker == NULL` are no-ops, so freeing through the same variable twice is harmless;
/// other copies of the pointer dangle. Must not race with another call using the same ranker.
///
/// # Safety
/// `ranker` is NULL or points to NULL or to a live ranker.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_free(ranker: *mut *mut dram_ranker) {
    // SAFETY: forwarded from this function's contract.
    guard_void(|| unsafe { handle::free(ranker) })
}

/// Replaces the context features (user or request attributes, e.g. device, age) used by later
/// `dram_ranker_rank`/`dram_ranker_score` calls. `count` may be 0 (and `features` NULL) to
/// clear it. Names must be distinct. Values are checked when ranking, not here.
///
/// Ownership: `features` and its strings are borrowed for the call (the ranker copies them).
///
/// # Safety
/// `ranker` is NULL or live; `features` is NULL or points to `count` features.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_set_context(
    ranker: *mut dram_ranker,
    features: *const dram_feature,
    count: usize,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let ranker = unsafe { handle::borrow(ranker, "ranker") }?;
        // SAFETY: forwarded from this function's contract.
        let context = unsafe { features::features(features, count, "features") }?;
        ranker.ranker.set_context(context);
        Ok(())
    })
}

/// Ranks `candidate_count` candidates, best first, into the caller's `out_scored` array of
/// `out_capacity` slots: slot i holds the index (into `candidates`) and score of the i-th best
/// candidate; ties keep input order. On success `*out_len` is `candidate_count`.
///
/// If `out_capacity < candidate_count`, returns `DRAM_STATUS_BUFFER_TOO_SMALL` with
/// `*out_len = candidate_count` and writes nothing else (pass `out_scored = NULL`,
/// `out_capacity = 0` to ask). An empty candidate list is `DRAM_STATUS_INVALID_INPUT`, as are
/// missing, mistyped or NaN features and item keys the model cannot read.
///
/// Ownership: `candidates` and all their strings are borrowed for the call; `out_scored` is
/// written, never kept. `*out_len` is 0 after other failures.
///
/// # Safety
/// `ranker` is NULL or live; `candidates` is NULL or points to `candidate_count` candidates;
/// `out_scored` is NULL or has room for `out_capacity` entries; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_rank(
    ranker: *const dram_ranker,
    candidates: *const dram_candidate,
    candidate_count: usize,
    out_scored: *mut dram_scored,
    out_capacity: usize,
    out_len: *mut usize,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let (ranker, candidates, out, out_len) = unsafe {
            scoring_args(ranker, candidates, candidate_count, out_scored, out_capacity, out_len, "out_scored")
        }?;
        let ranked = ranker.ranker.rank(&candidates)?;
        for (slot, scored) in out.iter_mut().zip(&ranked) {
            slot.write(dram_scored { index: scored.index, score: scored.score });
        }
        out_len.write(ranked.len());
        Ok(())
    })
}

/// Scores `candidate_count` candidates in input order into the caller's `out_scores` array of
/// `out_capacity` floats. Sizes, errors and ownership are as for `dram_ranker_rank`.
///
/// # Safety
/// As for `dram_ranker_rank`, with `out_scores` in place of `out_scored`.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_score(
    ranker: *const dram_ranker,
    candidates: *const dram_candidate,
    candidate_count: usize,
    out_scores: *mut f32,
    out_capacity: usize,
    out_len: *mut usize,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let (ranker, candidates, out, out_len) = unsafe {
            scoring_args(ranker, candidates, candidate_count, out_scores, out_capacity, out_len, "out_scores")
        }?;
        let scores = ranker.ranker.score(&candidates)?;
        for (slot, score) in out.iter_mut().zip(&scores) {
            slot.write(*score);
        }
        out_len.write(scores.len());
        Ok(())
    })
}

type ScoringArgs<'a, T> = (&'a dram_ranker, Vec<dram_core::Candidate>, &'a mut [std::mem::MaybeUninit<T>], Out<usize>);

/// The shared argument checks of rank and score: one output slot per candidate.
///
/// # Safety
/// As for `dram_ranker_rank`.
unsafe fn scoring_args<'a, T>(
    ranker: *const dram_ranker,
    candidates: *const dram_candidate,
    candidate_count: usize,
    out: *mut T,
    out_capacity: usize,
    out_len: *mut usize,
    out_name: &'static str,
) -> Result<ScoringArgs<'a, T>, FfiError> {
    // SAFETY: forwarded from this function's contract.
    let out_len = unsafe { Out::new(out_len, "out_len") }?;
    out_len.write(0);
    // SAFETY: forwarded from this function's contract.
    let ranker = unsafe { handle::borrow(ranker, "ranker") }?;
    // SAFETY: forwarded from this function's contract.
    let out = unsafe { args::out_slice(out, out_capacity, out_name) }?;
    if out.len() < candidate_count {
        out_len.write(candidate_count);
        return Err(FfiError::BufferTooSmall { what: out_name, capacity: out.len(), needed: candidate_count });
    }
    // SAFETY: forwarded from this function's contract.
    let candidates = unsafe { features::candidates(candidates, candidate_count) }?;
    Ok((ranker, candidates, out, out_len))
}

#[cfg(test)]
mod tests;
