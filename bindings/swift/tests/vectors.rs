//! The shared test vectors (`tests/vectors/`), run through the Swift binding's own API: the
//! uniffi-exported objects and records (`DramModel`, `Ranker`, `Classifier`, `FeatureValue`,
//! `Candidate`, `DramError`) called exactly as the generated `Dram.swift` calls them, so the
//! conversions between Swift-facing values and dram-core are checked against the same truth
//! as the Rust, C, Kotlin and XCTest suites. `dram-test-vectors` reads the files.

use std::collections::HashMap;

use dram_ffi::{Candidate, Classifier, DramError, DramModel, EventKind, FeatureValue, Ranker};
use dram_test_vectors as vectors;
use dram_test_vectors::{ClassifierVectors, Expected, RankingVectors};

fn value(v: &vectors::Value) -> FeatureValue {
    match v {
        vectors::Value::Int(i) => FeatureValue::Int(*i),
        vectors::Value::Str(s) => FeatureValue::String(s.clone()),
        vectors::Value::Float(f) => FeatureValue::Double(*f),
    }
}

fn features(pairs: &[(String, vectors::Value)]) -> HashMap<String, FeatureValue> {
    pairs.iter().map(|(name, v)| (name.clone(), value(v))).collect()
}

fn kind(name: &str) -> EventKind {
    match name {
        "view" => EventKind::View,
        "click" => EventKind::Click,
        "add_to_cart" => EventKind::AddToCart,
        "purchase" => EventKind::Purchase,
        "wishlist" => EventKind::Wishlist,
        other => panic!("unknown event kind {other:?} in the vectors"),
    }
}

fn run_ranking_vectors(file: &str) {
    let vectors: RankingVectors = vectors::read(file);
    let path = vectors::path(&vectors.model);
    let model = DramModel::from_file(path.to_str().unwrap().to_owned()).unwrap();
    assert_eq!(model.task(), "ranker");
    let tolerance = vectors.tolerance;
    for case in &vectors.cases {
        let name = &case.name;
        let ranker = Ranker::new(model.clone(), case.history_capacity).unwrap();
        ranker.set_context(features(&case.context));
        for e in &case.events {
            ranker.record(e.item.clone(), kind(&e.kind), e.timestamp_ms).unwrap();
        }
        let candidates: Vec<Candidate> =
            case.candidates.iter().map(|c| Candidate { item: c.item.clone(), features: features(&c.features) }).collect();
        match &case.expected {
            Expected::Error(code) => {
                assert_eq!(code, "invalid_input", "{name}");
                let err = ranker.rank(candidates.clone()).unwrap_err();
                assert!(matches!(err, DramError::InvalidInput { .. }), "{name}: {err:?}");
                let err = ranker.score(candidates).unwrap_err();
                assert!(matches!(err, DramError::InvalidInput { .. }), "{name}: {err:?}");
            }
            Expected::Ranking { ranking, scores } => {
                let ranked = ranker.rank(candidates.clone()).unwrap();
                let items: Vec<&str> = ranked.iter().map(|s| s.item.as_str()).collect();
                assert_eq!(items, *ranking, "{name}");
                for s in &ranked {
                    let want = scores[s.index as usize];
                    assert!(
                        (s.score - want).abs() <= tolerance,
                        "{name}: candidate {} scored {} expected {want}",
                        s.index,
                        s.score
                    );
                    assert_eq!(s.item, candidates[s.index as usize].item, "{name}");
                }
                let got = ranker.score(candidates).unwrap();
                assert_eq!(got.len(), scores.len(), "{name}");
                for (i, (score, want)) in got.iter().zip(scores).enumerate() {
                    assert!((score - want).abs() <= tolerance, "{name}: score {i} is {score}, expected {want}");
                }
            }
        }
    }
}

#[test]
fn ranker_vectors_mean_pooling() {
    run_ranking_vectors("ranker.json");
}

#[test]
fn ranker_vectors_target_attention() {
    run_ranking_vectors("ranker_din.json");
}

#[test]
fn classifier_vectors() {
    run_classifier_vectors("classifier.json");
}

#[test]
fn word_piece_classifier_vectors() {
    run_classifier_vectors("classifier_word_pieces.json");
}

fn run_classifier_vectors(file: &str) {
    let vectors: ClassifierVectors = vectors::read(file);
    let model = DramModel::from_bytes(vectors::bytes(&vectors.model)).unwrap();
    assert_eq!(model.task(), "classifier");
    let classifier = Classifier::new(model).unwrap();
    assert_eq!(classifier.labels(), vectors.labels);
    let texts: Vec<String> = vectors.cases.iter().map(|c| c.text.clone()).collect();
    let batch = classifier.classify_batch(texts.clone()).unwrap();
    assert_eq!(batch.len(), vectors.cases.len());
    for ((case, text), pairs) in vectors.cases.iter().zip(texts).zip(batch) {
        let single = classifier.classify(text.clone()).unwrap();
        assert_eq!(single, pairs, "{text:?}: one text and a batch of one agree");
        assert!(pairs.windows(2).all(|w| w[0].probability >= w[1].probability), "{text:?}: most probable first");
        for pair in pairs {
            let column = vectors.labels.iter().position(|l| *l == pair.label).unwrap();
            let want = case.probabilities[column];
            assert!(
                (pair.probability - want).abs() <= vectors.tolerance,
                "{text:?} {}: {} vs {want}",
                pair.label,
                pair.probability
            );
        }
    }
}
