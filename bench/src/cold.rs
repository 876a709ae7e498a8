//! Cold start: from model bytes already in memory to the first result, for both runtimes.

use std::time::Instant;

use anyhow::Result;
use dram_core::{Model, Tensor};

use crate::peer::Ort;

/// Milliseconds from bytes to dram-core's first output on `inputs` (graph order).
pub fn dram(bytes: &[u8], inputs: &[Tensor]) -> Result<f64> {
    let started = Instant::now();
    let model = Model::from_bytes(bytes)?;
    std::hint::black_box(model.run_encoded(inputs.to_vec())?);
    Ok(started.elapsed().as_secs_f64() * 1e3)
}

/// Milliseconds from bytes to ONNX Runtime's first output (one intra-op thread; the
/// process-wide environment already exists).
pub fn ort(ort: &Ort, bytes: &[u8], inputs: &[(String, Tensor)]) -> Result<f64> {
    let started = Instant::now();
    let mut session = ort.session(bytes, 1)?;
    std::hint::black_box(session.run(inputs)?);
    Ok(started.elapsed().as_secs_f64() * 1e3)
}
