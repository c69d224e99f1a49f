//! leadroute against native Rust and peer rule engines on one 200-rule table.
//!
//! `cargo bench -p leadroute-bench --features peers` (without features: the
//! leadroute and native rows only). Prints a complete Markdown report
//! (machine, decision times, load times and memory, ratios, targets) to
//! paste into `docs/performance.md`.
//!
//! Environment: `LEADROUTE_BENCH_BUDGET_MS` (default 1500) is the time
//! budget per engine and mix; `LEADROUTE_BENCH_LEADS` (default 10000) the
//! leads per mix; `LEADROUTE_BENCH_ONLY` (e.g. `native,leadroute jit`) runs
//! only the engines whose names contain one of the comma-separated words.

// The counting allocator below needs `unsafe impl GlobalAlloc`; it only
// forwards to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use leadroute_bench::leads::{generate, LeadSet, Mix};
use leadroute_bench::native::route_native;
use leadroute_bench::route::{check_and_lower, route_source, Leadroute};
use leadroute_bench::table::{table, Table, DESTS};
use leadroute_bench::{expect_agreement, expected};
use leadroute_runtime::{Backend, LeadReader, State};

/// Counts allocations while `COUNTING` is on (a relaxed load otherwise).
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call forwards to `System` with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Row names the targets read.
const SERDE_NATIVE: &str = "serde typed struct + native `match`, from JSON text";
const JIT_TEXT: &str = "leadroute jit, from JSON text";
const INTERP_TEXT: &str = "leadroute interp, from JSON text";
const COMPACT: &str = "leadroute jit, full decision, compact";

/// 2026-11-24T15:00:00Z, the decision time (no rule reads the clock).
const NOW_MS: i64 = 1_795_100_400_000;
const SEED: u64 = 20_261_124;
const BATCHES: usize = 100;
/// Copies loaded to measure the resident memory of one loaded policy.
const COPIES: usize = 100;

/// Median and p99 of ns per decision over batches.
#[derive(Debug, Clone, Copy)]
struct Stats {
    median: f64,
    p99: f64,
    /// Leads per batch (the whole set, or fewer for slow engines).
    batch_len: usize,
    allocs: f64,
}

/// One engine's results on both mixes.
struct Row {
    engine: String,
    timed: String,
    peer: bool,
    stats: Vec<Stats>,
}

/// One engine's load figures.
struct LoadRow {
    engine: String,
    load_ms: f64,
    detail: String,
    rss: Option<f64>,
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// ns per decision over `BATCHES` batches after a warm-up pass. Slow
/// engines get shorter batches (walking round the set) so that the whole
/// run stays near `budget`.
fn time<I>(inputs: &[I], decide: &mut impl FnMut(&I) -> usize, budget: Duration) -> (f64, f64, usize) {
    let warm = Instant::now();
    let mut n = 0usize;
    for x in inputs {
        black_box(decide(black_box(x)));
        n += 1;
        if n.is_multiple_of(64) && warm.elapsed() > budget / 8 {
            break;
        }
    }
    let est = warm.elapsed().as_nanos() as f64 / n as f64;
    let len = inputs.len();
    let batch_len = ((budget.as_nanos() as f64 / BATCHES as f64 / est) as usize).clamp(50.min(len), len);
    let mut per_batch = Vec::with_capacity(BATCHES);
    let mut start = 0;
    for _ in 0..BATCHES {
        let end = start + batch_len;
        let (a, b) = if end <= len { (&inputs[start..end], &inputs[..0]) } else { (&inputs[start..], &inputs[..end - len]) };
        let t = Instant::now();
        for x in a.iter().chain(b) {
            black_box(decide(black_box(x)));
        }
        per_batch.push(t.elapsed().as_nanos() as f64 / batch_len as f64);
        start = end % len;
    }
    per_batch.sort_by(f64::total_cmp);
    let at = |p: f64| per_batch[((per_batch.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99), batch_len)
}

/// Allocations per decision over one pass.
fn allocs<I>(inputs: &[I], decide: &mut impl FnMut(&I) -> usize) -> f64 {
    ALLOCS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    for x in inputs {
        black_box(decide(x));
    }
    COUNTING.store(false, Ordering::Relaxed);
    ALLOCS.load(Ordering::Relaxed) as f64 / inputs.len() as f64
}

/// The leads of both mixes and the native answers for them.
struct Mixes {
    sets: Vec<(Mix, LeadSet, Vec<usize>)>,
    budget: Duration,
    /// `LEADROUTE_BENCH_ONLY`: run only engines whose name contains one of these (lower case).
    only: Vec<String>,
}

impl Mixes {
    /// Checks agreement (`check`), counts allocations and times `timed` on
    /// each mix's prepared inputs.
    fn run<I>(
        &self,
        engine: &str,
        timed_region: &str,
        peer: bool,
        prepare: impl Fn(&LeadSet) -> Vec<I>,
        mut check: impl FnMut(&I) -> usize,
        mut timed: impl FnMut(&I) -> usize,
    ) -> Option<Row> {
        let lower = engine.to_lowercase();
        if !self.only.is_empty() && !self.only.iter().any(|o| lower.contains(o.as_str())) {
            return None;
        }
        let mut stats = Vec::new();
        for (mix, set, want) in &self.sets {
            let inputs = prepare(set);
            expect_agreement(engine, *mix, set, want, |i| check(&inputs[i]));
            let allocs = allocs(&inputs, &mut timed);
            let (median, p99, batch_len) = time(&inputs, &mut timed, self.budget);
            eprintln!("  {engine}, {}: median {median:.1} ns, p99 {p99:.1} ns ({batch_len} leads per batch)", mix.name());
            stats.push(Stats { median, p99, batch_len, allocs });
        }
        Some(Row { engine: engine.into(), timed: timed_region.into(), peer, stats })
    }
}

/// Median wall time of `f` in ms over `reps` runs.
fn median_ms<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut v: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            let made = black_box(f());
            let ms = t.elapsed().as_secs_f64() * 1e3;
            drop(made); // outside the timed region
            ms
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Resident set size in bytes, from `/proc/self/statm` (x86-64: 4 KiB pages).
fn rss() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0)
}

/// Resident bytes per loaded policy: RSS growth over `COPIES` loads. The
/// copies are kept in `keep` (alive until the end of the run) so that one
/// engine's freed memory does not hide the next one's.
fn rss_per_copy<T: 'static>(keep: &mut Vec<Box<dyn std::any::Any>>, mut load: impl FnMut() -> T) -> Option<f64> {
    let before = rss()?;
    let copies: Vec<T> = (0..COPIES).map(|_| load()).collect();
    let after = rss()?;
    keep.push(Box::new(copies));
    Some((after - before) / COPIES as f64)
}

/// `git describe --always --dirty` of the workspace (what was measured).
fn git_version() -> String {
    std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "describe", "--always", "--dirty"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "unknown commit".into(), |v| format!("commit {}", v.trim()))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

fn ns(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn per_sec(median_ns: f64) -> String {
    let r = 1e9 / median_ns;
    if r >= 1e6 {
        format!("{:.1} M", r / 1e6)
    } else {
        format!("{:.0} k", r / 1e3)
    }
}

fn bytes(b: Option<f64>) -> String {
    match b {
        Some(b) if b >= 1024.0 * 1024.0 => format!("{:.2} MiB", b / 1024.0 / 1024.0),
        Some(b) => format!("{:.0} KiB", b / 1024.0),
        None => "n/a".into(),
    }
}

fn main() {
    let n = env_usize("LEADROUTE_BENCH_LEADS", 10_000);
    let budget = Duration::from_millis(env_usize("LEADROUTE_BENCH_BUDGET_MS", 1500) as u64);
    let load_avg = std::fs::read_to_string("/proc/loadavg").ok().map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    let t = table();
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    let mut loads: Vec<LoadRow> = Vec::new();

    // leadroute: text → check + lower → load (+ JIT). Memory first, on a fresh heap.
    let text = route_source(&t);
    let ir = check_and_lower(&text).unwrap_or_else(|e| panic!("{e}"));
    let jit_rss = rss_per_copy(&mut keep, || Leadroute::load(ir.clone(), Backend::Jit).expect("loads"));
    let interp_rss = rss_per_copy(&mut keep, || Leadroute::load(ir.clone(), Backend::Interp).expect("loads"));
    let jit = Leadroute::load(ir.clone(), Backend::Jit).unwrap_or_else(|e| panic!("{e}"));
    let interp = Leadroute::load(ir.clone(), Backend::Interp).unwrap_or_else(|e| panic!("{e}"));
    let full_ms = median_ms(20, || Leadroute::compile(&text, Backend::Jit).expect("compiles"));
    let front_ms = median_ms(20, || check_and_lower(&text).expect("lowers"));
    let jit_ms = {
        let mut v: Vec<f64> = (0..20)
            .map(|_| {
                let ir = ir.clone();
                let t = Instant::now();
                let policy = black_box(leadroute_runtime::Policy::from_ir_with(ir, Backend::Jit).expect("loads"));
                let ms = t.elapsed().as_secs_f64() * 1e3;
                drop(policy); // outside the timed region
                ms
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let interp_ms = median_ms(20, || Leadroute::compile(&text, Backend::Interp).expect("compiles"));
    let code_bytes = jit.policy.code_bytes();
    loads.push(LoadRow {
        engine: "leadroute jit".into(),
        load_ms: full_ms,
        detail: format!(
            "check + lower {front_ms:.2} ms; `from_ir_with(Jit)` (JIT compile) {jit_ms:.2} ms; {code_bytes} bytes of native code"
        ),
        rss: jit_rss,
    });
    loads.push(LoadRow {
        engine: "leadroute interp".into(),
        load_ms: interp_ms,
        detail: "check + lower + `from_ir_with(Interp)`".into(),
        rss: interp_rss,
    });

    let sets = Mix::ALL
        .iter()
        .map(|&mix| {
            let set = generate(mix, n, SEED);
            let want = expected(&set);
            (mix, set, want)
        })
        .collect();
    let only = std::env::var("LEADROUTE_BENCH_ONLY").unwrap_or_default();
    let only = only.split(',').map(|o| o.trim().to_lowercase()).filter(|o| !o.is_empty()).collect();
    let mixes = Mixes { sets, budget, only };
    let mut rows = Vec::new();
    eprintln!("timing ({n} leads per mix, {BATCHES} batches, budget {budget:?} per engine and mix)");

    rows.extend(mixes.run(
        "native Rust `match`",
        "`route_native(&NativeLead)` (generated by build.rs, `#[inline(never)]`)",
        false,
        |s| s.native.clone(),
        route_native,
        route_native,
    ));
    rows.extend(mixes.run(
        SERDE_NATIVE,
        "`serde_json::from_str::<NativeLead>(text)` (derived `Deserialize`: `id` and `email` skipped, three `String`s allocated) + `route_native`",
        false,
        |s| s.json.clone(),
        |j| serde_json::from_str(j).map_or(usize::MAX, |l| route_native(&l)),
        |j| serde_json::from_str(j).map_or(usize::MAX, |l| route_native(&l)),
    ));
    for (lr, name) in [(&jit, JIT_TEXT), (&interp, INTERP_TEXT)] {
        let reader = std::cell::RefCell::new(LeadReader::new());
        rows.extend(mixes.run(
            name,
            "`LeadReader::read(&policy, text)` (validates every field as `Lead::from_json_str` does, into a reused `Lead`; the flat record filled in the same pass) + `Policy::select_read` + destination lookup",
            false,
            |s| s.json.clone(),
            |j| lr.select_text(&mut reader.borrow_mut(), j, NOW_MS) as usize,
            |j| lr.select_text(&mut reader.borrow_mut(), j, NOW_MS) as usize,
        ));
    }
    for (lr, name) in [(&jit, "leadroute jit"), (&interp, "leadroute interp")] {
        rows.extend(mixes.run(
            name,
            "`Policy::select(&Lead, now)` + (route, rule) → destination table lookup; `Lead` validated before timing",
            false,
            |s| lr.leads(s),
            |l| lr.select(l, NOW_MS) as usize,
            |l| lr.select(l, NOW_MS) as usize,
        ));
    }
    rows.extend(mixes.run(
        "leadroute jit, lead laid out for the policy",
        "`Policy::select_flat(&FlatLead, now)` + destination lookup; the `FlatLead` (the policy's typed record, the analogue of `NativeLead`) built with `Policy::flat_lead` before timing",
        false,
        |s| jit.flat_leads(s),
        |l| jit.select_flat(l, NOW_MS) as usize,
        |l| jit.select_flat(l, NOW_MS) as usize,
    ));
    rows.extend(mixes.run(
        "leadroute jit: laying the lead out flat (part of the row above)",
        "`Policy::flatten_probe(&Lead)`: the flat record the compiled code reads (strings interned, numbers and enums as words), built from the `Lead`",
        false,
        |s| jit.leads(s),
        // Agreement is the JIT's own (checked above); only the layout is timed.
        |l| jit.select(l, NOW_MS) as usize,
        |l| jit.policy.flatten_probe(l) as usize,
    ));
    let state = State::new(jit.policy.ir());
    let moment = jit.policy.at(NOW_MS);
    let name_of = |d: &leadroute_runtime::Decision| {
        let name = d.team.as_deref().or(d.queue.as_deref()).unwrap_or("");
        DESTS.iter().position(|x| x.name == name).unwrap_or(usize::MAX)
    };
    rows.extend(mixes.run(
        "leadroute jit, full decision incl. rep allocation",
        "`Policy::decide(&Lead, &State, &Moment, false)`: rule, team strategy, rep availability, SLA, the `Decision` with its strings",
        false,
        |s| jit.leads(s),
        |l| name_of(&jit.policy.decide(l, &state, &moment, false)),
        |l| jit.policy.decide(l, &state, &moment, false).outcome as usize,
    ));
    rows.extend(mixes.run(
        COMPACT,
        "`Policy::decide_compact(&Lead, &State, &Moment, false, None)`: the same decision as the row above (rule, team strategy, rep availability, SLA due time, exceptions), its names left as indices into the policy until it is written",
        false,
        |s| jit.leads(s),
        |l| name_of(&jit.policy.decide_compact(l, &state, &moment, false, None).to_decision()),
        |l| jit.policy.decide_compact(l, &state, &moment, false, None).outcome() as usize,
    ));
    let reader = std::cell::RefCell::new(LeadReader::new());
    let buf = std::cell::RefCell::new(Vec::new());
    let pipeline = |j: &String, check: bool| {
        let mut reader = reader.borrow_mut();
        let Ok(read) = reader.read(&jit.policy, j, Default::default()) else { return usize::MAX };
        let d = jit.policy.decide_read(&read, &state, &moment, false, None);
        if check {
            return name_of(&d.to_decision());
        }
        let mut buf = buf.borrow_mut();
        buf.clear();
        d.write_json(&mut buf);
        buf.len()
    };
    rows.extend(mixes.run(
        "leadroute jit, JSON text → decision JSON",
        "`LeadReader::read`, `Policy::decide_read` (the full decision, no commit) and `CompactDecision::write_json` into a reused buffer: one lead of `leadroute route` without the file reading and the commit",
        false,
        |s| s.json.clone(),
        |j| pipeline(j, true),
        |j| pipeline(j, false),
    ));

    peers(&t, &mixes, &mut rows, &mut loads, &mut keep);
    report(&t, n, &rows, &loads, code_bytes, load_avg.as_deref());
    drop(keep);
}

#[cfg(not(any(feature = "cedar", feature = "datalogic", feature = "zen")))]
fn peers(_: &Table, _: &Mixes, _: &mut Vec<Row>, _: &mut Vec<LoadRow>, _: &mut Vec<Box<dyn std::any::Any>>) {
    eprintln!("no peers: run with `--features peers` to compare with Cedar, JSONLogic and ZEN");
}

#[cfg(any(feature = "cedar", feature = "datalogic", feature = "zen"))]
fn peers(t: &Table, mixes: &Mixes, rows: &mut Vec<Row>, loads: &mut Vec<LoadRow>, keep: &mut Vec<Box<dyn std::any::Any>>) {
    #[cfg(feature = "cedar")]
    {
        use leadroute_bench::cedar::{cedar_source, parse, Cedar};
        let text = cedar_source(t);
        let rss = rss_per_copy(keep, || parse(&text).expect("parses"));
        let ms = median_ms(10, || parse(&text).expect("parses"));
        loads.push(LoadRow {
            engine: format!("cedar-policy {}", env!("BENCH_CEDAR_VERSION")),
            load_ms: ms,
            detail: format!("`PolicySet::from_str` of {} policies", t.rules.len() + 1),
            rss,
        });
        let cedar = Cedar::new(t, &text).unwrap_or_else(|e| panic!("{e}"));
        rows.extend(mixes.run(
            "Cedar (request + is_authorized)",
            "`Context`/`Request` built from the typed lead, `Authorizer::is_authorized`, lowest satisfied `@rule` index",
            true,
            |s| s.native.clone(),
            |l| cedar.decide(l),
            |l| cedar.decide(l),
        ));
        rows.extend(mixes.run(
            "Cedar (is_authorized only)",
            "`Authorizer::is_authorized` on a prebuilt `Request`, lowest satisfied `@rule` index",
            true,
            |s| s.native.iter().map(|l| cedar.request(l)).collect(),
            |r| cedar.decide_request(r),
            |r| cedar.decide_request(r),
        ));
    }
    #[cfg(feature = "datalogic")]
    {
        use leadroute_bench::jsonlogic::{compile, jsonlogic_rule, JsonLogic};
        let text = jsonlogic_rule(t).to_string();
        let engine = datalogic_rs::Engine::new();
        let rss = rss_per_copy(keep, || JsonLogic::new(&text).expect("compiles"));
        let ms = median_ms(10, || compile(&engine, &text).expect("compiles"));
        loads.push(LoadRow {
            engine: format!("datalogic-rs {}", env!("BENCH_DATALOGIC_VERSION")),
            load_ms: ms,
            detail: format!("`Engine::compile` of one `if` chain ({} KiB of JSON)", text.len() / 1024),
            rss,
        });
        let logic = std::cell::RefCell::new(JsonLogic::new(&text).unwrap_or_else(|e| panic!("{e}")));
        rows.extend(mixes.run(
            "datalogic-rs (ParsedData)",
            "`Engine::evaluate` of the compiled rule on a lead pre-parsed to `ParsedData` (arena reset per call)",
            true,
            |s| s.json.iter().map(|j| JsonLogic::parse(j)).collect(),
            |p| logic.borrow_mut().decide_parsed(p),
            |p| logic.borrow_mut().decide_parsed(p),
        ));
        rows.extend(mixes.run(
            "datalogic-rs (serde_json::Value)",
            "`Engine::evaluate` of the compiled rule on a pre-parsed `serde_json::Value` (converted into the arena per call)",
            true,
            |s| s.json.iter().map(|j| serde_json::from_str::<serde_json::Value>(j).expect("valid JSON")).collect(),
            |v| logic.borrow_mut().decide_value(v),
            |v| logic.borrow_mut().decide_value(v),
        ));
    }
    #[cfg(feature = "zen")]
    {
        use leadroute_bench::zen::{jdm_graph, load, Zen};
        let text = jdm_graph(t).to_string();
        let rss = rss_per_copy(keep, || load(&text).expect("loads"));
        let ms = median_ms(10, || load(&text).expect("loads"));
        loads.push(LoadRow {
            engine: format!("zen-engine {}", env!("BENCH_ZEN_VERSION")),
            load_ms: ms,
            detail: "JDM JSON → `GraphContent`, `compile()` (expressions, table indexes), `Decision`".into(),
            rss,
        });
        let zen = Zen::new(&text).unwrap_or_else(|e| panic!("{e}"));
        rows.extend(mixes.run(
            "ZEN (JDM decision table, first hit)",
            "`pollster::block_on(Decision::evaluate(input))` on a pre-built `Variable`, then reading `dest`",
            true,
            |s| s.json.iter().map(|j| Zen::input(j)).collect(),
            |v| zen.decide(v),
            |v| zen.decide(v),
        ));
    }
}

/// A ratio per mix, and whether `ok` holds for all.
fn ratio_line(label: &str, values: &[f64], ok: impl Fn(f64) -> bool, target: &str) -> String {
    let parts: Vec<String> = Mix::ALL.iter().zip(values).map(|(m, v)| format!("{} {v:.1}×", m.name())).collect();
    let met = if values.iter().all(|&v| ok(v)) { "MET" } else { "MISSED" };
    format!("- {label} ({target}): {} — **{met}**", parts.join(", "))
}

fn report(t: &Table, n: usize, rows: &[Row], loads: &[LoadRow], code_bytes: usize, load_avg: Option<&str>) {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## Machine\n");
    println!("- CPU: {} ({cpus} logical CPUs; every engine runs on one core)", cpu_model());
    println!("- {}; release profile; sources: {}", env!("BENCH_RUSTC_VERSION"), git_version());
    if let Some(l) = load_avg {
        println!("- Load average when the run started: {l} (other processes share these cores; compare runs with similar load)");
    }
    println!(
        "- Policy: {} rules + fallback, {} territories, {} destinations; {n} leads per mix, {BATCHES} batches per engine and mix after a warm-up pass",
        t.rules.len(),
        leadroute_bench::table::TERRITORIES.len(),
        DESTS.len()
    );
    println!("- Every engine agreed with the native baseline on all {n} leads of both mixes before timing.\n");
    println!("## Decision time\n");
    println!("ns per decision: median and p99 over batches; decisions/s on one core = 1e9 / median.\n");
    println!("| engine | spread median | spread p99 | fallback median | fallback p99 | decisions/s/core (spread / fallback) | allocs/decision (spread / fallback) |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        let (s, f) = (r.stats[0], r.stats[1]);
        println!(
            "| {} | {} | {} | {} | {} | {} / {} | {:.1} / {:.1} |",
            r.engine,
            ns(s.median),
            ns(s.p99),
            ns(f.median),
            ns(f.p99),
            per_sec(s.median),
            per_sec(f.median),
            s.allocs,
            f.allocs
        );
    }
    println!("\nWhat is timed:\n");
    for r in rows {
        let short: Vec<String> = r.stats.iter().filter(|s| s.batch_len < n).map(|s| s.batch_len.to_string()).collect();
        let batches = if short.is_empty() { String::new() } else { format!(" (batches of {} leads)", short.join(" / ")) };
        println!("- **{}**: {}{batches}", r.engine, r.timed);
    }
    println!("\n## Load\n");
    println!("| engine | text → ready to decide | detail | resident memory per loaded policy |");
    println!("| --- | ---: | --- | ---: |");
    println!("| native Rust `match` | (ahead of time, rustc) | | |");
    for l in loads {
        println!("| {} | {:.2} ms | {} | {} |", l.engine, l.load_ms, l.detail, bytes(l.rss));
    }
    println!("\nResident memory: growth of RSS (`/proc/self/statm`) over {COPIES} loaded copies, divided by {COPIES}.\n");

    let med = |name: &str| rows.iter().find(|r| r.engine == name).map(|r| r.stats.iter().map(|s| s.median).collect::<Vec<f64>>());
    let (Some(native), Some(jit), Some(interp)) = (med("native Rust `match`"), med("leadroute jit"), med("leadroute interp")) else {
        println!("(missing rows: no ratios)");
        return;
    };
    let div = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<f64>>();
    // The fastest peer per mix: the lowest median among peer rows.
    let peer_rows: Vec<&Row> = rows.iter().filter(|r| r.peer).collect();
    let fastest: Option<(Vec<f64>, Vec<String>)> = (!peer_rows.is_empty()).then(|| {
        (0..Mix::ALL.len())
            .map(|m| {
                let best = peer_rows.iter().min_by(|a, b| a.stats[m].median.total_cmp(&b.stats[m].median)).expect("non-empty");
                (best.stats[m].median, best.engine.clone())
            })
            .unzip()
    });
    let cedar = med("Cedar (request + is_authorized)");
    let cedar_only = med("Cedar (is_authorized only)");
    println!("## Ratios\n");
    println!("(per mix: spread, fallback; from the medians)\n");
    let pl = |label: &str, v: &[f64]| {
        let parts: Vec<String> = Mix::ALL.iter().zip(v).map(|(m, x)| format!("{} {x:.2}×", m.name())).collect();
        println!("- {label}: {}", parts.join(", "));
    };
    pl("leadroute jit / native Rust (time)", &div(&jit, &native));
    let laid_out = med("leadroute jit, lead laid out for the policy");
    if let Some(flat) = &laid_out {
        pl("leadroute jit, lead laid out for the policy / native Rust (time)", &div(flat, &native));
        pl("leadroute interp / leadroute jit, lead laid out (time)", &div(&interp, flat));
    }
    pl("leadroute interp / leadroute jit (time)", &div(&interp, &jit));
    if let Some((f, names)) = &fastest {
        pl(&format!("fastest peer / leadroute jit (time; fastest: {})", names.join(" / ")), &div(f, &jit));
    }
    if let Some(c) = &cedar {
        pl("Cedar (request + is_authorized) / leadroute jit (time)", &div(c, &jit));
    }
    if let Some(c) = &cedar_only {
        pl("Cedar (is_authorized only) / leadroute jit (time)", &div(c, &jit));
    }
    println!("\n## Targets\n");
    println!("{}", ratio_line("JIT within 2× of native, from a generic `Lead`", &div(&jit, &native), |v| v <= 2.0, "jit / native ≤ 2"));
    println!("{}", ratio_line("JIT ≥ 5× faster than interp, from a generic `Lead`", &div(&interp, &jit), |v| v >= 5.0, "interp / jit ≥ 5"));
    if let Some(flat) = &laid_out {
        println!("{}", ratio_line("JIT within 2× of native, lead laid out for the policy", &div(flat, &native), |v| v <= 2.0, "jit flat / native ≤ 2"));
        println!("{}", ratio_line("JIT ≥ 5× faster than interp, lead laid out for the policy", &div(&interp, flat), |v| v >= 5.0, "interp / jit flat ≥ 5"));
    }
    match &fastest {
        Some((f, _)) => println!(
            "{}",
            ratio_line("JIT ≥ 3× faster than the fastest peer", &div(f, &jit), |v| v >= 3.0, "fastest peer / jit ≥ 3")
        ),
        None => println!("- JIT ≥ 3× faster than the fastest peer: n/a (run with `--features peers`)"),
    }
    match &cedar {
        Some(c) => println!(
            "{}",
            ratio_line("JIT ≥ 20× faster than Cedar", &div(c, &jit), |v| v >= 20.0, "Cedar request + is_authorized / jit ≥ 20")
        ),
        None => println!("- JIT ≥ 20× faster than Cedar: n/a (run with `--features cedar` or `peers`)"),
    }
    if let (Some(serde), Some(text)) = (med(SERDE_NATIVE), med(JIT_TEXT)) {
        println!(
            "{}",
            ratio_line("JSON text → decision within 1.25× of serde typed struct + native `match`", &div(&text, &serde), |v| v <= 1.25, "jit from text / serde + native ≤ 1.25")
        );
    }
    if let (Some(text), Some(itext)) = (med(JIT_TEXT), med(INTERP_TEXT)) {
        println!("{}", ratio_line("JIT ≥ 2× faster than interp, from JSON text", &div(&itext, &text), |v| v >= 2.0, "interp from text / jit from text ≥ 2"));
    }
    if let Some(r) = rows.iter().find(|r| r.engine == COMPACT) {
        let parts: Vec<String> = Mix::ALL.iter().zip(&r.stats).map(|(m, s)| format!("{} {} ns, {:.1} allocs", m.name(), ns(s.median), s.allocs)).collect();
        let met = if r.stats.iter().all(|s| s.median < 150.0 && s.allocs <= 2.0) { "MET" } else { "MISSED" };
        println!("- Full decide < 150 ns and ≤ 2 allocations (`decide_compact`, 200 rules): {} — **{met}**", parts.join(", "));
    }
    if let Some(l) = loads.iter().find(|l| l.engine == "leadroute jit") {
        let met = if l.load_ms < 20.0 { "MET" } else { "MISSED" };
        println!("- Compile 200 rules < 20 ms (text → check → lower → JIT-compiled policy): {:.2} ms — **{met}**", l.load_ms);
        match l.rss {
            Some(b) => {
                let met = if b < 2.0 * 1024.0 * 1024.0 { "MET" } else { "MISSED" };
                println!(
                    "- Loaded policy < 2 MB (resident, JIT policy incl. {code_bytes} bytes of code): {} — **{met}**",
                    bytes(Some(b))
                );
            }
            None => println!("- Loaded policy < 2 MB: n/a (no /proc/self/statm)"),
        }
    }
}
