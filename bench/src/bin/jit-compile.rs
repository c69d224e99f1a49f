//! Measures JIT compile (`Policy::from_ir_with(ir, Backend::Jit)`) of one
//! policy: CPU time of the compiling thread, wall time, peak resident growth
//! and code size, against the interpreter's load of the same IR.
//!
//! `cargo run --release -p leadroute-bench --bin jit-compile -- POLICY [REPEAT]`
//! where POLICY is `gen200` (the 200-rule policy of `benches/gen.rs`), `peers`
//! (the peer benchmark's 206-rule table), `realistic:N` (the checker
//! benchmark's policy of about N lines) or a `.route` file. Linux only: CPU
//! time comes from `/proc/thread-self/schedstat`, memory from
//! `/proc/self/status` after resetting the peak with `/proc/self/clear_refs`.
//! `gen200 REPEAT select` also times `select` with the compiled code.

#[path = "../../../benches/gen.rs"]
#[allow(dead_code)]
mod gen;

use std::time::Instant;

use leadroute_bench::route::{check_and_lower, route_source};
use leadroute_runtime::{Backend, Lead, LeadOptions, Policy};

/// CPU time this thread has run, in ns (0 where the kernel does not say).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat").ok().and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok())).unwrap_or(0)
}

/// A `/proc/self/status` line's value in KiB (0 if absent).
fn status_kib(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(key).and_then(|rest| rest.trim_start_matches(':').split_whitespace().next().and_then(|n| n.parse().ok())))
        .unwrap_or(0)
}

/// Resets the peak resident size to the current one (Linux ≥ 4.0).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The text of the policy `spec` names.
fn source(spec: &str) -> Result<String, String> {
    if spec == "gen200" {
        return Ok(gen::policy_200());
    }
    if spec == "peers" {
        return Ok(route_source(&leadroute_bench::table::table()));
    }
    if let Some(n) = spec.strip_prefix("realistic:") {
        let n: usize = n.replace('_', "").parse().map_err(|_| format!("bad line count `{n}`"))?;
        return leadroute_bench::policies::generate("realistic", n, true).ok_or_else(|| "no realistic generator".to_string());
    }
    std::fs::read_to_string(spec).map_err(|e| format!("reading `{spec}`: {e}"))
}

/// One load: (wall ms, thread CPU ms, policy).
fn load(ir: &leadroute_runtime::ir::PolicyIr, backend: Backend) -> Result<(f64, f64, Policy), String> {
    let ir = ir.clone();
    let (cpu, t) = (thread_cpu_ns(), Instant::now());
    let p = Policy::from_ir_with(ir, backend).map_err(|e| e.to_string())?;
    Ok((t.elapsed().as_secs_f64() * 1e3, (thread_cpu_ns() - cpu) as f64 / 1e6, p))
}

/// The middle value (0 for none).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Selects every lead once; a checksum of the outcomes.
#[inline(never)]
fn select_all(p: &Policy, leads: &[Lead], now: i64) -> u64 {
    leads.iter().map(|l| u64::from(std::hint::black_box(p.select(l, now)).tier.unwrap_or(7))).sum()
}

/// ns per `select` with the compiled code, median of passes over the 200-rule policy's leads.
fn time_select(p: &Policy) -> f64 {
    let leads: Vec<Lead> = gen::leads_200(10_000, true, 7).iter().filter_map(|t| Lead::from_json_str(p.ir(), t, LeadOptions::default()).ok()).collect();
    let now = leadroute_runtime::parse_time("2026-11-24T15:00:00Z").unwrap_or(0);
    let passes: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(select_all(p, &leads, now));
            t.elapsed().as_secs_f64() * 1e9 / leads.len().max(1) as f64
        })
        .collect();
    median(passes)
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec = args.first().ok_or("usage: jit-compile POLICY [REPEAT]  (POLICY: gen200, peers, realistic:N or a file)")?;
    let repeat: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let text = source(spec)?;
    let t = Instant::now();
    let ir = check_and_lower(&text)?;
    let front = t.elapsed().as_secs_f64() * 1e3;
    let rules: usize = ir.routes.iter().map(|r| r.rules.len()).sum();
    println!("{spec}: {} lines, {} territories, {} routes, {rules} rules; check + lower {front:.1} ms", text.lines().count(), ir.territories.len(), ir.routes.len());

    // Memory first, on the first compile of the process.
    reset_peak();
    let before = status_kib("VmRSS");
    let (wall, cpu, p) = load(&ir, Backend::Jit)?;
    let peak = status_kib("VmHWM").saturating_sub(before);
    let kept = status_kib("VmRSS").saturating_sub(before);
    println!("first JIT load: {wall:.2} ms wall, {cpu:.2} ms CPU; peak resident +{:.1} MiB, kept +{:.1} MiB; {} bytes of code", peak as f64 / 1024.0, kept as f64 / 1024.0, p.code_bytes());
    drop(p);

    // The kernel updates a thread's CPU time at scheduler ticks, so it is
    // read once around all the repeats of a backend, not per load.
    let timed = |backend: Backend| -> Result<(f64, f64), String> {
        let (mut walls, cpu) = (Vec::new(), thread_cpu_ns());
        for _ in 0..repeat {
            let (w, _, p) = load(&ir, backend)?;
            drop(p);
            walls.push(w);
        }
        Ok((median(walls), (thread_cpu_ns() - cpu) as f64 / 1e6 / repeat as f64))
    };
    let (jw, jc) = timed(Backend::Jit)?;
    let (iw, ic) = timed(Backend::Interp)?;
    println!("{repeat} loads: JIT {jc:.2} ms CPU each (median wall {jw:.2} ms); interpreter {ic:.2} ms CPU (median wall {iw:.2} ms); JIT compile alone {:.2} ms CPU", jc - ic);
    if spec == "gen200" && args.iter().any(|a| a == "select") {
        let (_, _, p) = load(&ir, Backend::Jit)?;
        println!("select with the JIT: {:.1} ns per lead (median of 15 passes over 10,000 leads)", time_select(&p));
    }
    let load_avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average: {}", load_avg.split_whitespace().take(3).collect::<Vec<_>>().join(" "));
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("jit-compile: {e}");
        std::process::exit(1);
    }
}
