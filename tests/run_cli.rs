//! End-to-end tests of the `leadroute` binary's running commands: `build`,
//! `route` and `test` (inline tests and lead-file snapshots). Every test runs
//! the real executable on the bundled example policy, leads and state.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path};

use serde_json::Value;

mod common;
use common::*;

// ---------------------------------------------------------------- helpers

/// The time the example batch is meant to be routed at.
const NOW: &str = "2026-11-24T15:00:00Z";

/// The keys every decision has (rejected ones add `errors`, `--explain` adds `trace`).
const DECISION_KEYS: [&str; 13] = [
    "lead_id",
    "outcome",
    "rep",
    "team",
    "queue",
    "tier",
    "territory",
    "rule",
    "route",
    "reason",
    "sla_due",
    "exceptions",
    "policy_version",
];

// Running the binary and temp folders: tests/common/mod.rs.

fn example(rel: &str) -> String {
    std::fs::read_to_string(root().join("examples").join(rel)).unwrap_or_else(|e| panic!("read examples/{rel}: {e}"))
}

fn inbound_text() -> String {
    example("inbound.route")
}

/// The example leads, one line each.
fn lead_lines() -> Vec<String> {
    example("leads.ndjson").lines().map(String::from).collect()
}

/// The example leads, parsed.
fn leads() -> Vec<Value> {
    lead_lines().iter().map(|l| serde_json::from_str(l).expect("each example lead is JSON")).collect()
}

/// `text` with `from` replaced by `to` exactly once (the edit must apply).
fn edit_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(text.matches(from).count(), 1, "`{from}` should occur exactly once");
    text.replacen(from, to, 1)
}

/// 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("`{needle}` not found")) + 1
}

/// Parses decision output: one JSON object per line, each with every decision key.
fn decisions(stdout: &str) -> Vec<Value> {
    assert!(stdout.is_empty() || stdout.ends_with('\n'), "output should end with a newline");
    stdout
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let obj = v.as_object().unwrap_or_else(|| panic!("not a JSON object: {line}"));
            for key in DECISION_KEYS {
                assert!(obj.contains_key(key), "key `{key}` missing in {line}");
            }
            for key in obj.keys() {
                assert!(
                    DECISION_KEYS.contains(&key.as_str()) || key == "errors" || key == "trace" || key == "queue_sla_due",
                    "unexpected key `{key}` in {line}"
                );
            }
            assert_eq!(obj.contains_key("errors"), v["outcome"] == "rejected", "`errors` iff rejected: {line}");
            if obj.contains_key("queue_sla_due") {
                assert_eq!(v["outcome"], "queued", "`queue_sla_due` only on queued leads: {line}");
            }
            v
        })
        .collect()
}

/// The arguments that route the example batch the way the README says.
fn batch_args(extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "route",
        "examples/inbound.route",
        "--leads",
        "examples/leads.ndjson",
        "--state",
        "examples/state.json",
        "--now",
        NOW,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The decisions for the example batch (JSON, no extra flags).
fn batch_decisions() -> Vec<Value> {
    let run = run(&batch_args(&[]));
    run.expect_code(1);
    decisions(&run.stdout)
}

/// The built IR of the example, parsed.
fn example_ir() -> Value {
    let run = run(&["build", "examples/inbound.route"]);
    run.expect_code(0);
    serde_json::from_str(&run.stdout).expect("build prints JSON")
}

/// The schema's field names.
fn schema_fields() -> BTreeSet<String> {
    example_ir()["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["name"].as_str().expect("field name").to_string())
        .collect()
}

/// `open_load` per rep in a state JSON.
fn open_loads(state: &Value) -> BTreeMap<String, u64> {
    state["reps"]
        .as_object()
        .expect("reps")
        .iter()
        .map(|(k, v)| (k.clone(), v["open_load"].as_u64().unwrap_or(0)))
        .collect()
}

fn count_by<'a>(items: impl Iterator<Item = &'a Value>, key: &str) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for d in items {
        if let Some(k) = d[key].as_str() {
            *m.entry(k.to_string()).or_insert(0) += 1;
        }
    }
    m
}

// ---------------------------------------------------------------- build

#[test]
fn build_writes_the_ir_with_format_and_content_versions() {
    let dir = TempDir::new("build-writes");
    let out = dir.join("policy.json");
    let run = run(&["build", "examples/inbound.route", "-o", &out]);
    run.expect_code(0);
    assert_eq!(run.stdout, "", "with -o nothing goes to stdout");
    let ir: Value = serde_json::from_str(&dir.read("policy.json")).expect("the IR is JSON");
    assert_eq!(ir["format_version"], 4, "tables need format 4");
    let version = ir["policy_version"].as_str().expect("policy_version is a string");
    let hex = version.strip_prefix("sha256:").unwrap_or_else(|| panic!("policy_version `{version}` lacks sha256:"));
    assert_eq!(hex.len(), 64, "a sha256 digest has 64 hex digits: {version}");
    assert!(hex.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "{version}");
    assert_eq!(ir["name"], "acme_inbound");
    assert!(run.stderr.contains("acme_inbound") && run.stderr.contains(version) && run.stderr.contains(&out), "{}", run.stderr);
}

#[test]
fn build_is_byte_identical_across_runs_and_to_stdout() {
    let dir = TempDir::new("build-twice");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    run(&["build", "examples/inbound.route", "-o", &a]).expect_code(0);
    run(&["build", "examples/inbound.route", "-o", &b]).expect_code(0);
    let (a, b) = (dir.read("a.json"), dir.read("b.json"));
    assert!(a == b, "two builds of the same policy differ");
    let to_stdout = run(&["build", "examples/inbound.route"]);
    to_stdout.expect_code(0);
    assert!(to_stdout.stdout == a, "build to stdout differs from build -o");
}

#[test]
fn build_of_a_copy_elsewhere_has_the_same_policy_version() {
    let dir = TempDir::new("build-copy");
    dir.write("inbound.route", inbound_text());
    let copy = run_in(dir.path(), &["build", "inbound.route"]);
    copy.expect_code(0);
    let copy: Value = serde_json::from_str(&copy.stdout).expect("JSON");
    assert_eq!(copy["policy_version"], example_ir()["policy_version"], "the version is a content hash");
}

#[test]
fn build_of_a_policy_with_errors_exits_1_and_writes_nothing() {
    let dir = TempDir::new("build-broken");
    let out = dir.join("policy.json");
    let run = run(&["build", "examples/broken.route", "-o", &out]);
    run.expect_code(1);
    assert!(run.stderr.contains("] Error: "), "diagnostics on stderr:\n{}", run.stderr);
    assert!(!Path::new(&out).exists(), "no IR is written for a broken policy");
}

#[test]
fn route_from_the_built_ir_matches_route_from_the_source() {
    let dir = TempDir::new("build-route");
    let ir = dir.join("policy.json");
    run(&["build", "examples/inbound.route", "-o", &ir]).expect_code(0);
    for extra in [&[][..], &["--explain"][..], &["--format", "human", "--explain"][..], &["--summary", "--format", "human"][..]] {
        let from_source = run(&batch_args(extra));
        let mut args = batch_args(extra);
        args[1] = ir.clone();
        let from_ir = run(&args);
        from_source.expect_code(1);
        from_ir.expect_code(1);
        assert!(from_source.stdout == from_ir.stdout, "route from the IR differs from route from the source with {extra:?}");
        assert_eq!(from_source.stderr, from_ir.stderr);
    }
}

#[test]
fn decisions_carry_the_built_policy_version() {
    let version = example_ir()["policy_version"].as_str().expect("version").to_string();
    for d in batch_decisions() {
        assert_eq!(d["policy_version"], version.as_str(), "{d}");
    }
}

// ---------------------------------------------------------------- route: the example batch

#[test]
fn route_batch_exits_1_and_says_how_many_leads_were_rejected() {
    let run = run(&batch_args(&[]));
    run.expect_code(1);
    assert_eq!(run.stderr, "leadroute: 18 leads rejected\n");
}

#[test]
fn route_batch_gives_one_decision_per_lead_in_input_order() {
    let run = run(&batch_args(&[]));
    run.expect_code(1);
    let ds = decisions(&run.stdout);
    assert_eq!(run.stdout.lines().count(), 600);
    assert_eq!(ds.len(), 600);
    let inputs = leads();
    for (i, (d, lead)) in ds.iter().zip(&inputs).enumerate() {
        assert_eq!(d["lead_id"], lead["id"], "decision {} is for another lead", i + 1);
    }
    let outcomes = count_by(ds.iter(), "outcome");
    assert_eq!(outcomes.get("rejected"), Some(&18), "{outcomes:?}");
    for o in outcomes.keys() {
        assert!(["assigned", "queued", "dropped", "rejected"].contains(&o.as_str()), "unknown outcome {o}");
    }
}

#[test]
fn route_batch_decisions_are_consistent_with_their_outcome() {
    for d in batch_decisions() {
        let some = |k: &str| d[k].is_string();
        match d["outcome"].as_str().expect("outcome") {
            "assigned" => assert!(some("rep") && !some("queue") && some("rule") && some("tier"), "{d}"),
            "queued" => assert!(some("queue") && !some("rep") && some("rule") && some("tier"), "{d}"),
            "dropped" => assert!(some("reason") && !some("rep") && !some("queue"), "{d}"),
            "rejected" => {
                for k in ["rep", "team", "queue", "tier", "territory", "rule", "route", "reason", "sla_due"] {
                    assert!(d[k].is_null(), "a rejected decision has no `{k}`: {d}");
                }
            }
            other => panic!("unknown outcome {other}"),
        }
        if let Some(sla) = d["sla_due"].as_str() {
            assert!(sla.starts_with("2026-11-2") && sla.ends_with('Z'), "sla_due is RFC 3339 UTC after --now: {d}");
        }
    }
}

#[test]
fn route_batch_rejections_name_the_offending_field() {
    let inputs = leads();
    let fields = schema_fields();
    let ds = batch_decisions();
    let rejected: Vec<(usize, &Value)> = ds.iter().enumerate().filter(|(_, d)| d["outcome"] == "rejected").collect();
    assert_eq!(rejected.len(), 18);
    for (i, d) in rejected {
        let errors = d["errors"].as_array().expect("errors is an array");
        assert_eq!(errors.len(), 1, "each invalid example lead has exactly one problem: {d}");
        let e = &errors[0];
        let field = e["field"].as_str().expect("field");
        assert!(fields.contains(field), "the error names a schema field, not `{field}`: {d}");
        for k in ["expected", "found", "message"] {
            assert!(e[k].as_str().is_some_and(|s| !s.is_empty()), "error `{k}` is empty: {d}");
        }
        assert!(e["message"].as_str().expect("message").contains(&format!("`{field}`")), "message names the field: {d}");
        // The field is indeed absent, null or of the wrong shape in the input.
        let lead = &inputs[i];
        let v = &lead[field];
        if e["found"] == "nothing" {
            assert!(lead.get(field).is_none(), "`found: nothing` but the lead has `{field}`: {lead}");
        } else {
            assert!(lead.get(field).is_some(), "the lead has no `{field}`: {lead}");
            assert_eq!(e["found"].as_str().expect("found"), v.to_string(), "`found` shows the value: {d}");
        }
    }
}

#[test]
fn route_batch_goes_on_after_an_invalid_lead_as_if_it_were_not_there() {
    let full = batch_decisions();
    let lines = lead_lines();
    let invalid: BTreeSet<usize> = full.iter().enumerate().filter(|(_, d)| d["outcome"] == "rejected").map(|(i, _)| i).collect();
    // The lead right after each invalid one is routed (none of the 18 are adjacent).
    for &i in &invalid {
        if i + 1 < full.len() && !invalid.contains(&(i + 1)) {
            assert_ne!(full[i + 1]["outcome"], "rejected");
            assert!(full[i + 1]["rule"].is_string(), "the lead after line {} was not routed: {}", i + 1, full[i + 1]);
        }
    }
    // Rejected leads change no state: the batch without them routes the same.
    let dir = TempDir::new("without-invalid");
    let valid: String = lines.iter().enumerate().filter(|(i, _)| !invalid.contains(i)).map(|(_, l)| format!("{l}\n")).collect();
    let path = dir.write("valid.ndjson", valid);
    let mut args = batch_args(&[]);
    args[3] = path;
    let only_valid = run(&args);
    only_valid.expect_code(0);
    assert_eq!(only_valid.stderr, "");
    let expected: Vec<&Value> = full.iter().filter(|d| d["outcome"] != "rejected").collect();
    let got = decisions(&only_valid.stdout);
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(expected) {
        assert_eq!(g, e, "an invalid lead changed how a later lead was routed");
    }
}

#[test]
fn route_batch_json_output_matches_the_snapshot() {
    let run = run(&batch_args(&[]));
    run.expect_code(1);
    insta::assert_snapshot!("route_batch_json", run.stdout);
}

#[test]
fn route_batch_human_output_matches_the_snapshot() {
    let run = run(&batch_args(&["--format", "human"]));
    run.expect_code(1);
    assert_eq!(run.stderr, "leadroute: 18 leads rejected\n");
    // One block per lead, each starting with `lead ID: ...`.
    let heads: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("lead ")).collect();
    assert_eq!(heads.len(), 600);
    insta::assert_snapshot!("route_batch_human", run.stdout);
}

#[test]
fn route_batch_summary_human_matches_the_snapshot() {
    let run = run(&batch_args(&["--summary", "--format", "human"]));
    run.expect_code(1);
    assert!(run.stdout.starts_with("600 leads\n"), "{}", run.stdout);
    insta::assert_snapshot!("route_batch_summary_human", run.stdout);
}

#[test]
fn route_batch_summary_json_matches_the_snapshot() {
    let run = run(&batch_args(&["--summary", "--format", "json"]));
    run.expect_code(1);
    assert_eq!(run.stdout.lines().count(), 1, "the JSON summary is one line");
    let v: Value = serde_json::from_str(&run.stdout).expect("the summary is JSON");
    let pretty = serde_json::to_string_pretty(&v).expect("pretty JSON");
    insta::assert_snapshot!("route_batch_summary_json", pretty);
}

#[test]
fn route_batch_summary_agrees_with_the_decisions() {
    let ds = batch_decisions();
    let run = run(&batch_args(&["--summary", "--format", "json"]));
    run.expect_code(1);
    let v: Value = serde_json::from_str(&run.stdout).expect("the summary is JSON");
    let s = &v["summary"];
    assert_eq!(s["leads"], 600);
    let as_map = |v: &Value| -> BTreeMap<String, u64> {
        v.as_object().expect("a map").iter().map(|(k, n)| (k.clone(), n.as_u64().expect("a count"))).collect()
    };
    for key in ["outcome", "team", "rep", "queue"] {
        assert_eq!(as_map(&s[format!("{key}s")]), count_by(ds.iter(), key), "summary {key}s");
    }
    let mut exceptions = BTreeMap::new();
    let mut fields = BTreeMap::new();
    for d in &ds {
        for e in d["exceptions"].as_array().expect("exceptions") {
            *exceptions.entry(e["exception"].as_str().expect("exception").to_string()).or_insert(0u64) += 1;
        }
        for e in d["errors"].as_array().into_iter().flatten() {
            *fields.entry(e["field"].as_str().expect("field").to_string()).or_insert(0u64) += 1;
        }
    }
    assert_eq!(as_map(&s["exceptions"]), exceptions);
    assert_eq!(as_map(&s["rejected_fields"]), fields);
    // The final load is what --state-out writes.
    let dir = TempDir::new("summary-load");
    let out = dir.join("state.json");
    run_full(root(), &batch_args(&["--state-out", &out]), None).expect_code(1);
    let state: Value = serde_json::from_str(&dir.read("state.json")).expect("state JSON");
    for (rep, load) in s["final_load"].as_object().expect("final_load") {
        assert_eq!(load["open_load"], state["reps"][rep]["open_load"], "open load of {rep}");
        assert_eq!(load["assigned_today"], state["reps"][rep]["assigned_today"], "today's count of {rep}");
    }
}

// ---------------------------------------------------------------- route: --explain

const STEP_KINDS: [&str; 7] = ["tier", "territory", "rule", "assign", "exception", "route", "lookup"];

#[test]
fn explain_adds_a_trace_of_steps_to_every_routed_lead() {
    let plain = batch_decisions();
    let run = run(&batch_args(&["--explain"]));
    run.expect_code(1);
    let explained = decisions(&run.stdout);
    assert_eq!(explained.len(), plain.len());
    let mut kinds = BTreeSet::new();
    for (e, p) in explained.iter().zip(&plain) {
        assert!(p.get("trace").is_none(), "no trace without --explain: {p}");
        // --explain changes nothing but the trace.
        let mut without = e.clone();
        without.as_object_mut().expect("object").remove("trace");
        assert_eq!(&without, p, "--explain changed a decision");
        if e["outcome"] == "rejected" {
            continue;
        }
        let trace = e["trace"].as_array().unwrap_or_else(|| panic!("no trace array: {e}"));
        assert!(!trace.is_empty(), "empty trace: {e}");
        for step in trace {
            let kind = step["step"].as_str().unwrap_or_else(|| panic!("step has no `step`: {step}"));
            assert!(STEP_KINDS.contains(&kind), "unknown step kind `{kind}`");
            kinds.insert(kind.to_string());
            assert!(step["name"].as_str().is_some_and(|n| !n.is_empty()), "step has no `name`: {step}");
            assert!(step.get("result").is_some(), "step has no `result`: {step}");
            if let Some(cond) = step.get("condition") {
                assert!(cond.as_str().is_some_and(|c| !c.is_empty()), "empty condition: {step}");
                assert!(step["result"].is_boolean(), "a condition's result is true/false: {step}");
                let reads = step["reads"].as_object().unwrap_or_else(|| panic!("a condition step has no `reads`: {step}"));
                assert!(!reads.is_empty(), "a condition step read nothing: {step}");
                assert!(step["at"].as_str().is_some_and(|a| a.starts_with("inbound.route:")), "{step}");
            }
        }
        // What decided appears in the trace: a policy-wide handler (`on X`) as
        // the last step, a rule as the last rule step.
        let rule = e["rule"].as_str().expect("a routed lead names what decided");
        match rule.strip_prefix("on ") {
            Some(handler) => {
                let last = trace.last().expect("a step");
                assert_eq!(last["step"], "exception", "{e}");
                assert_eq!(last["name"], handler, "{e}");
                assert!(e["exceptions"].as_array().expect("exceptions").iter().any(|x| x["exception"] == handler), "{e}");
            }
            None => {
                let last_rule = trace.iter().rfind(|s| s["step"] == "rule").expect("a rule step");
                assert_eq!(last_rule["name"], rule, "the last rule in the trace decided: {e}");
            }
        }
    }
    for k in STEP_KINDS {
        assert!(kinds.contains(k), "the batch exercises `{k}` steps; got {kinds:?}");
    }
}

#[test]
fn explain_condition_reads_are_the_lead_values() {
    let inputs = leads();
    let run = run(&batch_args(&["--explain"]));
    let ds = decisions(&run.stdout);
    let fields = schema_fields();
    for (d, lead) in ds.iter().zip(&inputs) {
        for step in d["trace"].as_array().into_iter().flatten() {
            for (field, value) in step["reads"].as_object().into_iter().flatten() {
                if field == "tier" || field == "territory" {
                    continue;
                }
                // A lookup's read: `accounts["x@globex.com"]` and how it matched.
                if let Some(key) = field.strip_prefix("accounts[").and_then(|k| k.strip_suffix(']')) {
                    let key: String = serde_json::from_str(key).expect("the looked-up key, quoted");
                    assert_eq!(Some(&Value::String(key)), lead.get("email"), "{step}");
                    assert!(value.as_str().is_some_and(|v| !v.is_empty()), "how the lookup went: {step}");
                    continue;
                }
                assert!(fields.contains(field), "reads names `{field}`, not a schema field: {step}");
                let input = lead.get(field).unwrap_or(&Value::Null);
                assert_eq!(value, input, "trace read of `{field}` differs from the lead's value in {}", d["lead_id"]);
            }
        }
    }
}

#[test]
fn explain_human_output_for_three_leads_from_stdin_matches_the_snapshot() {
    let chosen = ["L-000004", "L-000014", "L-000005"];
    let lines = lead_lines();
    let input: String = chosen
        .iter()
        .map(|id| lines.iter().find(|l| l.contains(&format!("\"id\": \"{id}\""))).expect("the lead is in the file").clone() + "\n")
        .collect();
    let run = run_stdin(
        &["route", "examples/inbound.route", "--leads", "-", "--state", "examples/state.json", "--now", NOW, "--explain", "--format", "human"],
        input.as_bytes(),
    );
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    for id in chosen {
        assert!(run.stdout.contains(&format!("lead {id}: ")), "{id} missing");
    }
    assert_eq!(run.stdout.matches("  why:\n").count(), 3);
    insta::assert_snapshot!("explain_three_leads_human", run.stdout);
}

// ---------------------------------------------------------------- route: input forms

#[test]
fn lead_file_may_be_pretty_printed() {
    let dir = TempDir::new("pretty-lead");
    let line = lead_lines()[5].clone();
    let lead: Value = serde_json::from_str(&line).expect("JSON");
    let path = dir.write("lead.json", serde_json::to_string_pretty(&lead).expect("pretty"));
    assert!(dir.read("lead.json").lines().count() > 5, "the file is pretty-printed");
    let args = |lead_arg: &[&str]| -> Vec<String> {
        let mut a = vec!["route", "examples/inbound.route"];
        a.extend_from_slice(lead_arg);
        a.extend_from_slice(&["--state", "examples/state.json", "--now", NOW]);
        a.iter().map(|s| s.to_string()).collect()
    };
    let from_file = run(&args(&["--lead", &path]));
    from_file.expect_code(0);
    assert_eq!(from_file.stderr, "");
    let ds = decisions(&from_file.stdout);
    assert_eq!(ds.len(), 1, "one lead, one decision");
    assert_eq!(ds[0]["lead_id"], lead["id"]);
    let from_stdin = run_stdin(&args(&["--leads", "-"]), format!("{line}\n").as_bytes());
    from_stdin.expect_code(0);
    assert_eq!(from_file.stdout, from_stdin.stdout, "--lead FILE and --leads - decide the same");
}

#[test]
fn lead_dash_accepts_a_pretty_printed_lead_on_stdin() {
    let lead: Value = serde_json::from_str(&lead_lines()[5]).expect("JSON");
    let pretty = serde_json::to_string_pretty(&lead).expect("pretty") + "\n";
    let run = run_stdin(&["route", "examples/inbound.route", "--lead", "-", "--now", NOW], pretty.as_bytes());
    run.expect_code(0);
    let ds = decisions(&run.stdout);
    assert_eq!(ds.len(), 1, "one lead, one decision; got {}", run.stdout);
    assert_eq!(ds[0]["lead_id"], lead["id"]);
}

#[test]
fn lead_file_with_malformed_pretty_json_is_one_rejection() {
    let dir = TempDir::new("bad-pretty-lead");
    let path = dir.write("lead.json", "{\n  \"id\": \"X-1\",\n  \"email\": \"a@b.example\",\n}\n");
    let run = run(&["route", "examples/inbound.route", "--lead", &path, "--now", NOW]);
    run.expect_code(1);
    let ds = decisions(&run.stdout);
    assert_eq!(ds.len(), 1, "one file, one lead, one decision; got:\n{}", run.stdout);
    assert_eq!(run.stderr, "leadroute: 1 lead rejected\n");
}

#[test]
fn leads_dash_reads_standard_input() {
    let from_file = run(&batch_args(&[]));
    let mut args = batch_args(&[]);
    args[3] = "-".into();
    let from_stdin = run_stdin(&args, example("leads.ndjson").as_bytes());
    from_stdin.expect_code(1);
    assert!(from_stdin.stdout == from_file.stdout, "--leads - differs from --leads FILE");
    assert_eq!(from_stdin.stderr, from_file.stderr);
}

#[test]
fn a_line_that_is_not_json_is_rejected_by_line_number_and_empty_lines_are_skipped() {
    let lines = lead_lines();
    let input = format!("{}\n\nthis is not json\n   \n{}\n", lines[0], lines[1]);
    let run = run_stdin(&["route", "examples/inbound.route", "--leads", "-", "--now", NOW], input.as_bytes());
    run.expect_code(1);
    assert_eq!(run.stderr, "leadroute: 1 lead rejected\n");
    let ds = decisions(&run.stdout);
    assert_eq!(ds.len(), 3, "blank lines give no decision:\n{}", run.stdout);
    assert_eq!(ds[0]["lead_id"], "L-000001");
    assert_eq!(ds[1]["outcome"], "rejected");
    assert_eq!(ds[1]["lead_id"], "");
    let message = ds[1]["errors"][0]["message"].as_str().expect("message");
    assert!(message.contains("line 3") && message.contains("JSON"), "names line 3: {message}");
    assert_eq!(ds[2]["lead_id"], "L-000002");
    assert_ne!(ds[2]["outcome"], "rejected");
    // In human form too.
    let human = run_stdin(&["route", "examples/inbound.route", "--leads", "-", "--now", NOW, "--format", "human"], input.as_bytes());
    human.expect_code(1);
    assert!(human.stdout.contains("lead (no id): rejected: invalid lead\n  - line 3"), "{}", human.stdout);
}

#[test]
fn a_lead_that_is_not_an_object_is_rejected_and_the_rest_goes_on() {
    let lines = lead_lines();
    let input = format!("[1, 2]\n\"text\"\n{}\n", lines[1]);
    let run = run_stdin(&["route", "examples/inbound.route", "--leads", "-", "--now", NOW], input.as_bytes());
    run.expect_code(1);
    assert_eq!(run.stderr, "leadroute: 2 leads rejected\n");
    let ds = decisions(&run.stdout);
    assert_eq!(ds.len(), 3);
    assert_eq!(ds[0]["outcome"], "rejected");
    assert_eq!(ds[1]["outcome"], "rejected");
    assert_eq!(ds[2]["lead_id"], "L-000002");
}

#[test]
fn a_line_that_is_not_utf8_is_rejected_and_the_rest_goes_on() {
    let lines = lead_lines();
    let mut input = Vec::new();
    input.extend_from_slice(format!("{}\n{}\n", lines[0], lines[1]).as_bytes());
    input.extend_from_slice(b"\xff\xfe not utf-8\n");
    input.extend_from_slice(format!("{}\n", lines[2]).as_bytes());
    let run = run_stdin(&["route", "examples/inbound.route", "--leads", "-", "--now", NOW], &input);
    run.expect_code(1);
    let ds = decisions(&run.stdout);
    assert_eq!(ds.len(), 4, "one decision per non-empty line:\n{}", run.stdout);
    assert_eq!(ds[2]["outcome"], "rejected");
    assert!(ds[2]["errors"][0]["message"].as_str().unwrap_or("").contains("line 3"), "{}", ds[2]);
    assert_eq!(ds[3]["lead_id"], "L-000003", "the lead after the bad line is routed");
}

#[test]
fn lead_and_leads_together_is_a_usage_error() {
    let run = run(&["route", "examples/inbound.route", "--lead", "x.json", "--leads", "y.ndjson", "--now", NOW]);
    run.expect_code(2);
    assert!(run.stderr.contains("--lead") && run.stderr.contains("--leads"), "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

// ---------------------------------------------------------------- route: state

#[test]
fn state_out_reflects_the_batch() {
    let dir = TempDir::new("state-out");
    let out = dir.join("state.json");
    let run = run(&batch_args(&["--state-out", &out]));
    run.expect_code(1);
    let ds = decisions(&run.stdout);
    let before: Value = serde_json::from_str(&example("state.json")).expect("example state");
    let after: Value = serde_json::from_str(&dir.read("state.json")).expect("state-out is JSON");
    let (lb, la) = (open_loads(&before), open_loads(&after));
    let assigned = count_by(ds.iter().filter(|d| d["outcome"] == "assigned"), "rep");
    let total: u64 = assigned.values().sum();
    assert!(total > 0, "the batch assigns some leads");
    assert_eq!(la.values().sum::<u64>() - lb.values().sum::<u64>(), total, "open load grows by the number of assigned leads");
    let reps = example_ir()["reps"].as_array().expect("reps").iter().map(|r| r["id"].as_str().expect("id").to_string()).collect::<Vec<_>>();
    assert_eq!(la.keys().cloned().collect::<BTreeSet<_>>(), reps.iter().cloned().collect(), "state-out lists every rep");
    for rep in &reps {
        let delta = la[rep] - lb.get(rep).copied().unwrap_or(0);
        assert_eq!(delta, assigned.get(rep).copied().unwrap_or(0), "open load of {rep}");
        let today = |s: &Value| s["reps"][rep]["assigned_today"].as_u64().unwrap_or(0);
        assert_eq!(today(&after) - today(&before), assigned.get(rep).copied().unwrap_or(0), "today's count of {rep}");
    }
    assert_eq!(after["as_of"], "2026-11-24");
    // Rep settings pass through unchanged.
    assert_eq!(after["reps"]["erin"]["out_of_office_until"], "2026-11-27T17:00:00Z");
    assert_eq!(after["reps"]["frank"]["active"], false);
    // And the file is a valid --state.
    let mut again = batch_args(&[]);
    again[5] = out.clone();
    let again = run_full(root(), &again, None);
    again.expect_code(1);
    assert_eq!(again.stderr, "leadroute: 18 leads rejected\n", "no warnings reading a state-out file");
}

/// A partner deal registration: round robin over the partner desk (paula, tariq).
const PARTNER_LEAD: &str = r#"{"id": "P-1", "email": "buyer@wayne.example", "company": "Wayne", "country": "US", "state": "NJ", "intent": 35.0, "source": "partner", "created_at": "2026-11-24T14:00:00Z", "tags": ["deal-registration"]}"#;

#[test]
fn state_out_fed_back_moves_the_round_robin_on() {
    let dir = TempDir::new("rotation");
    let lead = dir.write("lead.ndjson", format!("{PARTNER_LEAD}\n"));
    let s1 = dir.join("s1.json");
    let s2 = dir.join("s2.json");
    let route = |state: &str, out: &str| -> Value {
        let run = run(&["route", "examples/inbound.route", "--leads", &lead, "--state", state, "--now", NOW, "--state-out", out]);
        run.expect_code(0);
        let ds = decisions(&run.stdout);
        assert_eq!(ds[0]["team"], "partner_desk", "{}", ds[0]);
        ds[0].clone()
    };
    let first = route("examples/state.json", &s1);
    let second = route(&s1, &s2);
    let third = route(&s2, &dir.join("s3.json"));
    assert_eq!(first["rep"], "paula", "the example state's cursor points at tariq, so paula is next");
    assert_eq!(second["rep"], "tariq", "fed back, the state moves the rotation on");
    assert_eq!(third["rep"], "paula");
    let state: Value = serde_json::from_str(&dir.read("s1.json")).expect("state");
    assert_eq!(state["teams"]["partner_desk"]["cursor"], 0);
    // Routing the same lead again from the same state repeats the decision.
    let repeat = route("examples/state.json", &dir.join("s4.json"));
    assert_eq!(repeat, first);
}

#[test]
fn a_batch_split_through_state_out_routes_like_the_whole_batch() {
    let dir = TempDir::new("split");
    let lines = lead_lines();
    let a = dir.write("a.ndjson", lines[..300].iter().map(|l| format!("{l}\n")).collect::<String>());
    let b = dir.write("b.ndjson", lines[300..].iter().map(|l| format!("{l}\n")).collect::<String>());
    let mid = dir.join("mid.json");
    let whole = run(&batch_args(&[]));
    let mut first = batch_args(&["--state-out", &mid]);
    first[3] = a;
    let first = run(&first);
    let mut second = batch_args(&[]);
    second[3] = b;
    second[5] = mid.clone();
    let second = run(&second);
    assert!(first.stdout.clone() + &second.stdout == whole.stdout, "two halves through --state-out differ from one batch");
}

#[test]
fn state_out_keeps_daily_counts_of_reps_in_other_time_zones() {
    let dir = TempDir::new("cross-tz");
    let state = dir.write(
        "state.json",
        r#"{"as_of": "2026-11-24", "reps": {"alice": {"assigned_today": 7}, "bob": {"active": false}, "carol": {"active": false}}}"#,
    );
    let west = |id: &str| {
        format!(r#"{{"id": "{id}", "email": "x@west.example", "company": "West", "country": "US", "state": "CA", "intent": 90.0, "source": "web", "created_at": "2026-11-25T00:00:00Z", "tags": []}}"#)
    };
    let japan = r#"{"id": "J-1", "email": "x@japan.example", "company": "Japan", "country": "JP", "intent": 90.0, "source": "web", "created_at": "2026-11-25T00:00:00Z", "tags": []}"#;
    let a = dir.write("a.ndjson", format!("{}\n{japan}\n", west("W-1")));
    let b = dir.write("b.ndjson", format!("{}\n", west("W-2")));
    let all = dir.write("all.ndjson", format!("{}\n{japan}\n{}\n", west("W-1"), west("W-2")));
    let now = "2026-11-25T00:30:00Z"; // 16:30 Tuesday in Los Angeles, 09:30 Wednesday in Tokyo
    let mid = dir.join("mid.json");
    let whole = run(&["route", "examples/inbound.route", "--leads", &all, "--state", &state, "--now", now]);
    whole.expect_code(0);
    let whole = decisions(&whole.stdout);
    assert_eq!(whole[0]["rep"], "alice", "alice takes her 8th lead of the day");
    assert_eq!(whole[1]["rep"], "kenji");
    assert_ne!(whole[2]["rep"], "alice", "alice is at her daily cap");
    run(&["route", "examples/inbound.route", "--leads", &a, "--state", &state, "--now", now, "--state-out", &mid]).expect_code(0);
    let saved: Value = serde_json::from_str(&dir.read("mid.json")).expect("state");
    assert_eq!(saved["reps"]["alice"]["assigned_today"], 8, "alice's count for her day is kept: {saved}");
    let second = run(&["route", "examples/inbound.route", "--leads", &b, "--state", &mid, "--now", now]);
    second.expect_code(0);
    assert_eq!(decisions(&second.stdout)[0], whole[2], "the split batch routes W-2 like the whole batch");
}

#[test]
fn a_state_naming_an_unknown_rep_warns_and_routes() {
    let dir = TempDir::new("unknown-rep");
    let state = dir.write("state.json", r#"{"reps": {"zed": {"open_load": 3}}}"#);
    let lead = dir.write("lead.ndjson", format!("{PARTNER_LEAD}\n"));
    let run = run(&["route", "examples/inbound.route", "--leads", &lead, "--state", &state, "--now", NOW]);
    run.expect_code(0);
    assert!(run.stderr.contains("warning") && run.stderr.contains("`zed`"), "{}", run.stderr);
    assert_eq!(decisions(&run.stdout).len(), 1);
}

// ---------------------------------------------------------------- route: determinism

#[test]
fn the_same_command_twice_prints_the_same() {
    for extra in [&[][..], &["--format", "human", "--explain"][..], &["--summary", "--format", "human"][..], &["--explain"][..]] {
        let a = run(&batch_args(extra));
        let b = run(&batch_args(extra));
        a.expect_code(1);
        assert!(a.stdout == b.stdout, "two runs with {extra:?} differ");
        assert_eq!(a.stderr, b.stderr);
    }
}

#[test]
fn now_with_an_offset_is_the_same_instant() {
    let z = run(&batch_args(&[]));
    let mut args = batch_args(&[]);
    args[7] = "2026-11-24T10:00:00-05:00".into();
    let offset = run(&args);
    offset.expect_code(1);
    assert!(z.stdout == offset.stdout, "--now 10:00-05:00 should equal 15:00Z");
}

// ---------------------------------------------------------------- route: --strict

#[test]
fn strict_rejects_leads_with_unknown_fields_and_only_those() {
    let fields = schema_fields();
    let inputs = leads();
    let extra: Vec<(usize, Vec<String>)> = inputs
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let unknown: Vec<String> = l.as_object().expect("object").keys().filter(|k| !fields.contains(*k)).cloned().collect();
            (!unknown.is_empty()).then_some((i, unknown))
        })
        .collect();
    assert!(extra.len() >= 3, "the example has a few leads with extra fields; found {}", extra.len());
    let lax = batch_decisions();
    let run = run(&batch_args(&["--strict"]));
    run.expect_code(1);
    let strict = decisions(&run.stdout);
    let lax_rejected = lax.iter().filter(|d| d["outcome"] == "rejected").count();
    let mut newly = 0;
    for (i, unknown) in &extra {
        if lax[*i]["outcome"] == "rejected" {
            continue;
        }
        newly += 1;
        assert!(lax[*i]["rule"].is_string(), "without --strict the lead is routed: {}", lax[*i]);
        let d = &strict[*i];
        assert_eq!(d["outcome"], "rejected", "with --strict {} is rejected", d["lead_id"]);
        let named: Vec<&str> = d["errors"].as_array().expect("errors").iter().map(|e| e["field"].as_str().expect("field")).collect();
        assert_eq!(named, unknown.iter().map(String::as_str).collect::<Vec<_>>(), "{d}");
        for e in d["errors"].as_array().expect("errors") {
            assert!(e["message"].as_str().expect("message").contains("strict"), "{e}");
        }
    }
    assert!(newly > 0);
    let strict_rejected = strict.iter().filter(|d| d["outcome"] == "rejected").count();
    assert_eq!(strict_rejected, lax_rejected + newly);
    assert_eq!(run.stderr, format!("leadroute: {strict_rejected} leads rejected\n"));
}

// ---------------------------------------------------------------- route: bad input

#[test]
fn a_missing_policy_path_exits_2_and_names_it() {
    let run = run(&["route", "no-such-policy.route", "--leads", "examples/leads.ndjson", "--now", NOW]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("no-such-policy.route") && run.stderr.contains("cannot read"), "{}", run.stderr);
}

#[test]
fn a_missing_ir_file_exits_2_with_one_line() {
    let run = run(&["route", "no-such-policy.json", "--leads", "examples/leads.ndjson", "--now", NOW]);
    run.expect_code(2);
    run.expect_one_line_error(&["no-such-policy.json", "cannot read"]);
}

#[test]
fn a_missing_leads_file_exits_2_with_one_line() {
    let run = run(&["route", "examples/inbound.route", "--leads", "no-such-leads.ndjson", "--now", NOW]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    run.expect_one_line_error(&["no-such-leads.ndjson", "cannot read"]);
}

#[test]
fn a_missing_lead_file_exits_2_with_one_line() {
    let run = run(&["route", "examples/inbound.route", "--lead", "no-such-lead.json", "--now", NOW]);
    run.expect_code(2);
    run.expect_one_line_error(&["no-such-lead.json", "cannot read"]);
}

#[test]
fn a_leads_path_that_is_a_folder_exits_2() {
    let run = run(&["route", "examples/inbound.route", "--leads", "examples", "--now", NOW]);
    run.expect_code(2);
    run.expect_one_line_error(&["examples", "cannot read"]);
}

#[test]
fn a_malformed_now_exits_2_with_one_line() {
    for bad in ["yesterday", "2026-11-24", "2026-13-01T00:00:00Z", "2026-11-24 15:00"] {
        let mut args = batch_args(&[]);
        args[7] = bad.into();
        let run = run(&args);
        run.expect_code(2);
        assert_eq!(run.stdout, "", "nothing routed with --now {bad:?}");
        run.expect_one_line_error(&["--now", bad, "RFC 3339"]);
    }
}

#[test]
fn a_state_file_that_is_not_json_exits_2_with_one_line() {
    let dir = TempDir::new("state-not-json");
    let state = dir.write("state.json", "not json at all\n");
    let mut args = batch_args(&[]);
    args[5] = state.clone();
    let run = run(&args);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    run.expect_one_line_error(&[&state, "state"]);
}

#[test]
fn a_state_with_an_unknown_rep_field_exits_2_naming_it() {
    let dir = TempDir::new("state-unknown-field");
    let state = dir.write("state.json", r#"{"reps": {"alice": {"open_lod": 3}}}"#);
    let mut args = batch_args(&[]);
    args[5] = state.clone();
    let run = run(&args);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    run.expect_one_line_error(&[&state, "`open_lod`"]);
}

#[test]
fn a_state_with_a_cursor_past_the_team_exits_2_naming_it() {
    let dir = TempDir::new("state-cursor");
    let state = dir.write("state.json", r#"{"teams": {"sdr_pool": {"cursor": 3}}}"#);
    let mut args = batch_args(&[]);
    args[5] = state.clone();
    let run = run(&args);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    run.expect_one_line_error(&[&state, "`sdr_pool`", "cursor 3"]);
}

#[test]
fn a_missing_state_file_exits_2_with_one_line() {
    let mut args = batch_args(&[]);
    args[5] = "no-such-state.json".into();
    let run = run(&args);
    run.expect_code(2);
    run.expect_one_line_error(&["no-such-state.json"]);
}

#[test]
fn a_policy_with_errors_exits_1_with_diagnostics_on_stderr() {
    let run = run(&["route", "examples/broken.route", "--leads", "examples/leads.ndjson", "--now", NOW]);
    run.expect_code(1);
    assert_eq!(run.stdout, "", "nothing is routed through a broken policy");
    assert!(run.stderr.contains("[E0004] Error:"), "{}", run.stderr);
    assert!(run.stderr.contains("examples/broken.route:"), "{}", run.stderr);
    assert!(run.stderr.contains("failed: "), "{}", run.stderr);
}

#[test]
fn a_json_file_that_is_not_an_ir_exits_2_with_one_line() {
    let dir = TempDir::new("not-ir");
    let cases = [
        ("object.json", "{\"a\": 1}\n".to_string()),
        ("garbage.json", "garbage\n".to_string()),
        ("state.json", example("state.json")),
        ("v9.json", {
            let mut ir = example_ir();
            ir["format_version"] = 9.into();
            ir.to_string()
        }),
    ];
    for (name, text) in cases {
        let path = dir.write(name, text);
        let run = run(&["route", &path, "--leads", "examples/leads.ndjson", "--now", NOW]);
        run.expect_code(2);
        assert_eq!(run.stdout, "", "{name}");
        run.expect_one_line_error(&[&path]);
    }
    let v9 = run(&["route", &dir.join("v9.json"), "--leads", "examples/leads.ndjson", "--now", NOW]);
    assert!(v9.stderr.contains("format version 9"), "{}", v9.stderr);
    let obj = run(&["route", &dir.join("object.json"), "--leads", "examples/leads.ndjson", "--now", NOW]);
    assert!(obj.stderr.contains("not a leadroute policy IR"), "{}", obj.stderr);
}

#[test]
fn neither_lead_nor_leads_exits_2() {
    let run = run(&["route", "examples/inbound.route", "--now", NOW]);
    run.expect_code(2);
    assert_eq!(run.stdout, "");
    run.expect_one_line_error(&["--lead", "--leads"]);
}

// ---------------------------------------------------------------- test: inline tests

/// The names of the inline tests in a policy text, in order.
fn test_names(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("test \""))
        .map(|rest| rest[..rest.find('"').expect("closing quote")].to_string())
        .collect()
}

#[test]
fn test_runs_every_inline_test_of_the_example_and_passes() {
    let run = run(&["test", "examples/inbound.route"]);
    run.expect_code(0);
    assert_eq!(run.stderr, "");
    let names = test_names(&inbound_text());
    assert_eq!(names.len(), 18);
    for name in &names {
        assert!(run.stdout.contains(&format!("test {name:?} ... ok\n")), "{name} not listed as ok:\n{}", run.stdout);
    }
    assert_eq!(run.stdout.matches(" ... ").count(), names.len());
    assert!(!run.stdout.contains("FAILED"));
    assert!(run.stdout.ends_with(&format!("test result: ok. {} passed; 0 failed\n", names.len())), "{}", run.stdout);
}

#[test]
fn test_json_gives_one_passing_object_per_test() {
    let run = run(&["test", "examples/inbound.route", "--format", "json"]);
    run.expect_code(0);
    let text = inbound_text();
    let names = test_names(&text);
    let results: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(results.len(), names.len());
    for (r, name) in results.iter().zip(&names) {
        assert_eq!(r["test"], name.as_str());
        assert_eq!(r["passed"], true, "{r}");
        assert_eq!(r["failures"], serde_json::json!([]));
        let line = line_of(&text, &format!("test {name:?}"));
        assert_eq!(r["location"], format!("inbound.route:{line}"));
        assert!(r["decision"]["trace"].is_array(), "a test's decision carries its trace");
    }
}

/// A copy of the example in `dir` whose "cold lead" test expects the wrong queue.
fn write_failing_policy(dir: &TempDir) {
    let text = edit_once(
        &inbound_text(),
        "expect queue nurture, tier cold, queued",
        "expect queue manager_review, tier cold, queued",
    );
    dir.write("inbound.route", text);
}

#[test]
fn test_with_a_failing_inline_test_exits_1_and_shows_where_and_why() {
    let dir = TempDir::new("failing-test");
    write_failing_policy(&dir);
    let run = run_in(dir.path(), &["test", "inbound.route"]);
    run.expect_code(1);
    let name = "cold lead from a small company is nurtured";
    let line = line_of(&dir.read("inbound.route"), &format!("test {name:?}"));
    assert!(run.stdout.contains(&format!("test {name:?} ... FAILED\n")), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("---- {name:?} at inbound.route:{line}\n")), "location file:line:\n{}", run.stdout);
    assert!(run.stdout.contains("  expected queue manager_review, got queue nurture\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  | lead L-1004: queued in nurture\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  |   why:\n"), "the trace is shown:\n{}", run.stdout);
    assert!(run.stdout.contains("  |     rule big_logo: "), "trace lines:\n{}", run.stdout);
    assert!(run.stdout.ends_with("test result: FAILED. 17 passed; 1 failed\n"), "{}", run.stdout);
    insta::assert_snapshot!("test_failing_inline_human", run.stdout);
}

#[test]
fn test_json_marks_the_failing_test() {
    let dir = TempDir::new("failing-test-json");
    write_failing_policy(&dir);
    let run = run_in(dir.path(), &["test", "inbound.route", "--format", "json"]);
    run.expect_code(1);
    let results: Vec<Value> = run.stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let failed: Vec<&Value> = results.iter().filter(|r| r["passed"] == false).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["test"], "cold lead from a small company is nurtured");
    assert_eq!(failed[0]["failures"], serde_json::json!(["expected queue manager_review, got queue nurture"]));
    assert_eq!(failed[0]["decision"]["queue"], "nurture");
}

#[test]
fn test_of_a_policy_with_errors_exits_1() {
    let run = run(&["test", "examples/broken.route"]);
    run.expect_code(1);
    assert!(run.stderr.contains("] Error: "), "{}", run.stderr);
}

// ---------------------------------------------------------------- test: snapshots

#[test]
fn snapshot_lifecycle_record_compare_and_diff() {
    let dir = TempDir::new("snapshot");
    let leads = dir.write("leads.ndjson", example("leads.ndjson"));
    let state = root().join("examples/state.json").to_string_lossy().into_owned();
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = ["test", "examples/inbound.route", "--snapshot", &leads, "--state", &state, "--now", NOW]
            .iter()
            .map(|s| s.to_string())
            .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let snap = dir.join("leads.decisions.ndjson");

    // 1. No snapshot yet.
    let none = run(&args(&[]));
    none.expect_code(1);
    assert!(none.stderr.contains("--update") && none.stderr.contains(&snap), "{}", none.stderr);
    assert!(!Path::new(&snap).exists());

    // 2. Record it.
    let update = run(&args(&["--update"]));
    update.expect_code(0);
    assert_eq!(update.stdout, format!("wrote 600 decisions to {snap}\n"));
    let recorded = dir.read("leads.decisions.ndjson");
    let mut lines = recorded.lines();
    let header: Value = serde_json::from_str(lines.next().expect("a header")).expect("JSON header");
    assert_eq!(header["snapshot"]["now"], NOW);
    let stored: Vec<Value> = lines.map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(stored.len(), 600);
    // The stored decisions are the routed ones without policy_version.
    let routed = batch_decisions();
    for (s, r) in stored.iter().zip(&routed) {
        let mut r = r.clone();
        r.as_object_mut().expect("object").remove("policy_version");
        assert_eq!(s, &r);
    }

    // 3. Compare: unchanged, with --now given and with the stored one.
    let same = run(&args(&[]));
    same.expect_code(0);
    assert_eq!(same.stdout, format!("\nsnapshot {snap}: 0 of 600 decisions changed: ok\n"));
    let stored_now = run(&["test", "examples/inbound.route", "--snapshot", &leads, "--state", &state]);
    stored_now.expect_code(0);
    assert!(stored_now.stdout.contains("0 of 600 decisions changed: ok"), "the snapshot's own now is used:\n{}", stored_now.stdout);

    // 4. Change the policy: personal-mailbox leads go to manager review. The
    //    copy sits at the same relative path so rule names stay comparable.
    let changed = edit_once(
        &inbound_text(),
        "tier != hot -> queue nurture",
        "tier != hot -> queue manager_review",
    );
    dir.write("examples/inbound.route", changed);
    let diff = run_in(dir.path(), &args(&[]));
    diff.expect_code(1);
    let personal: Vec<&Value> = routed.iter().filter(|d| d["rule"] == "personal").collect();
    assert!(!personal.is_empty());
    for d in &personal {
        let id = d["lead_id"].as_str().expect("id");
        assert!(diff.stdout.contains(&format!("lead {id} (line ")), "{id} is reported");
    }
    // The queue changes, and with it the queue's SLA; nothing else.
    let field_lines: Vec<&str> = diff.stdout.lines().filter(|l| l.starts_with("  ") && !l.starts_with("  queue_sla_due: ")).collect();
    assert_eq!(field_lines.len(), personal.len(), "one changed queue per personal lead:\n{}", diff.stdout);
    assert!(field_lines.iter().all(|l| *l == "  queue: nurture -> manager_review"), "{}", diff.stdout);
    assert!(
        diff.stdout.ends_with(&format!("{} of 600 decisions changed (run with --update to accept)\n", personal.len())),
        "{}",
        diff.stdout
    );

    // 5. Accept it, then it is clean again.
    run_in(dir.path(), &args(&["--update"])).expect_code(0);
    let clean = run_in(dir.path(), &args(&[]));
    clean.expect_code(0);
    assert!(clean.stdout.contains("0 of 600 decisions changed: ok"), "{}", clean.stdout);
}

#[test]
fn snapshot_diff_of_a_changed_rule_target_matches_the_snapshot() {
    let dir = TempDir::new("snapshot-diff");
    dir.write("examples/inbound.route", inbound_text());
    let head: String = lead_lines()[..40].iter().map(|l| format!("{l}\n")).collect();
    dir.write("leads.ndjson", head);
    let state = root().join("examples/state.json").to_string_lossy().into_owned();
    let args = ["test", "examples/inbound.route", "--snapshot", "leads.ndjson", "--state", &state, "--now", NOW];
    run_in(dir.path(), &args).expect_code(1);
    run_in(dir.path(), &[&args[..], &["--update"]].concat()).expect_code(0);
    // EMEA leads now wait for territory review instead of going to the AEs.
    let changed = edit_once(
        &inbound_text(),
        "-> assign team ae_emea else queue manager_review",
        "-> queue territory_review",
    );
    dir.write("examples/inbound.route", changed);
    let diff = run_in(dir.path(), &args);
    diff.expect_code(1);
    assert!(diff.stdout.contains("  outcome: assigned -> queued\n"), "{}", diff.stdout);
    assert!(diff.stdout.contains("  queue: (none) -> territory_review\n"), "{}", diff.stdout);
    insta::assert_snapshot!("snapshot_diff_rule_target", diff.stdout);
}

/// Leads in unusual but valid JSON spellings, and some broken ones.
const TRICKY_LEADS: &str = r#"{"id": "T-1", "email": "a\u0040tricky.example", "company": "Esc\"aped \u00e9", "country": "U\u0053", "state": "CA", "intent": 90.0, "source": "web", "created_at": "2026-11-24T14:00:00Z", "tags": []}
{"id": "T-2", "email": "b@tricky.example", "company": "Dup", "country": "US", "state": "NY", "intent": 10.0, "source": "web", "created_at": "2026-11-24T14:00:00Z", "tags": [], "intent": 95.0}
{"id": "T-3", "email": "c@tricky.example", "company": "Exp", "country": "DE", "employees": 1.2e3, "intent": 5e1, "source": "paid", "created_at": "2026-11-24T14:00:00Z", "tags": ["x"]}
{"meta": {"nested": [1, {"brace": "}{"}], "s": "\\"}, "id": "T-4", "email": "d@tricky.example", "company": "Meta", "country": "GB", "intent": 45.5, "source": "event", "created_at": "2026-11-24T14:00:00Z", "tags": []}
	  {"id":"T-5","email":"e@tricky.example","company":"Tight","country":"JP","intent":85,"source":"chat","created_at":"2026-11-24T14:00:00+09:00","tags":["vip"]}  
{"id": 42, "email": "f@tricky.example", "company": "NumId", "country": "US", "intent": 1.0, "source": "web", "created_at": "2026-11-24T14:00:00Z", "tags": []}
{"id": "T-7", "email": "g@tricky.example", "company": "Big", "country": "US", "employees": 1e20, "intent": 1.0, "source": "web", "created_at": "2026-11-24T14:00:00Z", "tags": []}
{"id": "T-8", "email": "h@tricky.example"} trailing
{}
null
[{"id": "T-10"}]
{"id": "T-11", "email": "i@tricky.example", "company": "List", "country": "US", "intent": 1.0, "source": "web", "created_at": "2026-11-24T14:00:00Z", "tags": ["ok", 7]}
{"id": "T-12", "email": "j@tricky.example", "company": "Acct", "country": "US", "state": "TX", "intent": 60.0, "source": "referral", "account_owner": "sam", "created_at": "2026-11-24T14:00:00Z", "tags": []}
"#;

#[test]
fn route_and_snapshot_decide_tricky_json_alike() {
    // `route` reads leads straight from the text; `test --snapshot` parses
    // JSON values first. Both must decide every lead the same way.
    let dir = TempDir::new("tricky");
    let leads = dir.write("tricky.ndjson", TRICKY_LEADS);
    let routed = run(&["route", "examples/inbound.route", "--leads", &leads, "--state", "examples/state.json", "--now", NOW]);
    assert!(matches!(routed.code, Some(1)), "some tricky leads are invalid:\n{}", routed.stderr);
    let routed = decisions(&routed.stdout);
    assert_eq!(routed.len(), TRICKY_LEADS.lines().count());
    run(&["test", "examples/inbound.route", "--snapshot", &leads, "--state", "examples/state.json", "--now", NOW, "--update"])
        .expect_code(0);
    let stored: Vec<Value> =
        dir.read("tricky.decisions.ndjson").lines().skip(1).map(|l| serde_json::from_str(l).expect("JSON")).collect();
    assert_eq!(stored.len(), routed.len());
    for (i, (r, s)) in routed.iter().zip(&stored).enumerate() {
        if r["outcome"] == "rejected" && r["lead_id"] == "" && s.get("error").is_some() {
            // A line that is not JSON at all: both reject it.
            assert_eq!(s["outcome"], "rejected");
            continue;
        }
        let mut r = r.clone();
        r.as_object_mut().expect("object").remove("policy_version");
        // `route` prefixes whole-lead errors of id-less leads with their line.
        let prefix = format!("line {}: ", i + 1);
        for e in r.get_mut("errors").and_then(Value::as_array_mut).into_iter().flatten() {
            if let Some(m) = e["message"].as_str().and_then(|m| m.strip_prefix(&prefix)) {
                e["message"] = Value::String(m.to_string());
            }
        }
        assert_eq!(&r, s, "line {}: route and test --snapshot disagree", i + 1);
    }
    // The valid spellings were understood.
    let by_id = |id: &str| routed.iter().find(|d| d["lead_id"] == id).unwrap_or_else(|| panic!("{id}")).clone();
    assert_eq!(by_id("T-1")["territory"], "us_west", "escaped `US` is US");
    // A key written twice is refused, naming it: readers disagree on which value wins.
    assert_eq!(by_id("T-2")["outcome"], "rejected");
    assert_eq!(by_id("T-2")["errors"][0]["field"], "intent", "{}", by_id("T-2"));
    assert_eq!(by_id("T-3")["tier"], "hot", "5e1 is 50.0 and 1.2e3 employees is an int of at least 1000");
    assert_ne!(by_id("T-4")["outcome"], "rejected", "unknown nested fields are ignored");
    assert_ne!(by_id("T-5")["outcome"], "rejected", "surrounding whitespace is ignored");
    assert_eq!(by_id("42")["errors"][0]["field"], "id");
    assert_eq!(by_id("T-7")["errors"][0]["field"], "employees");
    assert_eq!(by_id("T-11")["errors"][0]["field"], "tags");
}

#[test]
fn snapshot_does_not_depend_on_the_spelling_of_the_policy_path() {
    let dir = TempDir::new("snapshot-path");
    let leads = dir.write("leads.ndjson", example("leads.ndjson"));
    let base = ["--snapshot", &leads, "--state", "examples/state.json", "--now", NOW];
    run(&[&["test", "examples/inbound.route"][..], &base, &["--update"]].concat()).expect_code(0);
    let other = run(&[&["test", "./examples/inbound.route"][..], &base[..]].concat());
    other.expect_code(0);
    assert!(other.stdout.contains("0 of 600 decisions changed: ok"), "{}", truncated(&other.stdout));
}

#[test]
fn snapshot_diff_line_numbers_are_lines_of_the_lead_file() {
    let dir = TempDir::new("snapshot-lines");
    dir.write("examples/inbound.route", inbound_text());
    let lines = lead_lines();
    let text: String = std::iter::once(String::new()).chain(lines[..20].iter().cloned()).map(|l| l + "\n").collect();
    dir.write("leads.ndjson", text);
    let args = ["test", "examples/inbound.route", "--snapshot", "leads.ndjson", "--now", NOW];
    run_in(dir.path(), &[&args[..], &["--update"]].concat()).expect_code(0);
    dir.write(
        "examples/inbound.route",
        edit_once(&inbound_text(), "tier != hot -> queue nurture", "tier != hot -> queue manager_review"),
    );
    let diff = run_in(dir.path(), &args);
    diff.expect_code(1);
    // L-000013 is the 13th lead, on line 14 of the file.
    assert!(diff.stdout.contains("lead L-000013 (line 14):"), "{}", diff.stdout);
}

#[test]
fn snapshot_of_a_missing_lead_file_exits_2() {
    let run = run(&["test", "examples/inbound.route", "--snapshot", "no-such-leads.ndjson"]);
    run.expect_code(2);
    run.expect_one_line_error(&["no-such-leads.ndjson", "cannot read"]);
}

#[test]
fn snapshot_with_a_malformed_now_exits_2() {
    let dir = TempDir::new("snapshot-now");
    let leads = dir.write("leads.ndjson", format!("{PARTNER_LEAD}\n"));
    let run = run(&["test", "examples/inbound.route", "--snapshot", &leads, "--now", "tomorrow"]);
    run.expect_code(2);
    run.expect_one_line_error(&["--now", "tomorrow", "RFC 3339"]);
}
