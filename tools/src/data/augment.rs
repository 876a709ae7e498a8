//! Augmented copies of the training texts for distillation (after Tang et al. 2019, "Distilling
//! Task-Specific Knowledge from BERT into Simple Neural Networks"): a small student learns more
//! from the teacher when the teacher also labels perturbed texts it was not trained on, because
//! the soft labels then cover n-grams in new company. Labels of a copy come from the teacher's
//! logits for the copy; its hard labels are the source row's.

use anyhow::{ensure, Result};

use crate::data::{Column, Table};
use crate::rng::Rng;

/// How a copy perturbs its source text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Perturbation {
    /// Chance that a copy keeps only a contiguous span of the words (half to all of them).
    pub span: f64,
    /// Chance that each remaining word is dropped (at least one word always stays).
    pub drop: f64,
}

impl Default for Perturbation {
    fn default() -> Self {
        Perturbation { span: 0.25, drop: 0.1 }
    }
}

/// One perturbed copy of `text`: words (split on whitespace) cropped to a span and dropped at
/// random, joined by single spaces, in their original order. An empty text stays empty.
///
/// ```
/// use dram_tools::rng::Rng;
/// use dram_tools::data::augment::{perturb, Perturbation};
/// let copy = perturb("runs small but the fabric is lovely", Perturbation::default(), &mut Rng::new(7));
/// assert!(!copy.is_empty());
/// assert!(copy.split(' ').all(|w| "runs small but the fabric is lovely".split(' ').any(|o| o == w)));
/// ```
pub fn perturb(text: &str, how: Perturbation, rng: &mut Rng) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return String::new();
    }
    let (mut start, mut end) = (0, words.len());
    if rng.uniform() < how.span {
        let len = words.len().div_ceil(2) + rng.below(words.len() / 2 + 1);
        start = rng.below(words.len() - len + 1);
        end = start + len;
    }
    let kept: Vec<&str> = words[start..end].iter().copied().filter(|_| rng.uniform() >= how.drop).collect();
    if kept.is_empty() {
        return words[start + rng.below(end - start)].to_string();
    }
    kept.join(" ")
}

/// `copies` perturbed copies of every row of `table` (all columns kept, `text_column`
/// perturbed), copy by copy; rows whose copy came out equal to the source text are left out, as
/// the teacher has already labelled that text.
pub fn augment(table: &Table, text_column: &str, copies: usize, how: Perturbation, seed: u64) -> Result<Table> {
    ensure!((0.0..1.0).contains(&how.drop) && (0.0..=1.0).contains(&how.span), "perturbation chances must be in [0, 1) for dropping and [0, 1] for spans, found {how:?}");
    let source = table.column(text_column)?;
    let mut rng = Rng::new(seed);
    let (mut rows, mut texts) = (Vec::new(), Vec::new());
    for _ in 0..copies {
        for row in 0..table.rows() {
            let original = source.text(row);
            let copy = perturb(&original, how, &mut rng);
            if copy != original {
                rows.push(row);
                texts.push(copy);
            }
        }
    }
    let mut out = table.take(&rows);
    out.replace(text_column, Column::Str(texts))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "love this dress but the zipper broke after one wash sadly";

    #[test]
    fn copies_keep_word_order_and_only_source_words() {
        let words: Vec<&str> = TEXT.split(' ').collect();
        let mut rng = Rng::new(3);
        for _ in 0..500 {
            let copy = perturb(TEXT, Perturbation::default(), &mut rng);
            let mut at = 0;
            for w in copy.split(' ') {
                let next = words[at..].iter().position(|o| *o == w);
                assert!(next.is_some(), "`{w}` in `{copy}` is not a source word after position {at}");
                at += next.unwrap_or_default() + 1;
            }
            assert!(at <= words.len());
        }
    }

    #[test]
    fn drop_rate_and_spans_are_what_was_asked() {
        let mut rng = Rng::new(5);
        let n = TEXT.split(' ').count() as f64;
        let kept: f64 = (0..2000).map(|_| perturb(TEXT, Perturbation { span: 0.0, drop: 0.2 }, &mut rng).split(' ').count() as f64).sum::<f64>() / 2000.0;
        assert!((kept / n - 0.8).abs() < 0.02, "kept {kept} of {n}");
        for _ in 0..200 {
            let copy = perturb(TEXT, Perturbation { span: 1.0, drop: 0.0 }, &mut rng);
            let len = copy.split(' ').count();
            assert!(len as f64 >= n / 2.0 && TEXT.contains(&copy), "{copy}");
        }
        assert_eq!(perturb(TEXT, Perturbation { span: 0.0, drop: 0.0 }, &mut rng), TEXT);
    }

    #[test]
    fn never_empty_unless_the_source_is() {
        let mut rng = Rng::new(9);
        assert_eq!(perturb("", Perturbation::default(), &mut rng), "");
        assert_eq!(perturb("   ", Perturbation::default(), &mut rng), "");
        for _ in 0..100 {
            assert!(!perturb("one two", Perturbation { span: 1.0, drop: 0.99 }, &mut rng).is_empty());
        }
    }

    #[test]
    fn augment_keeps_labels_and_is_reproducible() {
        let mut table = Table::new();
        table.push("text", Column::Str(vec![TEXT.into(), "fits well".into(), String::new()])).unwrap();
        table.push("label", Column::Int(vec![0, 1, 2])).unwrap();
        let how = Perturbation { span: 0.5, drop: 0.3 };
        let out = augment(&table, "text", 4, how, 11).unwrap();
        assert_eq!(out, augment(&table, "text", 4, how, 11).unwrap());
        assert_ne!(out, augment(&table, "text", 4, how, 12).unwrap());
        assert!(out.rows() > 0 && out.rows() <= 8, "the empty text never yields a copy: {}", out.rows());
        let (texts, labels) = (out.column("text").unwrap(), out.column("label").unwrap());
        for i in 0..out.rows() {
            let source = if texts.text(i).split(' ').all(|w| "fits well".contains(w)) && labels.number(i) == Some(1.0) { "fits well" } else { TEXT };
            assert!(texts.text(i) != source, "copies equal to their source are left out");
            assert_eq!(labels.number(i), Some(if source == TEXT { 0.0 } else { 1.0 }));
        }
        let err = augment(&table, "text", 1, Perturbation { span: 0.0, drop: 1.0 }, 1).unwrap_err().to_string();
        assert!(err.contains("[0, 1) for dropping") && err.contains("drop: 1.0"), "{err}");
    }
}
