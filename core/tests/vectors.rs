//! The shared test vectors, run through the Rust API: the same truth the C, Kotlin and Swift
//! suites check. `dram-test-vectors` reads the files; this suite turns their plain values into
//! dram-core's types.

use std::sync::Arc;

use dram_core::{Candidate, Classifier, ErrorCode, Event, Features, History, Model, Ranker, Value};
use dram_test_vectors as vectors;
use dram_test_vectors::{ClassifierVectors, Expected, HashVectors, RankingVectors};

fn value(v: &vectors::Value) -> Value {
    match v {
        vectors::Value::Int(i) => Value::Int(*i),
        vectors::Value::Str(s) => Value::Str(s.clone()),
        vectors::Value::Float(f) => Value::Float(*f),
    }
}

fn features(pairs: &[(String, vectors::Value)]) -> Features {
    pairs.iter().map(|(name, v)| (name.clone(), value(v))).collect()
}

fn event(e: &vectors::Event) -> Event {
    let kind = serde_json::from_value(serde_json::Value::String(e.kind.clone()))
        .unwrap_or_else(|err| panic!("event kind {:?}: {err}", e.kind));
    Event::new(e.item.clone(), kind, e.timestamp_ms)
}

fn run_ranking_vectors(file: &str) {
    let vectors: RankingVectors = vectors::read(file);
    let model = Arc::new(Model::load(vectors::path(&vectors.model)).unwrap());
    for case in &vectors.cases {
        let name = &case.name;
        let ranker = Ranker::new(model.clone(), History::new(case.history_capacity as usize).unwrap()).unwrap();
        ranker.set_context(features(&case.context));
        for e in &case.events {
            ranker.record(event(e)).unwrap();
        }
        let candidates: Vec<Candidate> = case
            .candidates
            .iter()
            .map(|c| Candidate { item: c.item.as_str().into(), features: features(&c.features) })
            .collect();
        match &case.expected {
            Expected::Error(code) => {
                let err = ranker.rank(&candidates).unwrap_err();
                assert_eq!(code, "invalid_input", "{name}");
                assert_eq!(err.code(), ErrorCode::InvalidInput, "{name}: {err}");
            }
            Expected::Ranking { ranking, scores } => {
                let ranked = ranker.rank(&candidates).unwrap();
                let items: Vec<&str> = ranked.iter().map(|s| s.item.as_str()).collect();
                assert_eq!(items, *ranking, "{name}");
                for s in &ranked {
                    let want = scores[s.index];
                    assert!(
                        (s.score - want).abs() <= vectors.tolerance,
                        "{name}: candidate {} scored {} expected {want}",
                        s.index,
                        s.score
                    );
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
    let classifier = Classifier::new(Arc::new(Model::from_bytes(&vectors::bytes(&vectors.model)).unwrap())).unwrap();
    assert_eq!(classifier.labels(), vectors.labels.as_slice());
    let texts: Vec<&str> = vectors.cases.iter().map(|c| c.text.as_str()).collect();
    let batch = classifier.classify_texts(&texts).unwrap();
    assert_eq!(batch.len(), vectors.cases.len());
    for (case, pairs) in vectors.cases.iter().zip(batch) {
        for (label, p) in pairs {
            let column = vectors.labels.iter().position(|l| *l == label).unwrap();
            let want = case.probabilities[column];
            assert!((p - want).abs() <= vectors.tolerance, "{:?} {label}: {p} vs {want}", case.text);
        }
    }
    let single = classifier.classify_text(texts[0]).unwrap();
    assert!((single.iter().map(|(_, p)| p).sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn hash_vectors() {
    let vectors: HashVectors = vectors::read("hash.json");
    assert!(vectors.cases.len() >= 5);
    for case in &vectors.cases {
        assert_eq!(dram_core::hash::hash64(case.salt, case.text.as_bytes()), case.hash64, "{:?}", case.text);
        assert_eq!(dram_core::hash::bucket(case.salt, &case.text, 1000), case.bucket_1000, "{:?}", case.text);
    }
}

#[test]
fn tokenizer_vectors() {
    let vectors: vectors::TokenizerVectors = vectors::read("tokenizer.json");
    let spec: dram_core::manifest::TokenizerSpec = serde_json::from_value(vectors.tokenizer).unwrap();
    for case in &vectors.cases {
        assert_eq!(dram_core::preprocess::text::tokens(&spec, &case.text), case.tokens);
    }
}

#[test]
fn word_piece_vectors() {
    let vectors: vectors::WordPieceVectors = vectors::read("word_pieces.json");
    let spec: dram_core::manifest::WordPieceSpec = serde_json::from_value(vectors.tokenizer).unwrap();
    let vocab = dram_core::preprocess::wordpiece::Vocab::from(&spec.vocab);
    assert!(vectors.cases.len() >= 7);
    for case in &vectors.cases {
        let text = case.text.expand();
        let want = &case.rows;
        let (mut ids, mut weights) = (vec![], vec![]);
        dram_core::preprocess::wordpiece::encode_word_pieces(&spec, &vocab, &text, &mut ids, &mut weights).unwrap();
        let len = spec.max_tokens as usize;
        // Window offset 0 holds the pieces themselves, padded with 0; weights mark them.
        assert_eq!(&ids[..want.len()], want.as_slice(), "{text:.40}");
        assert!(ids[want.len()..len].iter().all(|&id| id == 0));
        assert_eq!(weights.iter().filter(|&&w| w == 1.0).count(), want.len());
    }
}
