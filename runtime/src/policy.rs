//! A loaded policy: the IR checked for internal consistency, with time zones
//! resolved and lookups prepared, ready to decide leads.

use std::collections::BTreeMap;

use crate::error::LoadError;
use crate::ir::*;
use crate::schedule::Schedule;
use crate::select::Backend;

/// A policy ready to route leads. Cheap to share between threads (`&Policy`).
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) ir: PolicyIr,
    pub(crate) policy_tz: jiff::tz::TimeZone,
    /// Per rep: its own zone (for its calendar day).
    pub(crate) rep_tz: Vec<jiff::tz::TimeZone>,
    /// Holiday calendars, by index.
    pub(crate) calendars: Vec<crate::schedule::Calendar>,
    /// Per rep: its hours and days off.
    pub(crate) rep_sched: Vec<Schedule>,
    /// Per team: when it takes leads.
    pub(crate) team_sched: Vec<Schedule>,
    /// Per queue: when it is worked.
    pub(crate) queue_sched: Vec<Schedule>,
    pub(crate) rep_by_id: BTreeMap<String, u32>,
    /// Per field slot: its missing handler.
    pub(crate) missing: Vec<Option<MissingHandling>>,
    /// The conditions compiled for the fast path.
    pub(crate) compiled: crate::compiled::Compiled,
    /// Native code for the conditions (backend `jit`), shared by clones, freed with the last.
    #[cfg(feature = "jit")]
    pub(crate) jit: Option<std::sync::Arc<crate::jit::Jit>>,
}

fn zone(name: &str, what: &str) -> Result<jiff::tz::TimeZone, String> {
    jiff::tz::TimeZone::get(name).map_err(|_| format!("{what}: unknown time zone `{name}`"))
}

impl Policy {
    /// Loads a policy from its IR, checking every index and time zone, so
    /// that deciding can never fail on a malformed IR. Conditions are
    /// compiled to native code where this build and host allow it
    /// ([`Backend::host_default`]); should that compilation fail, the policy
    /// falls back to the interpreter (see [`Policy::backend`]).
    pub fn from_ir(ir: PolicyIr) -> Result<Policy, LoadError> {
        let policy = Policy::from_ir_with(ir, Backend::Interp)?;
        if Backend::host_default() == Backend::Jit {
            return Ok(policy.clone().with_backend(Backend::Jit).unwrap_or(policy));
        }
        Ok(policy)
    }

    /// Loads a policy with the given backend; an error when the backend
    /// cannot run here or the policy cannot be compiled for it.
    pub fn from_ir_with(ir: PolicyIr, backend: Backend) -> Result<Policy, LoadError> {
        let policy = Policy::load(ir)?;
        match backend {
            Backend::Interp => Ok(policy),
            Backend::Jit => policy.with_backend(Backend::Jit),
        }
    }

    /// This policy with another backend (compiling its conditions for `jit`).
    #[cfg_attr(not(feature = "jit"), allow(unused_mut))]
    pub fn with_backend(mut self, backend: Backend) -> Result<Policy, LoadError> {
        if let Some(why) = backend.unavailable() {
            return Err(LoadError::Backend(why));
        }
        #[cfg(feature = "jit")]
        {
            self.jit = match backend {
                Backend::Interp => None,
                Backend::Jit => Some(std::sync::Arc::new(
                    crate::jit::Jit::compile(&self.ir, &self.compiled, &self.missing).map_err(|detail| LoadError::Compile { detail })?,
                )),
            };
        }
        Ok(self)
    }

    /// The backend deciding conditions.
    pub fn backend(&self) -> Backend {
        #[cfg(feature = "jit")]
        if self.jit.is_some() {
            return Backend::Jit;
        }
        Backend::Interp
    }

    /// With compiled code: how many function results (`domain(email)` ...)
    /// are computed once per lead, and how many conditions call back into the
    /// interpreter. For tests and benchmarks.
    #[doc(hidden)]
    pub fn compiled_stats(&self) -> Option<(usize, usize)> {
        #[cfg(feature = "jit")]
        if let Some(j) = &self.jit {
            return Some(j.stats());
        }
        None
    }

    /// Bytes of native code compiled for this policy (0 with the interpreter).
    pub fn code_bytes(&self) -> usize {
        #[cfg(feature = "jit")]
        if let Some(j) = &self.jit {
            return j.code_bytes;
        }
        0
    }

    fn load(ir: PolicyIr) -> Result<Policy, LoadError> {
        if ir.format_version != FORMAT_VERSION {
            return Err(LoadError::FormatVersion { found: ir.format_version, expected: FORMAT_VERSION });
        }
        Policy::load_checked(ir).map_err(|detail| LoadError::Invalid { detail })
    }

    /// [`Policy::load`] of an IR of this format version.
    fn load_checked(ir: PolicyIr) -> Result<Policy, String> {
        validate(&ir)?;
        let policy_tz = zone(&ir.timezone, "policy")?;
        let calendars = ir.calendars.iter().map(crate::schedule::Calendar::from_ir).collect::<Result<Vec<_>, _>>()?;
        let cal_ok = |what: String, cals: &[u32]| match cals.iter().find(|c| **c as usize >= calendars.len()) {
            Some(c) => Err(format!("policy IR is inconsistent: {what} names calendar {c}, which does not exist")),
            None => Ok(()),
        };
        let mut rep_tz = Vec::new();
        let mut rep_sched = Vec::new();
        for r in &ir.reps {
            let what = format!("rep `{}`", r.id);
            cal_ok(what.clone(), &r.calendars)?;
            let tz = zone(&r.timezone, &what)?;
            rep_sched.push(Schedule::new(&r.hours, &tz, &r.calendars, |z| zone(z, &format!("{what} hours")))?);
            rep_tz.push(tz);
        }
        // A team's or queue's schedule: its hours in its zone (else the policy's), minus its calendars.
        let group = |what: String, tz: &Option<String>, hours: &[HoursDef], cals: &[u32]| -> Result<Schedule, String> {
            cal_ok(what.clone(), cals)?;
            let tz = match tz {
                Some(z) => zone(z, &what)?,
                None => policy_tz.clone(),
            };
            Schedule::new(hours, &tz, cals, |z| zone(z, &format!("{what} hours")))
        };
        let team_sched = ir.teams.iter().map(|t| group(format!("team `{}`", t.name), &t.timezone, &t.hours, &t.calendars)).collect::<Result<Vec<_>, _>>()?;
        let queue_sched = ir.queues.iter().map(|q| group(format!("queue `{}`", q.name), &q.timezone, &q.hours, &q.calendars)).collect::<Result<Vec<_>, _>>()?;
        let rep_by_id = ir.reps.iter().enumerate().map(|(i, r)| (r.id.clone(), i as u32)).collect();
        let mut missing = vec![None; ir.fields.len()];
        for m in &ir.handlers.missing {
            missing[m.field as usize] = Some(m.handling.clone());
        }
        let compiled = crate::compiled::Compiled::new(&ir, &missing);
        Ok(Policy {
            ir,
            policy_tz,
            rep_tz,
            calendars,
            rep_sched,
            team_sched,
            queue_sched,
            rep_by_id,
            missing,
            compiled,
            #[cfg(feature = "jit")]
            jit: None,
        })
    }

    /// Loads a policy from the IR's JSON (as `leadroute build` writes it).
    pub fn from_json(text: &str) -> Result<Policy, LoadError> {
        let ir: PolicyIr = serde_json::from_str(text).map_err(|e| LoadError::NotPolicyIr { detail: e.to_string() })?;
        Policy::from_ir(ir)
    }

    /// The IR.
    pub fn ir(&self) -> &PolicyIr {
        &self.ir
    }

    /// The content hash decisions carry.
    pub fn version(&self) -> &str {
        &self.ir.policy_version
    }
}

/// Checks that every index in the IR points at something, and that routes do not cycle.
fn validate(ir: &PolicyIr) -> Result<(), String> {
    let (nf, nr, nt, nq, nro, ne) =
        (ir.fields.len(), ir.reps.len(), ir.teams.len(), ir.queues.len(), ir.routes.len(), ir.enums.len());
    let bad = |what: &str, i: u32| format!("policy IR is inconsistent: {what} {i} does not exist");
    let field = |i: u32| if (i as usize) < nf { Ok(()) } else { Err(bad("field", i)) };
    fn ty_ok(t: &FieldType, ne: usize) -> bool {
        match t {
            FieldType::Enum(e) => (*e as usize) < ne,
            FieldType::List(inner) => ty_ok(inner, ne),
            _ => true,
        }
    }
    for f in &ir.fields {
        if !ty_ok(&f.ty, ne) {
            return Err(format!("policy IR is inconsistent: field `{}` has an unknown enum", f.name));
        }
    }
    if !ir.fields.iter().any(|f| f.name == "id" && f.ty == FieldType::String && !f.optional) {
        return Err("policy IR is inconsistent: the schema has no required string `id`".into());
    }
    for t in &ir.teams {
        for m in &t.members {
            if *m as usize >= nr {
                return Err(bad("rep", *m));
            }
        }
        if t.members.is_empty() {
            return Err(format!("policy IR is inconsistent: team `{}` has no members", t.name));
        }
        if let Strategy::Sticky { field: f } = t.strategy {
            field(f)?;
        }
    }
    for r in &ir.reps {
        if r.weight == 0 {
            return Err(format!("policy IR is inconsistent: rep `{}` has weight 0", r.id));
        }
    }
    let check_action = |a: &Action| -> Result<(), String> {
        let mut todo = vec![a];
        while let Some(a) = todo.pop() {
            let fb = match a {
                Action::AssignTeam { team, strategy, fallback } => {
                    if *team as usize >= nt {
                        return Err(bad("team", *team));
                    }
                    if let Some(Strategy::Sticky { field: f }) = strategy {
                        field(*f)?;
                    }
                    Some(fallback)
                }
                Action::AssignRep { rep, fallback } => {
                    if *rep as usize >= nr {
                        return Err(bad("rep", *rep));
                    }
                    Some(fallback)
                }
                Action::AssignOwner { field: f, fallback } => {
                    field(*f)?;
                    Some(fallback)
                }
                Action::Queue { queue } if *queue as usize >= nq => return Err(bad("queue", *queue)),
                Action::Route { route } if *route as usize >= nro => return Err(bad("route", *route)),
                _ => None,
            };
            if let Some(Fallback::Action(inner)) = fb {
                todo.push(inner);
            }
        }
        Ok(())
    };
    let check_expr = |e: &Expr| -> Result<(), String> {
        let mut todo = vec![e];
        while let Some(e) = todo.pop() {
            match e {
                Expr::Field { slot } | Expr::Present { slot, .. } | Expr::Default { slot, .. } => field(*slot)?,
                Expr::InField { value, list, .. } => {
                    field(*list)?;
                    todo.push(value);
                }
                Expr::Not { arg } => todo.push(arg),
                Expr::And { args } | Expr::Or { args } | Expr::Call { args, .. } => todo.extend(args),
                Expr::Cmp { lhs, rhs, .. } => {
                    todo.push(lhs);
                    todo.push(rhs);
                }
                Expr::In { value, .. } => todo.push(value),
                Expr::Const { .. } | Expr::Tier | Expr::Territory | Expr::Ambiguous | Expr::Now => {}
            }
        }
        Ok(())
    };
    for t in &ir.tiers {
        if let Some(c) = &t.condition {
            check_expr(&c.expr)?;
        }
    }
    for t in &ir.territories {
        check_expr(&t.condition.expr)?;
    }
    if ir.routes.is_empty() || ir.entry as usize >= nro {
        return Err("policy IR is inconsistent: no entry route".into());
    }
    for r in &ir.routes {
        for rule in &r.rules {
            if let Some(c) = &rule.condition {
                check_expr(&c.expr)?;
            }
            check_action(&rule.action)?;
        }
    }
    let h = &ir.handlers;
    for a in [&h.ambiguous_territory, &h.no_available_rep, &h.over_capacity, &h.no_match].into_iter().flatten() {
        check_action(a)?;
    }
    for m in &h.missing {
        field(m.field)?;
        if let MissingHandling::Action(a) = &m.handling {
            check_action(a)?;
        }
    }
    validate_sla(ir, &check_action)?;
    // Routes must not cycle: a lead would never leave.
    let edges: Vec<Vec<u32>> = ir
        .routes
        .iter()
        .map(|r| {
            let mut out = Vec::new();
            for rule in &r.rules {
                let mut a = Some(&rule.action);
                while let Some(act) = a {
                    a = None;
                    match act {
                        Action::Route { route } => out.push(*route),
                        Action::AssignTeam { fallback: Fallback::Action(x), .. }
                        | Action::AssignRep { fallback: Fallback::Action(x), .. }
                        | Action::AssignOwner { fallback: Fallback::Action(x), .. } => a = Some(x),
                        _ => {}
                    }
                }
            }
            out
        })
        .collect();
    let mut state = vec![0u8; nro];
    for start in 0..nro {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some((node, i)) = stack.pop() {
            if let Some(&next) = edges[node].get(i) {
                stack.push((node, i + 1));
                match state[next as usize] {
                    1 => return Err(format!("policy IR is inconsistent: routes cycle through `{}`", ir.routes[next as usize].name)),
                    0 => {
                        state[next as usize] = 1;
                        stack.push((next as usize, 0));
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
            }
        }
    }
    Ok(())
}

/// Checks the SLA handlers' indexes, and that queue escalations do not cycle.
fn validate_sla(ir: &PolicyIr, check_action: &dyn Fn(&Action) -> Result<(), String>) -> Result<(), String> {
    let bad = |what: &str, i: u32| format!("policy IR is inconsistent: {what} {i} does not exist");
    let tier = |t: Option<u32>| match t {
        Some(i) if i as usize >= ir.tiers.len() => Err(bad("tier", i)),
        _ => Ok(()),
    };
    for b in &ir.breach {
        tier(b.tier)?;
        match &b.action {
            BreachAction::Reassign { fallback: Fallback::Action(a) } => check_action(a)?,
            BreachAction::Act { action } => check_action(action)?,
            BreachAction::Reassign { .. } | BreachAction::Notify { .. } => {}
        }
    }
    for r in &ir.reminders {
        tier(r.tier)?;
        if r.before_ms < 0 {
            return Err("policy IR is inconsistent: a reminder fires after its due time".into());
        }
    }
    for (i, q) in ir.queues.iter().enumerate() {
        let mut at = i;
        // Following escalations from any queue must end within as many steps as there are queues.
        for _ in 0..=ir.queues.len() {
            match &ir.queues[at].escalate {
                Some(EscalateDef::Queue { queue }) if *queue as usize >= ir.queues.len() => return Err(bad("queue", *queue)),
                Some(EscalateDef::Queue { queue }) => at = *queue as usize,
                _ => break,
            }
            if at == i {
                return Err(format!("policy IR is inconsistent: queue escalations cycle through `{}`", q.name));
            }
        }
    }
    Ok(())
}
