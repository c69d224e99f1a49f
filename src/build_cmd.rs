//! `leadroute build`: check a policy and write its IR as JSON.

use std::io::Write;

use crate::cli::BuildArgs;
use crate::policy_src;

/// The IR as pretty JSON (a table's row per line) and a final newline.
fn write_ir(ir: &leadroute_runtime::ir::PolicyIr, mut out: impl Write) -> std::io::Result<()> {
    crate::ir_json::write(&mut out, ir)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// Runs the command and returns the exit status.
pub fn run(args: &BuildArgs) -> u8 {
    let ir = match policy_src::load(&args.policy) {
        Ok(ir) => ir,
        Err(f) => return f.status,
    };
    // Streamed to the file or standard output: a large IR is never one
    // string in memory.
    let written = match &args.output {
        Some(path) => std::fs::File::create(path).and_then(|f| write_ir(&ir, std::io::BufWriter::new(f))),
        None => write_ir(&ir, std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match (&args.output, written) {
        (Some(path), Err(e)) => {
            eprintln!("leadroute: cannot write `{}`: {e}", path.display());
            return 2;
        }
        (Some(path), Ok(())) => eprintln!("built {} ({}) into {}", ir.name, ir.policy_version, path.display()),
        // The reader of standard output went away (`| head`): nothing to say.
        (None, _) => {}
    }
    0
}
