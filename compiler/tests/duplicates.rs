//! `on duplicate(within D[, by FIELD]) -> ...`: what the checker refuses (one
//! snapshot per mistake, source and report), what it accepts, how the
//! formatter writes it and what the IR carries.

use leadroute_compiler::render::{render_human, HumanOptions};
use leadroute_compiler::source::SourceFile;
use leadroute_compiler::{check, Code, SourceSet};

const BASE: &str = r#"policy p { owner "ops@acme.example" timezone "UTC" }
schema lead {
  id: string
  email: string
  company_domain: string?
  employees: int
  intent: float
}
queue triage { owner "ops@acme.example" sla 1h }
queue dup_review { owner "ops@acme.example" sla 4h }
rep alice { email "alice@acme.example" }
rep bob { email "bob@acme.example" }
team sales { members [alice, bob] }
tier standard otherwise sla 24h
route main {
  when intent > 50 -> assign team sales else queue triage
  otherwise -> queue triage
}
"#;

fn checked(extra: &str) -> (SourceSet, leadroute_compiler::check::Checked) {
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", format!("{BASE}{extra}")));
    let c = check(&sources);
    (sources, c)
}

/// The codes a case produces, but W0003: the base's `dup_review` is unused unless the case uses it.
fn codes(extra: &str) -> Vec<Code> {
    checked(extra).1.diagnostics.iter().map(|d| d.code).filter(|c| *c != Code::W0003).collect()
}

/// The case and the rendered report of `base` + `extra`, without the diagnostics `keep` drops.
fn report_with(base: &str, extra: &str, keep: impl Fn(Code) -> bool) -> String {
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", format!("{base}{extra}")));
    let diags: Vec<_> = check(&sources).diagnostics.into_iter().filter(|d| keep(d.code)).collect();
    format!("--- source (after the base) ---\n{extra}--- human ---\n{}", render_human(&diags, &sources, HumanOptions::plain()))
}

/// The case and the rendered report, for a snapshot (W0003 aside, as in [`codes`]).
fn report(extra: &str) -> String {
    report_with(BASE, extra, |c| c != Code::W0003)
}

#[test]
fn the_handler_forms_of_the_design_check_clean() {
    for h in [
        "on duplicate(within 30d) -> assign previous owner else continue\n",
        "on duplicate(within 7d) -> queue dup_review\n",
        "on duplicate(within 12h) -> drop \"already in the pipeline\"\n",
        "on duplicate(within 30d, by company_domain) -> assign previous owner else assign team sales else queue dup_review\n",
        "on duplicate(within 3650d) -> assign team sales else continue\n",
        "on duplicate(within 30d) -> route main\n",
    ] {
        assert_eq!(codes(h), [], "{h}");
    }
}

#[test]
fn a_window_over_ten_years_is_e0070() {
    insta::assert_snapshot!(report("on duplicate(within 3651d) -> queue dup_review\n"));
}

#[test]
fn a_zero_window_is_a_syntax_error() {
    assert_eq!(codes("on duplicate(within 0d) -> queue dup_review\n"), [Code::E0003]);
}

#[test]
fn a_second_duplicate_handler_is_e0070_pointing_at_the_first() {
    insta::assert_snapshot!(report("on duplicate(within 30d) -> queue dup_review\non duplicate(within 7d) -> queue triage\n"));
}

#[test]
fn an_unknown_key_field_is_e0005_with_did_you_mean() {
    insta::assert_snapshot!(report("on duplicate(within 30d, by company_domian) -> queue dup_review\n"));
}

#[test]
fn a_key_field_that_is_not_text_is_e0070() {
    insta::assert_snapshot!(report("on duplicate(within 30d, by employees) -> queue dup_review\n"));
}

#[test]
fn a_schema_without_email_needs_a_by_field() {
    let extra = "on duplicate(within 30d) -> queue dup_review\n";
    insta::assert_snapshot!(report_with(&BASE.replace("  email: string\n", ""), extra, |_| true));
}

#[test]
fn previous_owner_in_a_route_is_e0071() {
    let extra = "route other {\n  when intent > 80 -> assign previous owner else queue triage\n  otherwise -> route main\n}\n";
    insta::assert_snapshot!(report_with(&BASE.replace("timezone \"UTC\"", "timezone \"UTC\" entry main"), extra, |c| c == Code::E0071));
}

#[test]
fn previous_owner_in_an_else_is_e0071() {
    insta::assert_snapshot!(report("on duplicate(within 30d) -> assign team sales else assign previous owner else continue\n"));
}

#[test]
fn previous_owner_in_other_handlers_is_refused() {
    assert_eq!(codes("on no_available_rep -> assign previous owner else queue triage\n"), [Code::E0071]);
    assert_eq!(codes("on sla_breach -> assign previous owner else queue triage\n"), [Code::E0035]);
}

#[test]
fn previous_owner_without_else_needs_a_no_available_rep_handler() {
    insta::assert_snapshot!(report("on duplicate(within 30d) -> assign previous owner\n"));
    assert_eq!(codes("on duplicate(within 30d) -> assign previous owner\non no_available_rep -> queue triage\n"), []);
}

#[test]
fn the_formatter_keeps_the_handler_and_is_idempotent() {
    let text = format!("{BASE}on   duplicate( within 30d ,by company_domain )->assign previous   owner else continue\n");
    let once = leadroute_compiler::fmt::format_source(&text).expect("formats");
    assert!(once.contains("on duplicate(within 30d, by company_domain) -> assign previous owner else continue\n"), "{once}");
    assert_eq!(leadroute_compiler::fmt::format_source(&once).expect("formats"), once);
    // A test's `prior` keeps its fields.
    let text = format!("{BASE}test \"t\" {{ lead {{ id: \"L-2\" }}\n prior {{lead:\"L-1\",owner: bob,at:\"2026-11-20T10:00:00Z\"}} expect rep bob }}\n");
    let once = leadroute_compiler::fmt::format_source(&text).expect("formats");
    assert!(once.contains("  prior { lead: \"L-1\", owner: bob, at: \"2026-11-20T10:00:00Z\" }\n"), "{once}");
}

#[test]
fn the_ir_carries_key_window_and_action_and_needs_format_version_3() {
    let (sources, c) = checked("on duplicate(within 30d, by company_domain) -> assign previous owner else queue dup_review\n");
    let ir = leadroute_compiler::lower::lower(&sources, &c).expect("lowers");
    assert_eq!(ir.format_version, 3);
    let d = ir.duplicate.as_ref().expect("a duplicate handler");
    assert_eq!(ir.fields[d.key as usize].name, "company_domain");
    assert_eq!(d.window_ms, 30 * 86_400_000);
    assert_eq!(d.text, "on duplicate(within 30d, by company_domain) -> assign previous owner else queue dup_review");
    // Without a handler, the IR stays version 2 (older engines read it; its hash is unchanged).
    let (sources, c) = checked("");
    let ir = leadroute_compiler::lower::lower(&sources, &c).expect("lowers");
    assert_eq!((ir.format_version, ir.duplicate.is_none()), (2, true));
    assert!(!serde_json::to_string(&ir).expect("serializes").contains("duplicate"));
}

#[test]
fn explain_describes_the_new_codes() {
    assert!(Code::E0070.explanation().contains("duplicate"));
    assert!(Code::E0071.explanation().contains("previous owner"));
}

#[test]
fn an_inline_test_may_give_the_earlier_lead() {
    let handler = "on duplicate(within 30d) -> assign previous owner else continue\n";
    let test = "test \"a repeat goes to bob\" {\n  now \"2026-11-24T15:00:00Z\"\n  lead { id: \"L-2\", email: \"a@x.example\", employees: 10, intent: 90.0 }\n  prior { lead: \"L-1\", owner: bob, at: \"2026-11-20T10:00:00Z\" }\n  expect rep bob\n}\n";
    assert_eq!(codes(&format!("{handler}{test}")), []);
    let (sources, c) = checked(&format!("{handler}{test}"));
    let ir = leadroute_compiler::lower::lower(&sources, &c).expect("lowers");
    let prior = ir.tests[0].prior.as_ref().expect("the test's prior");
    assert_eq!((prior.lead_id.as_str(), prior.owner.as_deref(), prior.decided_at.as_str()), ("L-1", Some("bob"), "2026-11-20T10:00:00Z"));
    // Without a handler, with an unknown rep, a bad time or a stray field: E0028 (E0004 for the rep).
    assert_eq!(codes(test), [Code::E0028]);
    let bad = test.replace("owner: bob, at: \"2026-11-20T10:00:00Z\"", "owner: bobby, at: \"yesterday\", by: x");
    insta::assert_snapshot!(report(&format!("{handler}{bad}")));
}
