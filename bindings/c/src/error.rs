//! Failures of a C call and the thread-local "last error message" that explains them.

use std::cell::RefCell;
use std::ffi::{c_char, CString};

use crate::status::dram_status;

/// Why a C call failed: a malformed call (caught here) or an error from `dram-core`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FfiError {
    /// A required pointer is NULL.
    #[error("`{0}` is NULL; pass a valid pointer")]
    Null(String),
    /// A string argument is not UTF-8.
    #[error("`{what}` is not valid UTF-8: {source}")]
    NotUtf8 {
        /// Which argument.
        what: String,
        /// Where the first bad byte is.
        source: std::str::Utf8Error,
    },
    /// Any other malformed argument; the message says what was expected and what was found.
    #[error("{0}")]
    InvalidArgument(String),
    /// The caller's output array cannot hold the result.
    #[error(
        "`{what}` has room for {capacity} entries but {needed} are needed; the needed count was written to `out_len`"
    )]
    BufferTooSmall {
        /// Which output array.
        what: &'static str,
        /// Its capacity.
        capacity: usize,
        /// What the result needs.
        needed: usize,
    },
    /// `dram-core` rejected the call.
    #[error(transparent)]
    Core(#[from] dram_core::Error),
    /// Code inside dram panicked.
    #[error("dram panicked (this is a bug in dram, please report it): {0}")]
    Panic(String),
}

impl FfiError {
    /// The status code for this failure.
    pub(crate) fn status(&self) -> dram_status {
        match self {
            FfiError::Null(_) | FfiError::NotUtf8 { .. } | FfiError::InvalidArgument(_) => {
                dram_status::DRAM_STATUS_INVALID_ARGUMENT
            }
            FfiError::BufferTooSmall { .. } => dram_status::DRAM_STATUS_BUFFER_TOO_SMALL,
            FfiError::Core(err) => err.code().into(),
            FfiError::Panic(_) => dram_status::DRAM_STATUS_PANIC,
        }
    }
}

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Forgets the calling thread's last error message (every entry point starts with this).
pub(crate) fn clear_last_error() {
    // `try_with` fails only while the thread is being torn down; there is nothing to clear then.
    let _ = LAST_ERROR.try_with(|slot| slot.borrow_mut().take());
}

/// Records `err` as the calling thread's last error message.
pub(crate) fn set_last_error(err: &FfiError) {
    // Interior NULs (from a model's strings, say) would cut the C string short: escape them.
    let message = err.to_string().replace('\0', "\\0");
    let message = CString::new(message).expect("NUL bytes were escaped");
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = Some(message));
}

/// The message of the last failed call on the calling thread, or `""` when the last call
/// succeeded (or none was made). Never NULL.
///
/// Ownership: the string belongs to dram; do not free it. It stays valid until the next
/// `dram_*` call on the same thread (other than `dram_last_error_message`, `dram_status_name`
/// and `dram_version`); copy it to keep it. Thread-safe: each thread has its own message.
#[no_mangle]
pub extern "C" fn dram_last_error_message() -> *const c_char {
    // Reading a RefCell cannot panic unless it is mutably borrowed, which no caller of this
    // function can be doing on this thread; catch_unwind keeps the promise anyway.
    std::panic::catch_unwind(|| {
        LAST_ERROR.try_with(|slot| slot.borrow().as_ref().map(|m| m.as_ptr())).ok().flatten().unwrap_or(c"".as_ptr())
    })
    .unwrap_or(c"".as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::last_error;

    #[test]
    fn message_is_per_thread_and_cleared() {
        set_last_error(&FfiError::Null("model".into()));
        assert_eq!(last_error(), "`model` is NULL; pass a valid pointer");
        std::thread::spawn(|| assert_eq!(last_error(), "")).join().unwrap();
        clear_last_error();
        assert_eq!(last_error(), "");
    }

    #[test]
    fn interior_nul_is_escaped() {
        set_last_error(&FfiError::InvalidArgument("a\0b".into()));
        assert_eq!(last_error(), "a\\0b");
    }

    #[test]
    fn statuses_follow_the_core_codes() {
        let core = FfiError::Core(dram_core::Error::EmptyCandidates);
        assert_eq!(core.status(), dram_status::DRAM_STATUS_INVALID_INPUT);
        let small = FfiError::BufferTooSmall { what: "out", capacity: 1, needed: 2 };
        assert_eq!(small.status(), dram_status::DRAM_STATUS_BUFFER_TOO_SMALL);
    }
}
