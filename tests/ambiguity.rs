//! Territory ambiguity is part of the rule order: a policy written the
//! natural way from a plain-words brief ("owner first; then, if the
//! territory is ambiguous, a review queue; then hot leads by territory; then
//! SDRs; else nurture") routes as the brief says, on both backends, and
//! `check` refuses the version that would misroute with an example lead.

use leadroute_compiler::{Code, SourceFile, SourceSet};
use leadroute_runtime::{Backend, Decision, Lead, LeadOptions, Policy, Selected, State};

const HEAD: &str = r#"
policy brief { owner "revops@example.com" timezone "America/New_York" }
enum Segment { smb, enterprise }
schema lead {
  id: string
  state: string?
  segment: Segment
  intent: float
  account_owner: string?
}
rep olivia { email "olivia@example.com" }
rep wes    { email "wes@example.com" }
rep erica  { email "erica@example.com" }
rep sam    { email "sam@example.com" }
team ae_west       { members [wes] }
team ae_enterprise { members [erica] }
team sdr_pool      { members [sam] }
queue territory_review { owner "ops@example.com" sla 30m }
queue nurture          { owner "marketing@example.com" sla 2d }
tier hot  when intent >= 80.0 sla 5m
tier warm when intent >= 40.0 sla 1h
tier cold otherwise sla 1d
territory west       when state is present and state in ["CA", "OR", "WA"]
territory enterprise when segment == enterprise
on no_available_rep -> queue nurture
"#;

/// The brief, rule for rule: the ambiguity test sits where the brief puts it.
const NATURAL: &str = r#"
route inbound {
  owner: when account_owner is present -> assign owner(account_owner) else continue
  review: when territory is ambiguous -> queue territory_review
  hot_west: when tier == hot and territory == west -> assign team ae_west
  hot_enterprise: when tier == hot and territory == enterprise -> assign team ae_enterprise
  sdrs: when tier in [hot, warm] -> assign team sdr_pool
  otherwise -> queue nurture
}
"#;

/// The same brief with a policy-wide handler instead of a review rule.
const WITH_HANDLER: &str = r#"
route inbound {
  owner: when account_owner is present -> assign owner(account_owner) else continue
  hot_west: when tier == hot and territory == west -> assign team ae_west
  hot_enterprise: when tier == hot and territory == enterprise -> assign team ae_enterprise
  sdrs: when tier in [hot, warm] -> assign team sdr_pool
  otherwise -> queue nurture
}
on ambiguous_territory -> queue territory_review
"#;

const NOW: &str = "2026-11-24T16:00:00Z";
const WEST_ENTERPRISE_OWNED: &str = r#"{"id": "L1", "state": "CA", "segment": "enterprise", "intent": 91.0, "account_owner": "olivia"}"#;
const WEST_ENTERPRISE: &str = r#"{"id": "L2", "state": "CA", "segment": "enterprise", "intent": 91.0}"#;
const WEST_SMB: &str = r#"{"id": "L3", "state": "OR", "segment": "smb", "intent": 85.0}"#;
const WARM_AMBIGUOUS: &str = r#"{"id": "L4", "state": "WA", "segment": "enterprise", "intent": 50.0}"#;

fn sources(route: &str) -> SourceSet {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("brief.route", format!("{HEAD}{route}")));
    set
}

fn codes(route: &str) -> Vec<Code> {
    leadroute_compiler::check(&sources(route)).diagnostics.iter().map(|d| d.code).collect()
}

/// Decides each lead on both backends, with and without a trace; they must agree.
fn decide(route: &str, leads: &[&str], explain: bool) -> Vec<Decision> {
    let set = sources(route);
    let checked = leadroute_compiler::check(&set);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let ir = leadroute_compiler::lower::lower(&set, &checked).expect("lowers");
    let now = leadroute_runtime::parse_time(NOW).expect("time");
    let mut out = Vec::new();
    for text in leads {
        let mut per_backend = Vec::new();
        for backend in [Backend::Interp, Backend::Jit] {
            let p = Policy::from_ir_with(ir.clone(), backend).expect("loads");
            let lead = Lead::from_json_str(p.ir(), text, LeadOptions::default()).expect("a valid lead");
            let d = p.decide(&lead, &State::new(p.ir()), &p.at(now), explain);
            per_backend.push((serde_json::to_string(&d).expect("json"), d, p.select(&lead, now)));
        }
        let (b, a) = (per_backend.pop(), per_backend.pop());
        let ((ja, da, sa), (jb, _, sb)) = (a.expect("interp"), b.expect("jit"));
        assert_eq!(ja, jb, "backends disagree on {text}");
        assert_eq!(sa, sb, "backends select differently for {text}");
        out.push(da);
    }
    out
}

#[test]
fn the_natural_policy_checks_clean_with_no_handler_needed() {
    assert_eq!(codes(NATURAL), Vec::<Code>::new());
}

#[test]
fn an_ambiguous_lead_with_an_available_account_owner_goes_to_the_owner() {
    for route in [NATURAL, WITH_HANDLER] {
        let d = &decide(route, &[WEST_ENTERPRISE_OWNED], false)[0];
        assert_eq!((d.rep.as_deref(), d.rule.as_deref()), (Some("olivia"), Some("owner")), "{}", d.to_json_line());
        assert_eq!(d.territory, None);
        assert_eq!(d.territories, ["west", "enterprise"]);
        assert!(d.exceptions.is_empty(), "no ambiguity raised: {:?}", d.exceptions);
    }
}

#[test]
fn an_ambiguous_lead_without_an_owner_goes_to_review_naming_its_territories() {
    let d = &decide(NATURAL, &[WEST_ENTERPRISE], false)[0];
    assert_eq!((d.queue.as_deref(), d.rule.as_deref()), (Some("territory_review"), Some("review")));
    let json: serde_json::Value = serde_json::from_str(&d.to_json_line()).expect("json");
    assert_eq!(json["territories"], serde_json::json!(["west", "enterprise"]));
    assert_eq!(json["territory"], serde_json::Value::Null);
    // A lead in one territory has no `territories` list.
    let plain = &decide(NATURAL, &[WEST_SMB], false)[0];
    assert_eq!((plain.team.as_deref(), plain.territory.as_deref()), (Some("ae_west"), Some("west")));
    assert!(!plain.to_json_line().contains("territories"));
}

#[test]
fn the_handler_runs_where_a_rule_first_reads_the_territory_and_the_trace_says_which() {
    let ds = decide(WITH_HANDLER, &[WEST_ENTERPRISE, WARM_AMBIGUOUS], true);
    let d = &ds[0];
    assert_eq!((d.queue.as_deref(), d.rule.as_deref()), (Some("territory_review"), Some("on ambiguous_territory")));
    let human = d.to_human();
    assert!(human.contains("territory ambiguous (west, enterprise)"), "{human}");
    assert!(human.contains("first read by rule hot_west (brief.route:"), "{human}");
    assert!(human.contains("rule owner: account_owner is present [account_owner = null] -> no"), "the owner rule ran first: {human}");
    // A warm ambiguous lead reads the territory at `hot_west` too: the tier
    // test comes after the territory read is decided, rule by rule.
    assert_eq!(ds[1].queue.as_deref(), Some("territory_review"));
}

#[test]
fn select_stops_where_the_ambiguity_is_raised() {
    let set = sources(WITH_HANDLER);
    let checked = leadroute_compiler::check(&set);
    let ir = leadroute_compiler::lower::lower(&set, &checked).expect("lowers");
    let now = leadroute_runtime::parse_time(NOW).expect("time");
    for backend in [Backend::Interp, Backend::Jit] {
        let p = Policy::from_ir_with(ir.clone(), backend).expect("loads");
        let lead = Lead::from_json_str(p.ir(), WEST_ENTERPRISE, LeadOptions::default()).expect("lead");
        let sel = p.select(&lead, now);
        assert_eq!((sel.territory, sel.territories_matched), (None, 2));
        assert_eq!(sel.outcome, Selected::Ambiguous { route: 0, rule: 1 }, "{backend}");
        let owned = Lead::from_json_str(p.ir(), WEST_ENTERPRISE_OWNED, LeadOptions::default()).expect("lead");
        assert_eq!(p.select(&owned, now).outcome, Selected::Rule { route: 0, rule: 0 }, "{backend}");
    }
}

#[test]
fn without_a_handler_or_a_review_rule_check_refuses_with_the_rule_and_an_example() {
    let route = WITH_HANDLER.replace("on ambiguous_territory -> queue territory_review", "");
    let checked = leadroute_compiler::check(&sources(&route));
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == Code::E0023).collect();
    assert_eq!(errors.len(), 1, "{:?}", checked.diagnostics);
    let e = errors[0];
    assert!(e.secondary.iter().any(|l| l.message.contains("rule `hot_west` reads its territory")), "{e:?}");
    let lead = e.example.as_ref().expect("an example lead");
    assert_eq!((lead["state"].as_str(), lead["segment"].as_str()), (Some("CA"), Some("enterprise")));
    assert!(lead.get("account_owner").is_none(), "a lead with an owner would not reach the rule: {lead}");
}

#[test]
fn a_review_rule_after_the_first_territory_read_can_never_fire() {
    let route = WITH_HANDLER.replace(
        "  sdrs:",
        "  late_review: when territory is ambiguous -> queue territory_review\n  sdrs:",
    );
    let checked = leadroute_compiler::check(&sources(&route));
    assert!(
        checked.diagnostics.iter().any(|d| d.code == Code::W0006 && d.message.contains("late_review")),
        "{:?}",
        checked.diagnostics
    );
}

#[test]
fn is_ambiguous_is_only_for_the_territory_inside_a_route() {
    let route = NATURAL.replace("territory is ambiguous", "state is ambiguous");
    assert!(codes(&route).contains(&Code::E0012));
}
