//! The guard around every entry point: clears the last error, catches panics, maps to status.

use std::panic::{self, AssertUnwindSafe};

use crate::error::{clear_last_error, set_last_error, FfiError};
use crate::status::dram_status;

/// Runs the body of a fallible entry point and turns its outcome into a status.
///
/// `AssertUnwindSafe` is sound here: a panic leaves no handle half-updated, because `dram-core`
/// updates a ranker's history and context under locks that it recovers after a panic, and the
/// binding itself writes outputs only after the core call returned.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), FfiError>) -> dram_status {
    clear_last_error();
    let outcome = panic::catch_unwind(AssertUnwindSafe(body))
        .unwrap_or_else(|payload| Err(FfiError::Panic(panic_message(payload.as_ref()))));
    match outcome {
        Ok(()) => dram_status::DRAM_OK,
        Err(err) => {
            set_last_error(&err);
            err.status()
        }
    }
}

/// [`guard`] for entry points that return nothing (the `_free` functions): a panic is only
/// recorded as the last error message.
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = guard(|| {
        body();
        Ok(())
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::last_error;

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let status = guard(|| panic!("boom {}", 42));
        assert_eq!(status, dram_status::DRAM_STATUS_PANIC);
        assert!(last_error().contains("boom 42"), "{}", last_error());
        assert_eq!(guard(|| Ok(())), dram_status::DRAM_OK);
        assert_eq!(last_error(), "");
    }

    #[test]
    fn a_panic_in_a_void_call_is_recorded() {
        guard_void(|| panic!("in free"));
        assert!(last_error().contains("in free"));
    }

    #[test]
    fn errors_map_to_their_status() {
        let status = guard(|| Err(FfiError::Null("x".into())));
        assert_eq!(status, dram_status::DRAM_STATUS_INVALID_ARGUMENT);
        assert_eq!(last_error(), "`x` is NULL; pass a valid pointer");
    }
}
