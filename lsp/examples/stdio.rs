//! The language server alone on standard input/output, as `leadroute lsp`
//! runs it, without building the rest of the command-line tool (its
//! arguments are ignored, so `bench/lsp-open.py` can run it in place of
//! the `leadroute` binary).
//!
//! `cargo build --release -p leadroute-lsp --example stdio`

/// The allocator `leadroute` itself uses, so that figures match the shipped binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    if let Err(e) = leadroute_lsp::run_stdio() {
        eprintln!("leadroute lsp: {e}");
        std::process::exit(1);
    }
}
