//! A decision as `decide` makes it: indices into the policy and borrowed
//! text, so that deciding allocates next to nothing. Names and times become
//! strings only when the decision is written: as a [`Decision`], or straight
//! to JSON with [`CompactDecision::write_json`] (the same bytes as
//! serializing the [`Decision`]).

use std::borrow::Cow;
use std::io::Write;

use crate::decide::write_action;
use crate::decide::names::JsonText;
use crate::decision::{CommitPlan, Decision, ExceptionRecord, Outcome, TraceStep};
use crate::duplicate::Prior;
use crate::ir::{Action, Value};
use crate::policy::Policy;
use crate::state::format_time;

/// How an action ended.
pub(super) enum Done<'a> {
    Assigned { rep: u32, team: Option<u32>, plan: CommitPlan },
    Queued(u32),
    Dropped(Cow<'a, str>),
    /// `else continue`: try the next rule.
    Continue,
}

/// Where the decision was made.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// A rule of a route.
    Rule { route: u32, rule: u32 },
    /// A route as a whole (no rule matched, or routes loop).
    Route(u32),
    /// The handler of an exception (`on no_match`).
    Handler(&'static str),
    /// A missing field's handler.
    Missing(u32),
    /// The duplicate handler.
    Duplicate,
}

/// An exception's name.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ExcName<'a> {
    /// `no_match`, `no_available_rep` ...
    Named(&'static str),
    /// `missing(field)`.
    Missing(u32),
    /// `duplicate(lead id)`.
    Duplicate(&'a str),
}

/// What handled an exception.
#[derive(Clone, Copy)]
pub(super) enum Handled<'a> {
    /// `else continue`.
    ElseContinue,
    /// `else ACTION`.
    Else(&'a Action),
    /// `on USED -> ACTION`.
    Handler(&'static str, &'a Action),
    /// `on missing(field) -> ACTION`.
    Missing(u32, &'a Action),
    /// `on missing(field) -> assume VALUE`.
    Assume(u32, &'a Value),
    /// The handler's own text.
    Text(&'a str),
    /// The exception was raised again inside its own handler.
    RaisedAgain,
}

/// An exception raised while deciding and what handled it.
#[derive(Clone, Copy)]
pub(super) struct Exc<'a> {
    pub exception: ExcName<'a>,
    pub handled_by: Handled<'a>,
}

/// A decision before its names are spelled out: what [`Policy::decide_compact`] returns.
pub struct CompactDecision<'a> {
    pub(super) p: &'a Policy,
    pub(super) lead_id: &'a str,
    pub(super) done: Done<'a>,
    pub(super) origin: Origin,
    pub(super) tier: Option<u32>,
    pub(super) territory: Option<u32>,
    pub(super) matched: Vec<u32>,
    pub(super) sla_due: Option<i64>,
    pub(super) queue_sla_due: Option<i64>,
    pub(super) exceptions: Vec<Exc<'a>>,
    pub(super) duplicate_of: Option<&'a Prior>,
    pub(super) trace: Option<Vec<TraceStep>>,
}

impl std::fmt::Debug for CompactDecision<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompactDecision").field("lead_id", &self.lead_id).field("outcome", &self.outcome()).finish_non_exhaustive()
    }
}

impl ExcName<'_> {
    fn text(self, p: &Policy) -> String {
        match self {
            ExcName::Named(n) => n.to_string(),
            ExcName::Missing(slot) => format!("missing({})", p.ir.fields[slot as usize].name),
            ExcName::Duplicate(id) => format!("duplicate({id})"),
        }
    }
}

impl Handled<'_> {
    fn text(self, p: &Policy) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(p, &mut s);
        s
    }

    /// Writes [`Handled::text`] to `w` piece by piece.
    fn write(self, p: &Policy, w: &mut impl std::fmt::Write) -> std::fmt::Result {
        let ir = &p.ir;
        match self {
            Handled::ElseContinue => w.write_str("else continue"),
            Handled::Else(a) => {
                w.write_str("else ")?;
                write_action(w, ir, a)
            }
            Handled::Handler(used, a) => {
                write!(w, "on {used} -> ")?;
                write_action(w, ir, a)
            }
            Handled::Missing(slot, a) => {
                write!(w, "on missing({}) -> ", ir.fields[slot as usize].name)?;
                write_action(w, ir, a)
            }
            Handled::Assume(slot, v) => {
                let f = &ir.fields[slot as usize];
                write!(w, "on missing({}) -> assume {}", f.name, crate::decision::value_json(ir, Some(&f.ty), v))
            }
            Handled::Text(t) => w.write_str(t),
            Handled::RaisedAgain => w.write_str("nothing: raised again inside its own handler"),
        }
    }
}

impl Origin {
    /// The `rule` and `route` of the decision.
    fn names(self, p: &Policy) -> (Cow<'_, str>, Option<&str>) {
        let ir = &p.ir;
        match self {
            Origin::Rule { route, rule } => {
                let r = &ir.routes[route as usize];
                let label = match r.rules.get(rule as usize).and_then(|x| x.name.as_deref()) {
                    Some(n) => Cow::Borrowed(n),
                    None => Cow::Owned(r.rule_label(rule as usize)),
                };
                (label, Some(r.name.as_str()))
            }
            Origin::Route(route) => {
                let name = ir.routes[route as usize].name.as_str();
                (Cow::Borrowed(name), Some(name))
            }
            Origin::Handler(used) => (Cow::Owned(format!("on {used}")), None),
            Origin::Missing(slot) => (Cow::Owned(format!("on missing({})", ir.fields[slot as usize].name)), None),
            Origin::Duplicate => (Cow::Borrowed("on duplicate"), None),
        }
    }
}

impl<'a> CompactDecision<'a> {
    /// What became of the lead.
    pub fn outcome(&self) -> Outcome {
        match self.done {
            Done::Assigned { .. } => Outcome::Assigned,
            Done::Queued(_) => Outcome::Queued,
            Done::Dropped(_) | Done::Continue => Outcome::Dropped,
        }
    }

    /// The lead's id.
    pub fn lead_id(&self) -> &'a str {
        self.lead_id
    }

    /// The rep, team and queue the lead went to (names), for callers that keep them.
    pub fn holder(&self) -> (Option<&'a str>, Option<&'a str>, Option<&'a str>) {
        let ir = &self.p.ir;
        match &self.done {
            Done::Assigned { rep, team, .. } => {
                (Some(ir.reps[*rep as usize].id.as_str()), team.map(|t| ir.teams[t as usize].name.as_str()), None)
            }
            Done::Queued(q) => (None, None, Some(ir.queues[*q as usize].name.as_str())),
            _ => (None, None, None),
        }
    }

    /// What committing the decision changes (assigned decisions only).
    pub(crate) fn into_plan(self) -> Option<CommitPlan> {
        match self.done {
            Done::Assigned { plan, .. } => Some(plan),
            _ => None,
        }
    }

    /// The decision with its names spelled out.
    pub fn to_decision(&self) -> Decision {
        let mut d = self.spelled();
        d.trace.clone_from(&self.trace);
        d
    }

    /// [`CompactDecision::to_decision`], moving the trace rather than copying it.
    pub fn into_decision(mut self) -> Decision {
        let trace = self.trace.take();
        let mut d = self.spelled();
        d.trace = trace;
        d
    }

    /// The decision without its trace.
    fn spelled(&self) -> Decision {
        let p = self.p;
        let ir = &p.ir;
        let mut d = Decision::rejected(self.lead_id.to_string(), Vec::new(), &ir.policy_version);
        d.outcome = self.outcome();
        d.tier = self.tier.map(|t| ir.tiers[t as usize].name.clone());
        d.territory = self.territory.map(|t| ir.territories[t as usize].name.clone());
        d.territories = self.matched.iter().map(|t| ir.territories[*t as usize].name.clone()).collect();
        d.sla_due = self.sla_due.map(format_time);
        let (rule, route) = self.origin.names(p);
        d.rule = Some(rule.into_owned());
        d.route = route.map(str::to_string);
        d.exceptions = self.exceptions.iter().map(|e| ExceptionRecord { exception: e.exception.text(p), handled_by: e.handled_by.text(p) }).collect();
        d.duplicate_of = self.duplicate_of.cloned();
        match &self.done {
            Done::Assigned { rep, team, plan } => {
                d.rep = Some(ir.reps[*rep as usize].id.clone());
                d.team = team.map(|t| ir.teams[t as usize].name.clone());
                d.commit = Some(plan.clone());
            }
            Done::Queued(q) => {
                d.queue = Some(ir.queues[*q as usize].name.clone());
                d.queue_sla_due = self.queue_sla_due.map(format_time);
            }
            Done::Dropped(reason) => d.reason = Some(reason.to_string()),
            // A route's last rule cannot continue past `otherwise`; treat as a drop if an IR does.
            Done::Continue => d.reason = Some("no rule took the lead".into()),
        }
        d
    }

    /// Writes the decision as one line of JSON (without the newline): the
    /// bytes `serde_json::to_writer` writes for [`CompactDecision::to_decision`],
    /// without building it.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let p = self.p;
        let names = &p.json;
        let (rep, team, queue) = match &self.done {
            Done::Assigned { rep, team, .. } => (Some(&*names.reps[*rep as usize]), team.map(|t| &*names.teams[t as usize]), None),
            Done::Queued(q) => (None, None, Some(&*names.queues[*q as usize])),
            _ => (None, None, None),
        };
        out.extend_from_slice(b"{\"lead_id\":");
        string(out, self.lead_id);
        out.extend_from_slice(b",\"outcome\":\"");
        out.extend_from_slice(self.outcome().as_str().as_bytes());
        out.extend_from_slice(b"\",\"rep\":");
        quoted(out, rep);
        out.extend_from_slice(b",\"team\":");
        quoted(out, team);
        out.extend_from_slice(b",\"queue\":");
        quoted(out, queue);
        out.extend_from_slice(b",\"tier\":");
        quoted(out, self.tier.map(|t| &*names.tiers[t as usize]));
        out.extend_from_slice(b",\"territory\":");
        quoted(out, self.territory.map(|t| &*names.territories[t as usize]));
        if !self.matched.is_empty() {
            out.extend_from_slice(b",\"territories\":[");
            for (i, t) in self.matched.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(names.territories[*t as usize].as_bytes());
            }
            out.push(b']');
        }
        out.extend_from_slice(b",\"rule\":");
        match self.origin {
            Origin::Rule { route, rule } => out.extend_from_slice(names.rules[route as usize][rule as usize].as_bytes()),
            Origin::Route(route) => out.extend_from_slice(names.routes[route as usize].as_bytes()),
            other => string(out, &other.names(p).0),
        }
        out.extend_from_slice(b",\"route\":");
        match self.origin {
            Origin::Rule { route, .. } | Origin::Route(route) => out.extend_from_slice(names.routes[route as usize].as_bytes()),
            _ => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"reason\":");
        match &self.done {
            Done::Dropped(r) => string(out, r),
            Done::Continue => string(out, "no rule took the lead"),
            _ => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"sla_due\":");
        time(out, self.sla_due);
        if let (Done::Queued(_), Some(due)) = (&self.done, self.queue_sla_due) {
            out.extend_from_slice(b",\"queue_sla_due\":");
            time(out, Some(due));
        }
        out.extend_from_slice(b",\"exceptions\":[");
        for (i, e) in self.exceptions.iter().enumerate() {
            out.extend_from_slice(if i > 0 { b",{\"exception\":" } else { b"{\"exception\":" });
            match e.exception {
                ExcName::Named(n) => string(out, n),
                ExcName::Missing(slot) => {
                    out.extend_from_slice(b"\"missing(");
                    super::names::write_contents(out, &p.ir.fields[slot as usize].name);
                    out.extend_from_slice(b")\"");
                }
                other => string(out, &other.text(p)),
            }
            out.extend_from_slice(b",\"handled_by\":\"");
            // Writing to a Vec cannot fail.
            let _ = e.handled_by.write(p, &mut JsonText(out));
            out.extend_from_slice(b"\"}");
        }
        out.push(b']');
        if let Some(prior) = &self.duplicate_of {
            out.extend_from_slice(b",\"duplicate_of\":");
            // Writing to a Vec cannot fail, nor can serializing a `Prior` (strings only).
            let _ = serde_json::to_writer(&mut *out, prior);
        }
        out.extend_from_slice(b",\"policy_version\":");
        out.extend_from_slice(names.policy_version.as_bytes());
        if let Some(trace) = &self.trace {
            out.extend_from_slice(b",\"trace\":");
            let _ = serde_json::to_writer(&mut *out, trace);
        }
        out.push(b'}');
    }
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut Vec<u8>, s: &str) {
    super::names::write_str(out, s);
}

/// A name quoted when the policy was loaded, or `null`.
fn quoted(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => out.extend_from_slice(s.as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
}

/// A time as `format_time` spells it, quoted, or `null`.
fn time(out: &mut Vec<u8>, ms: Option<i64>) {
    match ms {
        Some(ms) if crate::time::write_quoted_time(out, ms) => {}
        Some(ms) => match jiff::Timestamp::from_millisecond(ms) {
            Ok(t) => {
                let _ = write!(out, "\"{t}\"");
            }
            Err(_) => string(out, &ms.to_string()),
        },
        None => out.extend_from_slice(b"null"),
    }
}
