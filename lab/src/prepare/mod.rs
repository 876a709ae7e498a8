//! The public data sets the project measures itself on, prepared by fixed protocols into
//! `train.csv`, `valid.csv` and `test.csv`: MovieLens-100K for ranking, Women's E-Commerce
//! Clothing Reviews for text classification (both fetched by `scripts/fetch-data.sh`).

pub mod movielens;
pub mod reviews;

use std::path::Path;

use anyhow::{Context, Result};
use dram_tools::data::{self, Table};

/// Writes prepared splits as `<out>/<name>.csv`.
pub fn write_splits(out: &Path, splits: [(&str, &Table); 3]) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    for (name, table) in splits {
        let path = out.join(format!("{name}.csv"));
        data::write_csv(table, &path)?;
        eprintln!("wrote {} ({} rows)", path.display(), table.rows());
    }
    Ok(())
}
