//! leadroute against native Rust and peer rule engines on one 200-rule table.
//!
//! `cargo bench -p leadroute-bench --features peers` (without features: the
//! leadroute and native rows only). Prints a complete Markdown report
//! (command, machine and load, decision times, load times and memory,
//! ratios, targets; see `peers/report.rs`) to paste into
//! `docs/performance.md`. Each peer runs in its flat and its nested
//! (idiomatic) encoding; ratios use its faster one. Cedar is a reference.
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
use leadroute_bench::native::{route_native, SchemaLead};
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

#[path = "peers/report.rs"]
mod report;

use report::{report, Kind, LoadRow, Row, Run, Stats, BATCHES, COMPACT, COPIES, INTERP_TEXT, JIT_TEXT, SERDE_NATIVE, SERDE_SCHEMA};

/// 2026-11-24T15:00:00Z, the decision time (no rule reads the clock).
const NOW_MS: i64 = 1_795_100_400_000;
const SEED: u64 = 20_261_124;

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
        kind: Kind,
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
        Some(Row { engine: engine.into(), timed: timed_region.into(), kind, stats })
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


fn main() {
    let n = env_usize("LEADROUTE_BENCH_LEADS", 10_000);
    let budget = Duration::from_millis(env_usize("LEADROUTE_BENCH_BUDGET_MS", 1500) as u64);
    let started = Instant::now();
    let load_at_start = report::load_avg();
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
        Kind::Ours,
        |s| s.native.clone(),
        route_native,
        route_native,
    ));
    rows.extend(mixes.run(
        SERDE_NATIVE,
        "`serde_json::from_str::<NativeLead>(text)` (derived `Deserialize`: `id` and `email` skipped, three `String`s allocated) + `route_native`",
        Kind::Ours,
        |s| s.json.clone(),
        |j| serde_json::from_str(j).map_or(usize::MAX, |l| route_native(&l)),
        |j| serde_json::from_str(j).map_or(usize::MAX, |l| route_native(&l)),
    ));
    let schema_native = |j: &String| serde_json::from_str::<SchemaLead>(j).map_or(usize::MAX, |l| route_native(&l.into_native()));
    rows.extend(mixes.run(
        SERDE_SCHEMA,
        "`serde_json::from_str::<SchemaLead>(text)` (derived `Deserialize` of all eight fields, `id` and `email` included: five `String`s allocated) + `route_native`",
        Kind::Ours,
        |s| s.json.clone(),
        schema_native,
        schema_native,
    ));
    for (lr, name) in [(&jit, JIT_TEXT), (&interp, INTERP_TEXT)] {
        let reader = std::cell::RefCell::new(LeadReader::new());
        rows.extend(mixes.run(
            name,
            "`LeadReader::read(&policy, text)` (validates every field as `Lead::from_json_str` does, into a reused `Lead`; the flat record filled in the same pass) + `Policy::select_read` + destination lookup",
            Kind::Ours,
            |s| s.json.clone(),
            |j| lr.select_text(&mut reader.borrow_mut(), j, NOW_MS) as usize,
            |j| lr.select_text(&mut reader.borrow_mut(), j, NOW_MS) as usize,
        ));
    }
    for (lr, name) in [(&jit, "leadroute jit"), (&interp, "leadroute interp")] {
        rows.extend(mixes.run(
            name,
            "`Policy::select(&Lead, now)` + (route, rule) → destination table lookup; `Lead` validated before timing",
            Kind::Ours,
            |s| lr.leads(s),
            |l| lr.select(l, NOW_MS) as usize,
            |l| lr.select(l, NOW_MS) as usize,
        ));
    }
    rows.extend(mixes.run(
        "leadroute jit, lead laid out for the policy",
        "`Policy::select_flat(&FlatLead, now)` + destination lookup; the `FlatLead` (the policy's typed record, the analogue of `NativeLead`) built with `Policy::flat_lead` before timing",
        Kind::Ours,
        |s| jit.flat_leads(s),
        |l| jit.select_flat(l, NOW_MS) as usize,
        |l| jit.select_flat(l, NOW_MS) as usize,
    ));
    rows.extend(mixes.run(
        "leadroute jit: laying the lead out flat (part of the row above)",
        "`Policy::flatten_probe(&Lead)`: the flat record the compiled code reads (strings interned, numbers and enums as words), built from the `Lead`",
        Kind::Ours,
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
        Kind::Ours,
        |s| jit.leads(s),
        |l| name_of(&jit.policy.decide(l, &state, &moment, false)),
        |l| jit.policy.decide(l, &state, &moment, false).outcome as usize,
    ));
    rows.extend(mixes.run(
        COMPACT,
        "`Policy::decide_compact(&Lead, &State, &Moment, false, None)`: the same decision as the row above (rule, team strategy, rep availability, SLA due time, exceptions), its names left as indices into the policy until it is written",
        Kind::Ours,
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
        Kind::Ours,
        |s| s.json.clone(),
        |j| pipeline(j, true),
        |j| pipeline(j, false),
    ));

    peers(&t, &mixes, &mut rows, &mut loads, &mut keep);
    let run = Run {
        leads: n,
        budget,
        only: mixes.only.clone(),
        load_at_start,
        load_at_end: report::load_avg(),
        wall: started.elapsed(),
        cpu: report::cpu_time(),
    };
    report(&t, &run, &rows, &loads, code_bytes);
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
            Kind::Reference,
            |s| s.native.clone(),
            |l| cedar.decide(l),
            |l| cedar.decide(l),
        ));
        rows.extend(mixes.run(
            "Cedar (is_authorized only)",
            "`Authorizer::is_authorized` on a prebuilt `Request`, lowest satisfied `@rule` index",
            Kind::Reference,
            |s| s.native.iter().map(|l| cedar.request(l)).collect(),
            |r| cedar.decide_request(r),
            |r| cedar.decide_request(r),
        ));
    }
    #[cfg(feature = "datalogic")]
    {
        use leadroute_bench::jsonlogic::{compile, jsonlogic_nested, jsonlogic_rule, JsonLogic};
        let engine = datalogic_rs::Engine::new();
        let nested = jsonlogic_nested(t).unwrap_or_else(|e| panic!("{e}")).to_string();
        let flat = jsonlogic_rule(t).to_string();
        for (encoding, text, shape) in [
            ("nested (idiomatic)", &nested, "`if` on country/state, then score, then source, then band thresholds"),
            ("flat 206-rule chain", &flat, "one `if` chain, every rule re-testing territory, tier, source and band"),
        ] {
            let rss = rss_per_copy(keep, || JsonLogic::new(text).expect("compiles"));
            let ms = median_ms(10, || compile(&engine, text).expect("compiles"));
            loads.push(LoadRow {
                engine: format!("datalogic-rs {}, {encoding}", env!("BENCH_DATALOGIC_VERSION")),
                load_ms: ms,
                detail: format!("`Engine::compile`: {shape} ({} KiB of JSON)", text.len().div_ceil(1024)),
                rss,
            });
            let logic = std::cell::RefCell::new(JsonLogic::new(text).unwrap_or_else(|e| panic!("{e}")));
            rows.extend(mixes.run(
                &format!("datalogic-rs, {encoding}, `ParsedData` input"),
                &format!("`Engine::evaluate` of the compiled rule ({shape}) on a lead pre-parsed to `ParsedData` (arena reset per call)"),
                Kind::Peer("datalogic-rs"),
                |s| s.json.iter().map(|j| JsonLogic::parse(j)).collect(),
                |p| logic.borrow_mut().decide_parsed(p),
                |p| logic.borrow_mut().decide_parsed(p),
            ));
            rows.extend(mixes.run(
                &format!("datalogic-rs, {encoding}, `serde_json::Value` input"),
                "the same on a pre-parsed `serde_json::Value` (converted into the arena per call)",
                Kind::Peer("datalogic-rs"),
                |s| s.json.iter().map(|j| serde_json::from_str::<serde_json::Value>(j).expect("valid JSON")).collect(),
                |v| logic.borrow_mut().decide_value(v),
                |v| logic.borrow_mut().decide_value(v),
            ));
        }
    }
    #[cfg(feature = "zen")]
    {
        use leadroute_bench::zen::{jdm_graph, jdm_nested, load, Zen};
        let nested = jdm_nested(t).unwrap_or_else(|e| panic!("{e}")).to_string();
        let flat = jdm_graph(t).to_string();
        for (encoding, text, shape) in [
            (
                "nested graph (idiomatic)",
                &nested,
                "a `segment` decision table (overrides, territory × tier), a switch node on it, one small first-hit table per territory and tier (source, head count)",
            ),
            ("flat 207-row decision table", &flat, "one first-hit decision table over all rules and the fallback"),
        ] {
            let rss = rss_per_copy(keep, || load(text).expect("loads"));
            let ms = median_ms(10, || load(text).expect("loads"));
            loads.push(LoadRow {
                engine: format!("zen-engine {}, {encoding}", env!("BENCH_ZEN_VERSION")),
                load_ms: ms,
                detail: format!("JDM JSON → `GraphContent`, `compile()` (expressions, table indexes), `Decision`: {shape}"),
                rss,
            });
            let zen = Zen::new(text).unwrap_or_else(|e| panic!("{e}"));
            rows.extend(mixes.run(
                &format!("ZEN, {encoding}"),
                &format!("`pollster::block_on(Decision::evaluate(input))` on a pre-built `Variable`, then reading `dest`; {shape}"),
                Kind::Peer("ZEN"),
                |s| s.json.iter().map(|j| Zen::input(j)).collect(),
                |v| zen.decide(v),
                |v| zen.decide(v),
            ));
        }
    }
}
