//! A ranker's history from C: recording events, and saving, loading and clearing the history.

use std::ffi::c_char;

use dram_core::{Event, EventKind, History};

use crate::args::{self, Out};
use crate::call::guard;
use crate::error::FfiError;
use crate::handle;
use crate::ranker::dram_ranker;
use crate::status::dram_status;

/// What the user did to an item. The numbers are dram-core's stable event codes.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum dram_event_kind {
    /// The item was looked at (detail page).
    DRAM_EVENT_VIEW = 0,
    /// The item was clicked in a list.
    DRAM_EVENT_CLICK = 1,
    /// The item was added to the cart.
    DRAM_EVENT_ADD_TO_CART = 2,
    /// The item was bought.
    DRAM_EVENT_PURCHASE = 3,
    /// The item was added to a wish list.
    DRAM_EVENT_WISHLIST = 4,
}

/// Records that the user acted on `item` (`kind` is a `dram_event_kind`) at `timestamp_ms`
/// (milliseconds since the Unix epoch). The oldest event is dropped when the history is full.
/// An empty item key or one over 256 bytes is `DRAM_STATUS_INVALID_INPUT`; an unknown `kind`
/// is `DRAM_STATUS_INVALID_ARGUMENT`.
///
/// Ownership: `item` is borrowed for the call (the ranker copies it).
///
/// # Safety
/// `ranker` is NULL or live; `item` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_record(
    ranker: *mut dram_ranker,
    item: *const c_char,
    kind: i32,
    timestamp_ms: i64,
) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let ranker = unsafe { handle::borrow(ranker, "ranker") }?;
        // SAFETY: forwarded from this function's contract.
        let item = unsafe { args::string(item, || "item".to_string()) }?;
        let kind = u8::try_from(kind).ok().and_then(EventKind::from_code).ok_or_else(|| {
            FfiError::InvalidArgument(format!("`kind` is {kind}; expected a dram_event_kind (0..=4)"))
        })?;
        ranker.ranker.record(Event::new(item, kind, timestamp_ms))?;
        Ok(())
    })
}

/// Saves the history to `path` atomically (a temporary file beside it, then a rename): a crash
/// leaves either the old file or the new one.
///
/// Ownership: `path` is borrowed for the call.
///
/// # Safety
/// `ranker` is NULL or live; `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_save_history(ranker: *const dram_ranker, path: *const c_char) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let ranker = unsafe { handle::borrow(ranker, "ranker") }?;
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { args::path(path, "path") }?;
        ranker.ranker.save_history(path)?;
        Ok(())
    })
}

/// Replaces the history with the one saved at `path`. A missing file is `DRAM_STATUS_IO`, a
/// corrupt one `DRAM_STATUS_CORRUPT_HISTORY`; on failure the current history is kept.
///
/// Ownership: `path` is borrowed for the call.
///
/// # Safety
/// `ranker` is NULL or live; `path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_load_history(ranker: *mut dram_ranker, path: *const c_char) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let ranker = unsafe { handle::borrow(ranker, "ranker") }?;
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { args::path(path, "path") }?;
        ranker.ranker.set_history(History::load(path)?);
        Ok(())
    })
}

/// Forgets every recorded event ("clear my data"); saved files are untouched.
///
/// # Safety
/// `ranker` is NULL or live.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_clear_history(ranker: *mut dram_ranker) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let ranker = unsafe { handle::borrow(ranker, "ranker") }?;
        ranker.ranker.clear_history();
        Ok(())
    })
}

/// Writes the number of events currently held to `*out_len` (0 on failure).
///
/// # Safety
/// `ranker` is NULL or live; `out_len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn dram_ranker_history_len(ranker: *const dram_ranker, out_len: *mut usize) -> dram_status {
    guard(|| {
        // SAFETY: forwarded from this function's contract.
        let out = unsafe { Out::new(out_len, "out_len") }?;
        out.write(0);
        // SAFETY: forwarded from this function's contract.
        let ranker = unsafe { handle::borrow(ranker, "ranker") }?;
        out.write(ranker.ranker.history().len());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_are_dram_cores_codes() {
        let c_kinds = [
            dram_event_kind::DRAM_EVENT_VIEW,
            dram_event_kind::DRAM_EVENT_CLICK,
            dram_event_kind::DRAM_EVENT_ADD_TO_CART,
            dram_event_kind::DRAM_EVENT_PURCHASE,
            dram_event_kind::DRAM_EVENT_WISHLIST,
        ];
        assert_eq!(c_kinds.len(), EventKind::ALL.len());
        for (c, core) in c_kinds.iter().zip(EventKind::ALL) {
            assert_eq!(*c as i32, i32::from(core.code()), "{core:?}");
        }
    }
}
