//! The model manifest: the versioned JSON document, stored in the ONNX file's
//! `metadata_props` under [`MANIFEST_KEY`], that makes a graph a self-describing dram model.
//!
//! The host tool writes these types and the runtime reads them, so the schema exists once.
//! `docs/model-format.md` describes it for humans; [`Manifest::validate`] enforces it.

mod kind_json;
mod pieces;
mod validate;

pub use pieces::{PieceHasher, Pieces};
pub use validate::{MAX_CLASSES, MAX_FEATURES, MAX_SEQUENCE_LEN, MAX_TABLE_ROWS, MAX_WINDOW};

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::format::event_kind::EventKind;
use crate::{Error, Result};

/// The `metadata_props` key under which the manifest JSON is stored.
pub const MANIFEST_KEY: &str = "dram.manifest";
/// The newest manifest schema version this build reads and writes. Version 2 added
/// [`FeatureKind::WordPieces`]; a manifest is written with the lowest version its features
/// need ([`Manifest::new`]), so files without word pieces still load in version-1 runtimes.
pub const SCHEMA_VERSION: u32 = 2;
/// The name of the symbolic batch (candidate-count) dimension in exported graphs.
pub const BATCH_DIM: &str = "N";
/// Largest manifest accepted, in bytes: a hostile file cannot make the parser allocate more.
pub const MAX_MANIFEST_BYTES: usize = 1 << 20;

/// Everything the runtime must know to turn raw app data into the graph's inputs and its
/// outputs into scores.
///
/// ```
/// use dram_core::manifest::*;
/// let manifest = Manifest::new(
///     Task::Ranker,
///     vec![FeatureSpec::new("item", Scope::Candidate, FeatureKind::Hashed { buckets: 1000, salt: 1 })],
///     vec![OutputSpec { name: "score".into(), meaning: OutputMeaning::Logit }],
/// );
/// let json = manifest.to_json();
/// assert_eq!(Manifest::from_json(&json).unwrap(), manifest);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Schema version of this document ([`SCHEMA_VERSION`] when written by this build).
    pub schema_version: u32,
    /// What the model does.
    pub task: Task,
    /// Input features, in no particular order; each names its graph inputs.
    pub features: Vec<FeatureSpec>,
    /// Graph outputs and what their values mean.
    pub outputs: Vec<OutputSpec>,
    /// How the weights and activations are stored.
    #[serde(default)]
    pub quantization: Quantization,
    /// Where the model came from.
    #[serde(default)]
    pub provenance: Provenance,
}

/// The job a model does; it selects the API that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    /// Scores candidates for one user; served by [`crate::Ranker`].
    Ranker,
    /// Assigns class probabilities to inputs.
    Classifier,
}

impl Task {
    /// The task's name as written in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Ranker => "ranker",
            Task::Classifier => "classifier",
        }
    }
}

/// Where a feature's value comes from when the model serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// A property of each candidate item (id, category, price).
    Candidate,
    /// A property of the user or request, the same for every candidate (age, device).
    Context,
    /// Derived from the on-device behaviour history (a [`FeatureKind::Sequence`]).
    History,
}

/// One input feature: its name in app data, where its value comes from and how it is encoded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// The feature's name in app data and training data.
    pub name: String,
    /// Where the value comes from at serving time.
    pub scope: Scope,
    /// How a raw value becomes tensor data.
    pub kind: FeatureKind,
    /// The graph input fed with this feature; defaults to `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// Whether this candidate feature is the item key (the value [`crate::Candidate::item`]
    /// fills and that history events refer to).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub item_key: bool,
}

impl FeatureSpec {
    /// A feature with the default graph input name and not the item key.
    pub fn new(name: impl Into<String>, scope: Scope, kind: FeatureKind) -> FeatureSpec {
        FeatureSpec { name: name.into(), scope, kind, input: None, item_key: false }
    }

    /// Marks this feature as the item key.
    pub fn item_key(mut self) -> FeatureSpec {
        self.item_key = true;
        self
    }

    /// The name of the graph input carrying ids or values.
    pub fn input_name(&self) -> &str {
        self.input.as_deref().unwrap_or(&self.name)
    }

    /// The graph inputs this feature feeds, with their element type and shape.
    pub fn graph_inputs(&self) -> Vec<GraphInput> {
        let name = self.input_name().to_string();
        match &self.kind {
            FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                vec![GraphInput { name, dtype: DType::I64, shape: vec![Dim::Batch] }]
            }
            FeatureKind::Numeric { .. } => {
                vec![GraphInput { name, dtype: DType::F32, shape: vec![Dim::Batch, Dim::Fixed(1)] }]
            }
            FeatureKind::Sequence { max_len, .. } => bag_inputs(name, None, *max_len as usize),
            FeatureKind::Text { tokenizer } => bag_inputs(name, None, tokenizer.max_tokens as usize),
            FeatureKind::WordPieces { tokenizer } => {
                bag_inputs(name, Some(tokenizer.window as usize), tokenizer.max_tokens as usize)
            }
        }
    }
}

/// The lowest schema version that can describe `features`.
pub fn required_schema_version(features: &[FeatureSpec]) -> u32 {
    if features.iter().any(|f| matches!(f.kind, FeatureKind::WordPieces { .. })) {
        2
    } else {
        1
    }
}

/// Ids `[N, len]` (`[N, window, len]` for convolution windows) and weights `[N, len]`.
fn bag_inputs(name: String, window: Option<usize>, len: usize) -> Vec<GraphInput> {
    let weights = format!("{name}{WEIGHTS_SUFFIX}");
    let ids: Vec<Dim> = std::iter::once(Dim::Batch).chain(window.map(Dim::Fixed)).chain([Dim::Fixed(len)]).collect();
    vec![
        GraphInput { name, dtype: DType::I64, shape: ids },
        GraphInput { name: weights, dtype: DType::F32, shape: vec![Dim::Batch, Dim::Fixed(len)] },
    ]
}

/// Suffix of the pooling-weights input that accompanies every id-bag input.
pub const WEIGHTS_SUFFIX: &str = ".weights";

/// Element type of a graph input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DType {
    /// 32-bit float.
    F32,
    /// 64-bit signed integer (embedding row indices).
    I64,
}

/// One dimension of a graph input's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// The candidate (or row) count, symbolic in the graph.
    Batch,
    /// A fixed size.
    Fixed(usize),
}

/// A graph input as the manifest requires it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphInput {
    /// Input name in the ONNX graph.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Shape, with [`Dim::Batch`] first.
    pub shape: Vec<Dim>,
}

/// How a raw value is encoded. Row index 0 of every embedding table is reserved for
/// "unknown or padding", so encoded ids are `1 + value`.
///
/// In JSON an object with a `type` (`categorical`, `hashed`, `numeric`, `sequence`, `text`,
/// `word_pieces`) and the variant's fields, `type` first as written; read without serde's
/// buffering of internally tagged enums (`manifest/kind_json.rs`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FeatureKind {
    /// An integer id in `0..vocab_size`; out-of-range ids map to row 0.
    Categorical {
        /// Number of known ids; the table has `vocab_size + 1` rows.
        vocab_size: u64,
    },
    /// A string (or integer, hashed as its decimal text) hashed into `buckets` buckets with
    /// [`crate::format::hash::bucket`].
    Hashed {
        /// Number of buckets; the table has `buckets + 1` rows.
        buckets: u64,
        /// Per-feature salt of the hash.
        salt: u64,
    },
    /// A number, optionally `ln(1 + x)`-transformed, then standardised: `(x - mean) / std`.
    Numeric {
        /// Mean of the (transformed) training values.
        mean: f32,
        /// Standard deviation of the (transformed) training values; positive.
        std: f32,
        /// Apply `ln(1 + x)` before standardising (for counts and prices).
        #[serde(default)]
        log1p: bool,
    },
    /// The user's recent events, newest first, as item ids of `item_feature` plus pooling
    /// weights (`1 / count` on real events, 0 on padding).
    Sequence {
        /// Positions in the padded sequence.
        max_len: u32,
        /// The candidate feature whose encoding (and embedding table) the items share.
        item_feature: String,
        /// Event kinds kept; empty keeps all.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        event_kinds: Vec<EventKind>,
    },
    /// Free text, tokenised on the device by [`TokenizerSpec`].
    Text {
        /// How text becomes hashed token ids.
        tokenizer: TokenizerSpec,
    },
    /// Free text as BERT word pieces from a vocabulary stored in the manifest, fed to the
    /// graph as convolution windows (see [`WordPieceSpec`]).
    WordPieces {
        /// The vocabulary and window layout.
        tokenizer: WordPieceSpec,
    },
}

impl FeatureKind {
    /// Rows of the embedding table this feature indexes, if it indexes one.
    pub fn table_rows(&self) -> Option<u64> {
        match self {
            FeatureKind::Categorical { vocab_size } => Some(vocab_size + 1),
            FeatureKind::Hashed { buckets, .. } => Some(buckets + 1),
            FeatureKind::Text { tokenizer } => Some(tokenizer.buckets + 1),
            FeatureKind::WordPieces { tokenizer } => Some(tokenizer.vocab.len() as u64 + 1),
            FeatureKind::Numeric { .. } | FeatureKind::Sequence { .. } => None,
        }
    }

    /// A short name of the kind, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            FeatureKind::Categorical { .. } => "categorical",
            FeatureKind::Hashed { .. } => "hashed",
            FeatureKind::Numeric { .. } => "numeric",
            FeatureKind::Sequence { .. } => "sequence",
            FeatureKind::Text { .. } => "text",
            FeatureKind::WordPieces { .. } => "word_pieces",
        }
    }
}

/// The on-device text featuriser: normalisation, then hashed word and character n-grams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenizerSpec {
    /// Lower-case (Unicode-aware) before tokenising.
    pub lowercase: bool,
    /// Remove combining marks after canonical decomposition ("é" becomes "e").
    pub strip_accents: bool,
    /// Word n-gram orders to emit, e.g. `[1, 2]`.
    pub word_ngrams: Vec<u8>,
    /// Character n-gram orders to emit (over each word padded with `<` and `>`), e.g. `[3]`.
    pub char_ngrams: Vec<u8>,
    /// Hash buckets shared by all n-grams.
    pub buckets: u64,
    /// Salt of the hash.
    pub salt: u64,
    /// Tokens kept (the first ones); the graph input has this width.
    pub max_tokens: u32,
}

/// The on-device word-piece featuriser: BERT's uncased normalisation and greedy WordPiece over
/// [`WordPieceSpec::vocab`] ([`crate::preprocess::wordpiece`]), then for every position `t` the
/// pieces `t .. t + window`, so a graph computes a width-`window` convolution with one
/// `Gather` and one batched `MatMul`.
///
/// Inputs: ids `[N, window, max_tokens]`, where `ids[n][j][t]` is the table row of piece
/// `t + j` (`1 + index` in `vocab`; 0 for a word the vocabulary cannot spell and past the
/// end), and weights `[N, max_tokens]`, 1 on real pieces and 0 on padding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordPieceSpec {
    /// The normalisation before splitting; only BERT's uncased one exists.
    pub normalization: WordPieceNormalization,
    /// The pieces, continuations prefixed with `##`; piece `i` is table row `i + 1`.
    pub vocab: Pieces,
    /// Pieces kept (the first ones).
    pub max_tokens: u32,
    /// Consecutive pieces each position sees.
    pub window: u32,
}

impl WordPieceSpec {
    /// A spec with BERT's uncased normalisation.
    pub fn new(vocab: Vec<String>, max_tokens: u32, window: u32) -> WordPieceSpec {
        WordPieceSpec { normalization: WordPieceNormalization::BertUncased, vocab: vocab.into(), max_tokens, window }
    }
}

/// Text normalisation of a [`WordPieceSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WordPieceNormalization {
    /// Drop control characters, space out CJK ideographs, strip accents, lower-case.
    BertUncased,
}

/// A graph output and the meaning of its values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Output name in the ONNX graph.
    pub name: String,
    /// What the numbers are.
    pub meaning: OutputMeaning,
}

/// What an output's values mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutputMeaning {
    /// One logit per row, shape `[N]` or `[N, 1]`; higher ranks first.
    Logit,
    /// One probability per row, shape `[N]` or `[N, 1]`.
    Probability,
    /// One logit per class, shape `[N, labels.len()]`.
    ClassLogits {
        /// Class names in column order.
        labels: Vec<String>,
    },
}

/// Number formats of the stored model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantization {
    /// Storage of the weights.
    #[serde(default)]
    pub weights: NumberFormat,
    /// Arithmetic of the activations.
    #[serde(default)]
    pub activations: NumberFormat,
    /// Whether weight scales are per output channel.
    #[serde(default)]
    pub per_channel: bool,
    /// Calibration method and set, when activations are quantized.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calibration: Option<String>,
    /// The deployment profile the graph was exported for (`cpu`, `npu`, `coreml`).
    #[serde(default = "default_target")]
    pub target: String,
}

fn default_target() -> String {
    "cpu".into()
}

/// A number format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberFormat {
    /// IEEE 32-bit float.
    #[default]
    F32,
    /// IEEE 16-bit float.
    F16,
    /// 8-bit signed integer with scales.
    Int8,
}

/// Where a model came from: enough to reproduce it and to know what it was worth.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// Tool that exported the model, e.g. `dram 0.1.0`.
    #[serde(default)]
    pub tool: String,
    /// The teacher model distilled from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher: Option<String>,
    /// The training data set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// Evaluation metrics at export (`auc`, `ndcg10`, ...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, f64>,
    /// Lower-case hex SHA-256 of the encoded ONNX `GraphProto` (weights included);
    /// checked at load when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub graph_sha256: Option<String>,
}

impl Manifest {
    /// A manifest of the lowest schema version its features need, with default quantization
    /// and provenance.
    pub fn new(task: Task, features: Vec<FeatureSpec>, outputs: Vec<OutputSpec>) -> Manifest {
        Manifest {
            schema_version: required_schema_version(&features),
            task,
            features,
            outputs,
            quantization: Quantization { target: default_target(), ..Default::default() },
            provenance: Provenance::default(),
        }
    }

    /// Parses and validates a manifest, checking the schema version before the fields so a
    /// newer file gets a version error rather than an unknown-field error.
    pub fn from_json(json: &str) -> Result<Manifest> {
        if json.len() > MAX_MANIFEST_BYTES {
            return Err(Error::TooLarge {
                what: "manifest",
                size: json.len(),
                limit: MAX_MANIFEST_BYTES,
            });
        }
        // The typed document first; only when it fails is the version read on its own, so a
        // newer file gets `UnsupportedManifestVersion` rather than a complaint about a field.
        // No intermediate JSON tree: for a word-piece vocabulary it would copy every piece, and
        // a version pass ahead of every parse was a sixth of a 90 KB manifest's parse.
        let unsupported = |found: u64| Error::UnsupportedManifestVersion { found, supported: SCHEMA_VERSION };
        let known = |version: u64| (1..=u64::from(SCHEMA_VERSION)).contains(&version);
        match serde_json::from_str::<Manifest>(json) {
            Ok(manifest) if known(manifest.schema_version.into()) => {
                manifest.validate()?;
                Ok(manifest)
            }
            Ok(manifest) => Err(unsupported(manifest.schema_version.into())),
            Err(e) => match schema_version(json)? {
                version if known(version) => Err(Error::InvalidManifest { reason: e.to_string() }),
                version => Err(unsupported(version)),
            },
        }
    }

    /// The manifest as compact JSON (the form stored in model files).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("manifest types always serialise")
    }

    /// The feature with this name.
    pub fn feature(&self, name: &str) -> Option<&FeatureSpec> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The candidate feature marked as the item key, if any.
    pub fn item_key(&self) -> Option<&FeatureSpec> {
        self.features.iter().find(|f| f.item_key)
    }

    /// Every graph input the features need, in feature order.
    pub fn graph_inputs(&self) -> Vec<GraphInput> {
        self.features.iter().flat_map(FeatureSpec::graph_inputs).collect()
    }
}

/// The `schema_version` of a manifest that did not parse, read alone (other fields skipped
/// unparsed): a newer file gets `UnsupportedManifestVersion`, not a complaint about a field.
fn schema_version(json: &str) -> Result<u64> {
    #[derive(Deserialize)]
    struct Version {
        schema_version: Option<serde_json::Value>,
    }
    let no_version = || Error::InvalidManifest { reason: "expected an unsigned integer field `schema_version`".into() };
    match serde_json::from_str::<Version>(json) {
        Ok(v) => v.schema_version.as_ref().and_then(serde_json::Value::as_u64).ok_or_else(no_version),
        // Valid JSON but not an object: no version to read.
        Err(e) if e.classify() == serde_json::error::Category::Data => Err(no_version()),
        Err(e) => Err(Error::InvalidManifest { reason: format!("not valid JSON: {e}") }),
    }
}
