//! The compiled fast path and the reference evaluator (used when a trace is
//! asked for) decide every lead the same way.

#[path = "../benches/gen.rs"]
#[allow(dead_code)]
mod gen;

use leadroute_runtime::{Decision, Lead, LeadOptions, Policy, State};

mod common;

fn compile(text: &str) -> Policy {
    Policy::from_ir(common::ir_of(&[("p.route", text)])).expect("loads")
}

fn without_trace(mut d: Decision) -> Decision {
    d.trace = None;
    d
}

/// Routes every lead both ways from the same evolving state; commits the fast decision.
fn assert_paths_agree(policy: &Policy, mut state: State, leads: &[String], now: &str) -> usize {
    let moment = policy.at(leadroute_runtime::parse_time(now).expect("time"));
    let mut compared = 0;
    for text in leads {
        let Ok(lead) = Lead::from_json_str(policy.ir(), text, LeadOptions::default()) else { continue };
        let fast = policy.decide(&lead, &state, &moment, false);
        let traced = policy.decide(&lead, &state, &moment, true);
        assert!(traced.trace.as_ref().is_some_and(|t| !t.is_empty()));
        assert_eq!(fast, without_trace(traced), "lead {text}");
        policy.commit(&mut state, &fast);
        compared += 1;
    }
    compared
}

#[test]
fn both_paths_agree_on_the_bundled_leads_at_several_times() {
    let policy = compile(include_str!("../examples/inbound.route"));
    let leads: Vec<String> = include_str!("../examples/leads.ndjson").lines().map(String::from).collect();
    for now in ["2026-11-24T15:00:00Z", "2026-11-24T20:30:00Z", "2026-11-25T02:00:00Z", "2026-11-28T12:00:00Z"] {
        let (state, _) = State::from_json(policy.ir(), include_str!("../examples/state.json")).expect("state");
        assert_eq!(assert_paths_agree(&policy, state, &leads, now), 582);
    }
}

#[test]
fn both_paths_agree_on_the_200_rule_policy() {
    let policy = compile(&gen::policy_200());
    for (spread, seed) in [(true, 1), (false, 2), (true, 3)] {
        let leads = gen::leads_200(3000, spread, seed);
        assert_eq!(assert_paths_agree(&policy, State::new(policy.ir()), &leads, "2026-11-24T15:00:00Z"), 3000);
    }
}

#[test]
fn reading_a_lead_from_text_or_from_a_json_value_is_the_same() {
    let policy = compile(include_str!("../examples/inbound.route"));
    for strict in [false, true] {
        let opts = LeadOptions { strict };
        for line in include_str!("../examples/leads.ndjson").lines() {
            let value: serde_json::Value = serde_json::from_str(line).expect("json");
            let a = Lead::from_json(policy.ir(), &value, opts);
            let b = Lead::from_json_str(policy.ir(), line, opts);
            match (a, b) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err((id, b))) => {
                    assert_eq!(a, b, "{line}");
                    assert_eq!(id, Lead::id_of(&value));
                }
                (a, b) => panic!("{line}: {a:?} vs {b:?}"),
            }
        }
    }
}
