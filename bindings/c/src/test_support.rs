//! Helpers for the crate's unit tests: fixture models from `tests/vectors` and C values.

use std::ffi::{c_char, CStr, CString};
use std::path::PathBuf;

use crate::features::{dram_value, dram_value_kind};
use crate::model::{dram_model, dram_model_load};
use crate::status::dram_status;

/// The calling thread's last error message.
pub(crate) fn last_error() -> String {
    // SAFETY: `dram_last_error_message` never returns NULL and the string lives until the next
    // call on this thread; it is copied at once.
    unsafe { CStr::from_ptr(crate::error::dram_last_error_message()) }.to_str().unwrap().to_string()
}

/// `tests/vectors`.
pub(crate) fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn models_dir() -> PathBuf {
    vectors_dir().join("models")
}

/// The path of a fixture model as a C string.
pub(crate) fn model_path(name: &str) -> CString {
    CString::new(models_dir().join(name).to_str().unwrap()).unwrap()
}

/// The bytes of a fixture model.
pub(crate) fn model_bytes(name: &str) -> Vec<u8> {
    std::fs::read(models_dir().join(name)).unwrap()
}

/// Loads a fixture model; the caller frees it.
pub(crate) fn load_model(name: &str) -> *mut dram_model {
    let mut model = std::ptr::null_mut();
    let path = model_path(name);
    // SAFETY: a valid C string and out-pointer.
    assert_eq!(unsafe { dram_model_load(path.as_ptr(), &mut model) }, dram_status::DRAM_OK, "{}", last_error());
    model
}

/// A float value.
pub(crate) fn float(v: f64) -> dram_value {
    dram_value {
        kind: dram_value_kind::DRAM_VALUE_FLOAT as i32,
        int_value: 0,
        float_value: v,
        string_value: std::ptr::null(),
    }
}

/// A string value borrowing `s`.
pub(crate) fn string(s: &CStr) -> dram_value {
    dram_value {
        kind: dram_value_kind::DRAM_VALUE_STRING as i32,
        int_value: 0,
        float_value: 0.0,
        string_value: s.as_ptr(),
    }
}

/// A string value from raw bytes (possibly not UTF-8); `bytes` must end with a NUL.
pub(crate) fn raw_string(bytes: &'static [u8]) -> *const c_char {
    CStr::from_bytes_with_nul(bytes).unwrap().as_ptr()
}
