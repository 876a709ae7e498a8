//! Loading: from path and bytes, and every way a file can be unusable.

use std::sync::Arc;

use dram_core::manifest::{Manifest, MANIFEST_KEY};
use dram_core::{model_file, Candidate, Error, ErrorCode, Features, History, Model, Ranker, Session, Tensor, Value};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../tests/vectors/models/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The fixture ranker with its manifest JSON rewritten by `edit`.
fn with_manifest_json(edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut proto = model_file::decode(&fixture("ranker.onnx")).unwrap();
    let entry = proto.metadata_props.iter_mut().find(|e| e.key == MANIFEST_KEY).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&entry.value).unwrap();
    edit(&mut json);
    entry.value = json.to_string();
    model_file::encode(&proto)
}

fn load_err(bytes: &[u8]) -> Error {
    Model::from_bytes(bytes).unwrap_err()
}

#[test]
fn path_and_bytes_load_the_same_model() {
    let path = format!("{}/../tests/vectors/models/ranker.onnx", env!("CARGO_MANIFEST_DIR"));
    let a = Model::load(&path).unwrap();
    let b = Model::from_bytes(&fixture("ranker.onnx")).unwrap();
    assert_eq!(a.manifest(), b.manifest());
    assert_eq!(a.session().inputs(), b.session().inputs());
}

#[test]
fn missing_file_is_file_not_found() {
    let err = Model::load("/no/such/model.onnx").unwrap_err();
    assert!(matches!(err, Error::FileNotFound { .. }), "{err}");
    assert_eq!(err.code(), ErrorCode::Io);
}

#[test]
fn garbage_and_truncated_bytes_are_not_onnx() {
    for bytes in [&b""[..], b"hello, this is not a model", &[0xff; 64]] {
        let err = load_err(bytes);
        assert!(matches!(err, Error::NotOnnx { .. }), "{err}");
    }
    let full = fixture("ranker.onnx");
    for len in [1, 10, full.len() / 2, full.len() - 1] {
        let err = load_err(&full[..len]);
        assert_eq!(err.code(), ErrorCode::InvalidModel, "len {len}: {err}");
    }
}

#[test]
fn a_raw_onnx_file_without_manifest_needs_session() {
    let mut proto = model_file::decode(&fixture("ranker.onnx")).unwrap();
    proto.metadata_props.clear();
    let bytes = model_file::encode(&proto);
    assert!(matches!(load_err(&bytes), Error::MissingManifest));
    // The raw session runs it anyway.
    let session = Session::from_bytes(&bytes).unwrap();
    assert_eq!(session.inputs().len(), 9);
    assert_eq!(session.outputs()[0].name, "score");
}

#[test]
fn unknown_manifest_version_is_reported() {
    let bytes = with_manifest_json(|j| j["schema_version"] = 7.into());
    let err = load_err(&bytes);
    assert!(matches!(err, Error::UnsupportedManifestVersion { found: 7, supported: 2 }), "{err}");
}

#[test]
fn invalid_manifest_says_what_is_wrong() {
    let bytes = with_manifest_json(|j| j["features"][0]["kind"]["vocab_size"] = 0.into());
    let msg = load_err(&bytes).to_string();
    assert!(msg.contains("vocab_size must be positive"), "{msg}");
    let bytes = with_manifest_json(|j| j["surprise"] = true.into());
    assert!(load_err(&bytes).to_string().contains("unknown field"));
}

#[test]
fn manifest_and_graph_mismatch_is_caught() {
    // A manifest feature whose graph input does not exist.
    let bytes = with_manifest_json(|j| j["features"][1]["input"] = "nope".into());
    let err = load_err(&bytes);
    assert!(matches!(err, Error::GraphMismatch { .. }), "{err}");
    assert!(err.to_string().contains("`nope`"));
    // Wrong width of a sequence input.
    let bytes = with_manifest_json(|j| j["features"][5]["kind"]["max_len"] = 9.into());
    assert!(matches!(load_err(&bytes), Error::GraphMismatch { .. }));
    // An output that does not exist.
    let bytes = with_manifest_json(|j| j["outputs"][0]["name"] = "prob".into());
    assert!(load_err(&bytes).to_string().contains("`prob`"));
}

#[test]
fn tampered_weights_fail_the_checksum() {
    let mut proto = model_file::decode(&fixture("ranker.onnx")).unwrap();
    let graph = proto.graph.as_mut().unwrap();
    graph.initializer[0].raw_data[0] ^= 1;
    let err = load_err(&model_file::encode(&proto));
    assert!(matches!(err, Error::ChecksumMismatch { .. }), "{err}");
}

#[test]
fn large_files_are_checksummed_too() {
    // From 8 MiB on the CRC-32 is computed on a second thread while the graph is optimised.
    let mut proto = model_file::decode(&fixture("ranker.onnx")).unwrap();
    let padding = dram_core::onnx_proto::TensorProto {
        name: "unused_padding".into(),
        dims: vec![2_200_000],
        data_type: 1,
        raw_data: vec![0; 8_800_000],
        ..Default::default()
    };
    proto.graph.as_mut().unwrap().initializer.push(padding);
    let manifest = model_file::read_manifest(&proto).unwrap().unwrap();
    model_file::embed_manifest(&mut proto, &manifest).unwrap();
    let bytes = model_file::encode(&proto);
    assert!(bytes.len() > 8 << 20);
    Model::from_bytes(&bytes).unwrap();
    proto.graph.as_mut().unwrap().initializer.last_mut().unwrap().raw_data[7] ^= 1;
    let err = load_err(&model_file::encode(&proto));
    assert!(matches!(err, Error::ChecksumMismatch { algorithm: "crc32", .. }), "{err}");
}

#[test]
fn manifest_round_trips_through_the_file() {
    let proto = model_file::decode(&fixture("ranker.onnx")).unwrap();
    let manifest = model_file::read_manifest(&proto).unwrap().unwrap();
    let again = Manifest::from_json(&manifest.to_json()).unwrap();
    assert_eq!(manifest, again);
    let mut copy = proto.clone();
    let stored = model_file::embed_manifest(&mut copy, &manifest).unwrap();
    assert_eq!(stored, manifest);
    assert_eq!(model_file::encode(&copy), model_file::encode(&proto));
}

#[test]
fn classifier_model_is_not_a_ranker() {
    let model = Arc::new(Model::from_bytes(&fixture("classifier.onnx")).unwrap());
    let err = Ranker::new(model, History::new(5).unwrap()).unwrap_err();
    assert!(matches!(err, Error::TaskMismatch { expected: "ranker", found: "classifier" }), "{err}");
}

fn shop_ranker() -> Ranker {
    let model = Arc::new(Model::from_bytes(&fixture("ranker.onnx")).unwrap());
    let ranker = Ranker::new(model, History::new(20).unwrap()).unwrap();
    ranker.set_context(Features::from([("age".into(), Value::Int(40)), ("device".into(), Value::from("ios"))]));
    ranker
}

fn shelf(n: usize) -> Vec<Candidate> {
    (0..n).map(|i| Candidate::new((i % 40).to_string()).with("category", format!("c{}", i % 5)).with("price", i as f64)).collect()
}

#[test]
fn rank_is_sorted_and_a_permutation_and_matches_score() {
    let ranker = shop_ranker();
    let candidates = shelf(37);
    let scores = ranker.score(&candidates).unwrap();
    let ranked = ranker.rank(&candidates).unwrap();
    assert_eq!(ranked.len(), 37);
    let mut seen: Vec<usize> = ranked.iter().map(|s| s.index).collect();
    seen.sort();
    assert_eq!(seen, (0..37).collect::<Vec<_>>());
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    for s in &ranked {
        assert_eq!(s.score, scores[s.index]);
    }
}

#[test]
fn history_changes_the_scores() {
    let ranker = shop_ranker();
    let candidates = shelf(10);
    let cold = ranker.score(&candidates).unwrap();
    ranker.record(dram_core::Event::new("3", dram_core::EventKind::Purchase, 1)).unwrap();
    let warm = ranker.score(&candidates).unwrap();
    assert_ne!(cold, warm);
    ranker.clear_history();
    assert_eq!(ranker.score(&candidates).unwrap(), cold);
}

#[test]
fn variable_batch_sizes_reuse_one_plan() {
    let ranker = shop_ranker();
    let all = ranker.score(&shelf(100)).unwrap();
    for n in [1, 2, 7, 64, 100] {
        let part = ranker.score(&shelf(n)).unwrap();
        for (a, b) in part.iter().zip(&all) {
            assert!((a - b).abs() < 1e-5);
        }
    }
}

#[test]
fn concurrent_ranking_from_eight_threads_matches_single_thread() {
    let ranker = Arc::new(shop_ranker());
    ranker.record(dram_core::Event::new("5", dram_core::EventKind::Click, 1)).unwrap();
    let candidates = shelf(50);
    let expected = ranker.rank(&candidates).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let ranker = ranker.clone();
            let candidates = candidates.clone();
            std::thread::spawn(move || (0..50).map(|_| ranker.rank(&candidates).unwrap()).collect::<Vec<_>>())
        })
        .collect();
    for t in threads {
        for result in t.join().unwrap() {
            assert_eq!(result, expected);
        }
    }
}

#[test]
fn model_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Model>();
    assert_send_sync::<Ranker>();
    assert_send_sync::<Session>();
}

#[test]
fn input_errors_name_the_feature_and_candidate() {
    let ranker = shop_ranker();
    assert!(matches!(ranker.rank(&[]), Err(Error::EmptyCandidates)));
    let mut candidates = shelf(3);
    candidates[2].features.insert("price".into(), Value::Float(f64::INFINITY));
    let msg = ranker.rank(&candidates).unwrap_err().to_string();
    assert!(msg.contains("`price`") && msg.contains("candidate 2") && msg.contains("inf"), "{msg}");
    candidates[2].features.remove("price");
    let msg = ranker.rank(&candidates).unwrap_err().to_string();
    assert!(msg.contains("missing feature `price`") && msg.contains("candidate 2"), "{msg}");
    let too_many = shelf(dram_core::MAX_ROWS_PER_CALL + 1);
    assert!(matches!(ranker.rank(&too_many), Err(Error::TooManyCandidates { .. })));
}

#[test]
fn session_checks_raw_inputs() {
    let session = Session::from_bytes(&fixture("classifier.onnx")).unwrap();
    let ids = Tensor::i64(vec![1, 32], vec![1; 32]).unwrap();
    let weights = Tensor::f32(vec![1, 32], vec![1.0 / 32.0; 32]).unwrap();
    let out = session.run(vec![("text".into(), ids.clone()), ("text.weights".into(), weights.clone())]).unwrap();
    assert_eq!(out[0].1.shape(), &[1, 3]);
    let wrong_width = Tensor::i64(vec![1, 31], vec![1; 31]).unwrap();
    let err = session.run(vec![("text".into(), wrong_width), ("text.weights".into(), weights.clone())]).unwrap_err();
    assert!(err.to_string().contains("shape [?, 32]"), "{err}");
    let err = session.run(vec![("text".into(), ids)]).unwrap_err();
    assert!(err.to_string().contains("text.weights"), "{err}");
    let err = session.run(vec![("text".into(), weights.clone()), ("text.weights".into(), weights)]).unwrap_err();
    assert!(err.to_string().contains("element type i64"), "{err}");
}

#[test]
fn a_version_one_manifest_cannot_declare_word_pieces() {
    let bytes = fixture("classifier_word_pieces.onnx");
    assert!(Model::from_bytes(&bytes).is_ok());
    let proto = model_file::decode(&bytes).unwrap();
    let json = proto.metadata_props.iter().find(|p| p.key == MANIFEST_KEY).unwrap().value.clone();
    let mut manifest: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(manifest["schema_version"], 2);
    manifest["schema_version"] = 1.into();
    let err = Manifest::from_json(&manifest.to_string()).unwrap_err();
    assert!(err.to_string().contains("word_pieces features need schema 2"), "{err}");
}
