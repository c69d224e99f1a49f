//! Fuzz target `lead_json`: see `leadroute_fuzz::lead_json`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leadroute_fuzz::lead_json(data));
