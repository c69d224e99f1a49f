//! `leadroute diff`: what changed between two versions of a policy, which
//! example leads it affects, and, replaying a lead log through both, how many
//! leads change destination.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use leadroute_compiler::diff::{changes, Change};
use leadroute_runtime::{Decision, Lead, LeadOptions, Outcome, Policy, State};

use crate::cli::{ChangeLevel, DiffArgs, RunFormat};
use crate::policy_src;

/// Where a decision sent the lead, down to the rep: `team ae_west (rep bob)`,
/// `rep victor`, `queue review`, `dropped`, `rejected`.
fn destination(d: &Decision) -> String {
    d.full_destination()
}

#[derive(Default)]
struct Transition {
    count: usize,
    samples: Vec<String>,
}

/// Runs the command: 0, or 1 when `--fail-on-change` is exceeded or a policy has errors; 2 for bad input.
pub fn run(args: &DiffArgs) -> u8 {
    if args.fail_on_change.is_some() && args.leads.is_none() {
        eprintln!("leadroute: --fail-on-change needs a lead log to replay: add --leads LOG.ndjson");
        return 2;
    }
    let (old_ir, old_examples) = match policy_src::load_with_examples(std::slice::from_ref(&args.old)) {
        Ok(x) => x,
        Err(f) => return f.status,
    };
    let (new_ir, new_examples) = match policy_src::load_with_examples(std::slice::from_ref(&args.new)) {
        Ok(x) => x,
        Err(f) => return f.status,
    };
    let (old, new) = match (policy_src::ready(old_ir.clone(), None), policy_src::ready(new_ir.clone(), None)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(f), _) | (_, Err(f)) => return f.status,
    };
    let now = match policy_src::now(Some(args.now.as_deref().unwrap_or(crate::test_cmd::DEFAULT_TEST_NOW))) {
        Ok(n) => n,
        Err(f) => return f.status,
    };
    let load_state = |p: &Policy| -> Result<State, u8> {
        match &args.state {
            None => Ok(State::new(p.ir())),
            Some(path) => std::fs::read_to_string(path).map_err(|e| e.to_string()).and_then(|t| State::from_json(p.ir(), &t).map(|(s, _)| s).map_err(|e| e.to_string())).map_err(|e| {
                eprintln!("leadroute: cannot use state `{}`: {e}", path.display());
                2
            }),
        }
    };
    let old_state = match load_state(&old) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let new_state = match load_state(&new) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let changes = changes(&old_ir, &new_ir);

    // Example leads from both versions' analyses whose destination changes.
    // They are synthetic (their times are 2026-01-05T15:00:00Z), so they are
    // decided at that time, with everyone available as in the given state.
    let example_now = leadroute_runtime::parse_time(crate::test_cmd::DEFAULT_TEST_NOW).unwrap_or(now);
    let mut examples: Vec<(serde_json::Value, String, String)> = Vec::new();
    for lead in old_examples.iter().chain(&new_examples) {
        let a = decide_value(&old, &old_state, lead, example_now);
        let b = decide_value(&new, &new_state, lead, example_now);
        let (da, db) = (destination(&a), destination(&b));
        if da != db && !examples.iter().any(|(l, _, _)| l == lead) {
            examples.push((lead.clone(), da, db));
        }
    }

    // Shadow replay: each version with its own copy of the state, committed in order.
    let replay = match &args.leads {
        None => None,
        Some(path) => match replay(path, &old, &new, old_state, new_state, now) {
            Ok(r) => Some(r),
            Err(e) => {
                eprintln!("leadroute: {e}");
                return 2;
            }
        },
    };
    if let Some(r) = &replay {
        let summary = r.rejected_summary(args.leads.as_deref().unwrap_or(std::path::Path::new("-")));
        if r.leads > 0 && r.rejected == r.leads {
            eprintln!("leadroute: {summary}");
            eprintln!("leadroute: no line of the lead log could be read as a lead: it must be newline-delimited JSON, one lead object per line");
            return 2;
        }
    }

    let text = match args.format {
        RunFormat::Json => json_report(&changes, &examples, replay.as_ref(), args).to_string() + "\n",
        RunFormat::Human => human_report(&changes, &examples, replay.as_ref(), args),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    match (&replay, args.fail_on_change) {
        (Some(r), Some(limit)) if r.share_at(args.level) > limit => {
            let what = match args.level {
                ChangeLevel::Rep => "change destination (team, rep or queue)",
                ChangeLevel::Team => "change team, queue or outcome",
            };
            eprintln!("leadroute: {:.2}% of leads {what}, above --fail-on-change {limit}% (--level {})", r.share_at(args.level), args.level.name());
            1
        }
        _ => 0,
    }
}

fn decide_value(p: &Policy, state: &State, lead: &serde_json::Value, now: i64) -> Decision {
    match Lead::from_json(p.ir(), lead, LeadOptions::default()) {
        Ok(l) => p.decide(&l, state, &p.at(now), false),
        Err(e) => Decision::rejected(Lead::id_of(lead), e, p.version()),
    }
}

struct Replay {
    leads: usize,
    /// Leads whose team, queue or outcome changes.
    team_changed: usize,
    /// Leads that stay with the same team but go to another rep of it.
    rep_moved: usize,
    transitions: BTreeMap<(String, String), Transition>,
    /// Lines both versions reject (not JSON, not a lead of either schema).
    rejected: usize,
    /// The first few of them: line number and why.
    rejected_samples: Vec<(usize, String)>,
}

/// How many rejected lines are shown with their line number and reason.
const REJECTED_SAMPLES: usize = 5;

impl Replay {
    /// Leads whose destination changes at all (team, rep or queue).
    fn changed(&self) -> usize {
        self.team_changed + self.rep_moved
    }

    fn pct(&self, n: usize) -> f64 {
        100.0 * n as f64 / self.leads.max(1) as f64
    }

    /// One line saying how many lines were rejected by both versions, with
    /// the first few by line number and why.
    fn rejected_summary(&self, path: &std::path::Path) -> String {
        let shown: Vec<String> = self.rejected_samples.iter().map(|(n, why)| format!("line {n}: {why}")).collect();
        format!(
            "{} of {} lines of `{}` were rejected by both versions (first {}: {})",
            self.rejected,
            self.leads,
            path.display(),
            shown.len(),
            shown.join("; ")
        )
    }

    /// The share of leads that change at `level`.
    fn share_at(&self, level: ChangeLevel) -> f64 {
        match level {
            ChangeLevel::Rep => self.pct(self.changed()),
            ChangeLevel::Team => self.pct(self.team_changed),
        }
    }
}

fn replay(path: &std::path::Path, old: &Policy, new: &Policy, mut os: State, mut ns: State, now: i64) -> Result<Replay, String> {
    let file: Box<dyn BufRead> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else if path.is_dir() {
        return Err(format!("cannot read `{}`: it is a folder", path.display()));
    } else {
        Box::new(std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?))
    };
    let same_schema = old.ir().fields == new.ir().fields && old.ir().enums == new.ir().enums;
    let (om, nm) = (old.at(now), new.at(now));
    let mut r = Replay { leads: 0, team_changed: 0, rep_moved: 0, transitions: BTreeMap::new(), rejected: 0, rejected_samples: Vec::new() };
    let mut file = file;
    let mut raw = Vec::new();
    let mut line_no = 0;
    loop {
        raw.clear();
        if file.read_until(b'\n', &mut raw).map_err(|e| format!("reading `{}`: {e}", path.display()))? == 0 {
            break;
        }
        line_no += 1;
        let line = crate::route_cmd::utf8_line(&raw);
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        r.leads += 1;
        let opts = LeadOptions::default();
        let (a, b) = match Lead::from_json_str(old.ir(), text, opts) {
            Ok(lead) if same_schema => (old.decide(&lead, &os, &om, false), new.decide(&lead, &ns, &nm, false)),
            first => {
                let a = match first {
                    Ok(lead) => old.decide(&lead, &os, &om, false),
                    Err((id, e)) => Decision::rejected(id, e, old.version()),
                };
                let b = match Lead::from_json_str(new.ir(), text, opts) {
                    Ok(lead) => new.decide(&lead, &ns, &nm, false),
                    Err((id, e)) => Decision::rejected(id, e, new.version()),
                };
                (a, b)
            }
        };
        if a.outcome == Outcome::Rejected && b.outcome == Outcome::Rejected {
            r.rejected += 1;
            if r.rejected_samples.len() < REJECTED_SAMPLES {
                let why = a.errors.first().map_or_else(|| "rejected".to_string(), |e| e.message.clone());
                let why: String = if why.chars().count() > 120 { why.chars().take(117).chain("...".chars()).collect() } else { why };
                r.rejected_samples.push((line_no, why));
            }
        }
        old.commit(&mut os, &a);
        new.commit(&mut ns, &b);
        if a.destination() != b.destination() {
            r.team_changed += 1;
        } else if a.rep != b.rep {
            r.rep_moved += 1;
        }
        let (da, db) = (destination(&a), destination(&b));
        let t = r.transitions.entry((da, db)).or_default();
        t.count += 1;
        if t.samples.len() < 3 {
            t.samples.push(if a.lead_id.is_empty() { format!("line {}", r.leads) } else { a.lead_id.clone() });
        }
    }
    Ok(r)
}

fn sorted_transitions(r: &Replay) -> Vec<(&(String, String), &Transition)> {
    let mut rows: Vec<_> = r.transitions.iter().collect();
    rows.sort_by(|a, b| (a.0 .0 == a.0 .1).cmp(&(b.0 .0 == b.0 .1)).then(b.1.count.cmp(&a.1.count)).then(a.0.cmp(b.0)));
    rows
}

fn human_report(changes: &[Change], examples: &[(serde_json::Value, String, String)], replay: Option<&Replay>, args: &DiffArgs) -> String {
    let mut out = format!("diff {} -> {}\n\n", args.old.display(), args.new.display());
    if changes.is_empty() {
        out.push_str("no semantic changes\n");
    } else {
        out.push_str(&format!("{} semantic change{}:\n", changes.len(), if changes.len() == 1 { "" } else { "s" }));
        for c in changes {
            out.push_str(&format!("  {} {}: {}\n", c.kind, c.name, c.what));
        }
    }
    if !examples.is_empty() {
        out.push_str(&format!("\nexample leads whose destination changes ({}):\n", examples.len()));
        for (lead, a, b) in examples.iter().take(10) {
            out.push_str(&format!("  {a} -> {b}: {lead}\n"));
        }
    }
    if let Some(r) = replay {
        out.push_str(&format!("\nreplay of {} leads (shadow routing, real state untouched):\n", r.leads));
        out.push_str(&format!("  {:<36} {:<36} {:>9} {:>7}  samples\n", "old", "new", "leads", "share"));
        for ((a, b), t) in sorted_transitions(r) {
            let mark = if a == b { " " } else { "*" };
            out.push_str(&format!(
                "{mark} {a:<36} {b:<36} {:>9} {:>6.2}%  {}\n",
                t.count,
                100.0 * t.count as f64 / r.leads.max(1) as f64,
                t.samples.join(", ")
            ));
        }
        if r.rejected > 0 {
            out.push_str(&format!("\n{}\n", r.rejected_summary(args.leads.as_deref().unwrap_or(std::path::Path::new("-")))));
        }
        out.push_str(&format!(
            "\n{} of {} leads change destination ({:.2}%): {} change team, queue or outcome ({:.2}%), {} move to another rep of the same team ({:.2}%)\n",
            r.changed(),
            r.leads,
            r.pct(r.changed()),
            r.team_changed,
            r.pct(r.team_changed),
            r.rep_moved,
            r.pct(r.rep_moved)
        ));
    }
    out
}

fn json_report(changes: &[Change], examples: &[(serde_json::Value, String, String)], replay: Option<&Replay>, args: &DiffArgs) -> serde_json::Value {
    use serde_json::json;
    json!({
        "old": args.old.display().to_string(),
        "new": args.new.display().to_string(),
        "changes": changes.iter().map(|c| json!({"kind": c.kind, "name": c.name, "change": c.what})).collect::<Vec<_>>(),
        "examples": examples.iter().map(|(l, a, b)| json!({"lead": l, "old": a, "new": b})).collect::<Vec<_>>(),
        "replay": replay.map(|r| json!({
            "leads": r.leads,
            "changed": r.changed(),
            "changed_share": r.pct(r.changed()),
            "team_changed": r.team_changed,
            "team_changed_share": r.pct(r.team_changed),
            "rep_moved": r.rep_moved,
            "rep_moved_share": r.pct(r.rep_moved),
            "rejected": r.rejected,
            "rejected_samples": r.rejected_samples.iter().map(|(line, why)| json!({ "line": line, "error": why })).collect::<Vec<_>>(),
            "transitions": sorted_transitions(r).iter().map(|((a, b), t)| json!({
                "old": a, "new": b, "count": t.count,
                "share": 100.0 * t.count as f64 / r.leads.max(1) as f64, "samples": t.samples,
            })).collect::<Vec<_>>(),
        })),
    })
}
