//! Reading a [`FeatureKind`] from JSON without serde's buffering. The reader serde derives
//! for an internally tagged enum first copies the whole object into a `Content` tree, since
//! the `type` key may come last; for a word-piece feature that tree holds ~10,000 pieces, and
//! building it was a fifth of a word-piece student's load (4.2 of 19.9 M instructions).
//! Writers (serde's and dram's) put `type` first, so this reader takes the tag and then reads
//! the variant's fields straight from the document. An object whose `type` comes later (one
//! written by hand, say) is read through a `serde_json::Value` and the same variant readers.
//!
//! Each variant's fields are read by a private struct; the `From` conversions destructure it
//! and build the variant field by field, so a field added to one and not the other does not
//! compile.

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::{FeatureKind, TokenizerSpec, WordPieceSpec};
use crate::format::event_kind::EventKind;

impl<'de> Deserialize<'de> for FeatureKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FeatureKind, D::Error> {
        deserializer.deserialize_map(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = FeatureKind;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a feature kind: an object with a `type` field")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FeatureKind, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Err(de::Error::missing_field("type"));
        };
        if first == "type" {
            let tag: Tag = map.next_value()?;
            return tag.read(MapAccessDeserializer::new(map));
        }
        let mut object = serde_json::Map::new();
        object.insert(first, map.next_value()?);
        while let Some((key, value)) = map.next_entry::<String, serde_json::Value>()? {
            if object.insert(key.clone(), value).is_some() {
                return Err(de::Error::custom(format_args!("duplicate field `{key}`")));
            }
        }
        let tag = object.remove("type").ok_or_else(|| de::Error::missing_field("type"))?;
        let tag = Tag::deserialize(tag).map_err(de::Error::custom)?;
        tag.read(serde_json::Value::Object(object)).map_err(de::Error::custom)
    }
}

/// The `type` of a feature kind.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Tag {
    Categorical,
    Hashed,
    Numeric,
    Sequence,
    Text,
    WordPieces,
}

impl Tag {
    /// The variant's fields, read from the rest of the object.
    fn read<'de, D: Deserializer<'de>>(self, fields: D) -> Result<FeatureKind, D::Error> {
        Ok(match self {
            Tag::Categorical => Categorical::deserialize(fields)?.into(),
            Tag::Hashed => Hashed::deserialize(fields)?.into(),
            Tag::Numeric => Numeric::deserialize(fields)?.into(),
            Tag::Sequence => Sequence::deserialize(fields)?.into(),
            Tag::Text => Text::deserialize(fields)?.into(),
            Tag::WordPieces => WordPieces::deserialize(fields)?.into(),
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Categorical {
    vocab_size: u64,
}

impl From<Categorical> for FeatureKind {
    fn from(Categorical { vocab_size }: Categorical) -> FeatureKind {
        FeatureKind::Categorical { vocab_size }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Hashed {
    buckets: u64,
    salt: u64,
}

impl From<Hashed> for FeatureKind {
    fn from(Hashed { buckets, salt }: Hashed) -> FeatureKind {
        FeatureKind::Hashed { buckets, salt }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Numeric {
    mean: f32,
    std: f32,
    #[serde(default)]
    log1p: bool,
}

impl From<Numeric> for FeatureKind {
    fn from(Numeric { mean, std, log1p }: Numeric) -> FeatureKind {
        FeatureKind::Numeric { mean, std, log1p }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sequence {
    max_len: u32,
    item_feature: String,
    #[serde(default)]
    event_kinds: Vec<EventKind>,
}

impl From<Sequence> for FeatureKind {
    fn from(Sequence { max_len, item_feature, event_kinds }: Sequence) -> FeatureKind {
        FeatureKind::Sequence { max_len, item_feature, event_kinds }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    tokenizer: TokenizerSpec,
}

impl From<Text> for FeatureKind {
    fn from(Text { tokenizer }: Text) -> FeatureKind {
        FeatureKind::Text { tokenizer }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WordPieces {
    tokenizer: WordPieceSpec,
}

impl From<WordPieces> for FeatureKind {
    fn from(WordPieces { tokenizer }: WordPieces) -> FeatureKind {
        FeatureKind::WordPieces { tokenizer }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds() -> Vec<FeatureKind> {
        vec![
            FeatureKind::Categorical { vocab_size: 7 },
            FeatureKind::Hashed { buckets: 64, salt: 3 },
            FeatureKind::Numeric { mean: 1.5, std: 0.5, log1p: true },
            FeatureKind::Numeric { mean: 0.0, std: 1.0, log1p: false },
            FeatureKind::Sequence { max_len: 20, item_feature: "item".into(), event_kinds: vec![EventKind::Click] },
            FeatureKind::Sequence { max_len: 5, item_feature: "item".into(), event_kinds: vec![] },
            FeatureKind::Text {
                tokenizer: TokenizerSpec {
                    lowercase: true,
                    strip_accents: true,
                    word_ngrams: vec![1, 2],
                    char_ngrams: vec![3],
                    buckets: 1 << 10,
                    salt: 5,
                    max_tokens: 64,
                },
            },
            FeatureKind::WordPieces { tokenizer: WordPieceSpec::new(vec!["a".into(), "##b".into()], 8, 3) },
        ]
    }

    #[test]
    fn every_kind_round_trips_with_the_type_first_or_last() {
        for kind in kinds() {
            let json = serde_json::to_string(&kind).unwrap();
            assert!(json.starts_with(r#"{"type":"#), "{json}");
            assert_eq!(serde_json::from_str::<FeatureKind>(&json).unwrap(), kind, "{json}");
            // The same object with `type` moved to the end.
            let (tag, rest) = json[1..].split_once(',').unwrap();
            let last = format!("{{{},{tag}}}", &rest[..rest.len() - 1]);
            assert!(last.ends_with(r#""}"#) && !last.starts_with(r#"{"type""#), "{last}");
            assert_eq!(serde_json::from_str::<FeatureKind>(&last).unwrap(), kind, "{last}");
        }
    }

    #[test]
    fn defaults_apply_and_mistakes_are_named() {
        let numeric: FeatureKind = serde_json::from_str(r#"{"type":"numeric","mean":1,"std":2}"#).unwrap();
        assert_eq!(numeric, FeatureKind::Numeric { mean: 1.0, std: 2.0, log1p: false });
        let err = |json: &str| serde_json::from_str::<FeatureKind>(json).unwrap_err().to_string();
        assert!(err(r#"{"type":"hashed","buckets":4}"#).contains("missing field `salt`"));
        assert!(err(r#"{"type":"hashed","buckets":4,"salt":1,"extra":0}"#).contains("unknown field `extra`"));
        assert!(err(r#"{"buckets":4,"salt":1,"extra":0,"type":"hashed"}"#).contains("unknown field `extra`"));
        assert!(err(r#"{"type":"ngrams"}"#).contains("unknown variant `ngrams`"));
        assert!(err(r#"{"buckets":4}"#).contains("missing field `type`"));
        assert!(err(r#"{}"#).contains("missing field `type`"));
        assert!(err(r#"{"type":"hashed","type":"hashed","buckets":4,"salt":1}"#).contains("type"));
        assert!(err(r#"{"buckets":4,"buckets":5,"salt":1,"type":"hashed"}"#).contains("duplicate field `buckets`"));
        assert!(err(r#""hashed""#).contains("feature kind"));
    }
}
