//! A table encoded once through `dram-core`'s preprocessing (the code the device runs) into
//! flat input buffers, plus labels, groups and optional teacher logits.

use anyhow::{Context, Result};
use dram_core::manifest::{FeatureKind, Manifest, Scope};
use dram_core::preprocess::{Encoder, Row};
use dram_core::{Event, EventKind, Features, Tensor, TensorData};

use crate::model::config::Config;
use crate::data::{Column, Table};

/// One graph input's values for every row: `width` values per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Buffer {
    /// Row indices; `dims` is the graph input's shape after the row axis (empty for scalar
    /// ids, `[L]` for bags, `[window, L]` for word-piece windows) and `width` its product.
    Ids { width: usize, dims: Vec<usize>, data: Vec<i64> },
    /// Floats (numeric values `[N, 1]`, pooling weights `[N, L]`).
    Values { width: usize, dims: Vec<usize>, data: Vec<f32> },
}

impl Buffer {
    /// Values per row.
    pub fn width(&self) -> usize {
        match self {
            Buffer::Ids { width, .. } | Buffer::Values { width, .. } => *width,
        }
    }

    /// The shape of `rows` rows of this input.
    pub fn shape(&self, rows: usize) -> Vec<usize> {
        let (Buffer::Ids { dims, .. } | Buffer::Values { dims, .. }) = self;
        std::iter::once(rows).chain(dims.iter().copied()).collect()
    }
}

/// Encoded rows ready for training and evaluation.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// One buffer per graph input, in [`Encoder::inputs`] order.
    pub inputs: Vec<Buffer>,
    /// Binary label (rankers) or class index (classifiers) per row.
    pub labels: Vec<f32>,
    /// Group (user) id per row; every row its own group when the config names none.
    pub groups: Vec<u64>,
    /// Teacher logits, `output_width` per row, when distilling.
    pub teacher: Option<Vec<f32>>,
    /// Number of rows.
    pub rows: usize,
}

const CHUNK: usize = 4096;

/// Where a data table keeps what a manifest's features need: the column of each feature, the
/// label, the group and the history list.
#[derive(Debug, Clone)]
pub struct Binding {
    /// Label column.
    pub label: String,
    /// Group column, if any.
    pub group: Option<String>,
    /// History column (list of item keys, oldest first), if any.
    pub history: Option<String>,
    /// Data column of each non-sequence feature, by feature name.
    pub columns: std::collections::BTreeMap<String, String>,
}

impl Binding {
    /// The binding a config describes.
    pub fn of(config: &Config) -> Binding {
        Binding {
            label: config.label.clone(),
            group: config.group.clone(),
            history: config.history.clone(),
            columns: config
                .features
                .iter()
                .filter(|f| f.kind != "sequence")
                .map(|f| (f.name.clone(), config.column_of(f).to_string()))
                .collect(),
        }
    }

    /// The same data read for another manifest (a teacher's): features the config knows keep
    /// their columns, others are read from the column named like the feature.
    pub fn for_manifest(&self, manifest: &Manifest) -> Binding {
        let columns = manifest
            .features
            .iter()
            .filter(|f| !matches!(f.kind, FeatureKind::Sequence { .. }))
            .map(|f| (f.name.clone(), self.columns.get(&f.name).cloned().unwrap_or_else(|| f.name.clone())))
            .collect();
        Binding { columns, ..self.clone() }
    }
}

/// One data row as the runtime sees it: item key, candidate and context features, history.
pub struct RowValues {
    /// Item key.
    pub item: String,
    /// Candidate-scope features.
    pub candidate: Features,
    /// Context-scope features.
    pub context: Features,
    /// Events before the row, oldest first.
    pub events: Vec<Event>,
}

/// Reads data rows into runtime values.
pub struct RowReader<'a> {
    manifest: &'a Manifest,
    columns: Vec<(String, Scope, &'a Column)>,
    history: Option<&'a Column>,
    history_kind: EventKind,
    item_key: Option<String>,
}

impl<'a> RowReader<'a> {
    /// A reader of `table` for `manifest` through `binding`.
    pub fn new(manifest: &'a Manifest, binding: &Binding, table: &'a Table) -> Result<RowReader<'a>> {
        let mut columns = Vec::new();
        for f in &manifest.features {
            if matches!(f.kind, FeatureKind::Sequence { .. }) {
                continue;
            }
            let name = binding.columns.get(&f.name).map_or(f.name.as_str(), String::as_str);
            let column = table.column(name).with_context(|| format!("feature `{}`", f.name))?;
            columns.push((f.name.clone(), f.scope, column));
        }
        let needs_history = manifest.features.iter().any(|f| matches!(f.kind, FeatureKind::Sequence { .. }));
        let history = match (&binding.history, needs_history) {
            (Some(h), _) => Some(table.column(h).context("the history column")?),
            (None, true) => anyhow::bail!("the model has sequence features but no history column is configured"),
            (None, false) => None,
        };
        if let Some(h) = history {
            anyhow::ensure!(matches!(h, Column::List(_)), "history column `{}` must be a list of item keys, found {}", binding.history.as_deref().unwrap_or(""), h.type_name());
        }
        let history_kind = manifest
            .features
            .iter()
            .find_map(|f| match &f.kind {
                FeatureKind::Sequence { event_kinds, .. } => event_kinds.first().copied(),
                _ => None,
            })
            .unwrap_or(EventKind::Click);
        let item_key = manifest.item_key().map(|f| f.name.clone());
        Ok(RowReader { manifest, columns, history, history_kind, item_key })
    }

    /// The manifest read for.
    pub fn manifest(&self) -> &Manifest {
        self.manifest
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> RowValues {
        let mut candidate = Features::new();
        let mut context = Features::new();
        let mut item = String::new();
        for (name, scope, column) in &self.columns {
            if self.item_key.as_deref() == Some(name.as_str()) {
                item = column.text(i);
                continue;
            }
            let value = column.value(i).expect("scalar column");
            match scope {
                Scope::Context => context.insert(name.clone(), value),
                _ => candidate.insert(name.clone(), value),
            };
        }
        let events = match self.history {
            Some(Column::List(lists)) => lists[i].iter().map(|k| Event::new(k.clone(), self.history_kind, 0)).collect(),
            _ => Vec::new(),
        };
        RowValues { item, candidate, context, events }
    }
}

impl Dataset {
    /// Encodes `table` with `manifest`'s preprocessing, reading columns as `config` maps them.
    pub fn encode(config: &Config, manifest: &Manifest, table: &Table) -> Result<Dataset> {
        config.check_columns(table)?;
        Dataset::encode_with(&Binding::of(config), manifest, table)
    }

    /// Encodes `table` for `manifest`, reading columns through `binding`.
    pub fn encode_with(binding: &Binding, manifest: &Manifest, table: &Table) -> Result<Dataset> {
        let encoder = Encoder::new(manifest);
        let rows = table.rows();
        let label_column = table.column(&binding.label).context("the label column")?;
        let labels: Vec<f32> = (0..rows).map(|i| label_column.number(i).unwrap_or(f64::NAN) as f32).collect();
        if let Some(i) = labels.iter().position(|l| !l.is_finite()) {
            anyhow::bail!("label column `{}` has a missing or non-finite value at data row {i}", binding.label);
        }
        let groups: Vec<u64> = match &binding.group {
            Some(g) => {
                let column = table.column(g).context("the group column")?;
                (0..rows).map(|i| dram_core::hash::hash64(0, column.text(i).as_bytes())).collect()
            }
            None => (0..rows as u64).collect(),
        };
        let reader = RowReader::new(manifest, binding, table)?;
        let mut inputs: Vec<Buffer> = encoder
            .inputs()
            .iter()
            .map(|i| {
                let dims: Vec<usize> = i
                    .shape
                    .iter()
                    .filter_map(|d| match d {
                        dram_core::manifest::Dim::Fixed(w) => Some(*w),
                        dram_core::manifest::Dim::Batch => None,
                    })
                    .collect();
                let width = dims.iter().product();
                match i.dtype {
                    dram_core::manifest::DType::I64 => Buffer::Ids { width, dims, data: Vec::with_capacity(rows * width) },
                    dram_core::manifest::DType::F32 => Buffer::Values { width, dims, data: Vec::with_capacity(rows * width) },
                }
            })
            .collect();
        for start in (0..rows).step_by(CHUNK) {
            let end = (start + CHUNK).min(rows);
            let owned: Vec<RowValues> = (start..end).map(|i| reader.row(i)).collect();
            let batch: Vec<Row<'_>> = owned
                .iter()
                .map(|r| Row { item: &r.item, candidate: &r.candidate, context: &r.context, history: &r.events })
                .collect();
            let tensors = encoder
                .encode_rows(&batch)
                .with_context(|| format!("preprocessing data rows {start}..{end} (candidate numbers are relative to {start})"))?;
            for (buffer, tensor) in inputs.iter_mut().zip(tensors) {
                match (buffer, tensor.into_parts().1) {
                    (Buffer::Ids { data, .. }, TensorData::I64(v)) => data.extend(v),
                    (Buffer::Values { data, .. }, TensorData::F32(v)) => data.extend(v),
                    _ => unreachable!("encoder output types follow its inputs"),
                }
            }
        }
        Ok(Dataset { inputs, labels, groups, teacher: None, rows })
    }

    /// The rows at `indices` as `dram-core` tensors (for scoring through the runtime).
    pub fn tensors(&self, indices: &[usize]) -> Vec<Tensor> {
        self.inputs
            .iter()
            .map(|buffer| match buffer {
                Buffer::Ids { width, data, .. } => {
                    Tensor::i64(buffer.shape(indices.len()), gather(data, *width, indices)).expect("consistent shape")
                }
                Buffer::Values { width, data, .. } => {
                    Tensor::f32(buffer.shape(indices.len()), gather(data, *width, indices)).expect("consistent shape")
                }
            })
            .collect()
    }
}

/// The rows at `indices` of a flat buffer with `width` values per row.
pub fn gather<T: Copy>(data: &[T], width: usize, indices: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(indices.len() * width);
    for &i in indices {
        out.extend_from_slice(&data[i * width..(i + 1) * width]);
    }
    out
}

/// Reads a `.csv` or `.parquet` file for `config`: its history column, if any, split into
/// lists of keys.
pub fn read_table(path: &std::path::Path, config: &Config) -> Result<Table> {
    let mut table = crate::data::read(path)?;
    if let Some(h) = &config.history {
        table.split_list(h).with_context(|| format!("history column in {}", path.display()))?;
    }
    Ok(table)
}
