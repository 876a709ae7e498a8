//! Signed models (`tests/vectors/signature.json`) and the size limits through the Swift-facing
//! API, as the generated Swift calls it; ios/Tests/DramTests/IntegrityTests.swift checks the
//! same through Swift itself.

use std::collections::HashMap;

use dram_ffi::{Candidate, DramError, DramModel, FeatureValue, Ranker};
use dram_test_vectors::SignatureVectors;

fn signature() -> SignatureVectors {
    dram_test_vectors::read("signature.json")
}

fn file(pick: fn(&SignatureVectors) -> &String) -> Vec<u8> {
    dram_test_vectors::bytes(pick(&signature()))
}

fn key(pick: fn(&SignatureVectors) -> &String) -> Vec<u8> {
    let vectors = signature();
    let hex = pick(&vectors);
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
    let model = DramModel::from_bytes_verified(file(|v| &v.signed), key(|v| &v.public_key)).unwrap();
    assert_eq!(model.task(), "ranker");
    let unsigned = invalid_model_message(DramModel::from_bytes_verified(file(|v| &v.unsigned), key(|v| &v.public_key)));
    assert!(unsigned.contains("not signed"), "{unsigned}");
    let tampered = invalid_model_message(DramModel::from_bytes_verified(file(|v| &v.tampered), key(|v| &v.public_key)));
    assert!(tampered.contains("modified after signing"), "{tampered}");
    let foreign = invalid_model_message(DramModel::from_bytes_verified(file(|v| &v.signed), key(|v| &v.other_public_key)));
    assert!(foreign.contains("signed by public key"), "{foreign}");
    let err = DramModel::from_bytes_verified(file(|v| &v.signed), vec![0; 33]).unwrap_err();
    assert!(matches!(err, DramError::InvalidInput { .. }), "{err:?}");
}

#[test]
fn huge_candidate_lists_and_non_finite_numbers_are_invalid_input() {
    let model = DramModel::from_bytes(file(|v| &v.unsigned)).unwrap();
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
