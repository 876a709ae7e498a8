//! The vocabulary of a word-piece student: the pieces of a BERT vocabulary that the training
//! texts actually use. MiniLM's 30,522 pieces at 32 floats each would be 3.9 MB, most of it
//! rows no review ever reaches; the pieces seen at least `min_count` times (at most
//! `max_vocab`, the most frequent first) plus every single character the texts contain (so
//! any word of known characters can still be spelled) keep the table small.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use dram_core::manifest::WordPieceSpec;
use dram_core::preprocess::wordpiece::normalize;

use crate::data::wordpiece::WordPiece;

/// A word-piece feature: the student's vocabulary is the part of a BERT vocabulary the training
/// texts use ([`fit`]), and a convolution of `window` pieces with
/// `channels` outputs, max-pooled over the text, reads it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WordPieceConfig {
    /// The Hugging Face `tokenizer.json` whose WordPiece vocabulary is pruned (a relative path
    /// is taken from the working directory).
    pub vocab: PathBuf,
    /// Pieces seen fewer times than this in the training texts are dropped (their words are
    /// spelled with shorter pieces, or become unknown).
    #[serde(default = "default_min_count")]
    pub min_count: u64,
    /// Most pieces kept, the most frequent first (single characters always stay).
    #[serde(default = "default_max_vocab")]
    pub max_vocab: usize,
    /// Pieces kept per text.
    #[serde(default = "default_piece_len")]
    pub max_tokens: u32,
    /// Pieces per convolution window.
    #[serde(default = "default_window")]
    pub window: u32,
    /// Convolution output channels (the width the feature gives the MLP).
    #[serde(default = "default_channels")]
    pub channels: usize,
    /// A BERT `model.safetensors` whose input embeddings (ids of `vocab`) start the student's
    /// table, projected onto their principal directions (`train::student_init`);
    /// random rows when absent.
    #[serde(default)]
    pub init_embeddings: Option<PathBuf>,
}

fn default_min_count() -> u64 {
    2
}
fn default_max_vocab() -> usize {
    16_384
}
fn default_piece_len() -> u32 {
    128
}
fn default_window() -> u32 {
    3
}
pub(super) fn default_channels() -> usize {
    128
}

/// The manifest spec of a word-piece feature fitted on the training `texts`.
///
/// Pieces are counted as the full vocabulary splits each text (its first `max_tokens` pieces);
/// ties in count are broken by the piece, so the result is deterministic.
pub fn fit(config: &WordPieceConfig, texts: impl Iterator<Item = String>) -> Result<WordPieceSpec> {
    let full = WordPiece::load(&config.vocab)
        .with_context(|| format!("reading the word-piece vocabulary {}", config.vocab.display()))?;
    let full = full.vocabulary();
    let mut counts: HashMap<u32, u64> = HashMap::new();
    let mut chars = BTreeSet::new();
    for text in texts {
        for piece in full.pieces(&text, config.max_tokens as usize).into_iter().flatten() {
            *counts.entry(piece).or_default() += 1;
        }
        chars.extend(normalize(&text).chars().filter(|c| !c.is_whitespace()));
    }
    let names: HashMap<u32, &str> = full.iter().map(|(piece, id)| (id, piece)).collect();
    let mut frequent: Vec<(&str, u64)> =
        counts.into_iter().filter(|&(_, n)| n >= config.min_count).map(|(id, n)| (names[&id], n)).collect();
    frequent.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    frequent.truncate(config.max_vocab);
    let mut vocab: Vec<String> = frequent.into_iter().map(|(piece, _)| piece.to_string()).collect();
    let mut kept: BTreeSet<String> = vocab.iter().cloned().collect();
    for c in chars {
        for piece in [c.to_string(), format!("##{c}")] {
            if full.id(&piece).is_some() && kept.insert(piece.clone()) {
                vocab.push(piece);
            }
        }
    }
    anyhow::ensure!(!vocab.is_empty(), "the training texts use no piece of {}", config.vocab.display());
    Ok(WordPieceSpec::new(vocab, config.max_tokens, config.window))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokenizer_json(dir: &std::path::Path, pieces: &[&str]) -> std::path::PathBuf {
        let vocab: serde_json::Map<String, serde_json::Value> =
            pieces.iter().enumerate().map(|(i, p)| (p.to_string(), i.into())).collect();
        let path = dir.join("tokenizer.json");
        std::fs::write(&path, serde_json::json!({ "model": { "type": "WordPiece", "vocab": vocab } }).to_string()).unwrap();
        path
    }

    fn config(vocab: std::path::PathBuf, min_count: u64, max_vocab: usize) -> WordPieceConfig {
        WordPieceConfig { vocab, min_count, max_vocab, max_tokens: 16, window: 3, channels: 8, init_embeddings: None }
    }

    #[test]
    fn keeps_frequent_pieces_most_frequent_first_then_characters() {
        let dir = std::env::temp_dir().join(format!("dram-student-vocab-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pieces = ["[UNK]", "[CLS]", "[SEP]", "love", "fit", "run", "##s", "x", "l", "o", "##o", "f", "i", "t", "##t", "!"];
        let path = tokenizer_json(&dir, &pieces);
        let texts = ["Love the fit!", "love it", "runs", "runs"].map(String::from);
        let spec = fit(&config(path.clone(), 2, 100), texts.iter().cloned()).unwrap();
        // love 2, run 2, ##s 2 (count order, then by piece); fit and ! once. Then the
        // characters of the texts that the vocabulary holds, in character order.
        assert_eq!(spec.vocab.iter().collect::<Vec<_>>(), ["##s", "love", "run", "!", "f", "i", "l", "o", "##o", "t", "##t"]);
        assert_eq!((spec.max_tokens, spec.window), (16, 3));
        let capped = fit(&config(path.clone(), 1, 1), texts.iter().cloned()).unwrap();
        assert_eq!(&capped.vocab[0], "##s");
        assert!(!capped.vocab.contains("love"));
        let specials_only = tokenizer_json(&dir, &["[UNK]", "[CLS]", "[SEP]"]);
        let err = fit(&config(specials_only, 1, 10), texts.iter().cloned()).unwrap_err();
        assert!(err.to_string().contains("the training texts use no piece of"), "{err}");
        let err = fit(&config(dir.join("missing.json"), 1, 1), texts.into_iter()).unwrap_err();
        assert!(format!("{err:#}").contains("reading the word-piece vocabulary"), "{err:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
