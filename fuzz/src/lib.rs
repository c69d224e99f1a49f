// The fuzz targets' logic, as plain functions of the input bytes. Each
// panics exactly when it finds a bug (a crash, or a broken property), so the
// `fuzz_targets/` wrappers and the root regression test
// (`tests/fuzz_regressions.rs`, which `include!`s this file on stable) share
// it. No inner attributes or `//!` docs here: `include!` would refuse them.

use std::sync::OnceLock;

use leadroute_compiler::fmt::format_source;
use leadroute_compiler::render::{render_human, HumanOptions};
use leadroute_compiler::source::{SourceFile, SourceSet};
use leadroute_runtime::ir::PolicyIr;
use leadroute_runtime::{Backend, Engine, LoadError, Policy};

/// The decision time every target uses (the examples' batch time).
pub const FUZZ_NOW: &str = "2026-11-24T15:00:00Z";

/// The example policy the `lead_json` target validates leads against.
pub const EXAMPLE_POLICY: &str = include_str!("../../examples/inbound.route");

/// The CSV files of that policy's tables, by the name it reads them from
/// (every compiled text can read them, so fuzzed tables have rows too).
pub const EXAMPLE_TABLES: [(&str, &str); 2] =
    [("accounts.csv", include_str!("../../examples/accounts.csv")), ("us_west_zips.csv", include_str!("../../examples/us_west_zips.csv"))];

/// Example leads for that policy (a few are routed by `policy_load` on every IR that loads).
pub const EXAMPLE_LEADS: &str = include_str!("../../examples/leads.ndjson");

fn now() -> jiff::Timestamp {
    // The constant is RFC 3339: parsing cannot fail (checked by the regression tests).
    leadroute_runtime::parse_timestamp(FUZZ_NOW).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// Checks one `.route` text: diagnostics, and the IR when it has no errors.
fn compile(text: &str) -> (SourceSet, leadroute_compiler::Checked, Option<PolicyIr>) {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("fuzz.route", text));
    let mut tables = leadroute_compiler::source::MemoryProvider::new();
    for (name, csv) in EXAMPLE_TABLES {
        tables.insert(name, csv);
    }
    let checked = leadroute_compiler::check_with_tables(&tables, &mut set);
    let ir = if checked.diagnostics.iter().any(|d| d.is_error()) { None } else { leadroute_compiler::lower::lower(&set, &checked) };
    (set, checked, ir)
}

/// The example policy's IR (compiled once).
pub fn example_ir() -> &'static PolicyIr {
    static IR: OnceLock<PolicyIr> = OnceLock::new();
    IR.get_or_init(|| match compile(EXAMPLE_POLICY).2 {
        Some(ir) => ir,
        None => panic!("examples/inbound.route has errors"),
    })
}

/// `parse_check`: parse and check any text; render its diagnostics; a policy
/// without errors lowers, and its IR loads with both backends (the runtime
/// refusing what the compiler accepts is a bug).
pub fn parse_check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (set, checked, ir) = compile(text);
    let _ = render_human(&checked.diagnostics, &set, HumanOptions::plain());
    if let Some(ir) = ir {
        let json = serde_json::to_string(&ir).unwrap_or_default();
        for backend in [Backend::Interp, Backend::Jit] {
            match Policy::from_json_with(&json, backend) {
                Ok(_) | Err(LoadError::Backend { .. }) => {}
                Err(e) => panic!("the compiler accepted a policy the runtime refuses ({backend}): {e}"),
            }
        }
    }
}

/// Error codes of a check, sorted: what "the same check result" compares.
fn error_codes(checked: &leadroute_compiler::Checked) -> Vec<String> {
    let mut codes: Vec<String> = checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| format!("{:?}", d.code)).collect();
    codes.sort();
    codes
}

/// `fmt`: formatting is idempotent (`fmt(fmt(x)) == fmt(x)`) and keeps the
/// meaning: the same errors, and the same `policy_version` when it builds.
pub fn fmt(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(once) = format_source(text) else { return };
    let twice = match format_source(&once) {
        Ok(t) => t,
        Err(d) => panic!("formatted text does not parse again: {:?}\n--- formatted:\n{once}", d.iter().map(|d| d.code).collect::<Vec<_>>()),
    };
    assert_eq!(once, twice, "formatting is not idempotent");
    let (_, before, ir_before) = compile(text);
    let (_, after, ir_after) = compile(&once);
    assert_eq!(error_codes(&before), error_codes(&after), "formatting changed the check result\n--- formatted:\n{once}");
    if let (Some(a), Some(b)) = (&ir_before, &ir_after) {
        assert_eq!(a.policy_version, b.policy_version, "formatting changed the policy's meaning\n--- formatted:\n{once}");
    }
    assert_eq!(ir_before.is_some(), ir_after.is_some(), "formatting changed whether the policy builds");
}

/// The example policy, loaded with each backend (once).
fn example_policies() -> &'static [Policy] {
    static P: OnceLock<Vec<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        [Backend::Interp, Backend::Jit].into_iter().filter_map(|b| Policy::from_ir_with(example_ir().clone(), b).ok()).collect()
    })
}

/// Routes one lead text with every given policy; every backend decides alike.
fn route_alike(policies: &[Policy], lead: &str) {
    let now = now();
    let decisions: Vec<String> = policies.iter().map(|p| Engine::new(p.clone()).route_str(lead, now).to_json_line()).collect();
    if let Some(first) = decisions.first() {
        for d in &decisions[1..] {
            assert_eq!(first, d, "the backends decide this lead differently: {lead}");
        }
    }
}

/// `lead_json`: validate any text as a lead of the example policy (lenient
/// and strict), and route it with both backends: never a panic, and the
/// same decision from each.
pub fn lead_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let policies = example_policies();
    if let Some(p) = policies.first() {
        for strict in [false, true] {
            let _ = leadroute_runtime::Lead::from_json_str(p.ir(), text, leadroute_runtime::LeadOptions { strict });
        }
    }
    route_alike(policies, text);
}

/// `policy_load`: load any text as a built policy with both backends. It
/// either loads and decides (the same with each backend), or is refused;
/// the JIT refuses only with a `Backend` error what the interpreter loads.
pub fn policy_load(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let interp = Policy::from_json_with(text, Backend::Interp);
    let jit = Policy::from_json_with(text, Backend::Jit);
    match (&interp, &jit) {
        (Ok(_), Ok(_)) | (Ok(_), Err(LoadError::Backend { .. })) | (Err(_), Err(_)) => {}
        (Ok(_), Err(e)) => panic!("the interpreter loads a policy the JIT refuses with: {e}"),
        (Err(e), Ok(_)) => panic!("the JIT loads a policy the interpreter refuses with: {e}"),
    }
    let policies: Vec<Policy> = [interp, jit].into_iter().filter_map(Result::ok).collect();
    if policies.is_empty() {
        return;
    }
    for lead in EXAMPLE_LEADS.lines().take(8).chain([r#"{"id":"L-1"}"#, r#"{"id":"L-2","email":"a@b.c","country":"DE","employees":5}"#]) {
        route_alike(&policies, lead);
    }
}

/// `lsp_messages`: one JSON-RPC message per line of the input, fed to the
/// language server's in-memory handler after `initialize`, then `shutdown`
/// and `exit`. The server must not panic, whatever the messages.
pub fn lsp_messages(data: &[u8]) {
    use lsp_server::{Connection, Message, Notification, Request, RequestId};
    let Ok(text) = std::str::from_utf8(data) else { return };
    let msgs: Vec<Message> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    if msgs.is_empty() {
        return;
    }
    let (server, Connection { sender, receiver }) = Connection::memory();
    let handle = std::thread::spawn(move || leadroute_lsp::serve(&server));
    let init = serde_json::json!({ "capabilities": {}, "rootUri": null, "processId": null });
    let _ = sender.send(Message::Request(Request::new(RequestId::from(0), "initialize".into(), init)));
    let _ = sender.send(Message::Notification(Notification::new("initialized".into(), serde_json::json!({}))));
    for m in msgs {
        // The harness ends the session itself: an `exit` from the input would leave the handler waiting.
        if matches!(&m, Message::Notification(n) if n.method == "exit") {
            continue;
        }
        let _ = sender.send(m);
    }
    let _ = sender.send(Message::Request(Request::new(RequestId::from(i32::MAX), "shutdown".into(), serde_json::Value::Null)));
    let _ = sender.send(Message::Notification(Notification::new("exit".into(), serde_json::Value::Null)));
    // The client keeps reading until the server is done: a server whose
    // client vanished mid-handshake is lsp-server's business, not ours.
    drop(sender);
    let joined = handle.join();
    drop(receiver);
    if let Err(panic) = joined {
        std::panic::resume_unwind(panic);
    }
}
