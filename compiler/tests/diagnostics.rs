//! One snapshot per diagnostic code: the source that triggers it, the
//! rendered terminal report, and the JSON object CI receives.

use leadroute_compiler::render::{render_human, render_json_lines, HumanOptions};
use leadroute_compiler::source::{MemoryProvider, SourceFile};
use leadroute_compiler::{check, check_paths, Code, SourceSet};

/// A small valid policy the cases add to.
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
}
queue triage { owner "ops@acme.example" sla 1h }
rep alice { email "alice@acme.example" }
team sales { members [alice] }
tier standard otherwise sla 24h
"#;

const ROUTE: &str = "route main {\n  otherwise -> queue triage\n}\n";

/// (code, source that must produce it). `+` at the start means "BASE + ROUTE + rest"
/// (`+entry`, `+reads`: see [`source_of`]).
const CASES: &[(Code, &str)] = &[
    (Code::E0001, "+on no_match queue triage\n"),
    (Code::E0002, "+territory deep when ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((employees > 1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\n"),
    (Code::E0003, "+queue slow { owner \"ops@acme.example\" sla 0m }\n"),
    (Code::E0004, "+route other {\n  when intent > 50 -> assign team slaes else queue triage\n  otherwise -> route main\n}\n"),
    (Code::E0005, "+territory us when countyr == \"US\"\n"),
    (Code::E0006, "+territory chatty when source == chats\n"),
    (Code::E0007, "policy p { owner \"o@x.example\" }\nschema lead { id: string  size: integr }\ntier t otherwise sla 1h\nqueue q { sla 1h }\nroute r { otherwise -> queue q }\n"),
    (Code::E0008, "+territory big when lenght(email) > 3\n"),
    (Code::E0009, "+queue triage { owner \"other@acme.example\" sla 2h }\n"),
    (Code::E0010, "+rep bob { email \"bob@acme.example\" email \"robert@acme.example\" }\nteam b { members [bob] }\n"),
    (Code::E0011, "policy p { owner \"o@x.example\" }\nschema lead { id: string  tier: string }\ntier t otherwise sla 1h\nqueue q { sla 1h }\nroute r { otherwise -> queue q }\n"),
    (Code::E0012, "+territory big when intent > \"80\"\n"),
    (Code::E0013, "+territory big when intent\n"),
    (Code::E0014, "+territory late when country > \"M\"\n"),
    (Code::E0015, "+territory big when employees > 500\n"),
    (Code::E0016, "+territory acme when starts_with(email)\n"),
    (Code::E0017, "+territory big when (employees ?? \"none\") == \"none\"\n"),
    (Code::E0018, "+team ghosts { members [] }\n"),
    (Code::E0019, "+team twice { members [alice, alice] }\n"),
    (Code::E0020, "+team rr { members [alice] strategy round_robbin }\n"),
    (Code::E0021, "+entry\nroute second {\n  when intent > 50 -> queue triage\n}\n"),
    (Code::E0022, "+route hot {\n  when intent > 80 -> assign team sales\n  otherwise -> queue triage\n}\n"),
    (Code::E0023, "+reads\nterritory west when country == \"US\" and state is present and state in [\"CA\", \"OR\"]\nterritory california when country == \"US\" and state is present and state == \"CA\"\n"),
    (Code::E0024, "+entry\nroute a {\n  when intent > 50 -> route b\n  otherwise -> queue triage\n}\nroute b {\n  otherwise -> route a\n}\n"),
    (Code::E0025, "schema lead { id: string }\ntier t otherwise sla 1h\nqueue q { sla 1h }\nroute r { otherwise -> queue q }\n"),
    (Code::E0026, "policy p { owner \"o@x.example\" }\nschema lead { id: string  intent: float }\ntier hot when intent > 80 sla 5m\nqueue q { sla 1h }\nroute r { otherwise -> queue q }\n"),
    (Code::E0027, "+rep carol { email \"carol@acme.example\" timezone \"America/Nework\" hours mon-fri 09:00-09:00 }\nteam c { members [carol] }\n"),
    (Code::E0028, "+test \"hot lead\" {\n  lead { id: \"L1\", email: \"a@b.example\", country: \"US\", intent: \"high\", source: chat }\n  expect queue triage\n}\n"),
    (Code::E0029, "+route second {\n  otherwise -> queue triage\n}\n"),
    (Code::E0030, "policy p { owner \"o@x.example\" }\nschema lead { email: string }\ntier t otherwise sla 1h\nqueue q { sla 1h }\nroute r { otherwise -> queue q }\n"),
    (Code::E0031, "+on no_availble_rep -> queue triage\n"),
    (Code::E0032, "+on no_match -> assume 0\n"),
    (Code::E0033, "+team keep { members [alice] strategy sticky }\n"),
    (Code::E0034, "+queue overflow { owner \"ops@acme.example\" escalate triage }\n"),
    (Code::E0035, "+on sla_breach(standard) -> drop \"too slow\"\n"),
    (Code::E0036, "policy p { owner \"o@x.example\" }\nschema lead { id: string  intent: float }\nrep victor { email \"victor@x.example\" }\nrep sam { email \"sam@x.example\" }\nteam vip { members [victor] }\nteam sdr { members [sam, victor] }\nqueue review { sla 1h }\ntier hot when intent >= 80.0 sla 5m\ntier cold otherwise sla 1d\nroute r {\n  vip: when intent >= 95.0 -> assign team vip else queue review\n  otherwise -> queue review\n}\non sla_breach(hot) -> assign rep victor else queue review\n"),
    (Code::E0038, "+allow E0023 \"errors cannot be allowed\"\nrep dan { email \"dan@acme.example\" }\n"),
    (Code::E0037, "+queue first { sla 1h escalate second }\nqueue second { sla 1h escalate first }\non sla_breach -> queue first\n"),
    (Code::E0051, "// nothing here yet\n"),
    (Code::E0070, "+on duplicate(within 5000d) -> assign previous owner else continue\n"),
    (Code::E0071, "+route hot {\n  when intent > 80 -> assign previous owner else queue triage\n  otherwise -> queue triage\n}\n"),
    (Code::W0001, "+rep dan { email \"dan@acme.example\" }\n"),
    (Code::W0002, "policy p { owner \"o@x.example\" }\nschema lead { id: string  intent: float }\ntier t otherwise sla 1h\nqueue q { sla 1h }\nroute r {\n  otherwise -> queue q\n  when intent > 50 -> queue q\n}\n"),
    (Code::W0003, "+queue unused { owner \"ops@acme.example\" sla 1h }\n"),
    (Code::W0004, "+on missing(email) -> queue triage\n"),
    (Code::W0005, "+territory known when email is present\n"),
    (Code::W0006, "policy p { owner \"o@x.example\" }\nschema lead { id: string  employees: int? }\ntier t otherwise sla 1h\nqueue q { sla 1h }\nroute r {\n  big: when employees is present and employees > 500 -> queue q\n  bigger: when employees is present and employees > 1000 -> queue q\n  otherwise -> queue q\n}\n"),
    (Code::W0007, "+territory nowhere when intent > 90 and intent < 10\n"),
    (Code::W0008, "+reads\nterritory west when country == \"US\" and state is present and state in [\"CA\", \"OR\"]\nterritory north when country == \"US\" and state is present and state in [\"OR\", \"WA\"]\non ambiguous_territory -> queue triage\n"),
    (Code::W0009, "+allow W0001 \"dan works only his own accounts\"\nrep dan { email \"dan@acme.example\" }\nteam east { members [dan] }\n"),
    (Code::W0011, "+rep nina { email \"nina@acme.example\" hours sun-thu 22:00-06:00 capacity 3 per day }\nteam night { members [nina] }\n"),
];

fn source_of(case: &str) -> String {
    match case.strip_prefix('+') {
        // `+entry` asks for an entry route in the header (the case declares several routes).
        Some(rest) if rest.starts_with("entry\n") => {
            format!("{}{ROUTE}{}", BASE.replacen("timezone \"UTC\"", "timezone \"UTC\" entry main", 1), &rest[6..])
        }
        // `+reads`: the route reads the territory (where an ambiguous lead raises), after the case.
        Some(rest) if rest.starts_with("reads\n") => {
            format!("{BASE}{}route main {{\n  west: when territory == west -> queue triage\n  otherwise -> queue triage\n}}\n", &rest[6..])
        }
        Some(rest) => format!("{BASE}{ROUTE}{rest}"),
        None => case.to_string(),
    }
}

fn render(sources: &SourceSet, diags: &[leadroute_compiler::Diagnostic]) -> String {
    let human = render_human(diags, sources, HumanOptions::plain());
    let json = render_json_lines(diags, sources);
    let pretty: Vec<String> = json
        .lines()
        .map(|l| serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(l).expect("valid JSON")).expect("serializable"))
        .collect();
    format!("--- human ---\n{human}--- json ---\n{}\n", pretty.join("\n"))
}

#[test]
fn every_code_has_a_case_that_produces_it() {
    for code in Code::ALL {
        // Table codes need a CSV file beside the policy: one case each in `tables.rs`.
        let table_code = matches!(
            code,
            Code::E0060 | Code::E0061 | Code::E0062 | Code::E0063 | Code::E0064 | Code::E0065 | Code::E0066 | Code::E0067 | Code::W0020 | Code::W0021
        );
        if table_code {
            continue;
        }
        if matches!(code, Code::E0050 | Code::W0010 | Code::E0039 | Code::E0052 | Code::W0040) {
            // covered by `unreadable_source_is_e0050`, `calendar_without_next_year_is_w0010`,
            // `a_long_default_chain_is_e0039`, `separate_policies_are_one_e0052` and
            // `an_exhausted_territory_search_is_w0040` below
            continue;
        }
        if *code == Code::E0068 {
            // 100,001 declarations: `more_items_than_the_runtime_loads_is_e0068_at_the_first_past_the_bound`
            // in `robustness.rs` checks its message and place.
            continue;
        }
        assert!(CASES.iter().any(|(c, _)| c == code), "no snapshot case for {code}");
    }
}

#[test]
fn each_code_renders_as_snapshotted() {
    for (code, case) in CASES {
        let text = source_of(case);
        let mut sources = SourceSet::new();
        sources.add(SourceFile::new("policy.route", text.clone()));
        let checked = check(&sources);
        let produced: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
        assert!(produced.contains(code), "{code}: expected it among {produced:?} for\n{text}");
        // Only the case's own code(s) are shown, so each snapshot is about one thing.
        let own: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == *code).cloned().collect();
        let snippet = match case.strip_prefix("+reads\n") {
            Some(_) => text.strip_prefix(BASE).unwrap_or(&text),
            None => case.strip_prefix('+').map_or(text.as_str(), |r| r.strip_prefix("entry\n").unwrap_or(r)),
        };
        let body = format!("--- source (after the shared base) ---\n{snippet}{}", render(&sources, &own));
        insta::assert_snapshot!(code.as_str(), body);
    }
}

#[test]
fn the_base_policy_is_clean() {
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", format!("{BASE}{ROUTE}")));
    let checked = check(&sources);
    assert!(checked.diagnostics.is_empty(), "{:#?}", checked.diagnostics);
}

#[test]
fn unreadable_source_is_e0050() {
    let mut fs = MemoryProvider::new();
    fs.insert("bad.route", vec![b'p', 0xff, 0xfe]);
    let (sources, checked) = check_paths(&fs, &["missing.route".into(), "bad.route".into()]);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::E0050, Code::E0050]);
    insta::assert_snapshot!("E0050", render(&sources, &checked.diagnostics));
}

#[test]
fn a_long_default_chain_is_e0039() {
    // 1025 parts on one line of ~13 KB: the report shows a window of it.
    let chain = vec!["employees"; 1025].join(" ?? ");
    let text = format!("{BASE}{ROUTE}territory big when ({chain} ?? 0) > 500\n");
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", text));
    let checked = check(&sources);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::E0039], "one error; the types around the chain still check");
    let human = render_human(&checked.diagnostics, &sources, HumanOptions::plain());
    assert!(human.lines().all(|l| l.chars().count() < 200), "no line of the report is long:\n{human}");
    insta::assert_snapshot!("E0039", human);
}

#[test]
fn an_exhausted_territory_search_is_w0040() {
    // 2,100 territories on a number alone: every pair must be compared, past the budget.
    let chain: String = (0..2100).map(|i| format!("territory t{i} when intent > {i}\n")).collect();
    let reads = "route main {\n  when territory is present -> queue triage\n  otherwise -> queue triage\n}\n";
    let text = format!("{BASE}{reads}on ambiguous_territory -> queue triage\n{chain}");
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", text));
    let checked = check(&sources);
    let cut: Vec<_> = checked.diagnostics.iter().filter(|d| d.code == Code::W0040).cloned().collect();
    assert_eq!(cut.len(), 1);
    insta::assert_snapshot!("W0040", render(&sources, &cut));
}

#[test]
fn separate_policies_are_one_e0052() {
    let mut fs = MemoryProvider::new();
    fs.insert("policies/a.route", format!("{BASE}{ROUTE}"));
    fs.insert("policies/b.route", format!("{}{ROUTE}", BASE.replace("policy p", "policy q")));
    let (sources, checked) = check_paths(&fs, &["policies".into()]);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::E0052], "one diagnostic instead of a duplicate for every shared name");
    insta::assert_snapshot!("E0052", render(&sources, &checked.diagnostics));
}

#[test]
fn calendar_without_next_year_is_w0010() {
    let text = format!("{BASE}{ROUTE}calendar uk {{\n  2026-12-25 \"Christmas Day\"\n  2026-12-28\n}}\nrep amy {{ email \"amy@acme.example\" calendar uk }}\nteam emea {{ members [amy] }}\n");
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", text));
    let checked = check(&sources);
    assert!(checked.diagnostics.is_empty(), "the checker itself reads no clock: {:#?}", checked.diagnostics);
    let stale = leadroute_compiler::check::schedule::stale_calendars(&checked.modules, (2026, 3, 1));
    assert_eq!(stale.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::W0010]);
    insta::assert_snapshot!("W0010", format!("--- checked on 2026-03-01 ---\n{}", render(&sources, &stale)));
    // A calendar that reaches into next year is fine; so is any calendar checked a year earlier.
    assert!(leadroute_compiler::check::schedule::stale_calendars(&checked.modules, (2025, 6, 1)).is_empty());
}

#[test]
fn a_bad_clock_is_reported_once() {
    // `24:30` is not a time: one E0003, no second error about the hours it was part of.
    let text = format!("{BASE}{ROUTE}rep carol {{ email \"carol@acme.example\" hours mon-fri 09:00-24:30 }}\nteam c {{ members [carol] }}\n");
    let mut sources = SourceSet::new();
    sources.add(SourceFile::new("policy.route", text));
    let checked = check(&sources);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::E0003], "{:#?}", checked.diagnostics);
    let help = checked.diagnostics[0].help.clone().unwrap_or_default();
    assert!(help.contains("`24:00`") && !help.contains("23:59"), "{help}");
}
