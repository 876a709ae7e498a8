//! The file format: everything that reads or writes bytes from outside, and trusts none of
//! them. A model is one ONNX file ([`onnx`] messages, read and written by [`container`])
//! whose `metadata_props` carry a versioned JSON [`manifest`], a checksum and optionally a
//! [`signature`]; [`wire`] bounds what decoding may allocate before anything is decoded, and
//! [`limits`] bounds a graph before anything is built from it. The feature
//! [`hash`] and the [`event_kind`] codes are part of the format: training, the device and
//! every binding must agree on them bit for bit.
//!
//! Nothing here depends on the engine or the app API.

pub mod container;
pub mod event_kind;
pub mod hash;
pub mod limits;
pub mod manifest;
pub mod onnx;
pub(crate) mod read;
pub mod signature;
pub mod wire;
