//! A finished `dram-lab finetune-text-teacher` run, loaded: what the transfer set and the
//! teacher-against-students timing both start from.

use std::path::Path;

use anyhow::{ensure, Result};

use super::bert::BertConfig;
use super::cached_logits;
use super::options::{self, FinetuneOptions};
use super::teacher::Teacher;
use crate::data::wordpiece::WordPiece;
use crate::data::Table;

/// A finished `dram-lab finetune-text-teacher` run: its options, the encoder's configuration and
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
        let options = options::saved_options(dir)?;
        let weights = dir.join("teacher.safetensors");
        ensure!(weights.exists(), "{} is missing: the fine-tuning run in {} has not finished", weights.display(), dir.display());
        let config = options::encoder_config(&options.model_dir)?;
        let teacher = Teacher::new(&config, &options::heads(&options))?;
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
