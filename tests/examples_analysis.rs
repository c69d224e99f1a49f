//! The analysis examples: `examples/gaps/` (a two-file policy with four
//! seeded mistakes) and `examples/overlap.route` (clean but for one handled
//! overlap) produce exactly the seeded diagnostics, at the seeded places;
//! their example leads take the path the diagnostics describe; and the
//! human output is pinned by snapshots.
//!
//! A mistake is seeded with a `// seeded: CODE - why` comment on the line
//! above the line the diagnostic points at (its primary label's start).

use leadroute_compiler::render::{render_human, HumanOptions};
use leadroute_compiler::{check, Checked, Code, SourceFile, SourceSet};
use leadroute_runtime::{parse_time, Engine, Policy};
use serde_json::Value;

/// Reads files of the repository into one policy, named as written here.
fn load(files: &[&str]) -> SourceSet {
    let mut set = SourceSet::new();
    for f in files {
        let text = std::fs::read_to_string(format!("{}/{f}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| panic!("{f}: {e}"));
        set.add(SourceFile::new(*f, text));
    }
    set
}

/// (file, line, code) of every `// seeded: CODE` comment, the line being the
/// next one that is neither blank nor a comment.
fn seeded(set: &SourceSet) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for (_, file) in set.iter() {
        let lines: Vec<&str> = file.text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix("// seeded:") else { continue };
            let code = rest.split_whitespace().next().expect("a code after `// seeded:`").to_string();
            let target = (i + 1..lines.len())
                .find(|&j| !lines[j].trim().is_empty() && !lines[j].trim_start().starts_with("//"))
                .unwrap_or_else(|| panic!("{}:{}: nothing after the seeded comment", file.name, i + 1));
            out.push((file.name.clone(), target + 1, code));
        }
    }
    out.sort();
    out
}

/// (file, line, code) of every diagnostic.
fn reported(set: &SourceSet, checked: &Checked) -> Vec<(String, usize, String)> {
    let mut out: Vec<_> = checked
        .diagnostics
        .iter()
        .map(|d| {
            let label = d.primary.as_ref().unwrap_or_else(|| panic!("a diagnostic without a place: {d:?}"));
            let file = set.get(label.span.file);
            (file.name.clone(), file.line_col(label.span.start as usize).0, d.code.as_str().to_string())
        })
        .collect();
    out.sort();
    out
}

fn human(set: &SourceSet, checked: &Checked) -> String {
    render_human(&checked.diagnostics, set, HumanOptions::plain())
}

fn example(checked: &Checked, code: Code) -> Value {
    let d = checked.diagnostics.iter().find(|d| d.code == code).unwrap_or_else(|| panic!("no {code:?}"));
    d.example.clone().unwrap_or_else(|| panic!("{code:?} carries no example lead: {d:?}"))
}

/// Compiles the files of `set` after `edit` (file name, text -> text).
fn compile_edited(set: &SourceSet, edit: impl Fn(&str, &str) -> String) -> Policy {
    let mut edited = SourceSet::new();
    for (_, f) in set.iter() {
        edited.add(SourceFile::new(f.name.clone(), edit(&f.name, &f.text)));
    }
    let checked = check(&edited);
    assert!(!checked.has_errors(), "{}", human(&edited, &checked));
    Policy::from_ir(leadroute_compiler::lower::lower(&edited, &checked).expect("lowered")).expect("loads")
}

fn now() -> i64 {
    parse_time("2026-01-05T15:00:00Z").expect("time")
}

const GAPS: [&str; 2] = ["examples/gaps/policy.route", "examples/gaps/routing.route"];
const OVERLAP: &str = "examples/overlap.route";

#[test]
fn gaps_reports_exactly_the_four_seeded_mistakes_where_they_are() {
    let set = load(&GAPS);
    let checked = check(&set);
    let seeded = seeded(&set);
    let codes: Vec<&str> = seeded.iter().map(|(_, _, c)| c.as_str()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, ["E0021", "E0023", "W0006", "W0007"], "the seeded mistakes");
    assert_eq!(reported(&set, &checked), seeded, "\n{}", human(&set, &checked));
    assert_eq!(checked.entry.as_deref(), Some("inbound"));
}

#[test]
fn overlap_reports_only_the_handled_overlap() {
    let set = load(&[OVERLAP]);
    let checked = check(&set);
    let codes: Vec<Code> = checked.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, [Code::W0008], "\n{}", human(&set, &checked));
    let label = checked.diagnostics[0].primary.as_ref().expect("a place");
    let file = set.get(label.span.file);
    assert_eq!(file.line_col(label.span.start as usize).0, file.text.lines().position(|l| l.starts_with("territory dach")).expect("dach") + 1);
    assert!(!checked.has_errors());
}

#[test]
fn the_gaps_example_leads_take_the_paths_their_diagnostics_describe() {
    let set = load(&GAPS);
    let checked = check(&set);
    let falls = example(&checked, Code::E0021);
    let both = example(&checked, Code::E0023);
    // Complete the policy: catch what falls through `partners`, handle ambiguity.
    let policy = compile_edited(&set, |name, text| {
        if name.ends_with("routing.route") {
            let last = "-> assign team partner_desk else queue partner_review\n}";
            assert!(text.contains(last), "the last rule of `partners` moved");
            text.replace(last, "-> assign team partner_desk else queue partner_review\n  otherwise -> queue fell_through\n}")
        } else {
            format!("{text}queue fell_through {{ sla 1h }}\nqueue ambiguous {{ sla 1h }}\non ambiguous_territory -> queue ambiguous\n")
        }
    });
    let engine = Engine::new(policy);
    let d = engine.decide(&falls, ts(now()));
    assert_eq!((d.queue.as_deref(), d.route.as_deref()), (Some("fell_through"), Some("partners")), "{falls}: {}", d.to_human());
    let d = engine.decide(&both, ts(now()));
    assert_eq!(d.queue.as_deref(), Some("ambiguous"), "{both}: {}", d.to_human());
    assert!(d.exceptions.iter().any(|e| e.exception == "ambiguous_territory"));
}

#[test]
fn the_overlap_example_lead_goes_to_the_ambiguous_territory_handler() {
    let set = load(&[OVERLAP]);
    let checked = check(&set);
    let lead = example(&checked, Code::W0008);
    let engine = Engine::new(compile_edited(&set, |_, text| text.to_string()));
    let d = engine.decide(&lead, ts(now()));
    assert_eq!(d.queue.as_deref(), Some("territory_review"), "{lead}: {}", d.to_human());
    assert!(d.exceptions.iter().any(|e| e.exception == "ambiguous_territory"));
}

#[test]
fn gaps_human_output_matches_the_snapshot() {
    let set = load(&GAPS);
    insta::assert_snapshot!("gaps_human", human(&set, &check(&set)));
}

#[test]
fn overlap_human_output_matches_the_snapshot() {
    let set = load(&[OVERLAP]);
    insta::assert_snapshot!("overlap_human", human(&set, &check(&set)));
}

/// `ms` as the engine's time (every time these tests use is in range).
fn ts(ms: i64) -> jiff::Timestamp {
    leadroute_runtime::timestamp_from_ms(ms).expect("a time in range")
}
