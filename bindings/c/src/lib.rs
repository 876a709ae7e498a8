//! # dram-c: dram's C API
//!
//! A thin adapter from the C ABI to [`dram_core`]: every entry point checks its pointers,
//! converts C values to Rust ones, calls one `dram-core` method and converts the result back.
//! Ranking, preprocessing and validation of feature values happen in `dram-core`, never here.
//!
//! The contract, written once for every function (see `docs/ffi.md`, section C):
//! - Every fallible function returns a [`dram_status`]; `DRAM_OK` (0) is success, and the
//!   error numbers 2..=6 are [`dram_core::ErrorCode`]'s. After a failure,
//!   [`dram_last_error_message`] explains it, on the calling thread.
//! - Objects are opaque handles created by `dram_*_new`/`dram_model_load*` and released by
//!   `dram_*_free`, which take the address of the caller's pointer and set it to NULL.
//! - Strings are NUL-terminated UTF-8 borrowed for the duration of the call.
//! - No panic crosses the boundary: each entry point catches it and returns `DRAM_STATUS_PANIC`.
//!
//! The header `include/dram.h` is generated from this crate by cbindgen (`generate-header.sh`).
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]
// The exported names follow C conventions (`dram_model`, `DRAM_OK`), as the header shows them.
#![allow(non_camel_case_types)]

// catch_unwind is how panics become DRAM_STATUS_PANIC; with panic=abort the process would die.
#[cfg(panic = "abort")]
compile_error!("dram-c must be built with panic=unwind: its entry points turn panics into DRAM_STATUS_PANIC");

// Declared in the order the header presents them (cbindgen follows it); the blank lines keep
// rustfmt from sorting them.
mod status;

mod error;

mod version;

mod model;

mod features;

mod ranker;

mod history;

mod classifier;

mod args;
mod call;
mod handle;

pub use classifier::*;
pub use error::dram_last_error_message;
pub use features::{dram_candidate, dram_feature, dram_value, dram_value_kind};
pub use history::*;
pub use model::*;
pub use ranker::*;
pub use status::{dram_status, dram_status_name};
pub use version::dram_version;

#[cfg(test)]
mod test_support;
