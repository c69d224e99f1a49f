//! End-to-end tests of `leadroute diff` (semantic changes, example leads,
//! shadow replay, `--fail-on-change`) and of `leadroute test --coverage`.
//! Every test runs the real executable, mostly on the bundled example policy,
//! leads and state; the replay numbers are checked against an independent
//! computation made by routing the same leads through `leadroute route`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

mod common;
use common::*;

// ---------------------------------------------------------------- helpers

/// The time the example batch is meant to be routed at.
const NOW: &str = "2026-11-24T15:00:00Z";

/// The time `diff` decides its (synthetic) example leads at, and tests without `now` run at.
const EXAMPLE_NOW: &str = "2026-01-05T15:00:00Z";

// Running the binary and temp folders: tests/common/mod.rs.

/// The full path of `examples/REL`, as a string for arguments.
fn example_path(rel: &str) -> String {
    root().join("examples").join(rel).to_string_lossy().into_owned()
}

fn example(rel: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(rel)).unwrap_or_else(|e| panic!("read examples/{rel}: {e}"))
}

fn inbound_text() -> String {
    example("inbound.route")
}

/// `text` with `from` replaced by `to` exactly once (the edit must apply).
fn edit_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` should occur exactly once");
    text.replacen(from, to, 1)
}

fn parse_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", truncated(text)))
}

// ------------------------------------------------- the changed example policy

/// The two edits of the changed copy: the warm tier threshold, and the
/// `personal` rule sending only cold (no longer warm) personal mailboxes to nurture.
const WARM_FROM: &str = "tier warm when intent >= 40.0";
const WARM_TO: &str = "tier warm when intent >= 35.0";
const PERSONAL_FROM: &str = "domain(email) in free_domains and tier != hot";
const PERSONAL_TO: &str = "domain(email) in free_domains and tier == cold";

fn changed_inbound() -> String {
    edit_once(&edit_once(&inbound_text(), WARM_FROM, WARM_TO), PERSONAL_FROM, PERSONAL_TO)
}

/// A temp folder holding `old.route` (the example policy) and `new.route` (the changed copy).
fn old_and_new(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    dir.write("old.route", inbound_text());
    dir.write("new.route", changed_inbound());
    dir
}

/// `diff OLD NEW --leads examples/leads.ndjson --state examples/state.json --now NOW EXTRA...`.
fn replay_args(old: &str, new: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = vec!["diff".into(), old.into(), new.into()];
    args.extend(["--leads".into(), example_path("leads.ndjson"), "--state".into(), example_path("state.json"), "--now".into(), NOW.into()]);
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

// ------------------------------------------------- reading the human report

/// One row of the replay table.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    starred: bool,
    old: String,
    new: String,
    count: usize,
    share: String,
    samples: Vec<String>,
}

/// The human report of `diff`, taken apart.
#[derive(Debug)]
struct Report {
    /// The semantic change lines (without their indent); empty for "no semantic changes".
    changes: Vec<String>,
    /// Example leads: old destination, new destination, the lead.
    examples: Vec<(String, String, Value)>,
    /// The replay table, when there was a replay.
    rows: Option<Vec<Row>>,
    /// `replay of N leads`.
    replay_leads: Option<usize>,
    /// `X of Y leads change destination (Z%): T change team, queue or outcome (..%), R move to another rep of the same team (..%)`: X, Y, Z as printed.
    summary: Option<(usize, usize, String)>,
    /// T and R of the summary line.
    split: Option<(usize, usize)>,
    /// How many lines both versions rejected, when any were.
    rejected: Option<usize>,
}

fn parse_report(stdout: &str, old: &str, new: &str) -> Report {
    assert!(stdout.ends_with('\n'), "the report should end with a newline:\n{stdout}");
    let blocks: Vec<&str> = stdout.trim_end_matches('\n').split("\n\n").collect();
    assert_eq!(blocks[0], format!("diff {old} -> {new}"), "first line names both versions");
    let mut report = Report { changes: Vec::new(), examples: Vec::new(), rows: None, replay_leads: None, summary: None, split: None, rejected: None };
    let changes: Vec<&str> = blocks[1].lines().collect();
    if changes == ["no semantic changes"] {
        // nothing listed
    } else {
        let n = changes.len() - 1;
        let header = format!("{n} semantic change{}:", if n == 1 { "" } else { "s" });
        assert_eq!(changes[0], header, "the count in the header matches the lines listed:\n{}", blocks[1]);
        for line in &changes[1..] {
            let body = line.strip_prefix("  ").unwrap_or_else(|| panic!("change lines are indented: {line:?}"));
            report.changes.push(body.to_string());
        }
    }
    for block in &blocks[2..] {
        let mut lines = block.lines();
        let first = lines.next().unwrap_or_default();
        if let Some(rest) = first.strip_prefix("example leads whose destination changes (") {
            let n: usize = rest.trim_end_matches("):").parse().expect("example count");
            for line in lines {
                let body = line.strip_prefix("  ").unwrap_or_else(|| panic!("example lines are indented: {line:?}"));
                let (dests, lead) = body.split_once(": {").unwrap_or_else(|| panic!("`OLD -> NEW: LEAD`: {line:?}"));
                let (a, b) = dests.split_once(" -> ").unwrap_or_else(|| panic!("`OLD -> NEW`: {dests:?}"));
                report.examples.push((a.to_string(), b.to_string(), parse_json(&format!("{{{lead}"))));
            }
            assert_eq!(report.examples.len(), n.min(10), "as many example lines as the header says (at most 10 shown)");
        } else if let Some(rest) = first.strip_prefix("replay of ") {
            assert!(rest.ends_with(" leads (shadow routing, real state untouched):"), "replay header: {first:?}");
            report.replay_leads = Some(rest.split(' ').next().and_then(|n| n.parse().ok()).expect("replay lead count"));
            let header = lines.next().expect("the table header");
            let words: Vec<&str> = header.split_whitespace().collect();
            assert_eq!(words, ["old", "new", "leads", "share", "samples"], "table header: {header:?}");
            let mut rows = Vec::new();
            for line in lines {
                assert!(line.len() > 76, "a table row has every column: {line:?}");
                let mark = &line[..1];
                assert!(mark == "*" || mark == " ", "rows start with `*` or a space: {line:?}");
                for (i, c) in [(1, ' '), (38, ' '), (75, ' ')] {
                    assert_eq!(line.as_bytes()[i] as char, c, "column boundary at {i} in {line:?}");
                }
                let mut rest = line[76..].split_whitespace();
                let count = rest.next().and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("a count: {line:?}"));
                let share = rest.next().and_then(|s| s.strip_suffix('%')).unwrap_or_else(|| panic!("a share: {line:?}")).to_string();
                let samples = rest.collect::<Vec<_>>().join(" ");
                rows.push(Row {
                    starred: mark == "*",
                    old: line[2..38].trim_end().to_string(),
                    new: line[39..75].trim_end().to_string(),
                    count,
                    share,
                    samples: samples.split(", ").filter(|s| !s.is_empty()).map(String::from).collect(),
                });
            }
            report.rows = Some(rows);
        } else if first.contains(" leads change destination (") {
            assert_eq!(block.lines().count(), 1, "the summary is one line: {block:?}");
            let (changed, rest) = first.split_once(" of ").expect("`X of Y`");
            let (leads, rest) = rest.split_once(" leads change destination (").expect("`Y leads change`");
            let (pct, rest) = rest.split_once("%): ").expect("`(Z%): `");
            let (team, rest) = rest.split_once(" change team, queue or outcome (").expect("`T change team, queue or outcome`");
            let (_, rest) = rest.split_once("%), ").expect("`(..%), `");
            let (reps, rest) = rest.split_once(" move to another rep of the same team (").expect("`R move to another rep`");
            assert!(rest.ends_with("%)"), "{first}");
            report.summary = Some((changed.parse().expect("X"), leads.parse().expect("Y"), pct.to_string()));
            report.split = Some((team.parse().expect("T"), reps.parse().expect("R")));
        } else if first.contains(" were rejected by both versions (first ") {
            assert_eq!(block.lines().count(), 1, "the rejected lines are one line: {block:?}");
            let (n, rest) = first.split_once(" of ").expect("`N of M lines`");
            let (m, _) = rest.split_once(" lines of ").expect("`M lines of`");
            let (n, m): (usize, usize) = (n.parse().expect("N"), m.parse().expect("M"));
            assert!(n <= m && Some(m) == report.replay_leads, "{first}");
            report.rejected = Some(n);
        } else {
            panic!("unexpected block in the report:\n{block}");
        }
    }
    report
}

/// The change lines of a report that start with `prefix`.
fn lines_starting<'a>(report: &'a Report, prefix: &str) -> Vec<&'a String> {
    report.changes.iter().filter(|c| c.starts_with(prefix)).collect()
}

// ------------------------------------------------- the independent computation

/// Where a decision sent the lead: `team X (rep R)` when it names a team, else `rep X`,
/// `queue X`, `dropped` or `rejected`.
fn destination(d: &Value) -> String {
    match d["outcome"].as_str().expect("an outcome") {
        "assigned" => match (d["team"].as_str(), d["rep"].as_str()) {
            (Some(t), Some(r)) => format!("team {t} (rep {r})"),
            (Some(t), None) => panic!("team {t} without a rep: {d}"),
            (None, Some(r)) => format!("rep {r}"),
            _ => panic!("an assigned decision without team or rep: {d}"),
        },
        "queued" => format!("queue {}", d["queue"].as_str().expect("a queued decision names its queue")),
        "dropped" => "dropped".into(),
        "rejected" => "rejected".into(),
        other => panic!("unknown outcome {other:?}"),
    }
}

/// Routes the example batch through `policy` with `leadroute route` (same
/// state and time as the replay): each lead's label (its id, or `line N`) and destination.
fn route_batch(policy: &str) -> Vec<(String, String)> {
    let run = run(&["route", policy, "--leads", &example_path("leads.ndjson"), "--state", &example_path("state.json"), "--now", NOW]);
    assert!(matches!(run.code, Some(0 | 1)), "route should exit 0 or 1 (some rejected): {run:?}");
    let out: Vec<(String, String)> = run
        .stdout
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let d = parse_json(line);
            let id = d["lead_id"].as_str().unwrap_or_default();
            let label = if id.is_empty() { format!("line {}", i + 1) } else { id.to_string() };
            (label, destination(&d))
        })
        .collect();
    assert_eq!(out.len(), 600, "one decision per example lead");
    out
}

/// Old -> new destination counts and the first (up to 3) lead labels of each,
/// computed lead by lead from two independent `route` runs.
fn expected_transitions(old: &str, new: &str) -> BTreeMap<(String, String), (usize, Vec<String>)> {
    let (a, b) = (route_batch(old), route_batch(new));
    let mut m: BTreeMap<(String, String), (usize, Vec<String>)> = BTreeMap::new();
    for ((la, da), (lb, db)) in a.into_iter().zip(b) {
        assert_eq!(la, lb, "both runs decide the leads in the same order");
        let e = m.entry((da, db)).or_default();
        e.0 += 1;
        if e.1.len() < 3 {
            e.1.push(la);
        }
    }
    m
}

fn share(count: usize, of: usize) -> String {
    format!("{:.2}", 100.0 * count as f64 / of as f64)
}

/// Checks a replay table for internal consistency: every lead counted once,
/// stars exactly on the rows whose destination changes, shares, order, summary.
fn check_table(report: &Report, leads: usize) -> (&[Row], usize) {
    let rows = report.rows.as_deref().expect("a replay table");
    assert_eq!(report.replay_leads, Some(leads), "replay header lead count");
    let total: usize = rows.iter().map(|r| r.count).sum();
    assert_eq!(total, leads, "the transition counts add up to every replayed lead: {rows:#?}");
    for r in rows {
        assert_eq!(r.starred, r.old != r.new, "a row is starred exactly when the destination changes: {r:?}");
        assert_eq!(r.share, share(r.count, leads), "share of {r:?}");
        assert!(!r.samples.is_empty() && r.samples.len() <= 3 && r.samples.len() <= r.count, "1 to 3 samples: {r:?}");
    }
    let pairs: BTreeSet<(&str, &str)> = rows.iter().map(|r| (r.old.as_str(), r.new.as_str())).collect();
    assert_eq!(pairs.len(), rows.len(), "each old -> new pair has one row");
    // Changed rows first, then by count, largest first.
    for w in rows.windows(2) {
        assert!(w[0].starred >= w[1].starred, "starred rows come first: {:?} before {:?}", w[0], w[1]);
        if w[0].starred == w[1].starred {
            assert!(w[0].count >= w[1].count, "rows sorted by count: {:?} before {:?}", w[0], w[1]);
        }
    }
    let changed: usize = rows.iter().filter(|r| r.starred).map(|r| r.count).sum();
    let (x, y, pct) = report.summary.clone().expect("a summary line");
    assert_eq!((x, y), (changed, leads), "the summary counts the starred rows");
    assert_eq!(pct, share(changed, leads), "the summary share");
    // The starred rows split into those that stay with one team (another rep) and the rest.
    let team_of = |d: &str| d.split(" (rep ").next().unwrap_or(d).to_string();
    let moved: usize = rows.iter().filter(|r| r.starred && team_of(&r.old) == team_of(&r.new)).map(|r| r.count).sum();
    assert_eq!(report.split, Some((changed - moved, moved)), "team changes and rep moves add up to the changes");
    // Leads both versions reject are the `rejected -> rejected` row, and are counted below the table.
    let both_rejected = rows.iter().find(|r| r.old == "rejected" && r.new == "rejected").map(|r| r.count);
    assert_eq!(report.rejected, both_rejected, "the rejected-lines line counts the rejected -> rejected row");
    (rows, changed)
}

// ================================================================ 1. same policy twice

#[test]
fn same_policy_twice_has_no_semantic_changes() {
    let p = "examples/inbound.route";
    let run = run(&["diff", p, p]);
    run.expect_code(0);
    assert_eq!(run.stdout, format!("diff {p} -> {p}\n\nno semantic changes\n"));
    assert_eq!(run.stderr, "");
}

#[test]
fn same_policy_twice_replays_with_no_lead_changing_destination() {
    let p = "examples/inbound.route";
    let run = run(&replay_args(p, p, &[]));
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    let report = parse_report(&run.stdout, p, p);
    assert!(report.changes.is_empty(), "no semantic changes: {:?}", report.changes);
    assert!(run.stdout.contains("\nno semantic changes\n"));
    assert!(report.examples.is_empty(), "no example lead can change: {:?}", report.examples);
    assert!(run.stdout.ends_with("\n0 of 600 leads change destination (0.00%): 0 change team, queue or outcome (0.00%), 0 move to another rep of the same team (0.00%)\n"), "{}", run.stdout);
    let (rows, changed) = check_table(&report, 600);
    assert_eq!(changed, 0);
    assert!(rows.iter().all(|r| !r.starred && r.old == r.new), "every row is unchanged: {rows:#?}");
    // And it is the routing of the batch: the same counts as an independent run.
    let want = expected_transitions(p, p);
    let got: BTreeMap<(String, String), (usize, Vec<String>)> = rows.iter().map(|r| ((r.old.clone(), r.new.clone()), (r.count, r.samples.clone()))).collect();
    assert_eq!(got, want);
}

// ================================================================ 2. a changed copy

#[test]
fn changed_copy_lists_exactly_the_two_semantic_changes() {
    let dir = old_and_new("two-changes");
    let run = run_in(dir.path(), &["diff", "old.route", "new.route"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    let report = parse_report(&run.stdout, "old.route", "new.route");
    assert!(run.stdout.contains("\n2 semantic changes:\n"), "{}", run.stdout);
    assert_eq!(report.changes.len(), 2, "exactly two changes: {:#?}", report.changes);
    let tier = &report.changes[0];
    assert!(tier.starts_with("tier warm: "), "{tier}");
    let (before, after) = tier.split_once(" -> ").expect("old -> new");
    assert!(before.contains("intent >= 40.0") && !before.contains("35.0"), "{tier}");
    assert!(after.contains("intent >= 35.0") && !after.contains("40.0"), "{tier}");
    let rule = &report.changes[1];
    assert!(rule.starts_with("rule inbound/personal: "), "{rule}");
    let (before, after) = rule.split_once(" -> `").expect("old -> new");
    assert!(before.contains("tier != hot") && after.contains("tier == cold"), "{rule}");
    assert!(after.contains("queue nurture"), "the action is shown too: {rule}");
    // No replay without --leads.
    assert!(report.rows.is_none() && report.summary.is_none(), "{}", run.stdout);
}

#[test]
fn changed_copy_example_leads_really_change_destination() {
    let dir = old_and_new("examples");
    let state = example_path("state.json");
    let run = run_in(dir.path(), &["diff", "old.route", "new.route", "--state", &state]);
    run.expect_code(0);
    let report = parse_report(&run.stdout, "old.route", "new.route");
    assert!(!report.examples.is_empty(), "at least one example lead whose destination changes:\n{}", run.stdout);
    for (i, (a, b, lead)) in report.examples.iter().enumerate() {
        assert_ne!(a, b, "an example's destination changes");
        let file = dir.write(&format!("example-{i}.json"), lead.to_string());
        let mut got = Vec::new();
        for policy in ["old.route", "new.route"] {
            let r = run_in(dir.path(), &["route", policy, "--lead", &file, "--state", &state, "--now", EXAMPLE_NOW]);
            r.expect_code(0);
            got.push(destination(&parse_json(r.stdout.trim())));
        }
        assert_eq!((&got[0], &got[1]), (a, b), "routing example {lead} through both versions");
    }
    // The same holds without a state.
    let run = run_in(dir.path(), &["diff", "old.route", "new.route"]);
    let report = parse_report(&run.stdout, "old.route", "new.route");
    assert!(!report.examples.is_empty());
    for (i, (a, b, lead)) in report.examples.iter().enumerate() {
        let file = dir.write(&format!("example-nostate-{i}.json"), lead.to_string());
        let got: Vec<String> = ["old.route", "new.route"]
            .iter()
            .map(|p| {
                let r = run_in(dir.path(), &["route", p, "--lead", &file, "--now", EXAMPLE_NOW]);
                r.expect_code(0);
                destination(&parse_json(r.stdout.trim()))
            })
            .collect();
        assert_eq!((&got[0], &got[1]), (a, b), "routing example {lead} through both versions, no state");
    }
}

#[test]
fn changed_copy_replay_matches_routing_each_version_independently() {
    let dir = old_and_new("replay");
    let (old, new) = (dir.join("old.route"), dir.join("new.route"));
    let run = run(&replay_args(&old, &new, &[]));
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    let report = parse_report(&run.stdout, &old, &new);
    assert_eq!(report.changes.len(), 2);
    let (rows, changed) = check_table(&report, 600);

    let want = expected_transitions(&old, &new);
    let want_changed: usize = want.iter().filter(|((a, b), _)| a != b).map(|(_, (n, _))| n).sum();
    assert!(want_changed > 0, "the edits do move some of the example leads");
    assert_eq!(changed, want_changed, "changed count against the lead-by-lead comparison");
    let got: BTreeMap<(String, String), (usize, Vec<String>)> = rows.iter().map(|r| ((r.old.clone(), r.new.clone()), (r.count, r.samples.clone()))).collect();
    assert_eq!(got, want, "every transition's count and samples against the lead-by-lead comparison");
}

// ================================================================ 3. --format json

#[test]
fn json_report_is_one_document_consistent_with_the_human_report() {
    let dir = old_and_new("json");
    let leads = example_path("leads.ndjson");
    let state = example_path("state.json");
    let args = ["diff", "old.route", "new.route", "--leads", &leads, "--state", &state, "--now", NOW];
    let run = run_in(dir.path(), &[&args[..], &["--format", "json"][..]].concat());
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout.lines().count(), 1, "one JSON document on one line:\n{}", truncated(&run.stdout));
    assert!(run.stdout.ends_with('\n'));
    let v = parse_json(&run.stdout);
    let keys: BTreeSet<&str> = v.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, BTreeSet::from(["old", "new", "changes", "examples", "replay"]));
    assert_eq!((v["old"].as_str(), v["new"].as_str()), (Some("old.route"), Some("new.route")));

    let changes = v["changes"].as_array().expect("changes is an array");
    let kinds: Vec<(&str, &str)> = changes.iter().map(|c| (c["kind"].as_str().expect("kind"), c["name"].as_str().expect("name"))).collect();
    assert_eq!(kinds, [("tier", "warm"), ("rule", "inbound/personal")]);
    for c in changes {
        assert_eq!(c.as_object().map(|o| o.len()), Some(3), "kind, name, change: {c}");
        assert!(c["change"].as_str().is_some_and(|s| s.contains(" -> ")), "{c}");
    }

    let examples = v["examples"].as_array().expect("examples is an array");
    assert!(!examples.is_empty());
    for e in examples {
        assert!(e["lead"].is_object(), "{e}");
        assert!(e["old"].is_string() && e["new"].is_string() && e["old"] != e["new"], "{e}");
    }

    let r = &v["replay"];
    assert_eq!(r["leads"], 600);
    let transitions = r["transitions"].as_array().expect("transitions");
    let sum: u64 = transitions.iter().map(|t| t["count"].as_u64().expect("count")).sum();
    assert_eq!(sum, 600);
    let changed: u64 = transitions.iter().filter(|t| t["old"] != t["new"]).map(|t| t["count"].as_u64().expect("count")).sum();
    assert_eq!(r["changed"].as_u64(), Some(changed));
    let cs = r["changed_share"].as_f64().expect("changed_share");
    assert!((cs - 100.0 * changed as f64 / 600.0).abs() < 1e-9, "changed_share {cs}");
    for t in transitions {
        let n = t["count"].as_f64().expect("count");
        assert!((t["share"].as_f64().expect("share") - 100.0 * n / 600.0).abs() < 1e-9, "{t}");
        let samples = t["samples"].as_array().expect("samples");
        assert!(!samples.is_empty() && samples.len() <= 3, "{t}");
    }

    // The human report of the same diff says the same.
    let human = run_in(dir.path(), &args);
    human.expect_code(0);
    let report = parse_report(&human.stdout, "old.route", "new.route");
    let rows = report.rows.as_deref().expect("a table");
    assert_eq!(rows.len(), transitions.len());
    for (row, t) in rows.iter().zip(transitions) {
        assert_eq!((row.old.as_str(), row.new.as_str()), (t["old"].as_str().expect("old"), t["new"].as_str().expect("new")));
        assert_eq!(row.count as u64, t["count"].as_u64().expect("count"));
        let samples: Vec<&str> = t["samples"].as_array().expect("samples").iter().map(|s| s.as_str().expect("a sample")).collect();
        assert_eq!(row.samples, samples);
    }
    assert_eq!(report.examples.len(), examples.len());
    for ((a, b, lead), e) in report.examples.iter().zip(examples) {
        assert_eq!((a.as_str(), b.as_str(), lead), (e["old"].as_str().expect("old"), e["new"].as_str().expect("new"), &e["lead"]));
    }

    let pretty = serde_json::to_string_pretty(&v).expect("pretty JSON");
    insta::assert_snapshot!("diff_json_changed_inbound", pretty);
}

#[test]
fn json_report_without_leads_has_a_null_replay() {
    let dir = old_and_new("json-noreplay");
    let run = run_in(dir.path(), &["diff", "old.route", "new.route", "--format", "json"]);
    run.expect_code(0);
    let v = parse_json(&run.stdout);
    assert!(v["replay"].is_null(), "{v}");
    assert_eq!(v["changes"].as_array().map(Vec::len), Some(2));
}

// ================================================================ 4. --fail-on-change

#[test]
fn fail_on_change_exits_1_above_the_limit_and_explains() {
    let dir = old_and_new("gate-above");
    let (old, new) = (dir.join("old.route"), dir.join("new.route"));
    let run = run(&replay_args(&old, &new, &["--fail-on-change", "1"]));
    run.expect_code(1);
    let report = parse_report(&run.stdout, &old, &new);
    let (_, changed) = check_table(&report, 600);
    let pct = share(changed, 600);
    assert!(changed * 100 > 600, "more than 1% change: {changed}");
    run.expect_one_line_error(&[&format!("{pct}%"), "change destination", "--fail-on-change", "1%"]);
    // The gate works on the JSON report too.
    let json = self::run(&replay_args(&old, &new, &["--fail-on-change", "1", "--format", "json"]));
    json.expect_code(1);
    assert_eq!(parse_json(&json.stdout)["replay"]["changed"].as_u64(), Some(changed as u64));
    json.expect_one_line_error(&[&format!("{pct}%"), "--fail-on-change"]);
}

#[test]
fn fail_on_change_exits_0_below_the_limit() {
    let dir = old_and_new("gate-below");
    let (old, new) = (dir.join("old.route"), dir.join("new.route"));
    let run = run(&replay_args(&old, &new, &["--fail-on-change", "50"]));
    run.expect_code(0);
    assert_eq!(run.stderr, "", "nothing to explain below the limit");
    let report = parse_report(&run.stdout, &old, &new);
    let (_, changed) = check_table(&report, 600);
    assert!(changed > 0 && changed * 100 < 600 * 50);
    // Exactly at the limit is not above it: the same policy twice changes 0%, and 0 is allowed.
    let p = "examples/inbound.route";
    let same = self::run(&replay_args(p, p, &["--fail-on-change", "0"]));
    same.expect_code(0);
    assert_eq!(same.stderr, "");
}

#[test]
fn fail_on_change_must_be_a_percentage_from_0_to_100() {
    let p = "examples/inbound.route";
    for bad in ["NaN", "nan", "inf", "-inf", "1e400", "101", "-1", "100.5", "five"] {
        let run = run(&replay_args(p, p, &["--fail-on-change", bad]));
        run.expect_code(2);
        assert!(run.stdout.is_empty(), "{bad}: nothing is replayed: {}", run.stdout);
        assert!(run.stderr.contains("--fail-on-change") && run.stderr.contains("from 0 to 100"), "{bad}: {}", run.stderr);
    }
    for good in ["0", "2.5", "100"] {
        run(&replay_args(p, p, &["--fail-on-change", good])).expect_code(0);
    }
}

#[test]
fn a_lead_log_of_random_bytes_fails_and_says_why() {
    let dir = TempDir::new("random-log");
    // Deterministic noise: no line of it is JSON.
    let mut x: u32 = 12345;
    let noise: Vec<u8> = (0..20_000)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let b = (x >> 16) as u8;
            if b == b'{' { b'x' } else { b }
        })
        .collect();
    let log = dir.write("noise.ndjson", &noise);
    let p = "examples/inbound.route";
    let run = run(&["diff", p, p, "--leads", &log]);
    run.expect_code(2);
    assert!(run.stderr.contains("rejected by both versions") && run.stderr.contains("line 1: not valid JSON"), "{}", run.stderr);
    assert!(run.stderr.contains("no line of the lead log could be read"), "{}", run.stderr);
    assert!(!run.stdout.contains("change destination"), "no replay figures from unreadable input: {}", run.stdout);
}

#[test]
fn rejected_lines_of_a_lead_log_are_counted_with_line_numbers_and_reasons() {
    let dir = TempDir::new("mixed-log");
    let leads = example("leads.ndjson");
    let good: Vec<&str> = leads.lines().take(3).collect();
    let text = format!("{}\n{}\n\n{{oops\n{}\n{{\"id\": \"D1\", \"id\": \"D2\"}}\n", good[0], good[1], good[2]);
    let log = dir.write("mixed.ndjson", text);
    let p = "examples/inbound.route";
    let run = run(&["diff", p, p, "--leads", &log]);
    run.expect_code(0);
    assert!(run.stdout.contains("2 of 5 lines"), "{}", run.stdout);
    assert!(run.stdout.contains("line 4: not valid JSON"), "{}", run.stdout);
    assert!(run.stdout.contains("line 6: `id` appears more than once"), "{}", run.stdout);
    let json = self::run(&["diff", p, p, "--leads", &log, "--format", "json"]);
    json.expect_code(0);
    let v = parse_json(&json.stdout);
    assert_eq!(v["replay"]["rejected"], 2);
    assert_eq!(v["replay"]["rejected_samples"][1]["line"], 6);
    assert_eq!(json.stderr, "", "the JSON report carries them");
}

// ================================================================ 5. each kind of change

/// A small valid policy to edit: two routes (entry `main`), two territories the
/// rules use and one (`apac`) they do not, a team, three reps, a queue, one handler.
const SMALL: &str = r#"policy small {
  owner "ops@example.com"
  timezone "UTC"
  entry main
}

enum Source { web, chat }

schema lead {
  id: string
  email: string
  country: string
  intent: float
  source: Source
  created_at: time
}

set nordics = ["SE", "NO", "DK"]

rep ann { email "ann@example.com" timezone "UTC" hours mon-sun 00:00-23:59 capacity 10 open }
rep ben { email "ben@example.com" timezone "UTC" hours mon-sun 00:00-23:59 capacity 10 open }
rep cat { email "cat@example.com" timezone "UTC" hours mon-sun 00:00-23:59 capacity 10 open }

team sales { members [ann, ben] strategy round_robin }

queue review { owner "review@example.com" sla 1h }

tier hot when intent >= 80.0 sla 5m
tier cold otherwise sla 24h

territory us when country == "US"
territory nordic when country in nordics
territory apac when country == "JP"

route main {
  hot_us: when tier == hot and territory == us -> assign team sales
  nordic: when territory == nordic -> assign rep cat
  otherwise -> queue review
}

route alt {
  otherwise -> queue review
}

on no_available_rep -> queue review
"#;

/// Leads that tell the small policies apart.
const SMALL_LEADS: &str = r#"{"id": "S-1", "email": "a@x.example", "country": "US", "intent": 90.0, "source": "web", "created_at": "2026-01-05T14:00:00Z"}
{"id": "S-2", "email": "b@x.example", "country": "FI", "intent": 10.0, "source": "web", "created_at": "2026-01-05T14:00:00Z"}
{"id": "S-3", "email": "c@x.example", "country": "SE", "intent": 10.0, "source": "event", "created_at": "2026-01-05T14:00:00Z"}
{"id": "S-4", "email": "d@x.example", "country": "JP", "intent": 10.0, "source": "chat", "created_at": "2026-01-05T14:00:00Z"}
{"id": "S-5", "email": "e@x.example", "country": "DK", "intent": 10.0, "source": "chat", "created_at": "2026-01-05T02:00:00Z"}
"#;

/// Diffs SMALL against `variant` (both in a temp folder as `old.route` and
/// `new.route`) in both formats, and returns the human report and the JSON
/// changes as (kind, name) pairs.
fn diff_small(name: &str, variant: &str) -> (Report, Vec<(String, String)>, TempDir) {
    let dir = TempDir::new(name);
    dir.write("old.route", SMALL);
    dir.write("new.route", variant);
    dir.write("leads.ndjson", SMALL_LEADS);
    let check = run_in(dir.path(), &["check", "new.route"]);
    check.expect_code(0);
    let human = run_in(dir.path(), &["diff", "old.route", "new.route", "--leads", "leads.ndjson"]);
    human.expect_code(0);
    let report = parse_report(&human.stdout, "old.route", "new.route");
    check_table(&report, 5);
    let json = run_in(dir.path(), &["diff", "old.route", "new.route", "--format", "json"]);
    json.expect_code(0);
    let v = parse_json(&json.stdout);
    let kinds = v["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|c| (c["kind"].as_str().expect("kind").to_string(), c["name"].as_str().expect("name").to_string()))
        .collect();
    (report, kinds, dir)
}

/// Asserts the report lists exactly one change, of `kind` `name`, and returns its line.
fn only_change(report: &Report, kinds: &[(String, String)], kind: &str, name: &str) -> String {
    assert_eq!(kinds, [(kind.to_string(), name.to_string())], "JSON changes; human: {:#?}", report.changes);
    assert_eq!(report.changes.len(), 1, "exactly one change: {:#?}", report.changes);
    let line = report.changes[0].clone();
    assert!(line.starts_with(&format!("{kind} {name}: ")), "{line}");
    line
}

/// The part of a change line before and after ` -> ` (`old` -> `new`).
fn before_after(line: &str) -> (&str, &str) {
    line.split_once("` -> `").unwrap_or_else(|| panic!("`OLD` -> `NEW`: {line}"))
}

#[test]
fn small_policy_against_itself_has_no_changes() {
    let (report, kinds, _dir) = diff_small("small-same", SMALL);
    assert!(report.changes.is_empty() && kinds.is_empty(), "{:#?}", report.changes);
    assert_eq!(report.summary.as_ref().map(|s| s.0), Some(0));
}

#[test]
fn added_territory_is_reported() {
    let v = edit_once(SMALL, "territory apac when country == \"JP\"\n", "territory apac when country == \"JP\"\nterritory de when country == \"DE\"\n");
    let (report, kinds, _dir) = diff_small("territory-added", &v);
    let line = only_change(&report, &kinds, "territory", "de");
    assert_eq!(line, "territory de: added: `when country == \"DE\"`");
}

#[test]
fn removed_territory_is_reported() {
    let v = edit_once(SMALL, "territory apac when country == \"JP\"\n", "");
    let (report, kinds, _dir) = diff_small("territory-removed", &v);
    let line = only_change(&report, &kinds, "territory", "apac");
    assert_eq!(line, "territory apac: removed (was `when country == \"JP\"`)");
}

#[test]
fn changed_territory_condition_is_reported() {
    let v = edit_once(SMALL, "territory us when country == \"US\"", "territory us when country == \"US\" or country == \"CA\"");
    let (report, kinds, _dir) = diff_small("territory-changed", &v);
    let line = only_change(&report, &kinds, "territory", "us");
    let (a, b) = before_after(&line);
    assert!(!a.contains("CA") && b.contains("country == \"CA\""), "{line}");
}

#[test]
fn changed_team_members_are_reported() {
    let v = edit_once(SMALL, "members [ann, ben]", "members [ann, ben, cat]");
    let (report, kinds, _dir) = diff_small("team-members", &v);
    let line = only_change(&report, &kinds, "team", "sales");
    let (a, b) = before_after(&line);
    assert!(a.contains("[ann, ben]") && b.contains("[ann, ben, cat]"), "{line}");
    assert!(a.contains("round_robin") && b.contains("round_robin"), "the strategy is unchanged: {line}");
}

#[test]
fn changed_team_strategy_is_reported() {
    let v = edit_once(SMALL, "strategy round_robin", "strategy weighted");
    let (report, kinds, _dir) = diff_small("team-strategy", &v);
    let line = only_change(&report, &kinds, "team", "sales");
    let (a, b) = before_after(&line);
    assert!(a.contains("round_robin") && b.contains("weighted") && !b.contains("round_robin"), "{line}");
}

#[test]
fn changed_rep_capacity_is_reported() {
    let v = edit_once(SMALL, "hours mon-sun 00:00-23:59 capacity 10 open }\nrep cat", "hours mon-sun 00:00-23:59 capacity 12 open }\nrep cat");
    let (report, kinds, _dir) = diff_small("rep-capacity", &v);
    let line = only_change(&report, &kinds, "rep", "ben");
    let (a, b) = before_after(&line);
    assert!(a.contains("10") && !a.contains("12"), "{line}");
    assert!(b.contains("12") && !b.contains("10"), "{line}");
}

#[test]
fn changed_queue_sla_is_reported() {
    let v = edit_once(SMALL, "sla 1h", "sla 2h");
    let (report, kinds, _dir) = diff_small("queue-sla", &v);
    let line = only_change(&report, &kinds, "queue", "review");
    let (a, b) = before_after(&line);
    assert!(a.contains("sla 1h") && b.contains("sla 2h"), "{line}");
}

#[test]
fn added_handler_is_reported() {
    let v = format!("{SMALL}on over_capacity -> queue review\n");
    let (report, kinds, _dir) = diff_small("handler-added", &v);
    let line = only_change(&report, &kinds, "handler", "over_capacity");
    assert_eq!(line, "handler over_capacity: added: `queue review`");
}

#[test]
fn changed_entry_route_is_reported() {
    let v = edit_once(SMALL, "entry main", "entry alt");
    let (report, kinds, _dir) = diff_small("entry", &v);
    let line = only_change(&report, &kinds, "policy", "entry");
    assert_eq!(line, "policy entry: `main` -> `alt`");
    // Everything now goes to review: the examples and the replay show it.
    assert!(!report.examples.is_empty(), "the analysis finds leads the entry change moves");
    assert!(report.examples.iter().all(|(_, b, _)| b == "queue review"), "{:?}", report.examples);
    let rows = report.rows.as_deref().expect("a table");
    assert!(rows.iter().all(|r| r.new == "queue review" || r.new == "rejected"), "{rows:#?}");
    assert!(rows.iter().any(|r| r.starred));
}

#[test]
fn added_schema_field_is_reported() {
    let v = edit_once(SMALL, "  created_at: time\n", "  created_at: time\n  employees: int?\n");
    let (report, kinds, _dir) = diff_small("field-added", &v);
    let line = only_change(&report, &kinds, "field", "employees");
    assert!(line.starts_with("field employees: added: `"), "{line}");
    assert!(line.to_lowercase().contains("int") && line.contains('?'), "the type, optional: {line}");
    // The optional field changes nothing for these leads.
    assert_eq!(report.summary.as_ref().map(|s| s.0), Some(0));
}

#[test]
fn several_kinds_at_once_are_all_reported() {
    let v = edit_once(SMALL, "sla 1h", "sla 2h");
    let v = edit_once(&v, "strategy round_robin", "strategy weighted");
    let v = edit_once(&v, "territory apac when country == \"JP\"\n", "");
    let v = format!("{v}on over_capacity -> queue review\n");
    let (report, kinds, _dir) = diff_small("several", &v);
    let got: BTreeSet<(String, String)> = kinds.into_iter().collect();
    let want: BTreeSet<(String, String)> =
        [("queue", "review"), ("team", "sales"), ("territory", "apac"), ("handler", "over_capacity")].iter().map(|(k, n)| (k.to_string(), n.to_string())).collect();
    assert_eq!(got, want);
    assert_eq!(report.changes.len(), 4);
    for prefix in ["queue review: ", "team sales: ", "territory apac: removed", "handler over_capacity: added"] {
        assert_eq!(lines_starting(&report, prefix).len(), 1, "one `{prefix}` line: {:#?}", report.changes);
    }
}

// ---- changes the semantic diff misses or overstates

#[test]
fn changed_set_contents_are_reported() {
    let v = edit_once(SMALL, r#"["SE", "NO", "DK"]"#, r#"["SE", "NO", "DK", "FI"]"#);
    let (report, _kinds, _dir) = diff_small("set-contents", &v);
    let rows = report.rows.as_deref().expect("a table");
    assert!(rows.iter().any(|r| r.starred && r.old == "queue review" && r.new == "rep cat"), "the FI lead moves: {rows:#?}");
    assert!(!report.changes.is_empty(), "a change that moves leads is a semantic change");
    assert!(report.changes.iter().any(|c| c.contains("nordics") || c.contains("FI")), "{:#?}", report.changes);
}

#[test]
fn added_enum_value_is_reported() {
    let v = edit_once(SMALL, "enum Source { web, chat }", "enum Source { web, chat, event }");
    let (report, _kinds, _dir) = diff_small("enum-value", &v);
    let rows = report.rows.as_deref().expect("a table");
    assert!(rows.iter().any(|r| r.starred && r.old == "rejected"), "the `event` lead is accepted now: {rows:#?}");
    assert!(!report.changes.is_empty(), "a schema change that moves leads is a semantic change");
    assert!(report.changes.iter().any(|c| c.contains("Source") || c.contains("event")), "{:#?}", report.changes);
}

#[test]
fn changed_policy_timezone_is_reported() {
    let v = edit_once(SMALL, "  timezone \"UTC\"\n  entry main", "  timezone \"Asia/Tokyo\"\n  entry main");
    let v = edit_once(&v, "  otherwise -> queue review\n}\n\nroute alt", "  night: when clock(created_at) >= 18:00 -> assign rep cat\n  otherwise -> queue review\n}\n\nroute alt");
    let base = edit_once(SMALL, "  otherwise -> queue review\n}\n\nroute alt", "  night: when clock(created_at) >= 18:00 -> assign rep cat\n  otherwise -> queue review\n}\n\nroute alt");
    let dir = TempDir::new("policy-timezone");
    dir.write("old.route", &base);
    dir.write("new.route", &v);
    dir.write("leads.ndjson", SMALL_LEADS);
    let run = run_in(dir.path(), &["diff", "old.route", "new.route", "--leads", "leads.ndjson"]);
    run.expect_code(0);
    let report = parse_report(&run.stdout, "old.route", "new.route");
    let (_, changed) = check_table(&report, 5);
    assert!(changed > 0, "14:00 UTC is 23:00 in Tokyo, so leads move:\n{}", run.stdout);
    assert!(!report.changes.is_empty(), "`no semantic changes` above leads that change destination:\n{}", run.stdout);
    assert!(report.changes.iter().any(|c| c.contains("Asia/Tokyo")), "{:#?}", report.changes);
}

#[test]
fn inserted_rule_is_the_only_change() {
    let v = edit_once(SMALL, "route main {\n", "route main {\n  early: when source == chat -> queue review\n");
    let (report, kinds, _dir) = diff_small("rule-inserted", &v);
    let line = only_change(&report, &kinds, "rule", "main/early");
    assert!(line.starts_with("rule main/early: added: `"), "{line}");
}

#[test]
fn rep_and_queue_changes_are_shown_in_route_terms() {
    let v = edit_once(SMALL, "hours mon-sun 00:00-23:59 capacity 10 open }\nrep cat", "hours mon-sun 00:00-23:59 capacity 12 open }\nrep cat");
    let v = edit_once(&v, "sla 1h", "sla 2h");
    let (report, _kinds, _dir) = diff_small("route-terms", &v);
    for line in &report.changes {
        for bad in ["Some(", "None", "1111111"] {
            assert!(!line.contains(bad), "`{bad}` in {line}");
        }
    }
}

// ================================================================ 6. built IRs

#[test]
fn built_ir_on_either_side_gives_the_same_diff_as_the_sources() {
    let dir = old_and_new("built");
    for (src, out) in [("old.route", "old.json"), ("new.route", "new.json")] {
        let b = run_in(dir.path(), &["build", src, "-o", out]);
        b.expect_code(0);
        assert!(dir.path().join(out).is_file());
    }
    let json_of = |old: &str, new: &str| {
        let r = run(&replay_args(&dir.join(old), &dir.join(new), &["--format", "json"]));
        r.expect_code(0);
        parse_json(&r.stdout)
    };
    let sources = json_of("old.route", "new.route");
    assert_eq!(sources["replay"]["changed"].as_u64().map(|n| n > 0), Some(true));
    for (old, new) in [("old.json", "new.json"), ("old.json", "new.route"), ("old.route", "new.json")] {
        let v = json_of(old, new);
        assert_eq!(v["replay"], sources["replay"], "replay numbers for {old} -> {new}");
        assert_eq!(v["changes"], sources["changes"], "semantic changes for {old} -> {new}");
    }
    // The human summary line too.
    let h = run(&replay_args(&dir.join("old.json"), &dir.join("new.json"), &[]));
    h.expect_code(0);
    let report = parse_report(&h.stdout, &dir.join("old.json"), &dir.join("new.json"));
    let (_, changed) = check_table(&report, 600);
    assert_eq!(Some(changed as u64), sources["replay"]["changed"].as_u64());
    // A built IR diffed against its own source has no changes and moves nothing.
    let same = run(&replay_args(&dir.join("old.json"), &dir.join("old.route"), &[]));
    same.expect_code(0);
    let report = parse_report(&same.stdout, &dir.join("old.json"), &dir.join("old.route"));
    assert!(report.changes.is_empty(), "{:#?}", report.changes);
    assert_eq!(check_table(&report, 600).1, 0);
}

#[test]
fn leads_from_standard_input_give_the_same_replay() {
    let dir = old_and_new("stdin");
    let (old, new) = (dir.join("old.route"), dir.join("new.route"));
    let file = run(&replay_args(&old, &new, &["--format", "json"]));
    file.expect_code(0);
    let args = ["diff", &old, &new, "--leads", "-", "--state", &example_path("state.json"), "--now", NOW, "--format", "json"];
    let piped = run_stdin(&args, example("leads.ndjson").as_bytes());
    piped.expect_code(0);
    assert_eq!(parse_json(&piped.stdout)["replay"], parse_json(&file.stdout)["replay"]);
}

#[test]
fn replay_leaves_the_state_file_untouched() {
    let dir = old_and_new("state-untouched");
    let state_text = example("state.json");
    let state = dir.write("state.json", &state_text);
    let args = ["diff", "old.route", "new.route", "--leads", &example_path("leads.ndjson"), "--state", &state, "--now", NOW];
    run_in(dir.path(), &args).expect_code(0);
    assert_eq!(std::fs::read_to_string(&state).expect("the state is still there"), state_text);
}

// ================================================================ 7. bad input

#[test]
fn missing_old_or_new_policy_exits_2() {
    let p = "examples/inbound.route";
    for (old, new, missing) in [("examples/nope.route", p, "nope.route"), (p, "examples/nope.route", "nope.route"), ("examples/nope.json", p, "nope.json"), (p, "examples/nope.json", "nope.json")] {
        let r = run(&["diff", old, new]);
        r.expect_code(2);
        assert_eq!(r.stdout, "", "no report for {old} -> {new}");
        assert!(r.stderr.contains(missing), "stderr names the missing path `{missing}`:\n{}", r.stderr);
    }
}

#[test]
fn policy_with_errors_exits_1_with_diagnostics() {
    let p = "examples/inbound.route";
    let broken = "examples/broken.route";
    for (old, new) in [(broken, p), (p, broken)] {
        let r = run(&["diff", old, new]);
        r.expect_code(1);
        assert_eq!(r.stdout, "", "no report for {old} -> {new}");
        assert!(r.stderr.contains("] Error: "), "diagnostics with their codes:\n{}", truncated(&r.stderr));
        assert!(r.stderr.contains("broken.route:"), "diagnostics point into the file:\n{}", truncated(&r.stderr));
        assert!(r.stderr.lines().any(|l| l.starts_with("failed: ")), "a summary line:\n{}", truncated(&r.stderr));
    }
}

#[test]
fn leads_that_are_a_folder_exit_2() {
    let p = "examples/inbound.route";
    let r = run(&["diff", p, p, "--leads", "examples"]);
    r.expect_code(2);
    assert_eq!(r.stdout, "");
    r.expect_one_line_error(&["examples", "folder"]);
}

#[test]
fn missing_leads_file_exits_2() {
    let p = "examples/inbound.route";
    let r = run(&["diff", p, p, "--leads", "examples/nope.ndjson"]);
    r.expect_code(2);
    assert_eq!(r.stdout, "");
    r.expect_one_line_error(&["nope.ndjson"]);
}

#[test]
fn malformed_now_exits_2() {
    let p = "examples/inbound.route";
    for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-11-24"] {
        let r = run(&["diff", p, p, "--now", bad]);
        r.expect_code(2);
        assert_eq!(r.stdout, "");
        r.expect_one_line_error(&["--now", bad]);
    }
}

#[test]
fn unreadable_state_exits_2() {
    let p = "examples/inbound.route";
    let r = run(&["diff", p, p, "--state", "examples/nope-state.json"]);
    r.expect_code(2);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.lines().all(|l| l.starts_with("leadroute: cannot use state `examples/nope-state.json`")), "{}", r.stderr);
}

#[test]
fn unreadable_state_is_reported_once() {
    let p = "examples/inbound.route";
    let r = run(&["diff", p, p, "--state", "examples/nope-state.json"]);
    r.expect_code(2);
    r.expect_one_line_error(&["nope-state.json"]);
}

// ================================================================ 8. test --coverage

/// Every tier, territory, handler and rule of the example policy (and `none`, for a lead in no territory),
/// as `test --coverage` names them (unnamed rules by `FILE:LINE`).
fn inbound_declarations() -> BTreeMap<&'static str, BTreeSet<String>> {
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<String>>();
    let mut rules = set(&[
        "inbound/junk",
        "inbound/partner_sourced",
        "inbound/stale",
        "inbound/vip",
        "inbound/known_account",
        "inbound/named_account",
        "inbound/hot_west",
        "inbound/hot_east",
        "inbound/emea",
        "inbound/apac",
        "inbound/personal",
        "inbound/unplaced",
        "inbound/warm",
        "inbound/big_logo",
        "partners/deal_reg",
    ]);
    // Unnamed rules by route and place (`partners#2`), which comments and layout do not change.
    rules.extend(["inbound#otherwise", "partners#2", "partners#otherwise"].map(String::from));
    BTreeMap::from([
        ("tiers", set(&["hot", "warm", "cold"])),
        ("territories", set(&["us_west", "us_east", "emea", "apac"])),
        ("no_territory", set(&["none"])),
        ("handlers", set(&["ambiguous_territory", "missing(employees)", "no_available_rep", "over_capacity", "no_match"])),
        ("rules", rules),
    ])
}

/// The `coverage:` block of the human output: kind -> (hit, total, missed names).
fn human_coverage(stdout: &str) -> BTreeMap<String, (usize, usize, Vec<String>)> {
    let (_, block) = stdout.split_once("\ncoverage:\n").unwrap_or_else(|| panic!("a `coverage:` block:\n{stdout}"));
    let mut m = BTreeMap::new();
    for line in block.lines() {
        assert!(line.starts_with("  "), "coverage lines are indented: {line:?}");
        let (head, missed) = match line.split_once("; not reached by any test: ") {
            Some((h, m)) => (h, m.split(", ").map(String::from).collect()),
            None => (line, Vec::new()),
        };
        let words: Vec<&str> = head.split_whitespace().collect();
        assert!(words.len() > 2, "`KIND N/M WHAT IS COUNTED`: {line:?}");
        let (hit, total) = words[1].split_once('/').unwrap_or_else(|| panic!("N/M: {line:?}"));
        m.insert(words[0].to_string(), (hit.parse().expect("N"), total.parse().expect("M"), missed));
    }
    m
}

/// The final `{"coverage": ...}` object of the JSON output: kind -> (covered, missed).
fn json_coverage(stdout: &str, tests: usize) -> BTreeMap<String, (Vec<String>, Vec<String>)> {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), tests + 1, "one line per test, then the coverage:\n{}", truncated(stdout));
    for line in &lines[..tests] {
        let v = parse_json(line);
        assert!(v["test"].is_string() && v["passed"].is_boolean(), "a per-test line: {line}");
    }
    let last = parse_json(lines[tests]);
    let obj = last.as_object().expect("an object");
    assert_eq!(obj.keys().collect::<Vec<_>>(), ["coverage"], "only `coverage`: {last}");
    let names = |v: &Value| -> Vec<String> { v.as_array().expect("an array").iter().map(|s| s.as_str().expect("a name").to_string()).collect() };
    last["coverage"]
        .as_object()
        .expect("coverage is an object")
        .iter()
        .map(|(k, v)| {
            assert_eq!(v.as_object().map(|o| o.len()), Some(2), "covered and missed: {v}");
            (k.clone(), (names(&v["covered"]), names(&v["missed"])))
        })
        .collect()
}

/// Checks the JSON coverage against the declarations: covered and missed
/// split each kind exactly.
fn check_partition(cov: &BTreeMap<String, (Vec<String>, Vec<String>)>, decls: &BTreeMap<&'static str, BTreeSet<String>>) {
    assert_eq!(cov.keys().map(String::as_str).collect::<BTreeSet<_>>(), decls.keys().copied().collect::<BTreeSet<_>>());
    for (kind, (covered, missed)) in cov {
        let c: BTreeSet<String> = covered.iter().cloned().collect();
        let m: BTreeSet<String> = missed.iter().cloned().collect();
        assert_eq!(c.len(), covered.len(), "no duplicates in {kind} covered");
        assert_eq!(m.len(), missed.len(), "no duplicates in {kind} missed");
        assert!(c.is_disjoint(&m), "{kind}: covered and missed overlap");
        let all: BTreeSet<String> = c.union(&m).cloned().collect();
        assert_eq!(&all, &decls[kind.as_str()], "{kind}: covered + missed = the declarations");
    }
}

#[test]
fn coverage_human_lists_every_kind_and_what_no_test_reaches() {
    let r = run(&["test", "examples/inbound.route", "--coverage"]);
    r.expect_code(0);
    assert!(r.stdout.contains("\ntest result: ok. 18 passed; 0 failed\n"), "{}", r.stdout);
    let cov = human_coverage(&r.stdout);
    assert_eq!(cov.keys().map(String::as_str).collect::<Vec<_>>(), ["handlers", "no_territory", "rules", "territories", "tiers"]);
    let decls = inbound_declarations();
    for (kind, (hit, total, missed)) in &cov {
        assert_eq!(*total, decls[kind.as_str()].len(), "{kind} total");
        assert_eq!(hit + missed.len(), *total, "{kind}: N + the missed names = M");
        for m in missed {
            assert!(decls[kind.as_str()].contains(m), "{kind}: `{m}` is declared");
        }
    }
    // What the 18 tests leave out.
    assert_eq!(cov["tiers"], (3, 3, vec![]));
    // The four declared territories, not four plus `none`: a lead in no territory is counted apart.
    assert_eq!(cov["territories"], (4, 4, vec![]));
    assert_eq!(cov["no_territory"], (1, 1, vec![]));
    let line = r.stdout.lines().find(|l| l.trim_start().starts_with("territories")).unwrap_or_default();
    assert!(line.contains("4/4") && line.contains("declared territories a test lead matched"), "{line}");
    assert_eq!(cov["rules"], (15, 18, ["inbound/vip", "partners#2", "partners#otherwise"].map(String::from).to_vec()));
    assert_eq!(cov["handlers"].0, 1);
    let missed: BTreeSet<&str> = cov["handlers"].2.iter().map(String::as_str).collect();
    assert_eq!(missed, BTreeSet::from(["ambiguous_territory", "no_available_rep", "over_capacity", "no_match"]));
}

#[test]
fn coverage_json_prints_test_lines_then_covered_and_missed_per_kind() {
    let r = run(&["test", "examples/inbound.route", "--coverage", "--format", "json"]);
    r.expect_code(0);
    let cov = json_coverage(&r.stdout, 18);
    check_partition(&cov, &inbound_declarations());
    // It agrees with the human block.
    let h = run(&["test", "examples/inbound.route", "--coverage"]);
    for (kind, (hit, total, missed)) in human_coverage(&h.stdout) {
        let (c, m) = &cov[&kind];
        assert_eq!((hit, total, &missed), (c.len(), c.len() + m.len(), m), "{kind}: human and JSON agree");
    }
}

#[test]
fn coverage_moves_a_rule_to_covered_when_a_test_reaches_it() {
    let extra = r#"
test "board introduction goes to victor" {
  now "2026-11-24T16:00:00Z"
  lead { id: "L-2001", email: "ceo@bigco.example", company: "BigCo", country: "US", state: "NY",
         intent: 20.0, source: referral, created_at: "2026-11-24T15:00:00Z", tags: ["vip"] }
  expect rep victor, assigned
}

test "hot partner lead without a deal registration goes to the partner desk" {
  now "2026-11-24T16:00:00Z"
  lead { id: "L-2002", email: "buyer@initrode.example", company: "Initrode", country: "US", state: "NJ",
         intent: 90.0, source: partner, created_at: "2026-11-24T15:00:00Z", tags: [] }
  expect route partners, team partner_desk, assigned
}
"#;
    let dir = TempDir::new("coverage-more");
    let text = format!("{}{extra}", inbound_text());
    dir.write("inbound.route", &text);
    let before = run(&["test", "examples/inbound.route", "--coverage", "--format", "json"]);
    before.expect_code(0);
    let before = json_coverage(&before.stdout, 18);
    let after = run_in(dir.path(), &["test", "inbound.route", "--coverage", "--format", "json"]);
    after.expect_code(0);
    let after = json_coverage(&after.stdout, 20);
    check_partition(&after, &inbound_declarations());

    for rule in ["inbound/vip", "partners#2"] {
        assert!(before["rules"].1.iter().any(|m| m == rule), "`{rule}` missed before");
        assert!(after["rules"].0.iter().any(|c| c == rule), "`{rule}` covered after");
        assert!(!after["rules"].1.iter().any(|m| m == rule), "`{rule}` no longer missed");
    }
    assert_eq!(after["rules"].0.len(), before["rules"].0.len() + 2);
    // Nothing else moved.
    for kind in ["tiers", "territories", "no_territory", "handlers"] {
        assert_eq!(after[kind], before[kind], "{kind} unchanged");
    }
    let human = run_in(dir.path(), &["test", "inbound.route", "--coverage"]);
    human.expect_code(0);
    assert_eq!(human_coverage(&human.stdout)["rules"].0, 17);
}

#[test]
fn coverage_counts_a_handler_a_test_reaches() {
    // Victor at his daily cap: the vip rule's `assign rep victor` raises over_capacity.
    let extra = r#"
test "vip lead while victor is at his daily cap" {
  now "2026-11-24T16:00:00Z"
  lead { id: "L-2003", email: "ceo@bigco.example", company: "BigCo", country: "US", state: "NY",
         intent: 20.0, source: referral, created_at: "2026-11-24T15:00:00Z", tags: ["vip"] }
  state { victor { assigned_today: 4 } }
  expect queue manager_review
}
"#;
    let dir = TempDir::new("coverage-handler");
    let text = format!("{}{extra}", inbound_text());
    dir.write("inbound.route", &text);
    let r = run_in(dir.path(), &["test", "inbound.route", "--coverage", "--format", "json"]);
    r.expect_code(0);
    let cov = json_coverage(&r.stdout, 19);
    check_partition(&cov, &inbound_declarations());
    assert!(cov["handlers"].0.iter().any(|h| h == "over_capacity"), "{:?}", cov["handlers"]);
    assert!(cov["rules"].0.iter().any(|h| h == "inbound/vip"), "{:?}", cov["rules"]);
}

// ================================================================ 9. moves inside a team

const TWO_REPS: &str = r#"policy pair { owner "ops@acme.example" timezone "UTC" }
enum Source { web }
schema lead { id: string  source: Source }
rep ana { email "ana@acme.example" capacity 100 per day }
rep ben { email "ben@acme.example" }
team sales { members [ana, ben] strategy round_robin }
queue review { owner "ops@acme.example" sla 1h }
tier all otherwise sla 1h
route main {
  otherwise -> assign team sales else queue review
}
"#;

#[test]
fn a_cap_change_that_moves_leads_between_reps_of_one_team_is_a_change() {
    let dir = TempDir::new("rep-moves");
    dir.write("old.route", TWO_REPS);
    dir.write("new.route", edit_once(TWO_REPS, "capacity 100 per day", "capacity 1 per day"));
    let leads: String = (1..=4).map(|i| format!("{{\"id\": \"P-{i}\", \"source\": \"web\"}}\n")).collect();
    dir.write("leads.ndjson", leads);
    let args = ["diff", "old.route", "new.route", "--leads", "leads.ndjson", "--now", NOW];
    let run = run_in(dir.path(), &args);
    run.expect_code(0);
    let report = parse_report(&run.stdout, "old.route", "new.route");
    // The change list shows what was written, not the defaults (`weight 1`, `active true`, the policy's time zone).
    assert_eq!(report.changes, ["rep ana: `email \"ana@acme.example\" capacity 100 per day` -> `email \"ana@acme.example\" capacity 1 per day`"]);
    let (rows, changed) = check_table(&report, 4);
    // ana takes P-1 on both sides; at her new cap, P-3 goes to ben instead.
    assert_eq!(changed, 1, "{rows:#?}");
    assert_eq!(report.split, Some((0, 1)), "one rep move inside the team, no team change");
    let moved = rows.iter().find(|r| r.starred).expect("a changed row");
    assert_eq!((moved.old.as_str(), moved.new.as_str(), moved.samples.as_slice()), ("team sales (rep ana)", "team sales (rep ben)", ["P-3".to_string()].as_slice()));
    // `--fail-on-change` counts what the user asks: rep moves by default, not with `--level team`.
    let gate = |extra: &[&str]| run_in(dir.path(), &[&args[..], extra].concat());
    gate(&["--fail-on-change", "10"]).expect_code(1).expect_one_line_error(&["25.00%", "--fail-on-change 10%", "--level rep"]);
    gate(&["--fail-on-change", "10", "--level", "team"]).expect_code(0);
    let json = parse_json(&gate(&["--format", "json"]).stdout);
    assert_eq!((json["replay"]["changed"].as_u64(), json["replay"]["team_changed"].as_u64(), json["replay"]["rep_moved"].as_u64()), (Some(1), Some(0), Some(1)));
}
