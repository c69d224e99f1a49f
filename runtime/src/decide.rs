//! `decide`: tier, territory, routes and actions for one lead, with every
//! exception sent to its handler; and `commit`, which applies a decision.
//! Without a trace, deciding builds no strings: the result is a
//! [`CompactDecision`] of indices into the policy, spelled out when written.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::avail::{Holder, Moment};
use crate::decision::*;
use crate::eval::{Ctx, MissingRaised};
use crate::ir::*;
use crate::lead::Lead;
use crate::policy::Policy;
use crate::flat::Record;
use crate::select::Matcher;
use crate::state::State;
use crate::duplicate::Prior;
use crate::read::ReadLead;

mod compact;
mod dup;
mod names;

pub(crate) use names::JsonNames;

pub use compact::CompactDecision;
use compact::{Done, Exc, ExcName, Handled, Origin};

struct Run<'a, 'm> {
    p: &'a Policy,
    lead: &'a Lead,
    state: &'a State,
    m: &'a Moment,
    tier: Option<u32>,
    territory: Option<u32>,
    /// Every territory that matched, when more than one did.
    matched: Vec<u32>,
    /// The lead is in several territories and no rule has read its territory
    /// yet: rules run on the reference evaluator, and the first one that
    /// reads the territory raises `ambiguous_territory` instead.
    ambiguous: bool,
    trace: Option<Vec<TraceStep>>,
    exceptions: Vec<Exc<'a>>,
    /// Handlers running now: one that raises its own exception again ends in a drop, not a loop.
    handling: Vec<ExcName<'a>>,
    /// Without a trace: the backend's matcher (with a trace, the reference evaluator runs).
    matcher: Option<Matcher<'m>>,
    /// The earlier lead the caller found with the same duplicate key.
    prior: Option<&'a Prior>,
    /// Set when the duplicate handler applied: the decision's `duplicate_of`.
    duplicate_of: Option<&'a Prior>,
}

/// Stops a decision at a handler: (what it did, where).
type Stop<'a> = (Done<'a>, Origin);

impl Policy {
    /// Decides one lead at `moment` against `state`; pure and deterministic.
    /// With `explain`, the decision carries a trace of every step.
    pub fn decide(&self, lead: &Lead, state: &State, moment: &Moment, explain: bool) -> Decision {
        self.decide_with(lead, state, moment, explain, None)
    }

    /// [`Policy::decide`] for a lead whose duplicate key (see
    /// [`Policy::duplicate_key`]) the caller found on an earlier lead: when
    /// that lead was decided within the window, the policy's
    /// `on duplicate(...)` handler runs first and the decision says which
    /// lead it matched (`duplicate_of`). Without a prior, or without a
    /// handler, the decision is the same as [`Policy::decide`]'s.
    pub fn decide_with(&self, lead: &Lead, state: &State, moment: &Moment, explain: bool, prior: Option<&Prior>) -> Decision {
        self.decide_in(lead, None, state, moment, explain, prior).into_decision()
    }

    /// [`Policy::decide_with`] without spelling the decision out: the
    /// result holds indices into the policy and borrowed text (no strings
    /// are built without a trace), for callers that write it straight out
    /// ([`CompactDecision::write_json`]) or keep only part of it.
    pub fn decide_compact<'a>(&'a self, lead: &'a Lead, state: &'a State, moment: &'a Moment, explain: bool, prior: Option<&'a Prior>) -> CompactDecision<'a> {
        self.decide_in(lead, None, state, moment, explain, prior)
    }

    /// [`Policy::decide_compact`] for a lead a [`crate::LeadReader`] read,
    /// whose flat record it built along the way (used when it was built for
    /// this policy's compiled code).
    pub fn decide_read<'a>(&'a self, read: &ReadLead<'a>, state: &'a State, moment: &'a Moment, explain: bool, prior: Option<&'a Prior>) -> CompactDecision<'a> {
        self.decide_in(read.lead(), read.record_for(self), state, moment, explain, prior)
    }

    /// Decides with `record` already built for this policy's compiled code, when given.
    fn decide_in<'a>(&'a self, lead: &'a Lead, record: Option<&'a Record>, state: &'a State, moment: &'a Moment, explain: bool, prior: Option<&'a Prior>) -> CompactDecision<'a> {
        let mut rec = Record::new();
        let matcher = match (explain, record) {
            (true, _) => None,
            (false, Some(filled)) => Some(Matcher::filled(self, lead, moment.now, filled)),
            (false, None) => Some(Matcher::new(self, lead, moment.now, &mut rec)),
        };
        let mut run = Run {
            p: self,
            lead,
            state,
            m: moment,
            tier: None,
            territory: None,
            matched: Vec::new(),
            ambiguous: false,
            trace: explain.then(Vec::new),
            exceptions: Vec::new(),
            handling: Vec::new(),
            matcher,
            prior,
            duplicate_of: None,
        };
        let (done, origin) = run.decide();
        run.finish(done, origin)
    }

    /// Applies an assigned decision to the state: open load, daily count, rotation.
    /// Other decisions change nothing.
    pub fn commit(&self, state: &mut State, decision: &Decision) {
        if let Some(plan) = &decision.commit {
            self.apply(state, plan);
        }
    }

    /// [`Policy::commit`] for a compact decision.
    pub fn commit_compact(&self, state: &mut State, decision: CompactDecision<'_>) {
        if let Some(plan) = decision.into_plan() {
            self.apply(state, &plan);
        }
    }

    pub(crate) fn apply(&self, state: &mut State, plan: &CommitPlan) {
        let rep = &mut state.reps[plan.rep as usize];
        rep.open_load = rep.open_load.saturating_add(1);
        if rep.day != Some(plan.day) {
            if rep.day.is_some() {
                rep.assigned_today = 0;
            }
            rep.day = Some(plan.day);
        }
        rep.assigned_today = rep.assigned_today.saturating_add(1);
        if let Some((team, update)) = &plan.team {
            let ts = &mut state.teams[*team as usize];
            match update {
                TeamUpdate::Cursor(c) => ts.cursor = Some(*c),
                TeamUpdate::Weights(w) => ts.weights.clone_from(w),
                TeamUpdate::None => {}
            }
        }
    }
}

fn loc_text(l: &Loc) -> String {
    l.to_string()
}

impl<'a> Run<'a, '_> {
    fn ir(&self) -> &'a PolicyIr {
        &self.p.ir
    }

    fn ctx(&self) -> Ctx<'a> {
        Ctx {
            policy: self.p,
            lead: self.lead,
            tier: self.tier,
            territory: self.territory,
            now: self.m.now,
            reads: self.trace.as_ref().map(|_| Vec::new()),
            read_tier: false,
            read_territory: false,
            ambiguous: self.ambiguous,
            lookups: self.trace.as_ref().map(|_| Vec::new()),
        }
    }

    /// Evaluates a condition with the reference evaluator, tracing what it
    /// reads; a missing-field handler action stops routing. (Without a trace
    /// the backend's [`Matcher`] runs instead; they agree, as the tests check.)
    fn test(&mut self, step: &'static str, name: impl FnOnce() -> String, at: &Loc, c: &'a Condition) -> Result<bool, MissingRaised> {
        let mut ctx = self.ctx();
        let result = ctx.test(&c.expr);
        if let Some(trace) = &mut self.trace {
            let mut reads: BTreeMap<String, serde_json::Value> = ctx
                .reads
                .take()
                .unwrap_or_default()
                .into_iter()
                .map(|(slot, v)| {
                    let f = &self.p.ir.fields[slot as usize];
                    (f.name.clone(), v.map_or(serde_json::Value::Null, |v| value_json(&self.p.ir, Some(&f.ty), &v)))
                })
                .collect();
            if ctx.read_tier {
                reads.insert("tier".into(), value_json(&self.p.ir, None, &Value::Tier(self.tier.unwrap_or(u32::MAX))));
            }
            if ctx.read_territory {
                reads.insert("territory".into(), value_json(&self.p.ir, None, &Value::Territory(self.territory)));
            }
            for (table, raw) in ctx.lookups.take().unwrap_or_default() {
                let (key, how) = crate::table::describe(self.p, table, &raw);
                reads.insert(key, serde_json::Value::String(how));
            }
            trace.push(TraceStep {
                step,
                name: name(),
                at: Some(loc_text(at)),
                condition: Some(c.text.clone()),
                reads,
                result: match result {
                    Ok(b) => serde_json::Value::Bool(b),
                    Err(_) => serde_json::Value::String("missing".into()),
                },
                detail: None,
                skipped: Vec::new(),
            });
        }
        result
    }

    fn note(&mut self, step: &'static str, name: String, result: &str, detail: Option<String>) {
        self.note_skips(step, name, result, detail, Vec::new());
    }

    /// Whether a trace is kept (notes are only worth their strings then).
    fn tracing(&self) -> bool {
        self.trace.is_some()
    }

    /// [`Run::note`] for a team assignment, with the members it passed over.
    fn note_skips(&mut self, step: &'static str, name: String, result: &str, detail: Option<String>, skipped: Vec<Skip>) {
        if let Some(trace) = &mut self.trace {
            trace.push(TraceStep {
                step,
                name,
                at: None,
                condition: None,
                reads: BTreeMap::new(),
                result: serde_json::Value::String(result.to_string()),
                detail,
                skipped,
            });
        }
    }

    fn decide(&mut self) -> Stop<'a> {
        let ir = self.ir();
        // Missing fields that a handler fills in are recorded up front.
        for m in &ir.handlers.missing {
            if let (MissingHandling::Assume(v), None) = (&m.handling, &self.lead.values[m.field as usize]) {
                self.exceptions.push(Exc { exception: ExcName::Missing(m.field), handled_by: Handled::Assume(m.field, v) });
            }
        }
        // Tiers: first match wins.
        if let Some(m) = &self.matcher {
            match m.tier() {
                Ok(t) => self.tier = t,
                Err(MissingRaised(slot)) => return self.missing(slot),
            }
        } else {
            for (i, t) in ir.tiers.iter().enumerate() {
                let hit = match &t.condition {
                    None => {
                        self.note("tier", t.name.clone(), "otherwise", None);
                        true
                    }
                    Some(c) => match self.test("tier", || t.name.clone(), &t.loc, c) {
                        Ok(b) => b,
                        Err(MissingRaised(slot)) => return self.missing(slot),
                    },
                };
                if hit {
                    self.tier = Some(i as u32);
                    break;
                }
            }
        }
        if self.tier.is_none() {
            if let Some(stop) = self.raise("no_match", None, || "no tier matched".into()) {
                return stop;
            }
        }
        // Territories: all are evaluated. One match (the usual case) is
        // kept without allocating; the list is built only from a second.
        let mut matched = Matched::default();
        if let Some(m) = &self.matcher {
            if let Err(MissingRaised(slot)) = m.territories(self.tier, |t| matched.push(t)) {
                return self.missing(slot);
            }
        } else {
            for (i, t) in ir.territories.iter().enumerate() {
                match self.test("territory", || t.name.clone(), &t.loc, &t.condition) {
                    Ok(true) => matched.push(i as u32),
                    Ok(false) => {}
                    Err(MissingRaised(slot)) => return self.missing(slot),
                }
            }
        }
        // Several: `ambiguous_territory` is raised where a rule first reads the territory.
        if matched.all.is_empty() {
            self.territory = matched.first;
        } else {
            self.ambiguous = true;
            self.matched = matched.all;
        }
        // A duplicate's handler runs before the routes, on both backends alike.
        if let Some(stop) = self.duplicate() {
            return stop;
        }
        let entry = ir.entry;
        let mut hops = 0;
        self.route(entry, &mut hops)
    }

    fn route(&mut self, route: u32, hops: &mut usize) -> Stop<'a> {
        let ir = self.ir();
        let r = &ir.routes[route as usize];
        *hops += 1;
        if *hops > ir.routes.len() + 1 {
            return (Done::Dropped(Cow::Borrowed("routes loop")), Origin::Route(route));
        }
        let mut from = 0;
        loop {
            let ri = match self.next_rule(route, from) {
                Ok(Some(ri)) => ri,
                Ok(None) => break,
                Err(MissingRaised(slot)) => return self.missing(slot),
            };
            let rule = &r.rules[ri as usize];
            if self.ambiguous && self.p.compiled.routes[route as usize].reads_territory[ri as usize] {
                if let Some(stop) = self.ambiguity(route, ri) {
                    return stop;
                }
                // No handler (only a policy built without the checker): keep the first territory.
                (self.ambiguous, self.territory) = (false, self.matched.first().copied());
                from = ri;
                continue;
            }
            let origin = Origin::Rule { route, rule: ri };
            match self.action(&rule.action, origin, false, hops) {
                (Done::Continue, _) => from = ri + 1,
                stop => return stop,
            }
        }
        self.raise("no_match", None, || format!("no rule of route {} matched", r.name)).unwrap_or((Done::Dropped(Cow::Borrowed("no rule matched")), Origin::Route(route)))
    }

    /// Raises `ambiguous_territory` at rule `ri` of `route`, the first that reads the territory.
    fn ambiguity(&mut self, route: u32, ri: u32) -> Option<Stop<'a>> {
        let ir = self.ir();
        let r = &ir.routes[route as usize];
        let rule = &r.rules[ri as usize];
        let matched = &self.matched;
        let detail = || {
            let names: Vec<&str> = matched.iter().map(|t| ir.territories[*t as usize].name.as_str()).collect();
            let at = format!("{} ({})", r.rule_label(ri as usize), rule.loc);
            format!("matched {}; first read by rule {at} of route {}", names.join(", "), r.name)
        };
        let detail = if self.tracing() { detail() } else { String::new() };
        self.raise("ambiguous_territory", None, move || detail)
    }

    /// The first rule of `route` at or after `from` whose condition holds;
    /// for an ambiguous lead, a rule that reads the territory stops the
    /// search unevaluated.
    fn next_rule(&mut self, route: u32, from: u32) -> Result<Option<u32>, MissingRaised> {
        if let (Some(m), false) = (&self.matcher, self.ambiguous) {
            return m.rule(route, self.tier, self.territory, from);
        }
        let r = &self.ir().routes[route as usize];
        let reads = &self.p.compiled.routes[route as usize].reads_territory;
        for (ri, rule) in r.rules.iter().enumerate().skip(from as usize) {
            if self.ambiguous && reads[ri] {
                return Ok(Some(ri as u32));
            }
            let hit = match &rule.condition {
                None => {
                    if self.tracing() {
                        self.note("rule", r.rule_label(ri), "otherwise", Some(format!("route {}", r.name)));
                    }
                    true
                }
                Some(c) => self.test("rule", || r.rule_label(ri), &rule.loc, c)?,
            };
            if hit {
                return Ok(Some(ri as u32));
            }
        }
        Ok(None)
    }

    /// Runs an action. `in_handler`: a failure cannot go to a handler again.
    fn action(&mut self, a: &'a Action, origin: Origin, in_handler: bool, hops: &mut usize) -> Stop<'a> {
        let ir = self.ir();
        let (failure, fallback) = match a {
            Action::Queue { queue } => return (Done::Queued(*queue), origin),
            Action::Drop { reason } => return (Done::Dropped(Cow::Borrowed(reason)), origin),
            Action::Route { route } => {
                if self.tracing() {
                    self.note("route", ir.routes[*route as usize].name.clone(), "enter", None);
                }
                return self.route(*route, hops);
            }
            Action::AssignTeam { team, strategy, fallback } => {
                let def = &ir.teams[*team as usize];
                let strategy = strategy.unwrap_or(def.strategy);
                match self.p.pick(*team, strategy, self.lead, self.state, self.m) {
                    Ok(pick) => {
                        if self.trace.is_some() {
                            let skipped = self.p.passed_over(*team, strategy, self.state, self.m, pick.rep, &[]);
                            self.note_skips("assign", format!("team {}", def.name), &ir.reps[pick.rep as usize].id, Some(format!("by {}", strategy.name())), skipped);
                        }
                        let plan = CommitPlan { rep: pick.rep, day: self.m.day[pick.rep as usize], team: Some((*team, pick.update)) };
                        return (Done::Assigned { rep: pick.rep, team: Some(*team), plan }, origin);
                    }
                    Err(no) => {
                        if self.tracing() {
                            let mut why: Vec<String> = no.skipped.iter().map(|(r, w)| format!("{} {}", ir.reps[*r as usize].id, self.p.why(*w))).collect();
                            why.extend(no.detail);
                            let sticky = matches!(strategy, Strategy::Sticky { .. });
                            let result = if sticky { NO_OWNER_TO_KEEP } else { NOBODY_AVAILABLE };
                            let skipped = if sticky { Vec::new() } else { no.skipped.iter().map(|(r, w)| self.p.skip_of(*r, *w, self.state, self.m)).collect() };
                            self.note_skips("assign", format!("team {}", def.name), result, Some(why.join("; ")), skipped);
                        }
                        (("no_available_rep", None), fallback)
                    }
                }
            }
            Action::AssignRep { rep, fallback } => match self.rep(*rep, origin) {
                Ok(stop) => return stop,
                Err(exc) => ((exc, None), fallback),
            },
            Action::AssignOwner { field, fallback } => {
                let owner = match self.lead.values[*field as usize].as_ref() {
                    Some(Value::Str(id)) => self.p.rep_by_id.get(id).copied().ok_or_else(|| id.clone()),
                    _ => Err(String::new()),
                };
                match owner {
                    Ok(rep) => match self.rep(rep, origin) {
                        Ok(stop) => return stop,
                        Err(exc) => ((exc, None), fallback),
                    },
                    Err(id) => {
                        if self.tracing() {
                            self.note("assign", format!("owner({})", ir.fields[*field as usize].name), "no such rep", Some(format!("`{id}` is not a rep")));
                        }
                        (("no_match", Some("no_available_rep")), fallback)
                    }
                }
            }
            Action::AssignOwnerOf { value, fallback } => {
                let mut ctx = self.ctx();
                let found = ctx.value(value);
                let mut detail: Vec<String> = Vec::new();
                for (table, raw) in ctx.lookups.take().unwrap_or_default() {
                    let (key, how) = crate::table::describe(self.p, table, &raw);
                    detail.push(format!("{key}: {how}"));
                }
                let owner = match found {
                    Ok(Some(v)) => match v.as_ref() {
                        Value::Str(id) => self.p.rep_by_id.get(id).copied().ok_or_else(|| format!("`{id}` is not a rep")),
                        _ => Err("the value is not a rep id".to_string()),
                    },
                    Ok(None) => Err("no owner: the value is missing".to_string()),
                    Err(_) => Err("no owner: a field it reads is missing".to_string()),
                };
                match owner {
                    Ok(rep) => {
                        if !detail.is_empty() {
                            self.note("lookup", action_owner_text(ir, value), "found", Some(detail.join("; ")));
                        }
                        match self.rep(rep, origin) {
                            Ok(stop) => return stop,
                            Err(exc) => ((exc, None), fallback),
                        }
                    }
                    Err(why) => {
                        detail.push(why);
                        self.note("assign", action_owner_text(ir, value), "no such rep", Some(detail.join("; ")));
                        (("no_match", Some("no_available_rep")), fallback)
                    }
                }
            }
        };
        self.fail(failure, fallback, origin, in_handler, hops)
    }

    /// An assignment found nobody: its `else`, or the policy's handler for `exception`
    /// (or the `second` one named).
    fn fail(&mut self, (exception, second): (&'static str, Option<&'static str>), fallback: &'a Fallback, origin: Origin, in_handler: bool, hops: &mut usize) -> Stop<'a> {
        match fallback {
            Fallback::Continue => {
                self.exceptions.push(Exc { exception: ExcName::Named(exception), handled_by: Handled::ElseContinue });
                (Done::Continue, origin)
            }
            Fallback::Action(next) => {
                self.exceptions.push(Exc { exception: ExcName::Named(exception), handled_by: Handled::Else(next) });
                self.action(next, origin, in_handler, hops)
            }
            Fallback::Handler if in_handler => (Done::Dropped(Cow::Borrowed("a handler's assignment found nobody")), origin),
            Fallback::Handler => {
                let fallback_exc = second.or(if exception == "over_capacity" { Some("no_available_rep") } else { None });
                self.raise(exception, fallback_exc, String::new).unwrap_or_else(|| (Done::Dropped(Cow::Owned(format!("{exception} with no handler"))), origin))
            }
        }
    }

    /// Tries one named rep; Err names the exception to raise.
    fn rep(&mut self, rep: u32, origin: Origin) -> Result<Stop<'a>, &'static str> {
        let ir = self.ir();
        match self.p.availability(rep as usize, self.state, self.m) {
            Ok(()) => {
                if self.tracing() {
                    self.note("assign", format!("rep {}", ir.reps[rep as usize].id), "available", None);
                }
                let plan = CommitPlan { rep, day: self.m.day[rep as usize], team: None };
                Ok((Done::Assigned { rep, team: None, plan }, origin))
            }
            Err(why) => {
                if self.tracing() {
                    self.note("assign", format!("rep {}", ir.reps[rep as usize].id), "unavailable", Some(self.p.why(why)));
                }
                Err(if why.is_capacity() { "over_capacity" } else { "no_available_rep" })
            }
        }
    }

    /// Sends an exception to its handler (or the second one named); `None` when neither exists.
    fn raise(&mut self, exception: &'static str, or_else: Option<&'static str>, detail: impl FnOnce() -> String) -> Option<Stop<'a>> {
        let ir = self.ir();
        let handler = |name: &str| match name {
            "ambiguous_territory" => ir.handlers.ambiguous_territory.as_ref(),
            "no_available_rep" => ir.handlers.no_available_rep.as_ref(),
            "over_capacity" => ir.handlers.over_capacity.as_ref(),
            "no_match" => ir.handlers.no_match.as_ref(),
            _ => None,
        };
        let (used, action) = match handler(exception) {
            Some(a) => (exception, a),
            None => {
                let other = or_else?;
                (other, handler(other)?)
            }
        };
        let origin = Origin::Handler(used);
        if self.handling.contains(&ExcName::Named(used)) {
            return Some(self.raised_again(ExcName::Named(exception), origin));
        }
        if self.tracing() {
            let text = format!("on {used} -> {}", action_text(ir, action));
            let detail = detail();
            self.note("exception", exception.to_string(), &text, (!detail.is_empty()).then_some(detail));
        }
        self.exceptions.push(Exc { exception: ExcName::Named(exception), handled_by: Handled::Handler(used, action) });
        self.handling.push(ExcName::Named(used));
        let mut hops = 0;
        let stop = self.action(action, origin, true, &mut hops);
        self.handling.pop();
        Some(stop)
    }

    /// An exception raised again while its own handler runs: the lead is dropped, with the reason.
    fn raised_again(&mut self, exception: ExcName<'a>, origin: Origin) -> Stop<'a> {
        let name = match exception {
            ExcName::Named(n) => Cow::Borrowed(n),
            ExcName::Missing(slot) => Cow::Owned(format!("missing({})", self.ir().fields[slot as usize].name)),
            ExcName::Duplicate(id) => Cow::Owned(format!("duplicate({id})")),
        };
        let reason = format!("`{name}` was raised again inside its own handler");
        if self.tracing() {
            self.note("exception", name.into_owned(), "not handled", Some(reason.clone()));
        }
        self.exceptions.push(Exc { exception, handled_by: Handled::RaisedAgain });
        (Done::Dropped(Cow::Owned(reason)), origin)
    }

    fn missing(&mut self, slot: u32) -> Stop<'a> {
        let ir = self.ir();
        let origin = Origin::Missing(slot);
        let Some(MissingHandling::Action(action)) = &self.p.missing[slot as usize] else {
            return (Done::Dropped(Cow::Owned(format!("missing({}) with no handler", ir.fields[slot as usize].name))), origin);
        };
        if self.handling.contains(&ExcName::Missing(slot)) {
            return self.raised_again(ExcName::Missing(slot), origin);
        }
        if self.tracing() {
            let name = format!("missing({})", ir.fields[slot as usize].name);
            let text = format!("on {name} -> {}", action_text(ir, action));
            self.note("exception", name, &text, None);
        }
        self.exceptions.push(Exc { exception: ExcName::Missing(slot), handled_by: Handled::Missing(slot, action) });
        self.handling.push(ExcName::Missing(slot));
        let mut hops = 0;
        let stop = self.action(action, origin, true, &mut hops);
        self.handling.pop();
        stop
    }

    fn finish(self, done: Done<'a>, origin: Origin) -> CompactDecision<'a> {
        let (now, m) = (self.m.now, self.m);
        let holder = match &done {
            Done::Assigned { rep, team, .. } => Holder::Rep { rep: *rep, team: *team },
            Done::Queued(q) => Holder::Queue(*q),
            Done::Dropped(_) | Done::Continue => Holder::Nobody,
        };
        let p = self.p;
        let sla_due = self.tier.and_then(|t| {
            let t = &p.ir.tiers[t as usize];
            t.sla_ms.map(|ms| p.due(now, ms, t.sla_business, holder))
        });
        let queue_sla_due = match &done {
            Done::Queued(q) => {
                let queue = &p.ir.queues[*q as usize];
                queue.sla_ms.map(|ms| p.due(m.now, ms, queue.sla_business, Holder::Queue(*q)))
            }
            _ => None,
        };
        CompactDecision {
            p,
            lead_id: &self.lead.id,
            done,
            origin,
            tier: self.tier,
            territory: self.territory,
            matched: self.matched,
            sla_due,
            queue_sla_due,
            exceptions: self.exceptions,
            duplicate_of: self.duplicate_of,
            trace: self.trace,
        }
    }
}

/// An action as written (for `handled_by`).
pub fn action_text(ir: &PolicyIr, a: &Action) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_action(&mut s, ir, a);
    s
}

/// Writes [`action_text`] to `w` piece by piece (no intermediate strings).
pub(crate) fn write_action(w: &mut impl std::fmt::Write, ir: &PolicyIr, a: &Action) -> std::fmt::Result {
    let fallback = |w: &mut dyn std::fmt::Write, f: &Fallback| match f {
        Fallback::Handler => Ok(()),
        Fallback::Continue => w.write_str(" else continue"),
        Fallback::Action(a) => {
            w.write_str(" else ")?;
            write_action_dyn(w, ir, a)
        }
    };
    match a {
        Action::AssignTeam { team, strategy, fallback: fb } => {
            write!(w, "assign team {}", ir.teams[*team as usize].name)?;
            if let Some(s) = strategy {
                write!(w, " by {}", s.name())?;
            }
            fallback(w, fb)
        }
        Action::AssignRep { rep, fallback: fb } => {
            write!(w, "assign rep {}", ir.reps[*rep as usize].id)?;
            fallback(w, fb)
        }
        Action::AssignOwner { field, fallback: fb } => {
            write!(w, "assign owner({})", ir.fields[*field as usize].name)?;
            fallback(w, fb)
        }
        Action::AssignOwnerOf { value, fallback: fb } => {
            write!(w, "assign {}", action_owner_text(ir, value))?;
            fallback(w, fb)
        }
        Action::Queue { queue } => write!(w, "queue {}", ir.queues[*queue as usize].name),
        Action::Route { route } => write!(w, "route {}", ir.routes[*route as usize].name),
        Action::Drop { reason } => write!(w, "drop {reason:?}"),
    }
}

/// [`write_action`] through a trait object (for the recursion into fallbacks).
fn write_action_dyn(w: &mut dyn std::fmt::Write, ir: &PolicyIr, a: &Action) -> std::fmt::Result {
    struct Dyn<'w>(&'w mut dyn std::fmt::Write);
    impl std::fmt::Write for Dyn<'_> {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.write_str(s)
        }
    }
    write_action(&mut Dyn(w), ir, a)
}

/// `owner(accounts[...].owner)` for traces: the table and column read.
fn action_owner_text(ir: &PolicyIr, value: &Expr) -> String {
    match value {
        Expr::Lookup { table, column, .. } => {
            let Some(t) = ir.tables.get(*table as usize) else { return "owner(...)".to_string() };
            let col = column.and_then(|c| t.columns.get(c as usize)).map_or(String::new(), |c| format!(".{}", c.name));
            format!("owner({}[...]{col})", t.name)
        }
        Expr::Else { value, .. } => action_owner_text(ir, value),
        _ => "owner(...)".to_string(),
    }
}

/// The territories a lead matched: the first alone, and every one once
/// there are two (so one match allocates nothing).
#[derive(Default)]
struct Matched {
    first: Option<u32>,
    all: Vec<u32>,
}

impl Matched {
    fn push(&mut self, t: u32) {
        match self.first {
            None => self.first = Some(t),
            Some(f) => {
                if self.all.is_empty() {
                    self.all.push(f);
                }
                self.all.push(t);
            }
        }
    }
}
