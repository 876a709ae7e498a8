//! The shared test vectors, run through the Rust API: the same truth the C, Kotlin and Swift
//! suites check.

use std::path::PathBuf;
use std::sync::Arc;

use dram_core::{Candidate, Classifier, ErrorCode, Event, Features, History, Model, Ranker, Value};
use serde_json::Value as Json;

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn read_json(name: &str) -> Json {
    serde_json::from_slice(&std::fs::read(vectors_dir().join(name)).unwrap()).unwrap()
}

fn value(j: &Json) -> Value {
    if let Some(i) = j.get("int") {
        return Value::Int(i.as_i64().unwrap());
    }
    if let Some(s) = j.get("str") {
        return Value::Str(s.as_str().unwrap().to_string());
    }
    match &j["float"] {
        Json::String(s) => Value::Float(s.parse::<f64>().unwrap()),
        f => Value::Float(f.as_f64().unwrap()),
    }
}

fn features(j: &Json) -> Features {
    j.as_object().unwrap().iter().map(|(k, v)| (k.clone(), value(v))).collect()
}

fn run_ranking_vectors(file: &str) {
    let vectors = read_json(file);
    let path = vectors_dir().join(vectors["model"].as_str().unwrap());
    let model = Arc::new(Model::load(&path).unwrap());
    let tolerance = vectors["tolerance"].as_f64().unwrap() as f32;
    for case in vectors["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let history = History::new(case["history_capacity"].as_u64().unwrap() as usize).unwrap();
        let ranker = Ranker::new(model.clone(), history).unwrap();
        ranker.set_context(features(&case["context"]));
        for e in case["events"].as_array().unwrap() {
            let event: Event = serde_json::from_value(e.clone()).unwrap();
            ranker.record(event).unwrap();
        }
        let candidates: Vec<Candidate> = case["candidates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| Candidate { item: c["item"].as_str().unwrap().into(), features: features(&c["features"]) })
            .collect();
        match case.get("expected_error") {
            Some(code) => {
                let err = ranker.rank(&candidates).unwrap_err();
                assert_eq!(code, "invalid_input", "{name}");
                assert_eq!(err.code(), ErrorCode::InvalidInput, "{name}: {err}");
            }
            None => {
                let ranked = ranker.rank(&candidates).unwrap();
                let expected = &case["expected"];
                let items: Vec<&str> = ranked.iter().map(|s| s.item.as_str()).collect();
                let want: Vec<&str> = expected["ranking"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
                assert_eq!(items, want, "{name}");
                for s in &ranked {
                    let want = expected["scores"][s.index].as_f64().unwrap() as f32;
                    assert!((s.score - want).abs() <= tolerance, "{name}: candidate {} scored {} expected {want}", s.index, s.score);
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
    let classifier = Classifier::new(Arc::new(Model::from_bytes(&bytes).unwrap())).unwrap();
    let labels: Vec<&str> = vectors["labels"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert_eq!(classifier.labels(), labels.as_slice());
    let tolerance = vectors["tolerance"].as_f64().unwrap() as f32;
    let cases = vectors["cases"].as_array().unwrap();
    let texts: Vec<&str> = cases.iter().map(|c| c["text"].as_str().unwrap()).collect();
    let batch = classifier.classify_texts(&texts).unwrap();
    for (case, pairs) in cases.iter().zip(batch) {
        for (label, p) in pairs {
            let column = labels.iter().position(|l| *l == label).unwrap();
            let want = case["probabilities"][column].as_f64().unwrap() as f32;
            assert!((p - want).abs() <= tolerance, "{:?} {label}: {p} vs {want}", case["text"]);
        }
    }
    let single = classifier.classify_text(texts[0]).unwrap();
    assert!((single.iter().map(|(_, p)| p).sum::<f32>() - 1.0).abs() < 1e-5);
}

#[test]
fn hash_vectors() {
    for case in read_json("hash.json")["cases"].as_array().unwrap() {
        let salt: u64 = case["salt"].as_str().unwrap().parse().unwrap();
        let text = case["text"].as_str().unwrap();
        assert_eq!(format!("{:016x}", dram_core::hash::hash64(salt, text.as_bytes())), case["hash64"].as_str().unwrap());
        assert_eq!(dram_core::hash::bucket(salt, text, 1000), case["bucket_1000"].as_u64().unwrap());
    }
}

#[test]
fn tokenizer_vectors() {
    let vectors = read_json("tokenizer.json");
    let spec: dram_core::manifest::TokenizerSpec = serde_json::from_value(vectors["tokenizer"].clone()).unwrap();
    for case in vectors["cases"].as_array().unwrap() {
        let tokens = dram_core::preprocess::text::tokens(&spec, case["text"].as_str().unwrap());
        let want: Vec<String> = serde_json::from_value(case["tokens"].clone()).unwrap();
        assert_eq!(tokens, want);
    }
}

#[test]
fn word_piece_vectors() {
    let vectors = read_json("word_pieces.json");
    let spec: dram_core::manifest::WordPieceSpec = serde_json::from_value(vectors["tokenizer"].clone()).unwrap();
    let vocab = dram_core::preprocess::wordpiece::Vocab::from(&spec.vocab);
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for case in cases {
        let text = match case["text"].as_str() {
            Some(t) => t.to_string(),
            None => case["text"]["repeat"].as_str().unwrap().repeat(case["text"]["times"].as_u64().unwrap() as usize),
        };
        let want: Vec<i64> = serde_json::from_value(case["rows"].clone()).unwrap();
        let (mut ids, mut weights) = (vec![], vec![]);
        dram_core::preprocess::wordpiece::encode_word_pieces(&spec, &vocab, &text, &mut ids, &mut weights).unwrap();
        let len = spec.max_tokens as usize;
        // Window offset 0 holds the pieces themselves, padded with 0; weights mark them.
        assert_eq!(&ids[..want.len()], want.as_slice(), "{text:.40}");
        assert!(ids[want.len()..len].iter().all(|&id| id == 0));
        assert_eq!(weights.iter().filter(|&&w| w == 1.0).count(), want.len());
    }
}
