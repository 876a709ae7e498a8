//! Signed models (`tests/vectors/signature.json`) and the size limits through the Swift-facing
//! API, as the generated Swift calls it; ios/Tests/DramTests/IntegrityTests.swift checks the
//! same through Swift itself.

use std::collections::HashMap;
use std::path::PathBuf;

use dram_ffi::{Candidate, DramError, DramModel, FeatureValue, Ranker};
use serde_json::Value as Json;

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

fn signature() -> Json {
    serde_json::from_slice(&std::fs::read(vectors_dir().join("signature.json")).unwrap()).unwrap()
}

fn file(field: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(signature()[field].as_str().unwrap())).unwrap()
}

fn key(field: &str) -> Vec<u8> {
    let hex = signature()[field].as_str().unwrap().to_owned();
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

fn invalid_model_message(result: Result<std::sync::Arc<DramModel>, DramError>) -> String {
    match result {
        Err(DramError::InvalidModel { message }) => message,
        other => panic!("expected InvalidModel, got {other:?}"),
    }
}

#[test]
fn a_signed_model_loads_with_the_trusted_key_only() {
    let model = DramModel::from_bytes_verified(file("signed"), key("public_key")).unwrap();
    assert_eq!(model.task(), "ranker");
    let unsigned = invalid_model_message(DramModel::from_bytes_verified(file("unsigned"), key("public_key")));
    assert!(unsigned.contains("not signed"), "{unsigned}");
    let tampered = invalid_model_message(DramModel::from_bytes_verified(file("tampered"), key("public_key")));
    assert!(tampered.contains("modified after signing"), "{tampered}");
    let foreign = invalid_model_message(DramModel::from_bytes_verified(file("signed"), key("other_public_key")));
    assert!(foreign.contains("signed by public key"), "{foreign}");
    let err = DramModel::from_bytes_verified(file("signed"), vec![0; 33]).unwrap_err();
    assert!(matches!(err, DramError::InvalidInput { .. }), "{err:?}");
}

#[test]
fn huge_candidate_lists_and_non_finite_numbers_are_invalid_input() {
    let model = DramModel::from_bytes(file("unsigned")).unwrap();
    let ranker = Ranker::new(model, 5).unwrap();
    ranker.set_context(HashMap::from([
        ("age".to_owned(), FeatureValue::Double(31.0)),
        ("device".to_owned(), FeatureValue::String("ios".into())),
    ]));
    let candidate = |price: f64| Candidate {
        item: "3".into(),
        features: HashMap::from([
            ("category".to_owned(), FeatureValue::String(String::new())),
            ("price".to_owned(), FeatureValue::Double(price)),
        ]),
    };
    let err = ranker.rank(vec![candidate(1.0); 65_537]).unwrap_err();
    assert!(matches!(&err, DramError::InvalidInput { message } if message.contains("65536")), "{err:?}");
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = ranker.rank(vec![candidate(bad)]).unwrap_err();
        assert!(matches!(&err, DramError::InvalidInput { message } if message.contains("finite")), "{err:?}");
    }
    // An empty string is a value like any other.
    assert_eq!(ranker.rank(vec![candidate(1.0)]).unwrap().len(), 1);
}
