//! How a failed native call becomes a Kotlin exception: one `DramException` subclass per
//! [`dram_core::ErrorCode`], carrying the Rust message unchanged.

use std::panic::{catch_unwind, AssertUnwindSafe};

use dram_core::ErrorCode;
use jni::errors::ErrorPolicy;
use jni::strings::JNIString;
use jni::{jni_str, Env};

/// Why a native call failed.
#[derive(Debug)]
pub enum Failure {
    /// `dram-core` refused the call; the common case.
    Dram(dram_core::Error),
    /// The Kotlin side broke this crate's calling contract (a bug in the binding itself).
    Binding(String),
    /// A JNI call failed: usually an exception is already pending (out of memory), which then
    /// propagates as it is.
    Jni(jni::errors::Error),
}

/// `Result` of the work inside a native method.
pub type Result<T, E = Failure> = std::result::Result<T, E>;

impl From<dram_core::Error> for Failure {
    fn from(err: dram_core::Error) -> Failure {
        Failure::Dram(err)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(err: jni::errors::Error) -> Failure {
        Failure::Jni(err)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Dram(err) => write!(f, "{err}"),
            Failure::Binding(what) => write!(f, "internal error in dram's Kotlin binding: {what}"),
            Failure::Jni(err) => write!(f, "internal error in a JNI call: {err}"),
        }
    }
}

impl std::error::Error for Failure {}

/// The Kotlin class thrown for each failure; `dev.dram.DramException`'s nested classes.
fn exception_class(failure: &Failure) -> &'static jni::strings::JNIStr {
    match failure {
        Failure::Dram(err) => match err.code() {
            ErrorCode::Io => jni_str!("dev/dram/DramException$Io"),
            ErrorCode::InvalidModel => jni_str!("dev/dram/DramException$InvalidModel"),
            ErrorCode::InvalidInput => jni_str!("dev/dram/DramException$InvalidInput"),
            ErrorCode::CorruptHistory => jni_str!("dev/dram/DramException$CorruptHistory"),
            ErrorCode::Runtime => jni_str!("dev/dram/DramException$Runtime"),
        },
        Failure::Binding(_) | Failure::Jni(_) => INTERNAL,
    }
}

const INTERNAL: &jni::strings::JNIStr = jni_str!("dev/dram/DramException$Internal");

/// The error policy of every entry point: throws the failure's `DramException` subclass (or
/// leaves an already pending Java exception alone) and returns the zero value of `T`, which
/// Kotlin never sees because the exception is thrown first.
#[derive(Debug)]
pub struct ThrowDramException;

impl<T: Default> ErrorPolicy<T, Failure> for ThrowDramException {
    type Captures<'unowned_env_local: 'native_method, 'native_method> = ();

    fn on_error<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        failure: Failure,
    ) -> jni::errors::Result<T> {
        if !env.exception_check() {
            // `throw_new` reports the exception it threw as `Err(JavaException)`; that is the
            // intended outcome here, not a failure.
            let _ = env.throw_new(
                exception_class(&failure),
                JNIString::from(failure.to_string()),
            );
        }
        Ok(T::default())
    }

    fn on_panic<'unowned_env_local: 'native_method, 'native_method>(
        env: &mut Env<'unowned_env_local>,
        _captures: &mut Self::Captures<'unowned_env_local, 'native_method>,
        payload: Box<dyn std::any::Any + Send + 'static>,
    ) -> jni::errors::Result<T> {
        let message = match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_string(),
            Err(payload) => match payload.downcast::<String>() {
                Ok(s) => *s,
                Err(payload) => {
                    // Dropping an arbitrary payload may itself panic; leak it rather than abort.
                    if let Err(again) = catch_unwind(AssertUnwindSafe(|| drop(payload))) {
                        std::mem::forget(again);
                    }
                    "a panic with a non-string payload".to_string()
                }
            },
        };
        if !env.exception_check() {
            let text = format!(
                "internal error: dram panicked (a bug in dram, please report it): {message}"
            );
            let _ = env.throw_new(INTERNAL, JNIString::from(text));
        }
        Ok(T::default())
    }
}
