//! Checks of the declarations that hold data: header, schema, enums, sets, reps, teams, queues.

use std::collections::BTreeMap;

use super::suggest::help_for;
use super::symbols::{FieldInfo, Symbols, Ty};
use super::types::{Env, TypeChecker};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// Names a schema field may not take: they are values inside conditions.
pub const RESERVED_FIELDS: &[&str] = &["tier", "territory", "now"];

/// The allocation strategies a team can use.
pub const STRATEGIES: &[(&str, &str)] = &[
    ("round_robin", "each available rep in turn"),
    ("weighted", "smooth weighted round robin by rep weight"),
    ("capacity", "the available rep with the lowest load relative to capacity"),
    ("sticky", "the rep named by a lead field, when available: `sticky(account_owner)`"),
];

/// Reports a property given twice. `key` names what must be unique (None: may repeat).
pub fn duplicate_props<V>(props: &[Prop<V>], what: &str, key: impl Fn(&Prop<V>) -> Option<String>, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    for p in props {
        let Some(k) = key(p) else { continue };
        if let Some(first) = seen.get(&k) {
            diags.push(
                Diagnostic::new(Code::E0010, p.span, format!("`{k}` is given twice for {what}"))
                    .label("second value")
                    .with_secondary(*first, "first value here")
                    .help("keep one of them"),
            );
        } else {
            seen.insert(k, p.span);
        }
    }
}

/// Checks that a string names an IANA time zone.
pub fn time_zone(tz: &StrLit, diags: &mut Vec<Diagnostic>) {
    if jiff::tz::TimeZone::get(&tz.value).is_err() {
        diags.push(
            Diagnostic::new(Code::E0027, tz.span, format!("unknown time zone `{}`", tz.value))
                .label("not an IANA time zone")
                .help(time_zone_help(&tz.value)),
        );
    }
}

/// The IANA names nearest to a misspelt one (at most three), else examples.
fn time_zone_help(wrong: &str) -> String {
    let names: Vec<String> = jiff::tz::db().available().map(|n| n.as_str().to_string()).collect();
    // Best first; ties by name, so the help never depends on the database's order.
    let mut near = crate::check::suggest::nearest(wrong, names.iter().map(String::as_str), 0.88);
    // Only names about as close as the best one: a clear winner is named alone.
    let best = near.first().map_or(0.0, |n| n.0);
    near.retain(|n| n.0 >= best - 0.02);
    near.truncate(3);
    match near.as_slice() {
        [] => "use an IANA name like \"America/New_York\", \"Europe/Berlin\" or \"UTC\"".to_string(),
        [(_, one)] => format!("did you mean \"{one}\"?"),
        many => format!("did you mean one of {}?", many.iter().map(|(_, n)| format!("\"{n}\"")).collect::<Vec<_>>().join(", ")),
    }
}

/// Resolves the schema's field types into the symbol table.
pub fn resolve_schema<'a>(syms: &mut Symbols<'a>, diags: &mut Vec<Diagnostic>) {
    let Some(schema) = syms.schema else { return };
    for field in &schema.fields {
        if RESERVED_FIELDS.contains(&field.name.name.as_str()) {
            diags.push(
                Diagnostic::new(Code::E0011, field.name.span, format!("`{}` is a reserved name", field.name.name))
                    .label("cannot be a field name")
                    .help(format!("`{}` is a builtin value in conditions; rename the field, e.g. `lead_{}`", field.name.name, field.name.name)),
            );
            continue;
        }
        if let Some(first) = syms.fields.get(&field.name.name) {
            diags.push(
                Diagnostic::new(Code::E0010, field.name.span, format!("field `{}` is declared twice", field.name.name))
                    .label("second declaration")
                    .with_secondary(first.decl.span, "first declared here")
                    .help("remove one of them"),
            );
            continue;
        }
        let ty = resolve_type(&field.ty, syms, diags);
        syms.fields.insert(field.name.name.clone(), FieldInfo { decl: field, ty, optional: field.ty.optional });
    }
    syms.note_example_fields();
    match syms.fields.get("id") {
        Some(f) if f.ty == Ty::Str && !f.optional => {}
        Some(f) => diags.push(
            Diagnostic::new(Code::E0030, f.decl.span, "the lead `id` must be a required `string`")
                .label(format!("declared as `{}{}`", f.ty.name(), if f.optional { "?" } else { "" }))
                .help("declare it as `id: string`"),
        ),
        None => diags.push(
            Diagnostic::new(Code::E0030, schema.name.span, "the schema has no `id` field")
                .label("every decision names its lead by `id`")
                .help("add `id: string` to the schema"),
        ),
    }
}

fn resolve_type(t: &TypeExpr, syms: &Symbols, diags: &mut Vec<Diagnostic>) -> Ty {
    match &t.kind {
        TypeKind::List(inner) => {
            if inner.optional {
                diags.push(
                    Diagnostic::new(Code::E0007, inner.span, "list items cannot be optional")
                        .label("`?` inside `list<...>`")
                        .help("make the list itself optional instead: `list<string>?`"),
                );
            }
            Ty::List(Box::new(resolve_type(inner, syms, diags)))
        }
        TypeKind::Named(n) => match n.name.as_str() {
            "string" => Ty::Str,
            "int" => Ty::Int,
            "float" => Ty::Float,
            "bool" => Ty::Bool,
            "time" => Ty::Time,
            other if syms.enums.contains_key(other) => Ty::Enum(other.to_string()),
            other => {
                let builtins = ["string", "int", "float", "bool", "time", "list"];
                let names = builtins.into_iter().chain(syms.enums.keys().map(String::as_str));
                diags.push(
                    Diagnostic::new(Code::E0007, n.span, format!("unknown type `{other}`"))
                        .label("not a builtin type or a declared enum")
                        .help(help_for(other, "type", names)),
                );
                Ty::Error
            }
        },
    }
}

/// Checks the policy header; returns the entry route's name when one is known.
pub fn header(syms: &Symbols, modules_empty: bool, diags: &mut Vec<Diagnostic>) -> Option<String> {
    let Some(h) = syms.header else {
        if !modules_empty {
            diags.push(
                Diagnostic::unlocated(Code::E0025, "the policy has no `policy` header")
                    .help("add `policy NAME { owner \"you@example.com\" timezone \"UTC\" }` to one file"),
            );
        }
        return None;
    };
    duplicate_props(&h.props, "the policy", |p| Some(p.key.name.clone()), diags);
    let mut entry = None;
    for p in &h.props {
        match &p.value {
            PolicyProp::Timezone(tz) => time_zone(tz, diags),
            PolicyProp::Owner(o) if o.value.trim().is_empty() => diags.push(
                Diagnostic::new(Code::E0027, o.span, "the policy owner is empty")
                    .label("empty owner")
                    .help("name who answers for this policy: `owner \"revops@acme.example\"`"),
            ),
            PolicyProp::Owner(_) => {}
            PolicyProp::Entry(r) => {
                if syms.routes.contains_key(&r.name) {
                    entry = Some(r.name.clone());
                } else {
                    diags.push(
                        Diagnostic::new(Code::E0004, r.span, format!("unknown route `{}`", r.name))
                            .label("the entry must be a declared route")
                            .help(help_for(&r.name, "route", syms.routes.keys().map(String::as_str))),
                    );
                }
            }
        }
    }
    if entry.is_none() && !h.props.iter().any(|p| matches!(p.value, PolicyProp::Entry(_))) {
        match syms.routes.len() {
            1 => entry = syms.routes.keys().next().cloned(),
            0 => {}
            _ => diags.push(
                Diagnostic::new(Code::E0029, h.name.span, "several routes are declared and none is the entry")
                    .label("no `entry` in this header")
                    .help(format!(
                        "name the route every lead starts in: `entry {}`",
                        syms.routes.keys().next().map_or("inbound", String::as_str)
                    )),
            ),
        }
    }
    entry
}

/// Checks enums and named sets.
pub fn enums_and_sets(syms: &Symbols, tc: &mut TypeChecker) {
    for e in syms.enums.values() {
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for v in &e.variants {
            if let Some(first) = seen.insert(&v.name, v.span) {
                tc.diags.push(
                    Diagnostic::new(Code::E0010, v.span, format!("variant `{}` is listed twice in enum `{}`", v.name, e.name.name))
                        .label("second time")
                        .with_secondary(first, "first here")
                        .help("remove one of them"),
                );
            }
        }
        if e.variants.is_empty() {
            tc.diags.push(
                Diagnostic::new(Code::E0027, e.name.span, format!("enum `{}` has no variants", e.name.name))
                    .label("empty enum")
                    .help("list its values: `enum Source { chat, web }`"),
            );
        }
    }
    for set in syms.sets.values() {
        let mut first_ty: Option<(Ty, Span)> = None;
        for item in &set.items {
            if !matches!(item.kind, ExprKind::Lit(_)) {
                // Enum variants are allowed too: they type against the first item's enum.
                if !matches!(item.kind, ExprKind::Name(_)) {
                    tc.diags.push(
                        Diagnostic::new(Code::E0012, item.span, "a set holds plain values")
                            .label("not a literal")
                            .help("write literals: `set west = [\"CA\", \"OR\", \"WA\"]`"),
                    );
                    continue;
                }
            }
            let hint = first_ty.as_ref().map(|(t, _)| t.clone());
            let ty = match (&item.kind, &hint) {
                (ExprKind::Name(n), None) => match syms.enum_with_variant(n) {
                    Some(e) => Ty::Enum(e.name.name.clone()),
                    None => {
                        tc.diags.push(
                            Diagnostic::new(Code::E0006, item.span, format!("`{n}` is not a variant of any enum"))
                                .label("unknown value")
                                .help("quote text values: \"...\""),
                        );
                        Ty::Error
                    }
                },
                _ => tc.expr(item, &Env::default(), hint.as_ref()),
            };
            match &first_ty {
                None => first_ty = Some((ty, item.span)),
                Some((ft, fspan)) if !ft.compatible(&ty) => tc.diags.push(
                    Diagnostic::new(Code::E0012, item.span, format!("set `{}` mixes `{}` and `{}`", set.name.name, ft.name(), ty.name()))
                        .label(format!("this is {}", super::types::a_ty(&ty.name())))
                        .with_secondary(*fspan, format!("this is {}", super::types::a_ty(&ft.name())))
                        .help("a set holds values of one type"),
                ),
                _ => {}
            }
        }
    }
}

/// Checks reps: property values, time zones, hours.
pub fn reps(syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    for rep in syms.reps.values() {
        let what = format!("rep `{}`", rep.name.name);
        duplicate_props(
            &rep.props,
            &what,
            |p| match &p.value {
                RepProp::Hours(_) | RepProp::Calendar(_) => None,
                // `per day` and `per shift` are one cap counted two ways: give one of them.
                RepProp::Capacity { per_day, per_shift, .. } => Some(if *per_day || *per_shift { "capacity per day/shift" } else { "capacity open" }.to_string()),
                _ => Some(p.key.name.clone()),
            },
            diags,
        );
        for p in &rep.props {
            match &p.value {
                RepProp::Email(e) if !e.value.contains('@') => diags.push(
                    Diagnostic::new(Code::E0027, e.span, format!("`{}` is not an email address", e.value))
                        .label("no `@`")
                        .help("write the rep's address: `email \"alice@acme.example\"`"),
                ),
                RepProp::Weight(w) if w.value < 1 => diags.push(
                    Diagnostic::new(Code::E0027, w.span, format!("weight {} is below 1", w.value))
                        .label("weights start at 1")
                        .help("use `active false` to stop a rep getting leads"),
                ),
                RepProp::Capacity { amount, .. } if amount.value < 1 => diags.push(
                    Diagnostic::new(Code::E0027, amount.span, format!("capacity {} is below 1", amount.value))
                        .label("a rep with no capacity never gets a lead")
                        .help("use `active false` to stop a rep getting leads"),
                ),
                RepProp::Timezone(tz) => time_zone(tz, diags),
                RepProp::Hours(h) => super::schedule::hours(h, diags),
                RepProp::Calendar(c) => super::schedule::calendar_ref(c, syms, diags),
                _ => {}
            }
        }
    }
}

/// Checks teams: members, duplicates, strategy.
pub fn teams(syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    for team in syms.teams.values() {
        let what = format!("team `{}`", team.name.name);
        duplicate_props(&team.props, &what, |p| (!matches!(p.value, TeamProp::Hours(_) | TeamProp::Calendar(_))).then(|| p.key.name.clone()), diags);
        super::schedule::parts(team.props.iter().filter_map(|p| p.value.schedule()), syms, diags);
        let members: Vec<&Ident> = team
            .props
            .iter()
            .filter_map(|p| match &p.value {
                TeamProp::Members(m) => Some(m),
                _ => None,
            })
            .flatten()
            .collect();
        if members.is_empty() {
            diags.push(
                Diagnostic::new(Code::E0018, team.name.span, format!("team `{}` has no members", team.name.name))
                    .label("empty team")
                    .help("list its reps: `members [alice, bob]`"),
            );
        }
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for m in &members {
            if let Some(first) = seen.insert(&m.name, m.span) {
                diags.push(
                    Diagnostic::new(Code::E0019, m.span, format!("rep `{}` is listed twice in team `{}`", m.name, team.name.name))
                        .label("second time")
                        .with_secondary(first, "first here")
                        .help("list each rep once; use `weight` to give a rep more leads"),
                );
            } else if !syms.reps.contains_key(&m.name) {
                diags.push(
                    Diagnostic::new(Code::E0004, m.span, format!("unknown rep `{}`", m.name))
                        .label("no rep has this name")
                        .help(help_for(&m.name, "rep", syms.reps.keys().map(String::as_str))),
                );
            }
        }
        for p in &team.props {
            if let TeamProp::Strategy(s) = &p.value {
                strategy(s, syms, diags);
            }
        }
    }
}

/// Checks a strategy reference (in a team or after `assign team T by`).
pub fn strategy(s: &StrategyRef, syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    let name = s.name.name.as_str();
    if !STRATEGIES.iter().any(|(n, _)| *n == name) {
        diags.push(
            Diagnostic::new(Code::E0020, s.name.span, format!("unknown strategy `{name}`"))
                .label("not an allocation strategy")
                .help(help_for(name, "strategy", STRATEGIES.iter().map(|s| s.0))),
        );
        return;
    }
    match (name, &s.arg) {
        ("sticky", None) => diags.push(
            Diagnostic::new(Code::E0033, s.span, "`sticky` needs the field that names the owner")
                .label("no field given")
                .help("write `sticky(account_owner)` with a string field holding a rep id"),
        ),
        ("sticky", Some(f)) => match syms.fields.get(&f.name) {
            Some(info) if info.ty == Ty::Str => {}
            Some(info) => diags.push(
                Diagnostic::new(Code::E0033, f.span, format!("`{}` is a `{}`, not a rep id", f.name, info.ty.name()))
                    .label("must be a string field")
                    .help("`sticky(field)` takes a string field holding a rep id"),
            ),
            None => diags.push(
                Diagnostic::new(Code::E0005, f.span, format!("unknown field `{}`", f.name))
                    .label("not a field of the lead schema")
                    .help(help_for(&f.name, "field", syms.fields.keys().map(String::as_str))),
            ),
        },
        (_, Some(a)) => diags.push(
            Diagnostic::new(Code::E0033, a.span, format!("strategy `{name}` takes no argument"))
                .label("unexpected argument")
                .help(format!("write `strategy {name}`")),
        ),
        _ => {}
    }
}

/// Checks queues.
pub fn queues(syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    for q in syms.queues.values() {
        let what = format!("queue `{}`", q.name.name);
        duplicate_props(&q.props, &what, |p| (!matches!(p.value, QueueProp::Hours(_) | QueueProp::Calendar(_))).then(|| p.key.name.clone()), diags);
        super::schedule::parts(q.props.iter().filter_map(|p| p.value.schedule()), syms, diags);
    }
}
