//! # dram-core: the on-device runtime of dram
//!
//! dram-core runs a small personalisation model inside a shopping app. A model is one ONNX
//! file whose `metadata_props` carry a JSON [`manifest::Manifest`]: the features the graph
//! reads, how raw values become tensors, what the outputs mean, and where the model came from.
//!
//! The layers, from the bottom (docs/architecture.md draws them):
//! - [`format`]: the file: ONNX messages, the manifest, checksums, signatures, limits.
//! - [`Session`]: any ONNX graph tract can run, named tensors in and out (the engine:
//!   import, dram's load-time rewrites, plans).
//! - [`preprocess`]: raw values (ids, strings, numbers, history events, text) to tensors. The
//!   host tool `dram` trains on the output of this same code.
//! - [`Model`]: a session whose graph matches its manifest, optimised once, shared by threads.
//! - [`Ranker`] (a model plus the user's [`History`]) and [`Classifier`]: the app-facing APIs.
//!
//! ```no_run
//! use std::sync::Arc;
//! use dram_core::{Candidate, Event, EventKind, History, Model, Ranker};
//!
//! let model = Arc::new(Model::load("ranker.onnx")?);
//! let ranker = Ranker::new(model, History::load_or_new("history.bin", 50)?)?;
//! ranker.record(Event::new("42", EventKind::Purchase, 1_700_000_000_000))?;
//! for scored in ranker.rank(&[Candidate::new("7"), Candidate::new("9")])? {
//!     println!("{} {:.3}", scored.item, scored.score);
//! }
//! ranker.save_history("history.bin")?;
//! # Ok::<(), dram_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// The layers, bottom first; a module imports only from layers below it (scripts/check-layers.py
// checks this, and docs/architecture.md draws it).
mod error;
pub mod format;
mod tensor;
mod engine;
mod value;
pub mod history;
pub mod preprocess;
mod model;
mod classifier;
mod ranker;
pub mod timing;

pub use classifier::{softmax, Classifier};
pub use engine::profile::{NodeTime, Profile};
pub use engine::session::{IoInfo, Session};
pub use error::{Error, ErrorCode, Result};
pub use history::{Event, EventKind, History};
pub use model::{Model, MAX_ROWS_PER_CALL};
pub use ranker::{Ranker, Scored};
pub use tensor::{Tensor, TensorData};
pub use value::{Candidate, Features, Value};

// The format's modules under the names they had before the format moved into its folder; the
// host tool, the bindings and apps use these paths.
pub use format::container as model_file;
pub use format::limits as graph_limits;
pub use format::onnx as onnx_proto;
pub use format::{hash, manifest, signature};

/// This crate's version, recorded in exported manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
