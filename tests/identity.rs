//! Identity that survives edits: editing comments or reformatting a policy
//! keeps its `policy_version` and the rule names its decisions carry; only
//! `source_digest` tells the two texts apart. A change of behaviour changes
//! the version.

use leadroute_compiler::{SourceFile, SourceSet};
use leadroute_runtime::ir::PolicyIr;
use leadroute_runtime::{Lead, LeadOptions, Policy, State};

fn example(name: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)).expect("example file")
}

mod common;

fn build(text: &str) -> PolicyIr {
    common::ir_of(&[("inbound.route", text)])
}

/// The rule each example lead ends at, in order.
fn rules(ir: &PolicyIr) -> Vec<Option<String>> {
    let p = Policy::from_ir(ir.clone()).expect("loads");
    let (state, _) = State::from_json(p.ir(), &example("state.json")).expect("state");
    let at = p.at(leadroute_runtime::parse_time("2026-11-24T15:00:00Z").expect("time"));
    example("leads.ndjson")
        .lines()
        .filter_map(|l| Lead::from_json_str(p.ir(), l, LeadOptions::default()).ok())
        .map(|lead| p.decide(&lead, &state, &at, false).rule)
        .collect()
}

/// The example with a comment line before every route rule and the blank
/// lines doubled: every rule moves down.
fn commented(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.trim_start().starts_with("when ") || line.trim_start().starts_with("otherwise ->") {
            out.push_str("  // reviewed in the Q4 routing audit\n");
        }
        out.push_str(line);
        out.push('\n');
        if line.is_empty() {
            out.push('\n');
        }
    }
    out
}

#[test]
fn editing_comments_and_reformatting_keep_the_version_and_the_rule_names() {
    let text = example("inbound.route");
    let original = build(&text);
    let edited = commented(&text);
    let formatted = leadroute_compiler::fmt::format_source(&edited).expect("formats");
    assert_ne!(edited, text);
    assert_ne!(formatted, edited, "the doubled blank lines are reformatted");
    let base_rules = rules(&original);
    assert!(base_rules.iter().any(|r| r.as_deref() == Some("inbound#otherwise")), "unnamed rules are named by route and place");
    assert!(base_rules.iter().any(|r| r.as_deref() == Some("partners#2")));
    for other in [build(&edited), build(&formatted)] {
        assert_eq!(other.policy_version, original.policy_version);
        assert_ne!(other.source_digest, original.source_digest, "the exact text differs");
        assert_eq!(rules(&other), base_rules);
    }
}

#[test]
fn a_change_of_behaviour_changes_the_version() {
    let text = example("inbound.route");
    let original = build(&text);
    let faster = build(&text.replacen("tier hot  when intent >= 80.0", "tier hot  when intent >= 85.0", 1));
    assert_ne!(faster.policy_version, original.policy_version);
    let renamed = build(&text.replacen("  stale: when", "  backfill: when", 1));
    assert_ne!(renamed.policy_version, original.policy_version, "a rule name is in every decision it makes");
}

/// A tier may leave its SLA out: nobody has to invent one.
#[test]
fn a_tier_without_sla_checks_and_its_leads_have_no_sla_due() {
    let text = example("inbound.route").replacen("tier cold otherwise sla 24h", "tier cold otherwise", 1);
    assert!(text.contains("tier cold otherwise\n"), "the example's cold tier lost its SLA");
    let ir = build(&text);
    let p = Policy::from_ir(ir).expect("loads");
    let lead = r#"{"id": "L-1", "email": "kim@smallco.example", "company": "SmallCo", "country": "US", "state": "OH",
                   "employees": 40, "intent": 12.0, "source": "event", "created_at": "2026-11-23T18:00:00Z", "tags": []}"#;
    let lead = Lead::from_json_str(p.ir(), lead, LeadOptions::default()).expect("lead");
    let at = p.at(leadroute_runtime::parse_time("2026-11-24T16:00:00Z").expect("time"));
    let d = p.decide(&lead, &State::new(p.ir()), &at, false);
    assert_eq!((d.tier.as_deref(), d.queue.as_deref(), d.sla_due.as_deref()), (Some("cold"), Some("nurture"), None));
    assert!(d.to_human().contains("no SLA (tier cold sets none"), "{}", d.to_human());
    // A breach handler for that tier could never fire.
    let mut set = SourceSet::new();
    set.add(SourceFile::new("inbound.route", format!("{text}on sla_breach(cold) -> queue manager_review\n")));
    let codes: Vec<_> = leadroute_compiler::check_with_tables(&common::example_tables(), &mut set).diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&leadroute_compiler::Code::E0034), "{codes:?}");
}

/// The version hashes the behaviour's text written one list element at a
/// time (`PolicyIr::write_behaviour`): the same bytes as the whole tree's
/// text, on every bundled example (tables, calendars, duplicates and all).
#[test]
fn streamed_behaviour_is_the_tree_s_text_on_every_example() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let paths = ["inbound.route", "overlap.route", "rota.route", "accounts/accounts.route", "gaps"];
    let mut checked = 0;
    for p in paths {
        let (sources, result) = leadroute_compiler::check_paths(&leadroute_compiler::source::DiskProvider, &[dir.join(p)]);
        let Some(ir) = leadroute_compiler::lower::lower(&sources, &result) else { continue };
        let mut out = Vec::new();
        ir.write_behaviour(&mut out).expect("writing to a Vec");
        assert_eq!(String::from_utf8(out).expect("UTF-8"), ir.behaviour().to_string(), "{p}");
        checked += 1;
    }
    assert!(checked >= 3, "most examples check clean ({checked})");
}
