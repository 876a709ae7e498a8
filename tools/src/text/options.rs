//! What a teacher fine-tuning run is started with ([`FinetuneOptions`]), as the run saves it in
//! its checkpoint and as the code that reads a finished run (cached logits, the transfer set,
//! the latency comparison) finds it again: its encoder's configuration and its heads.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::bert::BertConfig;
use super::teacher::Head;

/// What to fine-tune on and how.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FinetuneOptions {
    /// Directory with `config.json`, `model.safetensors`, `tokenizer.json`.
    pub model_dir: PathBuf,
    /// Directory with `train.csv`, `valid.csv`, `test.csv`.
    pub data_dir: PathBuf,
    /// Text column.
    pub text_column: String,
    /// One head per label column.
    pub heads: Vec<(String, usize)>,
    /// Word pieces kept per text, `[CLS]` and `[SEP]` included.
    pub max_len: usize,
    /// Rows per step.
    pub batch_size: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Decoupled weight decay (not on biases, LayerNorm or embeddings).
    pub weight_decay: f64,
    /// Passes over the (sampled) training rows.
    pub epochs: usize,
    /// Train on this many training rows drawn at random (all when `None`).
    pub sample: Option<usize>,
    /// Fraction of steps spent warming up.
    pub warmup: f64,
    /// Steps between checkpoints.
    pub checkpoint_every: usize,
    /// Seed of head initialisation, sampling and batch order.
    pub seed: u64,
    /// Embeddings and this many lower layers stay frozen: their outputs are computed once
    /// per text (and kept under `<out>/states`), and only the layers above are trained. 0
    /// fine-tunes the whole encoder.
    pub frozen_layers: usize,
    /// Start from these teacher weights (encoder and heads, e.g. an earlier run's
    /// `teacher.safetensors`) instead of the pretrained encoder and fresh heads.
    #[serde(default)]
    pub init: Option<PathBuf>,
    /// Skip this many rows of the shuffled training order before sampling, so a run continued
    /// from `init` (same seed) sees rows the first run did not.
    #[serde(default)]
    pub skip: usize,
    /// Class weighting of the training loss: each class weighs `(n / (k * n_c))^balance`
    /// (0: plain cross-entropy, 1: every class carries the same total weight). Counts are
    /// taken over the rows trained on.
    #[serde(default)]
    pub balance: f64,
}

/// A fine-tuning checkpoint's `state.json`: where the run stopped and what it was started with.
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct State {
    pub(super) step: usize,
    pub(super) total_steps: usize,
    pub(super) options: FinetuneOptions,
}

/// The options the run in `out` was started with (from its checkpoint state).
pub fn saved_options(out: &Path) -> Result<FinetuneOptions> {
    let path = out.join("checkpoint").join("state.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("reading {}: expected the output directory of a `dram-lab finetune-text-teacher` run", path.display()))?;
    Ok(serde_json::from_str::<State>(&text).with_context(|| format!("parsing {}", path.display()))?.options)
}

/// The encoder's `config.json` in `model_dir`.
pub fn encoder_config(model_dir: &Path) -> Result<BertConfig> {
    let path = model_dir.join("config.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}: run scripts/fetch-minilm.sh", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not a BERT config.json", path.display()))
}

/// The heads the options describe.
pub fn heads(options: &FinetuneOptions) -> Vec<Head> {
    options.heads.iter().map(|(name, classes)| Head { name: name.clone(), classes: *classes }).collect()
}

