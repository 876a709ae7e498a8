//! # dram-tools: the host side of dram
//!
//! Trains and distils small models with candle, compresses them, and exports the one-file
//! ONNX model that `dram-core` runs. The data path reads in one direction:
//! data files -> [`dram_core::preprocess`] -> candle tensors -> training -> [`export`] ->
//! `dram-core`. The binary `dram` is a thin CLI over this library.

pub mod arch;
pub mod bench;
pub mod checkpoint;
pub mod compress;
pub mod config;
pub mod data;
pub mod dataset;
pub mod demo;
pub mod eval;
pub mod export;
pub mod fixtures;
pub mod inspect;
pub mod lint;
pub mod metrics;
pub mod onnx;
pub mod quantize;
pub mod prune;
pub mod reference;
pub mod report;
pub mod rng;
pub mod sign;
pub mod text;
pub mod teacher;
pub mod train;
