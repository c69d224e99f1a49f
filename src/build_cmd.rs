//! `leadroute build`: check a policy and write its IR as JSON.

use std::io::Write;

use crate::cli::BuildArgs;
use crate::policy_src;

/// Runs the command and returns the exit status.
pub fn run(args: &BuildArgs) -> u8 {
    let ir = match policy_src::load(&args.policy) {
        Ok(ir) => ir,
        Err(f) => return f.status,
    };
    let json = match serde_json::to_string_pretty(&ir) {
        Ok(j) => j + "\n",
        Err(e) => {
            eprintln!("leadroute: cannot serialize the policy: {e}");
            return 2;
        }
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, json) {
                eprintln!("leadroute: cannot write `{}`: {e}", path.display());
                return 2;
            }
            eprintln!("built {} ({}) into {}", ir.name, ir.policy_version, path.display());
        }
        None => {
            let _ = std::io::stdout().lock().write_all(json.as_bytes());
        }
    }
    0
}
