//! A built policy is untrusted input: an IR from `examples/`, corrupted in each
//! way a hand edit or a bad disk can (indices out of range, cycles, wrong
//! types, huge counts, floats that are not finite, times out of range, arity,
//! another format version), is refused by both backends with an error naming
//! the place; never a panic. And random edits of numbers and strings in the
//! JSON either load and decide alike with both backends, or are refused.

use leadroute_runtime::{Backend, LoadError, Policy};
use proptest::prelude::*;
use serde_json::{json, Value};

#[allow(dead_code)] // each test binary uses a different part
mod fuzz {
    include!("../fuzz/src/lib.rs");
}

fn example_json() -> Value {
    serde_json::to_value(fuzz::example_ir()).expect("an IR is JSON")
}

/// Loads with both backends; both must refuse, with the same error.
fn refused(ir: &Value) -> LoadError {
    let text = ir.to_string();
    let errs: Vec<LoadError> = [Backend::Interp, Backend::Jit]
        .into_iter()
        .map(|b| match Policy::from_json_with(&text, b) {
            Ok(_) => panic!("the {b} backend loaded a corrupted IR"),
            Err(e) => e,
        })
        .collect();
    assert_eq!(errs[0], errs[1], "the backends refuse differently");
    errs[0].clone()
}

/// `ir` with the value at `pointer` (JSON pointer) replaced.
fn with(pointer: &str, value: Value) -> Value {
    let mut ir = example_json();
    *ir.pointer_mut(pointer).unwrap_or_else(|| panic!("no `{pointer}` in the example IR")) = value;
    ir
}

fn assert_invalid(e: &LoadError, path: &str, words: &str) {
    match e {
        LoadError::Invalid { path: p, problem } => {
            assert_eq!(p, path, "{e}");
            assert!(problem.contains(words), "{e}");
        }
        other => panic!("expected an inconsistent IR at {path}, got {other:?}"),
    }
    let shown = e.to_string();
    assert!(shown.contains(path) && shown.contains("rebuild"), "the message names the place and the fix: {shown}");
}

/// A tier condition made of `expr`.
fn tier_condition(expr: Value) -> Value {
    with("/tiers/0/condition", json!({ "expr": expr, "text": "edited" }))
}

#[test]
fn the_example_ir_loads_with_both_backends() {
    let text = example_json().to_string();
    for b in [Backend::Interp, Backend::Jit] {
        let p = Policy::from_json_with(&text, b).expect("the example loads");
        assert_eq!(p.backend(), b);
    }
    fuzz::policy_load(text.as_bytes());
}

#[test]
fn indices_out_of_range_are_refused_with_their_path() {
    let cases = [
        ("/routes/0/rules/0/action", json!({ "kind": "assign_team", "team": 999, "strategy": null, "fallback": { "kind": "handler" } }), "$.routes[0].rules[0].action.team", "team 999"),
        ("/teams/0/members/0", json!(4_000_000_000u32), "$.teams[0].members[0]", "rep 4000000000"),
        ("/entry", json!(7), "$.entry", "route 7"),
        ("/queues/4/escalate/queue", json!(5), "$.queues[4].escalate.queue", "queue 5"),
        ("/teams/0/strategy/field", json!(14), "$.teams[0].strategy.field", "field 14"),
        ("/fields/9/type", json!({ "enum": 9 }), "$.fields[9].type", "enum 9"),
        ("/reps/0/weight", json!(0), "$.reps[0].weight", "weight 0"),
    ];
    for (pointer, value, path, words) in cases {
        assert_invalid(&refused(&with(pointer, value)), path, words);
    }
    let e = refused(&tier_condition(json!({ "op": "field", "slot": 99 })));
    assert_invalid(&e, "$.tiers[0].condition.expr.slot", "field 99");
    let e = refused(&tier_condition(json!({ "op": "cmp", "cmp": "eq", "lhs": { "op": "tier" }, "rhs": { "op": "const", "value": { "type": "tier", "value": 40 } } })));
    assert_invalid(&e, "$.tiers[0].condition.expr.rhs.value", "tier 40");
}

#[test]
fn cycles_are_refused() {
    // A route that sends leads to itself; two queues escalating to each other.
    let e = refused(&with("/routes/0/rules/0/action", json!({ "kind": "route", "route": 0 })));
    assert_invalid(&e, "$.routes[0]", "cycle");
    let mut ir = with("/queues/1/escalate", json!({ "kind": "queue", "queue": 4 }));
    ir["queues"][4]["escalate"] = json!({ "kind": "queue", "queue": 1 });
    let e = refused(&ir);
    assert!(matches!(&e, LoadError::Invalid { problem, .. } if problem.contains("cycle")), "{e:?}");
}

#[test]
fn wrong_types_are_refused_with_path_line_and_column() {
    let e = refused(&with("/tiers/1/sla_ms", json!("fast")));
    match &e {
        LoadError::Json { path, line, column, .. } => {
            assert_eq!(path, "$.tiers[1].sla_ms");
            assert!(*line >= 1 && *column >= 1, "{e:?}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert!(e.to_string().contains("$.tiers[1].sla_ms"), "{e}");
    let e = refused(&with("/reps", json!({ "alice": 1 })));
    assert!(matches!(&e, LoadError::Json { path, .. } if path == "$.reps"), "{e:?}");
    for text in ["", "garbage", "[1, 2]", "{\"format_version\": 2"] {
        for b in [Backend::Interp, Backend::Jit] {
            let e = Policy::from_json_with(text, b).expect_err("not an IR");
            assert!(matches!(e, LoadError::Json { .. } | LoadError::FormatVersion { .. }), "{text:?}: {e:?}");
        }
    }
}

#[test]
fn huge_counts_are_refused() {
    let e = refused(&with("/teams/0/members", json!(vec![0u32; 100_001])));
    assert_invalid(&e, "$.teams[0].members", "limit");
    // A deeply nested condition: refused (by the JSON reader's depth limit or ours), not a stack overflow.
    let mut expr = json!({ "op": "const", "value": { "type": "bool", "value": true } });
    for _ in 0..100 {
        expr = json!({ "op": "not", "arg": expr });
    }
    let e = refused(&tier_condition(expr));
    assert!(matches!(&e, LoadError::Invalid { problem, .. } if problem.contains("deeper")) || matches!(e, LoadError::Json { .. }), "{e:?}");
}

#[test]
fn floats_that_are_not_finite_are_refused() {
    // JSON has no NaN; an out-of-range literal is refused by the reader, and a
    // non-finite float in an IR built in memory by ours.
    let text = example_json().to_string().replacen("80.0", "1e999", 1);
    let e = Policy::from_json(&text).expect_err("1e999");
    assert!(matches!(e, LoadError::Json { .. }), "{e:?}");
    for f in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut ir = fuzz::example_ir().clone();
        let Some(cond) = ir.tiers[0].condition.as_mut() else { panic!("the first tier has a condition") };
        cond.expr = leadroute_runtime::ir::Expr::Cmp {
            cmp: leadroute_runtime::ir::CmpOp::Ge,
            lhs: Box::new(leadroute_runtime::ir::Expr::Field { slot: 7 }),
            rhs: Box::new(leadroute_runtime::ir::Expr::Const { value: leadroute_runtime::ir::Value::Float(f) }),
        };
        for b in [Backend::Interp, Backend::Jit] {
            let e = Policy::from_ir_with(ir.clone(), b).expect_err("not finite");
            assert_invalid(&e, "$.tiers[0].condition.expr.rhs.value", "not finite");
        }
    }
}

#[test]
fn times_out_of_range_are_refused() {
    // What the language can write still loads: `24:00` as a clock time, a very long SLA (due times saturate).
    let long = with("/queues/0/sla_ms", json!(i64::MAX)).to_string();
    let midnight = tier_condition(json!({ "op": "cmp", "cmp": "lt", "lhs": { "op": "call", "func": "clock", "args": [{ "op": "now" }] }, "rhs": { "op": "const", "value": { "type": "clock", "value": 1440 } } }));
    for text in [long, midnight.to_string()] {
        for b in [Backend::Interp, Backend::Jit] {
            Policy::from_json_with(&text, b).unwrap_or_else(|e| panic!("{b}: {e}"));
        }
        fuzz::policy_load(text.as_bytes());
    }
    let cases = [
        (with("/reps/0/hours/0/start", json!(1440)), "$.reps[0].hours[0].start"),
        (with("/reps/0/hours/0/end", json!(5000)), "$.reps[0].hours[0].end"),
        (with("/reps/0/hours/0/days", json!(255)), "$.reps[0].hours[0].days"),
        (with("/tiers/0/sla_ms", json!(-1)), "$.tiers[0].sla_ms"),
        (with("/queues/0/sla_ms", json!(-5)), "$.queues[0].sla_ms"),
        (with("/reminders", json!([{ "tier": null, "before_ms": -1, "message": "m", "loc": { "file": "f", "line": 1, "column": 1 } }])), "$.reminders[0].before_ms"),
        (tier_condition(json!({ "op": "cmp", "cmp": "lt", "lhs": { "op": "now" }, "rhs": { "op": "const", "value": { "type": "time", "value": i64::MAX } } })), "$.tiers[0].condition.expr.rhs.value"),
        (tier_condition(json!({ "op": "cmp", "cmp": "lt", "lhs": { "op": "call", "func": "clock", "args": [{ "op": "now" }] }, "rhs": { "op": "const", "value": { "type": "clock", "value": 2000 } } })), "$.tiers[0].condition.expr.rhs.value"),
        (with("/timezone", json!("Mars/Olympus_Mons")), "$.timezone"),
    ];
    for (ir, path) in cases {
        let e = refused(&ir);
        assert!(matches!(&e, LoadError::Invalid { path: p, .. } if p == path), "{path}: {e:?}");
    }
}

#[test]
fn calls_with_the_wrong_arity_are_refused() {
    for (func, args) in [("lower", json!([])), ("starts_with", json!([{ "op": "field", "slot": 1 }])), ("since", json!([{ "op": "now" }, { "op": "now" }]))] {
        let e = refused(&tier_condition(json!({ "op": "call", "func": func, "args": args })));
        assert_invalid(&e, "$.tiers[0].condition.expr.args", &format!("`{func}` takes"));
    }
}

#[test]
fn another_format_version_is_refused_as_such() {
    for v in [json!(1), json!(5), json!("2"), Value::Null] {
        let e = refused(&with("/format_version", v.clone()));
        let found = v.as_u64();
        assert_eq!(e, LoadError::FormatVersion { found, supported: leadroute_runtime::ir::FORMAT_VERSION }, "{v}");
        assert!(e.to_string().contains("rebuild"), "{e}");
    }
}

/// Every number and string leaf of a JSON document, by JSON pointer.
fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| leaves(x, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| leaves(x, format!("{at}/{i}"), out)),
        Value::Number(_) | Value::String(_) => out.push(at),
        _ => {}
    }
}

fn replacement() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop_oneof![Just(0i64), Just(1), Just(-1), Just(62), Just(63), Just(64), Just(1439), Just(1440), Just(u32::MAX as i64), Just(i64::MAX), Just(i64::MIN)].prop_map(Value::from),
        (-100i64..100).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(Value::from),
        prop_oneof![Just(""), Just("UTC"), Just("Nowhere/City"), Just("2026-02-30"), Just("id"), Just("alice"), Just("round_robin"), Just("queue"), Just("é\u{0}")]
            .prop_map(Value::from),
        "[a-z_]{0,12}".prop_map(Value::from),
    ]
}

proptest! {
    // `PROPTEST_CASES=5000` for a longer, structured fuzzing run.
    #![proptest_config(ProptestConfig { cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(96), failure_persistence: None, ..ProptestConfig::default() })]

    /// Random edits of numbers and strings: never a panic; either it loads and
    /// both backends decide the example leads alike, or it is refused.
    #[test]
    fn random_edits_load_and_decide_or_are_refused(edits in proptest::collection::vec((any::<proptest::sample::Index>(), replacement()), 1..4)) {
        let mut ir = example_json();
        let mut paths = Vec::new();
        leaves(&ir, String::new(), &mut paths);
        for (at, value) in edits {
            let path = &paths[at.index(paths.len())];
            if let Some(slot) = ir.pointer_mut(path) {
                *slot = value;
            }
        }
        fuzz::policy_load(ir.to_string().as_bytes());
    }
}

#[test]
fn route_names_the_file_the_place_and_the_fix() {
    let dir = std::env::temp_dir().join(format!("leadroute-policy-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("edited.json");
    let ir = with("/routes/0/rules/1/action", json!({ "kind": "queue", "queue": 42 }));
    std::fs::write(&path, serde_json::to_string_pretty(&ir).expect("JSON")).expect("written");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_leadroute"))
        .args(["route", &path.display().to_string(), "--leads", "examples/leads.ndjson", "--now", fuzz::FUZZ_NOW])
        .output()
        .expect("leadroute runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(out.stdout.is_empty());
    for part in ["edited.json", "$.routes[0].rules[1].action.queue", "queue 42", "rebuild"] {
        assert!(stderr.contains(part), "stderr names `{part}`: {stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
}
