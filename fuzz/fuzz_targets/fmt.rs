//! Fuzz target `fmt`: see `leadroute_fuzz::fmt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leadroute_fuzz::fmt(data));
