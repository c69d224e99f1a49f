//! SLA breaches: what the policy's `on sla_breach` handlers do with a lead
//! nobody contacted within its tier's SLA, the reminders before that, and
//! where an overdue queue item escalates. Pure and deterministic like
//! `decide`: the clock, the lead's history and the state come from the caller.

use std::collections::BTreeMap;

use crate::avail::{Holder, Moment};
use crate::decide::action_text;
use crate::decision::{CommitPlan, Decision, ExceptionRecord, Outcome, Skip, TraceStep, NOBODY_AVAILABLE};
use crate::ir::{Action, BreachAction, BreachDef, EscalateDef, Fallback, Strategy, Value};
use crate::lead::Lead;
use crate::policy::Policy;
use crate::state::State;

/// What an SLA breach does to a lead.
// The service's contract returns the decision by value; a breach is rare, the size does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum BreachResult {
    /// The lead moves: a new decision to commit with `Policy::commit` (moves load and rotation as any assignment).
    Moved(Decision),
    /// The lead stays; a notification with this text goes out.
    Notify(String),
    /// No handler covers this lead's tier.
    Unhandled,
}

/// A reminder before a tier's SLA runs out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// How long before the due time it fires (milliseconds).
    pub before_ms: i64,
    /// The notification's text.
    pub message: String,
}

/// Where an overdue queue item goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Escalation {
    /// The item moves to this queue, whose own SLA (if any) then runs.
    Queue {
        /// The queue's name.
        queue: String,
        /// Its SLA in milliseconds.
        sla_ms: Option<i64>,
    },
    /// The item stays; a notification with this text goes out.
    Notify(String),
}

/// Where a breach handler's action ended.
enum Landed {
    Rep { rep: u32, team: Option<(u32, crate::decision::TeamUpdate)> },
    Queue(u32),
    Drop(String),
    /// `route R` (only from a policy-wide handler): not something a breach can do.
    Nowhere,
}

/// One breach being handled: the lead's history and what happened so far.
struct Breach<'a> {
    p: &'a Policy,
    lead: &'a Lead,
    state: &'a State,
    m: &'a Moment,
    /// Rep indexes that held the lead (unknown ids are left out).
    holders: Vec<u32>,
    trace: Option<Vec<TraceStep>>,
    exceptions: Vec<ExceptionRecord>,
}

impl Policy {
    /// The SLA of the tier named `tier`, in milliseconds.
    pub fn tier_sla_ms(&self, tier: &str) -> Option<i64> {
        self.ir.tiers.iter().find(|t| t.name == tier).and_then(|t| t.sla_ms)
    }

    /// The SLA of the queue named `queue`, in milliseconds (`None` also when it has none).
    pub fn queue_sla_ms(&self, queue: &str) -> Option<i64> {
        self.ir.queues.iter().find(|q| q.name == queue).and_then(|q| q.sla_ms)
    }

    /// The reminder for leads of `tier`: its own `on sla_warning(tier, D)`,
    /// else the catch-all `on sla_warning(D)`; `None` for an unknown tier.
    pub fn reminder(&self, tier: &str) -> Option<Reminder> {
        let t = self.tier_index(tier)?;
        let r = self.ir.reminders.iter().find(|r| r.tier == Some(t)).or_else(|| self.ir.reminders.iter().find(|r| r.tier.is_none()))?;
        Some(Reminder { before_ms: r.before_ms, message: r.message.clone() })
    }

    /// Where an item of `queue` goes once the queue's SLA has passed.
    pub fn escalation(&self, queue: &str) -> Option<Escalation> {
        let q = self.ir.queues.iter().find(|q| q.name == queue)?;
        Some(match q.escalate.as_ref()? {
            EscalateDef::Queue { queue } => {
                let target = &self.ir.queues[*queue as usize];
                Escalation::Queue { queue: target.name.clone(), sla_ms: target.sla_ms }
            }
            EscalateDef::Notify { message } => Escalation::Notify(message.clone()),
        })
    }

    /// The breach handler for the tier with index `tier`: its own, else the catch-all.
    pub(crate) fn breach_handler(&self, tier: u32) -> Option<&BreachDef> {
        self.ir.breach.iter().find(|b| b.tier == Some(tier)).or_else(|| self.ir.breach.iter().find(|b| b.tier.is_none()))
    }

    fn tier_index(&self, tier: &str) -> Option<u32> {
        self.ir.tiers.iter().position(|t| t.name == tier).map(|i| i as u32)
    }

    /// The lead's tier SLA ran out before first contact: applies the breach
    /// handler for its tier. `current` is the lead's latest decision (tier,
    /// team, rep); `holders` every rep id that has held the lead (including
    /// the current rep): none of them gets it again. A reassignment picks
    /// with the team's own strategy (a `sticky` team's other members take
    /// turns, since its owner is the rep who breached). With `explain`, the
    /// decision carries a trace naming each rep skipped and why.
    pub fn breach(&self, lead: &Lead, current: &Decision, holders: &[&str], state: &State, moment: &Moment, explain: bool) -> BreachResult {
        let Some(tier) = current.tier.as_deref().and_then(|t| self.tier_index(t)) else { return BreachResult::Unhandled };
        let Some(handler) = self.breach_handler(tier) else { return BreachResult::Unhandled };
        let mut held: Vec<u32> = holders.iter().filter_map(|h| self.rep_by_id.get(*h).copied()).collect();
        if let Some(r) = current.rep.as_deref().and_then(|r| self.rep_by_id.get(r)) {
            held.push(*r);
        }
        let tier_name = &self.ir.tiers[tier as usize].name;
        let mut b = Breach { p: self, lead, state, m: moment, holders: held, trace: explain.then(Vec::new), exceptions: Vec::new() };
        b.note("exception", format!("sla_breach({tier_name})"), &handler.text, None);
        b.exceptions.push(ExceptionRecord { exception: format!("sla_breach({tier_name})"), handled_by: handler.text.clone() });
        let landed = match &handler.action {
            BreachAction::Notify { message } => return BreachResult::Notify(message.clone()),
            BreachAction::Act { action } => b.action(action, false),
            BreachAction::Reassign { fallback } => b.reassign(current, fallback),
        };
        let mut d = current.clone();
        d.rep = None;
        d.team = None;
        d.queue = None;
        d.sla_due = None;
        d.queue_sla_due = None;
        d.reason = None;
        d.errors = Vec::new();
        d.rule = Some(handler.text.clone());
        d.route = None;
        d.policy_version = self.version().to_string();
        d.commit = None;
        match landed {
            Landed::Rep { rep, team } => {
                d.outcome = Outcome::Assigned;
                d.rep = Some(self.ir.reps[rep as usize].id.clone());
                d.team = team.as_ref().map(|(t, _)| self.ir.teams[*t as usize].name.clone());
                d.sla_due = self.tier_due(tier, moment.now, Holder::Rep { rep, team: team.as_ref().map(|(t, _)| *t) });
                d.commit = Some(CommitPlan { rep, day: moment.day[rep as usize], team });
            }
            Landed::Queue(q) => {
                d.outcome = Outcome::Queued;
                let queue = &self.ir.queues[q as usize];
                d.queue = Some(queue.name.clone());
                d.queue_sla_due = self.queue_due_text(q, moment.now);
            }
            Landed::Drop(reason) => {
                d.outcome = Outcome::Dropped;
                d.reason = Some(reason);
            }
            Landed::Nowhere => return BreachResult::Unhandled,
        }
        d.exceptions = b.exceptions;
        d.trace = b.trace;
        BreachResult::Moved(d)
    }
}

impl Breach<'_> {
    fn note(&mut self, step: &'static str, name: String, result: &str, detail: Option<String>) {
        self.note_skips(step, name, result, detail, Vec::new());
    }

    /// [`Breach::note`] for a team assignment, with the members it passed over.
    fn note_skips(&mut self, step: &'static str, name: String, result: &str, detail: Option<String>, skipped: Vec<Skip>) {
        if let Some(trace) = &mut self.trace {
            trace.push(TraceStep { step, name, at: None, condition: None, reads: BTreeMap::new(), result: serde_json::Value::String(result.into()), detail, skipped });
        }
    }

    fn rep_id(&self, rep: u32) -> &str {
        &self.p.ir.reps[rep as usize].id
    }

    /// `reassign`: another member of the lead's team, by the team's strategy.
    fn reassign(&mut self, current: &Decision, fallback: &Fallback) -> Landed {
        let ir = &self.p.ir;
        let team = current.team.as_deref().and_then(|t| ir.teams.iter().position(|d| d.name == t)).map(|t| t as u32);
        let Some(team) = team else {
            self.note("reassign", "no team".into(), "nobody", Some("the lead was not assigned through a team".into()));
            return self.failed(fallback, false);
        };
        let strategy = match ir.teams[team as usize].strategy {
            // The owner is the rep who breached: the other members take turns.
            Strategy::Sticky { .. } => Strategy::RoundRobin,
            s => s,
        };
        match self.team(team, strategy, "reassign") {
            Some(l) => l,
            None => self.failed(fallback, false),
        }
    }

    /// Tries a team without its holders; traces the outcome.
    fn team(&mut self, team: u32, strategy: Strategy, step: &'static str) -> Option<Landed> {
        let p = self.p;
        let name = format!("team {}", p.ir.teams[team as usize].name);
        let held: Vec<String> = p.ir.teams[team as usize]
            .members
            .iter()
            .filter(|m| self.holders.contains(m))
            .map(|m| format!("{} held it before", self.rep_id(*m)))
            .collect();
        match p.pick_excluding(team, strategy, self.lead, self.state, self.m, &self.holders) {
            Ok(pick) => {
                let mut why = vec![format!("by {}", strategy.name())];
                why.extend(held);
                for &m in &p.ir.teams[team as usize].members {
                    if let (false, Err(w)) = (self.holders.contains(&m), p.availability(m as usize, self.state, self.m)) {
                        why.push(format!("{} {}", self.rep_id(m), p.why(w)));
                    }
                }
                let id = self.rep_id(pick.rep).to_string();
                let skipped = if self.trace.is_some() { p.passed_over(team, strategy, self.state, self.m, pick.rep, &self.holders) } else { Vec::new() };
                self.note_skips(step, name, &id, Some(why.join("; ")), skipped);
                Some(Landed::Rep { rep: pick.rep, team: Some((team, pick.update)) })
            }
            Err(no) => {
                let mut why = held;
                why.extend(no.skipped.iter().map(|(r, w)| format!("{} {}", self.rep_id(*r), self.p.why(*w))));
                why.extend(no.detail);
                self.note(step, name, NOBODY_AVAILABLE, Some(why.join("; ")));
                None
            }
        }
    }

    /// One named rep: not a holder, and available.
    fn rep(&mut self, rep: u32) -> Result<Landed, &'static str> {
        let name = format!("rep {}", self.rep_id(rep));
        if self.holders.contains(&rep) {
            self.note("assign", name, "skipped", Some("held it before".into()));
            return Err("no_available_rep");
        }
        match self.p.availability(rep as usize, self.state, self.m) {
            Ok(()) => {
                self.note("assign", name, "available", None);
                Ok(Landed::Rep { rep, team: None })
            }
            Err(why) => {
                self.note("assign", name, "unavailable", Some(self.p.why(why)));
                Err(if why.is_capacity() { "over_capacity" } else { "no_available_rep" })
            }
        }
    }

    /// Runs an action; `in_handler`: a failure cannot go to a policy handler again.
    fn action(&mut self, a: &Action, in_handler: bool) -> Landed {
        let ir = &self.p.ir;
        match a {
            Action::Queue { queue } => Landed::Queue(*queue),
            Action::Drop { reason } => Landed::Drop(reason.clone()),
            Action::Route { .. } => Landed::Nowhere,
            Action::AssignTeam { team, strategy, fallback } => {
                let s = strategy.unwrap_or(ir.teams[*team as usize].strategy);
                match self.team(*team, s, "assign") {
                    Some(l) => l,
                    None => self.failed(fallback, in_handler),
                }
            }
            Action::AssignRep { rep, fallback } => match self.rep(*rep) {
                Ok(l) => l,
                Err(_) => self.failed(fallback, in_handler),
            },
            Action::AssignOwner { field, fallback } => {
                let owner = match self.lead.values.get(*field as usize).and_then(Option::as_ref) {
                    Some(Value::Str(id)) => self.p.rep_by_id.get(id).copied(),
                    _ => None,
                };
                match owner.map(|r| self.rep(r)) {
                    Some(Ok(l)) => l,
                    _ => self.failed(fallback, in_handler),
                }
            }
            // The checker allows no `owner(...)` in breach handlers; a hand-made IR's goes to its fallback.
            Action::AssignOwnerOf { fallback, .. } => self.failed(fallback, in_handler),
        }
    }

    /// Nobody took the lead: the `else`, or the policy's `on no_available_rep`.
    fn failed(&mut self, fallback: &Fallback, in_handler: bool) -> Landed {
        let ir = &self.p.ir;
        match fallback {
            Fallback::Action(next) => {
                self.exceptions.push(ExceptionRecord { exception: "no_available_rep".into(), handled_by: format!("else {}", action_text(ir, next)) });
                self.action(next, in_handler)
            }
            // A handler's own assignment found nobody: the checker requires an `else` there.
            _ if in_handler => Landed::Drop("a handler's assignment found nobody".into()),
            Fallback::Handler | Fallback::Continue => match &ir.handlers.no_available_rep {
                Some(h) => {
                    let text = format!("on no_available_rep -> {}", action_text(ir, h));
                    self.note("exception", "no_available_rep".into(), &text, None);
                    self.exceptions.push(ExceptionRecord { exception: "no_available_rep".into(), handled_by: text });
                    self.action(h, true)
                }
                None => Landed::Nowhere,
            },
        }
    }
}
