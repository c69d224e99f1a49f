//! Territory analyses at scale: disjoint territories are never compared,
//! identical and nested ones are reported as one group with the count of
//! pairs, the number of overlap reports is capped, and a search that runs
//! out of budget says so (W0040).

mod common;

use leadroute_compiler::{check, Checked, Code, Diagnostic, SourceFile, SourceSet};

const BASE: &str = r#"policy p { owner "ops@acme.example" timezone "UTC" entry main }
schema lead {
  id: string
  country: string
  state: string?
  intent: float
}
queue triage { owner "ops@acme.example" sla 1h }
tier standard otherwise sla 24h
route main {
  placed: when territory is present -> queue triage
  otherwise -> queue triage
}
"#;

const HANDLER: &str = "on ambiguous_territory -> queue triage\n";

fn run(text: &str) -> Checked {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("p.route", text));
    check(&set)
}

fn territories(n: usize, line: impl Fn(usize) -> String) -> String {
    (0..n).map(|i| line(i) + "\n").collect()
}

fn of(checked: &Checked, code: Code) -> Vec<&Diagnostic> {
    checked.diagnostics.iter().filter(|d| d.code == code).collect()
}

#[test]
fn ten_thousand_disjoint_territories_are_never_reported_as_overlapping() {
    let plain = territories(10_000, |i| format!("territory t{i} when country == \"C{i}\""));
    let checked = run(&format!("{BASE}{plain}"));
    assert_eq!(checked.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), []);
    // Sets, and states within one country next to whole countries.
    let mixed = territories(4_000, |i| match i % 3 {
        0 => format!("territory t{i} when country in [\"C{i}a\", \"C{i}b\", \"C{i}c\"]"),
        1 => format!("territory t{i} when country == \"US\" and state is present and state in [\"S{i}a\", \"S{i}b\"]"),
        _ => format!("territory t{i} when country == \"C{i}\" and intent > 50"),
    });
    let checked = run(&format!("{BASE}{mixed}"));
    assert_eq!(checked.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), []);
}

#[test]
fn two_thousand_identical_territories_are_one_overlap_with_the_count_of_pairs() {
    let same = territories(2_000, |i| format!("territory t{i} when country == \"US\""));
    let checked = run(&format!("{BASE}{HANDLER}{same}"));
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::W0006, Code::W0008]);
    let w = of(&checked, Code::W0008)[0];
    assert_eq!(w.message, "territories `t0`, `t1`, `t2` and 1,997 more have the same condition: a lead in one is in all (1,999,000 pairs)");
    assert_eq!(w.primary.as_ref().map(|l| l.message.as_str()), Some("e.g. a lead with {\"country\":\"US\"}"));
    assert!(w.example.is_some(), "one replayable example lead");
    let alone = of(&checked, Code::W0006)[0];
    assert_eq!(alone.message, "territory `t0` never decides a lead on its own");
    assert_eq!(
        alone.primary.as_ref().map(|l| l.message.as_str()),
        Some("every lead it matches also matches `t1`; so it is for each of the 2,000 territories with this condition (`t0`, `t1`, `t2` and 1,997 more)")
    );
    // Without a handler it is one error, not two million.
    let checked = run(&format!("{BASE}{same}"));
    let errors = of(&checked, Code::E0023);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].message.ends_with("(1,999,000 pairs)"), "{}", errors[0].message);
}

#[test]
fn territories_nested_in_one_are_reported_with_it_once() {
    let nested = territories(500, |i| format!("territory t{i} when country == \"US\" and state is present and state == \"S{i}\""));
    let checked = run(&format!("{BASE}{HANDLER}territory all when country == \"US\"\n{nested}"));
    let w = of(&checked, Code::W0008);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].message, "territories `all` and `t0` can both match a lead, as can `all` and each of `t1`, `t2`, `t3` and 496 more (500 pairs)");
    // Each nested territory is covered by `all`: said once for the group, at its first territory.
    let alone = of(&checked, Code::W0006);
    assert_eq!(alone.len(), 1, "{alone:#?}");
    assert_eq!(alone[0].message, "territories `t0`, `t1`, `t2` and 497 more never decide a lead on their own");
    assert_eq!(alone[0].primary.as_ref().map(|l| l.message.as_str()), Some("every lead each of these 500 territories matches also matches `all`"));
    assert_eq!(alone[0].secondary.iter().map(|l| l.message.as_str()).collect::<Vec<_>>(), ["`all` declared here"]);
}

#[test]
fn territories_covered_by_one_are_grouped_unless_an_allow_names_them() {
    let two = territories(2, |i| format!("territory t{i} when country == \"US\" and state is present and state == \"S{i}\""));
    let checked = run(&format!("{BASE}{HANDLER}territory all when country == \"US\"\n{two}"));
    let alone = of(&checked, Code::W0006);
    assert_eq!(alone.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(), ["territory `t0` never decides a lead on its own", "territory `t1` never decides a lead on its own"], "two are said one by one");
    let five = territories(5, |i| format!("territory t{i} when country == \"US\" and state is present and state == \"S{i}\""));
    let allowed = five.replace("territory t3", "allow W0006 \"t3 is a named carve-out\"\nterritory t3");
    let checked = run(&format!("{BASE}{HANDLER}territory all when country == \"US\"\n{allowed}"));
    let alone = of(&checked, Code::W0006);
    assert_eq!(alone.iter().map(|d| d.message.as_str()).collect::<Vec<_>>(), ["territories `t0`, `t1`, `t2` and 1 more never decide a lead on their own"], "the allow silences t3's own report and keeps it out of the group");
}

#[test]
fn overlap_reports_past_twenty_groups_are_counted_in_one_summary() {
    let pairs = territories(30, |i| format!("territory a{i} when country == \"C{i}\"\nterritory b{i} when country in [\"C{i}\", \"D{i}\"]"));
    let checked = run(&format!("{BASE}{pairs}"));
    let errors = of(&checked, Code::E0023);
    assert_eq!(errors.len(), 21);
    assert_eq!(errors.iter().filter(|d| d.message.ends_with("can both match a lead")).count(), 20);
    assert!(errors.iter().any(|d| d.message == "10 more groups of territories can overlap (10 pairs)"), "{errors:#?}");
}

#[test]
fn a_territory_search_that_runs_out_of_budget_says_what_it_did_not_compare() {
    // Territories on a number alone cannot be indexed: every pair is compared, and all overlap.
    let chain = territories(2_100, |i| format!("territory t{i} when intent > {i}"));
    let checked = run(&format!("{BASE}{HANDLER}{chain}"));
    let cut = of(&checked, Code::W0040);
    assert_eq!(cut.len(), 1, "{cut:#?}");
    assert_eq!(cut[0].message, "the territory overlap analysis cut short after 2,000,000 steps");
    let label = cut[0].primary.as_ref().map_or("", |l| l.message.as_str());
    assert!(
        label.starts_with("`t426` and the territories after it (1,674 of 2,100) were not compared with every territory before them"),
        "{label}"
    );
    assert!(cut[0].help.as_deref().is_some_and(|h| h.starts_with("give each territory an equality test on a field")));
    // What was found before the cut is still reported, grouped and capped.
    assert!(of(&checked, Code::W0008).len() <= 21);
    assert!(!of(&checked, Code::W0008).is_empty());
}

#[test]
fn an_allowed_territory_keeps_its_overlaps_out_of_the_group() {
    let same = territories(5, |i| format!("territory t{i} when country == \"US\""));
    let allowed = same.replace("territory t3", "allow W0008 \"t3 is meant to overlap\"\nterritory t3");
    let checked = run(&format!("{BASE}{HANDLER}{allowed}"));
    let w = of(&checked, Code::W0008);
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(w[0].message, "territories `t0`, `t1`, `t2` and 1 more have the same condition: a lead in one is in all (6 pairs)");
    assert!(of(&checked, Code::W0009).is_empty(), "the allow silences t3's own report");
}

/// An editor re-checks with one cache, and the territory search resumes
/// after the territories that did not change (or is reused whole when only
/// territories past its cut changed). Every cached re-check must say
/// exactly what a fresh check says: edits past the cut, before it, removing
/// and adding territories, and a policy the search finishes.
#[test]
fn re_checks_that_resume_the_territory_search_match_fresh_checks() {
    let chain = territories(600, |i| format!("territory t{i} when intent > {i}"));
    let keyed = territories(30, |i| format!("territory k{i} when country == \"C{}\"", i % 20));
    let base = format!("{BASE}{HANDLER}{keyed}{chain}");
    // A route that reads one nested territory: whether `all` takes all its leads decides whether its rule can fire.
    let reads_s7 = BASE.replace("  placed: when", "  seventh: when territory == s7 -> queue triage\n  placed: when");
    let nested = format!("{reads_s7}{HANDLER}territory all when country == \"US\"\n{}", territories(200, |i| format!("territory s{i} when country == \"US\" and state is present and state == \"S{i}\"")));
    // Leads of s1 taken before any rule reads the territory: its overlap with `all` is not reported.
    let early_route = BASE.replace("  placed: when", "  early: when state is present and state == \"S1\" -> queue triage\n  placed: when");
    let early = format!("{early_route}{HANDLER}territory all when country == \"US\"\n{}", territories(6, |i| format!("territory s{i} when country == \"US\" and state is present and state == \"S{i}\"")));
    let multi = format!("{BASE}{HANDLER}territory m1 when country == \"US\" and intent < 4\nterritory m2 when (country == \"US\" and intent > 5) or (country == \"DE\" and intent < 3)\n");
    let edits = [
        base.clone(),
        base.replace("t550 when intent > 550\n", "t550 when intent > 551\n"), // past the cut
        base.replace("t10 when intent > 10\n", "t10 when intent < 3\n"),      // before it
        base.replace("t12 when intent > 12\n", "t12 when intent > 13\n"),     // the same as the next
        base.replace("territory t5 when intent > 5\n", ""),                    // one removed before it
        base.replace("territory k3 when country == \"C3\"\n", "territory k3 when country == \"C4\"\n"),
        format!("{BASE}{HANDLER}territory first when intent < 0\n{keyed}{chain}"),
        base.clone(),
        nested.clone(),
        nested.replace("state == \"S100\"", "state == \"S99\""),
        nested.replace("territory all when country == \"US\"\n", "territory all when country == \"CA\"\n"),
        nested.clone(),
        // A territory no longer inside `all`, then inside it again; `all` widened, then narrowed to miss one.
        nested.replace("territory s7 when country == \"US\"", "territory s7 when country == \"CA\""),
        nested.clone(),
        nested.replace("territory all when country == \"US\"\n", "territory all when country in [\"US\", \"CA\"]\n"),
        nested.replace("territory all when country == \"US\"\n", "territory all when country == \"US\" and state != \"S150\"\n"),
        nested.clone(),
        // `all` still overlaps every one but no longer takes all their leads.
        nested.replace("territory all when country == \"US\"\n", "territory all when country == \"US\" and intent > 5\n"),
        nested.clone(),
        // Another territory read by the route, then another rule before it that takes ambiguous leads.
        nested.replace("territory == s7", "territory == s8"),
        nested.replace("  seventh:", "  either: when territory is ambiguous -> queue triage\n  seventh:"),
        nested.clone(),
        // Then s1 moved out of that rule's way, and back; then the rule moved to s2's leads.
        early.clone(),
        early.replace("state == \"S1\"\n", "state == \"S9\"\n"),
        early.clone(),
        early.replace("state is present and state == \"S1\" ->", "state is present and state == \"S2\" ->"),
        early,
        nested,
        // Two territories whose keys and bounds cannot tell them apart: whether they meet is worked out,
        // then one condition changes (the later, then the earlier) so that they do.
        multi.clone(),
        multi.replace("intent > 5", "intent > 2"),
        multi.clone(),
        multi.replace("intent < 4", "intent < 7"),
        multi,
    ];
    let seen = common::re_check_as_fresh(&edits);
    let cut = |s: &[String]| s.iter().find(|d| d.contains("W0040")).cloned();
    assert!(cut(&seen[0]).is_some(), "the chain is cut short");
    assert_eq!(cut(&seen[0]), cut(&seen[1]), "an edit past the cut leaves the cut where it was");
    assert_ne!(cut(&seen[0]), cut(&seen[2]), "a territory before the cut that overlaps fewer moves it");
    assert_ne!(cut(&seen[0]), cut(&seen[4]), "removing a territory before the cut moves it");
    assert!(cut(&seen[8]).is_none(), "the nested policy is searched whole");
    assert_ne!(seen[8], seen[10]);
    let covered = |s: &[String]| s.iter().filter(|d| d.contains("W0006")).cloned().collect::<Vec<_>>();
    assert_ne!(covered(&seen[11]), covered(&seen[12]), "s7 leaves `all`: the W0006 group changes");
    assert_eq!(covered(&seen[11]), covered(&seen[13]));
    assert_ne!(covered(&seen[11]), covered(&seen[15]), "`all` no longer covers s150");
    assert!(covered(&seen[17]).is_empty(), "`all` covers none of them: {:#?}", seen[17]);
    let overlaps = |s: &[String]| s.iter().filter(|d| d.contains("W0008")).cloned().collect::<Vec<_>>();
    assert_ne!(overlaps(&seen[22]), overlaps(&seen[23]), "s1's overlap is reported once its leads reach the rules");
    assert_eq!(overlaps(&seen[22]), overlaps(&seen[24]));
    assert_ne!(overlaps(&seen[24]), overlaps(&seen[25]), "s2's overlap is not reported once the rule takes its leads");
    assert!(overlaps(&seen[28]).is_empty() && !overlaps(&seen[29]).is_empty() && !overlaps(&seen[31]).is_empty(), "{:#?}", &seen[28..]);
    // The policy again with 194 more territories after the same seven: the search resumes after them, keeping their pairs.
    assert!(overlaps(&seen[27]).iter().any(|d| d.contains("(200 pairs)")), "{:#?}", overlaps(&seen[27]));
    assert_ne!(seen[11].iter().filter(|d| !covered(&seen[11]).contains(d)).collect::<Vec<_>>(), seen[12].iter().filter(|d| !covered(&seen[12]).contains(d)).collect::<Vec<_>>(), "the rule reading s7 can fire once s7 leaves `all`: {:#?}", seen[11]);
}

#[test]
fn rules_that_name_territories_which_never_decide_a_lead_are_one_warning() {
    // `all` takes every lead of each nested territory: a rule per nested territory can never fire.
    let policy = |rules: usize, extra: &str| {
        let named: String = (0..rules).map(|i| format!("  r{i}: when territory == s{i} -> queue triage\n")).collect();
        let route = BASE.replace("  placed: when", &format!("{named}{extra}  placed: when"));
        format!("{route}{HANDLER}territory all when country == \"US\"\n{}", territories(40, |i| format!("territory s{i} when country == \"US\" and state is present and state == \"S{i}\"")))
    };
    let w0007 = |text: &str| of(&run(text), Code::W0007).iter().map(|d| d.message.clone()).collect::<Vec<_>>();
    let many = w0007(&policy(40, ""));
    assert_eq!(many.len(), 1, "{many:#?}");
    assert!(many[0].contains("rule `r0`, rule `r1`, rule `r2` and 37 more"), "{many:#?}");
    // Two such rules are reported one by one, and say why.
    let two = run(&policy(2, ""));
    let two: Vec<&Diagnostic> = of(&two, Code::W0007);
    assert_eq!(two.len(), 2);
    assert!(two.iter().all(|d| d.help.as_deref().is_some_and(|h| h.contains("never decided"))), "{two:#?}");
    // A rule that contradicts itself is its own warning, not one of the group.
    let own = w0007(&policy(40, "  odd: when territory == s1 and intent > 5 and intent < 3 -> queue triage\n"));
    assert_eq!(own.len(), 2, "{own:#?}");
    assert!(own.iter().any(|m| m == "the condition of rule `odd` can never hold"), "{own:#?}");
}
