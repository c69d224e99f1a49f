//! The mistakes a new user makes most, one case each: every one gives one
//! diagnostic (no cascade) that says what is wrong, points at the place to
//! fix, and says how. Each snapshot shows the source and the terminal report.

use leadroute_compiler::render::{render_human, HumanOptions};
use leadroute_compiler::source::SourceFile;
use leadroute_compiler::{check, Code, SourceSet};

/// A small valid policy the cases add to.
const BASE: &str = r#"policy p { owner "ops@acme.example" timezone "UTC" }
enum Source { chat, web, partner }
schema lead {
  id: string
  email: string
  country: string
  employees: int?
  intent: float
  source: Source
}
queue triage { owner "ops@acme.example" sla 1h }
rep alice { email "alice@acme.example" }
team sales { members [alice] }
tier standard otherwise sla 24h
"#;

/// A route that reads territories, so that territory analyses run.
const ROUTE: &str = "route main {\n  us: when territory == us -> queue triage\n  otherwise -> queue triage\n}\n";

/// Checks `BASE + case` and returns the one diagnostic's code, help and report.
fn one_report(case: &str) -> (Code, String, String) {
    let text = format!("{BASE}{case}");
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", text.clone()));
    let checked = check(&sources);
    assert_eq!(checked.diagnostics.len(), 1, "one diagnostic, no cascade, for\n{case}\n{}", render_human(&checked.diagnostics, &sources, HumanOptions::plain()));
    let d = &checked.diagnostics[0];
    let human = render_human(&checked.diagnostics, &sources, HumanOptions::plain());
    (d.code, d.help.clone().unwrap_or_default(), format!("--- source (after the shared base) ---\n{case}--- human ---\n{human}"))
}

#[test]
fn a_number_compared_with_a_text_field_says_to_quote_it() {
    let case = format!("territory one when country == 1\nterritory us when country == \"US\"\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0012);
    assert!(help.contains("`country` is text") && help.contains("`\"1\"`"), "{help}");
    insta::assert_snapshot!("quote_the_number", report);
}

#[test]
fn an_unterminated_string_points_at_its_opening_quote() {
    let case = format!("territory us when country == \"US\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0001);
    assert!(help.contains("close it"), "{help}");
    assert!(report.contains("policy.route:15:30"), "the opening quote:\n{report}");
    insta::assert_snapshot!("unterminated_string", report);
}

#[test]
fn a_missing_closing_brace_labels_the_unclosed_brace_once() {
    let case = "route main {\n  when intent > 50 -> queue triage\n  otherwise -> queue triage\n\nterritory us when country == \"US\"\n";
    let (code, help, report) = one_report(case);
    assert_eq!(code, Code::E0001);
    assert!(help.contains('}'), "{help}");
    assert!(report.contains("policy.route:15:12"), "the `{{` of `route main`:\n{report}");
    insta::assert_snapshot!("unclosed_brace", report);
}

#[test]
fn a_misspelt_keyword_suggests_the_keyword() {
    let case = format!("teir hot when intent > 80 sla 5m\n{ROUTE}territory us when country == \"US\"\n");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0001);
    assert_eq!(help, "did you mean `tier`?");
    insta::assert_snapshot!("misspelt_keyword", report);
}

#[test]
fn an_unknown_function_suggests_one_and_lists_them() {
    let case = format!("territory us when country == \"US\" and lenght(email) > 3\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0008);
    assert!(help.starts_with("did you mean `len("), "{help}");
    for f in ["lower", "starts_with", "domain", "since", "clock"] {
        assert!(help.contains(&format!("`{f}`")), "{f} listed: {help}");
    }
    insta::assert_snapshot!("unknown_function", report);
}

#[test]
fn a_misspelt_time_zone_suggests_the_nearest_iana_names() {
    let case = format!("rep bob {{ email \"bob@acme.example\" timezone \"Europe/Londn\" }}\nteam b {{ members [bob] }}\nterritory us when country == \"US\"\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0027);
    assert!(help.starts_with("did you mean") && help.contains("\"Europe/London\""), "{help}");
    insta::assert_snapshot!("misspelt_time_zone", report);
}

#[test]
fn a_single_equals_sign_says_to_compare_with_two() {
    let case = format!("territory us when country = \"US\"\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0001);
    assert!(help.contains("`==`"), "{help}");
    insta::assert_snapshot!("single_equals", report);
}

#[test]
fn a_rule_without_an_arrow_says_where_the_arrow_goes() {
    let case = "territory us when country == \"US\"\nroute main {\n  us: when territory == us queue triage\n  otherwise -> queue triage\n}\n";
    let (code, help, report) = one_report(case);
    assert_eq!(code, Code::E0001);
    assert!(help.contains("-> queue"), "{help}");
    insta::assert_snapshot!("missing_arrow", report);
}

#[test]
fn a_duration_with_an_unknown_unit_lists_the_units() {
    let case = format!("queue slow {{ owner \"ops@acme.example\" sla 5min }}\nterritory us when country == \"US\"\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0001);
    assert!(help.contains("`5m` (minutes)"), "{help}");
    assert!(report.contains("`5min` is not a duration"), "{report}");
    insta::assert_snapshot!("duration_unit", report);
}

#[test]
fn text_in_single_quotes_says_to_use_double_quotes() {
    let case = format!("territory us when country == 'US'\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0001);
    assert_eq!(help, "write `\"US\"`");
    insta::assert_snapshot!("single_quotes", report);
}

#[test]
fn double_ampersand_says_to_write_and() {
    let case = format!("territory us when country == \"US\" && intent > 5.0\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0001);
    assert!(help.contains("`and`"), "{help}");
    assert!(report.contains("conditions are joined with `and`, not `&&`"), "{report}");
    insta::assert_snapshot!("double_ampersand", report);
}

#[test]
fn a_misspelt_field_suggests_the_field() {
    let case = format!("territory us when countyr == \"US\"\n{ROUTE}");
    let (code, help, report) = one_report(&case);
    assert_eq!(code, Code::E0005);
    assert_eq!(help, "did you mean `country`?");
    insta::assert_snapshot!("misspelt_field", report);
}

#[test]
fn a_brace_left_open_at_the_end_of_the_file_is_labelled() {
    let (code, help, report) = one_report("route main {\n  otherwise -> queue triage\n");
    assert_eq!(code, Code::E0001);
    assert!(help.contains('}'), "{help}");
    assert!(report.contains("this `{` is never closed") && report.contains("policy.route:15:12"), "{report}");
}

#[test]
fn slips_outside_a_condition_keep_the_general_message() {
    // `=`, `&&` and `'` at the top level are not comparisons or text: no advice about them.
    for stray in ["= 1\n", "&& x\n", "'x'\n"] {
        let mut sources = SourceSet::new();
        sources.add(SourceFile::new("policy.route", format!("{BASE}{stray}")));
        let checked = check(&sources);
        let messages: Vec<&str> = checked.diagnostics.iter().map(|d| d.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.starts_with("expected ")), "{stray:?}: {messages:?}");
        let advice = ["a single `=`", "conditions are joined", "double quotes"];
        assert!(!messages.iter().any(|m| advice.iter().any(|a| m.contains(a))), "{stray:?}: {messages:?}");
    }
}
