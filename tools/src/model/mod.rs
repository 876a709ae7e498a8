//! The model a config describes, before any training loop touches it: its architecture
//! ([`arch`]), the TOML configuration ([`config`]) and a word-piece student's vocabulary
//! ([`vocab`]), tables encoded into input buffers ([`dataset`]) and scored by `dram-core`
//! ([`runtime`]), the trainable candle network ([`net`], its sparse tables in [`sparse`]), the
//! plain-Rust forward pass the test vectors trust ([`reference`]), and checkpoints on disk
//! ([`checkpoint`]).

pub mod arch;
pub mod checkpoint;
pub mod config;
pub mod dataset;
pub mod net;
pub mod reference;
pub mod runtime;
pub mod sparse;
pub mod vocab;
