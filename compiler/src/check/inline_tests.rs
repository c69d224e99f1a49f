//! Checks of inline `test` blocks: the lead against the schema, rep state, expectations.

use std::collections::BTreeMap;

use super::suggest::help_for;
use super::symbols::{Symbols, Ty};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// The rep-state fields a test may set, with their types.
pub const STATE_FIELDS: &[(&str, &str)] = &[
    ("active", "bool"),
    ("out_of_office_until", "time"),
    ("open_load", "int"),
    ("assigned_today", "int"),
];

/// Whether a written value fits a type; the error says what was found.
pub fn value_matches(v: &Value, ty: &Ty, syms: &Symbols) -> Result<(), String> {
    let found = match &v.kind {
        ValueKind::Str(_) => "a string",
        ValueKind::Int(_) => "a whole number",
        ValueKind::Float(_) => "a number",
        ValueKind::Bool(_) => "a bool",
        ValueKind::Null => "`null`",
        ValueKind::List(_) => "a list",
        ValueKind::Name(_) => "a bare name",
    };
    let ok = match (ty, &v.kind) {
        (Ty::Error, _) => true,
        (Ty::Str, ValueKind::Str(_)) | (Ty::Int, ValueKind::Int(_)) | (Ty::Bool, ValueKind::Bool(_)) => true,
        (Ty::Float, ValueKind::Int(_) | ValueKind::Float(_)) => true,
        (Ty::Time, ValueKind::Str(s)) => {
            return s.parse::<jiff::Timestamp>().map(|_| ()).map_err(|_| {
                format!("`{s}` is not an RFC 3339 time like \"2026-11-24T15:00:00Z\"")
            })
        }
        (Ty::Enum(e), ValueKind::Name(n) | ValueKind::Str(n)) => {
            if syms.variant_index(e, n).is_some() {
                return Ok(());
            }
            let variants: Vec<&str> = syms.enums.get(e).map(|d| d.variants.iter().map(|v| v.name.as_str()).collect()).unwrap_or_default();
            return Err(format!("`{n}` is not a variant of `{e}`; {}", help_for(n, "variant", variants)));
        }
        (Ty::List(elem), ValueKind::List(items)) => {
            for item in items {
                value_matches(item, elem, syms)?;
            }
            true
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("expected a `{}`, found {found}", ty.name()))
    }
}

/// Checks every inline test.
pub fn tests(syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    for test in &syms.tests {
        check_test(test, syms, diags);
    }
}

fn check_test(test: &TestDecl, syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    let mut lead: Option<&Record> = None;
    let mut prior: Option<&Record> = None;
    let mut now: Option<Span> = None;
    let mut expects: Vec<&Expectation> = Vec::new();
    for item in &test.items {
        match item {
            TestItem::Now(s) => {
                if let Some(first) = now.replace(s.span) {
                    diags.push(twice("now", s.span, first));
                }
                if s.value.parse::<jiff::Timestamp>().is_err() {
                    diags.push(
                        Diagnostic::new(Code::E0003, s.span, format!("`{}` is not an RFC 3339 time", s.value))
                            .label("cannot read this time")
                            .help("write a full time with its offset: \"2026-11-24T15:00:00Z\" or \"2026-11-24T10:00:00-05:00\""),
                    );
                }
            }
            TestItem::Lead(r) => {
                if let Some(first) = lead.replace(r) {
                    diags.push(twice("lead", r.span, first.span));
                }
                check_lead(r, syms, diags);
            }
            TestItem::State(entries) => check_state(entries, syms, diags),
            TestItem::Expect(e) => expects.extend(e),
            TestItem::Prior(r) => {
                if let Some(first) = prior.replace(r) {
                    diags.push(twice("prior", r.span, first.span));
                }
                check_prior(r, syms, diags);
            }
            TestItem::Breach(b) => {
                let refs: Vec<&Expectation> = b.expect.iter().collect();
                check_expectations(&refs, syms, diags);
                if syms.sla.iter().all(|h| h.event.kind != SlaEventKind::Breach) {
                    diags.push(
                        Diagnostic::new(Code::E0028, b.span, "this test breaches the SLA, but the policy has no `on sla_breach` handler")
                            .label("nothing would happen")
                            .help("add `on sla_breach(TIER) -> reassign` (or `queue Q`), or remove this line"),
                    );
                }
            }
        }
    }
    if lead.is_none() {
        diags.push(
            Diagnostic::new(Code::E0028, test.name.span, "this test has no lead")
                .label("nothing to route")
                .help("add `lead { id: \"L1\", ... }` with every required field"),
        );
    }
    if expects.is_empty() {
        diags.push(
            Diagnostic::new(Code::E0028, test.name.span, "this test expects nothing")
                .label("no `expect`")
                .help("say what must happen: `expect team ae_west, tier hot`"),
        );
    }
    check_expectations(&expects, syms, diags);
}

/// `prior { lead: "L-1", owner: alice, at: "2026-11-20T10:00:00Z" }`: a lead id,
/// a rep, a time, in a policy that handles duplicates.
fn check_prior(r: &Record, syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    let bad = |span: Span, message: String, help: &str| Diagnostic::new(Code::E0028, span, message).label("in this `prior`").help(help.to_string());
    if syms.duplicates.is_empty() {
        diags.push(bad(r.span, "this test gives an earlier lead, but the policy has no `on duplicate(...)` handler".into(), "add `on duplicate(within 30d) -> assign previous owner else continue`, or remove the `prior`"));
    }
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for f in &r.fields {
        if let Some(first) = seen.insert(&f.name.name, f.name.span) {
            diags.push(twice(&f.name.name, f.name.span, first));
            continue;
        }
        match (f.name.name.as_str(), &f.value.kind) {
            ("lead", ValueKind::Str(_)) => {}
            ("at", ValueKind::Str(t)) if t.parse::<jiff::Timestamp>().is_ok() => {}
            ("at", _) => diags.push(bad(f.value.span, "`at` must be an RFC 3339 time".into(), "when the earlier lead was decided: `at: \"2026-11-20T10:00:00Z\"`")),
            ("owner", ValueKind::Name(rep) | ValueKind::Str(rep)) => {
                if !syms.reps.contains_key(rep) {
                    let id = Ident { name: rep.clone(), span: f.value.span };
                    diags.push(super::flow::unknown(&id, "rep", syms.reps.keys().map(String::as_str)));
                }
            }
            ("lead", _) | ("owner", _) => diags.push(bad(f.value.span, format!("`{}` must be a name", f.name.name), "`lead: \"L-1\"`, `owner: alice`")),
            (other, _) => diags.push(bad(f.name.span, format!("`prior` has no field `{other}`"), "give `lead`, `at` and optionally `owner`")),
        }
    }
    for need in ["lead", "at"] {
        if !seen.contains_key(need) {
            diags.push(bad(r.span, format!("this `prior` has no `{need}`"), "give `lead: \"L-1\"` and `at: \"2026-11-20T10:00:00Z\"`"));
        }
    }
}

fn twice(what: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::new(Code::E0010, span, format!("`{what}` is given twice in this test"))
        .label("second one")
        .with_secondary(first, "first one here")
        .help("keep one")
}

fn check_lead(r: &Record, syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for f in &r.fields {
        if let Some(first) = seen.insert(&f.name.name, f.name.span) {
            diags.push(twice(&f.name.name, f.name.span, first));
            continue;
        }
        let Some(info) = syms.fields.get(&f.name.name) else {
            diags.push(
                Diagnostic::new(Code::E0028, f.name.span, format!("the test lead has unknown field `{}`", f.name.name))
                    .label("not in the schema")
                    .help(help_for(&f.name.name, "field", syms.fields.keys().map(String::as_str))),
            );
            continue;
        };
        if f.value.kind == ValueKind::Null {
            if !info.optional {
                diags.push(
                    Diagnostic::new(Code::E0028, f.value.span, format!("`{}` is required and cannot be `null`", f.name.name))
                        .label("required field")
                        .help(format!("give a `{}` value", info.ty.name())),
                );
            }
            continue;
        }
        if let Err(why) = value_matches(&f.value, &info.ty, syms) {
            diags.push(
                Diagnostic::new(Code::E0028, f.value.span, format!("test lead field `{}`: {why}", f.name.name))
                    .label(format!("`{}` is a `{}`", f.name.name, info.ty.name()))
                    .with_secondary(info.decl.span, "declared here")
                    .help(format!("give a `{}` value", info.ty.name())),
            );
        }
    }
    let missing: Vec<&str> = syms
        .fields
        .iter()
        .filter(|(n, f)| !f.optional && !seen.contains_key(n.as_str()))
        .map(|(n, _)| n.as_str())
        .collect();
    if !missing.is_empty() {
        let list = missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ");
        diags.push(
            Diagnostic::new(Code::E0028, r.span, format!("the test lead lacks required field{} {list}", if missing.len() == 1 { "" } else { "s" }))
                .label("incomplete lead")
                .help("a real lead without them would be rejected; add them"),
        );
    }
}

fn check_state(entries: &[RepStateEntry], syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    for e in entries {
        if !syms.reps.contains_key(&e.rep.name) {
            diags.push(
                Diagnostic::new(Code::E0028, e.rep.span, format!("the test state names unknown rep `{}`", e.rep.name))
                    .label("no rep has this name")
                    .help(help_for(&e.rep.name, "rep", syms.reps.keys().map(String::as_str))),
            );
        }
        for f in &e.record.fields {
            let Some((_, ty)) = STATE_FIELDS.iter().find(|(n, _)| *n == f.name.name) else {
                diags.push(
                    Diagnostic::new(Code::E0028, f.name.span, format!("unknown rep state field `{}`", f.name.name))
                        .label("not a rep state field")
                        .help(help_for(&f.name.name, "state field", STATE_FIELDS.iter().map(|s| s.0))),
                );
                continue;
            };
            let ty = match *ty {
                "bool" => Ty::Bool,
                "time" => Ty::Time,
                _ => Ty::Int,
            };
            let negative = matches!(f.value.kind, ValueKind::Int(n) if n < 0);
            if let Err(why) = value_matches(&f.value, &ty, syms).and(if negative { Err("it cannot be negative".into()) } else { Ok(()) }) {
                diags.push(
                    Diagnostic::new(Code::E0028, f.value.span, format!("rep state `{}`: {why}", f.name.name))
                        .label(format!("`{}` is a `{}`", f.name.name, ty.name()))
                        .help(format!("give a `{}` value", ty.name())),
                );
            }
        }
    }
}

fn check_expectations(expects: &[&Expectation], syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    let mut by_kind: BTreeMap<ExpectKind, &Expectation> = BTreeMap::new();
    for e in expects {
        if let Some(name) = &e.name {
            let (what, known): (&str, Vec<&str>) = match e.kind {
                ExpectKind::Team => ("team", syms.teams.keys().map(String::as_str).collect()),
                ExpectKind::Rep => ("rep", syms.reps.keys().map(String::as_str).collect()),
                ExpectKind::Queue => ("queue", syms.queues.keys().map(String::as_str).collect()),
                ExpectKind::Tier => ("tier", syms.tiers.iter().map(|t| t.name.name.as_str()).collect()),
                ExpectKind::Territory => {
                    ("territory", syms.territories.iter().map(|t| t.name.name.as_str()).chain(["none"]).collect())
                }
                _ => ("route", syms.routes.keys().map(String::as_str).collect()),
            };
            if !known.contains(&name.name.as_str()) {
                diags.push(
                    Diagnostic::new(Code::E0004, name.span, format!("the test expects unknown {what} `{}`", name.name))
                        .label(format!("no {what} has this name"))
                        .help(help_for(&name.name, what, known)),
                );
            }
        }
        if let Some(first) = by_kind.insert(e.kind, e) {
            if first.name.as_ref().map(|n| &n.name) != e.name.as_ref().map(|n| &n.name) {
                diags.push(contradiction(e, first));
            }
        }
    }
    // The outcome implied by each expectation: assigned, queued or dropped.
    let outcome = |k: ExpectKind| match k {
        ExpectKind::Team | ExpectKind::Rep | ExpectKind::Assigned => Some("assigned"),
        ExpectKind::Queue | ExpectKind::Queued => Some("queued"),
        ExpectKind::Dropped => Some("dropped"),
        _ => None,
    };
    let mut first_outcome: Option<(&str, &Expectation)> = None;
    for e in expects {
        if let Some(o) = outcome(e.kind) {
            match first_outcome {
                Some((fo, fe)) if fo != o => diags.push(contradiction(e, fe)),
                None => first_outcome = Some((o, e)),
                _ => {}
            }
        }
    }
}

fn contradiction(e: &Expectation, first: &Expectation) -> Diagnostic {
    Diagnostic::new(Code::E0028, e.span, "this expectation contradicts an earlier one")
        .label("cannot both hold")
        .with_secondary(first.span, "earlier expectation")
        .help("a lead has one outcome: keep the one you mean")
}
