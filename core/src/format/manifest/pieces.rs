//! A word-piece vocabulary as the manifest holds it: every piece in one string buffer with
//! their end offsets, read from and written to JSON as a plain array of strings, and a hash
//! table of positions built once, on first lookup. A 10,000-piece vocabulary is three
//! allocations instead of 10,000 `String`s, and the table that validation builds to find
//! repeated pieces is the one the tokeniser looks pieces up in: parsing, validating and
//! indexing the vocabulary had been about a third of a word-piece student's cold start.

use std::fmt;
use std::hash::Hasher;
use std::ops::Index;
use std::sync::OnceLock;

use hashbrown::HashTable;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An ordered list of word pieces; piece `i` is `pieces[i]`, and [`Pieces::position`] finds
/// a piece's first position.
///
/// ```
/// use dram_core::manifest::Pieces;
/// let pieces: Pieces = ["love", "##ly"].into_iter().collect();
/// assert_eq!(pieces.len(), 2);
/// assert_eq!(&pieces[1], "##ly");
/// assert_eq!(serde_json::to_string(&pieces).unwrap(), r###"["love","##ly"]"###);
/// assert_eq!(serde_json::from_str::<Pieces>(r###"["love","##ly"]"###).unwrap(), pieces);
/// ```
#[derive(Clone, Default)]
pub struct Pieces {
    text: String,
    /// `ends[i]` is where piece `i` ends in `text` (it starts where piece `i - 1` ends).
    ends: Vec<usize>,
    /// The first position of each distinct piece, hashed by [`PieceHasher`]; built on first
    /// use and cleared by [`Pieces::push`].
    index: OnceLock<HashTable<u32>>,
}

impl PartialEq for Pieces {
    fn eq(&self, other: &Pieces) -> bool {
        self.ends == other.ends && self.text == other.text
    }
}

impl Eq for Pieces {}

impl Pieces {
    /// An empty list with room for `pieces` pieces of `bytes` bytes in all.
    pub fn with_capacity(pieces: usize, bytes: usize) -> Pieces {
        Pieces { text: String::with_capacity(bytes), ends: Vec::with_capacity(pieces), index: OnceLock::new() }
    }

    /// Appends a piece.
    pub fn push(&mut self, piece: &str) {
        self.text.push_str(piece);
        self.ends.push(self.text.len());
        self.index.take();
    }

    /// The first position of `piece`, if the list holds it.
    ///
    /// ```
    /// use dram_core::manifest::Pieces;
    /// let pieces: Pieces = ["a", "##b", "a"].into_iter().collect();
    /// assert_eq!((pieces.position("a"), pieces.position("##b"), pieces.position("b")), (Some(0), Some(1), None));
    /// ```
    pub fn position(&self, piece: &str) -> Option<usize> {
        self.index().find(piece_hash(piece), |&at| &self[at as usize] == piece).map(|&at| at as usize)
    }

    /// Number of distinct pieces.
    pub fn distinct(&self) -> usize {
        self.index().len()
    }

    /// The first piece that occurs twice, if one does.
    pub fn first_duplicate(&self) -> Option<&str> {
        if self.distinct() == self.len() {
            return None;
        }
        self.iter().enumerate().find(|&(i, piece)| self.position(piece) != Some(i)).map(|(_, piece)| piece)
    }

    fn index(&self) -> &HashTable<u32> {
        self.index.get_or_init(|| {
            let mut table = HashTable::with_capacity(self.len());
            for (at, piece) in self.iter().enumerate() {
                let hash = piece_hash(piece);
                if table.find(hash, |&other: &u32| &self[other as usize] == piece).is_none() {
                    table.insert_unique(hash, at as u32, |&other| piece_hash(&self[other as usize]));
                }
            }
            table
        })
    }

    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no pieces.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Piece `index`, if there is one.
    pub fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        Some(&self.text[start..end])
    }

    /// The pieces in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(|i| &self[i])
    }

    /// Whether `piece` is in the list.
    pub fn contains(&self, piece: &str) -> bool {
        self.position(piece).is_some()
    }
}

/// FNV-1a over a piece's bytes, finished by SplitMix64 ([`crate::format::hash`]'s function without the
/// salt): a vocabulary of 10,000 pieces is indexed on every model load and each text probes it
/// many times per word, where the standard library's SipHash cost a fifth of a word-piece
/// model's load. The keys are the model's own pieces, and a probe costs one lookup whatever
/// the text, so flooding resistance buys nothing here.
#[derive(Debug, Clone, Copy)]
pub struct PieceHasher(u64);

impl Default for PieceHasher {
    fn default() -> Self {
        PieceHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for PieceHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        crate::format::hash::mix64(self.0)
    }
}

fn piece_hash(piece: &str) -> u64 {
    let mut hasher = PieceHasher::default();
    hasher.write(piece.as_bytes());
    hasher.finish()
}

impl Index<usize> for Pieces {
    type Output = str;

    fn index(&self, index: usize) -> &str {
        self.get(index).unwrap_or_else(|| panic!("piece {index} of {}", self.len()))
    }
}

impl<S: AsRef<str>> FromIterator<S> for Pieces {
    fn from_iter<I: IntoIterator<Item = S>>(pieces: I) -> Pieces {
        let mut out = Pieces::default();
        pieces.into_iter().for_each(|p| out.push(p.as_ref()));
        out
    }
}

impl From<Vec<String>> for Pieces {
    fn from(pieces: Vec<String>) -> Pieces {
        pieces.iter().collect()
    }
}

impl fmt::Debug for Pieces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Pieces {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for piece in self.iter() {
            seq.serialize_element(piece)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Pieces {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pieces, D::Error> {
        deserializer.deserialize_seq(PiecesVisitor)
    }
}

struct PiecesVisitor;

impl<'de> Visitor<'de> for PiecesVisitor {
    type Value = Pieces;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of word-piece strings")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pieces, A::Error> {
        // The hint is the parser's, from untrusted input: capped (the manifest's size limit
        // bounds the real count).
        let mut pieces = Pieces::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16), 0);
        while seq.next_element_seed(AppendPiece(&mut pieces))?.is_some() {}
        Ok(pieces)
    }
}

/// Deserialises one string straight onto the end of a [`Pieces`], borrowed or unescaped alike,
/// without a `String` of its own.
struct AppendPiece<'a>(&'a mut Pieces);

impl<'de> DeserializeSeed<'de> for AppendPiece<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for AppendPiece<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a word-piece string")
    }

    fn visit_str<E: serde::de::Error>(self, piece: &str) -> Result<(), E> {
        self.0.push(piece);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_escapes_and_empty_lists() {
        let pieces: Pieces = ["a\"b", "é", "##\\", ""].into_iter().collect();
        let json = serde_json::to_string(&pieces).unwrap();
        assert_eq!(json, r###"["a\"b","é","##\\",""]"###);
        assert_eq!(serde_json::from_str::<Pieces>(&json).unwrap(), pieces);
        assert_eq!(serde_json::from_str::<Pieces>("[]").unwrap(), Pieces::default());
        assert!(serde_json::from_str::<Pieces>(r#"["a", 1]"#).is_err());
        assert!(serde_json::from_str::<Pieces>(r#""a""#).is_err());
    }

    #[test]
    fn positions_are_first_occurrences_and_follow_pushes() {
        let mut pieces: Pieces = ["x", "y", "x"].into_iter().collect();
        assert_eq!((pieces.position("x"), pieces.position("y"), pieces.position("z")), (Some(0), Some(1), None));
        assert_eq!(pieces.first_duplicate(), Some("x"));
        pieces.push("z");
        assert_eq!(pieces.position("z"), Some(3));
        let unique: Pieces = ["a", "ab", "b", ""].into_iter().collect();
        assert_eq!(unique.first_duplicate(), None);
        assert_eq!(unique.clone().position("b"), Some(2));
        assert_eq!(Pieces::default().position(""), None);
    }

    #[test]
    fn pieces_are_read_back_in_order() {
        let pieces = Pieces::from(vec!["x".to_string(), String::new(), "yz".into()]);
        assert_eq!(pieces.iter().collect::<Vec<_>>(), ["x", "", "yz"]);
        assert_eq!((pieces.get(2), pieces.get(3)), (Some("yz"), None));
        assert!(pieces.contains("") && !pieces.contains("y"));
        assert_eq!(format!("{pieces:?}"), r#"["x", "", "yz"]"#);
    }
}
