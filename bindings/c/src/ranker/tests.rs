//! The ranker's entry points called from Rust as C would call them.

use std::ptr::{null, null_mut};

use super::*;
use crate::history::*;
use crate::model::dram_model_free;
use crate::test_support::{float, last_error, load_model, raw_string, string};

/// The fixture ranker's context: `age` and `device`.
fn context() -> [dram_feature; 2] {
    [
        dram_feature { name: c"age".as_ptr(), value: float(31.0) },
        dram_feature { name: c"device".as_ptr(), value: string(c"android") },
    ]
}

fn shoes(price: f64) -> [dram_feature; 2] {
    [
        dram_feature { name: c"category".as_ptr(), value: string(c"shoes") },
        dram_feature { name: c"price".as_ptr(), value: float(price) },
    ]
}

/// A ranker over the fixture model with the context set; the caller frees it.
fn new_ranker() -> *mut dram_ranker {
    let mut model = load_model("ranker.onnx");
    let mut ranker = null_mut();
    // SAFETY: live handles, valid arrays and out-pointers; the model is freed before the ranker
    // on purpose (the ranker holds its own reference).
    unsafe {
        assert_eq!(dram_ranker_new(model, 50, &mut ranker), dram_status::DRAM_OK, "{}", last_error());
        dram_model_free(&mut model);
        let context = context();
        assert_eq!(dram_ranker_set_context(ranker, context.as_ptr(), 2), dram_status::DRAM_OK);
    }
    ranker
}

#[test]
fn ranks_into_the_callers_buffer_and_reports_the_needed_size() {
    let mut ranker = new_ranker();
    let (cheap, dear) = (shoes(15.0), shoes(49.0));
    let candidates = [
        dram_candidate { item: c"3".as_ptr(), features: dear.as_ptr(), feature_count: 2 },
        dram_candidate { item: c"8".as_ptr(), features: cheap.as_ptr(), feature_count: 2 },
    ];
    let mut out = [dram_scored { index: 99, score: 0.0 }; 2];
    let mut len = 99;
    // SAFETY: a live ranker, arrays of the stated lengths, valid out-pointers.
    unsafe {
        let status = dram_ranker_rank(ranker, candidates.as_ptr(), 2, out.as_mut_ptr(), 1, &mut len);
        assert_eq!(status, dram_status::DRAM_STATUS_BUFFER_TOO_SMALL);
        assert_eq!((len, out[0].index), (2, 99), "nothing written but the size");
        assert_eq!(
            dram_ranker_rank(ranker, candidates.as_ptr(), 2, null_mut(), 0, &mut len),
            dram_status::DRAM_STATUS_BUFFER_TOO_SMALL
        );
        assert_eq!(len, 2);
        assert_eq!(
            dram_ranker_rank(ranker, candidates.as_ptr(), 2, out.as_mut_ptr(), 2, &mut len),
            dram_status::DRAM_OK,
            "{}",
            last_error()
        );
        assert_eq!(len, 2);
        let mut scores = [0f32; 2];
        assert_eq!(
            dram_ranker_score(ranker, candidates.as_ptr(), 2, scores.as_mut_ptr(), 2, &mut len),
            dram_status::DRAM_OK
        );
        // Vectors: cold start scores item "8" (price 15) at 0.013913855 and "3" at -0.010802239.
        assert!((scores[1] - 0.013_913_855).abs() < 1e-4 && (scores[0] + 0.010_802_239).abs() < 1e-4, "{scores:?}");
        assert_eq!(out.map(|s| s.index), [1, 0]);
        assert_eq!(out[0].score, scores[1]);
        dram_ranker_free(&mut ranker);
        assert!(ranker.is_null());
    }
}

#[test]
fn bad_input_is_a_status_never_a_crash() {
    let mut ranker = new_ranker();
    let nan = shoes(f64::NAN);
    let mut out = [dram_scored { index: 0, score: 0.0 }; 1];
    let mut len = 7;
    let one =
        |item, features: &[dram_feature; 2]| dram_candidate { item, features: features.as_ptr(), feature_count: 2 };
    // SAFETY: live ranker and arrays; the invalid pointers are NULLs only.
    unsafe {
        let c = [one(c"3".as_ptr(), &nan)];
        assert_eq!(
            dram_ranker_rank(ranker, c.as_ptr(), 1, out.as_mut_ptr(), 1, &mut len),
            dram_status::DRAM_STATUS_INVALID_INPUT
        );
        assert_eq!(len, 0);
        assert!(last_error().contains("finite"), "{}", last_error());
        assert_eq!(
            dram_ranker_rank(ranker, null(), 0, null_mut(), 0, &mut len),
            dram_status::DRAM_STATUS_INVALID_INPUT
        );
        assert!(last_error().contains("empty"), "{}", last_error());
        let ok = shoes(1.0);
        let c = [one(raw_string(b"\xc3\x28\0"), &ok)];
        assert_eq!(
            dram_ranker_rank(ranker, c.as_ptr(), 1, out.as_mut_ptr(), 1, &mut len),
            dram_status::DRAM_STATUS_INVALID_ARGUMENT
        );
        assert!(last_error().contains("candidates[0].item"), "{}", last_error());
        let c = [one(null(), &ok)];
        assert_eq!(
            dram_ranker_rank(ranker, c.as_ptr(), 1, out.as_mut_ptr(), 1, &mut len),
            dram_status::DRAM_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            dram_ranker_rank(null(), c.as_ptr(), 1, out.as_mut_ptr(), 1, &mut len),
            dram_status::DRAM_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            dram_ranker_rank(ranker, c.as_ptr(), 1, out.as_mut_ptr(), 1, null_mut()),
            dram_status::DRAM_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(dram_ranker_set_context(ranker, null(), 3), dram_status::DRAM_STATUS_INVALID_ARGUMENT);
        assert_eq!(dram_ranker_set_context(null_mut(), null(), 0), dram_status::DRAM_STATUS_INVALID_ARGUMENT);
        dram_ranker_free(&mut ranker);
    }
}

#[test]
fn history_is_recorded_saved_loaded_and_cleared() {
    let mut ranker = new_ranker();
    let dir = std::env::temp_dir().join(format!("dram-c-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = std::ffi::CString::new(dir.join("history.bin").to_str().unwrap()).unwrap();
    let mut len = 0;
    // SAFETY: a live ranker, valid C strings and out-pointers.
    unsafe {
        assert_eq!(
            dram_ranker_record(ranker, c"17".as_ptr(), dram_event_kind::DRAM_EVENT_CLICK as i32, 2),
            dram_status::DRAM_OK
        );
        assert_eq!(dram_ranker_record(ranker, c"17".as_ptr(), 5, 2), dram_status::DRAM_STATUS_INVALID_ARGUMENT);
        assert_eq!(dram_ranker_record(ranker, c"".as_ptr(), 0, 2), dram_status::DRAM_STATUS_INVALID_INPUT);
        assert_eq!(dram_ranker_record(ranker, null(), 0, 2), dram_status::DRAM_STATUS_INVALID_ARGUMENT);
        assert_eq!(dram_ranker_save_history(ranker, path.as_ptr()), dram_status::DRAM_OK, "{}", last_error());
        assert_eq!(dram_ranker_clear_history(ranker), dram_status::DRAM_OK);
        assert_eq!(dram_ranker_history_len(ranker, &mut len), dram_status::DRAM_OK);
        assert_eq!(len, 0);
        assert_eq!(dram_ranker_load_history(ranker, path.as_ptr()), dram_status::DRAM_OK, "{}", last_error());
        assert_eq!(dram_ranker_history_len(ranker, &mut len), dram_status::DRAM_OK);
        assert_eq!(len, 1);
        assert_eq!(dram_ranker_load_history(ranker, c"/no/such/history.bin".as_ptr()), dram_status::DRAM_STATUS_IO);
        assert_eq!(dram_ranker_history_len(ranker, &mut len), dram_status::DRAM_OK);
        assert_eq!(len, 1, "a failed load keeps the history");

        let mut model = load_model("ranker.onnx");
        let mut from_file = null_mut();
        assert_eq!(dram_ranker_new_with_history_file(model, path.as_ptr(), 5, &mut from_file), dram_status::DRAM_OK);
        assert_eq!(dram_ranker_history_len(from_file, &mut len), dram_status::DRAM_OK);
        assert_eq!(len, 1);
        dram_ranker_free(&mut from_file);
        std::fs::write(dir.join("history.bin"), b"DRAMHIST garbage").unwrap();
        assert_eq!(
            dram_ranker_new_with_history_file(model, path.as_ptr(), 5, &mut from_file),
            dram_status::DRAM_STATUS_CORRUPT_HISTORY
        );
        assert!(from_file.is_null());
        assert_eq!(dram_ranker_new(model, 0, &mut from_file), dram_status::DRAM_STATUS_INVALID_INPUT);
        dram_model_free(&mut model);
        dram_ranker_free(&mut ranker);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_classifier_model_is_not_a_ranker() {
    let mut model = load_model("classifier.onnx");
    let mut ranker = null_mut();
    // SAFETY: a live model and a valid out-pointer.
    unsafe {
        assert_eq!(dram_ranker_new(model, 10, &mut ranker), dram_status::DRAM_STATUS_INVALID_MODEL);
        assert!(ranker.is_null());
        dram_model_free(&mut model);
    }
}
