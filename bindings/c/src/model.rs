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

/// Loads a model from `len` bytes in memory only if it carries a valid Ed25519 signature by
/// `public_key` (`public_key_len` must be 32: the raw key `dram keygen` writes, hex-decoded).
/// Use it for models downloaded at run time. An unsigned file, a file signed by another key
/// and a file modified after signing fail with `DRAM_STATUS_INVALID_MODEL` (the message says
/// which); a malformed key fails with `DRAM_STATUS_INVALID_INPUT`.
///
/// Ownership: both buffers are borrowed for the call only. On success `*out_model` receives a
/// new model that the caller owns and releases with `dram_model_free`; on failure it is set to
/// NULL. Thread-safe.
///
/// # Safety
/// `bytes` is NULL or points to `len` readable bytes; `public_key` is NULL or points to
/// `public_key_len` readable bytes; `out_model` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_model_load_verified(
    bytes: *const u8,
    len: usize,
    public_key: *const u8,
    public_key_len: usize,
    out_model: *mut *mut dram_model,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_model, "out_model") }?;
        out.write(std::ptr::null_mut());
        if len == 0 {
            return Err(crate::error::FfiError::InvalidArgument("`len` is 0; pass the model file's bytes".to_string()));
        }
        if public_key.is_null() {
            return Err(crate::error::FfiError::Null("public_key".to_string()));
        }
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { args::slice(bytes, len, "bytes") }?;
        // SAFETY: forwarded from this function's contract.
        let key = unsafe { args::slice(public_key, public_key_len, "public_key") }?;
        out.write(new_handle(Model::load_verified(bytes, key)?));
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
    fn verified_loading_accepts_the_signed_fixture_only() {
        let vectors: serde_json::Value =
            serde_json::from_slice(&std::fs::read(crate::test_support::vectors_dir().join("signature.json")).unwrap()).unwrap();
        let key = |field: &str| hex_bytes(vectors[field].as_str().unwrap());
        let file = |field: &str| std::fs::read(crate::test_support::vectors_dir().join(vectors[field].as_str().unwrap())).unwrap();
        let load = |bytes: &[u8], key: &[u8], model: &mut *mut dram_model| {
            // SAFETY: live buffers and out-pointer.
            unsafe { dram_model_load_verified(bytes.as_ptr(), bytes.len(), key.as_ptr(), key.len(), model) }
        };
        let mut model: *mut dram_model = std::ptr::null_mut();
        assert_eq!(load(&file("signed"), &key("public_key"), &mut model), dram_status::DRAM_OK, "{}", last_error());
        assert!(!model.is_null());
        // SAFETY: `model` is live.
        unsafe { dram_model_free(&mut model) };
        for (bytes, public, wanted) in [
            ("unsigned", "public_key", "not signed"),
            ("tampered", "public_key", "modified after signing"),
            ("signed", "other_public_key", "signed by public key"),
        ] {
            assert_eq!(load(&file(bytes), &key(public), &mut model), dram_status::DRAM_STATUS_INVALID_MODEL);
            assert!(last_error().contains(wanted), "{bytes}/{public}: {}", last_error());
            assert!(model.is_null());
        }
        assert_eq!(load(&file("signed"), &[1, 2, 3], &mut model), dram_status::DRAM_STATUS_INVALID_INPUT);
        // SAFETY: NULL key with a length: rejected before reading.
        let status = unsafe { dram_model_load_verified(file("signed").as_ptr(), 10, std::ptr::null(), 32, &mut model) };
        assert_eq!(status, dram_status::DRAM_STATUS_INVALID_ARGUMENT);
    }

    fn hex_bytes(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
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
