//! The engine: turns ONNX messages into tract graphs and runs them. [`import`] translates a
//! graph (dram's direct import, or tract-onnx behind the `onnx-fallback` feature), [`fuse`]
//! rewrites it for small models, [`plan`] optimises it into runnable plans per batch bucket,
//! [`session`] runs named tensors through them and [`profile`] times each node.
//!
//! The engine knows nothing of manifests, features or users: it reads [`crate::format`] and
//! [`crate::Tensor`] only, and the app API above it ([`crate::Model`]) decides what to run.

pub(crate) mod fuse;
pub(crate) mod import;
pub(crate) mod plan;
pub(crate) mod profile;
pub(crate) mod session;
