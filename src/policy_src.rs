//! Loading a policy for the commands that run it: `.route` sources are
//! checked and lowered; a `.json` file is taken as a built IR.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use leadroute_compiler::render::{render_human, summary_line, HumanOptions};
use leadroute_compiler::source::DiskProvider;
use leadroute_compiler::{check_paths, lower, Code};
use leadroute_runtime::ir::PolicyIr;
use leadroute_runtime::{Backend, Policy};

use crate::cli::BackendChoice;

/// Why a policy could not be loaded, and the exit status that goes with it.
pub struct LoadFailure {
    /// 1: the policy has errors; 2: it cannot be read.
    pub status: u8,
}

/// Reads an IR file or checks and lowers `.route` sources. Diagnostics go to
/// standard error; on failure the caller exits with the returned status.
pub fn load(paths: &[PathBuf]) -> Result<PolicyIr, LoadFailure> {
    load_with_examples(paths).map(|(ir, _)| ir)
}

/// Like [`load`], and also one example lead per tier, territory and rule
/// (none for a built `.json` IR, which has no sources to analyse).
pub fn load_with_examples(paths: &[PathBuf]) -> Result<(PolicyIr, Vec<serde_json::Value>), LoadFailure> {
    compile(paths).map(|(ir, examples, _)| (ir, examples))
}

/// Like [`load`], and also the `.route` texts read, by file name (as traces
/// name them); `None` for a built `.json` IR.
pub fn load_with_sources(paths: &[PathBuf]) -> Result<(PolicyIr, Option<BTreeMap<String, String>>), LoadFailure> {
    compile(paths).map(|(ir, _, sources)| (ir, sources))
}

type Compiled = (PolicyIr, Vec<serde_json::Value>, Option<BTreeMap<String, String>>);

/// Reads, checks and lowers the policy once: the IR, the example leads and the sources.
fn compile(paths: &[PathBuf]) -> Result<Compiled, LoadFailure> {
    if let [one] = paths {
        if one.extension().is_some_and(|e| e == "json") {
            return load_ir(one).map(|ir| (ir, Vec::new(), None));
        }
    }
    let (sources, checked) = check_paths(&DiskProvider, paths);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
    if !errors.is_empty() {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        let mut text = render_human(&errors, &sources, HumanOptions { color });
        text.push_str(&format!("failed: {} (run `leadroute check` for warnings too)\n", summary_line(&errors)));
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
        let status = if errors.iter().any(|d| d.code == Code::E0050) { 2 } else { 1 };
        return Err(LoadFailure { status });
    }
    let ir = lower::lower(&sources, &checked).ok_or(LoadFailure { status: 1 })?;
    let examples = leadroute_compiler::analysis::reach::example_leads(&checked.symbols());
    let texts = sources
        .iter()
        .map(|(_, f)| (Path::new(&f.name).file_name().map_or_else(|| f.name.clone(), |n| n.to_string_lossy().into_owned()), f.text.clone()))
        .collect();
    Ok((ir, examples, Some(texts)))
}

fn load_ir(path: &Path) -> Result<PolicyIr, LoadFailure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("leadroute: cannot read `{}`: {e}", path.display());
        LoadFailure { status: 2 }
    })?;
    let bad = |e: String| {
        eprintln!("leadroute: `{}`: {e}", path.display());
        LoadFailure { status: 2 }
    };
    let ir: PolicyIr = serde_json::from_str(&text).map_err(|e| bad(format!("not a leadroute policy IR: {e}")))?;
    // Validated here so that a broken IR is reported with its file name.
    Policy::from_ir_with(ir.clone(), Backend::Interp).map_err(bad)?;
    Ok(ir)
}

/// The IR as a ready policy with the chosen backend, or the host's default
/// (errors go to standard error).
pub fn ready(ir: PolicyIr, backend: Option<BackendChoice>) -> Result<Policy, LoadFailure> {
    let loaded = match backend {
        None => Policy::from_ir(ir),
        Some(b) => Policy::from_ir_with(ir, b.backend()).map_err(|e| format!("--backend {}: {e}", b.backend())),
    };
    loaded.map_err(|e| {
        eprintln!("leadroute: {e}");
        LoadFailure { status: 2 }
    })
}

/// Parses `--now` (RFC 3339) or reads the clock when it is absent.
pub fn now(arg: Option<&str>) -> Result<i64, LoadFailure> {
    match arg {
        None => Ok(jiff::Timestamp::now().as_millisecond()),
        Some(t) => leadroute_runtime::parse_time(t).ok_or_else(|| {
            eprintln!("leadroute: --now {t:?} is {}", leadroute_runtime::time_problem(t));
            LoadFailure { status: 2 }
        }),
    }
}

/// Reads an optional file given by a flag (`--state` ...); a read error is
/// reported as `leadroute COMMAND: cannot read FLAG` and gives status 2.
pub fn read_optional(command: &str, flag: &str, path: Option<&Path>) -> Result<Option<String>, LoadFailure> {
    match path {
        None => Ok(None),
        Some(path) => std::fs::read_to_string(path).map(Some).map_err(|e| {
            eprintln!("leadroute {command}: cannot read {flag} `{}`: {e}", path.display());
            LoadFailure { status: 2 }
        }),
    }
}
