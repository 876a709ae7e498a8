//! The classifier's entry points called from Rust as C would call them.

use std::ffi::CStr;
use std::ptr::{null, null_mut};

use super::*;
use crate::model::dram_model_free;
use crate::test_support::{last_error, load_model, raw_string};

#[test]
fn classifies_into_the_callers_buffer_with_label_indices() {
    let mut model = load_model("classifier.onnx");
    let mut classifier = null_mut();
    let mut count = 0;
    let mut label = null();
    // SAFETY: live handles, valid strings, arrays and out-pointers.
    unsafe {
        assert_eq!(dram_classifier_new(model, &mut classifier), dram_status::DRAM_OK, "{}", last_error());
        dram_model_free(&mut model);
        assert_eq!(dram_classifier_label_count(classifier, &mut count), dram_status::DRAM_OK);
        assert_eq!(count, 3);
        assert_eq!(dram_classifier_label(classifier, 2, &mut label), dram_status::DRAM_OK);
        assert_eq!(CStr::from_ptr(label).to_str().unwrap(), "positive");
        assert_eq!(dram_classifier_label(classifier, 3, &mut label), dram_status::DRAM_STATUS_INVALID_ARGUMENT);
        assert!(label.is_null());

        let mut out = [dram_label_probability { label_index: 9, probability: 0.0 }; 3];
        let mut len = 0;
        let text = c"很好 👍".as_ptr();
        assert_eq!(
            dram_classifier_classify_text(classifier, text, out.as_mut_ptr(), 2, &mut len),
            dram_status::DRAM_STATUS_BUFFER_TOO_SMALL
        );
        assert_eq!((len, out[0].label_index), (3, 9));
        assert_eq!(
            dram_classifier_classify_text(classifier, text, out.as_mut_ptr(), 3, &mut len),
            dram_status::DRAM_OK
        );
        assert_eq!(len, 3);
        // Vectors: positive 0.43072975, neutral 0.2924622, negative 0.27680805.
        assert_eq!(out.map(|o| o.label_index), [2, 1, 0]);
        assert!((out[0].probability - 0.430_729_75).abs() < 1e-4);
        let sum: f32 = out.iter().map(|o| o.probability).sum();
        assert!((sum - 1.0).abs() < 1e-5);

        let bad = raw_string(b"caf\xe9\0");
        assert_eq!(
            dram_classifier_classify_text(classifier, bad, out.as_mut_ptr(), 3, &mut len),
            dram_status::DRAM_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(len, 0);
        assert_eq!(
            dram_classifier_classify_text(classifier, null(), out.as_mut_ptr(), 3, &mut len),
            dram_status::DRAM_STATUS_INVALID_ARGUMENT
        );
        assert_eq!(
            dram_classifier_classify_text(null(), text, out.as_mut_ptr(), 3, &mut len),
            dram_status::DRAM_STATUS_INVALID_ARGUMENT
        );
        dram_classifier_free(&mut classifier);
        assert!(classifier.is_null());
        dram_classifier_free(&mut classifier);
    }
}

#[test]
fn a_ranker_model_is_not_a_classifier() {
    let mut model = load_model("ranker.onnx");
    let mut classifier = null_mut();
    // SAFETY: a live model and a valid out-pointer.
    unsafe {
        assert_eq!(dram_classifier_new(model, &mut classifier), dram_status::DRAM_STATUS_INVALID_MODEL);
        assert!(classifier.is_null());
        assert!(last_error().contains("classifier"), "{}", last_error());
        dram_model_free(&mut model);
    }
}
