//! # dram-test-vectors: one reader of the shared golden test vectors
//!
//! `tests/vectors/` holds the truth every binding is checked against: fixture models, the
//! inputs to give them and the scores to expect. The C suite (`bindings/c/tests/json.c`), the
//! Kotlin suite (`Vectors.kt`) and the XCTest suite (`Vectors.swift`) each read the JSON in
//! their own language; this crate is the reader for every Rust-side suite (dram-core's
//! `tests/vectors.rs`, the Swift binding's Rust tests), so the files' layout is spelled out in
//! Rust exactly once.
//!
//! The values are plain (strings, numbers, [`Value`]): each suite converts them into the types
//! of the API it tests, which keeps this crate free of any dependency on dram itself. A file
//! that does not parse is a broken fixture, so the readers panic with the file and the reason.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Deserialize;

/// The vectors directory, `tests/vectors` at the repository root.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors")
}

/// The path of a file inside the vectors directory (`models/ranker.onnx`, say).
pub fn path(name: &str) -> PathBuf {
    dir().join(name)
}

/// The bytes of a file inside the vectors directory.
pub fn bytes(name: &str) -> Vec<u8> {
    let path = path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("expected the test vector file {}: {e}", path.display()))
}

/// A JSON file of the vectors directory, parsed into `T`.
pub fn read<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_slice(&bytes(name))
        .unwrap_or_else(|e| panic!("tests/vectors/{name} does not have the layout the reader expects: {e}"))
}

/// A feature value as the vectors spell it: `{"int": 3}`, `{"str": "shoes"}`, or
/// `{"float": 1.5}` (with `"nan"`, `"inf"` and `"-inf"` as strings, which JSON has no number for).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    Int(i64),
    Str(String),
    Float(#[serde(deserialize_with = "float")] f64),
}

fn float<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Spelled {
        Number(f64),
        Name(String),
    }
    match Spelled::deserialize(d)? {
        Spelled::Number(x) => Ok(x),
        Spelled::Name(s) => s.parse().map_err(|_| serde::de::Error::custom(format!("expected a float, found {s:?}"))),
    }
}

/// A JSON object of feature values, by name.
pub type Features = serde_json::Map<String, serde_json::Value>;

/// The features of a JSON object of [`Value`]s, as `(name, value)` pairs sorted by name.
pub fn features(json: &Features) -> Vec<(String, Value)> {
    json.iter()
        .map(|(name, v)| {
            let value = Value::deserialize(v).unwrap_or_else(|e| panic!("feature {name:?}: {e}"));
            (name.clone(), value)
        })
        .collect()
}

/// `ranker.json`, `ranker_din.json`: a ranking model and the cases to run through it.
#[derive(Debug, Deserialize)]
pub struct RankingVectors {
    /// The model's path inside the vectors directory.
    pub model: String,
    /// The largest difference allowed between a score and the expected one.
    pub tolerance: f32,
    pub cases: Vec<RankingCase>,
}

/// One ranking: a fresh ranker with this history and context, asked to rank the candidates.
#[derive(Debug, Deserialize)]
#[serde(try_from = "RawRankingCase")]
pub struct RankingCase {
    pub name: String,
    pub history_capacity: u32,
    pub context: Vec<(String, Value)>,
    pub events: Vec<Event>,
    pub candidates: Vec<Candidate>,
    pub expected: Expected,
}

/// A recorded interaction, with its kind in snake case (`"add_to_cart"`).
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub item: String,
    pub kind: String,
    pub timestamp_ms: i64,
}

#[derive(Debug, Clone)]
pub struct Candidate {
    pub item: String,
    pub features: Vec<(String, Value)>,
}

/// What a ranking case must produce.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// Items best first, and each candidate's score in the order given.
    Ranking { ranking: Vec<String>, scores: Vec<f32> },
    /// The call fails with this error code (snake case: `"invalid_input"`).
    Error(String),
}

#[derive(Deserialize)]
struct RawRankingCase {
    name: String,
    history_capacity: u32,
    context: Features,
    events: Vec<Event>,
    candidates: Vec<RawCandidate>,
    expected: Option<RawExpected>,
    expected_error: Option<String>,
}

#[derive(Deserialize)]
struct RawCandidate {
    item: String,
    features: Features,
}

#[derive(Deserialize)]
struct RawExpected {
    ranking: Vec<String>,
    scores: Vec<f32>,
}

impl TryFrom<RawRankingCase> for RankingCase {
    type Error = String;

    fn try_from(raw: RawRankingCase) -> Result<Self, String> {
        let expected = match (raw.expected, raw.expected_error) {
            (Some(e), None) => Expected::Ranking { ranking: e.ranking, scores: e.scores },
            (None, Some(code)) => Expected::Error(code),
            _ => return Err(format!("case {:?}: expected exactly one of `expected` and `expected_error`", raw.name)),
        };
        let candidates =
            raw.candidates.into_iter().map(|c| Candidate { item: c.item, features: features(&c.features) }).collect();
        Ok(RankingCase {
            context: features(&raw.context),
            name: raw.name,
            history_capacity: raw.history_capacity,
            events: raw.events,
            candidates,
            expected,
        })
    }
}

/// `classifier.json`, `classifier_word_pieces.json`: a classifier and the probabilities it
/// gives each text.
#[derive(Debug, Deserialize)]
pub struct ClassifierVectors {
    pub model: String,
    /// The model's labels, in its output order.
    pub labels: Vec<String>,
    pub tolerance: f32,
    pub cases: Vec<ClassifierCase>,
}

#[derive(Debug, Deserialize)]
pub struct ClassifierCase {
    pub text: String,
    /// One probability per label, in the order of [`ClassifierVectors::labels`].
    pub probabilities: Vec<f32>,
}

/// `hash.json`: pinned outputs of the feature hash (`docs/model-format.md`).
#[derive(Debug, Deserialize)]
pub struct HashVectors {
    pub algorithm: String,
    pub cases: Vec<HashCase>,
}

#[derive(Debug, Deserialize)]
pub struct HashCase {
    /// Written as a decimal string, since JSON numbers lose `u64` precision.
    #[serde(deserialize_with = "decimal_u64")]
    pub salt: u64,
    pub text: String,
    /// `hash64(salt, text)`, written as 16 hex digits.
    #[serde(deserialize_with = "hex_u64")]
    pub hash64: u64,
    /// `hash64 % 1000`.
    pub bucket_1000: u64,
}

fn decimal_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    s.parse().map_err(|_| serde::de::Error::custom(format!("expected a decimal u64, found {s:?}")))
}

fn hex_u64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    u64::from_str_radix(&s, 16).map_err(|_| serde::de::Error::custom(format!("expected 16 hex digits, found {s:?}")))
}

/// `tokenizer.json`: a text tokenizer's settings and the tokens of each text.
#[derive(Debug, Deserialize)]
pub struct TokenizerVectors {
    /// The manifest's `TokenizerSpec`, for the suite to parse with dram-core's own type.
    pub tokenizer: serde_json::Value,
    pub cases: Vec<TokenizerCase>,
}

#[derive(Debug, Deserialize)]
pub struct TokenizerCase {
    pub text: String,
    pub tokens: Vec<String>,
}

/// `word_pieces.json`: a word-piece vocabulary and the table rows of each text's pieces.
#[derive(Debug, Deserialize)]
pub struct WordPieceVectors {
    /// The manifest's `WordPieceSpec`, for the suite to parse with dram-core's own type.
    pub tokenizer: serde_json::Value,
    pub cases: Vec<WordPieceCase>,
}

#[derive(Debug, Deserialize)]
pub struct WordPieceCase {
    pub text: Text,
    pub rows: Vec<i64>,
}

/// A text, or a long one written as a piece repeated.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Repeated { repeat: String, times: usize },
}

impl Text {
    pub fn expand(&self) -> String {
        match self {
            Text::Plain(s) => s.clone(),
            Text::Repeated { repeat, times } => repeat.repeat(*times),
        }
    }
}

/// `signature.json`: a signed model, its key, and files that must not verify with it.
#[derive(Debug, Deserialize)]
pub struct SignatureVectors {
    pub about: String,
    /// The trusted Ed25519 public key, 64 hex digits.
    pub public_key: String,
    /// A key that did not sign anything here, 64 hex digits.
    pub other_public_key: String,
    /// Paths inside the vectors directory.
    pub signed: String,
    pub tampered: String,
    pub unsigned: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ranking_file_parses_with_both_kinds_of_case() {
        for file in ["ranker.json", "ranker_din.json"] {
            let vectors: RankingVectors = read(file);
            assert!(vectors.cases.iter().any(|c| matches!(c.expected, Expected::Ranking { .. })), "{file}");
            assert!(vectors.cases.iter().any(|c| matches!(c.expected, Expected::Error(_))), "{file}");
            assert!(path(&vectors.model).is_file(), "{file}: {}", vectors.model);
        }
    }

    #[test]
    fn values_take_every_spelling() {
        let json: Features = serde_json::from_str(r#"{"a": {"int": 3}, "b": {"str": "x"}, "c": {"float": 1.5}, "d": {"float": "nan"}}"#).unwrap();
        let values = features(&json);
        assert_eq!(values[0], ("a".into(), Value::Int(3)));
        assert_eq!(values[1], ("b".into(), Value::Str("x".into())));
        assert_eq!(values[2], ("c".into(), Value::Float(1.5)));
        assert!(matches!(values[3].1, Value::Float(x) if x.is_nan()));
    }

    #[test]
    fn a_case_with_both_outcomes_is_refused() {
        let json = r#"{"name": "both", "history_capacity": 1, "context": {}, "events": [], "candidates": [],
            "expected": {"ranking": [], "scores": []}, "expected_error": "invalid_input"}"#;
        let err = serde_json::from_str::<RankingCase>(json).unwrap_err();
        assert!(err.to_string().contains("exactly one of"), "{err}");
    }

    #[test]
    fn hash_values_are_read_in_their_notations() {
        let vectors: HashVectors = read("hash.json");
        let first = &vectors.cases[0];
        assert_eq!((first.salt, first.text.as_str(), first.hash64), (0, "", 0x813f_0174_a236_7c13));
    }
}
