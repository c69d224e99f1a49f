//! Fuzz target `policy_load`: see `leadroute_fuzz::policy_load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leadroute_fuzz::policy_load(data));
