//! Re-checking off the message loop, in process (`leadroute_lsp::serve` on a
//! thread over an in-memory connection): a burst of edits ends with the
//! diagnostics of its last version, requests are answered while a slow
//! re-check runs, and cached re-checks agree with a fresh check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The longest we wait for any one message (a debug build on a busy machine).
const WAIT: Duration = Duration::from_secs(120);

fn example(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// A fresh folder holding `name` with `text` and the bundled examples' CSV
/// files (the example's tables read them); removed on drop.
struct Folder(PathBuf);

impl Folder {
    fn new(tag: &str, name: &str, text: &str) -> (Folder, PathBuf) {
        let dir = std::env::temp_dir().join(format!("leadroute-lsp-recheck-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a temp folder");
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write the policy");
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
        for entry in std::fs::read_dir(&examples).expect("read examples/").flatten() {
            if entry.path().extension().is_some_and(|e| e == "csv") {
                std::fs::copy(entry.path(), dir.join(entry.file_name())).expect("copy an example table");
            }
        }
        (Folder(dir), path)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Client {
    conn: Connection,
    server: Option<std::thread::JoinHandle<Result<(), String>>>,
    next_id: i32,
}

impl Client {
    fn start() -> Client {
        let (server_conn, conn) = Connection::memory();
        let server = std::thread::spawn(move || leadroute_lsp::serve(&server_conn));
        let mut c = Client { conn, server: Some(server), next_id: 0 };
        let id = c.send("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
        c.until(|m| matches!(m, Message::Response(r) if r.id == id));
        c.notify("initialized", json!({}));
        c
    }

    fn recv(&self) -> Message {
        self.conn.receiver.recv_timeout(WAIT).unwrap_or_else(|e| panic!("the server did not answer within {WAIT:?}: {e}"))
    }

    /// Messages up to and including the first that `stop` accepts.
    fn until(&self, stop: impl Fn(&Message) -> bool) -> Vec<Message> {
        let mut seen = Vec::new();
        loop {
            let m = self.recv();
            let done = stop(&m);
            seen.push(m);
            if done {
                return seen;
            }
        }
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn.sender.send(Message::Notification(Notification::new(method.to_string(), params))).expect("send a notification");
    }

    fn send(&mut self, method: &str, params: Value) -> RequestId {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn.sender.send(Message::Request(Request::new(id.clone(), method.to_string(), params))).expect("send a request");
        id
    }

    fn open(&self, uri: &str, text: &str) {
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "route", "version": 1, "text": text } }));
    }

    fn change(&self, uri: &str, version: i32, text: &str) {
        self.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }));
    }

    fn shutdown(mut self) -> Vec<Message> {
        let id = self.send("shutdown", Value::Null);
        let rest = self.until(|m| matches!(m, Message::Response(r) if r.id == id));
        self.notify("exit", Value::Null);
        let server = self.server.take().expect("started");
        server.join().expect("the server thread").expect("the server ends cleanly");
        rest
    }
}

/// The diagnostics notification for `uri`, if `m` is one: (version, codes).
fn published(m: &Message, uri: &str) -> Option<(Option<i64>, Vec<String>)> {
    let Message::Notification(n) = m else { return None };
    if n.method != "textDocument/publishDiagnostics" || n.params["uri"] != uri {
        return None;
    }
    let codes = n.params["diagnostics"].as_array().map(|a| a.iter().map(|d| d["code"].as_str().unwrap_or("").to_string()).collect()).unwrap_or_default();
    Some((n.params["version"].as_i64(), codes))
}

fn uri_of(path: &Path) -> String {
    leadroute_lsp::convert::path_to_uri(path).as_str().to_string()
}

/// The protocol position (UTF-16; the texts here are ASCII) of a byte offset.
fn position_of(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    json!({ "line": before.matches('\n').count(), "character": offset - before.rfind('\n').map_or(0, |i| i + 1) })
}

#[test]
fn a_burst_of_edits_ends_with_the_diagnostics_of_its_last_version() {
    let text = example("inbound.route");
    let typo = text.replacen("assign team ae_west", "assign team ae_wset", 1);
    let (_dir, path) = Folder::new("burst", "inbound.route", &text);
    let uri = uri_of(&path);
    let c = Client::start();
    c.open(&uri, &text);
    let opened = c.until(|m| published(m, &uri).is_some());
    assert_eq!(opened.iter().find_map(|m| published(m, &uri)), Some((Some(1), vec![])), "the example checks clean");
    // 40 edits without waiting; the last one (version 41) has the typo.
    for v in 2..=41 {
        c.change(&uri, v, if v % 2 == 1 { &typo } else { &text });
    }
    let seen = c.until(|m| published(m, &uri).is_some_and(|(v, _)| v == Some(41)));
    let rest = c.shutdown();
    let versions: Vec<(Option<i64>, Vec<String>)> = seen.iter().chain(&rest).filter_map(|m| published(m, &uri)).collect();
    // Never an older version after a newer one, and the last is version 41's typo.
    assert!(versions.windows(2).all(|w| w[0].0 < w[1].0), "versions only go up: {versions:?}");
    assert_eq!(versions.last(), Some(&(Some(41), vec!["E0004".to_string()])), "{versions:?}");
    // Edits that arrive together are checked together, not one by one.
    assert!(versions.len() < 40, "{} publications for 40 edits", versions.len());
}

/// About `n` tiers: slow to check in a debug build (each tier is compared
/// with what the earlier ones leave), quick to answer a hover in.
fn many_tiers(n: usize) -> String {
    let mut s = String::from(
        "policy tiers {\n  owner \"revops@acme.example\"\n  timezone \"UTC\"\n  entry main\n}\n\
         schema lead {\n  id: string\n  country: string\n  employees: int\n}\n\
         queue review { owner \"ops@acme.example\" sla 1h }\n",
    );
    for i in 0..n {
        s.push_str(&format!("tier t{i} when country == \"C{i}\" and employees >= {} sla 1h\n", i % 100));
    }
    s.push_str("tier standard otherwise sla 1h\nroute main {\n  otherwise -> queue review\n}\n");
    s
}

#[test]
fn hover_and_completion_do_not_wait_for_a_slow_recheck() {
    let text = many_tiers(4000);
    let (_dir, path) = Folder::new("slow", "tiers.route", &text);
    let uri = uri_of(&path);
    let mut c = Client::start();
    c.open(&uri, &text);
    c.until(|m| published(m, &uri).is_some());
    // An edit near the end, then questions about a tier near the start.
    let edited = text.replacen("== \"C3990\"", "== \"X3990\"", 1);
    c.change(&uri, 2, &edited);
    let at = text.find("tier t7 ").expect("tier t7") + "tier ".len();
    let hover = c.send("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": position_of(&text, at) }));
    let cond = text.find("tier t9 when ").expect("tier t9") + "tier t9 when ".len();
    let completion = c.send("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": position_of(&text, cond) }));
    let seen = c.until(|m| published(m, &uri).is_some_and(|(v, _)| v == Some(2)));
    let answer = |id: &RequestId| {
        seen.iter().find_map(|m| match m {
            Message::Response(r) if r.id == *id => Some(r.result.clone().unwrap_or(Value::Null)),
            _ => None,
        })
    };
    let h = answer(&hover).expect("hover is answered before the re-check's diagnostics");
    let shown = h["contents"]["value"].as_str().unwrap_or("");
    assert!(shown.contains("**tier** `t7`"), "the hover is about tier t7: {h}");
    let items = answer(&completion).expect("completion is answered before the re-check's diagnostics");
    assert!(items.as_array().is_some_and(|a| a.iter().any(|i| i["label"] == "country")), "fields are offered: {items}");
    c.shutdown();
}

#[test]
fn a_request_about_the_edited_text_waits_for_its_analysis() {
    let text = example("inbound.route");
    let (_dir, path) = Folder::new("wait", "inbound.route", &text);
    let uri = uri_of(&path);
    let mut c = Client::start();
    c.open(&uri, &text);
    c.until(|m| published(m, &uri).is_some());
    // Rename team `ae_west`'s declaration and hover on the new name at once:
    // the answer must come from the new text.
    let renamed = text.replacen("team ae_west {", "team ae_east {", 1);
    c.change(&uri, 2, &renamed);
    let at = renamed.find("team ae_east {").expect("the declaration") + "team ".len();
    let id = c.send("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": position_of(&renamed, at) }));
    let seen = c.until(|m| matches!(m, Message::Response(r) if r.id == id));
    let Some(Message::Response(r)) = seen.last() else { unreachable!("until stops at the response") };
    let shown = r.result.as_ref().and_then(|h| h["contents"]["value"].as_str().map(str::to_string)).unwrap_or_default();
    assert!(shown.contains("**team** `ae_east`"), "{shown}");
    c.shutdown();
}

/// An edit of a policy: replace `len` bytes at `at` (both taken modulo the
/// text, on character boundaries) with `with`.
#[derive(Debug, Clone)]
struct Edit {
    at: usize,
    len: usize,
    with: String,
}

fn apply(text: &str, e: &Edit) -> String {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(e.at % (text.len() + 1));
    let end = floor(start + e.len);
    format!("{}{}{}", &text[..start], e.with, &text[end..])
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let piece = prop_oneof![Just(String::new()), Just("x".to_string()), Just("\n".to_string()), Just("}".to_string()), Just("tier ".to_string()), "[a-z_ ]{1,6}"];
    proptest::collection::vec((0usize..20_000, 0usize..12, piece).prop_map(|(at, len, with)| Edit { at, len, with }), 1..8)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// A workspace that re-checks after each edit (reusing what it parsed
    /// before) reports what a fresh check of the final text reports.
    #[test]
    fn rechecks_agree_with_a_fresh_check(steps in edits()) {
        let text = example("inbound.route");
        let (_dir, path) = Folder::new("agree", "inbound.route", &text);
        let mut ws = leadroute_lsp::workspace::Workspace::default();
        let mut current = text.clone();
        ws.open.insert(path.clone(), leadroute_lsp::workspace::OpenDoc::new(current.as_str()));
        ws.analysis(&path);
        for e in &steps {
            current = apply(&current, e);
            ws.open.insert(path.clone(), leadroute_lsp::workspace::OpenDoc::new(current.as_str()));
            ws.invalidate(&path);
            let cached = ws.analysis(&path);
            let mut sources = leadroute_compiler::SourceSet::new();
            sources.add(leadroute_compiler::SourceFile::new(path.to_string_lossy().into_owned(), current.clone()));
            // Its tables read from the folder, as the workspace reads them.
            let fresh = leadroute_compiler::check_with_tables(&leadroute_compiler::source::DiskProvider, &mut sources);
            prop_assert_eq!(&cached.checked.diagnostics, &fresh.diagnostics);
            prop_assert_eq!(format!("{:?}", cached.checked.modules), format!("{:?}", fresh.modules));
        }
    }
}
