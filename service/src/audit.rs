//! The audit log's entries. Each is one JSON object carrying what a replay
//! needs: the kind, the commit-ordered `seq`, the time, and for decisions the
//! lead, the decision time and the version that decided.

use leadroute_runtime::state::format_time;

/// The kinds of entry.
pub mod kind {
    /// A lead was decided.
    pub const DECISION: &str = "decision";
    /// A lead failed validation (recorded, not decided).
    pub const REJECTION: &str = "rejection";
    /// An assigned lead was released in the CRM: its rep's open load drops.
    pub const RELEASED: &str = "released";
    /// A lead was contacted.
    pub const CONTACTED: &str = "contacted";
    /// An operator changed a rep (active, out of office, caps).
    pub const REP_CHANGED: &str = "rep_changed";
    /// A policy version became active (the entry carries its IR).
    pub const POLICY_ACTIVATED: &str = "policy_activated";
    /// Rep state was seeded from a state file on an empty database.
    pub const STATE_SEEDED: &str = "state_seeded";

    /// An operator gave a lead to a rep or team (the entry carries the target and the decision).
    pub const OVERRIDE: &str = "override";
    /// A lead was decided again under the active policy.
    pub const REPROCESSED: &str = "reprocessed";
    /// A work item was claimed or resolved.
    pub const WORK_ITEM: &str = "work_item";
    /// A lead's SLA ran out: what the policy's breach handler did.
    pub const SLA_BREACH: &str = "sla_breach";
    /// A reminder before an SLA went out.
    pub const REMINDER: &str = "reminder";
    /// A work item passed its queue's SLA.
    pub const ESCALATED: &str = "escalated";
    /// A delivery failed for good and became a work item.
    pub const DELIVERY_FAILED: &str = "delivery_failed";

    /// A candidate version started in shadow or canary (the entry carries its IR).
    pub const ROLLOUT_STARTED: &str = "rollout_started";
    /// A rollout ended: promoted, stopped, or rolled back by a guardrail (with why).
    pub const ROLLOUT_ENDED: &str = "rollout_ended";

    /// Every kind, for validating `?kind=`.
    pub const ALL: [&str; 16] = [DECISION, REJECTION, RELEASED, CONTACTED, REP_CHANGED, POLICY_ACTIVATED, STATE_SEEDED,
        OVERRIDE, REPROCESSED, WORK_ITEM, SLA_BREACH, REMINDER, ESCALATED, DELIVERY_FAILED, ROLLOUT_STARTED, ROLLOUT_ENDED];
}

/// One entry ready to insert.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Commit order.
    pub seq: i64,
    /// Milliseconds since the epoch.
    pub at: i64,
    /// One of [`kind`].
    pub kind: &'static str,
    /// The lead concerned, if any.
    pub lead_id: Option<String>,
    /// The whole entry as JSON text.
    pub json: String,
}

fn quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A decision entry; `lead` and `decision` are JSON texts.
pub fn decision(seq: i64, at: i64, key: &str, lead_id: &str, version: &str, lead: &str, decision: &str) -> Entry {
    let json = format!(
        "{{\"seq\":{seq},\"kind\":\"decision\",\"at\":{at},\"time\":{},\"lead_id\":{},\"key\":{},\"version\":{},\"lead\":{lead},\"decision\":{decision}}}",
        quote(&format_time(at)),
        quote(lead_id),
        quote(key),
        quote(version),
    );
    Entry { seq, at, kind: kind::DECISION, lead_id: Some(lead_id.to_string()), json }
}

/// Any other entry: `fields` (a JSON object) gets `seq`, `kind`, `at` and `time`.
pub fn other(seq: i64, at: i64, kind: &'static str, lead_id: Option<&str>, fields: serde_json::Value) -> Entry {
    let mut obj = serde_json::Map::new();
    obj.insert("seq".into(), seq.into());
    obj.insert("kind".into(), kind.into());
    obj.insert("at".into(), at.into());
    obj.insert("time".into(), format_time(at).into());
    if let serde_json::Value::Object(f) = fields {
        obj.extend(f);
    }
    Entry { seq, at, kind, lead_id: lead_id.map(str::to_string), json: serde_json::Value::Object(obj).to_string() }
}
