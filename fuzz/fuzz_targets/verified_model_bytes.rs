//! `Model::load_verified` on arbitrary bytes with a fixed trusted key: the seeds are signed
//! by it, so mutations exercise the signature entry's parsing and verification.
#![no_main]

use dram_core::{signature, Model};
use dram_fuzz::quiet_caught_panics;

/// The secret key that signed the seeds in `corpus/verified_model_bytes`.
pub const SEED_SECRET: [u8; 32] = [0x5e; 32];

libfuzzer_sys::fuzz_target!(init: quiet_caught_panics(), |data: &[u8]| {
    let _ = Model::load_verified(data, &signature::public_key(&SEED_SECRET));
});
