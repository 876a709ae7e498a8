//! The C API's `dram_model_load_from_memory` on arbitrary bytes: a status, never a panic
//! (`DRAM_STATUS_PANIC` counts as a crash), and a loaded model frees cleanly.
#![no_main]

use dram::{dram_model, dram_model_free, dram_model_load_from_memory, dram_status};
use dram_fuzz::quiet_caught_panics;

libfuzzer_sys::fuzz_target!(init: quiet_caught_panics(), |data: &[u8]| {
    let mut model: *mut dram_model = std::ptr::null_mut();
    // SAFETY: `data` is live for the call and `model` is a writable out-pointer.
    let status = unsafe { dram_model_load_from_memory(data.as_ptr(), data.len(), &mut model) };
    assert_ne!(status, dram_status::DRAM_STATUS_PANIC, "dram-c caught a panic");
    assert_eq!(status == dram_status::DRAM_OK, !model.is_null());
    // SAFETY: `model` is NULL or a live model from the call above.
    unsafe { dram_model_free(&mut model) };
});
