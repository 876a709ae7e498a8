//! The library's version, for apps that log or check what they linked against.

use std::ffi::{c_char, CStr};

const VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(version) => version,
    Err(_) => panic!("the package version contains a NUL byte"),
};

/// The library's semantic version, e.g. `"0.1.0"` (the same as dram-core's).
///
/// Ownership: static string; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn dram_version() -> *const c_char {
    VERSION.as_ptr()
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_dram_core() {
        // SAFETY: `dram_version` returns a static NUL-terminated string.
        let version = unsafe { std::ffi::CStr::from_ptr(super::dram_version()) };
        assert_eq!(version.to_str().unwrap(), dram_core::VERSION);
    }
}
