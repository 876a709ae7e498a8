//! Preprocessing, once: raw app or training values become the graph's input tensors here and
//! nowhere else. The host tool trains on exactly these tensors and the device serves with
//! them, so training and serving cannot drift apart.

mod scalar;
mod sequence;
pub mod text;
pub mod wordpiece;

use std::sync::Arc;

use crate::history::{Event, History};
use crate::format::manifest::{DType, Dim, FeatureKind, FeatureSpec, GraphInput, Manifest, Scope};
use crate::tensor::Tensor;
use crate::value::{Candidate, Features, Value};
use crate::{Error, Result};

pub use scalar::{encode_id, encode_item_key, encode_numeric};
pub use sequence::encode_sequence;

/// Most bytes of input tensors one call may build (rows times the row width of every input):
/// with long sequences a long candidate list would otherwise need gigabytes.
pub const MAX_ENCODED_BYTES: usize = 64 << 20;

/// Events available to sequence features, iterated from newest to oldest.
pub trait EventSource {
    /// The events, newest first.
    fn newest_first(&self) -> Box<dyn Iterator<Item = &Event> + '_>;
}

impl EventSource for History {
    fn newest_first(&self) -> Box<dyn Iterator<Item = &Event> + '_> {
        Box::new(History::newest_first(self))
    }
}

/// A list of events is taken as oldest first, the order they happened in.
impl EventSource for Vec<Event> {
    fn newest_first(&self) -> Box<dyn Iterator<Item = &Event> + '_> {
        Box::new(self.iter().rev())
    }
}

/// One training or scoring row: an item, its features, the context and the history before it.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    /// The item key, filling the manifest's `item_key` feature.
    pub item: &'a str,
    /// Candidate-scope feature values.
    pub candidate: &'a Features,
    /// Context-scope feature values.
    pub context: &'a Features,
    /// The events before this row, for sequence features.
    pub history: &'a dyn EventSource,
}

/// Turns rows into the graph's input tensors, in [`Manifest::graph_inputs`] order.
///
/// ```
/// use dram_core::manifest::*;
/// use dram_core::preprocess::Encoder;
/// use dram_core::{Candidate, Features, History};
///
/// let manifest = Manifest::new(
///     Task::Ranker,
///     vec![FeatureSpec::new("item", Scope::Candidate, FeatureKind::Categorical { vocab_size: 10 }).item_key()],
///     vec![OutputSpec { name: "score".into(), meaning: OutputMeaning::Logit }],
/// );
/// let encoder = Encoder::new(&manifest);
/// let tensors = encoder
///     .encode_candidates(&[Candidate::new("3"), Candidate::new("99")], &Features::new(), &History::new(5).unwrap())
///     .unwrap();
/// assert_eq!(tensors[0].as_i64().unwrap(), &[4, 0]); // row 0 is "unknown"
/// ```
#[derive(Debug, Clone)]
pub struct Encoder {
    features: Vec<FeatureSpec>,
    inputs: Vec<GraphInput>,
    /// The lookup table of every word-piece feature, by position in `features`.
    vocabs: Vec<Option<Arc<wordpiece::Vocab>>>,
}

/// How rows are supplied: one shared context and history for all rows (ranking), or one per row.
trait Rows {
    fn len(&self) -> usize;
    fn row(&self, i: usize) -> Row<'_>;
    fn shared_context_and_history(&self) -> bool;
}

impl Rows for [Row<'_>] {
    fn len(&self) -> usize {
        <[Row]>::len(self)
    }
    fn row(&self, i: usize) -> Row<'_> {
        self[i]
    }
    fn shared_context_and_history(&self) -> bool {
        false
    }
}

struct Ranking<'a> {
    candidates: &'a [Candidate],
    context: &'a Features,
    history: &'a dyn EventSource,
}

impl Rows for Ranking<'_> {
    fn len(&self) -> usize {
        self.candidates.len()
    }
    fn row(&self, i: usize) -> Row<'_> {
        let c = &self.candidates[i];
        Row { item: &c.item, candidate: &c.features, context: self.context, history: self.history }
    }
    fn shared_context_and_history(&self) -> bool {
        true
    }
}

/// Column buffers for one feature's graph inputs.
enum Column {
    Ids(Vec<i64>),
    Values(Vec<f32>),
    Bag { ids: Vec<i64>, weights: Vec<f32> },
    /// Word-piece windows: `window * len` ids and `len` weights per row.
    Windows { ids: Vec<i64>, weights: Vec<f32>, window: usize },
}

impl Encoder {
    /// An encoder for a validated manifest.
    pub fn new(manifest: &Manifest) -> Encoder {
        let vocabs = manifest
            .features
            .iter()
            .map(|f| match &f.kind {
                FeatureKind::WordPieces { tokenizer } => Some(Arc::new(wordpiece::Vocab::from(&tokenizer.vocab))),
                _ => None,
            })
            .collect();
        Encoder { features: manifest.features.clone(), inputs: manifest.graph_inputs(), vocabs }
    }

    /// The graph inputs produced, in order.
    pub fn inputs(&self) -> &[GraphInput] {
        &self.inputs
    }

    /// Encodes independent rows (training and evaluation data).
    pub fn encode_rows(&self, rows: &[Row<'_>]) -> Result<Vec<Tensor>> {
        self.encode(rows)
    }

    /// Encodes candidates that share one context and one history (ranking). Context and
    /// sequence features are computed once and repeated for every candidate.
    pub fn encode_candidates(
        &self,
        candidates: &[Candidate],
        context: &Features,
        history: &dyn EventSource,
    ) -> Result<Vec<Tensor>> {
        self.encode(&Ranking { candidates, context, history })
    }

    fn encode<R: Rows + ?Sized>(&self, rows: &R) -> Result<Vec<Tensor>> {
        let n = rows.len();
        if n == 0 {
            return Err(Error::EmptyCandidates);
        }
        let size = self.row_bytes().saturating_mul(n);
        if size > MAX_ENCODED_BYTES {
            return Err(Error::TooLarge { what: "the encoded input of this call", size, limit: MAX_ENCODED_BYTES });
        }
        let mut tensors = Vec::with_capacity(self.inputs.len());
        for (f, feature) in self.features.iter().enumerate() {
            let shared = feature.scope != Scope::Candidate && rows.shared_context_and_history();
            let computed = if shared { 1 } else { n };
            let mut column = self.new_column(feature, computed);
            for i in 0..computed {
                self.encode_one(f, rows.row(i), i, &mut column)?;
            }
            if shared {
                column = repeat(column, n);
            }
            push_tensors(&mut tensors, column, n)?;
        }
        Ok(tensors)
    }

    /// Bytes of input tensors one row needs.
    fn row_bytes(&self) -> usize {
        let cells = |input: &GraphInput| {
            input.shape.iter().map(|d| if let Dim::Fixed(w) = d { *w } else { 1 }).product::<usize>()
        };
        let width = |input: &GraphInput| match input.dtype {
            DType::I64 => 8,
            DType::F32 => 4,
        };
        self.inputs.iter().map(|i| cells(i).saturating_mul(width(i))).fold(0, usize::saturating_add)
    }

    fn new_column(&self, feature: &FeatureSpec, rows: usize) -> Column {
        match &feature.kind {
            FeatureKind::Categorical { .. } | FeatureKind::Hashed { .. } => {
                Column::Ids(Vec::with_capacity(rows))
            }
            FeatureKind::Numeric { .. } => Column::Values(Vec::with_capacity(rows)),
            FeatureKind::Sequence { max_len: len, .. }
            | FeatureKind::Text { tokenizer: crate::format::manifest::TokenizerSpec { max_tokens: len, .. } } => {
                let cells = rows * *len as usize;
                Column::Bag { ids: Vec::with_capacity(cells), weights: Vec::with_capacity(cells) }
            }
            FeatureKind::WordPieces { tokenizer } => {
                let (len, window) = (tokenizer.max_tokens as usize, tokenizer.window as usize);
                Column::Windows {
                    ids: Vec::with_capacity(rows * len * window),
                    weights: Vec::with_capacity(rows * len),
                    window,
                }
            }
        }
    }

    fn encode_one(
        &self,
        f: usize,
        row: Row<'_>,
        index: usize,
        column: &mut Column,
    ) -> Result<()> {
        let feature = &self.features[f];
        let at = (feature.scope == Scope::Candidate).then_some(index);
        let value = |name: &str| -> Result<&Value> {
            let map = if feature.scope == Scope::Candidate { row.candidate } else { row.context };
            map.get(name).ok_or_else(|| Error::MissingFeature { feature: name.to_string(), row: at })
        };
        match (&feature.kind, column) {
            (FeatureKind::Sequence { .. }, Column::Bag { ids, weights }) => {
                let item = self.sequence_item_feature(feature);
                encode_sequence(feature, item, row.history, ids, weights);
            }
            (FeatureKind::Text { tokenizer }, Column::Bag { ids, weights }) => {
                text::encode_text(tokenizer, text_value(feature, value(&feature.name)?, at)?, ids, weights)?;
            }
            (FeatureKind::WordPieces { tokenizer }, Column::Windows { ids, weights, .. }) => {
                let vocab = self.vocabs[f].as_ref().expect("every word-piece feature has a vocabulary");
                let text = text_value(feature, value(&feature.name)?, at)?;
                wordpiece::encode_word_pieces(tokenizer, vocab, text, ids, weights)?;
            }
            (_, Column::Ids(ids)) => {
                let id = if feature.item_key {
                    encode_id(feature, &Value::Str(row.item.to_string()), at)?
                } else {
                    encode_id(feature, value(&feature.name)?, at)?
                };
                ids.push(id);
            }
            (_, Column::Values(values)) => values.push(encode_numeric(feature, value(&feature.name)?, at)?),
            _ => unreachable!("new_column matches the feature kind"),
        }
        Ok(())
    }

    fn sequence_item_feature(&self, feature: &FeatureSpec) -> &FeatureSpec {
        let FeatureKind::Sequence { item_feature, .. } = &feature.kind else {
            unreachable!("called for sequence features only")
        };
        self.features
            .iter()
            .find(|f| &f.name == item_feature)
            .expect("validated manifests name an existing item_feature")
    }
}

/// The string a text feature holds.
fn text_value<'v>(feature: &FeatureSpec, value: &'v Value, row: Option<usize>) -> Result<&'v str> {
    match value {
        Value::Str(s) => Ok(s.as_str()),
        other => Err(Error::WrongFeatureType {
            feature: feature.name.clone(),
            expected: "a string",
            found: other.describe(),
            row,
        }),
    }
}

fn repeat(column: Column, n: usize) -> Column {
    fn tile<T: Copy>(v: Vec<T>, n: usize) -> Vec<T> {
        let mut out = Vec::with_capacity(v.len() * n);
        for _ in 0..n {
            out.extend_from_slice(&v);
        }
        out
    }
    match column {
        Column::Ids(v) => Column::Ids(tile(v, n)),
        Column::Values(v) => Column::Values(tile(v, n)),
        Column::Bag { ids, weights } => Column::Bag { ids: tile(ids, n), weights: tile(weights, n) },
        Column::Windows { ids, weights, window } => Column::Windows { ids: tile(ids, n), weights: tile(weights, n), window },
    }
}

fn push_tensors(out: &mut Vec<Tensor>, column: Column, n: usize) -> Result<()> {
    match column {
        Column::Ids(v) => out.push(Tensor::i64(vec![n], v)?),
        Column::Values(v) => out.push(Tensor::f32(vec![n, 1], v)?),
        Column::Bag { ids, weights } => {
            let width = ids.len() / n;
            out.push(Tensor::i64(vec![n, width], ids)?);
            out.push(Tensor::f32(vec![n, width], weights)?);
        }
        Column::Windows { ids, weights, window } => {
            let len = weights.len() / n;
            out.push(Tensor::i64(vec![n, window, len], ids)?);
            out.push(Tensor::f32(vec![n, len], weights)?);
        }
    }
    Ok(())
}
