//! Checker behaviour: guards, names across files, overlap proofs, the examples.

mod common;

use leadroute_compiler::{check, Checked, Code, SourceFile, SourceSet};

const BASE: &str = r#"policy p { owner "ops@acme.example" timezone "UTC" }
enum Source { chat, web, partner }
schema lead {
  id: string
  email: string
  country: string
  state: string?
  employees: int?
  intent: float
  source: Source
  account_owner: string?
}
queue triage { owner "ops@acme.example" sla 1h }
rep alice { email "alice@acme.example" }
team sales { members [alice] }
tier standard otherwise sla 24h
on no_available_rep -> queue triage
"#;

fn run(files: &[(&str, &str)]) -> Checked {
    let mut set = SourceSet::new();
    for (name, text) in files {
        set.add(SourceFile::new(*name, *text));
    }
    check(&set)
}

fn codes_of(extra: &str) -> Vec<Code> {
    run(&[("p.route", &format!("{BASE}{extra}"))]).diagnostics.iter().map(|d| d.code).collect()
}

fn route(rules: &str) -> String {
    format!("route main {{\n{rules}\n  otherwise -> queue triage\n}}\n")
}

#[test]
fn an_optional_field_is_usable_under_an_and_guard() {
    assert_eq!(codes_of(&route("  when state is present and state == \"CA\" -> queue triage")), []);
}

#[test]
fn an_optional_field_is_usable_after_an_or_missing_guard() {
    assert_eq!(codes_of(&route("  when state is missing or state == \"CA\" -> queue triage")), []);
}

#[test]
fn an_optional_field_is_usable_after_a_rule_that_took_every_lead_without_it() {
    assert_eq!(codes_of(&route("  when employees is missing -> queue triage\n  when employees > 500 -> queue triage")), []);
}

#[test]
fn a_rule_that_can_continue_does_not_prove_presence() {
    let rules = "  when employees is missing -> assign team sales else continue\n  when employees > 500 -> queue triage";
    assert_eq!(codes_of(&route(rules)), [Code::E0015]);
}

#[test]
fn a_missing_handler_allows_unguarded_use() {
    let extra = format!("on missing(employees) -> assume 0\n{}", route("  when employees > 500 -> queue triage"));
    assert_eq!(codes_of(&extra), []);
}

#[test]
fn assign_owner_needs_the_guard_of_its_rule() {
    assert_eq!(codes_of(&route("  when account_owner is present -> assign owner(account_owner)")), []);
    assert_eq!(codes_of(&route("  when intent > 5 -> assign owner(account_owner)")), [Code::E0015]);
}

#[test]
fn tier_and_territory_are_values_only_inside_routes() {
    assert_eq!(codes_of(&format!("territory t when tier == standard\n{}", route(""))), [Code::E0004]);
    assert_eq!(codes_of(&route("  when tier == standard and territory == none -> queue triage")), []);
    assert_eq!(codes_of(&route("  when tier == standrad -> queue triage")), [Code::E0006]);
}

#[test]
fn names_resolve_across_the_files_of_a_policy() {
    let a = format!("{BASE}{}", route("  when intent > 50 -> assign team west")).replace("team sales", "team east");
    let checked = run(&[("a.route", &a), ("b.route", "rep bob { email \"bob@acme.example\" }\nteam west { members [bob] }\nteam sales { members [alice] }\n")]);
    assert_eq!(checked.diagnostics, []);
}

#[test]
fn a_duplicate_across_files_points_at_both() {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("a.route", format!("{BASE}{}", route(""))));
    set.add(SourceFile::new("b.route", "queue triage { owner \"x@acme.example\" sla 2h }\n"));
    let checked = check(&set);
    let d = checked.diagnostics.iter().find(|d| d.code == Code::E0009).expect("E0009");
    assert_eq!(set.get(d.primary.as_ref().expect("located").span.file).name, "b.route");
    assert_eq!(set.get(d.secondary[0].span.file).name, "a.route");
}

#[test]
fn unknown_names_suggest_the_closest_one() {
    let checked = run(&[("p.route", &format!("{BASE}{}", route("  when countyr == \"US\" -> assign team slaes")))]);
    let helps: Vec<(Code, String)> = checked.diagnostics.iter().map(|d| (d.code, d.help.clone().unwrap_or_default())).collect();
    assert_eq!(helps, [(Code::E0005, "did you mean `country`?".to_string()), (Code::E0004, "did you mean `sales`?".to_string())]);
}

#[test]
fn disjoint_territories_need_no_handler() {
    let pairs = [
        "territory a when country == \"US\"\nterritory b when country == \"DE\"",
        "territory a when source in [chat, web]\nterritory b when source == partner",
        "territory a when source == chat\nterritory b when source != chat",
        "territory a when intent > 50\nterritory b when intent <= 50",
        "territory a when state is present and state == \"CA\"\nterritory b when state is missing",
        "territory a when country == \"US\" and (intent > 90 or intent < 10)\nterritory b when country == \"US\" and intent >= 10 and intent <= 90",
    ];
    for pair in pairs {
        assert_eq!(codes_of(&format!("{pair}\n{}", route(""))), [], "{pair}");
    }
}

/// A rule that reads the territory: where an ambiguous lead raises `ambiguous_territory`.
const READS_TERRITORY: &str = "  when territory == a -> queue triage";

#[test]
fn overlaps_matter_only_where_a_rule_reads_the_territory() {
    let overlap = "territory a when intent > 50 and intent < 70\nterritory b when intent > 60\n";
    assert_eq!(codes_of(&format!("{overlap}{}", route(""))), [], "no rule reads the territory");
    let explicit = route("  when territory is ambiguous -> queue triage\n  when territory == a -> queue triage");
    assert_eq!(codes_of(&format!("{overlap}{explicit}")), [], "a rule takes ambiguous leads before the territory is read");
    let late = route("  when territory == a -> queue triage\n  when territory is ambiguous -> queue triage");
    assert_eq!(codes_of(&format!("{overlap}{late}")), [Code::E0023, Code::W0006], "the ambiguity test comes too late");
}

#[test]
fn every_overlapping_pair_is_reported_with_its_own_example() {
    // `b` overlaps `a`; `c` overlaps `b` on its own, in a way `a` has no part in.
    let terrs = "territory a when intent > 50 and intent < 60\nterritory b when intent > 55\nterritory c when intent > 90\n";
    let checked = run(&[("p.route", &format!("{BASE}{terrs}{}", route(READS_TERRITORY)))]);
    let pairs: Vec<(String, String)> = checked
        .diagnostics
        .iter()
        .filter(|d| d.code == Code::E0023)
        .map(|d| (d.message.clone(), d.primary.as_ref().map(|l| l.message.clone()).unwrap_or_default()))
        .collect();
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert!(pairs[0].0.contains("`a` and `b`") && pairs[0].1.contains("\"intent\":57.5"), "{pairs:?}");
    assert!(pairs[1].0.contains("`b` and `c`") && pairs[1].1.contains("\"intent\":91.0"), "{pairs:?}");
}

#[test]
fn overlapping_territories_name_an_example_lead_in_both() {
    let checked = run(&[("p.route", &format!("{BASE}territory a when intent > 50\nterritory b when intent > 60 and source == web\n{}", route(READS_TERRITORY)))]);
    let d = checked.diagnostics.iter().find(|d| d.code == Code::E0023).expect("E0023");
    let label = &d.primary.as_ref().expect("located").message;
    assert!(label.contains("\"intent\":61") && label.contains("\"source\":\"web\""), "{label}");
}

#[test]
fn overlap_with_a_handler_is_a_warning_with_an_example() {
    let extra = format!("territory a when intent > 50 and intent < 70\nterritory b when intent > 60\non ambiguous_territory -> queue triage\n{}", route(READS_TERRITORY));
    let checked = run(&[("p.route", &format!("{BASE}{extra}"))]);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::W0008]);
    let label = &checked.diagnostics[0].primary.as_ref().expect("located").message;
    assert!(label.contains("\"intent\":65"), "{label}");
}

#[test]
fn a_cycle_through_three_routes_is_reported_once() {
    let extra = "route main {\n  when intent > 1 -> route b\n  otherwise -> queue triage\n}\nroute b {\n  otherwise -> route c\n}\nroute c {\n  otherwise -> route main\n}\n";
    let src = format!("{BASE}{extra}").replace("timezone \"UTC\"", "timezone \"UTC\" entry main");
    let checked = run(&[("p.route", &src)]);
    let cycles: Vec<&str> = checked.diagnostics.iter().filter(|d| d.code == Code::E0024).map(|d| d.message.as_str()).collect();
    assert_eq!(cycles, ["routes call each other in a cycle: main -> b -> c -> main"]);
}

/// Example leads (what `diff` routes through both versions) carry `id`,
/// every required field, and an optional field only when a `missing(field)
/// -> action` handler would otherwise take the lead elsewhere.
#[test]
fn example_leads_carry_the_fields_that_take_them_where_they_are_claimed_to() {
    let extra = format!("on missing(state) -> queue triage\non missing(employees) -> assume 0\n{}", route("  when intent > 50 and source == web -> queue triage"));
    let checked = run(&[("p.route", &format!("{BASE}{extra}"))]);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let examples = leadroute_compiler::analysis::reach::example_leads(&checked.symbols());
    assert!(!examples.is_empty());
    for e in &examples {
        let keys: Vec<&str> = e.as_object().expect("an object").keys().map(String::as_str).collect();
        // Required fields and `state` (intercepted when missing); not `employees` (assumed) nor `account_owner`.
        assert_eq!(keys, ["country", "email", "id", "intent", "source", "state"], "{e}");
        assert_eq!(e["id"], "example-1");
    }
    assert!(examples.iter().any(|e| e["source"] == "web" && e["intent"].as_f64().is_some_and(|i| i > 50.0)), "{examples:?}");
}

/// An editor's check given up half-way (a newer edit overtook it) leaves
/// only finished work in the cache: given up at each of its stops in turn,
/// then run to the end, every check of a series of edits says exactly what
/// a fresh check says.
#[test]
fn a_check_given_up_at_any_stop_leaves_the_editor_cache_sound() {
    use leadroute_compiler::check::check_until;
    use leadroute_compiler::syntax::ParseCache;
    let inbound = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/inbound.route")).expect("example");
    let edits = [
        inbound.clone(),
        inbound.replace("tier warm when intent >= 40.0", "tier warm when intent >= 41.0"),
        inbound.replace("territory emea    when country in emea_countries", "territory emea    when country in emea_countries or country == \"US\""),
        inbound.replace("sla 24h", "sla 25h"),
        inbound.clone(),
    ];
    let say = |checked: &Checked| checked.diagnostics.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>();
    let mut cache = ParseCache::new();
    for (i, text) in edits.iter().enumerate() {
        let mut sources = SourceSet::new();
        sources.add(SourceFile::new("p.route", text.clone()));
        let mut given_up = 0;
        for k in 1..=20 {
            let calls = std::cell::Cell::new(0);
            let stop = || {
                calls.set(calls.get() + 1);
                calls.get() == k
            };
            match check_until(&sources, Some(&mut cache), &stop) {
                None => given_up += 1,
                Some(checked) => {
                    assert_eq!(say(&checked), say(&check(&sources)), "edit {i}, after giving up {given_up} times");
                    break;
                }
            }
        }
        assert_eq!(given_up, 4, "edit {i}: a check stops between its four phases");
    }
    // A stop that never says so is a whole check.
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("p.route", edits[2].clone()));
    assert_eq!(check_until(&sources, None, &|| false).map(|c| say(&c)), Some(say(&check(&sources))));
    assert!(check_until(&sources, None, &|| true).is_none());
}

/// A waterfall of `n` routes after `main`, each taking one band of intent
/// and handing the rest to the next; the last ends with `last`.
fn waterfall(n: usize, last: &str) -> String {
    let mut src = BASE.replace("timezone \"UTC\"", "timezone \"UTC\" entry main");
    src.push_str("route main {\n  when intent < 1.0 -> queue triage\n  otherwise -> route s1\n}\n");
    for k in 1..n {
        src.push_str(&format!("route s{k} {{\n  when intent < {}.0 -> queue triage\n  otherwise -> route s{}\n}}\n", k + 1, k + 1));
    }
    src.push_str(&format!("route s{n} {{\n  when intent < {}.0 -> queue triage\n{last}}}\n", n + 1));
    src
}

#[test]
fn a_long_waterfall_of_routes_is_followed_in_a_loop_and_named_by_its_ends() {
    // Thousands of routes deep, on a small stack: following the routes, finding
    // cycles and freeing the paths recurse on nothing (a deep chain would overflow).
    const N: usize = 3000;
    let checked = std::thread::Builder::new()
        .stack_size(512 * 1024)
        .spawn(|| (run(&[("p.route", &waterfall(N, ""))]), run(&[("p.route", &waterfall(N, "  otherwise -> route main\n"))])))
        .expect("a thread")
        .join();
    let (open, closed) = checked.expect("checked without overflowing the stack");
    // The last route has no `otherwise`: its example names the path's first
    // and last steps, in order, and how many it leaves out.
    let d = open.diagnostics.iter().find(|d| d.code == Code::E0021).expect("E0021 for the last route");
    let label = &d.primary.as_ref().expect("located").message;
    let path = label.split("(path: ").nth(1).expect("a path");
    let steps: Vec<&str> = path.trim_end_matches(')').split(", ").collect();
    assert_eq!(steps.len(), 9, "{label}");
    assert_eq!(steps[0], "route `main`");
    for (k, step) in [(1, steps[1]), (2, steps[2]), (3, steps[3]), (N - 3, steps[5]), (N - 2, steps[6]), (N - 1, steps[7]), (N, steps[8])] {
        assert!(step.ends_with(&format!("sends it to route `s{k}`")), "step {k}: {step}");
    }
    assert_eq!(steps[4], "… 2,993 more steps …");
    assert!(label.contains("\"intent\":3001"), "{label}");
    // Closed back onto `main`, the chain is one cycle, reported once, by its first and last routes.
    let cycles: Vec<&str> = closed.diagnostics.iter().filter(|d| d.code == Code::E0024).map(|d| d.message.as_str()).collect();
    assert_eq!(cycles, ["routes call each other in a cycle: main -> s1 -> s2 -> s3 -> … 2,994 more routes … -> s2998 -> s2999 -> s3000 -> main"]);
}

#[test]
fn checking_is_deterministic_and_sorted() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/broken.route")).expect("example");
    let a = run(&[("broken.route", &src)]);
    let b = run(&[("broken.route", &src)]);
    assert_eq!(a.diagnostics, b.diagnostics);
    let keys: Vec<_> = a.diagnostics.iter().map(|d| d.sort_key()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn the_bundled_example_checks_without_any_diagnostic() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/inbound.route");
    let mut set = SourceSet::new();
    set.add(SourceFile::new(path, std::fs::read_to_string(path).expect("example")));
    // Its tables' CSV files are read beside it.
    let checked = leadroute_compiler::check_with_tables(&leadroute_compiler::source::DiskProvider, &mut set);
    assert_eq!(checked.diagnostics, []);
    assert_eq!(checked.entry.as_deref(), Some("inbound"));
}

#[test]
fn every_seeded_mistake_in_broken_route_is_reported_where_it_is() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/broken.route")).expect("example");
    let checked = run(&[("broken.route", &src)]);
    let diag_lines: Vec<usize> = checked
        .diagnostics
        .iter()
        .filter_map(|d| d.primary.as_ref())
        .map(|l| src[..l.span.start as usize].lines().count().max(1))
        .collect();
    let lines: Vec<&str> = src.lines().collect();
    let mut seeded = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("// mistake:") {
            seeded += 1;
            // The comment sits above the mistake, in the same paragraph (up to the next blank line).
            let n = i + 1;
            let end = lines[i..].iter().position(|l| l.trim().is_empty()).map_or(lines.len(), |p| i + p);
            assert!(diag_lines.iter().any(|&d| d > n && d <= end), "no diagnostic in lines {n}..={end}: {line}");
        }
    }
    assert!(seeded >= 10, "broken.route should seed at least 10 mistakes, has {seeded}");
}

#[test]
fn a_handler_that_routes_back_into_an_assignment_it_handles_is_a_cycle() {
    let looping = "route main {\n  otherwise -> assign team sales\n}\nroute retry {\n  when intent > 90 -> assign rep alice\n  otherwise -> queue triage\n}\n";
    let src = format!("{BASE}{looping}")
        .replace("on no_available_rep -> queue triage", "on no_available_rep -> route retry")
        .replace("timezone \"UTC\"", "timezone \"UTC\" entry main");
    let checked = run(&[("p.route", &src)]);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::E0024], "{:#?}", checked.diagnostics);
    // With its own `else`, the retry cannot come back: no error.
    let fixed = src.replace("assign rep alice", "assign rep alice else queue triage");
    assert_eq!(run(&[("p.route", &fixed)]).diagnostics, []);
}

// ---------------------------------------------------------------- SLA handlers

const SLA: &str = r#"rep bob { email "bob@acme.example" }
rep cal { email "cal@acme.example" }
team pair { members [bob, cal] }
queue review { owner "ops@acme.example" sla 1h }
"#;

fn sla_diags(extra: &str) -> Vec<leadroute_compiler::Diagnostic> {
    run(&[("p.route", &format!("{BASE}{SLA}{extra}"))]).diagnostics
}

#[test]
fn reassign_within_a_one_member_team_is_e0036_with_an_example_lead() {
    let d = sla_diags(&format!("{}on sla_breach(standard) -> reassign else queue review\n", route("  big: when intent > 90.0 -> assign team sales")));
    let e = d.iter().find(|d| d.code == Code::E0036).unwrap_or_else(|| panic!("E0036 in {d:#?}"));
    assert!(e.message.contains("team `sales`") && e.message.contains("`alice`"), "{}", e.message);
    let lead = e.example.as_ref().expect("an example lead");
    assert!(lead["intent"].as_f64().is_some_and(|i| i > 90.0), "{lead}");
}

#[test]
fn reassign_within_teams_of_two_is_clean() {
    let d = sla_diags(&format!("{}on sla_breach(standard) -> reassign else queue review\n", route("  when intent > 90.0 -> assign team pair")));
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
}

#[test]
fn assigning_back_to_an_owner_is_e0036_with_the_owner_in_the_example() {
    let rules = "  when account_owner is present -> assign owner(account_owner) else continue\n  when intent > 50.0 -> assign team pair";
    let d = sla_diags(&format!("{}on sla_breach(standard) -> assign rep cal else queue review\n", route(rules)));
    let e = d.iter().find(|d| d.code == Code::E0036).unwrap_or_else(|| panic!("E0036 in {d:#?}"));
    let lead = e.example.as_ref().expect("an example lead");
    // Either way in: cal as the account owner, or through team `pair`.
    assert!(lead["account_owner"] == "cal" || lead["intent"].as_f64().is_some_and(|i| i > 50.0), "{lead}");
}

#[test]
fn a_breach_rep_no_route_assigns_is_clean() {
    let d = sla_diags(&format!("{}on sla_breach(standard) -> assign rep cal else queue review\n", route("  when intent > 50.0 -> assign team sales")));
    assert!(d.iter().all(|d| d.code != Code::E0036), "{d:#?}");
}

#[test]
fn a_three_queue_escalation_loop_names_the_cycle() {
    let d = sla_diags("queue a { sla 1h escalate b }\nqueue b { sla 1h escalate c }\nqueue c { sla 1h escalate a }\n");
    let loops: Vec<&str> = d.iter().filter(|d| d.code == Code::E0037).map(|d| d.message.as_str()).collect();
    assert_eq!(loops, ["queue escalations loop: a -> b -> c -> a"]);
}

#[test]
fn sla_handlers_resolve_names_with_did_you_mean_and_refuse_duplicates() {
    let d = sla_diags(&format!("{}on sla_breach(standrd) -> queue review\non sla_breach -> queue reveiw\non sla_breach -> queue review\n", route("")));
    let tier = d.iter().find(|d| d.code == Code::E0004 && d.message.contains("standrd")).expect("unknown tier");
    assert_eq!(tier.help.as_deref(), Some("did you mean `standard`?"));
    assert!(d.iter().any(|d| d.code == Code::E0004 && d.help.as_deref() == Some("did you mean `review`?")));
    assert!(d.iter().any(|d| d.code == Code::E0010 && d.message.contains("`sla_breach` is handled twice")));
}

#[test]
fn reminders_only_notify_and_fire_inside_the_sla() {
    let d = sla_diags(&format!("{}on sla_warning(standard, 25h) -> notify \"late\"\non sla_warning(1m) -> queue review\n", route("")));
    let e0035: Vec<&str> = d.iter().filter(|d| d.code == Code::E0035).map(|d| d.message.as_str()).collect();
    assert_eq!(e0035.len(), 2, "{e0035:?}");
}

#[test]
fn reassign_without_else_needs_the_no_available_rep_handler() {
    let text = format!("{}{SLA}{}on sla_breach -> reassign\n", BASE.replace("on no_available_rep -> queue triage\n", ""), route(""));
    let d = run(&[("p.route", &text)]).diagnostics;
    assert!(d.iter().any(|d| d.code == Code::E0022), "{d:#?}");
}

#[test]
fn an_allow_line_silences_its_warning_on_the_next_declaration_only() {
    let overlap = "territory a when intent > 50 and intent < 70\nterritory b when intent > 60\non ambiguous_territory -> queue triage\n";
    let warned = format!("{overlap}{}", route(READS_TERRITORY));
    assert_eq!(codes_of(&warned), [Code::W0008]);
    let allowed = warned.replace("territory b", "allow W0008 \"b is carved out of a until the handover\"\nterritory b");
    assert_eq!(codes_of(&allowed), [], "allowed on the territory it is reported on");
    let on_a = warned.replace("territory a", "allow W0008 \"a keeps its old leads for now\"\nterritory a");
    assert_eq!(codes_of(&on_a), [], "or on the other territory of the pair");
    let elsewhere = warned.replace("on ambiguous_territory", "allow W0008 \"misplaced\"\non ambiguous_territory");
    assert_eq!(codes_of(&elsewhere), [Code::W0008, Code::W0009], "an allow on another declaration silences nothing");
    let no_reason = warned.replace("territory b", "allow W0008 \"\"\nterritory b");
    assert_eq!(codes_of(&no_reason), [Code::E0038, Code::W0008]);
}

#[test]
fn an_active_rep_in_no_team_is_an_account_owner_when_the_policy_assigns_owners() {
    let reps = "rep olivia { email \"olivia@acme.example\" }\nrep gone { email \"gone@acme.example\" active false }\n";
    let plain = format!("{reps}{}", route(""));
    assert_eq!(codes_of(&plain), [Code::W0001, Code::W0001], "no owner assignment: both are unused");
    let owners = format!("{reps}{}", route("  when state is present -> assign owner(state) else continue"));
    let found: Vec<(Code, String)> = run(&[("p.route", &format!("{BASE}{owners}"))]).diagnostics.iter().map(|d| (d.code, d.message.clone())).collect();
    assert_eq!(found, [(Code::W0001, "rep `gone` is in no team".to_string())], "an inactive rep still is");
}

/// Thousands of tiers (and rules) on one field stay cheap to analyse (the equality set a
/// conjunction keeps is bounded, and tiers that take no lead are not compared
/// again), while what is found before the bound is still found.
#[test]
fn thousands_of_tiers_and_rules_on_one_field_are_analysed_without_false_warnings() {
    let mut tiers = String::new();
    for i in 0..3000 {
        tiers += &format!("tier t{i} when country == \"c{i}\" sla 1h\n");
        if i == 10 {
            tiers += "tier again when country == \"c3\" sla 1h\n";
        }
    }
    let src = BASE.replace("tier standard otherwise sla 24h\n", &format!("{tiers}tier standard otherwise sla 24h\n"));
    let checked = run(&[("p.route", &format!("{src}{}", route("")))]);
    let found: Vec<(Code, &str)> = checked.diagnostics.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(found, [(Code::W0006, "tier `again` can never fire")]);
    // A run of tiers all covered by the first: each is reported, against that one.
    let mut tiers = String::from("tier hot when intent > 0.5 sla 1h\n");
    for i in 1..3000 {
        tiers += &format!("tier t{i} when intent > {i}.5 sla 1h\n");
    }
    let src = BASE.replace("tier standard otherwise sla 24h\n", &format!("{tiers}tier standard otherwise sla 24h\n"));
    let checked = run(&[("p.route", &format!("{src}{}", route("")))]);
    assert_eq!(checked.diagnostics.len(), 2999);
    assert!(checked.diagnostics.iter().all(|d| d.code == Code::W0006 && d.help.as_deref().is_some_and(|h| h.starts_with("covered by `hot`"))));
    // The same for a route's rules.
    let mut rules = String::from("  hot: when intent > 0.5 -> queue triage");
    for i in 1..3000 {
        rules += &format!("\n  r{i}: when intent > {i}.5 -> queue triage");
    }
    let checked = run(&[("p.route", &format!("{BASE}{}", route(&rules)))]);
    assert_eq!(checked.diagnostics.len(), 2999);
    assert!(checked.diagnostics.iter().all(|d| d.code == Code::W0006 && d.help.as_deref().is_some_and(|h| h.starts_with("covered by `hot`"))), "{:?}", checked.diagnostics.first());
}

/// An editor re-checks with one cache: conditions whose text did not change
/// are not analysed again, unless what they are analysed against changed.
/// Each cached re-check must say exactly what a fresh check says.
#[test]
fn re_checks_with_the_editor_cache_match_fresh_checks_across_schema_edits() {
    use leadroute_compiler::check::check_with_cache;
    use leadroute_compiler::syntax::ParseCache;
    let two = r#"policy p { entry main }
enum Size { small, large }
schema lead { id: string  size: Size }
tier a when size == small sla 1h
tier b when size == large sla 1h
territory x when size == small
territory y when size != small and size != large
queue q { owner "ops@example.com" }
route main { otherwise -> queue q }
"#;
    let three = two.replace("enum Size { small, large }", "enum Size { small, medium, large }");
    let optional = two.replace("size: Size }", "size: Size? }");
    let codes = |text: &str, cache: Option<&mut ParseCache>| {
        let mut sources = leadroute_compiler::SourceSet::new();
        sources.add(leadroute_compiler::SourceFile::new("p.route", text.to_string()));
        let checked = check_with_cache(&sources, cache);
        checked.diagnostics.iter().map(|d| format!("{:?} {}", d.code, d.message)).collect::<Vec<_>>()
    };
    let mut cache = ParseCache::new();
    let mut seen = Vec::new();
    for (i, text) in [two, &three, two, &optional, &three, two].into_iter().enumerate() {
        let cached = codes(text, Some(&mut cache));
        assert_eq!(cached, codes(text, None), "check {i}");
        seen.push(cached);
    }
    // The edits do change the findings: with two sizes `y` never holds; with
    // three, a medium lead matches no tier.
    assert!(seen[0].iter().any(|d| d.starts_with("W0007")) && !seen[0].iter().any(|d| d.starts_with("E0026")), "{:?}", seen[0]);
    assert!(seen[1].iter().any(|d| d.starts_with("E0026")) && !seen[1].iter().any(|d| d.starts_with("W0007")), "{:?}", seen[1]);
    assert_eq!(seen[0], seen[2]);
    assert_ne!(seen[3], seen[0], "a missing size is a lead no tier takes");
}

/// An editor re-checks with one cache, and a territory condition that
/// checked clean is not type-checked again while the schema, enums, sets,
/// tables and handlers are the same. Each cached re-check must say exactly
/// what a fresh check says when those change under it.
#[test]
fn re_checks_with_the_editor_cache_type_check_territories_as_fresh_checks_do() {
    let base = r#"policy p { entry main }
schema lead { id: string  country: string  state: string? }
set west = ["CA", "OR"]
tier a otherwise sla 1h
territory w when state is present and state in west
territory e when country == "US" and state is present and state in ["NY"]
territory c when state == "ON"
queue q { owner "ops@example.com" }
route main { otherwise -> queue q }
"#;
    let edits = [
        base.to_string(),
        base.replace("set west = [\"CA\", \"OR\"]\n", ""),                        // the set is gone: E0004
        base.to_string(),
        base.replace("state: string?", "state: int?"),                               // a type mismatch
        base.replace("country: string ", ""),                                        // an unknown field
        base.replace("set west = [\"CA\", \"OR\"]", "table west from \"west.csv\" { key: string }"),
        base.replace("territory c when", "territory c when country == \"CA\" and"), // the edited one alone
        base.to_string(),
    ];
    let seen = common::re_check_as_fresh(&edits);
    let has = |s: &[String], code: &str| s.iter().any(|d| d.starts_with(&format!("Diagnostic {{ code: {code}")));
    assert!(has(&seen[1], "E0004"), "{:#?}", seen[1]);
    assert!(!has(&seen[2], "E0004"), "{:#?}", seen[2]);
    assert!(has(&seen[4], "E0005"), "{:#?}", seen[4]);
    assert_eq!(seen[0], seen[7]);
}

/// What each route's rules do to the leads reaching it is kept with the
/// route between an editor's checks: a cached re-check must say exactly
/// what a fresh check says when a route, the leads a parent sends it, a
/// territory or tier it names, or only its place in the file changes.
#[test]
fn re_checks_keep_each_routes_analysis_only_while_its_text_and_leads_are_the_same() {
    let base = r#"policy p { entry main }
schema lead { id: string  country: string  state: string?  score: int }
tier hot when score >= 80 sla 1h
tier cold otherwise sla 1d
territory us when country == "US"
territory ca when country == "CA"
on ambiguous_territory -> queue q
queue q { owner "ops@example.com" }
queue r { owner "ops@example.com" }
route main {
  to_us: when territory == us -> route usa
  to_ca: when territory == ca -> route canada
  otherwise -> queue q
}
route usa {
  west: when state is present and state in ["CA", "OR"] -> queue r
  hot_us: when tier == hot -> queue r
  otherwise -> queue q
}
route canada {
  on: when state == "ON" -> queue r
  otherwise -> queue q
}
"#;
    let edits = [
        base.to_string(),
        // A rule the one before covers: W0005 in a child route.
        base.replace("  hot_us: when tier == hot -> queue r\n", "  hot_us: when tier == hot -> queue r\n  again: when tier == hot -> queue q\n"),
        base.to_string(),
        // Only the parent changes: it sends `usa` Californian leads alone, which `west` takes, so `hot_us` never fires.
        base.replace("to_us: when territory == us ->", "to_us: when territory == us and state is present and state == \"CA\" ->"),
        base.to_string(),
        // The territory changes under an unchanged route: `state == "ON"` can no longer reach `canada`.
        base.replace("territory ca when country == \"CA\"", "territory ca when country == \"CA\" and state is present and state == \"QC\""),
        base.to_string(),
        // The tier changes: nothing is hot any more.
        base.replace("tier hot when score >= 80", "tier hot when score >= 80 and score < 0"),
        base.to_string(),
        // Only places move: a line above every route.
        base.replace("queue r {", "queue s { owner \"ops@example.com\" }\nqueue r {"),
        base.to_string(),
    ];
    let seen = common::re_check_as_fresh(&edits);
    // The edits change the findings, so reusing a stale analysis would show.
    for i in [1, 3, 5, 7] {
        assert_ne!(seen[i], seen[0], "edit {i} changes what the check says");
    }
    assert_eq!(seen[0], seen[10]);
}

/// A condition's kept results depend on the sets and `on missing(field)`
/// handlers it names, not on every set and handler of the policy: an edit
/// to one set or one default re-checks the conditions that name it (a
/// tier, a territory, a rule naming it or naming a territory built on it)
/// and keeps the rest. Each cached re-check must say what a fresh check
/// says, and each edit changes what is said, so a stale result would show.
#[test]
fn re_checks_keep_conditions_that_do_not_name_an_edited_set_or_default() {
    let base = r#"policy p { entry main }
schema lead { id: string  country: string  state: string?  score: int?  size: int? }
set west = ["CA", "OR"]
set east = ["NY", "NJ"]
on missing(score) -> assume 0
on missing(size) -> assume 5
tier hot when score >= 80 sla 1h
tier cold otherwise sla 1d
territory w when state is present and state in west
territory e when state is present and state in east
territory n when state == "WA"
on ambiguous_territory -> queue q
queue q { owner "ops@example.com" }
queue r { owner "ops@example.com" }
route main {
  to_w: when territory == w -> queue r
  big: when size >= 10 -> queue r
  to_e: when territory == e and state in east -> queue r
  small: when size < 10 -> queue q
  otherwise -> queue q
}
"#;
    let edits = [
        base.to_string(),
        // `west` now holds Washington: `w` and `n` overlap.
        base.replace(r#"set west = ["CA", "OR"]"#, r#"set west = ["CA", "OR", "WA"]"#),
        base.to_string(),
        // `east` is emptied of New Jersey and New York: `e` never holds, nor does `to_e`.
        base.replace(r#"set east = ["NY", "NJ"]"#, r#"set east = ["XX"]"#),
        base.to_string(),
        // A missing size is now 50: `small` no longer takes every lead `big` leaves.
        base.replace("on missing(size) -> assume 5", "on missing(size) -> assume 50"),
        base.to_string(),
        // A missing score is now 90: every lead without one is hot.
        base.replace("on missing(score) -> assume 0", "on missing(score) -> assume 90"),
        base.to_string(),
        // `east` is gone: the territory and the rule that name it are unknown names.
        base.replace("set east = [\"NY\", \"NJ\"]\n", ""),
        base.to_string(),
        // The handler is gone: a missing size matches neither `big` nor `small`.
        base.replace("on missing(size) -> assume 5\n", ""),
        base.to_string(),
        // A set named like a field changes nothing but must not confuse the keys.
        base.replace("set west =", "set size = [\"1\"]\nset west ="),
        base.to_string(),
    ];
    let seen = common::re_check_as_fresh(&edits);
    for i in [1, 3, 5, 7, 9, 11] {
        assert_ne!(seen[i], seen[0], "edit {i} changes what the check says: {:#?}", seen[i]);
    }
    for i in [2, 4, 6, 8, 10, 12, 14] {
        assert_eq!(seen[i], seen[0], "back to the start after edit {}", i - 1);
    }
}

/// A tier condition that checked clean is not type-checked again while the
/// fingerprint and the fields the tiers before it prove present are the
/// same: editing an earlier tier so that it no longer proves `state`
/// present must bring back the finding on a later tier whose text did not change.
#[test]
fn re_checks_with_the_editor_cache_type_check_tiers_as_fresh_checks_do() {
    let base = r#"policy p { entry main }
schema lead { id: string  country: string  state: string?  score: int }
tier unknown when state is missing sla 1d
tier west when state in ["CA", "OR"] sla 1h
tier rest otherwise sla 1d
queue q { owner "ops@example.com" }
route main { otherwise -> queue q }
"#;
    let edits = [
        base.to_string(),
        base.replace("tier unknown when state is missing", "tier unknown when score < 0"), // `state` no longer proven present
        base.to_string(),
        base.replace("state: string?", "state: int?"), // a type mismatch on the later tier
        base.to_string(),
    ];
    let seen = common::re_check_as_fresh(&edits);
    assert_ne!(seen[0], seen[1], "the later tier's finding comes back: {:#?}", seen[1]);
    assert_ne!(seen[0], seen[3]);
    assert_eq!(seen[0], seen[2]);
    assert_eq!(seen[0], seen[4]);
}

/// A long route is parsed a rule at a time and keeps its analysis across
/// an undo: typing in it, undoing, and moving it must each say exactly
/// what a fresh check says (a rule shadowed by an earlier one, and not).
#[test]
fn re_checks_of_a_long_route_say_what_fresh_checks_say_through_edits_and_undo() {
    let mut route = String::from("route main {\n");
    for i in 0..200 {
        route += &format!("  r{i}: when country == \"C{i}\" -> queue q // rule {i} of 200\n");
    }
    route += "  again: when country == \"C7\" -> queue q\n  otherwise -> queue q\n}\n";
    let base = format!("policy p {{ entry main }}\nschema lead {{ id: string  country: string  score: int }}\ntier all otherwise sla 1h\nqueue q {{ owner \"ops@example.com\" }}\n{route}");
    let edits = [
        base.clone(),
        base.replacen("r7: when country == \"C7\"", "r7: when country == \"C77\"", 1), // `again` can fire now
        base.clone(),                                                                 // undo
        base.replacen("r7: when country == \"C7\"", "r7: when country == \"C77\"", 1), // redo
        format!("// moved\n{base}"),
        base.replacen("r150: when", "r150: when score > 1 and", 1),
        base.replacen("r7: when country == \"C7\"", "r7: when country == \"C77\"", 1), // as an edit once more
        base.clone(),
    ];
    let seen = common::re_check_as_fresh(&edits);
    assert_ne!(seen[0], seen[1], "`again` is shadowed by `r7` only in the original: {:#?}", seen[0]);
    assert_eq!(seen[0], seen[2]);
    assert_eq!(seen[1], seen[3]);
}

/// A long route whose text changed resumes the last check's work after
/// its leading rules that did not change (from the mark before the first
/// changed rule): the leads the earlier rules took must still be taken
/// away, so a later rule they cover is still reported, wherever the edit is.
#[test]
fn re_checks_of_a_long_route_resume_after_its_unchanged_rules_as_fresh_checks_say() {
    let mut route = String::from("route main {\n");
    for i in 0..300 {
        route += &format!("  r{i}: when country == \"C{i}\" -> queue q\n");
    }
    route += "  again: when country == \"C5\" -> queue q\n  otherwise -> queue q\n}\n";
    let base = format!("policy p {{ entry main }}\nschema lead {{ id: string  country: string  score: int }}\ntier all otherwise sla 1h\nqueue q {{ owner \"ops@example.com\" }}\n{route}");
    let edits = [
        base.clone(),
        // Past the mark at rule 256: `r5` covers `r280` now.
        base.replacen("r280: when country == \"C280\"", "r280: when country == \"C5\"", 1),
        base.clone(),
        // Just past the mark at rule 64, and again past the one at 128.
        base.replacen("r70: when country == \"C70\"", "r70: when country == \"C5\"", 1),
        base.replacen("r130: when country == \"C130\"", "r130: when country == \"C7\" and score > 3", 1),
        // Before the first mark: `again` is no longer covered.
        base.replacen("r5: when country == \"C5\"", "r5: when country == \"C5\" and score > 3", 1),
        // A rule inserted in the middle, which `r5` covers.
        base.replacen("  r200:", "  extra: when country == \"C5\" -> queue q\n  r200:", 1),
        base.clone(),
    ];
    let seen = common::re_check_as_fresh(&edits);
    for i in [1, 3, 4, 5, 6] {
        assert_ne!(seen[i], seen[0], "edit {i} changes what the check says");
    }
    assert_eq!(seen[0], seen[2]);
    assert_eq!(seen[0], seen[7]);
}

/// A route that checked clean is not type-checked again while the
/// fingerprint and the names it may refer to are the same: removing the
/// team it assigns to, the handler its assignment relies on or the set it
/// reads must bring the findings back; moving it must move the places of
/// its `route` actions (the cycle between `a` and `b` is reported at one).
#[test]
fn re_checks_with_the_editor_cache_type_check_routes_as_fresh_checks_do() {
    let base = r#"policy p { entry main }
schema lead { id: string  country: string  state: string? }
set west = ["CA", "OR"]
tier all otherwise sla 1h
rep ann { email "ann@example.com" }
team sales { members [ann] }
queue q { owner "ops@example.com" }
on no_available_rep -> queue q
route main {
  w: when state is present and state in west -> assign team sales
  otherwise -> route a
}
route a {
  when country == "US" -> route b
  otherwise -> queue q
}
route b {
  when country == "US" -> route a
  otherwise -> queue q
}
"#;
    let edits = [
        base.to_string(),
        format!("// moved\n\n{base}"), // kept checks, moved: the cycle's place moves
        base.to_string(),
        base.replace("team sales { members [ann] }\n", ""), // E0004 unknown team
        base.to_string(),
        base.replace("on no_available_rep -> queue q\n", ""), // E0022 nothing handles it
        base.replace("set west = [\"CA\", \"OR\"]\n", ""), // E0004 unknown set
        base.replace("queue q {", "queue r { owner \"x@example.com\" }\nqueue q {"),
        base.to_string(),
    ];
    let seen = common::re_check_as_fresh(&edits);
    assert!(seen[0].iter().any(|d| d.contains("E0024")), "the cycle: {:#?}", seen[0]);
    for i in [1, 3, 5, 6] {
        assert_ne!(seen[0], seen[i], "check {i}: {:#?}", seen[i]);
    }
    assert_eq!(seen[0], seen[2]);
    assert_eq!(seen[0], seen[8]);
}

/// In a long route each rule that checked clean is kept: typing in one
/// rule re-checks that rule. A rule whose text did not change must still
/// say what a fresh check says when a rule before it stops proving a field
/// present, and its `route` action's place must move with it (the cycle).
#[test]
fn re_checks_of_a_long_route_keep_each_clean_rule_as_fresh_checks_do() {
    let mut route = String::from("route main {\n");
    for i in 0..150 {
        route += &format!("  r{i}: when country == \"C{i}\" -> queue q // filler rule {i}\n");
    }
    route += "  u: when state is missing -> queue q\n  w: when state == \"CA\" -> route b\n  otherwise -> queue q\n}\n";
    let base = format!(
        "policy p {{ entry main }}\nschema lead {{ id: string  country: string  state: string?  score: int }}\ntier all otherwise sla 1h\nqueue q {{ owner \"ops@example.com\" }}\n{route}route b {{\n  when country == \"US\" -> route main\n  otherwise -> queue q\n}}\n"
    );
    let edits = [
        base.clone(),
        base.replacen("r3: when country == \"C3\"", "r3: when country == \"X3\"", 1), // one rule typed in
        base.replacen("u: when state is missing", "u: when score < 0", 1),         // `w` reads `state` unproven
        base.clone(),
        format!("// moved\n{base}"),                                               // every rule moved: the cycle's place too
        base.replacen("r3: when country == \"C3\"", "r3: when country == \"X3\"", 1),
    ];
    let seen = common::re_check_as_fresh(&edits);
    assert!(seen[0].iter().any(|d| d.contains("E0024")), "the cycle: {:#?}", seen[0]);
    assert_ne!(seen[0], seen[2], "`w` reads an optional field unproven: {:#?}", seen[2]);
    assert_eq!(seen[0], seen[3]);
}
