//! Routing speed: `decide` with the interpreter on the bundled example and on
//! a generated 200-rule policy, and the whole JSON-in/JSON-out pipeline.
//!
//! `cargo bench --bench route` (set LEADROUTE_BENCH_LEADS to change the
//! end-to-end batch; default 1,000,000). Targets (issue 4): `decide` under
//! 1 µs on the 200-rule policy; end to end at least 500,000 leads/s on one core.

#[path = "gen.rs"]
mod gen;
#[path = "../compiler/benches/large_policy.rs"]
mod large_policy;

use std::io::Write;
use std::time::{Duration, Instant};

use leadroute_runtime::{Backend, Engine, Lead, LeadOptions, Policy, State};

fn compile(name: &str, text: &str) -> Policy {
    let mut set = leadroute_compiler::SourceSet::new();
    set.add(leadroute_compiler::SourceFile::new(name, text));
    let checked = leadroute_compiler::check(&set);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let ir = leadroute_compiler::lower::lower(&set, &checked).expect("lowers");
    Policy::from_ir(ir).expect("loads")
}

/// ns per `select` (which rule fires, no rep state) over batches of leads.
fn time_select(policy: &Policy, leads: &[Lead], now: i64) -> (f64, f64) {
    let mut per_batch = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(1) || per_batch.len() < 20 {
        let t = Instant::now();
        for lead in leads {
            std::hint::black_box(policy.select(lead, now));
        }
        per_batch.push(t.elapsed().as_nanos() as f64 / leads.len() as f64);
    }
    per_batch.sort_by(f64::total_cmp);
    (percentile(&per_batch, 0.5), percentile(&per_batch, 0.99))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p) as usize]
}

/// ns per decide over batches of the given leads (no commit: the state stays as given).
fn time_decide(policy: &Policy, state: &State, leads: &[Lead], now: i64) -> (f64, f64) {
    let moment = policy.at(now);
    let mut per_batch = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(2) || per_batch.len() < 20 {
        let t = Instant::now();
        for lead in leads {
            std::hint::black_box(policy.decide(lead, state, &moment, false));
        }
        per_batch.push(t.elapsed().as_nanos() as f64 / leads.len() as f64);
    }
    per_batch.sort_by(f64::total_cmp);
    (percentile(&per_batch, 0.5), percentile(&per_batch, 0.99))
}

fn parse_leads(policy: &Policy, lines: &[String]) -> Vec<Lead> {
    lines
        .iter()
        .filter_map(|l| Lead::from_json(policy.ir(), &serde_json::from_str(l).ok()?, LeadOptions::default()).ok())
        .collect()
}

fn main() {
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time");
    let now_at = leadroute_runtime::timestamp_from_ms(now).expect("a time in range");

    // 1. The bundled example policy and lead file.
    let example = compile("inbound.route", include_str!("../examples/inbound.route"));
    let (state, _) = State::from_json(example.ir(), include_str!("../examples/state.json")).expect("state");
    let lines: Vec<String> = include_str!("../examples/leads.ndjson").lines().map(String::from).collect();
    let leads = parse_leads(&example, &lines);
    let (med, p99) = time_decide(&example, &state, &leads, now);
    println!("decide, examples/inbound.route ({} valid leads): median {med:.0} ns, p99 {p99:.0} ns", leads.len());
    for backend in [Backend::Jit, Backend::Interp] {
        let p = Policy::from_ir_with(example.ir().clone(), backend).expect("loads");
        let (med, p99) = time_select(&p, &leads, now);
        println!("select, examples/inbound.route, {backend}: median {med:.1} ns, p99 {p99:.1} ns");
    }

    // 2. The generated 200-rule policy, two mixes.
    let text = gen::policy_200();
    let t = Instant::now();
    let big = compile("bench.route", &text);
    let compile_ms = t.elapsed().as_secs_f64() * 1e3;
    let rules: usize = big.ir().routes.iter().map(|r| r.rules.len()).sum();
    println!("200-rule policy: {rules} rules, {} territories; check + lower + load {compile_ms:.1} ms", big.ir().territories.len());
    let bstate = State::new(big.ir());
    let mut by_backend = Vec::new();
    for backend in [Backend::Jit, Backend::Interp] {
        let t = Instant::now();
        let p = Policy::from_ir_with(big.ir().clone(), backend).expect("loads");
        println!("200-rule policy, backend {backend}: load {:.2} ms, {} bytes of code", t.elapsed().as_secs_f64() * 1e3, p.code_bytes());
        by_backend.push((backend, p));
    }
    for (mix, spread) in [("matches spread across rules", true), ("mostly fallback", false)] {
        let leads = parse_leads(&big, &gen::leads_200(10_000, spread, 7));
        let mut selects = Vec::new();
        for (backend, p) in &by_backend {
            let (med, p99) = time_decide(p, &bstate, &leads, now);
            println!("decide, 200 rules, {mix}, {backend}: median {med:.0} ns, p99 {p99:.0} ns  (target < 1000 ns) {}", if med < 1000.0 { "met" } else { "MISSED" });
            let (smed, sp99) = time_select(p, &leads, now);
            println!("select, 200 rules, {mix}, {backend}: median {smed:.1} ns, p99 {sp99:.1} ns");
            selects.push(smed);
        }
        println!("select, {mix}: the interpreter takes {:.1}x the JIT's time", selects[1] / selects[0]);
    }

    // 2b. Compiling a large policy: code and time must grow with the rules, not rules × territories.
    for lines in [10_000, 50_000] {
        let ir = compile("big.route", &large_policy::generate(lines)).ir().clone();
        let rules: usize = ir.routes.iter().map(|r| r.rules.len()).sum();
        let t = Instant::now();
        let p = Policy::from_ir_with(ir.clone(), Backend::Jit).expect("compiles");
        println!(
            "{lines}-line policy ({} territories, {rules} rules): JIT compile {:.1} ms, {} bytes of code",
            ir.territories.len(),
            t.elapsed().as_secs_f64() * 1e3,
            p.code_bytes()
        );
    }

    // 3. End to end in process: JSON line in, validate, decide, commit, JSON line out.
    let n: usize = std::env::var("LEADROUTE_BENCH_LEADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let base = gen::leads_200(10_000, true, 11);
    let mut engine = Engine::new(big.clone());
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::sink());
    let t = Instant::now();
    for i in 0..n {
        let d = engine.route_str(&base[i % base.len()], now_at);
        serde_json::to_writer(&mut out, &d).expect("write");
        out.write_all(b"\n").expect("write");
    }
    let secs = t.elapsed().as_secs_f64();
    let rate = n as f64 / secs;
    println!(
        "end to end (JSON in, JSON out, in process), {n} leads: {secs:.2} s, {rate:.0} leads/s  (target >= 500000) {}",
        if rate >= 500_000.0 { "met" } else { "MISSED" }
    );

    // 4. The real command line on a file of the same leads, when a release build exists.
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/leadroute");
    if bin.exists() {
        let dir = std::env::temp_dir().join(format!("leadroute-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp");
        let policy_path = dir.join("bench.route");
        std::fs::write(&policy_path, &text).expect("write policy");
        let leads_path = dir.join("leads.ndjson");
        let mut f = std::io::BufWriter::new(std::fs::File::create(&leads_path).expect("create"));
        for i in 0..n {
            writeln!(f, "{}", base[i % base.len()]).expect("write");
        }
        drop(f);
        let t = Instant::now();
        let status = std::process::Command::new(&bin)
            .args(["route", policy_path.to_str().unwrap_or_default(), "--leads", leads_path.to_str().unwrap_or_default(), "--now", "2026-11-24T15:00:00Z"])
            .stdout(std::fs::File::create(dir.join("out.ndjson")).expect("create"))
            .status()
            .expect("run leadroute");
        let secs = t.elapsed().as_secs_f64();
        println!("command line `leadroute route` on {n} leads (file to file): {secs:.2} s, {:.0} leads/s, exit {status}", n as f64 / secs);
        // `leadroute diff --leads`: the same log replayed through two versions.
        let changed = dir.join("bench2.route");
        std::fs::write(&changed, text.replace("tier warm when score >= 50", "tier warm when score >= 45")).expect("write policy");
        let t = Instant::now();
        let status = std::process::Command::new(&bin)
            .args(["diff", policy_path.to_str().unwrap_or_default(), changed.to_str().unwrap_or_default(), "--leads", leads_path.to_str().unwrap_or_default(), "--now", "2026-11-24T15:00:00Z"])
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run leadroute diff");
        let secs = t.elapsed().as_secs_f64();
        println!("command line `leadroute diff --leads` on {n} leads: {secs:.2} s  (target < 5 s) {}, exit {status}", if secs < 5.0 { "met" } else { "MISSED" });
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        println!("(build with `cargo build --release` to also time the command line)");
    }
}
