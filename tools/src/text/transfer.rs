//! The transfer set text students are distilled on: the fine-tuned teacher's cached logits for
//! the training rows, plus perturbed copies of those rows ([`super::augment`]) that the teacher
//! scores here, so the student sees the teacher's judgement on texts beyond the labelled ones.

use std::path::Path;

use anyhow::{ensure, Context, Result};

use super::augment::{self, Perturbation};
use super::cached_logits;
use super::bert::BertConfig;
use super::finetune::{self, FinetuneOptions};
use super::teacher::Teacher;
use super::wordpiece::WordPiece;
use crate::data::{self, Table};

/// A finished `dram finetune-text-teacher` run: its options, the encoder's configuration and
/// the fine-tuned weights.
pub struct Finetuned {
    /// The options the run was started with.
    pub options: FinetuneOptions,
    /// The encoder's configuration.
    pub config: BertConfig,
    /// The fine-tuned teacher.
    pub teacher: Teacher,
}

impl Finetuned {
    /// Loads the run in `dir`; fails, saying so, when it has not finished.
    pub fn load(dir: &Path) -> Result<Finetuned> {
        let options = finetune::saved_options(dir)?;
        let config: BertConfig = serde_json::from_str(
            &std::fs::read_to_string(options.model_dir.join("config.json")).with_context(|| format!("reading {}/config.json", options.model_dir.display()))?,
        )?;
        let teacher = Teacher::new(&config, &finetune::heads(&options))?;
        let weights = dir.join("teacher.safetensors");
        ensure!(weights.exists(), "{} is missing: the fine-tuning run in {} has not finished", weights.display(), dir.display());
        teacher.vars.clone().load(&weights)?;
        Ok(Finetuned { options, config, teacher })
    }

    /// `table` with the teacher's logits of its text column in the cached-logit columns
    /// (replaced when present, added otherwise).
    pub fn score(&self, mut table: Table) -> Result<Table> {
        let wp = WordPiece::load(&self.options.model_dir.join("tokenizer.json"))?;
        let text = table.column(&self.options.text_column)?;
        let tokens: Vec<Vec<u32>> = (0..table.rows()).map(|i| wp.encode(&text.text(i), self.options.max_len)).collect();
        let logits = cached_logits::predict(&self.teacher, &self.config, &self.options, &tokens)?;
        for (name, column) in cached_logits::logit_columns(&self.options, &logits) {
            if table.names().contains(&name) {
                table.replace(&name, column)?;
            } else {
                table.push(name, column)?;
            }
        }
        Ok(table)
    }
}

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
