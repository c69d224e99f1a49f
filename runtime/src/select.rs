//! Choosing the evaluator, and matching a lead without a trace: the tier,
//! the territories and the first rule of a route that holds, by compiled
//! code or by the interpreter, which give the same answers.

use std::fmt;
use std::str::FromStr;

use crate::compiled;
use crate::error::BackendError;
use crate::eval::{Ctx, MissingRaised};
use crate::flat::Record;
use crate::ir::Action;
use crate::lead::Lead;
use crate::policy::Policy;

/// Which evaluator decides conditions. Outputs are identical either way;
/// traces always come from the reference interpreter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The interpreter: conditions specialised at load time, evaluated as a tree.
    Interp,
    /// Native code compiled with Cranelift at load time (feature `jit`).
    Jit,
}

impl Backend {
    /// The backend policies use unless told otherwise: the JIT where this
    /// build has it and the host is supported, else the interpreter.
    pub fn host_default() -> Backend {
        if Backend::Jit.unavailable().is_none() {
            Backend::Jit
        } else {
            Backend::Interp
        }
    }

    /// Why this backend cannot run here, if it cannot.
    pub fn unavailable(self) -> Option<BackendError> {
        match self {
            Backend::Interp => None,
            #[cfg(feature = "jit")]
            Backend::Jit if crate::jit::host_supported() => None,
            #[cfg(feature = "jit")]
            Backend::Jit => Some(BackendError::UnsupportedHost),
            #[cfg(not(feature = "jit"))]
            Backend::Jit => Some(BackendError::NotBuilt),
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Interp => "interp",
            Backend::Jit => "jit",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Backend {
    type Err = BackendError;
    /// `jit` or `interp`; any other name is [`BackendError::Unknown`].
    fn from_str(s: &str) -> Result<Backend, BackendError> {
        match s {
            "interp" => Ok(Backend::Interp),
            "jit" => Ok(Backend::Jit),
            other => Err(BackendError::Unknown { name: other.to_string() }),
        }
    }
}

/// Matches one lead's conditions with the policy's backend (no trace).
pub(crate) struct Matcher<'a> {
    p: &'a Policy,
    lead: &'a Lead,
    now: i64,
    #[cfg(feature = "jit")]
    code: Option<(&'a crate::jit::Jit, &'a Record)>,
}

impl<'a> Matcher<'a> {
    /// A matcher for `lead` at `now`; with compiled code, the flat record is
    /// built here, in `rec` (the caller's, so that it is not moved around).
    #[cfg_attr(not(feature = "jit"), allow(unused_variables))]
    pub(crate) fn new(p: &'a Policy, lead: &'a Lead, now: i64, rec: &'a mut Record) -> Matcher<'a> {
        Matcher {
            p,
            lead,
            now,
            #[cfg(feature = "jit")]
            code: p.jit.as_deref().map(|j| {
                j.fill(p, lead, rec);
                (j, &*rec)
            }),
        }
    }

    /// A matcher for `lead` whose flat record `rec` is already built for
    /// `p`'s compiled code (the caller checked the compilation it was built for).
    #[cfg_attr(not(feature = "jit"), allow(unused_variables))]
    pub(crate) fn filled(p: &'a Policy, lead: &'a Lead, now: i64, rec: &'a Record) -> Matcher<'a> {
        Matcher {
            p,
            lead,
            now,
            #[cfg(feature = "jit")]
            code: p.jit.as_deref().map(|j| (j, rec)),
        }
    }

    /// The first tier whose condition holds.
    pub(crate) fn tier(&self) -> Result<Option<u32>, MissingRaised> {
        #[cfg(feature = "jit")]
        if let Some((j, rec)) = &self.code {
            return j.tier(self.p, self.lead, rec, self.now);
        }
        for (i, c) in self.p.compiled.tiers.iter().enumerate() {
            let hit = match c {
                Some(c) => compiled::test(self.p, c, self.lead, None, None, self.now)?,
                None => true,
            };
            if hit {
                return Ok(Some(i as u32));
            }
        }
        Ok(None)
    }

    /// The territories whose conditions hold, in order, as a callback per
    /// match (a raise stops at its territory).
    pub(crate) fn territories(&self, tier: Option<u32>, mut each: impl FnMut(u32)) -> Result<(), MissingRaised> {
        #[cfg(feature = "jit")]
        if let Some((j, rec)) = &self.code {
            return j.territories(self.p, self.lead, rec, self.now, tier, each);
        }
        for (i, c) in self.p.compiled.territories.iter().enumerate() {
            if compiled::test(self.p, c, self.lead, tier, None, self.now)? {
                each(i as u32);
            }
        }
        Ok(())
    }

    /// The first rule of `route`, at or after `from`, whose condition holds.
    pub(crate) fn rule(&self, route: u32, tier: Option<u32>, territory: Option<u32>, from: u32) -> Result<Option<u32>, MissingRaised> {
        #[cfg(feature = "jit")]
        if let Some((j, rec)) = &self.code {
            if from == 0 || j.resumable[route as usize] {
                return j.rule(self.p, self.lead, rec, self.now, route, tier, territory, from);
            }
        }
        let cr = &self.p.compiled.routes[route as usize];
        let t = territory.map_or(self.p.ir.territories.len(), |t| t as usize);
        let order = cr.rules_for(t);
        let start = order.partition_point(|r| *r < from);
        for &ri in &order[start..] {
            let hit = match &cr.rules[ri as usize] {
                Some(c) => compiled::test(self.p, c, self.lead, tier, territory, self.now)?,
                None => true,
            };
            if hit {
                return Ok(Some(ri));
            }
        }
        Ok(None)
    }
}

/// A lead laid out for one policy's compiled code (see [`Policy::flat_lead`]).
pub struct FlatLead {
    lead: Lead,
    #[cfg_attr(not(feature = "jit"), allow(dead_code))]
    rec: Record,
    /// The compilation the record was laid out for.
    layout: Option<u64>,
}

impl FlatLead {
    /// The lead.
    pub fn lead(&self) -> &Lead {
        &self.lead
    }
}

impl fmt::Debug for FlatLead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlatLead").field("lead", &self.lead).field("layout", &self.layout).finish()
    }
}

/// Which rule a lead reaches, before allocation strategies, rep state and
/// exception handlers: what [`Policy::select`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The tier (index into the IR's tiers).
    pub tier: Option<u32>,
    /// The territory (none when several matched: see `territories_matched`).
    pub territory: Option<u32>,
    /// How many territories matched (more than one is `ambiguous_territory`).
    pub territories_matched: u32,
    /// What stopped matching.
    pub outcome: Selected,
}

/// Where matching ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selected {
    /// This rule of this route fires; `route` actions have been followed.
    Rule {
        /// Route index.
        route: u32,
        /// Rule index within the route.
        rule: u32,
    },
    /// No rule of this route holds (`no_match`).
    NoRule {
        /// Route index.
        route: u32,
    },
    /// A lead in several territories reaches this rule, the first that
    /// reads the territory: `ambiguous_territory` is raised here.
    Ambiguous {
        /// Route index.
        route: u32,
        /// Rule index within the route.
        rule: u32,
    },
    /// A missing field whose handler is an action stops routing.
    Missing {
        /// The field's slot.
        field: u32,
    },
}

impl Policy {
    /// Lays `lead` out for this policy's compiled code once, so that
    /// [`Policy::select_flat`] decides it without that step: for a service
    /// that reads a lead once and decides it on a hot path, the analogue of
    /// parsing into a typed struct. With the interpreter nothing is laid out.
    #[cfg_attr(not(feature = "jit"), allow(unused_mut))]
    pub fn flat_lead(&self, lead: Lead) -> FlatLead {
        let mut rec = Record::new();
        #[cfg(feature = "jit")]
        let layout = self.jit.as_deref().map(|j| {
            j.fill(self, &lead, &mut rec);
            j.id
        });
        #[cfg(not(feature = "jit"))]
        let layout = None;
        FlatLead { lead, rec, layout }
    }

    /// [`Policy::select`] for a lead laid out by [`Policy::flat_lead`]. A
    /// lead laid out for another policy is laid out again, so the answer is
    /// always this policy's.
    pub fn select_flat(&self, flat: &FlatLead, now: i64) -> Selection {
        #[cfg(feature = "jit")]
        if let Some(j) = self.jit.as_deref() {
            if flat.layout == Some(j.id) {
                if let Some(sel) = j.selection_in(self, &flat.lead, &flat.rec, now).filter(|s| s.territories_matched < 2) {
                    return sel;
                }
            }
        }
        self.select(&flat.lead, now)
    }

    /// [`Policy::select`] for a lead a [`crate::LeadReader`] read from text:
    /// the flat record built while reading is used as is.
    pub fn select_read(&self, read: &crate::ReadLead<'_>, now: i64) -> Selection {
        #[cfg(feature = "jit")]
        if let (Some(j), Some(rec)) = (self.jit.as_deref(), read.record_for(self)) {
            if let Some(sel) = j.selection_in(self, read.lead(), rec, now).filter(|s| s.territories_matched < 2) {
                return sel;
            }
        }
        self.select(read.lead(), now)
    }

    /// Builds the flat record the compiled code reads for `lead` and returns
    /// a checksum of it (0 with the interpreter): for benchmarks that tell
    /// the cost of laying a lead out apart from deciding it.
    #[doc(hidden)]
    pub fn flatten_probe(&self, lead: &Lead) -> u64 {
        #[cfg(feature = "jit")]
        if let Some(j) = self.jit.as_deref() {
            let mut rec = Record::new();
            j.fill(self, lead, &mut rec);
            return rec.checksum(j.layout.words());
        }
        let _ = lead;
        0
    }

    /// Which rule `lead` reaches at `now`, with this policy's backend: the tier,
    /// the territory, and the first rule that holds in the entry route,
    /// following `route` actions. No rep state is read and nothing is
    /// allocated for the lead; use [`Policy::decide`] for the full decision.
    pub fn select(&self, lead: &Lead, now: i64) -> Selection {
        #[cfg(feature = "jit")]
        if let Some(sel) = self.jit.as_deref().and_then(|j| j.selection(self, lead, now)).filter(|s| s.territories_matched < 2) {
            return sel;
        }
        let mut rec = Record::new();
        let m = Matcher::new(self, lead, now, &mut rec);
        let mut sel = Selection { tier: None, territory: None, territories_matched: 0, outcome: Selected::NoRule { route: self.ir.entry } };
        let missing = |field| Selected::Missing { field };
        match m.tier() {
            Ok(t) => sel.tier = t,
            Err(MissingRaised(f)) => return Selection { outcome: missing(f), ..sel },
        }
        let (mut first, mut count) = (None, 0);
        let found = m.territories(sel.tier, |t| {
            first = first.or(Some(t));
            count += 1;
        });
        if let Err(MissingRaised(f)) = found {
            return Selection { outcome: missing(f), ..sel };
        }
        let ambiguous = count > 1;
        sel.territories_matched = count;
        sel.territory = if ambiguous { None } else { first };
        let find = |route: u32| if ambiguous { self.ambiguous_rule(lead, now, sel.tier, route) } else { m.rule(route, sel.tier, sel.territory, 0) };
        let mut route = self.ir.entry;
        let mut next = find(route);
        for _ in 0..=self.ir.routes.len() {
            sel.outcome = match next {
                Ok(Some(rule)) if ambiguous && self.compiled.routes[route as usize].reads_territory[rule as usize] => Selected::Ambiguous { route, rule },
                Ok(Some(rule)) => match self.ir.routes[route as usize].rules[rule as usize].action {
                    Action::Route { route: to } => {
                        route = to;
                        next = find(route);
                        continue;
                    }
                    _ => Selected::Rule { route, rule },
                },
                Ok(None) => Selected::NoRule { route },
                Err(MissingRaised(f)) => missing(f),
            };
            break;
        }
        sel
    }

    /// For a lead in several territories: the first rule of `route` that
    /// holds, or that reads the territory (left unevaluated: the ambiguity is
    /// raised there), by the reference evaluator, as `decide` does.
    fn ambiguous_rule(&self, lead: &Lead, now: i64, tier: Option<u32>, route: u32) -> Result<Option<u32>, MissingRaised> {
        let reads = &self.compiled.routes[route as usize].reads_territory;
        for (ri, rule) in self.ir.routes[route as usize].rules.iter().enumerate() {
            let hit = reads[ri]
                || match &rule.condition {
                    None => true,
                    Some(c) => {
                        let mut ctx = Ctx { policy: self, lead, tier, territory: None, now, reads: None, read_tier: false, read_territory: false, ambiguous: true, lookups: None };
                        ctx.test(&c.expr)?
                    }
                };
            if hit {
                return Ok(Some(ri as u32));
            }
        }
        Ok(None)
    }
}
