//! Encoding of the behaviour history into a padded id sequence with mean-pooling weights.

use super::{encode_item_key, EventSource};
use crate::format::manifest::{FeatureKind, FeatureSpec};

/// Appends `max_len` ids and weights for one row: the newest events first (only the kinds
/// the feature keeps), encoded with the item feature's vocabulary; each real event weighs
/// `1 / count`, padding is id 0 with weight 0. An empty history yields all padding, which
/// pools to a zero vector.
pub fn encode_sequence(
    feature: &FeatureSpec,
    item_feature: &FeatureSpec,
    history: &dyn EventSource,
    ids: &mut Vec<i64>,
    weights: &mut Vec<f32>,
) {
    let FeatureKind::Sequence { max_len, event_kinds, .. } = &feature.kind else {
        unreachable!("encode_sequence is called for sequence features only")
    };
    let max_len = *max_len as usize;
    let start = ids.len();
    for event in history
        .newest_first()
        .filter(|e| event_kinds.is_empty() || event_kinds.contains(&e.kind))
        .take(max_len)
    {
        ids.push(encode_item_key(item_feature, &event.item));
    }
    let count = ids.len() - start;
    let weight = if count == 0 { 0.0 } else { 1.0 / count as f32 };
    weights.extend(std::iter::repeat_n(weight, count));
    ids.resize(start + max_len, 0);
    weights.resize(start + max_len, 0.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Event, EventKind};
    use crate::format::manifest::Scope;

    fn features(kinds: Vec<EventKind>) -> (FeatureSpec, FeatureSpec) {
        let item = FeatureSpec::new("item", Scope::Candidate, FeatureKind::Categorical { vocab_size: 100 });
        let seq = FeatureSpec::new(
            "recent",
            Scope::History,
            FeatureKind::Sequence { max_len: 3, item_feature: "item".into(), event_kinds: kinds },
        );
        (seq, item)
    }

    #[test]
    fn newest_first_truncated_and_padded() {
        let (seq, item) = features(vec![]);
        let events: Vec<Event> =
            (1..=5).map(|i| Event::new(i.to_string(), EventKind::View, i)).collect();
        let (mut ids, mut w) = (vec![], vec![]);
        encode_sequence(&seq, &item, &events, &mut ids, &mut w);
        assert_eq!(ids, [6, 5, 4]);
        assert_eq!(w, [1.0 / 3.0; 3]);

        let (mut ids, mut w) = (vec![], vec![]);
        encode_sequence(&seq, &item, &events[..1].to_vec(), &mut ids, &mut w);
        assert_eq!(ids, [2, 0, 0]);
        assert_eq!(w, [1.0, 0.0, 0.0]);
    }

    #[test]
    fn kinds_filter_and_unknown_keys() {
        let (seq, item) = features(vec![EventKind::Purchase]);
        let events = vec![
            Event::new("7", EventKind::Purchase, 1),
            Event::new("8", EventKind::View, 2),
            Event::new("not-a-number", EventKind::Purchase, 3),
        ];
        let (mut ids, mut w) = (vec![], vec![]);
        encode_sequence(&seq, &item, &events, &mut ids, &mut w);
        assert_eq!(ids, [0, 8, 0]);
        assert_eq!(w, [0.5, 0.5, 0.0]);
    }

    #[test]
    fn empty_history_is_all_padding() {
        let (seq, item) = features(vec![]);
        let (mut ids, mut w) = (vec![], vec![]);
        encode_sequence(&seq, &item, &Vec::new(), &mut ids, &mut w);
        assert_eq!(ids, [0, 0, 0]);
        assert_eq!(w, [0.0; 3]);
    }
}
