//! BERT's WordPiece tokenisation, once for host and device: the uncased `BertNormalizer`
//! (drop control characters, space out CJK ideographs, strip accents, lower-case), the
//! `BertPreTokenizer` (split on whitespace and punctuation) and greedy longest-match-first
//! word pieces with `##` continuations. The host's MiniLM teacher and the on-device word-piece
//! students both tokenise here, and a student's convolution windows are encoded here too.
//!
//! Character classes come from `unicode_categories`, the crate Hugging Face `tokenizers` uses,
//! so the rules match it exactly.

use std::collections::HashMap;

use unicode_categories::UnicodeCategories;
use unicode_normalization::UnicodeNormalization;

pub use crate::format::manifest::PieceHasher;
use crate::format::manifest::{Pieces, WordPieceSpec};
use crate::Result;

/// Words longer than this many characters become one unknown piece, as in BERT.
pub const MAX_WORD_CHARS: usize = 100;

/// A word-piece vocabulary ready for lookups: its pieces ([`Pieces`], one buffer and a hash
/// table of positions) and, when they are not the positions, their ids. Built from a
/// manifest's vocabulary it reuses the table validation built.
///
/// ```
/// use dram_core::preprocess::wordpiece::Vocab;
/// let vocab = Vocab::new(["un", "##aff", "##able", "!"]);
/// assert_eq!(vocab.pieces("Unaffable!", 16), vec![Some(0), Some(1), Some(2), Some(3)]);
/// assert_eq!(vocab.pieces("unknown", 16), vec![None]);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Vocab {
    pieces: Pieces,
    /// The id of each of `pieces`; `None` when ids are positions.
    ids: Option<Vec<u32>>,
}

impl Vocab {
    /// A vocabulary whose `i`-th piece has id `i` (a repeated piece keeps its first id).
    pub fn new<S: AsRef<str>>(pieces: impl IntoIterator<Item = S>) -> Vocab {
        Vocab { pieces: pieces.into_iter().collect(), ids: None }
    }

    /// A vocabulary from explicit `(piece, id)` pairs, as a `tokenizer.json` lists them.
    pub fn from_ids(ids: HashMap<String, u32>) -> Vocab {
        let (pieces, ids): (Vec<String>, Vec<u32>) = ids.into_iter().unzip();
        Vocab { pieces: pieces.iter().collect(), ids: Some(ids) }
    }

    /// The id of `piece`, if the vocabulary holds it.
    pub fn id(&self, piece: &str) -> Option<u32> {
        let at = self.pieces.position(piece)?;
        Some(self.ids.as_ref().map_or(at as u32, |ids| ids[at]))
    }

    /// Every `(piece, id)` pair, a repeated piece once.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.pieces
            .iter()
            .enumerate()
            .filter(|&(at, piece)| self.pieces.position(piece) == Some(at))
            .map(|(at, piece)| (piece, self.ids.as_ref().map_or(at as u32, |ids| ids[at])))
    }

    /// Number of distinct pieces.
    pub fn len(&self) -> usize {
        self.pieces.distinct()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The first `max_pieces` pieces of `text`: `Some(id)`, or `None` for a word the
    /// vocabulary cannot spell (BERT's `[UNK]`, one per such word).
    pub fn pieces(&self, text: &str, max_pieces: usize) -> Vec<Option<u32>> {
        let mut out = Vec::new();
        if max_pieces == 0 {
            return out;
        }
        for word in pre_tokenize(&normalize(text)) {
            for piece in self.word_pieces(&word) {
                out.push(piece);
                if out.len() == max_pieces {
                    return out;
                }
            }
        }
        out
    }

    fn word_pieces(&self, word: &str) -> Vec<Option<u32>> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            return vec![None];
        }
        let mut pieces = Vec::new();
        let mut start = 0;
        let mut piece = String::new();
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                piece.clear();
                if start > 0 {
                    piece.push_str("##");
                }
                piece.extend(&chars[start..end]);
                if let Some(id) = self.id(&piece) {
                    found = Some(id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => pieces.push(Some(id)),
                None => return vec![None],
            }
            start = end;
        }
        pieces
    }
}

impl From<&Pieces> for Vocab {
    /// A manifest's vocabulary: ids are positions, and the lookup table comes along (built
    /// once, by validation) instead of being built again.
    fn from(pieces: &Pieces) -> Vocab {
        Vocab { pieces: pieces.clone(), ids: None }
    }
}

/// BERT's uncased normalisation: drop NUL, U+FFFD and control characters, turn whitespace
/// into spaces, surround CJK ideographs with spaces, then NFD, drop nonspacing marks and
/// lower-case.
///
/// ```
/// assert_eq!(dram_core::preprocess::wordpiece::normalize("Café\tNOW"), "cafe now");
/// ```
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
///
/// ```
/// assert_eq!(dram_core::preprocess::wordpiece::pre_tokenize("it's ok"), ["it", "'", "s", "ok"]);
/// ```
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

/// Appends one row of a word-piece feature: `window * max_tokens` ids laid out window offset
/// first (`ids[j][t]` is the row of piece `t + j`: `1 + vocabulary index`, 0 for an unknown
/// word or past the end) and `max_tokens` pooling weights (1 on real pieces, 0 on padding).
///
/// ```
/// use dram_core::manifest::WordPieceSpec;
/// use dram_core::preprocess::wordpiece::{encode_word_pieces, Vocab};
/// let spec = WordPieceSpec::new(vec!["good".into(), "fit".into()], 3, 2);
/// let vocab = Vocab::from(&spec.vocab);
/// let (mut ids, mut weights) = (vec![], vec![]);
/// encode_word_pieces(&spec, &vocab, "Good fit", &mut ids, &mut weights).unwrap();
/// assert_eq!(ids, [1, 2, 0, /* shifted by one: */ 2, 0, 0]);
/// assert_eq!(weights, [1.0, 1.0, 0.0]);
/// ```
pub fn encode_word_pieces(
    spec: &WordPieceSpec,
    vocab: &Vocab,
    text: &str,
    ids: &mut Vec<i64>,
    weights: &mut Vec<f32>,
) -> Result<()> {
    super::text::check_size(text)?;
    let len = spec.max_tokens as usize;
    let rows: Vec<i64> = vocab.pieces(text, len).into_iter().map(|p| p.map_or(0, |id| id as i64 + 1)).collect();
    for offset in 0..spec.window as usize {
        let shifted = rows.iter().skip(offset).copied();
        let start = ids.len();
        ids.extend(shifted);
        ids.resize(start + len, 0);
    }
    let start = weights.len();
    weights.extend(std::iter::repeat_n(1.0, rows.len()));
    weights.resize(start + len, 0.0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::text::MAX_TEXT_BYTES;
    use super::*;
    use crate::Error;

    fn tiny() -> Vocab {
        Vocab::new(["love", "it", "!", "run", "##s", "small", "cafe", "你", "好", ",", "’"])
    }

    #[test]
    fn normalisation_lowercases_strips_accents_and_spaces_out_cjk() {
        assert_eq!(normalize("Café\tNOW\u{0}\u{200b}"), "cafe now");
        assert_eq!(normalize("你好"), " 你  好 ");
        assert_eq!(pre_tokenize("it's  great,ok"), ["it", "'", "s", "great", ",", "ok"]);
        assert_eq!(pre_tokenize("wow…“yes”"), ["wow", "…", "“", "yes", "”"]);
    }

    #[test]
    fn greedy_longest_match_with_unknown_words_and_truncation() {
        let v = tiny();
        let ids = |text: &str, max: usize| v.pieces(text, max);
        assert_eq!(ids("Love it! Runs small", 32), [0, 1, 2, 3, 4, 5].map(Some));
        assert_eq!(ids("CAFÉ 你好, it’", 32), [6, 7, 8, 9, 1, 10].map(Some));
        assert_eq!(ids("runx love", 32), [None, Some(0)]);
        assert!(ids("", 32).is_empty());
        assert!(ids(" 👍 ", 32) == [None]);
        assert_eq!(ids("love it love it", 2), [Some(0), Some(1)]);
        assert_eq!(ids(&"a".repeat(101), 8), [None]);
        assert!(ids("love", 0).is_empty());
    }

    #[test]
    fn windows_shift_and_pad() {
        let spec = WordPieceSpec::new(vec!["a".into(), "b".into(), "c".into()], 4, 3);
        let vocab = Vocab::from(&spec.vocab);
        let (mut ids, mut w) = (vec![], vec![]);
        encode_word_pieces(&spec, &vocab, "a b zz c", &mut ids, &mut w).unwrap();
        assert_eq!(ids, [1, 2, 0, 3, /* + 1 */ 2, 0, 3, 0, /* + 2 */ 0, 3, 0, 0]);
        assert_eq!(w, [1.0; 4]);
        encode_word_pieces(&spec, &vocab, "", &mut ids, &mut w).unwrap();
        assert_eq!(&ids[12..], &[0; 12]);
        assert_eq!(&w[4..], &[0.0; 4]);
        let huge = "a ".repeat(MAX_TEXT_BYTES);
        assert!(matches!(encode_word_pieces(&spec, &vocab, &huge, &mut ids, &mut w), Err(Error::TooLarge { .. })));
    }

    #[test]
    fn long_text_stops_at_max_tokens() {
        let spec = WordPieceSpec::new(vec!["word".into()], 16, 2);
        let vocab = Vocab::from(&spec.vocab);
        let (mut ids, mut w) = (vec![], vec![]);
        encode_word_pieces(&spec, &vocab, &"word ".repeat(20_000), &mut ids, &mut w).unwrap();
        assert_eq!(ids.len(), 32);
        assert_eq!(&ids[..16], &[1; 16]);
        assert_eq!(&ids[16..31], &[1; 15]);
        assert_eq!(ids[31], 0);
    }
}
