//! The on-device text featuriser: normalise, split into words, emit hashed word and character
//! n-grams in reading order. The same code builds training tensors on the host.
//!
//! Tokens are emitted position by position (at word `i`: the word n-grams ending at `i`, then
//! the character n-grams of word `i`), so truncation at `max_tokens` keeps the start of the
//! text with every kind of n-gram, and work stops once `max_tokens` tokens exist, however long
//! the text.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::format::hash::bucket;
use crate::format::manifest::TokenizerSpec;
use crate::{Error, Result};

/// Longest text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// Lower-cases and strips accents as the spec says.
///
/// ```
/// use dram_core::preprocess::text::normalize;
/// # let spec = dram_core::manifest::TokenizerSpec { lowercase: true, strip_accents: true,
/// #     word_ngrams: vec![1], char_ngrams: vec![], buckets: 10, salt: 0, max_tokens: 8 };
/// assert_eq!(normalize(&spec, "Été Crème"), "ete creme");
/// ```
pub fn normalize(spec: &TokenizerSpec, text: &str) -> String {
    let lowered = if spec.lowercase { text.to_lowercase() } else { text.to_owned() };
    if spec.strip_accents {
        lowered.nfd().filter(|c| !is_combining_mark(*c)).nfc().collect()
    } else {
        lowered.nfc().collect()
    }
}

/// The tokens of `text`, in emission order, at most `max_tokens`.
///
/// Words are maximal runs of alphanumeric characters; every other character separates words
/// (so punctuation and emoji are dropped). A word n-gram joins its words with one space; a
/// character n-gram is taken over the word wrapped in `<` and `>`.
///
/// ```
/// use dram_core::preprocess::text::tokens;
/// # let spec = dram_core::manifest::TokenizerSpec { lowercase: true, strip_accents: false,
/// #     word_ngrams: vec![1, 2], char_ngrams: vec![3], buckets: 10, salt: 0, max_tokens: 64 };
/// assert_eq!(tokens(&spec, "Hi yo"), ["hi", "<hi", "hi>", "yo", "hi yo", "<yo", "yo>"]);
/// ```
pub fn tokens(spec: &TokenizerSpec, text: &str) -> Vec<String> {
    let normalized = normalize(spec, text);
    let max = spec.max_tokens as usize;
    let mut out = Vec::new();
    let mut window: Vec<&str> = Vec::new();
    let longest_word_gram = spec.word_ngrams.iter().copied().max().unwrap_or(0) as usize;
    for word in normalized.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        window.push(word);
        if window.len() > longest_word_gram.max(1) {
            window.remove(0);
        }
        for &n in &spec.word_ngrams {
            let n = n as usize;
            if window.len() >= n {
                out.push(window[window.len() - n..].join(" "));
                if out.len() == max {
                    return out;
                }
            }
        }
        let wrapped: Vec<char> = std::iter::once('<').chain(word.chars()).chain(Some('>')).collect();
        for &n in &spec.char_ngrams {
            for gram in wrapped.windows(n as usize) {
                out.push(gram.iter().collect());
                if out.len() == max {
                    return out;
                }
            }
        }
    }
    out
}

/// Refuses a text longer than [`MAX_TEXT_BYTES`] before any featuriser reads it.
pub(crate) fn check_size(text: &str) -> Result<()> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(Error::TooLarge { what: "text", size: text.len(), limit: MAX_TEXT_BYTES });
    }
    Ok(())
}

/// Appends `max_tokens` ids (`1 + bucket`, 0 for padding) and mean-pooling weights.
pub fn encode_text(
    spec: &TokenizerSpec,
    text: &str,
    ids: &mut Vec<i64>,
    weights: &mut Vec<f32>,
) -> Result<()> {
    check_size(text)?;
    let tokens = tokens(spec, text);
    let width = spec.max_tokens as usize;
    let weight = if tokens.is_empty() { 0.0 } else { 1.0 / tokens.len() as f32 };
    let start = ids.len();
    ids.extend(tokens.iter().map(|t| bucket(spec.salt, t, spec.buckets) as i64 + 1));
    weights.extend(std::iter::repeat_n(weight, tokens.len()));
    ids.resize(start + width, 0);
    weights.resize(start + width, 0.0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(max_tokens: u32) -> TokenizerSpec {
        TokenizerSpec {
            lowercase: true,
            strip_accents: true,
            word_ngrams: vec![1, 2],
            char_ngrams: vec![3],
            buckets: 1 << 18,
            salt: 11,
            max_tokens,
        }
    }

    #[test]
    fn accents_case_emoji_and_cjk() {
        let s = spec(100);
        assert_eq!(tokens(&s, "Très BIEN 👍"), tokens(&s, "tres bien"));
        assert_eq!(tokens(&s, "很好"), ["很好", "<很好", "很好>"]);
        assert!(tokens(&s, "").is_empty());
        assert!(tokens(&s, " ,.!👍 ").is_empty());
    }

    #[test]
    fn long_text_stops_at_max_tokens() {
        let s = spec(16);
        let text = "word ".repeat(20_000);
        assert_eq!(tokens(&s, &text).len(), 16);
        let (mut ids, mut w) = (vec![], vec![]);
        encode_text(&s, &text, &mut ids, &mut w).unwrap();
        assert_eq!(ids.len(), 16);
        assert!((w.iter().sum::<f32>() - 1.0).abs() < 1e-5);
    }

    #[test]
    fn one_giant_word_stops_at_max_tokens_too() {
        let s = spec(16);
        assert_eq!(tokens(&s, &"x".repeat(100_000)).len(), 16);
    }

    #[test]
    fn padding_and_limits() {
        let s = spec(8);
        let (mut ids, mut w) = (vec![], vec![]);
        encode_text(&s, "ok", &mut ids, &mut w).unwrap();
        assert_eq!(&ids[3..], &[0; 5]);
        assert!(ids[..3].iter().all(|&id| id > 0));
        assert_eq!(&w[..3], &[1.0 / 3.0; 3]);
        let huge = "a".repeat(MAX_TEXT_BYTES + 1);
        assert!(encode_text(&s, &huge, &mut ids, &mut w).is_err());
    }
}
