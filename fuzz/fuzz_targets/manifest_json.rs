//! `Manifest::from_json` on arbitrary text: every accepted manifest re-serialises to a manifest
//! that parses back equal, and its preprocessing runs on plausible inputs without panicking.
#![no_main]

use dram_core::manifest::Manifest;
use dram_core::preprocess::Encoder;
use dram_core::{Event, EventKind};
use dram_fuzz::{inputs_for, quiet_caught_panics};

libfuzzer_sys::fuzz_target!(init: quiet_caught_panics(), |data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    let Ok(manifest) = Manifest::from_json(json) else { return };
    let again = Manifest::from_json(&manifest.to_json()).expect("a valid manifest's JSON parses");
    assert_eq!(again, manifest);
    let (candidates, context) = inputs_for(&manifest);
    let history = vec![Event::new("1", EventKind::Click, 1), Event::new("sku-2", EventKind::Purchase, 2)];
    let _ = Encoder::new(&manifest).encode_candidates(&candidates, &context, &history);
});
