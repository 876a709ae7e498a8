//! Export: a trained network becomes one ONNX file with its manifest embedded.
//!
//! The float graph is laid out for tract's fast paths: no integer arithmetic (preprocessing
//! hands the graph clean row indices and pooling weights), pooling as broadcast `Mul` plus
//! `ReduceSum` rather than batched `MatMul`, and `Gemm` with `transB = 1` so candle's
//! `(out, in)` weights are stored as they are.

mod graph;

use anyhow::{Context, Result};
use dram_core::manifest::Manifest;

use crate::arch::{NetSpec, Params};

pub use graph::fp32_graph;

/// Exports `spec` with `params` as an fp32 model file carrying `manifest` (whose features
/// and outputs must be the spec's), returning the file's bytes.
pub fn fp32_model(spec: &NetSpec, params: &Params, manifest: &Manifest) -> Result<Vec<u8>> {
    let mut proto = fp32_graph(spec, params)?;
    dram_core::model_file::embed_manifest(&mut proto, manifest).context("embedding the manifest")?;
    Ok(dram_core::model_file::encode(&proto))
}
