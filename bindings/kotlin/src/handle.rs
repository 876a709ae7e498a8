//! Native objects as `jlong` handles: an `Arc` given to Kotlin, cloned for each call, and
//! released exactly once by the Kotlin object's `close()`.

use std::sync::Arc;

use jni::sys::jlong;

use crate::exception::{Failure, Result};

/// Moves `value` behind a new handle.
pub fn into_handle<T>(value: T) -> jlong {
    Arc::into_raw(Arc::new(value)).expose_provenance() as jlong
}

fn pointer<T>(handle: jlong) -> Result<*const T> {
    if handle == 0 {
        return Err(Failure::Binding("a null handle was passed".into()));
    }
    // Handles hold pointers, so they fit in `usize` on every target (32-bit ones included).
    Ok(std::ptr::with_exposed_provenance(handle as usize))
}

/// A counted reference to the object behind `handle`, kept alive for as long as the caller
/// holds it.
///
/// # Safety
/// `handle` must come from [`into_handle::<T>`] (same `T`) and must not have been released.
/// The Kotlin classes guarantee both: each owns one handle of one type and takes a read lock
/// around every call, while `close()` takes the write lock before releasing.
pub unsafe fn borrow<T>(handle: jlong) -> Result<Arc<T>> {
    let ptr = pointer::<T>(handle)?;
    // SAFETY: per this function's contract `ptr` came from `Arc::<T>::into_raw` and the
    // handle's own reference is still counted, so the allocation is live; the increment makes
    // the `Arc` built from it an extra owner, leaving the handle's reference untouched.
    unsafe {
        Arc::increment_strong_count(ptr);
        Ok(Arc::from_raw(ptr))
    }
}

/// Drops the handle's own reference; the object goes once no call still holds a clone.
///
/// # Safety
/// As for [`borrow`], and the handle must not be used again afterwards.
pub unsafe fn release<T>(handle: jlong) -> Result<()> {
    let ptr = pointer::<T>(handle)?;
    // SAFETY: per this function's contract this is the one release of the reference that
    // `into_handle` created.
    drop(unsafe { Arc::from_raw(ptr) });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_borrow_outlives_the_release_of_its_handle() {
        let handle = into_handle(String::from("model"));
        // SAFETY: `handle` was just made for a `String` and is released only below.
        let borrowed: Arc<String> = unsafe { borrow(handle) }.unwrap();
        assert_eq!(Arc::strong_count(&borrowed), 2);
        // SAFETY: the one release of `handle`, which is not used afterwards.
        unsafe { release::<String>(handle) }.unwrap();
        assert_eq!(Arc::strong_count(&borrowed), 1);
        assert_eq!(*borrowed, "model");
    }

    #[test]
    fn a_null_handle_is_refused() {
        // SAFETY: a null handle is rejected before any pointer is formed.
        assert!(unsafe { borrow::<String>(0) }.is_err());
        // SAFETY: as above.
        assert!(unsafe { release::<String>(0) }.is_err());
    }
}
