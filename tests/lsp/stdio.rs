//! The language server as editors start it: the exact command line of the
//! packaged VS Code client, the transport flags other clients add, and the
//! hardening that keeps one server process serving a whole editing session
//! (oversized messages, handler panics, non-ASCII text, huge names, a second
//! `initialize`). Every test runs the real `leadroute lsp` process over stdio.
//!
//! Every wait is bounded (20 s): a hang fails the test instead of blocking it.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use super::{uri, Lsp, TempDir};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn lsp(extra: &[&str]) -> Vec<String> {
    std::iter::once("lsp").chain(extra.iter().copied()).map(String::from).collect()
}

// ---------------------------------------------------------------- the VS Code command line

/// The strings of the first `[...]` array literal after `key` in `text`.
fn string_array_after(text: &str, key: &str) -> Option<Vec<String>> {
    let rest = &text[text.find(key)? + key.len()..];
    let open = rest.find('[')?;
    let close = open + rest[open..].find(']')?;
    Some(
        rest[open + 1..close]
            .split(',')
            .map(|s| s.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// The arguments the packaged VS Code extension starts the server with.
///
/// The extension (`editors/vscode/src/extension.ts`) runs the executable
/// `{ command, args: ["lsp"], transport: TransportKind.stdio }`. For an
/// `Executable` with `TransportKind.stdio`, vscode-languageclient appends
/// `--stdio` to those arguments (and nothing else: `--clientProcessId` is only
/// added for `NodeModule` servers): `createMessageTransports` in
/// microsoft/vscode-languageserver-node, `client/src/node/main.ts`, shipped as
/// `lib/node/main.js` of vscode-languageclient 9.0.1:
///
/// ```js
/// else if (Executable.is(json) && json.command) {
///     const args = json.args !== undefined ? json.args.slice(0) : [];
///     const transport = json.transport;
///     if (transport === TransportKind.stdio) {
///         args.push('--stdio');
/// ```
///
/// When the client library is installed (`npm ci` in `editors/vscode`), the
/// appended flag is read from it instead of taken from this comment.
fn vscode_command_line() -> Vec<String> {
    let ext = repo().join("editors/vscode/src/extension.ts");
    let source = std::fs::read_to_string(&ext).unwrap_or_else(|e| panic!("read {}: {e}", ext.display()));
    let line = source.lines().find(|l| l.contains("const executable =")).expect("extension.ts defines `const executable`");
    assert!(line.contains("TransportKind.stdio"), "the extension starts the server over stdio: {line}");
    let mut args = string_array_after(line, "args:").expect("the executable's args");
    let client = repo().join("editors/vscode/node_modules/vscode-languageclient/lib/node/main.js");
    let appended = match std::fs::read_to_string(&client) {
        Ok(js) => {
            let exe = js.find("Executable.is(json) && json.command").expect("the client's Executable branch");
            let branch = &js[exe..];
            let stdio = branch.find("transport === TransportKind.stdio").expect("its stdio case");
            let push = &branch[stdio..];
            let start = push.find("args.push('").expect("an argument pushed for stdio") + "args.push('".len();
            let end = start + push[start..].find('\'').expect("a closing quote");
            push[start..end].to_string()
        }
        Err(_) => "--stdio".to_string(),
    };
    args.push(appended);
    args
}

#[test]
fn the_vscode_client_command_line_serves_initialize_and_diagnostics() {
    let args = vscode_command_line();
    assert_eq!(args, ["lsp", "--stdio"]);
    let dir = TempDir::new("vscode");
    let text = "enum Tier { a, b }\nteam t { members [nobody] strategy round_robin }\n";
    let uri = uri(&dir.file("p.route", text));
    let mut s = Lsp::spawn_with(&args, &[]);
    let init = s.initialize();
    assert!(init["result"]["capabilities"]["completionProvider"].is_object(), "{init}\n{}", s.stderr());
    let diags = s.open(&uri, text);
    assert!(!diags.is_empty(), "an unknown rep is reported");
    assert!(diags.iter().all(|d| d["code"].as_str().is_some_and(|c| c.starts_with('E') || c.starts_with('W'))), "{diags:?}");
    assert_eq!(s.shutdown().code(), Some(0));
}

#[test]
fn client_process_id_is_accepted_and_other_transports_are_refused() {
    let mut s = Lsp::spawn_with(&lsp(&["--stdio", "--clientProcessId=4242"]), &[]);
    assert!(s.initialize().get("result").is_some());
    assert_eq!(s.shutdown().code(), Some(0));
    for flag in ["--socket=5007", "--pipe=/tmp/leadroute.sock", "--node-ipc"] {
        let out = Command::new(env!("CARGO_BIN_EXE_leadroute")).args(["lsp", flag]).stdin(Stdio::null()).output().expect("run leadroute");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {err}");
        let name = flag.split('=').next().unwrap_or(flag);
        assert!(err.contains(&format!("`{name}` transport is not supported")) && err.contains("stdio"), "{flag}: {err}");
    }
}

// ---------------------------------------------------------------- protocol answers

#[test]
fn a_second_initialize_is_an_invalid_request() {
    let mut s = Lsp::spawn_with(&lsp(&[]), &[]);
    s.initialize();
    let again = s.call("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    assert_eq!(again["error"]["code"], -32600, "{again}");
    assert_eq!(s.shutdown().code(), Some(0));
}

#[test]
fn rename_where_there_is_no_name_answers_null() {
    let dir = TempDir::new("rename");
    let text = "enum Tier { a, b }\n\n// a comment\n";
    let uri = uri(&dir.file("p.route", text));
    let mut s = Lsp::spawn_with(&lsp(&[]), &[]);
    s.initialize();
    s.open(&uri, text);
    for (line, character) in [(1, 0), (2, 5), (0, 1)] {
        let r = s.call("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character }, "newName": "x" }));
        assert!(r.get("error").is_none() && r["result"].is_null(), "({line}, {character}): {r}");
    }
    // A real name still renames, and a bad new name is still an error.
    let r = s.call("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 6 }, "newName": "Level" }));
    assert!(r["result"]["changes"].is_object(), "{r}");
    let r = s.call("textDocument/rename", json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 6 }, "newName": "1x" }));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    assert_eq!(s.shutdown().code(), Some(0));
}

// ---------------------------------------------------------------- survival

#[test]
fn a_handler_panic_is_an_internal_error_and_the_server_keeps_serving() {
    let dir = TempDir::new("panic");
    let text = "enum Tier { a, b }\n";
    let uri = uri(&dir.file("p.route", text));
    let mut s = Lsp::spawn_with(&lsp(&[]), &[("LEADROUTE_LSP_TEST_PANIC", "1")]);
    s.initialize();
    s.open(&uri, text);
    for _ in 0..2 {
        let r = s.call("leadroute/testPanic", Value::Null);
        assert_eq!(r["error"]["code"], -32603, "{r}");
        assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("internal error")), "{r}");
    }
    let r = s.call("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert!(r["result"].as_array().is_some_and(|a| !a.is_empty()), "still serving: {r}");
    assert_eq!(s.shutdown().code(), Some(0));
    // Without the environment variable the hook is an unknown method.
    let mut s = Lsp::spawn_with(&lsp(&[]), &[]);
    s.initialize();
    assert_eq!(s.call("leadroute/testPanic", Value::Null)["error"]["code"], -32601);
    assert_eq!(s.shutdown().code(), Some(0));
}

#[test]
fn an_oversized_message_is_refused_without_allocating_it() {
    // A terabyte announced: refused at once (allocating it would abort the process).
    let mut s = Lsp::spawn_with(&lsp(&[]), &[]);
    s.write_raw(b"Content-Length: 1000000000000\r\n\r\n{}");
    let e = s.wait_for("an error about the size", |m| m["error"]["code"] == -32700);
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("1000000000000 bytes") && m.contains("64 MiB")), "{e}");
    drop(s.stdin.take());
    s.wait_exit();

    // Just over the limit, body sent: skipped, and the next message is served.
    let mut s = Lsp::spawn_with(&lsp(&[]), &[]);
    s.initialize();
    let size = 64 * 1024 * 1024 + 1;
    s.write_raw(format!("Content-Length: {size}\r\n\r\n").as_bytes());
    s.write_raw(&vec![b' '; size]);
    let e = s.wait_for("an error about the size", |m| m["error"]["code"] == -32700);
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("limit")), "{e}");
    // A header line of a megabyte without a line break is read through, not kept.
    s.write_raw(&vec![b'X'; 1024 * 1024]);
    s.write_raw(b"\r\n");
    let r = s.call("workspace/symbol", json!({ "query": "" }));
    assert!(r["result"].is_array(), "{r}");
    assert!(s.alive());
    assert_eq!(s.shutdown().code(), Some(0));
}

#[test]
fn completion_after_non_ascii_text_keeps_the_server_alive() {
    let dir = TempDir::new("unicode");
    let mut s = Lsp::spawn_with(&lsp(&[]), &[]);
    s.initialize();
    for (i, text) in ["tier é", "tier é\n", "territory t when x == \"é\" and é", "route r {\n  when 😀 -> "].iter().enumerate() {
        let uri = uri(&dir.file(&format!("p{i}.route"), text));
        s.open(&uri, text);
        let last = text.lines().count().saturating_sub(1);
        let tail = if text.ends_with('\n') { "" } else { text.lines().last().unwrap_or("") };
        let line = if text.ends_with('\n') { last + 1 } else { last };
        let character = tail.encode_utf16().count();
        for c in 0..=character + 1 {
            let r = s.call("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": c } }));
            assert!(r.get("result").is_some(), "{text:?} at {c}: {r}");
            let h = s.call("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": c } }));
            assert!(h.get("result").is_some(), "{text:?} at {c}: {h}");
        }
    }
    assert!(s.alive());
    assert_eq!(s.shutdown().code(), Some(0));
}

#[test]
fn formatting_a_file_with_a_name_of_70000_characters_answers_edits() {
    let dir = TempDir::new("longname");
    let long = "t".repeat(70_000);
    let text = format!("tier   a when x sla 5m\ntier {long} when y sla 5m\n");
    let uri = uri(&dir.file("p.route", &text));
    let mut s = Lsp::spawn_with(&lsp(&[]), &[]);
    s.initialize();
    s.open(&uri, &text);
    let r = s.call("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    let edits = r["result"].as_array().unwrap_or_else(|| panic!("edits: {}", &r.to_string()[..200.min(r.to_string().len())]));
    assert_eq!(edits.len(), 1);
    let new_text = edits[0]["newText"].as_str().unwrap_or("");
    assert!(new_text.starts_with("tier a ") && new_text.contains(&format!("\ntier {long} when y sla 5m\n")), "the short name is not padded to the long one");
    assert!(new_text.len() < text.len() + 100);
    assert_eq!(s.shutdown().code(), Some(0));
}
