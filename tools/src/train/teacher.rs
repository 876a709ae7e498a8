//! Where distillation's soft targets come from: a teacher model file scored through
//! `dram-core`, or a data column of precomputed logits. `dram distill` and `dram prune` read
//! their teacher through this one function.

use std::path::Path;

use anyhow::{Context, Result};

use crate::model::config::Config;
use crate::data::Table;
use crate::model::dataset::{Binding, Dataset};
use crate::model::runtime;

/// A teacher.
#[derive(Debug, Clone, Copy)]
pub enum Teacher<'a> {
    /// A model file with a dram manifest (its own features are read from the same table).
    Model(&'a Path),
    /// A numeric column of the table holding the teacher's logits.
    Column(&'a str),
}

impl Teacher<'_> {
    /// How the teacher is recorded in a manifest's provenance.
    pub fn describe(&self) -> String {
        match self {
            Teacher::Model(path) => path.display().to_string(),
            Teacher::Column(column) => format!("column {column}"),
        }
    }
}

/// The teacher's logits for every row of `table` (read with `config`'s columns).
///
/// ```
/// # use dram_tools::{data::{Column, Table}, train::teacher::{logits, Teacher}, model::config::Config};
/// let config = Config::parse("task = \"ranker\"\nlabel = \"y\"\n[[feature]]\nname = \"x\"\nkind = \"numeric\"").unwrap();
/// let mut table = Table::new();
/// table.push("t", Column::Float(vec![0.5, -1.0])).unwrap();
/// assert_eq!(logits(Teacher::Column("t"), &config, &table).unwrap(), vec![0.5, -1.0]);
/// // Class logits in several columns, comma-separated, come out row by row.
/// table.push("u", Column::Float(vec![2.0, 3.0])).unwrap();
/// assert_eq!(logits(Teacher::Column("t,u"), &config, &table).unwrap(), vec![0.5, 2.0, -1.0, 3.0]);
/// ```
pub fn logits(teacher: Teacher<'_>, config: &Config, table: &Table) -> Result<Vec<f32>> {
    match teacher {
        Teacher::Model(path) => {
            let model = dram_core::Model::load(path).with_context(|| format!("loading teacher {}", path.display()))?;
            let binding = Binding::of(config).for_manifest(model.manifest());
            let set = Dataset::encode_with(&binding, model.manifest(), table).context("preparing the teacher's inputs")?;
            runtime::teacher_logits(&model, &set)
        }
        Teacher::Column(names) => {
            // Several comma-separated columns hold one logit per class (row-major result).
            let columns = names.split(',').map(|n| table.column(n.trim())).collect::<Result<Vec<_>>>()?;
            (0..table.rows())
                .flat_map(|i| columns.iter().map(move |c| c.number(i).map(|v| v as f32)))
                .collect::<Option<Vec<_>>>()
                .with_context(|| format!("teacher column(s) `{names}` must be numeric, found a non-numeric value"))
        }
    }
}
