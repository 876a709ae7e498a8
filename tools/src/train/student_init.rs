//! Word-piece students start from what the teacher knows about words: each piece's row of a
//! BERT input-embedding table, projected onto the table's `dim` principal components. A 32-wide
//! student table trained from random rows only learns pieces the labelled reviews use often;
//! started from MiniLM's 384-wide rows, rare pieces begin near the words they resemble.
//!
//! The principal components come from subspace iteration on the 384 x 384 covariance of the
//! student's own pieces (no linear-algebra crate for one eigenproblem of this size).

use std::path::Path;

use anyhow::{ensure, Context, Result};
use candle_core::Device;
use dram_core::manifest::{FeatureKind, WordPieceSpec};

use crate::data::wordpiece::WordPiece;
use crate::model::config::Config;
use crate::rng::Rng;
use crate::model::net::Net;

/// The tensor of a BERT checkpoint holding the input embedding of every vocabulary id.
pub const WORD_EMBEDDINGS: &str = "embeddings.word_embeddings.weight";

/// Standard deviation of the initial rows (the projections are rescaled to it).
const INIT_STD: f64 = 0.1;

/// Subspace iterations; the leading components of an embedding table converge in a few dozen.
const ITERATIONS: usize = 60;

/// Overwrites the tables of the word-piece features whose config names `init_embeddings` with
/// the projected teacher rows. Row 0 (unknown and padding) keeps its random start.
pub fn initialise(config: &Config, net: &mut Net) -> Result<()> {
    let tables = net.spec.tables();
    for f in &config.features {
        let Some(w) = &f.word_pieces else { continue };
        let Some(path) = &w.init_embeddings else { continue };
        let feature = net.spec.manifest.feature(&f.name).expect("configured features are in the manifest");
        let FeatureKind::WordPieces { tokenizer } = &feature.kind else { continue };
        let table = net.spec.table(feature).expect("word pieces have a table");
        let t = tables.iter().position(|t| *t == table).expect("the spec lists its tables");
        let rows = projected_rows(&w.vocab, path, tokenizer, table.dim)?;
        net.tables[t].data[table.dim..].copy_from_slice(&rows);
    }
    Ok(())
}

/// Rows `1..` of a student table: the teacher row of each piece of `spec.vocab` (ids from the
/// `tokenizer.json` at `vocab`), centred, projected onto its `dim` leading principal directions
/// and scaled to standard deviation [`INIT_STD`]; `spec.vocab.len() * dim` values.
pub fn projected_rows(vocab: &Path, embeddings: &Path, spec: &WordPieceSpec, dim: usize) -> Result<Vec<f32>> {
    let full = WordPiece::load(vocab).with_context(|| format!("reading {}", vocab.display()))?;
    let tensors = candle_core::safetensors::load(embeddings, &Device::Cpu)
        .with_context(|| format!("reading the teacher embeddings {}", embeddings.display()))?;
    let table = tensors
        .get(WORD_EMBEDDINGS)
        .with_context(|| format!("{} has no tensor `{WORD_EMBEDDINGS}`", embeddings.display()))?;
    let (rows, width) = table.dims2()?;
    ensure!(dim <= width, "the student's {dim}-wide rows cannot come from {width}-wide teacher rows");
    let table = table.to_dtype(candle_core::DType::F32)?.flatten_all()?.to_vec1::<f32>()?;
    let mut x = Vec::with_capacity(spec.vocab.len() * width);
    for piece in spec.vocab.iter() {
        let id = full.vocabulary().id(piece).with_context(|| format!("piece `{piece}` is not in {}", vocab.display()))? as usize;
        ensure!(id < rows, "piece `{piece}` has id {id}, past the {rows} rows of {WORD_EMBEDDINGS}");
        x.extend(table[id * width..(id + 1) * width].iter().map(|&v| f64::from(v)));
    }
    Ok(principal_projection(&mut x, width, dim))
}

/// Projects the rows of `x` (`n x width`, centred in place) onto their `dim` leading principal
/// directions, rescaled to standard deviation [`INIT_STD`].
fn principal_projection(x: &mut [f64], width: usize, dim: usize) -> Vec<f32> {
    let n = x.len() / width;
    for c in 0..width {
        let mean = (0..n).map(|r| x[r * width + c]).sum::<f64>() / n.max(1) as f64;
        (0..n).for_each(|r| x[r * width + c] -= mean);
    }
    let mut cov = vec![0f64; width * width];
    for row in x.chunks(width) {
        for (i, &a) in row.iter().enumerate() {
            let line = &mut cov[i * width..(i + 1) * width];
            line.iter_mut().zip(row).for_each(|(c, &b)| *c += a * b);
        }
    }
    // Subspace iteration: Q <- orth(C Q), columns stored as rows of `q` (dim x width).
    let mut rng = Rng::new(17);
    let mut q: Vec<f64> = rng.normals(dim * width, 1.0).into_iter().map(f64::from).collect();
    orthonormalise(&mut q, width);
    for _ in 0..ITERATIONS {
        let mut next = vec![0f64; dim * width];
        for k in 0..dim {
            for i in 0..width {
                next[k * width + i] = cov[i * width..(i + 1) * width].iter().zip(&q[k * width..(k + 1) * width]).map(|(a, b)| a * b).sum();
            }
        }
        orthonormalise(&mut next, width);
        q = next;
    }
    let projected: Vec<f64> =
        x.chunks(width).flat_map(|row| q.chunks(width).map(|d| row.iter().zip(d).map(|(a, b)| a * b).sum::<f64>()).collect::<Vec<_>>()).collect();
    let std = (projected.iter().map(|v| v * v).sum::<f64>() / projected.len().max(1) as f64).sqrt();
    let scale = if std > 0.0 { INIT_STD / std } else { 0.0 };
    projected.into_iter().map(|v| (v * scale) as f32).collect()
}

/// Gram-Schmidt on the rows of `q` (each `width` long).
fn orthonormalise(q: &mut [f64], width: usize) {
    let rows = q.len() / width;
    for k in 0..rows {
        for j in 0..k {
            let dot: f64 = (0..width).map(|i| q[k * width + i] * q[j * width + i]).sum();
            (0..width).for_each(|i| q[k * width + i] -= dot * q[j * width + i]);
        }
        let norm = (0..width).map(|i| q[k * width + i].powi(2)).sum::<f64>().sqrt().max(1e-12);
        (0..width).for_each(|i| q[k * width + i] /= norm);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_the_leading_directions_of_low_rank_rows() {
        // Rows a * u + b * v with var(a) = 16 >> var(b) = 1 along orthogonal u, v in R^6, plus
        // a constant offset: the first component is u (up to sign), the second v.
        let u = [1.0, 1.0, 0.0, 0.0, 1.0, 1.0].map(|v: f64| v / 2.0);
        let v = [0.0, 0.0, 1.0, -1.0, 0.0, 0.0].map(|v: f64| v / 2f64.sqrt());
        let mut rng = Rng::new(3);
        let (a, b) = (rng.normals(500, 4.0), rng.normals(500, 1.0));
        let mut x: Vec<f64> =
            (0..500).flat_map(|r| (0..6).map(|i| 3.0 + f64::from(a[r]) * u[i] + f64::from(b[r]) * v[i]).collect::<Vec<_>>()).collect();
        let p = principal_projection(&mut x, 6, 2);
        let corr = |k: usize, truth: &[f32]| {
            let col: Vec<f64> = (0..500).map(|r| f64::from(p[r * 2 + k])).collect();
            let dot: f64 = col.iter().zip(truth).map(|(c, t)| c * f64::from(*t)).sum();
            let norms = col.iter().map(|c| c * c).sum::<f64>().sqrt() * truth.iter().map(|t| f64::from(*t).powi(2)).sum::<f64>().sqrt();
            (dot / norms).abs()
        };
        assert!(corr(0, &a) > 0.999 && corr(1, &b) > 0.999, "{} {}", corr(0, &a), corr(1, &b));
        let std = (p.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / p.len() as f64).sqrt();
        assert!((std - INIT_STD).abs() < 1e-6);
    }

    #[test]
    fn rows_follow_the_student_vocabulary_and_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("dram-student-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pieces = ["[UNK]", "[CLS]", "[SEP]", "good", "bad", "fit"];
        let vocab: serde_json::Map<String, serde_json::Value> = pieces.iter().enumerate().map(|(i, p)| (p.to_string(), i.into())).collect();
        let tokenizer = dir.join("tokenizer.json");
        std::fs::write(&tokenizer, serde_json::json!({ "model": { "vocab": vocab } }).to_string()).unwrap();
        // Teacher rows: id * (1, 1, 1): one direction, so each projection is +-(id - mean) scaled.
        let teacher: Vec<f32> = (0..6).flat_map(|id| [id as f32; 3]).collect();
        let weights = dir.join("model.safetensors");
        let tensor = candle_core::Tensor::from_vec(teacher, (6, 3), &Device::Cpu).unwrap();
        candle_core::safetensors::save(&std::collections::HashMap::from([(WORD_EMBEDDINGS.to_string(), tensor)]), &weights).unwrap();
        let spec = WordPieceSpec::new(vec!["fit".into(), "good".into(), "bad".into()], 8, 2);
        let rows = projected_rows(&tokenizer, &weights, &spec, 1).unwrap();
        // ids 5, 3, 4 centred on 4: +1, -1, 0 (times a common scale and sign).
        assert!((rows[0] + rows[1]).abs() < 1e-6 && rows[2].abs() < 1e-6 && rows[0].abs() > 0.1, "{rows:?}");
        let missing = WordPieceSpec::new(vec!["great".into()], 8, 2);
        let err = projected_rows(&tokenizer, &weights, &missing, 1).unwrap_err();
        assert!(format!("{err:#}").contains("piece `great` is not in"), "{err:#}");
        let err = projected_rows(&tokenizer, &weights, &spec, 4).unwrap_err();
        assert!(format!("{err:#}").contains("the student's 4-wide rows cannot come from 3-wide teacher rows"), "{err:#}");
        let err = projected_rows(&tokenizer, &dir.join("none.safetensors"), &spec, 1).unwrap_err();
        assert!(format!("{err:#}").contains("reading the teacher embeddings"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
