//! `leadroute test`: run a policy's inline tests, or compare the decisions
//! for a lead file with a stored snapshot.

use std::io::Write;
use std::path::{Path, PathBuf};

use leadroute_runtime::ir::{Expectation, PolicyIr, TestDef};
use leadroute_runtime::{BreachResult, Decision, Engine, Lead, LeadOptions, Outcome, Policy, State};

use crate::cli::{RunFormat, TestArgs};
use crate::policy_src;

/// The decision time of a test that gives no `now`: Monday 5 January 2026,
/// 15:00 UTC (10:00 in New York), so tests never depend on the day they run.
pub const DEFAULT_TEST_NOW: &str = "2026-01-05T15:00:00Z";

/// Runs the command and returns the exit status (1 when a test fails).
pub fn run(args: &TestArgs) -> u8 {
    let ir = match policy_src::load(&args.policy) {
        Ok(ir) => ir,
        Err(f) => return f.status,
    };
    let policy = match policy_src::ready(ir.clone(), args.backend) {
        Ok(p) => p,
        Err(f) => return f.status,
    };
    match &args.snapshot {
        Some(leads) => snapshot(args, &policy, leads),
        None => inline(args, &ir, &policy),
    }
}

/// One inline test's result.
struct Outcome_ {
    test: TestDef,
    failures: Vec<String>,
    decision: Option<Decision>,
}

fn run_test(policy: &Policy, t: &TestDef) -> Outcome_ {
    let mut failures = Vec::new();
    let state = match State::with_overrides(policy.ir(), &t.state) {
        Ok(s) => s,
        Err(e) => return Outcome_ { test: t.clone(), failures: vec![format!("bad rep state: {e}")], decision: None },
    };
    let now = leadroute_runtime::parse_time(t.now.as_deref().unwrap_or(DEFAULT_TEST_NOW)).unwrap_or(0);
    let lead = match Lead::from_json(policy.ir(), &t.lead, LeadOptions::default()) {
        Ok(l) => l,
        Err(errors) => {
            let msgs = errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ");
            return Outcome_ { test: t.clone(), failures: vec![format!("the test lead is invalid: {msgs}")], decision: None };
        }
    };
    let d = policy.decide_with(&lead, &state, &policy.at(now), true, t.prior.as_ref());
    failures.extend(unmet(&d, &t.expect, ""));
    for b in &t.breach {
        // The decided lead is committed, then nobody contacts it for `after`.
        let mut after = state.clone();
        policy.commit(&mut after, &d);
        let holders: Vec<&str> = d.rep.iter().map(String::as_str).collect();
        let at = policy.at(now.saturating_add(b.after_ms));
        let prefix = format!("after {} breach: ", leadroute_compiler::fmt::duration_text(b.after_ms));
        match policy.breach(&lead, &d, &holders, &after, &at, false) {
            BreachResult::Moved(moved) => failures.extend(unmet(&moved, &b.expect, &prefix)),
            BreachResult::Notify(text) => failures.push(format!("{prefix}the lead stays; the handler only notifies {text:?}")),
            BreachResult::Unhandled => failures.push(format!("{prefix}no `on sla_breach` handler covers tier {}", d.tier.as_deref().unwrap_or("none"))),
        }
    }
    Outcome_ { test: t.clone(), failures, decision: Some(d) }
}

/// The expectations a decision does not meet, one message each.
fn unmet(d: &Decision, expect: &[Expectation], prefix: &str) -> Vec<String> {
    let got = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    let mut failures = Vec::new();
    for e in expect {
        let (ok, what, want, have) = match e {
            Expectation::Team(n) => (d.team.as_ref() == Some(n), "team", n.clone(), got(&d.team)),
            Expectation::Rep(n) => (d.rep.as_ref() == Some(n), "rep", n.clone(), got(&d.rep)),
            Expectation::Queue(n) => (d.queue.as_ref() == Some(n), "queue", n.clone(), got(&d.queue)),
            Expectation::Tier(n) => (d.tier.as_ref() == Some(n), "tier", n.clone(), got(&d.tier)),
            Expectation::Territory(n) => (got(&d.territory) == *n, "territory", n.clone(), got(&d.territory)),
            Expectation::Route(n) => (d.route.as_ref() == Some(n), "route", n.clone(), got(&d.route)),
            Expectation::Assigned => (d.outcome == Outcome::Assigned, "outcome", "assigned".into(), d.outcome.as_str().into()),
            Expectation::Queued => (d.outcome == Outcome::Queued, "outcome", "queued".into(), d.outcome.as_str().into()),
            Expectation::Dropped => (d.outcome == Outcome::Dropped, "outcome", "dropped".into(), d.outcome.as_str().into()),
        };
        if !ok {
            failures.push(format!("{prefix}expected {what} {want}, got {what} {have}"));
        }
    }
    failures
}

fn inline(args: &TestArgs, ir: &PolicyIr, policy: &Policy) -> u8 {
    let results: Vec<Outcome_> = ir.tests.iter().map(|t| run_test(policy, t)).collect();
    let failed = results.iter().filter(|r| !r.failures.is_empty()).count();
    let mut out = String::new();
    match args.format {
        RunFormat::Json => {
            for r in &results {
                let line = serde_json::json!({
                    "test": r.test.name,
                    "location": r.test.loc.to_string(),
                    "passed": r.failures.is_empty(),
                    "failures": r.failures,
                    "decision": r.decision,
                });
                out.push_str(&line.to_string());
                out.push('\n');
            }
        }
        RunFormat::Human => {
            for r in &results {
                let verdict = if r.failures.is_empty() { "ok" } else { "FAILED" };
                out.push_str(&format!("test {:?} ... {verdict}\n", r.test.name));
            }
            if failed > 0 {
                out.push_str("\nfailures:\n");
                for r in results.iter().filter(|r| !r.failures.is_empty()) {
                    out.push_str(&format!("\n---- {:?} at {}\n", r.test.name, r.test.loc));
                    for f in &r.failures {
                        out.push_str(&format!("  {f}\n"));
                    }
                    if let Some(d) = &r.decision {
                        for line in d.to_human().lines() {
                            out.push_str(&format!("  | {line}\n"));
                        }
                    }
                }
            }
            let verdict = if failed == 0 { "ok" } else { "FAILED" };
            out.push_str(&format!("\ntest result: {verdict}. {} passed; {failed} failed\n", results.len() - failed));
        }
    }
    if args.coverage {
        let cov = coverage(ir, &results);
        match args.format {
            RunFormat::Json => out.push_str(&(serde_json::json!({ "coverage": cov.json() }).to_string() + "\n")),
            RunFormat::Human => out.push_str(&cov.human()),
        }
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    u8::from(failed > 0)
}

/// What the inline tests exercised, by kind: what is counted, and (name,
/// reached) for each thing of that kind the policy declares, in policy order.
struct Coverage {
    kinds: Vec<CoverageKind>,
}

/// A kind's name, what it counts, and each declared thing with whether a test reached it.
type CoverageKind = (&'static str, &'static str, Vec<(String, bool)>);

impl Coverage {
    fn json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for (kind, _, items) in &self.kinds {
            let covered: Vec<&str> = items.iter().filter(|i| i.1).map(|i| i.0.as_str()).collect();
            let missed: Vec<&str> = items.iter().filter(|i| !i.1).map(|i| i.0.as_str()).collect();
            m.insert(kind.to_string(), serde_json::json!({ "covered": covered, "missed": missed }));
        }
        serde_json::Value::Object(m)
    }

    fn human(&self) -> String {
        let mut out = String::from("\ncoverage:\n");
        for (kind, what, items) in &self.kinds {
            let hit = items.iter().filter(|i| i.1).count();
            out.push_str(&format!("  {kind:<12} {hit:>3}/{:<3} {what}", items.len()));
            let missed: Vec<&str> = items.iter().filter(|i| !i.1).map(|i| i.0.as_str()).collect();
            if !missed.is_empty() {
                out.push_str(&format!("; not reached by any test: {}", missed.join(", ")));
            }
            out.push('\n');
        }
        out
    }
}

/// Tiers decided, territories matched, rules whose condition held, and
/// handlers that ran, over every test's traced decision.
fn coverage(ir: &PolicyIr, results: &[Outcome_]) -> Coverage {
    use std::collections::BTreeSet;
    let mut tiers = BTreeSet::new();
    let mut territories = BTreeSet::new();
    let mut no_territory = false;
    let mut rules = BTreeSet::new();
    let mut handlers = BTreeSet::new();
    for d in results.iter().filter_map(|r| r.decision.as_ref()) {
        tiers.extend(d.tier.clone());
        territories.extend(d.territory.clone());
        territories.extend(d.territories.iter().cloned());
        no_territory |= d.territory.is_none() && d.territories.is_empty();
        for e in &d.exceptions {
            if let Some(h) = e.handled_by.strip_prefix("on ") {
                handlers.insert(h.split(" -> ").next().unwrap_or(h).to_string());
            }
        }
        let mut route = ir.routes.get(ir.entry as usize).map(|r| r.name.clone()).unwrap_or_default();
        for step in d.trace.iter().flatten() {
            match step.step {
                "route" => route = step.name.clone(),
                "rule" if step.result != serde_json::Value::Bool(false) => {
                    // A rule name is an identifier; `#` marks an unnamed rule's label, which names its route.
                    rules.insert(if step.name.contains('#') { step.name.clone() } else { format!("{route}/{}", step.name) });
                }
                "territory" if step.result == serde_json::Value::Bool(true) => {
                    territories.insert(step.name.clone());
                }
                _ => {}
            }
        }
    }
    let h = &ir.handlers;
    let mut all_handlers: Vec<String> = [("ambiguous_territory", &h.ambiguous_territory), ("no_available_rep", &h.no_available_rep), ("over_capacity", &h.over_capacity), ("no_match", &h.no_match)]
        .iter()
        .filter(|(_, a)| a.is_some())
        .map(|(n, _)| n.to_string())
        .collect();
    all_handlers.extend(h.missing.iter().map(|m| format!("missing({})", ir.fields[m.field as usize].name)));
    // `route/name` for a named rule; an unnamed one's label already names its route (`partners#2`).
    let rule_key = |r: &leadroute_runtime::ir::RouteDef, i: usize| match &r.rules[i].name {
        Some(n) => format!("{}/{n}", r.name),
        None => r.rule_label(i),
    };
    let all_rules: Vec<String> = ir.routes.iter().flat_map(|r| (0..r.rules.len()).map(move |i| rule_key(r, i))).collect();
    let mark = |names: Vec<String>, hit: &BTreeSet<String>| names.into_iter().map(|n| { let h = hit.contains(&n); (n, h) }).collect();
    Coverage {
        kinds: vec![
            ("tiers", "declared tiers a test lead got", mark(ir.tiers.iter().map(|t| t.name.clone()).collect(), &tiers)),
            ("territories", "declared territories a test lead matched", mark(ir.territories.iter().map(|t| t.name.clone()).collect(), &territories)),
            ("no_territory", "a test lead in no territory", vec![("none".to_string(), no_territory)]),
            ("rules", "route rules whose condition held for a test lead", mark(all_rules, &rules)),
            ("handlers", "declared handlers a test ran", mark(all_handlers, &handlers)),
        ],
    }
}

/// `leads.ndjson` -> `leads.decisions.ndjson`.
pub fn snapshot_path(leads: &Path) -> PathBuf {
    let stem = leads.file_stem().map_or_else(|| "leads".into(), |s| s.to_string_lossy().into_owned());
    leads.with_file_name(format!("{stem}.decisions.ndjson"))
}

/// A decision as stored in a snapshot: without the policy version (every
/// change to the policy changes it) and without a trace.
fn stored(d: &Decision) -> serde_json::Value {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("policy_version");
        o.remove("trace");
    }
    v
}

fn snapshot(args: &TestArgs, policy: &Policy, leads: &Path) -> u8 {
    let path = snapshot_path(leads);
    let old_text = std::fs::read_to_string(&path).ok();
    let mut old_lines = old_text.as_deref().unwrap_or("").lines();
    let header: Option<serde_json::Value> = old_lines.next().and_then(|l| serde_json::from_str(l).ok());
    let stored_now = header.as_ref().and_then(|h| h["snapshot"]["now"].as_str().map(String::from));
    let now_text = args.now.clone().or(stored_now).unwrap_or_else(|| DEFAULT_TEST_NOW.to_string());
    let Ok(now) = policy_src::now_at(Some(&now_text)) else { return 2 };
    let state = match &args.state {
        None => State::new(policy.ir()),
        Some(p) => match std::fs::read_to_string(p).map_err(|e| e.to_string()).and_then(|t| State::from_json(policy.ir(), &t).map_err(|e| e.to_string())) {
            Ok((s, _)) => s,
            Err(e) => {
                eprintln!("leadroute: cannot use state `{}`: {e}", p.display());
                return 2;
            }
        },
    };
    let text = match std::fs::read_to_string(leads) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("leadroute: cannot read `{}`: {e}", leads.display());
            return 2;
        }
    };
    let mut engine = Engine::with_state(policy.clone(), state);
    let mut new: Vec<serde_json::Value> = Vec::new();
    let mut line_of: Vec<usize> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        new.push(stored(&engine.route_str(line.trim(), now)));
        line_of.push(n + 1);
    }
    if args.update {
        let mut body = serde_json::json!({ "snapshot": { "leads": leads.display().to_string(), "now": now_text } }).to_string();
        body.push('\n');
        for d in &new {
            body.push_str(&d.to_string());
            body.push('\n');
        }
        if let Err(e) = std::fs::write(&path, body) {
            eprintln!("leadroute: cannot write `{}`: {e}", path.display());
            return 2;
        }
        println!("wrote {} decisions to {}", new.len(), path.display());
        return 0;
    }
    if old_text.is_none() {
        eprintln!("leadroute: no snapshot at `{}`; run again with --update to record one", path.display());
        return 1;
    }
    let old: Vec<serde_json::Value> = old_lines.filter(|l| !l.trim().is_empty()).map(|l| serde_json::from_str(l).unwrap_or_default()).collect();
    let mut changed = 0;
    let mut out = String::new();
    for i in 0..old.len().max(new.len()) {
        let (a, b) = (old.get(i), new.get(i));
        if a == b {
            continue;
        }
        changed += 1;
        let id = b.or(a).and_then(|d| d["lead_id"].as_str()).unwrap_or("?");
        let line = line_of.get(i).map_or_else(|| "past the end of the lead file".to_string(), |l| format!("line {l}"));
        out.push_str(&format!("lead {} ({line}):\n", if id.is_empty() { "?" } else { id }));
        match (a, b) {
            (Some(a), Some(b)) => out.push_str(&diff(a, b)),
            (None, Some(_)) => out.push_str("  new lead, not in the snapshot\n"),
            (Some(_), None) => out.push_str("  in the snapshot, no longer in the lead file\n"),
            (None, None) => {}
        }
    }
    out.push_str(&format!(
        "\nsnapshot {}: {} of {} decisions {}\n",
        path.display(),
        changed,
        new.len(),
        if changed == 0 { "changed: ok" } else { "changed (run with --update to accept)" }
    ));
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    u8::from(changed > 0)
}

/// The fields that differ, one per line: `  queue: manager_review -> (none)`.
fn diff(a: &serde_json::Value, b: &serde_json::Value) -> String {
    let mut keys: Vec<&String> = a.as_object().into_iter().flat_map(|o| o.keys()).collect();
    keys.extend(b.as_object().into_iter().flat_map(|o| o.keys()));
    keys.sort();
    keys.dedup();
    let show = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => "(none)".to_string(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    let mut out = String::new();
    for k in keys {
        let (x, y) = (a.get(k), b.get(k));
        if x != y {
            out.push_str(&format!("  {k}: {} -> {}\n", show(x), show(y)));
        }
    }
    out
}
