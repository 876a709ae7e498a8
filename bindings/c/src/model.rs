//! `dram_model`: a loaded model, shared by the rankers and classifiers made from it.

use std::ffi::c_char;
use std::sync::Arc;

use dram_core::Model;

use crate::args::{self, Out};
use crate::call::{guard, guard_void};
use crate::handle;
use crate::status::dram_status;

/// A loaded, validated model. Opaque; immutable and thread-safe.
pub struct dram_model {
    pub(crate) model: Arc<Model>,
}

fn new_handle(model: Model) -> *mut dram_model {
    handle::into_raw(dram_model { model: Arc::new(model) })
}

/// Loads a model file (ONNX with a dram manifest).
///
/// Ownership: `path` is borrowed for the call. On success `*out_model` receives a new model
/// that the caller owns and releases with `dram_model_free`; on failure it is set to NULL.
/// Thread-safe.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string; `out_model` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_model_load(path: *const c_char, out_model: *mut *mut dram_model) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_model, "out_model") }?;
        out.write(std::ptr::null_mut());
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { args::path(path, "path") }?;
        out.write(new_handle(Model::load(path)?));
        Ok(())
    })
}

/// Loads a model from `len` bytes in memory (an app asset or bundle resource). `len` must not
/// be 0.
///
/// Ownership: the bytes are borrowed for the call only (the model keeps no pointer into them).
/// On success `*out_model` receives a new model that the caller owns and releases with
/// `dram_model_free`; on failure it is set to NULL. Thread-safe.
///
/// # Safety
/// `bytes` is NULL or points to `len` readable bytes; `out_model` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_model_load_from_memory(
    bytes: *const u8,
    len: usize,
    out_model: *mut *mut dram_model,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_model, "out_model") }?;
        out.write(std::ptr::null_mut());
        if len == 0 {
            return Err(crate::error::FfiError::InvalidArgument("`len` is 0; pass the model file's bytes".to_string()));
        }
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { args::slice(bytes, len, "bytes") }?;
        out.write(new_handle(Model::from_bytes(bytes)?));
        Ok(())
    })
}

/// Releases a model and sets `*model` to NULL. `model == NULL` and `*model == NULL` are no-ops,
/// so freeing through the same variable twice is harmless; other copies of the pointer dangle.
///
/// Rankers and classifiers made from the model keep their own reference to it: the model may be
/// freed before them. Must not race with another call using the same handle.
///
/// # Safety
/// `model` is NULL or points to NULL or to a model from `dram_model_load*` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn dram_model_free(model: *mut *mut dram_model) {
    // SAFETY: forwarded from this function's contract.
    guard_void(|| unsafe { handle::free(model) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{last_error, model_bytes, model_path};

    #[test]
    fn loads_from_a_path_and_from_memory_and_frees_once() {
        let mut model: *mut dram_model = std::ptr::null_mut();
        let path = model_path("ranker.onnx");
        // SAFETY: a valid C string and out-pointer.
        assert_eq!(unsafe { dram_model_load(path.as_ptr(), &mut model) }, dram_status::DRAM_OK);
        assert!(!model.is_null());
        // SAFETY: `model` is live; the second free sees NULL.
        unsafe {
            dram_model_free(&mut model);
            assert!(model.is_null());
            dram_model_free(&mut model);
            dram_model_free(std::ptr::null_mut());
        }

        let bytes = model_bytes("classifier.onnx");
        // SAFETY: a live buffer and out-pointer.
        assert_eq!(
            unsafe { dram_model_load_from_memory(bytes.as_ptr(), bytes.len(), &mut model) },
            dram_status::DRAM_OK
        );
        // SAFETY: `model` is live.
        unsafe { dram_model_free(&mut model) };
    }

    #[test]
    fn bad_arguments_and_bad_bytes_are_statuses() {
        let mut model: *mut dram_model = std::ptr::dangling_mut(); // must be reset to NULL
                                                                   // SAFETY: NULL pointers and live buffers only.
        unsafe {
            assert_eq!(dram_model_load(std::ptr::null(), &mut model), dram_status::DRAM_STATUS_INVALID_ARGUMENT);
            assert!(model.is_null());
            assert_eq!(dram_model_load(c"x".as_ptr(), std::ptr::null_mut()), dram_status::DRAM_STATUS_INVALID_ARGUMENT);
            assert_eq!(last_error(), "`out_model` is NULL; pass a valid pointer");
            assert_eq!(dram_model_load(c"/no/such/model.onnx".as_ptr(), &mut model), dram_status::DRAM_STATUS_IO);
            let bytes = model_bytes("ranker.onnx");
            assert_eq!(
                dram_model_load_from_memory(bytes.as_ptr(), 0, &mut model),
                dram_status::DRAM_STATUS_INVALID_ARGUMENT
            );
            let half = bytes.len() / 2;
            assert_eq!(
                dram_model_load_from_memory(bytes.as_ptr(), half, &mut model),
                dram_status::DRAM_STATUS_INVALID_MODEL
            );
            assert!(model.is_null());
        }
    }
}
