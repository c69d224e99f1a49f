//! End-to-end tests of the `leadroute` binary: exit codes, output formats,
//! multi-file policies, unreadable input, pathological input, `explain` and
//! the help texts. Every test runs the real executable.

use std::collections::BTreeSet;

use serde_json::Value;

mod common;
use common::*;

// ---------------------------------------------------------------- helpers

// Running the binary and temp folders: tests/common/mod.rs.

fn inbound_text() -> String {
    std::fs::read_to_string(root().join("examples/inbound.route")).expect("read examples/inbound.route")
}

fn broken_text() -> String {
    std::fs::read_to_string(root().join("examples/broken.route")).expect("read examples/broken.route")
}

const JSON_KEYS: [&str; 12] = [
    "file",
    "line",
    "column",
    "end_line",
    "end_column",
    "byte_start",
    "byte_end",
    "code",
    "severity",
    "message",
    "labels",
    "help",
];

/// Parses `--format json` output: one object per non-empty line, each with every documented key.
fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let obj = v.as_object().unwrap_or_else(|| panic!("not a JSON object: {line}"));
            for key in JSON_KEYS {
                assert!(obj.contains_key(key), "key `{key}` missing in {line}");
            }
            v
        })
        .collect()
}

fn codes_of(diags: &[Value]) -> Vec<String> {
    diags.iter().map(|d| d["code"].as_str().expect("code is a string").to_string()).collect()
}

fn code_set(diags: &[Value]) -> BTreeSet<String> {
    codes_of(diags).into_iter().collect()
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line as u64, column as u64)
}

/// Checks that a place (a diagnostic or one of its labels) is consistent:
/// byte range inside the file and on character boundaries, and line/column
/// pairs that agree with the byte offsets. `texts` maps file names to text.
fn check_place(place: &Value, texts: &dyn Fn(&str) -> Option<String>) {
    let Some(file) = place["file"].as_str() else { return };
    let Some(text) = texts(file) else { panic!("diagnostic names unknown file `{file}`: {place}") };
    // The loader drops a byte-order mark; offsets count from after it.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
    let num = |k: &str| place[k].as_u64().unwrap_or_else(|| panic!("`{k}` is not a number in {place}"));
    let (start, end) = (num("byte_start") as usize, num("byte_end") as usize);
    assert!(start <= end && end <= text.len(), "byte range {start}..{end} outside the file ({}): {place}", text.len());
    assert!(text.is_char_boundary(start) && text.is_char_boundary(end), "byte range splits a character: {place}");
    assert_eq!(line_col(text, start), (num("line"), num("column")), "line/column disagree with byte_start: {place}");
    assert_eq!(line_col(text, end), (num("end_line"), num("end_column")), "end disagrees with byte_end: {place}");
}

/// Checks every diagnostic and label place in JSON output against the files.
fn check_places(diags: &[Value], texts: &dyn Fn(&str) -> Option<String>) {
    for d in diags {
        check_place(d, texts);
        for label in d["labels"].as_array().expect("labels is an array") {
            check_place(label, texts);
        }
    }
}

/// Writes `contents` to a temp file, checks it in both formats, asserts
/// that neither run crashed or hung, that both agree on the exit code, and
/// that the JSON places are consistent. Returns the JSON diagnostics and the
/// exit code.
fn check_survives(name: &str, contents: &[u8]) -> (Vec<Value>, i32) {
    let dir = TempDir::new(name);
    let file = format!("{name}.route");
    dir.write_path(&file, contents);
    let human = run_in(dir.path(), &["check", file.as_str(), "--color", "never"]);
    human.expect_no_crash();
    let json = run_in(dir.path(), &["check", file.as_str(), "--format", "json"]);
    json.expect_no_crash();
    assert_eq!(human.code, json.code, "human and JSON runs disagree on the exit status");
    let diags = json_lines(&json.stdout);
    let text = String::from_utf8_lossy(contents).into_owned();
    // A cut-short example may still declare its tables: their CSV files are places too.
    check_places(&diags, &|f| if f == file { Some(text.clone()) } else { std::fs::read_to_string(dir.path().join(f)).ok().filter(|_| f.ends_with(".csv")) });
    if json.code() == 1 {
        assert!(!diags.is_empty(), "exit 1 without any diagnostic");
        assert!(human.stderr.contains("failed: "), "human summary missing:\n{}", truncated(&human.stderr));
    }
    (diags, json.code())
}

/// A small policy split over three files; the routing file sorts first and
/// uses a team and a queue declared in later files.
const SPLIT_ROUTING: &str = "\
tier hot  when intent >= 80.0 sla 5m
tier cold otherwise           sla 24h

route inbound {
  hot: when tier == hot -> assign team sales else queue triage
  otherwise -> queue triage
}
";
const SPLIT_PEOPLE: &str = "\
rep alice { email \"alice@acme.example\" }
rep bob   { email \"bob@acme.example\" }
team sales { members [alice, bob] }
";
const SPLIT_HEADER: &str = "\
policy split_demo {
  owner \"revops@acme.example\"
  timezone \"America/New_York\"
}

schema lead {
  id: string
  email: string
  intent: float
}

queue triage { owner \"sales-ops@acme.example\"  sla 30m }
";

/// Writes the three-file policy into `dir/sub` (or `dir` when `sub` is empty).
fn write_split_policy(dir: &TempDir, sub: &str) {
    let prefix = if sub.is_empty() { String::new() } else { format!("{sub}/") };
    dir.write_path(&format!("{prefix}1_routing.route"), SPLIT_ROUTING);
    dir.write_path(&format!("{prefix}2_people.route"), SPLIT_PEOPLE);
    dir.write_path(&format!("{prefix}3_header.route"), SPLIT_HEADER);
}

// ---------------------------------------------------------------- check: the bundled examples

#[test]
fn check_exits_0_on_the_bundled_example() {
    let run = run(&["check", "examples/inbound.route"]);
    run.expect_code(0);
    // Like rustc and cargo, reports for people go to standard error; the
    // tables' CSV files are checked too, and counted apart.
    assert_eq!(run.stderr, "checked: no problems found in 1 file and 2 tables\n");
    assert_eq!(run.stdout, "");
}

#[test]
fn check_prints_nothing_in_json_for_the_clean_example() {
    let run = run(&["check", "examples/inbound.route", "--format", "json"]);
    run.expect_code(0);
    assert_eq!(run.stdout, "");
}

#[test]
fn check_exits_1_on_the_broken_example_with_one_json_object_per_line() {
    let run = run(&["check", "examples/broken.route", "--format", "json", "--color", "never"]);
    run.expect_code(1);
    assert_eq!(run.stderr, "");
    assert!(run.stdout.ends_with('\n'), "JSON output should end with a newline");
    let diags = json_lines(&run.stdout);
    assert!(!diags.is_empty());
    for d in &diags {
        let code = d["code"].as_str().expect("code");
        let severity = d["severity"].as_str().expect("severity");
        assert_eq!(d["file"], "examples/broken.route", "{d}");
        assert_eq!(severity, if code.starts_with('W') { "warning" } else { "error" }, "{d}");
        assert!(!d["message"].as_str().expect("message").is_empty(), "{d}");
        assert!(d["help"].is_null() || d["help"].is_string(), "{d}");
        let labels = d["labels"].as_array().expect("labels");
        assert_eq!(labels.iter().filter(|l| l["primary"] == true).count(), 1, "one primary label: {d}");
        let primary = labels.iter().find(|l| l["primary"] == true).expect("primary label");
        for k in ["file", "line", "column", "byte_start", "byte_end"] {
            assert_eq!(primary[k], d[k], "the primary label is the diagnostic's place: {d}");
        }
    }
    let text = broken_text();
    check_places(&diags, &|f| (f == "examples/broken.route").then(|| text.clone()));
}

#[test]
fn check_reports_every_seeded_mistake_of_the_broken_example() {
    let run = run(&["check", "examples/broken.route", "--format", "json", "--color", "never"]);
    run.expect_code(1);
    let diags = json_lines(&run.stdout);
    let expected = [
        ("W0001", 30), // zoe is in no team
        ("E0019", 33), // alice listed twice in ae_west
        ("E0020", 35), // strategy least_busy
        ("E0018", 37), // team night_shift has no members
        ("E0023", 46), // west and california overlap, no handler
        ("E0006", 50), // `webinar` is not a Source
        ("E0012", 52), // employees >= "500"
        ("E0015", 54), // optional campaign without a guard
        ("E0004", 57), // sdr_pol
        ("E0022", 60), // assign without else or on no_available_rep
        ("E0021", 65), // route followups has no otherwise
        ("E0001", 70), // `on over_capacity queue triage`: missing `->`
        ("E0004", 77), // the test expects team ae_north
    ];
    let got: Vec<(String, u64)> =
        diags.iter().map(|d| (d["code"].as_str().expect("code").to_string(), d["line"].as_u64().expect("line"))).collect();
    for (code, line) in expected {
        assert!(got.contains(&(code.to_string(), line)), "{code} on line {line} not reported; got {got:?}");
    }
    // The file's header: "Every line marked `// mistake:` should produce one
    // diagnostic; everything else is valid, so nothing else should be reported."
    let text = broken_text();
    let lines: Vec<&str> = text.lines().collect();
    let mistakes = lines.iter().filter(|l| l.trim_start().starts_with("// mistake:")).count();
    assert_eq!(got.len(), mistakes, "one diagnostic per `// mistake:` comment; got {got:?}");
    // And each one sits a few lines below such a comment.
    for (code, line) in &got {
        let line = *line as usize;
        let near = (line.saturating_sub(6)..line).any(|l| l >= 1 && lines[l - 1].trim_start().starts_with("// mistake:"));
        assert!(near, "{code} on line {line} is not next to a `// mistake:` comment");
    }
}

#[test]
fn check_human_output_for_the_broken_example_matches_the_snapshot() {
    let run = run(&["check", "examples/broken.route", "--color", "never"]);
    run.expect_code(1);
    assert_eq!(run.stdout, "", "human reports go to standard error");
    assert!(!run.stderr.contains('\u{1b}'), "--color never must not emit escape codes");
    insta::assert_snapshot!("check_broken_human", run.stderr);
}

#[test]
fn check_json_output_for_the_broken_example_matches_the_snapshot() {
    let run = run(&["check", "examples/broken.route", "--format", "json", "--color", "never"]);
    run.expect_code(1);
    insta::assert_snapshot!("check_broken_json", run.stdout);
}

#[test]
fn check_colours_human_output_only_when_asked_or_on_a_terminal() {
    // stderr is a pipe here, so `auto` (the default) means no colour.
    let plain = run(&["check", "examples/broken.route"]);
    plain.expect_code(1);
    assert!(!plain.stderr.contains('\u{1b}'), "piped output must not be coloured by default");
    let coloured = run(&["check", "examples/broken.route", "--color", "always"]);
    coloured.expect_code(1);
    assert!(coloured.stderr.contains("\u{1b}["), "--color always must colour the output");
    // `--color` is global: it may come before the command, and NO_COLOR does not override `always`.
    let before = run(&["--color", "always", "check", "examples/broken.route"]);
    assert!(before.stderr.contains("\u{1b}["), "--color before the command must work too");
    // Every command that reports diagnostics takes it.
    let build = run(&["build", "examples/broken.route", "--color", "always"]);
    build.expect_code(1);
    assert!(build.stderr.contains("\u{1b}["), "build --color always colours its diagnostics");
    let build = run(&["build", "examples/broken.route"]);
    assert!(!build.stderr.contains('\u{1b}'), "build on a pipe does not colour");
    // JSON on stdout is never coloured.
    let json = run(&["check", "examples/broken.route", "--format", "json", "--color", "always"]);
    assert!(!json.stdout.contains('\u{1b}'), "JSON must not carry escape codes");
}

#[test]
fn check_human_excerpt_headers_name_a_line_they_show() {
    let run = run(&["check", "examples/broken.route", "--color", "never"]);
    run.expect_code(1);
    let lines: Vec<&str> = run.stderr.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let Some(at) = line.find("examples/broken.route:") else { continue };
        let place = &line[at + "examples/broken.route:".len()..];
        let header_line: usize = place.split(':').next().and_then(|n| n.parse().ok()).expect("a line number");
        // The line numbers shown in this excerpt, up to the next header.
        let shown: Vec<usize> = lines[i + 1..]
            .iter()
            .take_while(|l| !l.contains("─[ ") && !l.is_empty())
            .filter_map(|l| l.split('│').next().and_then(|n| n.trim().parse().ok()))
            .collect();
        assert!(shown.contains(&header_line), "header `{}` over lines {shown:?}", line.trim());
    }
}

// ---------------------------------------------------------------- check: folders and several files

#[test]
fn check_treats_the_route_files_of_a_folder_as_one_policy() {
    let dir = TempDir::new("folder-one-policy");
    write_split_policy(&dir, "policy");
    // Files that are not `.route` files, and a folder named like one, are ignored.
    dir.write_path("policy/README.md", "not a policy {{{");
    dir.write_path("policy/notes.route.bak", "garbage");
    std::fs::create_dir_all(dir.path().join("policy/old.route")).expect("create a folder");
    let run = run_in(dir.path(), &["check", "policy", "--color", "never"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "checked: no problems found in 3 files\n");
}

#[test]
fn check_treats_several_file_arguments_as_one_policy() {
    let dir = TempDir::new("files-one-policy");
    write_split_policy(&dir, "");
    let run = run_in(dir.path(), &["check", "3_header.route", "2_people.route", "1_routing.route"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "checked: no problems found in 3 files\n");
    // Each file alone is not a policy: the team, the queue or the header live elsewhere.
    let alone = run_in(dir.path(), &["check", "1_routing.route", "--format", "json"]);
    alone.expect_code(1);
    let codes = code_set(&json_lines(&alone.stdout));
    assert!(codes.contains("E0004"), "`sales` and `triage` are unknown without the other files: {codes:?}");
}

#[test]
fn check_names_the_file_of_a_misspelt_name_in_a_folder() {
    let dir = TempDir::new("folder-misspelt");
    write_split_policy(&dir, "policy");
    dir.write_path("policy/1_routing.route", SPLIT_ROUTING.replace("assign team sales", "assign team sale"));
    let run = run_in(dir.path(), &["check", "policy", "--format", "json"]);
    run.expect_code(1);
    let diags = json_lines(&run.stdout);
    assert_eq!(codes_of(&diags), ["E0004"], "{}", run.stdout);
    assert_eq!(diags[0]["file"], "policy/1_routing.route");
    assert_eq!(diags[0]["line"], 5);
    assert!(diags[0]["help"].as_str().unwrap_or("").contains("sales"), "did-you-mean suggests `sales`: {}", diags[0]);
    let texts = |f: &str| std::fs::read_to_string(dir.path().join(f)).ok();
    check_places(&diags, &texts);
}

#[test]
fn check_names_both_files_of_a_queue_declared_twice_in_a_folder() {
    let dir = TempDir::new("folder-duplicate");
    write_split_policy(&dir, "policy");
    dir.write_path("policy/4_more.route", "queue triage { owner \"other@acme.example\"  sla 1h }\n");
    let json = run_in(dir.path(), &["check", "policy", "--format", "json"]);
    json.expect_code(1);
    let diags = json_lines(&json.stdout);
    assert_eq!(codes_of(&diags), ["E0009"], "{}", json.stdout);
    let d = &diags[0];
    assert!(d["message"].as_str().expect("message").contains("triage"), "{d}");
    let files: Vec<(&str, bool)> = d["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| (l["file"].as_str().expect("file"), l["primary"] == true))
        .collect();
    assert!(files.contains(&("policy/4_more.route", true)), "the second declaration is the primary place: {files:?}");
    assert!(files.contains(&("policy/3_header.route", false)), "the first declaration is labelled: {files:?}");
    let texts = |f: &str| std::fs::read_to_string(dir.path().join(f)).ok();
    check_places(&diags, &texts);

    let human = run_in(dir.path(), &["check", "policy", "--color", "never"]);
    human.expect_code(1);
    assert!(human.stderr.contains("policy/4_more.route:1:7"), "{}", human.stderr);
    assert!(human.stderr.contains("policy/3_header.route:12:7"), "{}", human.stderr);
    assert!(human.stderr.ends_with("failed: 1 error in 4 files\n"), "{}", human.stderr);
}

#[test]
fn check_reads_a_file_named_twice_only_once() {
    let dir = TempDir::new("overlapping-paths");
    write_split_policy(&dir, "policy");
    let run = run_in(dir.path(), &["check", "policy", "policy/3_header.route", "--format", "json"]);
    let diags = json_lines(&run.stdout);
    assert_eq!(codes_of(&diags), Vec::<String>::new(), "{}", run.stdout);
    run.expect_code(0);
    let twice = run_in(dir.path(), &["check", "policy", "policy", "--color", "never"]);
    twice.expect_code(0);
    assert_eq!(twice.stderr, "checked: no problems found in 3 files\n");
}

#[test]
fn check_reads_the_current_folder_when_given_no_path() {
    let dir = TempDir::new("default-path");
    write_split_policy(&dir, "");
    let run = run_in(dir.path(), &["check"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "checked: no problems found in 3 files\n");
    // Diagnostics name the files found in the current folder.
    dir.write_path("4_more.route", "rep carol { email \"carol@acme.example\" }\n");
    let json = run_in(dir.path(), &["check", "--format", "json"]);
    json.expect_code(0);
    let diags = json_lines(&json.stdout);
    assert_eq!(codes_of(&diags), ["W0001"]);
    assert!(diags[0]["file"].as_str().expect("file").ends_with("4_more.route"), "{}", diags[0]);
}

// ---------------------------------------------------------------- check: unreadable or empty input

#[test]
fn check_exits_2_and_names_a_missing_path() {
    let dir = TempDir::new("missing-path");
    let run = run_in(dir.path(), &["check", "nowhere/inbound.route"]);
    run.expect_code(2);
    let all = format!("{}{}", run.stdout, run.stderr);
    let naming: Vec<&str> = all.lines().filter(|l| l.contains("nowhere/inbound.route")).collect();
    assert_eq!(naming.len(), 1, "exactly one line names the path:\n{all}");
    assert!(naming[0].contains("E0050") && naming[0].contains("no such file"), "{}", naming[0]);
    assert!(!all.contains("panicked"));
    // CI gets the same as a JSON line without a place.
    let json = run_in(dir.path(), &["check", "nowhere/inbound.route", "--format", "json"]);
    json.expect_code(2);
    let diags = json_lines(&json.stdout);
    assert_eq!(codes_of(&diags), ["E0050"]);
    assert!(diags[0]["file"].is_null() && diags[0]["line"].is_null(), "{}", diags[0]);
    assert!(diags[0]["message"].as_str().expect("message").contains("nowhere/inbound.route"));
}

#[test]
fn check_exits_2_when_one_of_several_paths_is_missing() {
    let run = run(&["check", "examples/inbound.route", "examples/nowhere.route"]);
    run.expect_code(2);
    assert!(run.stderr.contains("examples/nowhere.route"), "{}", run.stderr);
}

#[test]
fn check_exits_2_on_a_file_that_is_not_utf8() {
    let dir = TempDir::new("not-utf8");
    // Latin-1 "é" in a string literal, at byte 19.
    dir.write_path("latin1.route", b"policy p {\n owner \"Ren\xe9\"\n}\n");
    let run = run_in(dir.path(), &["check", "latin1.route", "--color", "never"]);
    run.expect_code(2);
    let all = format!("{}{}", run.stdout, run.stderr);
    let line = all.lines().find(|l| l.contains("latin1.route")).unwrap_or_else(|| panic!("no line names the file:\n{all}"));
    assert!(line.contains("UTF-8"), "{line}");
    assert!(line.contains("22"), "the message gives the offset of the bad byte: {line}");
}

#[test]
fn check_exits_2_on_a_folder_without_route_files() {
    let dir = TempDir::new("empty-folder");
    std::fs::create_dir_all(dir.path().join("policy")).expect("create a folder");
    dir.write_path("policy/notes.txt", "nothing here");
    let run = run_in(dir.path(), &["check", "policy"]);
    run.expect_code(2);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(all.contains("`policy` holds no `.route` files"), "{all}");
    // The same when the current folder is empty and no path is given.
    let here = run_in(&dir.path().join("policy"), &["check"]);
    here.expect_code(2);
    assert!(format!("{}{}", here.stdout, here.stderr).contains("holds no `.route` files"));
}

#[test]
fn check_exits_1_with_e0051_on_a_file_holding_only_comments() {
    let dir = TempDir::new("only-comments");
    dir.write_path("empty.route", "// nothing to see\n\n   // still nothing\n");
    let run = run_in(dir.path(), &["check", "empty.route", "--format", "json"]);
    run.expect_code(1);
    assert_eq!(codes_of(&json_lines(&run.stdout)), ["E0051"]);
    // A zero-byte file is just as empty.
    dir.write_path("zero.route", "");
    let zero = run_in(dir.path(), &["check", "zero.route", "--format", "json"]);
    zero.expect_code(1);
    assert_eq!(codes_of(&json_lines(&zero.stdout)), ["E0051"]);
}

// ---------------------------------------------------------------- check: warnings

fn policy_with_only_a_warning(name: &str) -> TempDir {
    let dir = TempDir::new(name);
    write_split_policy(&dir, "");
    // carol is in no team: W0001, and nothing else.
    dir.write_path("2_people.route", format!("{SPLIT_PEOPLE}rep carol {{ email \"carol@acme.example\" }}\n"));
    dir
}

#[test]
fn check_exits_0_on_warnings_and_1_with_deny_warnings() {
    let dir = policy_with_only_a_warning("deny-warnings");
    let json = run_in(dir.path(), &["check", "--format", "json"]);
    json.expect_code(0);
    let diags = json_lines(&json.stdout);
    assert_eq!(codes_of(&diags), ["W0001"]);
    assert_eq!(diags[0]["severity"], "warning");

    let lenient = run_in(dir.path(), &["check", "--color", "never"]);
    lenient.expect_code(0);
    assert!(lenient.stderr.contains("[W0001] Warning: rep `carol` is in no team"), "{}", lenient.stderr);
    assert!(lenient.stderr.ends_with("checked: 1 warning in 3 files\n"), "{}", lenient.stderr);

    run_in(dir.path(), &["check", "--deny-warnings"]).expect_code(1);
    run_in(dir.path(), &["check", "--deny-warnings", "--format", "json"]).expect_code(1);
    // A clean policy still passes with --deny-warnings.
    run(&["check", "examples/inbound.route", "--deny-warnings"]).expect_code(0);
}

#[test]
fn check_deny_warnings_passes_the_overlap_example_once_its_overlap_is_allowed() {
    run(&["check", "examples/overlap.route", "--deny-warnings"]).expect_code(1);
    let dir = TempDir::new("allowed-overlap");
    let text = std::fs::read_to_string(root().join("examples/overlap.route")).expect("example");
    let allowed = text.replace("territory dach", "allow W0008 \"German leads go to review until the handover\"\nterritory dach");
    let path = dir.write("overlap.route", allowed);
    run(&["check", &path, "--deny-warnings"]).expect_code(0);
}

#[test]
fn check_summary_says_failed_when_deny_warnings_fails_the_run() {
    let dir = policy_with_only_a_warning("deny-warnings-summary");
    let run = run_in(dir.path(), &["check", "--deny-warnings", "--color", "never"]);
    run.expect_code(1);
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(last.starts_with("failed: "), "a failing run must not say `checked`: {last}");
}

// ---------------------------------------------------------------- check: pathological input

#[test]
fn check_reports_e0002_for_10000_nested_parentheses_in_a_territory() {
    let deep = format!("territory apac    when {}country in apac_countries{}", "(".repeat(10_000), ")".repeat(10_000));
    let text = inbound_text().replace("territory apac    when country in apac_countries", &deep);
    assert!(text.contains("(((((")); // the example still has that territory
    let (diags, code) = check_survives("deep-parens", text.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(codes_of(&diags), ["E0002"], "only the deep territory is reported");
}

#[test]
fn check_reports_e0002_for_10000_nested_brackets_in_a_set() {
    let text = format!("{}\nset deep = {}\"x\"{}\n", inbound_text(), "[".repeat(10_000), "]".repeat(10_000));
    let (diags, code) = check_survives("deep-brackets", text.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(codes_of(&diags), ["E0002"]);
}

#[test]
fn check_survives_10000_unclosed_parentheses() {
    let text = format!("{}\ntier deep when {}intent > 1.0 sla 5m\n", inbound_text(), "(".repeat(10_000));
    let (diags, code) = check_survives("unclosed-parens", text.as_bytes());
    assert_eq!(code, 1);
    assert!(!diags.is_empty());
}

#[test]
fn check_reports_e0002_for_100000_nots_before_a_condition() {
    let nots = "not ".repeat(100_000);
    let text = inbound_text().replace(
        "territory apac    when country in apac_countries",
        &format!("territory apac    when {nots}country in apac_countries"),
    );
    let (diags, code) = check_survives("many-nots", text.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(codes_of(&diags), ["E0002"], "{diags:?}");
}

#[test]
fn check_reports_e0002_for_an_or_chain_of_5000_parts() {
    let chain = vec!["country == \"US\""; 5000].join(" or ");
    let text = inbound_text().replace(
        "territory apac    when country in apac_countries",
        &format!("territory apac    when country in apac_countries or ({chain})"),
    );
    let (diags, code) = check_survives("long-or-chain", text.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(codes_of(&diags), ["E0002"], "{diags:?}");
}

#[test]
fn check_reports_e0039_for_a_150_kb_line_of_defaults_and_shows_a_window_of_it() {
    // One line of ~150 KB: `intent ?? intent ?? ... ?? 0.0`. It used to make the human
    // renderer copy the line for every label and abort allocating gigabytes.
    let chain = vec!["campaign"; 16_000].join(" ?? ");
    let text = inbound_text().replace("starts_with(campaign ?? \"\"", &format!("starts_with({chain} ?? \"\""));
    assert!(text.len() > 150_000);
    let (diags, code) = check_survives("long-default-chain", text.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(codes_of(&diags), ["E0039"], "{diags:?}");
    let dir = TempDir::new("long-default-chain-human");
    dir.write_path("long.route", &text);
    let human = run_in(dir.path(), &["check", "long.route", "--color", "never"]);
    human.expect_code(1);
    assert!(human.stderr.len() < 4_000, "the report shows a window of the line, not all of it:\n{}", truncated(&human.stderr));
    let line = text.lines().position(|l| l.contains("tier warm")).expect("the tier's line") + 1;
    let column = text.lines().nth(line - 1).and_then(|l| l.find("campaign")).expect("the chain") + 1;
    assert!(human.stderr.contains(&format!("long.route:{line}:{column}")), "the header keeps the file's line and column:\n{}", human.stderr);
    assert!(human.stderr.contains('…'), "the cut is marked:\n{}", human.stderr);
}

#[test]
fn check_shows_200_reports_and_counts_the_rest() {
    let extra: String = (0..300).map(|i| format!("territory t{i} when countyr == \"US\"\n")).collect();
    let dir = TempDir::new("many-reports");
    dir.write_path("many.route", format!("{}{extra}", inbound_text()));
    let human = run_in(dir.path(), &["check", "many.route", "--color", "never"]);
    human.expect_code(1);
    let shown = human.stderr.matches("[E0005] Error").count();
    assert_eq!(shown, 200, "{}", truncated(&human.stderr));
    assert!(human.stderr.contains("... and 100 more diagnostics not shown"), "{}", truncated(&human.stderr));
    assert!(human.stderr.lines().last().unwrap_or_default().starts_with("failed: 300 errors"), "the summary counts every one");
    // Machine formats are complete.
    let json = run_in(dir.path(), &["check", "many.route", "--format", "json"]);
    assert_eq!(json_lines(&json.stdout).iter().filter(|d| d["code"] == "E0005").count(), 300);
}

#[test]
fn check_format_sarif_is_a_sarif_2_1_0_log_with_rules_and_relative_places() {
    let json = run(&["check", "examples/broken.route", "--format", "json"]);
    let run = run(&["check", "examples/broken.route", "--format", "sarif"]);
    run.expect_code(1);
    let log: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(log["version"], "2.1.0");
    let sarif_run = &log["runs"][0];
    let driver = &sarif_run["tool"]["driver"];
    assert_eq!(driver["name"], "leadroute");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().expect("rules");
    assert!(rules.iter().any(|r| r["id"] == "E0004" && r["shortDescription"]["text"] == "unknown name"), "every stable code is a rule");
    let expected = json_lines(&json.stdout);
    let results = sarif_run["results"].as_array().expect("results");
    assert_eq!(results.len(), expected.len(), "one result per diagnostic");
    for (r, d) in results.iter().zip(&expected) {
        assert_eq!(r["ruleId"], d["code"]);
        assert_eq!(rules[r["ruleIndex"].as_u64().expect("ruleIndex") as usize]["id"], d["code"]);
        assert_eq!(r["level"], d["severity"]);
        assert!(r["message"]["text"].as_str().expect("text").starts_with(d["message"].as_str().expect("message")));
        let place = &r["locations"][0]["physicalLocation"];
        assert_eq!(place["artifactLocation"]["uri"], "examples/broken.route", "a relative URI");
        assert_eq!(place["region"]["startLine"], d["line"]);
        assert_eq!(place["region"]["startColumn"], d["column"]);
        assert_eq!(place["region"]["endLine"], d["end_line"]);
        assert_eq!(place["region"]["endColumn"], d["end_column"]);
    }
    assert_eq!(run.stderr, "", "nothing but the log is written");
    // An absolute path under the folder `check` runs in is made relative too.
    let absolute = root().join("examples/broken.route");
    let run = run_in(root(), &["check", absolute.to_str().expect("a UTF-8 path"), "--format", "sarif"]);
    let log: Value = serde_json::from_str(&run.stdout).expect("one JSON document");
    assert_eq!(log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "examples/broken.route");
}

#[test]
fn check_format_github_writes_one_escaped_annotation_per_diagnostic() {
    let dir = TempDir::new("github-annotations");
    // A name with `,` and `:` that must be escaped in the `file=` property.
    dir.write_path("a,b:c.route", inbound_text().replacen("assign team ae_west", "assign team ae_wset", 1));
    let run = run_in(dir.path(), &["check", "a,b:c.route", "--format", "github"]);
    run.expect_code(1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let line = lines[0];
    assert!(line.starts_with("::error file=a%2Cb%3Ac.route,line="), "{line}");
    assert!(line.contains(",title=E0004::unknown team `ae_wset`"), "{line}");
    assert!(line.contains("%0Ahelp: did you mean `ae_west`?"), "the help follows on an escaped new line: {line}");
    for property in ["line=", "col=", "endLine=", "endColumn="] {
        assert!(line.contains(property), "{property} missing: {line}");
    }
}

#[test]
fn check_a_folder_of_separate_policies_gives_one_e0052_and_each_checks_them_alone() {
    let dir = TempDir::new("separate-policies");
    dir.write_path("policies/inbound.route", inbound_text());
    dir.write_path("policies/partners.route", inbound_text().replacen("policy acme_inbound", "policy partners", 1));
    let together = run_in(dir.path(), &["check", "policies", "--format", "json"]);
    together.expect_code(1);
    let diags = json_lines(&together.stdout);
    assert_eq!(codes_of(&diags), ["E0052"], "one diagnostic, not a duplicate per name");
    assert!(diags[0]["help"].as_str().expect("help").contains("--each"));
    let each = run_in(dir.path(), &["check", "policies", "--each", "--color", "never"]);
    each.expect_code(0);
    assert_eq!(each.stderr, "checked: no problems found in 2 files and 2 tables\n");
    // With --each a mistake is reported in the file that has it.
    dir.write_path("policies/partners.route", inbound_text().replacen("policy acme_inbound", "policy partners", 1).replacen("assign team ae_west", "assign team ae_wset", 1));
    let json = run_in(dir.path(), &["check", "policies", "--each", "--format", "json"]);
    json.expect_code(1);
    let diags = json_lines(&json.stdout);
    assert_eq!(codes_of(&diags), ["E0004"]);
    assert_eq!(diags[0]["file"], "policies/partners.route");
}

#[test]
fn check_accepts_an_and_chain_of_1000_parts() {
    let chain = vec!["intent >= 1.0"; 1000].join(" and ");
    let text = inbound_text().replace("tier warm when intent >= 40.0", &format!("tier warm when ({chain}) and intent >= 40.0"));
    let (diags, code) = check_survives("long-and-chain", text.as_bytes());
    assert_eq!(code, 0, "{diags:?}");
}

#[test]
fn check_reports_e0002_for_10000_else_fallbacks_in_one_action() {
    let chain = " else assign team sdr_pool".repeat(10_000);
    let text = inbound_text().replace(
        "-> assign team sdr_pool by capacity\n",
        &format!("-> assign team sdr_pool by capacity{chain} else queue nurture\n"),
    );
    let (diags, code) = check_survives("long-else-chain", text.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(codes_of(&diags), ["E0002"], "{diags:?}");
}

/// The example with 70 more rules in `route partners`, each with one `else`.
fn example_with_70_rules_of_one_else_each() -> String {
    let rules: String = (0..70)
        .map(|i| format!("  tag_{i}: when contains(tags, \"t{i}\") -> assign team partner_desk else queue partner_review\n"))
        .collect();
    let text = inbound_text();
    let last = text.lines().find(|l| l.starts_with("  otherwise") && l.ends_with("-> queue partner_review")).expect("route partners ends in otherwise");
    let text = text.replace(&format!("{last}\n"), &format!("{rules}{last}\n"));
    assert!(text.contains("tag_69"));
    text
}

#[test]
fn check_accepts_a_route_of_70_rules_with_one_else_each() {
    let (diags, code) = check_survives("many-rules-one-else", example_with_70_rules_of_one_else_each().as_bytes());
    assert_eq!(codes_of(&diags), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn check_ignores_the_word_else_in_comments() {
    let comments = "  // handled elsewhere, or else by the partner team\n".repeat(70);
    let text = inbound_text().replace("route partners {\n", &format!("route partners {{\n{comments}"));
    let (diags, code) = check_survives("else-in-comments", text.as_bytes());
    assert_eq!(codes_of(&diags), Vec::<String>::new());
    assert_eq!(code, 0);
}

#[test]
fn check_survives_a_10_mb_file_of_a_valid_policy_and_comments() {
    let mut text = inbound_text();
    let comment = format!("// {}\n", "padding ".repeat(12));
    while text.len() < 10 * 1024 * 1024 {
        text.push_str(&comment);
    }
    let (diags, code) = check_survives("ten-mb-comments", text.as_bytes());
    assert_eq!(code, 0, "{diags:?}");
    assert!(diags.is_empty());
}

#[test]
fn check_survives_a_10_mb_file_of_generated_garbage() {
    let text = random_text(0x5eed_0010, 10 * 1024 * 1024);
    let (_diags, code) = check_survives("ten-mb-garbage", text.as_bytes());
    assert_eq!(code, 1, "garbage is not a policy");
}

#[test]
fn check_reports_e0001_for_nul_bytes() {
    let text = inbound_text().replace("enum Segment", "\0\0enum Segment");
    let (diags, code) = check_survives("nul-bytes", text.as_bytes());
    assert_eq!(code, 1);
    assert!(code_set(&diags).contains("E0001"), "{diags:?}");
    // A file of nothing but NUL bytes.
    let (diags, code) = check_survives("only-nul-bytes", b"\0\0\0\0");
    assert_eq!(code, 1);
    assert!(code_set(&diags).contains("E0001"), "{diags:?}");
}

#[test]
fn check_accepts_a_byte_order_mark_before_the_example() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(inbound_text().as_bytes());
    let (diags, code) = check_survives("bom", &bytes);
    assert_eq!(code, 0, "{diags:?}");
    assert!(diags.is_empty());
}

#[test]
fn check_reports_columns_after_a_byte_order_mark_from_the_first_character() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(b"team t { members [] }\n");
    let (diags, _code) = check_survives("bom-columns", &bytes);
    let empty_team = diags.iter().find(|d| d["code"] == "E0018").unwrap_or_else(|| panic!("no E0018: {diags:?}"));
    assert_eq!((empty_team["line"].as_u64(), empty_team["column"].as_u64()), (Some(1), Some(6)), "{empty_team}");
}

#[test]
fn check_accepts_the_example_with_crlf_line_endings() {
    let text = inbound_text().replace('\n', "\r\n");
    let (diags, code) = check_survives("crlf", text.as_bytes());
    assert_eq!(code, 0, "{diags:?}");
    assert!(diags.is_empty(), "{diags:?}");
    let dir = TempDir::new("crlf-human");
    dir.write_path("crlf.route", &text);
    let human = run_in(dir.path(), &["check", "crlf.route"]);
    human.expect_code(0);
    assert_eq!(human.stderr, "checked: no problems found in 1 file and 2 tables\n");
}

#[test]
fn check_reports_e0001_for_an_unterminated_string() {
    let text = inbound_text().replace(
        "queue nurture { owner \"marketing-ops@acme.example\"",
        "queue nurture { owner \"marketing-ops@acme.example",
    );
    let (diags, code) = check_survives("unterminated-string", text.as_bytes());
    assert_eq!(code, 1);
    assert!(code_set(&diags).contains("E0001"), "{diags:?}");
    // The same at the very end of a file, without a newline.
    let (diags, code) = check_survives("unterminated-at-eof", b"policy p { owner \"revops");
    assert_eq!(code, 1);
    assert!(code_set(&diags).contains("E0001"), "{diags:?}");
}

#[test]
fn check_reports_e0001_for_a_lone_brace() {
    let (diags, code) = check_survives("lone-brace", b"{");
    assert_eq!(code, 1);
    assert!(code_set(&diags).contains("E0001"), "{diags:?}");
}

#[test]
fn check_reports_only_the_syntax_error_for_a_lone_brace() {
    let (diags, _code) = check_survives("lone-brace-only", b"{");
    assert_eq!(codes_of(&diags), ["E0001"]);
}

/// Text from a fixed-seed LCG, always valid UTF-8: a mix of Route words and
/// punctuation, random ASCII, and random Unicode scalar values.
fn random_text(seed: u64, len: usize) -> String {
    const WORDS: &[&str] = &[
        "policy", "enum", "schema", "set", "rep", "team", "queue", "tier", "territory", "route", "on", "test",
        "when", "otherwise", "->", "{", "}", "(", ")", "[", "]", "\"", "\"x\"", "//", "\n", "\n", " ", " ", "\t",
        "\r\n", "1", "-7", "2.5", "08:00", "5m", "and", "or", "not", "in", "is", "present", "missing", "??", "==",
        "<=", ",", ":", "assign", "else", "continue", "drop", "by", "lead", "expect", "state", "now", "null",
        "members", "strategy", "sticky", "owner", "sla", "id", "string", "int", "list<", ">", "?", "\\",
    ];
    let mut state = seed;
    let mut next = move || {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as u32
    };
    let mut out = String::with_capacity(len + 8);
    while out.len() < len {
        match next() % 10 {
            0..=5 => {
                out.push_str(WORDS[next() as usize % WORDS.len()]);
                out.push(' ');
            }
            6..=8 => out.push(char::from(b' ' + (next() % 95) as u8)),
            _ => {
                if let Some(c) = char::from_u32(next() % 0x11_0000) {
                    out.push(c);
                }
            }
        }
    }
    out
}

/// Random bytes from a fixed-seed LCG, made valid UTF-8 (invalid sequences become U+FFFD).
fn random_bytes_as_utf8(seed: u64, len: usize) -> String {
    let mut state = seed;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (state >> 56) as u8
        })
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn check_survives_random_valid_utf8() {
    for seed in 1..=8u64 {
        let text = random_text(seed, 20_000);
        check_survives(&format!("random-words-{seed}"), text.as_bytes());
        let text = random_bytes_as_utf8(seed, 20_000);
        check_survives(&format!("random-bytes-{seed}"), text.as_bytes());
    }
}

#[test]
fn check_survives_the_example_cut_short_at_many_points() {
    // Truncating the example at the start of each line gives a realistic
    // half-written policy; none of them may crash.
    let text = inbound_text();
    let cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).step_by(9).collect();
    for (n, cut) in cuts.into_iter().enumerate() {
        let mut cut = cut.saturating_sub(7);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        check_survives(&format!("cut-{n}"), &text.as_bytes()[..cut]);
    }
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_e0004_prints_its_explanation() {
    let run = run(&["explain", "E0004"]);
    run.expect_code(0);
    assert!(run.stdout.starts_with("# E0004: unknown name\n"), "{}", run.stdout);
    assert!(run.stdout.len() > 200, "a long explanation, not just a title");
    assert_eq!(run.stderr, "");
}

#[test]
fn explain_accepts_lowercase_and_short_codes() {
    let full = run(&["explain", "E0004"]);
    for spelling in ["e4", "e0004", "E04", "4"] {
        let short = run(&["explain", spelling]);
        short.expect_code(0);
        assert_eq!(short.stdout, full.stdout, "`explain {spelling}` should print E0004");
    }
    let warning = run(&["explain", "w1"]);
    warning.expect_code(0);
    assert!(warning.stdout.starts_with("# W0001: rep in no team"), "{}", warning.stdout);
}

#[test]
fn explain_exits_2_on_an_unknown_code() {
    for code in ["E9999", "X1", "", "E"] {
        let run = run(&["explain", code]);
        run.expect_code(2);
        assert_eq!(run.stdout, "", "nothing on stdout for `{code}`");
        assert!(run.stderr.contains(&format!("`{code}` is not a diagnostic code")), "{}", run.stderr);
        assert!(run.stderr.contains("explain --list"), "the message points at --list: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    }
}

#[test]
fn explain_list_lists_every_code_and_each_one_explains() {
    let run = run(&["explain", "--list"]);
    run.expect_code(0);
    let listed: Vec<(String, String)> = run
        .stdout
        .lines()
        .map(|l| {
            let (code, title) = l.split_once("  ").unwrap_or_else(|| panic!("`CODE  title` expected: {l}"));
            (code.to_string(), title.trim().to_string())
        })
        .collect();
    // Every explanation file is a code, and every code is listed once, in order.
    let mut files: Vec<String> = std::fs::read_dir(root().join("compiler/explain"))
        .expect("compiler/explain exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .map(|p| p.file_stem().expect("a file name").to_string_lossy().into_owned())
        .collect();
    files.sort();
    let codes: Vec<String> = listed.iter().map(|(c, _)| c.clone()).collect();
    assert_eq!(codes, files, "`explain --list` and compiler/explain/*.md disagree");
    for (code, title) in &listed {
        let one = self::run(&["explain", code.as_str()]);
        one.expect_code(0);
        let heading = one.stdout.lines().next().unwrap_or_default();
        assert_eq!(heading, format!("# {code}: {title}"), "the explanation of {code} starts with its title");
    }
}

// ---------------------------------------------------------------- help and usage

#[test]
fn help_exits_0_and_lists_the_commands() {
    let run = run(&["--help"]);
    run.expect_code(0);
    for command in ["check", "explain"] {
        assert!(run.stdout.contains(command), "`{command}` missing from --help:\n{}", run.stdout);
    }
}

#[test]
fn help_mentions_an_example_command() {
    let run = run(&["--help"]);
    run.expect_code(0);
    assert!(run.stdout.contains("leadroute check examples/inbound.route"), "{}", run.stdout);
}

#[test]
fn check_help_exits_0_and_mentions_an_example_command() {
    let run = run(&["check", "--help"]);
    run.expect_code(0);
    assert!(run.stdout.contains("leadroute check examples/inbound.route"), "{}", run.stdout);
    for flag in ["--format", "--deny-warnings", "--color"] {
        assert!(run.stdout.contains(flag), "`{flag}` missing from check --help");
    }
}

#[test]
fn explain_help_exits_0_and_mentions_an_example_command() {
    let run = run(&["explain", "--help"]);
    run.expect_code(0);
    assert!(run.stdout.contains("leadroute explain E0004"), "{}", run.stdout);
}

#[test]
fn bad_usage_exits_2() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["check", "--format", "xml"][..],
        &["check", "--color", "sometimes"][..],
        &["explain"][..],
    ] {
        let run = run(args);
        run.expect_code(2);
        assert!(!run.stderr.is_empty(), "`leadroute {}` explains the mistake on stderr", args.join(" "));
        assert!(!run.stderr.contains("panicked"));
    }
}

#[test]
fn version_prints_the_package_version() {
    let run = run(&["--version"]);
    run.expect_code(0);
    assert!(run.stdout.contains(env!("CARGO_PKG_VERSION")), "{}", run.stdout);
}

#[test]
fn a_time_past_the_supported_range_is_called_out_of_range_with_the_range() {
    let first = std::fs::read_to_string(root().join("examples/leads.ndjson")).expect("the example leads");
    let lead = first.lines().next().expect("a lead").replace("2026-11-14T23:51:16Z", "9999-12-31T23:59:59Z");
    let run = run_stdin(&["route", "examples/inbound.route", "--lead", "-", "--now", "2026-11-24T15:00:00Z"], lead.as_bytes());
    run.expect_code(1);
    let d: Value = serde_json::from_str(run.stdout.trim()).expect("a decision");
    let e = &d["errors"][0];
    assert_eq!(e["field"], "created_at", "{d}");
    let m = e["message"].as_str().unwrap_or_default();
    assert!(m.contains("out of range") && m.contains("9999-12-30T22:00:00"), "names the range: {m}");
    let run = self::run(&["route", "examples/inbound.route", "--leads", "examples/leads.ndjson", "--now", "9999-12-31T23:59:59Z"]);
    run.expect_code(2);
    run.expect_one_line_error(&["--now", "out of range", "-009999-01-02T01:59:59Z", "9999-12-30T22:00:00"]);
    // A malformed time is still "not an RFC 3339 time".
    let run = self::run(&["route", "examples/inbound.route", "--leads", "examples/leads.ndjson", "--now", "2026-02-30T00:00:00Z"]);
    run.expect_code(2);
    run.expect_one_line_error(&["--now", "not an RFC 3339 time"]);
}
