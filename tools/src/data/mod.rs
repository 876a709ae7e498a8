//! Data in: tables read from CSV or Parquet (or synthesised by the demo), held column-wise;
//! perturbed copies of text rows ([`augment`]); and the teacher's WordPiece tokenizer
//! ([`wordpiece`]), which turns texts into the ids a BERT reads.

pub mod augment;
mod csv;
mod parquet;
pub mod synth;
mod table;
pub mod wordpiece;

pub use table::{Column, Table};

use std::path::Path;

use anyhow::{bail, Result};

/// Writes a table as CSV (list columns as space-separated keys).
pub fn write_csv(table: &Table, path: &Path) -> Result<()> {
    csv::write(table, path)
}

/// Reads a `.csv` or `.parquet` file, by extension.
pub fn read(path: &Path) -> Result<Table> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("csv") => csv::read(path),
        Some("parquet") | Some("pq") => parquet::read(path),
        other => bail!("cannot read {}: expected a .csv or .parquet file, found extension {other:?}", path.display()),
    }
}
