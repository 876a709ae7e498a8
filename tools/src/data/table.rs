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

    /// Appends `other`'s rows; it must have the same columns, in the same order and of the same
    /// types (a float column also takes integers).
    pub fn append(&mut self, other: &Table) -> Result<()> {
        if self.names != other.names {
            bail!("cannot append rows with columns {:?} to a table with columns {:?}", other.names, self.names);
        }
        // Checked before anything is appended, so a refusal leaves the table as it was.
        for (name, (mine, theirs)) in self.names.iter().zip(self.columns.iter().zip(&other.columns)) {
            let fits = matches!(
                (mine, theirs),
                (Column::Int(_), Column::Int(_)) | (Column::Float(_), Column::Float(_) | Column::Int(_)) | (Column::Str(_), Column::Str(_)) | (Column::List(_), Column::List(_))
            );
            if !fits {
                bail!("column `{name}` is {} here and {} in the appended rows", mine.type_name(), theirs.type_name());
            }
        }
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            match (mine, theirs) {
                (Column::Int(a), Column::Int(b)) => a.extend(b),
                (Column::Float(a), Column::Float(b)) => a.extend(b),
                (Column::Float(a), Column::Int(b)) => a.extend(b.iter().map(|&x| x as f64)),
                (Column::Str(a), Column::Str(b)) => a.extend(b.iter().cloned()),
                (Column::List(a), Column::List(b)) => a.extend(b.iter().cloned()),
                _ => unreachable!("checked above"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(ids: Column, text: Vec<&str>) -> Table {
        let mut t = Table::new();
        t.push("id", ids).unwrap();
        t.push("text", Column::Str(text.into_iter().map(String::from).collect())).unwrap();
        t
    }

    #[test]
    fn append_adds_rows_of_the_same_columns() {
        let mut a = table(Column::Float(vec![1.0]), vec!["x"]);
        a.append(&table(Column::Int(vec![2]), vec!["y"])).unwrap();
        assert_eq!(a, table(Column::Float(vec![1.0, 2.0]), vec!["x", "y"]));
    }

    #[test]
    fn append_refuses_other_columns_or_types() {
        let mut a = table(Column::Int(vec![1]), vec!["x"]);
        let err = a.append(&table(Column::Str(vec!["2".into()]), vec!["y"])).unwrap_err().to_string();
        assert!(err.contains("`id` is integer here and string"), "{err}");
        let mut other = Table::new();
        other.push("text", Column::Str(vec!["y".into()])).unwrap();
        assert!(a.append(&other).unwrap_err().to_string().contains("columns"));
        assert_eq!(a.rows(), 1);
    }
}
