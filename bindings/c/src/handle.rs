//! Opaque handles: a boxed Rust object whose address C holds, borrowed per call, freed once.

use crate::error::FfiError;

/// Moves `value` to the heap and hands its address to C, which owns it from now on.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// A shared reference to the object behind a handle.
///
/// # Safety
/// `ptr` is NULL or a handle from [`into_raw`] not yet freed.
pub(crate) unsafe fn borrow<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, FfiError> {
    // SAFETY: the caller guarantees a non-NULL `ptr` is a live handle; `as_ref` checks NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| FfiError::Null(what.to_string()))
}

/// Frees the handle at `*slot` and sets `*slot` to NULL; NULL `slot` or `*slot` do nothing.
///
/// # Safety
/// `slot` is NULL or points to a writable pointer that is NULL or a live handle from
/// [`into_raw`], used by no other thread during the call.
pub(crate) unsafe fn free<T>(slot: *mut *mut T) {
    // SAFETY: the caller guarantees `slot` is NULL or a valid, exclusive pointer.
    let Some(slot) = (unsafe { slot.as_mut() }) else { return };
    let handle = std::mem::replace(slot, std::ptr::null_mut());
    if !handle.is_null() {
        // SAFETY: a live handle from `Box::into_raw`, now unreachable through `*slot`.
        drop(unsafe { Box::from_raw(handle) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_resets_the_pointer_and_tolerates_null() {
        let mut handle = into_raw(String::from("x"));
        // SAFETY: a live handle, then NULL, then a NULL slot.
        unsafe {
            assert_eq!(borrow(handle, "h").unwrap(), "x");
            free(&mut handle);
            assert!(handle.is_null());
            free(&mut handle);
            free::<String>(std::ptr::null_mut());
            assert!(matches!(borrow::<String>(handle, "h"), Err(FfiError::Null(_))));
        }
    }
}
