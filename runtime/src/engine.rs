//! The embedding API: an [`Engine`] owns a policy and its rep state, takes
//! leads as JSON and returns decisions.

use crate::avail::Moment;
use crate::decision::Decision;
use crate::ir::*;
use crate::lead::{Lead, LeadOptions};
use crate::policy::Policy;
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
#[derive(Debug, Clone)]
pub struct Engine {
    policy: Policy,
    state: State,
    options: EngineOptions,
    moment: Option<Moment>,
}

impl Engine {
    /// An engine with the default state (every rep active and idle).
    pub fn new(policy: Policy) -> Engine {
        let state = State::new(policy.ir());
        Engine { policy, state, options: EngineOptions::default(), moment: None }
    }

    /// An engine starting from `state`.
    pub fn with_state(policy: Policy, state: State) -> Engine {
        Engine { policy, state, options: EngineOptions::default(), moment: None }
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

    /// The time-dependent availability for `now`, reused while `now` does not change.
    fn moment(&mut self, now: i64) -> &Moment {
        if self.moment.as_ref().is_none_or(|m| m.now != now) {
            self.moment = Some(self.policy.at(now));
        }
        // Set just above when absent or stale.
        self.moment.as_ref().expect("moment was just computed")
    }

    /// Validates and decides a lead at `now` (ms since the epoch) without
    /// changing any state: shadow routing and replay.
    pub fn decide(&mut self, lead: &serde_json::Value, now: i64) -> Decision {
        let read = Lead::from_json(self.policy.ir(), lead, LeadOptions { strict: self.options.strict });
        self.decide_read(read.map_err(|errors| (Lead::id_of(lead), errors)), now)
    }

    /// Decides a validated lead, or makes the `rejected` decision for one that failed.
    fn decide_read(&mut self, read: Result<Lead, (String, Vec<crate::FieldError>)>, now: i64) -> Decision {
        match read {
            Ok(lead) => {
                self.moment(now);
                let m = self.moment.as_ref().expect("moment was just computed");
                self.policy.decide(&lead, &self.state, m, self.options.explain)
            }
            Err((id, errors)) => Decision::rejected(id, errors, self.policy.version()),
        }
    }

    /// Like [`Engine::decide`], for a lead given as JSON text (a line of a lead
    /// file); faster, as no JSON object is built. Text that is not JSON gives a
    /// `rejected` decision saying where it breaks.
    pub fn decide_str(&mut self, lead: &str, now: i64) -> Decision {
        let read = Lead::from_json_str(self.policy.ir(), lead, LeadOptions { strict: self.options.strict });
        self.decide_read(read, now)
    }

    /// Like [`Engine::route`], for a lead given as JSON text.
    pub fn route_str(&mut self, lead: &str, now: i64) -> Decision {
        let d = self.decide_str(lead, now);
        self.policy.commit(&mut self.state, &d);
        d
    }

    /// Decides a lead and commits the decision: rotation and capacity move on.
    pub fn route(&mut self, lead: &serde_json::Value, now: i64) -> Decision {
        let d = self.decide(lead, now);
        self.policy.commit(&mut self.state, &d);
        d
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
        format_version: FORMAT_VERSION,
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
    };
    serde_json::to_string(&ir).unwrap_or_default()
}
