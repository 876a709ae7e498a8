//! An encoded data set scored by `dram-core`, the runtime the phones run: evaluation reports
//! these numbers, and a teacher model file's logits reach distillation through them.

use anyhow::Result;
use dram_core::manifest::OutputMeaning;
use dram_core::Model;

use super::dataset::Dataset;

/// Runs the model over every row of `data` through `dram-core`; returns the primary output,
/// `output_width` values per row.
pub fn score(model: &Model, data: &Dataset) -> Result<Vec<f32>> {
    let mut out = Vec::with_capacity(data.rows * model.output_width());
    let all: Vec<usize> = (0..data.rows).collect();
    for chunk in all.chunks(4096) {
        out.extend(model.run_encoded(data.tensors(chunk))?);
    }
    Ok(out)
}

/// A teacher's logits for every row: its primary output, with probabilities (a teacher whose
/// manifest says `probability`) turned into logits, clamped to `(1e-6, 1 - 1e-6)` first.
pub fn teacher_logits(model: &Model, data: &Dataset) -> Result<Vec<f32>> {
    let outputs = score(model, data)?;
    Ok(match model.manifest().outputs[0].meaning {
        OutputMeaning::Probability => outputs
            .into_iter()
            .map(|p| {
                let p = p.clamp(1e-6, 1.0 - 1e-6);
                (p / (1.0 - p)).ln()
            })
            .collect(),
        _ => outputs,
    })
}
