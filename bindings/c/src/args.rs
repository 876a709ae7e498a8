//! Checked reading of C arguments: handles, strings, arrays and out-pointers.
//!
//! Each function turns what C can get wrong and Rust can detect (NULL, misalignment, bad
//! UTF-8, absurd lengths) into an [`FfiError`]; what neither side can detect (a dangling
//! pointer, a length longer than the array) stays the caller's duty, written in the header.

use std::ffi::{c_char, CStr};
use std::mem::MaybeUninit;
use std::path::PathBuf;

use crate::error::FfiError;

/// A NUL-terminated UTF-8 string.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays unchanged during the call.
pub(crate) unsafe fn string<'a>(ptr: *const c_char, what: impl FnOnce() -> String) -> Result<&'a str, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::Null(what()));
    }
    // SAFETY: non-NULL, and the caller guarantees the NUL terminator and immutability.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map_err(|source| FfiError::NotUtf8 { what: what(), source })
}

/// A file path: any bytes on Unix, UTF-8 elsewhere.
///
/// # Safety
/// As for [`string`].
pub(crate) unsafe fn path(ptr: *const c_char, what: &str) -> Result<PathBuf, FfiError> {
    if ptr.is_null() {
        return Err(FfiError::Null(what.to_string()));
    }
    // SAFETY: non-NULL, and the caller guarantees the NUL terminator and immutability.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    if bytes.is_empty() {
        return Err(FfiError::InvalidArgument(format!("`{what}` is an empty string; pass a file path")));
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(bytes.to_bytes())))
    }
    #[cfg(not(unix))]
    {
        let text = bytes.to_str().map_err(|source| FfiError::NotUtf8 { what: what.to_string(), source })?;
        Ok(PathBuf::from(text))
    }
}

/// An input array of `len` elements; NULL is accepted when `len` is 0.
///
/// # Safety
/// `ptr` is NULL or points to at least `len` initialised `T`s that stay unchanged during the call.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize, what: &str) -> Result<&'a [T], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    check_array(ptr, len, what)?;
    // SAFETY: non-NULL, aligned and not over isize::MAX bytes (checked above); the caller
    // guarantees `len` initialised elements.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// A caller-allocated output array of `capacity` elements; NULL is accepted when `capacity` is 0.
///
/// # Safety
/// `ptr` is NULL or points to writable room for at least `capacity` `T`s, not aliased during
/// the call.
pub(crate) unsafe fn out_slice<'a, T>(
    ptr: *mut T,
    capacity: usize,
    what: &str,
) -> Result<&'a mut [MaybeUninit<T>], FfiError> {
    if capacity == 0 {
        return Ok(&mut []);
    }
    check_array(ptr, capacity, what)?;
    // SAFETY: non-NULL, aligned, within isize::MAX bytes (checked above); the caller guarantees
    // the room and exclusive access. `MaybeUninit` makes no claim about the current contents.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr.cast::<MaybeUninit<T>>(), capacity) })
}

fn check_array<T>(ptr: *const T, len: usize, what: &str) -> Result<(), FfiError> {
    if ptr.is_null() {
        return Err(FfiError::InvalidArgument(format!("`{what}` is NULL but its length is {len}")));
    }
    if !ptr.is_aligned() {
        return Err(FfiError::InvalidArgument(format!(
            "`{what}` is not aligned to {} bytes",
            std::mem::align_of::<T>()
        )));
    }
    if len.checked_mul(std::mem::size_of::<T>()).is_none_or(|bytes| bytes > isize::MAX as usize) {
        return Err(FfiError::InvalidArgument(format!("`{what}` has an impossible length of {len}")));
    }
    Ok(())
}

/// A pointer the function writes its result through.
pub(crate) struct Out<T> {
    ptr: *mut T,
}

impl<T> Out<T> {
    /// Checks that `ptr` is non-NULL and aligned.
    ///
    /// # Safety
    /// `ptr` is NULL or points to writable memory for one `T` during the call.
    pub(crate) unsafe fn new(ptr: *mut T, what: &str) -> Result<Out<T>, FfiError> {
        if ptr.is_null() {
            return Err(FfiError::Null(what.to_string()));
        }
        if !ptr.is_aligned() {
            return Err(FfiError::InvalidArgument(format!("`{what}` is not aligned")));
        }
        Ok(Out { ptr })
    }

    /// Writes the value (without reading or dropping what was there).
    pub(crate) fn write(&self, value: T) {
        // SAFETY: non-NULL and aligned (checked in `new`), writable per `new`'s contract.
        unsafe { self.ptr.write(value) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_and_bad_utf8_strings_are_errors() {
        // SAFETY: NULL and a valid C string literal.
        unsafe {
            assert!(matches!(string(std::ptr::null(), || "s".into()), Err(FfiError::Null(_))));
            let bad = c"\xff\xfe";
            assert!(matches!(string(bad.as_ptr(), || "s".into()), Err(FfiError::NotUtf8 { .. })));
            assert_eq!(string(c"été".as_ptr(), || "s".into()).unwrap(), "été");
        }
    }

    #[test]
    fn empty_arrays_may_be_null_but_others_may_not() {
        // SAFETY: NULL pointers and a live array.
        unsafe {
            assert!(slice::<u8>(std::ptr::null(), 0, "a").unwrap().is_empty());
            assert!(matches!(slice::<u8>(std::ptr::null(), 3, "a"), Err(FfiError::InvalidArgument(_))));
            assert!(matches!(out_slice::<f32>(std::ptr::null_mut(), 1, "o"), Err(FfiError::InvalidArgument(_))));
            let data = [1u64, 2];
            assert_eq!(slice(data.as_ptr(), 2, "a").unwrap(), &[1, 2]);
            let misaligned = (data.as_ptr() as *const u8).add(1).cast::<u64>();
            assert!(matches!(slice(misaligned, 1, "a"), Err(FfiError::InvalidArgument(_))));
            assert!(matches!(slice(data.as_ptr(), usize::MAX, "a"), Err(FfiError::InvalidArgument(_))));
        }
    }

    #[test]
    fn paths_must_be_non_empty() {
        // SAFETY: C string literals.
        unsafe {
            assert!(matches!(path(c"".as_ptr(), "p"), Err(FfiError::InvalidArgument(_))));
            assert_eq!(path(c"/tmp/x".as_ptr(), "p").unwrap(), PathBuf::from("/tmp/x"));
        }
    }
}
