//! Export: a trained network becomes one ONNX file with its manifest embedded ([`builder`]
//! writes the ONNX messages; [`compressed`] is the quantize-export-check pipeline per target,
//! [`checkpoint`] runs it on a checkpoint directory),
//! and the tools that read such files back: [`lint`], [`sign`], [`inspect`].
//!
//! The float graph is laid out for tract's fast paths: no integer arithmetic (preprocessing
//! hands the graph clean row indices and pooling weights), pooling as broadcast `Mul` plus
//! `ReduceSum` rather than batched `MatMul`, and `Gemm` with `transB = 1` so candle's
//! `(out, in)` weights are stored as they are. Int8 networks export per [`Target`]: see
//! `docs/quantization.md`.

pub mod builder;
pub mod checkpoint;
pub mod compressed;
mod graph;
pub mod inspect;
mod int8;
pub mod lint;
mod qdq;
pub mod sign;

use anyhow::{Context, Result};
use dram_core::manifest::{Manifest, NumberFormat};

use crate::model::arch::{NetSpec, Params};
use crate::compress::quantize::model::QuantizedNet;

pub use compressed::{compress, report_table, Compressed, Request};
pub use graph::{float_graph, fp32_graph, WeightStorage};
pub use int8::int8_graph;
pub use qdq::qdq_graph;

/// A deployment profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// `dram-core` on ARM/x86 CPUs: symbolic candidate count, int8 as `MatMulInteger` with
    /// int8 table gathers (tract's integer kernels).
    Cpu,
    /// NPUs through ONNX Runtime execution providers (NNAPI, QNN): QDQ format, static shapes,
    /// a documented operator allow-list.
    Npu,
    /// Core ML conversion: fp16 (or int8 weight-only) weights, static shapes.
    Coreml,
}

impl Target {
    /// The name written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Cpu => "cpu",
            Target::Npu => "npu",
            Target::Coreml => "coreml",
        }
    }
}

/// Exports `spec` with `params` as an fp32 model file carrying `manifest` (whose features
/// and outputs must be the spec's), returning the file's bytes.
pub fn fp32_model(spec: &NetSpec, params: &Params, manifest: &Manifest) -> Result<Vec<u8>> {
    let mut proto = fp32_graph(spec, params)?;
    dram_core::model_file::embed_manifest(&mut proto, manifest).context("embedding the manifest")?;
    Ok(dram_core::model_file::encode(&proto))
}

/// Bytes of a network's fp32 model file, with the manifest its spec carries (the size pruning
/// reports, [`crate::compress::prune::FileBytes`]).
pub fn fp32_bytes(net: &crate::model::net::Net) -> Result<usize> {
    Ok(fp32_model(&net.spec, &net.params()?, &net.spec.manifest)?.len())
}

/// Exports a quantized network for the `cpu` target: the int8 graph `dram-core` runs on
/// integer kernels. `calibration` names the calibration in the manifest.
pub fn int8_model(net: &QuantizedNet, manifest: &Manifest, calibration: &str) -> Result<Vec<u8>> {
    let mut proto = int8_graph(net)?;
    builder::compact(&mut proto);
    dram_core::model_file::embed_manifest(&mut proto, &int8_manifest(manifest, Target::Cpu, calibration))
        .context("embedding the manifest")?;
    Ok(dram_core::model_file::encode(&proto))
}

/// Exports a quantized network for the `npu` target: QDQ format, `batch` rows.
pub fn qdq_model(net: &QuantizedNet, manifest: &Manifest, batch: usize, calibration: &str) -> Result<Vec<u8>> {
    let mut proto = qdq_graph(net, batch)?;
    builder::compact(&mut proto);
    dram_core::model_file::embed_manifest(&mut proto, &int8_manifest(manifest, Target::Npu, calibration))
        .context("embedding the manifest")?;
    Ok(dram_core::model_file::encode(&proto))
}

/// Exports a float network for the `coreml` target: static shapes with `batch` rows and
/// weights stored as `storage` (float arithmetic).
pub fn weight_only_model(spec: &NetSpec, params: &Params, manifest: &Manifest, batch: usize, storage: WeightStorage) -> Result<Vec<u8>> {
    let mut proto = float_graph(spec, params, Some(batch), storage)?;
    let mut manifest = manifest.clone();
    manifest.quantization.weights = match storage {
        WeightStorage::F32 => NumberFormat::F32,
        WeightStorage::F16 => NumberFormat::F16,
        WeightStorage::Int8 => NumberFormat::Int8,
    };
    manifest.quantization.activations = NumberFormat::F32;
    manifest.quantization.per_channel = storage == WeightStorage::Int8;
    manifest.quantization.target = Target::Coreml.as_str().into();
    dram_core::model_file::embed_manifest(&mut proto, &manifest).context("embedding the manifest")?;
    Ok(dram_core::model_file::encode(&proto))
}

/// `manifest` describing an int8 model (per-channel weights, int8 activations) for `target`.
fn int8_manifest(manifest: &Manifest, target: Target, calibration: &str) -> Manifest {
    let mut manifest = manifest.clone();
    manifest.quantization.weights = NumberFormat::Int8;
    manifest.quantization.activations = NumberFormat::Int8;
    manifest.quantization.per_channel = true;
    manifest.quantization.calibration = Some(calibration.to_string());
    manifest.quantization.target = target.as_str().into();
    manifest
}
