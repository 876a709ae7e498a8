//! The shared test vectors (`tests/vectors/`), run through the Swift binding's Rust layer:
//! the same truth the Rust, C, Kotlin and XCTest suites check, here applied to the
//! conversions between Swift-facing values and dram-core.

use std::collections::HashMap;
use std::path::PathBuf;

use dram_ffi::{Candidate, Classifier, DramError, DramModel, EventKind, FeatureValue, Ranker};
use serde_json::Value as Json;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn read_json(name: &str) -> Json {
    serde_json::from_slice(&std::fs::read(vectors_dir().join(name)).unwrap()).unwrap()
}

fn value(j: &Json) -> FeatureValue {
    if let Some(i) = j.get("int") {
        return FeatureValue::Int(i.as_i64().unwrap());
    }
    if let Some(s) = j.get("str") {
        return FeatureValue::String(s.as_str().unwrap().to_string());
    }
    match &j["float"] {
        Json::String(s) => FeatureValue::Double(s.parse::<f64>().unwrap()),
        f => FeatureValue::Double(f.as_f64().unwrap()),
    }
}

fn features(j: &Json) -> HashMap<String, FeatureValue> {
    j.as_object().unwrap().iter().map(|(k, v)| (k.clone(), value(v))).collect()
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
    let vectors = read_json(file);
    let path = vectors_dir().join(vectors["model"].as_str().unwrap());
    let model = DramModel::from_file(path.to_str().unwrap().to_owned()).unwrap();
    assert_eq!(model.task(), "ranker");
    let tolerance = vectors["tolerance"].as_f64().unwrap() as f32;
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let capacity = u32::try_from(case["history_capacity"].as_u64().unwrap()).unwrap();
        let ranker = Ranker::new(model.clone(), capacity).unwrap();
        ranker.set_context(features(&case["context"]));
        for e in case["events"].as_array().unwrap() {
            let item = e["item"].as_str().unwrap().to_owned();
            ranker.record(item, kind(e["kind"].as_str().unwrap()), e["timestamp_ms"].as_i64().unwrap()).unwrap();
        }
        let candidates: Vec<Candidate> = case["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Candidate { item: c["item"].as_str().unwrap().into(), features: features(&c["features"]) })
            .collect();
        match case.get("expected_error") {
            Some(code) => {
                assert_eq!(code, "invalid_input", "{name}");
                let err = ranker.rank(candidates.clone()).unwrap_err();
                assert!(matches!(err, DramError::InvalidInput { .. }), "{name}: {err:?}");
                let err = ranker.score(candidates).unwrap_err();
                assert!(matches!(err, DramError::InvalidInput { .. }), "{name}: {err:?}");
            }
            None => {
                let expected = &case["expected"];
                let ranked = ranker.rank(candidates.clone()).unwrap();
                let items: Vec<&str> = ranked.iter().map(|s| s.item.as_str()).collect();
                let want: Vec<&str> =
                    expected["ranking"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
                assert_eq!(items, want, "{name}");
                for s in &ranked {
                    let want = expected["scores"][s.index as usize].as_f64().unwrap() as f32;
                    assert!(
                        (s.score - want).abs() <= tolerance,
                        "{name}: candidate {} scored {} expected {want}",
                        s.index,
                        s.score
                    );
                    assert_eq!(s.item, candidates[s.index as usize].item, "{name}");
                }
                let scores = ranker.score(candidates).unwrap();
                for (i, score) in scores.iter().enumerate() {
                    let want = expected["scores"][i].as_f64().unwrap() as f32;
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
    let vectors = read_json(file);
    let bytes = std::fs::read(vectors_dir().join(vectors["model"].as_str().unwrap())).unwrap();
    let model = DramModel::from_bytes(bytes).unwrap();
    assert_eq!(model.task(), "classifier");
    let classifier = Classifier::new(model).unwrap();
    let labels: Vec<String> =
        vectors["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_owned()).collect();
    assert_eq!(classifier.labels(), labels);
    let tolerance = vectors["tolerance"].as_f64().unwrap() as f32;
    let cases = vectors["cases"].as_array().unwrap();
    let texts: Vec<String> = cases.iter().map(|c| c["text"].as_str().unwrap().to_owned()).collect();
    let batch = classifier.classify_batch(texts.clone()).unwrap();
    assert_eq!(batch.len(), cases.len());
    for ((case, text), pairs) in cases.iter().zip(texts).zip(batch) {
        let single = classifier.classify(text.clone()).unwrap();
        assert_eq!(single, pairs, "{text:?}: one text and a batch of one agree");
        assert!(pairs.windows(2).all(|w| w[0].probability >= w[1].probability), "{text:?}: most probable first");
        for pair in pairs {
            let column = labels.iter().position(|l| *l == pair.label).unwrap();
            let want = case["probabilities"][column].as_f64().unwrap() as f32;
            assert!(
                (pair.probability - want).abs() <= tolerance,
                "{text:?} {}: {} vs {want}",
                pair.label,
                pair.probability
            );
        }
    }
}
