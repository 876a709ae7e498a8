//! Properties that must hold for every input, not only the examples: preprocessing and ranking
//! never panic and fail only with typed input errors, ranking returns a permutation of its
//! candidates with finite scores, and histories round-trip through their file format.

use std::sync::{Arc, OnceLock};

use dram_core::manifest::Manifest;
use dram_core::preprocess::text::tokens;
use dram_core::{Candidate, ErrorCode, Event, EventKind, Features, History, Model, Ranker, Value};
use proptest::prelude::*;

fn fixture(name: &str) -> Arc<Model> {
    let path = format!("{}/../tests/vectors/models/{name}", env!("CARGO_MANIFEST_DIR"));
    Arc::new(Model::load(path).unwrap())
}

fn ranker_model() -> Arc<Model> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    MODEL.get_or_init(|| fixture("ranker.onnx")).clone()
}

/// Any string: arbitrary Unicode (control characters, combining marks, astral planes), plus
/// long runs and characters that change length when lower-cased or decomposed.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        1 => (any::<char>(), 0..20_000usize).prop_map(|(c, n)| std::iter::repeat_n(c, n).collect()),
        1 => proptest::collection::vec(prop::sample::select(vec!['İ', 'ß', 'ﬁ', 'é', '\u{301}', '\u{0}', '👍', '很', ' ', '\u{202e}']), 0..300)
            .prop_map(|v| v.into_iter().collect()),
    ]
}

/// Any number, NaN, infinities, subnormals and extremes included.
fn any_number() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::MAX),
        Just(-1.0),
        Just(f64::MIN_POSITIVE / 2.0),
    ]
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![any::<i64>().prop_map(Value::Int), any_number().prop_map(Value::Float), any_text().prop_map(Value::Str)]
}

/// Values for some, all or none of the fixture ranker's candidate and context features, under
/// their real names or odd ones.
fn any_features(names: &'static [&'static str]) -> impl Strategy<Value = Features> {
    let name = prop_oneof![4 => prop::sample::select(names).prop_map(String::from), 1 => any_text()];
    proptest::collection::btree_map(name, any_value(), 0..4)
}

fn any_candidate() -> impl Strategy<Value = Candidate> {
    (any_text(), any_features(&["category", "price"])).prop_map(|(item, features)| Candidate { item, features })
}

/// A plausible candidate: every feature present with a well-typed finite value.
fn good_candidate() -> impl Strategy<Value = Candidate> {
    (0i64..60, "[a-z]{0,8}", -1e6f64..1e6).prop_map(|(item, category, price)| {
        Candidate::new(item.to_string()).with("category", category).with("price", price.abs())
    })
}

fn any_event() -> impl Strategy<Value = Event> {
    let item = prop_oneof![
        "[0-9]{1,3}",
        any::<String>().prop_filter("1..=256 bytes", |s| !s.is_empty() && s.len() <= 256),
    ];
    (item, 0u8..5, any::<i64>()).prop_map(|(item, kind, ts)| Event::new(item, EventKind::from_code(kind).unwrap(), ts))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn ranking_any_input_gives_scores_or_an_input_error(
        candidates in proptest::collection::vec(any_candidate(), 0..6),
        context in any_features(&["age", "device"]),
        events in proptest::collection::vec(any_event(), 0..8),
    ) {
        let ranker = Ranker::new(ranker_model(), History::new(8).unwrap()).unwrap();
        ranker.set_context(context);
        for event in events {
            ranker.record(event).unwrap();
        }
        match ranker.rank(&candidates) {
            Ok(ranked) => prop_assert_eq!(ranked.len(), candidates.len()),
            Err(err) => prop_assert_eq!(err.code(), ErrorCode::InvalidInput, "{}", err),
        }
    }

    #[test]
    fn ranking_is_a_permutation_with_finite_sorted_scores(
        candidates in proptest::collection::vec(good_candidate(), 1..40),
        age in 0.0f64..120.0,
        events in proptest::collection::vec(any_event(), 0..12),
    ) {
        let ranker = Ranker::new(ranker_model(), History::new(10).unwrap()).unwrap();
        ranker.set_context(Features::from([("age".into(), age.into()), ("device".into(), "ios".into())]));
        for event in events {
            ranker.record(event).unwrap();
        }
        let ranked = ranker.rank(&candidates).unwrap();
        let mut indices: Vec<usize> = ranked.iter().map(|s| s.index).collect();
        indices.sort_unstable();
        prop_assert_eq!(indices, (0..candidates.len()).collect::<Vec<_>>());
        for scored in &ranked {
            prop_assert!(scored.score.is_finite());
            prop_assert_eq!(&scored.item, &candidates[scored.index].item);
        }
        prop_assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn classifying_any_text_gives_a_distribution_or_an_input_error(text in any_text()) {
        static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
        let classifier = dram_core::Classifier::new(MODEL.get_or_init(|| fixture("classifier.onnx")).clone()).unwrap();
        match classifier.classify_text(&text) {
            Ok(pairs) => {
                let total: f32 = pairs.iter().map(|(_, p)| p).sum();
                prop_assert!(pairs.iter().all(|(_, p)| p.is_finite() && *p >= 0.0));
                prop_assert!((total - 1.0).abs() < 1e-4);
            }
            Err(err) => prop_assert_eq!(err.code(), ErrorCode::InvalidInput, "{}", err),
        }
    }

    #[test]
    fn tokens_never_exceed_max_tokens(text in any_text(), max_tokens in 1u32..64) {
        let spec = dram_core::manifest::TokenizerSpec {
            lowercase: true, strip_accents: true, word_ngrams: vec![1, 2], char_ngrams: vec![3, 5],
            buckets: 1000, salt: 1, max_tokens,
        };
        prop_assert!(tokens(&spec, &text).len() <= max_tokens as usize);
    }

    #[test]
    fn history_round_trips_through_its_file_format(
        capacity in 1usize..64,
        events in proptest::collection::vec(any_event(), 0..100),
    ) {
        let mut history = History::new(capacity).unwrap();
        for event in events {
            history.record(event).unwrap();
        }
        let bytes = history.to_bytes();
        prop_assert_eq!(History::from_bytes(&bytes).unwrap(), history.clone());
        // Bounded: header, checksum and at most `capacity` events of at most 267 bytes.
        prop_assert!(bytes.len() <= 24 + capacity * (1 + 8 + 2 + 256));
    }

    #[test]
    fn history_bytes_never_panic_the_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(history) = History::from_bytes(&bytes) {
            prop_assert_eq!(history.to_bytes(), bytes);
        }
    }

    #[test]
    fn manifest_text_never_panics_the_parser(json in any_text()) {
        if let Ok(manifest) = Manifest::from_json(&json) {
            prop_assert_eq!(Manifest::from_json(&manifest.to_json()).unwrap(), manifest);
        }
    }
}
