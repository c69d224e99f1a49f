//! SLA breach chains against the leads' first assignments: a breach handler
//! that would give a lead straight back to the rep who breached (E0036),
//! with an example lead. Every way a lead of a tier can be assigned (each
//! route rule the predicate analysis says takes such leads, and the
//! policy-wide handlers) is a possible first holder.

use std::collections::BTreeSet;
use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::predicate::{Analyzer, Dnf, FieldConstraint, Term, ValueSet, Values};
use super::reach::{empty, example, meet, RuleFires};
use crate::check::Symbols;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// Whom an assignment can give a lead to.
enum Target<'a> {
    Team(&'a str),
    Rep(&'a str),
    Owner(&'a str),
    /// `owner(EXPR)`: any rep (a table's cell, say).
    AnyRep,
}

/// One way a lead can get its first holder: the target, the leads it takes, where it is written.
struct Way<'a> {
    target: Target<'a>,
    leads: Arc<Dnf>,
    via: String,
    span: Span,
}

/// Every target of an action and its `else` chain.
fn targets<'a>(a: &'a Action, out: &mut Vec<Target<'a>>) {
    if let ActionKind::Assign { target, fallback } = &a.kind {
        out.push(match target {
            AssignTarget::Team { team, .. } => Target::Team(&team.name),
            AssignTarget::Rep(r) => Target::Rep(&r.name),
            AssignTarget::Owner(f) => Target::Owner(&f.name),
            AssignTarget::Previous(_) => Target::Owner("previous owner"),
            AssignTarget::OwnerOf(_) => Target::AnyRep,
        });
        if let Some(Fallback::Action(next)) = fallback {
            targets(next, out);
        }
    }
}

fn members<'a>(syms: &Symbols<'a>, team: &str) -> (Vec<&'a str>, Option<&'a str>) {
    let mut out = Vec::new();
    let mut sticky = None;
    if let Some(t) = syms.teams.get(team) {
        for p in &t.props {
            match &p.value {
                TeamProp::Members(m) => out.extend(m.iter().map(|i| i.name.as_str())),
                TeamProp::Strategy(s) if s.name.name == "sticky" => sticky = s.arg.as_ref().map(|a| a.name.as_str()),
                _ => {}
            }
        }
    }
    (out, sticky)
}

/// The leads whose field `field` names `rep`.
fn owned_by(field: &str, rep: &str) -> Dnf {
    let c = FieldConstraint { present: Some(true), values: Some(ValueSet::In(Values::one(rep))), ..Default::default() };
    Some(vec![Term { fields: super::predicate::Fields::one(field.into(), c), opaque: false }])
}

/// E0036 for breach handlers that can give a lead back to a rep who held it.
///
/// `an` is made [`Analyzer::with_territories`] (it reads `tier` and `territory`).
pub fn holders(an: &Analyzer, fires: &RuleFires, diags: &mut Vec<Diagnostic>) {
    let syms = an.symbols();
    if !syms.sla.iter().any(|h| h.event.kind == SlaEventKind::Breach) {
        return;
    }
    let mut ways: Vec<Way> = Vec::new();
    for (rule, leads) in fires {
        let mut t = Vec::new();
        targets(&rule.action, &mut t);
        let via = rule.name.as_ref().map_or_else(|| "a rule".to_string(), |n| format!("rule `{}`", n.name));
        ways.extend(t.into_iter().map(|target| Way { target, leads: Arc::clone(leads), via: via.clone(), span: rule.span }));
    }
    for h in &syms.handlers {
        if let HandlerAction::Action(a) = &h.action {
            let mut t = Vec::new();
            targets(a, &mut t);
            let via = format!("`on {}`", crate::fmt::expr::exception(&h.exception));
            ways.extend(t.into_iter().map(|target| Way { target, leads: Arc::new(Some(vec![Term::default()])), via: via.clone(), span: h.span }));
        }
    }
    let index = WayIndex::new(syms, &ways);
    let own: BTreeSet<&str> = syms.sla.iter().filter(|h| h.event.kind == SlaEventKind::Breach).filter_map(|h| h.event.tier.as_ref()).map(|t| t.name.as_str()).collect();
    for h in syms.sla.iter().filter(|h| h.event.kind == SlaEventKind::Breach) {
        let tiers: Vec<&str> = match &h.event.tier {
            Some(t) if syms.tier(&t.name).is_some() => vec![t.name.as_str()],
            Some(_) => continue,
            None => syms.tiers.iter().map(|t| t.name.name.as_str()).filter(|t| !own.contains(t)).collect(),
        };
        'tiers: for tier in tiers {
            let is_tier = Expr {
                kind: ExprKind::Cmp {
                    op: CmpOp::Eq,
                    lhs: Box::new(Expr { kind: ExprKind::Name("tier".into()), span: Span::default() }),
                    rhs: Box::new(Expr { kind: ExprKind::Name(tier.into()), span: Span::default() }),
                },
                span: Span::default(),
            };
            let of_tier = an.dnf(&is_tier);
            for (span, step) in chain(&h.action) {
                if let Some(d) = check_step(an, syms, (&ways, &index), &of_tier, tier, h, span, &step) {
                    diags.push(d);
                    break 'tiers;
                }
            }
        }
    }
}

/// One step of a breach chain: `reassign`, or a rep (named, or a one-member team).
enum Step<'a> {
    Reassign,
    Rep(&'a str),
}

/// The steps of a breach handler, with their spans.
fn chain<'a>(a: &'a SlaAction) -> Vec<(Span, Step<'a>)> {
    let mut out = Vec::new();
    let mut next = match &a.kind {
        SlaActionKind::Reassign { fallback } => {
            out.push((a.span, Step::Reassign));
            fallback.as_ref()
        }
        SlaActionKind::Action(act) => {
            push_step(act, &mut out);
            return out;
        }
        SlaActionKind::Notify(_) => None,
    };
    while let Some(Fallback::Action(act)) = next {
        push_step(act, &mut out);
        next = None;
    }
    out
}

fn push_step<'a>(a: &'a Action, out: &mut Vec<(Span, Step<'a>)>) {
    let mut current = Some(a);
    while let Some(act) = current {
        current = None;
        if let ActionKind::Assign { target, fallback } = &act.kind {
            match target {
                AssignTarget::Rep(r) => out.push((act.span, Step::Rep(&r.name))),
                // A team is a single rep when it has one member; the rest skip earlier holders.
                AssignTarget::Team { team, .. } => out.push((act.span, Step::Rep(team.name.as_str()))),
                AssignTarget::Owner(_) | AssignTarget::Previous(_) | AssignTarget::OwnerOf(_) => {}
            }
            if let Some(Fallback::Action(next)) = fallback {
                current = Some(next);
            }
        }
    }
}

/// Which ways can reach whom, built once for all breach handlers (each
/// handler used to walk every way and list every team's members: handlers
/// times rules).
struct WayIndex<'a> {
    /// Each team's members and sticky field.
    teams: FxHashMap<&'a str, (Vec<&'a str>, Option<&'a str>)>,
    /// Ways through a team of one member, in order.
    one_member: Vec<usize>,
    /// Per rep, the ways naming it or a team it is in, in order.
    by_rep: FxHashMap<&'a str, Vec<usize>>,
    /// Ways that can reach any rep (an owner field, `owner(...)`), in order.
    open: Vec<usize>,
}

impl<'a> WayIndex<'a> {
    fn new(syms: &Symbols<'a>, ways: &[Way<'a>]) -> WayIndex<'a> {
        let mut ix = WayIndex { teams: FxHashMap::default(), one_member: Vec::new(), by_rep: FxHashMap::default(), open: Vec::new() };
        for (i, w) in ways.iter().enumerate() {
            match w.target {
                Target::Rep(r) => ix.by_rep.entry(r).or_default().push(i),
                Target::Owner(_) | Target::AnyRep => ix.open.push(i),
                Target::Team(team) => {
                    let (m, _) = ix.teams.entry(team).or_insert_with(|| members(syms, team));
                    if m.len() == 1 {
                        ix.one_member.push(i);
                    }
                    let mut m = m.clone();
                    m.sort_unstable();
                    m.dedup();
                    for r in m {
                        ix.by_rep.entry(r).or_default().push(i);
                    }
                }
            }
        }
        ix
    }

    /// The ways that can give a lead to `rep`, in the order they were collected.
    fn reaching(&self, rep: &str) -> impl Iterator<Item = usize> + '_ {
        let named = self.by_rep.get(rep).map_or(&[][..], Vec::as_slice);
        let mut all: Vec<usize> = named.iter().chain(&self.open).copied().collect();
        all.sort_unstable();
        all.dedup();
        all.into_iter()
    }
}

#[allow(clippy::too_many_arguments)]
fn check_step(an: &Analyzer, syms: &Symbols, (ways, index): (&[Way], &WayIndex), of_tier: &Dnf, tier: &str, h: &SlaDecl, span: Span, step: &Step) -> Option<Diagnostic> {
    let head = format!("on {}", crate::fmt::expr::sla_event(&h.event));
    match step {
        Step::Reassign => {
            for w in index.one_member.iter().map(|&i| &ways[i]) {
                let Target::Team(team) = w.target else { continue };
                let Some((m, _)) = index.teams.get(team) else { continue };
                let leads = meet(an, &w.leads, of_tier);
                if empty(&leads) {
                    continue;
                }
                let mut d = Diagnostic::new(Code::E0036, span, format!("`{head}` reassigns within team `{team}`, whose only member is `{}`", m[0]))
                    .with_secondary(w.span, format!("{} assigns `{tier}` leads through team `{team}`", w.via))
                    .help("nobody else can take the lead: `reassign else queue Q`, or give the team more members");
                d = match example(an, &leads) {
                    Some(lead) => d.label(format!("e.g. {lead} goes to `{}`, who breaches; `reassign` finds nobody else", m[0])).with_example(lead),
                    None => d.label(format!("a `{tier}` lead can go to `{}` alone", m[0])),
                };
                return Some(d);
            }
            None
        }
        Step::Rep(name) => {
            // A team name: only a one-member team is a single rep.
            let rep: &str = if syms.teams.contains_key(*name) {
                let (m, _) = members(syms, name);
                if m.len() != 1 {
                    return None;
                }
                m[0]
            } else {
                name
            };
            for w in index.reaching(rep).map(|i| &ways[i]) {
                let leads = match w.target {
                    Target::Rep(r) if r == rep => (*w.leads).clone(),
                    Target::Owner(field) => meet(an, &w.leads, &owned_by(field, rep)),
                    Target::AnyRep => (*w.leads).clone(),
                    Target::Team(team) => {
                        let Some((m, sticky)) = index.teams.get(team) else { continue };
                        match *sticky {
                            _ if !m.contains(&rep) => continue,
                            Some(field) => meet(an, &w.leads, &owned_by(field, rep)),
                            None => (*w.leads).clone(),
                        }
                    }
                    Target::Rep(_) => continue,
                };
                let leads = meet(an, &leads, of_tier);
                if empty(&leads) {
                    continue;
                }
                let mut d = Diagnostic::new(Code::E0036, span, format!("`{head}` can give the lead back to `{rep}`, the rep who breached"))
                    .with_secondary(w.span, format!("{} can assign `{tier}` leads to `{rep}`", w.via))
                    .help("name a team with other members (a breach skips earlier holders), `reassign`, or `queue` breached leads");
                d = match example(an, &leads) {
                    Some(lead) => d.label(format!("e.g. {lead} goes to `{rep}`; if `{rep}` breaches, this gives it back")).with_example(lead),
                    None => d.label(format!("a `{tier}` lead can first go to `{rep}`")),
                };
                return Some(d);
            }
            None
        }
    }
}
