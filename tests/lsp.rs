//! End-to-end tests of the language server: every test starts the real
//! `leadroute lsp` process and speaks JSON-RPC to it over stdin/stdout, the
//! way an editor does. Documents live in fresh temporary folders holding
//! copies of the examples, so the server reads a real folder.
//!
//! Every wait is bounded (20 s): a hang fails the test instead of blocking it.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

// ---------------------------------------------------------------- harness

/// The longest we wait for any one answer.
const WAIT: Duration = Duration::from_secs(20);

/// JSON-RPC error codes the server uses.
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;

/// Reads one `Content-Length` framed message; `None` at end of stream.
fn read_frame(r: &mut impl BufRead) -> Option<Result<Value, String>> {
    let mut len: Option<usize> = None;
    loop {
        let mut line = String::new();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().ok();
            }
        }
    }
    let Some(len) = len else { return Some(Err("a frame without Content-Length".into())) };
    let mut buf = vec![0u8; len];
    if r.read_exact(&mut buf).is_err() {
        return None;
    }
    Some(serde_json::from_slice(&buf).map_err(|e| format!("a frame that is not JSON ({e}): {}", String::from_utf8_lossy(&buf))))
}

/// One running `leadroute lsp` process and the client side of its protocol.
struct Lsp {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Result<Value, String>>,
    /// Everything the server wrote to stderr (shown when a test fails).
    stderr: Arc<Mutex<String>>,
    next_id: i64,
    /// Notifications (and server requests) received but not consumed yet.
    notes: VecDeque<Value>,
    /// Responses received while waiting for another id.
    early: HashMap<String, Value>,
}

impl Lsp {
    /// Starts the server without initializing it.
    fn spawn() -> Lsp {
        Lsp::spawn_with(&["lsp"], &[])
    }

    /// Starts `leadroute ARGS...`, with `env` added to its environment, without initializing it.
    fn spawn_with<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &str)]) -> Lsp {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadroute"));
        cmd.args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start `leadroute lsp`");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");
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
            let mut r = BufReader::new(stderr_pipe);
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&line);
                }
                line.clear();
            }
        });
        let stdin = child.stdin.take();
        Lsp { child, stdin, rx, stderr, next_id: 0, notes: VecDeque::new(), early: HashMap::new() }
    }

    /// Starts and initializes the server; returns it and the `initialize` result.
    fn start_with(root: Option<&Path>) -> (Lsp, Value) {
        let mut s = Lsp::spawn();
        let root_uri = root.map_or(Value::Null, |r| json!(uri(r)));
        let init = s.request("initialize", json!({ "processId": null, "rootUri": root_uri, "capabilities": {} }));
        s.notify("initialized", json!({}));
        (s, init)
    }

    fn start(root: &Path) -> Lsp {
        Lsp::start_with(Some(root)).0
    }

    fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Fails the test with the server's state.
    fn fail(&mut self, why: &str) -> ! {
        let status = self.child.try_wait().ok().flatten();
        panic!("{why}\nserver status: {status:?}\n--- server stderr ---\n{}", self.stderr());
    }

    fn send(&mut self, msg: &Value) {
        let body = serde_json::to_vec(msg).expect("serialize");
        self.send_raw(&body);
    }

    /// Writes one frame holding `body` exactly.
    fn send_raw(&mut self, body: &[u8]) {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        self.write_raw(&frame);
    }

    /// Writes `bytes` as they are (no framing).
    fn write_raw(&mut self, bytes: &[u8]) {
        let ok = self.stdin.as_mut().is_some_and(|w| w.write_all(bytes).and_then(|()| w.flush()).is_ok());
        if !ok {
            self.fail("cannot write to the server (did it exit?)");
        }
    }

    /// `initialize` (with no root) then `initialized`; returns the whole response.
    fn initialize(&mut self) -> Value {
        let r = self.call("initialize", json!({ "processId": std::process::id(), "rootUri": null, "capabilities": {} }));
        self.notify("initialized", json!({}));
        r
    }

    /// The next message matching `want`, skipping the others.
    fn wait_for(&mut self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let msg = self.recv(deadline, what);
            if want(&msg) {
                return msg;
            }
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The next message, or a failure after `deadline`.
    fn recv(&mut self, deadline: Instant, waiting_for: &str) -> Value {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(left) {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => self.fail(&format!("malformed output from the server: {e}")),
            Err(RecvTimeoutError::Timeout) => self.fail(&format!("no answer within {WAIT:?} while waiting for {waiting_for}")),
            Err(RecvTimeoutError::Disconnected) => self.fail(&format!("the server closed its output while we waited for {waiting_for}")),
        }
    }

    /// Sends a request with a fresh numeric id; returns the whole response message.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.response(&id, method)
    }

    /// Waits for the response to `id`, keeping notifications for later.
    fn response(&mut self, id: &Value, what: &str) -> Value {
        if let Some(r) = self.early.remove(&id.to_string()) {
            return r;
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let msg = self.recv(deadline, &format!("the response to `{what}` (id {id})"));
            if msg.get("method").is_some() {
                self.notes.push_back(msg);
            } else if msg.get("id") == Some(id) {
                return msg;
            } else if let Some(other) = msg.get("id") {
                self.early.insert(other.to_string(), msg.clone());
            }
        }
    }

    /// A request that must succeed; returns its result.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        if let Some(e) = r.get("error") {
            self.fail(&format!("`{method}` failed: {e}"));
        }
        r.get("result").cloned().unwrap_or(Value::Null)
    }

    /// A request that must fail; returns its error object.
    fn request_err(&mut self, method: &str, params: Value) -> Value {
        let r = self.call(method, params);
        match r.get("error") {
            Some(e) => e.clone(),
            None => self.fail(&format!("`{method}` should have failed, got {r}")),
        }
    }

    /// The next `publishDiagnostics` for `uri` (its diagnostics array).
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let is_it = |m: &Value| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri;
        if let Some(i) = self.notes.iter().position(is_it) {
            let m = self.notes.remove(i).expect("index in range");
            return m["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let msg = self.recv(deadline, &format!("diagnostics for {uri}"));
            if is_it(&msg) {
                return msg["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            if msg.get("method").is_some() {
                self.notes.push_back(msg);
            }
        }
    }

    /// Forgets notifications received so far.
    fn forget_notes(&mut self) {
        while let Ok(Ok(m)) = self.rx.try_recv() {
            if m.get("method").is_none() {
                if let Some(id) = m.get("id") {
                    self.early.insert(id.to_string(), m.clone());
                }
            }
        }
        self.notes.clear();
    }

    /// Opens a document and returns its first diagnostics.
    fn open(&mut self, uri: &str, text: &str) -> Vec<Value> {
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "route", "version": 1, "text": text } }));
        self.diagnostics(uri)
    }

    /// Replaces a document's text (full sync) and returns its new diagnostics.
    fn change(&mut self, uri: &str, version: i64, text: &str) -> Vec<Value> {
        self.change_quietly(uri, version, text);
        self.diagnostics(uri)
    }

    fn change_quietly(&mut self, uri: &str, version: i64, text: &str) {
        self.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }));
    }

    /// `shutdown` then `exit`; returns the exit status.
    fn shutdown(mut self) -> ExitStatus {
        let r = self.request("shutdown", Value::Null);
        assert_eq!(r, Value::Null, "shutdown returns null");
        self.notify("exit", Value::Null);
        drop(self.stdin.take());
        self.wait_exit()
    }

    /// Waits (at most 20 s) for the server to exit.
    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
                _ => self.fail("the server did not exit within 20 s of `exit`"),
            }
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Lsp {
    fn drop(&mut self) {
        // A failed test must not leave its server behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------- fixtures

mod common;

/// A fresh temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("leadroute-lsp-{}-{n}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp folder");
        TempDir(dir)
    }

    /// Writes a file in the folder; returns its path.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write a temp file");
        common::copy_example_tables(&p, text.as_bytes());
        p
    }

    /// Replaces the folder (as a path and as a URI) with `<tmp>`.
    fn normalize(&self, s: &str) -> String {
        s.replace(&uri(&self.0), "file://<tmp>").replace(&*self.0.to_string_lossy(), "<tmp>")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn example(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// The `file://` URI of a path, encoded the way the server encodes it.
fn uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
    s
}

/// The protocol position (UTF-16 columns) of byte `offset` in `text`.
fn position_of(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": text[line_start..offset].encode_utf16().count() })
}

/// The position `delta` bytes after the first occurrence of `needle` (exact text).
fn pos_lit(text: &str, needle: &str, delta: usize) -> Value {
    let at = text.find(needle).unwrap_or_else(|| panic!("`{needle}` is not in the text"));
    position_of(text, at + delta)
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Every match of `needle` in `text` where each run of whitespace in the
/// needle matches any run of whitespace (newlines included), so that the
/// tests do not depend on how the examples are laid out. A match starts at
/// a word boundary. Returns (start, end) byte offsets.
fn find_flex_all(text: &str, needle: &str) -> Vec<(usize, usize)> {
    let parts: Vec<&str> = needle.split_whitespace().collect();
    let b = text.as_bytes();
    let mut out = Vec::new();
    let Some(first) = parts.first() else { return out };
    'candidates: for (start, _) in text.match_indices(first) {
        if first.as_bytes().first().is_some_and(|c| is_ident_byte(*c)) && start > 0 && is_ident_byte(b[start - 1]) {
            continue;
        }
        let mut i = start + first.len();
        for part in &parts[1..] {
            let ws = text[i..].len() - text[i..].trim_start().len();
            if ws == 0 || !text[i + ws..].starts_with(part) {
                continue 'candidates;
            }
            i += ws + part.len();
        }
        out.push((start, i));
    }
    out
}

fn find_flex(text: &str, needle: &str) -> (usize, usize) {
    find_flex_all(text, needle).first().copied().unwrap_or_else(|| panic!("`{needle}` is not in the text (whitespace-insensitive)"))
}

/// The byte offset of `word` (a whole word) inside the first match of `needle`.
fn word_offset(text: &str, needle: &str, word: &str) -> usize {
    let (s, e) = find_flex(text, needle);
    let b = text.as_bytes();
    text[s..e]
        .match_indices(word)
        .map(|(i, _)| s + i)
        .find(|&i| (i == 0 || !is_ident_byte(b[i - 1])) && b.get(i + word.len()).is_none_or(|c| !is_ident_byte(*c)))
        .unwrap_or_else(|| panic!("`{word}` is not a word of `{needle}`"))
}

/// The position at the start of `word` inside the first match of `needle`.
fn pos(text: &str, needle: &str, word: &str) -> Value {
    position_of(text, word_offset(text, needle, word))
}

/// A position one character inside `word` (for hover and navigation).
fn inside(text: &str, needle: &str, word: &str) -> Value {
    position_of(text, word_offset(text, needle, word) + 1)
}

/// Replaces the first whitespace-insensitive match of `needle`.
fn replace_flex(text: &str, needle: &str, with: &str) -> String {
    let (s, e) = find_flex(text, needle);
    format!("{}{with}{}", &text[..s], &text[e..])
}

/// The byte offset of a protocol position (clamped).
fn offset_of(text: &str, p: &Value) -> usize {
    let line = p["line"].as_u64().expect("line") as usize;
    let character = p["character"].as_u64().expect("character") as usize;
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let mut units = 0;
    for (i, ch) in text[start..].char_indices() {
        if units >= character || ch == '\n' {
            return start + i;
        }
        units += ch.len_utf16();
    }
    text.len()
}

/// The text a protocol range covers.
fn slice<'t>(text: &'t str, range: &Value) -> &'t str {
    &text[offset_of(text, &range["start"])..offset_of(text, &range["end"])]
}

/// Applies text edits (non-overlapping) to a text.
fn apply(text: &str, edits: &[Value]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|e| (offset_of(text, &e["range"]["start"]), offset_of(text, &e["range"]["end"]), e["newText"].as_str().expect("newText")))
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (s, e, t) in spans {
        out.replace_range(s..e, t);
    }
    out
}

fn doc(u: &str) -> Value {
    json!({ "uri": u })
}

fn at(u: &str, p: Value) -> Value {
    json!({ "textDocument": doc(u), "position": p })
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags.iter().map(|d| d["code"].as_str().unwrap_or("?").to_string()).collect()
}

fn completion_kind(k: &Value) -> String {
    const NAMES: &[&str] = &[
        "?", "text", "method", "function", "constructor", "field", "variable", "class", "interface", "module", "property", "unit", "value", "enum", "keyword",
        "snippet", "color", "file", "reference", "folder", "enum-member", "constant", "struct", "event", "operator", "type-parameter",
    ];
    k.as_u64().and_then(|k| NAMES.get(k as usize)).map_or_else(|| format!("{k}"), |s| s.to_string())
}

fn symbol_kind(k: &Value) -> String {
    const NAMES: &[&str] = &[
        "?", "file", "module", "namespace", "package", "class", "method", "property", "field", "constructor", "enum", "interface", "function", "variable",
        "constant", "string", "number", "boolean", "array", "object", "key", "null", "enum-member", "struct", "event", "operator", "type-parameter",
    ];
    k.as_u64().and_then(|k| NAMES.get(k as usize)).map_or_else(|| format!("{k}"), |s| s.to_string())
}

/// Completion items as `label  kind  detail` lines (the result may be a list or a CompletionList).
fn completion_lines(result: &Value) -> String {
    let items = match result {
        Value::Array(a) => a.clone(),
        Value::Object(o) => o.get("items").and_then(Value::as_array).cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    items
        .iter()
        .map(|i| format!("{:<20} {:<12} {}", i["label"].as_str().unwrap_or("?"), completion_kind(&i["kind"]), i["detail"].as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join("\n")
}

fn labels(result: &Value) -> Vec<String> {
    result.as_array().map(|a| a.iter().map(|i| i["label"].as_str().unwrap_or("?").to_string()).collect()).unwrap_or_default()
}

fn hover_text(result: &Value) -> String {
    match &result["contents"] {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.get("value").and_then(Value::as_str).unwrap_or("").to_string(),
        Value::Array(a) => a.iter().map(|x| x.as_str().or_else(|| x["value"].as_str()).unwrap_or("")).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}

/// A folder holding a copy of one example, opened: (folder, uri, text, server).
fn opened(example_name: &str) -> (TempDir, String, String, Lsp) {
    let dir = TempDir::new(example_name.trim_end_matches(".route"));
    let text = example(example_name);
    let path = dir.file(example_name, &text);
    let u = uri(&path);
    let mut s = Lsp::start(&dir.0);
    let diags = s.open(&u, &text);
    if example_name == "inbound.route" {
        assert!(diags.is_empty(), "inbound.route checks clean: {diags:#?}");
    }
    (dir, u, text, s)
}

// ---------------------------------------------------------------- lifecycle and diagnostics

#[test]
fn initialize_advertises_capabilities() {
    let dir = TempDir::new("init");
    let (s, init) = Lsp::start_with(Some(&dir.0));
    let caps = &init["capabilities"];
    assert_eq!(caps["textDocumentSync"], json!(2), "incremental document sync");
    insta::assert_snapshot!("capabilities", serde_json::to_string_pretty(caps).expect("json"));
    assert!(s.shutdown().success());
}

#[test]
fn inbound_example_has_no_diagnostics_and_exit_is_clean() {
    let (_dir, _u, _text, s) = opened("inbound.route");
    let status = s.shutdown();
    assert_eq!(status.code(), Some(0), "shutdown + exit leaves with status 0");
}

#[test]
fn broken_example_reports_every_mistake_with_codes_and_related_information() {
    let (dir, u, text, mut s) = opened("broken.route");
    // The first publication came from `opened`; ask again through a no-op change.
    let diags = s.change(&u, 2, &text);
    let got = codes(&diags);
    for want in ["W0001", "E0019", "E0020", "E0018", "E0023", "E0006", "E0012", "E0015", "E0004", "E0022", "E0021", "E0001"] {
        assert!(got.iter().any(|c| c == want), "{want} missing from {got:?}");
    }
    assert_eq!(got.iter().filter(|c| *c == "E0004").count(), 2, "sdr_pol and ae_north: {got:?}");
    for d in &diags {
        assert_eq!(d["source"], "leadroute");
        assert!(d["severity"] == 1 || d["severity"] == 2, "error or warning: {d}");
        if let Some(rel) = d["relatedInformation"].as_array() {
            for r in rel {
                assert_eq!(r["location"]["uri"], u, "related places are in the same file");
                assert!(!r["message"].as_str().unwrap_or("").is_empty());
            }
        }
    }
    let dup = diags.iter().find(|d| d["code"] == "E0019").expect("E0019");
    let rel = dup["relatedInformation"].as_array().expect("E0019 points at the first `alice`");
    assert_eq!(slice(&text, &rel[0]["location"]["range"]), "alice");
    assert_eq!(slice(&text, &dup["range"]), "alice");
    let warn = diags.iter().find(|d| d["code"] == "W0001").expect("W0001");
    assert_eq!(warn["severity"], 2, "W0001 is a warning");
    let typo = diags.iter().find(|d| d["code"] == "E0004" && slice(&text, &d["range"]) == "sdr_pol").expect("E0004 on sdr_pol");
    assert!(typo["message"].as_str().unwrap_or("").contains("did you mean `sdr_pool`"), "{typo}");

    let summary: Vec<String> = diags
        .iter()
        .map(|d| {
            let r = &d["range"]["start"];
            let first = d["message"].as_str().unwrap_or("").lines().next().unwrap_or("").to_string();
            let related = d["relatedInformation"].as_array().map_or(0, Vec::len);
            format!("{}:{} {} {first} (related: {related})", r["line"], r["character"], d["code"].as_str().unwrap_or("?"))
        })
        .collect();
    insta::assert_snapshot!("broken_diagnostics", dir.normalize(&summary.join("\n")));
    assert!(s.shutdown().success());
}

#[test]
fn a_typo_is_reported_with_did_you_mean_and_cleared_when_fixed() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let bad = text.replacen("assign team ae_west", "assign team ae_wset", 1);
    let diags = s.change(&u, 2, &bad);
    assert_eq!(codes(&diags), vec!["E0004"], "{diags:#?}");
    let d = &diags[0];
    assert_eq!(slice(&bad, &d["range"]), "ae_wset");
    let msg = d["message"].as_str().unwrap_or("");
    assert!(msg.contains("did you mean `ae_west`"), "{msg}");
    assert_eq!(d["severity"], 1);

    // Hovering the typo explains the diagnostic.
    let h = s.request("textDocument/hover", at(&u, pos_lit(&bad, "ae_wset", 2)));
    assert!(hover_text(&h).contains("E0004"), "{h}");

    let diags = s.change(&u, 3, &text);
    assert!(diags.is_empty(), "fixing the typo clears the diagnostics: {diags:#?}");
    assert!(s.shutdown().success());
}

#[test]
fn keystrokes_sent_as_ranges_edit_the_document_the_server_checks() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    // Typing `ae_wset` over `ae_west` one keystroke at a time, as an editor
    // with incremental sync sends it: delete the name, then each character.
    let name_at = text.find("assign team ae_west").expect("a team assignment") + "assign team ".len();
    let start = position_of(&text, name_at);
    let end = position_of(&text, name_at + "ae_west".len());
    s.notify("textDocument/didChange", json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "range": { "start": start, "end": end }, "text": "" }] }));
    let mut typed = String::new();
    for (i, ch) in "ae_wset".chars().enumerate() {
        let here = position_of(&text, name_at + typed.len());
        typed.push(ch);
        let change = json!({ "range": { "start": here, "end": here }, "text": ch.to_string() });
        s.notify("textDocument/didChange", json!({ "textDocument": { "uri": u, "version": 3 + i }, "contentChanges": [change] }));
    }
    let bad = text.replacen("assign team ae_west", "assign team ae_wset", 1);
    // Checks of the intermediate texts may be published first: wait for the typo's.
    let diags = (0..20).map(|_| s.diagnostics(&u)).find(|d| codes(d) == ["E0004"]).expect("the typo is reported");
    assert_eq!(slice(&bad, &diags[0]["range"]), "ae_wset", "the diagnostic is on the typed text: {diags:#?}");
    let h = s.request("textDocument/hover", at(&u, pos_lit(&bad, "ae_wset", 2)));
    assert!(hover_text(&h).contains("E0004"), "{h}");
    // Two ranged changes in one notification apply in order: swap `se` back to `es`.
    let se = bad.find("ae_wset").expect("the typo") + "ae_w".len();
    let changes = json!([
        { "range": { "start": position_of(&bad, se), "end": position_of(&bad, se + 1) }, "text": "" },
        { "range": { "start": position_of(&bad, se + 1), "end": position_of(&bad, se + 1) }, "text": "s" },
    ]);
    s.notify("textDocument/didChange", json!({ "textDocument": { "uri": u, "version": 20 }, "contentChanges": changes }));
    let diags = (0..20).map(|_| s.diagnostics(&u)).find(|d| d.is_empty());
    assert!(diags.is_some(), "fixing the typo with ranged changes clears the diagnostics");
    // A change without a range still replaces the whole text.
    assert_eq!(codes(&s.change(&u, 21, &bad)), vec!["E0004"]);
    assert!(s.shutdown().success());
}

// ---------------------------------------------------------------- completion

#[test]
fn completion_offers_teams_after_assign_team() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/completion", at(&u, pos(&text, "-> assign team ae_west", "ae_west")));
    assert_eq!(labels(&r), ["account_owners", "ae_apac", "ae_east", "ae_emea", "ae_west", "partner_desk", "sdr_pool"]);
    // While typing a new rule: the cursor right after `assign team `, then after a partial name.
    let typed = text.replacen("route inbound {\n", "route inbound {\n  typing: when tier == cold -> assign team \n", 1);
    s.change(&u, 2, &typed);
    let r2 = s.request("textDocument/completion", at(&u, pos_lit(&typed, "assign team \n", 12)));
    assert_eq!(labels(&r2), labels(&r));
    let partial = typed.replacen("assign team \n", "assign team ae_\n", 1);
    s.change(&u, 3, &partial);
    let r3 = s.request("textDocument/completion", at(&u, pos_lit(&partial, "assign team ae_\n", 15)));
    assert!(labels(&r3).contains(&"ae_west".to_string()), "{r3}");
    insta::assert_snapshot!("completion_assign_team", dir.normalize(&completion_lines(&r)));
    assert!(s.shutdown().success());
}

#[test]
fn completion_and_hover_know_calendars() {
    let (_dir, u, text, mut s) = opened("rota.route");
    // While typing `calendar ` in a rep: the calendars, by name.
    let typed = text.replacen("timezone \"Europe/London\"  calendar uk }", "timezone \"Europe/London\"  calendar  }", 1);
    s.change(&u, 2, &typed);
    let r = s.request("textDocument/completion", at(&u, pos_lit(&typed, "\"Europe/London\"  calendar  }", 27)));
    assert_eq!(labels(&r), ["uk", "us"]);
    s.change(&u, 3, &text);
    // Hover on a use: the declaration, its span of days, and who observes it.
    let h = s.request("textDocument/hover", at(&u, inside(&text, "\"Europe/London\"  calendar uk }", "uk")));
    let t = hover_text(&h);
    assert!(t.starts_with("**calendar** `uk`"), "{t}");
    assert!(t.contains("2026-12-25 \"Christmas Day\""), "{t}");
    assert!(t.contains("10 days off, 2026-12-25 to 2027-12-28; observed by rep amy, rep lars, team emea_pool, queue emea_review"), "{t}");
    // Go to definition from a rep's `calendar us` lands on the declaration.
    let d = s.request("textDocument/definition", at(&u, inside(&text, "calendar us\n  capacity 3 per shift", "us")));
    assert_eq!(slice(&text, &d["range"]), "us");
    assert!(s.shutdown().success());
}

#[test]
fn completion_knows_sla_handlers_tiers_reassign_and_escalate() {
    let (dir, u, text, mut s) = opened("inbound.route");
    // Tier names inside `sla_breach(`.
    let r = s.request("textDocument/completion", at(&u, pos(&text, "on sla_breach(warm)", "warm")));
    assert_eq!(labels(&r), ["hot", "warm", "cold"]);
    // What a breach can do, after its arrow.
    let r = s.request("textDocument/completion", at(&u, pos(&text, "on sla_breach(warm) -> queue manager_review", "queue")));
    assert_eq!(labels(&r), ["reassign", "notify", "queue", "assign"]);
    // The SLA events after `on`.
    let r = s.request("textDocument/completion", at(&u, pos(&text, "on sla_breach(warm)", "sla_breach")));
    let l = labels(&r);
    assert!(l.contains(&"sla_breach".to_string()) && l.contains(&"sla_warning".to_string()), "{l:?}");
    // Queue names (and `notify`) after `escalate`.
    let r = s.request("textDocument/completion", at(&u, pos(&text, "escalate manager_review", "manager_review")));
    let l = labels(&r);
    assert!(l.contains(&"manager_review".to_string()) && l.contains(&"notify".to_string()), "{l:?}");
    insta::assert_snapshot!("completion_sla_breach_action", dir.normalize(&completion_lines(&r)));
    // Hover on the keyword explains it.
    let h = s.request("textDocument/hover", at(&u, inside(&text, "-> reassign else", "reassign")));
    assert!(hover_text(&h).contains("never one who already held the lead"), "{h}");
    assert!(s.shutdown().success());
}

#[test]
fn completion_offers_enum_variants_after_source_eq() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/completion", at(&u, pos(&text, "source == partner", "partner")));
    assert_eq!(labels(&r), ["chat", "paid", "web", "partner", "event", "referral"]);
    insta::assert_snapshot!("completion_source_variants", dir.normalize(&completion_lines(&r)));
    assert!(s.shutdown().success());
}

#[test]
fn completion_offers_strategies_after_strategy() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/completion", at(&u, pos(&text, "strategy capacity", "capacity")));
    let l = labels(&r);
    for want in ["round_robin", "weighted", "capacity", "sticky"] {
        assert!(l.contains(&want.to_string()), "{want} missing from {l:?}");
    }
    insta::assert_snapshot!("completion_strategies", dir.normalize(&completion_lines(&r)));
    assert!(s.shutdown().success());
}

#[test]
fn completion_offers_declaration_keywords_at_a_top_level_line_start() {
    let (dir, u, text, mut s) = opened("inbound.route");
    // The empty line before `route inbound {`.
    let r = s.request("textDocument/completion", at(&u, pos_lit(&text, "\n\nroute inbound {", 1)));
    let want = ["policy", "enum", "schema", "set", "calendar", "rep", "team", "queue", "tier", "territory", "route", "on", "test"];
    assert_eq!(labels(&r), want);
    // Also at the very start of the file, and at the end.
    let r0 = s.request("textDocument/completion", at(&u, json!({ "line": 0, "character": 0 })));
    assert_eq!(labels(&r0), want, "at offset 0");
    let r1 = s.request("textDocument/completion", at(&u, position_of(&text, text.len())));
    assert_eq!(labels(&r1), want, "at the end of the file");
    insta::assert_snapshot!("completion_top_level", dir.normalize(&completion_lines(&r)));
    assert!(s.shutdown().success());
}

#[test]
fn completion_offers_fields_with_types_inside_a_when_condition() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/completion", at(&u, pos(&text, "vip: when contains", "contains")));
    let items = r.as_array().expect("a list");
    let field = |n: &str| items.iter().find(|i| i["label"] == n && i["kind"] == 5).unwrap_or_else(|| panic!("field {n} in {r}"));
    assert_eq!(field("intent")["detail"], "float");
    assert_eq!(field("employees")["detail"], "int?");
    assert_eq!(field("source")["detail"], "Source");
    assert_eq!(field("tags")["detail"], "list<string>");
    let l = labels(&r);
    for want in ["contains", "domain", "now", "tier", "territory"] {
        assert!(l.contains(&want.to_string()), "{want} missing from {l:?}");
    }
    insta::assert_snapshot!("completion_condition", dir.normalize(&completion_lines(&r)));
    assert!(s.shutdown().success());
}

// ---------------------------------------------------------------- hover

#[test]
fn hover_on_a_field_shows_its_type_and_doc_comment() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let h = s.request("textDocument/hover", at(&u, inside(&text, "tier hot when intent", "intent")));
    let t = hover_text(&h);
    assert!(t.contains("`intent`: `float`"), "{t}");
    assert!(t.contains("0..100 from the scoring model"), "{t}");
    assert_eq!(slice(&text, &h["range"]), "intent");
    insta::assert_snapshot!("hover_field", dir.normalize(&t));
    assert!(s.shutdown().success());
}

#[test]
fn hover_on_a_tier_shows_its_condition_and_sla() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let h = s.request("textDocument/hover", at(&u, inside(&text, "tier == hot and territory == us_west", "hot")));
    let t = hover_text(&h);
    assert!(t.contains("intent >= 80.0 or source == chat"), "{t}");
    assert!(t.contains("sla 5m"), "{t}");
    insta::assert_snapshot!("hover_tier", dir.normalize(&t));
    assert!(s.shutdown().success());
}

#[test]
fn hover_on_a_team_shows_members_and_strategy() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let h = s.request("textDocument/hover", at(&u, inside(&text, "assign team ae_east", "ae_east")));
    let t = hover_text(&h);
    assert!(t.contains("members [dan, erin, frank]"), "{t}");
    assert!(t.contains("strategy weighted"), "{t}");
    insta::assert_snapshot!("hover_team", dir.normalize(&t));
    assert!(s.shutdown().success());
}

#[test]
fn hover_on_a_rep_shows_its_declaration_and_comment() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let h = s.request("textDocument/hover", at(&u, inside(&text, "assign rep victor", "victor")));
    let t = hover_text(&h);
    assert!(t.contains("victor@acme.example"), "{t}");
    assert!(t.contains("Head of enterprise sales"), "{t}");
    insta::assert_snapshot!("hover_rep", dir.normalize(&t));
    assert!(s.shutdown().success());
}

#[test]
fn hover_on_a_diagnostic_code_in_a_comment_explains_it() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let commented = text.replacen("route inbound {", "// see E0004 when a team name is misspelled\nroute inbound {", 1);
    let diags = s.change(&u, 2, &commented);
    assert!(diags.is_empty(), "{diags:#?}");
    let h = s.request("textDocument/hover", at(&u, pos_lit(&commented, "see E0004", 6)));
    let t = hover_text(&h);
    assert!(t.contains("E0004"), "{t}");
    insta::assert_snapshot!("hover_code_in_comment", dir.normalize(&t));
    // Plain comment words explain nothing.
    let none = s.request("textDocument/hover", at(&u, pos_lit(&commented, "when a team name", 8)));
    assert_eq!(none, Value::Null, "hover on a comment word");
    assert!(s.shutdown().success());
}

// ---------------------------------------------------------------- navigation and rename

#[test]
fn definition_of_a_team_jumps_to_its_declaration() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let d = s.request("textDocument/definition", at(&u, inside(&text, "-> assign team ae_west", "ae_west")));
    let loc = if d.is_array() { d[0].clone() } else { d };
    assert_eq!(loc["uri"], u);
    assert_eq!(loc["range"]["start"], pos(&text, "team ae_west {", "ae_west"));
    assert_eq!(slice(&text, &loc["range"]), "ae_west");
    assert!(s.shutdown().success());
}

#[test]
fn references_of_a_team_list_every_use() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let p = inside(&text, "-> assign team ae_west", "ae_west");
    let refs = s.request("textDocument/references", json!({ "textDocument": doc(&u), "position": p, "context": { "includeDeclaration": true } }));
    let refs = refs.as_array().expect("a list");
    // The declaration, the rule, three test expectations and a breach expectation.
    assert_eq!(refs.len(), 6, "{refs:#?}");
    let lines: Vec<u64> = refs.iter().map(|r| r["range"]["start"]["line"].as_u64().expect("line")).collect();
    let line_of = |needle: &str, nth: usize| -> u64 {
        let at = find_flex_all(&text, needle).get(nth).unwrap_or_else(|| panic!("{needle} #{nth}")).0;
        text[..at].matches('\n').count() as u64
    };
    assert_eq!(lines, vec![line_of("team ae_west {", 0), line_of("assign team ae_west", 0), line_of("expect team ae_west", 0), line_of("expect team ae_west", 1), line_of("expect team ae_west", 2), line_of("expect team ae_west", 3)]);
    for r in refs {
        assert_eq!(r["uri"], u);
        assert_eq!(slice(&text, &r["range"]), "ae_west");
    }
    let without = s.request("textDocument/references", json!({ "textDocument": doc(&u), "position": p, "context": { "includeDeclaration": false } }));
    assert_eq!(without.as_array().map(Vec::len), Some(5));
    assert!(s.shutdown().success());
}

#[test]
fn rename_of_a_team_touches_every_use_and_refuses_bad_names() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let p = inside(&text, "-> assign team ae_west", "ae_west");
    let prep = s.request("textDocument/prepareRename", at(&u, p.clone()));
    let prep_range = if prep.get("range").is_some() { prep["range"].clone() } else { prep };
    assert_eq!(slice(&text, &prep_range), "ae_west");

    let edit = s.request("textDocument/rename", json!({ "textDocument": doc(&u), "position": p, "newName": "ae_pacific" }));
    let changes = edit["changes"].as_object().expect("changes by URI");
    assert_eq!(changes.keys().collect::<Vec<_>>(), vec![&u]);
    let edits = changes[&u].as_array().expect("edits");
    assert_eq!(edits.len(), 6);
    for e in edits {
        assert_eq!(slice(&text, &e["range"]), "ae_west");
        assert_eq!(e["newText"], "ae_pacific");
    }
    // Applying it leaves a policy that still checks clean, with no `ae_west` left.
    let renamed = apply(&text, edits);
    assert!(!renamed.contains("ae_west"));
    assert!(s.change(&u, 2, &renamed).is_empty(), "the renamed policy checks clean");
    assert!(s.change(&u, 3, &text).is_empty());

    let collide = s.request_err("textDocument/rename", json!({ "textDocument": doc(&u), "position": p, "newName": "ae_east" }));
    assert_eq!(collide["code"], INVALID_PARAMS);
    assert!(collide["message"].as_str().unwrap_or("").contains("already exists"), "{collide}");
    for bad in ["9lives", "ae west", "and", "", "ae-west", "équipe"] {
        let e = s.request_err("textDocument/rename", json!({ "textDocument": doc(&u), "position": p, "newName": bad }));
        assert_eq!(e["code"], INVALID_PARAMS, "{bad:?}: {e}");
    }
    // Nothing to rename on a keyword: `null`, not an error.
    let kw = s.call("textDocument/rename", json!({ "textDocument": doc(&u), "position": inside(&text, "-> assign team ae_west", "assign"), "newName": "x" }));
    assert!(kw.get("error").is_none() && kw["result"].is_null(), "{kw}");
    assert!(s.shutdown().success());
}

// ---------------------------------------------------------------- symbols, formatting, tokens, folding

#[test]
fn document_symbols_outline_the_file() {
    let (dir, u, _text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/documentSymbol", json!({ "textDocument": doc(&u) }));
    let syms = r.as_array().expect("a list");
    fn walk(out: &mut Vec<String>, list: &[Value], depth: usize) {
        for sym in list {
            let line = sym["selectionRange"]["start"]["line"].as_u64().unwrap_or(0) + 1;
            out.push(format!("{}{} [{}] line {line}", "  ".repeat(depth), sym["name"].as_str().unwrap_or("?"), symbol_kind(&sym["kind"])));
            if let Some(children) = sym["children"].as_array() {
                walk(out, children, depth + 1);
            }
        }
    }
    let mut lines = Vec::new();
    walk(&mut lines, syms, 0);
    for want in ["policy acme_inbound", "schema lead", "team ae_west", "route inbound", "tier hot", "on no_match"] {
        assert!(lines.iter().any(|l| l.starts_with(want)), "{want} missing:\n{}", lines.join("\n"));
    }
    insta::assert_snapshot!("document_symbols", dir.normalize(&lines.join("\n")));
    assert!(s.shutdown().success());
}

#[test]
fn workspace_symbols_find_declarations_by_name() {
    let (dir, u, _text, mut s) = opened("inbound.route");
    let r = s.request("workspace/symbol", json!({ "query": "ae_" }));
    let list = r.as_array().expect("a list");
    let lines: Vec<String> = list
        .iter()
        .map(|x| format!("{} [{}] {} line {}", x["name"].as_str().unwrap_or("?"), symbol_kind(&x["kind"]), x["location"]["uri"].as_str().unwrap_or("?"), x["location"]["range"]["start"]["line"]))
        .collect();
    assert_eq!(list.len(), 4, "the four ae_ teams: {lines:#?}");
    assert!(list.iter().all(|x| x["location"]["uri"] == u));
    insta::assert_snapshot!("workspace_symbols", dir.normalize(&lines.join("\n")));
    let all = s.request("workspace/symbol", json!({ "query": "" }));
    assert!(all.as_array().map_or(0, Vec::len) > 50, "an empty query lists everything");
    let none = s.request("workspace/symbol", json!({ "query": "no_such_symbol_anywhere" }));
    assert_eq!(none.as_array().map(Vec::len), Some(0));
    assert!(s.shutdown().success());
}

#[test]
fn formatting_answers_with_edits_or_an_empty_list() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/formatting", json!({ "textDocument": doc(&u), "options": { "tabSize": 2, "insertSpaces": true } }));
    let edits = r.as_array().expect("formatting returns a list of edits");
    if !edits.is_empty() {
        let formatted = apply(&text, edits);
        assert!(formatted.contains("route inbound"), "formatting keeps the policy");
    }
    // A document with a syntax error: still an answer.
    let broken = format!("{text}\nroute half_typed {{\n  when tier == -> \n");
    s.change(&u, 2, &broken);
    let r = s.request("textDocument/formatting", json!({ "textDocument": doc(&u), "options": { "tabSize": 2, "insertSpaces": true } }));
    assert!(r.is_array(), "{r}");
    assert!(s.shutdown().success());
}

/// Decodes semantic tokens and checks each lies within its line.
fn check_tokens(text: &str, data: &[Value]) -> usize {
    assert_eq!(data.len() % 5, 0, "semantic token data comes in fives");
    let lines: Vec<usize> = text.split('\n').map(|l| l.encode_utf16().count()).collect();
    let (mut line, mut col) = (0usize, 0usize);
    for t in data.chunks(5) {
        let n: Vec<usize> = t.iter().map(|v| v.as_u64().expect("a number") as usize).collect();
        if n[0] > 0 {
            line += n[0];
            col = n[1];
        } else {
            col += n[1];
        }
        assert!(line < lines.len(), "token on line {line} past the end ({} lines)", lines.len());
        assert!(n[2] > 0, "an empty token at {line}:{col}");
        assert!(col + n[2] <= lines[line], "token {line}:{col}+{} past the end of its line ({})", n[2], lines[line]);
        assert!(n[3] < 13, "token type {} outside the legend", n[3]);
    }
    data.len() / 5
}

#[test]
fn semantic_tokens_are_well_formed() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/semanticTokens/full", json!({ "textDocument": doc(&u) }));
    let data = r["data"].as_array().expect("data");
    assert!(!data.is_empty());
    let n = check_tokens(&text, data);
    assert!(n > 500, "a token for most words: {n}");
    assert!(s.shutdown().success());
}

#[test]
fn folding_ranges_cover_multi_line_declarations_and_comment_runs() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let r = s.request("textDocument/foldingRange", json!({ "textDocument": doc(&u) }));
    let folds = r.as_array().expect("a list");
    assert!(!folds.is_empty());
    for f in folds {
        assert!(f["startLine"].as_u64() < f["endLine"].as_u64(), "{f}");
    }
    let route_line = pos(&text, "route inbound {", "route")["line"].clone();
    assert!(folds.iter().any(|f| f["startLine"] == route_line && f["kind"] == "region"), "route inbound folds");
    assert!(folds.iter().any(|f| f["startLine"] == 0 && f["kind"] == "comment"), "the header comment folds");
    assert!(s.shutdown().success());
}

// ---------------------------------------------------------------- code actions

/// Code actions for `range`, as (title, edits for `u`).
fn actions(s: &mut Lsp, u: &str, range: Value, diags: &[Value]) -> Vec<(String, Vec<Value>)> {
    let r = s.request("textDocument/codeAction", json!({ "textDocument": doc(u), "range": range, "context": { "diagnostics": diags } }));
    r.as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            let edits = a["edit"]["changes"][u].as_array().cloned().unwrap_or_default();
            (a["title"].as_str().unwrap_or("?").to_string(), edits)
        })
        .collect()
}

#[test]
fn code_action_applies_did_you_mean() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let bad = text.replacen("assign team ae_west", "assign team ae_wset", 1);
    let diags = s.change(&u, 2, &bad);
    let d = diags.iter().find(|d| d["code"] == "E0004").expect("E0004");
    let acts = actions(&mut s, &u, d["range"].clone(), &diags);
    let (title, edits) = acts.iter().find(|(t, _)| t.contains("ae_west")).unwrap_or_else(|| panic!("a did-you-mean fix in {acts:?}"));
    assert_eq!(title, "Change to `ae_west`");
    assert_eq!(edits.len(), 1);
    assert_eq!(slice(&bad, &edits[0]["range"]), "ae_wset");
    let fixed = apply(&bad, edits);
    assert_eq!(fixed, text);
    assert!(s.change(&u, 3, &fixed).is_empty());
    assert!(s.shutdown().success());
}

#[test]
fn code_actions_add_a_missing_otherwise_and_missing_handlers() {
    let (_dir, u, text, mut s) = opened("broken.route");
    let diags = s.change(&u, 2, &text);

    // E0021: route followups has no `otherwise`.
    let d = diags.iter().find(|d| d["code"] == "E0021").expect("E0021");
    let acts = actions(&mut s, &u, d["range"].clone(), &diags);
    let (title, edits) = acts.iter().find(|(t, _)| t.contains("otherwise")).unwrap_or_else(|| panic!("an `otherwise` fix in {acts:?}"));
    assert_eq!(title, "Add `otherwise -> queue triage`");
    let with_otherwise = apply(&text, edits);
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"].as_str().map(str::trim), Some("otherwise -> queue triage"));
    let followups = &with_otherwise[with_otherwise.find("route followups").expect("route followups")..];
    let body = &followups[..followups.find("\n}").expect("its closing brace")];
    assert!(body.trim_end().ends_with("otherwise -> queue triage"), "inserted as the route's last rule:\n{body}");
    let after = s.change(&u, 3, &with_otherwise);
    assert!(!codes(&after).contains(&"E0021".to_string()), "the fix removes E0021: {:?}", codes(&after));

    // E0022: nothing handles `assign team sdr_pool` failing.
    let d = after.iter().find(|d| d["code"] == "E0022").expect("E0022");
    let acts = actions(&mut s, &u, d["range"].clone(), &after);
    let (title, edits) = acts.iter().find(|(t, _)| t.contains("no_available_rep")).unwrap_or_else(|| panic!("a handler fix in {acts:?}"));
    assert_eq!(title, "Add `on no_available_rep -> queue triage`");
    let with_handler = apply(&with_otherwise, edits);
    assert!(with_handler.ends_with("on no_available_rep -> queue triage\n"), "appended at the end");
    let after = s.change(&u, 4, &with_handler);
    assert!(!codes(&after).contains(&"E0022".to_string()), "the fix removes E0022: {:?}", codes(&after));

    // E0023: ambiguous territories.
    let d = after.iter().find(|d| d["code"] == "E0023").expect("E0023");
    let acts = actions(&mut s, &u, d["range"].clone(), &after);
    let (_, edits) = acts.iter().find(|(t, _)| t.contains("ambiguous_territory")).unwrap_or_else(|| panic!("a handler fix in {acts:?}"));
    let with_both = apply(&with_handler, edits);
    let after = s.change(&u, 5, &with_both);
    assert!(!codes(&after).contains(&"E0023".to_string()), "the fix removes E0023: {:?}", codes(&after));

    // E0006 and the did-you-mean on `sdr_pol`.
    let d = after.iter().find(|d| d["code"] == "E0006").expect("E0006");
    let acts = actions(&mut s, &u, d["range"].clone(), &after);
    assert!(acts.iter().any(|(t, _)| t == "Add `webinar` to enum `Source`"), "{acts:?}");
    let d = after.iter().find(|d| d["code"] == "E0004" && slice(&with_both, &d["range"]) == "sdr_pol").expect("E0004 sdr_pol");
    let acts = actions(&mut s, &u, d["range"].clone(), &after);
    assert!(acts.iter().any(|(t, _)| t == "Change to `sdr_pool`"), "{acts:?}");

    // A range with no diagnostic: no actions.
    let quiet = actions(&mut s, &u, json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 1 } }), &[]);
    assert!(quiet.is_empty(), "{quiet:?}");
    assert!(s.shutdown().success());
}

// ---------------------------------------------------------------- multi-file policies

/// inbound.route split in two: the teams in `teams.route`, the rest (header included) in `main.route`.
fn split_inbound() -> (String, String) {
    let text = example("inbound.route");
    let start = text.find("// ---- teams.").expect("teams section");
    let end = text.find("// ---- the exceptions workbench").expect("queues section");
    let teams = text[start..end].to_string();
    let main = format!("{}{}", &text[..start], &text[end..]);
    (main, teams)
}

#[test]
fn a_policy_across_two_files_checks_clean_and_navigates_across_files() {
    let dir = TempDir::new("two-files");
    let (main, teams) = split_inbound();
    let main_uri = uri(&dir.file("main.route", &main));
    let teams_uri = uri(&dir.file("teams.route", &teams));
    let mut s = Lsp::start(&dir.0);
    let d = s.open(&main_uri, &main);
    assert!(d.is_empty(), "main.route: {d:#?}");
    let d = s.diagnostics(&teams_uri);
    assert!(d.is_empty(), "teams.route (read from disk): {d:#?}");

    // Definition jumps from main.route to teams.route.
    let def = s.request("textDocument/definition", at(&main_uri, inside(&main, "-> assign team ae_west", "ae_west")));
    let loc = if def.is_array() { def[0].clone() } else { def };
    assert_eq!(loc["uri"], teams_uri);
    assert_eq!(slice(&teams, &loc["range"]), "ae_west");

    // References and rename span both files.
    let p = inside(&main, "-> assign team ae_west", "ae_west");
    let refs = s.request("textDocument/references", json!({ "textDocument": doc(&main_uri), "position": p, "context": { "includeDeclaration": true } }));
    let refs = refs.as_array().expect("a list");
    assert_eq!(refs.len(), 6);
    assert_eq!(refs.iter().filter(|r| r["uri"] == teams_uri).count(), 1);
    let edit = s.request("textDocument/rename", json!({ "textDocument": doc(&main_uri), "position": p, "newName": "ae_pacific" }));
    let changes = edit["changes"].as_object().expect("changes");
    assert_eq!(changes.len(), 2, "both files change: {edit}");
    assert_eq!(changes[&teams_uri].as_array().map(Vec::len), Some(1));
    assert_eq!(changes[&main_uri].as_array().map(Vec::len), Some(5));

    // Hover in main.route shows the team declared in teams.route.
    let h = s.request("textDocument/hover", at(&main_uri, p.clone()));
    assert!(hover_text(&h).contains("members [alice, bob, carol]"), "{h}");

    // Editing teams.route re-checks main.route: renaming the declaration breaks its uses.
    s.notify("textDocument/didOpen", json!({ "textDocument": { "uri": teams_uri, "languageId": "route", "version": 1, "text": teams } }));
    s.diagnostics(&main_uri);
    s.diagnostics(&teams_uri);
    let teams_bad = teams.replacen("team ae_west ", "team ae_wset ", 1);
    s.change_quietly(&teams_uri, 2, &teams_bad);
    let main_diags = s.diagnostics(&main_uri);
    assert!(codes(&main_diags).contains(&"E0004".to_string()), "uses of ae_west in main.route are now unknown: {main_diags:#?}");
    s.diagnostics(&teams_uri);
    s.change_quietly(&teams_uri, 3, &teams);
    let main_diags = s.diagnostics(&main_uri);
    assert!(main_diags.is_empty(), "cleared again: {main_diags:#?}");

    // Workspace symbols see both files.
    let ws = s.request("workspace/symbol", json!({ "query": "ae_west" }));
    let ws = ws.as_array().expect("a list");
    assert!(ws.iter().any(|x| x["location"]["uri"] == teams_uri), "{ws:?}");
    assert!(s.shutdown().success());
}

// ---------------------------------------------------------------- robustness

#[test]
fn malformed_requests_get_error_responses_and_the_server_keeps_going() {
    let (dir, u, text, mut s) = opened("inbound.route");

    // Unknown method.
    let e = s.request_err("textDocument/noSuchThing", json!({ "textDocument": doc(&u) }));
    assert_eq!(e["code"], METHOD_NOT_FOUND, "{e}");
    let e = s.request_err("$/customRequest", Value::Null);
    assert_eq!(e["code"], METHOD_NOT_FOUND, "{e}");
    // Unknown notifications are ignored.
    s.notify("$/cancelRequest", json!({ "id": 999 }));
    s.notify("workspace/didChangeConfiguration", json!({ "settings": {} }));
    s.notify("textDocument/noSuchNotification", json!([1, 2, 3]));

    // Params of the wrong shape.
    for (method, params) in [
        ("textDocument/hover", json!({ "textDocument": 5 })),
        ("textDocument/hover", json!([1, 2])),
        ("textDocument/hover", Value::Null),
        ("textDocument/completion", json!({ "textDocument": doc(&u) })),
        ("textDocument/definition", json!({ "position": { "line": 0, "character": 0 } })),
        ("textDocument/references", at(&u, json!({ "line": 0, "character": 0 }))), // no context
        ("textDocument/rename", at(&u, json!({ "line": "zero", "character": 0 }))),
        ("textDocument/documentSymbol", json!({ "textDocument": { "url": u } })),
        ("textDocument/codeAction", json!({ "textDocument": doc(&u), "range": null, "context": { "diagnostics": [] } })),
        ("textDocument/semanticTokens/full", json!("text")),
        ("workspace/symbol", json!({ "query": 5 })),
        ("textDocument/formatting", json!({ "textDocument": doc(&u) })),
        ("textDocument/hover", at(&u, json!({ "line": -1, "character": 0 }))),
    ] {
        let e = s.request_err(method, params.clone());
        assert_eq!(e["code"], INVALID_PARAMS, "{method} {params}: {e}");
    }
    // Notifications with bad params are ignored.
    s.notify("textDocument/didOpen", json!({ "textDocument": { "uri": u } }));
    s.notify("textDocument/didChange", json!({ "textDocument": 7 }));
    s.notify("textDocument/didClose", json!(null));

    // A string request id is echoed back.
    s.send(&json!({ "jsonrpc": "2.0", "id": "abc", "method": "textDocument/hover", "params": at(&u, inside(&text, "assign team ae_west", "ae_west")) }));
    let r = s.response(&json!("abc"), "hover with a string id");
    assert!(r["result"].is_object(), "{r}");

    // Non-file URIs: an error for requests, silence for notifications.
    for other in ["untitled:Untitled-1", "https://example.com/policy.route", "inmemory://model/1"] {
        let e = s.request_err("textDocument/hover", at(other, json!({ "line": 0, "character": 0 })));
        assert_eq!(e["code"], INVALID_PARAMS, "{other}: {e}");
        let e = s.request_err("textDocument/completion", at(other, json!({ "line": 0, "character": 0 })));
        assert_eq!(e["code"], INVALID_PARAMS, "{other}: {e}");
        s.notify("textDocument/didOpen", json!({ "textDocument": { "uri": other, "languageId": "route", "version": 1, "text": text } }));
    }

    // Documents never opened: a file on disk in another folder, and a file that does not exist.
    let elsewhere = TempDir::new("unopened");
    let unopened = uri(&elsewhere.file("unopened.route", &text));
    let h = s.request("textDocument/hover", at(&unopened, inside(&text, "assign team ae_west", "ae_west")));
    assert!(hover_text(&h).contains("members [alice, bob, carol]"), "read from disk: {h}");
    let d = s.request("textDocument/definition", at(&unopened, inside(&text, "assign team ae_west", "ae_west")));
    assert!(!d.is_null(), "definition in a file read from disk");
    let missing = uri(&dir.0.join("no-such-dir").join("missing.route"));
    for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/prepareRename"] {
        let r = s.call(method, at(&missing, json!({ "line": 3, "character": 4 })));
        assert!(r.get("result").is_some() || r.get("error").is_some(), "{method}: {r}");
    }
    for method in ["textDocument/documentSymbol", "textDocument/semanticTokens/full", "textDocument/foldingRange"] {
        let r = s.call(method, json!({ "textDocument": doc(&missing) }));
        assert!(r.get("result").is_some() || r.get("error").is_some(), "{method}: {r}");
    }
    let r = s.call("textDocument/formatting", json!({ "textDocument": doc(&missing), "options": { "tabSize": 2, "insertSpaces": true } }));
    assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
    // Odd file URIs: the root, a folder, an empty path.
    for odd in ["file:///", "file://", &uri(&dir.0), "file:///%ZZ%00bad.route"] {
        let r = s.call("textDocument/hover", at(odd, json!({ "line": 0, "character": 0 })));
        assert!(r.get("result").is_some() || r.get("error").is_some(), "{odd}: {r}");
        let r = s.call("textDocument/documentSymbol", json!({ "textDocument": doc(odd) }));
        assert!(r.get("result").is_some() || r.get("error").is_some(), "{odd}: {r}");
    }

    // Positions past the end of the file, or of a line.
    let far = [json!({ "line": 99999, "character": 99999 }), json!({ "line": 0, "character": 99999 }), json!({ "line": 4294967295u64, "character": 4294967295u64 })];
    for p in &far {
        for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition", "textDocument/prepareRename"] {
            let r = s.call(method, at(&u, p.clone()));
            assert!(r.get("result").is_some(), "{method} at {p}: {r}");
        }
        let r = s.call("textDocument/references", json!({ "textDocument": doc(&u), "position": p, "context": { "includeDeclaration": true } }));
        assert!(r.get("result").is_some(), "{r}");
        let r = s.call("textDocument/rename", json!({ "textDocument": doc(&u), "position": p, "newName": "x" }));
        assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
        let r = s.call("textDocument/codeAction", json!({ "textDocument": doc(&u), "range": { "start": p, "end": p }, "context": { "diagnostics": [] } }));
        assert!(r.get("result").is_some(), "{r}");
        let r = s.call("textDocument/codeAction", json!({ "textDocument": doc(&u), "range": { "start": p, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }));
        assert!(r.get("result").is_some(), "reversed range: {r}");
    }

    // The server is still fine.
    let h = s.request("textDocument/hover", at(&u, inside(&text, "assign team ae_west", "ae_west")));
    assert!(hover_text(&h).contains("members"), "{h}");
    assert!(s.alive());
    assert_eq!(s.shutdown().code(), Some(0));
}

#[test]
fn folders_with_spaces_and_non_ascii_text_round_trip() {
    let dir = TempDir::new("with space é");
    let text = example("inbound.route").replacen(
        "policy acme_inbound {",
        "// Café ☕ routing, naïve 🚀 edition — UTF-16 columns differ from bytes here\npolicy acme_inbound {",
        1,
    );
    let text = text.replacen("\"marketing-ops@acme.example\"", "\"équipe 🚀 marketing\"", 1);
    let path = dir.file("inbound.route", &text);
    let u = uri(&path);
    assert!(u.contains("%20"), "the URI is percent-encoded: {u}");
    let mut s = Lsp::start(&dir.0);
    let d = s.open(&u, &text);
    assert!(d.is_empty(), "{d:#?}");
    // A typo after non-ASCII text on its line: the range is in UTF-16 units.
    let bad = replace_flex(
        &text,
        "territory apac when country in apac_countries",
        "territory apac when country in apac_countries or (company == \"Ünï 🚀 Kabushiki\" and countryy == \"JP\")",
    );
    let diags = s.change(&u, 2, &bad);
    let e = diags.iter().find(|d| slice(&bad, &d["range"]) == "countryy").unwrap_or_else(|| panic!("a diagnostic on `countryy`: {diags:#?}"));
    assert!(e["message"].as_str().unwrap_or("").contains("country"), "{e}");
    let toks = s.request("textDocument/semanticTokens/full", json!({ "textDocument": doc(&u) }));
    check_tokens(&bad, toks["data"].as_array().expect("data"));
    let h = s.request("textDocument/hover", at(&u, inside(&bad, "queue nurture", "nurture")));
    assert!(hover_text(&h).contains("équipe 🚀 marketing"), "{h}");
    // Hover on the field after the non-ASCII string.
    let h = s.request("textDocument/hover", at(&u, pos_lit(&bad, "and countryy", 4)));
    assert!(h.is_null() || !hover_text(&h).is_empty(), "{h}");
    let r = s.call("textDocument/hover", at(&u, pos_lit(&bad, "🚀 Kabushiki\" and", 0)));
    assert!(r.get("result").is_some(), "hover inside a non-ASCII string: {r}");
    // A position inside the surrogate pair of 🚀.
    let mut p = pos_lit(&bad, "🚀 marketing", 0);
    p["character"] = json!(p["character"].as_u64().unwrap_or(0) + 1);
    let r = s.call("textDocument/hover", at(&u, p.clone()));
    assert!(r.get("result").is_some(), "{r}");
    let r = s.call("textDocument/completion", at(&u, p));
    assert!(r.get("result").is_some(), "{r}");
    assert!(s.shutdown().success());
}

/// The largest char boundary at or below `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Types `full` into a fresh document ~200 bytes at a time, asking for
/// completion, hover and the other features after each chunk.
fn type_in_chunks(s: &mut Lsp, u: &str, full: &str) {
    s.notify("textDocument/didOpen", json!({ "textDocument": { "uri": u, "languageId": "route", "version": 1, "text": "" } }));
    s.diagnostics(u);
    let mut end = 0;
    let mut version = 1;
    while end < full.len() {
        end = floor_boundary(full, end + 200).max(end + 1);
        while !full.is_char_boundary(end) {
            end += 1;
        }
        let text = &full[..end];
        version += 1;
        s.change_quietly(u, version, text);
        let last = position_of(text, text.len());
        let mid = position_of(text, floor_boundary(text, text.len() / 2));
        let ctx = |m: &str| format!("{m} after {end} bytes");
        for p in [&last, &mid] {
            let r = s.call("textDocument/completion", at(u, p.clone()));
            assert!(r.get("result").is_some(), "{}: {r}", ctx("completion"));
            let r = s.call("textDocument/hover", at(u, p.clone()));
            assert!(r.get("result").is_some(), "{}: {r}", ctx("hover"));
        }
        let r = s.call("textDocument/definition", at(u, mid.clone()));
        assert!(r.get("result").is_some(), "{}: {r}", ctx("definition"));
        let r = s.call("textDocument/semanticTokens/full", json!({ "textDocument": doc(u) }));
        let data = r["result"]["data"].as_array().unwrap_or_else(|| panic!("{}: {r}", ctx("semantic tokens")));
        check_tokens(text, data);
        for method in ["textDocument/documentSymbol", "textDocument/foldingRange"] {
            let r = s.call(method, json!({ "textDocument": doc(u) }));
            assert!(r.get("result").is_some(), "{}: {r}", ctx(method));
        }
        let r = s.call("textDocument/codeAction", json!({ "textDocument": doc(u), "range": { "start": { "line": 0, "character": 0 }, "end": last }, "context": { "diagnostics": [] } }));
        assert!(r.get("result").is_some(), "{}: {r}", ctx("codeAction"));
        s.forget_notes();
        assert!(s.alive(), "{}", ctx("the server exited"));
    }
    // Once complete, the document checks like the file.
    s.change_quietly(u, version + 1, full);
    s.diagnostics(u);
}

#[test]
fn half_typed_documents_never_break_the_server() {
    let dir = TempDir::new("typing");
    let mut s = Lsp::start(&dir.0);
    let inbound = example("inbound.route");
    let u = uri(&dir.0.join("inbound.route"));
    // Its tables are on disk beside it; the document itself is only typed in.
    common::copy_example_tables(&dir.0.join("inbound.route"), inbound.as_bytes());
    type_in_chunks(&mut s, &u, &inbound);
    let d = s.change(&u, 1000, &inbound);
    assert!(d.is_empty(), "the complete text checks clean: {d:#?}");

    // The broken example, and a version with non-ASCII text, in their own folders.
    let dir2 = TempDir::new("typing-broken");
    let u2 = uri(&dir2.0.join("broken.route"));
    type_in_chunks(&mut s, &u2, &example("broken.route"));
    let dir3 = TempDir::new("typing-utf8");
    let u3 = uri(&dir3.0.join("inbound.route"));
    let utf8 = inbound.replace("// ", "// é☕🚀 ").replace("\"n/a\"", "\"ñ/ä 🚀\"");
    type_in_chunks(&mut s, &u3, &utf8);
    assert_eq!(s.shutdown().code(), Some(0));
}

#[test]
fn a_burst_of_changes_is_checked_and_answered() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    // Many edits without waiting, interleaved with requests: every request is answered.
    let mut ids = Vec::new();
    for v in 0..50 {
        let t = if v % 2 == 0 { text.replacen("assign team ae_west", "assign team ae_wset", 1) } else { text.clone() };
        s.change_quietly(&u, v + 2, &t);
        s.next_id += 1;
        let id = json!(s.next_id);
        s.send(&json!({ "jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": at(&u, inside(&text, "tier == hot", "hot")) }));
        ids.push(id);
    }
    for id in ids {
        let r = s.response(&id, "hover in a burst");
        assert!(r["result"].is_object(), "{r}");
    }
    // The last text (v = 49) is the clean one.
    let mut last = Vec::new();
    s.forget_notes();
    s.change_quietly(&u, 100, &text);
    last.extend(s.diagnostics(&u));
    assert!(last.is_empty(), "{last:#?}");
    assert!(s.shutdown().success());
}

#[test]
fn closing_a_document_falls_back_to_the_saved_file() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let bad = text.replacen("assign team ae_west", "assign team ae_wset", 1);
    assert_eq!(codes(&s.change(&u, 2, &bad)), vec!["E0004"]);
    s.notify("textDocument/didClose", json!({ "textDocument": doc(&u) }));
    // The saved file is clean: hover reads it.
    let h = s.request("textDocument/hover", at(&u, inside(&text, "assign team ae_west", "ae_west")));
    assert!(hover_text(&h).contains("members"), "{h}");
    assert!(s.shutdown().success());
}

/// After `didClose` the editor shows what the server last published for the
/// file; the unsaved typo is gone, so its E0004 must not stay on screen.
#[test]
fn closing_an_edited_document_clears_its_unsaved_diagnostics() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let bad = text.replacen("assign team ae_west", "assign team ae_wset", 1);
    assert_eq!(codes(&s.change(&u, 2, &bad)), vec!["E0004"]);
    s.notify("textDocument/didClose", json!({ "textDocument": doc(&u) }));
    let d = s.diagnostics(&u);
    assert!(d.is_empty(), "the saved file is clean: {d:#?}");
    assert!(s.shutdown().success());
}

/// Frames that are JSON but not quite messages are tolerated.
#[test]
fn odd_but_well_formed_json_frames_are_tolerated() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    // An object id: read as a notification and ignored.
    s.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":{\"not\":\"an id\"},\"method\":\"textDocument/hover\"}");
    // A response to a request the server never sent.
    s.send_raw(b"{\"jsonrpc\":\"2.0\",\"id\":77,\"result\":null}");
    // A notification without params.
    s.send_raw(b"{\"jsonrpc\":\"2.0\",\"method\":\"textDocument/didChange\"}");
    let h = s.request("textDocument/hover", at(&u, inside(&text, "assign team ae_west", "ae_west")));
    assert!(!h.is_null());
    assert!(s.alive());
    assert!(s.shutdown().success());
}

/// JSON-RPC asks for a -32700 parse error; one frame that is not JSON must
/// not take the whole server (and every open document) down.
#[test]
fn a_frame_that_is_not_json_does_not_kill_the_server() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    s.send_raw(b"this is not json");
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.alive(), "the server exited after a malformed frame\n{}", s.stderr());
    let h = s.request("textDocument/hover", at(&u, inside(&text, "assign team ae_west", "ae_west")));
    assert!(!h.is_null());
    assert!(s.shutdown().success());
}

#[test]
fn requests_before_initialize_are_refused() {
    let mut s = Lsp::spawn();
    let e = s.request_err("textDocument/hover", at("file:///x.route", json!({ "line": 0, "character": 0 })));
    assert_eq!(e["code"], -32002, "ServerNotInitialized: {e}");
    let init = s.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    assert!(init["capabilities"].is_object());
    s.notify("initialized", json!({}));
    let r = s.request("workspace/symbol", json!({ "query": "" }));
    assert!(r.is_array());
    assert!(s.shutdown().success());
}

/// Renames the symbol `word` of `needle` to `new_name`, applies
/// the edit, and returns the problems: a refused rename, or diagnostics after.
fn rename_and_recheck(s: &mut Lsp, u: &str, text: &str, needle: &str, word: &str, new_name: &str, version: i64) -> Option<String> {
    let p = inside(text, needle, word);
    let refs = s.request("textDocument/references", json!({ "textDocument": doc(u), "position": p, "context": { "includeDeclaration": true } }));
    let r = s.call("textDocument/rename", json!({ "textDocument": doc(u), "position": p, "newName": new_name }));
    let Some(edit) = r.get("result") else { return Some(format!("{needle} -> {new_name}: refused: {}", r["error"])) };
    let changes = edit["changes"].as_object().cloned().unwrap_or_default();
    let total: usize = changes.values().map(|e| e.as_array().map_or(0, Vec::len)).sum();
    if total != refs.as_array().map_or(0, Vec::len) {
        return Some(format!("{needle} -> {new_name}: {total} edits but {} references", refs.as_array().map_or(0, Vec::len)));
    }
    let edits = changes.get(u).and_then(Value::as_array).cloned().unwrap_or_default();
    // The other files it edits (the tables' CSV files, where rows name reps
    // and variants) are saved as an editor would save them, and put back after.
    let mut saved = Vec::new();
    for (other, e) in changes.iter().filter(|(k, _)| k.as_str() != u) {
        let path = PathBuf::from(other.strip_prefix("file://").unwrap_or_else(|| panic!("a file URI: {other}")));
        let before = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        std::fs::write(&path, apply(&before, e.as_array().map_or(&[][..], Vec::as_slice))).expect("save the edited file");
        saved.push((path, before));
    }
    let renamed = apply(text, &edits);
    let diags = s.change(u, version, &renamed);
    for (path, before) in saved {
        std::fs::write(path, before).expect("put the file back");
    }
    let back = s.change(u, version + 1, text);
    assert!(back.is_empty(), "restoring the text clears: {back:#?}");
    (!diags.is_empty()).then(|| {
        let what: Vec<String> = diags.iter().map(|d| format!("{} {}", d["code"].as_str().unwrap_or("?"), d["message"].as_str().unwrap_or("").lines().next().unwrap_or(""))).collect();
        format!("{needle} -> {new_name}: {} edits, then {what:?}", edits.len())
    })
}

#[test]
fn references_and_rename_of_a_rep_reach_the_table_rows_that_name_it() {
    let (dir, u, text, mut s) = opened("inbound.route");
    let csv_path = dir.0.join("accounts.csv");
    let csv = std::fs::read_to_string(&csv_path).expect("the example's table beside it");
    let csv_uri = uri(&csv_path);
    let p = inside(&text, "rep erin", "erin");
    let refs = s.request("textDocument/references", json!({ "textDocument": doc(&u), "position": p, "context": { "includeDeclaration": true } }));
    let in_csv: Vec<&Value> = refs.as_array().expect("a list").iter().filter(|r| r["uri"] == csv_uri).collect();
    // accounts.csv lines 4 and 5 (0-based 3 and 4) are owned by erin.
    assert_eq!(in_csv.iter().map(|r| r["range"]["start"]["line"].as_u64().unwrap_or(99)).collect::<Vec<_>>(), [3, 4], "{refs:#?}");
    for r in &in_csv {
        assert_eq!(slice(&csv, &r["range"]), "erin");
    }
    let edit = s.request("textDocument/rename", json!({ "textDocument": doc(&u), "position": p, "newName": "erin_k" }));
    let csv_edits = edit["changes"][&csv_uri].as_array().cloned().unwrap_or_default();
    assert_eq!(csv_edits.len(), 2, "{edit}");
    let renamed = apply(&csv, &csv_edits);
    assert!(renamed.contains("graniteloop.com,,erin_k,mid_market\n") && renamed.contains(",erin_k,smb\n"), "{renamed}");
    assert!(!renamed.contains(",erin,"), "{renamed}");
    // An enum variant in a column of that enum: `enterprise` rows.
    let p = inside(&text, "enum Segment { smb, mid_market, enterprise", "enterprise");
    let refs = s.request("textDocument/references", json!({ "textDocument": doc(&u), "position": p, "context": { "includeDeclaration": false } }));
    let rows = refs.as_array().expect("a list").iter().filter(|r| r["uri"] == csv_uri).count();
    assert_eq!(rows, csv.lines().filter(|l| l.ends_with(",enterprise")).count());
    assert!(s.shutdown().success());
}

#[test]
fn rename_of_every_kind_of_name_keeps_the_policy_clean() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let cases: &[(&str, &str, &str)] = &[
        ("intent: float", "intent", "score"),                  // field: schema, tiers, test leads
        ("account_owner: string?", "account_owner", "owner_id"), // field: also in `sticky(...)` and `owner(...)`
        ("employees: int?", "employees", "headcount"),         // field: also in `on missing(...)`
        ("enum Source", "Source", "Channel"),                  // enum: the schema type
        ("enum Source { chat, paid", "paid", "paid_ads"),      // variant: also in test leads
        ("enum Segment { smb", "smb", "small_business"),       // variant: also in the accounts table's rows
        ("set free_domains", "free_domains", "webmail"),       // set
        ("rep hugo", "hugo", "hugo_b"),                        // rep: members and test expectations
        ("rep bob", "bob", "robert"),                          // rep: members
        ("rep grace", "grace", "grace_h"),                     // rep: members, test expectations, a table row
        ("rep alice", "alice", "alicia"),                      // rep: also in a test's `state { ... }` and a table row
        ("team sdr_pool", "sdr_pool", "sdrs"),                 // team: actions and test expectations
        ("queue nurture", "nurture", "drip"),                  // queue: actions and expectations
        ("queue manager_review", "manager_review", "managers"), // queue: also in handlers
        ("tier warm", "warm", "lukewarm"),                     // tier: conditions, `in [...]`, expectations
        ("territory emea", "emea", "europe"),                  // territory (a rule is also named `emea`)
        ("route partners", "partners", "partner_route"),       // route
        ("route inbound", "inbound", "main"),                  // route: also the policy's `entry`
        ("vip: when", "vip", "vip_intro"),                     // rule name
        ("team sdr_pool", "sdr_pool", "victor"),               // a team may share a rep's name
    ];
    let mut problems = Vec::new();
    for (i, (needle, word, new_name)) in cases.iter().enumerate() {
        if let Some(p) = rename_and_recheck(&mut s, &u, &text, needle, word, new_name, 10 + 2 * i as i64) {
            problems.push(p);
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(s.shutdown().success());
}

#[test]
fn rename_of_an_enum_variant_updates_test_lead_values() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let p = inside(&text, "paid, web,", "web");
    let refs = s.request("textDocument/references", json!({ "textDocument": doc(&u), "position": p, "context": { "includeDeclaration": true } }));
    let uses = text.matches("source: web").count();
    assert_eq!(refs.as_array().map_or(0, Vec::len), uses + 1, "the declaration and {uses} test leads: {refs}");
    let problems: Vec<String> = [("paid, web,", "web", "website"), ("enum Source { chat", "chat", "live_chat")]
        .iter()
        .enumerate()
        .filter_map(|(i, (needle, word, new_name))| rename_and_recheck(&mut s, &u, &text, needle, word, new_name, 10 + 2 * i as i64))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(s.shutdown().success());
}

#[test]
fn rename_refuses_names_that_conditions_would_read_as_another_symbol() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let cases: &[(&str, &str, &str)] = &[("tier warm", "warm", "intent"), ("territory emea", "emea", "country"), ("intent: float", "intent", "hot")];
    let mut problems = Vec::new();
    for (i, (needle, word, new_name)) in cases.iter().enumerate() {
        let p = inside(&text, needle, word);
        let r = s.call("textDocument/rename", json!({ "textDocument": doc(&u), "position": p, "newName": new_name }));
        if r.get("error").is_none() {
            // Accepted: then the result must at least check clean.
            if let Some(p) = rename_and_recheck(&mut s, &u, &text, needle, word, new_name, 10 + 2 * i as i64) {
                problems.push(p);
            }
        }
    }
    assert!(problems.is_empty(), "accepted renames that break the policy: {problems:#?}");
    assert!(s.shutdown().success());
}

/// A folder of independent policies (each file has its own `policy` header,
/// like `examples/`): opening one must not touch the other's diagnostics.
#[test]
fn policies_sharing_a_folder_keep_their_own_diagnostics() {
    let dir = TempDir::new("shared-folder");
    let broken = example("broken.route");
    let inbound = example("inbound.route");
    let broken_uri = uri(&dir.file("broken.route", &broken));
    let inbound_uri = uri(&dir.file("inbound.route", &inbound));
    let mut s = Lsp::start(&dir.0);
    let d = s.open(&broken_uri, &broken);
    assert!(codes(&d).contains(&"E0021".to_string()), "{:?}", codes(&d));
    let d = s.open(&inbound_uri, &inbound);
    assert!(d.is_empty(), "inbound.route is its own policy: {d:#?}");
    // A request flushes whatever else the server published meanwhile.
    s.request("workspace/symbol", json!({ "query": "zzz" }));
    let cleared: Vec<&Value> = s
        .notes
        .iter()
        .filter(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == broken_uri.as_str())
        .filter(|m| m["params"]["diagnostics"].as_array().is_some_and(Vec::is_empty))
        .collect();
    assert!(cleared.is_empty(), "opening inbound.route wiped broken.route's diagnostics although it is still broken: {cleared:?}");
    assert!(s.shutdown().success());
}

/// The server as editors start it (the VS Code client's command line) and what keeps it serving.
#[path = "lsp/stdio.rs"]
mod stdio;

#[test]
fn completion_and_hover_know_the_duplicate_handler() {
    let (_dir, u, text, mut s) = opened("inbound.route");
    let text = format!("{text}\non duplicate(within 30d, by company) -> assign previous owner else continue\n");
    let diags = s.change(&u, 2, &text);
    assert!(diags.is_empty(), "{diags:#?}");
    let r = s.request("textDocument/completion", at(&u, pos(&text, "on duplicate(within 30d", "duplicate")));
    assert!(labels(&r).contains(&"duplicate".to_string()), "{:?}", labels(&r));
    let r = s.request("textDocument/completion", at(&u, pos(&text, "duplicate(within 30d", "within")));
    assert_eq!(labels(&r), ["within"]);
    // `by` takes a string field of the schema, not a strategy.
    let r = s.request("textDocument/completion", at(&u, pos(&text, "30d, by company)", "company")));
    let l = labels(&r);
    assert!(l.contains(&"company".to_string()) && l.contains(&"email".to_string()) && !l.contains(&"intent".to_string()), "{l:?}");
    let r = s.request("textDocument/completion", at(&u, pos(&text, "-> assign previous owner", "previous")));
    assert_eq!(labels(&r), ["team", "rep", "owner", "previous"]);
    let r = s.request("textDocument/completion", at(&u, pos(&text, "assign previous owner else", "owner")));
    assert_eq!(labels(&r), ["owner"]);
    let r = s.request("textDocument/completion", at(&u, pos(&text, "previous owner else continue", "continue")));
    assert!(labels(&r).contains(&"continue".to_string()) && !labels(&r).contains(&"assume".to_string()), "{:?}", labels(&r));
    let h = s.request("textDocument/hover", at(&u, inside(&text, "on duplicate(within", "duplicate")));
    assert!(hover_text(&h).contains("duplicate_of"), "{h}");
    let h = s.request("textDocument/hover", at(&u, inside(&text, "assign previous owner", "previous")));
    assert!(hover_text(&h).contains("current owner"), "{h}");
    assert!(s.shutdown().success());
}
#[path = "lsp/tables.rs"]
mod tables;
