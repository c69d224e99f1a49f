//! Duplicate leads in the engine and the command line: `on duplicate(...)`
//! runs before the routes on both backends alike, the decision names the
//! earlier lead, and without an earlier lead nothing changes.

mod common;
use common::*;

use leadroute_runtime::{Backend, Lead, LeadOptions, Policy, Prior, State};

const POLICY: &str = r#"policy dedup { owner "qa@example.com" timezone "UTC" }
schema lead {
  id: string
  email: string
  intent: float
}
rep a1 { email "a1@example.com" }
rep a2 { email "a2@example.com" }
rep a3 { email "a3@example.com" capacity 1 open }
team aes { members [a1, a2, a3] strategy round_robin }
queue triage { owner "ops@example.com" sla 30m }
queue dup_review { owner "ops@example.com" sla 4h }
tier hot when intent >= 80.0 sla 5m
tier cold otherwise sla 1d
route inbound {
  hot: when tier == hot -> assign team aes
  otherwise -> queue triage
}
on no_available_rep -> queue triage
"#;

const NOW: &str = "2026-11-24T15:00:00Z";

fn policies(handler: &str) -> (Policy, Policy) {
    let mut set = leadroute_compiler::SourceSet::new();
    set.add(leadroute_compiler::SourceFile::new("dedup.route", format!("{POLICY}{handler}\n")));
    let checked = leadroute_compiler::check(&set);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let ir = leadroute_compiler::lower::lower(&set, &checked).expect("lowers");
    (Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads"), Policy::from_ir_with(ir, Backend::Jit).expect("compiles"))
}

fn ms(t: &str) -> i64 {
    leadroute_runtime::parse_time(t).expect("an RFC 3339 time")
}

/// Earlier leads of every kind a caller may find: owned by each rep, unowned, unknown owner, too old, in the future.
fn priors() -> Vec<Option<Prior>> {
    let at = |t: &str, owner: Option<&str>| Some(Prior::new("L-0", ms(t)).owned_by(owner.map(str::to_string)));
    vec![
        None,
        at("2026-11-24T14:00:00Z", Some("a1")),
        at("2026-11-24T14:00:00Z", Some("a2")),
        at("2026-11-24T14:00:00Z", Some("a3")),
        at("2026-11-24T14:00:00Z", None),
        at("2026-11-24T14:00:00Z", Some("gone")),
        at("2026-10-01T00:00:00Z", Some("a1")),
        at("2026-11-25T00:00:00Z", Some("a1")),
    ]
}

#[test]
fn both_backends_decide_duplicates_alike_with_and_without_traces() {
    let handlers = [
        "on duplicate(within 30d) -> assign previous owner else continue",
        "on duplicate(within 7d) -> queue dup_review",
        "on duplicate(within 30d) -> assign previous owner else assign team aes else queue dup_review",
        "on duplicate(within 30d) -> assign previous owner",
    ];
    let now = ms(NOW);
    let mut compared = 0;
    for handler in handlers {
        let (interp, jit) = policies(handler);
        let (mut si, mut sj) = (State::new(interp.ir()), State::new(jit.ir()));
        let (mi, mj) = (interp.at(now), jit.at(now));
        for (i, prior) in priors().iter().cycle().take(24).enumerate() {
            let text = format!(r#"{{"id": "L-{i}", "email": "x@example.com", "intent": {}}}"#, if i % 3 == 0 { 20.0 } else { 90.0 });
            let lead = Lead::from_json_str(interp.ir(), &text, LeadOptions::default()).expect("a valid lead");
            for explain in [false, true] {
                let a = interp.decide_with(&lead, &si, &mi, explain, prior.as_ref());
                let b = jit.decide_with(&lead, &sj, &mj, explain, prior.as_ref());
                assert_eq!(serde_json::to_string(&a).expect("json"), serde_json::to_string(&b).expect("json"), "{handler}, explain={explain}, {prior:?}");
                if !explain {
                    interp.commit(&mut si, &a);
                    jit.commit(&mut sj, &b);
                }
            }
            compared += 1;
        }
    }
    assert_eq!(compared, 96);
}

#[test]
fn without_an_earlier_lead_the_decision_is_byte_identical() {
    let (with_handler, _) = policies("on duplicate(within 30d) -> assign previous owner else continue");
    let (without, _) = policies("");
    let now = ms(NOW);
    let lead = |p: &Policy| Lead::from_json_str(p.ir(), r#"{"id": "L-1", "email": "x@example.com", "intent": 90}"#, LeadOptions::default()).expect("valid");
    for p in [&with_handler, &without] {
        let state = State::new(p.ir());
        let plain = p.decide(&lead(p), &state, &p.at(now), true);
        let none = p.decide_with(&lead(p), &state, &p.at(now), true, None);
        assert_eq!(serde_json::to_string(&plain).expect("json"), serde_json::to_string(&none).expect("json"));
        assert!(!serde_json::to_string(&plain).expect("json").contains("duplicate"));
    }
    // A policy without a handler ignores an earlier lead.
    let state = State::new(without.ir());
    let prior = Prior::new("L-0", now - 1000).owned_by(Some("a2".into()));
    let d = without.decide_with(&lead(&without), &state, &without.at(now), false, Some(&prior));
    assert_eq!((d.rep.as_deref(), d.duplicate_of.is_none()), (Some("a1"), true));
    assert_eq!(without.duplicate_key(&lead(&without)), None);
}

#[test]
fn the_previous_owner_gets_the_duplicate_and_the_decision_says_why() {
    let (p, _) = policies("on duplicate(within 30d) -> assign previous owner else continue");
    let now = ms(NOW);
    let lead = Lead::from_json_str(p.ir(), r#"{"id": "L-2", "email": "  X@Example.com", "intent": 90}"#, LeadOptions::default()).expect("valid");
    assert_eq!(p.duplicate_key(&lead).as_deref(), Some("x@example.com"));
    assert_eq!(p.duplicate_window_ms(), Some(30 * 86_400_000));
    let prior = Prior::new("L-1", ms("2026-11-20T10:00:00Z")).owned_by(Some("a2".into()));
    let d = p.decide_with(&lead, &State::new(p.ir()), &p.at(now), true, Some(&prior));
    assert_eq!((d.rep.as_deref(), d.team.as_deref(), d.rule.as_deref()), (Some("a2"), None, Some("on duplicate")));
    assert_eq!(d.tier.as_deref(), Some("hot"), "the lead is classified as usual");
    let human = d.to_human();
    assert!(human.contains("duplicate of lead L-1 (decided 2026-11-20T10:00:00Z, owner a2)"), "{human}");
    assert!(human.contains("duplicate L-1 -> on duplicate(within 30d) -> assign previous owner else continue"), "{human}");
    let json = serde_json::to_value(&d).expect("json");
    assert_eq!(json["duplicate_of"], serde_json::json!({ "lead_id": "L-1", "decided_at": "2026-11-20T10:00:00Z", "owner": "a2" }));
}

/// `leadroute route` over a lead file applies the rule in file order.
#[test]
fn route_applies_the_rule_in_file_order() {
    let dir = TempDir::new("dup-route");
    let policy = dir.write("dedup.route", format!("{POLICY}on duplicate(within 30d) -> assign previous owner else continue\n"));
    let leads = dir.write(
        "leads.ndjson",
        [
            r#"{"id": "F-1", "email": "a@x.com", "intent": 90}"#,
            r#"{"id": "F-2", "email": "b@x.com", "intent": 90}"#,
            r#"{"id": "F-3", "email": "A@X.com", "intent": 90}"#,
            r#"{"id": "F-4", "email": "a@x.com", "intent": 20}"#,
        ]
        .join("\n"),
    );
    let run = run(&["route", &policy, "--leads", &leads, "--now", NOW]);
    run.expect_code(0);
    let got: Vec<String> = run
        .stdout
        .lines()
        .map(|l| {
            let d: serde_json::Value = serde_json::from_str(l).expect("JSON lines");
            format!("{} {} {}", d["lead_id"].as_str().unwrap_or("?"), d["rep"].as_str().unwrap_or("-"), d["duplicate_of"]["lead_id"].as_str().unwrap_or("-"))
        })
        .collect();
    assert_eq!(got, ["F-1 a1 -", "F-2 a2 -", "F-3 a1 F-1", "F-4 a1 F-3"], "{}", run.stdout);
}

/// `leadroute test` decides an inline test with its `prior`: the round robin would give a1.
#[test]
fn inline_tests_run_with_their_earlier_lead() {
    let dir = TempDir::new("dup-test");
    let test = "test \"a repeat goes to the earlier owner\" {\n  now \"2026-11-24T15:00:00Z\"\n  lead { id: \"L-2\", email: \"a@x.com\", intent: 90.0 }\n  prior { lead: \"L-1\", owner: a2, at: \"2026-11-20T10:00:00Z\" }\n  expect rep a2\n}\n";
    let policy = dir.write("dedup.route", format!("{POLICY}on duplicate(within 30d) -> assign previous owner else continue\n{test}"));
    run(&["test", &policy]).expect_code(0);
    // Too old for a 1-day window: routed normally, and the test says so.
    let policy = dir.write("late.route", format!("{POLICY}on duplicate(within 1d) -> assign previous owner else continue\n{test}"));
    let late = run(&["test", &policy]);
    late.expect_code(1);
    assert!(late.stdout.contains("expected rep a2, got rep a1"), "{}", late.stdout);
}

/// A hand-edited IR with a duplicate handler is checked on load like the rest.
#[test]
fn a_broken_duplicate_handler_in_the_ir_is_refused_with_its_path() {
    let mut set = leadroute_compiler::SourceSet::new();
    set.add(leadroute_compiler::SourceFile::new("dedup.route", format!("{POLICY}on duplicate(within 30d) -> queue dup_review\n")));
    let checked = leadroute_compiler::check(&set);
    let ir = serde_json::to_value(leadroute_compiler::lower::lower(&set, &checked).expect("lowers")).expect("json");
    let refused = |path: &str, v: serde_json::Value| {
        let mut ir = ir.clone();
        *ir.pointer_mut(path).expect("the path exists") = v;
        Policy::from_json(&ir.to_string()).expect_err("refused").to_string()
    };
    assert!(refused("/format_version", 2.into()).contains("`$.duplicate`: a duplicate handler needs format version 3"));
    assert!(refused("/duplicate/window_ms", 0.into()).contains("`$.duplicate.window_ms`"));
    assert!(refused("/duplicate/key", 2.into()).contains("`$.duplicate.key`: the key field is not a string"));
    assert!(refused("/duplicate/key", 9.into()).contains("`$.duplicate.key`"));
}
