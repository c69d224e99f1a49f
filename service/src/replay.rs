//! Offline verification: re-decide every decision of an audit log with the
//! runtime, in commit order, from the start state, applying rep changes and
//! releases as they happened, and report every decision that differs.

use std::collections::BTreeMap;
use std::io::BufRead;

use leadroute_runtime::ir::PolicyIr;
use leadroute_runtime::{Backend, BreachResult, Decision, Lead, LeadOptions, ManualAssignment, ManualTarget, Outcome, Policy, Seen, State};

use crate::state::Named;

/// A decision the replay made differently.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Difference {
    /// The entry's `seq`.
    pub seq: i64,
    /// The lead.
    pub lead_id: String,
    /// The stored decision's fields that differ, with the stored value.
    pub stored: serde_json::Value,
    /// The same fields as the replay decided them.
    pub replayed: serde_json::Value,
}

/// What a replay found.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    /// Entries read.
    pub entries: usize,
    /// Decisions re-decided.
    pub decisions: usize,
    /// Decisions that came out the same.
    pub same: usize,
    /// Rejections seen (not decided).
    pub rejections: usize,
    /// Rep changes and releases applied.
    pub state_events: usize,
    /// Policy versions activated.
    pub activations: usize,
    /// Every decision that differs.
    pub differences: Vec<Difference>,
    /// Problems with the log itself (gaps in `seq`, unknown versions).
    pub problems: Vec<String>,
}

/// The replay's moving parts: the loaded versions, the active one, and the state.
struct Replayer {
    versions: BTreeMap<String, Policy>,
    current: Option<String>,
    named: Named,
    state: Option<State>,
    /// Every decided lead by duplicate key, and where each lead is now.
    recent: Seen,
}

impl Replayer {
    fn policy(&self, version: &str) -> Option<&Policy> {
        self.versions.get(version)
    }

    /// The runtime state for `version`, switching from the current one if needed.
    fn switch_to(&mut self, version: &str) -> bool {
        if self.current.as_deref() == Some(version) && self.state.is_some() {
            return true;
        }
        self.flush();
        let Some(p) = self.versions.get(version) else { return false };
        self.state = Some(self.named.to_state(p.ir()));
        self.current = Some(version.to_string());
        true
    }

    /// Writes the current state back by name.
    fn flush(&mut self) {
        if let (Some(v), Some(state)) = (&self.current, &self.state) {
            if let Some(p) = self.versions.get(v) {
                let ir = p.ir();
                self.named.take_all(ir, state);
            }
        }
        self.state = None;
    }

    fn load(&mut self, ir: PolicyIr) -> Result<(), String> {
        if let std::collections::btree_map::Entry::Vacant(slot) = self.versions.entry(ir.policy_version.clone()) {
            slot.insert(Policy::from_ir_with(ir, Backend::Interp).map_err(|e| e.to_string())?);
        }
        Ok(())
    }

    /// Sets a state file's content as the named state (read against `version`'s reps).
    fn seed(&mut self, version: &str, state_json: &str) -> Result<(), String> {
        let p = self.versions.get(version).ok_or_else(|| format!("state for unknown version `{version}`"))?;
        let ir = p.ir();
        let (state, _) = State::from_json(ir, state_json).map_err(|e| e.to_string())?;
        let mut named = Named::default();
        named.take_all(ir, &state);
        self.named = named;
        self.state = None;
        self.current = None;
        Ok(())
    }

    /// Changes one rep by name (a release or an operator's change).
    fn change_rep(&mut self, rep: &str, f: impl FnOnce(&mut leadroute_runtime::RepState)) {
        self.flush();
        let s = self.named.reps.entry(rep.to_string()).or_default();
        f(s);
    }
}

/// A stored decision's fields as a runtime decision: what breaches and
/// overrides read of a lead's latest decision (outcome, rep, team, queue,
/// tier, territory, rule, SLA due).
pub fn decision_from_json(v: &serde_json::Value, version: &str) -> Decision {
    let s = |k: &str| v[k].as_str().map(str::to_string);
    let mut d = Decision::rejected(s("lead_id").unwrap_or_default(), Vec::new(), version);
    d.outcome = match v["outcome"].as_str() {
        Some("assigned") => Outcome::Assigned,
        Some("queued") => Outcome::Queued,
        Some("dropped") => Outcome::Dropped,
        _ => Outcome::Rejected,
    };
    d.rep = s("rep");
    d.team = s("team");
    d.queue = s("queue");
    d.tier = s("tier");
    d.territory = s("territory");
    d.rule = s("rule");
    d.sla_due = s("sla_due");
    d.queue_sla_due = s("queue_sla_due");
    d
}

fn compare(stored: &serde_json::Value, replayed: &serde_json::Value) -> Option<(serde_json::Value, serde_json::Value)> {
    let (Some(a), Some(b)) = (stored.as_object(), replayed.as_object()) else {
        return (stored != replayed).then(|| (stored.clone(), replayed.clone()));
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).filter(|k| *k != "trace").collect();
    keys.sort();
    keys.dedup();
    let mut sa = serde_json::Map::new();
    let mut sb = serde_json::Map::new();
    for k in keys {
        let (x, y) = (a.get(k).cloned().unwrap_or_default(), b.get(k).cloned().unwrap_or_default());
        if x != y {
            sa.insert(k.clone(), x);
            sb.insert(k.clone(), y);
        }
    }
    (!sa.is_empty()).then_some((serde_json::Value::Object(sa), serde_json::Value::Object(sb)))
}

/// Replays `log` (NDJSON audit entries, as `GET /v1/audit` gives them).
/// `start_state` is a state file's text, applied before the first entry
/// (a `state_seeded` entry in the log replaces it, as it did in the service);
/// `policies` are versions the log does not carry.
pub fn replay(log: impl BufRead, start_state: Option<&str>, policies: Vec<PolicyIr>) -> Result<Report, String> {
    let mut r = Replayer { versions: BTreeMap::new(), current: None, named: Named::default(), state: None, recent: Seen::default() };
    for ir in policies {
        r.load(ir)?;
    }
    let mut report = Report::default();
    let mut pending_start = start_state.map(str::to_string);
    let mut last_seq: Option<i64> = None;
    for (n, line) in log.lines().enumerate() {
        let line = line.map_err(|e| format!("reading the audit log failed at line {}: {e}", n + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let e: serde_json::Value = serde_json::from_str(&line).map_err(|err| format!("line {}: not an audit entry: {err}", n + 1))?;
        report.entries += 1;
        let seq = e["seq"].as_i64().unwrap_or(-1);
        if let Some(prev) = last_seq {
            if seq != prev + 1 {
                report.problems.push(format!("line {}: seq jumps from {prev} to {seq}; replay needs the whole log (GET /v1/audit without kind=)", n + 1));
            }
        }
        last_seq = Some(seq);
        let str_of = |k: &str| e[k].as_str().unwrap_or_default().to_string();
        match e["kind"].as_str().unwrap_or_default() {
            "policy_activated" => {
                report.activations += 1;
                let version = str_of("version");
                if !e["ir"].is_null() {
                    let ir: PolicyIr = serde_json::from_value(e["ir"].clone()).map_err(|err| format!("seq {seq}: the activated IR does not read: {err}"))?;
                    r.load(ir)?;
                }
                if r.policy(&version).is_none() {
                    report.problems.push(format!("seq {seq}: version `{version}` is activated but neither the log nor --policy carries it"));
                    continue;
                }
                if let Some(start) = pending_start.take() {
                    r.seed(&version, &start)?;
                }
                r.switch_to(&version);
            }
            // The candidate may decide leads (canary): the log carries its IR.
            "rollout_started" if !e["ir"].is_null() => {
                let ir: PolicyIr = serde_json::from_value(e["ir"].clone()).map_err(|err| format!("seq {seq}: the candidate's IR does not read: {err}"))?;
                r.load(ir)?;
            }
            "state_seeded" => {
                pending_start = None;
                let version = str_of("version");
                r.seed(&version, &e["state"].to_string())?;
            }
            "decision" => {
                report.decisions += 1;
                let version = str_of("version");
                if !r.switch_to(&version) {
                    report.problems.push(format!("seq {seq}: decided by version `{version}`, which the log does not carry; give it with --policy"));
                    continue;
                }
                let (Some(policy), Some(state)) = (r.versions.get(&version), r.state.as_mut()) else { continue };
                let at = e["at"].as_i64().unwrap_or_default();
                let lead = Lead::from_json(policy.ir(), &e["lead"], LeadOptions::default());
                let again = match lead {
                    Ok(lead) => {
                        // Duplicates are re-derived from the log's own earlier decisions, not read from the entry.
                        let key = policy.duplicate_key(&lead);
                        let prior = key.as_deref().and_then(|k| r.recent.prior(policy, k, at, &lead.id));
                        let d = policy.decide_with(&lead, state, &policy.at(at), false, prior.as_ref());
                        policy.commit(state, &d);
                        r.recent.decided(key.as_deref(), at, &d);
                        serde_json::to_value(&d).unwrap_or_default()
                    }
                    Err(errors) => serde_json::json!({ "outcome": "rejected", "errors": errors }),
                };
                match compare(&e["decision"], &again) {
                    None => report.same += 1,
                    Some((stored, replayed)) => report.differences.push(Difference { seq, lead_id: str_of("lead_id"), stored, replayed }),
                }
            }
            "override" | "reprocessed" | "sla_breach" => {
                report.decisions += 1;
                let version = str_of("version");
                if !r.switch_to(&version) {
                    report.problems.push(format!("seq {seq}: made under version `{version}`, which the log does not carry; give it with --policy"));
                    continue;
                }
                let (Some(policy), Some(state)) = (r.versions.get(&version), r.state.as_mut()) else { continue };
                let at = e["at"].as_i64().unwrap_or_default();
                let moment = policy.at(at);
                let previous = decision_from_json(&e["previous"], &version);
                let lead = match Lead::from_json(policy.ir(), &e["lead"], LeadOptions::default()) {
                    Ok(l) => l,
                    Err(errors) => {
                        report.problems.push(format!("seq {seq}: the lead does not read: {errors:?}"));
                        continue;
                    }
                };
                // The move is decided before the previous rep's load is freed, then committed.
                let (again, stored) = match e["kind"].as_str().unwrap_or_default() {
                    "override" => {
                        let note = e["decision"]["rule"].as_str().unwrap_or_default().to_string();
                        let target = match (e["target"]["rep"].as_str(), e["target"]["team"].as_str()) {
                            (Some(rep), _) => ManualTarget::Rep(rep),
                            (None, Some(team)) => ManualTarget::Team(team),
                            _ => ManualTarget::Rep(""),
                        };
                        let force = e["force"].as_bool().unwrap_or(false);
                        match policy.assign_manually(&lead, &previous, ManualAssignment { target, force, note: &note }, state, &moment) {
                            Ok(d) => (Some(d), e["decision"].clone()),
                            Err(err) => {
                                report.differences.push(Difference { seq, lead_id: str_of("lead_id"), stored: e["decision"].clone(), replayed: serde_json::json!({ "error": err.to_string() }) });
                                continue;
                            }
                        }
                    }
                    "reprocessed" => (Some(policy.decide(&lead, state, &moment, false)), e["decision"].clone()),
                    _ => {
                        let holders: Vec<String> = serde_json::from_value(e["holders"].clone()).unwrap_or_default();
                        let holders: Vec<&str> = holders.iter().map(String::as_str).collect();
                        match policy.breach(&lead, &previous, &holders, state, &moment, false) {
                            BreachResult::Moved(d) => (Some(d), e["result"]["moved"].clone()),
                            BreachResult::Notify(text) => {
                                let same = e["result"]["notify"].as_str() == Some(text.as_str());
                                if same { report.same += 1 } else {
                                    report.differences.push(Difference { seq, lead_id: str_of("lead_id"), stored: e["result"].clone(), replayed: serde_json::json!({ "notify": text }) });
                                }
                                continue;
                            }
                            BreachResult::Unhandled => {
                                if e["result"]["unhandled"] == true { report.same += 1 } else {
                                    report.differences.push(Difference { seq, lead_id: str_of("lead_id"), stored: e["result"].clone(), replayed: serde_json::json!({ "unhandled": true }) });
                                }
                                continue;
                            }
                        }
                    }
                };
                let Some(d) = again else { continue };
                if let Some(freed) = e["freed"].as_str() {
                    if let Some(i) = policy.ir().reps.iter().position(|x| x.id == freed) {
                        state.reps[i].open_load = state.reps[i].open_load.saturating_sub(1);
                    }
                }
                policy.commit(state, &d);
                r.recent.moved(&d);
                match compare(&stored, &serde_json::to_value(&d).unwrap_or_default()) {
                    None => report.same += 1,
                    Some((stored, replayed)) => report.differences.push(Difference { seq, lead_id: str_of("lead_id"), stored, replayed }),
                }
            }
            "rejection" => report.rejections += 1,
            "released" => {
                if let Some(rep) = e["rep"].as_str() {
                    report.state_events += 1;
                    r.change_rep(rep, |s| s.open_load = s.open_load.saturating_sub(1));
                }
            }
            "rep_changed" => {
                report.state_events += 1;
                let after = e["after"].clone();
                let cap = |k: &str| after[k].as_u64().and_then(|v| u32::try_from(v).ok());
                let (active, ooo, max_open, max_per_day) = (
                    after["active"].as_bool().unwrap_or(true),
                    after["out_of_office_until"].as_str().and_then(leadroute_runtime::parse_time),
                    cap("max_open"),
                    cap("max_per_day"),
                );
                r.change_rep(&str_of("rep"), |s| {
                    s.active = active;
                    s.out_of_office_until = ooo;
                    s.max_open = max_open;
                    s.max_per_day = max_per_day;
                });
            }
            _ => {}
        }
    }
    Ok(report)
}

impl Report {
    /// A readable summary, then each difference.
    pub fn to_human(&self) -> String {
        let mut out = format!(
            "{} entries: {} decisions re-decided, {} the same, {} different; {} rejections, {} rep changes and releases, {} activations\n",
            self.entries,
            self.decisions,
            self.same,
            self.differences.len(),
            self.rejections,
            self.state_events,
            self.activations
        );
        for p in &self.problems {
            out.push_str(&format!("problem: {p}\n"));
        }
        for d in &self.differences {
            out.push_str(&format!("seq {} lead `{}`: stored {} but the replay decides {}\n", d.seq, d.lead_id, d.stored, d.replayed));
        }
        out
    }
}
