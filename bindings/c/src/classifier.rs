//! `dram_classifier`: class probabilities for a text, and the model's label names.

use std::ffi::{c_char, CString};

use dram_core::Classifier;

use crate::args::{self, Out};
use crate::call::{guard, guard_void};
use crate::error::FfiError;
use crate::handle;
use crate::model::dram_model;
use crate::status::dram_status;

/// A text classifier. Opaque, immutable and thread-safe (only `dram_classifier_free` must not
/// race with other uses).
pub struct dram_classifier {
    classifier: Classifier,
    /// The labels as C strings, for `dram_classifier_label`.
    labels: Vec<CString>,
}

/// One slot of a classification: which label and its probability.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct dram_label_probability {
    /// Index of the label (see `dram_classifier_label`).
    pub label_index: usize,
    /// Its probability; the probabilities of one text sum to 1.
    pub probability: f32,
}

/// Creates a classifier. Fails with `DRAM_STATUS_INVALID_MODEL` if the model is not a
/// classifier (or a label holds a NUL byte).
///
/// Ownership: `model` is borrowed; the classifier takes its own reference, so the model may be
/// freed first. On success `*out_classifier` receives a new classifier that the caller owns
/// and releases with `dram_classifier_free`; on failure it is set to NULL.
///
/// # Safety
/// `model` is NULL or a live model; `out_classifier` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_classifier_new(
    model: *const dram_model,
    out_classifier: *mut *mut dram_classifier,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_classifier, "out_classifier") }?;
        out.write(std::ptr::null_mut());
        // SAFETY: forwarded from this function's contract.
        let model = unsafe { handle::borrow(model, "model") }?;
        let classifier = Classifier::new(model.model.clone())?;
        let labels = classifier
            .labels()
            .iter()
            .map(|label| {
                CString::new(label.as_str()).map_err(|_| {
                    FfiError::Core(dram_core::Error::InvalidManifest {
                        reason: format!("label {label:?} holds a NUL byte, which C strings cannot carry"),
                    })
                })
            })
            .collect::<Result<_, _>>()?;
        out.write(handle::into_raw(dram_classifier { classifier, labels }));
        Ok(())
    })
}

/// Releases a classifier and sets `*classifier` to NULL. `classifier == NULL` and
/// `*classifier == NULL` are no-ops. Label strings obtained from it become invalid.
///
/// # Safety
/// `classifier` is NULL or points to NULL or to a live classifier.
#[no_mangle]
pub unsafe extern "C" fn dram_classifier_free(classifier: *mut *mut dram_classifier) {
    // SAFETY: forwarded from this function's contract.
    guard_void(|| unsafe { handle::free(classifier) })
}

/// Writes the number of labels (classes) to `*out_count` (0 on failure).
///
/// # Safety
/// `classifier` is NULL or live; `out_count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_classifier_label_count(
    classifier: *const dram_classifier,
    out_count: *mut usize,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_count, "out_count") }?;
        out.write(0);
        // SAFETY: forwarded from this function's contract.
        let classifier = unsafe { handle::borrow(classifier, "classifier") }?;
        out.write(classifier.labels.len());
        Ok(())
    })
}

/// Writes the name of label `index` (0-based, below the label count) to `*out_label`
/// (NULL on failure).
///
/// Ownership: the string belongs to the classifier and stays valid until it is freed; do not
/// free or modify it.
///
/// # Safety
/// `classifier` is NULL or live; `out_label` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_classifier_label(
    classifier: *const dram_classifier,
    index: usize,
    out_label: *mut *const c_char,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_label, "out_label") }?;
        out.write(std::ptr::null());
        // SAFETY: forwarded from this function's contract.
        let classifier = unsafe { handle::borrow(classifier, "classifier") }?;
        let label = classifier.labels.get(index).ok_or_else(|| {
            FfiError::InvalidArgument(format!(
                "`index` is {index} but the classifier has {} labels",
                classifier.labels.len()
            ))
        })?;
        out.write(label.as_ptr());
        Ok(())
    })
}

/// Classifies one text (NUL-terminated UTF-8; may be empty) into the caller's `out` array of
/// `out_capacity` slots, most probable label first. On success `*out_len` is the label count.
///
/// If `out_capacity` is below the label count, returns `DRAM_STATUS_BUFFER_TOO_SMALL` with
/// `*out_len` set to the label count and writes nothing else. `*out_len` is 0 after other
/// failures.
///
/// Ownership: `text` is borrowed for the call; `out` is written, never kept.
///
/// # Safety
/// `classifier` is NULL or live; `text` is NULL or a NUL-terminated string; `out` is NULL or has
/// room for `out_capacity` entries; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_classifier_classify_text(
    classifier: *const dram_classifier,
    text: *const c_char,
    out: *mut dram_label_probability,
    out_capacity: usize,
    out_len: *mut usize,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out_len = unsafe { Out::new(out_len, "out_len") }?;
        out_len.write(0);
        // SAFETY: forwarded from this function's contract.
        let classifier = unsafe { handle::borrow(classifier, "classifier") }?;
        // SAFETY: forwarded from this function's contract.
        let text = unsafe { args::string(text, || "text".to_string()) }?;
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { args::out_slice(out, out_capacity, "out") }?;
        let needed = classifier.labels.len();
        if out.len() < needed {
            out_len.write(needed);
            return Err(FfiError::BufferTooSmall { what: "out", capacity: out.len(), needed });
        }
        let pairs = classifier.classifier.classify_text(text)?;
        let mut taken = vec![false; needed];
        for (slot, (label, probability)) in out.iter_mut().zip(&pairs) {
            slot.write(dram_label_probability {
                label_index: label_index(classifier, label, &mut taken)?,
                probability: *probability,
            });
        }
        out_len.write(pairs.len());
        Ok(())
    })
}

/// The index of `label` among the classifier's labels: the first one with that name not yet
/// taken, so that even repeated names map one-to-one.
fn label_index(classifier: &dram_classifier, label: &str, taken: &mut [bool]) -> Result<usize, FfiError> {
    let labels = classifier.classifier.labels();
    let index = (0..labels.len()).find(|&i| !taken[i] && labels[i] == label).ok_or_else(|| {
        FfiError::Panic(format!("dram-core returned the label {label:?}, which is not among {labels:?}"))
    })?;
    taken[index] = true;
    Ok(index)
}

#[cfg(test)]
mod tests;
