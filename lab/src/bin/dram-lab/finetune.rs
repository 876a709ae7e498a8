//! `dram-lab finetune-text-teacher`'s options: the library's `FinetuneOptions` as flags, with
//! defaults naming this repository's data folders.

use std::path::PathBuf;

use anyhow::{Context, Result};
use dram_tools::text::options::FinetuneOptions;

/// Options of `finetune-text-teacher` (see `dram_tools::text::options::FinetuneOptions`).
#[derive(clap::Args)]
pub struct FinetuneArgs {
    /// Directory with config.json, model.safetensors and tokenizer.json.
    #[arg(long, default_value = "data/minilm")]
    model_dir: PathBuf,
    /// Directory with train.csv, valid.csv and test.csv.
    #[arg(long, default_value = "data/reviews/prepared")]
    data: PathBuf,
    /// Output directory: checkpoint/, teacher.safetensors, cached-logit CSVs, metrics.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Text column.
    #[arg(long, default_value = "text")]
    text_column: String,
    /// Heads as label-column:classes, comma-separated.
    #[arg(long, default_value = "recommended:2,sentiment:3")]
    heads: String,
    /// Word pieces kept per text, [CLS] and [SEP] included.
    #[arg(long, default_value_t = 64)]
    max_len: usize,
    /// Rows per step.
    #[arg(long, default_value_t = 32)]
    batch_size: usize,
    /// Peak learning rate (linear warm-up, then linear decay to zero).
    #[arg(long, default_value_t = 8e-5)]
    lr: f64,
    /// Decoupled weight decay (not on biases, LayerNorm or embeddings).
    #[arg(long, default_value_t = 0.01)]
    weight_decay: f64,
    /// Passes over the (sampled) training rows.
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    /// Train on this many randomly drawn training rows.
    #[arg(long)]
    sample: Option<usize>,
    /// Fraction of steps warming up.
    #[arg(long, default_value_t = 0.06)]
    warmup: f64,
    /// Steps between checkpoints (a rerun resumes from the last).
    #[arg(long, default_value_t = 25)]
    checkpoint_every: usize,
    /// Seed of head initialisation, sampling and batch order.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Freeze the embeddings and this many lower layers (0: fine-tune the whole encoder).
    #[arg(long, default_value_t = 0)]
    frozen_layers: usize,
    /// Start from an earlier run's teacher.safetensors (encoder and heads) instead of the
    /// pretrained encoder.
    #[arg(long)]
    init: Option<PathBuf>,
    /// Skip this many rows of the shuffled training order before sampling (with --init and the
    /// same --seed: rows the earlier run did not train on).
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// Class weighting of the loss: class c weighs (rows / (classes * rows of c))^balance,
    /// scaled to a mean of 1 (0: plain cross-entropy, 1: balanced classes).
    #[arg(long, default_value_t = 0.0)]
    balance: f64,
}

impl FinetuneArgs {
    pub fn into_options(self) -> Result<FinetuneOptions> {
        let heads = self
            .heads
            .split(',')
            .map(|h| {
                let (name, classes) = h.split_once(':').with_context(|| format!("--heads entry `{h}`: expected column:classes"))?;
                Ok((name.to_string(), classes.parse().with_context(|| format!("--heads entry `{h}`: classes must be a number"))?))
            })
            .collect::<Result<_>>()?;
        Ok(FinetuneOptions {
            model_dir: self.model_dir,
            data_dir: self.data,
            text_column: self.text_column,
            heads,
            max_len: self.max_len,
            batch_size: self.batch_size,
            lr: self.lr,
            weight_decay: self.weight_decay,
            epochs: self.epochs,
            sample: self.sample,
            warmup: self.warmup,
            checkpoint_every: self.checkpoint_every,
            seed: self.seed,
            frozen_layers: self.frozen_layers,
            init: self.init,
            skip: self.skip,
            balance: self.balance,
        })
    }
}

