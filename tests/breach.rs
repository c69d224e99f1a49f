//! SLA breaches through the runtime API the service calls (`Policy::breach`,
//! `reminder`, `escalation`, the SLA look-ups), on both backends, and the
//! IR's new fields: old IR still loads, corrupted IR is refused.

use leadroute_runtime::{Backend, BreachResult, Decision, Escalation, Lead, LeadOptions, Outcome, Policy, Reminder, SkipReason, State};

const POLICY: &str = r#"policy p { owner "o@x.example" timezone "UTC" }
schema lead { id: string  intent: float }
rep ann { email "ann@x.example" }
rep ben { email "ben@x.example" }
rep cat { email "cat@x.example" }
rep dee { email "dee@x.example" }
rep eve { email "eve@x.example" }
team sdr { members [ann, ben, cat] strategy round_robin }
team ae { members [dee, eve] }
queue review { owner "ops@x.example" sla 30m escalate managers }
queue managers { owner "m@x.example" sla 1h escalate notify "managers overdue" }
tier hot when intent >= 80.0 sla 5m
tier warm when intent >= 40.0 sla 1h
tier cold otherwise sla 1d
route main {
  when tier == hot -> assign team sdr
  when tier == warm -> assign team ae
  otherwise -> queue review
}
on no_available_rep -> queue review
on sla_breach(hot) -> reassign
on sla_breach(warm) -> notify "warm lead waiting"
on sla_warning(hot, 2m) -> notify "hot lead due in 2 minutes"
"#;

const NOW: i64 = 1_767_625_200_000; // 2026-01-05T15:00:00Z

fn ir_of(text: &str) -> leadroute_runtime::ir::PolicyIr {
    let mut set = leadroute_compiler::SourceSet::new();
    set.add(leadroute_compiler::SourceFile::new("p.route", text));
    let checked = leadroute_compiler::check(&set);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    leadroute_compiler::lower::lower(&set, &checked).expect("a policy without errors")
}

fn backends(text: &str) -> Vec<Policy> {
    let ir = ir_of(text);
    vec![Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads"), Policy::from_ir_with(ir, Backend::Jit).expect("compiles")]
}

fn lead(p: &Policy, intent: f64) -> Lead {
    Lead::from_json(p.ir(), &serde_json::json!({ "id": "L1", "intent": intent }), LeadOptions::default()).expect("a valid lead")
}

fn moved(r: BreachResult) -> Decision {
    match r {
        BreachResult::Moved(d) => d,
        other => panic!("expected the lead to move, got {other:?}"),
    }
}

/// Decides and commits a lead, then breaches it after 6 minutes, again and
/// again, each time with every earlier holder; returns each breach's decision.
fn breach_chain(p: &Policy, state: &mut State, intent: f64, times: usize) -> (Decision, Vec<Decision>) {
    let l = lead(p, intent);
    let first = p.decide(&l, state, &p.at(NOW), false);
    p.commit(state, &first);
    let mut holders: Vec<String> = first.rep.iter().cloned().collect();
    let mut current = first.clone();
    let mut out = Vec::new();
    for i in 0..times {
        let at = p.at(NOW + 360_000 * (i as i64 + 1));
        let refs: Vec<&str> = holders.iter().map(String::as_str).collect();
        let d = moved(p.breach(&l, &current, &refs, state, &at, true));
        p.commit(state, &d);
        holders.extend(d.rep.clone());
        current = d.clone();
        out.push(d);
    }
    (first, out)
}

#[test]
fn reassign_skips_holders_follows_round_robin_then_falls_back_to_no_available_rep() {
    let mut results = Vec::new();
    for p in backends(POLICY) {
        let mut state = State::new(p.ir());
        let (first, chain) = breach_chain(&p, &mut state, 90.0, 3);
        assert_eq!(first.rep.as_deref(), Some("ann"));
        let reps: Vec<Option<&str>> = chain.iter().map(|d| d.rep.as_deref()).collect();
        assert_eq!(reps, [Some("ben"), Some("cat"), None]);
        let d = &chain[0];
        assert_eq!((d.outcome, d.team.as_deref(), d.tier.as_deref()), (Outcome::Assigned, Some("sdr"), Some("hot")));
        assert_eq!(d.rule.as_deref(), Some("on sla_breach(hot) -> reassign"));
        assert_eq!(d.route, None);
        assert_eq!(d.sla_due.as_deref(), Some("2026-01-05T15:11:00Z"), "a fresh tier SLA from the breach time");
        assert_eq!(d.exceptions.len(), 1);
        assert_eq!(d.exceptions[0].exception, "sla_breach(hot)");
        let trace = serde_json::to_string(&d.trace).expect("json");
        assert!(trace.contains("ann held it before"), "{trace}");
        // The member passed over is named; the holder is not (its reason is in the detail).
        let skipped: Vec<(&str, SkipReason)> = d.trace.iter().flatten().flat_map(|s| &s.skipped).map(|k| (k.rep.as_str(), k.why)).collect();
        assert_eq!(skipped, [("cat", SkipReason::NotNext)]);
        // Everyone held it: `reassign` without `else` goes to `on no_available_rep`.
        let last = &chain[2];
        assert_eq!((last.outcome, last.queue.as_deref()), (Outcome::Queued, Some("review")));
        assert_eq!(last.sla_due, None);
        assert_eq!(last.queue_sla_due.as_deref(), Some("2026-01-05T15:48:00Z"));
        let excs: Vec<&str> = last.exceptions.iter().map(|e| e.exception.as_str()).collect();
        assert_eq!(excs, ["sla_breach(hot)", "no_available_rep"]);
        assert_eq!(last.exceptions[1].handled_by, "on no_available_rep -> queue review");
        // Commits moved the rotation and the new reps' load.
        let sdr = p.ir().teams.iter().position(|t| t.name == "sdr").expect("sdr");
        assert_eq!(state.teams[sdr].cursor, Some(2));
        assert_eq!(state.reps.iter().map(|r| r.open_load).collect::<Vec<_>>(), [1, 1, 1, 0, 0]);
        results.push(chain);
    }
    assert_eq!(results[0], results[1], "interpreter and compiled code agree");
}

#[test]
fn reassign_skips_unavailable_reps_and_says_why() {
    for p in backends(POLICY) {
        let mut state = State::with_overrides(p.ir(), &serde_json::json!({ "ben": { "active": false } })).expect("state");
        let (_, chain) = breach_chain(&p, &mut state, 90.0, 1);
        assert_eq!(chain[0].rep.as_deref(), Some("cat"));
        let trace = serde_json::to_string(&chain[0].trace).expect("json");
        assert!(trace.contains("ann held it before") && trace.contains("ben inactive"), "{trace}");
    }
}

#[test]
fn reassign_takes_its_else_before_the_policy_handler() {
    let text = POLICY.replace("on sla_breach(hot) -> reassign", "on sla_breach(hot) -> reassign else queue managers");
    for p in backends(&text) {
        let mut state = State::with_overrides(p.ir(), &serde_json::json!({ "ben": { "active": false }, "cat": { "active": false } })).expect("state");
        let (_, chain) = breach_chain(&p, &mut state, 90.0, 1);
        let d = &chain[0];
        assert_eq!((d.outcome, d.queue.as_deref()), (Outcome::Queued, Some("managers")));
        assert_eq!(d.exceptions[1].handled_by, "else queue managers");
    }
}

#[test]
fn notify_leaves_the_lead_and_an_uncovered_tier_is_unhandled() {
    for p in backends(POLICY) {
        let state = State::new(p.ir());
        let warm = lead(&p, 50.0);
        let d = p.decide(&warm, &state, &p.at(NOW), false);
        let r = p.breach(&warm, &d, &[d.rep.as_deref().unwrap_or("")], &state, &p.at(NOW + 3_700_000), false);
        assert_eq!(r, BreachResult::Notify("warm lead waiting".into()));
        let cold = lead(&p, 10.0);
        let d = p.decide(&cold, &state, &p.at(NOW), false);
        assert_eq!(p.breach(&cold, &d, &[], &state, &p.at(NOW + 90_000_000), false), BreachResult::Unhandled);
    }
}

#[test]
fn escalations_reminders_and_slas_are_looked_up_by_name() {
    let p = &backends(POLICY)[0];
    assert_eq!(p.escalation("review"), Some(Escalation::Queue { queue: "managers".into(), sla_ms: Some(3_600_000) }));
    assert_eq!(p.escalation("managers"), Some(Escalation::Notify("managers overdue".into())));
    assert_eq!(p.escalation("nope"), None);
    assert_eq!(p.reminder("hot"), Some(Reminder { before_ms: 120_000, message: "hot lead due in 2 minutes".into() }));
    assert_eq!(p.reminder("warm"), None);
    assert_eq!(p.tier_sla_ms("warm"), Some(3_600_000));
    assert_eq!(p.tier_sla_ms("nope"), None);
    assert_eq!(p.queue_sla_ms("review"), Some(1_800_000));
}

#[test]
fn a_catch_all_reminder_covers_tiers_without_their_own() {
    let text = POLICY.replace("on sla_warning(hot, 2m)", "on sla_warning(1m) -> notify \"due soon\"\non sla_warning(hot, 2m)");
    let p = &backends(&text)[0];
    assert_eq!(p.reminder("warm"), Some(Reminder { before_ms: 60_000, message: "due soon".into() }));
    assert_eq!(p.reminder("hot").map(|r| r.before_ms), Some(120_000));
}

#[test]
fn ir_written_before_sla_handlers_still_loads() {
    let mut v = serde_json::to_value(ir_of(POLICY)).expect("json");
    let o = v.as_object_mut().expect("object");
    o.remove("breach");
    o.remove("reminders");
    for q in o["queues"].as_array_mut().expect("queues") {
        q.as_object_mut().expect("queue").remove("escalate");
    }
    let p = Policy::from_json(&v.to_string()).expect("old IR loads");
    assert_eq!(p.escalation("review"), None);
    assert_eq!(p.reminder("hot"), None);
}

#[test]
fn corrupted_sla_indexes_and_escalation_cycles_are_refused() {
    let ir = ir_of(POLICY);
    let mut bad = ir.clone();
    bad.breach[0].tier = Some(99);
    assert!(Policy::from_ir(bad).is_err());
    let mut bad = ir.clone();
    bad.reminders[0].tier = Some(7);
    assert!(Policy::from_ir(bad).is_err());
    let mut bad = ir.clone();
    bad.queues[0].escalate = Some(leadroute_runtime::ir::EscalateDef::Queue { queue: 42 });
    assert!(Policy::from_ir(bad).is_err());
    let mut bad = ir;
    let review = bad.queues.iter().position(|q| q.name == "review").expect("review") as u32;
    for q in &mut bad.queues {
        q.escalate = Some(leadroute_runtime::ir::EscalateDef::Queue { queue: review });
    }
    let err = Policy::from_ir(bad).expect_err("a cycle").to_string();
    assert!(err.contains("cycle"), "{err}");
}

/// An operator's override: to a named rep (refused when unavailable unless
/// forced), or to a team by its strategy; the decision commits like any other.
#[test]
fn manual_assignments_name_the_operator_and_move_state_on_both_backends() {
    use leadroute_runtime::{ManualAssignment, ManualError, ManualTarget};
    for p in backends(POLICY) {
        let mut state = State::new(p.ir());
        let m = p.at(NOW);
        let l = lead(&p, 90.0);
        let first = p.decide(&l, &state, &m, false);
        p.commit(&mut state, &first);
        let how = ManualAssignment { target: ManualTarget::Rep("eve"), force: false, note: "override by ana: speaks German" };
        let d = p.assign_manually(&l, &first, how, &state, &m).expect("eve is available");
        assert_eq!((d.outcome, d.rep.as_deref(), d.rule.as_deref()), (Outcome::Assigned, Some("eve"), Some("override by ana: speaks German")));
        assert_eq!(d.tier.as_deref(), Some("hot"), "the tier stays");
        assert_eq!(d.exceptions[0].exception, "override");
        p.commit(&mut state, &d);
        let eve = p.ir().reps.iter().position(|r| r.id == "eve").expect("eve");
        assert_eq!(state.reps[eve].open_load, 1);
        // Unavailable: refused with why, unless forced.
        state.reps[eve].active = false;
        let refused = p.assign_manually(&l, &first, how, &state, &m);
        assert_eq!(refused, Err(ManualError::Unavailable { rep: "eve".into(), why: "inactive" }));
        assert!(p.assign_manually(&l, &first, ManualAssignment { force: true, ..how }, &state, &m).is_ok());
        // A team picks by its strategy; unknown names are errors, not panics.
        let t = p.assign_manually(&l, &first, ManualAssignment { target: ManualTarget::Team("sdr"), ..how }, &state, &m).expect("sdr has someone");
        assert_eq!(t.team.as_deref(), Some("sdr"));
        assert!(matches!(p.assign_manually(&l, &first, ManualAssignment { target: ManualTarget::Rep("zed"), ..how }, &state, &m), Err(ManualError::UnknownRep(_))));
        assert!(matches!(p.assign_manually(&l, &first, ManualAssignment { target: ManualTarget::Team("nope"), ..how }, &state, &m), Err(ManualError::UnknownTeam(_))));
    }
}
