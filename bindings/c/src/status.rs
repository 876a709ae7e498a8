//! The status every C entry point returns: success, a `dram-core` error class, or a C-layer error.

use std::ffi::{c_char, CStr};

use dram_core::ErrorCode;

/// Outcome of a call. `DRAM_OK` is 0; other values are errors, explained on the calling thread
/// by `dram_last_error_message()`. The numbers never change meaning; new ones may be added, so
/// treat unknown values as errors.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum dram_status {
    /// Success.
    DRAM_OK = 0,
    /// The call itself is malformed: a NULL pointer where one is required, a string that is
    /// not UTF-8, an unknown enum value, a duplicate feature name, a zero-length model buffer.
    DRAM_STATUS_INVALID_ARGUMENT = 1,
    /// A file could not be found, read or written.
    DRAM_STATUS_IO = 2,
    /// The bytes are not a usable dram model (not ONNX, no or bad manifest, wrong task).
    DRAM_STATUS_INVALID_MODEL = 3,
    /// Input data is wrong: missing, mistyped or non-finite (NaN) feature, empty candidate
    /// list, invalid event or history capacity.
    DRAM_STATUS_INVALID_INPUT = 4,
    /// A history file is corrupt, truncated or of an unknown version.
    DRAM_STATUS_CORRUPT_HISTORY = 5,
    /// The inference engine failed.
    DRAM_STATUS_RUNTIME = 6,
    /// The caller's output array is too small; the needed number of slots was written to the
    /// function's `out_len`. Nothing else was written.
    DRAM_STATUS_BUFFER_TOO_SMALL = 7,
    /// dram panicked (a bug in dram); the call had no effect that can be relied on, but the
    /// handles stay usable and must still be freed.
    DRAM_STATUS_PANIC = 8,
}

impl From<ErrorCode> for dram_status {
    fn from(code: ErrorCode) -> dram_status {
        match code {
            ErrorCode::Io => dram_status::DRAM_STATUS_IO,
            ErrorCode::InvalidModel => dram_status::DRAM_STATUS_INVALID_MODEL,
            ErrorCode::InvalidInput => dram_status::DRAM_STATUS_INVALID_INPUT,
            ErrorCode::CorruptHistory => dram_status::DRAM_STATUS_CORRUPT_HISTORY,
            ErrorCode::Runtime => dram_status::DRAM_STATUS_RUNTIME,
        }
    }
}

impl dram_status {
    fn name(code: i32) -> &'static CStr {
        match code {
            0 => c"DRAM_OK",
            1 => c"DRAM_STATUS_INVALID_ARGUMENT",
            2 => c"DRAM_STATUS_IO",
            3 => c"DRAM_STATUS_INVALID_MODEL",
            4 => c"DRAM_STATUS_INVALID_INPUT",
            5 => c"DRAM_STATUS_CORRUPT_HISTORY",
            6 => c"DRAM_STATUS_RUNTIME",
            7 => c"DRAM_STATUS_BUFFER_TOO_SMALL",
            8 => c"DRAM_STATUS_PANIC",
            _ => c"DRAM_STATUS_UNKNOWN",
        }
    }
}

/// The name of a status value, e.g. `"DRAM_STATUS_IO"`, or `"DRAM_STATUS_UNKNOWN"`.
///
/// Ownership: the returned string is static; never free it. Thread-safe.
#[no_mangle]
pub extern "C" fn dram_status_name(status: i32) -> *const c_char {
    dram_status::name(status).as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_codes_keep_their_numbers() {
        for code in [
            ErrorCode::Io,
            ErrorCode::InvalidModel,
            ErrorCode::InvalidInput,
            ErrorCode::CorruptHistory,
            ErrorCode::Runtime,
        ] {
            assert_eq!(dram_status::from(code) as i32, code as i32);
        }
    }

    #[test]
    fn names_match_the_enum() {
        let name = |s: i32| dram_status::name(s).to_str().unwrap();
        assert_eq!(name(dram_status::DRAM_OK as i32), "DRAM_OK");
        assert_eq!(name(dram_status::DRAM_STATUS_BUFFER_TOO_SMALL as i32), "DRAM_STATUS_BUFFER_TOO_SMALL");
        assert_eq!(name(dram_status::DRAM_STATUS_PANIC as i32), "DRAM_STATUS_PANIC");
        assert_eq!(name(-1), "DRAM_STATUS_UNKNOWN");
        assert!(!dram_status_name(99).is_null());
    }
}
