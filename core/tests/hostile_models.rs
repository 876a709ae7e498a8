//! Hostile model files and oversized inputs through the public API: each is refused with a
//! typed error before anything large is allocated, and signed models are accepted only from
//! the trusted key (the fixtures of `tests/vectors/signature.json`).

use dram_core::manifest::*;
use dram_core::preprocess::{Encoder, MAX_ENCODED_BYTES};
use dram_core::{model_file, Candidate, Error, ErrorCode, Features, History, Model};
use dram_core::onnx_proto::TensorProto;

fn vectors(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../tests/vectors/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn signature_vectors() -> serde_json::Value {
    serde_json::from_slice(&vectors("signature.json")).unwrap()
}

fn key(hex: &serde_json::Value) -> Vec<u8> {
    let hex = hex.as_str().unwrap();
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn signed_fixtures_verify_only_with_the_trusted_key() {
    let v = signature_vectors();
    let file = |field: &str| vectors(v[field].as_str().unwrap());
    let trusted = key(&v["public_key"]);
    let model = Model::load_verified(&file("signed"), &trusted).unwrap();
    // The signed file is the unsigned one plus its signature: same manifest and graph.
    assert_eq!(model.manifest(), Model::from_bytes(&file("unsigned")).unwrap().manifest());
    assert!(matches!(Model::load_verified(&file("unsigned"), &trusted), Err(Error::Unsigned)));
    let err = Model::load_verified(&file("tampered"), &trusted).unwrap_err();
    assert!(matches!(err, Error::BadSignature { .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::InvalidModel);
    let err = Model::load_verified(&file("signed"), &key(&v["other_public_key"])).unwrap_err();
    assert!(matches!(err, Error::UntrustedSigner { .. }), "{err}");
    let err = Model::load_verified(&file("signed"), &[0u8; 31]).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    // Unverified loading still accepts the signed file: the signature is only metadata.
    Model::from_bytes(&file("signed")).unwrap();
}

#[test]
fn every_single_byte_change_of_a_signed_model_is_refused() {
    let v = signature_vectors();
    let signed = vectors(v["signed"].as_str().unwrap());
    let trusted = key(&v["public_key"]);
    // Every 7th byte, so the test stays quick; each position is flipped in all of its bits.
    for at in (0..signed.len()).step_by(7) {
        let mut bytes = signed.clone();
        bytes[at] ^= 0xff;
        if Model::load_verified(&bytes, &trusted).is_ok() {
            // Only a change protobuf decodes to the same message may pass (none is expected).
            let same = model_file::encode(&model_file::decode(&bytes).unwrap()) == model_file::encode(&model_file::decode(&signed).unwrap());
            assert!(same, "byte {at} changed the model and still verified");
        }
    }
}

#[test]
fn a_model_declaring_a_huge_tensor_is_refused_before_tract_sees_it() {
    let mut proto = model_file::decode(&vectors("models/ranker.onnx")).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    graph.initializer.push(TensorProto { name: "bomb".into(), dims: vec![1 << 30, 1 << 30], data_type: 1, ..Default::default() });
    let err = Model::from_bytes(&model_file::encode(&proto)).unwrap_err();
    assert!(matches!(err, Error::NotOnnx { .. }), "{err}");
    assert!(err.to_string().contains("over the limit"), "{err}");
}

#[test]
fn long_sequences_times_many_candidates_are_refused_before_encoding() {
    let item = FeatureSpec::new("item", Scope::Candidate, FeatureKind::Hashed { buckets: 100, salt: 1 }).item_key();
    let history = FeatureSpec::new(
        "recent",
        Scope::History,
        FeatureKind::Sequence { max_len: MAX_SEQUENCE_LEN, item_feature: "item".into(), event_kinds: vec![] },
    );
    let manifest = Manifest::new(Task::Ranker, vec![item, history], vec![OutputSpec { name: "s".into(), meaning: OutputMeaning::Logit }]);
    manifest.validate().unwrap();
    let encoder = Encoder::new(&manifest);
    let few = vec![Candidate::new("a"); 10];
    encoder.encode_candidates(&few, &Features::new(), &History::new(5).unwrap()).unwrap();
    let many = vec![Candidate::new("a"); 5_000];
    let err = encoder.encode_candidates(&many, &Features::new(), &History::new(5).unwrap()).unwrap_err();
    let Error::TooLarge { size, limit, .. } = err else { panic!("expected TooLarge, got {err}") };
    assert_eq!(limit, MAX_ENCODED_BYTES);
    assert_eq!(size, 5_000 * (8 + MAX_SEQUENCE_LEN as usize * 12));
}

#[test]
fn oversized_manifests_are_refused() {
    let feature = |i: usize| FeatureSpec::new(format!("f{i}"), Scope::Candidate, FeatureKind::Hashed { buckets: 10, salt: 0 });
    let output = vec![OutputSpec { name: "s".into(), meaning: OutputMeaning::Logit }];
    let manifest = Manifest::new(Task::Ranker, (0..=MAX_FEATURES).map(feature).collect(), output.clone());
    assert!(manifest.validate().unwrap_err().to_string().contains("at most 1024 features"));
    let labels = (0..=MAX_CLASSES).map(|i| i.to_string()).collect();
    let text = TokenizerSpec { lowercase: true, strip_accents: true, word_ngrams: vec![1, 1], char_ngrams: vec![], buckets: 8, salt: 0, max_tokens: 4 };
    let classifier = Manifest::new(
        Task::Classifier,
        vec![FeatureSpec::new("t", Scope::Candidate, FeatureKind::Text { tokenizer: text.clone() })],
        vec![OutputSpec { name: "l".into(), meaning: OutputMeaning::ClassLogits { labels } }],
    );
    let msg = classifier.validate().unwrap_err().to_string();
    assert!(msg.contains("must not repeat"), "{msg}");
    let mut fixed = classifier.clone();
    fixed.features[0].kind = FeatureKind::Text { tokenizer: TokenizerSpec { word_ngrams: vec![1], ..text } };
    assert!(fixed.validate().unwrap_err().to_string().contains("at most 10000 class labels"));
    let huge = format!("{{\"schema_version\":1,\"pad\":\"{}\"}}", "x".repeat(MAX_MANIFEST_BYTES));
    assert!(matches!(Manifest::from_json(&huge), Err(Error::TooLarge { what: "manifest", .. })));
}

/// `bytes` with `count` empty copies of `entry` (a one-byte field key) appended inside one more
/// `graph` field, which protobuf merges into the file's graph: what an attacker appends to a
/// valid model to make decoding allocate a struct per two bytes.
fn with_empty_graph_entries(bytes: &[u8], entry: u8, count: usize) -> Vec<u8> {
    let body: Vec<u8> = std::iter::repeat([entry, 0x00]).take(count).flatten().collect();
    let mut out = bytes.to_vec();
    out.push(0x3a); // field 7 (graph), length-delimited
    prost::encoding::encode_varint(body.len() as u64, &mut out);
    out.extend_from_slice(&body);
    out
}

#[test]
fn millions_of_empty_entries_are_refused_before_decoding() {
    let ranker = vectors("models/ranker.onnx");
    // Nodes (field 1), initializers (5) and inputs (11): 5 MB of file each, hundreds of MB
    // decoded.
    for entry in [0x0a, 0x2a, 0x5a] {
        let hostile = with_empty_graph_entries(&ranker, entry, 2_500_000);
        let err = Model::from_bytes(&hostile).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidModel, "{err}");
        assert!(err.to_string().contains("would allocate"), "{err}");
    }
    // A few empty entries stay within the budget and fail later, on what they are.
    let few = with_empty_graph_entries(&ranker, 0x0a, 3);
    let err = Model::from_bytes(&few).unwrap_err();
    assert!(!err.to_string().contains("would allocate"), "{err}");
}

#[test]
fn a_device_or_directory_path_is_refused_without_reading() {
    let err = Model::load("/dev/zero").unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
    let err = History::load(env!("CARGO_MANIFEST_DIR")).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}
