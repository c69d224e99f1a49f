//! The simulation's answers as numbers: the JSON summary for CI and the
//! readable tables, one column per policy.

use std::collections::BTreeMap;

use leadroute_runtime::Policy;
use serde_json::{json, Value};

use super::model::{duration_text, Model};
use super::sim::{GroupStats, Sim};

/// One simulated policy: where it came from, the policy, what it measured.
#[derive(Debug)]
pub struct Run {
    /// The policy path as given.
    pub file: String,
    /// The loaded policy.
    pub policy: Policy,
    /// The measurements.
    pub sim: Sim,
}

impl Run {
    /// How reports name this run: the policy's name, or the file's stem when
    /// both policies of a comparison have the same name.
    pub fn label(&self, runs: &[Run]) -> String {
        let name = &self.policy.ir().name;
        if runs.iter().filter(|r| &r.policy.ir().name == name).count() > 1 {
            std::path::Path::new(&self.file).file_stem().map_or(self.file.clone(), |s| s.to_string_lossy().into_owned())
        } else {
            name.clone()
        }
    }
}

/// What every run shares: the inputs and the model.
#[derive(Debug)]
pub struct Context {
    /// The lead log as given.
    pub leads_file: String,
    /// How arrival times were found (`field created_at`, `rate 12/h from ...`).
    pub arrivals: String,
    /// Leads simulated.
    pub leads: usize,
    /// Lines skipped, with why.
    pub skipped: Vec<String>,
    /// The seed.
    pub seed: u64,
    /// The response model.
    pub model: Model,
    /// The timeline bucket (ms).
    pub bucket_ms: i64,
}

/// The `p`-th percentile (nearest rank) of `values`, which it sorts.
pub fn percentile(values: &mut [i64], p: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { round3(n as f64 / of as f64) }
}

fn group_json(g: &GroupStats) -> Value {
    let mut speeds = g.speeds.clone();
    json!({
        "leads": g.leads,
        "contacted": g.contacted,
        "sla_breaches": g.breaches,
        "breach_share": share(g.breaches, g.contacted),
        "speed_to_lead_p50_ms": percentile(&mut speeds, 0.5),
        "speed_to_lead_p90_ms": percentile(&mut speeds, 0.9),
    })
}

/// Total tier SLA breaches and contacted leads of a run.
pub fn breaches(sim: &Sim) -> (usize, usize) {
    sim.tiers.iter().fold((0, 0), |(b, c), g| (b + g.breaches, c + g.contacted))
}

/// The JSON of one run.
pub fn run_json(run: &Run) -> Value {
    let (ir, sim) = (run.policy.ir(), &run.sim);
    let window_ms = (sim.window.1 - sim.window.0).max(1) as f64;
    let reps: BTreeMap<&str, Value> = ir
        .reps
        .iter()
        .zip(&sim.reps)
        .zip(&sim.state.reps)
        .map(|((d, r), end)| {
            let mut responses = r.responses.clone();
            (d.id.as_str(), json!({
                "assigned": r.assigned,
                "start_load": r.start_load,
                "peak_load": r.peak_load,
                "mean_load": round3(r.load_ms / window_ms),
                "end_load": end.open_load,
                "max_open": r.cap_open,
                "time_at_cap_share": round3(r.cap_ms as f64 / window_ms),
                "peak_day": r.peak_day,
                "max_per_day": r.cap_day,
                "response_p50_ms": percentile(&mut responses, 0.5),
                "response_p90_ms": percentile(&mut responses, 0.9),
                "sla_breaches": r.breaches,
            }))
        })
        .collect();
    let named = |names: Vec<&str>, groups: &[GroupStats]| -> BTreeMap<String, Value> {
        names.into_iter().zip(groups).map(|(n, g)| (n.to_string(), group_json(g))).collect()
    };
    let teams = named(ir.teams.iter().map(|t| t.name.as_str()).collect(), &sim.teams);
    let tiers = named(ir.tiers.iter().map(|t| t.name.as_str()).collect(), &sim.tiers);
    let mut queues = named(ir.queues.iter().map(|q| q.name.as_str()).collect(), &sim.queues);
    for (q, g) in queues.values_mut().zip(&sim.queues) {
        q["peak_depth"] = json!(g.peak_depth);
    }
    let mut days: BTreeMap<String, [u32; 4]> = BTreeMap::new();
    for b in &sim.buckets {
        let day = leadroute_runtime::state::format_time(b.start).chars().take(10).collect::<String>();
        let e = days.entry(day).or_default();
        for (i, n) in b.outcomes.iter().enumerate() {
            e[i] += n;
        }
    }
    let days: BTreeMap<String, Value> = days
        .into_iter()
        .filter(|(_, n)| n.iter().any(|x| *x > 0))
        .map(|(d, n)| (d, json!({ "assigned": n[0], "queued": n[1], "dropped": n[2], "rejected": n[3] })))
        .collect();
    let (breached, contacted) = breaches(sim);
    let mut speeds = sim.speeds.clone();
    json!({
        "file": run.file,
        "name": ir.name,
        "version": run.policy.version(),
        "outcomes": sim.outcomes,
        "sla_breaches": breached,
        "contacted": contacted,
        "breach_share": share(breached, contacted),
        "speed_to_lead_p50_ms": percentile(&mut speeds, 0.5),
        "speed_to_lead_p90_ms": percentile(&mut speeds, 0.9),
        "tiers": tiers,
        "teams": teams,
        "reps": reps,
        "queues": queues,
        "days_utc": days,
    })
}

/// The whole JSON summary.
pub fn json(runs: &[Run], ctx: &Context) -> Value {
    let window = runs.first().map(|r| r.sim.window).unwrap_or_default();
    let time = leadroute_runtime::state::format_time;
    json!({ "simulation": {
        "leads_file": ctx.leads_file,
        "arrivals": ctx.arrivals,
        "leads": ctx.leads,
        "skipped_lines": ctx.skipped.len(),
        "seed": ctx.seed,
        "response_model": ctx.model.json(),
        "bucket": duration_text(ctx.bucket_ms),
        "from": time(window.0),
        "to": time(window.1),
        "policies": runs.iter().map(run_json).collect::<Vec<_>>(),
    }})
}

fn ms_text(ms: Option<i64>) -> String {
    ms.map_or("-".into(), duration_text)
}

fn pct_text(n: usize, of: usize) -> String {
    if of == 0 { format!("{n}") } else { format!("{n} ({:.1}%)", 100.0 * n as f64 / of as f64) }
}

/// Readable tables: the headline side by side, then each policy's reps and queues.
pub fn human(runs: &[Run], ctx: &Context) -> String {
    let mut out = String::new();
    let window = runs.first().map(|r| r.sim.window).unwrap_or_default();
    let day = |ms: i64| leadroute_runtime::state::format_time(ms).chars().take(16).collect::<String>();
    out.push_str(&format!(
        "simulated {} leads from {} (arrivals: {}), {} .. {} UTC, seed {}, {} response times\n",
        ctx.leads, ctx.leads_file, ctx.arrivals, day(window.0), day(window.1.saturating_sub(86_400_000)), ctx.seed, ctx.model.distribution.as_str()
    ));
    if !ctx.skipped.is_empty() {
        out.push_str(&format!("{} line(s) skipped (see standard error)\n", ctx.skipped.len()));
    }
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |name: &str, f: &dyn Fn(&Run) -> String| rows.push((name.to_string(), runs.iter().map(f).collect()));
    row("policy", &|r| r.label(runs));
    for o in ["assigned", "queued", "dropped", "rejected"] {
        row(o, &|r| pct_text(r.sim.outcomes.get(o).copied().unwrap_or(0), ctx.leads));
    }
    row("SLA breaches", &|r| {
        let (b, c) = breaches(&r.sim);
        pct_text(b, c)
    });
    row("speed to lead p50 / p90", &|r| {
        let mut s = r.sim.speeds.clone();
        format!("{} / {}", ms_text(percentile(&mut s, 0.5)), ms_text(percentile(&mut s, 0.9)))
    });
    let mut tiers: Vec<String> = Vec::new();
    for r in runs {
        for t in &r.policy.ir().tiers {
            if !tiers.contains(&t.name) {
                tiers.push(t.name.clone());
            }
        }
    }
    for t in &tiers {
        row(&format!("tier {t}: breaches"), &|r| {
            r.policy.ir().tiers.iter().position(|x| &x.name == t).map_or("-".into(), |i| pct_text(r.sim.tiers[i].breaches, r.sim.tiers[i].contacted))
        });
    }
    let width = rows.iter().map(|(n, _)| n.len()).max().unwrap_or(0) + 2;
    for (name, cells) in rows {
        // Padded by hand: `{:<width$}` panics on widths of 65,535 and more.
        out.push_str(&name);
        out.extend(std::iter::repeat_n(' ', width.saturating_sub(name.chars().count())));
        for c in cells {
            out.push_str(&format!("{c:>22}"));
        }
        out.push('\n');
    }
    for r in runs {
        let ir = r.policy.ir();
        let window_ms = (r.sim.window.1 - r.sim.window.0).max(1) as f64;
        out.push_str(&format!("\nreps ({}, {}):\n", ir.name, r.file));
        out.push_str(&format!(
            "  {:<14} {:>6} {:>6} {:>6} {:>6} {:>7} {:>8} {:>9} {:>9} {:>9}\n",
            "rep", "leads", "start", "peak", "cap", "at cap", "peak/day", "resp p50", "resp p90", "breaches"
        ));
        for (d, s) in ir.reps.iter().zip(&r.sim.reps) {
            let mut resp = s.responses.clone();
            out.push_str(&format!(
                "  {:<14} {:>6} {:>6} {:>6} {:>6} {:>6.1}% {:>8} {:>9} {:>9} {:>9}\n",
                d.id,
                s.assigned,
                s.start_load,
                s.peak_load,
                s.cap_open.map_or("-".into(), |c| c.to_string()),
                100.0 * s.cap_ms as f64 / window_ms,
                s.peak_day,
                ms_text(percentile(&mut resp, 0.5)),
                ms_text(percentile(&mut resp, 0.9)),
                s.breaches
            ));
        }
        if r.sim.queues.iter().any(|q| q.leads > 0) {
            out.push_str(&format!("queues ({}):\n", ir.name));
            out.push_str(&format!("  {:<20} {:>6} {:>6} {:>9} {:>9}\n", "queue", "leads", "peak", "wait p50", "breaches"));
            for (d, q) in ir.queues.iter().zip(&r.sim.queues).filter(|(_, q)| q.leads > 0) {
                let mut w = q.speeds.clone();
                out.push_str(&format!("  {:<20} {:>6} {:>6} {:>9} {:>9}\n", d.name, q.leads, q.peak_depth, ms_text(percentile(&mut w, 0.5)), q.breaches));
            }
        }
    }
    out
}
