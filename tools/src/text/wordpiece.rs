//! BERT's WordPiece tokenizer on the host, read from a Hugging Face `tokenizer.json`: the
//! `BertNormalizer` (clean control characters, space out CJK ideographs, lower-case, strip
//! accents), the `BertPreTokenizer` (split on whitespace and punctuation) and greedy
//! longest-match-first WordPiece with `##` continuations, then `[CLS] ... [SEP]`.
//!
//! Written here rather than taken from the `tokenizers` crate: the teacher needs only this one
//! fixed pipeline, and `tokenizers` brings a regex engine (C `onig` or `fancy-regex`), rayon
//! and a dozen other crates into a build shared by four engineers on two cores. Character
//! classes come from `unicode_categories`, the crate `tokenizers` itself uses, so the rules
//! match it exactly.

use std::collections::HashMap;
use std::path::Path;

use unicode_categories::UnicodeCategories;
use unicode_normalization::UnicodeNormalization;

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
    vocab: HashMap<String, u32>,
    unk: u32,
    cls: u32,
    sep: u32,
    max_word_chars: usize,
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
    /// use dram_tools::text::wordpiece::WordPiece;
    /// let vocab = ["[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "!"];
    /// let wp = WordPiece::from_vocab(vocab.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect()).unwrap();
    /// assert_eq!(wp.encode("Unaffable!", 16), vec![1, 3, 4, 5, 6, 2]);
    /// ```
    pub fn from_vocab(vocab: HashMap<String, u32>) -> Result<WordPiece, String> {
        let id = |t: &str| vocab.get(t).copied().ok_or_else(|| format!("the vocabulary has no {t} token"));
        Ok(WordPiece { unk: id("[UNK]")?, cls: id("[CLS]")?, sep: id("[SEP]")?, vocab, max_word_chars: 100 })
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
        let keep = max_len.saturating_sub(2);
        'words: for word in pre_tokenize(&normalize(text)) {
            for id in self.word_pieces(&word) {
                if ids.len() > keep {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(self.sep);
        ids
    }

    fn word_pieces(&self, word: &str) -> Vec<u32> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > self.max_word_chars {
            return vec![self.unk];
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                let mut piece: String = chars[start..end].iter().collect();
                if start > 0 {
                    piece.insert_str(0, "##");
                }
                if let Some(&id) = self.vocab.get(&piece) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => pieces.push(id),
                None => return vec![self.unk],
            }
            start = end;
        }
        pieces
    }
}

/// BERT's uncased normalisation: drop NUL, U+FFFD and control characters, turn whitespace
/// into spaces, surround CJK ideographs with spaces, then NFD, drop nonspacing marks and
/// lower-case.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{fffd}' || is_control(c) {
            continue;
        }
        if is_whitespace(c) {
            out.push(' ');
        } else if is_cjk(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out.nfd().filter(|c| !c.is_mark_nonspacing()).collect::<String>().to_lowercase()
}

/// Splits normalised text on whitespace and makes every punctuation character its own word.
pub fn pre_tokenize(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for chunk in text.split(is_whitespace) {
        let mut current = String::new();
        for c in chunk.chars() {
            if is_punctuation(c) {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                words.push(c.to_string());
            } else {
                current.push(c);
            }
        }
        if !current.is_empty() {
            words.push(current);
        }
    }
    words
}

fn is_whitespace(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || c.is_whitespace()
}

fn is_control(c: char) -> bool {
    !matches!(c, '\t' | '\n' | '\r') && c.is_other()
}

fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation() || c.is_punctuation()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> WordPiece {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "love", "it", "!", "run", "##s", "small", "cafe", "你", "好", ",", "’"];
        WordPiece::from_vocab(vocab.iter().enumerate().map(|(i, t)| (t.to_string(), i as u32)).collect()).unwrap()
    }

    #[test]
    fn normalisation_lowercases_strips_accents_and_spaces_out_cjk() {
        assert_eq!(normalize("Café\tNOW\u{0}\u{200b}"), "cafe now");
        assert_eq!(normalize("你好"), " 你  好 ");
        assert_eq!(pre_tokenize("it's  great,ok"), ["it", "'", "s", "great", ",", "ok"]);
        assert_eq!(pre_tokenize("wow…“yes”"), ["wow", "…", "“", "yes", "”"]);
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
