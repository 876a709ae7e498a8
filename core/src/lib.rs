//! # dram-core: the on-device runtime of dram
//!
//! dram-core runs a small personalisation model inside a shopping app. A model is one ONNX
//! file whose `metadata_props` carry a JSON [`manifest::Manifest`]: the features the graph
//! reads, how raw values become tensors, what the outputs mean, and where the model came from.
//!
//! The layers, from the bottom:
//! - [`Session`]: any ONNX graph tract can run, named tensors in and out.
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

mod classifier;
mod error;
mod gather_rows;
pub mod graph_limits;
pub mod hash;
pub mod history;
mod import;
pub mod manifest;
mod model;
pub mod model_file;
pub mod onnx_proto;
mod mul_sum;
mod plan;
mod quant_dense;
mod quant_embed;
mod quantize_linear;
mod rewrite;
mod profile;
pub mod preprocess;
mod ranker;
mod session;
pub mod signature;
mod tensor;
mod value;
mod window_conv;

pub use classifier::{softmax, Classifier};
pub use error::{Error, ErrorCode, Result};
pub use history::{Event, EventKind, History};
pub use model::{Model, MAX_ROWS_PER_CALL};
pub use profile::{NodeTime, Profile};
pub use ranker::{Ranker, Scored};
pub use session::{IoInfo, Session};
pub use tensor::{Tensor, TensorData};
pub use value::{Candidate, Features, Value};

/// This crate's version, recorded in exported manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
