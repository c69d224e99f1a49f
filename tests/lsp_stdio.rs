//! The language server as editors start it: the exact command line of the
//! packaged VS Code client, the transport flags other clients add, and the
//! hardening that keeps one server process serving a whole editing session
//! (oversized messages, handler panics, non-ASCII text, huge names, a second
//! `initialize`). Every test runs the real `leadroute lsp` process over stdio.
//!
//! Every wait is bounded (20 s): a hang fails the test instead of blocking it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(20);

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Reads one `Content-Length` framed message; `None` at end of stream.
fn read_frame(r: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok();
            }
        }
    }
    let mut buf = vec![0u8; len?];
    r.read_exact(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

/// One running server and the client side of the protocol.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    stderr: Arc<Mutex<String>>,
    next_id: i64,
}

impl Server {
    /// Starts `leadroute ARGS...` with `env` added to its environment.
    fn spawn(args: &[String], env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadroute"));
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start leadroute");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(msg) = read_frame(&mut r) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err_pipe.read_to_string(&mut s);
            if let Ok(mut out) = sink.lock() {
                out.push_str(&s);
            }
        });
        let stdin = child.stdin.take();
        Server { child, stdin, rx, stderr, next_id: 0 }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn write_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).expect("write to the server");
        stdin.flush().expect("flush");
    }

    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("serialize");
        self.write_raw(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        self.write_raw(&body);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next message matching `want`, skipping others.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) if want(&m) => return m,
                Ok(_) => {}
                Err(_) => {
                    let status = self.child.try_wait().ok().flatten();
                    panic!("no {what} within 20 s; server status {status:?}\n--- stderr ---\n{}", self.stderr());
                }
            }
        }
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_for(&format!("answer to `{method}`"), |m| m["id"] == id && m.get("method").is_none())
    }

    fn initialize(&mut self) -> Value {
        let r = self.call("initialize", json!({ "processId": std::process::id(), "rootUri": null, "capabilities": {} }));
        self.notify("initialized", json!({}));
        r
    }

    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait_for(&format!("diagnostics for {uri}"), |m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri);
        m["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "route", "version": 1, "text": text } }));
        self.diagnostics(uri)
    }

    /// `shutdown`, `exit`, and the exit code.
    fn shutdown(mut self) -> Option<i32> {
        let r = self.call("shutdown", Value::Null);
        assert!(r.get("error").is_none(), "{r}");
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        self.wait_exit()
    }

    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status.code(),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => panic!("the server did not exit within 20 s\n--- stderr ---\n{}", self.stderr()),
            }
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A fresh folder, removed afterwards.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("leadroute-lsp-stdio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temporary folder");
        TempDir(dir)
    }

    /// Writes `text` to `name` and returns its `file://` URI.
    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write a file");
        let mut s = String::from("file://");
        for b in p.to_string_lossy().bytes() {
            if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
                s.push(b as char);
            } else {
                s.push_str(&format!("%{b:02X}"));
            }
        }
        s
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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
    let uri = dir.file("p.route", text);
    let mut s = Server::spawn(&args, &[]);
    let init = s.initialize();
    assert!(init["result"]["capabilities"]["completionProvider"].is_object(), "{init}\n{}", s.stderr());
    let diags = s.open(&uri, text);
    assert!(!diags.is_empty(), "an unknown rep is reported");
    assert!(diags.iter().all(|d| d["code"].as_str().is_some_and(|c| c.starts_with('E') || c.starts_with('W'))), "{diags:?}");
    assert_eq!(s.shutdown(), Some(0));
}

#[test]
fn client_process_id_is_accepted_and_other_transports_are_refused() {
    let mut s = Server::spawn(&lsp(&["--stdio", "--clientProcessId=4242"]), &[]);
    assert!(s.initialize().get("result").is_some());
    assert_eq!(s.shutdown(), Some(0));
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
    let mut s = Server::spawn(&lsp(&[]), &[]);
    s.initialize();
    let again = s.call("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    assert_eq!(again["error"]["code"], -32600, "{again}");
    assert_eq!(s.shutdown(), Some(0));
}

#[test]
fn rename_where_there_is_no_name_answers_null() {
    let dir = TempDir::new("rename");
    let text = "enum Tier { a, b }\n\n// a comment\n";
    let uri = dir.file("p.route", text);
    let mut s = Server::spawn(&lsp(&[]), &[]);
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
    assert_eq!(s.shutdown(), Some(0));
}

// ---------------------------------------------------------------- survival

#[test]
fn a_handler_panic_is_an_internal_error_and_the_server_keeps_serving() {
    let dir = TempDir::new("panic");
    let text = "enum Tier { a, b }\n";
    let uri = dir.file("p.route", text);
    let mut s = Server::spawn(&lsp(&[]), &[("LEADROUTE_LSP_TEST_PANIC", "1")]);
    s.initialize();
    s.open(&uri, text);
    for _ in 0..2 {
        let r = s.call("leadroute/testPanic", Value::Null);
        assert_eq!(r["error"]["code"], -32603, "{r}");
        assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("internal error")), "{r}");
    }
    let r = s.call("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    assert!(r["result"].as_array().is_some_and(|a| !a.is_empty()), "still serving: {r}");
    assert_eq!(s.shutdown(), Some(0));
    // Without the environment variable the hook is an unknown method.
    let mut s = Server::spawn(&lsp(&[]), &[]);
    s.initialize();
    assert_eq!(s.call("leadroute/testPanic", Value::Null)["error"]["code"], -32601);
    assert_eq!(s.shutdown(), Some(0));
}

#[test]
fn an_oversized_message_is_refused_without_allocating_it() {
    // A terabyte announced: refused at once (allocating it would abort the process).
    let mut s = Server::spawn(&lsp(&[]), &[]);
    s.write_raw(b"Content-Length: 1000000000000\r\n\r\n{}");
    let e = s.wait_for("an error about the size", |m| m["error"]["code"] == -32700);
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("1000000000000 bytes") && m.contains("64 MiB")), "{e}");
    drop(s.stdin.take());
    assert!(s.wait_exit().is_some());

    // Just over the limit, body sent: skipped, and the next message is served.
    let mut s = Server::spawn(&lsp(&[]), &[]);
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
    assert_eq!(s.shutdown(), Some(0));
}

#[test]
fn completion_after_non_ascii_text_keeps_the_server_alive() {
    let dir = TempDir::new("unicode");
    let mut s = Server::spawn(&lsp(&[]), &[]);
    s.initialize();
    for (i, text) in ["tier é", "tier é\n", "territory t when x == \"é\" and é", "route r {\n  when 😀 -> "].iter().enumerate() {
        let uri = dir.file(&format!("p{i}.route"), text);
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
    assert_eq!(s.shutdown(), Some(0));
}

#[test]
fn formatting_a_file_with_a_name_of_70000_characters_answers_edits() {
    let dir = TempDir::new("longname");
    let long = "t".repeat(70_000);
    let text = format!("tier   a when x sla 5m\ntier {long} when y sla 5m\n");
    let uri = dir.file("p.route", &text);
    let mut s = Server::spawn(&lsp(&[]), &[]);
    s.initialize();
    s.open(&uri, &text);
    let r = s.call("textDocument/formatting", json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }));
    let edits = r["result"].as_array().unwrap_or_else(|| panic!("edits: {}", &r.to_string()[..200.min(r.to_string().len())]));
    assert_eq!(edits.len(), 1);
    let new_text = edits[0]["newText"].as_str().unwrap_or("");
    assert!(new_text.starts_with("tier a ") && new_text.contains(&format!("\ntier {long} when y sla 5m\n")), "the short name is not padded to the long one");
    assert!(new_text.len() < text.len() + 100);
    assert_eq!(s.shutdown(), Some(0));
}
