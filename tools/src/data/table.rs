//! An in-memory table of typed columns.

use anyhow::{anyhow, bail, Result};
use dram_core::Value;

/// One column. Missing numbers are NaN (numeric features then reject them with the row);
/// missing strings are empty.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Integers.
    Int(Vec<i64>),
    /// Floats.
    Float(Vec<f64>),
    /// Strings.
    Str(Vec<String>),
    /// Lists of item keys (behaviour sequences), oldest first.
    List(Vec<Vec<String>>),
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::Int(v) => v.len(),
            Column::Float(v) => v.len(),
            Column::Str(v) => v.len(),
            Column::List(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type's name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Column::Int(_) => "integer",
            Column::Float(_) => "float",
            Column::Str(_) => "string",
            Column::List(_) => "list",
        }
    }

    /// Row `i` as a feature value (lists are not scalar values).
    pub fn value(&self, i: usize) -> Option<Value> {
        match self {
            Column::Int(v) => Some(Value::Int(v[i])),
            Column::Float(v) => Some(Value::Float(v[i])),
            Column::Str(v) => Some(Value::Str(v[i].clone())),
            Column::List(_) => None,
        }
    }

    /// Row `i` as text (for item keys and group ids).
    pub fn text(&self, i: usize) -> String {
        match self {
            Column::Int(v) => v[i].to_string(),
            Column::Float(v) => v[i].to_string(),
            Column::Str(v) => v[i].clone(),
            Column::List(v) => v[i].join(" "),
        }
    }

    /// Row `i` as a number, if the column is numeric.
    pub fn number(&self, i: usize) -> Option<f64> {
        match self {
            Column::Int(v) => Some(v[i] as f64),
            Column::Float(v) => Some(v[i]),
            _ => None,
        }
    }

    /// The rows at `indices`, in that order.
    pub fn take(&self, indices: &[usize]) -> Column {
        match self {
            Column::Int(v) => Column::Int(indices.iter().map(|&i| v[i]).collect()),
            Column::Float(v) => Column::Float(indices.iter().map(|&i| v[i]).collect()),
            Column::Str(v) => Column::Str(indices.iter().map(|&i| v[i].clone()).collect()),
            Column::List(v) => Column::List(indices.iter().map(|&i| v[i].clone()).collect()),
        }
    }
}

/// Named columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
}

impl Table {
    /// An empty table.
    pub fn new() -> Table {
        Table::default()
    }

    /// Adds a column; it must match the table's length.
    pub fn push(&mut self, name: impl Into<String>, column: Column) -> Result<()> {
        let name = name.into();
        if let Some(first) = self.columns.first() {
            if first.len() != column.len() {
                bail!("column `{name}` has {} rows, the table has {}", column.len(), first.len());
            }
        }
        if self.names.contains(&name) {
            bail!("column `{name}` appears twice");
        }
        self.names.push(name);
        self.columns.push(column);
        Ok(())
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The column `name`, or an error listing the available columns.
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.names.iter().position(|n| n == name).map(|i| &self.columns[i]).ok_or_else(|| {
            anyhow!("unknown column `{name}`; the data has columns {:?}", self.names)
        })
    }

    /// Replaces the values of an existing column (same length).
    pub fn replace(&mut self, name: &str, column: Column) -> Result<()> {
        let i = self.names.iter().position(|n| n == name).ok_or_else(|| anyhow!("unknown column `{name}`"))?;
        if column.len() != self.rows() {
            bail!("column `{name}` replacement has {} rows, the table has {}", column.len(), self.rows());
        }
        self.columns[i] = column;
        Ok(())
    }

    /// Replaces a string column holding whitespace-separated keys by a list column.
    pub fn split_list(&mut self, name: &str) -> Result<()> {
        let i = self.names.iter().position(|n| n == name).ok_or_else(|| anyhow!("unknown column `{name}`"))?;
        let lists = match &self.columns[i] {
            Column::List(_) => return Ok(()),
            Column::Str(v) => v.iter().map(|s| s.split_whitespace().map(str::to_string).collect()).collect(),
            Column::Int(v) => v.iter().map(|x| vec![x.to_string()]).collect(),
            other => bail!("column `{name}` is {}, expected a list of item keys (space-separated string)", other.type_name()),
        };
        self.columns[i] = Column::List(lists);
        Ok(())
    }

    /// The rows at `indices`.
    pub fn take(&self, indices: &[usize]) -> Table {
        Table { names: self.names.clone(), columns: self.columns.iter().map(|c| c.take(indices)).collect() }
    }
}
