//! Totality and reachability over tiers, territories and routes, on the
//! predicate analysis: leads that fall through (with an example and its
//! path), rules that can never fire (with the rules that cover them),
//! conditions that never hold, and territories that overlap.

use std::rc::Rc;
use std::sync::Arc;

use super::budget::{both_ends, thousands, work, Budget, REPORT_STEPS};
use super::index::Territories;
use super::predicate::{both, either, hash_terms, negate, Analyzer, Dnf, RouteCtx, Term, MAX_TERMS};
use crate::check::flow::can_continue;
use crate::check::{Fingerprint, Symbols};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::SourceSet;
use crate::syntax::ast::*;

/// Keeps the satisfiable terms of a condition (and gives up past the size limit).
pub(crate) fn prune(an: &Analyzer, d: Dnf) -> Dnf {
    let mut terms: Vec<Term> = d?.into_iter().filter(|t| an.satisfiable(t)).collect();
    terms.dedup();
    (terms.len() <= MAX_TERMS).then_some(terms)
}

/// `a` and `b`, pruned.
pub(crate) fn meet(an: &Analyzer, a: &Dnf, b: &Dnf) -> Dnf {
    prune(an, both(a, b))
}

/// True when the condition certainly holds for no lead.
pub(crate) fn empty(d: &Dnf) -> bool {
    d.as_ref().is_some_and(|t| t.is_empty())
}

/// The first term with no opaque atom, completed to an example lead. Terms
/// that need a field missing whose `missing(field)` handler is an action are
/// skipped: such a lead stops at that handler, not where the example claims.
pub(crate) fn example(an: &Analyzer, d: &Dnf) -> Option<serde_json::Value> {
    example_with(an, d).map(|(_, lead)| lead)
}

/// [`example`], with the constrained fields alone (for a short label).
pub(crate) fn example_with(an: &Analyzer, d: &Dnf) -> Option<(serde_json::Map<String, serde_json::Value>, serde_json::Value)> {
    example_terms(an, d).find_map(|t| {
        let short = an.witness(t)?;
        Some((short.clone(), super::witness::complete(an, &short)))
    })
}

/// True when [`example_with`] finds an example, without building it (a
/// witness exists exactly when the term is satisfiable).
pub(crate) fn has_example(an: &Analyzer, d: &Dnf) -> bool {
    example_terms(an, d).any(|t| an.satisfiable(t))
}

/// The terms an example may come from: no opaque atom, and no field that
/// must be missing where a `missing(field)` handler takes the lead first.
fn example_terms<'d>(an: &'d Analyzer, d: &'d Dnf) -> impl Iterator<Item = &'d Term> + 'd {
    let syms = an.symbols();
    let intercepted = move |f: &str| {
        syms.handlers.iter().any(|h| matches!((&h.exception, &h.action), (Exception::Missing { field, .. }, HandlerAction::Action(_)) if field.name == f))
    };
    d.iter().flatten().filter(move |t| !t.opaque && !t.fields.iter().any(|(f, c)| c.present == Some(false) && intercepted(f)))
}

fn guard_dnf(an: &Analyzer, g: &Guard) -> Dnf {
    match g {
        Guard::When(e) => prune(an, an.dnf(e)),
        Guard::Otherwise(_) => Some(vec![Term::default()]),
    }
}

/// Shadowing and never-true conditions among tiers; leads that match no tier.
///
/// Returns what each tier takes: the leads its condition holds for that no
/// earlier tier took (for [`Analyzer::with_territories`]).
pub fn tiers(an: &Analyzer, diags: &mut Vec<Diagnostic>) -> Vec<Dnf> {
    let syms = an.symbols();
    let mut takes: Vec<Dnf> = Vec::with_capacity(syms.tiers.len());
    // Tiers that take some lead (by index): a tier that takes none covers
    // nothing, so a long run of shadowed tiers is not compared with every one before it.
    let mut before: Vec<usize> = Vec::new();
    let mut rest: Dnf = Some(vec![Term::default()]);
    for (i, t) in syms.tiers.iter().enumerate() {
        // The condition and its negation depend on the tier's text alone (and the schema).
        let cn = an.remember(&t.memo, |f| f.of_guard(&t.memo, &t.guard), || {
            let c = guard_dnf(an, &t.guard);
            let not = negate(&c);
            (c, not)
        });
        let (c, not) = &*cn;
        let fires = meet(an, &rest, c);
        if let Guard::When(e) = &t.guard {
            if empty(c) {
                diags.push(never_holds(e.span, "tier", &t.name.name));
            } else if empty(&fires) {
                let covering: Vec<&str> = before.iter().filter(|&&b| !empty(&meet(an, &takes[b], c))).map(|&b| syms.tiers[b].name.name.as_str()).collect();
                diags.push(covered(t.name.span, "tier", &t.name.name, &covering, "earlier tiers take every lead it would match"));
            }
        }
        rest = meet(an, &rest, not);
        if !empty(&fires) {
            before.push(i);
        }
        takes.push(fires);
    }
    let has_otherwise = syms.tiers.iter().any(|t| matches!(t.guard, Guard::Otherwise(_)));
    if syms.tiers.is_empty() || has_otherwise || syms.has_handler("no_match") {
        return takes;
    }
    if empty(&rest) {
        return takes; // the tiers cover every lead
    }
    let last = syms.tiers.last().map_or(Default::default(), |t| t.span);
    let mut d = Diagnostic::new(Code::E0026, last, "a lead can match no tier");
    d = match example(an, &rest) {
        Some(lead) => d.label(format!("e.g. {lead} matches none of the tiers")).with_example(lead),
        None => d.label("leadroute cannot prove the tiers cover every lead"),
    };
    diags.push(d.help("add `tier standard otherwise sla 24h` last, or handle it: `on no_match -> queue triage`"));
    takes
}

/// Territories whose condition never holds, or that are always ambiguous
/// (overlaps are reported by [`super::overlap`], from where they are raised).
/// More than two territories with the same condition are reported once, on
/// the first of them. Only territories the index found overlapping are
/// tested for covering one another, within [`REPORT_STEPS`].
///
/// Territories that the same territory covers are reported together when
/// there are [`super::overlap::MIN_GROUP`] or more (a territory and the ones
/// nested in it), except those in `allowed` (an `allow W0006` names them),
/// which are reported one by one so that the allow applies as written.
pub fn territories(syms: &Symbols, terr: &Territories, allowed: &std::collections::BTreeSet<usize>, diags: &mut Vec<Diagnostic>) {
    let an = &Analyzer::new(syms);
    // Per covering territory, the territories it covers (in declaration order).
    let mut covers: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    let conds = &terr.conds;
    let mut budget = Budget::new(REPORT_STEPS);
    let mut stopped: Option<usize> = None;
    let last = terr.kept::<Coverages>();
    let mut found: Vec<Coverage> = Vec::with_capacity(conds.len());
    for (i, t) in syms.territories.iter().enumerate() {
        if empty(&conds[i]) {
            diags.push(never_holds(t.condition.span, "territory", &t.name.name));
            continue;
        }
        let k = terr.class_of[i];
        let members = &terr.classes[k];
        if members.len() > 2 {
            if members[0] == i {
                let twin = syms.territories[members[1]];
                diags.push(alone(t, twin).label(format!(
                    "every lead it matches also matches `{}`; so it is for each of the {} territories with this condition ({})",
                    twin.name.name,
                    thousands(members.len() as u64),
                    super::overlap::names(syms, members)
                )));
            }
            continue;
        }
        if stopped.is_some() {
            continue;
        }
        // What the last check found for this territory, when its condition is the same.
        let kept = last.as_ref().and_then(|l| l.0.get(i)).filter(|c| Arc::ptr_eq(&c.cond, &conds[i]));
        let mut checked: Vec<(Arc<Dnf>, bool, u64)> = Vec::new();
        for j in terr.neighbours(i) {
            if empty(&conds[j]) {
                continue;
            }
            let kj = terr.class_of[j];
            let covered = kj == k || {
                // The same neighbour condition as last time at this place: the same answer for the same steps.
                let again = kept.as_ref().and_then(|c| c.checked.get(checked.len())).filter(|(c, ..)| Arc::ptr_eq(c, &conds[j]));
                let (covered, steps) = match again {
                    Some(&(_, covered, steps)) => (covered, steps),
                    // A territory that leaves out a field the other needs is not within it: no meet to build.
                    None if leaves_out_missing(syms, &conds[i], &conds[j]) => (false, 0),
                    None => {
                        let neg = terr.neg(syms, kj);
                        let steps = work(&conds[i], neg);
                        (steps <= budget.left() && an.meet_is_empty(&conds[i], neg), steps)
                    }
                };
                if steps > 0 && !budget.spend(steps) {
                    stopped = Some(i);
                    break;
                }
                checked.push((conds[j].clone(), covered, steps));
                covered
            };
            if covered {
                if allowed.contains(&i) {
                    let other = syms.territories[j];
                    diags.push(covered_by(t, other));
                } else {
                    covers.entry(j).or_default().push(i);
                }
                break;
            }
        }
        if stopped.is_none() {
            found.resize_with(i, Coverage::default);
            found.push(Coverage { cond: conds[i].clone(), checked });
        }
    }
    terr.keep(Coverages(found));
    for (j, covered) in covers {
        let other = syms.territories[j];
        if covered.len() < super::overlap::MIN_GROUP {
            for i in covered {
                diags.push(covered_by(syms.territories[i], other));
            }
            continue;
        }
        let first = syms.territories[covered[0]];
        diags.push(
            Diagnostic::new(
                Code::W0006,
                first.name.span,
                format!("territories {} never decide a lead on their own", super::overlap::names(syms, &covered)),
            )
            .with_secondary(other.name.span, format!("`{}` declared here", other.name.name))
            .label(format!("every lead each of these {} territories matches also matches `{}`", thousands(covered.len() as u64), other.name.name))
            .help(NARROW),
        );
    }
    if let Some(i) = stopped {
        let t = syms.territories[i];
        diags.push(super::budget::cut_short(
            t.name.span,
            "the territory coverage check (W0006)",
            budget.spent(),
            format!("`{}` and the territories after it were not checked for being covered by the territories they overlap", t.name.name),
            "fewer overlapping territories make this cheaper: give territories exclusive conditions",
        ));
    }
}

/// What the coverage check (W0006) found, per territory (by index), kept
/// between an editor's checks.
struct Coverages(Vec<Coverage>);

/// What the coverage check found for a territory: under its condition
/// `cond`, per neighbour it was compared with, in order, that neighbour's
/// condition, whether it covers this territory, and the steps the comparison
/// cost. A re-check that meets the same conditions at the same place takes
/// the answer and charges the same steps, so it says and spends exactly what
/// a fresh check does.
#[derive(Default)]
struct Coverage {
    cond: Arc<Dnf>,
    checked: Vec<(Arc<Dnf>, bool, u64)>,
}

const NARROW: &str = "territories are not ordered: a lead in both is ambiguous; narrow one of them";

/// True when `b` needs an optional field present that some term of `a`
/// does not mention: a lead of that term without the field is in `a` and
/// not in `b`, so `a` is not within `b`. (A quick answer for a territory
/// with thousands of narrower ones inside it; the meet with `b`'s negation,
/// which holds that field's "missing" term, says the same.)
fn leaves_out_missing(syms: &Symbols, a: &Dnf, b: &Dnf) -> bool {
    let (Some(a), Some(b)) = (a, b) else { return false };
    let Some((first, rest)) = b.split_first() else { return false };
    first.fields.iter().any(|(f, c)| {
        c.present == Some(true)
            && syms.fields.get(f).is_some_and(|info| info.optional)
            && rest.iter().all(|t| t.fields.get(f).is_some_and(|c| c.present == Some(true)))
            && a.iter().any(|t| t.fields.get(f).is_none())
    })
}

/// W0006 for territory `t`, every lead of which is also in `other`.
fn covered_by(t: &TerritoryDecl, other: &TerritoryDecl) -> Diagnostic {
    alone(t, other).label(format!("every lead it matches also matches `{}`", other.name.name))
}

/// W0006 for territory `t`, every lead of which is also in `other` (label to add).
fn alone(t: &TerritoryDecl, other: &TerritoryDecl) -> Diagnostic {
    Diagnostic::new(Code::W0006, t.name.span, format!("territory `{}` never decides a lead on its own", t.name.name))
        .with_secondary(other.name.span, format!("`{}` declared here", other.name.name))
        .help(NARROW)
}

/// The leads each route rule takes (on [`Analyzer::with_routes`]), for the
/// analyses that follow a lead past its first decision. Shared with the
/// route's kept analysis, so a re-check copies no conditions.
pub type RuleFires<'a> = Vec<(&'a Rule, Arc<Dnf>)>;

/// Where leads in several territories meet the first rule that reads the
/// territory: `ambiguous_territory` is raised there for them.
#[derive(Debug, Clone)]
pub struct Raised<'a> {
    /// The rule (left unevaluated for those leads).
    pub rule: &'a Rule,
    /// How it is named in messages: `rule \`x\`` or `the rule on line N`.
    pub label: String,
    /// The ambiguous leads that reach it.
    pub leads: Dnf,
    /// It is in a route a handler enters: which leads get there is a guess,
    /// so it has no example.
    pub guess: bool,
}

/// What following leads through the routes found.
#[derive(Debug, Clone, Default)]
pub struct Flow<'a> {
    /// The leads each reached rule takes.
    pub fires: RuleFires<'a>,
    /// Where ambiguity is raised, in route order.
    pub raised: Vec<Raised<'a>>,
}

/// Whether a condition reads the lead's territory (`territory == x`,
/// `territory is present`; `territory is ambiguous` does not).
pub fn reads_territory(syms: &Symbols, e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Name(n) => n == "territory" && !syms.fields.contains_key(n),
        ExprKind::Ambiguous(_) | ExprKind::Lit(_) => false,
        ExprKind::Paren(x) | ExprKind::Not(x) => reads_territory(syms, x),
        ExprKind::And(a, b) | ExprKind::Or(a, b) | ExprKind::Cmp { lhs: a, rhs: b, .. } => reads_territory(syms, a) || reads_territory(syms, b),
        ExprKind::In { value, .. } | ExprKind::Is { value, .. } => reads_territory(syms, value),
        ExprKind::Lookup { key, .. } => reads_territory(syms, key),
        ExprKind::Default { value, default } => reads_territory(syms, value) || reads_territory(syms, default),
        ExprKind::Call { args: items, .. } | ExprKind::List(items) => items.iter().any(|x| reads_territory(syms, x)),
    }
}

/// Per route: the leads that reach it (from the entry, through `route`
/// actions), its rules that can never fire, and leads that fall through it.
/// Returns the leads each reached rule takes, and where ambiguity is raised.
///
/// `an` is made [`Analyzer::with_territories`].
/// With `memo_key` (an editor's re-check: see [`Fingerprint`], and the
/// policy's memo), what each route's rules do to the leads that reach it is
/// kept in the route's memo and reused while its text, those leads, what
/// tiers and territories mean and what its rules read are the same; a
/// route whose text changed resumes the last check's work after its
/// leading rules that did not.
pub fn routes<'a>(an: &Analyzer<'_, 'a>, entry: Option<&str>, sources: &SourceSet, memo_key: Option<(&Fingerprint, &Memo)>, diags: &mut Vec<Diagnostic>) -> Flow<'a> {
    let syms = an.symbols();
    let line_of = |r: &Rule| sources.get(r.span.file).line_col(r.span.start as usize).0;
    let mut seen: std::collections::BTreeSet<&str> = std::collections::BTreeSet::new();
    let mut fires = Flow::default();
    routes_from(syms, an, entry, &line_of, memo_key, &mut seen, &mut fires, diags);
    // Routes the entry never reaches (or all, without an entry): structure only.
    for route in syms.routes.values() {
        if !seen.contains(route.name.name.as_str()) && !route.rules.iter().any(|r| matches!(r.guard, Guard::Otherwise(_))) {
            diags.push(no_otherwise(route, None));
        }
    }
    fires
}

fn no_otherwise(route: &RouteDecl, label: Option<(String, serde_json::Value)>) -> Diagnostic {
    let last = route.rules.last().map_or(route.name.span, |r| r.span);
    let (label, example) = match label {
        Some((l, e)) => (Some(l), Some(e)),
        None => (None, None),
    };
    let mut d = Diagnostic::new(Code::E0021, route.name.span, format!("route `{}` has no `otherwise` rule", route.name.name))
        .label(label.unwrap_or_else(|| "a lead that matches no rule falls through".into()))
        .with_secondary(last, "add `otherwise -> ...` after this rule")
        .help("end the route with a catch-all, e.g. `otherwise -> queue manager_review`");
    d.example = example;
    d
}

/// Every `route X` an action can take (its own, or in its `else` chain).
fn route_targets<'a>(a: &'a Action, out: &mut Vec<&'a Ident>) {
    match &a.kind {
        ActionKind::Route(r) => out.push(r),
        ActionKind::Assign { fallback: Some(Fallback::Action(inner)), .. } => route_targets(inner, out),
        _ => {}
    }
}

/// The leads that reach the entry route: some tier decided them (others go
/// to `no_match`). Leads in two territories reach it too: they leave at the
/// first rule that reads the territory.
fn entry_reach(syms: &Symbols) -> Dnf {
    let plain = Analyzer::new(syms);
    let mut reach: Dnf = Some(vec![Term::default()]);
    if !syms.tiers.iter().any(|t| matches!(t.guard, Guard::Otherwise(_))) && !syms.tiers.is_empty() {
        let mut any: Dnf = Some(vec![]);
        let mut rest: Dnf = Some(vec![Term::default()]);
        for t in &syms.tiers {
            let c = guard_dnf(&plain, &t.guard);
            any = prune(&plain, either(&any, &both(&rest, &c)));
            rest = meet(&plain, &rest, &negate(&c));
        }
        reach = any;
    }
    reach
}

#[allow(clippy::too_many_arguments)]
fn routes_from<'s, 'a>(
    syms: &'s Symbols<'a>,
    an: &Analyzer,
    entry: Option<&'s str>,
    line_of: &dyn Fn(&Rule) -> usize,
    memo_key: Option<(&Fingerprint, &Memo)>,
    seen: &mut std::collections::BTreeSet<&'s str>,
    flow: &mut Flow<'a>,
    diags: &mut Vec<Diagnostic>,
) {
    use rustc_hash::{FxHashMap, FxHashSet};
    let Some(entry) = entry else { return };
    // Routes a handler sends leads to can get any lead.
    let mut from_handlers: Vec<&str> = Vec::new();
    for h in &syms.handlers {
        if let HandlerAction::Action(a) = &h.action {
            let mut t = Vec::new();
            route_targets(a, &mut t);
            from_handlers.extend(t.into_iter().filter_map(|i| syms.routes.get_key_value(&i.name).map(|(k, _)| k.as_str())));
        }
    }
    // Topological order: a route is analysed after every route that sends it leads.
    let mut order: Vec<&str> = Vec::new();
    // Looked up by name only (never walked), so hashed: thousands of routes.
    let mut visited: FxHashSet<&str> = FxHashSet::default();
    let starts: Vec<&str> = std::iter::once(entry).chain(from_handlers.iter().copied()).collect();
    for start in starts {
        let mut stack: Vec<(&str, bool)> = vec![(start, false)];
        while let Some((name, done)) = stack.pop() {
            if done {
                order.push(name);
                continue;
            }
            if !visited.insert(name) {
                continue;
            }
            stack.push((name, true));
            if let Some(route) = syms.routes.get(name) {
                for rule in &route.rules {
                    let mut t = Vec::new();
                    route_targets(&rule.action, &mut t);
                    for i in t {
                        if let Some((k, _)) = syms.routes.get_key_value(&i.name) {
                            stack.push((k.as_str(), false));
                        }
                    }
                }
            }
        }
    }
    order.reverse();
    let mut reach: FxHashMap<&str, (Dnf, Rc<Path>)> = FxHashMap::default();
    reach.insert(entry, (entry_reach(syms), Path::start(format!("route `{entry}`"))));
    let ambiguous = an.route_ctx().map_or(Some(vec![]), |c| c.ambiguous.clone());
    let unambiguous = negate(&ambiguous);
    // Conditions read without what `tier` and `territory` mean.
    let plain = Analyzer::new(syms);
    // Which leads raise an exception is beyond the analysis: a route a handler
    // enters may get any lead (sound for "never fires"), but its examples
    // would be guesses, so it shows none.
    for h in &from_handlers {
        reach.insert(h, (Some(vec![Term::default()]), Path::start(format!("a handler sends it to route `{h}`"))));
    }
    // Routes a handler enters, and everything they lead to.
    let mut guessed: FxHashSet<&str> = from_handlers.iter().copied().collect();
    let meanings = memo_key.map(|(k, _)| Meanings::new(k.base(), an.route_ctx()));
    let key = memo_key.map(|(k, _)| k).zip(meanings.as_ref());
    // Each route's steps at the last check, and at this one.
    let last = memo_key.and_then(|(k, m)| m.get::<LastSteps>(k.base()));
    let mut now = LastSteps::default();
    for name in order {
        let Some(&route) = syms.routes.get(name) else { continue };
        // A route is analysed once, so its entry is taken, not copied.
        let Some((into, path)) = reach.remove(name) else { continue };
        seen.insert(name);
        let steps = match key.map(|(f, m)| crate::check::fingerprint::keyed((m.all, f.of_route(route)))) {
            Some(k) => match route.memo.get::<RouteSteps>(k).filter(|s| s.into == into) {
                Some(kept) => kept,
                None => {
                    let prev = last.as_ref().and_then(|l| l.0.get(name));
                    let made = Arc::new(route_steps(an, &plain, route, &into, &ambiguous, &unambiguous, key, prev.map(|p| &**p)));
                    route.memo.set(k, made.clone());
                    made
                }
            },
            None => Arc::new(route_steps(an, &plain, route, &into, &ambiguous, &unambiguous, None, None)),
        };
        if memo_key.is_some() {
            now.0.insert(name.into(), steps.clone());
        }
        let mut earlier: Vec<(&Rule, &Dnf)> = Vec::new();
        // Rules whose condition holds for no lead only because a territory it names never decides one.
        let mut undecided: Vec<(crate::source::Span, String)> = Vec::new();
        for (rule, step) in route.rules.iter().zip(&steps.rules) {
            let (c, fires) = (&step.cond.c, &*step.fires);
            // Spelled out only for a message (most rules need none).
            let label = || rule.name.as_ref().map_or_else(|| format!("the rule on line {}", line_of(rule)), |n| format!("rule `{}`", n.name));
            if let Some(leads) = &step.raised {
                flow.raised.push(Raised { rule, label: label(), leads: leads.clone(), guess: guessed.contains(name) });
            }
            if let Guard::When(e) = &rule.guard {
                if step.undecided {
                    undecided.push((e.span, label()));
                } else if empty(c) {
                    diags.push(never_holds(e.span, "rule", &label()));
                } else if empty(fires) {
                    let with_reach = meet(an, &into, c);
                    let covering: Vec<String> = earlier
                        .iter()
                        .filter(|(_, d)| !empty(&meet(an, d, &with_reach)))
                        .map(|(r, _)| r.name.as_ref().map_or_else(|| format!("the rule on line {}", line_of(r)), |n| n.name.clone()))
                        .collect();
                    let refs: Vec<&str> = covering.iter().map(String::as_str).collect();
                    let why = if empty(&with_reach) { "no lead that reaches this route matches it" } else { "earlier rules take every lead it would match" };
                    diags.push(covered(rule.span, "rule", &label(), &refs, why));
                }
            }
            let mut targets = Vec::new();
            route_targets(&rule.action, &mut targets);
            for target in targets {
                if let Some((key, _)) = syms.routes.get_key_value(&target.name) {
                    let slot = reach.entry(key.as_str()).or_insert_with(|| (Some(vec![]), Path::then(&path, format!("{} sends it to route `{}`", label(), target.name))));
                    slot.0 = prune(an, either(&slot.0, fires));
                    if guessed.contains(name) {
                        guessed.insert(key.as_str());
                    }
                }
            }
            flow.fires.push((rule, step.fires.clone()));
            // A rule that takes no lead covers nothing (as for tiers).
            if !empty(fires) {
                earlier.push((rule, fires));
            }
        }
        let (falls, rest, none_match) = (steps.falls, &steps.rest, &steps.none_match);
        diags.extend(never_decided(undecided));
        // No `otherwise`: E0021 unless the rules cover every lead that gets here.
        if falls || empty(rest) {
            continue;
        }
        let guess = guessed.contains(name);
        let label = match (example(an, none_match).filter(|_| !guess), example(an, rest).filter(|_| !guess)) {
            (Some(lead), _) => Some((format!("e.g. {lead} matches none of its rules (path: {})", path.joined()), lead)),
            (None, Some(lead)) => Some((format!("e.g. {lead} falls through when its assignments find nobody (path: {})", path.joined()), lead)),
            _ => None,
        };
        diags.push(no_otherwise(route, label));
    }
    if let Some((k, m)) = memo_key {
        m.set(k.base(), Arc::new(now));
    }
}

/// Each route's [`RouteSteps`] at an editor's last check, by route name:
/// where a route whose text changed resumes.
#[derive(Default)]
struct LastSteps(rustc_hash::FxHashMap<Box<str>, Arc<RouteSteps>>);

/// Most steps of a path a message shows (a waterfall of thousands of routes
/// would otherwise name every one).
const PATH_SHOWN: usize = 8;

/// How leads first reached a route, for messages: its last step, and the
/// path to the route that took it (shared by every route a path branches
/// to, so a long chain of routes is not copied route by route).
struct Path {
    step: String,
    before: Option<Rc<Path>>,
}

impl Path {
    /// A path of one step.
    fn start(step: String) -> Rc<Path> {
        Rc::new(Path { step, before: None })
    }

    /// `before`, then `step`.
    fn then(before: &Rc<Path>, step: String) -> Rc<Path> {
        Rc::new(Path { step, before: Some(before.clone()) })
    }

    /// The steps, first to last, joined with commas; of a path longer than
    /// [`PATH_SHOWN`] steps, the first and last halves of that and how many
    /// steps are left out between them.
    fn joined(&self) -> String {
        let mut steps = vec![self.step.as_str()];
        let mut at = self;
        while let Some(b) = &at.before {
            steps.push(&b.step);
            at = b;
        }
        steps.reverse();
        both_ends(&steps, ", ", PATH_SHOWN, "steps")
    }
}

impl Drop for Path {
    /// Frees a chain of steps in a loop: a chain of many thousand routes
    /// would overflow the stack freed one step inside the other.
    fn drop(&mut self) {
        let mut next = self.before.take();
        while let Some(p) = next {
            next = match Rc::try_unwrap(p) {
                Ok(mut p) => p.before.take(),
                Err(_) => None,
            };
        }
    }
}

/// What a route's rules do to the leads that reach it (`into`), rule by
/// rule up to its `otherwise`: the part of the work that only the route's
/// text, those leads and what tiers and territories mean decide, so an
/// editor's re-check reuses it for every route the edit did not touch.
struct RouteSteps {
    into: Dnf,
    /// What tiers and territories meant ([`Meanings`]`::all`; 0 outside an editor's checks).
    meanings: u64,
    rules: Vec<RuleStep>,
    /// The leads left before every [`MARK_EVERY`]th rule: where a later
    /// check of the route resumes when only rules after it changed.
    marks: Vec<Mark>,
    /// The leads no rule took (assignments that find nobody fall through).
    rest: Dnf,
    /// The leads whose every rule's condition failed.
    none_match: Dnf,
    /// The route ends with `otherwise`.
    falls: bool,
}

/// The leads no rule took and those no rule's condition held for, before rule `at`.
#[derive(Clone)]
struct Mark {
    at: usize,
    rest: Dnf,
    none_match: Dnf,
}

/// How many rules apart a route's [`Mark`]s are.
const MARK_EVERY: usize = 64;

/// One rule of a [`RouteSteps`].
#[derive(Clone)]
struct RuleStep {
    /// Its condition's leads.
    cond: Arc<RuleCond>,
    /// The ambiguous leads it stops (it reads the territory).
    raised: Option<Dnf>,
    /// The leads it takes (shared with [`Flow::fires`]).
    fires: Arc<Dnf>,
    /// Its condition holds for no lead only because a territory it names never decides one.
    undecided: bool,
}

/// A rule's condition in a route, and its negation: kept in the rule's
/// memo between an editor's checks, under the rule's fingerprint and, when
/// it mentions `tier` or `territory`, what those mean.
struct RuleCond {
    c: Dnf,
    not: Dnf,
    /// The condition reads the lead's territory ([`reads_territory`]).
    territory: bool,
}

impl RuleCond {
    fn new(an: &Analyzer, rule: &Rule) -> RuleCond {
        let c = guard_dnf(an, &rule.guard);
        let not = negate(&c);
        let territory = matches!(&rule.guard, Guard::When(e) if reads_territory(an.symbols(), e));
        RuleCond { c, not, territory }
    }
}

/// With `keys` (an editor's re-check: the fingerprints and what tiers and
/// territories mean), each rule's condition is kept in its memo, and the
/// work resumes from `prev` (the route's steps at the last check) after
/// the leading rules whose conditions are the same objects, for the same
/// leads and meanings.
#[allow(clippy::too_many_arguments)]
fn route_steps(
    an: &Analyzer,
    plain: &Analyzer,
    route: &RouteDecl,
    into: &Dnf,
    ambiguous: &Dnf,
    unambiguous: &Dnf,
    keys: Option<(&Fingerprint, &Meanings)>,
    prev: Option<&RouteSteps>,
) -> RouteSteps {
    let syms = an.symbols();
    // The rules up to the first `otherwise`, each with its condition.
    let upto = route.rules.iter().position(|r| matches!(r.guard, Guard::Otherwise(_))).map_or(route.rules.len(), |i| i + 1);
    let conds: Vec<Arc<RuleCond>> = route.rules[..upto]
        .iter()
        .map(|rule| match keys {
            Some((f, m)) => {
                let reads = f.rule_mentions(rule);
                let key = crate::check::fingerprint::keyed((f.of_reads(&reads), m.of(syms, &reads)));
                rule.memo.get_or_insert_with(key, || RuleCond::new(an, rule))
            }
            None => Arc::new(RuleCond::new(an, rule)),
        })
        .collect();
    let meanings = keys.map_or(0, |(_, m)| m.all);
    // The last check's work stands up to the first rule whose condition changed.
    let prev = prev.filter(|p| keys.is_some() && p.meanings == meanings && p.into == *into);
    let same = prev.map_or(0, |p| p.rules.iter().zip(&conds).take_while(|(s, c)| Arc::ptr_eq(&s.cond, c)).count());
    let mark = prev.and_then(|p| p.marks.iter().rev().find(|m| m.at <= same));
    let (start, mut rest, mut none_match) = match mark {
        Some(m) => (m.at, m.rest.clone(), m.none_match.clone()),
        None => (0, into.clone(), into.clone()),
    };
    let mut rules: Vec<RuleStep> = prev.map_or_else(Vec::new, |p| p.rules[..start].to_vec());
    let mut marks: Vec<Mark> = prev.map_or_else(Vec::new, |p| p.marks.iter().take_while(|m| m.at <= start).cloned().collect());
    let mut falls = false;
    for (i, (rule, cond)) in route.rules.iter().zip(conds).enumerate().skip(start) {
        if i % MARK_EVERY == 0 && i > 0 && marks.last().is_none_or(|m| m.at < i) {
            marks.push(Mark { at: i, rest: rest.clone(), none_match: none_match.clone() });
        }
        let c = &cond.c;
        let mut raised = None;
        if cond.territory {
            // Ambiguous leads stop here, before the condition is evaluated.
            let leads = meet(an, &rest, ambiguous);
            if !empty(&leads) {
                raised = Some(leads);
                rest = meet(an, &rest, unambiguous);
                none_match = meet(an, &none_match, unambiguous);
            }
        }
        let fires = meet(an, &rest, c);
        // It could hold but for the territories it names: they never decide a lead.
        let undecided = matches!(&rule.guard, Guard::When(e) if empty(c) && cond.territory && !empty(&prune(plain, plain.dnf(e))));
        if !can_continue(&rule.action) {
            rest = meet(an, &rest, &cond.not);
        }
        none_match = meet(an, &none_match, &cond.not);
        rules.push(RuleStep { cond, raised, fires: Arc::new(fires), undecided });
        if matches!(rule.guard, Guard::Otherwise(_)) {
            falls = true;
            break;
        }
    }
    RouteSteps { into: into.clone(), meanings, rules, marks, rest, none_match, falls }
}

/// What tiers and territories mean in routes, hashed: as a whole (the key
/// a route's [`RouteSteps`] are kept under, with the policy's fingerprint)
/// and tier by tier and territory by territory (a rule's condition is kept
/// under the meanings of those it names).
struct Meanings {
    all: u64,
    tiers: Vec<Option<u64>>,
    territories: Vec<Option<u64>>,
    none: Option<u64>,
    ambiguous: Option<u64>,
}

impl Meanings {
    fn new(base: u64, ctx: Option<&RouteCtx>) -> Meanings {
        use crate::check::fingerprint::keyed;
        let dnf = |d: &Dnf| d.as_ref().map(|terms| hash_terms(terms));
        let (tiers, territories, none, ambiguous) = match ctx {
            Some(ctx) => (ctx.tier_is.iter().map(dnf).collect(), ctx.territory_is.iter().map(dnf).collect(), dnf(&ctx.territory_none), dnf(&ctx.ambiguous)),
            None => (Vec::new(), Vec::new(), None, None),
        };
        // Each list's length first, so that the two lists cannot trade places.
        let all = keyed((base, ctx.is_some(), &tiers, &territories, none, ambiguous));
        Meanings { all, tiers, territories, none, ambiguous }
    }

    /// The meanings a rule that mentions `names` reads: those of the tiers
    /// and territories it names, of `none` and of ambiguity (see
    /// `Analyzer::decided`). The same for every rule that names neither
    /// `tier` nor `territory`.
    fn of(&self, syms: &Symbols, names: &crate::check::fingerprint::Reads) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = rustc_hash::FxHasher::default();
        if names.has("tier") || names.has("territory") {
            (self.none, self.ambiguous).hash(&mut h);
            for n in names.names() {
                if let Some(i) = syms.tier_index(n) {
                    (0u8, n, self.tiers.get(i)).hash(&mut h);
                }
                if let Some(i) = syms.territory_index(n) {
                    (1u8, n, self.territories.get(i)).hash(&mut h);
                }
            }
        }
        h.finish()
    }
}

/// W0007 for rules of one route whose conditions hold for no lead because
/// the territories they name never decide one (every lead in them is in
/// another too): one per rule, or one for the lot from three on, so that a
/// rule per nested territory is one warning, not thousands.
fn never_decided(rules: Vec<(crate::source::Span, String)>) -> Vec<Diagnostic> {
    const HELP: &str = "every lead in such a territory is in another one too, so it is ambiguous and never decided into it (see W0006); narrow the overlapping territories, or place those leads with `territory is ambiguous`";
    if rules.len() < super::overlap::MIN_GROUP {
        return rules
            .into_iter()
            .map(|(span, label)| {
                Diagnostic::new(Code::W0007, span, format!("the condition of {label} can never hold")).label("no lead is decided into the territory it tests").help(HELP)
            })
            .collect();
    }
    let names = super::overlap::listed(rules.iter().map(|(_, l)| l.clone()), rules.len());
    let first = rules[0].0;
    vec![Diagnostic::new(Code::W0007, first, format!("the conditions of {names} can never hold"))
        .label(format!("no lead is decided into the territories these {} rules test", thousands(rules.len() as u64)))
        .help(HELP)]
}

fn never_holds(span: crate::source::Span, kind: &str, name: &str) -> Diagnostic {
    let what = if kind == "rule" { name.to_string() } else { format!("{kind} `{name}`") };
    Diagnostic::new(Code::W0007, span, format!("the condition of {what} can never hold"))
        .label("no lead satisfies this")
        .help("look for contradictory tests, like `employees > 500 and employees < 100` or two different values of one field")
}

fn covered(span: crate::source::Span, kind: &str, name: &str, by: &[&str], why: &str) -> Diagnostic {
    let what = if kind == "rule" { name.to_string() } else { format!("{kind} `{name}`") };
    let mut d = Diagnostic::new(Code::W0006, span, format!("{what} can never fire")).label(why.to_string());
    if !by.is_empty() {
        d = d.help(format!(
            "covered by {}; move it earlier, narrow what covers it, or remove it",
            by.iter().map(|b| format!("`{b}`")).collect::<Vec<_>>().join(", ")
        ));
    } else {
        d = d.help("remove it, or change the conditions before it");
    }
    d
}

/// One example lead per tier, territory and route rule that can fire: leads
/// that exercise each part of the policy (for `leadroute diff`). Each is
/// satisfiable by the analysis; callers route them to see what really happens.
pub fn example_leads(syms: &Symbols) -> Vec<serde_json::Value> {
    let an = &Analyzer::with_routes(syms);
    let mut out: Vec<serde_json::Value> = Vec::new();
    // Each lead once, found by its text (a policy of many thousand rules has as many examples).
    let mut seen: rustc_hash::FxHashSet<String> = Default::default();
    let mut push = |d: &Dnf| {
        if let Some(lead) = example(an, &prune(an, d.clone())) {
            if seen.insert(lead.to_string()) {
                out.push(lead);
            }
        }
    };
    let plain = Analyzer::new(syms);
    let mut rest: Dnf = Some(vec![Term::default()]);
    for t in &syms.tiers {
        let c = guard_dnf(&plain, &t.guard);
        push(&both(&rest, &c));
        rest = prune(&plain, both(&rest, &negate(&c)));
    }
    for t in &syms.territories {
        push(&plain.dnf(&t.condition));
    }
    for route in syms.routes.values() {
        let mut rest: Dnf = Some(vec![Term::default()]);
        for rule in &route.rules {
            let c = guard_dnf(an, &rule.guard);
            push(&both(&rest, &c));
            if !can_continue(&rule.action) {
                rest = prune(an, both(&rest, &negate(&c)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `leaves_out_missing` is a quick "not covered": whenever it says so,
    /// the meet with the other territory's negation is not empty either,
    /// over territories on optional and required fields, one and several terms.
    #[test]
    fn leaves_out_missing_only_says_what_the_meet_says() {
        let text = r#"
policy p { entry main }
schema lead { id: string  country: string  state: string?  zip: string?  n: int? }
tier standard otherwise sla 1h
territory all when country == "US"
territory st when country == "US" and state is present and state == "CA"
territory st2 when state is present and state in ["CA", "NY"]
territory either when (state is present and state == "CA") or (zip is present and zip == "9")
territory both when state is present and zip is present
territory num when n is present and n > 3
territory nostate when state is missing
territory plain when country == "CA"
territory any when country is present
queue q
route main { otherwise -> queue q }
"#;
        let checked = crate::analysis::checked(text);
        let syms = checked.symbols();
        let an = Analyzer::new(&syms);
        let terr = Territories::build(&an);
        let n = syms.territories.len();
        let mut said = 0;
        for i in 0..n {
            for j in 0..n {
                let neg = terr.neg(&syms, terr.class_of[j]);
                if leaves_out_missing(&syms, &terr.conds[i], &terr.conds[j]) {
                    said += 1;
                    assert!(!an.meet_is_empty(&terr.conds[i], neg), "{} within {}", syms.territories[i].name.name, syms.territories[j].name.name);
                }
            }
        }
        assert!(said >= 10, "the quick answer is used: {said}");
    }
}
