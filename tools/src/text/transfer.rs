//! The transfer set text students are distilled on: the fine-tuned teacher's cached logits for
//! the training rows, plus perturbed copies of those rows ([`crate::data::augment`]) that the teacher
//! scores here, so the student sees the teacher's judgement on texts beyond the labelled ones.

use std::path::Path;

use anyhow::{Context, Result};

use crate::data::augment::{self, Perturbation};
use super::finetuned::Finetuned;
use crate::data::{self, Table};

/// The teacher run's cached training rows (`<dir>/train.csv`) followed by `copies` perturbed
/// copies of each, scored by the teacher (their hard labels are their source row's).
pub fn transfer_set(dir: &Path, copies: usize, how: Perturbation, seed: u64) -> Result<Table> {
    let finetuned = Finetuned::load(dir)?;
    let path = dir.join("train.csv");
    let mut cached = data::read(&path).with_context(|| format!("{}: the run has not cached its logits yet", path.display()))?;
    let started = std::time::Instant::now();
    let copies = finetuned.score(augment::augment(&cached, &finetuned.options.text_column, copies, how, seed)?)?;
    eprintln!("teacher scored {} augmented copies in {:.0}s", copies.rows(), started.elapsed().as_secs_f64());
    cached.append(&copies)?;
    Ok(cached)
}
