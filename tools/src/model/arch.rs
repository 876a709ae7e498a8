//! The network a config describes, independent of how it is trained or run: which embedding
//! tables exist, how sequences are pooled, the MLP tower, and the named parameters. The candle
//! trainer, the ONNX exporter and the reference forward pass all read this one description.

use std::collections::BTreeMap;

use dram_core::manifest::{FeatureKind, FeatureSpec, Manifest, OutputMeaning};
use serde::{Deserialize, Serialize};

/// How a behaviour sequence is pooled into one vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// Weighted mean with the preprocessing's pooling weights.
    #[default]
    Mean,
    /// Target attention (as in DIN): each event weighted by its bilinear affinity with the
    /// candidate item, softmax over real events.
    Attention,
}

/// A network: the manifest's features and outputs plus the sizes of its layers.
#[derive(Debug, Clone, PartialEq)]
pub struct NetSpec {
    /// Features and outputs (the exported file's manifest, minus provenance).
    pub manifest: Manifest,
    /// Embedding width of every table-backed feature (categorical, hashed, text, word pieces).
    pub embedding_dims: BTreeMap<String, usize>,
    /// Pooling of every sequence feature.
    pub pooling: BTreeMap<String, Pooling>,
    /// Output channels of the convolution over every word-piece feature.
    pub channels: BTreeMap<String, usize>,
    /// Hidden layer widths of the MLP tower.
    pub hidden: Vec<usize>,
}

/// One embedding table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Parameter name (`emb.<feature>`).
    pub param: String,
    /// Rows, including row 0 for unknown/padding.
    pub rows: usize,
    /// Width.
    pub dim: usize,
}

/// A named dense parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Shape; linear weights are `(out, in)` as in candle.
    pub shape: Vec<usize>,
    /// Row-major values.
    pub data: Vec<f32>,
}

/// Every parameter of a network by name.
pub type Params = BTreeMap<String, Param>;

impl NetSpec {
    /// The table of a table-backed feature.
    pub fn table(&self, feature: &FeatureSpec) -> Option<Table> {
        let rows = feature.kind.table_rows()? as usize;
        let dim = *self.embedding_dims.get(&feature.name)?;
        Some(Table { param: format!("emb.{}", feature.name), rows, dim })
    }

    /// The table a sequence feature's items are looked up in (its item feature's).
    pub fn sequence_table(&self, feature: &FeatureSpec) -> Option<Table> {
        let FeatureKind::Sequence { item_feature, .. } = &feature.kind else { return None };
        self.table(self.manifest.feature(item_feature)?)
    }

    /// The table a feature's ids index: its own, or for a sequence its item feature's; `None`
    /// for numeric features.
    pub fn lookup_table(&self, feature: &FeatureSpec) -> Option<Table> {
        match &feature.kind {
            FeatureKind::Sequence { .. } => self.sequence_table(feature),
            _ => self.table(feature),
        }
    }

    /// Every embedding table, in feature order.
    pub fn tables(&self) -> Vec<Table> {
        self.manifest.features.iter().filter_map(|f| self.table(f)).collect()
    }

    /// Width of the vector a feature contributes to the MLP input.
    pub fn feature_width(&self, feature: &FeatureSpec) -> usize {
        match &feature.kind {
            FeatureKind::Numeric { .. } => 1,
            FeatureKind::WordPieces { .. } => self.channels.get(&feature.name).copied().unwrap_or(0),
            _ => self.lookup_table(feature).map_or(0, |t| t.dim),
        }
    }

    /// Width of the concatenated MLP input.
    pub fn input_width(&self) -> usize {
        self.manifest.features.iter().map(|f| self.feature_width(f)).sum()
    }

    /// Values per output row: 1 for a score, the class count for class logits.
    pub fn output_width(&self) -> usize {
        match &self.manifest.outputs[0].meaning {
            OutputMeaning::ClassLogits { labels } => labels.len(),
            _ => 1,
        }
    }

    /// The `(in, out)` widths of every linear layer, the output layer last.
    pub fn layers(&self) -> Vec<(usize, usize)> {
        let mut widths = vec![self.input_width()];
        widths.extend(&self.hidden);
        widths.push(self.output_width());
        widths.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// Name and shape of every dense (non-table) parameter.
    pub fn dense_shapes(&self) -> Vec<(String, Vec<usize>)> {
        let mut shapes = Vec::new();
        for feature in &self.manifest.features {
            if self.pooling.get(&feature.name) == Some(&Pooling::Attention) {
                let d = self.feature_width(feature);
                shapes.push((format!("att.{}", feature.name), vec![d, d]));
            }
            if let Some(conv) = self.conv(feature) {
                shapes.push((conv.weight, vec![conv.window, conv.dim, conv.channels]));
                shapes.push((conv.bias, vec![conv.channels]));
            }
        }
        for (i, (fan_in, fan_out)) in self.layers().into_iter().enumerate() {
            shapes.push((format!("mlp.{i}.weight"), vec![fan_out, fan_in]));
            shapes.push((format!("mlp.{i}.bias"), vec![fan_out]));
        }
        shapes
    }

    /// Total number of parameters.
    pub fn param_count(&self) -> usize {
        let tables: usize = self.tables().iter().map(|t| t.rows * t.dim).sum();
        let dense: usize = self.dense_shapes().iter().map(|(_, s)| s.iter().product::<usize>()).sum();
        tables + dense
    }

    /// The pooling of a sequence or text feature.
    pub fn pooling_of(&self, feature: &FeatureSpec) -> Pooling {
        match feature.kind {
            FeatureKind::Sequence { .. } => self.pooling.get(&feature.name).copied().unwrap_or_default(),
            _ => Pooling::Mean,
        }
    }
}

/// The convolution over a word-piece feature's embedded windows: `max_t relu(b + sum_j
/// E[piece t + j] W[j])` over real positions `t`, as a `[window, dim, channels]` weight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conv {
    /// Parameter name of the weight (`conv.<feature>.weight`), shape `[window, dim, channels]`.
    pub weight: String,
    /// Parameter name of the bias (`conv.<feature>.bias`), shape `[channels]`.
    pub bias: String,
    /// Pieces per window.
    pub window: usize,
    /// Embedding width.
    pub dim: usize,
    /// Output channels.
    pub channels: usize,
}

impl NetSpec {
    /// The convolution of a word-piece feature; `None` for other kinds.
    pub fn conv(&self, feature: &FeatureSpec) -> Option<Conv> {
        let FeatureKind::WordPieces { tokenizer } = &feature.kind else { return None };
        Some(Conv {
            weight: format!("conv.{}.weight", feature.name),
            bias: format!("conv.{}.bias", feature.name),
            window: tokenizer.window as usize,
            dim: self.table(feature)?.dim,
            channels: *self.channels.get(&feature.name)?,
        })
    }
}

/// Attention logits of padding positions get this offset, so softmax ignores them.
pub const MASK_OFFSET: f32 = -1e4;
