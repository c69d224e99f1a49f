//! The formatter: each layout rule as an input → output snapshot; and on
//! every example and on generated policies, formatting is idempotent, keeps
//! every comment, and never changes meaning (the lowered IR is the same).

use std::path::{Path, PathBuf};

use leadroute_compiler::fmt::{first_difference, format_files, format_source, FileStatus};
use leadroute_compiler::source::MemoryProvider;
use leadroute_compiler::{check, lower, Code, SourceFile, SourceSet};
use proptest::prelude::*;
use serde_json::Value as Json;

// ---------------------------------------------------------------- helpers

fn fmt(text: &str) -> String {
    match format_source(text) {
        Ok(t) => t,
        Err(d) => panic!("does not parse: {d:#?}\n{text}"),
    }
}

/// The input and its formatted output, for a snapshot.
fn show(input: &str) -> String {
    let formatted = assert_sound("snapshot input", input, false, true);
    format!("{input}\n=============== formatted ===============\n{formatted}")
}

/// The comments of a text in order (a `//` inside a string is not one).
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        for (i, c) in line.char_indices() {
            if in_string {
                match (escaped, c) {
                    (true, _) => escaped = false,
                    (false, '\\') => escaped = true,
                    (false, '"') => in_string = false,
                    _ => {}
                }
            } else if c == '"' {
                in_string = true;
            } else if line[i..].starts_with("//") {
                out.push(line[i..].trim_end().to_string());
                break;
            }
        }
    }
    out
}

/// The policy's IR without source places, condition texts and the two digests.
fn meaning(text: &str) -> Json {
    let mut set = SourceSet::new();
    set.add(SourceFile::new("p.route", text));
    let checked = check(&set);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "the policy does not check: {errors:#?}\n{text}");
    let ir = lower::lower(&set, &checked).expect("a policy without errors lowers");
    let mut json = serde_json::to_value(&ir).expect("the IR serializes");
    strip_places(&mut json);
    json
}

fn strip_places(v: &mut Json) {
    match v {
        Json::Object(map) => {
            map.remove("loc");
            map.remove("policy_version");
            map.remove("source_digest");
            if map.contains_key("expr") {
                map.remove("text");
            }
            map.values_mut().for_each(strip_places);
        }
        Json::Array(items) => items.iter_mut().for_each(strip_places),
        _ => {}
    }
}

/// Idempotence, comment keeping (`same_order`: also in the same order) and,
/// when `checks`, meaning preservation. Returns the formatted text.
fn assert_sound(name: &str, text: &str, checks: bool, same_order: bool) -> String {
    let once = fmt(text);
    let twice = fmt(&once);
    assert!(once == twice, "{name}: formatting is not idempotent\n{}", first_difference(name, &once, &twice));
    assert!(once.ends_with('\n') && !once.ends_with("\n\n") || once.is_empty(), "{name}: must end in exactly one newline");
    let (mut before, mut after) = (comments(text), comments(&once));
    if same_order {
        assert_eq!(before, after, "{name}: comments lost, changed or moved out of order\n--- input\n{text}\n--- output\n{once}");
    } else {
        before.sort();
        after.sort();
        assert_eq!(before, after, "{name}: comments lost or changed\n--- input\n{text}\n--- output\n{once}");
    }
    if checks {
        assert_eq!(meaning(text), meaning(&once), "{name}: formatting changed the meaning\n--- input\n{text}\n--- output\n{once}");
    }
    once
}

fn example_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut files = Vec::new();
    for dir in [root.clone(), root.join("gaps"), root.join("accounts")] {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        files.extend(entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "route")));
    }
    files.sort();
    files
}

// ---------------------------------------------------------------- the examples

#[test]
fn every_example_formats_idempotently_and_keeps_its_meaning_and_comments() {
    let files = example_files();
    assert!(!files.is_empty(), "no examples found");
    let mut formatted = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).expect("example is readable");
        let name = path.display().to_string();
        if format_source(&text).is_err() {
            // A deliberately broken example (broken.route) is never formatted.
            continue;
        }
        let mut set = SourceSet::new();
        set.add(SourceFile::new("p.route", text.as_str()));
        let checks = !check(&set).has_errors();
        assert_sound(&name, &text, checks, true);
        formatted += 1;
    }
    assert!(formatted > 0);
}

#[test]
fn a_file_with_syntax_errors_is_not_formatted() {
    let text = include_str!("../../examples/broken.route");
    let diags = format_source(text).expect_err("broken.route has a syntax error");
    assert!(diags.iter().all(|d| matches!(d.code, Code::E0001 | Code::E0002 | Code::E0003)), "{diags:#?}");
    assert_eq!(diags.len(), 1);
}

// ---------------------------------------------------------------- layout rules (snapshots)

macro_rules! layout {
    ($name:ident, $input:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), show($input));
        }
    };
}

layout!(
    sla_handlers_align_their_arrows_and_queues_put_escalate_last,
    "queue review {escalate   managers sla 30m owner \"ops@acme.example\"}\nqueue managers { escalate notify  \"overdue\" sla 1h }\non sla_warning( hot ,2m )->notify \"due soon\"\non sla_breach(hot)->reassign   else assign team ae   else queue review // next rep\non sla_breach -> queue review\non sla_warning(120s) -> notify \"any tier\"\ntest \"t\" { lead { id: \"L1\" } expect rep ann  after 6m   breach expect rep ben , team sdr }\n"
);

layout!(policy_properties_go_owner_timezone_entry, "policy p{entry main timezone \"UTC\"   owner \"ops@acme.example\"}\n");

layout!(
    blank_lines_between_declarations_collapse_to_one,
    "\n\n\nenum A { x }\n\n\n\nenum B { y }\nenum C { z }\n\n\n"
);

layout!(
    enums_stay_on_one_line_when_they_fit,
    "enum Source {chat,web ,partner,}\nenum Empty {}\nenum Long { alpha_variant, bravo_variant, charlie_variant, delta_variant, echo_variant, foxtrot_v }\n"
);

layout!(
    schema_fields_one_per_line_with_types_aligned,
    "schema lead { id: string, email:string  intent : float\n account_owner: string ?, tags: list < string >, sizes: list<list<int>?>? }\n"
);

layout!(
    sets_wrap_under_their_first_item_past_100_columns,
    "set short = [\"a\",\"b\"]\nset empty = []\nset ints = [1, -2, 30]\nset long_one = [\"alpha.example\", \"bravo.example\", \"charlie.example\", \"delta.example\", \"echo.example\", \"foxtrot.example\", \"golf.example\", \"hotel.example\", \"india.example\", \"juliett.example\"]\n"
);

layout!(
    rep_properties_go_in_a_stable_order_with_hours_in_source_order,
    "rep alice { active false skills [b, a] weight 2 capacity 8 per day capacity 30 open hours sat 8:00-12:00 hours mon-wed,fri 09:00-17:30 \"Europe/Berlin\" timezone \"America/New_York\" email \"alice@acme.example\" }\nrep bob {}\n"
);

layout!(
    short_teams_and_queues_stay_on_one_line_in_canonical_order,
    "team sales { strategy sticky( owner_id ) members [alice,bob] }\nteam big { members [alice_the_first, bob_the_second, carol_the_third, dan_the_fourth, erin_the_fifth, frank_6] }\nqueue triage { sla 300000ms owner \"ops@acme.example\" }\nqueue later { sla 168h }\n"
);

layout!(
    tiers_and_territories_one_per_line_names_and_sla_aligned,
    "tier hot when intent>=80.0 sla 300s\ntier lukewarm when intent >= 40.0 sla 60m\ntier cold otherwise sla 24h\n\ntier other when intent >= 1.0 or starts_with(campaign ?? \"\", \"abm-\") and not contains(tags, \"x\") sla 2d\nterritory west when country==\"US\"\nterritory emea_and_more when country in emea\n"
);

layout!(
    route_arrows_align_up_to_sixty_columns,
    "route inbound {\n  junk: when contains(tags, \"spam\") -> drop \"spam\"\n  vip: when contains(tags, \"vip\")\n    -> assign rep victor\n  when tier == hot and territory == us_west and intent >= 90.0 and source in [chat, web] -> assign team ae_west else assign team sdr else queue triage\n  known: when account_owner is present -> assign team owners else assign owner(account_owner) else continue\n  warm: when tier == warm -> assign team sdr by capacity\n  otherwise -> queue nurture\n}\n"
);

layout!(
    handler_arrows_align_within_a_consecutive_group,
    "on ambiguous_territory -> queue territory_review\non missing(employees) -> assume 0\non no_available_rep -> queue manager_review\n\non over_capacity -> queue manager_review\non no_match -> queue crm_hygiene\non missing(state) -> assume \"CA\"\n"
);

layout!(
    test_items_one_per_line_records_wrapped,
    "test \"a \\\"quoted\\\" name\" { now \"2026-11-24T20:00:00Z\" lead { id: \"L-1\", email: \"maya@globex.example\", company: \"Globex\", country: \"US\", state: \"CA\", intent: 91, score: 1.5, source: web, tags: [\"a\",\"b\",], owner: null, ok: true }\n state { alice { out_of_office_until: \"2026-11-30T17:00:00Z\" } carol { open_load: 12, }, dan {} }\n expect team ae_west,tier hot , territory us_west, assigned }\ntest \"empty\" { lead {} state {} expect dropped }\n"
);

layout!(
    expressions_print_canonically,
    "tier t when not(a==1)and b!=2.50 or c<=-3 and d>=4.000 sla 5m\n"
);

layout!(
    literals_print_canonically,
    "territory t when f(\"tab\\there\\\\ \\\"q\\\" \\n\", 80.0, 5.250, 7d, 90s, 1500ms, 120m, 48h, 8:05, 24:00) and x ?? 1 ?? 2 == 3 and y not in [1,2] and z in set_name and w is missing and v is present and not not u\n"
);

layout!(
    leading_comments_stay_before_their_item,
    "// about the policy\npolicy p {\n  // who owns it\n  owner \"ops@acme.example\"\n\n\n  // the entry route\n  entry main\n}\n\n// about reps\n\n// more about reps, after a blank line\nrep alice {\n  // her mail\n  email \"alice@acme.example\"\n}\n"
);

layout!(
    trailing_comments_stay_after_their_item_and_align,
    "schema lead {\n  id: string // the key\n  country: string   // ISO\n  segment: Segment?\n  account_owner: string? // rep id\n\n  intent: float // after a blank line: its own run\n}\nset s = [\"a\"] // a set\non no_match -> queue q // a handler\non over_capacity -> queue q   // another\n"
);

layout!(
    comments_after_an_opening_brace_and_at_the_end_of_a_block_are_kept,
    "route main { // the main route\n  otherwise -> queue q\n  // nothing after otherwise\n}\nrep bob { // an empty rep\n}\nrep carol {\n  // only a comment\n}\n"
);

layout!(
    a_one_line_block_keeps_its_trailing_comment_on_its_first_line,
    "team ae_west { members [alice, bob] strategy capacity } // balance load\nqueue q { sla 1h }\n"
);

layout!(
    a_comment_inside_a_multi_line_expression_trails_its_item,
    "tier hot when intent >= 80.0 // very keen\n  or source == chat // live chat\n  sla 5m\nroute main {\n  hot: when tier == hot // hot ones\n    and territory == west\n    -> assign team ae_west // west AEs\n  otherwise -> queue q\n}\ntest \"t\" {\n  lead { id: \"L-1\", // the id\n         country: \"US\" }\n  expect queue q\n}\n"
);

layout!(
    comments_between_a_name_and_its_brace_go_on_the_first_line,
    "rep alice // the first rep\n{\n  email \"alice@acme.example\"\n}\nenum Source { // where leads come from\n  chat, // live chat\n  web\n}\n"
);

layout!(
    comments_at_the_start_and_end_of_the_file_are_kept,
    "\n\n// first\n\n\n// second\nenum A { x }\n// after the last declaration\n\n// the very end"
);

layout!(
    comment_markers_inside_strings_are_not_comments,
    "set urls = [\"http://a.example\", \"b//c\"] // real comment with \"quotes\" // and slashes\n"
);

layout!(
    an_else_after_a_fallback_that_cannot_fail_is_kept_as_written,
    "route main {\n  when x -> assign team a else queue q else assign team b\n  otherwise -> queue q\n}\n"
);

layout!(
    a_set_never_starts_a_line_with_a_declaration_keyword,
    "set names = [\"aaaaaaaaaa\", \"bbbbbbbbbb\", \"cccccccccc\", \"dddddddddd\", \"eeeeeeeeee\", \"ffffffffff\", team, rep, \"gggggggggg\", \"hhhhhhhhhh\"]\n"
);

#[test]
fn crlf_becomes_lf_and_a_byte_order_mark_is_dropped() {
    assert_eq!(fmt("\u{FEFF}enum A {x}\r\n// c\r\n\r\n\r\nenum B {y} // d\r\n"), "enum A { x }\n// c\n\nenum B { y } // d\n");
}

#[test]
fn the_output_ends_in_exactly_one_newline() {
    assert_eq!(fmt("enum A { x }"), "enum A { x }\n");
    assert_eq!(fmt("enum A { x }\n\n\n"), "enum A { x }\n");
    assert_eq!(fmt("// only a comment"), "// only a comment\n");
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("  \n\n\t\n"), "");
}

#[test]
fn names_of_65535_characters_and_more_format_without_panicking_and_are_not_padded_to() {
    // Rust's `{:<w$}` panics on widths of 65,535 and more; the formatter pads by
    // hand, and only to names of at most 60 characters: padding a run of short
    // declarations to a long name would make the output grow with its square.
    let long = "n".repeat(70_000);
    let text = format!("schema lead {{\n  a: string\n  bb: int\n  {long}: int\n}}\ntier a when x sla 5m\ntier bb when x sla 5m\ntier {long} when y sla 5m\nterritory c when x\nterritory {long} when y\n");
    let out = fmt(&text);
    assert!(out.contains("  a:  string\n  bb: int\n"), "short fields align among themselves");
    assert!(out.contains(&format!("  {long}: int\n")));
    assert!(out.contains("tier a  when x sla 5m\ntier bb when x sla 5m\n"), "short tiers align among themselves");
    assert!(out.contains(&format!("tier {long} when y sla 5m\n")));
    assert!(out.contains(&format!("territory c when x\nterritory {long} when y\n")));
    assert!(out.len() < text.len() + 100, "no padding to the long name: {} bytes from {}", out.len(), text.len());
    assert_eq!(fmt(&out), out, "idempotent");
}

#[test]
fn formatting_stays_linear_with_one_long_name_in_a_long_run() {
    let long = "n".repeat(200_000);
    let mut text = format!("tier {long} when y sla 5m\n");
    for i in 0..20_000 {
        text.push_str(&format!("tier t{i} when x sla 5m\n"));
    }
    let out = fmt(&text);
    assert!(out.len() < 2 * text.len(), "{} bytes of output from {}", out.len(), text.len());
}

#[test]
fn syntax_errors_come_back_as_diagnostics_about_the_text_without_its_byte_order_mark() {
    let diags = format_source("\u{FEFF}enum A { x }\non over_capacity queue q\n").expect_err("a syntax error");
    assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), [Code::E0001]);
    let span = diags[0].primary.as_ref().expect("a place").span;
    assert_eq!(&"enum A { x }\non over_capacity queue q\n"[span.start as usize..span.end as usize], "queue");
    let too_big = format_source("rep a { weight 99999999999999999999 }\n").expect_err("an out-of-range number");
    assert_eq!(too_big[0].code, Code::E0003);
}

#[test]
fn format_files_reads_folders_and_reports_each_file() {
    let mut fs = MemoryProvider::new();
    fs.insert("p/a.route", "enum A {x}\n");
    fs.insert("p/b.route", "enum B { y }\n");
    fs.insert("p/c.route", "\u{FEFF}enum C { z }\n");
    fs.insert("p/d.route", "enum D { w\n");
    fs.insert("p/notes.txt", "not a policy");
    let (files, errors) = format_files(&fs, &[PathBuf::from("p"), PathBuf::from("q.route")]);
    assert_eq!(errors.len(), 1, "{errors:?}");
    let statuses: Vec<(String, &FileStatus)> = files.iter().map(|f| (f.path.display().to_string(), &f.status)).collect();
    assert_eq!(statuses[0], ("p/a.route".to_string(), &FileStatus::Changed("enum A { x }\n".to_string())));
    assert_eq!(statuses[1], ("p/b.route".to_string(), &FileStatus::Unchanged));
    // The byte-order mark alone makes a change.
    assert_eq!(statuses[2], ("p/c.route".to_string(), &FileStatus::Changed("enum C { z }\n".to_string())));
    assert!(matches!(statuses[3].1, FileStatus::Broken(d) if d[0].code == Code::E0001));
    assert_eq!(files.len(), 4);
}

#[test]
fn the_first_difference_shows_only_the_lines_that_differ() {
    let old = "a\nb\nc  \nd\ne\nf\ng\n";
    let new = "a\nb\nc\nd\ne\nf\ng\n";
    insta::assert_snapshot!("first_difference", first_difference("p.route", old, new));
    assert_eq!(first_difference("p.route", "x\r\n", "x\n"), "--- p.route\n+++ p.route (formatted)\n@@ whole file @@ CRLF line ends become LF\n");
    assert_eq!(first_difference("p.route", "x\n", "x\n"), "");
    let inserted = first_difference("p.route", "a\nz\n", "a\nb\nb\nz\n");
    assert!(inserted.ends_with("@@ -2 +2 @@\n+b\n+b\n"), "{inserted}");
}

// ---------------------------------------------------------------- generated policies

/// Choices read from a tape of numbers. Proptest shrinks the tape toward
/// zeros and shorter, and choice 0 is always the plainest, so a failure
/// shrinks to a small policy laid out simply.
struct Gen<'a> {
    tape: &'a [u32],
    at: usize,
    /// A second tape for the layout: spaces, line breaks, comments.
    layout: &'a [u32],
    layout_at: usize,
    /// Whether the layout may hold comments.
    comments: bool,
    /// Every block's properties were generated in canonical order.
    canonical: bool,
}

const DECL_KEYWORDS: &[&str] = &["policy", "enum", "schema", "set", "rep", "team", "queue", "tier", "territory", "route", "on", "test"];
const COMMENTS: &[&str] = &["// note", "// it's \"quoted\" here", "//no space", "// has // inside", "//", "// ünïcödé ✓", "// -> arrow { brace", "// spaces after   "];
const ZONES: &[&str] = &["\"UTC\"", "\"America/New_York\"", "\"Europe/Berlin\"", "\"Asia/Tokyo\""];
const DAYS: &[&str] = &["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DURATIONS: &[&str] = &["5m", "90s", "1h", "24h", "7d", "2w", "1500ms", "300000ms", "60m", "3600s"];
const COUNTRIES: &[&str] = &["US", "CA", "GB", "DE", "FR", "JP", "AU", "NZ", "IN", "SG", "BR", "MX", "ES", "IT", "NL", "SE"];

fn toks(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

impl Gen<'_> {
    fn pick(&mut self, n: usize) -> usize {
        let v = self.tape.get(self.at).copied().unwrap_or(0);
        self.at += 1;
        if n == 0 {
            0
        } else {
            v as usize % n
        }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.pick(100) >= 100 - percent
    }

    fn lay(&mut self, n: usize) -> usize {
        let v = self.layout.get(self.layout_at).copied().unwrap_or(0);
        self.layout_at += 1;
        v as usize % n
    }

    fn lay_chance(&mut self, percent: usize) -> bool {
        self.lay(100) >= 100 - percent
    }

    fn comment(&mut self) -> &'static str {
        COMMENTS[self.lay(COMMENTS.len())]
    }

    fn one<'s>(&mut self, options: &[&'s str]) -> &'s str {
        options[self.pick(options.len())]
    }

    /// A random order of `parts`; notes whether it broke the canonical order of `ranks`.
    fn shuffle(&mut self, mut parts: Vec<(u8, Vec<String>)>) -> Vec<String> {
        for i in (1..parts.len()).rev() {
            let j = self.pick(i + 1);
            parts.swap(i, j);
        }
        if parts.windows(2).any(|w| w[0].0 > w[1].0) {
            self.canonical = false;
        }
        parts.into_iter().flat_map(|(_, t)| t).collect()
    }

    /// A comma-separated list, perhaps with a trailing comma.
    fn list(&mut self, items: Vec<Vec<String>>) -> Vec<String> {
        let mut out = Vec::new();
        let n = items.len();
        for (i, item) in items.into_iter().enumerate() {
            out.extend(item);
            if i + 1 < n || (n > 0 && self.chance(20)) {
                out.push(",".to_string());
            }
        }
        out
    }

    fn policy(&mut self) -> Vec<String> {
        let mut props = vec![(2, toks(&["entry", "main"]))];
        if self.chance(70) {
            props.push((0, toks(&["owner", "\"ops@acme.example\""])));
        }
        if self.chance(70) {
            let zone = self.one(ZONES);
            props.push((1, toks(&["timezone", zone])));
        }
        let mut t = toks(&["policy", "gen", "{"]);
        t.extend(self.shuffle(props));
        t.push("}".to_string());
        t
    }

    fn schema(&mut self) -> Vec<String> {
        let fields: &[&[&str]] = &[
            &["id", ":", "string"],
            &["email", ":", "string"],
            &["country", ":", "string"],
            &["state", ":", "string", "?"],
            &["employees", ":", "int"],
            &["intent", ":", "float"],
            &["source", ":", "Source"],
            &["tags", ":", "list", "<", "string", ">"],
            &["created_at", ":", "time"],
            &["owner_id", ":", "string"],
        ];
        let mut t = toks(&["schema", "lead", "{"]);
        for f in fields {
            t.extend(toks(f));
            if self.chance(25) {
                t.push(",".to_string());
            }
        }
        t.push("}".to_string());
        t
    }

    fn duration(&mut self) -> String {
        self.one(DURATIONS).to_string()
    }

    fn rep(&mut self, i: usize) -> Vec<String> {
        let mut props = Vec::new();
        if self.chance(60) {
            props.push((0, toks(&["email", &format!("\"r{i}@acme.example\"")])));
        }
        if self.chance(40) {
            let zone = self.one(ZONES);
            props.push((1, toks(&["timezone", zone])));
        }
        for _ in 0..self.pick(3) {
            let mut h = toks(&["hours"]);
            let specs = 1 + self.pick(2);
            let mut day = self.pick(3);
            for s in 0..specs {
                if s > 0 {
                    h.push(",".to_string());
                }
                h.push(DAYS[day].to_string());
                if self.chance(50) && day + 1 < 7 {
                    day += 1 + self.pick(6 - day);
                    h.extend(toks(&["-", DAYS[day]]));
                }
                day = (day + 2).min(6);
                if day == 6 {
                    break;
                }
            }
            let (from, to) = [("08:00", "17:00"), ("9:00", "12:30"), ("00:00", "24:00")][self.pick(3)];
            h.extend(toks(&[from, "-", to]));
            if self.chance(30) {
                h.push(self.one(ZONES).to_string());
            }
            props.push((2, h));
        }
        if self.chance(40) {
            props.push((3, toks(&["capacity", &(1 + self.pick(40)).to_string(), "open"])));
        }
        if self.chance(40) {
            props.push((4, toks(&["capacity", &(1 + self.pick(20)).to_string(), "per", "day"])));
        }
        if self.chance(40) {
            props.push((5, toks(&["weight", &(1 + self.pick(5)).to_string()])));
        }
        if self.chance(30) {
            let skills: Vec<Vec<String>> = ["fintech", "spanish", "german"][..self.pick(4)].iter().map(|s| toks(&[s])).collect();
            let mut t = toks(&["skills", "["]);
            t.extend(self.list(skills));
            t.push("]".to_string());
            props.push((6, t));
        }
        if self.chance(20) {
            props.push((7, toks(&["active", self.one(&["true", "false"])])));
        }
        let mut t = toks(&["rep", &format!("r{i}"), "{"]);
        t.extend(self.shuffle(props));
        t.push("}".to_string());
        t
    }

    fn team(&mut self, i: usize, reps: usize) -> Vec<String> {
        let first = self.pick(reps);
        let count = 1 + self.pick(reps - first);
        let members: Vec<Vec<String>> = (first..first + count).map(|r| toks(&[&format!("r{r}")])).collect();
        let mut m = toks(&["members", "["]);
        m.extend(self.list(members));
        m.push("]".to_string());
        let mut props = vec![(0, m)];
        if self.chance(60) {
            let mut s = toks(&["strategy"]);
            s.extend(self.strategy());
            props.push((1, s));
        }
        let mut t = toks(&["team", &format!("t{i}"), "{"]);
        t.extend(self.shuffle(props));
        t.push("}".to_string());
        t
    }

    fn strategy(&mut self) -> Vec<String> {
        match self.pick(4) {
            0 => toks(&["round_robin"]),
            1 => toks(&["weighted"]),
            2 => toks(&["capacity"]),
            _ => toks(&["sticky", "(", "owner_id", ")"]),
        }
    }

    fn queue(&mut self, i: usize) -> Vec<String> {
        let mut props = Vec::new();
        if self.chance(60) {
            props.push((0, toks(&["owner", "\"ops@acme.example\""])));
        }
        if self.chance(70) {
            let d = self.duration();
            props.push((1, toks(&["sla", &d])));
        }
        let mut t = toks(&["queue", &format!("q{i}"), "{"]);
        t.extend(self.shuffle(props));
        t.push("}".to_string());
        t
    }

    /// A boolean condition; `names` holds tier and territory names when in a route.
    fn cond(&mut self, depth: usize, names: Option<(&[String], &[String])>) -> Vec<String> {
        if depth > 0 && self.chance(45) {
            let a = self.cond(depth - 1, names);
            return match self.pick(4) {
                0 => [a, toks(&["and"]), self.cond(depth - 1, names)].concat(),
                1 => [a, toks(&["or"]), self.cond(depth - 1, names)].concat(),
                2 => [toks(&["not"]), a].concat(),
                _ => [toks(&["("]), a, toks(&[")"])].concat(),
            };
        }
        let extra = if names.is_some() { 3 } else { 0 };
        match self.pick(15 + extra) {
            0 => toks(&["intent", self.one(&[">=", "<", "==", "!="]), self.one(&["50.0", "12.5", "0.25", "100.0"])]),
            1 => toks(&["employees", self.one(&[">", "<=", "=="]), self.one(&["10", "500", "0"])]),
            2 => toks(&["country", "==", "\"US\""]),
            3 => toks(&["country", "in", "countries"]),
            4 => toks(&["country", "not", "in", "[", "\"US\"", ",", "\"CA\"", "]"]),
            5 => toks(&["source", "==", self.one(&["chat", "web", "partner"])]),
            6 => toks(&["source", "in", "[", "chat", ",", "web", "]"]),
            7 => toks(&["contains", "(", "tags", ",", "\"vip\"", ")"]),
            8 => toks(&["starts_with", "(", "email", ",", "\"a\\\"b\"", ")"]),
            9 => toks(&["domain", "(", "email", ")", "==", "\"x.example\""]),
            10 => {
                let d = self.duration();
                toks(&["since", "(", "created_at", ")", ">", &d])
            }
            11 => toks(&["clock", "(", "created_at", ")", ">=", self.one(&["9:00", "09:00", "17:30", "00:00"])]),
            12 => toks(&["state", "is", self.one(&["present", "missing"])]),
            13 => toks(&["state", "??", "\"x\"", "==", "\"CA\""]),
            14 => toks(&["len", "(", "tags", ")", ">", "2"]),
            15 => {
                let tiers = names.map_or(&[][..], |n| n.0);
                toks(&["tier", "==", &tiers[self.pick(tiers.len())]])
            }
            16 => {
                let territories = names.map_or(&[][..], |n| n.1);
                let t = if territories.is_empty() || self.chance(30) { "none".to_string() } else { territories[self.pick(territories.len())].clone() };
                toks(&["territory", "==", &t])
            }
            _ => {
                let tiers = names.map_or(&[][..], |n| n.0);
                let a = tiers[self.pick(tiers.len())].clone();
                let b = tiers[self.pick(tiers.len())].clone();
                toks(&["tier", "in", "[", &a, ",", &b, "]"])
            }
        }
    }

    /// An action; `rule` allows `else continue` and `route aux`.
    fn action(&mut self, c: &Counts, rule: bool) -> Vec<String> {
        let q = format!("q{}", self.pick(c.queues));
        match self.pick(if rule && c.aux { 6 } else { 5 }) {
            0 => toks(&["queue", &q]),
            1 => toks(&["drop", "\"spam \\\\ or \\\"test\\\"\""]),
            5 => toks(&["route", "aux"]),
            k => {
                let mut t = match k {
                    2 => toks(&["assign", "team", &format!("t{}", self.pick(c.teams))]),
                    3 => toks(&["assign", "rep", &format!("r{}", self.pick(c.reps))]),
                    _ => toks(&["assign", "owner", "(", "owner_id", ")"]),
                };
                if k == 2 && self.chance(30) {
                    t.push("by".to_string());
                    t.extend(self.strategy());
                }
                match self.pick(if rule { 4 } else { 3 }) {
                    0 => {}
                    1 => t.extend(toks(&["else", "queue", &q])),
                    2 => t.extend(toks(&["else", "assign", "team", &format!("t{}", self.pick(c.teams)), "else", "queue", &q])),
                    _ => t.extend(toks(&["else", "continue"])),
                }
                t
            }
        }
    }

    fn route(&mut self, name: &str, c: &Counts, tiers: &[String], territories: &[String]) -> Vec<String> {
        let mut t = toks(&["route", name, "{"]);
        let rules = self.pick(if name == "main" { 6 } else { 3 });
        for i in 0..rules {
            if self.chance(50) {
                t.extend(toks(&[&format!("n{i}"), ":"]));
            }
            t.push("when".to_string());
            t.extend(self.cond(2, Some((tiers, territories))));
            t.push("->".to_string());
            t.extend(self.action(c, name == "main"));
        }
        t.extend(toks(&["otherwise", "->", "queue", &format!("q{}", self.pick(c.queues))]));
        t.push("}".to_string());
        t
    }

    fn test(&mut self, i: usize, c: &Counts) -> Vec<String> {
        let mut items: Vec<(u8, Vec<String>)> = Vec::new();
        if self.chance(60) {
            items.push((0, toks(&["now", "\"2026-11-24T15:00:00Z\""])));
        }
        let mut fields: Vec<Vec<String>> = vec![
            toks(&["id", ":", "\"L-1\""]),
            toks(&["email", ":", "\"a@b.example\""]),
            toks(&["country", ":", self.one(&["\"US\"", "\"DE\""])]),
            toks(&["employees", ":", "10"]),
            toks(&["intent", ":", self.one(&["50.5", "80.0", "3.25"])]),
            toks(&["source", ":", self.one(&["web", "chat"])]),
            toks(&["tags", ":", "[", "\"vip\"", ",", "\"x\"", "]"]),
            toks(&["created_at", ":", "\"2026-11-24T14:00:00Z\""]),
            toks(&["owner_id", ":", "\"r0\""]),
        ];
        if self.chance(30) {
            fields.push(toks(&["state", ":", "\"CA\""]));
        }
        let mut lead = toks(&["lead", "{"]);
        lead.extend(self.list(fields));
        lead.push("}".to_string());
        items.push((0, lead));
        if self.chance(40) {
            let mut s = toks(&["state", "{", "r0", "{", "open_load", ":", "1"]);
            if self.chance(50) {
                s.extend(toks(&[",", "active", ":", "false"]));
            }
            s.extend(toks(&["}", "}"]));
            items.push((0, s));
        }
        let expect = match self.pick(3) {
            0 => toks(&["expect", "queue", &format!("q{}", self.pick(c.queues))]),
            1 => toks(&["expect", "dropped"]),
            _ => toks(&["expect", "team", "t0", ",", "assigned", ",", "tier", "cold"]),
        };
        items.push((0, expect));
        let mut t = toks(&["test", &format!("\"test {i} \\\"q\\\"\""), "{"]);
        for i in (1..items.len()).rev() {
            let j = self.pick(i + 1);
            items.swap(i, j);
        }
        t.extend(items.into_iter().flat_map(|(_, t)| t));
        t.push("}".to_string());
        t
    }

    fn separator(&mut self) -> String {
        if !self.comments {
            // No blank lines either: they are the one thing of the layout formatting keeps.
            return [" ", " ", "  ", "\t", "\n  ", "  \n  "][self.lay(6)].to_string();
        }
        let c = self.comment();
        match self.lay(16) {
            0..=5 => " ".to_string(),
            6 => "  ".to_string(),
            7 => "\t".to_string(),
            8 => "\n  ".to_string(),
            9 => "\n\n\n    ".to_string(),
            10 => "  \n  ".to_string(),
            11 | 12 => format!(" {c}\n  "),
            13 => format!("\n  {c}\n  "),
            14 => format!("\n\n{c}\n\n  "),
            _ => format!("\n {c}\n {c}\n  "),
        }
    }

    fn between(&mut self) -> String {
        if !self.comments {
            return ["\n", "\n", " \n  "][self.lay(3)].to_string();
        }
        let c = self.comment();
        match self.lay(10) {
            0..=2 => "\n".to_string(),
            3 => "\n\n".to_string(),
            4 => "\n\n\n\n".to_string(),
            5 => format!("\n{c}\n"),
            6 => format!("\n\n{c}\n\n"),
            7 => format!("\n  {c}\n"),
            8 => format!(" {c}\n{c}\n"),
            _ => "\n\t\n".to_string(),
        }
    }

    fn render(&mut self, decls: Vec<Vec<String>>) -> String {
        let mut out = String::new();
        if self.lay_chance(10) {
            out.push('\u{FEFF}');
        }
        if self.comments && self.lay_chance(30) {
            out.push_str(self.comment());
            out.push_str(["\n", "\n\n"][self.lay(2)]);
        }
        for (i, decl) in decls.iter().enumerate() {
            if i > 0 {
                let sep = self.between();
                out.push_str(&sep);
            }
            let mut depth = 0usize;
            for (j, tok) in decl.iter().enumerate() {
                if j > 0 {
                    let sep = self.separator();
                    // A declaration keyword starting a line at the top level starts a new declaration.
                    if sep.contains('\n') && depth == 0 && DECL_KEYWORDS.contains(&tok.as_str()) {
                        out.push(' ');
                    } else {
                        out.push_str(&sep);
                    }
                }
                out.push_str(tok);
                match tok.as_str() {
                    "{" => depth += 1,
                    "}" => depth -= 1,
                    _ => {}
                }
            }
        }
        let ends = ["\n", "", "\n\n\n", " // the end\n", "\n// the end"];
        out.push_str(ends[self.lay(if self.comments { 5 } else { 2 })]);
        if self.lay_chance(15) {
            out = out.replace('\n', "\r\n");
        }
        out
    }
}

struct Counts {
    reps: usize,
    teams: usize,
    queues: usize,
    aux: bool,
}

/// A policy that checks without errors, laid out at random, with comments
/// and blank lines in random places. The flag says its properties were
/// written in canonical order (so its comments keep their order too).
fn generate(tape: &[u32], layout: &[u32], comments: bool) -> (String, bool) {
    let mut g = Gen { tape, at: 0, layout, layout_at: 0, comments, canonical: true };
    let c = Counts { reps: 1 + g.pick(4), teams: 1 + g.pick(3), queues: 1 + g.pick(3), aux: g.chance(50) };
    let mut decls = vec![g.policy()];
    decls.push(toks(&["enum", "Source", "{", "chat", ",", "web", ",", "partner", "}"]));
    if g.chance(30) {
        // Long enough, sometimes, to go one variant per line.
        let variants: Vec<Vec<String>> = (0..1 + g.pick(20)).map(|i| vec![format!("colour_{i}")]).collect();
        let mut e = toks(&["enum", "Colour", "{"]);
        e.extend(g.list(variants));
        e.push("}".to_string());
        decls.push(e);
    }
    decls.push(g.schema());
    let countries: Vec<Vec<String>> = COUNTRIES.iter().cycle().take(1 + g.pick(30)).map(|c| vec![format!("\"{c}\"")]).collect();
    let mut set = toks(&["set", "countries", "=", "["]);
    set.extend(g.list(countries));
    set.push("]".to_string());
    decls.push(set);
    for i in 0..c.reps {
        decls.push(g.rep(i));
    }
    for i in 0..c.teams {
        decls.push(g.team(i, c.reps));
    }
    for i in 0..c.queues {
        decls.push(g.queue(i));
    }
    let mut tiers: Vec<String> = (0..g.pick(3)).map(|i| format!("h{i}")).collect();
    for t in &tiers {
        let mut d = toks(&["tier", t, "when"]);
        d.extend(g.cond(2, None));
        d.push("sla".to_string());
        d.push(g.duration());
        decls.push(d);
    }
    let sla = g.duration();
    decls.push(toks(&["tier", "cold", "otherwise", "sla", &sla]));
    tiers.push("cold".to_string());
    let territories: Vec<String> = (0..g.pick(3)).map(|i| format!("z{i}")).collect();
    for t in &territories {
        let mut d = toks(&["territory", t, "when"]);
        d.extend(g.cond(2, None));
        decls.push(d);
    }
    decls.push(g.route("main", &c, &tiers, &territories));
    if c.aux {
        decls.push(g.route("aux", &c, &tiers, &territories));
    }
    let mut handlers = vec!["ambiguous_territory", "no_available_rep", "over_capacity", "no_match"];
    for i in (1..handlers.len()).rev() {
        let j = g.pick(i + 1);
        handlers.swap(i, j);
    }
    for h in handlers {
        let mut d = toks(&["on", h, "->"]);
        d.extend(toks(&["queue", &format!("q{}", g.pick(c.queues))]));
        decls.push(d);
    }
    if g.chance(30) {
        decls.push(toks(&["on", "missing", "(", "state", ")", "->", "assume", "\"CA\""]));
    }
    for i in 0..g.pick(3) {
        decls.push(g.test(i, &c));
    }
    let text = g.render(decls);
    (text, g.canonical)
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn generated_policies_format_idempotently_keep_comments_and_meaning(
        tape in prop::collection::vec(any::<u32>(), 0..400),
        layout in prop::collection::vec(any::<u32>(), 0..1500),
    ) {
        let (text, canonical) = generate(&tape, &layout, true);
        assert_sound("generated", &text, true, canonical);
    }

    #[test]
    fn one_policy_laid_out_two_ways_formats_to_one_text(
        tape in prop::collection::vec(any::<u32>(), 0..400),
        layout_a in prop::collection::vec(any::<u32>(), 0..1500),
        layout_b in prop::collection::vec(any::<u32>(), 0..1500),
    ) {
        let (a, _) = generate(&tape, &layout_a, false);
        let (b, _) = generate(&tape, &layout_b, false);
        prop_assert_eq!(fmt(&a), fmt(&b));
    }
}
