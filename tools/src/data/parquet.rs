//! Parquet input through arrow: integer, float, string and list-of-key columns.

use std::path::Path;

use anyhow::{bail, Context, Result};
use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt8Type};
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{Column, Table};

pub fn read(path: &Path) -> Result<Table> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .with_context(|| format!("{} is not a readable Parquet file", path.display()))?
        .build()?;
    let mut columns: Vec<(String, Column)> = Vec::new();
    for batch in reader {
        let batch = batch.with_context(|| format!("reading {}", path.display()))?;
        for (i, field) in batch.schema().fields().iter().enumerate() {
            let part = convert(field.name(), batch.column(i))?;
            match columns.iter_mut().find(|(n, _)| n == field.name()) {
                Some((_, column)) => append(column, part),
                None => columns.push((field.name().clone(), part)),
            }
        }
    }
    let mut table = Table::new();
    for (name, column) in columns {
        table.push(name, column)?;
    }
    Ok(table)
}

fn append(into: &mut Column, part: Column) {
    match (into, part) {
        (Column::Int(a), Column::Int(b)) => a.extend(b),
        (Column::Float(a), Column::Float(b)) => a.extend(b),
        (Column::Str(a), Column::Str(b)) => a.extend(b),
        (Column::List(a), Column::List(b)) => a.extend(b),
        (into, part) => {
            // A column with nulls in one batch and none in another: widen ints to floats.
            let rows: Vec<f64> = (0..into.len()).map(|i| into.number(i).unwrap_or(f64::NAN)).collect();
            let more: Vec<f64> = (0..part.len()).map(|i| part.number(i).unwrap_or(f64::NAN)).collect();
            *into = Column::Float(rows.into_iter().chain(more).collect());
        }
    }
}

fn ints<T: arrow_array::ArrowPrimitiveType>(array: &ArrayRef) -> Column
where
    T::Native: Into<i64>,
{
    let a = array.as_primitive::<T>();
    if a.null_count() > 0 {
        Column::Float((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i).into() as f64 }).collect())
    } else {
        Column::Int(a.values().iter().map(|&v| v.into()).collect())
    }
}

fn convert(name: &str, array: &ArrayRef) -> Result<Column> {
    Ok(match array.data_type() {
        DataType::Int8 => ints::<Int8Type>(array),
        DataType::Int16 => ints::<Int16Type>(array),
        DataType::Int32 => ints::<Int32Type>(array),
        DataType::Int64 => ints::<Int64Type>(array),
        DataType::UInt8 => ints::<UInt8Type>(array),
        DataType::UInt16 => ints::<UInt16Type>(array),
        DataType::UInt32 => ints::<UInt32Type>(array),
        DataType::Float32 => {
            let a = array.as_primitive::<Float32Type>();
            Column::Float((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { f64::from(a.value(i)) }).collect())
        }
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            Column::Float((0..a.len()).map(|i| if a.is_null(i) { f64::NAN } else { a.value(i) }).collect())
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            Column::Str((0..a.len()).map(|i| if a.is_null(i) { String::new() } else { a.value(i).to_string() }).collect())
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            Column::Str((0..a.len()).map(|i| if a.is_null(i) { String::new() } else { a.value(i).to_string() }).collect())
        }
        DataType::Boolean => {
            let a = array.as_boolean();
            Column::Int((0..a.len()).map(|i| i64::from(a.value(i))).collect())
        }
        DataType::List(_) => {
            let a = array.as_list::<i32>();
            let mut lists = Vec::with_capacity(a.len());
            for i in 0..a.len() {
                let values = a.value(i);
                let inner = convert(name, &values)?;
                lists.push((0..inner.len()).map(|j| inner.text(j)).collect());
            }
            Column::List(lists)
        }
        other => bail!("column `{name}` has Parquet/arrow type {other:?}; supported: integers, floats, strings, booleans, lists"),
    })
}
