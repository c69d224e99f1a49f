//! The lean path from JSON text to a decision agrees with the general one:
//! `LeadReader` accepts exactly the leads `Lead::from_json_str` accepts, with
//! the same values, and gives the same errors for the others; deciding a lead
//! it read gives the same decision as deciding the `Lead`, on both backends;
//! and a decision written straight to JSON is the bytes serde writes for it.

mod common;

use std::sync::LazyLock;

use leadroute_runtime::{parse_time, Backend, Engine, Lead, LeadOptions, LeadReader, Policy, State};
use proptest::prelude::*;
use serde_json::{json, Value};

fn compile(name: &str, text: &str) -> leadroute_runtime::ir::PolicyIr {
    common::ir_of(&[(name, text)])
}

/// `examples/inbound.route` on both backends: every field type (string,
/// optional, int, float, enum, time, list), derived values and `since`.
static POLICIES: LazyLock<Vec<Policy>> = LazyLock::new(|| {
    let ir = compile("inbound.route", include_str!("../examples/inbound.route"));
    let mut out = vec![Policy::from_ir_with(ir.clone(), Backend::Interp).expect("loads")];
    if Backend::Jit.unavailable().is_none() {
        out.push(Policy::from_ir_with(ir, Backend::Jit).expect("compiles"));
    }
    out
});

static LINES: LazyLock<Vec<&'static str>> = LazyLock::new(|| include_str!("../examples/leads.ndjson").lines().collect());

fn state(p: &Policy) -> State {
    State::from_json(p.ir(), include_str!("../examples/state.json")).expect("state").0
}

/// One change to a lead's text.
#[derive(Debug, Clone)]
enum Mutation {
    /// Remove the field.
    Drop(String),
    /// Set the field to this JSON value.
    Set(String, Value),
    /// Write the field's key a second time, with this value.
    Repeat(String, Value),
    /// Cut the text after this many bytes (at a character boundary).
    Truncate(usize),
    /// Replace the whole text.
    Whole(String),
    /// Write a field's string value with `\u` escapes.
    Escape(String),
    /// Write a field's key with `\u` escapes.
    EscapeKey(String),
    /// Write the keys in reverse order (the reader guesses each key's field from the last lead's order).
    Reverse,
}

const FIELDS: &[&str] = &[
    "id", "email", "company", "country", "state", "employees", "segment", "intent", "source", "campaign", "account_owner", "created_at",
    "tags", "unknown_field", "other",
];

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop_oneof![Just(5.0), Just(-0.0), Just(1e20), Just(9.1e15), Just(2.5), Just(1000.0)].prop_map(|f| json!(f)),
        prop_oneof![
            Just("US"), Just("CA"), Just("chat"), Just("partner"), Just("enterprise"), Just("nope"), Just(""), Just("ü✓"),
            Just("2026-11-20T10:00:00Z"), Just("2026-11-20"), Just("99999-01-01T00:00:00Z"), Just("alice"), Just("a\"b\\c\n"),
        ]
        .prop_map(|s| json!(s)),
        prop::collection::vec(prop_oneof![Just(json!("vip")), Just(json!("spam")), Just(json!(1)), Just(Value::Null)], 0..4).prop_map(Value::Array),
        Just(json!({"a": 1})),
    ]
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    let field = prop::sample::select(FIELDS).prop_map(String::from);
    prop_oneof![
        3 => field.clone().prop_map(Mutation::Drop),
        6 => (field.clone(), arb_value()).prop_map(|(f, v)| Mutation::Set(f, v)),
        1 => (field.clone(), arb_value()).prop_map(|(f, v)| Mutation::Repeat(f, v)),
        1 => (0usize..300).prop_map(Mutation::Truncate),
        1 => prop_oneof![Just("[]"), Just("null"), Just("\"lead\""), Just("{}"), Just("{\"id\": \"L\"} x"), Just("not json"), Just("")]
            .prop_map(|s| Mutation::Whole(s.to_string())),
        1 => field.clone().prop_map(Mutation::Escape),
        1 => field.prop_map(Mutation::EscapeKey),
        1 => Just(Mutation::Reverse),
    ]
}

fn apply(line: &str, mutations: &[Mutation]) -> String {
    let mut obj: serde_json::Map<String, Value> = serde_json::from_str(line).expect("an example lead");
    let mut repeats = Vec::new();
    let mut escapes = Vec::new();
    let mut key_escapes = Vec::new();
    let mut reversed = false;
    for m in mutations {
        match m {
            Mutation::Drop(f) => {
                obj.remove(f);
            }
            Mutation::Set(f, v) => {
                obj.insert(f.clone(), v.clone());
            }
            Mutation::Repeat(f, v) => repeats.push((f.clone(), v.clone())),
            Mutation::Escape(f) => escapes.push(f.clone()),
            Mutation::EscapeKey(f) => key_escapes.push(f.clone()),
            Mutation::Reverse => reversed = !reversed,
            Mutation::Truncate(_) | Mutation::Whole(_) => {}
        }
    }
    let text = if reversed {
        // Written by hand: a map would sort the keys again.
        let body: Vec<String> = obj.iter().rev().map(|(k, v)| format!("{}:{v}", json!(k))).collect();
        format!("{{{}}}", body.join(","))
    } else {
        Value::Object(obj.clone()).to_string()
    };
    finish(text, &obj, &escapes, &key_escapes, &repeats, mutations)
}

/// The escapes, repeats, truncation and replacement of [`apply`], on the text of the lead object.
fn finish(mut text: String, obj: &serde_json::Map<String, Value>, escapes: &[String], key_escapes: &[String], repeats: &[(String, Value)], mutations: &[Mutation]) -> String {
    let unicode = |s: &str| -> String { s.chars().map(|c| format!("\\u{:04x}", c as u32 & 0xFFFF)).collect() };
    for f in key_escapes {
        text = text.replacen(&format!("{}:", json!(f)), &format!("\"{}\":", unicode(f)), 1);
    }
    for f in escapes {
        if let Some(Value::String(s)) = obj.get(f) {
            text = text.replacen(&format!("{}:{}", json!(f), json!(s)), &format!("{}:\"{}\"", json!(f), unicode(s)), 1);
        }
    }
    for (f, v) in repeats {
        text.pop();
        text.push_str(&format!("{}{}:{}}}", if text.len() > 1 { "," } else { "" }, json!(f), v));
    }
    for m in mutations {
        match m {
            Mutation::Truncate(n) => {
                let mut n = (*n).min(text.len());
                while !text.is_char_boundary(n) {
                    n -= 1;
                }
                text.truncate(n);
            }
            Mutation::Whole(w) => text = w.clone(),
            _ => {}
        }
    }
    text
}

/// The reader and the general path agree on `text` (same lead or same
/// errors); for a valid lead, the decision from the reader is the general
/// one and writes the same JSON bytes. Returns whether the lead was valid.
fn agree(reader: &mut LeadReader, policy: &Policy, text: &str, strict: bool) -> bool {
    let opts = LeadOptions { strict };
    let want = Lead::from_json_str(policy.ir(), text, opts);
    let got = reader.read(policy, text, opts).map(|r| r.lead().clone());
    assert_eq!(got, want, "lead {text}");
    let Ok(lead) = want else { return false };
    let st = state(policy);
    let now = parse_time("2026-11-24T15:00:00Z").expect("time");
    let moment = policy.at(now);
    let read = reader.read(policy, text, opts).expect("read again");
    let compact = policy.decide_read(&read, &st, &moment, false, None);
    let general = policy.decide(&lead, &st, &moment, false);
    assert_eq!(compact.to_decision(), general, "decision for {text}");
    let mut bytes = Vec::new();
    compact.write_json(&mut bytes);
    assert_eq!(String::from_utf8(bytes).expect("UTF-8"), serde_json::to_string(&general).expect("serializes"), "JSON for {text}");
    true
}

fn config(n: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

#[test]
fn reader_agrees_with_the_general_path_on_every_bundled_lead() {
    for policy in POLICIES.iter() {
        let mut reader = LeadReader::new();
        let mut valid = 0;
        for line in LINES.iter() {
            for strict in [false, true] {
                let ok = agree(&mut reader, policy, line, strict);
                valid += usize::from(ok);
                // The last read was the decision's: a valid lead takes the one pass.
                assert_eq!(reader.last_read_was_lean(), ok, "one pass for {line}");
            }
        }
        // 18 of every 600 bundled leads are invalid on purpose.
        assert!(valid > LINES.len(), "most bundled leads are valid ({valid})");
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn reader_agrees_with_the_general_path_on_mutated_leads(
        line in 0usize..600,
        mutations in prop::collection::vec(arb_mutation(), 0..4),
        strict in any::<bool>(),
    ) {
        let text = apply(LINES[line % LINES.len()], &mutations);
        for policy in POLICIES.iter() {
            // A reader that has read another lead first: its buffers hold that lead's values.
            let mut reader = LeadReader::new();
            let _ = reader.read(policy, LINES[(line + 1) % LINES.len()], LeadOptions::default());
            agree(&mut reader, policy, &text, strict);
        }
    }
}

#[test]
fn decisions_written_straight_to_json_match_the_engine_on_both_backends() {
    let now = leadroute_runtime::timestamp_from_ms(parse_time("2026-11-24T15:00:00Z").expect("time")).expect("in range");
    let mut outputs = Vec::new();
    for policy in POLICIES.iter() {
        let (mut lean, mut general) = (Engine::with_state(policy.clone(), state(policy)), Engine::with_state(policy.clone(), state(policy)));
        let mut out = Vec::new();
        for line in LINES.iter() {
            let d = general.route(&serde_json::from_str(line).unwrap_or(Value::Null), now);
            let want = serde_json::to_string(&d).expect("serializes") + "\n";
            out.clear();
            match lean.route_str_json(line, now, None, &mut out) {
                Ok(outcome) => {
                    assert_eq!(outcome, d.outcome);
                    assert_eq!(String::from_utf8(out.clone()).expect("UTF-8"), want, "lead {line}");
                }
                Err(rejected) => assert_eq!(*rejected, d, "lead {line}"),
            }
            outputs.push(want);
        }
        assert_eq!(lean.state(), general.state(), "the same commits");
    }
    // Interpreter and compiled code: the same bytes.
    let (a, b) = outputs.split_at(outputs.len() / POLICIES.len());
    if POLICIES.len() == 2 {
        assert_eq!(a, b);
    }
}
