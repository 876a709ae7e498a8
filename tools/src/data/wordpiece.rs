//! BERT's WordPiece tokenizer for the teacher, read from a Hugging Face `tokenizer.json`:
//! dram-core's word pieces ([`dram_core::preprocess::wordpiece`], the one implementation the
//! on-device students use too) over the file's vocabulary, with `[UNK]` for unspellable words
//! and `[CLS] ... [SEP]` around them.
//!
//! Written here rather than taken from the `tokenizers` crate: the teacher needs only this one
//! fixed pipeline, and `tokenizers` brings a regex engine (C `onig` or `fancy-regex`), rayon
//! and a dozen other crates into a build shared by four engineers on two cores.

use std::collections::HashMap;
use std::path::Path;

use dram_core::preprocess::wordpiece::Vocab;

/// Why a tokenizer file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TokenizerError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io { path: String, source: std::io::Error },
    /// The file is not the JSON expected.
    #[error("{path} is not a Hugging Face tokenizer.json with a WordPiece model: {detail}")]
    Format { path: String, detail: String },
}

/// A WordPiece vocabulary with BERT's normalisation (uncased).
#[derive(Debug, Clone)]
pub struct WordPiece {
    vocab: Vocab,
    unk: u32,
    cls: u32,
    sep: u32,
}

impl WordPiece {
    /// Reads the `model.vocab` of a `tokenizer.json`.
    pub fn load(path: &Path) -> Result<WordPiece, TokenizerError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TokenizerError::Io { path: p.clone(), source })?;
        let json: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| TokenizerError::Format { path: p.clone(), detail: e.to_string() })?;
        let vocab = json["model"]["vocab"]
            .as_object()
            .ok_or_else(|| TokenizerError::Format { path: p.clone(), detail: "no model.vocab object".into() })?
            .iter()
            .map(|(k, v)| v.as_u64().map(|id| (k.clone(), id as u32)))
            .collect::<Option<HashMap<_, _>>>()
            .ok_or_else(|| TokenizerError::Format { path: p.clone(), detail: "a vocab id is not an integer".into() })?;
        WordPiece::from_vocab(vocab).map_err(|detail| TokenizerError::Format { path: p, detail })
    }

    /// A tokenizer over `vocab`, which must hold `[UNK]`, `[CLS]` and `[SEP]`.
    ///
    /// ```
    /// use dram_tools::data::wordpiece::WordPiece;
    /// let vocab = ["[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "!"];
    /// let wp = WordPiece::from_vocab(vocab.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect()).unwrap();
    /// assert_eq!(wp.encode("Unaffable!", 16), vec![1, 3, 4, 5, 6, 2]);
    /// ```
    pub fn from_vocab(vocab: HashMap<String, u32>) -> Result<WordPiece, String> {
        let vocab = Vocab::from_ids(vocab);
        let id = |t: &str| vocab.id(t).ok_or_else(|| format!("the vocabulary has no {t} token"));
        Ok(WordPiece { unk: id("[UNK]")?, cls: id("[CLS]")?, sep: id("[SEP]")?, vocab })
    }

    /// Number of tokens in the vocabulary.
    pub fn len(&self) -> usize {
        self.vocab.len()
    }

    /// Whether the vocabulary is empty (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.vocab.is_empty()
    }

    /// Token ids of `text`: `[CLS]`, at most `max_len - 2` word pieces, `[SEP]`.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut ids = vec![self.cls];
        ids.extend(self.vocab.pieces(text, max_len.saturating_sub(2)).into_iter().map(|p| p.unwrap_or(self.unk)));
        ids.push(self.sep);
        ids
    }

    /// The `(piece, id)` pairs of the vocabulary.
    pub fn vocabulary(&self) -> &Vocab {
        &self.vocab
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "love", "it", "!", "run", "##s", "small", "cafe", "你", "好", ",", "’"];
        WordPiece::from_vocab(vocab.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect()).unwrap()
    }

    #[test]
    fn encodes_greedy_longest_match_with_unknowns_and_truncation() {
        let wp = tiny();
        assert_eq!(wp.encode("Love it! Runs small", 32), vec![2, 4, 5, 6, 7, 8, 9, 3]);
        assert_eq!(wp.encode("CAFÉ 你好, it’", 32), vec![2, 10, 11, 12, 13, 5, 14, 3]);
        // A word with an unmatched piece is one [UNK].
        assert_eq!(wp.encode("runx love", 32), vec![2, 1, 4, 3]);
        assert_eq!(wp.encode("", 32), vec![2, 3]);
        assert_eq!(wp.encode("love it love it", 4), vec![2, 4, 5, 3]);
        let long = "a".repeat(101);
        assert_eq!(wp.encode(&long, 8), vec![2, 1, 3]);
    }
}
