//! The fuzz targets (`fuzz/`), run on stable in `cargo test`: each target on
//! the example inputs, and on every input a fuzzing run found a crash with
//! (`tests/fuzz_regressions/TARGET/`, one file per crash, fixed at its root).

use std::path::Path;

#[allow(dead_code)] // each test binary uses a different part
mod fuzz {
    include!("../fuzz/src/lib.rs");
}

/// Every policy text of the repository: each that builds must load with both backends.
const ROUTES: [&str; 9] = [
    "examples/inbound.route",
    "examples/overlap.route",
    "examples/rota.route",
    "examples/broken.route",
    "examples/gaps/policy.route",
    "examples/gaps/routing.route",
    "tests/service/policy.route",
    "tests/service/business_policy.route",
    "tests/service/ops_policy.route",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Runs `target` on every saved crash input of `name`; returns how many there were.
fn regressions(name: &str, target: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions").join(name);
    let Ok(entries) = std::fs::read_dir(&dir) else { return 0 };
    let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    for f in &files {
        let data = std::fs::read(f).unwrap_or_else(|e| panic!("cannot read {}: {e}", f.display()));
        eprintln!("{name}: {}", f.display());
        target(&data);
    }
    files.len()
}

#[test]
fn the_fuzz_time_is_rfc3339() {
    assert!(leadroute_runtime::parse_time(fuzz::FUZZ_NOW).is_some());
}

#[test]
fn parse_check_on_the_examples_and_its_crashes() {
    for f in ROUTES {
        fuzz::parse_check(read(f).as_bytes());
    }
    regressions("parse_check", fuzz::parse_check);
}

#[test]
fn fmt_on_the_examples_and_its_crashes() {
    for f in ROUTES {
        fuzz::fmt(read(f).as_bytes());
    }
    regressions("fmt", fuzz::fmt);
}

#[test]
fn lead_json_on_example_leads_and_its_crashes() {
    for lead in fuzz::EXAMPLE_LEADS.lines().take(60) {
        fuzz::lead_json(lead.as_bytes());
    }
    for text in ["", "null", "[]", "{}", r#"{"id": 1}"#, r#"{"id": "x", "employees": 1e400}"#, r#"{"id": "x", "created_at": "+999999-01-01T00:00:00Z"}"#] {
        fuzz::lead_json(text.as_bytes());
    }
    regressions("lead_json", fuzz::lead_json);
}

#[test]
fn policy_load_on_the_example_ir_and_its_crashes() {
    let ir = serde_json::to_string(fuzz::example_ir()).expect("an IR is JSON");
    fuzz::policy_load(ir.as_bytes());
    regressions("policy_load", fuzz::policy_load);
}

#[test]
fn lsp_messages_on_a_session_and_its_crashes() {
    let text = read("examples/inbound.route");
    let uri = "file:///fuzz/inbound.route";
    let msgs = [
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "route", "version": 1, "text": text}}}),
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "textDocument/hover", "params": {"textDocument": {"uri": uri}, "position": {"line": 9999, "character": 9999}}}),
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/formatting", "params": {"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": true}}}),
        serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "no/such/method", "params": null}),
    ];
    let input: String = msgs.iter().map(|m| m.to_string() + "\n").collect();
    fuzz::lsp_messages(input.as_bytes());
    regressions("lsp_messages", fuzz::lsp_messages);
}
