//! The language server on a generated policy of about 10,000 lines, through
//! the real protocol path: `leadroute_lsp::serve` on a thread, an in-memory
//! connection, JSON-RPC messages both ways.
//!
//! `cargo bench -p leadroute-lsp --bench lsp`
//! Targets: a full re-check after a one-character edit (didChange sent →
//! its publishDiagnostics received) under 30 ms; a completion request in a
//! route rule under 30 ms. Medians of 20 runs.

use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

const RUNS: usize = 20;
const WARMUP: usize = 2;
const TARGET: Duration = Duration::from_millis(30);
/// Any single answer slower than this counts as a hang.
const HANG: Duration = Duration::from_secs(120);

#[path = "../../compiler/benches/large_policy.rs"]
mod large_policy;
use large_policy::generate;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The protocol position (UTF-16 columns; the text is ASCII) of a byte offset.
fn position_of(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let col = offset - before.rfind('\n').map_or(0, |i| i + 1);
    json!({ "line": line, "character": col })
}

struct Client {
    conn: Connection,
    next_id: i32,
}

impl Client {
    fn recv(&self) -> Message {
        self.conn.receiver.recv_timeout(HANG).unwrap_or_else(|e| panic!("the server did not answer within {HANG:?}: {e}"))
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn.sender.send(Message::Notification(Notification::new(method.to_string(), params))).expect("send a notification");
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn.sender.send(Message::Request(Request::new(id.clone(), method.to_string(), params))).expect("send a request");
        loop {
            if let Message::Response(r) = self.recv() {
                if r.id == id {
                    if let Some(e) = r.error {
                        panic!("`{method}` failed: {} {}", e.code, e.message);
                    }
                    return r.result.unwrap_or(Value::Null);
                }
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        loop {
            if let Message::Notification(n) = self.recv() {
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri {
                    return n.params["diagnostics"].as_array().cloned().unwrap_or_default();
                }
            }
        }
    }

    fn change(&self, uri: &str, version: i32, text: &str) {
        self.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }));
    }
}

/// Times `runs` alternations between two texts: didChange → publishDiagnostics.
fn time_recheck(client: &Client, uri: &str, version: &mut i32, edited: &str, original: &str, check: impl Fn(&[Value], bool)) -> Duration {
    let mut times = Vec::new();
    for i in 0..WARMUP + RUNS {
        let is_edited = i % 2 == 0;
        let text = if is_edited { edited } else { original };
        *version += 1;
        let t = Instant::now();
        client.change(uri, *version, text);
        let diags = client.diagnostics(uri);
        let elapsed = t.elapsed();
        check(&diags, is_edited);
        if i >= WARMUP {
            times.push(elapsed);
        }
    }
    median(times)
}

fn time_completion(client: &mut Client, uri: &str, position: &Value, expect: &str) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut count = 0;
    for i in 0..WARMUP + RUNS {
        let t = Instant::now();
        let r = client.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": position }));
        let elapsed = t.elapsed();
        let items = r.as_array().cloned().unwrap_or_default();
        assert!(items.iter().any(|it| it["label"] == expect), "completion offers `{expect}`: {} items", items.len());
        count = items.len();
        if i >= WARMUP {
            times.push(elapsed);
        }
    }
    (median(times), count)
}

fn verdict(d: Duration) -> &'static str {
    if d < TARGET {
        "target met"
    } else {
        "TARGET MISSED"
    }
}

fn main() {
    let text = generate(10_000);
    let lines = text.lines().count();

    // A real folder holding the policy, as an editor would have it.
    let dir = std::env::temp_dir().join(format!("leadroute-lsp-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp folder");
    let path = dir.join("big.route");
    std::fs::write(&path, &text).expect("write the policy");
    let uri = leadroute_lsp::convert::path_to_uri(&path).as_str().to_string();

    let (server_conn, client_conn) = Connection::memory();
    let server = std::thread::spawn(move || leadroute_lsp::serve(&server_conn));
    let mut client = Client { conn: client_conn, next_id: 0 };
    client.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    client.notify("initialized", json!({}));

    let t = Instant::now();
    client.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "route", "version": 1, "text": text } }));
    let first = client.diagnostics(&uri);
    let open = t.elapsed();
    let errors: Vec<&Value> = first.iter().filter(|d| d["severity"] == 1).collect();
    assert!(errors.is_empty(), "the generated policy must check clean: {errors:#?}");

    // A one-character edit that keeps the policy clean: `intent >= 40` → `intent >= 41`.
    let mut version = 1;
    let digit = text.replacen("tier warm when intent >= 40", "tier warm when intent >= 41", 1);
    assert_eq!(digit.len(), text.len());
    let recheck = time_recheck(&client, &uri, &mut version, &digit, &text, |d, _| {
        assert!(d.iter().all(|x| x["severity"] != 1), "still clean: {d:?}");
    });

    // A one-character typo in a team name deep in the route: an E0004 with a did-you-mean.
    let last_team = text.rfind("-> assign team team_").expect("an assignment");
    let name_end = last_team + "-> assign team team_".len() + text[last_team + "-> assign team team_".len()..].find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
    let mut typo = text.clone();
    typo.insert(name_end, 'x');
    let typo_recheck = time_recheck(&client, &uri, &mut version, &typo, &text, |d, edited| {
        let unknown = d.iter().filter(|x| x["code"] == "E0004").count();
        assert_eq!(unknown, usize::from(edited), "the typo and nothing else: {d:?}");
    });

    // Completion: after `assign team ` in the route's last rule block, and in a `when` condition there.
    let after_team = last_team + "-> assign team ".len();
    let (team_completion, team_items) = time_completion(&mut client, &uri, &position_of(&text, after_team), "team_0");
    let rule_start = text[..last_team].rfind(": when ").expect("a rule") + ": when ".len();
    let (cond_completion, cond_items) = time_completion(&mut client, &uri, &position_of(&text, rule_start), "intent");

    // Where the re-check time goes, in process (same text, same folder).
    let mut sources = leadroute_compiler::SourceSet::new();
    sources.add(leadroute_compiler::SourceFile::new(path.to_string_lossy().into_owned(), digit.clone()));
    let check_only = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(leadroute_compiler::check(&sources));
                t.elapsed()
            })
            .collect(),
    );
    let checked = leadroute_compiler::check(&sources);
    let index_only = median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                let syms = checked.symbols();
                std::hint::black_box(leadroute_lsp::index::Index::build(&checked.modules, &syms));
                t.elapsed()
            })
            .collect(),
    );
    let mut ws = leadroute_lsp::workspace::Workspace::default();
    ws.open.insert(path.clone(), digit.clone());
    let analysis = median(
        (0..RUNS)
            .map(|_| {
                ws.invalidate(&path);
                let t = Instant::now();
                std::hint::black_box(ws.analysis(&path));
                t.elapsed()
            })
            .collect(),
    );

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    server.join().expect("the server thread").expect("the server ends cleanly");
    let _ = std::fs::remove_dir_all(&dir);

    println!("generated policy: {lines} lines, {} bytes, {} diagnostics (warnings)", text.len(), first.len());
    println!("didOpen → publishDiagnostics (cold):      {:>8.2} ms", ms(open));
    println!(
        "re-check after a one-character edit:      median {:>8.2} ms over {RUNS} runs  (target < 30 ms) {}",
        ms(recheck),
        verdict(recheck)
    );
    println!(
        "re-check after a one-character typo:      median {:>8.2} ms over {RUNS} runs  (target < 30 ms) {}  [E0004 + did-you-mean]",
        ms(typo_recheck),
        verdict(typo_recheck)
    );
    println!(
        "  of which: check {:.2} ms, symbols + index {:.2} ms, Workspace::analysis (check + index + folder scan) {:.2} ms; protocol, diagnostics and the rest {:.2} ms",
        ms(check_only),
        ms(index_only),
        ms(analysis),
        ms(recheck.saturating_sub(analysis))
    );
    println!(
        "completion after `assign team ` in a rule: median {:>8.2} ms over {RUNS} runs  (target < 30 ms) {}  [{team_items} items]",
        ms(team_completion),
        verdict(team_completion)
    );
    println!(
        "completion in a `when` condition:         median {:>8.2} ms over {RUNS} runs  (target < 30 ms) {}  [{cond_items} items]",
        ms(cond_completion),
        verdict(cond_completion)
    );
}
