//! The embedding API as a service author meets it: typed errors that name
//! the problem (a bad time, an unknown backend, a lead field of the wrong
//! type, a broken policy or state file), times as `jiff::Timestamp`, and an
//! engine that decides through `&self`, from several threads at once.

use std::error::Error;

use leadroute_runtime::{
    parse_timestamp, timestamp_from_ms, Backend, BackendError, Engine, EngineOptions, LeadError, LoadError, Outcome, Policy, State, StateError,
    TimeError,
};
use serde_json::json;

fn policy() -> Policy {
    Policy::from_json(&leadroute_runtime::doc_example_ir()).expect("the documentation policy loads")
}

fn at(text: &str) -> jiff::Timestamp {
    parse_timestamp(text).expect("an RFC 3339 time")
}

fn lead(n: u32, intent: f64) -> serde_json::Value {
    json!({ "id": format!("L-{n}"), "email": format!("l{n}@example.com"), "intent": intent })
}

#[test]
fn a_time_that_is_not_rfc_3339_says_so_and_names_the_text() {
    for bad in ["tomorrow", "2026-11-24", "2026-11-24T15:00:00", "2026-13-01T00:00:00Z", "1795532400000", ""] {
        let err = parse_timestamp(bad).expect_err(bad);
        assert_eq!(err, TimeError::NotRfc3339 { text: bad.to_string() }, "{bad:?}");
        let msg = err.to_string();
        assert!(msg.contains(&format!("`{bad}`")) && msg.contains("RFC 3339"), "{msg}");
    }
}

#[test]
fn a_well_formed_time_beyond_the_supported_years_is_out_of_range_not_malformed() {
    for far in ["9999-12-31T23:00:00Z", "9999-12-31T12:00:00+00:00", "+10000-01-01T00:00:00Z"] {
        let err = parse_timestamp(far).expect_err(far);
        assert_eq!(err, TimeError::OutOfRange { text: far.to_string() }, "{far:?}");
        assert!(err.to_string().contains("out of range"), "{err}");
    }
    let err = timestamp_from_ms(i64::MAX).expect_err("past year 9999");
    assert_eq!(err, TimeError::MillisecondsOutOfRange { ms: i64::MAX });
    assert_eq!(timestamp_from_ms(1_795_532_400_000), Ok(at("2026-11-24T15:00:00Z")));
    assert_eq!(at("2026-11-24T10:00:00-05:00"), at("2026-11-24T15:00:00Z"));
}

#[test]
fn an_unknown_backend_is_named_with_the_choices() {
    let err = "fast".parse::<Backend>().expect_err("no such backend");
    assert_eq!(err, BackendError::Unknown { name: "fast".into() });
    assert_eq!(err.to_string(), "unknown backend `fast`: expected `jit` or `interp`");
    let boxed: Box<dyn Error> = Box::new(err);
    assert!(boxed.source().is_none());
    assert_eq!("interp".parse::<Backend>(), Ok(Backend::Interp));
    assert_eq!("jit".parse::<Backend>(), Ok(Backend::Jit));
}

#[test]
fn a_lead_field_of_the_wrong_type_is_named() {
    let engine = Engine::new(policy());
    let err = engine.read_lead(&json!({ "id": "L-9", "email": "x@example.com", "intent": "very high" })).expect_err("intent is a float");
    let LeadError::Invalid { lead_id, errors } = &err else { unreachable!("one variant") };
    assert_eq!(lead_id, "L-9");
    assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["intent"]);
    assert_eq!(errors[0].found, "\"very high\"");
    let msg = err.to_string();
    assert!(msg.starts_with("lead L-9 is invalid: ") && msg.contains("`intent` must be float"), "{msg}");
    // The same from text, and a missing field is named too.
    let err = engine.read_lead_str(r#"{"id":"L-10","intent":91.0}"#).expect_err("email is required");
    assert_eq!(err.errors().iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), ["email"]);
    // Text that is not JSON is one error about the whole lead.
    let err = engine.read_lead_str("{not json").expect_err("not JSON");
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.errors()[0].field, "");
}

#[test]
fn a_broken_policy_says_what_is_wrong() {
    let err = Policy::from_json("[1, 2").expect_err("not JSON");
    assert!(matches!(&err, LoadError::Json { line: 1, .. }), "{err:?}");
    assert!(err.to_string().starts_with("not a leadroute policy IR: "), "{err}");
    // An object without a format version is not a built policy of any version.
    let err = Policy::from_json("{}").expect_err("not an IR");
    assert_eq!(err, LoadError::FormatVersion { found: None, supported: leadroute_runtime::ir::FORMAT_VERSION });

    let mut ir: serde_json::Value = serde_json::from_str(&leadroute_runtime::doc_example_ir()).expect("JSON");
    let newest = leadroute_runtime::ir::FORMAT_VERSION;
    ir["format_version"] = json!(newest + 1);
    let err = Policy::from_json(&ir.to_string()).expect_err("a future format");
    assert_eq!(err, LoadError::FormatVersion { found: Some(u64::from(newest) + 1), supported: newest });

    let mut ir: serde_json::Value = serde_json::from_str(&leadroute_runtime::doc_example_ir()).expect("JSON");
    ir["timezone"] = json!("Mars/Olympus_Mons");
    let err = Policy::from_json(&ir.to_string()).expect_err("an unknown zone");
    assert!(matches!(&err, LoadError::Invalid { path, problem } if path == "$.timezone" && problem.contains("Mars/Olympus_Mons")), "{err:?}");
}

#[test]
fn a_broken_state_file_names_the_rep_and_the_value() {
    let p = policy();
    let err = State::from_json(p.ir(), r#"{"reps": {"ana": {"out_of_office_until": "next week"}}}"#).expect_err("a bad time");
    assert_eq!(err, StateError::BadTime { rep: "ana".into(), text: "next week".into() });
    assert!(err.to_string().contains("rep `ana`"), "{err}");
    let err = State::from_json(p.ir(), r#"{"teams": {"sales": {"cursor": 5}}}"#).expect_err("past the members");
    assert_eq!(err, StateError::CursorPastMembers { team: "sales".into(), cursor: 5, members: 2 });
    let err = State::from_json(p.ir(), r#"{"reps": 3}"#).expect_err("not a state file");
    assert!(matches!(err, StateError::NotStateJson { .. }), "{err:?}");
}

#[test]
fn decide_takes_a_timestamp_and_agrees_with_the_policy_at_those_milliseconds() {
    let p = policy();
    let engine = Engine::new(p.clone()).with_options(EngineOptions { explain: true, strict: false });
    let now = at("2026-11-24T15:00:00Z");
    let d = engine.decide(&lead(1, 91.0), now);
    let read = engine.read_lead(&lead(1, 91.0)).expect("a valid lead");
    let direct = p.decide(&read, &State::new(p.ir()), &p.at(now.as_millisecond()), true);
    assert_eq!(d.to_json_line(), direct.to_json_line());
    assert_eq!(d.outcome, Outcome::Assigned);
    assert_eq!(d.sla_due_at(), Some(at("2026-11-24T15:05:00Z")));
    // A rejected lead is a decision too, naming the field.
    let bad = engine.decide(&json!({ "id": "L-2", "email": "b@example.com", "intent": true }), now);
    assert_eq!(bad.outcome, Outcome::Rejected);
    assert_eq!(bad.errors[0].field, "intent");
}

#[test]
fn decide_through_a_shared_engine_from_several_threads_changes_nothing() {
    let mut engine = Engine::new(policy());
    let times = ["2026-11-24T15:00:00Z", "2026-11-24T16:00:00Z", "2026-11-25T09:30:00Z"].map(at);
    let leads: Vec<serde_json::Value> = (0..60).map(|n| lead(n, f64::from(n % 100) * 1.5)).collect();
    // Every lead at every time, decided on this thread.
    let alone: Vec<Vec<String>> = times.iter().map(|t| leads.iter().map(|l| engine.decide(l, *t).to_json_line()).collect()).collect();
    let shared = &engine;
    let leads = &leads;
    // Three threads, each cycling through the times in another order (so the cached availability keeps changing).
    let together: Vec<Vec<String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|k| s.spawn(move || leads.iter().enumerate().map(|(i, l)| shared.decide(l, times[(i + k) % 3]).to_json_line()).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().map(|h| h.join().expect("no thread panics")).collect()
    });
    for (k, got) in together.iter().enumerate() {
        for (i, line) in got.iter().enumerate() {
            assert_eq!(line, &alone[(i + k) % 3][i], "thread {k}, lead {i}");
        }
    }
    // Deciding committed nothing: both round-robin leads still go to the first rep.
    let first = engine.route(&lead(100, 95.0), times[0]);
    let second = engine.route(&lead(101, 95.0), times[0]);
    assert_eq!((first.rep.as_deref(), second.rep.as_deref()), (Some("ana"), Some("ben")));
}

mod common;

/// The command line reports `--now` with the same typed error: malformed and
/// out of range are told apart, in one line, with status 2.
#[test]
fn the_command_line_tells_a_malformed_now_from_one_out_of_range() {
    for (now, words) in [("next tuesday", ["`next tuesday`", "RFC 3339"]), ("9999-12-31T23:00:00Z", ["`9999-12-31T23:00:00Z`", "out of range"])] {
        let run = common::run(&["route", "examples/inbound.route", "--leads", "examples/leads.ndjson", "--now", now]);
        run.expect_code(2);
        assert_eq!(run.stdout, "");
        run.expect_one_line_error(&["--now", words[0], words[1]]);
    }
}
