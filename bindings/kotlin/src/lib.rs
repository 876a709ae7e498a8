//! # dram-jni: the JNI library behind dram's Kotlin API
//!
//! The Kotlin classes in `src/main/kotlin/dev/dram` (`DramModel`, `Ranker`, `Classifier`) call
//! the static native methods of `dev.dram.DramNative`, which this crate exports as
//! `Java_dev_dram_DramNative_*` functions. Each one converts JNI values to Rust values, calls one
//! `dram-core` method and converts the result back: ranking, preprocessing and the validation
//! of feature values happen in `dram-core`, never here.
//!
//! The contract (written up for users in `docs/ffi.md`, section Kotlin / Android):
//! - **Handles** ([`handle`]): a native object is an `Arc` turned into a `jlong`. Every call
//!   clones the `Arc` for its duration; `*Release` drops the handle's own reference once.
//!   Kotlin guards each handle with a read-write lock, so `close()` waits for calls in flight
//!   and a closed handle is never passed here again.
//! - **Values** ([`features`]): all the strings of a call arrive in one `char[]`, and feature
//!   maps as parallel primitive arrays, so a call costs a fixed number of JNI calls however
//!   many candidates it has; results go back into arrays Kotlin allocated.
//! - **Errors** ([`exception`]): every `dram_core::Error` becomes the `DramException` subclass
//!   of its [`dram_core::ErrorCode`], with the Rust message. A panic becomes
//!   `DramException.Internal`; the JVM survives.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// The exported names are fixed by JNI's mangling of `dev.dram.DramNative`'s methods.
#![allow(non_snake_case)]
// A JNI entry point takes one argument per array the Kotlin side flattens a call into.
#![allow(clippy::too_many_arguments)]

// catch_unwind is how a panic becomes DramException.Internal; with panic=abort the app dies.
#[cfg(panic = "abort")]
compile_error!(
    "dram-jni must be built with panic=unwind: its entry points turn panics into exceptions"
);

mod classifier;
mod exception;
mod fd;
mod features;
mod handle;
mod model;
mod panic_probe;
mod ranker;

pub use classifier::*;
pub use model::*;
pub use panic_probe::*;
pub use ranker::*;
