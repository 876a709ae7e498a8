//! `Model::from_bytes` on arbitrary bytes; a model that loads is also used to rank. Bytes that
//! fail the manifest checks go through the raw `Session` too, so mutated graphs reach tract
//! (an attacker can always recompute the graph checksum).
#![no_main]

use std::sync::Arc;

use dram_core::manifest::Task;
use dram_core::{Classifier, History, Model, Ranker, Session};
use dram_fuzz::{inputs_for, quiet_caught_panics, run_session_on_zeros};

libfuzzer_sys::fuzz_target!(init: quiet_caught_panics(), |data: &[u8]| {
    match Model::from_bytes(data) {
        Ok(model) => {
            let model = Arc::new(model);
            let (candidates, context) = inputs_for(model.manifest());
            match model.manifest().task {
                Task::Ranker => {
                    let ranker = Ranker::new(model.clone(), History::new(4).unwrap()).unwrap();
                    ranker.set_context(context);
                    if let Ok(ranked) = ranker.rank(&candidates) {
                        assert_eq!(ranked.len(), candidates.len());
                        assert!(ranked.iter().all(|s| s.score.is_finite()));
                    }
                }
                Task::Classifier => {
                    let classifier = Classifier::new(model.clone()).unwrap();
                    let _ = classifier.predict(&[candidates[0].features.clone()]);
                }
            }
        }
        Err(_) => {
            if let Ok(session) = Session::from_bytes(data) {
                run_session_on_zeros(&session);
            }
        }
    }
});
