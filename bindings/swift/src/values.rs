//! The plain values that cross to Swift (records and enums), and their one-to-one conversion
//! to and from dram-core's types.

use std::collections::HashMap;

use dram_core::{Features, Value};

/// One raw feature value, as the app has it. Swift: `.int(42)`, `.double(19.9)`,
/// `.string("shoes")`.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum FeatureValue {
    /// An integer (ids, counts).
    Int(i64),
    /// A number.
    Double(f64),
    /// Text: a category, a SKU, free text.
    String(String),
}

impl From<FeatureValue> for Value {
    fn from(value: FeatureValue) -> Value {
        match value {
            FeatureValue::Int(v) => Value::Int(v),
            FeatureValue::Double(v) => Value::Float(v),
            FeatureValue::String(v) => Value::Str(v),
        }
    }
}

/// Named feature values from Swift (`[String: FeatureValue]`) as dram-core's [`Features`].
pub(crate) fn features(values: HashMap<String, FeatureValue>) -> Features {
    values.into_iter().map(|(name, value)| (name, value.into())).collect()
}

/// What the user did to an item. Swift: `.view`, `.click`, `.addToCart`, `.purchase`,
/// `.wishlist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum EventKind {
    /// The item's detail page was seen.
    View,
    /// The item was clicked in a list.
    Click,
    /// The item was added to the cart.
    AddToCart,
    /// The item was bought.
    Purchase,
    /// The item was added to a wish list.
    Wishlist,
}

impl From<EventKind> for dram_core::EventKind {
    fn from(kind: EventKind) -> dram_core::EventKind {
        match kind {
            EventKind::View => dram_core::EventKind::View,
            EventKind::Click => dram_core::EventKind::Click,
            EventKind::AddToCart => dram_core::EventKind::AddToCart,
            EventKind::Purchase => dram_core::EventKind::Purchase,
            EventKind::Wishlist => dram_core::EventKind::Wishlist,
        }
    }
}

/// An item to rank: its key plus the candidate features the model reads.
/// Swift: `Candidate(item: "sku-1", features: ["price": .double(19.9)])`.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Candidate {
    /// The item key; history events name items by the same key.
    pub item: String,
    /// Other candidate features by name (empty by default).
    #[uniffi(default)]
    pub features: HashMap<String, FeatureValue>,
}

impl From<Candidate> for dram_core::Candidate {
    fn from(candidate: Candidate) -> dram_core::Candidate {
        dram_core::Candidate { item: candidate.item, features: features(candidate.features) }
    }
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ScoredItem {
    /// The candidate's item key.
    pub item: String,
    /// Its position in the list passed to `rank`.
    pub index: u32,
    /// The model's score; higher is better.
    pub score: f32,
}

impl From<dram_core::Scored> for ScoredItem {
    fn from(scored: dram_core::Scored) -> ScoredItem {
        // `Ranker::score` rejects more than MAX_ROWS_PER_CALL (65 536) candidates, so every
        // index fits in a u32.
        let index = u32::try_from(scored.index).expect("candidate index exceeds u32");
        ScoredItem { item: scored.item, index, score: scored.score }
    }
}

/// One class and its probability.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct LabelProbability {
    /// The class label, as the model's manifest names it.
    pub label: String,
    /// Its probability (the classes of one text sum to 1).
    pub probability: f32,
}

impl From<(String, f32)> for LabelProbability {
    fn from((label, probability): (String, f32)) -> LabelProbability {
        LabelProbability { label, probability }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feature_values_map_to_core_values() {
        assert_eq!(Value::from(FeatureValue::Int(-3)), Value::Int(-3));
        assert_eq!(Value::from(FeatureValue::Double(0.5)), Value::Float(0.5));
        assert_eq!(Value::from(FeatureValue::String("x".into())), Value::Str("x".into()));
    }

    #[test]
    fn event_kinds_keep_their_stable_codes() {
        let kinds = [EventKind::View, EventKind::Click, EventKind::AddToCart, EventKind::Purchase, EventKind::Wishlist];
        for (kind, core) in kinds.into_iter().zip(dram_core::EventKind::ALL) {
            assert_eq!(dram_core::EventKind::from(kind), core);
        }
    }

    #[test]
    fn candidates_carry_item_and_features() {
        let c =
            Candidate { item: "sku-1".into(), features: HashMap::from([("price".into(), FeatureValue::Double(9.5))]) };
        assert_eq!(dram_core::Candidate::from(c), dram_core::Candidate::new("sku-1").with("price", 9.5));
    }
}
