//! # dram-tools: the host side of dram
//!
//! Trains and distils small models with candle, compresses them, and exports the one-file
//! ONNX model that `dram-core` runs. The data path reads in one direction, and so do the
//! modules: each imports only those listed before it (`tools/LAYERS` is the order a script
//! checks):
//!
//! - [`rng`], [`metrics`]: seeded randomness and the quality metrics, imported everywhere;
//! - [`data`]: tables read from CSV or Parquet (or synthesised), text perturbations and the
//!   teacher's WordPiece tokenizer;
//! - [`model`]: the network a config describes, its candle implementation, the plain-Rust
//!   reference forward pass, checkpoints, and tables encoded through
//!   [`dram_core::preprocess`];
//! - [`train`]: the training loop and the one training pipeline the CLI and the demo call;
//! - [`compress`]: pruning and int8 quantization;
//! - [`export`]: ONNX graphs with their manifest for each deployment target, lint, signing and
//!   inspection;
//! - [`text`]: the BERT text teacher, fine-tuned in candle, whose logits text students distil;
//! - [`eval`], [`fixtures`]: scores and latency through `dram-core`, and the shared test vectors;
//! - [`demo`]: the whole path on a synthetic shop.
//!
//! The binary `dram` is a thin CLI over this library.

pub mod rng;
pub mod metrics;
pub mod data;
pub mod model;
pub mod train;
pub mod compress;
pub mod export;
pub mod text;
pub mod eval;
pub mod fixtures;
pub mod demo;
