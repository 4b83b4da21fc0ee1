//! Fuzz target `document`: see `fuzz/harness.rs` for what it checks.
#![no_main]

include!("../harness.rs");

libfuzzer_sys::fuzz_target!(|data: &[u8]| document(data));
