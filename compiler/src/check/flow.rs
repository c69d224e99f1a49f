//! Checks of what decides a lead: tiers, territories, routes, actions and exception handlers.

use std::collections::{BTreeMap, BTreeSet};

use super::decls::strategy;
use super::fingerprint::{keyed, Fingerprint};
use super::inline_tests::value_matches;
use super::suggest::help_for;
use super::symbols::{Symbols, Ty};
use super::types::{facts, Env, TypeChecker};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// The exceptions a handler can name (besides `missing(field)`).
pub const EXCEPTIONS: &[(&str, &str)] = &[
    ("ambiguous_territory", "more than one territory matched the lead"),
    ("no_available_rep", "an `assign` found nobody available"),
    ("over_capacity", "`assign rep` / `assign owner` named a rep at a capacity cap"),
    ("no_match", "no tier matched, or `assign owner(field)` named no known rep"),
];

/// What the actions refer to, for the unused-declaration warnings.
#[derive(Debug, Default)]
pub struct Refs {
    /// Queues some action sends leads to.
    pub queues: BTreeSet<String>,
    /// Reps some `assign rep` names.
    pub reps: BTreeSet<String>,
    /// Fields some `assign owner(field)` reads: any active rep may be named there.
    pub owner_fields: BTreeSet<String>,
    /// Route -> routes its rules send leads to, with the action's span.
    pub edges: BTreeMap<String, Vec<(String, Span)>>,
    /// Routes handlers send leads to.
    pub handler_routes: BTreeSet<String>,
}

/// Checks tiers in order. Under `key` (an editor's re-check), a condition
/// that checked clean under the same key and the same fields proven present
/// by the tiers before it is not checked again, as for territories.
pub fn tiers(syms: &Symbols, nothing_parsed: bool, tc: &mut TypeChecker, key: Option<&Fingerprint>) {
    let mut env = Env::default();
    let mut catch_all: Option<&TierDecl> = None;
    for tier in &syms.tiers {
        if let Some(first) = catch_all {
            tc.diags.push(
                Diagnostic::new(Code::W0002, tier.name.span, format!("tier `{}` can never match", tier.name.name))
                    .label("comes after the `otherwise` tier")
                    .with_secondary(first.span, format!("`{}` already takes every remaining lead", first.name.name))
                    .help("move the `otherwise` tier last"),
            );
        }
        match &tier.guard {
            Guard::When(e) => {
                let key = key.map(|k| keyed((k.of_condition(&tier.memo, e), &env.present)));
                check_clean(tc, &tier.memo, key, |tc| tc.condition(e, &env));
                let proven = facts(e, false);
                if !proven.is_empty() {
                    env = env.with(proven);
                }
            }
            Guard::Otherwise(_) => catch_all = catch_all.or(Some(tier)),
        }
    }
    if syms.tiers.is_empty() && !nothing_parsed {
        tc.diags.push(
            Diagnostic::unlocated(Code::E0026, "the policy declares no tiers")
                .help("every lead needs a tier for its SLA: add `tier standard otherwise sla 24h`"),
        );
    }
    // Gaps between the tiers are found by `analysis::reach::tiers`.
    let _ = catch_all;
}

/// Checks territory conditions.
///
/// Under `key` (an editor's re-check: [`Fingerprint`]), a condition
/// that checked clean under the same key is not checked again: its
/// territory's memo keeps the sets it uses (a condition with findings is
/// checked every time, since their places move with the text).
pub fn territories(syms: &Symbols, tc: &mut TypeChecker, key: Option<&Fingerprint>) {
    for t in &syms.territories {
        let key = key.map(|k| k.of_condition(&t.memo, &t.condition));
        check_clean(tc, &t.memo, key, |tc| tc.condition(&t.condition, &Env::default()));
    }
}

/// [`checked_clean`] for a condition that refers to nothing but sets.
fn check_clean(tc: &mut TypeChecker, memo: &Memo, key: Option<u64>, check: impl FnOnce(&mut TypeChecker)) {
    checked_clean(tc, &mut Refs::default(), memo, key, Span::default(), |tc, _| check(tc));
}

/// Checks every route's rules and actions; returns what they refer to.
///
/// Under `key` (an editor's re-check: [`Fingerprint`]), a route that
/// checked clean under the same key (the schema, enums and tables, the
/// sets and `missing` handlers its rules name) and the same names of
/// teams, reps, queues, routes, tiers and territories is not checked
/// again: its memo keeps what it refers to, with the places of its `route`
/// actions relative to its own start.
pub fn routes(syms: &Symbols, tc: &mut TypeChecker, refs: &mut Refs, key: Option<&Fingerprint>) {
    let keys = key.map(|k| (k, names_key(syms, k.base())));
    for route in syms.routes.values() {
        let key = keys.map(|(k, names)| keyed((names, k.of_route(route))));
        checked_clean(tc, refs, &route.memo, key, route.span, |tc, refs| route_rules(route, syms, tc, refs, keys));
    }
}

/// What a declaration or rule that checked clean refers to (its `route`
/// actions' places relative to its start) and the sets it uses.
struct Clean {
    refs: Refs,
    used_sets: BTreeSet<String>,
}

/// Runs `check` (which adds what it refers to into the `Refs` it is given)
/// for the declaration or rule that owns `memo` and stands at `at`, unless
/// it checked clean under `key` before: then what it refers to and the
/// sets it uses are counted again, its `route` actions moved with it. A
/// check with findings is run every time (their places move with the
/// text); without a key (no editor cache) every check runs.
fn checked_clean(tc: &mut TypeChecker, refs: &mut Refs, memo: &Memo, key: Option<u64>, at: Span, check: impl FnOnce(&mut TypeChecker, &mut Refs)) {
    let Some(key) = key else {
        check(tc, refs);
        return;
    };
    if let Some(clean) = memo.get::<Clean>(key) {
        add(&mut tc.used_sets, &clean.used_sets);
        refs.merge(&clean.refs, at, |x| at.start.wrapping_add(x));
        return;
    }
    let (diags_before, sets_before) = (tc.diags.len(), std::mem::take(&mut tc.used_sets));
    let mut mine = Refs::default();
    check(tc, &mut mine);
    let used = std::mem::replace(&mut tc.used_sets, sets_before);
    if tc.diags.len() == diags_before {
        let mut kept = Clean { refs: Refs::default(), used_sets: used.clone() };
        kept.refs.merge(&mine, at, |x| x.wrapping_sub(at.start));
        memo.set(key, std::sync::Arc::new(kept));
    }
    tc.used_sets.extend(used);
    if refs.is_empty() {
        *refs = mine;
    } else {
        refs.merge(&mine, at, |x| x);
    }
}

impl Refs {
    /// True when nothing is referred to yet.
    fn is_empty(&self) -> bool {
        self.queues.is_empty() && self.reps.is_empty() && self.owner_fields.is_empty() && self.handler_routes.is_empty() && self.edges.is_empty()
    }

    /// Adds what `more` refers to, its `route` actions' places moved by
    /// `place` (into the file of `at`).
    fn merge(&mut self, more: &Refs, at: Span, place: impl Fn(u32) -> u32) {
        add(&mut self.queues, &more.queues);
        add(&mut self.reps, &more.reps);
        add(&mut self.owner_fields, &more.owner_fields);
        add(&mut self.handler_routes, &more.handler_routes);
        for (from, edges) in &more.edges {
            let into = self.edges.entry(from.clone()).or_default();
            into.extend(edges.iter().map(|(to, s)| (to.clone(), Span::new(at.file, place(s.start) as usize, place(s.end) as usize))));
        }
    }
}

/// Adds the names of `from` not yet in `set` (a long route's rules mostly
/// repeat a few, so most are there already and are not copied).
fn add(set: &mut BTreeSet<String>, from: &BTreeSet<String>) {
    for name in from {
        if !set.contains(name) {
            set.insert(name.clone());
        }
    }
}

/// The part of a route's or rule's key that every route shares: the
/// policy-wide fingerprint and the names an action or a `tier ==` /
/// `territory ==` may refer to.
fn names_key(syms: &Symbols, key: u64) -> u64 {
    let names = [syms.teams.keys().collect::<Vec<_>>(), syms.reps.keys().collect(), syms.queues.keys().collect(), syms.routes.keys().collect()];
    let tiers: Vec<_> = syms.tiers.iter().map(|t| &t.name.name).collect();
    let territories: Vec<_> = syms.territories.iter().map(|t| &t.name.name).collect();
    keyed((key, names, tiers, territories))
}


/// Checks one route's rules and actions.
/// Under `key`, a rule that checked clean under the same key, in the same
/// route and with the same fields proven present before it, is not
/// checked again (typing in a long route changes one rule).
fn route_rules(route: &RouteDecl, syms: &Symbols, tc: &mut TypeChecker, refs: &mut Refs, key: Option<(&Fingerprint, u64)>) {
    let mut env = Env { in_route: true, ..Env::default() };
    let mut otherwise: Option<Span> = None;
    let mut names: rustc_hash::FxHashMap<&str, Span> = Default::default();
    for rule in &route.rules {
        if let Some(n) = &rule.name {
            if let Some(first) = names.insert(&n.name, n.span) {
                tc.diags.push(
                    Diagnostic::new(Code::E0010, n.span, format!("rule name `{}` is used twice in route `{}`", n.name, route.name.name))
                        .label("second rule with this name")
                        .with_secondary(first, "first here")
                        .help("give each rule its own name: decisions report it"),
                );
            }
        }
        if let Some(o) = otherwise {
            tc.diags.push(
                Diagnostic::new(Code::W0002, rule.span, "this rule can never fire")
                    .label("comes after `otherwise`")
                    .with_secondary(o, "`otherwise` already takes every remaining lead")
                    .help("move `otherwise` to the end of the route"),
            );
        }
        if let Guard::Otherwise(s) = &rule.guard {
            otherwise = otherwise.or(Some(*s));
        }
        let rule_key = key.map(|(k, names)| keyed((names, k.of_rule(rule), &route.name.name, &env.present)));
        checked_clean(tc, refs, &rule.memo, rule_key, rule.span, |tc, refs| {
            // The environment is copied only when a guard proves a field present.
            let action_env = match &rule.guard {
                Guard::When(e) => {
                    tc.condition(e, &env);
                    let proven = facts(e, true);
                    (!proven.is_empty()).then(|| env.with(proven))
                }
                Guard::Otherwise(_) => None,
            };
            action(&rule.action, action_env.as_ref().unwrap_or(&env), syms, tc, refs, Place::Route(&route.name.name));
        });
        if let Guard::When(e) = &rule.guard {
            if !can_continue(&rule.action) {
                // What the rule's text proves: kept in its memo (a long route typed into walks every rule).
                let proven = match key {
                    Some(_) => rule.memo.get_or_insert_with(super::fingerprint::TEXT_ONLY, || ProvenWhenFalse(facts(e, false))),
                    None => std::sync::Arc::new(ProvenWhenFalse(facts(e, false))),
                };
                if !proven.0.is_empty() {
                    env = env.with(proven.0.clone());
                }
            }
        }
    }
}

/// The fields a rule's condition proves present when it does not hold: the
/// rules after it see them present (kept in the rule's memo).
struct ProvenWhenFalse(BTreeSet<String>);

/// True when the action can hand the lead back to the next rule (`else continue`).
pub fn can_continue(a: &Action) -> bool {
    match &a.kind {
        ActionKind::Assign { fallback: Some(Fallback::Continue(_)), .. } => true,
        ActionKind::Assign { fallback: Some(Fallback::Action(inner)), .. } => can_continue(inner),
        _ => false,
    }
}

/// Where an action is written: what its `else continue` and `previous owner` may mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place<'r> {
    /// A rule of this route: `else continue` goes on with the next rule.
    Route(&'r str),
    /// An exception handler: it must end somewhere.
    Handler,
    /// `on duplicate(...)`: `previous owner` is known, `else continue` routes normally.
    Duplicate,
    /// An `else` of the duplicate handler: ends like it, but `previous owner` was tried first.
    DuplicateElse,
}

/// Checks one action written at `place`.
pub(crate) fn action(a: &Action, env: &Env, syms: &Symbols, tc: &mut TypeChecker, refs: &mut Refs, place: Place<'_>) {
    let route = match place {
        Place::Route(r) => Some(r),
        Place::Handler | Place::Duplicate | Place::DuplicateElse => None,
    };
    // The duplicate handler ends like a rule: `else continue` routes the lead normally.
    let ends_like_rule = route.is_some() || matches!(place, Place::Duplicate | Place::DuplicateElse);
    match &a.kind {
        ActionKind::Assign { target, fallback } => {
            match target {
                AssignTarget::Team { team, by } => {
                    if !syms.teams.contains_key(&team.name) {
                        tc.diags.push(unknown(team, "team", syms.teams.keys().map(String::as_str)));
                    }
                    if let Some(s) = by {
                        strategy(s, syms, tc.diags);
                    }
                }
                AssignTarget::Rep(rep) => {
                    if !refs.reps.contains(&rep.name) {
                        refs.reps.insert(rep.name.clone());
                    }
                    if !syms.reps.contains_key(&rep.name) {
                        tc.diags.push(unknown(rep, "rep", syms.reps.keys().map(String::as_str)));
                    }
                }
                AssignTarget::Owner(field) => {
                    if !refs.owner_fields.contains(&field.name) {
                        refs.owner_fields.insert(field.name.clone());
                    }
                    let e = Expr { kind: ExprKind::Name(field.name.clone()), span: field.span };
                    let ty = tc.expr(&e, &Env { in_route: false, ..env.clone() }, None);
                    if !matches!(ty, Ty::Str | Ty::Error) {
                        tc.diags.push(
                            Diagnostic::new(Code::E0012, field.span, format!("`{}` is a `{}`, not a rep id", field.name, ty.name()))
                                .label("`owner(...)` needs a string field")
                                .help("name a string field that holds a rep id, like `owner(account_owner)`"),
                        );
                    }
                }
                AssignTarget::Previous(_) if place == Place::Duplicate => {
                    // Any active rep may have owned the earlier lead, as with `owner(field)`.
                    refs.owner_fields.insert("previous owner".into());
                }
                AssignTarget::Previous(span) if place == Place::DuplicateElse => tc.diags.push(
                    Diagnostic::new(Code::E0071, *span, "`previous owner` can only be the duplicate handler's first target")
                        .label("in an `else`")
                        .help("start the handler with it: `on duplicate(within 30d) -> assign previous owner else assign team T else continue`"),
                ),
                AssignTarget::Previous(span) => tc.diags.push(
                    Diagnostic::new(Code::E0071, *span, "`previous owner` is only known inside `on duplicate(...)`")
                        .label("no earlier lead here")
                        .help("assign the earlier lead's owner in `on duplicate(within 30d) -> assign previous owner else continue`; here use `owner(field)`, `rep R` or `team T`"),
                ),
                AssignTarget::OwnerOf(value) => {
                    let env = Env { in_route: false, ..env.clone() };
                    // A miss (no row, an empty cell) is an unknown owner: the fallback handles it.
                    let ty = match &value.kind {
                        ExprKind::Lookup { .. } => tc.lookup(value, &env, true),
                        _ => tc.expr(value, &env, None),
                    };
                    if !matches!(ty, Ty::Str | Ty::Error) {
                        tc.diags.push(
                            Diagnostic::new(Code::E0012, value.span, format!("this is a `{}`, not a rep id", ty.name()))
                                .label("`owner(...)` needs a rep id")
                                .help("give a `rep` column or a string, like `owner(accounts[domain(email)].owner)`"),
                        );
                    }
                }
            }
            match fallback {
                None if ends_like_rule && !syms.has_handler("no_available_rep") => tc.diags.push(
                    Diagnostic::new(Code::E0022, a.span, "this assignment can fail and nothing handles it")
                        .label("nobody may be available")
                        .help("add `else continue`, `else queue Q`, or a policy-wide `on no_available_rep -> queue Q`"),
                ),
                None if !ends_like_rule => tc.diags.push(
                    Diagnostic::new(Code::E0022, a.span, "an assignment inside a handler needs its own `else`")
                        .label("nobody may be available")
                        .help("add `else queue Q` so the handler always ends somewhere"),
                ),
                None => {}
                Some(Fallback::Continue(span)) if !ends_like_rule => tc.diags.push(
                    Diagnostic::new(Code::E0032, *span, "`else continue` cannot be used in a handler")
                        .label("there is no next rule here")
                        .help("end the handler with an action: `else queue Q`"),
                ),
                Some(Fallback::Continue(_)) => {}
                Some(Fallback::Action(inner)) => {
                    let place = if place == Place::Duplicate { Place::DuplicateElse } else { place };
                    action(inner, env, syms, tc, refs, place);
                }
            }
        }
        ActionKind::Queue(q) => {
            if !refs.queues.contains(&q.name) {
                refs.queues.insert(q.name.clone());
            }
            if !syms.queues.contains_key(&q.name) {
                tc.diags.push(unknown(q, "queue", syms.queues.keys().map(String::as_str)));
            }
        }
        ActionKind::Route(r) => {
            if !syms.routes.contains_key(&r.name) {
                tc.diags.push(unknown(r, "route", syms.routes.keys().map(String::as_str)));
            } else if let Some(from) = route {
                let edge = (r.name.clone(), a.span);
                match refs.edges.get_mut(from) {
                    Some(edges) => edges.push(edge),
                    None => drop(refs.edges.insert(from.to_string(), vec![edge])),
                }
            } else {
                refs.handler_routes.insert(r.name.clone());
            }
        }
        ActionKind::Drop(reason) => {
            if reason.value.trim().is_empty() {
                tc.diags.push(
                    Diagnostic::new(Code::E0027, reason.span, "a drop needs a reason")
                        .label("empty reason")
                        .help("say why, for the audit trail: `drop \"test lead\"`"),
                );
            }
        }
    }
}

/// `unknown WHAT `name`` with did-you-mean.
pub(crate) fn unknown<'a>(name: &Ident, what: &str, candidates: impl IntoIterator<Item = &'a str> + Clone) -> Diagnostic {
    Diagnostic::new(Code::E0004, name.span, format!("unknown {what} `{}`", name.name))
        .label(format!("no {what} has this name"))
        .help(help_for(&name.name, what, candidates))
}

/// Reports routes that send leads around in a cycle.
pub fn cycles(syms: &Symbols, refs: &Refs, entry: Option<&str>, diags: &mut Vec<Diagnostic>) {
    // Depth-first search from the entry route, then every other route in name
    // order; each cycle is reported once, at its closing edge.
    let mut done: rustc_hash::FxHashSet<&str> = Default::default();
    for start in entry.into_iter().chain(syms.routes.keys().map(String::as_str)) {
        visit(start, refs, &mut done, diags);
    }
}

/// An assignment in `a` (or its `else` chain) that has no `else` of its own:
/// when it finds nobody, the policy's handler decides.
fn unhandled_assign(a: &Action) -> Option<&Action> {
    match &a.kind {
        ActionKind::Assign { fallback: None, .. } => Some(a),
        ActionKind::Assign { fallback: Some(Fallback::Action(inner)), .. } => unhandled_assign(inner),
        _ => None,
    }
}

/// Routes named by `route` actions in `a` and its `else` chain.
fn routes_of(a: &Action, out: &mut Vec<String>) {
    match &a.kind {
        ActionKind::Route(r) => out.push(r.name.clone()),
        ActionKind::Assign { fallback: Some(Fallback::Action(inner)), .. } => routes_of(inner, out),
        _ => {}
    }
}

/// E0024 for a failure handler that sends leads to a route where an
/// assignment without `else` can fail back into that same handler: a lead
/// would go round for ever.
pub fn handler_loops(syms: &Symbols, refs: &Refs, diags: &mut Vec<Diagnostic>) {
    for h in &syms.handlers {
        let (Exception::Named(exc), HandlerAction::Action(action)) = (&h.exception, &h.action) else { continue };
        if !matches!(exc.name.as_str(), "no_available_rep" | "over_capacity") {
            continue;
        }
        let mut todo = Vec::new();
        routes_of(action, &mut todo);
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            let Some(route) = syms.routes.get(&name) else { continue };
            if let Some(assign) = route.rules.iter().find_map(|r| unhandled_assign(&r.action)) {
                diags.push(
                    Diagnostic::new(Code::E0024, action.span, format!("`on {}` sends leads to route `{name}`, whose assignment can fail back into it", exc.name))
                        .label("a lead could go round for ever")
                        .with_secondary(assign.span, "fails back to the handler: it has no `else`")
                        .help("give that assignment its own `else`, or let the handler end in a queue"),
                );
                break;
            }
            todo.extend(refs.edges.get(&name).into_iter().flatten().map(|(n, _)| n.clone()));
        }
    }
}

/// Most routes of a cycle a message names (a cycle through thousands of
/// routes shows its first and last few).
const CYCLE_SHOWN: usize = 8;

/// The depth-first search of [`cycles`] from `start`, in a loop (a chain of
/// many thousand routes is as deep as it is long), with the routes on the
/// current path hashed by their place on it.
fn visit<'r>(start: &'r str, refs: &'r Refs, done: &mut rustc_hash::FxHashSet<&'r str>, diags: &mut Vec<Diagnostic>) {
    if done.contains(start) {
        return;
    }
    let edges = |node: &str| refs.edges.get(node).map_or([].iter(), |e| e.iter());
    // Each route on the path with the edges it has still to follow.
    let mut path: Vec<(&'r str, std::slice::Iter<'r, (String, Span)>)> = vec![(start, edges(start))];
    let mut on_path: rustc_hash::FxHashMap<&'r str, usize> = Default::default();
    on_path.insert(start, 0);
    while let Some((node, todo)) = path.last_mut() {
        let node = *node;
        let Some((next, span)) = todo.next() else {
            path.pop();
            on_path.remove(node);
            done.insert(node);
            continue;
        };
        if let Some(&pos) = on_path.get(next.as_str()) {
            let mut cycle: Vec<&str> = path[pos..].iter().map(|(n, _)| *n).collect();
            cycle.push(next);
            let cycle = crate::analysis::budget::both_ends(&cycle, " -> ", CYCLE_SHOWN, "routes");
            diags.push(
                Diagnostic::new(Code::E0024, *span, format!("routes call each other in a cycle: {cycle}"))
                    .label(format!("`route {next}` closes the cycle"))
                    .help("a lead would loop forever; end one of these routes with `assign`, `queue` or `drop`"),
            );
        } else if !done.contains(next.as_str()) {
            on_path.insert(next, path.len());
            path.push((next, edges(next)));
        }
    }
}

/// Checks exception handlers.
pub fn handlers(syms: &Symbols, tc: &mut TypeChecker, refs: &mut Refs) {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    for h in &syms.handlers {
        let mut missing_field: Option<Ty> = None;
        let key = match &h.exception {
            Exception::Named(i) => {
                if !EXCEPTIONS.iter().any(|(n, _)| *n == i.name) {
                    tc.diags.push(
                        Diagnostic::new(Code::E0031, i.span, format!("unknown exception `{}`", i.name))
                            .label("not an exception leadroute raises")
                            .help(help_for(&i.name, "exception", EXCEPTIONS.iter().map(|e| e.0).chain(["missing(field)"]))),
                    );
                } else if i.name == "ambiguous_territory" && syms.territories.len() < 2 {
                    tc.diags.push(
                        Diagnostic::new(Code::W0004, i.span, "this handler can never run")
                            .label("fewer than two territories are declared")
                            .help("a lead is ambiguous only when two territories match it"),
                    );
                }
                i.name.clone()
            }
            Exception::Missing { field, .. } => {
                match syms.fields.get(&field.name) {
                    None => tc.diags.push(unknown_field(field, syms)),
                    Some(f) if !f.optional => tc.diags.push(
                        Diagnostic::new(Code::W0004, field.span, format!("`{}` is required, so it is never missing", field.name))
                            .label("required field")
                            .with_secondary(f.decl.span, "declared without `?` here")
                            .help("leads without it are rejected before routing; remove this handler"),
                    ),
                    Some(f) => missing_field = Some(f.ty.clone()),
                }
                format!("missing({})", field.name)
            }
        };
        if let Some(first) = seen.insert(key.clone(), h.exception.span()) {
            tc.diags.push(
                Diagnostic::new(Code::E0010, h.exception.span(), format!("`{key}` is handled twice"))
                    .label("second handler")
                    .with_secondary(first, "first handler here")
                    .help("keep one handler per exception"),
            );
        }
        match &h.action {
            HandlerAction::Assume(v) => match (&h.exception, &missing_field) {
                (Exception::Missing { .. }, Some(ty)) => {
                    if let Err(why) = value_matches(v, ty, syms) {
                        tc.diags.push(
                            Diagnostic::new(Code::E0032, v.span, format!("cannot assume this value: {why}"))
                                .label(format!("expected a `{}`", ty.name()))
                                .help(format!("assume a `{}` value", ty.name())),
                        );
                    }
                }
                (Exception::Missing { .. }, None) => {}
                _ => tc.diags.push(
                    Diagnostic::new(Code::E0032, v.span, "`assume` only fits `on missing(field)`")
                        .label("nothing to assume here")
                        .help("handle this exception with an action: `queue Q`, `assign team T else queue Q`, `drop \"...\"`"),
                ),
            },
            HandlerAction::Action(a) => action(a, &Env::default(), syms, tc, refs, Place::Handler),
        }
    }
}

/// `unknown field` with did-you-mean.
pub fn unknown_field(field: &Ident, syms: &Symbols) -> Diagnostic {
    Diagnostic::new(Code::E0005, field.span, format!("unknown field `{}`", field.name))
        .label("not a field of the lead schema")
        .help(help_for(&field.name, "field", syms.fields.keys().map(String::as_str)))
}

/// Warnings for reps in no team, and queues, sets and routes nothing uses.
pub fn unused(syms: &Symbols, refs: &Refs, used_sets: &BTreeSet<String>, entry: Option<&str>, diags: &mut Vec<Diagnostic>) {
    let in_team: BTreeSet<&str> = syms
        .teams
        .values()
        .flat_map(|t| t.props.iter())
        .filter_map(|p| match &p.value {
            TeamProp::Members(m) => Some(m.iter().map(|i| i.name.as_str())),
            _ => None,
        })
        .flatten()
        .collect();
    // An active rep outside every team still gets leads through `assign owner(...)`:
    // an account owner who is not on a routing team is a policy the checker can see.
    let active = |rep: &RepDecl| !rep.props.iter().any(|p| matches!(&p.value, RepProp::Active(b) if !b.value));
    for rep in syms.reps.values() {
        let owned = !refs.owner_fields.is_empty() && active(rep);
        if !in_team.contains(rep.name.name.as_str()) && !refs.reps.contains(&rep.name.name) && !owned {
            diags.push(
                Diagnostic::new(Code::W0001, rep.name.span, format!("rep `{}` is in no team", rep.name.name))
                    .label("never gets a lead from a team")
                    .help(format!("add `{}` to a team's `members`, or assign to them directly with `assign rep {}`", rep.name.name, rep.name.name)),
            );
        }
    }
    for q in syms.queues.values() {
        if !refs.queues.contains(&q.name.name) {
            diags.push(
                Diagnostic::new(Code::W0003, q.name.span, format!("queue `{}` is never used", q.name.name))
                    .label("no action sends leads here")
                    .help("send leads to it with `queue NAME`, or remove it"),
            );
        }
    }
    for s in syms.sets.values() {
        if !used_sets.contains(&s.name.name) {
            diags.push(
                Diagnostic::new(Code::W0003, s.name.span, format!("set `{}` is never used", s.name.name))
                    .label("no condition tests it")
                    .help("use it with `field in NAME`, or remove it"),
            );
        }
    }
    let Some(entry) = entry else { return };
    let mut reached: BTreeSet<&str> = BTreeSet::new();
    let mut todo: Vec<&str> = vec![entry];
    todo.extend(refs.handler_routes.iter().map(String::as_str));
    while let Some(r) = todo.pop() {
        if reached.insert(r) {
            todo.extend(refs.edges.get(r).into_iter().flatten().map(|(n, _)| n.as_str()));
        }
    }
    for r in syms.routes.values() {
        if !reached.contains(r.name.name.as_str()) {
            diags.push(
                Diagnostic::new(Code::W0003, r.name.span, format!("route `{}` is never used", r.name.name))
                    .label(format!("not reachable from the entry route `{entry}`"))
                    .help(format!("send leads to it with `route {}`, or remove it", r.name.name)),
            );
        }
    }
}
