//! The Markdown report of the peer benchmark: what ran and where, decision
//! times (leadroute, peers in each encoding, references), load, ratios and
//! targets. Everything it prints comes from the run, so the report can be
//! pasted as is.

use std::time::Duration;

use leadroute_bench::leads::Mix;
use leadroute_bench::table::{Table, DESTS, TERRITORIES};

/// Batches timed per engine and mix.
pub const BATCHES: usize = 100;
/// Copies loaded to measure the resident memory of one loaded policy.
pub const COPIES: usize = 100;

/// Median and p99 of ns per decision over batches.
#[derive(Debug, Clone, Copy)]
pub struct Stats {
    /// Median ns per decision.
    pub median: f64,
    /// 99th percentile ns per decision.
    pub p99: f64,
    /// Leads per batch (the whole set, or fewer for slow engines).
    pub batch_len: usize,
    /// Allocations per decision.
    pub allocs: f64,
}

/// What a row is compared as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// leadroute or the native baseline.
    Ours,
    /// A peer rule engine (its name), in one of its encodings.
    Peer(&'static str),
    /// Timed for reference, not compared as a peer (Cedar).
    Reference,
}

/// One engine's results on both mixes.
pub struct Row {
    /// The row's label: engine, encoding, input form.
    pub engine: String,
    /// What the timed region holds.
    pub timed: String,
    /// What it is compared as.
    pub kind: Kind,
    /// Per mix, in [`Mix::ALL`] order.
    pub stats: Vec<Stats>,
}

/// One engine's load figures.
pub struct LoadRow {
    /// Engine and encoding.
    pub engine: String,
    /// Median ms from policy text to ready to decide.
    pub load_ms: f64,
    /// What the load step does.
    pub detail: String,
    /// Resident bytes per loaded policy.
    pub rss: Option<f64>,
}

/// How the run was made.
pub struct Run {
    /// Leads per mix.
    pub leads: usize,
    /// Time budget per engine and mix.
    pub budget: Duration,
    /// `LEADROUTE_BENCH_ONLY` words (empty: every engine).
    pub only: Vec<String>,
    /// `/proc/loadavg` when the run started and when it ended.
    pub load_at_start: Option<String>,
    /// See `load_at_start`.
    pub load_at_end: Option<String>,
    /// Wall time of the run.
    pub wall: Duration,
    /// CPU time of the process (`/proc/self/schedstat`).
    pub cpu: Option<Duration>,
}

/// The 1, 5 and 15 minute load averages.
pub fn load_avg() -> Option<String> {
    let l = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// CPU time of this process so far (`/proc/self/schedstat`, nanoseconds on CPU, all threads).
pub fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/self/schedstat").ok()?;
    Some(Duration::from_nanos(s.split_whitespace().next()?.parse().ok()?))
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

/// The features this bench was built with, as `--features` would take them.
fn features() -> Vec<&'static str> {
    let all = [("cedar", cfg!(feature = "cedar")), ("datalogic", cfg!(feature = "datalogic")), ("zen", cfg!(feature = "zen"))];
    all.iter().filter(|(_, on)| *on).map(|(f, _)| *f).collect()
}

/// The command that reproduces this report.
fn command(run: &Run) -> String {
    let mut env = Vec::new();
    if run.leads != 10_000 {
        env.push(format!("LEADROUTE_BENCH_LEADS={}", run.leads));
    }
    if run.budget != Duration::from_millis(1500) {
        env.push(format!("LEADROUTE_BENCH_BUDGET_MS={}", run.budget.as_millis()));
    }
    if !run.only.is_empty() {
        env.push(format!("LEADROUTE_BENCH_ONLY='{}'", run.only.join(",")));
    }
    let features = match features().as_slice() {
        [] => String::new(),
        ["cedar", "datalogic", "zen"] => " --features peers".into(),
        f => format!(" --features {}", f.join(",")),
    };
    let env = if env.is_empty() { String::new() } else { format!("{} ", env.join(" ")) };
    format!("{env}cargo bench -p leadroute-bench --bench peers{features} > report.md")
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

/// A ratio per mix, and whether `ok` holds for all.
fn ratio_line(label: &str, values: &[f64], ok: impl Fn(f64) -> bool, target: &str) -> String {
    let parts: Vec<String> = Mix::ALL.iter().zip(values).map(|(m, v)| format!("{} {v:.1}×", m.name())).collect();
    let met = if values.iter().all(|&v| ok(v)) { "MET" } else { "MISSED" };
    format!("- {label} ({target}): {} — **{met}**", parts.join(", "))
}

fn print_ratios(label: &str, v: &[f64]) {
    let parts: Vec<String> = Mix::ALL.iter().zip(v).map(|(m, x)| format!("{} {x:.2}×", m.name())).collect();
    println!("- {label}: {}", parts.join(", "));
}

fn time_table(rows: &[&Row]) {
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
}

/// Per peer and mix: the median of its fastest row (encoding and input form) and that row's label.
fn best_per_peer(rows: &[Row]) -> Vec<(&'static str, Vec<(f64, &str)>)> {
    let mut peers: Vec<&'static str> = Vec::new();
    for r in rows {
        if let Kind::Peer(p) = r.kind {
            if !peers.contains(&p) {
                peers.push(p);
            }
        }
    }
    peers
        .into_iter()
        .map(|p| {
            let best = (0..Mix::ALL.len())
                .filter_map(|m| {
                    rows.iter()
                        .filter(|r| r.kind == Kind::Peer(p))
                        .min_by(|a, b| a.stats[m].median.total_cmp(&b.stats[m].median))
                        .map(|r| (r.stats[m].median, r.engine.as_str()))
                })
                .collect();
            (p, best)
        })
        .collect()
}

/// Row names the targets read.
pub const SERDE_NATIVE: &str = "serde typed struct + native `match`, from JSON text";
/// The serde row that deserializes every field of the schema, as leadroute validates them.
pub const SERDE_SCHEMA: &str = "serde typed struct of the whole schema + native `match`, from JSON text";
/// The JIT from JSON text.
pub const JIT_TEXT: &str = "leadroute jit, from JSON text";
/// The interpreter from JSON text.
pub const INTERP_TEXT: &str = "leadroute interp, from JSON text";
/// The compact full decision.
pub const COMPACT: &str = "leadroute jit, full decision, compact";

/// Prints the whole report to stdout.
pub fn report(t: &Table, run: &Run, rows: &[Row], loads: &[LoadRow], code_bytes: usize) {
    let n = run.leads;
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## Machine and command\n");
    println!("- Command: `{}`", command(run));
    println!("- CPU: {} ({cpus} logical CPUs; every engine runs on one core)", cpu_model());
    println!("- {}; release profile; sources: {}", env!("BENCH_RUSTC_VERSION"), git_version());
    println!(
        "- Load average (1, 5, 15 min) at the start: {}; at the end: {} (other processes share these cores; compare runs with similar load)",
        run.load_at_start.as_deref().unwrap_or("n/a"),
        run.load_at_end.as_deref().unwrap_or("n/a")
    );
    let cpu = run.cpu.map_or("n/a".into(), |c| format!("{:.1} s", c.as_secs_f64()));
    println!("- This run: {:.1} s wall, {cpu} CPU (`/proc/self/schedstat`)", run.wall.as_secs_f64());
    println!(
        "- Policy: {} rules + fallback, {} territories, {} destinations; {n} leads per mix, {BATCHES} batches per engine and mix after a warm-up pass, budget {} ms per engine and mix",
        t.rules.len(),
        TERRITORIES.len(),
        DESTS.len(),
        run.budget.as_millis()
    );
    println!("- Every engine, in every encoding, agreed with the native baseline on all {n} leads of both mixes before timing.\n");

    println!("## Decision time\n");
    println!("ns per decision: median and p99 over batches; decisions/s on one core = 1e9 / median.\n");
    println!("### leadroute and native Rust\n");
    time_table(&rows.iter().filter(|r| r.kind == Kind::Ours).collect::<Vec<_>>());
    let peer_rows: Vec<&Row> = rows.iter().filter(|r| matches!(r.kind, Kind::Peer(_))).collect();
    if !peer_rows.is_empty() {
        println!("\n### Peers: rule engines a team would use for this\n");
        println!(
            "Each peer in two encodings of the same table: *nested (idiomatic)*, as a competent user of that engine \
             writes it (territory and tier first, then that segment's few rules), and the *flat* one-row-per-rule \
             encoding, which re-tests territory and tier on every row. Ratios use each peer's faster encoding.\n"
        );
        time_table(&peer_rows);
    }
    let refs: Vec<&Row> = rows.iter().filter(|r| r.kind == Kind::Reference).collect();
    if !refs.is_empty() {
        println!("\n### References (not peers)\n");
        println!(
            "Cedar is an authorization engine: it evaluates every policy on every request and answers allow/deny \
             with all the reasons, not a first match, so it is not a rule engine a team would route leads with. \
             Its rows show the cost of that model on this table; no target or headline ratio uses them.\n"
        );
        time_table(&refs);
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

    ratios_and_targets(rows, loads, code_bytes);
}

fn ratios_and_targets(rows: &[Row], loads: &[LoadRow], code_bytes: usize) {
    let med = |name: &str| rows.iter().find(|r| r.engine == name).map(|r| r.stats.iter().map(|s| s.median).collect::<Vec<f64>>());
    let (Some(native), Some(jit), Some(interp)) = (med("native Rust `match`"), med("leadroute jit"), med("leadroute interp")) else {
        println!("(missing rows: no ratios)");
        return;
    };
    let div = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<f64>>();
    let peers = best_per_peer(rows);
    // The fastest peer per mix, each peer on its best encoding.
    let fastest: Option<(Vec<f64>, Vec<String>)> = (!peers.is_empty()).then(|| {
        (0..Mix::ALL.len())
            .map(|m| {
                let (median, label) = peers
                    .iter()
                    .map(|(_, best)| best[m])
                    .min_by(|a, b| a.0.total_cmp(&b.0))
                    .unwrap_or((f64::NAN, "none"));
                (median, label.to_string())
            })
            .unzip()
    });
    println!("## Ratios\n");
    println!("(per mix: spread, fallback; from the medians)\n");
    print_ratios("leadroute jit / native Rust (time)", &div(&jit, &native));
    let laid_out = med("leadroute jit, lead laid out for the policy");
    if let Some(flat) = &laid_out {
        print_ratios("leadroute jit, lead laid out for the policy / native Rust (time)", &div(flat, &native));
        print_ratios("leadroute interp / leadroute jit, lead laid out (time)", &div(&interp, flat));
    }
    print_ratios("leadroute interp / leadroute jit (time)", &div(&interp, &jit));
    for &(peer, ref best) in &peers {
        let medians: Vec<f64> = best.iter().map(|b| b.0).collect();
        let labels: Vec<&str> = best.iter().map(|b| b.1).collect();
        print_ratios(&format!("{peer}, best encoding / leadroute jit (time; best: {})", labels.join(" / ")), &div(&medians, &jit));
        // How much the encoding matters: the peer's slowest row over its fastest.
        let worst: Vec<f64> = (0..Mix::ALL.len())
            .map(|m| rows.iter().filter(|r| r.kind == Kind::Peer(peer)).map(|r| r.stats[m].median).fold(f64::NAN, f64::max))
            .collect();
        print_ratios(&format!("{peer}, slowest row / its best (time: what the encoding and input form cost)"), &div(&worst, &medians));
    }
    if let Some((f, names)) = &fastest {
        print_ratios(
            &format!("fastest peer on its best encoding / leadroute jit (time; fastest: {})", names.join(" / ")),
            &div(f, &jit),
        );
        if let Some(flat) = &laid_out {
            print_ratios("fastest peer on its best encoding / leadroute jit, lead laid out (time)", &div(f, flat));
        }
    }
    let cedar = med("Cedar (request + is_authorized)");
    if let Some(c) = &cedar {
        print_ratios("reference: Cedar (request + is_authorized) / leadroute jit (time)", &div(c, &jit));
    }
    if let Some(c) = &med("Cedar (is_authorized only)") {
        print_ratios("reference: Cedar (is_authorized only) / leadroute jit (time)", &div(c, &jit));
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
            ratio_line(
                "JIT ≥ 10× faster than the fastest peer on its best encoding, from a generic `Lead`",
                &div(f, &jit),
                |v| v >= 10.0,
                "fastest peer's best / jit ≥ 10"
            )
        ),
        None => println!("- JIT ≥ 10× faster than the fastest peer on its best encoding: n/a (run with `--features peers`)"),
    }
    if let (Some(serde), Some(text)) = (med(SERDE_NATIVE), med(JIT_TEXT)) {
        println!(
            "{}",
            ratio_line("JSON text → decision within 1.25× of serde typed struct + native `match`", &div(&text, &serde), |v| v <= 1.25, "jit from text / serde + native ≤ 1.25")
        );
    }
    if let (Some(serde), Some(text)) = (med(SERDE_SCHEMA), med(JIT_TEXT)) {
        println!(
            "{}",
            ratio_line(
                "JSON text → decision within 1.25× of serde typed struct of the whole schema + native `match` (both read all eight fields)",
                &div(&text, &serde),
                |v| v <= 1.25,
                "jit from text / serde whole schema + native ≤ 1.25"
            )
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
    if cedar.is_some() {
        println!("\nCedar is a reference, not a peer: it has no target here (see *References* above).");
    }
}
