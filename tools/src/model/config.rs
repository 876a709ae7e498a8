//! The TOML configuration of a model: its features (the manifest's feature kinds, plus the data
//! column each is read from and its embedding width), the network's layers, and training and
//! distillation settings. Statistics the manifest needs (numeric means and deviations,
//! vocabulary sizes) are fitted on the training data by [`Config::manifest`].

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use dram_core::manifest::{FeatureKind, FeatureSpec, Manifest, OutputMeaning, OutputSpec, Scope, Task, TokenizerSpec};
use dram_core::EventKind;
use serde::{Deserialize, Serialize};

use super::arch::{NetSpec, Pooling};
pub use super::vocab::WordPieceConfig;
use crate::data::{Column, Table};

/// A whole model configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `ranker` or `classifier`.
    pub task: Task,
    /// Column holding the label: 0/1 for rankers, the class index for classifiers.
    pub label: String,
    /// Column grouping rows into one user's list (listwise loss, NDCG); optional.
    #[serde(default)]
    pub group: Option<String>,
    /// Column of item keys the user interacted with before each row (oldest first; a list,
    /// or a space-separated string); feeds every sequence feature.
    #[serde(default)]
    pub history: Option<String>,
    /// Input features.
    #[serde(rename = "feature")]
    pub features: Vec<FeatureConfig>,
    /// Network sizes.
    #[serde(default)]
    pub model: ModelConfig,
    /// Optimisation settings.
    #[serde(default)]
    pub train: TrainConfig,
    /// Distillation settings.
    #[serde(default)]
    pub distill: DistillConfig,
}

/// One feature as configured.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FeatureConfig {
    /// Feature name (and manifest name).
    pub name: String,
    /// Data column; defaults to `name`.
    #[serde(default)]
    pub column: Option<String>,
    /// `categorical`, `hashed`, `numeric`, `sequence`, `text` or `word_pieces`.
    pub kind: String,
    /// `candidate`, `context` or `history` (default: `history` for sequences, else `candidate`).
    #[serde(default)]
    pub scope: Option<Scope>,
    /// Whether this is the item key.
    #[serde(default)]
    pub item_key: bool,
    /// Categorical: number of ids (default: fitted as max id + 1).
    #[serde(default)]
    pub vocab_size: Option<u64>,
    /// Hashed and text: buckets.
    #[serde(default)]
    pub buckets: Option<u64>,
    /// Hashed and text: hash salt (default: derived from the name).
    #[serde(default)]
    pub salt: Option<u64>,
    /// Numeric: apply `ln(1 + x)` first.
    #[serde(default)]
    pub log1p: bool,
    /// Sequence: positions kept.
    #[serde(default)]
    pub max_len: Option<u32>,
    /// Sequence: the candidate feature whose table the items share.
    #[serde(default)]
    pub item_feature: Option<String>,
    /// Sequence: event kinds kept.
    #[serde(default)]
    pub event_kinds: Vec<EventKind>,
    /// Sequence: pooling.
    #[serde(default)]
    pub pooling: Pooling,
    /// Embedding width (overrides `model.embedding_dim`).
    #[serde(default)]
    pub embedding_dim: Option<usize>,
    /// Text: tokenizer settings.
    #[serde(default)]
    pub tokenizer: Option<TextConfig>,
    /// Word pieces: vocabulary source, sequence length and convolution.
    #[serde(default)]
    pub word_pieces: Option<WordPieceConfig>,
}

/// Text tokenizer settings (the manifest's [`TokenizerSpec`] minus buckets and salt).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TextConfig {
    /// Lower-case first.
    #[serde(default = "yes")]
    pub lowercase: bool,
    /// Strip accents.
    #[serde(default = "yes")]
    pub strip_accents: bool,
    /// Word n-gram orders.
    #[serde(default = "default_word_ngrams")]
    pub word_ngrams: Vec<u8>,
    /// Character n-gram orders.
    #[serde(default)]
    pub char_ngrams: Vec<u8>,
    /// Tokens kept.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
}

fn yes() -> bool {
    true
}
fn default_word_ngrams() -> Vec<u8> {
    vec![1, 2]
}
fn default_max_tokens() -> u32 {
    256
}

/// Network sizes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Default embedding width.
    #[serde(default = "default_dim")]
    pub embedding_dim: usize,
    /// MLP hidden widths.
    #[serde(default = "default_hidden")]
    pub hidden: Vec<usize>,
    /// Classifier class names, in label-index order.
    #[serde(default)]
    pub labels: Vec<String>,
}

fn default_dim() -> usize {
    8
}
fn default_hidden() -> Vec<usize> {
    vec![32, 16]
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig { embedding_dim: default_dim(), hidden: default_hidden(), labels: vec![] }
    }
}

/// Optimisation settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Passes over the training data (upper bound with early stopping).
    #[serde(default = "default_epochs")]
    pub epochs: usize,
    /// Rows per step.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Peak learning rate of AdamW.
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Decoupled weight decay.
    #[serde(default)]
    pub weight_decay: f64,
    /// Seed of initialisation and shuffling.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Epochs without validation improvement before stopping.
    #[serde(default = "default_patience")]
    pub patience: usize,
    /// Warm-up steps of the learning-rate schedule (linear), then cosine decay to 10%.
    #[serde(default = "default_warmup")]
    pub warmup_steps: usize,
    /// Rows of one group per list in a batch (for the listwise loss).
    #[serde(default = "default_list")]
    pub list_size: usize,
}

fn default_epochs() -> usize {
    5
}
fn default_batch() -> usize {
    512
}
fn default_lr() -> f64 {
    3e-3
}
fn default_seed() -> u64 {
    1
}
fn default_patience() -> usize {
    2
}
fn default_warmup() -> usize {
    50
}
fn default_list() -> usize {
    16
}

impl Default for TrainConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

/// Which soft loss distillation uses.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SoftLoss {
    /// Sigmoid cross-entropy on tempered logits (binary tasks).
    #[default]
    Binary,
    /// Softmax over each group's list (ranking distillation).
    Listwise,
    /// KL on tempered class softmax (classifiers).
    Multiclass,
}

/// Distillation settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DistillConfig {
    /// Weight of the hard-label loss; `1 - alpha` goes to the soft loss.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Temperature.
    #[serde(default = "default_temperature")]
    pub temperature: f64,
    /// Soft loss.
    #[serde(default)]
    pub soft: SoftLoss,
    /// Extra weight of MSE between student and teacher logits.
    #[serde(default)]
    pub mse_weight: f64,
}

fn default_alpha() -> f64 {
    0.3
}
fn default_temperature() -> f64 {
    2.0
}

impl Default for DistillConfig {
    fn default() -> Self {
        DistillConfig { alpha: default_alpha(), temperature: default_temperature(), soft: SoftLoss::Binary, mse_weight: 0.0 }
    }
}

impl Config {
    /// Reads and checks a TOML file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Config::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    /// Parses and checks TOML text.
    pub fn parse(text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text)?;
        if config.features.is_empty() {
            bail!("expected at least one [[feature]], found none");
        }
        if config.task == Task::Classifier && config.model.labels.len() < 2 {
            bail!("a classifier needs model.labels with at least two class names");
        }
        Ok(config)
    }

    /// The data column of a feature.
    pub fn column_of<'a>(&self, feature: &'a FeatureConfig) -> &'a str {
        feature.column.as_deref().unwrap_or(&feature.name)
    }

    /// Checks the data has every column the config names, with usable types.
    pub fn check_columns(&self, table: &Table) -> Result<()> {
        let label = table.column(&self.label).context("the label column")?;
        if label.number(0).is_none() && !label.is_empty() {
            bail!("label column `{}` is {}, expected numbers", self.label, label.type_name());
        }
        if let Some(group) = &self.group {
            table.column(group).context("the group column")?;
        }
        for feature in &self.features {
            if feature.kind == "sequence" {
                let history = self.history.as_deref().ok_or_else(|| {
                    anyhow::anyhow!("feature `{}` is a sequence but the config names no `history` column", feature.name)
                })?;
                table.column(history).context("the history column")?;
                continue;
            }
            let column = table.column(self.column_of(feature)).with_context(|| format!("feature `{}`", feature.name))?;
            let ok = match feature.kind.as_str() {
                "numeric" => matches!(column, Column::Int(_) | Column::Float(_)),
                "categorical" => matches!(column, Column::Int(_) | Column::Str(_)),
                "hashed" => matches!(column, Column::Int(_) | Column::Str(_)),
                "text" | "word_pieces" => matches!(column, Column::Str(_)),
                other => bail!("feature `{}`: unknown kind `{other}` (expected categorical, hashed, numeric, sequence, text or word_pieces)", feature.name),
            };
            if !ok {
                bail!(
                    "feature `{}` of kind {} cannot read column `{}` of type {}",
                    feature.name,
                    feature.kind,
                    self.column_of(feature),
                    column.type_name()
                );
            }
        }
        Ok(())
    }

    /// The manifest, with statistics fitted on `train`.
    pub fn manifest(&self, train: &Table) -> Result<Manifest> {
        self.check_columns(train)?;
        let mut features = Vec::new();
        for f in &self.features {
            let column = if f.kind == "sequence" { None } else { Some(train.column(self.column_of(f))?) };
            let salt = f.salt.unwrap_or_else(|| dram_core::hash::hash64(0, f.name.as_bytes()) >> 40);
            let kind = match f.kind.as_str() {
                "categorical" => FeatureKind::Categorical {
                    vocab_size: match f.vocab_size {
                        Some(v) => v,
                        None => fit_vocab(column.expect("non-sequence"), &f.name)?,
                    },
                },
                "hashed" => FeatureKind::Hashed { buckets: need(f.buckets, f, "buckets")?, salt },
                "numeric" => {
                    let (mean, std) = fit_moments(column.expect("non-sequence"), f.log1p, &f.name)?;
                    FeatureKind::Numeric { mean, std, log1p: f.log1p }
                }
                "sequence" => FeatureKind::Sequence {
                    max_len: need(f.max_len, f, "max_len")?,
                    item_feature: need(f.item_feature.clone(), f, "item_feature")?,
                    event_kinds: f.event_kinds.clone(),
                },
                "text" => {
                    let t = f.tokenizer.clone().unwrap_or(TextConfig {
                        lowercase: true,
                        strip_accents: true,
                        word_ngrams: default_word_ngrams(),
                        char_ngrams: vec![],
                        max_tokens: default_max_tokens(),
                    });
                    FeatureKind::Text {
                        tokenizer: TokenizerSpec {
                            lowercase: t.lowercase,
                            strip_accents: t.strip_accents,
                            word_ngrams: t.word_ngrams,
                            char_ngrams: t.char_ngrams,
                            buckets: need(f.buckets, f, "buckets")?,
                            salt,
                            max_tokens: t.max_tokens,
                        },
                    }
                }
                "word_pieces" => {
                    let w = need(f.word_pieces.clone(), f, "word_pieces")?;
                    let texts = column.expect("non-sequence");
                    let texts = (0..train.rows()).map(|i| texts.text(i));
                    FeatureKind::WordPieces { tokenizer: super::vocab::fit(&w, texts)? }
                }
                other => bail!("feature `{}`: unknown kind `{other}`", f.name),
            };
            let scope = f.scope.unwrap_or(if f.kind == "sequence" { Scope::History } else { Scope::Candidate });
            let mut spec = FeatureSpec::new(&f.name, scope, kind);
            spec.item_key = f.item_key;
            features.push(spec);
        }
        let outputs = vec![match self.task {
            Task::Ranker => OutputSpec { name: "score".into(), meaning: OutputMeaning::Logit },
            Task::Classifier => OutputSpec {
                name: "logits".into(),
                meaning: OutputMeaning::ClassLogits { labels: self.model.labels.clone() },
            },
        }];
        let mut manifest = Manifest::new(self.task, features, outputs);
        manifest.provenance.tool = format!("dram {}", dram_core::VERSION);
        manifest.validate().context("the configured features do not form a valid manifest")?;
        Ok(manifest)
    }

    /// The network: the manifest plus embedding widths, pooling and hidden layers.
    pub fn net_spec(&self, manifest: Manifest) -> NetSpec {
        let mut embedding_dims = BTreeMap::new();
        let mut pooling = BTreeMap::new();
        let mut channels = BTreeMap::new();
        for f in &self.features {
            match f.kind.as_str() {
                "categorical" | "hashed" | "text" => {
                    embedding_dims.insert(f.name.clone(), f.embedding_dim.unwrap_or(self.model.embedding_dim));
                }
                "word_pieces" => {
                    embedding_dims.insert(f.name.clone(), f.embedding_dim.unwrap_or(self.model.embedding_dim));
                    channels.insert(f.name.clone(), f.word_pieces.as_ref().map_or(super::vocab::default_channels(), |w| w.channels));
                }
                "sequence" => {
                    pooling.insert(f.name.clone(), f.pooling);
                }
                _ => {}
            }
        }
        NetSpec { manifest, embedding_dims, pooling, channels, hidden: self.model.hidden.clone() }
    }
}

fn need<T>(value: Option<T>, f: &FeatureConfig, field: &str) -> Result<T> {
    value.ok_or_else(|| anyhow::anyhow!("feature `{}` of kind {} needs `{field}`", f.name, f.kind))
}

fn fit_vocab(column: &Column, name: &str) -> Result<u64> {
    let max = (0..column.len())
        .map(|i| column.text(i).trim().parse::<i64>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| anyhow::anyhow!("categorical feature `{name}` has non-integer values; use kind = \"hashed\""))?
        .into_iter()
        .max()
        .unwrap_or(0);
    Ok((max.max(0) + 1) as u64)
}

fn fit_moments(column: &Column, log1p: bool, name: &str) -> Result<(f32, f32)> {
    let values: Vec<f64> = (0..column.len())
        .filter_map(|i| column.number(i))
        .map(|x| if log1p { x.ln_1p() } else { x })
        .filter(|x| x.is_finite())
        .collect();
    if values.is_empty() {
        bail!("numeric feature `{name}` has no finite values to fit its normalisation");
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / values.len() as f64;
    let std = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
    Ok((mean as f32, std as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
task = "ranker"
label = "clicked"
history = "recent"

[[feature]]
name = "item"
kind = "categorical"
item_key = true

[[feature]]
name = "price"
kind = "numeric"
log1p = true

[[feature]]
name = "seq"
kind = "sequence"
max_len = 4
item_feature = "item"
"#;

    fn table() -> Table {
        let mut t = Table::new();
        t.push("item", Column::Int(vec![1, 5, 2])).unwrap();
        t.push("price", Column::Float(vec![1.0, 3.0, 7.0])).unwrap();
        t.push("recent", Column::List(vec![vec![], vec!["1".into()], vec!["1".into(), "5".into()]])).unwrap();
        t.push("clicked", Column::Int(vec![0, 1, 1])).unwrap();
        t
    }

    #[test]
    fn manifest_is_fitted_on_the_data() {
        let config = Config::parse(MINIMAL).unwrap();
        let manifest = config.manifest(&table()).unwrap();
        assert_eq!(manifest.features[0].kind, FeatureKind::Categorical { vocab_size: 6 });
        let FeatureKind::Numeric { mean, std, log1p: true } = manifest.features[1].kind else { panic!() };
        let logs = [2f64.ln(), 4f64.ln(), 8f64.ln()];
        let m = logs.iter().sum::<f64>() / 3.0;
        assert!((f64::from(mean) - m).abs() < 1e-6);
        assert!(std > 0.0);
        assert_eq!(manifest.features[2].scope, Scope::History);
    }

    #[test]
    fn config_errors_are_clear() {
        let unknown_column = MINIMAL.replace("name = \"price\"", "name = \"price\"\ncolumn = \"cost\"");
        let msg = format!("{:#}", Config::parse(&unknown_column).unwrap().manifest(&table()).unwrap_err());
        assert!(msg.contains("unknown column `cost`"), "{msg}");
        let no_label = MINIMAL.replace("label = \"clicked\"", "label = \"bought\"");
        let msg = format!("{:#}", Config::parse(&no_label).unwrap().manifest(&table()).unwrap_err());
        assert!(msg.contains("label column") && msg.contains("`bought`"), "{msg}");
        let mut t = table();
        t.push("name", Column::Str(vec!["a".into(), "b".into(), "c".into()])).unwrap();
        let wrong_type = MINIMAL.replace("name = \"price\"", "name = \"price\"\ncolumn = \"name\"");
        let msg = format!("{:#}", Config::parse(&wrong_type).unwrap().manifest(&t).unwrap_err());
        assert!(msg.contains("cannot read column `name` of type string"), "{msg}");
        let typo = MINIMAL.replace("log1p = true", "log1p = true\nembeding_dim = 3");
        assert!(format!("{:#}", Config::parse(&typo).unwrap_err()).contains("unknown field `embeding_dim`"));
    }
}
