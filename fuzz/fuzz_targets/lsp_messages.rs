//! Fuzz target `lsp_messages`: see `leadroute_fuzz::lsp_messages`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| leadroute_fuzz::lsp_messages(data));
