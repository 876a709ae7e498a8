//! `History::from_bytes` on arbitrary bytes: the format is canonical, so every accepted file
//! re-encodes to exactly the same bytes.
#![no_main]

use dram_core::History;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(history) = History::from_bytes(data) {
        assert_eq!(history.to_bytes(), data, "accepted history bytes must re-encode identically");
    }
});
