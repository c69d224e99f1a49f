//! The language server on generated policies of about 10,000 lines of eight
//! shapes (many rules; many territories: disjoint by one value, by a set of
//! values, nested in one, each inside the one before, all the same, and
//! half by a country and states, half by country lists; many tiers), and
//! of shapes that grow something else (one route of many rules, a tree and
//! a waterfall of routes, a large roster, many queues, many inline tests, a
//! large enum, many postal-code sets, many fields with defaults, many SLA
//! handlers), through the real
//! protocol path: `leadroute_lsp::serve` on a thread, an in-memory
//! connection, JSON-RPC messages both ways.
//!
//! `cargo bench -p leadroute-lsp --bench lsp` (add `-- SHAPE` for one shape)
//!
//! Target (issue 13, item 5): diagnostics under 15 ms after an edit,
//! measured from the last `didChange` of a burst to the `publishDiagnostics`
//! of its version; completion and hover answered without waiting for a
//! re-check. Medians of 20 runs.
//!
//! Each change is sent as an editor with incremental sync sends it: the
//! range it replaces and the new text (`LEADROUTE_LSP_FULL_SYNC=1` sends the
//! whole document with every change, as full sync does).
//!
//! `LEADROUTE_LSP_PROFILE=SHAPE` instead re-checks that shape in process
//! for 30 s after alternating one-character edits (for `perf record`);
//! `LEADROUTE_LSP_PHASES=1` times the checker's phases; with
//! `LEADROUTE_LSP_INSERTED=1` both use the inserted character, with
//! `LEADROUTE_LSP_TYPING=1` a new text each time (as typing makes).

use std::time::{Duration, Instant};

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{json, Value};

/// The allocator `leadroute` itself uses, so that figures match the shipped binary.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const RUNS: usize = 20;
const WARMUP: usize = 3;
const TARGET: Duration = Duration::from_millis(15);
/// Any single answer slower than this counts as a hang.
const HANG: Duration = Duration::from_secs(120);

#[path = "../../bench/src/policies.rs"]
#[allow(dead_code)] // `KINDS` lists the shapes for `gen-policy`; unused here.
mod policies;

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
    /// The document's text as last sent, to send each change as the range
    /// it replaces (incremental sync, as editors do).
    doc: std::cell::RefCell<String>,
}

/// `LEADROUTE_LSP_FULL_SYNC=1` sends the whole text with every change instead.
fn full_sync() -> bool {
    std::env::var_os("LEADROUTE_LSP_FULL_SYNC").is_some()
}

/// The one change an editor sends to turn `from` into `to`: the range
/// between their common start and common end, and what replaces it.
fn ranged_change(from: &str, to: &str) -> Value {
    let start = from.bytes().zip(to.bytes()).take_while(|(a, b)| a == b).count();
    let start = (0..=start).rev().find(|&i| from.is_char_boundary(i) && to.is_char_boundary(i)).unwrap_or(0);
    let most = from.len().min(to.len()) - start;
    let tail = from.bytes().rev().zip(to.bytes().rev()).take(most).take_while(|(a, b)| a == b).count();
    let tail = (0..=tail).rev().find(|&n| from.is_char_boundary(from.len() - n) && to.is_char_boundary(to.len() - n)).unwrap_or(0);
    json!({ "range": { "start": position_of(from, start), "end": position_of(from, from.len() - tail) }, "text": &to[start..to.len() - tail] })
}

impl Client {
    fn recv(&self) -> Message {
        self.conn.receiver.recv_timeout(HANG).unwrap_or_else(|e| panic!("the server did not answer within {HANG:?}: {e}"))
    }

    fn notify(&self, method: &str, params: Value) {
        self.conn.sender.send(Message::Notification(Notification::new(method.to_string(), params))).expect("send a notification");
    }

    fn send_request(&mut self, method: &str, params: Value) -> RequestId {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.conn.sender.send(Message::Request(Request::new(id.clone(), method.to_string(), params))).expect("send a request");
        id
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
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

    /// The diagnostics published for `uri` at `version` (earlier versions are
    /// skipped), and when they arrived: the client's own handling of them
    /// (thousands of diagnostics are a large tree to check and free) is not timed.
    fn diagnostics_at(&self, uri: &str, version: i32) -> (Vec<Value>, Instant) {
        loop {
            if let Message::Notification(mut n) = self.recv() {
                if n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri && n.params["version"] == version {
                    let arrived = Instant::now();
                    return (
                        match n.params["diagnostics"].take() {
                            Value::Array(d) => d,
                            _ => Vec::new(),
                        },
                        arrived,
                    );
                }
            }
        }
    }

    fn diagnostics(&self, uri: &str, version: i32) -> Vec<Value> {
        self.diagnostics_at(uri, version).0
    }

    fn open(&self, uri: &str, text: &str) {
        *self.doc.borrow_mut() = text.to_string();
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "route", "version": 1, "text": text } }));
    }

    /// Sends the change to `text`; returns when it was sent (an editor knows
    /// the range it changed: working it out here is not timed).
    fn change(&self, uri: &str, version: i32, text: &str) -> Instant {
        let change = if full_sync() { json!({ "text": text }) } else { ranged_change(&self.doc.borrow(), text) };
        text.clone_into(&mut self.doc.borrow_mut());
        let sent = Instant::now();
        self.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }));
        sent
    }
}

/// A generated policy and two one-character edits of it that keep it clean:
/// one replaces a character (every declaration stays where it was), the
/// other inserts one (every declaration after it moves: typing).
struct Shape {
    name: &'static str,
    text: String,
    edited: String,
    inserted: String,
    /// Where the typing measure inserts characters, and the kind it inserts.
    type_at: (usize, char),
    /// Where completion and hover are asked, and a label completion must offer.
    ask_at: usize,
    expect: &'static str,
}

impl Shape {
    /// The edit the profile and phase modes alternate with the text: the
    /// inserted character with `LEADROUTE_LSP_INSERTED` set, else the replaced one.
    fn typed(&self) -> &str {
        if std::env::var_os("LEADROUTE_LSP_INSERTED").is_some() {
            &self.inserted
        } else {
            &self.edited
        }
    }
}

impl Shape {
    /// Types after the first `after` instead (where the inserted character
    /// would, typed again and again, make the policy wrong).
    fn typing_after(mut self, after: &str, ch: char) -> Shape {
        self.type_at = (self.text.find(after).unwrap_or_else(|| panic!("`{after}` is in the policy")) + after.len(), ch);
        self
    }

    /// The text after typing `n + 1` characters at the typing place: each
    /// `n` gives a text no earlier edit produced (as when someone types),
    /// of the same kind of character as the shape's inserted one (digits
    /// stay a number, letters a name).
    fn typing(&self, n: usize) -> String {
        let (at, ch) = self.type_at;
        let mut typed = String::from(ch);
        let mut k = n;
        loop {
            typed.push(if ch.is_ascii_digit() { char::from(b'0' + (k % 10) as u8) } else { char::from(b'a' + (k % 26) as u8) });
            k /= if ch.is_ascii_digit() { 10 } else { 26 };
            if k == 0 {
                break;
            }
        }
        let mut out = self.text.clone();
        out.insert_str(at, &typed);
        out
    }
}

/// `LEADROUTE_LSP_TYPING=1`: the profile and phase modes type a new text each time.
fn typing_env() -> bool {
    std::env::var_os("LEADROUTE_LSP_TYPING").is_some()
}

fn one_char(text: &str, from: &str, to: &str) -> String {
    assert_eq!(from.len(), to.len());
    assert!(text.contains(from), "`{from}` is in the policy");
    text.replacen(from, to, 1)
}

/// `text` with one character inserted after the first `after`.
fn insert_char(text: &str, after: &str, ch: char) -> String {
    let at = text.find(after).unwrap_or_else(|| panic!("`{after}` is in the policy")) + after.len();
    let mut out = text.to_string();
    out.insert(at, ch);
    out
}

/// A shape from its generator: `replace` is the one-character replacement,
/// `insert` the text a character is typed after, `ask` where requests are made.
fn shape(name: &'static str, kind: &str, replace: (&str, &str), insert: (&str, char), ask: (&str, bool), expect: &'static str) -> Shape {
    let text = policies::generate(kind, 10_000, true).expect("a generator kind");
    let found = if ask.1 { text.rfind(ask.0) } else { text.find(ask.0) };
    let ask_at = found.unwrap_or_else(|| panic!("`{}` is in the policy", ask.0)) + ask.0.len();
    let type_at = (text.find(insert.0).unwrap_or_else(|| panic!("`{}` is in the policy", insert.0)) + insert.0.len(), insert.1);
    Shape { name, edited: one_char(&text, replace.0, replace.1), inserted: insert_char(&text, insert.0, insert.1), text, type_at, ask_at, expect }
}

fn shapes() -> Vec<Shape> {
    vec![
        shape(
            "rules",
            "realistic",
            ("tier warm when intent >= 40", "tier warm when intent >= 41"),
            ("tier warm when intent >= 4", '5'),
            ("-> assign team ", true),
            "team_0",
        ),
        shape("territories", "disjoint", ("== \"C5000\"", "== \"X5000\""), ("== \"C5000", 'X'), ("territory t5000 when ", false), "country"),
        shape("tiers", "tiers", ("== \"C5000\"", "== \"X5000\""), ("== \"C5000", 'X'), ("tier t5000 when ", false), "country"),
        shape("disjoint-sets", "disjoint-sets", ("\"C5000a\"", "\"X5000a\""), ("\"C5000a", 'X'), ("territory t5000 when ", false), "country"),
        shape("nested", "nested", ("== \"S5000\"", "== \"X5000\""), ("== \"S5000", 'X'), ("territory t5000 when ", false), "country"),
        shape("chain", "chain", ("employees >= 5000", "employees >= 5001"), ("employees >= 5000", '1'), ("territory t5000 when ", false), "country"),
        shape("nested-routed", "nested-routed", ("== \"S2500\"", "== \"X2500\""), ("== \"S2500", 'X'), ("territory t2500 when ", false), "country"),
        // An edit before the search's budget cut (at t2000): the search resumes there.
        shape("bands", "bands", ("employees >= 10000 ", "employees >= 10001 "), ("employees >= 10000", '1'), ("territory t1000 when ", false), "country"),
        shape("pairs", "pairs", ("\"S5000\", \"S5001\"", "\"S5000\", \"X5001\""), ("[\"S5000", 'X'), ("territory t5000 when ", false), "country"),
        shape(
            "identical",
            "identical",
            ("t5000 when country == \"US\"", "t5000 when country == \"UX\""),
            ("t5000 when country == \"U", 'X'),
            ("territory t5000 when ", false),
            "country",
        ),
        shape("combos", "combos", ("\"S5000a\"", "\"X5000a\""), ("\"S5000a", 'X'), ("territory us5000 when ", false), "country"),
        // Shapes that grow something other than territories (`policies::scale`), each edited in its middle.
        shape("flat-rules", "flat-rules", ("\"acct5000.example\"", "\"acct5000.exbmple\""), ("\"acct5000", 'x'), ("r5001: when ", false), "country"),
        shape(
            "route-tree",
            "route-tree",
            ("hot800: when tier == hot and employees >= 800", "hot800: when tier == hot and employees >= 801"),
            ("hot800: when tier == hot and employees >= 80", '5'),
            ("hot800: when ", false),
            "country",
        ),
        // A rule of stage 375 of 751: the leads every later stage gets change.
        shape("route-chain", "route-chain", ("== \"K3750\"", "== \"X3750\""), ("== \"K3750", 'X'), ("s3751: when ", false), "country"),
        shape("roster", "roster", ("\"r600@acme.example\"", "\"r600@acme.exbmple\""), ("\"r600", 'x'), ("t24: when ", false), "country"),
        shape("queues", "queues", ("\"desk600@acme.example\"", "\"desk600@acme.exbmple\""), ("\"desk600", 'x'), ("q600: when ", false), "country"),
        shape("tests", "tests", ("id: \"L745\"", "id: \"X745\""), ("id: \"L745", 'x'), ("z50_hot: when ", false), "country"),
        // An unused variant of the enum: every condition's fingerprint changes.
        shape("enums", "enums", ("naics_3334,", "naics_333x,"), ("naics_3334", 'x'), ("territory v666 when ", false), "country"),
        // A postal code of set 406 of 813: the sets are in every condition's fingerprint.
        shape("sets", "sets", ("\"25989\"", "\"2598X\""), ("\"2598", 'X'), ("territory z406 when ", false), "country"),
        // A handler's default: the handlers are in every condition's fingerprint.
        shape(
            "fields",
            "fields",
            ("missing(score_1666) -> assume 0", "missing(score_1666) -> assume 1"),
            ("missing(score_1666) -> assume ", '1'),
            ("s1666: when ", false),
            "country",
        ),
        // Typing goes into the reminder's text: more digits in its time would pass the tier's SLA.
        shape("slas", "slas", ("sla_warning(c1250, 2m)", "sla_warning(c1250, 3m)"), ("sla_warning(c1250, 2", '0'), ("tier c1250 when ", false), "country")
            .typing_after("lead due in 2", 'x'),
    ]
}

/// Re-checks `shape` in process for `secs` seconds (for a profiler).
fn profile(shape: &Shape, secs: u64) {
    let path = std::env::temp_dir().join(format!("leadroute-lsp-profile-{}", std::process::id())).join("p.route");
    let mut ws = leadroute_lsp::workspace::Workspace::default();
    let t = Instant::now();
    let mut n = 0u32;
    while t.elapsed() < Duration::from_secs(secs) {
        let fresh;
        let text = if typing_env() {
            fresh = shape.typing(n as usize);
            &fresh
        } else if n.is_multiple_of(2) {
            shape.typed()
        } else {
            &shape.text
        };
        ws.open.insert(path.clone(), leadroute_lsp::workspace::OpenDoc::new(text));
        ws.invalidate(&path);
        std::hint::black_box(ws.analysis(&path));
        n += 1;
    }
    println!("{}: {n} re-checks in {secs} s: {:.2} ms each", shape.name, secs as f64 * 1e3 / f64::from(n));
}

/// Where a re-check's time goes: the checker's phases one by one (as
/// `check_with_cache` runs them), after alternating one-character edits.
fn phases(shape: &Shape) {
    use leadroute_compiler::analysis::{index::Territories, predicate::Analyzer, reach};
    use leadroute_compiler::check::{decls, duplicate, flow, inline_tests, schedule, sla, types, Symbols};
    let mut cache = leadroute_compiler::syntax::ParseCache::new();
    let mut totals: Vec<(&'static str, Duration)> = Vec::new();
    let runs = 20u32;
    for n in 0..runs + 2 {
        let fresh;
        let text = if typing_env() {
            fresh = shape.typing(n as usize);
            &fresh
        } else if n % 2 == 0 {
            shape.typed()
        } else {
            &shape.text
        };
        let mut sources = leadroute_compiler::SourceSet::new();
        sources.add(leadroute_compiler::SourceFile::new("/tmp/p.route", text.to_string()));
        let mut times: Vec<(&'static str, Duration)> = Vec::new();
        let mut t = Instant::now();
        let mut lap = |name: &'static str, times: &mut Vec<(&'static str, Duration)>| {
            times.push((name, t.elapsed()));
            t = Instant::now();
        };
        let (module, _) = leadroute_compiler::syntax::parse_file_cached(leadroute_compiler::FileId(0), text, Some(&mut cache));
        let modules = vec![module];
        lap("parse (cached)", &mut times);
        let mut diags = Vec::new();
        let mut syms = Symbols::collect(&modules, &mut diags);
        decls::resolve_schema(&mut syms, &mut diags);
        lap("symbols", &mut times);
        let entry = decls::header(&syms, false, &mut diags);
        schedule::calendars(&syms, &mut diags);
        decls::reps(&syms, &mut diags);
        decls::teams(&syms, &mut diags);
        decls::queues(&syms, &mut diags);
        lap("header, reps, teams, queues", &mut times);
        leadroute_compiler::check::tables::check(&syms, &sources, &mut diags);
        leadroute_compiler::check::limits::check(&syms, &mut diags);
        lap("tables, limits", &mut times);
        let mut refs = flow::Refs::default();
        let key = std::sync::Arc::new(leadroute_compiler::check::Fingerprint::new(&modules, &sources));
        let used_sets = {
            let mut tc = types::TypeChecker::new(&syms, &mut diags);
            decls::enums_and_sets(&syms, &mut tc);
            lap("type check: enums, sets", &mut times);
            flow::tiers(&syms, false, &mut tc, Some(&key));
            flow::territories(&syms, &mut tc, Some(&key));
            lap("type check: tiers, territories", &mut times);
            flow::routes(&syms, &mut tc, &mut refs, Some(&key));
            lap("type check: routes", &mut times);
            flow::handlers(&syms, &mut tc, &mut refs);
            duplicate::handlers(&syms, &mut tc, &mut refs);
            std::mem::take(&mut tc.used_sets)
        };
        lap("type check: handlers", &mut times);
        sla::handlers(&syms, &mut refs, &mut diags);
        sla::escalations(&syms, &mut refs, &mut diags);
        lap("sla handlers, escalations", &mut times);
        inline_tests::tests(&syms, &mut diags);
        lap("inline tests", &mut times);
        flow::cycles(&syms, &refs, entry.as_deref(), &mut diags);
        flow::handler_loops(&syms, &refs, &mut diags);
        lap("cycles, handler loops", &mut times);
        let base = Analyzer::new(&syms).memoized(key.clone());
        let tier_takes = reach::tiers(&base, &mut diags);
        lap("reach::tiers", &mut times);
        let territories = Territories::build_within(&base, leadroute_compiler::analysis::budget::OVERLAP_STEPS, Some(&cache.policy));
        lap("territory index", &mut times);
        reach::territories(&syms, &territories, &Default::default(), &mut diags);
        lap("reach::territories", &mut times);
        let routes_an = Analyzer::with_territories(&syms, &territories, tier_takes);
        let flow_ = reach::routes(&routes_an, entry.as_deref(), &sources, Some((&key, &cache.policy)), &mut diags);
        lap("reach::routes", &mut times);
        leadroute_compiler::analysis::overlap::check(&syms, &territories, &flow_.raised, &Default::default(), &mut diags);
        lap("overlap::check", &mut times);
        leadroute_compiler::analysis::breach::holders(&routes_an, &flow_.fires, &mut diags);
        lap("breach::holders", &mut times);
        flow::unused(&syms, &refs, &used_sets, entry.as_deref(), &mut diags);
        lap("unused", &mut times);
        let index = leadroute_lsp::index::Index::build(&modules, &syms);
        lap("lsp index", &mut times);
        drop((index, flow_, routes_an, territories, base));
        drop(syms);
        drop(modules);
        lap("drop", &mut times);
        if n >= 2 {
            if totals.is_empty() {
                totals = times;
            } else {
                totals.iter_mut().zip(times).for_each(|(a, b)| a.1 += b.1);
            }
        }
    }
    println!("{} (mean of {runs}):", shape.name);
    for (name, d) in totals {
        println!("  {name:<30} {:>8.2} ms", ms(d) / f64::from(runs));
    }
}

struct Figures {
    lines: usize,
    open: Duration,
    single: Duration,
    inserted: Duration,
    typing: Duration,
    burst: Duration,
    hover_during: Duration,
    completion: Duration,
    in_process: Duration,
}

fn measure(shape: &Shape) -> Figures {
    let dir = std::env::temp_dir().join(format!("leadroute-lsp-bench-{}-{}", std::process::id(), shape.name));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a temp folder");
    let path = dir.join("big.route");
    std::fs::write(&path, &shape.text).expect("write the policy");
    let uri = leadroute_lsp::convert::path_to_uri(&path).as_str().to_string();

    let (server_conn, client_conn) = Connection::memory();
    let server = std::thread::spawn(move || leadroute_lsp::serve(&server_conn));
    let mut client = Client { conn: client_conn, next_id: 0, doc: Default::default() };
    client.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    client.notify("initialized", json!({}));

    let t = Instant::now();
    client.open(&uri, &shape.text);
    let first = client.diagnostics(&uri, 1);
    let open = t.elapsed();
    let errors: Vec<&Value> = first.iter().filter(|d| d["severity"] == 1).collect();
    assert!(errors.is_empty(), "the generated policy must check clean: {errors:#?}");
    let clean = |d: &[Value]| assert!(d.iter().all(|x| x["severity"] != 1), "still clean: {d:?}");

    // One edit at a time, alternating with the original text: didChange → its diagnostics.
    let mut version = 1;
    let mut edit_times = |edited: &str| {
        let mut times = Vec::new();
        for i in 0..WARMUP + RUNS {
            let text = if i % 2 == 0 { edited } else { &shape.text };
            version += 1;
            let t = client.change(&uri, version, text);
            let (d, arrived) = client.diagnostics_at(&uri, version);
            clean(&d);
            if i >= WARMUP {
                times.push(arrived - t);
            }
        }
        times
    };
    let single = edit_times(&shape.edited);
    // Typing: a character inserted, then deleted (the declarations after it move).
    let inserted = edit_times(&shape.inserted);

    // Typing: every edit a text not seen before (one to three characters
    // more at the same place), so no declaration it touches is cached.
    let mut typing = Vec::new();
    for i in 0..WARMUP + RUNS {
        let text = shape.typing(i);
        version += 1;
        let t = client.change(&uri, version, &text);
        let (d, arrived) = client.diagnostics_at(&uri, version);
        clean(&d);
        if i >= WARMUP {
            typing.push(arrived - t);
        }
    }

    // Bursts of 10 edits 1 ms apart: from the last one to its diagnostics.
    let mut burst = Vec::new();
    let mut last = Instant::now();
    for i in 0..WARMUP + RUNS {
        for k in 0..10 {
            version += 1;
            last = client.change(&uri, version, if (i + k) % 2 == 0 { &shape.edited } else { &shape.text });
            if k < 9 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let (d, arrived) = client.diagnostics_at(&uri, version);
        clean(&d);
        if i >= WARMUP {
            burst.push(arrived - last);
        }
    }

    // Hover right after an edit, while it is being re-checked.
    let mut hover_during = Vec::new();
    let pos = position_of(&shape.text, shape.ask_at);
    for i in 0..WARMUP + RUNS {
        version += 1;
        client.change(&uri, version, if i % 2 == 0 { &shape.edited } else { &shape.text });
        let t = Instant::now();
        let h = client.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": pos }));
        if i >= WARMUP {
            hover_during.push(t.elapsed());
        }
        std::hint::black_box(h);
        client.diagnostics(&uri, version);
    }

    let mut completion = Vec::new();
    for i in 0..WARMUP + RUNS {
        let t = Instant::now();
        let r = client.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": pos }));
        let items = r.as_array().cloned().unwrap_or_default();
        assert!(items.iter().any(|it| it["label"] == shape.expect), "completion offers `{}`: {} items", shape.expect, items.len());
        if i >= WARMUP {
            completion.push(t.elapsed());
        }
    }

    // The same re-check in process, without the protocol.
    let mut ws = leadroute_lsp::workspace::Workspace::default();
    let mut in_process = Vec::new();
    for i in 0..WARMUP + RUNS {
        let text = if i % 2 == 0 { &shape.edited } else { &shape.text };
        ws.open.insert(path.clone(), leadroute_lsp::workspace::OpenDoc::new(text.as_str()));
        ws.invalidate(&path);
        let t = Instant::now();
        std::hint::black_box(ws.analysis(&path));
        if i >= WARMUP {
            in_process.push(t.elapsed());
        }
    }

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    server.join().expect("the server thread").expect("the server ends cleanly");
    let _ = std::fs::remove_dir_all(&dir);
    Figures {
        lines: shape.text.lines().count(),
        open,
        single: median(single),
        inserted: median(inserted),
        typing: median(typing),
        burst: median(burst),
        hover_during: median(hover_during),
        completion: median(completion),
        in_process: median(in_process),
    }
}

fn verdict(d: Duration) -> &'static str {
    if d < TARGET {
        "met"
    } else {
        "MISSED"
    }
}

fn main() {
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let shapes: Vec<Shape> = shapes().into_iter().filter(|s| only.is_empty() || only.iter().any(|o| o == s.name)).collect();
    if std::env::var("LEADROUTE_LSP_PHASES").is_ok() {
        shapes.iter().for_each(phases);
        return;
    }
    if let Ok(name) = std::env::var("LEADROUTE_LSP_PROFILE") {
        for s in shapes.iter().filter(|s| s.name == name) {
            profile(s, 30);
        }
        return;
    }
    println!("| shape | lines | open ms | edit → diagnostics ms | inserted character → diagnostics ms | typing a new text → diagnostics ms | last of a 10-edit burst → diagnostics ms | target < 15 ms | hover during the re-check ms | completion ms | re-check in process ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
    for s in &shapes {
        let f = measure(s);
        let worst = f.single.max(f.inserted).max(f.typing).max(f.burst);
        println!(
            "| {} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.2} | {:.2} |",
            s.name,
            f.lines,
            ms(f.open),
            ms(f.single),
            ms(f.inserted),
            ms(f.typing),
            ms(f.burst),
            verdict(worst),
            ms(f.hover_during),
            ms(f.completion),
            ms(f.in_process)
        );
    }
}
