//! `leadroute replay`: verify an audit log offline with the runtime.

use std::io::{BufRead, Write};

use crate::cli::{ReplayArgs, RunFormat};
use crate::policy_src;

/// Runs the command: 0 when every decision replays the same, 1 when any differs, 2 on unreadable input.
pub fn run(args: &ReplayArgs) -> u8 {
    let mut policies = Vec::new();
    for p in &args.policy {
        match policy_src::load(std::slice::from_ref(p)) {
            Ok(ir) => policies.push(ir),
            Err(f) => return f.status,
        }
    }
    let state = match policy_src::read_optional("replay", "--state", args.state.as_deref()) {
        Ok(s) => s,
        Err(f) => return f.status,
    };
    let input: Box<dyn BufRead> = if args.audit.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        match std::fs::File::open(&args.audit) {
            Ok(f) => Box::new(std::io::BufReader::new(f)),
            Err(e) => {
                eprintln!("leadroute replay: cannot read `{}`: {e}", args.audit.display());
                return 2;
            }
        }
    };
    let report = match leadroute_service::replay::replay(input, state.as_deref(), policies) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("leadroute replay: {e}");
            return 2;
        }
    };
    let text = match args.format {
        RunFormat::Human => report.to_human(),
        RunFormat::Json => serde_json::to_string(&report).unwrap_or_default() + "\n",
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if report.differences.is_empty() && report.problems.is_empty() {
        0
    } else {
        1
    }
}
