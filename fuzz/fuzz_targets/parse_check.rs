//! Fuzz target `parse_check`: see `leadroute_fuzz::parse_check`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leadroute_fuzz::parse_check(data));
