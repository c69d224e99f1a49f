//! The embedding API: an [`Engine`] owns a policy and its rep state, takes
//! leads as JSON and returns decisions. Times are [`jiff::Timestamp`]s;
//! errors are typed ([`crate::LoadError`], [`crate::LeadError`] ...).
//! See `docs/embedding.md`.

use std::sync::{Arc, Mutex, PoisonError};

use jiff::Timestamp;

use crate::avail::Moment;
use crate::decision::Decision;
use crate::duplicate::{Prior, Seen};
use crate::error::LeadError;
use crate::ir::*;
use crate::lead::{Lead, LeadOptions};
use crate::decide::CompactDecision;
use crate::decision::Outcome;
use crate::policy::Policy;
use crate::read::LeadReader;
use crate::state::State;

/// How the engine treats leads and what decisions carry.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineOptions {
    /// Attach a trace of every step to each decision.
    pub explain: bool,
    /// Reject leads with fields the schema does not know.
    pub strict: bool,
}

/// A policy with its live rep state: validate, decide, commit.
///
/// [`Engine::decide`] takes `&self`, so one engine can decide from several
/// threads (the availability computed for a decision time is cached behind
/// a lock); [`Engine::route`] and [`Engine::commit`] change the state and
/// take `&mut self`.
#[derive(Debug)]
pub struct Engine {
    /// Shared, so that the JIT can compile it on another thread while this engine decides with the interpreter.
    policy: Arc<Policy>,
    state: State,
    options: EngineOptions,
    /// The availability for the last decision time, reused while it does not change.
    moment: Mutex<Option<Arc<Moment>>>,
    /// Buffers for reading leads from text ([`Engine::route_str`] and co.).
    reader: LeadReader,
}

impl Clone for Engine {
    fn clone(&self) -> Engine {
        Engine { policy: self.policy.clone(), state: self.state.clone(), options: self.options, moment: Mutex::new(self.cached()), reader: LeadReader::new() }
    }
}

impl Engine {
    /// An engine with the default state (every rep active and idle).
    pub fn new(policy: Policy) -> Engine {
        let state = State::new(policy.ir());
        Engine::with_state(policy, state)
    }

    /// An engine starting from `state`.
    pub fn with_state(policy: Policy, state: State) -> Engine {
        Engine { policy: Arc::new(policy), state, options: EngineOptions::default(), moment: Mutex::new(None), reader: LeadReader::new() }
    }

    /// The policy, shared: [`Policy::compile_jit`] on another thread, while
    /// this engine goes on deciding, then [`Engine::install`].
    pub fn shared_policy(&self) -> Arc<Policy> {
        Arc::clone(&self.policy)
    }

    /// Switches to the native code `code`, compiled from this engine's
    /// policy ([`Policy::compile_jit`]): the decisions are the same bytes
    /// (both backends are), the state and options are kept, and so is the
    /// availability worked out for the last decision time. Code compiled
    /// from another policy is refused and given back.
    pub fn install(&mut self, code: crate::policy::CompiledCode) -> Result<(), crate::policy::CompiledCode> {
        if code.version != self.policy.version() {
            return Err(code);
        }
        // Copies the policy only if a clone of it is still shared (the compiling thread drops its own first).
        Arc::make_mut(&mut self.policy).set_code(code);
        Ok(())
    }

    /// Sets the options.
    pub fn with_options(mut self, options: EngineOptions) -> Engine {
        self.options = options;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The current rep state.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The cached availability, if any (a poisoned lock still holds a whole value).
    fn cached(&self) -> Option<Arc<Moment>> {
        self.moment.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The time-dependent availability for `now` (ms), reused while `now` does not change.
    fn moment(&self, now: i64) -> Arc<Moment> {
        let mut cache = self.moment.lock().unwrap_or_else(PoisonError::into_inner);
        match &*cache {
            Some(m) if m.now == now => Arc::clone(m),
            _ => {
                let m = Arc::new(self.policy.at(now));
                *cache = Some(Arc::clone(&m));
                m
            }
        }
    }

    fn lead_options(&self) -> LeadOptions {
        LeadOptions { strict: self.options.strict }
    }

    /// Validates a JSON lead against the policy's schema: the lead, or every
    /// field that does not fit, each naming the field.
    pub fn read_lead(&self, lead: &serde_json::Value) -> Result<Lead, LeadError> {
        Lead::from_json(self.policy.ir(), lead, self.lead_options()).map_err(|errors| LeadError::Invalid { lead_id: Lead::id_of(lead), errors })
    }

    /// [`Engine::read_lead`] for a lead given as JSON text; text that is not
    /// a JSON object is one error saying where it breaks.
    pub fn read_lead_str(&self, lead: &str) -> Result<Lead, LeadError> {
        Lead::from_json_str(self.policy.ir(), lead, self.lead_options()).map_err(|(lead_id, errors)| LeadError::Invalid { lead_id, errors })
    }

    /// Validates and decides a lead at `now` without changing any state:
    /// shadow routing and replay. A lead that fails validation gives a
    /// `rejected` decision listing its errors.
    pub fn decide(&self, lead: &serde_json::Value, now: Timestamp) -> Decision {
        self.decide_read(self.read_lead(lead), now)
    }

    /// Like [`Engine::decide`], for a lead given as JSON text (a line of a lead
    /// file); faster, as no JSON object is built. Text that is not JSON gives a
    /// `rejected` decision saying where it breaks.
    pub fn decide_str(&self, lead: &str, now: Timestamp) -> Decision {
        self.decide_read(self.read_lead_str(lead), now)
    }

    /// Decides a lead read by [`Engine::read_lead`] at `now`, without changing any state.
    pub fn decide_lead(&self, lead: &Lead, now: Timestamp) -> Decision {
        let m = self.moment(now.as_millisecond());
        self.policy.decide(lead, &self.state, &m, self.options.explain)
    }

    /// [`Engine::decide_lead`] for a lead whose duplicate key
    /// ([`Policy::duplicate_key`]) an earlier lead had: see [`Policy::decide_with`].
    pub fn decide_lead_after(&self, lead: &Lead, now: Timestamp, prior: Option<&Prior>) -> Decision {
        let m = self.moment(now.as_millisecond());
        self.policy.decide_with(lead, &self.state, &m, self.options.explain, prior)
    }

    /// Decides a validated lead, or makes the `rejected` decision for one that failed.
    fn decide_read(&self, read: Result<Lead, LeadError>, now: Timestamp) -> Decision {
        match read {
            Ok(lead) => self.decide_lead(&lead, now),
            Err(LeadError::Invalid { lead_id, errors }) => Decision::rejected(lead_id, errors, self.policy.version()),
        }
    }

    /// Decides a lead and commits the decision: rotation and capacity move on.
    pub fn route(&mut self, lead: &serde_json::Value, now: Timestamp) -> Decision {
        let d = self.decide(lead, now);
        self.commit(&d);
        d
    }

    /// Like [`Engine::route`], for a lead given as JSON text.
    pub fn route_str(&mut self, lead: &str, now: Timestamp) -> Decision {
        self.route_text(lead, now, None, |c| c.to_decision()).unwrap_or_else(|d| *d)
    }

    /// [`Engine::route_str`] for leads given in order (a lead file): a lead
    /// whose duplicate key a lead in `seen` had within the window is a
    /// duplicate of it (the policy's `on duplicate(...)` handler runs), and
    /// `seen` learns each lead decided.
    pub fn route_str_seen(&mut self, lead: &str, now: Timestamp, seen: &mut Seen) -> Decision {
        self.route_text(lead, now, Some(seen), |c| c.to_decision()).unwrap_or_else(|d| *d)
    }

    /// [`Engine::route_str`] (or [`Engine::route_str_seen`] with `seen`)
    /// writing the decision straight to `out` as one line of JSON, with its
    /// newline: the bytes of `serde_json::to_writer` on the [`Decision`],
    /// with no `Decision` built. A rejected lead's decision is returned
    /// instead, unwritten, for the caller to say more.
    pub fn route_str_json(&mut self, lead: &str, now: Timestamp, seen: Option<&mut Seen>, out: &mut Vec<u8>) -> Result<Outcome, Box<Decision>> {
        self.route_text(lead, now, seen, |c| {
            c.write_json(out);
            out.push(b'\n');
            c.outcome()
        })
    }

    /// Reads, decides and commits a lead given as text; `use_it` sees the
    /// compact decision before it is committed. A rejected lead is `Err`.
    fn route_text<T>(&mut self, lead: &str, now: Timestamp, seen: Option<&mut Seen>, use_it: impl FnOnce(&CompactDecision) -> T) -> Result<T, Box<Decision>> {
        let at = now.as_millisecond();
        let m = self.moment(at);
        let opts = self.lead_options();
        let read = match self.reader.read(&self.policy, lead, opts) {
            Ok(read) => read,
            Err((lead_id, errors)) => return Err(Box::new(Decision::rejected(lead_id, errors, self.policy.version()))),
        };
        let (policy, explain) = (&self.policy, self.options.explain);
        let (result, plan) = match seen {
            Some(seen) => {
                let key = policy.duplicate_key(read.lead());
                let prior = key.as_deref().and_then(|k| seen.prior(policy, k, at, &read.lead().id));
                let c = policy.decide_read(&read, &self.state, &m, explain, prior.as_ref());
                let result = use_it(&c);
                let (rep, team, queue) = c.holder();
                seen.decided_parts(key.as_deref(), at, c.lead_id(), rep, team, queue);
                (result, c.into_plan())
            }
            None => {
                let c = policy.decide_read(&read, &self.state, &m, explain, None);
                (use_it(&c), c.into_plan())
            }
        };
        if let Some(plan) = plan {
            self.policy.apply(&mut self.state, &plan);
        }
        Ok(result)
    }

    /// Commits a decision made earlier by [`Engine::decide`].
    pub fn commit(&mut self, decision: &Decision) {
        self.policy.commit(&mut self.state, decision);
    }
}

/// A tiny compiled policy for documentation examples: one team, two tiers.
#[doc(hidden)]
pub fn doc_example_ir() -> String {
    let loc = |line| Loc { file: "doc.route".into(), line, column: 1 };
    let ir = PolicyIr {
        format_version: OLDEST_FORMAT_VERSION,
        policy_version: "sha256:doc".into(),
        source_digest: String::new(),
        name: "doc".into(),
        owner: None,
        timezone: "UTC".into(),
        enums: vec![],
        fields: vec![
            FieldDef { name: "id".into(), ty: FieldType::String, optional: false },
            FieldDef { name: "email".into(), ty: FieldType::String, optional: false },
            FieldDef { name: "intent".into(), ty: FieldType::Float, optional: false },
        ],
        reps: ["ana", "ben"]
            .iter()
            .map(|id| RepDef {
                id: (*id).into(),
                email: None,
                weight: 1,
                max_open: None,
                max_per_day: None,
                timezone: "UTC".into(),
                hours: vec![],
                calendars: vec![],
                cap_per_shift: false,
                skills: vec![],
                active: true,
            })
            .collect(),
        teams: vec![TeamDef { name: "sales".into(), members: vec![0, 1], strategy: Strategy::RoundRobin, timezone: None, hours: Vec::new(), calendars: Vec::new() }],
        queues: vec![QueueDef {
            name: "review".into(),
            owner: None,
            sla_ms: Some(3_600_000),
            escalate: None,
            sla_business: false,
            timezone: None,
            hours: Vec::new(),
            calendars: Vec::new(),
        }],
        tiers: vec![
            TierDef {
                name: "hot".into(),
                condition: Some(Condition {
                    expr: Expr::Cmp {
                        cmp: CmpOp::Ge,
                        lhs: Box::new(Expr::Field { slot: 2 }),
                        rhs: Box::new(Expr::Const { value: Value::Float(80.0) }),
                    },
                    text: "intent >= 80".into(),
                }),
                sla_ms: Some(300_000),
                sla_business: false,
                loc: loc(1),
            },
            TierDef { name: "cold".into(), condition: None, sla_ms: Some(86_400_000), sla_business: false, loc: loc(2) },
        ],
        territories: vec![],
        routes: vec![RouteDef {
            name: "main".into(),
            rules: vec![
                RuleDef {
                    name: Some("hot".into()),
                    condition: Some(Condition {
                        expr: Expr::Cmp {
                            cmp: CmpOp::Eq,
                            lhs: Box::new(Expr::Tier),
                            rhs: Box::new(Expr::Const { value: Value::Tier(0) }),
                        },
                        text: "tier == hot".into(),
                    }),
                    action: Action::AssignTeam { team: 0, strategy: None, fallback: Fallback::Action(Box::new(Action::Queue { queue: 0 })) },
                    loc: loc(4),
                },
                RuleDef { name: None, condition: None, action: Action::Queue { queue: 0 }, loc: loc(5) },
            ],
            loc: loc(3),
        }],
        entry: 0,
        handlers: Handlers::default(),
        tests: vec![],
        breach: vec![],
        reminders: vec![],
        calendars: vec![],
        duplicate: None,
        tables: vec![],
        free_mail: vec![],
    };
    serde_json::to_string(&ir).unwrap_or_default()
}
