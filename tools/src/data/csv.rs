//! CSV input: a header row, then values; each column's type is inferred (integer, float,
//! else string). A malformed row is reported with its line number.

use std::path::Path;

use anyhow::{anyhow, Context, Result};

use super::{Column, Table};

pub fn read(path: &Path) -> Result<Table> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); headers.len()];
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(index as u64 + 2, |p| p.line());
            anyhow!("{}: malformed row at line {line}: {e}", path.display())
        })?;
        for (column, value) in cells.iter_mut().zip(record.iter()) {
            column.push(value.to_string());
        }
    }
    let mut table = Table::new();
    for (name, values) in headers.into_iter().zip(cells) {
        table.push(name, infer(values))?;
    }
    Ok(table)
}

/// Writes a table as CSV; list columns become space-separated keys.
pub fn write(table: &Table, path: &Path) -> Result<()> {
    let mut writer = ::csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    writer.write_record(table.names())?;
    let columns: Vec<&Column> = table.names().iter().map(|n| table.column(n)).collect::<Result<_>>()?;
    for i in 0..table.rows() {
        writer.write_record(columns.iter().map(|c| c.text(i)))?;
    }
    writer.flush()?;
    Ok(())
}

fn infer(values: Vec<String>) -> Column {
    let present = || values.iter().filter(|v| !v.trim().is_empty());
    if present().count() > 0 && values.iter().all(|v| v.trim().parse::<i64>().is_ok()) {
        return Column::Int(values.iter().map(|v| v.trim().parse().expect("checked")).collect());
    }
    if present().count() > 0 && present().all(|v| v.trim().parse::<f64>().is_ok()) {
        return Column::Float(values.iter().map(|v| v.trim().parse().unwrap_or(f64::NAN)).collect());
    }
    Column::Str(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(content: &str) -> std::path::PathBuf {
        let path = std::env::temp_dir().join(format!("dram-csv-{}-{}.csv", std::process::id(), content.len()));
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn types_are_inferred_and_missing_floats_are_nan() {
        let path = write("id,price,name,score\n1,2.5,a b,\n2,,c,3\n");
        let t = read(&path).unwrap();
        assert_eq!(t.column("id").unwrap(), &Column::Int(vec![1, 2]));
        assert!(matches!(t.column("price").unwrap(), Column::Float(v) if v[0] == 2.5 && v[1].is_nan()));
        assert_eq!(t.column("name").unwrap(), &Column::Str(vec!["a b".into(), "c".into()]));
        assert!(matches!(t.column("score").unwrap(), Column::Float(v) if v[0].is_nan() && v[1] == 3.0));
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn malformed_row_reports_its_line() {
        let path = write("a,b\n1,2\n3,4\n5\n");
        let msg = format!("{:#}", read(&path).unwrap_err());
        assert!(msg.contains("line 4"), "{msg}");
        std::fs::remove_file(path).unwrap();
    }
}
