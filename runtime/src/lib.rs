//! The leadroute engine: load a compiled policy, validate leads, decide and
//! commit, with traces. It has no parser in its dependencies: services load
//! the IR that `leadroute build` writes.
//!
//! ```
//! use leadroute_runtime::{Engine, Policy};
//! # let ir_json = leadroute_runtime::doc_example_ir();
//! let policy = Policy::from_json(&ir_json).expect("a policy built by `leadroute build`");
//! let mut engine = Engine::new(policy);
//! let now = leadroute_runtime::parse_timestamp("2026-11-24T15:00:00Z").expect("RFC 3339");
//! let lead = serde_json::json!({ "id": "L-1", "email": "ana@example.com", "intent": 91.0 });
//! let decision = engine.route(&lead, now);
//! assert_eq!(decision.lead_id, "L-1");
//! println!("{}", decision.to_human());
//! ```

pub mod avail;
mod behaviour;
mod breach;
mod compiled;
pub mod decide;
pub mod decision;
pub mod duplicate;
mod engine;
pub mod flat;
#[cfg(feature = "jit")]
#[allow(unsafe_code)]
mod jit;
pub mod eval;
mod error;
pub mod ir;
pub mod lead;
pub mod load;
pub mod manual;
pub mod policy;
mod read;
mod schedule;
mod select;
pub mod state;
mod strategy;
mod time;
pub mod table;
mod key_index;
mod validate;

/// `docs/embedding.md`, whose examples run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../docs/embedding.md")]
pub struct EmbeddingGuide;

pub use avail::Moment;
pub use validate::MAX_ITEMS;
pub use breach::{BreachResult, Escalation, Reminder};
pub use duplicate::{Prior, Seen};
pub use decide::CompactDecision;
pub use decision::{Decision, ExceptionRecord, Outcome, Skip, SkipReason, TraceStep};
pub use engine::{doc_example_ir, Engine, EngineOptions};
pub use error::{BackendError, LeadError, StateError, TimeError};
pub use lead::{duplicate_key, first_duplicate_key, parse_time, FieldError, Lead, LeadOptions};
pub use load::LoadError;
pub use manual::{ManualAssignment, ManualError, ManualTarget};
pub use policy::{CompiledCode, Policy};
pub use read::{LeadReader, ReadLead};
pub use schedule::Off;
pub use select::{Backend, FlatLead, Selected, Selection};
pub use state::{RepState, State, StateWarning, TeamState};
pub use time::{parse_timestamp, timestamp_from_ms};
