//! The Swift-facing API beyond the vectors: error cases and messages, history persistence,
//! and sharing objects across threads, called as the generated Swift calls them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use dram_ffi::{Candidate, Classifier, DramError, DramModel, EventKind, FeatureValue, Ranker};

fn model_path(name: &str) -> String {
    dram_test_vectors::path(&format!("models/{name}")).to_str().unwrap().to_owned()
}

fn ranker_model() -> Arc<DramModel> {
    DramModel::from_file(model_path("ranker.onnx")).unwrap()
}

/// A fresh directory under the system temp dir, unique to this process and call.
fn tempdir() -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "dram-swift-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn context() -> HashMap<String, FeatureValue> {
    HashMap::from([
        ("age".to_owned(), FeatureValue::Double(31.0)),
        ("device".to_owned(), FeatureValue::String("ios".into())),
    ])
}

fn candidates() -> Vec<Candidate> {
    [("3", "shoes", 49.0), ("17", "dresses", 89.5), ("25", "bags", 120.0)]
        .into_iter()
        .map(|(item, category, price)| Candidate {
            item: item.into(),
            features: HashMap::from([
                ("category".to_owned(), FeatureValue::String(category.into())),
                ("price".to_owned(), FeatureValue::Double(price)),
            ]),
        })
        .collect()
}

#[test]
fn missing_model_file_is_io_with_the_path_in_the_message() {
    let err = DramModel::from_file("/nonexistent/model.onnx".into()).unwrap_err();
    let DramError::Io { message } = err else { panic!("expected Io, got {err:?}") };
    assert!(message.contains("/nonexistent/model.onnx"), "{message}");
}

#[test]
fn garbage_bytes_are_an_invalid_model() {
    let err = DramModel::from_bytes(b"not a model".to_vec()).unwrap_err();
    assert!(matches!(err, DramError::InvalidModel { .. }), "{err:?}");
}

#[test]
fn a_model_of_the_wrong_task_is_an_invalid_model() {
    let err = Classifier::new(ranker_model()).unwrap_err();
    let DramError::InvalidModel { message } = err else { panic!("expected InvalidModel, got {err:?}") };
    assert!(message.contains("classifier"), "{message}");
    let classifier_model = DramModel::from_file(model_path("classifier.onnx")).unwrap();
    assert!(matches!(Ranker::new(classifier_model, 10), Err(DramError::InvalidModel { .. })));
}

#[test]
fn bad_inputs_are_invalid_input_with_dram_cores_message() {
    assert!(matches!(Ranker::new(ranker_model(), 0), Err(DramError::InvalidInput { .. })));
    let ranker = Ranker::new(ranker_model(), 10).unwrap();
    let err = ranker.record(String::new(), EventKind::Click, 0).unwrap_err();
    assert_eq!(err, DramError::InvalidInput { message: "invalid event: the item key is empty".into() });
    ranker.set_context(context());
    let err = ranker.rank(Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "the candidate list is empty; pass at least one candidate");
}

#[test]
fn history_is_saved_reloaded_and_cleared() {
    let dir = tempdir();
    let path = dir.join("history.bin").to_str().unwrap().to_owned();

    // No file yet: the ranker starts with an empty history.
    let ranker = Ranker::load_or_new(ranker_model(), path.clone(), 20).unwrap();
    ranker.set_context(context());
    let cold = ranker.score(candidates()).unwrap();

    ranker.record("25".into(), EventKind::Purchase, 1_700_000_000_000).unwrap();
    ranker.record("17".into(), EventKind::AddToCart, 1_700_000_000_500).unwrap();
    let warm = ranker.score(candidates()).unwrap();
    assert_ne!(warm, cold, "events must change the scores");
    ranker.save_history(path.clone()).unwrap();

    let reloaded = Ranker::load_or_new(ranker_model(), path.clone(), 20).unwrap();
    reloaded.set_context(context());
    assert_eq!(reloaded.score(candidates()).unwrap(), warm);

    reloaded.clear_history();
    assert_eq!(reloaded.score(candidates()).unwrap(), cold);

    std::fs::write(&path, b"garbage").unwrap();
    let err = Ranker::load_or_new(ranker_model(), path, 20).unwrap_err();
    assert!(matches!(err, DramError::CorruptHistory { .. }), "{err:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn saving_into_a_missing_directory_is_io() {
    let ranker = Ranker::new(ranker_model(), 5).unwrap();
    let err = ranker.save_history("/nonexistent-dir/history.bin".into()).unwrap_err();
    assert!(matches!(err, DramError::Io { .. }), "{err:?}");
}

#[test]
fn rank_orders_by_score_and_keeps_input_indices() {
    let ranker = Ranker::new(ranker_model(), 10).unwrap();
    ranker.set_context(context());
    let scores = ranker.score(candidates()).unwrap();
    let ranked = ranker.rank(candidates()).unwrap();
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
    for s in &ranked {
        assert_eq!(s.score, scores[s.index as usize]);
        assert_eq!(s.item, candidates()[s.index as usize].item);
    }
}

#[test]
fn one_ranker_serves_many_threads() {
    let ranker = Ranker::new(ranker_model(), 50).unwrap();
    ranker.set_context(context());
    let handles: Vec<_> = (0..4)
        .map(|t| {
            let ranker = Arc::clone(&ranker);
            std::thread::spawn(move || {
                for i in 0..10 {
                    ranker.record(format!("{}", t * 10 + i), EventKind::View, i64::from(i)).unwrap();
                    assert_eq!(ranker.rank(candidates()).unwrap().len(), 3);
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
}
