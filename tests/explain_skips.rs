//! "Why did this lead go to Bob?": a team assignment's trace names every
//! other member and why it did not get the lead (inactive, out of office,
//! holiday, outside hours, at cap, not next), in JSON (`skipped`) and in
//! the human form (`passed over REP: WHY (DETAIL)`), the same with either
//! backend.

use leadroute_runtime::{Backend, Decision, Lead, LeadOptions, Outcome, Policy, Skip, SkipReason, State};

const POLICY: &str = r#"
policy skips { owner "revops@acme.example"  timezone "UTC" }

enum Pick { rr, weighted, capacity, nobody }

schema lead {
  id:    string
  email: string
  pick:  Pick
}

calendar office { 2026-12-07 "Company offsite"  2027-12-06 "Company offsite" }

rep ann { email "ann@acme.example"  timezone "UTC" }
rep bea { email "bea@acme.example"  timezone "UTC" }
rep cal { email "cal@acme.example"  timezone "Asia/Tokyo"  hours mon-fri 09:00-17:00 }
rep dev { email "dev@acme.example"  timezone "UTC"  calendar office }
rep eve { email "eve@acme.example"  timezone "UTC"  capacity 2 open }
rep fay { email "fay@acme.example"  timezone "UTC"  capacity 10 open }
rep gus { email "gus@acme.example"  timezone "UTC"  capacity 10 open  weight 3 }
rep hal { email "hal@acme.example"  timezone "UTC"  capacity 3 per day }

team rr_team { members [ann, bea, cal, dev, eve, fay, gus, hal]  strategy round_robin }
team w_team { members [ann, fay, gus, hal]  strategy weighted }
team cap_team { members [eve, fay, gus, hal]  strategy capacity }
team gone_team { members [ann, bea]  strategy round_robin }

queue review { owner "ops@acme.example"  sla 1h }

tier standard otherwise sla 24h

route main {
  when pick == rr       -> assign team rr_team
  when pick == weighted -> assign team w_team
  when pick == capacity -> assign team cap_team
  otherwise             -> assign team gone_team
}

on no_available_rep -> queue review
"#;

/// ann inactive, bea out of office, eve at its open cap, fay and gus with
/// some load, hal with one lead today; the rotation last gave rr_team's lead
/// to cal (so it starts at dev).
const STATE: &str = r#"{
  "as_of": "2026-12-07",
  "reps": {
    "ann": { "active": false },
    "bea": { "out_of_office_until": "2026-12-09T09:00:00Z" },
    "eve": { "open_load": 2 },
    "fay": { "open_load": 4 },
    "gus": { "open_load": 1 },
    "hal": { "assigned_today": 1 }
  },
  "teams": { "rr_team": { "cursor": 2 }, "w_team": { "weights": { "fay": 2, "gus": -1, "hal": 0 } } }
}"#;

/// Monday 2026-12-07 15:00 UTC: midnight in Tokyo (cal is off), dev's offsite.
const NOW: &str = "2026-12-07T15:00:00Z";

fn policy(backend: Backend) -> Policy {
    let mut set = leadroute_compiler::SourceSet::new();
    set.add(leadroute_compiler::SourceFile::new("skips.route", POLICY));
    let checked = leadroute_compiler::check(&set);
    let ir = leadroute_compiler::lower::lower(&set, &checked).expect("the test policy has no errors");
    Policy::from_ir_with(ir, backend).expect("the test policy loads")
}

fn lead(n: usize, pick: &str) -> String {
    format!(r#"{{"id":"L-{n}","email":"l{n}@example.com","pick":"{pick}"}}"#)
}

fn now() -> i64 {
    leadroute_runtime::parse_time(NOW).expect("an RFC 3339 time")
}

/// Routes `leads` in order from STATE (committing each), with traces.
fn route_all(p: &Policy, leads: &[String]) -> Vec<Decision> {
    let (mut state, warnings) = State::from_json(p.ir(), STATE).expect("the test state reads");
    assert!(warnings.is_empty(), "{warnings:?}");
    let m = p.at(now());
    leads
        .iter()
        .map(|text| {
            let lead = Lead::from_json_str(p.ir(), text, LeadOptions::default()).expect("a valid lead");
            let d = p.decide(&lead, &state, &m, true);
            p.commit(&mut state, &d);
            d
        })
        .collect()
}

/// The `skipped` lists of a decision's trace steps that have one.
fn skipped_json(d: &Decision) -> Vec<&[Skip]> {
    d.trace.iter().flatten().filter(|s| !s.skipped.is_empty()).map(|s| s.skipped.as_slice()).collect()
}

fn pretty(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).expect("JSON values serialize")
}

#[test]
fn round_robin_names_every_member_passed_over_and_why() {
    let d = &route_all(&policy(Backend::Interp), &[lead(1, "rr")])[0];
    assert_eq!((d.outcome, d.rep.as_deref()), (Outcome::Assigned, Some("fay")));
    let step = d.trace.as_ref().and_then(|t| t.iter().find(|s| !s.skipped.is_empty())).expect("an assign step with skips");
    let whys: Vec<(&str, SkipReason)> = step.skipped.iter().map(|s| (s.rep.as_str(), s.why)).collect();
    assert_eq!(
        whys,
        [
            ("ann", SkipReason::Inactive),
            ("bea", SkipReason::OutOfOffice),
            ("cal", SkipReason::OutsideHours),
            ("dev", SkipReason::Holiday),
            ("eve", SkipReason::AtCap),
            ("gus", SkipReason::NotNext),
            ("hal", SkipReason::NotNext),
        ]
    );
    insta::assert_snapshot!("round_robin_skipped_json", pretty(&skipped_json(d)));
    insta::assert_snapshot!("round_robin_human", d.to_human());
}

#[test]
fn the_next_round_robin_lead_passes_over_the_rep_who_just_had_one() {
    let ds = route_all(&policy(Backend::Interp), &[lead(1, "rr"), lead(2, "rr")]);
    assert_eq!(ds[1].rep.as_deref(), Some("gus"));
    let human = ds[1].to_human();
    assert!(human.contains("passed over fay: not_next (the last lead went to fay; gus comes first after)"), "{human}");
}

#[test]
fn weighted_and_capacity_say_who_had_the_better_claim() {
    let ds = route_all(&policy(Backend::Interp), &[lead(1, "weighted"), lead(2, "capacity"), lead(3, "capacity")]);
    let human: Vec<String> = ds.iter().map(Decision::to_human).collect();
    insta::assert_snapshot!("weighted_and_capacity_human", human.join("\n"));
    insta::assert_snapshot!("weighted_and_capacity_skipped_json", pretty(&ds.iter().map(skipped_json).collect::<Vec<_>>()));
}

#[test]
fn nobody_found_keeps_its_detail_and_lists_the_members_in_json() {
    let d = &route_all(&policy(Backend::Interp), &[lead(1, "nobody")])[0];
    assert_eq!(d.queue.as_deref(), Some("review"));
    insta::assert_snapshot!("nobody_human", d.to_human());
    insta::assert_snapshot!("nobody_skipped_json", pretty(&skipped_json(d)));
}

#[test]
fn without_explain_nothing_is_added() {
    let p = policy(Backend::Interp);
    let (state, _) = State::from_json(p.ir(), STATE).expect("the test state reads");
    let lead = Lead::from_json_str(p.ir(), &lead(1, "rr"), LeadOptions::default()).expect("a valid lead");
    let d = p.decide(&lead, &state, &p.at(now()), false);
    assert!(!d.to_json_line().contains("skipped"), "{}", d.to_json_line());
}

#[test]
fn both_backends_explain_every_lead_identically() {
    let (interp, jit) = (policy(Backend::Interp), policy(Backend::Jit));
    assert_eq!(jit.backend(), Backend::Jit);
    let picks = ["rr", "weighted", "capacity", "nobody"];
    let leads: Vec<String> = (0..200).map(|n| lead(n, picks[(n * 7 + n / 3) % picks.len()])).collect();
    let (a, b) = (route_all(&interp, &leads), route_all(&jit, &leads));
    let mut with_skips = 0;
    for ((x, y), text) in a.iter().zip(&b).zip(&leads) {
        assert_eq!(x.to_json_line(), y.to_json_line(), "lead {text}");
        assert_eq!(x.to_human(), y.to_human(), "lead {text}");
        with_skips += usize::from(x.to_json_line().contains("\"skipped\""));
    }
    assert!(with_skips > 150, "only {with_skips} of {} decisions name skipped reps", leads.len());
}

mod common;

/// `leadroute route --explain` over the example batch: the human and JSON
/// forms name passed-over reps, and both backends print the same bytes.
#[test]
fn route_explain_names_passed_over_reps_with_either_backend() {
    for format in ["human", "json"] {
        let out: Vec<String> = ["interp", "jit"]
            .iter()
            .map(|backend| {
                let run = common::run(&[
                    "route", "examples/inbound.route", "--leads", "examples/leads.ndjson", "--state", "examples/state.json",
                    "--now", "2026-11-24T15:00:00Z", "--explain", "--format", format, "--backend", backend,
                ]);
                run.expect_no_crash();
                run.stdout.clone()
            })
            .collect();
        assert_eq!(out[0], out[1], "--format {format}: interp and jit differ");
        let marker = if format == "human" { "passed over " } else { "\"skipped\":[{\"rep\":" };
        assert!(out[0].contains(marker), "--format {format} names no passed-over rep:\n{}", out[0]);
    }
}
