//! `leadroute`: check, build, test and route lead-routing policies.

mod build_cmd;
mod check_cmd;
mod diff_cmd;
mod cli;
mod explain_cmd;
mod fmt_cmd;
mod ir_json;
mod policy_src;
mod replay_cmd;
mod rollout_cmd;
mod route_cmd;
mod serve_cmd;
mod simulate;
mod test_cmd;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: checking and the language server allocate many small trees and
/// free them on other threads, where the system allocator contends for its
/// arena locks (`docs/performance.md`, the language server).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    cli::set_color(cli.color);
    // Checking recurses over expressions; a big stack keeps pathological
    // input (deeply nested conditions) a diagnostic rather than a crash.
    let worker = std::thread::Builder::new().stack_size(256 * 1024 * 1024).spawn(move || run(cli));
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => ExitCode::from(code),
        _ => {
            eprintln!("leadroute: internal error; please report it with the input that caused it");
            ExitCode::from(101)
        }
    }
}

fn run(cli: cli::Cli) -> u8 {
    match cli.command {
        cli::Command::Check(args) => check_cmd::run(&args),
        cli::Command::Explain(args) => explain_cmd::run(&args),
        cli::Command::Build(args) => build_cmd::run(&args),
        cli::Command::Route(args) => route_cmd::run(&args),
        cli::Command::Test(args) => test_cmd::run(&args),
        cli::Command::Diff(args) => diff_cmd::run(&args),
        cli::Command::Simulate(args) => simulate::run(&args),
        cli::Command::Fmt(args) => fmt_cmd::run(&args),
        cli::Command::Serve(args) => serve_cmd::run(&args),
        cli::Command::Replay(args) => replay_cmd::run(&args),
        cli::Command::Rollout(args) => rollout_cmd::run(&args),
        cli::Command::Lsp(args) if args.unsupported_transport().is_some() => {
            let flag = args.unsupported_transport().unwrap_or_default();
            eprintln!("leadroute lsp: the `{flag}` transport is not supported; leadroute lsp speaks LSP over standard input/output only (start it with `--stdio`, or no flag; in VS Code: TransportKind.stdio)");
            2
        }
        cli::Command::Lsp(_) => match leadroute_lsp::run_stdio() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("leadroute lsp: {e}");
                1
            }
        },
    }
}
