//! Checks of the SLA handlers (`on sla_breach`, `on sla_warning`) and of
//! queue escalations: names, duplicates, what each may do, and escalation
//! cycles. Whether a breach can hand a lead back to a rep who held it is
//! worked out on the predicate analysis, in [`crate::analysis::breach`].

use std::collections::BTreeMap;

use super::decls::strategy;
use super::flow::{unknown, Refs};
use super::symbols::Symbols;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::source::Span;
use crate::syntax::ast::*;

/// Checks every SLA handler.
pub fn handlers(syms: &Symbols, refs: &mut Refs, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<String, Span> = BTreeMap::new();
    for h in &syms.sla {
        let tier = match &h.event.tier {
            Some(t) => match syms.tier(&t.name) {
                Some(decl) if decl.sla.is_none() => {
                    diags.push(
                        Diagnostic::new(Code::E0034, t.span, format!("tier `{}` has no `sla`, so this never fires", t.name))
                            .label("no SLA to run out")
                            .with_secondary(decl.name.span, format!("`{}` declared without `sla`", t.name))
                            .help(format!("give the tier an SLA (`tier {} ... sla 1h`), or remove this handler", t.name)),
                    );
                    continue;
                }
                Some(decl) => Some(decl),
                None => {
                    diags.push(unknown(t, "tier", syms.tiers.iter().map(|t| t.name.name.as_str())));
                    continue;
                }
            },
            None => None,
        };
        if let Some(first) = seen.insert(h.event.key(), h.event.span) {
            diags.push(
                Diagnostic::new(Code::E0010, h.event.span, format!("`{}` is handled twice", h.event.key()))
                    .label("second handler")
                    .with_secondary(first, "first handler here")
                    .help("keep one handler per SLA event and tier"),
            );
        }
        match h.event.kind {
            SlaEventKind::Warning => warning(h, tier, syms, diags),
            SlaEventKind::Breach => breach_action(&h.action, syms, refs, diags),
        }
    }
    // A catch-all no tier needs can never run.
    for kind in [SlaEventKind::Breach, SlaEventKind::Warning] {
        let of_kind: Vec<&&SlaDecl> = syms.sla.iter().filter(|h| h.event.kind == kind).collect();
        let Some(catch_all) = of_kind.iter().find(|h| h.event.tier.is_none()) else { continue };
        let covered = syms.tiers.iter().all(|t| of_kind.iter().any(|h| h.event.tier.as_ref().is_some_and(|x| x.name == t.name.name)));
        if covered && !syms.tiers.is_empty() {
            diags.push(
                Diagnostic::new(Code::W0004, catch_all.event.span, "this handler can never run")
                    .label("every tier has its own handler")
                    .help("remove it, or remove a tier's own handler so this one covers it"),
            );
        }
    }
}

/// `on sla_warning([tier,] D) -> notify "..."`: a notification, before the SLA runs out.
fn warning(h: &SlaDecl, tier: Option<&TierDecl>, syms: &Symbols, diags: &mut Vec<Diagnostic>) {
    match &h.action.kind {
        SlaActionKind::Notify(m) => empty_text(m, diags),
        _ => diags.push(
            Diagnostic::new(Code::E0035, h.action.span, "a reminder can only notify")
                .label("`sla_warning` fires before the SLA runs out: the lead stays")
                .help("write `-> notify \"...\"`; move the lead with `on sla_breach(...)` instead"),
        ),
    }
    let Some(before) = h.event.before else { return };
    // The reminder must fall inside the SLA of every tier it covers.
    let tiers: Vec<&TierDecl> = match tier {
        Some(t) => vec![t],
        None => syms.tiers.clone(),
    };
    if before.value <= 0 {
        diags.push(
            Diagnostic::new(Code::E0035, before.span, "a reminder needs time before the due time")
                .label("zero")
                .help("give how long before the SLA runs out it fires: `sla_warning(hot, 2m)`"),
        );
    } else if let Some((t, sla)) = tiers.iter().filter_map(|t| t.sla.map(|s| (t, s))).find(|(_, s)| before.value >= s.value) {
        diags.push(
            Diagnostic::new(Code::E0035, before.span, format!("this reminder would fire before a `{}` lead even arrives", t.name.name))
                .label("not shorter than the tier's SLA")
                .with_secondary(sla.span, format!("tier `{}` has this SLA", t.name.name))
                .help("remind a shorter time before the due time"),
        );
    }
}

fn empty_text(m: &StrLit, diags: &mut Vec<Diagnostic>) {
    if m.value.trim().is_empty() {
        diags.push(
            Diagnostic::new(Code::E0035, m.span, "a notification needs a text")
                .label("empty text")
                .help("say what the notification is about: `notify \"hot lead waiting\"`"),
        );
    }
}

/// `reassign [else ...]`, `notify "..."`, `queue Q`, `assign team T`, `assign rep R`.
fn breach_action(a: &SlaAction, syms: &Symbols, refs: &mut Refs, diags: &mut Vec<Diagnostic>) {
    match &a.kind {
        SlaActionKind::Notify(m) => empty_text(m, diags),
        SlaActionKind::Reassign { fallback } => fallback_of(fallback.as_ref(), a.span, syms, refs, diags),
        SlaActionKind::Action(action) => step(action, syms, refs, diags),
    }
}

fn step(a: &Action, syms: &Symbols, refs: &mut Refs, diags: &mut Vec<Diagnostic>) {
    let not_here = |what: &str, help: &str| {
        Diagnostic::new(Code::E0035, a.span, format!("`{what}` cannot handle an SLA breach"))
            .label("not a breach action")
            .help(help.to_string())
    };
    match &a.kind {
        ActionKind::Assign { target, fallback } => {
            match target {
                AssignTarget::Team { team, by } => {
                    if !syms.teams.contains_key(&team.name) {
                        diags.push(unknown(team, "team", syms.teams.keys().map(String::as_str)));
                    }
                    if let Some(s) = by {
                        strategy(s, syms, diags);
                    }
                }
                AssignTarget::Rep(rep) => {
                    refs.reps.insert(rep.name.clone());
                    if !syms.reps.contains_key(&rep.name) {
                        diags.push(unknown(rep, "rep", syms.reps.keys().map(String::as_str)));
                    }
                }
                AssignTarget::Previous(_) => diags.push(not_here(
                    "assign previous owner",
                    "`previous owner` is only known inside `on duplicate(...)`; use `reassign`, `assign team T` or `queue Q`",
                )),
                AssignTarget::Owner(_) | AssignTarget::OwnerOf(_) => diags.push(not_here(
                    "assign owner(...)",
                    "the owner is usually the rep who breached; use `reassign`, `assign team T` or `queue Q`",
                )),
            }
            fallback_of(fallback.as_ref(), a.span, syms, refs, diags);
        }
        ActionKind::Queue(q) => {
            refs.queues.insert(q.name.clone());
            if !syms.queues.contains_key(&q.name) {
                diags.push(unknown(q, "queue", syms.queues.keys().map(String::as_str)));
            }
        }
        ActionKind::Route(_) => diags.push(not_here("route", "a breached lead is not routed again; `reassign` it or `queue` it for a person")),
        ActionKind::Drop(_) => diags.push(not_here("drop", "a breached lead must not vanish; `queue` it for a person")),
    }
}

fn fallback_of(f: Option<&Fallback>, span: Span, syms: &Symbols, refs: &mut Refs, diags: &mut Vec<Diagnostic>) {
    match f {
        None if !syms.has_handler("no_available_rep") => diags.push(
            Diagnostic::new(Code::E0022, span, "this breach action can find nobody and nothing handles it")
                .label("nobody else may be available")
                .help("add `else queue Q`, or a policy-wide `on no_available_rep -> queue Q`"),
        ),
        None => {}
        Some(Fallback::Continue(s)) => diags.push(
            Diagnostic::new(Code::E0035, *s, "`else continue` cannot be used in an SLA handler")
                .label("there is no next rule here")
                .help("end the handler with an action: `else queue Q`"),
        ),
        Some(Fallback::Action(next)) => step(next, syms, refs, diags),
    }
}

/// Queue `escalate` targets: they resolve, their queue has an SLA to run
/// out, and following them never comes back to where it started.
pub fn escalations(syms: &Symbols, refs: &mut Refs, diags: &mut Vec<Diagnostic>) {
    let mut next: BTreeMap<&str, (&str, Span)> = BTreeMap::new();
    for q in syms.queues.values() {
        let has_sla = q.props.iter().any(|p| matches!(p.value, QueueProp::Sla(..)));
        for p in &q.props {
            let QueueProp::Escalate(e) = &p.value else { continue };
            if !has_sla {
                diags.push(
                    Diagnostic::new(Code::E0034, p.span, format!("queue `{}` escalates, but has no `sla` to run out", q.name.name))
                        .label("this can never happen")
                        .with_secondary(q.name.span, "no `sla` in this queue")
                        .help("give the queue an SLA: `sla 30m`"),
                );
            }
            match e {
                Escalate::Notify(m) => empty_text(m, diags),
                Escalate::Queue(to) => {
                    refs.queues.insert(to.name.clone());
                    match syms.queues.get_key_value(&to.name) {
                        None => diags.push(unknown(to, "queue", syms.queues.keys().map(String::as_str))),
                        Some((k, _)) => {
                            next.insert(q.name.name.as_str(), (k.as_str(), to.span));
                        }
                    }
                }
            }
        }
    }
    // Each queue escalates to at most one other: a cycle is a path that comes back.
    let mut reported: Vec<&str> = Vec::new();
    for start in next.keys().copied() {
        let mut path = vec![start];
        let mut at = start;
        while let Some(&(to, span)) = next.get(at) {
            if let Some(pos) = path.iter().position(|p| *p == to) {
                let cycle = &path[pos..];
                // Report each cycle once, from its first queue in name order.
                if cycle.iter().min() == Some(&start) && !reported.contains(&start) {
                    reported.push(start);
                    let mut names: Vec<&str> = cycle.to_vec();
                    names.push(to);
                    diags.push(
                        Diagnostic::new(Code::E0037, span, format!("queue escalations loop: {}", names.join(" -> ")))
                            .label(format!("`escalate {to}` closes the loop"))
                            .help("an overdue item would move round for ever; end the chain with `escalate notify \"...\"` or no `escalate`"),
                    );
                }
                break;
            }
            path.push(to);
            at = to;
        }
    }
}
